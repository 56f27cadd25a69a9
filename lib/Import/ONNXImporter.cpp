//===- ONNXImporter.cpp - ONNX models to sparse_tiny ----------------------===//
//
// Walks the ONNX graph in its (topological) node order. Every tensor name maps
// either to an SSA value (an activation) or to a HostTensor: a constant the
// importer knows, from an initializer, a Constant node, or a node whose inputs
// are all known (the Shape/Gather/Unsqueeze/Concat chains torch emits for
// reshapes, QuantizeLinear of a weight). Known tensors are folded here and
// become sparse_tiny.constant ops only where an op needs them as operands.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include <limits>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::sparse_tiny;
using tinyformer::ONNXImportOptions;

using namespace tinyformer::detail;

std::string tinyformer::detail::shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "," : "") +
         (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d));
  return s + "]";
}

/// Row-major strides of `shape`.
SmallVector<int64_t> tinyformer::detail::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

namespace {
const char *dtypeName(int32_t t) {
  return onnx::TensorProto::DataType_IsValid(t)
             ? onnx::TensorProto::DataType_Name(
                   static_cast<onnx::TensorProto::DataType>(t))
                   .c_str()
             : "unknown";
}
} // namespace

//===----------------------------------------------------------------------===//
// Reading tensors
//===----------------------------------------------------------------------===//

bool tinyformer::detail::isHoldableShape(ArrayRef<int64_t> shape, int64_t limit) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > limit / d))
      return false;
    n *= d;
  }
  return true;
}

template <typename T>
static void appendRaw(const std::string &raw, std::vector<double> &out) {
  size_t n = raw.size() / sizeof(T);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out.push_back(double(v));
  }
}

FailureOr<HostTensor> Importer::readTensor(const onnx::TensorProto &proto) {
  HostTensor t;
  t.shape.assign(proto.dims().begin(), proto.dims().end());
  t.dtype = proto.data_type();
  if (!isHoldableShape(t.shape)) {
    modelError() << "tensor '" << proto.name() << "' has shape "
                 << shapeStr(t.shape) << ": dims must be >= 0, and at most "
                 << kMaxKnownElements << " elements";
    return failure();
  }
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    modelError() << "tensor '" << proto.name()
                 << "' uses external data, which is not supported; save "
                    "the model with its weights inside";
    return failure();
  }
  const std::string &raw = proto.raw_data();
  using TP = onnx::TensorProto;
  switch (t.dtype) {
  case TP::FLOAT:
    if (proto.has_raw_data())
      appendRaw<float>(raw, t.data);
    else
      t.data.assign(proto.float_data().begin(), proto.float_data().end());
    break;
  case TP::DOUBLE:
    if (proto.has_raw_data())
      appendRaw<double>(raw, t.data);
    else
      t.data.assign(proto.double_data().begin(), proto.double_data().end());
    t.dtype = TP::FLOAT;
    break;
  case TP::INT64:
    if (proto.has_raw_data())
      appendRaw<int64_t>(raw, t.data);
    else
      t.data.assign(proto.int64_data().begin(), proto.int64_data().end());
    break;
  case TP::INT32:
  case TP::INT8:
  case TP::UINT8:
  case TP::BOOL:
    if (proto.has_raw_data()) {
      if (t.dtype == TP::INT32)
        appendRaw<int32_t>(raw, t.data);
      else if (t.dtype == TP::INT8)
        appendRaw<int8_t>(raw, t.data);
      else
        appendRaw<uint8_t>(raw, t.data);
    } else {
      t.data.assign(proto.int32_data().begin(), proto.int32_data().end());
    }
    break;
  default:
    modelError() << "tensor '" << proto.name() << "' has element type "
                 << dtypeName(t.dtype) << ", which is not supported";
    return failure();
  }
  if (int64_t(t.data.size()) != t.numel()) {
    modelError() << "tensor '" << proto.name() << "' of shape "
                 << shapeStr(t.shape) << " holds " << t.data.size()
                 << " values instead of " << t.numel();
    return failure();
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

Value Importer::materialize(const HostTensor &t, StringRef name) {
  std::vector<float> floats(t.data.begin(), t.data.end());
  if (!t.quant) {
    Value v = createFloatConstant(builder, nodeLoc, f32(t.shape), floats, name);
    return v;
  }
  // A quantized constant stores its integers with the quant type.
  Type elem = buildQuantType(*t.quant);
  auto storageType = RankedTensorType::get(t.shape, builder.getI8Type());
  std::vector<int8_t> ints;
  ints.reserve(t.data.size());
  for (double d : t.data)
    ints.push_back(int8_t(int64_t(d)));
  ElementsAttr attr;
  if (ints.size() <= 64)
    attr = DenseElementsAttr::get(storageType, ArrayRef<int8_t>(ints));
  else
    attr = cast<ElementsAttr>(Attribute(DenseI8ResourceElementsAttr::get(
        storageType, blobKey(name),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<int8_t>(ints)))));
  return builder.create<ConstantOp>(nodeLoc,
                                    RankedTensorType::get(t.shape, elem), attr,
                                    WeightEncodingAttr());
}

