//===- AttentionPattern.h - the decomposed self-attention pattern -*- C++ -*-===//
//
// What exporters write for multi-head self-attention, found around a
// softmax: Q/K/V linear layers from one input, reshapes/transposes that
// split heads, matmul Q·Kᵀ, an optional scale, softmax, matmul with V, the
// head merge and the output linear layer; or, after fused-weight attention,
// the same with K being the input itself. Canonicalization fuses float
// blocks into `mhsa`; sparse-tiny-fuse-attention fuses quantized ones.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_DIALECT_SPARSETINY_IR_ATTENTIONPATTERN_H
#define TINYFORMER_DIALECT_SPARSETINY_IR_ATTENTIONPATTERN_H

#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include <optional>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace tinyformer {

struct AttentionMatch {
  mlir::sparse_tiny::SoftmaxOp softmax;
  mlir::sparse_tiny::MatMulOp qk, av;
  mlir::sparse_tiny::FullyConnectedOp qFc, kFc, vFc, out; ///< kFc null: K = x
  mlir::Value x;                 ///< the input of the projections
  mlir::Value qSrc, kSrc, vSrc;  ///< where the Q, K, V chains start
  /// The scales (mul / div) and the bias add between Q·Kᵀ and the softmax.
  llvm::SmallVector<mlir::Operation *> scoreOps;
  double scale = 1;
  /// A constant added to the scores, as the op's score_bias: [biasHeads, S,
  /// S] (biasHeads 1 or H; empty: none), times the scales after the add.
  std::vector<float> bias;
  int64_t biasHeads = 0;
  int64_t heads = 1, tokens = 0, embed = 0;
  /// Sequences attended to independently (MobileViT's patch pixels), and
  /// whether the projections' input / the output projection hold their
  /// tokens seq-first ([S, B, E], torch's nn.MultiheadAttention inside)
  /// rather than batch-first ([B, S, E]).
  int64_t batch = 1;
  bool inputSeqFirst = false, outputSeqFirst = false;
  /// Reshapes / transposes (and, in float Q and K chains, scales) in
  /// program order: from qSrc to Q·Kᵀ's lhs, kSrc
  /// to its rhs, vSrc to A·V's rhs, and A·V's result to the out projection.
  llvm::SmallVector<mlir::Operation *> qChain, kChain, vChain, merge;
};

/// The attention block around `softmax`, verified element by element, with
/// every intermediate value used once and the shapes the `mhsa` verifier
/// accepts; nullopt when it is not exactly that. When the softmax sits
/// between two matmuls (attention-shaped) but the rest does not match,
/// `whyNot` gets the reason; otherwise it is left alone.
std::optional<AttentionMatch> matchAttention(mlir::sparse_tiny::SoftmaxOp softmax,
                                             std::string *whyNot = nullptr);

/// Patterns that split a packed Q/K/V projection (one linear layer whose
/// output is sliced, directly or after a head-split reshape / transpose)
/// into one linear layer per slice, the form matchAttention takes
/// (SplitPackedProjection.cpp; also slice canonicalization).
void populateSplitPackedProjectionPatterns(mlir::RewritePatternSet &patterns);

/// The `mhsa` op replacing `m` (created at `m.out`, not yet replacing it),
/// between reshapes when the block's input / output shape is not the op's;
/// returns the value that replaces `m.out`. With `withTypes`, the
/// intermediate values' element types become its query_type ...
/// context_type (for quantized blocks).
mlir::Value buildAttention(mlir::OpBuilder &b, AttentionMatch &m,
                           bool withTypes);

/// The ops of `m` in an order in which each can be erased once the output
/// projection's uses are replaced (users first).
llvm::SmallVector<mlir::Operation *> attentionOpsToErase(AttentionMatch &m);

/// The decomposed float ops computing `op` (the pattern matchAttention
/// finds, fused_qk included), built before `op`; returns the result.
mlir::Value expandAttention(mlir::OpBuilder &b,
                            mlir::sparse_tiny::MultiHeadAttentionOp op);

/// Multiply-accumulates of `op`: the projections, then Q·Kᵀ and A·V per
/// head (what the decomposed block would do).
int64_t attentionMacs(mlir::sparse_tiny::MultiHeadAttentionOp op);

/// The scalar a mul / div by a constant splat multiplies by (1 / c for a
/// div); nullopt otherwise.
std::optional<double> constantScaleOf(mlir::Operation *op);

} // namespace tinyformer

#endif // TINYFORMER_DIALECT_SPARSETINY_IR_ATTENTIONPATTERN_H
