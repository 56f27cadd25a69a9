//===- SparseTinyCanonicalize.cpp - fusion by canonicalization ------------===//
//
// Exporters decompose LayerNorm (below opset 17), GELU (always), SiLU and
// biases of MatMul-based linears into chains of elementwise ops. These
// patterns put each chain back into the single op that kernels, the cost model
// and quantization reason about:
//
//   div(x - mean(x), sqrt(mean((x - mean(x))^2) + eps))  -> layer_norm
//   mul(layer_norm, c) / add(layer_norm, c)               -> its scale / bias
//   x * 0.5 * (1 + erf(x / sqrt(2)))                      -> gelu
//   x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) -> gelu tanh
//   x * sigmoid(x)                                        -> silu
//   x * hard_sigmoid(x; 1/6, 1/2)                         -> hardswish
//   add(fully_connected / conv2d, per-channel constant)   -> its bias
//   mul(conv2d, per-channel constant)                     -> scaled weights
//                                        (BatchNormalization after a conv)
//   conv2d / avg_pool2d of a zero pad of H and W          -> their padding
//   activation / per-channel affine after a data mover    -> before it
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace {

/// The one value of a splat float constant, if `v` is one.
std::optional<float> getSplatFloat(Value v) {
  std::optional<std::vector<float>> values = getConstantFloats(v);
  if (!values || values->empty() || isa<quant::QuantizedType>(
                                        getElementTypeOrSelf(v.getType())))
    return std::nullopt;
  for (float x : *values)
    if (x != values->front())
      return std::nullopt;
  return values->front();
}

bool isSplat(Value v, double expected, double relTol = 1e-4) {
  std::optional<float> s = getSplatFloat(v);
  return s && std::abs(*s - expected) <= relTol * std::abs(expected);
}

/// The leaves of a tree of `OpTy` (mul or add) below `v`, at most `depth`
/// levels deep; commutativity lets patterns match any association.
template <typename OpTy>
void collectLeaves(Value v, int depth, SmallVectorImpl<Value> &leaves) {
  auto op = v.getDefiningOp<OpTy>();
  if (!op || depth == 0) {
    leaves.push_back(v);
    return;
  }
  collectLeaves<OpTy>(op.getLhs(), depth - 1, leaves);
  collectLeaves<OpTy>(op.getRhs(), depth - 1, leaves);
}

/// Splits `leaves` into one splat constant equal to `c` and the rest.
bool takeSplat(SmallVectorImpl<Value> &leaves, double c) {
  for (auto *it = leaves.begin(); it != leaves.end(); ++it)
    if (isSplat(*it, c)) {
      leaves.erase(it);
      return true;
    }
  return false;
}

/// Matches `x / sqrt(2)` or `x * (1 / sqrt(2))`, returning x.
Value matchDivBySqrt2(Value v) {
  if (auto div = v.getDefiningOp<DivOp>())
    if (isSplat(div.getRhs(), M_SQRT2))
      return div.getLhs();
  SmallVector<Value> leaves;
  collectLeaves<MulOp>(v, 1, leaves);
  if (leaves.size() == 2 && takeSplat(leaves, M_SQRT1_2))
    return leaves.front();
  return {};
}

/// Matches `x^3` as pow(x, 3) or x * x * x, returning x.
Value matchCube(Value v) {
  if (auto pow = v.getDefiningOp<PowOp>())
    return isSplat(pow.getRhs(), 3.0) ? pow.getLhs() : Value();
  SmallVector<Value> leaves;
  collectLeaves<MulOp>(v, 2, leaves);
  if (leaves.size() == 3 && leaves[0] == leaves[1] && leaves[1] == leaves[2])
    return leaves[0];
  return {};
}

/// Matches the argument of GELU's tanh: sqrt(2/pi) * (x + 0.044715 * x^3).
Value matchGeluTanhArgument(Value v) {
  SmallVector<Value> factors;
  collectLeaves<MulOp>(v, 1, factors);
  if (factors.size() != 2 || !takeSplat(factors, std::sqrt(2.0 / M_PI)))
    return {};
  SmallVector<Value> terms;
  collectLeaves<AddOp>(factors.front(), 1, terms);
  if (terms.size() != 2)
    return {};
  for (int i = 0; i < 2; ++i) {
    // 0.044715 * x^3 as a product of 0.044715 and pow(x, 3), or of
    // 0.044715 and three x in any association.
    SmallVector<Value> cubic;
    collectLeaves<MulOp>(terms[1 - i], 3, cubic);
    if (!takeSplat(cubic, 0.044715))
      continue;
    if (cubic.size() == 1 && matchCube(cubic.front()) == terms[i])
      return terms[i];
    if (cubic.size() == 3 && llvm::all_of(cubic, [&](Value v) {
          return v == terms[i];
        }))
      return terms[i];
  }
  return {};
}

/// x * 0.5 * (1 + erf(x / sqrt 2)) and the tanh form, in any association.
struct FuseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    // The three factors x, 0.5 and (1 + f(x)), split off the root in each
    // way its two levels allow (x may itself be a product).
    SmallVector<SmallVector<Value, 3>> triples;
    Value l = root.getLhs(), r = root.getRhs();
    if (auto m = l.getDefiningOp<MulOp>())
      triples.push_back({m.getLhs(), m.getRhs(), r});
    if (auto m = r.getDefiningOp<MulOp>())
      triples.push_back({l, m.getLhs(), m.getRhs()});
    for (SmallVector<Value, 3> &factors : triples) {
      if (!takeSplat(factors, 0.5))
        continue;
      for (int i = 0; i < 2; ++i) {
        Value x = factors[i];
        SmallVector<Value> terms;
        collectLeaves<AddOp>(factors[1 - i], 1, terms);
        if (terms.size() != 2 || !takeSplat(terms, 1.0) ||
            x.getType() != root.getType())
          continue;
        GeluApproximation approx;
        if (auto erf = terms.front().getDefiningOp<ErfOp>();
            erf && matchDivBySqrt2(erf.getInput()) == x)
          approx = GeluApproximation::none;
        else if (auto tanh = terms.front().getDefiningOp<TanhOp>();
                 tanh && matchGeluTanhArgument(tanh.getInput()) == x)
          approx = GeluApproximation::tanh;
        else
          continue;
        rewriter.replaceOpWithNewOp<GeluOp>(root, root.getType(), x, approx);
        return success();
      }
    }
    return failure();
  }
};