FailureOr<Value> Importer::getValue(StringRef name) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto k = known.find(name);
  if (k == known.end()) {
    nodeError() << "input '" << name
                << "' is neither a graph input, an initializer nor the output "
                   "of an earlier node";
    return failure();
  }
  if (!k->second.isFloat() && !k->second.quant) {
    nodeError() << "input '" << name << "' is a constant of type "
                << dtypeName(k->second.dtype)
                << "; only float tensors can be computed on";
    return failure();
  }
  Value v = materialize(k->second, name);
  values[name] = v;
  return v;
}

FailureOr<HostTensor *> Importer::getKnown(StringRef name, StringRef role) {
  auto k = known.find(name);
  if (k != known.end())
    return &k->second;
  if (values.count(name))
    nodeError() << role << " '" << name
                << "' must be a constant (an initializer or computable at "
                   "import), but it is computed at run time";
  else
    nodeError() << role << " '" << name
                << "' is neither a graph input, an initializer nor the output "
                   "of an earlier node";
  return failure();
}

FailureOr<std::vector<int64_t>> Importer::getKnownInts(StringRef name,
                                                       StringRef role) {
  FailureOr<HostTensor *> t = getKnown(name, role);
  if (failed(t))
    return failure();
  // Values are held as doubles: INT64_MAX (torch's "to the end" in a slice)
  // comes back as 2^63, which does not convert; saturate instead.
  std::vector<int64_t> ints;
  for (double d : (*t)->data)
    ints.push_back(d >= 9.2e18    ? std::numeric_limits<int64_t>::max()
                   : d <= -9.2e18 ? std::numeric_limits<int64_t>::min()
                                  : int64_t(d));
  return ints;
}

LogicalResult Importer::finish(Operation *op) {
  if (failed(mlir::verify(op)))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(op->getResult(0));
  if (!isHoldableShape(shape, kMaxActivationElements))
    return nodeError() << "the result has shape " << shapeStr(shape)
                       << ", more than " << kMaxActivationElements
                       << " elements";
  setValue(node->output(0), op->getResult(0));
  return success();
}

FailureOr<int64_t> Importer::normalizeAxis(int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    nodeError() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return a;
}

LogicalResult Importer::requireAttrValue(StringRef name, int64_t expected) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return success();
  if (a->type() == onnx::AttributeProto::INTS) {
    for (int64_t v : a->ints())
      if (v != expected) {
        nodeError() << "attribute " << name << " = "
                    << shapeStr(SmallVector<int64_t>(a->ints().begin(),
                                                     a->ints().end()))
                    << " is not supported (only " << expected << ")";
        return failure();
      }
    return success();
  }
  if (a->i() != expected) {
    nodeError() << "attribute " << name << " = " << a->i()
                << " is not supported (only " << expected << ")";
    return failure();
  }
  return success();
}

