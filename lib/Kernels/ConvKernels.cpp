//===- ConvKernels.cpp - conv2d, depthwise_conv2d, fully_connected --------===//
//
// The dense kernels of layers with weights: which ops they serve, their
// packed sizes (from the runtime's own size functions) and their lowering
// to one tfk_* call with weights packed on the host by the runtime's
// packing code.
//
//===----------------------------------------------------------------------===//
#include "KernelFamilies.h"

#include "tfk/kernels.h"
#include "tfk/pack.h"
#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Kernels/LayerEmitter.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

Dims nhwc(Value v) {
  ArrayRef<int64_t> s = cast<ShapedType>(v.getType()).getShape();
  return {s[2], s[3], s[1]};
}

std::vector<int32_t> multsOf(ArrayRef<Multiplier> ms) {
  std::vector<int32_t> v;
  for (const Multiplier &m : ms)
    v.push_back(m.mult);
  return v;
}
std::vector<int32_t> shiftsOf(ArrayRef<Multiplier> ms) {
  std::vector<int32_t> v;
  for (const Multiplier &m : ms)
    v.push_back(m.shift);
  return v;
}

int32_t variantOf(Operation *op) {
  KernelAttr k = chosenKernel(op);
  return k && k.getStorage() == WeightStorage::int16 ? TFK_W_INT16 : TFK_W_INT8;
}

int64_t elementsOf(Value v) {
  return cast<ShapedType>(v.getType()).getNumElements();
}

bool servesConv2D(Operation *op) {
  auto c = dyn_cast<Conv2DOp>(op);
  return c && c.getGroups() == 1;
}

bool servesDepthwise(Operation *op) {
  auto c = dyn_cast<Conv2DOp>(op);
  if (!c)
    return false;
  int64_t in = shapeOf(c.getInput())[1], out = shapeOf(c.getOutput())[1];
  return c.getGroups() != 1 && int64_t(c.getGroups()) == in && in == out;
}

bool servesFullyConnected(Operation *op) { return isa<FullyConnectedOp>(op); }

void sizesConv(Operation *op, WeightStorage storage, LayerCost &cost) {
  auto conv = cast<Conv2DOp>(op);
  int32_t variant = storage == WeightStorage::int16 ? TFK_W_INT16 : TFK_W_INT8;
  ArrayRef<int64_t> in = shapeOf(conv.getInput()), out = shapeOf(conv.getOutput()),
                    w = shapeOf(conv.getWeight());
  // Weights + per-channel multiplier and shift.
  if (servesConv2D(op)) {
    cost.flashBytes = int64_t(tfk_conv2d_packed_bytes(
        int32_t(w[1]), int32_t(w[0]), int32_t(w[2]), int32_t(w[3]), variant));
    cost.scratchBytes = int64_t(tfk_conv2d_scratch_bytes(
        int32_t(in[2]), int32_t(in[3]), int32_t(in[1]), int32_t(out[2]),
        int32_t(out[3]), int32_t(out[1]), int32_t(w[2]), int32_t(w[3]),
        variant));
    // The micro-kernel multiplies the reduction padded to 4, and each output
    // pixel's int16 im2col row costs ~1 instruction per element when in_c is
    // a multiple of 4 (a word, two SXTB16, a store per 4), ~5 otherwise
    // (element by element): a 1-channel first conv pays both.
    int64_t pixels = out[2] * out[3], k = w[1] * w[2] * w[3];
    cost.kernelMacs = pixels * out[1] * ((k + 3) & ~int64_t(3));
    cost.instructions += pixels * k * (w[1] % 4 == 0 ? 1 : 5);
  } else {
    cost.flashBytes = int64_t(tfk_depthwise_conv2d_packed_bytes(
        int32_t(w[0]), int32_t(w[2]), int32_t(w[3]), variant));
    cost.scratchBytes = int64_t(tfk_depthwise_conv2d_scratch_bytes(
        int32_t(in[2]), int32_t(in[3]), int32_t(in[1]), int32_t(out[2]),
        int32_t(out[3]), int32_t(w[2]), int32_t(w[3]), variant));
  }
  cost.flashBytes += 8 * w[0];
}

void sizesFullyConnected(Operation *op, WeightStorage storage, LayerCost &cost) {
  auto fc = cast<FullyConnectedOp>(op);
  int32_t variant = storage == WeightStorage::int16 ? TFK_W_INT16 : TFK_W_INT8;
  ArrayRef<int64_t> w = shapeOf(fc.getWeight());
  int64_t tokens = cast<ShapedType>(fc.getInput().getType()).getNumElements() / w[1];
  cost.flashBytes = int64_t(tfk_fully_connected_packed_bytes(
                        int32_t(w[1]), int32_t(w[0]), variant)) +
                    8 * w[0];
  cost.scratchBytes = int64_t(tfk_fully_connected_scratch_bytes(
      int32_t(tokens), int32_t(w[1]), int32_t(w[0]), variant));
}

// The kernel call's variant: the weight storage, plus TFK_RQ_FAST when every
// output channel takes the fast requantization form (the kernel then skips
// its per-channel test).
static int32_t callVariant(int32_t variant, ArrayRef<int32_t> mults,
                           ArrayRef<int32_t> shifts) {
  bool fast = tfk_rq_all_fast(mults.data(), shifts.data(), int32_t(mults.size()));
  return variant | (fast ? TFK_RQ_FAST : 0);
}