/// x * sigmoid(x) -> silu(x); x * hard_sigmoid(x; 1/6, 1/2) -> hardswish(x).
struct FuseGatedActivation : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    for (auto [x, gate] : {std::pair(root.getLhs(), root.getRhs()),
                           std::pair(root.getRhs(), root.getLhs())}) {
      if (x.getType() != root.getType())
        continue;
      if (auto sig = gate.getDefiningOp<SigmoidOp>();
          sig && sig.getInput() == x) {
        rewriter.replaceOpWithNewOp<SiluOp>(root, root.getType(), x);
        return success();
      }
      if (auto hs = gate.getDefiningOp<HardSigmoidOp>();
          hs && hs.getInput() == x &&
          std::abs(hs.getAlpha().convertToFloat() - 1.0f / 6) < 1e-6f &&
          hs.getBeta().convertToFloat() == 0.5f) {
        rewriter.replaceOpWithNewOp<HardSwishOp>(root, root.getType(), x);
        return success();
      }
    }
    return failure();
  }
};

/// True if `axes` (with keepdims) are exactly the trailing dims from `axis`.
bool isTrailingMean(MeanOp mean, int64_t &axis) {
  int64_t rank = mean.getInput().getType().getRank();
  ArrayRef<int64_t> axes = mean.getAxes();
  if (!mean.getKeepdims() || axes.empty() || axes.back() != rank - 1)
    return false;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return false;
  axis = axes.front();
  return true;
}

/// (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) -> layer_norm(x, 1, 0).
struct FuseLayerNorm : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto centered = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!centered || !sqrt)
      return failure();
    Value x = centered.getLhs();
    auto mean = centered.getRhs().getDefiningOp<MeanOp>();
    int64_t axis;
    if (!mean || mean.getInput() != x || !isTrailingMean(mean, axis) ||
        x.getType() != div.getType())
      return failure();
    SmallVector<Value> terms;
    collectLeaves<AddOp>(sqrt.getInput(), 1, terms);
    if (terms.size() != 2)
      return failure();
    std::optional<float> eps = getSplatFloat(terms[1]);
    Value variance = terms[0];
    if (!eps) {
      eps = getSplatFloat(terms[0]);
      variance = terms[1];
    }
    auto varMean = variance.getDefiningOp<MeanOp>();
    int64_t varAxis;
    if (!eps || !(*eps > 0) || !varMean || !isTrailingMean(varMean, varAxis) ||
        varAxis != axis)
      return failure();
    // The squared deviation: pow(d, 2) or d * d, with d the centered input.
    Value squared = varMean.getInput();
    bool isSquare = false;
    if (auto pow = squared.getDefiningOp<PowOp>())
      isSquare = pow.getLhs() == centered.getResult() &&
                 isSplat(pow.getRhs(), 2.0);
    else if (auto mul = squared.getDefiningOp<MulOp>())
      isSquare = mul.getLhs() == centered.getResult() &&
                 mul.getRhs() == centered.getResult();
    if (!isSquare)
      return failure();

    auto type = cast<RankedTensorType>(x.getType());
    auto paramType = RankedTensorType::get(type.getShape().drop_front(axis),
                                           rewriter.getF32Type());
    std::vector<float> ones(paramType.getNumElements(), 1.0f);
    std::vector<float> zeros(paramType.getNumElements(), 0.0f);
    Value scale = createFloatConstant(rewriter, div.getLoc(), paramType, ones,
                                      "layer_norm.scale");
    Value bias = createFloatConstant(rewriter, div.getLoc(), paramType, zeros,
                                     "layer_norm.bias");
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        div, div.getType(), x, scale, bias, rewriter.getI64IntegerAttr(axis),
        rewriter.getF32FloatAttr(*eps));
    return success();
  }
};

