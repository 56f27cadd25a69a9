//===- DataMovementKernels.cpp - alias, transpose, relayout, concat, slice ===//
#include "KernelFamilies.h"

#include "tfk/kernels.h"
#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Kernels/LayerEmitter.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

namespace {
/// For each dim of `shape`, the run of consecutive `sizes` (indices) that
/// multiply to it; none when they do not split the dims.
std::optional<SmallVector<SmallVector<int64_t>>>
groupFactors(ArrayRef<int64_t> sizes, ArrayRef<int64_t> shape) {
  SmallVector<SmallVector<int64_t>> groups;
  size_t at = 0;
  for (int64_t d : shape) {
    groups.emplace_back();
    int64_t have = 1;
    while (have < d && at < sizes.size()) {
      groups.back().push_back(int64_t(at));
      have *= sizes[at++];
    }
    if (have != d)
      return std::nullopt;
  }
  return at == sizes.size() ? std::optional(groups) : std::nullopt;
}

/// The dims of a value in the order its bytes are stored (NHWC for a 4-D
/// map, else logical).
SmallVector<int64_t> storedDimOrder(ShapedType type) {
  if (!storedInLogicalOrder(type))
    return {0, 2, 3, 1};
  return llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
}

/// One axis of a copy: its extent and the input stride in bytes.
struct CopyAxis {
  int64_t size, stride;
};

/// A shuffle as a copy between stored orders: the output's axes, outermost
/// first, with adjacent axes that stay adjacent merged and axes of 1
/// dropped (none: the bytes are already in place). Empty optional: the
/// factors do not split the input's and the output's dims.
std::optional<SmallVector<CopyAxis>> shuffleCopyOf(ShuffleOp op) {
  ArrayRef<int64_t> sizes = op.getFactors(), perm = op.getPerm();
  ShapedType in = op.getInput().getType(), out = op.getOutput().getType();
  SmallVector<int64_t> permuted;
  for (int64_t p : perm)
    permuted.push_back(sizes[p]);
  auto inGroups = groupFactors(sizes, in.getShape());
  auto outGroups = groupFactors(permuted, out.getShape());
  if (!inGroups || !outGroups)
    return std::nullopt;
  // Input stride of each factor, from the input's stored order.
  SmallVector<int64_t> stride(sizes.size(), 0);
  int64_t bytes = 1;
  SmallVector<int64_t> inOrder = storedDimOrder(in);
  for (int64_t d : llvm::reverse(inOrder))
    for (int64_t f : llvm::reverse((*inGroups)[d])) {
      stride[f] = bytes;
      bytes *= sizes[f];
    }
  SmallVector<CopyAxis> axes;
  for (int64_t d : storedDimOrder(out))
    for (int64_t k : (*outGroups)[d]) {
      CopyAxis a{sizes[perm[k]], stride[perm[k]]};
      if (a.size == 1)
        continue;
      if (!axes.empty() && axes.back().stride == a.stride * a.size) {
        axes.back() = {axes.back().size * a.size, a.stride};
        continue;
      }
      axes.push_back(a);
    }
  return axes;
}

bool isIdentityCopy(ArrayRef<CopyAxis> axes) {
  return axes.empty() || (axes.size() == 1 && axes[0].stride == 1);
}
} // namespace

bool servesAlias(Operation *op) {
  if (auto s = dyn_cast<ShuffleOp>(op)) {
    std::optional<SmallVector<CopyAxis>> axes = shuffleCopyOf(s);
    return axes && isIdentityCopy(*axes) &&
           getElementTypeOrSelf(s.getInput()) == getElementTypeOrSelf(s.getOutput());
  }
  if (auto t = dyn_cast<TransposeOp>(op))
    return isTokenFlatten(t) || isTokenUnflatten(t);
  if (auto r = dyn_cast<ReshapeOp>(op)) {
    ReshapeKind k = classifyReshape(r);
    return k == ReshapeKind::Alias || k == ReshapeKind::AliasPermutedFeatures ||
           k == ReshapeKind::AliasTokens;
  }
  return false;
}

bool servesTranspose(Operation *op) {
  auto t = dyn_cast<TransposeOp>(op);
  return t && !isTokenFlatten(t) && !isTokenUnflatten(t) &&
         storedInLogicalOrder(t.getInput().getType()) &&
         storedInLogicalOrder(t.getOutput().getType()) &&
         t.getInput().getType().getRank() <= 4;
}

