//===- ImporterImpl.h - state of one ONNX import ---------------*- C++ -*-===//
//
// Private to lib/Import: the importer's state, shared by the graph walk
// (ONNXImporter.cpp) and the op families (ImportOps.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_LIB_IMPORT_IMPORTERIMPL_H
#define TINYFORMER_LIB_IMPORT_IMPORTERIMPL_H

#include "tinyformer/Import/ONNXImporter.h"

#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <numeric>

namespace tinyformer {
namespace detail {

using namespace mlir;
using namespace mlir::sparse_tiny;

constexpr int64_t kMinOpset = 11, kMaxOpset = 17;

/// Scale and zero point(s) of a quantized constant, from QuantizeLinear.
struct QuantParams {
  std::vector<double> scales;
  std::vector<int64_t> zeroPoints;
  int64_t axis = -1; // -1: per tensor.
  bool isSigned = false;
};

/// A tensor whose value the importer knows. Values are held as doubles,
/// which is exact for f32 and for the int64 shape arithmetic seen in models.
struct HostTensor {
  SmallVector<int64_t> shape;
  int32_t dtype = onnx::TensorProto::FLOAT;
  std::vector<double> data;
  std::optional<QuantParams> quant;

  int64_t numel() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                           std::multiplies<int64_t>());
  }
  bool isFloat() const {
    return dtype == onnx::TensorProto::FLOAT ||
           dtype == onnx::TensorProto::DOUBLE ||
           dtype == onnx::TensorProto::FLOAT16;
  }
};




class Importer {
public:
  Importer(MLIRContext *ctx, StringRef sourceName,
           const ONNXImportOptions &options)
      : ctx(ctx), builder(ctx), sourceName(sourceName), options(options) {}

  OwningOpRef<ModuleOp> run(StringRef bytes);

private:
  // --- Errors ---------------------------------------------------------------
  InFlightDiagnostic modelError() {
    return emitError(FileLineColLoc::get(ctx, sourceName, 0, 0));
  }
  /// An error at the node being imported: "node 'name' (Op): ...".
  InFlightDiagnostic nodeError() { return emitError(nodeLoc); }

  // --- Graph-level steps ----------------------------------------------------
  LogicalResult checkOpsets(const onnx::ModelProto &model);
  LogicalResult readInitializers(const onnx::GraphProto &graph);
  LogicalResult declareInputs(const onnx::GraphProto &graph,
                              SmallVectorImpl<Type> &types,
                              SmallVectorImpl<std::string> &names);
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult foldNode(const onnx::NodeProto &node);