/// The values of constant `c` broadcast to `shape` (the trailing dims of the
/// op it combines with), or nullopt if `c` is not a float constant whose
/// broadcast over the whole result depends only on those trailing dims.
std::optional<std::vector<float>>
broadcastTrailing(Value c, ArrayRef<int64_t> shape, int64_t resultRank) {
  std::optional<std::vector<float>> values = getConstantFloats(c);
  auto cType = cast<RankedTensorType>(c.getType());
  if (!values || isa<quant::QuantizedType>(cType.getElementType()))
    return std::nullopt;
  ArrayRef<int64_t> cShape = cType.getShape();
  // Dims of c in front of the trailing ones must be 1 (no batch/token axis).
  int64_t lead = int64_t(cShape.size()) - int64_t(shape.size());
  if (int64_t(cShape.size()) > resultRank)
    return std::nullopt;
  for (int64_t i = 0; i < lead; ++i)
    if (cShape[i] != 1)
      return std::nullopt;
  SmallVector<int64_t> padded(std::max<int64_t>(0, -lead), 1);
  for (int64_t d : cShape.drop_front(std::max<int64_t>(0, lead)))
    padded.push_back(d);
  for (size_t i = 0; i < shape.size(); ++i)
    if (padded[i] != 1 && padded[i] != shape[i])
      return std::nullopt;
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<float> out(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, src = 0, stride = 1;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      int64_t idx = rem % shape[d];
      rem /= shape[d];
      if (padded[d] != 1)
        src += idx * stride;
      stride *= padded[d];
    }
    out[i] = (*values)[src];
  }
  return out;
}

/// One value per output channel of `c` combined with a conv2d result of
/// `type` ([N, C, H, W]): c must broadcast over the result and not vary over
/// H and W.
std::optional<std::vector<float>> perChannelOfConv(Value c,
                                                   RankedTensorType type) {
  int64_t channels = type.getDimSize(1);
  SmallVector<int64_t> trailing{channels, type.getDimSize(2),
                                type.getDimSize(3)};
  std::optional<std::vector<float>> values =
      broadcastTrailing(c, trailing, type.getRank());
  if (!values)
    return std::nullopt;
  int64_t plane = trailing[1] * trailing[2];
  std::vector<float> out(channels);
  for (int64_t ch = 0; ch < channels; ++ch) {
    out[ch] = (*values)[ch * plane];
    for (int64_t p = 1; p < plane; ++p)
      if ((*values)[ch * plane + p] != out[ch])
        return std::nullopt;
  }
  return out;
}

/// mul(layer_norm(x, g, b), c) -> layer_norm(x, g*c, b*c) and
/// add(layer_norm(x, g, b), c) -> layer_norm(x, g, b+c), c over the
/// normalized dims only.
template <typename OpTy>
struct FoldAffineIntoLayerNorm : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    for (auto [lhs, rhs] : {std::pair(op.getLhs(), op.getRhs()),
                            std::pair(op.getRhs(), op.getLhs())}) {
      auto ln = lhs.template getDefiningOp<LayerNormOp>();
      if (!ln || !ln->hasOneUse() || ln.getType() != op.getType())
        continue;
      ArrayRef<int64_t> normShape =
          ln.getInput().getType().getShape().drop_front(ln.getAxis());
      std::optional<std::vector<float>> c =
          broadcastTrailing(rhs, normShape, ln.getType().getRank());
      std::optional<std::vector<float>> g = getConstantFloats(ln.getScale());
      std::optional<std::vector<float>> b = getConstantFloats(ln.getBias());
      if (!c || !g || !b)
        continue;
      for (size_t i = 0; i < c->size(); ++i) {
        if constexpr (std::is_same_v<OpTy, MulOp>) {
          (*g)[i] *= (*c)[i];
          (*b)[i] *= (*c)[i];
        } else {
          (*b)[i] += (*c)[i];
        }
      }
      auto paramType = cast<RankedTensorType>(ln.getScale().getType());
      Value scale = createFloatConstant(rewriter, op.getLoc(), paramType, *g,
                                        "layer_norm.scale");
      Value bias = createFloatConstant(rewriter, op.getLoc(), paramType, *b,
                                       "layer_norm.bias");
      rewriter.replaceOpWithNewOp<LayerNormOp>(
          op, op.getType(), ln.getInput(), scale, bias, ln.getAxisAttr(),
          ln.getEpsilonAttr());
      return success();
    }
    return failure();
  }
};

/// Whether `op` carries a fused activation (clamp_min / clamp_max).
static bool hasFusedClamp(Operation *op) {
  return op->hasAttr("clamp_min") || op->hasAttr("clamp_max");
}

