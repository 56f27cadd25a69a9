//===- FuseActivations.cpp - ReLU / clip into the op before them ----------===//
//
// Runs before quantization so that the producer's output is calibrated (or
// takes its QDQ scale) after the activation, as TFLite's fused activations.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "sparse-tiny-fuse-activations"

namespace tinyformer {
#define GEN_PASS_DEF_FUSEACTIVATIONS
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace {

/// Tightens `producer`'s clamp by [lo, hi] (either may be absent).
void narrowClamp(Operation *producer, std::optional<double> lo,
                 std::optional<double> hi, PatternRewriter &rewriter) {
  auto tighten = [&](StringRef name, std::optional<double> v, bool isMin) {
    if (!v)
      return;
    double value = *v;
    if (auto old = producer->getAttrOfType<FloatAttr>(name))
      value = isMin ? std::max(value, old.getValueAsDouble())
                    : std::min(value, old.getValueAsDouble());
    producer->setAttr(name, rewriter.getF32FloatAttr(float(value)));
  };
  rewriter.modifyOpInPlace(producer, [&] {
    tighten("clamp_min", lo, true);
    tighten("clamp_max", hi, false);
  });
  LLVM_DEBUG(llvm::dbgs() << "clamp [" << lo.value_or(-INFINITY) << ", "
                          << hi.value_or(INFINITY) << "] fused into "
                          << producer->getName() << " at " << producer->getLoc()
                          << "\n");
}

template <typename ActOp>
struct FuseIntoProducer : OpRewritePattern<ActOp> {
  using OpRewritePattern<ActOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(ActOp act,
                                PatternRewriter &rewriter) const override {
    Operation *producer = act.getInput().getDefiningOp();
    if (!producer || !producer->hasOneUse() ||
        !isa<Conv2DOp, FullyConnectedOp, AddOp, MultiHeadAttentionOp>(producer) ||
        producer->getResult(0).getType() != act.getType() ||
        !isa<FloatType>(getElementTypeOrSelf(act.getType())))
      return failure();
    if constexpr (std::is_same_v<ActOp, ReluOp>)
      narrowClamp(producer, 0.0, std::nullopt, rewriter);
    else
      narrowClamp(producer, act.getMin().convertToDouble(),
                  act.getMax().convertToDouble(), rewriter);
    rewriter.replaceOp(act, producer->getResults());
    return success();
  }
};

struct FuseActivationsPass
    : tinyformer::impl::FuseActivationsBase<FuseActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseIntoProducer<ReluOp>, FuseIntoProducer<ClipOp>>(
        &getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
