//===- ImportOps.cpp - ONNX op families to sparse_tiny ops ----------------===//
//
// One function per ONNX op family, in the dialect's family order: conv,
// matmul, elementwise, pooling/reduction, data movement, normalization,
// quantization. Each checks the attributes it cannot honour and names them
// in its error, computes the result shape with the dialect's shape rules and
// emits one op (BatchNormalization: a per-channel mul and add, which
// canonicalization folds into the preceding conv).
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::sparse_tiny;
using namespace tinyformer::detail;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

bool Importer::isWeight(Value v) {
  if (auto t = v.getDefiningOp<TransposeOp>())
    v = t.getInput();
  if (auto dq = v.getDefiningOp<DequantizeOp>())
    v = dq.getInput();
  return v.getDefiningOp<ConstantOp>() != nullptr;
}

FailureOr<QuantParams> Importer::readQuantParams(ArrayRef<int64_t> shape) {
  int64_t rank = int64_t(shape.size());
  FailureOr<HostTensor *> scale = getKnown(input(1), "scale");
  if (failed(scale))
    return failure();
  QuantParams p;
  p.scales = (*scale)->data;
  if (p.scales.empty() || (*scale)->shape.size() > 1)
    return nodeError() << "scale must be a scalar or a 1-D tensor";
  for (double s : p.scales)
    if (!(s > 0) || !std::isfinite(s))
      return nodeError() << "scale " << s << " must be positive and finite";
  p.isSigned = false; // ONNX: no zero point means uint8 with zero point 0.
  if (!input(2).empty()) {
    FailureOr<HostTensor *> zp = getKnown(input(2), "zero point");
    if (failed(zp))
      return failure();
    int32_t t = (*zp)->dtype;
    if (t != onnx::TensorProto::INT8 && t != onnx::TensorProto::UINT8)
      return nodeError() << "zero point must be int8 or uint8";
    p.isSigned = t == onnx::TensorProto::INT8;
    for (double z : (*zp)->data)
      p.zeroPoints.push_back(int64_t(z));
  }
  if (p.zeroPoints.empty())
    p.zeroPoints.assign(p.scales.size(), 0);
  if (p.zeroPoints.size() != p.scales.size())
    return nodeError() << "scale and zero point have different sizes ("
                       << p.scales.size() << " and " << p.zeroPoints.size()
                       << ")";
  if (p.scales.size() > 1 ||
      ((*scale)->shape.size() == 1 && attr("axis") && (*scale)->shape[0] > 1)) {
    FailureOr<int64_t> axis = normalizeAxis(attrInt("axis", 1), rank);
    if (failed(axis))
      return failure();
    p.axis = *axis;
    if (int64_t(p.scales.size()) != shape[*axis])
      return nodeError() << p.scales.size() << " scales for axis " << *axis
                         << " of " << shapeStr(shape) << " (one per index)";
  }
  return p;
}

Type Importer::buildQuantType(const QuantParams &p) {
  unsigned flags = p.isSigned ? quant::QuantizationFlags::Signed : 0;
  int64_t qmin = p.isSigned ? -128 : 0, qmax = p.isSigned ? 127 : 255;
  Type storage = builder.getIntegerType(8);
  if (p.axis < 0)
    return quant::UniformQuantizedType::get(flags, storage,
                                            builder.getF32Type(), p.scales[0],
                                            p.zeroPoints[0], qmin, qmax);
  return quant::UniformQuantizedPerAxisType::get(
      flags, storage, builder.getF32Type(), p.scales, p.zeroPoints, p.axis,
      qmin, qmax);
}

//===----------------------------------------------------------------------===//
// Conv family
//===----------------------------------------------------------------------===//

/// A dilated kernel as the dense one it reads: taps `d` apart with zeros
/// between them ([O, C, ..., K] -> [O, C, ..., d * (K - 1) + 1]). The zeros
/// cost nothing once kernel selection sees them (a sparse kernel skips
/// them), and every kernel and rule stays undilated.
/// None when the dilated kernel is more than the importer holds.
static std::optional<HostTensor> dilateKernel(const HostTensor &w,
                                              ArrayRef<int64_t> dil) {
  size_t rank = w.shape.size(), spatial = dil.size();
  HostTensor out = w;
  for (size_t i = 0; i < spatial; ++i) {
    int64_t &k = out.shape[rank - spatial + i];
    k = dil[i] * (k - 1) + 1;
  }
  if (!isHoldableShape(out.shape))
    return std::nullopt;
  out.data.assign(out.numel(), 0.0);
  int64_t planes = 1;
  for (size_t i = 0; i + spatial < rank; ++i)
    planes *= w.shape[i];
  int64_t kh = spatial == 2 ? w.shape[rank - 2] : 1, kw = w.shape[rank - 1];
  int64_t oh = spatial == 2 ? out.shape[rank - 2] : 1, ow = out.shape[rank - 1];
  int64_t dh = spatial == 2 ? dil[0] : 1, dw = dil[spatial - 1];
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j)
        out.data[(p * oh + i * dh) * ow + j * dw] = w.data[(p * kh + i) * kw + j];
  return out;
}

std::optional<SmallVector<int64_t>> Importer::convKernelShape() const {
  std::optional<SmallVector<int64_t>> k = attrInts("kernel_shape");
  std::optional<SmallVector<int64_t>> dil = attrInts("dilations");
  if (k && dil && dil->size() == k->size())
    for (size_t i = 0; i < k->size(); ++i)
      (*k)[i] = (*dil)[i] * ((*k)[i] - 1) + 1;
  return k;
}

