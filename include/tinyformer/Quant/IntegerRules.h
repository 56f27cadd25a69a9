//===- IntegerRules.h - INT8 parameters of quantized sparse_tiny ops -*- C++ -*-===//
//
// One place derives, from the `quant` types of an INT8 op, every integer the
// arithmetic needs (zero points, fixed-point multipliers, clamps, tables).
// The host reference interpreter and the lowering to kernels both read these
// structs, so the two can only differ in how they compute, never in what.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_QUANT_INTEGERRULES_H
#define TINYFORMER_QUANT_INTEGERRULES_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LogicalResult.h"

#include <array>
#include <optional>
#include <cstdint>
#include <vector>

namespace tinyformer {

/// real = mult * 2^(shift - 31), TFLite's QuantizeMultiplier.
struct Multiplier {
  int32_t mult = 0;
  int32_t shift = 0;
};
Multiplier quantizeMultiplier(double real);

/// TFLite's MultiplyByQuantizedMultiplier (double rounding), written out on
/// its own here as the oracle's arithmetic.
int32_t multiplyByQuantizedMultiplier(int32_t x, Multiplier m);

/// Scale and zero point of a per-tensor int8 type.
struct QParams {
  double scale = 1;
  int32_t zeroPoint = 0;
};

/// The int8 range a fused activation (clamp_min / clamp_max attributes of
/// `op`) leaves for an output quantized with `out`, as TFLite computes it.
struct ActRange {
  int32_t min = -128, max = 127;
};

/// conv2d and fully_connected: per-output-channel requantization.
struct ConvRules {
  int32_t inZp = 0, outZp = 0;
  ActRange act;
  std::vector<Multiplier> requant;
  std::vector<int8_t> weight; ///< as stored (OIHW or [N][K])
  std::vector<int32_t> bias;  ///< zeros when the op has none
};

/// add: TFLite ADD with a left shift of 20.
struct AddRules {
  int32_t lhsZp = 0, rhsZp = 0, outZp = 0, leftShift = 20;
  Multiplier lhs, rhs, out;
  ActRange act;
};

/// mul of two activations (a gate: x * sigmoid(...)), TFLite MUL:
/// out = zp' + mbqm((a - zp_a) * (b - zp_b), s_a * s_b / s').
struct MulRules {
  int32_t lhsZp = 0, rhsZp = 0, outZp = 0;
  Multiplier mult;
  ActRange act;
};

/// quantize (q -> q), relu, clip, mul / div by a positive constant c:
/// out = zp' + mbqm(in - zp, s * c / s').
struct RequantRules {
  int32_t inZp = 0, outZp = 0;
  Multiplier requant;
  ActRange act;
};

/// avg_pool2d / global_avg_pool2d: one multiplier per tap count (index 0
/// unused) for s_in / (s_out * count).
struct AvgPoolRules {
  int32_t inZp = 0, outZp = 0;
  std::vector<Multiplier> byCount;
  ActRange act;
};

/// max_pool2d: the same scale and zero point in and out.
struct MaxPoolRules {
  ActRange act;
};

/// softmax over the last axis with an exp table over max - x.
struct SoftmaxRules {
  std::array<int32_t, 256> expTable{};
  Multiplier out; ///< 1 / (s_out * 2^31)
  int32_t outZp = 0;
};

/// layer_norm over the last axis (tfk_layer_norm_s8's constants): the
/// normalised value has fracBits fractional bits, gamma and beta carry the
/// output scale, zero point and the final shift (kernels.h).
struct LayerNormRules {
  int64_t epsTerm = 0;        ///< round(eps * C^2 / s_in^2)
  int32_t fracBits = 0;       ///< 30 - ceil(log2(C) / 2)
  int32_t outShift = 0;       ///< in [0, 21], gamma as precise as int16 allows
  std::vector<int16_t> gamma; ///< round(g / s_out * 2^(16 + outShift - fracBits))
  std::vector<int32_t> beta;  ///< round((b / s_out + zp) * 2^outShift) + rounding
};

/// A pointwise function (gelu, sigmoid, tanh, ...) as a 256-entry table:
/// table[q + 128] = clamp(zp_out + round(f((q - zp_in) * s_in) / s_out)).
struct LutRules {
  std::array<int8_t, 256> table{};
};

/// prelu, one slope per channel (dim 1): v = x - zp; v >= 0: zp' +
/// mbqm(v, s / s'); else zp' + sign_c * mbqm(v, |slope_c| s / s').
struct PReluRules {
  int32_t inZp = 0, outZp = 0;
  Multiplier positive;
  std::vector<Multiplier> negative;
  std::vector<int32_t> sign;
};

/// matmul of two int8 activations.
struct MatMulRules {
  int32_t lhsZp = 0, rhsZp = 0, outZp = 0;
  Multiplier requant; ///< s_lhs * s_rhs / s_out
  ActRange act;
};

/// concat: each input requantized to the output's scale.
struct ConcatRules {
  std::vector<RequantRules> inputs;
};

/// mhsa: the four projections and the integer attention between them.
/// A softmax input (score plus bias) at or below this, -inf included,
/// masks its entry: float32's exp gives 0 there, the INT8 kernels skip it.
constexpr float kMaskedScore = -1e4f;
/// A masked entry of an INT8 score bias.
constexpr int16_t kMaskedBias = -32768;

struct AttentionRules {
  int32_t heads = 1, headDim = 1;  ///< H and P
  bool fusedQk = false;
  int32_t xZp = 0, qZp = 0, kZp = 0, vZp = 0, sZp = 0, cZp = 0, outZp = 0;
  ConvRules q, k, v, o;  ///< k is empty with fused_qk
  Multiplier score;      ///< s_q * s_k * scale / s_score
  SoftmaxRules softmax;  ///< exp table for s_score, output 1/256, zp -128
  Multiplier context;    ///< s_v / 256 / s_context (p + 128 has scale 1/256)
  ActRange act;
  /// The score bias [biasHeads, S, S] (biasHeads 0: none), added to Q·Kᵀ's
  /// accumulator before its one rounding: b = scoreBias * 2^biasShift in
  /// accumulator units (s_q * s_k * scale), kMaskedBias where masked.
  std::vector<int16_t> scoreBias;
  int32_t biasHeads = 0, biasShift = 0;
};

/// Each reads `op`'s types and constants; an op that is not in the INT8
/// form these rules cover gets an error naming what is wrong.
mlir::FailureOr<QParams> getQParams(mlir::Value value);
mlir::FailureOr<ConvRules> getConvRules(mlir::Operation *op);
mlir::FailureOr<AddRules> getAddRules(mlir::Operation *op);
mlir::FailureOr<MulRules> getMulRules(mlir::Operation *op);
mlir::FailureOr<RequantRules> getRequantRules(mlir::Operation *op);
mlir::FailureOr<AvgPoolRules> getAvgPoolRules(mlir::Operation *op,
                                              int64_t windowSize);
mlir::FailureOr<MaxPoolRules> getMaxPoolRules(mlir::Operation *op);
mlir::FailureOr<SoftmaxRules> getSoftmaxRules(mlir::Operation *op);
mlir::FailureOr<LayerNormRules> getLayerNormRules(mlir::Operation *op);
mlir::FailureOr<LutRules> getLutRules(mlir::Operation *op);
mlir::FailureOr<PReluRules> getPReluRules(mlir::Operation *op);
mlir::FailureOr<MatMulRules> getMatMulRules(mlir::Operation *op);
mlir::FailureOr<ConcatRules> getConcatRules(mlir::Operation *op);
mlir::FailureOr<AttentionRules> getAttentionRules(mlir::Operation *op);

/// The pointwise ops that have a table form, and their float function.
bool hasLutForm(mlir::Operation *op);
double evaluatePointwise(mlir::Operation *op, double x);

/// Whether `op` computes on INT8 tensors (its result is quantized and it is
/// not a plain quantize of a float).
bool isIntegerOp(mlir::Operation *op);

} // namespace tinyformer

#endif // TINYFORMER_QUANT_INTEGERRULES_H
