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
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/Dialect/Quant/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"

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

FailureOr<ConvRules> getConvRules(Operation *op) {
  Value input = op->getOperand(0), weight = op->getOperand(1);
  Value bias = op->getNumOperands() > 2 ? op->getOperand(2) : Value();
  FailureOr<QParams> in = qparamsOf(op, input, "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  FailureOr<std::vector<double>> ws = weightScales(op, weight);
  if (failed(ws))
    return failure();
  std::optional<std::vector<int64_t>> w = getConstantInts(weight);
  if (!w)
    return error(op) << "the weight must be a readable constant";
  ConvRules r;
  r.inZp = in->zeroPoint;
  r.outZp = out->zeroPoint;
  r.act = fusedRange(op, *out);
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
    r.requant.push_back(quantizeMultiplier(in->scale * s / out->scale));
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

FailureOr<RequantRules> getRequantRules(Operation *op) {
  FailureOr<QParams> in = qparamsOf(op, op->getOperand(0), "the input");
  FailureOr<QParams> out = qparamsOf(op, op->getResult(0), "the result");
  if (failed(in) || failed(out))
    return failure();
  RequantRules r;
  r.inZp = in->zeroPoint;
  r.outZp = out->zeroPoint;
  r.requant = quantizeMultiplier(in->scale / out->scale);
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
