//===- KernelFamilies.h - the kernels' pieces, by family --------*- C++ -*-===//
//
// Private to lib/Kernels: what each family file defines for the registry
// (which ops a kernel serves, its sizes, its lowering) and the helpers the
// lowerings share. KernelRegistry.cpp puts them together, one entry per
// kernel.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_LIB_KERNELS_KERNELFAMILIES_H
#define TINYFORMER_LIB_KERNELS_KERNELFAMILIES_H

#include "tinyformer/Kernels/KernelRegistry.h"
#include "tinyformer/Quant/IntegerRules.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <vector>

namespace tinyformer {

// Shared by the lowerings.
struct Dims {
  int64_t h, w, c;
};
/// Dims of a 4-D NCHW type as stored (N, H, W, C).
Dims nhwc(mlir::Value v);
int64_t elementsOf(mlir::Value v);
std::vector<int32_t> multsOf(llvm::ArrayRef<Multiplier> ms);
std::vector<int32_t> shiftsOf(llvm::ArrayRef<Multiplier> ms);
/// TFK_W_INT8 / TFK_W_INT16 from the chosen kernel's weight storage.
int32_t variantOf(mlir::Operation *op);

// Conv family (ConvKernels.cpp): conv2d, depthwise_conv2d, fully_connected.
bool servesConv2D(mlir::Operation *op);
bool servesDepthwise(mlir::Operation *op);
bool servesFullyConnected(mlir::Operation *op);
void sizesConv(mlir::Operation *op, WeightStorage storage, LayerCost &cost);
void sizesFullyConnected(mlir::Operation *op, WeightStorage storage,
                         LayerCost &cost);
mlir::LogicalResult lowerConv2D(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerDepthwise(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerFullyConnected(LayerEmitter &e, mlir::Operation *op);

// Elementwise family (ElementwiseKernels.cpp).
bool servesAdd(mlir::Operation *op);
bool servesMul(mlir::Operation *op);
bool servesRequantize(mlir::Operation *op);
bool servesMaxPool(mlir::Operation *op);
bool servesAvgPool(mlir::Operation *op);
bool servesLut(mlir::Operation *op);
void sizesAvgPool(mlir::Operation *op, WeightStorage, LayerCost &cost);
void sizesLut(mlir::Operation *op, WeightStorage, LayerCost &cost);
mlir::LogicalResult lowerAdd(LayerEmitter &e, mlir::Operation *op);
// The add with each input's rescale from a 256-entry table per input.
void sizesAddTable(mlir::Operation *op, WeightStorage, LayerCost &cost);
mlir::LogicalResult lowerAddTable(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerMul(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerRequantize(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerMaxPool(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerAvgPool(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerLut(LayerEmitter &e, mlir::Operation *op);

// Data movement (DataMovementKernels.cpp).
bool servesAlias(mlir::Operation *op);
bool servesTranspose(mlir::Operation *op);
bool servesRelayout(mlir::Operation *op);
bool servesConcat(mlir::Operation *op);
bool servesSlice(mlir::Operation *op);
void sizesConcat(mlir::Operation *op, WeightStorage, LayerCost &cost);
bool servesResizeNearest(mlir::Operation *op);
bool servesResizeBilinear(mlir::Operation *op);
bool servesDepthToSpace(mlir::Operation *op);
bool servesShuffle(mlir::Operation *op);
void sizesShuffle(mlir::Operation *op, WeightStorage, LayerCost &cost);
void sizesDepthToSpace(mlir::Operation *op, WeightStorage, LayerCost &cost);
void sizesResizeBilinear(mlir::Operation *op, WeightStorage, LayerCost &cost);
bool servesPad(mlir::Operation *op);
bool servesPRelu(mlir::Operation *op);
mlir::LogicalResult lowerPRelu(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerPad(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerTranspose(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerConcat(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerSlice(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerResizeNearest(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerResizeBilinear(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerDepthToSpace(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerShuffle(LayerEmitter &e, mlir::Operation *op);

// Sparse layers (SparseKernels.cpp): nonzeros as code.
/// Nonzeros of a constant weight (its encoding's count when recorded); -1
/// when it is not a constant.
int64_t weightNonzeros(mlir::Value weight);
bool servesSparseCode(mlir::Operation *op);
void sizesSparseCode(mlir::Operation *op, WeightStorage, LayerCost &cost);
mlir::LogicalResult lowerSparseCode(LayerEmitter &e, mlir::Operation *op);
// TinyFormer's run-length format (the baseline), by the runtime's
// tfk_sparse_rle_s8.
void sizesSparseRle(mlir::Operation *op, WeightStorage, LayerCost &cost);
mlir::LogicalResult lowerSparseRle(LayerEmitter &e, mlir::Operation *op);
// Sparse linear products for other kernels (the projections of sparse_mhsa),
// as code or (`csr`) as a nonzero stream: the cost of one over `tokens`
// tokens, K inputs, N outputs and `nnz` nonzeros, added to `cost`; the bytes
// of its packed input; packing an input for it; and `void <layer>_<tag>(const
// int8_t *in, int8_t *out, void *packed)`, which packs `in` first when
// `packs` (else `packed` already holds it).
void addSparseLinearCost(int64_t tokens, int64_t k, int64_t n, int64_t nnz,
                         bool csr, LayerCost &cost);
int64_t sparseLinearPackedBytes(int64_t tokens, int64_t k);
void emitSparseLinearPack(LayerEmitter &e, mlir::Value in, mlir::Value packed,
                          const ConvRules &r, int64_t tokens, int64_t k);
mlir::LLVM::LLVMFuncOp emitSparseLinearFn(LayerEmitter &e, llvm::StringRef tag,
                                          const ConvRules &r, int64_t tokens,
                                          bool packs, bool csr);
// Its compact twin: a loop over a nonzero stream (serves the same ops).
void sizesSparseCsr(mlir::Operation *op, WeightStorage, LayerCost &cost);
mlir::LogicalResult lowerSparseCsr(LayerEmitter &e, mlir::Operation *op);

// Transformer family (TransformerKernels.cpp).
bool servesMhsa(mlir::Operation *op);
bool servesBatchMatmul(mlir::Operation *op);
bool servesSoftmax(mlir::Operation *op);
bool servesLayerNorm(mlir::Operation *op);
void sizesMhsa(mlir::Operation *op, WeightStorage storage, LayerCost &cost);
void sizesBatchMatmul(mlir::Operation *op, WeightStorage, LayerCost &cost);
void sizesSoftmax(mlir::Operation *op, WeightStorage, LayerCost &cost);
void sizesLayerNorm(mlir::Operation *op, WeightStorage, LayerCost &cost);
mlir::LogicalResult lowerMhsa(LayerEmitter &e, mlir::Operation *op);
// With pruned projections as sparse code (sparse_mhsa) or nonzero streams
// (sparse_mhsa_csr).
bool servesSparseMhsa(mlir::Operation *op);
void sizesSparseMhsa(mlir::Operation *op, WeightStorage, LayerCost &cost);
void sizesSparseMhsaCsr(mlir::Operation *op, WeightStorage, LayerCost &cost);
mlir::LogicalResult lowerSparseMhsa(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerSparseMhsaCsr(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerBatchMatmul(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerSoftmax(LayerEmitter &e, mlir::Operation *op);
mlir::LogicalResult lowerLayerNorm(LayerEmitter &e, mlir::Operation *op);

} // namespace tinyformer

#endif // TINYFORMER_LIB_KERNELS_KERNELFAMILIES_H