/// add(fully_connected(x, w[, b]), c) and add(conv2d(x, w[, b]), c) with c
/// constant per output channel -> the same op with bias b + c.
struct FoldAddIntoBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [lhs, rhs] : {std::pair(add.getLhs(), add.getRhs()),
                            std::pair(add.getRhs(), add.getLhs())}) {
      Operation *producer = lhs.getDefiningOp();
      // A fused activation clamps after the bias: nothing folds across it.
      if (!producer || !producer->hasOneUse() ||
          !isa<FullyConnectedOp, Conv2DOp>(producer) ||
          lhs.getType() != add.getType() || hasFusedClamp(producer) ||
          hasFusedClamp(add))
        continue;
      auto resultType = cast<RankedTensorType>(lhs.getType());
      // Channels are the last dim of a linear, dim 1 (with H, W after) of
      // a conv.
      std::optional<std::vector<float>> c =
          isa<Conv2DOp>(producer)
              ? perChannelOfConv(rhs, resultType)
              : broadcastTrailing(rhs, {resultType.getShape().back()},
                                  resultType.getRank());
      if (!c)
        continue;
      int64_t channels = c->size();
      std::vector<float> perChannel = *c;
      Value oldBias = producer->getNumOperands() > 2 ? producer->getOperand(2)
                                                     : Value();
      if (oldBias) {
        std::optional<std::vector<float>> b = getConstantFloats(oldBias);
        if (!b || isa<quant::QuantizedType>(
                      getElementTypeOrSelf(oldBias.getType())))
          continue;
        for (int64_t ch = 0; ch < channels; ++ch)
          perChannel[ch] += (*b)[ch];
      }
      auto biasType =
          RankedTensorType::get({channels}, rewriter.getF32Type());
      Value bias = createFloatConstant(rewriter, add.getLoc(), biasType,
                                       perChannel, "bias");
      rewriter.modifyOpInPlace(producer, [&] {
        if (oldBias)
          producer->setOperand(2, bias);
        else
          producer->insertOperands(2, bias);
      });
      rewriter.replaceOp(add, producer->getResults());
      return success();
    }
    return failure();
  }
};

/// mul(conv2d(x, w, b), c) with a constant per output channel and a float
/// constant weight -> conv2d(x, w * c, b * c): BatchNormalization's scale.
struct FoldScaleIntoConv : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    for (auto [lhs, rhs] : {std::pair(mul.getLhs(), mul.getRhs()),
                            std::pair(mul.getRhs(), mul.getLhs())}) {
      auto conv = lhs.getDefiningOp<Conv2DOp>();
      if (!conv || !conv->hasOneUse() || conv.getType() != mul.getType() ||
          hasFusedClamp(conv))
        continue;
      auto type = conv.getType();
      int64_t channels = type.getDimSize(1);
      std::optional<std::vector<float>> scale = perChannelOfConv(rhs, type);
      std::optional<std::vector<float>> w = getConstantFloats(conv.getWeight());
      auto wType = cast<RankedTensorType>(conv.getWeight().getType());
      if (!scale || !w || isa<quant::QuantizedType>(wType.getElementType()))
        continue;
      // Check the bias before creating anything: a pattern that fails must
      // leave the IR as it was.
      std::optional<std::vector<float>> b;
      if (Value oldBias = conv.getBias()) {
        b = getConstantFloats(oldBias);
        if (!b || isa<quant::QuantizedType>(
                      getElementTypeOrSelf(oldBias.getType())))
          continue;
      }
      int64_t perChannel = wType.getNumElements() / channels;
      for (int64_t i = 0; i < int64_t(w->size()); ++i)
        (*w)[i] *= (*scale)[i / perChannel];
      Value weight = createFloatConstant(rewriter, mul.getLoc(), wType, *w,
                                         "weight");
      Value bias;
      if (b) {
        for (int64_t ch = 0; ch < channels; ++ch)
          (*b)[ch] *= (*scale)[ch];
        bias = createFloatConstant(
            rewriter, mul.getLoc(),
            cast<RankedTensorType>(conv.getBias().getType()), *b, "bias");
      }
      rewriter.replaceOpWithNewOp<Conv2DOp>(
          mul, mul.getType(), conv.getInput(), weight, bias,
          conv.getStridesAttr(), conv.getPaddingAttr(), conv.getDilationsAttr(),
          conv.getGroupsAttr(), /*clamp_min=*/FloatAttr(),
          /*clamp_max=*/FloatAttr());
      return success();
    }
    return failure();
  }
};

/// A zero pad of only H and W (NCHW) followed by conv2d or avg_pool2d: the
/// op pads instead (avg_pool2d then counts the padded zeros, as it did).
template <typename OpTy>
struct FoldPadIntoWindowOp : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    // A zero pad of the [N, C, H, W] input, or of a 1-D op's [N, C, L]
    // input seen as [N, C, 1, L] (torch pads a 1-D pooling explicitly).
    auto pad = op.getInput().template getDefiningOp<PadOp>();
    auto view = op.getInput().template getDefiningOp<ReshapeOp>();
    bool oneD = !pad && view && view.getInput().template getDefiningOp<PadOp>();
    if (oneD)
      pad = view.getInput().template getDefiningOp<PadOp>();
    if (!pad || pad.getMode() != "constant" ||
        pad.getValue().convertToFloat() != 0.0f)
      return failure();
    SmallVector<int64_t> low(pad.getLow()), high(pad.getHigh());
    RankedTensorType unpadded;
    if (oneD) {
      auto in = pad.getInput().getType();
      ArrayRef<int64_t> v = view.getOutput().getType().getShape();
      if (in.getRank() != 3 || v.size() != 4 || v[2] != 1 || v[0] != in.getDimSize(0) ||
          v[1] != in.getDimSize(1))
        return failure();
      low = {low[0], low[1], 0, low[2]};
      high = {high[0], high[1], 0, high[2]};
      unpadded = RankedTensorType::get(
          {in.getDimSize(0), in.getDimSize(1), 1, in.getDimSize(2)},
          in.getElementType());
    } else if (pad.getInput().getType().getRank() != 4) {
      return failure();
    }
    if (low[0] || low[1] || high[0] || high[1])
      return failure();
    if constexpr (std::is_same_v<OpTy, AvgPool2DOp>) {
      // Counting the explicit zeros: legal only if the op counts padding
      // too or has none of its own.
      if (!op.getCountIncludePad() &&
          llvm::any_of(op.getPadding(), [](int64_t p) { return p != 0; }))
        return failure();
    }
    SmallVector<int64_t> padding(op.getPadding());
    padding[0] += low[2];
    padding[1] += low[3];
    padding[2] += high[2];
    padding[3] += high[3];
    if constexpr (std::is_same_v<OpTy, AvgPool2DOp>) {
      // The pool's own rule: padding smaller than the window.
      ArrayRef<int64_t> k = op.getKernel();
      for (int i = 0; i < 4; ++i)
        if (padding[i] >= k[i % 2])
          return failure();
    }
    Value source = pad.getInput();
    if (oneD)
      source = rewriter.create<ReshapeOp>(view.getLoc(), unpadded, source);
    rewriter.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(source);
      op.setPadding(padding);
      if constexpr (std::is_same_v<OpTy, AvgPool2DOp>)
        op.setCountIncludePad(true);
    });
    return success();
  }
};

} // namespace

