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

#include "tinyformer/CostModel/AttentionShape.h"

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

/// An mhsa op's dims, its tile from `sparse_tiny.heads_per_step` /
/// `sparse_tiny.rows_per_step` (all heads and rows when absent).
AttentionShape attentionShape(mlir::Operation *op);

} // namespace tinyformer

#endif // TINYFORMER_COSTMODEL_COSTMODEL_H
