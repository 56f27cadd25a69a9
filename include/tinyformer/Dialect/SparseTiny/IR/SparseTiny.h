//===- SparseTiny.h - the sparse_tiny dialect -------------------*- C++ -*-===//
#ifndef TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINY_H
#define TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINY_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Quant/QuantOps.h"
#include "mlir/Dialect/Quant/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyOpsDialect.h.inc"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyAttrs.h.inc"

#define GET_OP_CLASSES
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyOps.h.inc"

namespace mlir {
namespace sparse_tiny {

/// Result-shape rules shared by the verifiers and the ONNX importer, so that
/// both say the same thing about the same mistake. Each returns failure after
/// reporting through `emitError`.
using EmitErrorFn = llvm::function_ref<InFlightDiagnostic()>;

LogicalResult inferConv2DShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> padding,
                               ArrayRef<int64_t> dilations, int64_t groups,
                               SmallVectorImpl<int64_t> &result,
                               EmitErrorFn emitError);
LogicalResult inferPool2DShape(ArrayRef<int64_t> input, ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> padding,
                               SmallVectorImpl<int64_t> &result,
                               EmitErrorFn emitError);
LogicalResult inferBroadcastShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                                  SmallVectorImpl<int64_t> &result,
                                  EmitErrorFn emitError);
LogicalResult inferMatMulShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                               SmallVectorImpl<int64_t> &result,
                               EmitErrorFn emitError);

/// The values of a constant tensor as floats (dequantized when the constant
/// has a quantized type), or nullopt if `value` is not a sparse_tiny or
/// dense constant.
std::optional<std::vector<float>> getConstantFloats(Value value);

/// The stored integers of an integer or quantized constant (not
/// dequantized), or nullopt if `value` is not such a constant.
std::optional<std::vector<int64_t>> getConstantInts(Value value);

/// A constant of quantized `type` (storage i8 or i32) holding the stored
/// integers `values`; large ones become dense_resource blobs.
ConstantOp createQuantizedConstant(OpBuilder &builder, Location loc,
                                   RankedTensorType type,
                                   ArrayRef<int64_t> values,
                                   StringRef blobName);

/// `name` made fit to be a dense_resource key (printed bare in the IR).
std::string blobKey(StringRef name);

/// A float constant of `type` holding `values` (a splat when there is one
/// value); large ones become dense_resource blobs named after `blobName`.
ConstantOp createFloatConstant(OpBuilder &builder, Location loc,
                               RankedTensorType type, ArrayRef<float> values,
                               StringRef blobName = "weight");

} // namespace sparse_tiny
} // namespace mlir

#endif // TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINY_H
