//===- LayerStats.h - per-layer size and work of a model -------*- C++ -*-===//
#ifndef TINYFORMER_ANALYSIS_LAYERSTATS_H
#define TINYFORMER_ANALYSIS_LAYERSTATS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace tinyformer {

/// What one compute op of a model holds and does: the figures `tinyformer
/// inspect` prints and the cost model starts from.
struct LayerStats {
  std::string name; ///< The ONNX node it came from.
  std::string op;   ///< The sparse_tiny op, e.g. "conv2d".
  llvm::SmallVector<int64_t> outputShape;
  int64_t weights = 0; ///< Elements of constant weight operands.
  int64_t biases = 0;  ///< Elements of constant bias operands.
  int64_t macs = 0;    ///< Multiply-accumulates (conv, linear, matmul).
  int64_t outputElements = 0;
  int64_t outputBytes = 0; ///< At the output's element type.
};

struct ModelStats {
  std::vector<LayerStats> layers;
  int64_t params = 0, macs = 0;
  int64_t floatWeightBytes = 0; ///< Every parameter as f32.
  int64_t int8WeightBytes = 0;  ///< Weights as int8, biases as int32.
  int64_t largestActivationBytes = 0;
  std::string largestActivationLayer;
};

/// One row per compute op of `func` (constants and the dequantize/transpose
/// chains that only prepare weights are not layers).
ModelStats collectModelStats(mlir::func::FuncOp func);

} // namespace tinyformer

#endif // TINYFORMER_ANALYSIS_LAYERSTATS_H
