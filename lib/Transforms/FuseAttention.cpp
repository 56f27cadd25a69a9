//===- FuseAttention.cpp - decomposed attention -> one sparse_tiny.mhsa ----===//
//
// Exporters write attention as separate Q/K/V projections, reshapes and
// transposes that split heads, matmul, a scale, softmax, matmul, a head
// merge and the output projection (AttentionPattern.h). This pass replaces
// each such block by one `mhsa` op, so the kernel can run it depth first
// (one head, a few query rows at a time) without materialising the
// attention maps. Canonicalization does the same for float blocks; this
// pass runs after quantization, when each intermediate value has its INT8
// type (from calibration or the model's QDQ pairs), and those become the
// op's intermediate types. A packed Q/K/V projection of a QDQ model is
// split first, as canonicalization does for float ones.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "sparse-tiny-fuse-attention"

namespace tinyformer {
#define GEN_PASS_DEF_FUSEATTENTION
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;
namespace attr = tinyformer::attr;

namespace {

struct FuseAttentionPass
    : tinyformer::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    tinyformer::populateSplitPackedProjectionPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp s) { softmaxes.push_back(s); });
    for (SoftmaxOp s : softmaxes)
      if (fuse(s))
        ++numFused;
  }

  bool fuse(SoftmaxOp softmax);
};

bool FuseAttentionPass::fuse(SoftmaxOp softmax) {
  std::string whyNot;
  std::optional<tinyformer::AttentionMatch> m =
      tinyformer::matchAttention(softmax, &whyNot);
  if (!m) {
    // Silently unfused attention costs the whole score map in the arena.
    if (whyNot.empty())
      return false;
    softmax->setAttr(attr::kUnfusedAttention,
                     StringAttr::get(&getContext(), whyNot));
    softmax.emitWarning()
        << "attention around this softmax is not fused (" << whyNot
        << "): it runs as separate matmul / softmax layers, with the "
           "scores of all heads in the arena";
    return false;
  }
  bool quantized =
      isa<quant::QuantizedType>(getElementTypeOrSelf(m->out.getOutput().getType()));
  OpBuilder b(m->out);
  Value fused = tinyformer::buildAttention(b, *m, quantized);
  m->out.getOutput().replaceAllUsesWith(fused);
  LLVM_DEBUG(llvm::dbgs() << "fused attention of " << m->heads << " heads, "
                          << m->tokens << " tokens at " << softmax.getLoc()
                          << "\n");
  for (Operation *op : tinyformer::attentionOpsToErase(*m))
    op->erase();
  return true;
}

} // namespace
