//===- SparseTinyToLLVM.cpp - planned INT8 graph -> LLVM dialect ----------===//
//
// Each layer becomes a function whose body the chosen kernel's registry
// entry emits (lib/Kernels): typically the buffers' addresses in the arena
// and one tfk_* call (runtime/include/tfk/kernels.h) with constant shapes,
// zero points, clamps and weight storage, with weights, biases and
// requantization tables as constant globals packed on the host by the
// kernels' own packing code. tf-translate then links the kernels' bitcode
// and inlines it, which specialises every kernel to its layer.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Kernels/KernelRegistry.h"
#include "tinyformer/Kernels/LayerEmitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Debug.h"

namespace tinyformer {
#define GEN_PASS_DEF_LOWERTOLLVM
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

#define DEBUG_TYPE "sparse-tiny-lower-to-llvm"

using namespace mlir;
using namespace mlir::sparse_tiny;
using namespace tinyformer;

namespace {

/// The layer's name: the ONNX node name when the import recorded one.
std::string layerName(Operation *op, int64_t index) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return op->getName().stripDialect().str() + "_" + std::to_string(index);
}

struct LowerToLLVMPass : tinyformer::impl::LowerToLLVMBase<LowerToLLVMPass> {
  using LowerToLLVMBase::LowerToLLVMBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
    if (funcs.size() != 1 || funcs.front().getNumArguments() != 1 ||
        funcs.front().getNumResults() != 1) {
      module.emitError() << "lowering expects one function with one input "
                            "and one result";
      return signalPassFailure();
    }
    if (!module->hasAttr(attr::kArenaSize)) {
      module.emitError() << "run sparse-tiny-plan-memory before lowering";
      return signalPassFailure();
    }
    if (modelName.empty() ||
        !llvm::all_of(modelName, [](char c) { return llvm::isAlnum(c) || c == '_'; })) {
      module.emitError() << "model-name must be a C identifier part, got '"
                         << modelName << "'";
      return signalPassFailure();
    }
    func::FuncOp func = funcs.front();
    std::string prefix = "tf_" + modelName;
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    auto ptrTy = LLVM::LLVMPointerType::get(ctx);
    auto voidTy = LLVM::LLVMVoidType::get(ctx);
    Location loc = func.getLoc();

    // One function per layer: void layer(const int8_t*, int8_t*, void*).
    SmallVector<LLVM::LLVMFuncOp> layers;
    SmallVector<Attribute> names, ops, kernels;
    for (Operation &opRef : func.getBody().front()) {
      Operation *op = &opRef;
      if (isa<ConstantOp, func::ReturnOp>(op))
        continue;
      KernelAttr kernel = chosenKernel(op);
      if (!kernel) {
        op->emitOpError() << "has no kernel: run sparse-tiny-select-kernels";
        return signalPassFailure();
      }
      const KernelInfo &info = kernelInfo(kernel.getKind());
      if (!info.lower)
        continue; // no code: e.g. an alias of its input's bytes
      if (!info.serves(op)) {
        op->emitOpError() << "kernel "
                          << stringifyKernelKind(kernel.getKind())
                          << " does not compute this op";
        return signalPassFailure();
      }
      int64_t index = int64_t(layers.size());
      b.setInsertionPoint(func);
      auto fn = b.create<LLVM::LLVMFuncOp>(
          op->getLoc(), prefix + "_layer" + std::to_string(index),
          LLVM::LLVMFunctionType::get(voidTy, {ptrTy, ptrTy, ptrTy}),
          LLVM::Linkage::Internal);
      Block *entry = fn.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      LayerEmitter emitter(module, b, prefix, op->getLoc(), entry->getArgument(0),
                           entry->getArgument(1), entry->getArgument(2), index);
      if (failed(info.lower(emitter, op)))
        return signalPassFailure();
      LLVM_DEBUG(llvm::dbgs() << "layer " << index << ": "
                              << stringifyKernelKind(kernel.getKind()) << " for "
                              << op->getName() << " at " << op->getLoc() << "\n");
      b.create<LLVM::ReturnOp>(op->getLoc(), ValueRange{});
      layers.push_back(fn);
      names.push_back(b.getStringAttr(layerName(op, index)));
      ops.push_back(b.getStringAttr(op->getName().stripDialect()));
      kernels.push_back(b.getStringAttr(stringifyKernelKind(kernel.getKind())));
    }

