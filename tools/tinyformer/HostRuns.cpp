//===- HostRuns.cpp - a build's float and INT8 models on the host ---------===//
//
// What `compare` and `eval` share: the float model as quantization saw it,
// float input batches checked against the build's input, and the device's
// input quantization.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "tinyformer/Import/ONNXImporter.h"
#include "tinyformer/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace llvm;

namespace tinyformer::cli {

static void fail(const Twine &message) {
  errs() << "tinyformer: error: " << message << "\n";
}

FailureOr<BuildModels> loadBuildModels(mlir::MLIRContext &context,
                                       StringRef dir, StringRef floatPath) {
  SmallString<128> mlirPath(dir);
  sys::path::append(mlirPath, "model.mlir");
  if (!sys::fs::is_directory(dir) || !sys::fs::exists(mlirPath)) {
    fail("'" + dir + "' is not a build directory (no model.mlir): run "
         "`tinyformer compile` first");
    return failure();
  }
  BuildModels m;
  m.int8 = loadModel(mlirPath, context);
  if (!m.int8)
    return failure();
  auto funcs = m.int8->getOps<mlir::func::FuncOp>();
  if (funcs.empty() || std::next(funcs.begin()) != funcs.end() ||
      (*funcs.begin()).getNumArguments() != 1) {
    fail("'" + mlirPath + "' must have one function of one input");
    return failure();
  }
  auto inType = cast<mlir::ShapedType>((*funcs.begin()).getArgument(0).getType());
  m.input = dyn_cast<mlir::quant::UniformQuantizedType>(inType.getElementType());
  if (!m.input) {
    fail("'" + mlirPath + "' is not an INT8 model (its input is not quantized)");
    return failure();
  }
  m.inputShape.assign(inType.getShape().begin(), inType.getShape().end());

  // The float graph quantization saw: imported at the build's input shape,
  // canonicalized, activations fused into their producers.
  ONNXImportOptions options;
  options.inputShapes.push_back(m.inputShape);
  auto file = MemoryBuffer::getFile(floatPath, /*IsText=*/false);
  if (!file) {
    fail("cannot read '" + floatPath + "': " + file.getError().message());
    return failure();
  }
  m.fp = importONNXModel((*file)->getBuffer(), floatPath, &context, options);
  if (!m.fp)
    return failure();
  mlir::PassManager pm(&context);
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(createFuseActivations());
  if (failed(pm.run(*m.fp)))
    return failure();
  return m;
}

bool readSampleBatch(StringRef path, ArrayRef<int64_t> shape, NpyArray &npy,
                     int64_t &samples, bool &batched) {
  std::string error;
  if (!readNpy(path, npy, error)) {
    fail(error);
    return false;
  }
  ArrayRef<int64_t> got(npy.shape);
  bool single = got == shape;
  if (!single && (got.empty() || (got.drop_front() != shape &&
                                  got.drop_front() != shape.drop_front()))) {
    fail("'" + path + "' has shape " + shapeStr(got) + "; the model input is " +
         shapeStr(shape) + " (or a batch [N, ...] of it)");
    return false;
  }
  samples = single ? 1 : got.front();
  batched = !single;
  int64_t sampleSize = 1;
  for (int64_t d : shape)
    sampleSize *= d;
  // The same checks for the host and the emulator, before either runs.
  if (samples == 0) {
    fail("'" + path + "' has no samples (shape " + shapeStr(got) + ")");
    return false;
  }
  if (!checkFinite(npy, sampleSize, "'" + path.str() + "'", error)) {
    fail(error);
    return false;
  }
  if (npy.dtype == "<f8")
    errs() << "tinyformer: note: '" << path
           << "' is float64; its values are converted to float32\n";
  return true;
}

bool readFloatBatch(StringRef path, ArrayRef<int64_t> shape, NpyArray &npy,
                    int64_t &samples) {
  bool batched = false;
  if (!readSampleBatch(path, shape, npy, samples, batched))
    return false;
  if (npy.dtype != "<f4" && npy.dtype != "<f8") {
    fail("'" + path + "' has dtype '" + npy.dtype +
         "': give float inputs (float32)");
    return false;
  }
  return true;
}

std::pair<HostArray, HostArray> sampleInputs(const BuildModels &m,
                                             const NpyArray &batch,
                                             int64_t sample) {
  int64_t size = 1;
  for (int64_t d : m.inputShape)
    size *= d;
  HostArray fin{m.inputShape, {}}, qin{m.inputShape, {}};
  fin.data.assign(batch.values.begin() + sample * size,
                  batch.values.begin() + (sample + 1) * size);
  for (float x : fin.data)
    qin.data.push_back(
        quantizeInput(x, m.input.getScale(), m.input.getZeroPoint()));
  return {std::move(fin), std::move(qin)};
}

} // namespace tinyformer::cli