LogicalResult Importer::requireNoAutoPad() {
  std::string autoPad = attrString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID") {
    nodeError() << "auto_pad '" << autoPad
                << "' is not supported; export with explicit pads";
    return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

LogicalResult Importer::checkOpsets(const onnx::ModelProto &model) {
  for (const onnx::OperatorSetIdProto &set : model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      opset = set.version();
  if (opset == 0) {
    modelError() << "the model imports no ai.onnx opset";
    return failure();
  }
  if (opset < kMinOpset || opset > kMaxOpset) {
    modelError() << "opset " << opset << " of ai.onnx is not supported (use "
                 << kMinOpset << " to " << kMaxOpset << ")";
    return failure();
  }
  return success();
}

LogicalResult Importer::readInitializers(const onnx::GraphProto &graph) {
  for (const onnx::TensorProto &init : graph.initializer()) {
    FailureOr<HostTensor> t = readTensor(init);
    if (failed(t))
      return failure();
    known[init.name()] = std::move(*t);
  }
  return success();
}

LogicalResult Importer::declareInputs(const onnx::GraphProto &graph,
                                      SmallVectorImpl<Type> &types,
                                      SmallVectorImpl<std::string> &names) {
  size_t index = 0;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (known.count(in.name()))
      continue; // An initializer listed as an input (IR version < 4 style).
    if (!in.type().has_tensor_type() ||
        in.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
      modelError() << "graph input '" << in.name()
                   << "' must be a float32 tensor";
      return failure();
    }
    const onnx::TensorShapeProto &shape = in.type().tensor_type().shape();
    SmallVector<int64_t> dims;
    std::string dynamic;
    for (auto [i, d] : llvm::enumerate(shape.dim())) {
      if (d.has_dim_value() && d.dim_value() > 0) {
        dims.push_back(d.dim_value());
      } else {
        dims.push_back(ShapedType::kDynamic);
        if (dynamic.empty())
          dynamic = "dimension " + std::to_string(i) +
                    (d.has_dim_param() ? " ('" + d.dim_param() + "')" : "");
      }
    }
    if (index < options.inputShapes.size() &&
        !options.inputShapes[index].empty()) {
      ArrayRef<int64_t> given = options.inputShapes[index];
      bool compatible = given.size() == dims.size();
      for (size_t i = 0; compatible && i < dims.size(); ++i)
        compatible = dims[i] == ShapedType::kDynamic || dims[i] == given[i];
      if (!compatible) {
        modelError() << "--input-shape " << shapeStr(given)
                     << " does not fit graph input '" << in.name()
                     << "' of shape " << shapeStr(dims);
        return failure();
      }
      dims.assign(given.begin(), given.end());
    } else if (!dynamic.empty()) {
      modelError() << "graph input '" << in.name() << "' has dynamic "
                   << dynamic
                   << "; give a static shape with --input-shape (e.g. "
                      "--input-shape=1x3x32x32)";
      return failure();
    }
    if (!isHoldableShape(dims, kMaxActivationElements)) {
      modelError() << "graph input '" << in.name() << "' has shape "
                   << shapeStr(dims) << ", more than "
                   << kMaxActivationElements << " elements";
      return failure();
    }
    types.push_back(f32(dims));
    names.push_back(in.name());
    ++index;
  }
  if (types.empty()) {
    modelError() << "the graph has no input";
    return failure();
  }
  if (options.inputShapes.size() > types.size()) {
    modelError() << "--input-shape gives " << options.inputShapes.size()
                 << " shapes but the graph has " << types.size()
                 << " input(s)";
    return failure();
  }
  return success();
}

OwningOpRef<ModuleOp> Importer::run(StringRef bytes) {
  onnx::ModelProto model;
  if (bytes.size() > size_t(INT_MAX) ||
      !model.ParseFromArray(bytes.data(), int(bytes.size())) ||
      !model.has_graph() || model.opset_import_size() == 0) {
    modelError() << "not a valid ONNX model (the protobuf does not parse, or "
                    "has no graph or opset; is the file truncated?)";
    return nullptr;
  }
  if (failed(checkOpsets(model)))
    return nullptr;
  const onnx::GraphProto &graph = model.graph();
  if (failed(readInitializers(graph)))
    return nullptr;

  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  if (failed(declareInputs(graph, inputTypes, inputNames)))
    return nullptr;

  Location moduleLoc = FileLineColLoc::get(ctx, sourceName, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(moduleLoc);
  module->getOperation()->setAttr(
      "sparse_tiny.source",
      builder.getStringAttr(llvm::sys::path::filename(sourceName)));
  builder.setInsertionPointToEnd(module->getBody());
  // The result types are known only once the body is built.
  auto func = builder.create<func::FuncOp>(
      moduleLoc, options.functionName,
      builder.getFunctionType(inputTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [name, arg] : llvm::zip(inputNames, body->getArguments()))
    values[name] = arg;
  builder.setInsertionPointToEnd(body);

  int index = 0;
  for (const onnx::NodeProto &n : graph.node()) {
    node = &n;
    nodeName = n.name().empty() ? n.op_type() + "_" + std::to_string(index)
                                : n.name();
    nodeLoc = NameLoc::get(builder.getStringAttr(nodeName),
                           NameLoc::get(builder.getStringAttr(n.op_type())));
    ++index;
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      nodeError() << "domain '" << n.domain() << "' is not supported";
      return nullptr;
    }
    if (failed(importNode(n)))
      return nullptr;
  }

  node = nullptr;
  nodeLoc = moduleLoc;
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    if (known.count(out.name()) && !values.count(out.name())) {
      modelError() << "graph output '" << out.name()
                   << "' is a constant; nothing to compute";
      return nullptr;
    }
    auto it = values.find(out.name());
    if (it == values.end()) {
      modelError() << "graph output '" << out.name()
                   << "' is produced by no node";
      return nullptr;
    }
    // A declared static output shape must agree with what the ops compute.
    const onnx::TensorShapeProto &declared =
        out.type().tensor_type().shape();
    ArrayRef<int64_t> actual = shapeOf(it->second);
    bool mismatch = declared.dim_size() != 0 &&
                    declared.dim_size() != int(actual.size());
    for (int i = 0; !mismatch && i < declared.dim_size(); ++i)
      mismatch = declared.dim(i).has_dim_value() &&
                 declared.dim(i).dim_value() != actual[i];
    if (mismatch) {
      modelError() << "graph output '" << out.name() << "' is declared with "
                   << declared.dim_size() << " dims but computes shape "
                   << shapeStr(actual);
      return nullptr;
    }
    results.push_back(it->second);
  }
  builder.create<func::ReturnOp>(moduleLoc, results);
  func.setType(builder.getFunctionType(inputTypes,
                                       ValueRange(results).getTypes()));
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Constant folding at import
//===----------------------------------------------------------------------===//

/// Elementwise binary op on known tensors with NumPy broadcasting.
static FailureOr<HostTensor> broadcastBinary(const HostTensor &a, const HostTensor &b,
                                      StringRef op) {
  size_t rank = std::max(a.shape.size(), b.shape.size());
  SmallVector<int64_t> shape(rank, 1), pa(rank, 1), pb(rank, 1);
  for (size_t i = 0; i < a.shape.size(); ++i)
    pa[rank - a.shape.size() + i] = a.shape[i];
  for (size_t i = 0; i < b.shape.size(); ++i)
    pb[rank - b.shape.size() + i] = b.shape[i];
  for (size_t i = 0; i < rank; ++i) {
    if (pa[i] != pb[i] && pa[i] != 1 && pb[i] != 1)
      return failure();
    shape[i] = pa[i] == 1 ? pb[i] : pa[i]; // (a dim of 0 broadcasts to 0)
  }
  if (!isHoldableShape(shape))
    return failure();
  HostTensor r;
  r.shape = shape;
  r.dtype = a.dtype;
  int64_t n = r.numel();
  r.data.resize(n);
  SmallVector<int64_t> sa = stridesOf(pa), sb = stridesOf(pb);
  bool isInt = !a.isFloat();
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, ia = 0, ib = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      int64_t idx = rem % shape[d];
      rem /= shape[d];
      ia += (pa[d] == 1 ? 0 : idx) * sa[d];
      ib += (pb[d] == 1 ? 0 : idx) * sb[d];
    }
    double x = a.data[ia], y = b.data[ib], v;
    if (op == "Add")
      v = x + y;
    else if (op == "Sub")
      v = x - y;
    else if (op == "Mul")
      v = x * y;
    else if (op == "Div")
      v = isInt ? (y == 0 ? 0 : std::trunc(x / y)) : x / y;
    else if (op == "Pow")
      v = std::pow(x, y);
    else // Equal
      v = x == y;
    r.data[i] = isInt ? std::trunc(v) : double(float(v));
  }
  if (op == "Equal")
    r.dtype = onnx::TensorProto::BOOL;
  return r;
}

