//===- FuseQkWeights.cpp - Fused-Weight Self-Attention (Jung et al.) -------===//
//
// Per head, Q_h·K_hᵀ = (x Wq_hᵀ + bq_h)(x Wk_hᵀ + bk_h)ᵀ. Dropping the terms
// that are constant along a score row (softmax cancels them) leaves
// (x F_hᵀ + u_h)·xᵀ with F_h = Wk_hᵀ Wq_h ([E, E]) and u_h = bq_h Wk_h: one
// projection of E columns per head replaces two of P, and the keys are the
// input itself. That pays when E < 2P (few, wide heads); the cost model
// decides per block. The rewrite is on the float `mhsa` op (after
// canonicalization), so quantization calibrates and rounds the fused
// weight like any other linear layer.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "sparse-tiny-fuse-qk-weights"

namespace tinyformer {
#define GEN_PASS_DEF_FUSEQKWEIGHTS
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace {

/// Instructions of the Q and K projections and of Q·Kᵀ, on the cost model's
/// dense rates (linear layer and batch matmul).
struct QkCost {
  int64_t params = 0;
  double instructions = 0;
};
QkCost qkCost(int64_t s, int64_t e, int64_t heads, bool fused) {
  constexpr double kLinear = 0.95, kMatmul = 1.05;
  int64_t p = e / heads;
  QkCost c;
  if (fused) {
    c.params = heads * e * e + heads * e;
    c.instructions = kLinear * double(s * e * heads * e) +
                     kMatmul * double(heads * s * s * e);
  } else {
    c.params = 2 * (e * e + e);
    c.instructions =
        kLinear * double(2 * s * e * e) + kMatmul * double(heads * s * s * p);
  }
  return c;
}

struct FuseQkWeightsPass
    : tinyformer::impl::FuseQkWeightsBase<FuseQkWeightsPass> {
  using FuseQkWeightsBase::FuseQkWeightsBase;

  void runOnOperation() override {
    SmallVector<MultiHeadAttentionOp> blocks;
    getOperation().walk([&](MultiHeadAttentionOp op) {
      if (!op.getFusedQk() &&
          isa<FloatType>(getElementTypeOrSelf(op.getOutput().getType())))
        blocks.push_back(op);
    });
    for (MultiHeadAttentionOp op : blocks)
      if (failed(rewrite(op)))
        return signalPassFailure();
  }

  LogicalResult rewrite(MultiHeadAttentionOp op);
};

LogicalResult FuseQkWeightsPass::rewrite(MultiHeadAttentionOp op) {
  auto inType = op.getInput().getType();
  int64_t s = inType.getShape()[inType.getRank() - 2], e = inType.getShape().back();
  int64_t h = int64_t(op.getNumHeads()), p = e / h;
  QkCost before = qkCost(s, e, h, false), after = qkCost(s, e, h, true);
  auto report = [&](StringRef verdict) {
    op.emitRemark() << "fused-weight attention " << verdict
                    << ": Q/K parameters " << before.params << " -> "
                    << after.params << ", estimated Q/K instructions "
                    << int64_t(before.instructions) << " -> "
                    << int64_t(after.instructions) << " (E = " << e
                    << ", P = " << p << ")";
  };
  if (!force && after.instructions >= before.instructions) {
    report("not applied (it pays only when E < 2P)");
    return success();
  }
  std::optional<std::vector<float>> wq = getConstantFloats(op.getQWeight());
  std::optional<std::vector<float>> bq = getConstantFloats(op.getQBias());
  std::optional<std::vector<float>> wk = getConstantFloats(op.getKWeight());
  if (!wq || !bq || !wk)
    return op.emitOpError() << "fused-weight attention needs float constant "
                               "Q/K weights (run it before quantization)";
  // F_h[c][k] = sum_p Wk[hP + p][c] * Wq[hP + p][k]; u_h[c] = sum_p
  // bq[hP + p] * Wk[hP + p][c]. Accumulated in double.
  std::vector<float> f(h * e * e), u(h * e);
  for (int64_t head = 0; head < h; ++head)
    for (int64_t c = 0; c < e; ++c) {
      double bias = 0;
      for (int64_t i = 0; i < p; ++i)
        bias += double((*bq)[head * p + i]) * (*wk)[(head * p + i) * e + c];
      u[head * e + c] = float(bias);
      for (int64_t k = 0; k < e; ++k) {
        double acc = 0;
        for (int64_t i = 0; i < p; ++i)
          acc += double((*wk)[(head * p + i) * e + c]) *
                 (*wq)[(head * p + i) * e + k];
        f[(head * e + c) * e + k] = float(acc);
      }
    }
  OpBuilder b(op);
  Location loc = op.getLoc();
  Type f32 = b.getF32Type();
  Value fw = createFloatConstant(b, loc, RankedTensorType::get({h * e, e}, f32),
                                 f, "fused_qk.weight");
  Value fb = createFloatConstant(b, loc, RankedTensorType::get({h * e}, f32), u,
                                 "fused_qk.bias");
  NamedAttrList attrs(op->getAttrDictionary());
  attrs.set("fused_qk", b.getUnitAttr());
  SmallVector<Value> operands = {op.getInput(),   fw, fb, op.getVWeight(),
                                 op.getVBias(),   op.getOWeight(),
                                 op.getOBias()};
  if (Value bias = op.getScoreBias())
    operands.push_back(bias);
  attrs.set("operandSegmentSizes",
            b.getDenseI32ArrayAttr(
                {1, 1, 1, 0, 0, 1, 1, 1, 1, op.getScoreBias() ? 1 : 0}));
  auto fusedOp = b.create<MultiHeadAttentionOp>(
      loc, TypeRange{op.getOutput().getType()}, operands, attrs.getAttrs());
  op.getOutput().replaceAllUsesWith(fusedOp.getOutput());
  report("applied");
  LLVM_DEBUG(llvm::dbgs() << "fused Q/K weights of " << fusedOp.getLoc() << "\n");
  op.erase();
  ++numFused;
  return success();
}

} // namespace
