//===- SparseTinyOps.cpp - verifiers, folders, shape rules ----------------===//
//
// Rule numbers (C1, C2, ...) match the op descriptions in SparseTinyOps.td
// and the cases in test/Dialect/SparseTiny/invalid.mlir.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

#define GET_OP_CLASSES
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyOps.cpp.inc"

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "," : "") + std::to_string(d);
  return s + "]";
}

/// Checks that the op's result has `expected` as its shape.
static LogicalResult verifyResultShape(Operation *op, StringRef rule,
                                       ArrayRef<int64_t> expected) {
  ArrayRef<int64_t> actual = shapeOf(op->getResult(0));
  if (actual != expected)
    return op->emitOpError() << rule << ": result shape " << shapeStr(actual)
                             << " should be " << shapeStr(expected);
  return success();
}

/// A fused activation's bounds, when both are given, must be ordered.
static LogicalResult verifyClamp(Operation *op, StringRef rule,
                                 std::optional<APFloat> lo,
                                 std::optional<APFloat> hi) {
  if (lo && hi && lo->convertToDouble() > hi->convertToDouble())
    return op->emitOpError()
           << rule << ": clamp_min (" << lo->convertToDouble()
           << ") must not exceed clamp_max (" << hi->convertToDouble() << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Shape rules
//===----------------------------------------------------------------------===//

LogicalResult sparse_tiny::inferConv2DShape(
    ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
    ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
    ArrayRef<int64_t> dilations, int64_t groups,
    SmallVectorImpl<int64_t> &result, EmitErrorFn emitError) {
  if (input.size() != 4 || weight.size() != 4)
    return emitError() << "C1: input and weight must have rank 4 (NCHW, "
                          "OIHW), got "
                       << shapeStr(input) << " and " << shapeStr(weight);
  if (strides.size() != 2 || dilations.size() != 2 || padding.size() != 4 ||
      llvm::any_of(strides, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d <= 0; }) ||
      llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return emitError() << "C2: strides and dilations need 2 positive entries, "
                          "padding 4 non-negative ones";
  int64_t c = input[1], o = weight[0];
  if (groups < 1 || c % groups != 0 || o % groups != 0)
    return emitError() << "C3: groups (" << groups
                       << ") must divide input channels (" << c
                       << ") and output channels (" << o << ")";
  if (weight[1] != c / groups)
    return emitError() << "C3: weight dim 1 (" << weight[1]
                       << ") must be input channels / groups (" << c / groups
                       << ")";
  int64_t spans[2];
  for (int i = 0; i < 2; ++i) {
    int64_t extent = input[2 + i] + padding[i] + padding[i + 2] -
                     dilations[i] * (weight[2 + i] - 1) - 1;
    spans[i] = extent < 0 ? 0 : extent / strides[i] + 1;
  }
  if (spans[0] < 1 || spans[1] < 1)
    return emitError() << "C5: the kernel " << shapeStr(weight.drop_front(2))
                       << " does not fit the padded input "
                       << shapeStr(input.drop_front(2));
  result.assign({input[0], o, spans[0], spans[1]});
  return success();
}

LogicalResult sparse_tiny::inferPool2DShape(ArrayRef<int64_t> input,
                                            ArrayRef<int64_t> kernel,
                                            ArrayRef<int64_t> strides,
                                            ArrayRef<int64_t> padding,
                                            SmallVectorImpl<int64_t> &result,
                                            EmitErrorFn emitError) {
  if (input.size() != 4)
    return emitError() << "C1: input must have rank 4 (NCHW), got "
                       << shapeStr(input);
  if (kernel.size() != 2 || strides.size() != 2 || padding.size() != 4 ||
      llvm::any_of(kernel, [](int64_t k) { return k <= 0; }) ||
      llvm::any_of(strides, [](int64_t s) { return s <= 0; }))
    return emitError() << "C2: kernel and strides need 2 positive entries, "
                          "padding 4";
  for (int i = 0; i < 4; ++i)
    if (padding[i] < 0 || padding[i] >= kernel[i % 2])
      return emitError() << "C2: padding " << shapeStr(padding)
                         << " must be in [0, kernel) for kernel "
                         << shapeStr(kernel);
  int64_t spans[2];
  for (int i = 0; i < 2; ++i) {
    int64_t extent = input[2 + i] + padding[i] + padding[i + 2] - kernel[i];
    spans[i] = extent < 0 ? 0 : extent / strides[i] + 1;
  }
  if (spans[0] < 1 || spans[1] < 1)
    return emitError() << "C3: the window " << shapeStr(kernel)
                       << " does not fit the input "
                       << shapeStr(input.drop_front(2));
  result.assign({input[0], input[1], spans[0], spans[1]});
  return success();
}

/// NumPy broadcasting of two shapes; false if they do not broadcast.
static bool broadcastDims(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                          SmallVectorImpl<int64_t> &result) {
  size_t rank = std::max(lhs.size(), rhs.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l != r && l != 1 && r != 1)
      return false;
    result[i] = l == 1 ? r : l;
  }
  return true;
}