LogicalResult Importer::importConv() {
  if (failed(requireNoAutoPad()))
    return failure();
  FailureOr<Value> x = getValue(input(0)), w = getValue(input(1));
  if (failed(x) || failed(w))
    return failure();
  // The weight's name in `known` (a dilated one is a new tensor).
  std::string weightName = input(1).str();
  if (std::optional<SmallVector<int64_t>> dil = attrInts("dilations");
      dil && llvm::any_of(*dil, [](int64_t d) { return d != 1; })) {
    auto k = known.find(input(1));
    size_t spatial = shapeOf(*w).size() - 2;
    if (k == known.end() || !k->second.isFloat() || k->second.quant)
      return nodeError() << "a dilated convolution needs a constant float "
                            "weight (it becomes the dense kernel with zeros "
                            "between the taps)";
    if (dil->size() != spatial || llvm::any_of(*dil, [](int64_t d) { return d < 1 || d > 4096; }))
      return nodeError() << "dilations " << shapeStr(*dil) << " do not fit a "
                         << spatial << "-D kernel (1 to 4096 each)";
    weightName = (input(1) + ".dilated").str();
    std::optional<HostTensor> dilated = dilateKernel(k->second, *dil);
    if (!dilated)
      return nodeError() << "dilations " << shapeStr(*dil)
                         << " make a kernel of more than " << kMaxKnownElements
                         << " elements";
    known[weightName] = std::move(*dilated);
    *w = materialize(known[weightName], weightName);
  }
  Value bias;
  if (!input(2).empty()) {
    FailureOr<Value> b = getValue(input(2));
    if (failed(b))
      return failure();
    bias = *b;
  }
  ArrayRef<int64_t> wShape = shapeOf(*w);
  if (wShape.size() == 3 && shapeOf(*x).size() == 3)
    return importConv1D(*x, *w, bias, weightName);
  if (wShape.size() != 4 || shapeOf(*x).size() != 4)
    return nodeError() << "only 1-D and 2-D convolution are supported (input "
                       << shapeStr(shapeOf(*x)) << ", weight "
                       << shapeStr(wShape) << ")";
  if (std::optional<SmallVector<int64_t>> k = convKernelShape())
    if (ArrayRef<int64_t>(*k) != wShape.drop_front(2))
      return nodeError() << "kernel_shape " << shapeStr(*k)
                         << " differs from the weight's "
                         << shapeStr(wShape.drop_front(2));
  SmallVector<int64_t> strides = attrInts("strides").value_or(
      SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads = attrInts("pads").value_or(
      SmallVector<int64_t>{0, 0, 0, 0});
  int64_t groups = attrInt("group", 1);
  SmallVector<int64_t> shape;
  if (failed(inferConv2DShape(shapeOf(*x), wShape, strides, pads, {1, 1},
                              groups, shape, [&] { return nodeError(); })))
    return failure();
  return emit<Conv2DOp>(shape, *x, *w, bias,
                        builder.getDenseI64ArrayAttr(strides),
                        builder.getDenseI64ArrayAttr(pads),
                        builder.getDenseI64ArrayAttr({1, 1}),
                        builder.getI64IntegerAttr(groups));
}

/// Conv1d ([N, C, L] by [O, C/g, K]) as a 1 x K Conv2D over [N, C, 1, L]
/// (the input and output reshaped, the weight a 4-D constant).
LogicalResult Importer::importConv1D(Value x, Value w, Value bias,
                                    StringRef weightName) {
  ArrayRef<int64_t> xShape = shapeOf(x), wShape = shapeOf(w);
  if (std::optional<SmallVector<int64_t>> k = convKernelShape())
    if (k->size() != 1 || (*k)[0] != wShape[2])
      return nodeError() << "kernel_shape " << shapeStr(*k)
                         << " differs from the weight's [" << wShape[2] << "]";
  SmallVector<int64_t> strides1 = attrInts("strides").value_or(SmallVector<int64_t>{1});
  SmallVector<int64_t> pads1 = attrInts("pads").value_or(SmallVector<int64_t>{0, 0});
  if (strides1.size() != 1 || pads1.size() != 2)
    return nodeError() << "a 1-D convolution needs 1 stride and 2 pads, got "
                       << strides1.size() << " and " << pads1.size();
  SmallVector<int64_t> strides = {1, strides1[0]};
  SmallVector<int64_t> pads = {0, pads1[0], 0, pads1[1]};
  int64_t groups = attrInt("group", 1);
  SmallVector<int64_t> x4 = {xShape[0], xShape[1], 1, xShape[2]};
  SmallVector<int64_t> w4 = {wShape[0], wShape[1], 1, wShape[2]};
  SmallVector<int64_t> shape;
  if (failed(inferConv2DShape(x4, w4, strides, pads, {1, 1}, groups, shape,
                              [&] { return nodeError(); })))
    return failure();
  // The weight as a [O, C/g, 1, K] constant.
  auto k = known.find(weightName);
  if (k == known.end())
    return nodeError() << "a 1-D convolution's weight must be a constant";
  HostTensor w2d = k->second;
  w2d.shape = w4;
  Value wView = materialize(w2d, (weightName + ".2d").str());
  auto xView = builder.create<ReshapeOp>(nodeLoc, f32(x4), x);
  auto conv = builder.create<Conv2DOp>(
      nodeLoc, f32(shape), xView.getResult(), wView, bias,
      builder.getDenseI64ArrayAttr(strides), builder.getDenseI64ArrayAttr(pads),
      builder.getDenseI64ArrayAttr({1, 1}), builder.getI64IntegerAttr(groups));
  for (Operation *op : {xView.getOperation(), conv.getOperation()})
    if (failed(mlir::verify(op)))
      return failure();
  return emit<ReshapeOp>({shape[0], shape[1], shape[3]}, conv.getResult());
}

namespace {
/// One spatial dim of a transposed convolution (stride s, k taps, pads,
/// output padding) as a stride-1 convolution over the input whose output
/// channels are the s output phases, then depth-to-space and a crop:
/// output o + crop of the interleaved phases is output o. Phase r reads
/// taps r, r + s, ... (ceil(k / s) of them, zero beyond k), reversed.
struct TransposedDim {
  int64_t taps, padLow, padHigh, crop, out;
};
TransposedDim transposedDim(int64_t in, int64_t k, int64_t s, int64_t padBegin,
                            int64_t padEnd, int64_t outPad) {
  TransposedDim d;
  d.taps = (k + s - 1) / s;
  d.out = s * (in - 1) + k - padBegin - padEnd + outPad;
  // Whole phase rows cropped at the start are not computed.
  int64_t shift = std::min(padBegin / s, d.taps - 1);
  d.padLow = d.taps - 1 - shift;
  d.crop = padBegin - s * shift;
  int64_t needed = (d.out + d.crop + s - 1) / s;
  d.padHigh = std::max<int64_t>(0, needed - in - d.padLow + d.taps - 1);
  return d;
}
} // namespace

/// ConvTranspose (1-D and 2-D, any stride, pads, output_padding, dilation,
/// groups) as conv2d -> depth_to_space -> slice: the same multiply-adds as
/// the transposed convolution (plus the zero taps of a kernel that the
/// stride does not divide, which sparse kernels skip), no zero insertion.
LogicalResult Importer::importConvTranspose() {
  if (failed(requireNoAutoPad()))
    return failure();
  if (attr("output_shape"))
    return nodeError() << "output_shape is not supported: export with pads "
                          "and output_padding (as torch does)";
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  auto wIt = known.find(input(1));
  if (wIt == known.end() || !wIt->second.isFloat() || wIt->second.quant)
    return nodeError() << "the weight '" << input(1)
                       << "' must be a float constant (a transposed "
                          "convolution's phases are rearranged at import; "
                          "export the model in float and calibrate)";
  HostTensor w = wIt->second;
  ArrayRef<int64_t> xShape = shapeOf(*x);
  size_t spatial = w.shape.size() - 2;
  if ((spatial != 1 && spatial != 2) || xShape.size() != spatial + 2)
    return nodeError() << "only 1-D and 2-D transposed convolutions are "
                          "supported (input "
                       << shapeStr(xShape) << ", weight " << shapeStr(w.shape)
                       << ")";
  auto ints = [&](StringRef name, int64_t count, int64_t dflt)
      -> FailureOr<SmallVector<int64_t>> {
    SmallVector<int64_t> v =
        attrInts(name).value_or(SmallVector<int64_t>(count, dflt));
    if (int64_t(v.size()) != count) {
      nodeError() << name << " needs " << count << " entries for a "
                  << spatial << "-D kernel, got " << v.size();
      return failure();
    }
    return v;
  };
  auto strides = ints("strides", spatial, 1), dil = ints("dilations", spatial, 1),
       pads = ints("pads", 2 * spatial, 0),
       outPads = ints("output_padding", spatial, 0);
  if (failed(strides) || failed(dil) || failed(pads) || failed(outPads))
    return failure();
  if (llvm::any_of(*dil, [](int64_t d) { return d < 1 || d > 4096; }) ||
      llvm::any_of(*strides, [](int64_t s) { return s > 4096; }))
    return nodeError() << "strides " << shapeStr(*strides) << " and dilations "
                       << shapeStr(*dil) << " need values from 1 to 4096";
  if (llvm::any_of(*dil, [](int64_t d) { return d != 1; })) {
    std::optional<HostTensor> dilated = dilateKernel(w, *dil);
    if (!dilated)
      return nodeError() << "dilations " << shapeStr(*dil)
                         << " make a kernel of more than " << kMaxKnownElements
                         << " elements";
    w = std::move(*dilated);
  }
  int64_t groups = attrInt("group", 1), cin = xShape[1];
  if (groups < 1 || cin % groups || w.shape[0] != cin)
    return nodeError() << "the weight " << shapeStr(w.shape) << " does not fit "
                       << cin << " input channels in " << groups << " groups";
  // As 2-D: a 1-D op is 1 x K over [N, C, 1, L].
  auto as2d = [&](ArrayRef<int64_t> v, int64_t pad) {
    return spatial == 2 ? SmallVector<int64_t>(v) : SmallVector<int64_t>{pad, v[0]};
  };
  SmallVector<int64_t> x4 = as2d(xShape.drop_front(2), 1);
  x4.insert(x4.begin(), {xShape[0], cin});
  SmallVector<int64_t> k2 = as2d(ArrayRef<int64_t>(w.shape).drop_front(2), 1),
                       s2 = as2d(*strides, 1), op2 = as2d(*outPads, 0);
  SmallVector<int64_t> begin2 =
      as2d(ArrayRef<int64_t>(*pads).take_front(spatial), 0);
  SmallVector<int64_t> end2 = as2d(ArrayRef<int64_t>(*pads).drop_front(spatial), 0);
  TransposedDim dims[2];
  for (int i = 0; i < 2; ++i) {
    if (s2[i] < 1 || begin2[i] < 0 || end2[i] < 0 || op2[i] < 0 ||
        op2[i] >= std::max(s2[i], (*dil)[spatial == 2 ? i : 0]))
      return nodeError() << "strides " << shapeStr(*strides) << ", pads "
                         << shapeStr(*pads) << " and output_padding "
                         << shapeStr(*outPads)
                         << " need strides >= 1, pads >= 0 and output_padding "
                            "below the stride";
    dims[i] = transposedDim(x4[2 + i], k2[i], s2[i], begin2[i], end2[i], op2[i]);
    if (dims[i].out < 1)
      return nodeError() << "the output would be empty (pads "
                         << shapeStr(*pads) << " exceed the kernel)";
  }
  int64_t coutPerGroup = w.shape[1], cout = coutPerGroup * groups;
  int64_t sh = s2[0], sw = s2[1], phases = sh * sw;
  int64_t th = dims[0].taps, tw = dims[1].taps, cinPerGroup = cin / groups;
  // One group: phase-major channels (depth_to_space copies whole pixels);
  // several: channel-major, which keeps each group's outputs together.
  bool phaseMajor = groups == 1;
  auto phaseChannel = [&](int64_t co, int64_t phase) {
    return phaseMajor ? phase * cout + co : co * phases + phase;
  };
  HostTensor pw;
  pw.shape = {cout * phases, cinPerGroup, th, tw};
  if (!isHoldableShape(pw.shape))
    return nodeError() << "the phases' kernel " << shapeStr(pw.shape)
                       << " would hold more than " << kMaxKnownElements
                       << " elements";
  pw.data.assign(pw.numel(), 0.0);
  for (int64_t co = 0; co < cout; ++co)
    for (int64_t ry = 0; ry < sh; ++ry)
      for (int64_t rx = 0; rx < sw; ++rx)
        for (int64_t ci = 0; ci < cinPerGroup; ++ci)
          for (int64_t a = 0; a < th; ++a)
            for (int64_t b = 0; b < tw; ++b) {
              int64_t ky = sh * (th - 1 - a) + ry, kx = sw * (tw - 1 - b) + rx;
              if (ky >= k2[0] || kx >= k2[1])
                continue;
              int64_t g = co / coutPerGroup, j = co % coutPerGroup;
              int64_t from =
                  (((g * cinPerGroup + ci) * coutPerGroup + j) * k2[0] + ky) *
                      k2[1] + kx;
              int64_t to = ((phaseChannel(co, ry * sw + rx) * cinPerGroup + ci) *
                                th + a) * tw + b;
              pw.data[to] = w.data[from];
            }
  Value weight = materialize(pw, (input(1) + ".phases").str());
  Value bias;
  if (!input(2).empty()) {
    FailureOr<HostTensor *> b = getKnown(input(2), "bias");
    if (failed(b))
      return failure();
    if (!(*b)->isFloat() || (*b)->quant || (*b)->numel() != cout)
      return nodeError() << "the bias '" << input(2) << "' must be " << cout
                         << " float constants";
    HostTensor pb;
    pb.shape = {cout * phases};
    pb.data.resize(cout * phases);
    for (int64_t co = 0; co < cout; ++co)
      for (int64_t p = 0; p < phases; ++p)
        pb.data[phaseChannel(co, p)] = (*b)->data[co];
    bias = materialize(pb, (input(2) + ".phases").str());
  }
  SmallVector<Operation *> built;
  Value v = *x;
  if (spatial == 1) {
    v = builder.create<ReshapeOp>(nodeLoc, f32(x4), v);
    built.push_back(v.getDefiningOp());
  }
  SmallVector<int64_t> convShape;
  SmallVector<int64_t> convPads = {dims[0].padLow, dims[1].padLow,
                                   dims[0].padHigh, dims[1].padHigh};
  if (failed(inferConv2DShape(x4, pw.shape, {1, 1}, convPads, {1, 1}, groups,
                              convShape, [&] { return nodeError(); })))
    return failure();
  v = builder.create<Conv2DOp>(
      nodeLoc, f32(convShape), v, weight, bias, builder.getDenseI64ArrayAttr({1, 1}),
      builder.getDenseI64ArrayAttr(convPads), builder.getDenseI64ArrayAttr({1, 1}),
      builder.getI64IntegerAttr(groups));
  built.push_back(v.getDefiningOp());
  SmallVector<int64_t> full = {convShape[0], cout, convShape[2] * sh,
                               convShape[3] * sw};
  if (phases > 1) {
    v = builder.create<DepthToSpaceOp>(nodeLoc, f32(full), v,
                                       builder.getDenseI64ArrayAttr({sh, sw}),
                                       phaseMajor ? "DCR" : "CRD");
    built.push_back(v.getDefiningOp());
  }
  SmallVector<int64_t> outShape = {full[0], cout, dims[0].out, dims[1].out};
  if (ArrayRef<int64_t>(outShape) != ArrayRef<int64_t>(full)) {
    v = builder.create<SliceOp>(
        nodeLoc, f32(outShape), v,
        builder.getDenseI64ArrayAttr({0, 0, dims[0].crop, dims[1].crop}),
        builder.getDenseI64ArrayAttr(outShape),
        builder.getDenseI64ArrayAttr({1, 1, 1, 1}));
    built.push_back(v.getDefiningOp());
  }
  for (Operation *op : built)
    if (failed(mlir::verify(op)))
      return failure();
  if (spatial == 1)
    return emit<ReshapeOp>({outShape[0], cout, outShape[3]}, v);
  setValue(node->output(0), v);
  return success();
}

/// DepthToSpace (nn.PixelShuffle exports it in CRD mode).
LogicalResult Importer::importDepthToSpace() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  int64_t bs = attrInt("blocksize", 0);
  std::string mode = attrString("mode", "DCR");
  if (xShape.size() != 4 || bs < 1 || xShape[1] % (bs * bs) != 0)
    return nodeError() << "blocksize " << bs << " does not divide the "
                       << "channels of " << shapeStr(xShape)
                       << " into blocks (a 4-D map with C divisible by "
                          "blocksize^2 is needed)";
  if (mode != "DCR" && mode != "CRD")
    return nodeError() << "mode '" << mode << "' is neither DCR nor CRD";
  return emit<DepthToSpaceOp>(
      {xShape[0], xShape[1] / (bs * bs), xShape[2] * bs, xShape[3] * bs}, *x,
      builder.getDenseI64ArrayAttr({bs, bs}), mode);
}

