//===- ObjectEmitter.h - LLVM dialect model -> ARM object + header -*- C++ -*-===//
#ifndef TINYFORMER_TARGET_OBJECTEMITTER_H
#define TINYFORMER_TARGET_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tinyformer {

struct EmitOptions {
  /// cortex-m4 or cortex-m7.
  std::string cpu = "cortex-m7";
};

struct EmittedModel {
  std::string object; ///< ELF relocatable for thumbv7em-none-eabihf
  std::string header; ///< the C header users include
  int64_t flashBytes = 0; ///< code + read-only data of the object
  int64_t ramBytes = 0;   ///< writable sections (0: no global state)
  /// Stack the invoke call can use at most: the deepest call path of the
  /// object's functions' frames (as -fstack-usage reports them) plus
  /// kLibraryStackBytes for memcpy / libgcc helpers.
  int64_t stackBytes = 0;
};

/// Whether `cpu` is one emitObject accepts.
bool isSupportedCpu(llvm::StringRef cpu);

/// Translates a module lowered by sparse-tiny-lower-to-llvm to LLVM IR,
/// links the tfk kernels' bitcode into it, inlines and optimises at O3 for
/// `options.cpu` and emits the object and the header. Errors are reported
/// on the module.
mlir::FailureOr<EmittedModel> emitObject(mlir::ModuleOp module,
                                         const EmitOptions &options);

} // namespace tinyformer

#endif // TINYFORMER_TARGET_OBJECTEMITTER_H
