//===- FuseAttention.cpp - decomposed attention -> one sparse_tiny.mhsa ----===//
//
// Exporters write attention as separate Q/K/V projections, reshapes and
// transposes that split heads, matmul, a scale, softmax, matmul, a head
// merge and the output projection. This pass finds that pattern around
// every softmax and replaces it by one `mhsa` op, so the kernel can run it
// depth first (one head, a few query rows at a time) without materialising
// the attention maps. It runs after quantization: each intermediate value
// then has its INT8 type (from calibration or the model's QDQ pairs), and
// those become the op's intermediate types.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "AttentionPattern.h"

#include "tinyformer/Quant/IntegerRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

namespace tinyformer {
#define GEN_PASS_DEF_FUSEATTENTION
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace {

Type elementOf(Value v) { return getElementTypeOrSelf(v.getType()); }

struct FuseAttentionPass
    : tinyformer::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp s) { softmaxes.push_back(s); });
    for (SoftmaxOp s : softmaxes)
      if (fuse(s))
        ++numFused;
  }

  bool fuse(SoftmaxOp softmax);
};

bool FuseAttentionPass::fuse(SoftmaxOp softmax) {
  std::optional<tinyformer::AttentionMatch> match = tinyformer::matchAttention(softmax);
  if (!match)
    return false;
  auto &[sm, qk, av, qFc, kFc, vFc, out, x, qSrc, kSrc, vSrc, scaleOp, scale,
         heads, s, e, qChain, kChain, vChain, merge] = *match;
  (void)sm;
  (void)s;
  (void)x;
  bool fused = !kFc;
  auto outType = cast<RankedTensorType>(out.getOutput().getType());
  // INT8 graphs: reshapes and transposes keep their types, so the types at
  // the ends of each chain are the intermediate types.
  bool quantized = isa<quant::QuantizedType>(elementOf(out.getOutput()));
  OpBuilder b(out);
  NamedAttrList attrs;
  attrs.append("num_heads", b.getI64IntegerAttr(heads));
  attrs.append("scale", b.getF32FloatAttr(float(scale)));
  if (fused)
    attrs.append("fused_qk", b.getUnitAttr());
  if (quantized) {
    attrs.append("query_type", TypeAttr::get(elementOf(qSrc)));
    attrs.append("key_type", TypeAttr::get(elementOf(kSrc)));
    attrs.append("value_type", TypeAttr::get(elementOf(vSrc)));
    attrs.append("score_type", TypeAttr::get(elementOf(softmax.getInput())));
    attrs.append("context_type", TypeAttr::get(elementOf(av.getOutput())));
  }
  // The layer keeps the name of the block's softmax, ending in "mhsa".
  Location loc = out.getLoc();
  if (auto name = dyn_cast<NameLoc>(softmax.getLoc())) {
    StringRef n = name.getName().getValue();
    loc = NameLoc::get(b.getStringAttr(n.substr(0, n.rfind('/') + 1) + "mhsa"));
  }
  SmallVector<Value> operands = {x, qFc.getWeight(), qFc.getBias()};
  if (!fused) {
    operands.push_back(kFc.getWeight());
    operands.push_back(kFc.getBias());
  }
  for (Value v : {vFc.getWeight(), vFc.getBias(), out.getWeight(), out.getBias()})
    operands.push_back(v);
  int32_t k = fused ? 0 : 1;
  attrs.append("operandSegmentSizes",
               b.getDenseI32ArrayAttr({1, 1, 1, k, k, 1, 1, 1, 1}));
  auto mhsa = b.create<MultiHeadAttentionOp>(loc, TypeRange{outType}, operands,
                                             attrs.getAttrs());
  if (failed(mhsa.verify())) {
    mhsa.erase();
    return false;
  }
  // The output keeps the shape of the projection's result.
  out.getOutput().replaceAllUsesWith(mhsa.getOutput());
  SmallVector<Operation *> toErase = {out};
  toErase.append(merge.rbegin(), merge.rend());
  toErase.push_back(av);
  toErase.push_back(softmax);
  if (scaleOp)
    toErase.push_back(scaleOp);
  toErase.push_back(qk);
  for (auto *chain : {&qChain, &kChain, &vChain})
    toErase.append(chain->rbegin(), chain->rend());
  toErase.push_back(qFc);
  if (kFc)
    toErase.push_back(kFc);
  toErase.push_back(vFc);
  for (Operation *op : toErase) {
    if (!op->use_empty())
      op->emitOpError("still used after fusing attention");
    op->erase();
  }
  return true;
}

} // namespace