LogicalResult sparse_tiny::inferBroadcastShape(ArrayRef<int64_t> lhs,
                                               ArrayRef<int64_t> rhs,
                                               SmallVectorImpl<int64_t> &result,
                                               EmitErrorFn emitError) {
  if (!broadcastDims(lhs, rhs, result))
    return emitError() << "C1: shapes " << shapeStr(lhs) << " and "
                       << shapeStr(rhs) << " do not broadcast";
  return success();
}

LogicalResult sparse_tiny::inferMatMulShape(ArrayRef<int64_t> lhs,
                                            ArrayRef<int64_t> rhs,
                                            SmallVectorImpl<int64_t> &result,
                                            EmitErrorFn emitError) {
  if (lhs.size() < 2 || rhs.size() < 2)
    return emitError() << "C1: both operands need rank >= 2, got "
                       << shapeStr(lhs) << " and " << shapeStr(rhs);
  if (lhs.back() != rhs[rhs.size() - 2])
    return emitError() << "C2: contraction dims differ: " << shapeStr(lhs)
                       << " @ " << shapeStr(rhs);
  if (!broadcastDims(lhs.drop_back(2), rhs.drop_back(2), result))
    return emitError() << "C3: batch dims of " << shapeStr(lhs) << " and "
                       << shapeStr(rhs) << " do not broadcast";
  result.push_back(lhs[lhs.size() - 2]);
  result.push_back(rhs.back());
  return success();
}

static LogicalResult verifyQuantType(Operation *op, ShapedType type);

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto valueType = cast<ShapedType>(getValue().getType());
  auto resultType = getOutput().getType();
  if (valueType.getShape() != resultType.getShape())
    return emitOpError() << "C1: value shape " << shapeStr(valueType.getShape())
                         << " differs from result shape "
                         << shapeStr(resultType.getShape());
  Type elem = resultType.getElementType();
  if (auto q = dyn_cast<quant::QuantizedType>(elem))
    elem = q.getStorageType();
  if (valueType.getElementType() != elem)
    return emitOpError() << "C2: value element type "
                         << valueType.getElementType()
                         << " must be the result's (storage) type " << elem;
  if (failed(verifyQuantType(*this, resultType)))
    return failure();
  if (WeightEncodingAttr enc = getEncodingAttr()) {
    if (enc.getPattern() != SparsityPattern::dense && resultType.getRank() < 2)
      return emitOpError() << "C3: a sparse encoding needs rank >= 2";
    // The kernels' view: rows are dim 0, columns all the other dims.
    ArrayRef<int64_t> block = enc.getBlockShape();
    int64_t rows = resultType.getDimSize(0);
    int64_t cols = rows ? resultType.getNumElements() / rows : 0;
    if (!block.empty() &&
        (enc.getPattern() == SparsityPattern::n_m
             ? block[1] > cols
             : (block[0] > rows || block[1] > cols)))
      return emitOpError() << "C3: shape " << shapeStr(block)
                           << " is larger than the weight's [" << rows << ", "
                           << cols << "] rows and columns";
    if (enc.getNnz() > resultType.getNumElements())
      return emitOpError() << "C3: nnz " << enc.getNnz() << " exceeds the "
                           << resultType.getNumElements() << " elements";
  }
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) {
  // Constant-like ops must always fold. A quantized constant's attribute has
  // the storage type; folders that read it check the element type, and
  // materializeConstant rebuilds the same op from it.
  return getValue();
}