bool servesRelayout(Operation *op) {
  auto r = dyn_cast<ReshapeOp>(op);
  return r && classifyReshape(r) == ReshapeKind::Relayout;
}

namespace {
/// A concat as its storage sees it: dims in stored order (NHWC for a 4-D
/// map, else logical) and the axis among them.
struct StoredConcat {
  SmallVector<int64_t> outDims;
  int64_t axis;
  SmallVector<int64_t> storedDims(Value v) const {
    ArrayRef<int64_t> s = cast<ShapedType>(v.getType()).getShape();
    return nhwc ? SmallVector<int64_t>{s[0], s[2], s[3], s[1]}
                : SmallVector<int64_t>(s);
  }
  bool nhwc;
};
StoredConcat storedConcatOf(ConcatOp op) {
  ShapedType out = op.getOutput().getType();
  int64_t axis = int64_t(op.getAxis());
  StoredConcat c{{}, axis, !storedInLogicalOrder(out)};
  if (c.nhwc) {
    static const int64_t kNhwcAxis[4] = {0, 3, 1, 2};
    c.axis = kNhwcAxis[axis];
  }
  c.outDims = c.storedDims(op.getOutput());
  return c;
}
} // namespace

bool servesConcat(Operation *op) {
  // Any axis of a tensor in logical order or of an NHWC map (channels:
  // per pixel a run of each input's channels).
  auto c = dyn_cast<ConcatOp>(op);
  if (!c)
    return false;
  ShapedType out = c.getOutput().getType();
  return storedInLogicalOrder(out) || out.getRank() == 4;
}

bool servesSlice(Operation *op) {
  auto s = dyn_cast<SliceOp>(op);
  return s && (storedInLogicalOrder(s.getInput().getType()) ||
               s.getInput().getType().getRank() == 4);
}

LogicalResult lowerTranspose(LayerEmitter &e, Operation *op) {
  Value input = op->getOperand(0), output = op->getResult(0);
  SmallVector<int64_t> dims, perm;
  if (auto t = dyn_cast<TransposeOp>(op)) {
    ArrayRef<int64_t> s = t.getInput().getType().getShape();
    int64_t lead = 4 - int64_t(s.size());
    dims.assign(lead, 1);
    dims.append(s.begin(), s.end());
    for (int64_t d = 0; d < lead; ++d)
      perm.push_back(d);
    for (int64_t p : t.getPerm())
      perm.push_back(p + lead);
  } else if (!storedInLogicalOrder(cast<ShapedType>(input.getType()))) {
    // NHWC -> logical (NCHW) order.
    Dims i = nhwc(input);
    dims = {1, i.h, i.w, i.c};
    perm = {0, 3, 1, 2};
  } else {
    // Logical (NCHW) order -> NHWC.
    Dims o = nhwc(output);
    dims = {1, o.c, o.h, o.w};
    perm = {0, 2, 3, 1};
  }
  SmallVector<Value> args = {e.ptrTo(op, input), e.ptrTo(op, output)};
  for (int64_t v : dims)
    args.push_back(e.i32(v));
  for (int64_t v : perm)
    args.push_back(e.i32(v));
  e.call("tfk_transpose_s8", args);
  return success();
}

/// Each input's rows are requantized into place: a call and its setup per
/// row on top of the per-element work (kConcatRowInstructions fitted with
/// the per-output rate on five concats of the zoo, emulated M7: 4.9 per
/// output + 45 per row, -11% to +28%).
constexpr int64_t kConcatRowInstructions = 45;

void sizesConcat(Operation *op, WeightStorage, LayerCost &cost) {
  auto concat = cast<ConcatOp>(op);
  StoredConcat c = storedConcatOf(concat);
  int64_t outer = 1;
  for (int64_t d = 0; d < c.axis; ++d)
    outer *= c.outDims[d];
  cost.instructions +=
      kConcatRowInstructions * outer * int64_t(concat.getInputs().size());
}

