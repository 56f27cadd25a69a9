//===- Layout.cpp - how INT8 activations sit in memory --------------------===//
#include "tinyformer/CostModel/Layout.h"

#include "mlir/Dialect/Quant/QuantTypes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::sparse_tiny;


namespace tinyformer {

bool storedInLogicalOrder(ShapedType type) {
  if (type.getRank() != 4)
    return true;
  return type.getDimSize(1) == 1 || type.getDimSize(2) * type.getDimSize(3) == 1;
}

/// The NHWC value a reshape chain starting at `v` flattens, if any.
static bool flattensNHWC(ReshapeOp op) {
  auto in = op.getInput().getType();
  auto out = op.getOutput().getType();
  return !storedInLogicalOrder(in) && out.getRank() == 2 &&
         out.getDimSize(0) == in.getDimSize(0);
}

/// NCHW [N, C, H, W] stored NHWC, reshaped to [N, C, H*W]: the bytes are
/// already [N][H*W][C], the tokens a transformer wants.
static bool mergesSpatialDims(ReshapeOp op) {
  auto in = op.getInput().getType();
  auto out = op.getOutput().getType();
  return !storedInLogicalOrder(in) && out.getRank() == 3 &&
         out.getDimSize(0) == in.getDimSize(0) &&
         out.getDimSize(1) == in.getDimSize(1) &&
         out.getDimSize(2) == in.getDimSize(2) * in.getDimSize(3);
}

/// The inverse: [N, C, H*W] reshaped to an NCHW [N, C, H, W] stored NHWC.
static bool splitsSpatialDims(ReshapeOp op) {
  auto in = op.getInput().getType();
  auto out = op.getOutput().getType();
  return in.getRank() == 3 && !storedInLogicalOrder(out) &&
         out.getDimSize(0) == in.getDimSize(0) &&
         out.getDimSize(1) == in.getDimSize(1) &&
         in.getDimSize(2) == out.getDimSize(2) * out.getDimSize(3);
}

/// Users of `v`, looking through elementwise requantizations (which do not
/// care about element order).
static void usersThroughRequantize(Value v, SmallVectorImpl<Operation *> &users) {
  for (Operation *user : v.getUsers()) {
    auto q = dyn_cast<QuantizeOp>(user);
    if (q && isa<quant::QuantizedType>(getElementTypeOrSelf(q.getInput())))
      usersThroughRequantize(q.getOutput(), users);
    else
      users.push_back(user);
  }
}

/// The op defining `v`, looking through requantizations.
static Operation *producerThroughRequantize(Value v) {
  while (auto q = v.getDefiningOp<QuantizeOp>()) {
    if (!isa<quant::QuantizedType>(getElementTypeOrSelf(q.getInput())))
      return q;
    v = q.getInput();
  }
  return v.getDefiningOp();
}

bool isTokenUnflatten(TransposeOp op) {
  if (op.getPerm() != ArrayRef<int64_t>{0, 2, 1})
    return false;
  SmallVector<Operation *> users;
  usersThroughRequantize(op.getOutput(), users);
  return !users.empty() && llvm::all_of(users, [](Operation *u) {
    auto r = dyn_cast<ReshapeOp>(u);
    return r && splitsSpatialDims(r);
  });
}

bool isTokenFlatten(TransposeOp op) {
  if (op.getPerm() != ArrayRef<int64_t>{0, 2, 1})
    return false;
  Value v = op.getInput();
  while (auto q = v.getDefiningOp<QuantizeOp>()) {
    if (!isa<quant::QuantizedType>(getElementTypeOrSelf(q.getInput())))
      return false;
    v = q.getInput();
  }
  auto r = v.getDefiningOp<ReshapeOp>();
  return r && classifyReshape(r) == ReshapeKind::AliasTokens;
}

ReshapeKind classifyReshape(ReshapeOp op) {
  auto in = op.getInput().getType();
  auto out = op.getOutput().getType();
  bool inLogical = storedInLogicalOrder(in), outLogical = storedInLogicalOrder(out);
  if (inLogical && outLogical)
    return ReshapeKind::Alias;
  if (mergesSpatialDims(op)) {
    SmallVector<Operation *> users;
    usersThroughRequantize(op.getOutput(), users);
    if (!users.empty() && llvm::all_of(users, [](Operation *u) {
          auto t = dyn_cast<TransposeOp>(u);
          return t && t.getPerm() == ArrayRef<int64_t>{0, 2, 1};
        }))
      return ReshapeKind::AliasTokens;
  }
  if (splitsSpatialDims(op)) {
    auto t = dyn_cast_or_null<TransposeOp>(producerThroughRequantize(op.getInput()));
    if (t && isTokenUnflatten(t))
      return ReshapeKind::AliasTokens;
  }
  if (flattensNHWC(op) && !op->use_empty() &&
      llvm::all_of(op->getUsers(), [&](Operation *user) {
        auto fc = dyn_cast<FullyConnectedOp>(user);
        return fc && fc.getInput() == op.getOutput();
      }))
    return ReshapeKind::AliasPermutedFeatures;
  if (inLogical != outLogical)
    return ReshapeKind::Relayout;
  return ReshapeKind::Unsupported;
}

std::vector<int64_t> storedFeatureOrder(FullyConnectedOp op) {
  auto reshape = op.getInput().getDefiningOp<ReshapeOp>();
  if (!reshape || classifyReshape(reshape) != ReshapeKind::AliasPermutedFeatures)
    return {};
  ArrayRef<int64_t> s = reshape.getInput().getType().getShape();
  int64_t c = s[1], h = s[2], w = s[3];
  std::vector<int64_t> order;
  order.reserve(c * h * w);
  // Stored (y, x, ch) holds logical feature ch * H * W + y * W + x.
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t ch = 0; ch < c; ++ch)
        order.push_back((ch * h + y) * w + x);
  return order;
}

} // namespace tinyformer