std::optional<std::vector<float>> sparse_tiny::getConstantFloats(Value value) {
  auto cst = value.getDefiningOp<ConstantOp>();
  if (!cst)
    return std::nullopt;
  ElementsAttr attr = cst.getValue();
  auto type = cst.getOutput().getType();
  std::vector<float> out;
  out.reserve(type.getNumElements());
  if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = res.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    out.assign(data->begin(), data->end());
  } else if (auto res = dyn_cast<DenseI8ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<int8_t>> data = res.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    out.assign(data->begin(), data->end());
  } else if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (isa<FloatType>(dense.getElementType())) {
      for (APFloat v : dense.getValues<APFloat>())
        out.push_back(v.convertToFloat());
    } else {
      bool isUnsigned = false;
      if (auto q = dyn_cast<quant::QuantizedType>(type.getElementType()))
        isUnsigned = !q.isSigned();
      for (APInt v : dense.getValues<APInt>())
        out.push_back(isUnsigned ? float(v.getZExtValue())
                                 : float(v.getSExtValue()));
    }
  } else {
    return std::nullopt;
  }
  // Dequantize a quantized constant: (q - zp) * scale, per tensor or axis.
  Type elem = type.getElementType();
  if (auto q = dyn_cast<quant::UniformQuantizedType>(elem)) {
    for (float &v : out)
      v = float((v - q.getZeroPoint()) * q.getScale());
  } else if (auto q = dyn_cast<quant::UniformQuantizedPerAxisType>(elem)) {
    ArrayRef<int64_t> shape = type.getShape();
    int64_t axis = q.getQuantizedDimension();
    int64_t inner = 1;
    for (size_t i = axis + 1; i < shape.size(); ++i)
      inner *= shape[i];
    for (size_t i = 0; i < out.size(); ++i) {
      int64_t c = (i / inner) % shape[axis];
      out[i] = float((out[i] - q.getZeroPoints()[c]) * q.getScales()[c]);
    }
  }
  return out;
}

std::string sparse_tiny::blobKey(StringRef name) {
  // Resource keys print bare in the IR: keep identifier characters only.
  std::string key;
  for (char c : name)
    key += (llvm::isAlnum(c) || c == '_' || c == '.') ? c : '_';
  if (key.empty() || !(llvm::isAlpha(key[0]) || key[0] == '_'))
    key.insert(0, "w_");
  return key;
}

ConstantOp sparse_tiny::createFloatConstant(OpBuilder &builder, Location loc,
                                            RankedTensorType type,
                                            ArrayRef<float> values,
                                            StringRef blobName) {
  ElementsAttr attr;
  // Small constants stay readable in the IR; large ones become blobs so that
  // printing, parsing and copying a model stays cheap.
  constexpr size_t kInlineLimit = 64;
  if (values.size() == 1)
    attr = DenseElementsAttr::get(type, values[0]);
  else if (values.size() <= kInlineLimit)
    attr = DenseElementsAttr::get(type, values);
  else
    attr = cast<ElementsAttr>(Attribute(DenseF32ResourceElementsAttr::get(
        type, blobKey(blobName),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(values))));
  return builder.create<ConstantOp>(loc, type, attr, WeightEncodingAttr());
}

