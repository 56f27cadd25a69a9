//===- tinyformer.cpp - the user CLI --------------------------------------===//
//
//   tinyformer inspect MODEL [--input-shape=1x3x32x32]
//   tinyformer compile MODEL [--calib data.npy] [--cpu cortex-m7] -o DIR
//   tinyformer run DIR --input x.npy --output y.npy [--board m7|m4]
//                  [--report r.json] [--host]
//   tinyformer run --host MODEL --input x.npy --output y.npy
//   tinyformer compare DIR model.onnx --input batch.npy [--json]
//   tinyformer eval DIR --data x.npy --labels y.npy [--board m7] [--json]
//
// MODEL is an .onnx file (imported and canonicalized) or sparse_tiny .mlir;
// DIR is a build directory written by `compile`.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "tinyformer/Analysis/LayerStats.h"
#include "tinyformer/Import/ONNXImporter.h"
#include "tinyformer/Reference/Interpreter.h"
#include "tinyformer/Support/Diagnostics.h"
#include "tinyformer/Support/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace llvm;

static cl::SubCommand inspectCmd("inspect",
                                 "Per-layer table of shapes, parameters, MACs");
namespace tinyformer::cli {
// The subcommands are defined here, before any option names them (the
// other files' options are constructed after this file's).
cl::SubCommand compileCmd("compile",
                          "Compile an ONNX model to an INT8 Cortex-M object");
cl::SubCommand costCmd("cost", "The cost model's estimates per layer "
                               "(instructions, flash, arena), without "
                               "generating code");
cl::SubCommand runCmd("run", "Run a build directory (on the emulator or the "
                             "host) or a model (host) on an input .npy");
cl::SubCommand evalCmd("eval", "Float and INT8 accuracy of a build on a "
                               "labelled batch (and the emulator on a sample)");
cl::SubCommand compareCmd("compare",
                          "Quantization report: each INT8 layer of a build "
                          "against the float model (SQNR, cosine, max error)");
} // namespace tinyformer::cli
using tinyformer::cli::compileCmd;
using tinyformer::cli::runCmd;

static cl::opt<std::string> inspectModel(cl::Positional, cl::Required,
                                         cl::desc("<model.onnx|model.mlir>"),
                                         cl::sub(inspectCmd));
static cl::opt<std::string> runModel(cl::Positional, cl::Required,
                                     cl::desc("<build_dir|model.onnx|model.mlir>"),
                                     cl::sub(runCmd));
static cl::opt<std::string>
    inputShape("input-shape",
               cl::desc("Static shapes of the graph inputs, e.g. 1x3x32x32"),
               cl::sub(inspectCmd), cl::sub(runCmd), cl::sub(compileCmd),
               cl::sub(tinyformer::cli::costCmd));
static cl::opt<bool> host("host",
                          cl::desc("Run the host reference interpreter"),
                          cl::sub(runCmd));
namespace tinyformer::cli {
cl::list<std::string> inputFiles("input",
                                        cl::desc("Input .npy (one per graph "
                                                 "input, in order)"),
                                        cl::sub(runCmd));
cl::list<std::string> outputFiles("output",
                                  cl::desc("Output .npy (one per graph "
                                           "output, in order)"),
                                  cl::sub(runCmd));
} // namespace tinyformer::cli
using tinyformer::cli::inputFiles;
using tinyformer::cli::outputFiles;

std::string tinyformer::cli::shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s.empty() ? "scalar" : s;
}

mlir::OwningOpRef<mlir::ModuleOp>
tinyformer::cli::loadModel(StringRef path, mlir::MLIRContext &context) {
  context.loadDialect<mlir::sparse_tiny::SparseTinyDialect,
                      mlir::func::FuncDialect,
                      mlir::quant::QuantizationDialect>();
  if (path.ends_with(".mlir")) {
    llvm::SourceMgr sourceMgr;
    auto file = MemoryBuffer::getFile(path);
    if (!file) {
      errs() << "tinyformer: error: cannot read '" << path
             << "': " << file.getError().message() << "\n";
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(*file), SMLoc());
    return mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  }
  tinyformer::ONNXImportOptions options;
  if (!inputShape.empty() &&
      !tinyformer::parseShapeList(inputShape, options.inputShapes)) {
    errs() << "tinyformer: error: --input-shape '" << inputShape
           << "' is not like 1x3x32x32\n";
    return nullptr;
  }
  auto file = MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!file) {
    errs() << "tinyformer: error: cannot read '" << path
           << "': " << file.getError().message() << "\n";
    return nullptr;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module = tinyformer::importONNXModel(
      (*file)->getBuffer(), path, &context, options);
  if (!module)
    return nullptr;
  // Fusion (LayerNorm, GELU, biases, BatchNorm) is what users inspect and
  // what later phases compile.
  mlir::PassManager pm(&context);
  pm.addPass(mlir::createCanonicalizerPass());
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}