LogicalResult Importer::importBatchNorm() {
  if (attrInt("training_mode", 0) != 0)
    return nodeError() << "training_mode = 1 is not supported";
  for (int i = 1; i < node->output_size(); ++i)
    if (!node->output(i).empty())
      return nodeError() << "the running-statistics outputs are not supported";
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  FailureOr<HostTensor *> scale = getKnown(input(1), "scale"),
                          bias = getKnown(input(2), "bias"),
                          mean = getKnown(input(3), "mean"),
                          var = getKnown(input(4), "variance");
  if (failed(scale) || failed(bias) || failed(mean) || failed(var))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  if (xShape.size() < 2)
    return nodeError() << "input must have a channel dim";
  int64_t c = xShape[1];
  for (HostTensor *t : {*scale, *bias, *mean, *var})
    if (t->numel() != c)
      return nodeError() << "parameters must have " << c << " values (one "
                         << "per channel), got " << t->numel();
  // y = x * a + b with a = scale / sqrt(var + eps), b = bias - mean * a.
  float eps = attrFloat("epsilon", 1e-5f);
  std::vector<float> a(c), b(c);
  for (int64_t i = 0; i < c; ++i) {
    a[i] = float((*scale)->data[i] /
                 std::sqrt(float((*var)->data[i]) + eps));
    b[i] = float((*bias)->data[i] - (*mean)->data[i] * a[i]);
  }
  SmallVector<int64_t> paramShape{c};
  paramShape.append(xShape.size() - 2, 1);
  Value av = createFloatConstant(builder, nodeLoc, f32(paramShape), a,
                                 nodeName + ".scale");
  Value bv = createFloatConstant(builder, nodeLoc, f32(paramShape), b,
                                 nodeName + ".shift");
  auto mul = builder.create<MulOp>(nodeLoc, f32(xShape), *x, av);
  if (failed(mlir::verify(mul)))
    return failure();
  return emit<AddOp>(xShape, mul.getResult(), bv);
}