/// Evaluates a node whose inputs are all known (shape arithmetic, weight
/// transforms); the result is known too.
LogicalResult Importer::foldNode(const onnx::NodeProto &n) {
  StringRef op = n.op_type();
  auto in = [&](int i) -> HostTensor & { return known[n.input(i)]; };
  HostTensor r;
  if (op == "Identity" || op == "Dropout") {
    r = in(0);
  } else if (op == "Cast") {
    r = in(0);
    r.dtype = attrInt("to", onnx::TensorProto::FLOAT);
    if (!r.isFloat())
      for (double &d : r.data)
        d = std::trunc(d);
    else
      for (double &d : r.data)
        d = double(float(d));
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
             op == "Pow" || op == "Equal") {
    FailureOr<HostTensor> t = broadcastBinary(in(0), in(1), op);
    if (failed(t))
      return nodeError() << "shapes " << shapeStr(in(0).shape) << " and "
                         << shapeStr(in(1).shape)
                         << " do not broadcast (or to more than "
                         << kMaxKnownElements << " elements)";
    r = *t;
  } else if (op == "Sqrt" || op == "Neg" || op == "Reciprocal") {
    r = in(0);
    for (double &d : r.data)
      d = double(float(op == "Sqrt" ? std::sqrt(d) : op == "Neg" ? -d : 1 / d));
  } else if (op == "Where") {
    FailureOr<HostTensor> common = broadcastBinary(in(0), in(1), "Add");
    if (succeeded(common))
      common = broadcastBinary(*common, in(2), "Add");
    if (failed(common))
      return nodeError() << "inputs do not broadcast";
    std::fill(common->data.begin(), common->data.end(), 0.0);
    HostTensor cond = *broadcastBinary(in(0), *common, "Add");
    HostTensor x = *broadcastBinary(in(1), *common, "Add");
    HostTensor y = *broadcastBinary(in(2), *common, "Add");
    r = x;
    for (int64_t i = 0; i < r.numel(); ++i)
      r.data[i] = cond.data[i] != 0 ? x.data[i] : y.data[i];
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" ||
             op == "Flatten") {
    // The shape rules are shared with the activation path.
    FailureOr<SmallVector<int64_t>> shape = reshapeLikeShape(in(0).shape);
    if (failed(shape))
      return failure();
    r = in(0);
    r.shape = *shape;
  } else if (op == "Gather") {
    HostTensor &data = in(0), &idx = in(1);
    FailureOr<int64_t> axis = normalizeAxis(attrInt("axis", 0), data.shape.size());
    if (failed(axis))
      return failure();
    int64_t outer = 1, inner = 1, dim = data.shape[*axis];
    for (int64_t i = 0; i < *axis; ++i)
      outer *= data.shape[i];
    for (size_t i = *axis + 1; i < data.shape.size(); ++i)
      inner *= data.shape[i];
    r.dtype = data.dtype;
    r.shape.assign(data.shape.begin(), data.shape.begin() + *axis);
    r.shape.append(idx.shape.begin(), idx.shape.end());
    r.shape.append(data.shape.begin() + *axis + 1, data.shape.end());
    for (int64_t o = 0; o < outer; ++o)
      for (double id : idx.data) {
        int64_t k = int64_t(id) < 0 ? int64_t(id) + dim : int64_t(id);
        if (k < 0 || k >= dim)
          return nodeError() << "index " << int64_t(id) << " out of range "
                             << dim;
        for (int64_t i = 0; i < inner; ++i)
          r.data.push_back(data.data[(o * dim + k) * inner + i]);
      }
  } else if (op == "Concat") {
    FailureOr<int64_t> axis =
        normalizeAxis(attrInt("axis", 0), in(0).shape.size());
    if (failed(axis))
      return failure();
    r.dtype = in(0).dtype;
    r.shape = in(0).shape;
    r.shape[*axis] = 0;
    for (int i = 0; i < n.input_size(); ++i)
      r.shape[*axis] += in(i).shape[*axis];
    int64_t outer = 1;
    for (int64_t i = 0; i < *axis; ++i)
      outer *= r.shape[i];
    for (int64_t o = 0; o < outer; ++o)
      for (int i = 0; i < n.input_size(); ++i) {
        int64_t chunk = in(i).numel() / std::max<int64_t>(outer, 1);
        r.data.insert(r.data.end(), in(i).data.begin() + o * chunk,
                      in(i).data.begin() + (o + 1) * chunk);
      }
  } else if (op == "Slice") {
    // Known tensors of any rank (shape vectors; torch's pads, reversed by a
    // step of -1): starts, ends, optional axes and steps, clamped as ONNX
    // says.
    const HostTensor &x = in(0);
    int64_t rank = int64_t(x.shape.size());
    auto ints = [&](int i) {
      return std::vector<int64_t>(in(i).data.begin(), in(i).data.end());
    };
    std::vector<int64_t> starts = ints(1), ends = ints(2), axes, steps;
    if (n.input_size() > 3 && !n.input(3).empty())
      axes = ints(3);
    else
      for (int64_t i = 0; i < int64_t(starts.size()); ++i)
        axes.push_back(i);
    if (n.input_size() > 4 && !n.input(4).empty())
      steps = ints(4);
    else
      steps.assign(starts.size(), 1);
    SmallVector<int64_t> first(rank, 0), step(rank, 1), count(x.shape.begin(),
                                                            x.shape.end());
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (a < 0 || a >= rank || steps[i] == 0)
        return nodeError() << "slice axis " << axes[i] << " or step "
                           << steps[i] << " is invalid for rank " << rank;
      int64_t dim = x.shape[a], st = steps[i];
      auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
        v = v < 0 ? v + dim : v;
        return std::clamp(v, lo, hi);
      };
      int64_t b = st > 0 ? clampIndex(starts[i], 0, dim) : clampIndex(starts[i], -1, dim - 1);
      int64_t e = st > 0 ? clampIndex(ends[i], 0, dim) : clampIndex(ends[i], -1, dim - 1);
      first[a] = b;
      step[a] = st;
      count[a] = st > 0 ? std::max<int64_t>(0, (e - b + st - 1) / st)
                        : std::max<int64_t>(0, (b - e - st - 1) / -st);
    }
    r.dtype = x.dtype;
    r.shape.assign(count.begin(), count.end());
    SmallVector<int64_t> strides = stridesOf(x.shape);
    for (int64_t i = 0; i < r.numel(); ++i) {
      int64_t rem = i, from = 0;
      for (int64_t d = rank - 1; d >= 0; --d) {
        from += (first[d] + (rem % count[d]) * step[d]) * strides[d];
        rem /= count[d];
      }
      r.data.push_back(x.data[from]);
    }
  } else if (op == "Expand") {
    HostTensor ones;
    ones.shape.assign(in(1).data.begin(), in(1).data.end());
    if (!isHoldableShape(ones.shape))
      return nodeError() << "cannot expand to shape " << shapeStr(ones.shape);
    ones.data.assign(ones.numel(), 1.0);
    FailureOr<HostTensor> t = broadcastBinary(in(0), ones, "Mul");
    if (failed(t))
      return nodeError() << "shape " << shapeStr(in(0).shape)
                         << " does not expand to " << shapeStr(ones.shape);
    r = *t;
  } else if (op == "ConstantOfShape") {
    r.shape.assign(in(0).data.begin(), in(0).data.end());
    if (!isHoldableShape(r.shape))
      return nodeError() << "shape " << shapeStr(r.shape)
                         << " has a negative dim or more than "
                         << kMaxKnownElements << " elements";
    const onnx::AttributeProto *value = attr("value");
    double fill = 0;
    r.dtype = onnx::TensorProto::FLOAT;
    if (value) {
      FailureOr<HostTensor> t = readTensor(value->t());
      if (failed(t))
        return failure();
      fill = t->data.empty() ? 0 : t->data[0];
      r.dtype = t->dtype;
    }
    r.data.assign(r.numel(), fill);
  } else if (op == "Transpose") {
    HostTensor &src = in(0);
    SmallVector<int64_t> perm;
    if (std::optional<SmallVector<int64_t>> p = attrInts("perm"))
      perm = *p;
    else
      for (int64_t i = src.shape.size() - 1; i >= 0; --i)
        perm.push_back(i);
    SmallVector<int64_t> sorted(perm);
    llvm::sort(sorted);
    for (size_t i = 0; i < sorted.size(); ++i)
      if (sorted.size() != src.shape.size() || sorted[i] != int64_t(i))
        return nodeError() << "perm is not a permutation of the input's "
                           << src.shape.size() << " axes";
    r.dtype = src.dtype;
    for (int64_t p : perm)
      r.shape.push_back(src.shape[p]);
    SmallVector<int64_t> srcStrides = stridesOf(src.shape);
    r.data.resize(src.numel());
    for (int64_t i = 0; i < r.numel(); ++i) {
      int64_t rem = i, from = 0;
      for (int64_t d = r.shape.size() - 1; d >= 0; --d) {
        from += (rem % r.shape[d]) * srcStrides[perm[d]];
        rem /= r.shape[d];
      }
      r.data[i] = src.data[from];
    }
  } else if (op == "QuantizeLinear") {
    // A weight quantized at export: keep its integers and parameters.
    FailureOr<QuantParams> quant = readQuantParams(in(0).shape);
    if (failed(quant))
      return failure();
    const QuantParams &params = *quant;
    r = in(0);
    r.dtype = params.isSigned ? onnx::TensorProto::INT8
                              : onnx::TensorProto::UINT8;
    int64_t qmin = params.isSigned ? -128 : 0, qmax = params.isSigned ? 127 : 255;
    SmallVector<int64_t> strides = stridesOf(r.shape);
    for (int64_t i = 0; i < r.numel(); ++i) {
      int64_t c = params.axis < 0 ? 0 : (i / strides[params.axis]) %
                                            r.shape[params.axis];
      float scaled = float(r.data[i]) / float(params.scales[c]);
      if (!std::isfinite(scaled))
        return nodeError() << "input '" << n.input(0) << "' has a non-finite "
                           << "value at element " << i << " ("
                           << r.data[i] << "), which has no quantized form";
      double q = std::nearbyint(scaled) + params.zeroPoints[c];
      r.data[i] = std::clamp<double>(q, qmin, qmax);
    }
    r.quant = params;
  } else {
    return nodeError() << "cannot evaluate " << op << " at import";
  }
  // Every fold's later readers index data by shape.
  if (int64_t(r.data.size()) != r.numel())
    return nodeError() << "evaluates to " << r.data.size()
                       << " values for a shape of " << r.numel() << " elements";
  known[n.output(0)] = std::move(r);
  return success();
}

