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

enum class ReshapeKind { Alias, AliasPermutedFeatures, Relayout, Unsupported };
ReshapeKind classifyReshape(mlir::sparse_tiny::ReshapeOp op);

/// For a fully_connected fed by an NHWC flatten: logical feature index of
/// each stored feature (empty when the input is in logical order).
std::vector<int64_t> storedFeatureOrder(mlir::sparse_tiny::FullyConnectedOp op);

} // namespace tinyformer

#endif // TINYFORMER_COSTMODEL_LAYOUT_H