std::optional<std::vector<int64_t>> sparse_tiny::getConstantInts(Value value) {
  auto cst = value.getDefiningOp<ConstantOp>();
  if (!cst)
    return std::nullopt;
  ElementsAttr attr = cst.getValue();
  std::vector<int64_t> out;
  if (auto res = dyn_cast<DenseI8ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<int8_t>> data = res.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    out.assign(data->begin(), data->end());
  } else if (auto res = dyn_cast<DenseI32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<int32_t>> data = res.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    out.assign(data->begin(), data->end());
  } else if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    auto q = dyn_cast<quant::QuantizedType>(
        cst.getOutput().getType().getElementType());
    bool isUnsigned = q && !q.isSigned();
    for (APInt v : dense.getValues<APInt>())
      out.push_back(isUnsigned ? int64_t(v.getZExtValue()) : v.getSExtValue());
  } else {
    return std::nullopt;
  }
  return out;
}

ConstantOp sparse_tiny::createQuantizedConstant(OpBuilder &builder,
                                                Location loc,
                                                RankedTensorType type,
                                                ArrayRef<int64_t> values,
                                                StringRef blobName) {
  auto q = cast<quant::QuantizedType>(type.getElementType());
  unsigned width = q.getStorageTypeIntegralWidth();
  auto storageType = RankedTensorType::get(
      type.getShape(), builder.getIntegerType(width));
  ElementsAttr attr;
  constexpr size_t kInlineLimit = 64;
  if (values.size() <= kInlineLimit) {
    SmallVector<APInt> ints;
    for (int64_t v : values)
      ints.push_back(APInt(width, uint64_t(v), /*isSigned=*/true));
    attr = DenseElementsAttr::get(storageType, ints);
  } else if (width == 8) {
    std::vector<int8_t> data(values.begin(), values.end());
    attr = cast<ElementsAttr>(Attribute(DenseI8ResourceElementsAttr::get(
        storageType, blobKey(blobName),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef(data)))));
  } else {
    std::vector<int32_t> data(values.begin(), values.end());
    attr = cast<ElementsAttr>(Attribute(DenseI32ResourceElementsAttr::get(
        storageType, blobKey(blobName),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef(data)))));
  }
  return builder.create<ConstantOp>(loc, type, attr, WeightEncodingAttr());
}

//===----------------------------------------------------------------------===//
// Conv, matmul families
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::verify() {
  SmallVector<int64_t> expected;
  if (failed(inferConv2DShape(shapeOf(getInput()), shapeOf(getWeight()),
                              getStrides(), getPadding(), getDilations(),
                              getGroups(), expected,
                              [&] { return emitOpError(); })))
    return failure();
  if (getBias() && shapeOf(getBias()) != ArrayRef<int64_t>{expected[1]})
    return emitOpError() << "C4: bias shape " << shapeStr(shapeOf(getBias()))
                         << " should be [" << expected[1] << "]";
  if (failed(verifyClamp(*this, "C6", getClampMin(), getClampMax())))
    return failure();
  return verifyResultShape(*this, "C5", expected);
}

LogicalResult FullyConnectedOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), w = shapeOf(getWeight());
  if (in.empty() || w.size() != 2)
    return emitOpError() << "C1: input needs rank >= 1 and weight rank 2, got "
                         << shapeStr(in) << " and " << shapeStr(w);
  if (in.back() != w[1])
    return emitOpError() << "C2: input features (" << in.back()
                         << ") differ from weight dim 1 (" << w[1] << ")";
  if (getBias() && shapeOf(getBias()) != ArrayRef<int64_t>{w[0]})
    return emitOpError() << "C3: bias shape " << shapeStr(shapeOf(getBias()))
                         << " should be [" << w[0] << "]";
  SmallVector<int64_t> expected(in.drop_back());
  expected.push_back(w[0]);
  if (failed(verifyClamp(*this, "C5", getClampMin(), getClampMax())))
    return failure();
  return verifyResultShape(*this, "C4", expected);
}