//===----------------------------------------------------------------------===//
// Matmul family
//===----------------------------------------------------------------------===//

/// The known 2-D tensor `t` transposed.
static HostTensor transpose2D(const HostTensor &t) {
  HostTensor r = t;
  r.shape = {t.shape[1], t.shape[0]};
  for (int64_t i = 0; i < t.shape[0]; ++i)
    for (int64_t j = 0; j < t.shape[1]; ++j)
      r.data[j * t.shape[0] + i] = t.data[i * t.shape[1] + j];
  return r;
}

LogicalResult Importer::importGemm() {
  if (attrInt("transA", 0) != 0)
    return nodeError() << "transA = 1 is not supported";
  float alpha = attrFloat("alpha", 1.0f), beta = attrFloat("beta", 1.0f);
  bool transB = attrInt("transB", 0) != 0;
  FailureOr<Value> a = getValue(input(0));
  if (failed(a))
    return failure();
  if (shapeOf(*a).size() != 2)
    return nodeError() << "input A must be 2-D, got " << shapeStr(shapeOf(*a));

  // The weight as [N, K]; a known one is transposed and scaled here.
  Value weight;
  if (isKnown(input(1)) && known[input(1)].isFloat()) {
    HostTensor w = known[input(1)];
    if (w.shape.size() != 2)
      return nodeError() << "B must be 2-D, got " << shapeStr(w.shape);
    if (!transB)
      w = transpose2D(w);
    for (double &v : w.data)
      v = double(float(v * alpha));
    weight = materialize(w, input(1));
  } else {
    if (alpha != 1.0f)
      return nodeError() << "alpha != 1 needs a constant B";
    FailureOr<Value> b = getValue(input(1));
    if (failed(b))
      return failure();
    weight = *b;
    if (shapeOf(weight).size() != 2)
      return nodeError() << "B must be 2-D, got " << shapeStr(shapeOf(weight));
    if (!transB) {
      ArrayRef<int64_t> s = shapeOf(weight);
      weight = builder.create<TransposeOp>(nodeLoc, f32({s[1], s[0]}), weight,
                                           builder.getDenseI64ArrayAttr({1, 0}));
    }
  }
  int64_t n = shapeOf(weight)[0];
  SmallVector<int64_t> shape{shapeOf(*a)[0], n};

  // A known C with one value per output (or one for all) is the bias.
  Value bias, addend;
  if (!input(2).empty()) {
    if (isKnown(input(2)) && known[input(2)].isFloat() &&
        (known[input(2)].numel() == n || known[input(2)].numel() == 1)) {
      const HostTensor &c = known[input(2)];
      std::vector<float> b(n);
      for (int64_t i = 0; i < n; ++i)
        b[i] = float(beta * c.data[c.numel() == 1 ? 0 : i]);
      bias = createFloatConstant(builder, nodeLoc, f32({n}), b, input(2));
    } else {
      if (beta != 1.0f)
        return nodeError() << "beta != 1 needs a constant C";
      FailureOr<Value> c = getValue(input(2));
      if (failed(c))
        return failure();
      addend = *c;
    }
  }
  auto fc = builder.create<FullyConnectedOp>(nodeLoc, f32(shape), *a, weight,
                                             bias);
  if (!addend)
    return finish(fc);
  if (failed(mlir::verify(fc)))
    return failure();
  SmallVector<int64_t> sum;
  if (failed(inferBroadcastShape(shape, shapeOf(addend), sum,
                                 [&] { return nodeError(); })))
    return failure();
  return emit<AddOp>(sum, fc.getResult(), addend);
}

LogicalResult Importer::importMatMul() {
  FailureOr<Value> a = getValue(input(0));
  if (failed(a))
    return failure();
  ArrayRef<int64_t> aShape = shapeOf(*a);
  if (aShape.empty())
    return nodeError() << "input A must have rank >= 1";

  // A constant (or dequantized constant) 2-D B is a linear layer's weight.
  if (isKnown(input(1)) && known[input(1)].isFloat() &&
      known[input(1)].shape.size() == 2) {
    HostTensor w = transpose2D(known[input(1)]);
    Value weight = materialize(w, input(1));
    if (aShape.back() != w.shape[1])
      return nodeError() << "contraction dims differ: " << shapeStr(aShape)
                         << " @ " << shapeStr(known[input(1)].shape);
    SmallVector<int64_t> shape(aShape.drop_back());
    shape.push_back(w.shape[0]);
    return emit<FullyConnectedOp>(shape, *a, weight, Value());
  }
  FailureOr<Value> b = getValue(input(1));
  if (failed(b))
    return failure();
  ArrayRef<int64_t> bShape = shapeOf(*b);
  if (isWeight(*b) && bShape.size() == 2) {
    auto wt = builder.create<TransposeOp>(nodeLoc, f32({bShape[1], bShape[0]}),
                                          *b,
                                          builder.getDenseI64ArrayAttr({1, 0}));
    if (aShape.back() != bShape[0])
      return nodeError() << "contraction dims differ: " << shapeStr(aShape)
                         << " @ " << shapeStr(bShape);
    SmallVector<int64_t> shape(aShape.drop_back());
    shape.push_back(bShape[1]);
    return emit<FullyConnectedOp>(shape, *a, wt.getResult(), Value());
  }
  SmallVector<int64_t> shape;
  if (failed(inferMatMulShape(aShape, bShape, shape,
                              [&] { return nodeError(); })))
    return failure();
  return emit<MatMulOp>(shape, *a, *b);
}

