//===- LayerEmitter.h - building one layer function -------------*- C++ -*-===//
//
// What every kernel's lowering needs to build the body of a layer function
// `void layer(const int8_t *in, int8_t *out, void *arena)`: the addresses of
// the op's buffers in the arena, constant globals for packed weights and
// tables, calls of tfk_* kernels with constant arguments.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_KERNELS_LAYEREMITTER_H
#define TINYFORMER_KERNELS_LAYEREMITTER_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tinyformer {

class LayerEmitter {
public:
  LayerEmitter(mlir::ModuleOp module, mlir::OpBuilder &b, llvm::StringRef prefix,
               mlir::Location loc, mlir::Value in, mlir::Value out,
               mlir::Value arena, int64_t layer)
      : module(module), b(b), prefix(prefix), loc(loc), in(in), out(out),
        arena(arena), layer(layer) {}

  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }
  mlir::ModuleOp getModule() { return module; }
  /// Name prefix of this layer's symbols (`tf_<model>_l<index>`).
  std::string symbolPrefix() const {
    return prefix + "_l" + std::to_string(layer);
  }

  /// An i32 constant.
  mlir::Value i32(int64_t v);
  /// An i64 constant.
  mlir::Value i64(int64_t v);
  /// The address of `v` (an operand or result of `op`): the caller's input
  /// or output buffer, its planned arena offset, or a constant global.
  mlir::Value ptrTo(mlir::Operation *op, mlir::Value v);
  /// The op's planned scratch (a null pointer when it has none).
  mlir::Value scratch(mlir::Operation *op);
  /// A constant global of `data` (8-byte aligned), and its address.
  template <typename T>
  mlir::Value global(llvm::StringRef what, llvm::ArrayRef<T> data);
  /// A call of the external kernel `kernel` (declared on first use).
  void call(llvm::StringRef kernel, mlir::ValueRange args);
  /// `base + bytes`.
  mlir::Value at(mlir::Value base, int64_t bytes);
  /// `base + index * stride` (an i32 index, e.g. a repeat's).
  mlir::Value at(mlir::Value base, mlir::Value index, int64_t stride);
  /// `body(i)` for i = 0 .. count-1 in the layer function (emitLoop).
  void repeat(int64_t count, llvm::function_ref<void(mlir::Value)> body);
  /// memcpy(dst, src, bytes).
  void copy(mlir::Value dst, mlir::Value src, int64_t bytes);

private:
  mlir::ModuleOp module;
  mlir::OpBuilder &b;
  std::string prefix;
  mlir::Location loc;
  mlir::Value in, out, arena;
  int64_t layer;
  int64_t constants = 0;
};

/// Emits `for (i = 0; i < n; ++i) body(i)` (an i32 i) at the builder's
/// position, not unrolled (once, without a loop, when n is 1); the builder
/// continues after the loop.
void emitLoop(mlir::OpBuilder &b, mlir::Location loc, int64_t n,
              llvm::function_ref<void(mlir::Value)> body);

} // namespace tinyformer

#endif // TINYFORMER_KERNELS_LAYEREMITTER_H
