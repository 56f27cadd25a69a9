//===- ONNXImporter.h - ONNX models to sparse_tiny --------------*- C++ -*-===//
#ifndef TINYFORMER_IMPORT_ONNXIMPORTER_H
#define TINYFORMER_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace tinyformer {

struct ONNXImportOptions {
  /// Static shapes for the graph inputs, in order; an empty entry keeps the
  /// model's own. Required for inputs with a dynamic dimension.
  std::vector<llvm::SmallVector<int64_t>> inputShapes;
  /// Name of the generated function.
  std::string functionName = "main";
};

/// Reads an ONNX model (binary protobuf) into a module holding one func.func
/// of sparse_tiny ops, one op per ONNX node except for constant subgraphs
/// (shape arithmetic, QuantizeLinear of weights), which are evaluated at
/// import. Ops get the location `loc("<node name>"("<op type>"))`. On bad
/// input, reports one error naming the node and returns null.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(llvm::StringRef bytes, llvm::StringRef sourceName,
                mlir::MLIRContext *context, const ONNXImportOptions &options);

/// Parses "1x3x32x32" (several shapes separated by ','), or fails.
bool parseShapeList(llvm::StringRef text,
                    std::vector<llvm::SmallVector<int64_t>> &shapes);

} // namespace tinyformer

#endif // TINYFORMER_IMPORT_ONNXIMPORTER_H