static LogicalResult lowerConcatOp(LayerEmitter &e, ConcatOp op) {
  FailureOr<ConcatRules> r = getConcatRules(op);
  if (failed(r))
    return failure();
  // Per input: `outer` rows of its run, placed at its column of each
  // output row.
  StoredConcat c = storedConcatOf(op);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < c.axis; ++d)
    outer *= c.outDims[d];
  for (int64_t d = c.axis + 1; d < int64_t(c.outDims.size()); ++d)
    inner *= c.outDims[d];
  int64_t outRow = c.outDims[c.axis] * inner;
  Value dst = e.ptrTo(op, op.getOutput());
  int64_t atCol = 0;
  for (auto [i, v] : llvm::enumerate(op.getInputs())) {
    int64_t len = c.storedDims(v)[c.axis] * inner;
    const RequantRules &q = r->inputs[i];
    SmallVector<Value> args = {e.ptrTo(op, v), e.at(dst, atCol)};
    for (int64_t x : {outer, len, len, outRow, int64_t(q.inZp),
                      int64_t(q.requant.mult), int64_t(q.requant.shift),
                      int64_t(q.outZp)})
      args.push_back(e.i32(x));
    e.call("tfk_requantize_rows_s8", args);
    atCol += len;
  }
  return success();
}