LogicalResult MatMulOp::verify() {
  SmallVector<int64_t> expected;
  if (failed(inferMatMulShape(shapeOf(getLhs()), shapeOf(getRhs()), expected,
                              [&] { return emitOpError(); })))
    return failure();
  return verifyResultShape(*this, "C4", expected);
}

LogicalResult MultiHeadAttentionOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.size() < 2 || in.size() > 3)
    return emitOpError() << "C1: input must be [S, E] or [B, S, E], got "
                         << shapeStr(in);
  int64_t e = in.back(), heads = int64_t(getNumHeads());
  if (heads < 1 || e % heads != 0)
    return emitOpError() << "C1: num_heads (" << heads
                         << ") must be >= 1 and divide the embedding dim ("
                         << e << ")";
  if (bool(getKWeight()) == getFusedQk() || bool(getKBias()) == getFusedQk())
    return emitOpError() << "C3: k_weight and k_bias must be present exactly "
                            "when fused_qk is not set";
  int64_t qRows = getFusedQk() ? heads * e : e;
  auto checkPair = [&](Value w, Value b, int64_t rows,
                       StringRef name) -> LogicalResult {
    SmallVector<int64_t> want = {rows, e};
    if (shapeOf(w) != ArrayRef<int64_t>(want))
      return emitOpError() << "C2: " << name << "_weight must have shape "
                           << shapeStr(want) << ", got " << shapeStr(shapeOf(w));
    if (shapeOf(b) != ArrayRef<int64_t>{rows})
      return emitOpError() << "C2: " << name << "_bias must have shape ["
                           << rows << "], got " << shapeStr(shapeOf(b));
    return success();
  };
  if (failed(checkPair(getQWeight(), getQBias(), qRows, "q")) ||
      (getKWeight() && failed(checkPair(getKWeight(), getKBias(), e, "k"))) ||
      failed(checkPair(getVWeight(), getVBias(), e, "v")) ||
      failed(checkPair(getOWeight(), getOBias(), e, "o")))
    return failure();
  if (failed(verifyResultShape(*this, "C4", in)) ||
      failed(verifyClamp(*this, "C6", getClampMin(), getClampMax())))
    return failure();
  if (Value bias = getScoreBias()) {
    int64_t s = in[in.size() - 2];
    ArrayRef<int64_t> b = shapeOf(bias);
    if (b.size() != 3 || (b[0] != 1 && b[0] != heads) || b[1] != s ||
        b[2] != s || !isa<FloatType>(getElementTypeOrSelf(bias)))
      return emitOpError() << "C7: score_bias must be a float [1 or " << heads
                           << ", " << s << ", " << s << "], got "
                           << shapeStr(b) << " of "
                           << getElementTypeOrSelf(bias);
  }
  bool quantized = isa<quant::QuantizedType>(
      getElementTypeOrSelf(getOutput().getType()));
  int present = bool(getQueryType()) + bool(getKeyType()) +
                bool(getValueType()) + bool(getScoreType()) +
                bool(getContextType());
  if (quantized && present != 5)
    return emitOpError() << "C5: a quantized mhsa needs query_type, key_type, "
                            "value_type, score_type and context_type";
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise family
//===----------------------------------------------------------------------===//

static LogicalResult verifyBinary(Operation *op) {
  SmallVector<int64_t> expected;
  if (failed(inferBroadcastShape(shapeOf(op->getOperand(0)),
                                 shapeOf(op->getOperand(1)), expected,
                                 [&] { return op->emitOpError(); })))
    return failure();
  return verifyResultShape(op, "C2", expected);
}