  // --- Values ---------------------------------------------------------------
  bool isKnown(StringRef name) const { return known.count(name); }
  bool exists(StringRef name) const {
    return name.empty() || known.count(name) || values.count(name);
  }
  FailureOr<HostTensor> readTensor(const onnx::TensorProto &proto);
  /// The activation or constant called `name`, as an SSA value.
  FailureOr<Value> getValue(StringRef name);
  /// The known tensor `name`; reports an error naming `role` if it is not.
  FailureOr<HostTensor *> getKnown(StringRef name, StringRef role);
  FailureOr<std::vector<int64_t>> getKnownInts(StringRef name, StringRef role);
  Value materialize(const HostTensor &t, StringRef name);
  void setValue(StringRef name, Value v) { values[name] = v; }
  ArrayRef<int64_t> shapeOf(Value v) {
    return cast<ShapedType>(v.getType()).getShape();
  }
  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  /// Checks a just-built op and maps its result to the node's output 0.
  LogicalResult finish(Operation *op);
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);
  /// Scale, zero point and axis of the current Quantize/DequantizeLinear
  /// node, for a tensor of `shape`.
  FailureOr<QuantParams> readQuantParams(ArrayRef<int64_t> shape);
  Type buildQuantType(const QuantParams &params);
  /// The output shape of Reshape, Flatten, Squeeze or Unsqueeze.
  FailureOr<SmallVector<int64_t>> reshapeLikeShape(ArrayRef<int64_t> in);
  /// True for a constant, or a dequantized constant: a layer's weight.
  static bool isWeight(Value v);
  /// Builds a one-result op of `OpTy` with an f32 result of `shape`,
  /// verifies it and maps it to the node's first output.
  template <typename OpTy, typename... Args>
  LogicalResult emit(ArrayRef<int64_t> shape, Args &&...args) {
    auto op = builder.create<OpTy>(nodeLoc, f32(shape),
                                   std::forward<Args>(args)...);
    return finish(op);
  }

  // --- Attributes -----------------------------------------------------------
  const onnx::AttributeProto *attr(StringRef name) const {
    for (const onnx::AttributeProto &a : node->attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  int64_t attrInt(StringRef name, int64_t dflt) const {
    const onnx::AttributeProto *a = attr(name);
    return a ? a->i() : dflt;
  }
  float attrFloat(StringRef name, float dflt) const {
    const onnx::AttributeProto *a = attr(name);
    return a ? a->f() : dflt;
  }
  std::string attrString(StringRef name, StringRef dflt) const {
    const onnx::AttributeProto *a = attr(name);
    return a ? a->s() : dflt.str();
  }
  std::optional<SmallVector<int64_t>> attrInts(StringRef name) const {
    const onnx::AttributeProto *a = attr(name);
    if (!a)
      return std::nullopt;
    return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
  }
  StringRef input(int i) const {
    return i < node->input_size() ? StringRef(node->input(i)) : StringRef();
  }
  /// Fails unless every listed attribute has the given (default) value.
  LogicalResult requireAttrValue(StringRef name, int64_t expected);
  /// A Conv's kernel_shape attribute as its weight has it once dilated.
  std::optional<SmallVector<int64_t>> convKernelShape() const;
  LogicalResult requireNoAutoPad();

  // --- Op families ------------------------------------------------------------
  LogicalResult importConv();
  LogicalResult importConv1D(Value x, Value w, Value bias, StringRef weightName);
  LogicalResult importConvTranspose();
  LogicalResult importDepthToSpace();
  LogicalResult importBatchNorm();
  LogicalResult importGemm();
  LogicalResult importMatMul();
  LogicalResult importBinary();
  LogicalResult importUnary();
  LogicalResult importClip();
  LogicalResult importLeakyRelu();
  LogicalResult importPool();
  LogicalResult importReduceMean();
  LogicalResult importReshapeLike();
  LogicalResult importTranspose();
  LogicalResult importPad();
  LogicalResult importResize();
  LogicalResult importConcat();
  LogicalResult importSlice();
  LogicalResult importSplit();
  LogicalResult importGather();
  LogicalResult importSoftmax();
  LogicalResult importLayerNorm();
  LogicalResult importQuantize();
  LogicalResult importDequantize();

  MLIRContext *ctx;
  OpBuilder builder;
  std::string sourceName;
  const ONNXImportOptions &options;
  int64_t opset = 0;
  llvm::StringMap<HostTensor> known;
  llvm::StringMap<Value> values;
  const onnx::NodeProto *node = nullptr;
  Location nodeLoc = UnknownLoc::get(ctx);
  std::string nodeName;
};

/// Tensors the importer holds (initializers and what it folds) have dims
/// >= 0 and at most this many elements: far more than a microcontroller's
/// flash, and a bound that keeps a forged shape from exhausting memory.
constexpr int64_t kMaxKnownElements = int64_t(1) << 24;

/// Activations are only shapes at import; this bound keeps every product
/// of dims (and of dims by bytes) far from overflowing. A model this large
/// is refused later for its real reason, the arena.
constexpr int64_t kMaxActivationElements = int64_t(1) << 40;

/// Whether `shape` has dims >= 0 and at most `limit` elements (the product
/// computed without overflow).
bool isHoldableShape(ArrayRef<int64_t> shape, int64_t limit = kMaxKnownElements);

std::string shapeStr(ArrayRef<int64_t> shape);
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape);

} // namespace detail
} // namespace tinyformer

#endif // TINYFORMER_LIB_IMPORT_IMPORTERIMPL_H
