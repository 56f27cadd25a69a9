//===- Passes.h - TinyFormer compiler passes --------------------*- C++ -*-===//
#ifndef TINYFORMER_TRANSFORMS_PASSES_H
#define TINYFORMER_TRANSFORMS_PASSES_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Quant/QuantOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

namespace tinyformer {

#define GEN_PASS_DECL
#include "tinyformer/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tinyformer/Transforms/Passes.h.inc"

/// Attribute names the passes hand to each other.
namespace attr {
/// On each INT8 op: the #sparse_tiny.kernel<...> selection chose, and the
/// alternatives it weighed (an array of #sparse_tiny.kernel<...>).
inline constexpr llvm::StringLiteral kKernel = "sparse_tiny.kernel";
inline constexpr llvm::StringLiteral kAlternatives = "sparse_tiny.alternatives";
/// On the module: #sparse_tiny<cpu ...>, the core the model is built for.
inline constexpr llvm::StringLiteral kTargetCpu = "sparse_tiny.target_cpu";
inline constexpr llvm::StringLiteral kOffset = "sparse_tiny.offset";
inline constexpr llvm::StringLiteral kScratchOffset = "sparse_tiny.scratch_offset";
inline constexpr llvm::StringLiteral kScratchBytes = "sparse_tiny.scratch_bytes";
inline constexpr llvm::StringLiteral kArenaSize = "sparse_tiny.arena_size";
inline constexpr llvm::StringLiteral kArenaLowerBound =
    "sparse_tiny.arena_lower_bound";
/// On the module: the plan itself, four integers per arena buffer (offset,
/// bytes, first and last step, steps counting the function's non-constant
/// ops in order), for memory maps.
inline constexpr llvm::StringLiteral kArenaMap = "sparse_tiny.arena_map";
/// On mhsa: its tile (heads with Q, K, V in scratch at once; query rows
/// with scores at once), chosen by memory planning.
inline constexpr llvm::StringLiteral kHeadsPerStep = "sparse_tiny.heads_per_step";
inline constexpr llvm::StringLiteral kRowsPerStep = "sparse_tiny.rows_per_step";
/// On a softmax between two matmuls that fuse-attention left alone: why.
inline constexpr llvm::StringLiteral kUnfusedAttention =
    "sparse_tiny.unfused_attention";
/// On the module: the arena a schedule without attention tiling would need.
inline constexpr llvm::StringLiteral kArenaUntiled = "sparse_tiny.arena_size_untiled";
/// On the function: where its input and output live ("input"/"output").
inline constexpr llvm::StringLiteral kBuffer = "sparse_tiny.buffer";
} // namespace attr

} // namespace tinyformer

#endif // TINYFORMER_TRANSFORMS_PASSES_H