/// A transpose that moves only size-1 dims keeps every element in place:
/// a reshape (torch's batch-first nn.MultiheadAttention transposes
/// [1, S, E] to [S, 1, E] and back).
struct UnitDimTransposeToReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> in = op.getInput().getType().getShape();
    int64_t last = -1;
    for (int64_t p : op.getPerm()) {
      if (in[p] == 1)
        continue;
      if (p < last)
        return failure();
      last = p;
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getOutput().getType(),
                                           op.getInput());
    return success();
  }
};

/// A grouped convolution that is not depthwise (ResNeXt, ShuffleNet): one
/// convolution per group over its channel slice, joined by a concat along
/// the channels (kernels exist for plain and depthwise convolutions, and
/// for slices and concats of NHWC maps). Float only, with a constant
/// weight; at most kMaxGroupsSplit groups (one layer each).
struct SplitGroupedConv : OpRewritePattern<Conv2DOp> {
  static constexpr int64_t kMaxGroupsSplit = 32;
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp conv,
                                PatternRewriter &rewriter) const override {
    int64_t groups = int64_t(conv.getGroups());
    auto in = cast<RankedTensorType>(conv.getInput().getType());
    auto out = cast<RankedTensorType>(conv.getOutput().getType());
    auto wType = cast<RankedTensorType>(conv.getWeight().getType());
    int64_t c = in.getDimSize(1), o = out.getDimSize(1);
    if (groups <= 1 || (groups == c && o == c) || groups > kMaxGroupsSplit ||
        !isa<FloatType>(in.getElementType()))
      return failure();
    std::optional<std::vector<float>> w = getConstantFloats(conv.getWeight());
    std::optional<std::vector<float>> b;
    if (conv.getBias() && !(b = getConstantFloats(conv.getBias())))
      return failure();
    if (!w)
      return failure();
    Location loc = conv.getLoc();
    int64_t cg = c / groups, og = o / groups;
    int64_t wGroup = og * wType.getNumElements() / o;
    ArrayRef<int64_t> s = in.getShape();
    SmallVector<Value> parts;
    for (int64_t g = 0; g < groups; ++g) {
      auto slice = rewriter.create<SliceOp>(
          loc, in.clone({s[0], cg, s[2], s[3]}), conv.getInput(),
          rewriter.getDenseI64ArrayAttr({0, g * cg, 0, 0}),
          rewriter.getDenseI64ArrayAttr({s[0], cg, s[2], s[3]}),
          rewriter.getDenseI64ArrayAttr({1, 1, 1, 1}));
      SmallVector<int64_t> wShape(wType.getShape());
      wShape[0] = og;
      Value weight = createFloatConstant(
          rewriter, loc, wType.clone(wShape),
          ArrayRef<float>(*w).slice(g * wGroup, wGroup));
      Value bias;
      if (b)
        bias = createFloatConstant(rewriter, loc, RankedTensorType::get({og}, rewriter.getF32Type()),
                                   ArrayRef<float>(*b).slice(g * og, og));
      SmallVector<int64_t> oShape(out.getShape());
      oShape[1] = og;
      parts.push_back(rewriter.create<Conv2DOp>(
          loc, out.clone(oShape), slice, weight, bias, conv.getStridesAttr(),
          conv.getPaddingAttr(), conv.getDilationsAttr(),
          rewriter.getI64IntegerAttr(1), conv.getClampMinAttr(),
          conv.getClampMaxAttr()));
    }
    rewriter.replaceOpWithNewOp<ConcatOp>(conv, out, parts,
                                          rewriter.getI64IntegerAttr(1));
    return success();
  }
};