LogicalResult AddOp::verify() {
  if (failed(verifyClamp(*this, "C3", getClampMin(), getClampMax())))
    return failure();
  return verifyBinary(*this);
}
LogicalResult SubOp::verify() { return verifyBinary(*this); }
LogicalResult MulOp::verify() { return verifyBinary(*this); }
LogicalResult DivOp::verify() { return verifyBinary(*this); }
LogicalResult PowOp::verify() { return verifyBinary(*this); }

LogicalResult ClipOp::verify() {
  if (getMin().convertToFloat() > getMax().convertToFloat())
    return emitOpError() << "C1: min (" << getMin().convertToFloat()
                         << ") is above max (" << getMax().convertToFloat()
                         << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling and reduction family
//===----------------------------------------------------------------------===//

static LogicalResult verifyPool(Operation *op, ArrayRef<int64_t> kernel,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> padding) {
  SmallVector<int64_t> expected;
  if (failed(inferPool2DShape(shapeOf(op->getOperand(0)), kernel, strides,
                              padding, expected,
                              [&] { return op->emitOpError(); })))
    return failure();
  return verifyResultShape(op, "C3", expected);
}

LogicalResult MaxPool2DOp::verify() {
  return verifyPool(*this, getKernel(), getStrides(), getPadding());
}

LogicalResult AvgPool2DOp::verify() {
  return verifyPool(*this, getKernel(), getStrides(), getPadding());
}

LogicalResult GlobalAvgPool2DOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.size() != 4)
    return emitOpError() << "C1: input must have rank 4 (NCHW), got "
                         << shapeStr(in);
  return verifyResultShape(*this, "C2", {in[0], in[1], 1, 1});
}

LogicalResult MeanOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> axes = getAxes();
  for (auto [i, a] : llvm::enumerate(axes))
    if (a < 0 || a >= int64_t(in.size()) || (i > 0 && axes[i - 1] >= a))
      return emitOpError() << "C1: axes " << shapeStr(axes)
                           << " must be distinct, sorted and in [0, "
                           << in.size() << ")";
  SmallVector<int64_t> expected;
  for (auto [i, d] : llvm::enumerate(in)) {
    if (!llvm::is_contained(axes, int64_t(i)))
      expected.push_back(d);
    else if (getKeepdims())
      expected.push_back(1);
  }
  return verifyResultShape(*this, "C2", expected);
}

//===----------------------------------------------------------------------===//
// Data movement family
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "C1: " << in.getNumElements()
                         << " elements cannot become " << out.getNumElements();
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  // reshape(reshape(x)) -> reshape(x): only the last shape matters.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (dense.getElementType() == getOutput().getType().getElementType())
      return dense.reshape(getOutput().getType());
  return {};
}

LogicalResult PadOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> low = getLow(), high = getHigh();
  if (low.size() != in.size() || high.size() != in.size() ||
      llvm::any_of(low, [](int64_t v) { return v < 0; }) ||
      llvm::any_of(high, [](int64_t v) { return v < 0; }))
    return emitOpError() << "C1: low and high need " << in.size()
                         << " non-negative entries each";
  SmallVector<int64_t> expected;
  for (size_t i = 0; i < in.size(); ++i)
    expected.push_back(low[i] + in[i] + high[i]);
  if (failed(verifyResultShape(*this, "C2", expected)))
    return failure();
  StringRef mode = getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return emitOpError() << "C3: mode '" << mode
                         << "' is not constant, reflect or edge";
  for (size_t i = 0; i < in.size() && mode == "reflect"; ++i)
    if (low[i] >= in[i] || high[i] >= in[i])
      return emitOpError() << "C4: a reflect pad of dim " << i << " ("
                           << std::max(low[i], high[i])
                           << ") must be smaller than the dim (" << in[i] << ")";
  return success();
}

LogicalResult PReluOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.size() < 2)
    return emitOpError() << "C1: the input has rank " << in.size()
                         << ", not 2 or more";
  if (int64_t(getSlopes().size()) != in[1])
    return emitOpError() << "C2: " << getSlopes().size()
                         << " slopes for a dim 1 of " << in[1];
  return verifyResultShape(*this, "C3", in);
}

