//===- tf-translate.cpp - ONNX in, ARM objects out ------------------------===//
//
//   tf-translate --import-onnx model.onnx [-o model.mlir]
//                [--input-shape=1x3x32x32] [--canonicalize]
//   tf-translate --emit-object planned.mlir --cpu=cortex-m7 -o model.o
//                [--header=model.h] [--model-name=model]
//
// Errors name the ONNX node and exit non-zero; the output file is written
// only on success.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Import/ONNXImporter.h"
#include "tinyformer/Support/Diagnostics.h"
#include "tinyformer/Target/ObjectEmitter.h"
#include "tinyformer/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace llvm;

/// The tool's own options: --help shows these, not LLVM's hundreds.
static cl::OptionCategory translateOptions("tf-translate options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input file>"),
                                          cl::Required, cl::cat(translateOptions));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"), cl::cat(translateOptions));
static cl::opt<bool> importONNX("import-onnx",
                                cl::desc("Import an ONNX model to sparse_tiny"), cl::cat(translateOptions));
static cl::opt<std::string>
    inputShape("input-shape",
               cl::desc("Static shapes of the graph inputs, e.g. 1x3x32x32 "
                        "(several separated by ',')"), cl::cat(translateOptions));
static cl::opt<bool> emitObjectFile(
    "emit-object",
    cl::desc("Emit an ARM object (and a C header) from a planned INT8 "
             "sparse_tiny module (tf-opt ... --sparse-tiny-plan-memory)"), cl::cat(translateOptions));
static cl::opt<std::string> cpu("cpu", cl::desc("cortex-m4 | cortex-m7"),
                                cl::init("cortex-m7"), cl::cat(translateOptions));
static cl::opt<std::string>
    headerFilename("header", cl::desc("Header to write (default: the object "
                                      "path with .h)"), cl::cat(translateOptions));
static cl::opt<std::string>
    modelName("model-name", cl::desc("Symbol prefix: tf_<name>_invoke"),
              cl::init("model"), cl::cat(translateOptions));
static cl::opt<bool> runCanonicalize(
    "canonicalize",
    cl::desc("Run canonicalization (fusing decomposed LayerNorm, GELU, "
             "SiLU, biases) after import"), cl::cat(translateOptions));

/// Writes `data` to `path` through a ToolOutputFile kept only on success.
static std::unique_ptr<ToolOutputFile> openOutput(StringRef path) {
  std::error_code ec;
  auto output = std::make_unique<ToolOutputFile>(path, ec, sys::fs::OF_None);
  if (ec) {
    errs() << "tf-translate: error: cannot write '" << path
           << "': " << ec.message() << "\n";
    return nullptr;
  }
  return output;
}

static int emitObjectMain() {
  if (!tinyformer::isSupportedCpu(cpu)) {
    errs() << "tf-translate: error: --cpu must be cortex-m4 or cortex-m7, got '"
           << cpu << "'\n";
    return 1;
  }
  if (outputFilename == "-") {
    errs() << "tf-translate: error: --emit-object needs -o <file.o>\n";
    return 1;
  }
  mlir::DialectRegistry registry;
  registry.insert<mlir::sparse_tiny::SparseTinyDialect, mlir::func::FuncDialect,
                  mlir::quant::QuantizationDialect, mlir::LLVM::LLVMDialect>();
  mlir::MLIRContext context(registry);
  tinyformer::NodeDiagnosticHandler diagnostics(&context, "tf-translate");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(inputFilename, &context);
  if (!module)
    return 1;
  if (!module->getOps<mlir::func::FuncOp>().empty()) {
    mlir::PassManager pm(&context);
    tinyformer::LowerToLLVMOptions lower;
    lower.modelName = modelName;
    pm.addPass(tinyformer::createLowerToLLVM(lower));
    if (failed(pm.run(*module)))
      return 1;
  }
  tinyformer::EmitOptions options;
  options.cpu = cpu;
  mlir::FailureOr<tinyformer::EmittedModel> emitted =
      tinyformer::emitObject(*module, options);
  if (failed(emitted))
    return 1;
  std::string header = headerFilename;
  if (header.empty())
    header = (StringRef(outputFilename).ends_with(".o")
                  ? StringRef(outputFilename).drop_back(2).str()
                  : outputFilename.getValue()) +
             ".h";
  auto obj = openOutput(outputFilename);
  auto hdr = obj ? openOutput(header) : nullptr;
  if (!obj || !hdr)
    return 1;
  obj->os() << emitted->object;
  hdr->os() << emitted->header;
  obj->keep();
  hdr->keep();
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(translateOptions);
  cl::ParseCommandLineOptions(argc, argv, "TinyFormer translation driver\n");
  if (importONNX == emitObjectFile) {
    errs() << "tf-translate: error: choose one translation (--import-onnx or "
              "--emit-object)\n";
    return 1;
  }
  if (emitObjectFile)
    return emitObjectMain();
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
