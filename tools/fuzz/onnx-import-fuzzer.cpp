//===- onnx-import-fuzzer.cpp - libFuzzer target for the ONNX importer ----===//
//
// Any bytes go to importONNXModel as a model file: the importer must answer
// with a module or an error, never crash, hang or read out of bounds
// (built with ASan and UBSan; scripts/fuzz.sh runs it on the fixtures).
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A context per input: nothing an input leaves behind affects the next.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  // Errors are the expected answer to most inputs: not printed.
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  tinyformer::importONNXModel(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx",
      &context, tinyformer::ONNXImportOptions());
  return 0;
}