static LogicalResult lowerSliceOp(LayerEmitter &e, SliceOp op) {
  // Contiguous runs along the last stored dims, one copy each. An NHWC
  // map is sliced in its stored order (a result with one channel or one
  // pixel has the same bytes either way).
  bool nhwc = !storedInLogicalOrder(op.getInput().getType());
  auto stored = [&](ArrayRef<int64_t> v) {
    return nhwc ? SmallVector<int64_t>{v[0], v[2], v[3], v[1]}
                : SmallVector<int64_t>(v);
  };
  SmallVector<int64_t> in = stored(op.getInput().getType().getShape());
  SmallVector<int64_t> off = stored(op.getOffsets()), size = stored(op.getSizes()),
                       stride = stored(op.getStrides());
  int64_t rank = int64_t(in.size());
  // The innermost run: trailing dims taken whole, then one partial dim.
  int64_t d = rank - 1, run = 1;
  while (d >= 0 && off[d] == 0 && size[d] == in[d] && stride[d] == 1)
    run *= in[d--];
  if (d >= 0 && stride[d] == 1) {
    run *= size[d];
    --d;
  }
  // Outer positions: every index combination of dims 0..d.
  int64_t runs = 1;
  for (int64_t i = 0; i <= d; ++i)
    runs *= size[i];
  if (runs > 256)
    return op.emitOpError() << "slice into " << runs
                            << " separate runs has no kernel (at most 256)";
  SmallVector<int64_t> inStride(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    inStride[i] = inStride[i + 1] * in[i + 1];
  // First element of the run that starts at each outer position.
  Value src = e.ptrTo(op, op.getInput()), dst = e.ptrTo(op, op.getOutput());
  SmallVector<int64_t> pos(rank, 0);
  for (int64_t k = 0; k < runs; ++k) {
    int64_t from = 0;
    for (int64_t i = 0; i < rank; ++i)
      from += (off[i] + (i <= d ? pos[i] * stride[i] : 0)) * inStride[i];
    e.copy(e.at(dst, k * run), e.at(src, from), run);
    for (int64_t i = d; i >= 0; --i) {
      if (++pos[i] < size[i])
        break;
      pos[i] = 0;
    }
  }
  return success();
}

LogicalResult lowerConcat(LayerEmitter &e, Operation *op) {
  return lowerConcatOp(e, cast<ConcatOp>(op));
}

LogicalResult lowerSlice(LayerEmitter &e, Operation *op) {
  return lowerSliceOp(e, cast<SliceOp>(op));
}

namespace {
/// A pad as the kernel sees it: an h x w map of c channels in storage
/// order and the pads of each (NHWC: a map's N pads none; a sequence or a
/// vector in logical order: its leading dims are 1).
struct PadGeometry {
  int64_t h, w, c, top, bottom, left, right, front, back;
};
std::optional<PadGeometry> padGeometryOf(PadOp pad) {
  ArrayRef<int64_t> in = pad.getInput().getType().getShape(),
                    out = pad.getOutput().getType().getShape(),
                    low = pad.getLow(), high = pad.getHigh();
  int64_t rank = int64_t(in.size());
  bool inLogical = storedInLogicalOrder(pad.getInput().getType()),
       outLogical = storedInLogicalOrder(pad.getOutput().getType());
  if (rank == 4 && !(inLogical && outLogical)) {
    // NHWC on both sides (a side in logical order has one channel: the
    // same bytes).
    if (in[0] != 1 || low[0] || high[0] || (inLogical && in[1] != 1) ||
        (outLogical && out[1] != 1))
      return std::nullopt;
    return PadGeometry{in[2], in[3], in[1], low[2], high[2],
                       low[3], high[3], low[1], high[1]};
  }
  // Logical order: the last three dims (fewer: 1s in front); before them
  // only dims of 1 without pads.
  if (!inLogical || !outLogical)
    return std::nullopt;
  for (int64_t d = 0; d + 3 < rank; ++d)
    if (in[d] != 1 || low[d] || high[d])
      return std::nullopt;
  auto dim = [&](int64_t fromEnd, ArrayRef<int64_t> v, int64_t none) {
    return rank - fromEnd >= 0 ? v[rank - fromEnd] : none;
  };
  return PadGeometry{dim(3, in, 1),   dim(2, in, 1),   dim(1, in, 1),
                     dim(3, low, 0),  dim(3, high, 0), dim(2, low, 0),
                     dim(2, high, 0), dim(1, low, 0),  dim(1, high, 0)};
}
} // namespace

bool servesPad(Operation *op) {
  // The input's scale and zero point carry over (quantization keeps them).
  auto pad = dyn_cast<PadOp>(op);
  return pad &&
         getElementTypeOrSelf(pad.getInput()) ==
             getElementTypeOrSelf(pad.getOutput()) &&
         isa<quant::UniformQuantizedType>(getElementTypeOrSelf(pad.getInput())) &&
         padGeometryOf(pad).has_value();
}

LogicalResult lowerPad(LayerEmitter &e, Operation *op) {
  auto pad = cast<PadOp>(op);
  PadGeometry g = *padGeometryOf(pad);
  int64_t mode = pad.getMode() == "reflect" ? 1 : pad.getMode() == "edge" ? 2 : 0;
  SmallVector<Value> args = {e.ptrTo(op, pad.getInput()), e.ptrTo(op, pad.getOutput())};
  for (int64_t v : {g.h, g.w, g.c, g.top, g.bottom, g.left, g.right, g.front,
                    g.back, mode, int64_t(pad.getValue().convertToFloat())})
    args.push_back(e.i32(v));
  e.call("tfk_pad_s8", args);
  return success();
}

bool servesResizeNearest(Operation *op) {
  // The input's scale and zero point carry over (quantization keeps them).
  auto r = dyn_cast<ResizeNearestOp>(op);
  return r && getElementTypeOrSelf(r.getInput()) ==
                  getElementTypeOrSelf(r.getOutput());
}

LogicalResult lowerResizeNearest(LayerEmitter &e, Operation *op) {
  // An NHWC map: each pixel's channels repeated along the row, each row
  // repeated (a map with one channel or one pixel has the same bytes).
  auto r = cast<ResizeNearestOp>(op);
  ArrayRef<int64_t> in = r.getInput().getType().getShape();
  SmallVector<Value> args = {e.ptrTo(op, r.getInput()), e.ptrTo(op, r.getOutput())};
  for (int64_t v : {in[0] * in[2], in[3], in[1], r.getScales()[0], r.getScales()[1]})
    args.push_back(e.i32(v));
  e.call("tfk_resize_nearest_s8", args);
  return success();
}

bool servesShuffle(Operation *op) {
  // The input's scale and zero point carry over (quantization keeps them).
  auto s = dyn_cast<ShuffleOp>(op);
  if (!s || getElementTypeOrSelf(s.getInput()) != getElementTypeOrSelf(s.getOutput()))
    return false;
  std::optional<SmallVector<CopyAxis>> axes = shuffleCopyOf(s);
  return axes && !isIdentityCopy(*axes) && axes->size() <= 6;
}

void sizesShuffle(Operation *op, WeightStorage, LayerCost &cost) {
  // Runs of contiguous bytes are copied whole, else byte by byte; per run
  // its address (five outer loops).
  std::optional<SmallVector<CopyAxis>> axes = shuffleCopyOf(cast<ShuffleOp>(op));
  int64_t elements = cast<ShapedType>(op->getResult(0).getType()).getNumElements();
  int64_t run = axes->back().size, runs = elements / run;
  cost.instructions += axes->back().stride == 1 ? runs * (12 + run / 2)
                                                 : runs * 12 + elements * 3;
}

LogicalResult lowerShuffle(LayerEmitter &e, Operation *op) {
  // Up to six axes, padded in front with axes of 1.
  SmallVector<CopyAxis> axes = *shuffleCopyOf(cast<ShuffleOp>(op));
  axes.insert(axes.begin(), 6 - axes.size(), CopyAxis{1, 0});
  SmallVector<Value> args = {e.ptrTo(op, op->getOperand(0)),
                             e.ptrTo(op, op->getResult(0))};
  for (const CopyAxis &a : axes)
    args.push_back(e.i32(a.size));
  for (const CopyAxis &a : axes)
    args.push_back(e.i32(a.stride));
  e.call("tfk_shuffle_s8", args);
  return success();
}

bool servesDepthToSpace(Operation *op) {
  // The input's scale and zero point carry over (quantization keeps them).
  auto d = dyn_cast<DepthToSpaceOp>(op);
  return d && getElementTypeOrSelf(d.getInput()) ==
                  getElementTypeOrSelf(d.getOutput());
}

void sizesDepthToSpace(Operation *op, WeightStorage, LayerCost &cost) {
  // DCR: a copy of C bytes per output pixel; CRD: a byte gather per
  // element. Measured on the M7 (4 to 8 channels, blocks 1x2 to 3x3):
  // DCR 4.1 per pixel; CRD 17-25 per pixel, within 30% of the rates here.
  auto d = cast<DepthToSpaceOp>(op);
  ArrayRef<int64_t> out = d.getOutput().getType().getShape();
  int64_t pixels = out[0] * out[2] * out[3], elements = pixels * out[1];
  cost.instructions += d.getMode() == "CRD"
                           ? 16 * pixels + elements * 4 / 5
                           : 4 * pixels + elements / 16;
}

LogicalResult lowerDepthToSpace(LayerEmitter &e, Operation *op) {
  // NHWC maps (a map with one channel or one pixel has the same bytes).
  auto d = cast<DepthToSpaceOp>(op);
  ArrayRef<int64_t> in = d.getInput().getType().getShape(),
                    out = d.getOutput().getType().getShape();
  SmallVector<Value> args = {e.ptrTo(op, d.getInput()), e.ptrTo(op, d.getOutput())};
  for (int64_t v : {in[0] * in[2], in[3], out[1], d.getBlock()[0],
                    d.getBlock()[1], int64_t(d.getMode() == "CRD")})
    args.push_back(e.i32(v));
  e.call("tfk_depth_to_space_s8", args);
  return success();
}

bool servesResizeBilinear(Operation *op) {
  // The input's scale and zero point carry over (quantization keeps them).
  auto r = dyn_cast<ResizeBilinearOp>(op);
  return r && getElementTypeOrSelf(r.getInput()) ==
                  getElementTypeOrSelf(r.getOutput());
}

void sizesResizeBilinear(Operation *op, WeightStorage, LayerCost &cost) {
  // Per output element its taps' loads and multiply-accumulates (LTO drops
  // the taps of a factor of 1: one tap along that dim) and the rounding;
  // per output pixel its taps. Measured on the M4 and M7: 2.2, 8 and 15-17
  // instructions per element for one, two and four taps.
  auto r = cast<ResizeBilinearOp>(op);
  ArrayRef<int64_t> out = r.getOutput().getType().getShape();
  int64_t taps = (r.getScales()[0] > 1 ? 2 : 1) * (r.getScales()[1] > 1 ? 2 : 1);
  int64_t pixels = out[0] * out[2] * out[3];
  cost.instructions += int64_t(pixels * out[1] * (3.5 * double(taps) + 1.0)) +
                       (taps > 1 ? 8 * pixels : 0);
}

LogicalResult lowerResizeBilinear(LayerEmitter &e, Operation *op) {
  // NHWC maps (a map with one channel or one pixel has the same bytes).
  auto r = cast<ResizeBilinearOp>(op);
  ArrayRef<int64_t> in = r.getInput().getType().getShape();
  SmallVector<Value> args = {e.ptrTo(op, r.getInput()), e.ptrTo(op, r.getOutput())};
  for (int64_t v : {in[0], in[2], in[3], in[1], r.getScales()[0], r.getScales()[1]})
    args.push_back(e.i32(v));
  e.call("tfk_resize_bilinear_s8", args);
  return success();
}

} // namespace tinyformer
