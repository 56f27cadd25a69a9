//===- CostModel.h - what an INT8 layer costs on a Cortex-M -----*- C++ -*-===//
//
// The shape side of "what does this op cost": the work of an op (MACs or
// elements) and the attention tile's sizes. The per-kernel rates and sizes
// are in the kernel registry (tinyformer/Kernels/KernelRegistry.h), whose
// estimateCost answers for kernel selection, the compile report and (later)
// the NAS drivers: estimated executed instructions (α per MAC or element +
// β per output, fitted to emulator counts), flash and scratch bytes.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_COSTMODEL_COSTMODEL_H
#define TINYFORMER_COSTMODEL_COSTMODEL_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace tinyformer {

struct LayerCost {
  int64_t macs = 0;         ///< multiply-accumulates (or elements moved)
  int64_t kernelMacs = 0;   ///< those the kernel performs (sparse: fewer)
  int64_t instructions = 0; ///< estimate
  /// The part of the estimate the kernel's sizes function adds (packing,
  /// loop overheads), before the rates: what a fit of the rates subtracts.
  int64_t sizedInstructions = 0;
  int64_t flashBytes = 0;   ///< packed weights and tables
  int64_t scratchBytes = 0; ///< kernel scratch in the arena
};

/// Multiply-accumulates of conv / linear ops, elements for the others.
int64_t workOf(mlir::Operation *op);

/// Bytes of the activations `op` reads and writes (not its constants): all
/// live in the arena while it runs.
int64_t activationBytesOf(mlir::Operation *op);

/// An mhsa op's dims and its tile: heads_per_step heads have their Q, K, V
/// in scratch at once, rows_per_step query rows of one head their scores.
/// Read from the op (the tile from `sparse_tiny.heads_per_step` /
/// `sparse_tiny.rows_per_step`, all heads and rows when absent).
struct AttentionShape {
  int64_t tokens = 0, embed = 0, heads = 1;
  int64_t headsPerStep = 1, rowsPerStep = 1;
  bool fusedQk = false;
};
AttentionShape attentionShape(mlir::Operation *op);

/// Scratch of the depth-first kernel for that tile.
int64_t attentionScratchBytes(const AttentionShape &a);

/// What the op would hold without tiling: Q, K, V of all heads and all H
/// S x S attention maps at once.
int64_t attentionUntiledBytes(const AttentionShape &a);

} // namespace tinyformer

#endif // TINYFORMER_COSTMODEL_COSTMODEL_H