//===----------------------------------------------------------------------===//
// Elementwise family
//===----------------------------------------------------------------------===//

LogicalResult Importer::importBinary() {
  FailureOr<Value> lhs = getValue(input(0)), rhs = getValue(input(1));
  if (failed(lhs) || failed(rhs))
    return failure();
  SmallVector<int64_t> shape;
  if (failed(inferBroadcastShape(shapeOf(*lhs), shapeOf(*rhs), shape,
                                 [&] { return nodeError(); })))
    return failure();
  StringRef op = node->op_type();
  if (op == "Add")
    return emit<AddOp>(shape, *lhs, *rhs);
  if (op == "Sub")
    return emit<SubOp>(shape, *lhs, *rhs);
  if (op == "Mul")
    return emit<MulOp>(shape, *lhs, *rhs);
  if (op == "Div")
    return emit<DivOp>(shape, *lhs, *rhs);
  return emit<PowOp>(shape, *lhs, *rhs);
}

LogicalResult Importer::importUnary() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  StringRef op = node->op_type();
  if (op == "Relu")
    return emit<ReluOp>(shape, *x);
  if (op == "Sigmoid")
    return emit<SigmoidOp>(shape, *x);
  if (op == "Tanh")
    return emit<TanhOp>(shape, *x);
  if (op == "Erf")
    return emit<ErfOp>(shape, *x);
  if (op == "Sqrt")
    return emit<SqrtOp>(shape, *x);
  if (op == "Exp")
    return emit<ExpOp>(shape, *x);
  if (op == "HardSwish")
    return emit<HardSwishOp>(shape, *x);
  return emit<HardSigmoidOp>(
      shape, *x, builder.getF32FloatAttr(attrFloat("alpha", 0.2f)),
      builder.getF32FloatAttr(attrFloat("beta", 0.5f)));
}

/// LeakyRelu, and PRelu with one slope shared by all channels (nn.PReLU()'s
/// default): x >= 0 ? x : alpha * x; PRelu with a slope per index of dim 1
/// (nn.PReLU(num_parameters=C): [C], [C, 1] or [C, 1, 1]): prelu.
LogicalResult Importer::importLeakyRelu() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  double alpha = attrFloat("alpha", 0.01f);
  if (node->op_type() == "PRelu") {
    auto slope = known.find(input(1));
    if (slope == known.end())
      return nodeError() << "a PRelu slope must be a constant";
    const std::vector<double> &s = slope->second.data;
    ArrayRef<int64_t> xShape = shapeOf(*x);
    if (!s.empty() && llvm::any_of(s, [&](double v) { return v != s.front(); })) {
      // Per channel: the slope's shape, aligned to x's trailing dims,
      // varies along dim 1 only.
      ArrayRef<int64_t> shape = slope->second.shape;
      int64_t rank = int64_t(xShape.size()), sRank = int64_t(shape.size());
      bool perChannel = rank >= 2 && sRank <= rank - 1 &&
                        int64_t(s.size()) == xShape[1];
      for (int64_t i = 0; i < sRank && perChannel; ++i)
        perChannel = shape[i] == (rank - sRank + i == 1 ? xShape[1] : 1);
      if (!perChannel)
        return nodeError() << "PRelu slope of shape " << shapeStr(shape)
                           << " for an input of shape " << shapeStr(xShape)
                           << ": only one slope, or one per index of dim 1 "
                              "(the channels), has an INT8 form";
      SmallVector<float> slopes(s.begin(), s.end());
      return emit<PReluOp>(xShape, *x, builder.getDenseF32ArrayAttr(slopes));
    }
    if (s.empty())
      return nodeError() << "a PRelu slope must not be empty";
    alpha = s.front();
  }
  return emit<LeakyReluOp>(shapeOf(*x), *x, builder.getF32FloatAttr(float(alpha)));
}

LogicalResult Importer::importClip() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  float bounds[2] = {-std::numeric_limits<float>::infinity(),
                     std::numeric_limits<float>::infinity()};
  for (int i = 0; i < 2; ++i) {
    if (input(1 + i).empty())
      continue;
    FailureOr<HostTensor *> t =
        getKnown(input(1 + i), i == 0 ? "min" : "max");
    if (failed(t))
      return failure();
    if ((*t)->numel() != 1)
      return nodeError() << (i == 0 ? "min" : "max") << " must be a scalar";
    bounds[i] = float((*t)->data[0]);
  }
  return emit<ClipOp>(shapeOf(*x), *x, builder.getF32FloatAttr(bounds[0]),
                      builder.getF32FloatAttr(bounds[1]));
}

//===----------------------------------------------------------------------===//
// Pooling and reduction family
//===----------------------------------------------------------------------===//

LogicalResult Importer::importPool() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  // 1-D pooling ([N, C, L]) is 2-D pooling of [N, C, 1, L], reshaped in and
  // out (a reshape next to a Conv1d's folds away).
  bool oneD = xShape.size() == 3;
  if (!oneD && xShape.size() != 4)
    return nodeError() << "only 1-D and 2-D pooling (NCL or NCHW input) are "
                          "supported, got "
                       << shapeStr(xShape);
  Value x4 = *x;
  SmallVector<int64_t> shape4(xShape);
  if (oneD) {
    shape4 = {xShape[0], xShape[1], 1, xShape[2]};
    x4 = builder.create<ReshapeOp>(nodeLoc, f32(shape4), *x).getResult();
  }
  auto finishPool = [&](Operation *pool) -> LogicalResult {
    if (!oneD)
      return finish(pool);
    if (failed(mlir::verify(pool)))
      return failure();
    ArrayRef<int64_t> out = shapeOf(pool->getResult(0));
    return emit<ReshapeOp>({out[0], out[1], out[3]}, pool->getResult(0));
  };
  if (node->op_type() == "GlobalAveragePool")
    return finishPool(builder.create<GlobalAvgPool2DOp>(
        nodeLoc, f32({shape4[0], shape4[1], 1, 1}), x4));
  if (node->output_size() > 1 && !node->output(1).empty())
    return nodeError() << "the Indices output is not supported";
  if (failed(requireNoAutoPad()) || failed(requireAttrValue("ceil_mode", 0)) ||
      failed(requireAttrValue("dilations", 1)) ||
      failed(requireAttrValue("storage_order", 0)))
    return failure();
  std::optional<SmallVector<int64_t>> kernel = attrInts("kernel_shape");
  size_t dims = oneD ? 1 : 2;
  if (!kernel || kernel->size() != dims)
    return nodeError() << "kernel_shape must have " << dims << " entries for a "
                       << dims << "-D pooling";
  SmallVector<int64_t> strides = attrInts("strides").value_or(
      SmallVector<int64_t>(dims, 1));
  SmallVector<int64_t> pads = attrInts("pads").value_or(
      SmallVector<int64_t>(2 * dims, 0));
  if (strides.size() != dims || pads.size() != 2 * dims)
    return nodeError() << "a " << dims << "-D pooling needs " << dims
                       << " strides and " << 2 * dims << " pads";
  if (oneD) {
    kernel = SmallVector<int64_t>{1, (*kernel)[0]};
    strides = {1, strides[0]};
    pads = {0, pads[0], 0, pads[1]};
  }
  SmallVector<int64_t> shape;
  if (failed(inferPool2DShape(shape4, *kernel, strides, pads, shape,
                              [&] { return nodeError(); })))
    return failure();
  auto k = builder.getDenseI64ArrayAttr(*kernel);
  auto st = builder.getDenseI64ArrayAttr(strides);
  auto p = builder.getDenseI64ArrayAttr(pads);
  if (node->op_type() == "MaxPool")
    return finishPool(builder.create<MaxPool2DOp>(nodeLoc, f32(shape), x4, k, st, p));
  return finishPool(builder.create<AvgPool2DOp>(
      nodeLoc, f32(shape), x4, k, st, p,
      builder.getBoolAttr(attrInt("count_include_pad", 0) != 0)));
}

