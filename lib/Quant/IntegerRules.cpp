//===- IntegerRules.cpp - INT8 parameters of quantized sparse_tiny ops ----===//
//
// Follows TFLite's int8 rules: asymmetric per-tensor activations, symmetric
// weights (per output channel or per tensor), int32 bias at input scale x
// weight scale, QuantizeMultiplier + MultiplyByQuantizedMultiplier, and
// CalculateActivationRangeQuantized for fused activations.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Quant/IntegerRules.h"

#include "tfk/pack.h"
#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/Dialect/Quant/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

Multiplier quantizeMultiplier(double real) {
  Multiplier m;
  tfk_quantize_multiplier(real, &m.mult, &m.shift);
  return m;
}

static int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min())
    return std::numeric_limits<int32_t>::max();
  int64_t ab = int64_t(a) * int64_t(b);
  int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
  return int32_t((ab + nudge) / (int64_t(1) << 31));
}

static int32_t roundingDivideByPOT(int32_t x, int32_t exponent) {
  int32_t mask = int32_t((int64_t(1) << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t multiplyByQuantizedMultiplier(int32_t x, Multiplier m) {
  int32_t left = m.shift > 0 ? m.shift : 0;
  int32_t right = m.shift > 0 ? 0 : -m.shift;
  // x * 2^left wraps like the 32-bit multiply on the target.
  int32_t shifted = int32_t(uint32_t(x) * (uint32_t(1) << left));
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, m.mult),
                             right);
}

//===----------------------------------------------------------------------===//
// Reading types
//===----------------------------------------------------------------------===//

static InFlightDiagnostic error(Operation *op) {
  return op->emitOpError() << "in INT8 form: ";
}

/// Per-tensor int8 parameters of `v`, used by `op`.
static FailureOr<QParams> qparamsOf(Operation *op, Value v, StringRef what) {
  auto q = dyn_cast<quant::UniformQuantizedType>(
      getElementTypeOrSelf(v.getType()));
  if (!q || q.getStorageTypeIntegralWidth() != 8 || !q.isSigned())
    return error(op) << what << " must be per-tensor int8 (!quant.uniform<i8"
                     << ":f32, scale:zp>), got " << v.getType();
  return QParams{q.getScale(), int32_t(q.getZeroPoint())};
}

FailureOr<QParams> getQParams(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    op = value.getParentBlock()->getParentOp();
  return qparamsOf(op, value, "the value");
}

/// TFLite's CalculateActivationRangeQuantized for clamp bounds in reals.
static ActRange activationRange(QParams out, std::optional<double> lo,
                                std::optional<double> hi) {
  auto quantize = [&](double f) {
    return double(out.zeroPoint) + std::round(f / out.scale);
  };
  ActRange r;
  if (lo)
    r.min = int32_t(std::clamp(quantize(*lo), -128.0, 127.0));
  if (hi)
    r.max = int32_t(std::clamp(quantize(*hi), -128.0, 127.0));
  return r;
}

static ActRange fusedRange(Operation *op, QParams out) {
  auto get = [&](StringRef name) -> std::optional<double> {
    if (auto a = op->getAttrOfType<FloatAttr>(name))
      return a.getValueAsDouble();
    return std::nullopt;
  };
  return activationRange(out, get("clamp_min"), get("clamp_max"));
}

/// Scales of a symmetric int8 weight, one per element of dim 0.
static FailureOr<std::vector<double>> weightScales(Operation *op, Value w) {
  auto type = cast<ShapedType>(w.getType());
  int64_t channels = type.getDimSize(0);
  Type elem = type.getElementType();
  if (auto q = dyn_cast<quant::UniformQuantizedType>(elem)) {
    if (q.getStorageTypeIntegralWidth() == 8 && q.isSigned() &&
        q.getZeroPoint() == 0)
      return std::vector<double>(channels, q.getScale());
  } else if (auto q = dyn_cast<quant::UniformQuantizedPerAxisType>(elem)) {
    if (q.getStorageTypeIntegralWidth() == 8 && q.isSigned() &&
        q.getQuantizedDimension() == 0 &&
        llvm::all_of(q.getZeroPoints(), [](int64_t z) { return z == 0; }))
      return std::vector<double>(q.getScales().begin(), q.getScales().end());
  }
  return error(op) << "the weight must be symmetric int8, per tensor or per "
                      "output channel (axis 0), got "
                   << elem;
}

/// Rules of a projection `weight`, `bias` from `in` to `out` inside `op`.
static FailureOr<ConvRules> projectionRules(Operation *op, Value weight,
                                            Value bias, QParams in,
                                            QParams out) {
  FailureOr<std::vector<double>> ws = weightScales(op, weight);
  if (failed(ws))
    return failure();
  std::optional<std::vector<int64_t>> w = getConstantInts(weight);
  if (!w)
    return error(op) << "the weight must be a readable constant";
  ConvRules r;
  r.inZp = in.zeroPoint;
  r.outZp = out.zeroPoint;
  r.weight.assign(w->begin(), w->end());
  size_t channels = ws->size();
  r.bias.assign(channels, 0);
  if (bias) {
    auto bq = dyn_cast<quant::QuantizedType>(getElementTypeOrSelf(bias));
    std::optional<std::vector<int64_t>> b = getConstantInts(bias);
    if (!bq || bq.getStorageTypeIntegralWidth() != 32 || !b)
      return error(op) << "the bias must be an int32 quantized constant, got "
                       << bias.getType();
    r.bias.assign(b->begin(), b->end());
  }
  for (double s : *ws)
    r.requant.push_back(quantizeMultiplier(in.scale * s / out.scale));
  return r;
}

FailureOr<ConvRules> getConvRules(Operation *op) {
  Value bias = op->getNumOperands() > 2 ? op->getOperand(2) : Value();
  FailureOr<QParams> in = qparamsOf(op, op->getOperand(0), "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  FailureOr<ConvRules> r =
      projectionRules(op, op->getOperand(1), bias, *in, *out);
  if (succeeded(r))
    r->act = fusedRange(op, *out);
  return r;
}

FailureOr<AddRules> getAddRules(Operation *op) {
  FailureOr<QParams> a = qparamsOf(op, op->getOperand(0), "the lhs");
  FailureOr<QParams> b = qparamsOf(op, op->getOperand(1), "the rhs");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(a) || failed(b) || failed(out))
    return failure();
  AddRules r;
  r.lhsZp = a->zeroPoint;
  r.rhsZp = b->zeroPoint;
  r.outZp = out->zeroPoint;
  double twiceMax = 2 * std::max(a->scale, b->scale);
  r.lhs = quantizeMultiplier(a->scale / twiceMax);
  r.rhs = quantizeMultiplier(b->scale / twiceMax);
  r.out = quantizeMultiplier(twiceMax /
                             (double(int64_t(1) << r.leftShift) * out->scale));
  r.act = fusedRange(op, *out);
  return r;
}

FailureOr<MulRules> getMulRules(Operation *op) {
  FailureOr<QParams> a = qparamsOf(op, op->getOperand(0), "the lhs");
  FailureOr<QParams> b = qparamsOf(op, op->getOperand(1), "the rhs");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(a) || failed(b) || failed(out))
    return failure();
  MulRules r;
  r.lhsZp = a->zeroPoint;
  r.rhsZp = b->zeroPoint;
  r.outZp = out->zeroPoint;
  r.mult = quantizeMultiplier(a->scale * b->scale / out->scale);
  r.act = fusedRange(op, *out);
  return r;
}

