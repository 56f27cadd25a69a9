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

void LayerEmitter::copy(Value dst, Value src, int64_t bytes) {
  Value len = b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                         b.getI32IntegerAttr(int32_t(bytes)));
  b.create<LLVM::MemcpyOp>(loc, dst, src, len, /*isVolatile=*/false);
}

template Value LayerEmitter::global<int8_t>(StringRef, ArrayRef<int8_t>);
template Value LayerEmitter::global<int32_t>(StringRef, ArrayRef<int32_t>);
template Value LayerEmitter::global<int64_t>(StringRef, ArrayRef<int64_t>);

} // namespace tinyformer
