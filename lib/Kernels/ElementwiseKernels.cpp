//===- ElementwiseKernels.cpp - add, requantize, pools, table lookups -----===//
#include "KernelFamilies.h"

#include "tfk/kernels.h"
#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"
#include "tinyformer/Kernels/LayerEmitter.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

bool servesAdd(Operation *op) { return isa<AddOp>(op); }

namespace {
/// How tfk_mul_s8 computes a mul of two activations: which operand is x
/// (the full-size one), rows of `inner` values, the gate's row stride.
struct MulShape {
  unsigned x;
  int64_t outer, inner, gStride;
};
std::optional<MulShape> mulShapeOf(Operation *op) {
  auto mul = dyn_cast<MulOp>(op);
  if (!mul || constantScaleOf(op))
    return std::nullopt;
  auto a = cast<ShapedType>(mul.getLhs().getType());
  auto b = cast<ShapedType>(mul.getRhs().getType());
  int64_t n = elementsOf(mul.getOutput());
  if (a.getShape() == b.getShape())
    return MulShape{0, 1, n, 0};
  unsigned xi = a.getNumElements() == n ? 0 : 1;
  auto x = xi == 0 ? a : b, g = xi == 0 ? b : a;
  if (x.getNumElements() != n)
    return std::nullopt;
  ArrayRef<int64_t> xs = x.getShape(), gs = g.getShape();
  // One value for all (a gate of a one-channel map).
  if (g.getNumElements() == 1)
    return MulShape{xi, n, 1, 0};
  // A channel gate of an NHWC map: g is [1, C, 1, 1] or [1, C].
  if (!storedInLogicalOrder(x)) {
    if (xs[0] != 1 || g.getNumElements() != xs[1] || gs.empty() ||
        gs.size() > 4 || (gs.size() >= 2 && gs[1] != xs[1]) ||
        (gs.size() == 4 && (gs[2] != 1 || gs[3] != 1)))
      return std::nullopt;
    return MulShape{xi, xs[2] * xs[3], xs[1], 0};
  }
  // A row broadcast over the outer dims of a tensor in logical order.
  if (gs.empty() || gs.back() != xs.back() || g.getNumElements() != xs.back())
    return std::nullopt;
  return MulShape{xi, n / xs.back(), xs.back(), 0};
}
} // namespace

namespace {
/// A prelu's elements as [outer][channel][inner] in storage order: an
/// NHWC map has its channels innermost, a logical-order tensor its dims
/// after dim 1.
std::optional<std::array<int64_t, 3>> preluLayoutOf(PReluOp p) {
  ArrayRef<int64_t> shape = p.getInput().getType().getShape();
  int64_t c = shape[1], numel = p.getInput().getType().getNumElements();
  if (storedInLogicalOrder(p.getInput().getType()))
    return std::array<int64_t, 3>{shape[0], c, numel / (shape[0] * c)};
  if (shape.size() == 4)
    return std::array<int64_t, 3>{numel / c, c, 1};
  return std::nullopt;
}
} // namespace

bool servesPRelu(Operation *op) {
  auto p = dyn_cast<PReluOp>(op);
  return p && isa<quant::UniformQuantizedType>(getElementTypeOrSelf(p.getInput())) &&
         isa<quant::UniformQuantizedType>(getElementTypeOrSelf(p.getOutput())) &&
         preluLayoutOf(p).has_value();
}

LogicalResult lowerPRelu(LayerEmitter &e, Operation *op) {
  auto p = cast<PReluOp>(op);
  FailureOr<PReluRules> r = getPReluRules(op);
  if (failed(r))
    return failure();
  std::array<int64_t, 3> layout = *preluLayoutOf(p);
  std::vector<int32_t> table;
  for (auto [m, sign] : llvm::zip(r->negative, r->sign))
    table.insert(table.end(), {m.mult, m.shift, sign});
  SmallVector<Value> args = {e.ptrTo(op, p.getInput()), e.ptrTo(op, p.getOutput())};
  for (int64_t v : {layout[0], layout[1], layout[2], int64_t(r->inZp),
                    int64_t(r->outZp), int64_t(r->positive.mult),
                    int64_t(r->positive.shift)})
    args.push_back(e.i32(v));
  args.push_back(e.global("prelu", ArrayRef<int32_t>(table)));
  e.call("tfk_prelu_s8", args);
  return success();
}

