//===- SelectKernels.cpp - kernel and weight storage per INT8 op ----------===//
//
// Every INT8 op gets the kernel that computes it, from the registry's
// kernels that serve it, priced by the cost model for the target CPU. The
// int16 weight storage is granted where it saves the most instructions per
// extra flash byte, while the estimated flash stays within the budget. The
// decision is a typed #sparse_tiny.kernel<...> attribute that later passes
// only read.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Kernels/KernelRegistry.h"
#include "tinyformer/Quant/IntegerRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#define DEBUG_TYPE "sparse-tiny-select-kernels"

namespace tinyformer {
#define GEN_PASS_DEF_SELECTKERNELS
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;
using namespace tinyformer;

namespace {

/// Why no kernel computes `op`, as the user should read it.
void explainMissingKernel(Operation *op) {
  bool headTensor = llvm::any_of(op->getOperandTypes(), [](Type t) {
    auto s = dyn_cast<ShapedType>(t);
    return s && !storedInLogicalOrder(s);
  });
  if (isIntegerOp(op) && headTensor &&
      isa<TransposeOp, SoftmaxOp, MatMulOp, ReshapeOp>(op)) {
    op->emitOpError()
        << "has no INT8 kernel: 4-D tensors are stored NHWC, and an "
           "attention block's head tensors only run inside a fused mhsa "
           "(sparse-tiny-fuse-attention did not match this block: it "
           "needs Q/K/V and output linear layers with biases from one "
           "[S, E] input and every intermediate value used once)";
    return;
  }
  op->emitOpError() << "has no INT8 kernel (run sparse-tiny-quantize "
                       "first; grouped convolutions other than "
                       "depthwise are not supported)";
}

struct SelectKernelsPass
    : tinyformer::impl::SelectKernelsBase<SelectKernelsPass> {
  using SelectKernelsBase::SelectKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (weightStorage != "auto" && weightStorage != "int8" &&
        weightStorage != "int16") {
      module.emitError() << "weight-storage must be auto, int8 or int16, got '"
                         << weightStorage << "'";
      return signalPassFailure();
    }
    std::optional<TargetCpu> target = parseTargetCpu(cpu);
    if (!target) {
      module.emitError() << "cpu must be cortex-m4 or cortex-m7, got '" << cpu
                         << "'";
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    module->setAttr(attr::kTargetCpu, TargetCpuAttr::get(ctx, *target));

    auto decide = [&](Operation *op, const KernelInfo &k, WeightStorage s) {
      LayerCost c = estimateCost(op, k, s, *target);
      op->setAttr(attr::kKernel, KernelAttr::get(ctx, k.kind, s, c.instructions,
                                                 c.flashBytes));
      return c;
    };
    struct Upgrade {
      Operation *op;
      const KernelInfo *kernel;
      int64_t saved, extraBytes;
    };
    SmallVector<Upgrade> upgrades;
    int64_t flash = 0;
    bool failedAny = false;
    module.walk([&](Operation *op) {
      if (isa<ConstantOp, func::FuncOp, func::ReturnOp, ModuleOp>(op) ||
          op->getNumResults() != 1)
        return;
      SmallVector<const KernelInfo *> kernels = kernelsFor(op);
      if (kernels.empty() || !isIntegerOp(op)) {
        explainMissingKernel(op);
        failedAny = true;
        return;
      }
      const KernelInfo &k = *kernels.front();
      LayerCost c8 = decide(op, k, WeightStorage::int8);
      flash += c8.flashBytes;
      if (k.hasWeights() && weightStorage != "int8") {
        LayerCost c16 = estimateCost(op, k, WeightStorage::int16, *target);
        if (c16.flashBytes > c8.flashBytes && c16.instructions < c8.instructions)
          upgrades.push_back({op, &k, c8.instructions - c16.instructions,
                              c16.flashBytes - c8.flashBytes});
      }
    });
    if (failedAny)
      return signalPassFailure();
    if (flash > flashBudget) {
      module.emitError() << "the model's constants need " << flash
                         << " bytes of flash with int8 weights, over the "
                            "budget of "
                         << int64_t(flashBudget) << " bytes";
      return signalPassFailure();
    }
    llvm::stable_sort(upgrades, [](const Upgrade &a, const Upgrade &b) {
      return double(a.saved) / a.extraBytes > double(b.saved) / b.extraBytes;
    });
    for (const Upgrade &u : upgrades) {
      if (weightStorage == "auto" && flash + u.extraBytes > flashBudget)
        continue;
      flash += u.extraBytes;
      decide(u.op, *u.kernel, WeightStorage::int16);
      ++numInt16;
    }
    if (weightStorage == "int16" && flash > flashBudget) {
      module.emitError() << "int16 weights need " << flash
                         << " bytes of flash, over the budget of "
                         << int64_t(flashBudget) << " bytes";
      return signalPassFailure();
    }
    module.walk([&](Operation *op) {
      if (KernelAttr k = chosenKernel(op))
        estInstructions += k.getEstInstructions();
    });
  }
};

} // namespace
