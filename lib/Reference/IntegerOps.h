//===- IntegerOps.h - INT8 ops of the reference interpreter -----*- C++ -*-===//
#ifndef TINYFORMER_LIB_REFERENCE_INTEGEROPS_H
#define TINYFORMER_LIB_REFERENCE_INTEGEROPS_H

#include "tinyformer/Reference/Interpreter.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace tinyformer::detail {

/// Runs an INT8 compute op (isIntegerOp) with exactly the integer
/// arithmetic of tinyformer/Quant/IntegerRules.h; data movement on int8
/// tensors stays with the float interpreter, which moves integers exactly.
/// Returns failure (with an error at `op`) for an op with no INT8 rule.
mlir::LogicalResult
runIntegerOp(mlir::Operation *op,
             llvm::function_ref<const HostArray &(mlir::Value)> get,
             llvm::function_ref<HostArray &(mlir::Value)> define);

/// Whether runIntegerOp handles `op` (otherwise the float path may).
bool isIntegerComputeOp(mlir::Operation *op);

/// Bilinear upsampling of an NCHW array by sh x sw with the device kernel's
/// taps (tfk/resize.h): in float, or (`integer`) on int8 codes with its
/// floor((acc + D / 2) / D) rounding.
void resizeBilinear(const HostArray &x, HostArray &y, int64_t sh, int64_t sw,
                    bool integer);

} // namespace tinyformer::detail

#endif // TINYFORMER_LIB_REFERENCE_INTEGEROPS_H
