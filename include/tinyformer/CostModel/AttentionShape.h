//===- AttentionShape.h - an attention block's dims and tile ----*- C++ -*-===//
//
// Plain data (no MLIR): the memory planner and the cost library use it.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_COSTMODEL_ATTENTIONSHAPE_H
#define TINYFORMER_COSTMODEL_ATTENTIONSHAPE_H

#include <cstdint>

namespace tinyformer {

/// An mhsa op's dims and its tile: heads_per_step heads have their Q, K, V
/// in scratch at once, rows_per_step query rows of one head their scores.
/// `batch` sequences run one after the other through the same scratch.
struct AttentionShape {
  int64_t tokens = 0, embed = 0, heads = 1, batch = 1;
  int64_t biasHeads = 0; ///< heads of the score bias (0: none)
  int64_t headsPerStep = 1, rowsPerStep = 1;
  bool fusedQk = false;
};

/// Scratch of the depth-first kernel for that tile.
int64_t attentionScratchBytes(const AttentionShape &a);

/// What the op would hold without tiling: Q, K, V of all heads and all H
/// S x S attention maps at once.
int64_t attentionUntiledBytes(const AttentionShape &a);

} // namespace tinyformer

#endif // TINYFORMER_COSTMODEL_ATTENTIONSHAPE_H
