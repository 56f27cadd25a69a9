//===- Pipeline.h - the whole compile pipeline ------------------*- C++ -*-===//
#ifndef TINYFORMER_TRANSFORMS_PIPELINE_H
#define TINYFORMER_TRANSFORMS_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace tinyformer {

struct CompileOptions {
  std::string calibration; ///< .npy batch; may be empty for QDQ models
  /// How the calling tool spells the calibration option, in messages.
  std::string calibrationFlag = "--calib ";
  std::string method = "minmax";
  double percentile = 99.99;
  int64_t flashBudget = 1 << 20;
  std::string weightStorage = "auto"; ///< auto | int8 | int16
  std::string cpu = "cortex-m4";
  std::string sparse = "auto";        ///< auto | off: sparse kernels
  std::string sparseFormat = "auto";  ///< auto | code | csr | rle
  int64_t sramLimit = 0;              ///< bytes a kernel's scratch must fit
  int64_t sramBudget = 0; ///< arena bytes; 0: no limit
  bool fuseQkWeights = false; ///< Fused-Weight Self-Attention where it pays
};

/// canonicalize, fuse activations, quantize, select kernels, plan memory:
/// the INT8 model the host reference runs and the lowering consumes.
void addQuantizePipeline(mlir::OpPassManager &pm, const CompileOptions &options);

/// Registers that pipeline by name for tf-opt, mlir-opt's plugin and other
/// drivers: --sparse-tiny-pipeline="calibration=x.npy cpu=cortex-m7 ...".
void registerTinyFormerPipelines();

} // namespace tinyformer

#endif // TINYFORMER_TRANSFORMS_PIPELINE_H