/// Ops evaluated at import when all their inputs are known.
static bool isFoldable(StringRef op) {
  static const llvm::StringSet<> foldable = {
      "Identity", "Dropout", "Cast", "Add", "Sub", "Mul", "Div", "Pow",
      "Equal", "Where", "Sqrt", "Neg", "Reciprocal", "Unsqueeze", "Squeeze",
      "Reshape", "Flatten", "Gather", "Concat", "Slice", "ConstantOfShape", "Expand",
      "Transpose", "QuantizeLinear"};
  return foldable.contains(op);
}

//===----------------------------------------------------------------------===//
// Node dispatch
//===----------------------------------------------------------------------===//

LogicalResult Importer::importNode(const onnx::NodeProto &n) {
  StringRef op = n.op_type();
  for (const std::string &name : n.input())
    if (!exists(name))
      return nodeError() << "input '" << name
                         << "' is neither a graph input, an initializer nor "
                            "the output of an earlier node";
  if (n.output_size() == 0)
    return nodeError() << "has no output";
  // Integer attributes are sizes, axes, pads and strides: beyond
  // kMaxActivationElements they can only be forged, and shape arithmetic
  // on them would overflow. (A Constant's values are data.)
  if (op != "Constant")
    for (const onnx::AttributeProto &a : n.attribute()) {
      SmallVector<int64_t> values(a.ints().begin(), a.ints().end());
      if (a.type() == onnx::AttributeProto::INT)
        values.push_back(a.i());
      for (int64_t v : values)
        if (v > kMaxActivationElements || v < -kMaxActivationElements)
          return nodeError() << "attribute '" << a.name() << "' has the value "
                             << v << ", out of range";
    }

  if (op == "Constant") {
    const onnx::AttributeProto *value = attr("value");
    HostTensor t;
    if (value && value->has_t()) {
      FailureOr<HostTensor> read = readTensor(value->t());
      if (failed(read))
        return failure();
      t = *read;
    } else if (const onnx::AttributeProto *f = attr("value_float")) {
      t.data = {f->f()};
    } else if (const onnx::AttributeProto *i = attr("value_int")) {
      t.dtype = onnx::TensorProto::INT64;
      t.data = {double(i->i())};
    } else if (const onnx::AttributeProto *is = attr("value_ints")) {
      t.dtype = onnx::TensorProto::INT64;
      t.data.assign(is->ints().begin(), is->ints().end());
      t.shape = {int64_t(t.data.size())};
    } else if (const onnx::AttributeProto *fs = attr("value_floats")) {
      t.data.assign(fs->floats().begin(), fs->floats().end());
      t.shape = {int64_t(t.data.size())};
    } else {
      return nodeError() << "has no supported value attribute";
    }
    known[n.output(0)] = std::move(t);
    return success();
  }
  if (op == "Shape") {
    HostTensor t;
    t.dtype = onnx::TensorProto::INT64;
    if (isKnown(input(0))) {
      for (int64_t d : known[input(0)].shape)
        t.data.push_back(double(d));
    } else {
      FailureOr<Value> v = getValue(input(0));
      if (failed(v))
        return failure();
      for (int64_t d : shapeOf(*v))
        t.data.push_back(double(d));
    }
    int64_t rank = t.data.size();
    int64_t start = attrInt("start", 0), end = attrInt("end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    t.data = std::vector<double>(t.data.begin() + start,
                                 t.data.begin() + std::max(start, end));
    t.shape = {int64_t(t.data.size())};
    known[n.output(0)] = std::move(t);
    return success();
  }

  bool allKnown = n.input_size() > 0 &&
                  llvm::all_of(n.input(), [&](const std::string &name) {
                    return name.empty() || isKnown(name);
                  });
  if (allKnown && isFoldable(op))
    return foldNode(n);

  if (op == "Identity" || op == "Dropout") {
    FailureOr<Value> v = getValue(input(0));
    if (failed(v))
      return failure();
    if (op == "Dropout" && n.output_size() > 1 && !n.output(1).empty())
      return nodeError() << "the mask output of Dropout is not supported";
    setValue(n.output(0), *v);
    return success();
  }
  if (op == "Cast") {
    if (attrInt("to", 0) != onnx::TensorProto::FLOAT)
      return nodeError() << "Cast to " << dtypeName(attrInt("to", 0))
                         << " is not supported on activations";
    FailureOr<Value> v = getValue(input(0));
    if (failed(v))
      return failure();
    setValue(n.output(0), *v);
    return success();
  }
  if (op == "Conv")
    return importConv();
  if (op == "ConvTranspose")
    return importConvTranspose();
  if (op == "DepthToSpace")
    return importDepthToSpace();
  if (op == "BatchNormalization")
    return importBatchNorm();
  if (op == "Gemm")
    return importGemm();
  if (op == "MatMul")
    return importMatMul();
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow")
    return importBinary();
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "Erf" ||
      op == "Sqrt" || op == "Exp" || op == "HardSigmoid" || op == "HardSwish")
    return importUnary();
  if (op == "Clip")
    return importClip();
  if (op == "LeakyRelu" || op == "PRelu")
    return importLeakyRelu();
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool")
    return importPool();
  if (op == "ReduceMean")
    return importReduceMean();
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" ||
      op == "Unsqueeze")
    return importReshapeLike();
  if (op == "Transpose")
    return importTranspose();
  if (op == "Resize" || op == "Upsample")
    return importResize();
  if (op == "Pad")
    return importPad();
  if (op == "Concat")
    return importConcat();
  if (op == "Slice")
    return importSlice();
  if (op == "Split")
    return importSplit();
  if (op == "Gather")
    return importGather();
  if (op == "Softmax")
    return importSoftmax();
  if (op == "LayerNormalization")
    return importLayerNorm();
  if (op == "QuantizeLinear")
    return importQuantize();
  if (op == "DequantizeLinear")
    return importDequantize();
  return nodeError() << "op type " << op << " is not supported";
}


OwningOpRef<ModuleOp>
tinyformer::importONNXModel(StringRef bytes, StringRef sourceName,
                            MLIRContext *context,
                            const ONNXImportOptions &options) {
  context->loadDialect<SparseTinyDialect, func::FuncDialect,
                       quant::QuantizationDialect>();
  Importer importer(context, sourceName, options);
  return importer.run(bytes);
}

bool tinyformer::parseShapeList(StringRef text,
                                std::vector<SmallVector<int64_t>> &shapes) {
  SmallVector<StringRef> parts;
  text.split(parts, ',');
  for (StringRef part : parts) {
    SmallVector<int64_t> shape;
    SmallVector<StringRef> dims;
    part.trim().split(dims, 'x');
    for (StringRef d : dims) {
      int64_t v;
      if (d.trim().getAsInteger(10, v) || v <= 0)
        return false;
      shape.push_back(v);
    }
    shapes.push_back(shape);
  }
  return !shapes.empty();
}