LogicalResult Importer::importReduceMean() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  int64_t rank = xShape.size();
  SmallVector<int64_t> axes;
  if (std::optional<SmallVector<int64_t>> given = attrInts("axes")) {
    for (int64_t a : *given) {
      FailureOr<int64_t> n = normalizeAxis(a, rank);
      if (failed(n))
        return failure();
      axes.push_back(*n);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  bool keepdims = attrInt("keepdims", 1) != 0;
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!llvm::is_contained(axes, i))
      shape.push_back(xShape[i]);
    else if (keepdims)
      shape.push_back(1);
  }
  return emit<MeanOp>(shape, *x, builder.getDenseI64ArrayAttr(axes),
                      builder.getBoolAttr(keepdims));
}

//===----------------------------------------------------------------------===//
// Data movement family
//===----------------------------------------------------------------------===//

/// The axes of Squeeze/Unsqueeze: an attribute before opset 13, an input
/// from 13 on.
static FailureOr<std::optional<std::vector<int64_t>>>
squeezeAxes(int64_t opset,
            std::optional<SmallVector<int64_t>> attrAxes, StringRef axesInput,
            function_ref<FailureOr<std::vector<int64_t>>(StringRef)> known) {
  if (opset < 13 || attrAxes) {
    if (!attrAxes)
      return std::optional<std::vector<int64_t>>();
    return std::optional<std::vector<int64_t>>(
        std::vector<int64_t>(attrAxes->begin(), attrAxes->end()));
  }
  if (axesInput.empty())
    return std::optional<std::vector<int64_t>>();
  FailureOr<std::vector<int64_t>> axes = known(axesInput);
  if (failed(axes))
    return failure();
  return std::optional<std::vector<int64_t>>(*axes);
}

FailureOr<SmallVector<int64_t>>
Importer::reshapeLikeShape(ArrayRef<int64_t> in) {
  StringRef op = node->op_type();
  int64_t count = std::accumulate(in.begin(), in.end(), int64_t(1),
                                  std::multiplies<int64_t>());
  SmallVector<int64_t> out;
  if (op == "Flatten") {
    int64_t axis = attrInt("axis", 1);
    if (axis < 0)
      axis += in.size();
    if (axis < 0 || axis > int64_t(in.size()))
      return nodeError() << "axis " << attrInt("axis", 1)
                         << " is out of range for rank " << in.size();
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i)
      outer *= in[i];
    return SmallVector<int64_t>{outer, count / std::max<int64_t>(outer, 1)};
  }
  if (op == "Reshape") {
    FailureOr<std::vector<int64_t>> target = getKnownInts(input(1), "shape");
    if (failed(target))
      return failure();
    bool allowZero = attrInt("allowzero", 0) != 0;
    int64_t inferred = -1, product = 1;
    for (auto [i, d] : llvm::enumerate(*target)) {
      if (d == 0 && !allowZero) {
        if (i >= in.size())
          return nodeError() << "shape entry 0 at " << i
                             << " copies a dim the input does not have";
        d = in[i];
      }
      if (d == -1) {
        if (inferred >= 0)
          return nodeError() << "shape " << shapeStr(*target)
                             << " has more than one -1";
        inferred = i;
        out.push_back(1);
        continue;
      }
      if (d <= 0 || product > count / d)
        return nodeError() << "cannot reshape " << shapeStr(in) << " to "
                           << shapeStr(*target);
      out.push_back(d);
      product *= d;
    }
    if (inferred >= 0) {
      if (product == 0 || count % product != 0)
        return nodeError() << "cannot reshape " << shapeStr(in) << " to "
                           << shapeStr(*target);
      out[inferred] = count / product;
      product *= out[inferred];
    }
    if (product != count)
      return nodeError() << "cannot reshape " << shapeStr(in) << " ("
                         << count << " elements) to " << shapeStr(out);
    return out;
  }
  // Squeeze / Unsqueeze.
  FailureOr<std::optional<std::vector<int64_t>>> axes =
      squeezeAxes(opset, attrInts("axes"), input(1),
                  [&](StringRef name) { return getKnownInts(name, "axes"); });
  if (failed(axes))
    return failure();
  if (op == "Squeeze") {
    SmallVector<bool> drop(in.size(), false);
    if (!*axes) {
      for (size_t i = 0; i < in.size(); ++i)
        drop[i] = in[i] == 1;
    } else {
      for (int64_t a : **axes) {
        FailureOr<int64_t> n = normalizeAxis(a, in.size());
        if (failed(n))
          return failure();
        if (in[*n] != 1)
          return nodeError() << "cannot squeeze dim " << *n << " of size "
                             << in[*n];
        drop[*n] = true;
      }
    }
    for (size_t i = 0; i < in.size(); ++i)
      if (!drop[i])
        out.push_back(in[i]);
    return out;
  }
  if (!*axes)
    return nodeError() << "Unsqueeze needs axes";
  int64_t rank = in.size() + (*axes)->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : **axes) {
    FailureOr<int64_t> n = normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    inserted[*n] = true;
  }
  for (int64_t i = 0, j = 0; i < rank; ++i)
    out.push_back(inserted[i] ? 1 : in[j++]);
  return out;
}

LogicalResult Importer::importReshapeLike() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = reshapeLikeShape(shapeOf(*x));
  if (failed(shape))
    return failure();
  return emit<ReshapeOp>(*shape, *x);
}

LogicalResult Importer::importTranspose() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> p = attrInts("perm"))
    perm = *p;
  else
    for (int64_t i = xShape.size() - 1; i >= 0; --i)
      perm.push_back(i);
  if (perm.size() != xShape.size() ||
      llvm::any_of(perm, [&](int64_t p) {
        return p < 0 || p >= int64_t(xShape.size());
      }))
    return nodeError() << "perm " << shapeStr(perm)
                       << " is not a permutation for rank " << xShape.size();
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(xShape[p]);
  return emit<TransposeOp>(shape, *x, builder.getDenseI64ArrayAttr(perm));
}

