//===- KernelRegistry.h - one entry per kernel ------------------*- C++ -*-===//
//
// Every kernel the compiler can emit is one entry here: which ops it
// computes, what it costs per target CPU (instructions, flash, scratch),
// how memory planning may place its output, and how it is lowered. Kernel
// selection, memory planning, lowering and the compile report read this
// table and nothing else, so a new kernel is one new entry (plus its case
// in the KernelKind enum of SparseTinyAttrs.td).
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_KERNELS_KERNELREGISTRY_H
#define TINYFORMER_KERNELS_KERNELREGISTRY_H

#include "tinyformer/CostModel/ArenaPlan.h"
#include "tinyformer/CostModel/CostModel.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace tinyformer {

class LayerEmitter;

using mlir::sparse_tiny::KernelAttr;
using mlir::sparse_tiny::KernelKind;
using mlir::sparse_tiny::TargetCpu;
using mlir::sparse_tiny::WeightStorage;

/// Instructions per MAC (or element) with int8 / int16 weights, per output,
/// and per call, fitted to emulator counts of the generated code on one CPU.
struct Rates {
  double alpha8 = 0, alpha16 = 0, beta = 0, gamma = 0;
};

struct KernelInfo {
  KernelKind kind;
  /// Whether this kernel computes `op` (its kind, shapes and layouts).
  bool (*serves)(mlir::Operation *op);
  /// Rates on cortex-m4 and on cortex-m7 (indexed by TargetCpu).
  Rates rates[2];
  /// Flash and scratch bytes and extra instructions beyond the rates
  /// (packed weights, tables, index data); null when there are none.
  void (*sizes)(mlir::Operation *op, WeightStorage storage, LayerCost &cost);
  /// Planning: a buffer of its own (fresh), or over an input that dies
  /// here: of the same size (inPlace, elementwise), its tokens (linear
  /// layers over tokens, MCUFormer's token overwriting) or its rows (the
  /// dense conv); alias for the kernel that moves nothing.
  OutputPlacement placement = OutputPlacement::fresh;
  /// Emits the layer function's body (null: no code, e.g. an alias).
  mlir::LogicalResult (*lower)(LayerEmitter &emitter, mlir::Operation *op);

  bool hasWeights() const { return KernelAttr::hasWeights(kind); }
};

/// The whole table (kernels of a family side by side).
llvm::ArrayRef<KernelInfo> kernelRegistry();
const KernelInfo &kernelInfo(KernelKind kind);
/// How `op`, run by `kernel`, may place its output: the kernel's placement
/// and the geometry of `op` it needs (tokens, or a conv's rows).
void placeOutput(mlir::Operation *op, const KernelInfo &kernel, PlanOp &p);

/// The kernels that compute `op`, in registry order (empty: none does).
llvm::SmallVector<const KernelInfo *> kernelsFor(mlir::Operation *op);

/// Cost of `op` computed by `kernel` with `storage` weights on `cpu`.
LayerCost estimateCost(mlir::Operation *op, const KernelInfo &kernel,
                       WeightStorage storage, TargetCpu cpu);

/// What kernel selection may choose from (sparse-tiny-select-kernels'
/// options).
struct SelectionPolicy {
  std::string sparse = "auto";        ///< auto | off | force
  std::string sparseFormat = "auto";  ///< auto | code | csr | rle
  std::string weightStorage = "auto"; ///< auto | int8 | int16
  TargetCpu cpu = TargetCpu::cortex_m4;
  int64_t sramLimit = 0; ///< bytes a sparse kernel's scratch must fit; 0: any
};

struct KernelCandidate {
  const KernelInfo *kernel;
  WeightStorage storage;
  LayerCost cost;
};

/// `op`'s candidates (kernel, weight storage) under `policy`, priced for
/// its CPU: a sparse kernel larger than the smallest dense one only when
/// it saves a margin beyond the estimates' error; under `force`, only the
/// sparse ones where one serves. Empty: none fits the SRAM limit.
llvm::SmallVector<KernelCandidate> kernelCandidates(mlir::Operation *op,
                                                    const SelectionPolicy &policy);

/// The kernel selection chose for `op` (null before selection).
KernelAttr chosenKernel(mlir::Operation *op);

/// The module's target CPU (cortex-m4 when none is recorded).
TargetCpu targetCpuOf(mlir::Operation *op);

/// "cortex-m4" / "cortex-m7" <-> TargetCpu.
std::optional<TargetCpu> parseTargetCpu(llvm::StringRef name);
llvm::StringRef targetCpuName(TargetCpu cpu);

} // namespace tinyformer

#endif // TINYFORMER_KERNELS_KERNELREGISTRY_H