/// Channels-last code on a map, as ConvNeXt / MobileViT write it:
/// x.permute(0, 2, 3, 1), then ops that act along the last axis only
/// (LayerNorm, Linear, activations, a per-channel scale or shift), then
/// permute(0, 3, 1, 2). The same ops run over tokens: the map viewed as
/// [N, C, H*W] and transposed to [N, H*W, C] (the NHWC bytes themselves, no
/// copy), each op on [N, H*W, C'], and back the same way.
struct ChannelsLastAsTokens : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  /// Whether `op` (reading `v`) computes along the last axis only.
  static bool alongLastAxis(Operation *op, Value v) {
    if (auto ln = dyn_cast<LayerNormOp>(op))
      return ln.getInput() == v && ln.getAxis() == 3;
    if (auto fc = dyn_cast<FullyConnectedOp>(op))
      return fc.getInput() == v;
    if (isa<ReluOp, ClipOp, SigmoidOp, HardSigmoidOp, HardSwishOp, SiluOp,
            TanhOp, GeluOp, LeakyReluOp>(op))
      return true;
    if (isa<MulOp, AddOp>(op) && op->getOperand(0) == v) {
      auto c = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
      return c && op->getOperand(1).getDefiningOp<ConstantOp>() &&
             (c.getRank() == 0 || (c.getRank() == 1 &&
                                   c.getDimSize(0) == cast<RankedTensorType>(
                                       v.getType()).getDimSize(3)));
    }
    return false;
  }

  LogicalResult matchAndRewrite(TransposeOp toLast,
                                PatternRewriter &rewriter) const override {
    auto map = cast<RankedTensorType>(toLast.getInput().getType());
    if (map.getRank() != 4 || toLast.getPerm() != ArrayRef<int64_t>{0, 2, 3, 1})
      return failure();
    SmallVector<Operation *> chain;
    TransposeOp toFirst;
    Value cur = toLast.getOutput();
    while (!toFirst && cur.hasOneUse()) {
      Operation *user = *cur.getUsers().begin();
      if (auto t = dyn_cast<TransposeOp>(user);
          t && t.getPerm() == ArrayRef<int64_t>{0, 3, 1, 2}) {
        toFirst = t;
        break;
      }
      if (user->getNumResults() != 1 || !alongLastAxis(user, cur))
        return failure();
      chain.push_back(user);
      cur = user->getResult(0);
    }
    if (!toFirst || chain.empty())
      return failure();
    Location loc = toLast.getLoc();
    int64_t n = map.getDimSize(0), c = map.getDimSize(1),
            hw = map.getDimSize(2) * map.getDimSize(3);
    auto perm = rewriter.getDenseI64ArrayAttr({0, 2, 1});
    Value flat = rewriter.create<ReshapeOp>(loc, map.clone({n, c, hw}),
                                            toLast.getInput());
    Value tokens =
        rewriter.create<TransposeOp>(loc, map.clone({n, hw, c}), flat, perm);
    IRMapping mapping;
    mapping.map(toLast.getOutput(), tokens);
    for (Operation *op : chain) {
      Operation *copy = rewriter.clone(*op, mapping);
      auto type = cast<RankedTensorType>(op->getResult(0).getType());
      copy->getResult(0).setType(type.clone({n, hw, type.getDimSize(3)}));
      if (auto ln = dyn_cast<LayerNormOp>(copy))
        ln.setAxis(2);
      mapping.map(op->getResult(0), copy->getResult(0));
    }
    auto outMap = cast<RankedTensorType>(toFirst.getOutput().getType());
    int64_t co = outMap.getDimSize(1);
    Value back = rewriter.create<TransposeOp>(
        loc, outMap.clone({n, co, hw}), mapping.lookup(cur), perm);
    rewriter.replaceOpWithNewOp<ReshapeOp>(toFirst, outMap, back);
    return success();
  }
};

/// A mean of a map that drops dims (other than a spatial mean, which
/// becomes a global average pool) keeps them, then a reshape drops them:
/// the mean then runs over adjacent bytes of the NHWC map, and the reshape
/// is an alias or one copy.
struct MapMeanKeepsDims : OpRewritePattern<MeanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MeanOp mean,
                                PatternRewriter &rewriter) const override {
    auto in = cast<RankedTensorType>(mean.getInput().getType());
    auto out = cast<RankedTensorType>(mean.getOutput().getType());
    if (in.getRank() != 4 || out.getRank() == 4 ||
        mean.getAxes() == ArrayRef<int64_t>{2, 3})
      return failure();
    SmallVector<int64_t> kept(in.getShape());
    for (int64_t a : mean.getAxes())
      kept[a] = 1;
    auto keep = rewriter.create<MeanOp>(mean.getLoc(), out.clone(kept),
                                        mean.getInput(), mean.getAxesAttr(),
                                        rewriter.getBoolAttr(true));
    rewriter.replaceOpWithNewOp<ReshapeOp>(mean, out, keep.getResult());
    return success();
  }
};

/// A float self-attention block around a softmax -> one mhsa. Quantized
/// (or QDQ) blocks are left to sparse-tiny-fuse-attention, after their
/// intermediate values have INT8 types.
struct FuseAttention : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp softmax,
                                PatternRewriter &rewriter) const override {
    if (!isa<FloatType>(getElementTypeOrSelf(softmax.getInput())))
      return failure();
    std::optional<tinyformer::AttentionMatch> m =
        tinyformer::matchAttention(softmax);
    if (!m || !isa<FloatType>(getElementTypeOrSelf(m->x)))
      return failure();
    rewriter.setInsertionPoint(m->out);
    // matchAttention checks everything the op's verifier does.
    Value fused = tinyformer::buildAttention(rewriter, *m, false);
    SmallVector<Operation *> dead = tinyformer::attentionOpsToErase(*m);
    rewriter.replaceOp(m->out, fused);
    for (Operation *op : llvm::drop_begin(dead))
      rewriter.eraseOp(op);
    return success();
  }
};