/// Resize (opset 11+: X, roi, scales, sizes) and Upsample (X, scales) in
/// nearest mode by integer factors on H and W: every coordinate mapping
/// torch exports then reads input pixel (y / sh, x / sw). Resize in linear
/// mode with half-pixel centres (torch's bilinear, align_corners=False):
/// resize_bilinear.
LogicalResult Importer::importResize() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  std::string mode = attrString("mode", "nearest");
  if (mode != "nearest" && mode != "linear")
    return nodeError() << "mode '" << mode
                       << "': only nearest and (bi)linear upsampling have a kernel "
                          "(write nn.Upsample(scale_factor=2, mode='nearest') or "
                          "mode='bilinear')";
  bool upsample = node->op_type() == "Upsample";
  std::string coords = attrString("coordinate_transformation_mode", "half_pixel");
  bool linear = mode == "linear";
  if (linear && (upsample || (coords != "half_pixel" && coords != "pytorch_half_pixel")))
    return nodeError() << "bilinear upsampling with coordinate_transformation_mode '"
                       << (upsample ? std::string("asymmetric") : coords)
                       << "' is not supported (half-pixel centres only: "
                          "align_corners=False, torch's default)";
  std::string rounding = attrString("nearest_mode", "round_prefer_floor");
  // With integer factors these mappings all read pixel floor(y / s).
  bool floorMapping =
      linear || upsample || (coords == "asymmetric" && rounding == "floor") ||
      ((coords == "half_pixel" || coords == "pytorch_half_pixel") &&
       (rounding == "round_prefer_floor" || rounding == "floor"));
  if (!floorMapping)
    return nodeError() << "coordinate_transformation_mode '" << coords
                       << "' with nearest_mode '" << rounding
                       << "' is not supported (torch's nearest export: "
                          "asymmetric / floor)";
  if (xShape.size() != 4)
    return nodeError() << "only 4-D maps are resized (input "
                       << shapeStr(xShape) << ")";
  SmallVector<int64_t> factors;
  StringRef scalesName = upsample ? input(1) : input(2);
  if (!upsample && !input(3).empty()) {
    FailureOr<std::vector<int64_t>> sizes = getKnownInts(input(3), "sizes");
    if (failed(sizes))
      return failure();
    if (sizes->size() != 4)
      return nodeError() << "sizes needs 4 entries, got " << sizes->size();
    for (int d = 0; d < 4; ++d) {
      if ((*sizes)[d] % xShape[d] != 0)
        return nodeError() << "sizes " << shapeStr(*sizes)
                           << " are not whole multiples of the input "
                           << shapeStr(xShape);
      factors.push_back((*sizes)[d] / xShape[d]);
    }
  } else {
    FailureOr<HostTensor *> scales = getKnown(scalesName, "scales");
    if (failed(scales))
      return failure();
    if ((*scales)->data.size() != 4)
      return nodeError() << "scales needs 4 entries, got "
                         << (*scales)->data.size();
    for (double s : (*scales)->data) {
      if (s < 1 || s > 4096 || s != std::floor(s))
        return nodeError() << "scale " << llvm::formatv("{0}", s).str()
                           << ": only whole upsampling factors (up to 4096) are supported";
      factors.push_back(int64_t(s));
    }
  }
  if (factors[0] != 1 || factors[1] != 1)
    return nodeError() << "only H and W are resized (scales " << shapeStr(factors)
                       << ")";
  SmallVector<int64_t> outShape = {xShape[0], xShape[1], xShape[2] * factors[2],
                                   xShape[3] * factors[3]};
  if (linear) {
    if (factors[2] > 16 || factors[3] > 16)
      return nodeError() << "bilinear factors " << shapeStr(factors)
                         << " are over 16";
    return emit<ResizeBilinearOp>(outShape, *x,
                                  builder.getDenseI64ArrayAttr({factors[2], factors[3]}));
  }
  return emit<ResizeNearestOp>(outShape, *x,
                               builder.getDenseI64ArrayAttr({factors[2], factors[3]}));
}

LogicalResult Importer::importPad() {
  std::string mode = attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return nodeError() << "mode '" << mode
                       << "' is not supported (constant, reflect or edge)";
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  int64_t rank = xShape.size();
  FailureOr<std::vector<int64_t>> pads = getKnownInts(input(1), "pads");
  if (failed(pads))
    return failure();
  if (int64_t(pads->size()) != 2 * rank)
    return nodeError() << "pads needs " << 2 * rank << " entries, got "
                       << pads->size();
  if (!input(3).empty())
    return nodeError() << "the axes input is not supported";
  float value = 0.0f;
  if (!input(2).empty()) {
    FailureOr<HostTensor *> v = getKnown(input(2), "constant_value");
    if (failed(v))
      return failure();
    value = (*v)->data.empty() ? 0.0f : float((*v)->data[0]);
  }
  SmallVector<int64_t> low(pads->begin(), pads->begin() + rank),
      high(pads->begin() + rank, pads->end()), shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (low[i] < 0 || high[i] < 0)
      return nodeError() << "negative pads (cropping) are not supported";
    if (low[i] > xShape[i] + 4096 || high[i] > xShape[i] + 4096)
      return nodeError() << "pads " << shapeStr(*pads)
                         << " are larger than a model can use";
    if (mode == "reflect" && (low[i] >= xShape[i] || high[i] >= xShape[i]))
      return nodeError() << "a reflect pad of " << std::max(low[i], high[i])
                         << " on dim " << i << " needs a dim larger than that (it is "
                         << xShape[i] << ")";
    shape.push_back(low[i] + xShape[i] + high[i]);
  }
  return emit<PadOp>(shape, *x, builder.getDenseI64ArrayAttr(low),
                     builder.getDenseI64ArrayAttr(high),
                     builder.getF32FloatAttr(value), builder.getStringAttr(mode));
}

LogicalResult Importer::importConcat() {
  SmallVector<Value> inputs;
  for (int i = 0; i < node->input_size(); ++i) {
    FailureOr<Value> v = getValue(input(i));
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  if (inputs.empty())
    return nodeError() << "has no inputs";
  SmallVector<int64_t> shape(shapeOf(inputs[0]));
  FailureOr<int64_t> axis = normalizeAxis(attrInt("axis", 0), shape.size());
  if (failed(axis))
    return failure();
  shape[*axis] = 0;
  for (Value v : inputs) {
    if (shapeOf(v).size() != shape.size())
      return nodeError() << "inputs differ in rank";
    shape[*axis] += shapeOf(v)[*axis];
  }
  return emit<ConcatOp>(shape, inputs, builder.getI64IntegerAttr(*axis));
}

LogicalResult Importer::importSlice() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  int64_t rank = xShape.size();
  FailureOr<std::vector<int64_t>> starts = getKnownInts(input(1), "starts"),
                                  ends = getKnownInts(input(2), "ends");
  if (failed(starts) || failed(ends))
    return failure();
  std::vector<int64_t> axes, steps(starts->size(), 1);
  if (!input(3).empty()) {
    FailureOr<std::vector<int64_t>> a = getKnownInts(input(3), "axes");
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    for (size_t i = 0; i < starts->size(); ++i)
      axes.push_back(i);
  }
  if (!input(4).empty()) {
    FailureOr<std::vector<int64_t>> s = getKnownInts(input(4), "steps");
    if (failed(s))
      return failure();
    steps = *s;
  }
  if (axes.size() != starts->size() || ends->size() != starts->size() ||
      steps.size() != starts->size())
    return nodeError() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> offsets(rank, 0), sizes(xShape), strides(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    FailureOr<int64_t> axis = normalizeAxis(axes[i], rank);
    if (failed(axis))
      return failure();
    int64_t dim = xShape[*axis], step = steps[i];
    if (step <= 0)
      return nodeError() << "step " << step << " is not supported (only "
                         << "positive steps)";
    auto clampIndex = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t s = clampIndex((*starts)[i]), e = clampIndex((*ends)[i]);
    int64_t size = e > s ? (e - s + step - 1) / step : 0;
    if (size == 0)
      return nodeError() << "the slice of dim " << *axis << " is empty";
    offsets[*axis] = s;
    sizes[*axis] = size;
    strides[*axis] = step;
  }
  return emit<SliceOp>(sizes, *x, builder.getDenseI64ArrayAttr(offsets),
                       builder.getDenseI64ArrayAttr(sizes),
                       builder.getDenseI64ArrayAttr(strides));
}