bool servesMul(Operation *op) { return mulShapeOf(op).has_value(); }

LogicalResult lowerMul(LayerEmitter &e, Operation *op) {
  FailureOr<MulRules> r = getMulRules(op);
  if (failed(r))
    return failure();
  MulShape m = *mulShapeOf(op);
  Value x = op->getOperand(m.x), g = op->getOperand(1 - m.x);
  int64_t xZp = m.x == 0 ? r->lhsZp : r->rhsZp, gZp = m.x == 0 ? r->rhsZp : r->lhsZp;
  SmallVector<Value> args = {e.ptrTo(op, x), e.ptrTo(op, g),
                             e.ptrTo(op, op->getResult(0))};
  for (int64_t v : {m.outer, m.inner, m.gStride, xZp, gZp, int64_t(r->mult.mult),
                    int64_t(r->mult.shift), int64_t(r->outZp),
                    int64_t(r->act.min), int64_t(r->act.max)})
    args.push_back(e.i32(v));
  e.call("tfk_mul_s8", args);
  return success();
}

bool servesRequantize(Operation *op) {
  if (isa<QuantizeOp, ReluOp, ClipOp>(op))
    return true;
  // mul / div by a constant scalar is a requantization.
  return isa<MulOp, DivOp>(op) && constantScaleOf(op);
}

bool servesMaxPool(Operation *op) { return isa<MaxPool2DOp>(op); }

namespace {
/// A mean as an average pool over its stored bytes: [outer, reduce, inner]
/// with the reduced dims adjacent in memory (NHWC for a 4-D map, else
/// logical order), and the result's bytes the kept dims in the same order.
struct MeanAsPool {
  int64_t outer = 1, reduce = 1, inner = 1;
};

/// Logical dims of `type` in the order memory holds them, size-1 dims left
/// out (they do not move bytes).
SmallVector<int64_t> storedDims(ShapedType type) {
  SmallVector<int64_t> order;
  int64_t rank = type.getRank();
  if (storedInLogicalOrder(type))
    for (int64_t d = 0; d < rank; ++d)
      order.push_back(d);
  else
    order = {0, 2, 3, 1};
  llvm::erase_if(order, [&](int64_t d) { return type.getDimSize(d) == 1; });
  return order;
}

std::optional<MeanAsPool> meanAsPool(MeanOp m) {
  ShapedType in = m.getInput().getType(), out = m.getOutput().getType();
  ArrayRef<int64_t> axes = m.getAxes();
  bool keepdims = out.getRank() == in.getRank();
  // Input dims in memory order: kept ones before, reduced ones in a run, kept
  // ones after.
  MeanAsPool v;
  SmallVector<int64_t> kept;
  int phase = 0; // 0: before the run, 1: in it, 2: after it
  for (int64_t d : storedDims(in)) {
    bool reduced = llvm::is_contained(axes, d);
    if (reduced && phase == 2)
      return std::nullopt;
    if (reduced)
      phase = 1;
    else if (phase == 1)
      phase = 2;
    int64_t size = in.getDimSize(d);
    (reduced ? v.reduce : phase == 0 ? v.outer : v.inner) *= size;
    if (!reduced)
      kept.push_back(d);
  }
  // The result's dims in memory order must be the kept ones in that order.
  SmallVector<int64_t> expected;
  for (int64_t d : kept) {
    int64_t before = llvm::count_if(axes, [&](int64_t a) { return a < d; });
    expected.push_back(keepdims ? d : d - before);
  }
  if (storedDims(out) != expected)
    return std::nullopt;
  return v;
}
} // namespace

bool servesAvgPool(Operation *op) {
  if (isa<AvgPool2DOp, GlobalAvgPool2DOp>(op))
    return true;
  // A mean whose reduced dims are adjacent in memory: an average pool.
  auto m = dyn_cast<MeanOp>(op);
  return m && meanAsPool(m).has_value();
}

