//===- AttentionPattern.h - the decomposed self-attention pattern -*- C++ -*-===//
//
// What exporters write for multi-head self-attention, found around a
// softmax: Q/K/V linear layers from one input, reshapes/transposes that
// split heads, matmul Q·Kᵀ, an optional scale, softmax, matmul with V, the
// head merge and the output linear layer; or, after fused-weight attention,
// the same with K being the input itself. Shared by the passes that fuse
// it (sparse-tiny-fuse-attention) and rewrite it (sparse-tiny-fuse-qk-weights).
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_LIB_TRANSFORMS_ATTENTIONPATTERN_H
#define TINYFORMER_LIB_TRANSFORMS_ATTENTIONPATTERN_H

#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include <optional>

namespace tinyformer {

struct AttentionMatch {
  mlir::sparse_tiny::SoftmaxOp softmax;
  mlir::sparse_tiny::MatMulOp qk, av;
  mlir::sparse_tiny::FullyConnectedOp qFc, kFc, vFc, out; ///< kFc null: K = x
  mlir::Value x;                 ///< the input of the projections
  mlir::Value qSrc, kSrc, vSrc;  ///< where the Q, K, V chains start
  mlir::Operation *scaleOp = nullptr; ///< the mul / div, if any
  double scale = 1;
  int64_t heads = 1, tokens = 0, embed = 0;
  /// Reshapes / transposes in program order: from qSrc to Q·Kᵀ's lhs, kSrc
  /// to its rhs, vSrc to A·V's rhs, and A·V's result to the out projection.
  llvm::SmallVector<mlir::Operation *> qChain, kChain, vChain, merge;
};

/// The attention block around `softmax`, verified element by element, with
/// every intermediate value used once; nullopt when it is not exactly that.
std::optional<AttentionMatch> matchAttention(mlir::sparse_tiny::SoftmaxOp softmax);

} // namespace tinyformer

#endif // TINYFORMER_LIB_TRANSFORMS_ATTENTIONPATTERN_H
