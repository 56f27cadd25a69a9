//===- SelectKernels.cpp - kernel and weight format per INT8 op -----------===//
//
// Every INT8 op gets the kernel that computes it. Today all are dense; the
// sparse kernels (CSR, block-sparse) will be further candidates in
// candidatesFor(), priced by the same cost model. The int16 weight format
// is granted where it saves the most instructions per extra flash byte,
// while the estimated flash stays within the budget.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tinyformer/CostModel/CostModel.h"
#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Quant/IntegerRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace tinyformer {
#define GEN_PASS_DEF_SELECTKERNELS
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace {

struct SelectKernelsPass
    : tinyformer::impl::SelectKernelsBase<SelectKernelsPass> {
  using SelectKernelsBase::SelectKernelsBase;

  void runOnOperation() override {
    if (weightFormat != "auto" && weightFormat != "int8" &&
        weightFormat != "int16") {
      getOperation().emitError()
          << "weight-format must be auto, int8 or int16, got '"
          << weightFormat << "'";
      return signalPassFailure();
    }
    struct Candidate {
      Operation *op;
      int64_t saved, extraBytes;
    };
    SmallVector<Candidate> upgrades;
    int64_t flash = 0;
    bool failedAny = false;
    Builder b(&getContext());
    getOperation().walk([&](Operation *op) {
      if (isa<ConstantOp, func::FuncOp, func::ReturnOp, ModuleOp>(op) ||
          op->getNumResults() != 1)
        return;
      StringRef kernel = tinyformer::denseKernelFor(op);
      if (kernel.empty() || !tinyformer::isIntegerOp(op)) {
        bool headTensor = llvm::any_of(op->getOperandTypes(), [](Type t) {
          auto s = dyn_cast<ShapedType>(t);
          return s && !tinyformer::storedInLogicalOrder(s);
        });
        if (tinyformer::isIntegerOp(op) && headTensor &&
            isa<TransposeOp, SoftmaxOp, MatMulOp, ReshapeOp>(op)) {
          op->emitOpError()
              << "has no INT8 kernel: 4-D tensors are stored NHWC, and an "
                 "attention block's head tensors only run inside a fused mhsa "
                 "(sparse-tiny-fuse-attention did not match this block: it "
                 "needs Q/K/V and output linear layers with biases from one "
                 "[S, E] input and every intermediate value used once)";
          failedAny = true;
          return;
        }
        op->emitOpError() << "has no INT8 kernel (run sparse-tiny-quantize "
                             "first; grouped convolutions other than "
                             "depthwise are not supported)";
        failedAny = true;
        return;
      }
      op->setAttr(tinyformer::attr::kKernel, b.getStringAttr(kernel));
      tinyformer::LayerCost c8 = tinyformer::estimateCost(op, kernel, false);
      flash += c8.flashBytes;
      bool hasWeights = isa<Conv2DOp, FullyConnectedOp, MultiHeadAttentionOp>(op);
      if (hasWeights)
        op->setAttr(tinyformer::attr::kWeightFormat, b.getStringAttr("int8"));
      op->setAttr(tinyformer::attr::kEstInstructions,
                  b.getI64IntegerAttr(c8.instructions));
      if (hasWeights && weightFormat != "int8") {
        tinyformer::LayerCost c16 = tinyformer::estimateCost(op, kernel, true);
        if (c16.flashBytes > c8.flashBytes &&
            c16.instructions < c8.instructions)
          upgrades.push_back({op, c8.instructions - c16.instructions,
                              c16.flashBytes - c8.flashBytes});
      }
    });
    if (failedAny)
      return signalPassFailure();
    if (flash > flashBudget) {
      getOperation().emitError()
          << "the model's constants need " << flash
          << " bytes of flash with int8 weights, over the budget of "
          << int64_t(flashBudget) << " bytes";
      return signalPassFailure();
    }
    llvm::stable_sort(upgrades, [](const Candidate &a, const Candidate &b) {
      return double(a.saved) / a.extraBytes > double(b.saved) / b.extraBytes;
    });
    for (const Candidate &c : upgrades) {
      if (weightFormat == "auto" && flash + c.extraBytes > flashBudget)
        continue;
      flash += c.extraBytes;
      c.op->setAttr(tinyformer::attr::kWeightFormat, b.getStringAttr("int16"));
      StringRef kernel =
          c.op->getAttrOfType<StringAttr>(tinyformer::attr::kKernel);
      c.op->setAttr(tinyformer::attr::kEstInstructions,
                    b.getI64IntegerAttr(
                        tinyformer::estimateCost(c.op, kernel, true).instructions));
      ++numInt16;
    }
    if (weightFormat == "int16" && flash > flashBudget) {
      getOperation().emitError()
          << "int16 weights need " << flash << " bytes of flash, over the "
          << "budget of " << int64_t(flashBudget) << " bytes";
      return signalPassFailure();
    }
    getOperation().walk([&](Operation *op) {
      if (auto est = op->getAttrOfType<IntegerAttr>(
              tinyformer::attr::kEstInstructions))
        estInstructions += est.getInt();
    });
  }
};

} // namespace
