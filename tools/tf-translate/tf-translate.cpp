//===- tf-translate.cpp - ONNX in, (later) ARM objects out ----------------===//
//
//   tf-translate --import-onnx model.onnx [-o model.mlir]
//                [--input-shape=1x3x32x32] [--canonicalize]
//
// Errors name the ONNX node and exit non-zero; the output file is written
// only on success.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Import/ONNXImporter.h"
#include "tinyformer/Support/Diagnostics.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace llvm;

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input file>"),
                                          cl::Required);
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"));
static cl::opt<bool> importONNX("import-onnx",
                                cl::desc("Import an ONNX model to sparse_tiny"));
static cl::opt<std::string>
    inputShape("input-shape",
               cl::desc("Static shapes of the graph inputs, e.g. 1x3x32x32 "
                        "(several separated by ',')"));
static cl::opt<bool> runCanonicalize(
    "canonicalize",
    cl::desc("Run canonicalization (fusing decomposed LayerNorm, GELU, "
             "SiLU, biases) after import"));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "TinyFormer translation driver\n");
  if (!importONNX) {
    errs() << "tf-translate: error: choose a translation (--import-onnx)\n";
    return 1;
  }
  tinyformer::ONNXImportOptions options;
  if (!inputShape.empty() &&
      !tinyformer::parseShapeList(inputShape, options.inputShapes)) {
    errs() << "tf-translate: error: --input-shape '" << inputShape
           << "' is not like 1x3x32x32\n";
    return 1;
  }
  auto file = MemoryBuffer::getFileOrSTDIN(inputFilename, /*IsText=*/false);
  if (!file) {
    errs() << "tf-translate: error: cannot read '" << inputFilename
           << "': " << file.getError().message() << "\n";
    return 1;
  }
  mlir::MLIRContext context;
  tinyformer::NodeDiagnosticHandler diagnostics(&context, "tf-translate");
  mlir::OwningOpRef<mlir::ModuleOp> module = tinyformer::importONNXModel(
      (*file)->getBuffer(), inputFilename, &context, options);
  if (!module)
    return 1;
  if (runCanonicalize) {
    mlir::PassManager pm(&context);
    pm.addPass(mlir::createCanonicalizerPass());
    if (failed(pm.run(*module)))
      return 1;
  }
  std::error_code ec;
  auto output = std::make_unique<ToolOutputFile>(outputFilename, ec,
                                                 sys::fs::OF_None);
  if (ec) {
    errs() << "tf-translate: error: cannot write '" << outputFilename
           << "': " << ec.message() << "\n";
    return 1;
  }
  module->print(output->os());
  output->keep();
  return 0;
}
