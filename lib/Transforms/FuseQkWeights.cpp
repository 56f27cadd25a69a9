//===- FuseQkWeights.cpp - Fused-Weight Self-Attention (Jung et al.) -------===//
//
// Per head, Q_h·K_hᵀ = (x Wq_hᵀ + bq_h)(x Wk_hᵀ + bk_h)ᵀ. Dropping the terms
// that are constant along a score row (softmax cancels them) leaves
// (x F_hᵀ + u_h)·xᵀ with F_h = Wk_hᵀ Wq_h ([E, E]) and u_h = bq_h Wk_h: one
// projection of E columns per head replaces two of P, and the keys are the
// input itself. That pays when E < 2P (few, wide heads); the cost model
// decides per block. The rewrite stays in the float graph, so quantization
// calibrates and rounds the fused weight like any other linear layer, and
// sparse-tiny-fuse-attention then builds an mhsa with `fused_qk`.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "AttentionPattern.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/Format.h"

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
  constexpr double kLinear = 0.95, kMatmul = 1.25;
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
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp s) { softmaxes.push_back(s); });
    for (SoftmaxOp s : softmaxes)
      if (std::optional<tinyformer::AttentionMatch> m = tinyformer::matchAttention(s))
        if (m->kFc && failed(rewrite(*m)))
          return signalPassFailure();
  }

  LogicalResult rewrite(tinyformer::AttentionMatch &m);
};

LogicalResult FuseQkWeightsPass::rewrite(tinyformer::AttentionMatch &m) {
  int64_t s = m.tokens, e = m.embed, h = m.heads, p = e / h;
  QkCost before = qkCost(s, e, h, false), after = qkCost(s, e, h, true);
  auto report = [&](StringRef verdict) {
    m.softmax.emitRemark()
        << "fused-weight attention " << verdict << ": Q/K parameters "
        << before.params << " -> " << after.params << ", estimated Q/K "
        << "instructions " << int64_t(before.instructions) << " -> "
        << int64_t(after.instructions) << " (E = " << e << ", P = " << p
        << ")";
  };
  if (!force && after.instructions >= before.instructions) {
    report("not applied (it pays only when E < 2P)");
    return success();
  }
  std::optional<std::vector<float>> wq = getConstantFloats(m.qFc.getWeight());
  std::optional<std::vector<float>> bq = getConstantFloats(m.qFc.getBias());
  std::optional<std::vector<float>> wk = getConstantFloats(m.kFc.getWeight());
  if (!wq || !bq || !wk)
    return m.qFc.emitOpError()
           << "fused-weight attention needs float constant Q/K weights (run "
              "it before quantization)";
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
  OpBuilder b(m.qk);
  Location loc = m.qk.getLoc();
  auto xType = cast<RankedTensorType>(m.x.getType());
  Type f32 = b.getF32Type();
  auto wType = RankedTensorType::get({h * e, e}, f32);
  auto bType = RankedTensorType::get({h * e}, f32);
  Value fw = createFloatConstant(b, loc, wType, f, "fused_qk.weight");
  Value fb = createFloatConstant(b, loc, bType, u, "fused_qk.bias");
  // Q' = x F^T + u, split into [1, H, S, E].
  auto qType = RankedTensorType::get({1, s, h * e}, f32);
  Value x3 = m.x;
  if (xType.getRank() == 2)
    x3 = b.create<ReshapeOp>(loc, RankedTensorType::get({1, s, e}, f32), m.x);
  Value q = b.create<FullyConnectedOp>(loc, qType, x3, fw, fb);
  Value q4 = b.create<ReshapeOp>(loc, RankedTensorType::get({1, s, h, e}, f32), q);
  Value qt = b.create<TransposeOp>(loc, RankedTensorType::get({1, h, s, e}, f32),
                                   q4, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  // K = x itself: [1, 1, E, S], broadcast over the heads.
  Value xt = b.create<TransposeOp>(loc, RankedTensorType::get({1, e, s}, f32),
                                   x3, b.getDenseI64ArrayAttr({0, 2, 1}));
  Value k4 = b.create<ReshapeOp>(loc, RankedTensorType::get({1, 1, e, s}, f32), xt);
  auto scoresType = RankedTensorType::get({1, h, s, s}, f32);
  auto scores = b.create<MatMulOp>(loc, scoresType, qt, k4);
  // The scale and softmax keep their [.., H, S, S] shape.
  if (m.qk.getOutput().getType() != scoresType) {
    auto back = b.create<ReshapeOp>(loc, m.qk.getOutput().getType(), scores);
    m.qk.getOutput().replaceAllUsesWith(back.getOutput());
  } else {
    m.qk.getOutput().replaceAllUsesWith(scores.getOutput());
  }
  // The old Q and K branches.
  SmallVector<Operation *> dead = {m.qk};
  dead.append(m.qChain.rbegin(), m.qChain.rend());
  dead.append(m.kChain.rbegin(), m.kChain.rend());
  dead.push_back(m.qFc);
  dead.push_back(m.kFc);
  for (Operation *op : dead)
    op->erase();
  report("applied");
  ++numFused;
  return success();
}

} // namespace