LogicalResult Importer::importSplit() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  FailureOr<int64_t> axis = normalizeAxis(attrInt("axis", 0), xShape.size());
  if (failed(axis))
    return failure();
  std::vector<int64_t> sizes;
  if (std::optional<SmallVector<int64_t>> s = attrInts("split")) {
    sizes.assign(s->begin(), s->end());
  } else if (!input(1).empty()) {
    FailureOr<std::vector<int64_t>> s = getKnownInts(input(1), "split");
    if (failed(s))
      return failure();
    sizes = *s;
  } else {
    int64_t parts = node->output_size();
    if (xShape[*axis] % parts != 0)
      return nodeError() << "dim " << *axis << " (" << xShape[*axis]
                         << ") does not split into " << parts << " equal parts";
    sizes.assign(parts, xShape[*axis] / parts);
  }
  if (int64_t(sizes.size()) != node->output_size() ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) !=
          xShape[*axis])
    return nodeError() << "split sizes " << shapeStr(sizes) << " do not cover "
                       << "dim " << *axis << " (" << xShape[*axis] << ") in "
                       << node->output_size() << " outputs";
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    SmallVector<int64_t> offsets(xShape.size(), 0), shape(xShape),
        strides(xShape.size(), 1);
    offsets[*axis] = offset;
    shape[*axis] = size;
    offset += size;
    auto slice = builder.create<SliceOp>(
        nodeLoc, f32(shape), *x, builder.getDenseI64ArrayAttr(offsets),
        builder.getDenseI64ArrayAttr(shape),
        builder.getDenseI64ArrayAttr(strides));
    if (failed(mlir::verify(slice)))
      return failure();
    setValue(node->output(i), slice.getResult());
  }
  return success();
}

LogicalResult Importer::importGather() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  FailureOr<int64_t> axis = normalizeAxis(attrInt("axis", 0), xShape.size());
  if (failed(axis))
    return failure();
  FailureOr<HostTensor *> indices = getKnown(input(1), "indices");
  if (failed(indices))
    return failure();
  // Gathers of evenly spaced indices are strided slices (x[:, 0] takes the
  // class token); other gathers are not supported.
  std::vector<int64_t> idx;
  for (double d : (*indices)->data)
    idx.push_back(int64_t(d) < 0 ? int64_t(d) + xShape[*axis] : int64_t(d));
  int64_t step = idx.size() > 1 ? idx[1] - idx[0] : 1;
  for (size_t i = 0; i < idx.size(); ++i)
    if (idx[i] < 0 || idx[i] >= xShape[*axis] ||
        (i > 0 && idx[i] - idx[i - 1] != step) || step <= 0)
      return nodeError() << "only gathers of evenly spaced, increasing, "
                            "in-range indices are supported";
  if ((*indices)->shape.size() > 1 || idx.empty())
    return nodeError() << "indices must be a scalar or a 1-D tensor";
  SmallVector<int64_t> offsets(xShape.size(), 0), sizes(xShape),
      strides(xShape.size(), 1);
  offsets[*axis] = idx[0];
  sizes[*axis] = idx.size();
  strides[*axis] = step;
  auto slice = builder.create<SliceOp>(nodeLoc, f32(sizes), *x,
                                       builder.getDenseI64ArrayAttr(offsets),
                                       builder.getDenseI64ArrayAttr(sizes),
                                       builder.getDenseI64ArrayAttr(strides));
  if ((*indices)->shape.size() == 1)
    return finish(slice);
  // A scalar index drops the axis.
  if (failed(mlir::verify(slice)))
    return failure();
  SmallVector<int64_t> shape(xShape);
  shape.erase(shape.begin() + *axis);
  return emit<ReshapeOp>(shape, slice.getResult());
}

//===----------------------------------------------------------------------===//
// Normalization family
//===----------------------------------------------------------------------===//

LogicalResult Importer::importSoftmax() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  FailureOr<int64_t> axis =
      normalizeAxis(attrInt("axis", opset >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  // Before opset 13 Softmax flattens to 2-D at `axis`; that equals a softmax
  // along one axis only when the axis is the last one.
  if (opset < 13 && *axis != rank - 1)
    return nodeError() << "Softmax before opset 13 with axis " << *axis
                       << " of rank " << rank
                       << " is not supported (only the last axis)";
  return emit<SoftmaxOp>(shapeOf(*x), *x, builder.getI64IntegerAttr(*axis));
}

LogicalResult Importer::importLayerNorm() {
  for (int i = 1; i < node->output_size(); ++i)
    if (!node->output(i).empty())
      return nodeError() << "the Mean and InvStdDev outputs are not supported";
  FailureOr<Value> x = getValue(input(0)), scale = getValue(input(1));
  if (failed(x) || failed(scale))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  FailureOr<int64_t> axis = normalizeAxis(attrInt("axis", -1), xShape.size());
  if (failed(axis))
    return failure();
  Value bias;
  if (!input(2).empty()) {
    FailureOr<Value> b = getValue(input(2));
    if (failed(b))
      return failure();
    bias = *b;
  } else {
    ArrayRef<int64_t> normalized = xShape.drop_front(*axis);
    std::vector<float> zeros(
        std::accumulate(normalized.begin(), normalized.end(), int64_t(1),
                        std::multiplies<int64_t>()),
        0.0f);
    bias = createFloatConstant(builder, nodeLoc, f32(normalized), zeros,
                               nodeName + ".bias");
  }
  return emit<LayerNormOp>(xShape, *x, *scale, bias,
                           builder.getI64IntegerAttr(*axis),
                           builder.getF32FloatAttr(attrFloat("epsilon", 1e-5f)));
}

//===----------------------------------------------------------------------===//
// Quantization family
//===----------------------------------------------------------------------===//

LogicalResult Importer::importQuantize() {
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  FailureOr<QuantParams> params = readQuantParams(shape);
  if (failed(params))
    return failure();
  auto type = RankedTensorType::get(shape, buildQuantType(*params));
  auto q = builder.create<QuantizeOp>(nodeLoc, type, *x);
  return finish(q);
}

LogicalResult Importer::importDequantize() {
  // A quantized weight: int8 initializer, or a float one whose
  // QuantizeLinear was evaluated at import.
  if (isKnown(input(0))) {
    HostTensor &t = known[input(0)];
    if (t.dtype != onnx::TensorProto::INT8 &&
        t.dtype != onnx::TensorProto::UINT8)
      return nodeError() << "input '" << input(0)
                         << "' must be int8 or uint8";
    FailureOr<QuantParams> params = readQuantParams(t.shape);
    if (failed(params))
      return failure();
    HostTensor q = t;
    q.quant = *params;
    Value cst = materialize(q, input(0));
    return emit<DequantizeOp>(q.shape, cst);
  }
  FailureOr<Value> x = getValue(input(0));
  if (failed(x))
    return failure();
  auto type = dyn_cast<RankedTensorType>(x->getType());
  if (!type || !isa<quant::QuantizedType>(type.getElementType()))
    return nodeError() << "input '" << input(0)
                       << "' is not quantized (no QuantizeLinear before it)";
  FailureOr<QuantParams> params = readQuantParams(type.getShape());
  if (failed(params))
    return failure();
  if (buildQuantType(*params) != type.getElementType())
    return nodeError() << "its scale/zero point differ from those of the "
                          "QuantizeLinear that produced '"
                       << input(0) << "'";
  return emit<DequantizeOp>(type.getShape(), *x);
}