LogicalResult ResizeNearestOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> s = getScales();
  if (in.size() != 4)
    return emitOpError() << "C1: the input has rank " << in.size() << ", not 4";
  if (s.size() != 2 || s[0] < 1 || s[1] < 1)
    return emitOpError() << "C2: scales " << shapeStr(s)
                         << " need 2 entries >= 1";
  return verifyResultShape(*this, "C3",
                           {in[0], in[1], in[2] * s[0], in[3] * s[1]});
}

LogicalResult ResizeBilinearOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> s = getScales();
  if (in.size() != 4)
    return emitOpError() << "C1: the input has rank " << in.size() << ", not 4";
  if (s.size() != 2 || s[0] < 1 || s[1] < 1 || s[0] > 16 || s[1] > 16)
    return emitOpError() << "C2: scales " << shapeStr(s)
                         << " need 2 entries in [1, 16]";
  return verifyResultShape(*this, "C3",
                           {in[0], in[1], in[2] * s[0], in[3] * s[1]});
}

LogicalResult DepthToSpaceOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> b = getBlock();
  if (in.size() != 4)
    return emitOpError() << "C1: the input has rank " << in.size() << ", not 4";
  if (b.size() != 2 || b[0] < 1 || b[1] < 1 || in[1] % (b[0] * b[1]) != 0)
    return emitOpError() << "C2: block " << shapeStr(b)
                         << " needs 2 entries >= 1 whose product divides the "
                         << in[1] << " channels";
  if (getMode() != "DCR" && getMode() != "CRD")
    return emitOpError() << "C3: mode '" << getMode()
                         << "' is neither \"DCR\" nor \"CRD\"";
  return verifyResultShape(
      *this, "C4", {in[0], in[1] / (b[0] * b[1]), in[2] * b[0], in[3] * b[1]});
}

LogicalResult ShuffleOp::verify() {
  ArrayRef<int64_t> f = getFactors(), perm = getPerm();
  auto product = [](ArrayRef<int64_t> v) {
    int64_t n = 1;
    for (int64_t d : v)
      n *= d;
    return n;
  };
  int64_t count = product(shapeOf(getInput()));
  if (llvm::any_of(f, [](int64_t d) { return d < 1; }) || product(f) != count)
    return emitOpError() << "C1: factors " << shapeStr(f)
                         << " do not multiply to the input's " << count
                         << " elements";
  SmallVector<bool> seen(f.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(f.size()) || seen[p])
      return emitOpError() << "C2: perm " << shapeStr(perm)
                           << " is not a permutation of " << f.size()
                           << " factors";
    seen[p] = true;
  }
  if (perm.size() != f.size())
    return emitOpError() << "C2: perm " << shapeStr(perm)
                         << " is not a permutation of " << f.size()
                         << " factors";
  if (product(shapeOf(getOutput())) != count)
    return emitOpError() << "C3: the output has "
                         << product(shapeOf(getOutput())) << " elements, not "
                         << count;
  return success();
}