FailureOr<RequantRules> getRequantRules(Operation *op) {
  FailureOr<QParams> in = qparamsOf(op, op->getOperand(0), "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  RequantRules r;
  r.inZp = in->zeroPoint;
  r.outZp = out->zeroPoint;
  double factor = 1;
  if (isa<MulOp, DivOp>(op)) {
    std::optional<double> c = constantScaleOf(op);
    if (!c || !(*c > 0))
      return error(op) << "only a multiplication or division by a positive "
                          "constant scalar has an INT8 form";
    factor = *c;
  }
  r.requant = quantizeMultiplier(in->scale * factor / out->scale);
  if (isa<ReluOp>(op))
    r.act = activationRange(*out, 0.0, std::nullopt);
  else if (auto clip = dyn_cast<ClipOp>(op))
    r.act = activationRange(*out, clip.getMin().convertToDouble(),
                            clip.getMax().convertToDouble());
  return r;
}

FailureOr<AvgPoolRules> getAvgPoolRules(Operation *op, int64_t windowSize) {
  FailureOr<QParams> in = qparamsOf(op, op->getOperand(0), "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  AvgPoolRules r;
  r.inZp = in->zeroPoint;
  r.outZp = out->zeroPoint;
  r.byCount.resize(windowSize + 1);
  for (int64_t c = 1; c <= windowSize; ++c)
    r.byCount[c] = quantizeMultiplier(in->scale / (out->scale * double(c)));
  return r;
}

FailureOr<MaxPoolRules> getMaxPoolRules(Operation *op) {
  FailureOr<QParams> in = qparamsOf(op, op->getOperand(0), "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  if (in->scale != out->scale || in->zeroPoint != out->zeroPoint)
    return error(op) << "max pooling needs the same scale and zero point in "
                        "and out";
  return MaxPoolRules{};
}

FailureOr<SoftmaxRules> getSoftmaxRules(Operation *op) {
  FailureOr<QParams> in = qparamsOf(op, op->getOperand(0), "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  SoftmaxRules r;
  for (int d = 0; d < 256; ++d)
    r.expTable[d] = int32_t(std::lround(65536.0 * std::exp(-d * in->scale)));
  r.out = quantizeMultiplier(1.0 / (out->scale * 2147483648.0));
  r.outZp = out->zeroPoint;
  return r;
}

FailureOr<LayerNormRules> getLayerNormRules(Operation *op) {
  auto ln = cast<LayerNormOp>(op);
  FailureOr<QParams> in = qparamsOf(op, ln.getInput(), "the input");
  FailureOr<QParams> out = qparamsOf(op, ln.getOutput(), "the result");
  if (failed(in) || failed(out))
    return failure();
  int64_t rank = ln.getInput().getType().getRank();
  if (int64_t(ln.getAxis()) != rank - 1)
    return error(op) << "layer_norm must normalise over the last axis only";
  std::optional<std::vector<float>> g = getConstantFloats(ln.getScale());
  std::optional<std::vector<float>> b = getConstantFloats(ln.getBias());
  if (!g || !b)
    return error(op) << "scale and bias must be float constants";
  int64_t c = ln.getInput().getType().getShape().back();
  if (c > 65536)
    return error(op) << "layer_norm over " << c
                     << " channels (the integer kernel sums squares in int32: "
                        "65536 at most)";
  LayerNormRules r;
  // The kernel needs C * B - A^2 + epsTerm < 2^62 (kernels.h); the first
  // part is at most C^2 * 128^2.
  double eps = double(ln.getEpsilon().convertToFloat());
  double epsTerm = std::round(eps * double(c) * double(c) / (in->scale * in->scale));
  double limit = std::ldexp(1.0, 62) - double(c) * double(c) * 16384.0 - 1024.0;
  if (!(epsTerm < limit))
    return error(op) << "epsilon " << eps << " is too large for the input scale "
                     << in->scale << " (integer LayerNorm needs eps * C^2 / "
                        "s_in^2 below 2^62)";
  r.epsTerm = int64_t(epsTerm);
  // |t_c| = |C x_c - A| * r < sqrt(C) * 2^F <= 2^30 keeps t in int32.
  int32_t log2c = 0;
  while ((int64_t(1) << log2c) < c)
    ++log2c;
  r.fracBits = 30 - (log2c + 1) / 2;
  // The largest shift (most gamma bits) that keeps every gamma in int16;
  // 21 at most, so that |beta| <= 2^30 plus |t * gamma >> 16| <= 2^29 stays
  // in int32 and a clamped beta still saturates the output (kernels.h).
  double gmax = 0;
  for (float gv : *g)
    gmax = std::max(gmax, std::abs(double(gv)) / out->scale);
  r.outShift = 0;
  while (r.outShift < 21 &&
         gmax * std::ldexp(1.0, 16 + r.outShift + 1 - r.fracBits) <= 32767.0)
    ++r.outShift;
  double gScale = std::ldexp(1.0, 16 + r.outShift - r.fracBits);
  double bLimit = std::ldexp(1.0, 30);
  double rounding = r.outShift ? std::ldexp(1.0, r.outShift - 1) : 0.0;
  for (int64_t i = 0; i < c; ++i) {
    double gq = std::round(double((*g)[i]) / out->scale * gScale);
    r.gamma.push_back(int16_t(std::clamp(gq, -32768.0, 32767.0)));
    double bq = std::round((double((*b)[i]) / out->scale + out->zeroPoint) *
                           std::ldexp(1.0, r.outShift)) + rounding;
    r.beta.push_back(int32_t(std::clamp(bq, -bLimit, bLimit)));
  }
  return r;
}

FailureOr<PReluRules> getPReluRules(Operation *op) {
  auto p = dyn_cast<PReluOp>(op);
  if (!p)
    return error(op) << "is not a prelu";
  FailureOr<QParams> in = qparamsOf(op, op->getOperand(0), "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  PReluRules r;
  r.inZp = in->zeroPoint;
  r.outZp = out->zeroPoint;
  r.positive = quantizeMultiplier(in->scale / out->scale);
  for (float slope : p.getSlopes()) {
    r.negative.push_back(quantizeMultiplier(std::abs(double(slope)) * in->scale /
                                            out->scale));
    r.sign.push_back(slope < 0 ? -1 : 1);
  }
  return r;
}

bool hasLutForm(Operation *op) {
  return isa<GeluOp, SigmoidOp, TanhOp, ErfOp, SiluOp, HardSwishOp,
             HardSigmoidOp, ExpOp, LeakyReluOp>(op);
}

double evaluatePointwise(Operation *op, double x) {
  return llvm::TypeSwitch<Operation *, double>(op)
      .Case([&](GeluOp g) {
        if (g.getApproximate() == GeluApproximation::tanh)
          return 0.5 * x *
                 (1 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
        return 0.5 * x * (1 + std::erf(x * M_SQRT1_2));
      })
      .Case([&](SigmoidOp) { return 1 / (1 + std::exp(-x)); })
      .Case([&](TanhOp) { return std::tanh(x); })
      .Case([&](ErfOp) { return std::erf(x); })
      .Case([&](SiluOp) { return x / (1 + std::exp(-x)); })
      .Case([&](HardSwishOp) { return x * std::clamp(x + 3, 0.0, 6.0) / 6; })
      .Case([&](HardSigmoidOp h) {
        return std::clamp(h.getAlpha().convertToDouble() * x +
                              h.getBeta().convertToDouble(),
                          0.0, 1.0);
      })
      .Case([&](ExpOp) { return std::exp(x); })
      .Case([&](LeakyReluOp l) {
        return x >= 0 ? x : l.getAlpha().convertToDouble() * x;
      })
      .Default([](Operation *) { return 0.0; });
}

FailureOr<LutRules> getLutRules(Operation *op) {
  if (!hasLutForm(op))
    return error(op) << "has no table form";
  FailureOr<QParams> in = qparamsOf(op, op->getOperand(0), "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  LutRules r;
  for (int q = -128; q < 128; ++q) {
    double y = evaluatePointwise(op, double(q - in->zeroPoint) * in->scale);
    double v = double(out->zeroPoint) + std::round(y / out->scale);
    r.table[q + 128] = int8_t(std::clamp(v, -128.0, 127.0));
  }
  return r;
}

FailureOr<MatMulRules> getMatMulRules(Operation *op) {
  FailureOr<QParams> a = qparamsOf(op, op->getOperand(0), "the lhs");
  FailureOr<QParams> b = qparamsOf(op, op->getOperand(1), "the rhs");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(a) || failed(b) || failed(out))
    return failure();
  MatMulRules r;
  r.lhsZp = a->zeroPoint;
  r.rhsZp = b->zeroPoint;
  r.outZp = out->zeroPoint;
  r.requant = quantizeMultiplier(a->scale * b->scale / out->scale);
  return r;
}

FailureOr<ConcatRules> getConcatRules(Operation *op) {
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(out))
    return failure();
  ConcatRules r;
  for (Value v : op->getOperands()) {
    FailureOr<QParams> in = qparamsOf(op, v, "every input");
    if (failed(in))
      return failure();
    RequantRules q;
    q.inZp = in->zeroPoint;
    q.outZp = out->zeroPoint;
    q.requant = quantizeMultiplier(in->scale / out->scale);
    r.inputs.push_back(q);
  }
  return r;
}

/// Per-tensor int8 parameters held by a type attribute of `op`.
static FailureOr<QParams> qparamsOfAttr(Operation *op, StringRef name) {
  auto attr = op->getAttrOfType<TypeAttr>(name);
  auto q = attr ? dyn_cast<quant::UniformQuantizedType>(
                      getElementTypeOrSelf(attr.getValue()))
                : quant::UniformQuantizedType();
  if (!q || q.getStorageTypeIntegralWidth() != 8 || !q.isSigned())
    return error(op) << name << " must be a per-tensor int8 type";
  return QParams{q.getScale(), int32_t(q.getZeroPoint())};
}

FailureOr<AttentionRules> getAttentionRules(Operation *op) {
  auto mhsa = cast<MultiHeadAttentionOp>(op);
  FailureOr<QParams> x = qparamsOf(op, mhsa.getInput(), "the input");
  FailureOr<QParams> out = qparamsOf(op, mhsa.getOutput(), "the result");
  FailureOr<QParams> q = qparamsOfAttr(op, "query_type");
  FailureOr<QParams> v = qparamsOfAttr(op, "value_type");
  FailureOr<QParams> s = qparamsOfAttr(op, "score_type");
  FailureOr<QParams> c = qparamsOfAttr(op, "context_type");
  FailureOr<QParams> k = mhsa.getFusedQk() ? x : qparamsOfAttr(op, "key_type");
  if (failed(x) || failed(out) || failed(q) || failed(k) || failed(v) ||
      failed(s) || failed(c))
    return failure();
  AttentionRules r;
  int64_t e = mhsa.getInput().getType().getShape().back();
  r.heads = int32_t(mhsa.getNumHeads());
  r.headDim = int32_t(e / r.heads);
  r.fusedQk = mhsa.getFusedQk();
  r.xZp = x->zeroPoint;
  r.qZp = q->zeroPoint;
  r.kZp = k->zeroPoint;
  r.vZp = v->zeroPoint;
  r.sZp = s->zeroPoint;
  r.cZp = c->zeroPoint;
  r.outZp = out->zeroPoint;
  FailureOr<ConvRules> qr =
      projectionRules(op, mhsa.getQWeight(), mhsa.getQBias(), *x, *q);
  FailureOr<ConvRules> vr =
      projectionRules(op, mhsa.getVWeight(), mhsa.getVBias(), *x, *v);
  FailureOr<ConvRules> orr =
      projectionRules(op, mhsa.getOWeight(), mhsa.getOBias(), *c, *out);
  if (failed(qr) || failed(vr) || failed(orr))
    return failure();
  r.q = std::move(*qr);
  r.v = std::move(*vr);
  r.o = std::move(*orr);
  if (!r.fusedQk) {
    FailureOr<ConvRules> kr =
        projectionRules(op, mhsa.getKWeight(), mhsa.getKBias(), *x, *k);
    if (failed(kr))
      return failure();
    r.k = std::move(*kr);
  }
  double scale = double(mhsa.getScale().convertToFloat());
  if (!(scale > 0))
    return error(op) << "the score scale must be positive";
  r.score = quantizeMultiplier(q->scale * k->scale * scale / s->scale);
  for (int d = 0; d < 256; ++d)
    r.softmax.expTable[d] = int32_t(std::lround(65536.0 * std::exp(-d * s->scale)));
  r.softmax.out = quantizeMultiplier(256.0 / 2147483648.0);
  r.softmax.outZp = -128;
  r.context = quantizeMultiplier(v->scale / 256.0 / c->scale);
  r.act = fusedRange(op, *out);
  if (Value bias = mhsa.getScoreBias()) {
    std::optional<std::vector<float>> b = getConstantFloats(bias);
    if (!b)
      return error(op) << "the score bias must be a float constant";
    r.biasHeads = int32_t(cast<ShapedType>(bias.getType()).getDimSize(0));
    // In accumulator units; past 300 score steps a bias only saturates the
    // score, so the shift is chosen for at most that (and at most 15, so
    // that the accumulator keeps 2 bits of headroom).
    double unit = q->scale * k->scale * scale, limit = 300 * s->scale / unit;
    double largest = 0;
    for (float x : *b)
      if (!(x <= kMaskedScore))
        largest = std::max(largest, std::min(std::fabs(double(x)) / unit, limit));
    while (r.biasShift < 15 && largest / std::ldexp(1.0, r.biasShift) > 32767)
      ++r.biasShift;
    double step = unit * std::ldexp(1.0, r.biasShift);
    for (float x : *b)
      r.scoreBias.push_back(
          x <= kMaskedScore || std::isnan(x)
              ? kMaskedBias
              : int16_t(std::clamp(std::nearbyint(double(x) / step), -32767.0,
                                   32767.0)));
  }
  return r;
}

bool isIntegerOp(Operation *op) {
  if (op->getNumResults() != 1 || isa<ConstantOp>(op))
    return false;
  if (!isa<quant::QuantizedType>(getElementTypeOrSelf(op->getResult(0))))
    return false;
  if (auto q = dyn_cast<QuantizeOp>(op))
    return isa<quant::QuantizedType>(getElementTypeOrSelf(q.getInput()));
  return true;
}

} // namespace tinyformer
