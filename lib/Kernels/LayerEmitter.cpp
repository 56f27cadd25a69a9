//===- LayerEmitter.cpp - building one layer function ---------------------===//
#include "tinyformer/Kernels/LayerEmitter.h"

#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

Value LayerEmitter::i32(int64_t v) {
  return b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                    b.getI32IntegerAttr(int32_t(v)));
}

Value LayerEmitter::i64(int64_t v) {
  return b.create<LLVM::ConstantOp>(loc, b.getI64Type(), b.getI64IntegerAttr(v));
}

Value LayerEmitter::ptrTo(Operation *user, Value v) {
  Operation *def = v.getDefiningOp();
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  if (!def)
    return in;
  if (isa<ConstantOp>(def)) {
    // A constant activation (class token, position embedding).
    std::optional<std::vector<int64_t>> ints = getConstantInts(v);
    assert(ints && "constant activation without integers");
    std::vector<int8_t> bytes(ints->begin(), ints->end());
    return global("const" + std::to_string(constants++), ArrayRef<int8_t>(bytes));
  }
  if (auto buffer = def->getAttrOfType<StringAttr>(attr::kBuffer))
    return buffer.getValue() == "input" ? in : out;
  auto offset = def->getAttrOfType<IntegerAttr>(attr::kOffset);
  assert(offset && "planned value without an offset");
  return b.create<LLVM::GEPOp>(loc, ptrTy, b.getI8Type(), arena,
                               ArrayRef<LLVM::GEPArg>{int32_t(offset.getInt())});
}

Value LayerEmitter::scratch(Operation *op) {
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  auto offset = op->getAttrOfType<IntegerAttr>(attr::kScratchOffset);
  if (!offset)
    return b.create<LLVM::ZeroOp>(loc, ptrTy);
  return b.create<LLVM::GEPOp>(loc, ptrTy, b.getI8Type(), arena,
                               ArrayRef<LLVM::GEPArg>{int32_t(offset.getInt())});
}

/// A constant global of `data` (8-byte aligned) and its address.
template <typename T>
Value LayerEmitter::global(StringRef what, ArrayRef<T> data) {
  OpBuilder::InsertPoint ip = b.saveInsertionPoint();
  b.setInsertionPointToStart(module.getBody());
  std::string name = symbolPrefix() + "_" + what.str();
  Type elem = b.getIntegerType(8 * sizeof(T));
  auto type = LLVM::LLVMArrayType::get(elem, data.size());
  auto value = DenseElementsAttr::get(
      RankedTensorType::get({int64_t(data.size())}, elem), data);
  auto g = b.create<LLVM::GlobalOp>(loc, type, /*isConstant=*/true,
                                    LLVM::Linkage::Internal, name, value,
                                    /*alignment=*/8);
  b.restoreInsertionPoint(ip);
  return b.create<LLVM::AddressOfOp>(loc, g);
}

void LayerEmitter::call(StringRef kernel, ValueRange args) {
  auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kernel);
  if (!fn) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto type = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(b.getContext()),
        llvm::to_vector(args.getTypes()));
    fn = b.create<LLVM::LLVMFuncOp>(loc, kernel, type);
  }
  b.create<LLVM::CallOp>(loc, fn, args);
}

Value LayerEmitter::at(Value base, int64_t bytes) {
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  return b.create<LLVM::GEPOp>(loc, ptrTy, b.getI8Type(), base,
                               ArrayRef<LLVM::GEPArg>{int32_t(bytes)});
}

Value LayerEmitter::at(Value base, Value index, int64_t stride) {
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  Value bytes = b.create<LLVM::MulOp>(loc, index, i32(stride));
  return b.create<LLVM::GEPOp>(loc, ptrTy, b.getI8Type(), base,
                               ArrayRef<LLVM::GEPArg>{bytes});
}

/// Emits `for (i = 0; i < n; ++i) body(i)` at the builder's position; the
/// builder continues after the loop.
void emitLoop(OpBuilder &b, Location loc, int64_t n,
              function_ref<void(Value)> body) {
  if (n == 1) {
    body(b.create<LLVM::ConstantOp>(loc, b.getI32Type(), b.getI32IntegerAttr(0)));
    return;
  }
  Block *before = b.getInsertionBlock();
  Region *region = before->getParent();
  Block *header = new Block(), *bodyBlock = new Block(), *exit = new Block();
  region->push_back(header);
  region->push_back(bodyBlock);
  region->push_back(exit);
  Value i = header->addArgument(b.getI32Type(), loc);
  Value zero = b.create<LLVM::ConstantOp>(loc, b.getI32Type(), b.getI32IntegerAttr(0));
  b.create<LLVM::BrOp>(loc, ValueRange{zero}, header);
  b.setInsertionPointToStart(header);
  Value limit = b.create<LLVM::ConstantOp>(loc, b.getI32Type(), b.getI32IntegerAttr(int32_t(n)));
  Value more = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, i, limit);
  b.create<LLVM::CondBrOp>(loc, more, bodyBlock, exit);
  b.setInsertionPointToStart(bodyBlock);
  body(i);
  Value one = b.create<LLVM::ConstantOp>(loc, b.getI32Type(), b.getI32IntegerAttr(1));
  Value next = b.create<LLVM::AddOp>(loc, i, one);
  // Not unrolled: a body is a whole pass (or row) of generated code, and
  // copies of it are flash that a budget counts (LLVM unrolled the 8
  // passes of a linear layer over 64 tokens once its body was small).
  MLIRContext *ctx = b.getContext();
  auto noUnroll = LLVM::LoopAnnotationAttr::get(
      ctx, {}, {}, {},
      LLVM::LoopUnrollAttr::get(ctx, b.getBoolAttr(true), {}, {}, {}, {}, {}, {}),
      {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});
  b.create<LLVM::BrOp>(loc, ValueRange{next}, header)
      .setLoopAnnotationAttr(noUnroll);
  b.setInsertionPointToStart(exit);
}

void LayerEmitter::repeat(int64_t count, function_ref<void(Value)> body) {
  emitLoop(b, loc, count, body);
}

void LayerEmitter::copy(Value dst, Value src, int64_t bytes) {
  Value len = b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                         b.getI32IntegerAttr(int32_t(bytes)));
  b.create<LLVM::MemcpyOp>(loc, dst, src, len, /*isVolatile=*/false);
}

template Value LayerEmitter::global<int8_t>(StringRef, ArrayRef<int8_t>);
template Value LayerEmitter::global<int16_t>(StringRef, ArrayRef<int16_t>);
template Value LayerEmitter::global<int32_t>(StringRef, ArrayRef<int32_t>);
template Value LayerEmitter::global<int64_t>(StringRef, ArrayRef<int64_t>);

} // namespace tinyformer
