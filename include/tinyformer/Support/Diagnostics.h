//===- Diagnostics.h - one-line errors that name the model node -*- C++ -*-===//
#ifndef TINYFORMER_SUPPORT_DIAGNOSTICS_H
#define TINYFORMER_SUPPORT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringRef.h"

namespace tinyformer {

/// Prints every diagnostic as `<tool>: error: node 'conv1' (Conv): ...`,
/// reading the node from an importer location `loc("conv1"("Conv"))`, and
/// the usual `file:line:col` for locations in .mlir text.
class NodeDiagnosticHandler : public mlir::ScopedDiagnosticHandler {
public:
  NodeDiagnosticHandler(mlir::MLIRContext *context, llvm::StringRef tool);
};

/// `node 'conv1' (Conv)` for an importer location, else "".
std::string describeNodeLocation(mlir::Location loc);

} // namespace tinyformer

#endif // TINYFORMER_SUPPORT_DIAGNOSTICS_H