static LogicalResult lowerConvOp(LayerEmitter &e, Conv2DOp op, bool depthwise) {
  FailureOr<ConvRules> r = getConvRules(op);
  if (failed(r))
    return failure();
  if (llvm::any_of(op.getDilations(), [](int64_t d) { return d != 1; }))
    return op.emitOpError("dilated convolutions have no kernel");
  Dims i = nhwc(op.getInput()), o = nhwc(op.getOutput());
  ArrayRef<int64_t> w = op.getWeight().getType().getShape();
  int32_t kh = int32_t(w[2]), kw = int32_t(w[3]);
  int32_t variant = variantOf(op);
  std::vector<int8_t> blob;
  if (depthwise) {
    // [C, 1, kh, kw] is already [c][kh][kw].
    blob.resize(tfk_depthwise_conv2d_packed_bytes(int32_t(o.c), kh, kw, variant));
    tfk_pack_depthwise_conv2d(r->weight.data(), r->bias.data(), r->inZp,
                              int32_t(o.c), kh, kw, variant, blob.data());
  } else {
    // OIHW -> OHWI, the order of NHWC input pixels.
    std::vector<int8_t> ohwi(r->weight.size());
    int64_t ic = w[1];
    for (int64_t oc = 0; oc < w[0]; ++oc)
      for (int64_t c = 0; c < ic; ++c)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t x = 0; x < kw; ++x)
            ohwi[((oc * kh + y) * kw + x) * ic + c] =
                r->weight[((oc * ic + c) * kh + y) * kw + x];
    blob.resize(tfk_conv2d_packed_bytes(int32_t(ic), int32_t(w[0]), kh, kw,
                                        variant));
    tfk_pack_conv2d(ohwi.data(), r->bias.data(), r->inZp, int32_t(ic),
                    int32_t(w[0]), kh, kw, variant, blob.data());
  }
  std::vector<int32_t> mults = multsOf(r->requant), shifts = shiftsOf(r->requant);
  Value packed = e.global("packed", ArrayRef<int8_t>(blob));
  Value mult = e.global("mult", ArrayRef<int32_t>(mults));
  Value shift = e.global("shift", ArrayRef<int32_t>(shifts));
  if (!depthwise)
    variant = callVariant(variant, mults, shifts);
  ArrayRef<int64_t> s = op.getStrides(), p = op.getPadding();
  SmallVector<Value> args = {e.ptrTo(op, op.getInput()), e.ptrTo(op, op.getOutput()),
                             packed, mult, shift, e.scratch(op),
                             e.i32(i.h), e.i32(i.w), e.i32(i.c), e.i32(o.h), e.i32(o.w)};
  if (!depthwise)
    args.push_back(e.i32(o.c));
  for (int64_t v : {int64_t(kh), int64_t(kw), s[0], s[1], p[0], p[1],
                    int64_t(r->inZp), int64_t(r->outZp), int64_t(r->act.min),
                    int64_t(r->act.max), int64_t(variant)})
    args.push_back(e.i32(v));
  e.call(depthwise ? "tfk_depthwise_conv2d_s8" : "tfk_conv2d_s8", args);
  return success();
}

static LogicalResult lowerFullyConnectedOp(LayerEmitter &e, FullyConnectedOp op) {
  FailureOr<ConvRules> r = getConvRules(op);
  if (failed(r))
    return failure();
  ArrayRef<int64_t> w = op.getWeight().getType().getShape();
  int64_t n = w[0], k = w[1];
  int64_t tokens = op.getInput().getType().getNumElements() / k;
  if (!storedInLogicalOrder(op.getInput().getType()) ||
      !storedInLogicalOrder(op.getOutput().getType()))
    return op.emitOpError("fully_connected over a 4-D NHWC tensor has no "
                          "kernel");
  // An NHWC flatten feeds this layer: permute the weight columns instead.
  std::vector<int64_t> order = storedFeatureOrder(op);
  std::vector<int8_t> weight(r->weight.size());
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col)
      weight[row * k + col] =
          r->weight[row * k + (order.empty() ? col : order[col])];
  int32_t variant = variantOf(op);
  std::vector<int8_t> blob(
      tfk_fully_connected_packed_bytes(int32_t(k), int32_t(n), variant));
  tfk_pack_fully_connected(weight.data(), r->bias.data(), r->inZp, int32_t(k),
                           int32_t(n), variant, blob.data());
  std::vector<int32_t> mults = multsOf(r->requant), shifts = shiftsOf(r->requant);
  Value packed = e.global("packed", ArrayRef<int8_t>(blob));
  Value mult = e.global("mult", ArrayRef<int32_t>(mults));
  Value shift = e.global("shift", ArrayRef<int32_t>(shifts));
  variant = callVariant(variant, mults, shifts);
  SmallVector<Value> args = {e.ptrTo(op, op.getInput()), e.ptrTo(op, op.getOutput()),
                             packed, mult, shift, e.scratch(op)};
  for (int64_t v : {tokens, k, n, int64_t(r->inZp), int64_t(r->outZp),
                    int64_t(r->act.min), int64_t(r->act.max), int64_t(variant)})
    args.push_back(e.i32(v));
  e.call("tfk_fully_connected_s8", args);
  return success();
}

LogicalResult lowerConv2D(LayerEmitter &e, Operation *op) {
  return lowerConvOp(e, cast<Conv2DOp>(op), /*depthwise=*/false);
}

LogicalResult lowerDepthwise(LayerEmitter &e, Operation *op) {
  return lowerConvOp(e, cast<Conv2DOp>(op), /*depthwise=*/true);
}

LogicalResult lowerFullyConnected(LayerEmitter &e, Operation *op) {
  return lowerFullyConnectedOp(e, cast<FullyConnectedOp>(op));
}

} // namespace tinyformer