/// A global average pool as users write it: x.mean((2, 3)) of an
/// [N, C, H, W] map, or x.flatten(2).mean(2) (also a Conv1d's output
/// averaged over time, [N, C, 1, L] seen as [N, C, L]):
/// global_avg_pool2d, then a reshape to the mean's shape.
struct SpatialMeanToGlobalAvgPool : OpRewritePattern<MeanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MeanOp mean,
                                PatternRewriter &rewriter) const override {
    Value map = mean.getInput();
    auto in = cast<RankedTensorType>(map.getType());
    if (in.getRank() == 3 && mean.getAxes() == ArrayRef<int64_t>{2}) {
      // Only a map's merged spatial dims: a token mean stays (LayerNorm).
      auto merge = map.getDefiningOp<ReshapeOp>();
      auto from = merge ? cast<RankedTensorType>(merge.getInput().getType())
                        : RankedTensorType();
      if (!from || from.getRank() != 4 ||
          from.getDimSize(0) != in.getDimSize(0) ||
          from.getDimSize(1) != in.getDimSize(1))
        return failure();
      map = merge.getInput();
      in = from;
    } else if (in.getRank() != 4 || mean.getAxes() != ArrayRef<int64_t>{2, 3}) {
      return failure();
    }
    ArrayRef<int64_t> s = in.getShape();
    auto pooled = rewriter.create<GlobalAvgPool2DOp>(
        mean.getLoc(),
        RankedTensorType::get({s[0], s[1], 1, 1}, in.getElementType()), map);
    if (pooled.getType() == mean.getOutput().getType())
      rewriter.replaceOp(mean, pooled.getResult());
    else
      rewriter.replaceOpWithNewOp<ReshapeOp>(mean, mean.getOutput().getType(),
                                             pooled.getResult());
    return success();
  }
};

/// The op that moves `v`'s elements without computing (reshape, and for
/// ReLU / clip, which then fuse into the producer, a crop of H and W or a
/// depth_to_space: a transposed convolution's), if it has no other use.
template <typename OpTy>
Operation *dataMoverBelow(OpTy op) {
  Operation *mover = op->getOperand(0).getDefiningOp();
  if (!mover || !mover->hasOneUse())
    return nullptr;
  if (isa<ReshapeOp>(mover))
    return mover;
  constexpr bool fusable =
      std::is_same_v<OpTy, ReluOp> || std::is_same_v<OpTy, ClipOp>;
  if (!fusable || !isa<DepthToSpaceOp, SliceOp>(mover))
    return nullptr;
  // Only where it then meets a producer that fuses it.
  Operation *producer = mover->getOperand(0).getDefiningOp();
  while (isa_and_nonnull<DepthToSpaceOp, SliceOp>(producer) &&
         producer->hasOneUse())
    producer = producer->getOperand(0).getDefiningOp();
  // (A concat passes it on to its inputs: HoistActivationAboveConcat.)
  return isa_and_nonnull<Conv2DOp, FullyConnectedOp, AddOp, ConcatOp>(producer)
             ? mover
             : nullptr;
}

/// act(move(x)) -> move(act(x)) for an activation and a data mover above:
/// the activation meets its producer (a conv fuses it), and a reshape back
/// and forth (a Conv1d's [N, C, 1, L] <-> [N, C, L] between layers) folds
/// away.
template <typename OpTy>
struct HoistActivationAboveDataMover : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Operation *mover = dataMoverBelow(op);
    if (!mover)
      return failure();
    Value input = mover->getOperand(0);
    auto inType = cast<RankedTensorType>(input.getType());
    // A prelu's slopes follow dim 1: the move must keep dims 0 and 1.
    if constexpr (std::is_same_v<OpTy, PReluOp>) {
      ArrayRef<int64_t> from = inType.getShape(),
                        to = cast<ShapedType>(mover->getResult(0).getType())
                                 .getShape();
      if (from.size() < 2 || to.size() < 2 || from[0] != to[0] || from[1] != to[1])
        return failure();
    }
    Operation *moved = rewriter.clone(*op.getOperation());
    moved->setOperand(0, input);
    moved->getResult(0).setType(RankedTensorType::get(
        inType.getShape(), getElementTypeOrSelf(op->getResult(0).getType())));
    Operation *movedAfter = rewriter.clone(*mover);
    movedAfter->setOperand(0, moved->getResult(0));
    movedAfter->getResult(0).setType(op->getResult(0).getType());
    rewriter.replaceOp(op, movedAfter->getResults());
    return success();
  }
};