bool servesLut(Operation *op) {
  return hasLutForm(op);
}

void sizesAvgPool(Operation *op, WeightStorage, LayerCost &cost) {
  int64_t outputs = elementsOf(op->getResult(0));
  cost.flashBytes = 8 * (cost.macs / std::max<int64_t>(outputs, 1) + 1);
}

void sizesLut(Operation *, WeightStorage, LayerCost &cost) {
  cost.flashBytes = 256;
}

/// An add's integer rules; its kernels take operands of one shape.
static FailureOr<AddRules> addRulesOf(Operation *op) {
  if (cast<ShapedType>(op->getOperand(0).getType()).getShape() !=
      cast<ShapedType>(op->getOperand(1).getType()).getShape())
    return op->emitOpError("add with broadcasting has no kernel");
  return getAddRules(op);
}

LogicalResult lowerAdd(LayerEmitter &e, Operation *op) {
  FailureOr<AddRules> r = addRulesOf(op);
  if (failed(r))
    return failure();
  SmallVector<Value> args = {e.ptrTo(op, op->getOperand(0)),
                             e.ptrTo(op, op->getOperand(1)),
                             e.ptrTo(op, op->getResult(0))};
  for (int64_t v :
       {elementsOf(op->getResult(0)), int64_t(r->lhsZp), int64_t(r->lhs.mult),
        int64_t(r->lhs.shift), int64_t(r->rhsZp), int64_t(r->rhs.mult),
        int64_t(r->rhs.shift), int64_t(r->leftShift), int64_t(r->out.mult),
        int64_t(r->out.shift), int64_t(r->outZp), int64_t(r->act.min),
        int64_t(r->act.max)})
    args.push_back(e.i32(v));
  e.call("tfk_add_s8", args);
  return success();
}

void sizesAddTable(Operation *, WeightStorage, LayerCost &cost) {
  cost.flashBytes = 512 * 4;
}

LogicalResult lowerAddTable(LayerEmitter &e, Operation *op) {
  FailureOr<AddRules> r = addRulesOf(op);
  if (failed(r))
    return failure();
  // Each input's rescale per int8 code, as the integer rules compute it.
  std::vector<int32_t> tables(512);
  for (int32_t code = -128; code < 128; ++code) {
    tables[code + 128] =
        multiplyByQuantizedMultiplier((code - r->lhsZp) * (1 << r->leftShift), r->lhs);
    tables[256 + code + 128] =
        multiplyByQuantizedMultiplier((code - r->rhsZp) * (1 << r->leftShift), r->rhs);
  }
  SmallVector<Value> args = {e.ptrTo(op, op->getOperand(0)),
                             e.ptrTo(op, op->getOperand(1)),
                             e.ptrTo(op, op->getResult(0)),
                             e.i32(elementsOf(op->getResult(0))),
                             e.global("add_tables", ArrayRef<int32_t>(tables))};
  for (int64_t v : {int64_t(r->out.mult), int64_t(r->out.shift), int64_t(r->outZp),
                    int64_t(r->act.min), int64_t(r->act.max)})
    args.push_back(e.i32(v));
  e.call("tfk_add_table_s8", args);
  return success();
}

LogicalResult lowerRequantize(LayerEmitter &e, Operation *op) {
  FailureOr<RequantRules> r = getRequantRules(op);
  if (failed(r))
    return failure();
  SmallVector<Value> args = {e.ptrTo(op, op->getOperand(0)),
                             e.ptrTo(op, op->getResult(0))};
  for (int64_t v : {elementsOf(op->getResult(0)), int64_t(r->inZp),
                    int64_t(r->requant.mult), int64_t(r->requant.shift),
                    int64_t(r->outZp), int64_t(r->act.min), int64_t(r->act.max)})
    args.push_back(e.i32(v));
  e.call("tfk_requantize_s8", args);
  return success();
}

