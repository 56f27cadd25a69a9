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

} // namespace tinyformer::detail

#endif // TINYFORMER_LIB_REFERENCE_INTEGEROPS_H