/// relu / clip of a concat whose inputs are each a conv, linear or add used
/// only there -> the concat of the activated inputs: the activation fuses
/// into each producer (a grouped convolution's groups, split and joined).
template <typename OpTy>
struct HoistActivationAboveConcat : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto concat = op->getOperand(0).template getDefiningOp<ConcatOp>();
    if (!concat || !concat->hasOneUse() ||
        llvm::any_of(concat.getInputs(), [](Value v) {
          Operation *producer = v.getDefiningOp();
          return !isa_and_nonnull<Conv2DOp, FullyConnectedOp, AddOp>(producer) ||
                 !producer->hasOneUse();
        }))
      return failure();
    SmallVector<Value> activated;
    for (Value v : concat.getInputs()) {
      Operation *moved = rewriter.clone(*op.getOperation());
      moved->setOperand(0, v);
      moved->getResult(0).setType(RankedTensorType::get(
          cast<ShapedType>(v.getType()).getShape(),
          getElementTypeOrSelf(op->getResult(0).getType())));
      activated.push_back(moved->getResult(0));
    }
    rewriter.replaceOpWithNewOp<ConcatOp>(op, op->getResult(0).getType(),
                                          activated, concat.getAxisAttr());
    return success();
  }
};

/// mul / add of a per-channel constant after a transposed convolution's
/// depth_to_space or crop -> the same before it (the constant repeated for
/// each phase), where it folds into the conv: BatchNormalization after
/// ConvTranspose.
template <typename OpTy>
struct HoistChannelAffineAboveDataMover : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (hasFusedClamp(op))
      return failure();
    for (auto [lhs, rhs] : {std::pair(op.getLhs(), op.getRhs()),
                            std::pair(op.getRhs(), op.getLhs())}) {
      Operation *mover = lhs.getDefiningOp();
      if (!mover || !mover->hasOneUse() ||
          !isa<DepthToSpaceOp, SliceOp>(mover) || lhs.getType() != op.getType())
        continue;
      Value input = mover->getOperand(0);
      auto inType = cast<RankedTensorType>(input.getType());
      auto outType = cast<RankedTensorType>(lhs.getType());
      if (inType.getRank() != 4 || outType.getRank() != 4 ||
          inType.getDimSize(0) != outType.getDimSize(0))
        continue;
      // A crop keeps every channel and follows a conv or a depth_to_space.
      if (isa<SliceOp>(mover) &&
          (inType.getDimSize(1) != outType.getDimSize(1) ||
           !isa_and_nonnull<Conv2DOp, DepthToSpaceOp>(input.getDefiningOp())))
        continue;
      std::optional<std::vector<float>> c = perChannelOfConv(rhs, outType);
      if (!c)
        continue;
      int64_t channels = inType.getDimSize(1);
      std::vector<float> expanded(channels);
      auto d2s = dyn_cast<DepthToSpaceOp>(mover);
      int64_t block = d2s ? d2s.getBlock()[0] * d2s.getBlock()[1] : 1;
      for (int64_t ch = 0; ch < channels; ++ch)
        expanded[ch] = (*c)[d2s && d2s.getMode() == "DCR"
                                ? ch % int64_t(c->size())
                                : ch / block];
      Value constant = createFloatConstant(
          rewriter, op.getLoc(),
          RankedTensorType::get({1, channels, 1, 1}, rewriter.getF32Type()),
          expanded, "channel");
      auto hoisted = rewriter.create<OpTy>(
          op.getLoc(),
          RankedTensorType::get(inType.getShape(),
                                getElementTypeOrSelf(op.getType())),
          input, constant);
      Operation *movedAfter = rewriter.clone(*mover);
      movedAfter->setOperand(0, hoisted.getResult());
      rewriter.replaceOp(op, movedAfter->getResults());
      return success();
    }
    return failure();
  }
};

void ReluOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<HoistActivationAboveDataMover<ReluOp>,
              HoistActivationAboveConcat<ReluOp>>(context);
}

void ClipOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<HoistActivationAboveDataMover<ClipOp>,
              HoistActivationAboveConcat<ClipOp>>(context);
}

#define TF_HOIST_ACTIVATION(Op)                                                \
  void Op::getCanonicalizationPatterns(RewritePatternSet &results,             \
                                       MLIRContext *context) {                 \
    results.add<HoistActivationAboveDataMover<Op>>(context);                     \
  }
TF_HOIST_ACTIVATION(SigmoidOp)
TF_HOIST_ACTIVATION(HardSigmoidOp)
TF_HOIST_ACTIVATION(HardSwishOp)
TF_HOIST_ACTIVATION(SiluOp)
TF_HOIST_ACTIVATION(TanhOp)
TF_HOIST_ACTIVATION(GeluOp)
TF_HOIST_ACTIVATION(LeakyReluOp)
TF_HOIST_ACTIVATION(PReluOp)
#undef TF_HOIST_ACTIVATION

void Conv2DOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<SplitGroupedConv>(context);
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<UnitDimTransposeToReshape, ChannelsLastAsTokens>(context);
}

void MeanOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<SpatialMeanToGlobalAvgPool, MapMeanKeepsDims>(context);
}

void SoftmaxOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<FuseAttention>(context);
}

void AddOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<FoldAddIntoBias, HoistChannelAffineAboveDataMover<AddOp>>(context);
}

void MulOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<FuseGelu, FuseGatedActivation, FoldScaleIntoConv,
              HoistChannelAffineAboveDataMover<MulOp>>(context);
}

void DivOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<FuseLayerNorm>(context);
}

void LayerNormOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<FoldAffineIntoLayerNorm<MulOp>, FoldAffineIntoLayerNorm<AddOp>>(
      context);
}

void PadOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<FoldPadIntoWindowOp<Conv2DOp>, FoldPadIntoWindowOp<AvgPool2DOp>>(
      context);
}
