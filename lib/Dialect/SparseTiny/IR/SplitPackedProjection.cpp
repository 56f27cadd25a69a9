//===- SplitPackedProjection.cpp - one linear per slice of a packed one ---===//
//
// timm's ViTs (and most torch attention code) compute Q, K and V with one
// packed linear layer and split its output: Reshape to [B, N, 3, H, P],
// Transpose(2, 0, 3, 1, 4), Split + Squeeze. nn.MultiheadAttention slices
// the packed output's channels instead. These patterns move each slice up
// through the transposes and reshapes to the linear layer, which is then
// split into one linear per slice over its weight rows:
//
//   slice(transpose(x))          -> transpose(slice(x))
//   slice(reshape(x))            -> reshape(slice(x))   (one dim sliced)
//   slice(fully_connected(x, W)) -> fully_connected(x, W[rows])
//                                   (only the channels sliced)
//
// Each step applies only when every user of the op it crosses is a slice,
// so no work is repeated: the op goes away once all its slices have moved.
// What is left is the separate-projection form AttentionPattern.h matches.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"

#include "mlir/Dialect/Quant/QuantTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace {

/// Whether `v` has users and every one is a slice.
bool onlySlicesUse(Value v) {
  return !v.use_empty() &&
         llvm::all_of(v.getUsers(), [](Operation *u) { return isa<SliceOp>(u); });
}

bool unitStrides(SliceOp s) {
  return llvm::all_of(s.getStrides(), [](int64_t st) { return st == 1; });
}

RankedTensorType withShape(Value like, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, getElementTypeOrSelf(like.getType()));
}

/// slice(transpose(x, perm)) -> transpose(slice'(x), perm).
struct SliceThroughTranspose : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto t = slice.getInput().getDefiningOp<TransposeOp>();
    if (!t || !unitStrides(slice) || !onlySlicesUse(t.getOutput()))
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    size_t rank = perm.size();
    SmallVector<int64_t> offsets(rank), sizes(rank), ones(rank, 1);
    // Output dim d of the transpose is its input dim perm[d].
    for (size_t d = 0; d < rank; ++d) {
      offsets[perm[d]] = slice.getOffsets()[d];
      sizes[perm[d]] = slice.getSizes()[d];
    }
    Value in = rewriter.create<SliceOp>(
        slice.getLoc(), withShape(t.getInput(), sizes), t.getInput(),
        rewriter.getDenseI64ArrayAttr(offsets),
        rewriter.getDenseI64ArrayAttr(sizes), rewriter.getDenseI64ArrayAttr(ones));
    rewriter.replaceOpWithNewOp<TransposeOp>(slice, slice.getType(), in,
                                             t.getPermAttr());
    return success();
  }
};

/// slice(reshape(x)) -> reshape(slice'(x)) when the slice keeps a range of
/// one dim d and all of the others, and the reshape keeps the product of
/// dims d.. as the product of input dims j.. : the kept elements are then
/// the same range of input dim j, scaled by how many input rows one step
/// of d spans.
struct SliceThroughReshape : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto r = slice.getInput().getDefiningOp<ReshapeOp>();
    if (!r || !unitStrides(slice) || !onlySlicesUse(r.getOutput()))
      return failure();
    ArrayRef<int64_t> out = r.getOutput().getType().getShape();
    ArrayRef<int64_t> in = r.getInput().getType().getShape();
    int64_t d = -1;
    for (int64_t i = 0; i < int64_t(out.size()); ++i)
      if (slice.getSizes()[i] != out[i]) {
        if (d >= 0)
          return failure();
        d = i;
      }
    if (d < 0)
      return failure();
    int64_t inner = 1;
    for (int64_t i = d + 1; i < int64_t(out.size()); ++i)
      inner *= out[i];
    int64_t tail = inner * out[d];
    // The input dim j with prod(in[j..]) == tail whose rows divide `inner`.
    int64_t innerIn = 1;
    for (int64_t j = int64_t(in.size()) - 1; j >= 0; innerIn *= in[j--]) {
      if (innerIn * in[j] != tail || in[j] == 1 || inner % innerIn != 0)
        continue;
      int64_t k = inner / innerIn;
      SmallVector<int64_t> offsets(in.size(), 0), sizes(in), ones(in.size(), 1);
      offsets[j] = slice.getOffsets()[d] * k;
      sizes[j] = slice.getSizes()[d] * k;
      Value part = rewriter.create<SliceOp>(
          slice.getLoc(), withShape(r.getInput(), sizes), r.getInput(),
          rewriter.getDenseI64ArrayAttr(offsets),
          rewriter.getDenseI64ArrayAttr(sizes),
          rewriter.getDenseI64ArrayAttr(ones));
      rewriter.replaceOpWithNewOp<ReshapeOp>(slice, slice.getType(), part);
      return success();
    }
    return failure();
  }
};

