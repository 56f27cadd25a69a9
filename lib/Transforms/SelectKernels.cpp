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

#include "tinyformer/CostModel/KernelChoice.h"
#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Kernels/KernelRegistry.h"
#include "tinyformer/Quant/IntegerRules.h"
#include "tinyformer/Support/Diagnostics.h"

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

    // Every op's candidates (kernel, weight storage) with their cost, then
    // the fastest set within the flash budget (tinyformer/CostModel/
    // KernelChoice.h).
    tinyformer::SelectionPolicy policy;
    policy.sparse = sparse;
    policy.sparseFormat = sparseFormat;
    policy.weightStorage = weightStorage;
    policy.cpu = *target;
    policy.sramLimit = sramBudget;
    using Candidate = tinyformer::KernelCandidate;
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
      if (kernelsFor(op).empty() || !isIntegerOp(op)) {
        explainMissingKernel(op);
        failedAny = true;
        return;
      }
      Layer layer{op, kernelCandidates(op, policy)};
      if (layer.candidates.empty()) {
        op->emitOpError() << "has no kernel within the SRAM budget of "
                          << int64_t(sramBudget) << " bytes";
        failedAny = true;
        return;
      }
      layers.push_back(std::move(layer));
    });
    if (failedAny)
      return signalPassFailure();
    std::vector<std::vector<tinyformer::KernelOption>> options;
    for (const Layer &l : layers) {
      options.emplace_back();
      for (const Candidate &c : l.candidates)
        options.back().push_back({c.cost.instructions, c.cost.flashBytes});
    }
    std::vector<size_t> chosen;
    int64_t flash = 0;
    if (!tinyformer::chooseUnderFlash(options, flashBudget, chosen, flash)) {
      InFlightDiagnostic diag = module.emitError();
      if (weightStorage == "int16")
        diag << "int16 weights need " << flash
             << " bytes of flash, over the budget of " << int64_t(flashBudget)
             << " bytes";
      else
        diag << "the model's constants need " << flash
             << " bytes of flash with int8 weights (and the smallest sparse "
                "kernels), over the budget of "
             << int64_t(flashBudget) << " bytes";
      // The layers that take most of it, at their smallest.
      SmallVector<std::pair<int64_t, Operation *>> smallest;
      for (auto [l, o] : llvm::zip(layers, options))
        smallest.push_back(
            {llvm::min_element(o, [](const auto &a, const auto &b) {
               return a.flashBytes < b.flashBytes;
             })->flashBytes,
             l.op});
      llvm::sort(smallest, [](const auto &a, const auto &b) { return a.first > b.first; });
      diag << "; the largest layers:";
      for (auto [i, entry] : llvm::enumerate(ArrayRef(smallest).take_front(3))) {
        std::string node = tinyformer::describeNodeLocation(entry.second->getLoc());
        diag << (i ? "," : "") << " "
             << (node.empty() ? "'" + entry.second->getName().getStringRef().str() + "'"
                              : node)
             << " (" << entry.first << " bytes)";
      }
      return signalPassFailure();
    }
    for (auto [l, c] : llvm::zip(layers, chosen))
      l.chosen = c;
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