LogicalResult lowerMaxPool(LayerEmitter &e, Operation *op) {
  auto p = cast<MaxPool2DOp>(op);
  FailureOr<MaxPoolRules> r = getMaxPoolRules(op);
  if (failed(r))
    return failure();
  Dims i = nhwc(p.getInput()), o = nhwc(p.getOutput());
  ArrayRef<int64_t> k = p.getKernel(), s = p.getStrides(), pad = p.getPadding();
  SmallVector<Value> args = {e.ptrTo(op, p.getInput()), e.ptrTo(op, p.getOutput())};
  for (int64_t v : {i.h, i.w, i.c, o.h, o.w, k[0], k[1], s[0], s[1], pad[0],
                    pad[1], int64_t(r->act.min), int64_t(r->act.max)})
    args.push_back(e.i32(v));
  e.call("tfk_max_pool_s8", args);
  return success();
}

LogicalResult lowerAvgPool(LayerEmitter &e, Operation *op) {
  if (auto mean = dyn_cast<MeanOp>(op)) {
    // [outer, reduce, inner] in memory: a 1 x reduce pool over an
    // outer x reduce map of inner channels.
    std::optional<MeanAsPool> v = meanAsPool(mean);
    if (!v)
      return failure();
    Value input = op->getOperand(0);
    FailureOr<AvgPoolRules> r = getAvgPoolRules(op, v->reduce);
    if (failed(r))
      return failure();
    Value mult = e.global("mult", ArrayRef<int32_t>(multsOf(r->byCount)));
    Value shift = e.global("shift", ArrayRef<int32_t>(shiftsOf(r->byCount)));
    SmallVector<Value> args = {e.ptrTo(op, input), e.ptrTo(op, op->getResult(0)),
                               mult, shift};
    for (int64_t x : {v->outer, v->reduce, v->inner, v->outer, int64_t(1),
                      int64_t(1), v->reduce, int64_t(1), int64_t(1), int64_t(0),
                      int64_t(0), int64_t(0), int64_t(r->inZp), int64_t(r->outZp),
                      int64_t(r->act.min), int64_t(r->act.max)})
      args.push_back(e.i32(x));
    e.call("tfk_avg_pool_s8", args);
    return success();
  }
  Value input = op->getOperand(0), output = op->getResult(0);
  Dims i = nhwc(input), o = nhwc(output);
  SmallVector<int64_t> k = {i.h, i.w}, s = {1, 1}, pad = {0, 0};
  bool includePad = false;
  if (auto p = dyn_cast<AvgPool2DOp>(op)) {
    k.assign(p.getKernel().begin(), p.getKernel().end());
    s.assign(p.getStrides().begin(), p.getStrides().end());
    pad = {p.getPadding()[0], p.getPadding()[1]};
    includePad = p.getCountIncludePad();
  }
  FailureOr<AvgPoolRules> r = getAvgPoolRules(op, k[0] * k[1]);
  if (failed(r))
    return failure();
  Value mult = e.global("mult", ArrayRef<int32_t>(multsOf(r->byCount)));
  Value shift = e.global("shift", ArrayRef<int32_t>(shiftsOf(r->byCount)));
  SmallVector<Value> args = {e.ptrTo(op, input), e.ptrTo(op, output), mult, shift};
  for (int64_t v : {i.h, i.w, i.c, o.h, o.w, k[0], k[1], s[0], s[1], pad[0],
                    pad[1], int64_t(includePad), int64_t(r->inZp),
                    int64_t(r->outZp), int64_t(r->act.min), int64_t(r->act.max)})
    args.push_back(e.i32(v));
  e.call("tfk_avg_pool_s8", args);
  return success();
}

LogicalResult lowerLut(LayerEmitter &e, Operation *op) {
  FailureOr<LutRules> r = getLutRules(op);
  if (failed(r))
    return failure();
  Value table = e.global("table", ArrayRef<int8_t>(r->table));
  e.call("tfk_lut_s8", {e.ptrTo(op, op->getOperand(0)), e.ptrTo(op, op->getResult(0)),
                      table, e.i32(elementsOf(op->getResult(0)))});
  return success();
}

} // namespace tinyformer