LogicalResult TransposeOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<bool> seen(in.size(), false);
  bool ok = perm.size() == in.size();
  for (int64_t p : perm) {
    if (!ok || p < 0 || p >= int64_t(in.size()) || seen[p]) {
      ok = false;
      break;
    }
    seen[p] = true;
  }
  if (!ok)
    return emitOpError() << "C1: perm " << shapeStr(perm)
                         << " is not a permutation of [0, " << in.size()
                         << ")";
  SmallVector<int64_t> expected;
  for (int64_t p : perm)
    expected.push_back(in[p]);
  return verifyResultShape(*this, "C2", expected);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPerm();
  bool identity = llvm::all_of(llvm::enumerate(perm), [](auto it) {
    return int64_t(it.index()) == it.value();
  });
  if (identity && getInput().getType() == getOutput().getType())
    return getInput();
  // transpose(transpose(x, p), q) -> transpose(x, p o q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t q : perm)
      composed.push_back(inner.getPerm()[q]);
    getInputMutable().assign(inner.getInput());
    setPerm(composed);
    return getResult();
  }
  return {};
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "C1: needs at least one input";
  ArrayRef<int64_t> first = shapeOf(getInputs().front());
  int64_t rank = first.size(), axis = getAxisAttr().getInt();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "C2: axis " << axis << " is not in [0, " << rank
                         << ")";
  SmallVector<int64_t> expected(first);
  expected[axis] = 0;
  for (Value in : getInputs()) {
    ArrayRef<int64_t> s = shapeOf(in);
    if (int64_t(s.size()) != rank)
      return emitOpError() << "C1: inputs differ in rank";
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis && s[i] != first[i])
        return emitOpError() << "C3: input shapes " << shapeStr(first)
                             << " and " << shapeStr(s) << " differ off axis "
                             << axis;
    expected[axis] += s[axis];
  }
  return verifyResultShape(*this, "C4", expected);
}

LogicalResult SliceOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> offsets = getOffsets(), sizes = getSizes(),
                    strides = getStrides();
  if (offsets.size() != in.size() || sizes.size() != in.size() ||
      strides.size() != in.size())
    return emitOpError() << "C1: offsets, sizes and strides need "
                         << in.size() << " entries each";
  for (size_t i = 0; i < in.size(); ++i) {
    if (offsets[i] < 0 || sizes[i] < 1 || strides[i] < 1)
      return emitOpError() << "C2: dim " << i
                           << ": offset >= 0, size >= 1, stride >= 1 needed";
    if (offsets[i] + (sizes[i] - 1) * strides[i] >= in[i])
      return emitOpError() << "C3: dim " << i << " reads index "
                           << offsets[i] + (sizes[i] - 1) * strides[i]
                           << " of " << in[i];
  }
  return verifyResultShape(*this, "C4", sizes);
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Normalization family
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = getAxisAttr().getInt();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "C1: axis " << axis << " is not in [0, "
                         << rank << ")";
  return success();
}

LogicalResult LayerNormOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  int64_t axis = getAxisAttr().getInt();
  if (axis < 0 || axis >= int64_t(in.size()))
    return emitOpError() << "C1: axis " << axis << " is not in [0, "
                         << in.size() << ")";
  ArrayRef<int64_t> normalized = in.drop_front(axis);
  if (shapeOf(getScale()) != normalized || shapeOf(getBias()) != normalized)
    return emitOpError() << "C2: scale and bias must have shape "
                         << shapeStr(normalized);
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError() << "C3: epsilon must be positive";
  return verifyResultShape(*this, "C4", in);
}

//===----------------------------------------------------------------------===//
// Quantization family
//===----------------------------------------------------------------------===//

static LogicalResult verifyQuantType(Operation *op, ShapedType type) {
  auto perAxis =
      dyn_cast<quant::UniformQuantizedPerAxisType>(type.getElementType());
  if (!perAxis)
    return success();
  int64_t dim = perAxis.getQuantizedDimension();
  if (dim < 0 || dim >= type.getRank() ||
      int64_t(perAxis.getScales().size()) != type.getDimSize(dim))
    return op->emitOpError()
           << "C1: per-axis quantization on dim " << dim << " needs one scale "
           << "per element of that dim";
  return success();
}

LogicalResult QuantizeOp::verify() {
  return verifyQuantType(*this, getOutput().getType());
}

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  // quantize(dequantize(q)) with the same type is q: QDQ pairs that a
  // rewrite left back to back.
  if (auto dq = getInput().getDefiningOp<DequantizeOp>())
    if (dq.getInput().getType() == getOutput().getType())
      return dq.getInput();
  return {};
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantType(*this, getInput().getType());
}
