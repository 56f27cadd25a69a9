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

/// A sparse kernel that needs more flash than a dense one must estimate at
/// most this fraction of the dense instructions (the estimates' median error
/// is ~10%).
constexpr double kSparseSpeedMargin = 0.9;

/// Why no kernel computes `op`, as the user should read it.
void explainMissingKernel(Operation *op) {
  if (!isIntegerOp(op)) {
    op->emitOpError() << "has no INT8 form: it was not quantized (run "
                         "sparse-tiny-quantize first)";
    return;
  }
  bool headTensor = llvm::any_of(op->getOperandTypes(), [](Type t) {
    auto s = dyn_cast<ShapedType>(t);
    return s && !storedInLogicalOrder(s);
  });
  if (headTensor && isa<TransposeOp, SoftmaxOp, MatMulOp, ReshapeOp>(op)) {
    op->emitOpError()
        << "has no INT8 kernel: 4-D tensors are stored NHWC, and an "
           "attention block's head tensors only run inside a fused mhsa "
           "(the warning on the block's softmax says why it was not fused)";
    return;
  }
  if (auto conv = dyn_cast<Conv2DOp>(op); conv && conv.getGroups() > 1) {
    op->emitOpError() << "has no INT8 kernel: a grouped convolution (groups = "
                      << conv.getGroups()
                      << ") runs only as depthwise (one input channel per "
                         "group); write it as separate convolutions joined "
                         "by a concat";
    return;
  }
  InFlightDiagnostic diag = op->emitOpError() << "has no INT8 kernel for ";
  llvm::interleaveComma(op->getOperandTypes(), diag);
  if (auto mean = dyn_cast<MeanOp>(op))
    diag << " over axes [" << mean.getAxes()
         << "] (kernels: a spatial mean, as a global average pool)";
}