namespace {
using tinyformer::cli::loadModel;
using tinyformer::cli::shapeStr;

mlir::func::FuncOp entryFunction(mlir::ModuleOp module) {
  auto funcs = module.getOps<mlir::func::FuncOp>();
  if (funcs.empty()) {
    errs() << "tinyformer: error: the model has no function\n";
    return nullptr;
  }
  return *funcs.begin();
}

int inspect(mlir::MLIRContext &context) {
  mlir::OwningOpRef<mlir::ModuleOp> module = loadModel(inspectModel, context);
  if (!module)
    return 1;
  mlir::func::FuncOp func = entryFunction(*module);
  if (!func)
    return 1;
  tinyformer::ModelStats stats = tinyformer::collectModelStats(func);
  outs() << "model: " << sys::path::filename(inspectModel.getValue()) << "\n";
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    outs() << "input " << i << ": "
           << shapeStr(cast<mlir::ShapedType>(type).getShape()) << "\n";
  outs() << "#    layer                        op                output           "
            "    params         MACs    act bytes\n";
  for (auto [i, l] : llvm::enumerate(stats.layers)) {
    std::string name = l.name.size() > 28 ? "..." + l.name.substr(l.name.size() - 25)
                                          : l.name;
    outs() << format("%-4zu %-28s %-17s %-16s %10lld %12lld %12lld\n", i,
                     name.c_str(), l.op.c_str(),
                     shapeStr(l.outputShape).c_str(),
                     (long long)(l.weights + l.biases), (long long)l.macs,
                     (long long)l.outputBytes);
  }
  outs() << "totals:\n"
         << format("  layers                %lld\n",
                   (long long)stats.layers.size())
         << format("  params                %lld\n", (long long)stats.params)
         << format("  MACs                  %lld\n", (long long)stats.macs)
         << format("  weight bytes (float)  %lld\n",
                   (long long)stats.floatWeightBytes)
         << format("  weight bytes (int8)   %lld  (int8 weights, int32 "
                   "biases)\n",
                   (long long)stats.int8WeightBytes)
         << format("  largest activation    %lld bytes (%s)\n",
                   (long long)stats.largestActivationBytes,
                   stats.largestActivationLayer.c_str());
  return 0;
}

int run(mlir::MLIRContext &context) {
  if (!sys::fs::exists(runModel)) {
    errs() << "tinyformer: error: '" << runModel << "' does not exist\n";
    return 1;
  }
  if (sys::fs::is_directory(runModel))
    return tinyformer::cli::runBuild(context, runModel, host);
  if (!host) {
    errs() << "tinyformer: error: '" << runModel
           << "' is a model, not a build directory: run it with --host, or "
              "`tinyformer compile` it first to run it on the emulator\n";
    return 1;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module = loadModel(runModel, context);
  if (!module)
    return 1;
  mlir::func::FuncOp func = entryFunction(*module);
  if (!func)
    return 1;
  if (inputFiles.size() != func.getNumArguments() ||
      outputFiles.size() != func.getNumResults()) {
    errs() << "tinyformer: error: the model has " << func.getNumArguments()
           << " input(s) and " << func.getNumResults()
           << " output(s); give as many --input and --output files (got "
           << inputFiles.size() << " and " << outputFiles.size() << ")\n";
    return 1;
  }
  std::vector<tinyformer::HostArray> inputs;
  for (auto [i, path] : llvm::enumerate(inputFiles)) {
    tinyformer::NpyArray npy;
    std::string error;
    if (!tinyformer::readNpy(path, npy, error)) {
      errs() << "tinyformer: error: " << error << "\n";
      return 1;
    }
    auto type = cast<mlir::ShapedType>(func.getArgument(i).getType());
    if (npy.dtype != "<f4" && npy.dtype != "<f8") {
      errs() << "tinyformer: error: '" << path << "' has dtype '" << npy.dtype
             << "'; input " << i << " needs float32 ('<f4')\n";
      return 1;
    }
    if (npy.dtype == "<f8")
      errs() << "tinyformer: note: '" << path
             << "' is float64; its values are converted to float32\n";
    if (!tinyformer::checkFinite(npy, type.getNumElements(), "'" + path + "'", error)) {
      errs() << "tinyformer: error: " << error << "\n";
      return 1;
    }
    if (ArrayRef<int64_t>(npy.shape) != type.getShape()) {
      errs() << "tinyformer: error: '" << path << "' has shape "
             << shapeStr(npy.shape) << "; input " << i << " needs "
             << shapeStr(type.getShape()) << "\n";
      return 1;
    }
    inputs.push_back({npy.shape, std::move(npy.values)});
  }
  mlir::FailureOr<std::vector<tinyformer::HostArray>> outputs =
      tinyformer::runReference(*module, inputs, func.getName());
  if (failed(outputs))
    return 1;
  for (auto [path, out] : llvm::zip(outputFiles, *outputs)) {
    std::string error;
    if (!tinyformer::writeNpy(path, out.shape, out.data, error)) {
      errs() << "tinyformer: error: " << error << "\n";
      return 1;
    }
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // --help shows the subcommands and their options, not the hundreds of
  // LLVM's that the libraries register at the top level.
  for (auto &[name, option] : cl::getRegisteredOptions(cl::SubCommand::getTopLevel()))
    if (!StringRef(name).starts_with("help") && name != "version")
      option->setHiddenFlag(cl::ReallyHidden);
  cl::ParseCommandLineOptions(argc, argv,
                              "TinyFormer: compile ONNX models for Cortex-M\n");
  mlir::MLIRContext context;
  tinyformer::NodeDiagnosticHandler diagnostics(&context, "tinyformer");
  if (inspectCmd)
    return inspect(context);
  if (runCmd)
    return run(context);
  if (compileCmd)
    return tinyformer::cli::compile(context);
  if (tinyformer::cli::costCmd)
    return tinyformer::cli::cost(context);
  if (tinyformer::cli::compareCmd)
    return tinyformer::cli::compare(context);
  if (tinyformer::cli::evalCmd)
    return tinyformer::cli::eval(context);
  errs() << "tinyformer: error: choose a command: inspect, compile, cost, run, "
            "compare, eval "
            "(see --help)\n";
  return 1;
}