    // int tf_<m>_invoke(const int8_t *in, int8_t *out, void *arena)
    b.setInsertionPoint(func);
    auto invoke = b.create<LLVM::LLVMFuncOp>(
        loc, prefix + "_invoke",
        LLVM::LLVMFunctionType::get(b.getI32Type(), {ptrTy, ptrTy, ptrTy}));
    {
      Block *entry = invoke.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      for (LLVM::LLVMFuncOp layer : layers)
        b.create<LLVM::CallOp>(loc, layer, entry->getArguments());
      Value zero = b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                              b.getI32IntegerAttr(0));
      b.create<LLVM::ReturnOp>(loc, zero);
    }
    // void tf_<m>_run_layer(int32_t i, const int8_t *in, int8_t *out, void *arena)
    b.setInsertionPoint(func);
    auto runLayer = b.create<LLVM::LLVMFuncOp>(
        loc, prefix + "_run_layer",
        LLVM::LLVMFunctionType::get(voidTy, {b.getI32Type(), ptrTy, ptrTy, ptrTy}));
    {
      Block *entry = runLayer.addEntryBlock(b);
      Block *exit = new Block();
      runLayer.getBody().push_back(exit);
      SmallVector<Block *> cases;
      SmallVector<int32_t> values;
      for (auto [i, layer] : llvm::enumerate(layers)) {
        Block *blk = new Block();
        runLayer.getBody().push_back(blk);
        b.setInsertionPointToStart(blk);
        b.create<LLVM::CallOp>(loc, layer,
                               ValueRange(entry->getArguments().drop_front()));
        b.create<LLVM::BrOp>(loc, ValueRange{}, exit);
        cases.push_back(blk);
        values.push_back(int32_t(i));
      }
      b.setInsertionPointToStart(exit);
      b.create<LLVM::ReturnOp>(loc, ValueRange{});
      b.setInsertionPointToStart(entry);
      SmallVector<ValueRange> caseOperands(cases.size(), ValueRange{});
      b.create<LLVM::SwitchOp>(loc, entry->getArgument(0), exit, ValueRange{},
                               ArrayRef<int32_t>(values), BlockRange(cases),
                               ArrayRef<ValueRange>(caseOperands));
    }

    // What the header and the runner need, read back by tf-translate.
    auto recordIO = [&](StringRef key, Type type) {
      auto shaped = cast<ShapedType>(type);
      auto q = cast<quant::UniformQuantizedType>(shaped.getElementType());
      module->setAttr(("tf." + key + "_shape").str(),
                      b.getDenseI64ArrayAttr(shaped.getShape()));
      module->setAttr(("tf." + key + "_scale").str(),
                      b.getF64FloatAttr(q.getScale()));
      module->setAttr(("tf." + key + "_zero_point").str(),
                      b.getI64IntegerAttr(q.getZeroPoint()));
      module->setAttr(("tf." + key + "_layout").str(),
                      b.getStringAttr(storedInLogicalOrder(shaped) ? "logical"
                                                                   : "NHWC"));
    };
    recordIO("input", func.getArgumentTypes()[0]);
    recordIO("output", func.getResultTypes()[0]);
    module->setAttr("tf.model_name", b.getStringAttr(modelName));
    module->setAttr("tf.layer_names", b.getArrayAttr(names));
    module->setAttr("tf.layer_ops", b.getArrayAttr(ops));
    module->setAttr("tf.layer_kernels", b.getArrayAttr(kernels));
    func.erase();
  }
};

} // namespace
