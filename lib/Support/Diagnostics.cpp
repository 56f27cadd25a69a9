//===- Diagnostics.cpp - one-line errors that name the model node ---------===//
#include "tinyformer/Support/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::string tinyformer::describeNodeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    std::string out = "node '" + name.getName().str() + "'";
    if (auto op = dyn_cast<NameLoc>(name.getChildLoc()))
      out += " (" + op.getName().str() + ")";
    return out;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string s = describeNodeLocation(inner); !s.empty())
        return s;
  return "";
}

tinyformer::NodeDiagnosticHandler::NodeDiagnosticHandler(MLIRContext *context,
                                                         llvm::StringRef tool)
    : ScopedDiagnosticHandler(context) {
  std::string toolName = tool.str();
  setHandler([toolName](Diagnostic &diag) {
    llvm::raw_ostream &os = llvm::errs();
    const char *severity = diag.getSeverity() == DiagnosticSeverity::Error
                               ? "error"
                           : diag.getSeverity() == DiagnosticSeverity::Warning
                               ? "warning"
                               : diag.getSeverity() == DiagnosticSeverity::Note
                                     ? "note"
                                     : "remark";
    os << toolName << ": " << severity << ": ";
    std::string node = describeNodeLocation(diag.getLocation());
    if (!node.empty())
      os << node << ": ";
    else if (auto file = dyn_cast<FileLineColLoc>(diag.getLocation()))
    {
      os << file.getFilename().getValue();
      // Line 0 marks the model file as a whole (ONNX has no lines).
      if (file.getLine() != 0)
        os << ":" << file.getLine() << ":" << file.getColumn();
      os << ": ";
    }
    os << diag.str() << "\n";
    return success();
  });
}

#ifdef __SANITIZE_ADDRESS__
// Debian's LLVM headers poison BumpPtrAllocator slabs when ASan is on while
// its libraries are not instrumented: reports about those slabs are false.
// Off in the binaries themselves, whatever the environment passes
// (scripts/sanitize.sh also sets it).
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
#endif
