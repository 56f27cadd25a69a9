//===- Commands.h - the tinyformer subcommands ------------------*- C++ -*-===//
#ifndef TINYFORMER_TOOLS_TINYFORMER_COMMANDS_H
#define TINYFORMER_TOOLS_TINYFORMER_COMMANDS_H

#include "tinyformer/Reference/Interpreter.h"
#include "tinyformer/Support/Npy.h"

#include "mlir/Dialect/Quant/QuantTypes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"

#include <algorithm>
#include <cmath>

namespace tinyformer::cli {

extern llvm::cl::SubCommand compileCmd;
extern llvm::cl::SubCommand runCmd;
extern llvm::cl::SubCommand costCmd;
extern llvm::cl::SubCommand compareCmd;
extern llvm::cl::SubCommand evalCmd;

/// Imports (and canonicalizes) an ONNX model or parses a .mlir file.
mlir::OwningOpRef<mlir::ModuleOp> loadModel(llvm::StringRef path,
                                            mlir::MLIRContext &context);

/// "1x3x32x32" ("scalar" for rank 0), as every message of the tool writes it.
std::string shapeStr(llvm::ArrayRef<int64_t> shape);

/// The --cpu and --calib checks of compile and cost: false after an error.
bool checkCpuAndCalib(llvm::StringRef cpu, llvm::StringRef calib);

/// A layer's name in reports: its ONNX node's, else its op's.
std::string layerNameOf(mlir::Operation *op);

/// `tinyformer compile MODEL --calib data.npy --cpu cortex-m7 -o DIR`.
int compile(mlir::MLIRContext &context);

/// `tinyformer cost MODEL [--calib data.npy] [--cpu cortex-m7] [--json]`:
/// the cost model's estimates per layer, without generating code.
int cost(mlir::MLIRContext &context);

int compare(mlir::MLIRContext &context);

int eval(mlir::MLIRContext &context);

/// Draws the build's memory map and layer profile into `dir` (with a run
/// report: the measured profile); false after an error line.
bool writePlots(llvm::StringRef compileReport, llvm::StringRef runReport,
                llvm::StringRef dir);

/// A build's INT8 model (model.mlir) and the float model it came from, as
/// quantization saw it (imported at the build's input shape, canonicalized,
/// activations fused), for host runs of both (HostRuns.cpp).
struct BuildModels {
  mlir::OwningOpRef<mlir::ModuleOp> int8, fp;
  llvm::SmallVector<int64_t> inputShape;
  mlir::quant::UniformQuantizedType input;
};
mlir::FailureOr<BuildModels> loadBuildModels(mlir::MLIRContext &context,
                                             llvm::StringRef dir,
                                             llvm::StringRef floatModel);

/// The device's input quantization: x / scale rounded half to even (the
/// default rounding mode), plus the zero point, saturated to int8.
inline int8_t quantizeInput(float x, double scale, int64_t zeroPoint) {
  return int8_t(std::clamp(std::nearbyint(double(x) / scale) + double(zeroPoint),
                           -128.0, 127.0));
}

/// Reads inputs for a model input of `shape`: one sample or a batch [N, ...]
/// (`batched`), finite, not empty (a float64 file gets a note). One error
/// line and false otherwise.
bool readSampleBatch(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
                     NpyArray &npy, int64_t &samples, bool &batched);

/// The same, float inputs only.
bool readFloatBatch(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
                    NpyArray &npy, int64_t &samples);

/// Sample `sample` of `batch`: as float, and as the device quantizes it.
std::pair<HostArray, HostArray> sampleInputs(const BuildModels &m,
                                             const NpyArray &batch,
                                             int64_t sample);

/// `tinyformer run DIR --input x.npy --output y.npy [--board m7|m4] [--host]`
/// for a build directory.
int runBuild(mlir::MLIRContext &context, llvm::StringRef dir, bool host);

/// The .npy batch helpers shared by the host and emulator runs: samples of
/// `shape` from a float32 (quantized with scale/zp) or int8 file.
bool readInt8Batch(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
                   double scale, int64_t zeroPoint, std::vector<int8_t> &data,
                   int64_t &samples, bool &batched);

} // namespace tinyformer::cli

#endif // TINYFORMER_TOOLS_TINYFORMER_COMMANDS_H
