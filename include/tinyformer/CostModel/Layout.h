//===- Layout.h - how INT8 activations sit in memory ------------*- C++ -*-===//
//
// 4-D activations (logically NCHW) are stored NHWC, as the kernels read
// them; every other rank is stored in its logical row-major order. A
// reshape is free when it does not change the byte order, or when it
// flattens NHWC into the features of fully_connected layers only (their
// weight columns are permuted offline instead); otherwise it is a copy in
// a new order ("relayout").
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_COSTMODEL_LAYOUT_H
#define TINYFORMER_COSTMODEL_LAYOUT_H

#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

namespace tinyformer {

/// Whether the stored byte order of a value of `type` is its logical
/// row-major order (rank != 4, or 4-D with C == 1 or H * W == 1).
bool storedInLogicalOrder(mlir::ShapedType type);

/// Alias: same bytes; AliasPermutedFeatures: an NHWC flatten into a linear
/// layer (its weight columns are permuted instead); AliasTokens: an NCHW
/// [N, C, H, W] stored NHWC reshaped to [N, C, H*W] and only transposed to
/// [N, H*W, C] (flatten(2).transpose(1, 2)), or tokens transposed to
/// [N, C, H*W] and reshaped to [N, C, H, W] (the way back): the NHWC bytes;
/// Relayout: a copy between NHWC and logical order.
enum class ReshapeKind {
  Alias,
  AliasPermutedFeatures,
  AliasTokens,
  Relayout,
  Unsupported
};
ReshapeKind classifyReshape(mlir::sparse_tiny::ReshapeOp op);

/// The transpose(0, 2, 1) completing an AliasTokens reshape (possibly
/// through requantizations): free, the bytes are already tokens.
bool isTokenFlatten(mlir::sparse_tiny::TransposeOp op);

/// The way back: tokens [N, H*W, C] transposed to [N, C, H*W] and only
/// reshaped to an NCHW [N, C, H, W] map (possibly through requantizations):
/// the token bytes are that map's NHWC bytes, so both are free.
bool isTokenUnflatten(mlir::sparse_tiny::TransposeOp op);

/// For a fully_connected fed by an NHWC flatten: logical feature index of
/// each stored feature (empty when the input is in logical order).
std::vector<int64_t> storedFeatureOrder(mlir::sparse_tiny::FullyConnectedOp op);

} // namespace tinyformer

#endif // TINYFORMER_COSTMODEL_LAYOUT_H
