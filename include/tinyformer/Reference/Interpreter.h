//===- Interpreter.h - host reference execution of sparse_tiny -*- C++ -*-===//
#ifndef TINYFORMER_REFERENCE_INTERPRETER_H
#define TINYFORMER_REFERENCE_INTERPRETER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <vector>

namespace tinyformer {

/// A tensor on the host. Quantized tensors hold their integer values.
struct HostArray {
  llvm::SmallVector<int64_t> shape;
  std::vector<float> data;
};

/// Runs the function `entry` of `module` (the only one if `entry` is empty)
/// on `inputs`, op by op, with the semantics the ONNX operators have: the
/// oracle that compiled code is checked against. Float ops compute in f32
/// with f64 accumulation; quantize rounds half to even and saturates, as
/// ONNX QuantizeLinear does. Reports an error at the op and fails on an op it
/// cannot run or on inputs of the wrong shape.
///
/// INT8 ops (quantized operands and result) compute with exactly the integer
/// arithmetic the generated kernels must produce (tfk/kernels.h rules).
/// `observe`, when given, sees every value an op defines (calibration).
mlir::FailureOr<std::vector<HostArray>>
runReference(mlir::ModuleOp module, llvm::ArrayRef<HostArray> inputs,
             llvm::StringRef entry = "",
             llvm::function_ref<void(mlir::Value, const HostArray &)> observe =
                 nullptr);

} // namespace tinyformer

#endif // TINYFORMER_REFERENCE_INTERPRETER_H
