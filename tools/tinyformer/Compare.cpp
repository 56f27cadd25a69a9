//===- Compare.cpp - `tinyformer compare`: the quantization report ---------===//
//
//   tinyformer compare BUILD_DIR MODEL.onnx --input batch.npy [--json]
//
// Runs the float model (imported, canonicalized, activations fused: the
// graph quantization saw) and the build's INT8 model (model.mlir, on the
// host reference, bit-exact with the device) on the same inputs and
// compares every INT8 layer's dequantized result with the float value the
// same ONNX node computes (ops are matched by their location, which
// model.mlir keeps): SQNR, cosine and the largest error in output steps
// (units of the layer's output scale), worst layers first. The errors
// accumulate: a layer's figure includes what earlier layers lost.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "tinyformer/Kernels/KernelRegistry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace llvm;

namespace tinyformer::cli {
namespace {

cl::opt<std::string> buildDir(cl::Positional, cl::Required,
                              cl::desc("<build_dir>"), cl::sub(compareCmd));
cl::opt<std::string> floatModel(cl::Positional, cl::Required,
                                cl::desc("<model.onnx>"), cl::sub(compareCmd));
cl::opt<std::string> batchFile("input", cl::Required,
                               cl::desc("Float inputs (.npy): one sample or "
                                        "a batch [N, ...] of them"),
                               cl::sub(compareCmd));
cl::opt<bool> asJson("json", cl::desc("Print the report as JSON"),
                     cl::sub(compareCmd));

/// Float vs dequantized INT8 over all samples of one layer.
struct LayerError {
  std::string name, op, kernel;
  double scale = 1;
  double signal = 0, noise = 0, dot = 0, quantEnergy = 0, maxSteps = 0;
  int64_t elements = 0;