/// The element type of rows [first, first + count) of a constant: the
/// same, except that per-axis scales along dim 0 are cut with the rows;
/// null for per-axis scales along another dim.
Type sliceRowsElementType(Type elem, int64_t first, int64_t count) {
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(elem);
  if (!perAxis)
    return elem;
  if (perAxis.getQuantizedDimension() != 0)
    return {};
  return quant::UniformQuantizedPerAxisType::get(
      perAxis.getFlags(), perAxis.getStorageType(), perAxis.getExpressedType(),
      perAxis.getScales().slice(first, count),
      perAxis.getZeroPoints().slice(first, count), 0,
      perAxis.getStorageTypeMin(), perAxis.getStorageTypeMax());
}

/// Rows [first, first + count) of the constant `v` (float or quantized),
/// or null when `v` is not a constant.
Value constantRows(PatternRewriter &rewriter, Location loc, Value v,
                   int64_t first, int64_t count, StringRef name) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  int64_t rowSize = type.getNumElements() / shape[0];
  shape[0] = count;
  Type elem = sliceRowsElementType(type.getElementType(), first, count);
  if (!elem)
    return {};
  auto rowsType = RankedTensorType::get(shape, elem);
  if (isa<quant::QuantizedType>(elem)) {
    std::optional<std::vector<int64_t>> ints = getConstantInts(v);
    if (!ints)
      return {};
    ArrayRef<int64_t> rows(ints->data() + first * rowSize, count * rowSize);
    return createQuantizedConstant(rewriter, loc, rowsType, rows, name);
  }
  std::optional<std::vector<float>> floats = getConstantFloats(v);
  if (!floats)
    return {};
  ArrayRef<float> rows(floats->data() + first * rowSize, count * rowSize);
  return createFloatConstant(rewriter, loc, rowsType, rows, name);
}

/// slice(fully_connected(x, W, b)) keeping some output channels and every
/// token -> fully_connected(x, W[rows], b[rows]), W and b constants.
struct SliceOfLinear : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto fc = slice.getInput().getDefiningOp<FullyConnectedOp>();
    if (!fc || !unitStrides(slice) || !onlySlicesUse(fc.getOutput()))
      return failure();
    ArrayRef<int64_t> shape = fc.getOutput().getType().getShape();
    int64_t last = int64_t(shape.size()) - 1;
    for (int64_t i = 0; i < last; ++i)
      if (slice.getSizes()[i] != shape[i])
        return failure();
    int64_t first = slice.getOffsets()[last], count = slice.getSizes()[last];
    // Check both constants before creating anything: a pattern that fails
    // must leave the IR as it was.
    auto isConstant = [](Value v) {
      return getConstantFloats(v) || getConstantInts(v);
    };
    if (!isConstant(fc.getWeight()) ||
        (fc.getBias() && !isConstant(fc.getBias())))
      return failure();
    for (Value v : {fc.getWeight(), fc.getBias()})
      if (v && !sliceRowsElementType(getElementTypeOrSelf(v.getType()), 0, 1))
        return failure();
    Value w = constantRows(rewriter, fc.getLoc(), fc.getWeight(), first, count,
                           "weight");
    Value b = fc.getBias() ? constantRows(rewriter, fc.getLoc(), fc.getBias(),
                                          first, count, "bias")
                           : Value();
    rewriter.replaceOpWithNewOp<FullyConnectedOp>(
        slice, slice.getType(), fc.getInput(), w, b, fc.getClampMinAttr(),
        fc.getClampMaxAttr());
    return success();
  }
};

} // namespace

namespace tinyformer {
void populateSplitPackedProjectionPatterns(RewritePatternSet &patterns) {
  patterns.add<SliceThroughTranspose, SliceThroughReshape, SliceOfLinear>(
      patterns.getContext());
}
} // namespace tinyformer

void SliceOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  tinyformer::populateSplitPackedProjectionPatterns(results);
}
