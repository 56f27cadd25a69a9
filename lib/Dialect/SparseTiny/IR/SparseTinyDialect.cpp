//===- SparseTinyDialect.cpp - dialect and attributes ---------------------===//
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyOpsDialect.cpp.inc"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyAttrs.cpp.inc"

void SparseTinyDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyAttrs.cpp.inc"
      >();
}

Operation *SparseTinyDialect::materializeConstant(OpBuilder &builder,
                                                  Attribute value, Type type,
                                                  Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || !isa<RankedTensorType>(type))
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements,
                                    /*encoding=*/WeightEncodingAttr());
}

LogicalResult
WeightEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           WeightFormat format, ArrayRef<int64_t> blockShape) {
  // E1: a block shape belongs to block_sparse and only to it.
  if ((format == WeightFormat::block_sparse) != !blockShape.empty())
    return emitError() << "E1: a block shape is required for block_sparse "
                          "and allowed for no other format";
  // E2: two strictly positive block dims.
  if (!blockShape.empty() &&
      (blockShape.size() != 2 || blockShape[0] <= 0 || blockShape[1] <= 0))
    return emitError()
           << "E2: the block shape must have two positive entries";
  return success();
}