  void add(const HostArray &ref, const HostArray &q, double s, int64_t zp) {
    for (size_t i = 0; i < ref.data.size(); ++i) {
      double f = ref.data[i], d = (double(q.data[i]) - zp) * s;
      signal += f * f;
      noise += (f - d) * (f - d);
      dot += f * d;
      quantEnergy += d * d;
      maxSteps = std::max(maxSteps, std::abs(f - d) / s);
    }
    elements += int64_t(ref.data.size());
  }
  /// Signal-to-quantization-noise ratio in dB; +inf when exact.
  double sqnr() const {
    if (noise == 0)
      return INFINITY;
    return signal == 0 ? -INFINITY : 10 * std::log10(signal / noise);
  }
  double cosine() const {
    if (signal == 0 || quantEnergy == 0)
      return signal == quantEnergy ? 1 : 0;
    return dot / std::sqrt(signal * quantEnergy);
  }
};

} // namespace

int compare(mlir::MLIRContext &context) {
  FailureOr<BuildModels> models = loadBuildModels(context, buildDir, floatModel);
  if (failed(models))
    return 1;
  mlir::func::FuncOp int8Func = *models->int8->getOps<mlir::func::FuncOp>().begin();
  mlir::func::FuncOp fpFunc = *models->fp->getOps<mlir::func::FuncOp>().begin();
  NpyArray npy;
  int64_t samples = 0;
  if (!readFloatBatch(batchFile, models->inputShape, npy, samples))
    return 1;

  // The INT8 layers to compare, in program order, by location.
  std::vector<LayerError> layers;
  DenseMap<mlir::Value, size_t> layerOf;
  DenseMap<mlir::Location, mlir::Value> int8ByLoc;
  int64_t unmatched = 0;
  int8Func.walk([&](mlir::Operation *op) {
    KernelAttr kernel = chosenKernel(op);
    if (!kernel || kernel.getKind() == KernelKind::alias ||
        op->getNumResults() != 1)
      return;
    auto q = dyn_cast<mlir::quant::UniformQuantizedType>(
        mlir::getElementTypeOrSelf(op->getResult(0)));
    if (!q)
      return;
    LayerError l;
    l.name = layerNameOf(op);
    l.op = op->getName().stripDialect().str();
    l.kernel = mlir::sparse_tiny::stringifyKernelKind(kernel.getKind()).str();
    l.scale = q.getScale();
    layerOf[op->getResult(0)] = layers.size();
    int8ByLoc[op->getLoc()] = op->getResult(0);
    layers.push_back(std::move(l));
  });
  // Each layer's float counterpart: the float op at the same location with
  // the same shape (ambiguous locations are left out; constants, such as a
  // folded BatchNorm's, keep their node's location and do not count).
  DenseMap<mlir::Value, mlir::Value> floatOf;
  DenseMap<mlir::Location, int> floatCount;
  auto computes = [](mlir::Operation *op) {
    return op->getNumResults() == 1 && op->getNumOperands() > 0;
  };
  fpFunc.walk([&](mlir::Operation *op) {
    if (computes(op))
      ++floatCount[op->getLoc()];
  });
  // Shapes that differ only in size-1 dims ([S, E] and [1, S, E]) hold the
  // same elements in the same order.
  auto realDims = [](mlir::Value v) {
    SmallVector<int64_t> dims;
    for (int64_t d : cast<mlir::ShapedType>(v.getType()).getShape())
      if (d != 1)
        dims.push_back(d);
    return dims;
  };
  fpFunc.walk([&](mlir::Operation *op) {
    auto it = int8ByLoc.find(op->getLoc());
    if (!computes(op) || it == int8ByLoc.end() ||
        floatCount[op->getLoc()] != 1 ||
        realDims(op->getResult(0)) != realDims(it->second))
      return;
    floatOf[it->second] = op->getResult(0);
  });
  DenseMap<mlir::Value, mlir::Value> int8Of;
  for (auto [q, f] : floatOf)
    int8Of[f] = q;
  unmatched = int64_t(layers.size()) - int64_t(floatOf.size());

  for (int64_t s = 0; s < samples; ++s) {
    auto [fin, qin] = sampleInputs(*models, npy, s);
    DenseMap<mlir::Value, HostArray> floats;
    if (failed(runReference(*models->fp, {fin}, "", [&](mlir::Value v, const HostArray &a) {
          if (int8Of.count(v))
            floats[int8Of[v]] = a;
        })))
      return 1;
    if (failed(runReference(*models->int8, {qin}, "", [&](mlir::Value v, const HostArray &a) {
          auto it = floats.find(v);
          if (it == floats.end())
            return;
          auto q = cast<mlir::quant::UniformQuantizedType>(
              mlir::getElementTypeOrSelf(v));
          layers[layerOf[v]].add(it->second, a, q.getScale(), q.getZeroPoint());
        })))
      return 1;
  }

  std::vector<const LayerError *> ranked;
  for (const LayerError &l : layers)
    if (l.elements)
      ranked.push_back(&l);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const LayerError *a, const LayerError *b) {
                     return a->sqnr() < b->sqnr();
                   });
  if (asJson) {
    json::Array rows;
    for (const LayerError *l : ranked) {
      double sqnr = l->sqnr();
      rows.push_back(json::Object{
          {"name", l->name},
          {"op", l->op},
          {"kernel", l->kernel},
          {"sqnr_db", std::isfinite(sqnr) ? json::Value(sqnr) : json::Value(nullptr)},
          {"exact", l->noise == 0},
          {"cosine", l->cosine()},
          {"max_error_steps", l->maxSteps},
          {"output_scale", l->scale}});
    }
    json::Object report{{"build", buildDir.getValue()},
                        {"model", sys::path::filename(floatModel).str()},
                        {"samples", samples},
                        {"layers_without_float_counterpart", unmatched},
                        {"layers", std::move(rows)}};
    outs() << formatv("{0:2}", json::Value(std::move(report))) << "\n";
    return 0;
  }
  outs() << "INT8 (host reference) vs float, " << samples
         << " sample(s), worst layers first; errors accumulate from the "
            "input\n";
  outs() << formatv("{0,-32} {1,-18} {2,-15} {3,9} {4,9} {5,10}\n", "layer",
                    "op", "kernel", "SQNR dB", "cosine", "max err");
  for (const LayerError *l : ranked) {
    std::string name = l->name.size() > 32
                           ? "..." + l->name.substr(l->name.size() - 29)
                           : l->name;
    double sqnr = l->sqnr();
    outs() << format("%-32s %-18s %-15s %9s %9.5f %6.1f steps\n", name.c_str(),
                     l->op.c_str(), l->kernel.c_str(),
                     std::isfinite(sqnr) ? formatv("{0:f1}", sqnr).str().c_str()
                                         : "exact",
                     l->cosine(), l->maxSteps);
  }
  if (unmatched) {
    outs() << "not shown (no float value of the same node and shape: "
              "rewritten during quantization):";
    for (const LayerError &l : layers)
      if (!l.elements)
        outs() << " " << l.name;
    outs() << "\n";
  }
  return 0;
}

} // namespace tinyformer::cli