struct SelectKernelsPass
    : tinyformer::impl::SelectKernelsBase<SelectKernelsPass> {
  using SelectKernelsBase::SelectKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (sparse != "auto" && sparse != "off" && sparse != "force") {
      module.emitError() << "sparse must be auto, off or force, got '" << sparse
                         << "'";
      return signalPassFailure();
    }
    if (sparseFormat != "auto" && sparseFormat != "code" &&
        sparseFormat != "csr" && sparseFormat != "rle") {
      module.emitError() << "sparse-format must be auto, code, csr or rle, got '"
                         << sparseFormat << "'";
      return signalPassFailure();
    }
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

    // Every op's candidates (kernel, weight storage) with their cost; each
    // starts at its smallest flash, then the upgrade that saves the most
    // instructions per extra flash byte is taken while the budget allows.
    struct Candidate {
      const KernelInfo *kernel;
      WeightStorage storage;
      LayerCost cost;
    };
    struct Layer {
      Operation *op;
      SmallVector<Candidate> candidates;
      size_t chosen = 0;
    };
    SmallVector<Layer> layers;
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
      Layer layer{op, {}};
      for (const KernelInfo *k : kernels) {
        bool sparseKernel = KernelAttr::isSparse(k->kind);
        if (sparseKernel &&
            (sparse == "off" ||
             (sparseFormat != "auto" &&
              KernelAttr::sparseFormat(k->kind) != sparseFormat)))
          continue;
        SmallVector<WeightStorage> storages = {WeightStorage::int8};
        if (k->hasWeights() && !sparseKernel) {
          if (weightStorage == "int16")
            storages = {WeightStorage::int16};
          else if (weightStorage == "auto")
            storages.push_back(WeightStorage::int16);
        }
        for (WeightStorage s : storages) {
          LayerCost c = estimateCost(op, *k, s, *target);
          // A sparse kernel whose packed input does not fit the SRAM budget
          // beside the op's own input and output is out (dense then).
          if (sparseKernel && sramBudget > 0 &&
              c.scratchBytes + activationBytesOf(op) > sramBudget)
            continue;
          layer.candidates.push_back({k, s, c});
        }
      }
      // A sparse kernel larger than the smallest dense one is there for
      // speed: it must save a margin beyond the estimates' error (a weight
      // with a few zeros from rounding would otherwise trade kilobytes of
      // code for nothing).
      if (sparse == "auto") {
        int64_t denseInstructions = INT64_MAX, denseFlash = INT64_MAX;
        for (const Candidate &c : layer.candidates)
          if (!KernelAttr::isSparse(c.kernel->kind)) {
            denseInstructions = std::min(denseInstructions, c.cost.instructions);
            denseFlash = std::min(denseFlash, c.cost.flashBytes);
          }
        llvm::erase_if(layer.candidates, [&](const Candidate &c) {
          return KernelAttr::isSparse(c.kernel->kind) &&
                 c.cost.flashBytes > denseFlash &&
                 double(c.cost.instructions) > kSparseSpeedMargin * double(denseInstructions);
        });
      }
      // force: the sparse kernel wherever one serves (tests, benchmarks).
      if (sparse == "force" &&
          llvm::any_of(layer.candidates, [](const Candidate &c) {
            return KernelAttr::isSparse(c.kernel->kind);
          }))
        llvm::erase_if(layer.candidates, [](const Candidate &c) {
          return !KernelAttr::isSparse(c.kernel->kind);
        });
      if (layer.candidates.empty()) {
        op->emitOpError() << "has no kernel within the SRAM budget of "
                          << int64_t(sramBudget) << " bytes";
        failedAny = true;
        return;
      }
      // Start from the smallest flash (fewest instructions among equals).
      auto smaller = [](const Candidate &a, const Candidate &b) {
        return std::make_pair(a.cost.flashBytes, a.cost.instructions) <
               std::make_pair(b.cost.flashBytes, b.cost.instructions);
      };
      layer.chosen = std::min_element(layer.candidates.begin(),
                                      layer.candidates.end(), smaller) -
                     layer.candidates.begin();
      layers.push_back(std::move(layer));
    });
    if (failedAny)
      return signalPassFailure();
    int64_t flash = 0;
    for (const Layer &l : layers)
      flash += l.candidates[l.chosen].cost.flashBytes;
    if (flash > flashBudget) {
      if (weightStorage == "int16")
        module.emitError() << "int16 weights need " << flash
                           << " bytes of flash, over the budget of "
                           << int64_t(flashBudget) << " bytes";
      else
        module.emitError() << "the model's constants need " << flash
                           << " bytes of flash with int8 weights (and the "
                              "smallest sparse kernels), over the "
                              "budget of "
                           << int64_t(flashBudget) << " bytes";
      return signalPassFailure();
    }
    while (true) {
      Layer *bestLayer = nullptr;
      size_t best = 0;
      double bestRatio = 0;
      for (Layer &l : layers) {
        const LayerCost &now = l.candidates[l.chosen].cost;
        for (auto [i, c] : llvm::enumerate(l.candidates)) {
          int64_t saved = now.instructions - c.cost.instructions;
          int64_t extra = c.cost.flashBytes - now.flashBytes;
          if (saved <= 0 || flash + extra > flashBudget)
            continue;
          double ratio = extra <= 0 ? 1e18 + double(saved)
                                    : double(saved) / double(extra);
          if (ratio > bestRatio) {
            bestRatio = ratio;
            bestLayer = &l;
            best = i;
          }
        }
      }
      if (!bestLayer)
        break;
      flash += bestLayer->candidates[best].cost.flashBytes -
               bestLayer->candidates[bestLayer->chosen].cost.flashBytes;
      bestLayer->chosen = best;
    }
    auto kernelAttr = [&](const Candidate &c) {
      return KernelAttr::get(ctx, c.kernel->kind, c.storage, c.cost.instructions,
                             c.cost.flashBytes);
    };
    for (const Layer &l : layers) {
      const Candidate &c = l.candidates[l.chosen];
      l.op->setAttr(attr::kKernel, kernelAttr(c));
      if (c.storage == WeightStorage::int16)
        ++numInt16;
      if (KernelAttr::isSparse(c.kernel->kind))
        ++numSparse;
      // The alternatives weighed, so the choice can be read from the IR.
      SmallVector<Attribute> others;
      for (auto [i, o] : llvm::enumerate(l.candidates))
        if (i != l.chosen)
          others.push_back(kernelAttr(o));
      if (!others.empty())
        l.op->setAttr(attr::kAlternatives, ArrayAttr::get(ctx, others));
    }
    module.walk([&](Operation *op) {
      if (KernelAttr k = chosenKernel(op))
        estInstructions += k.getEstInstructions();
    });
  }
};

} // namespace
