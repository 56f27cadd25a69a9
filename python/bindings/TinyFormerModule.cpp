//===- TinyFormerModule.cpp - the compiler's host side for Python ---------===//
//
// `tinyformer._tinyformer` (pybind11): a model's per-layer table and the
// host reference interpreter, numpy in and out, in process. A float model
// (.onnx, imported and canonicalized like `tinyformer run --host`) runs in
// float; a build's model.mlir runs with the integer arithmetic of the
// device kernels. python/tinyformer/api.py builds compile() / run() /
// inspect() on it and on the tinyformer binary.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Analysis/LayerStats.h"
#include "tinyformer/CostApi/CostApi.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Import/ONNXImporter.h"
#include "tinyformer/Reference/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace {

/// One context per call, its diagnostics collected for the exception.
struct Session {
  mlir::MLIRContext context;
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler{&context, [this](mlir::Diagnostic &d) {
                                          llvm::raw_string_ostream os(diagnostics);
                                          os << d.getLocation() << ": " << d.str() << "\n";
                                          return mlir::success();
                                        }};

  Session() {
    context.loadDialect<mlir::sparse_tiny::SparseTinyDialect,
                        mlir::func::FuncDialect,
                        mlir::quant::QuantizationDialect>();
  }

  [[noreturn]] void fail(const std::string &what) {
    throw std::runtime_error(what + (diagnostics.empty() ? "" : ":\n" + diagnostics));
  }

  /// An .onnx model (imported at `inputShape` if given, canonicalized) or
  /// sparse_tiny .mlir (a build's model.mlir).
  mlir::OwningOpRef<mlir::ModuleOp>
  load(const std::string &path, const std::vector<int64_t> &inputShape) {
    auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
    if (!file)
      fail("cannot read '" + path + "': " + file.getError().message());
    mlir::OwningOpRef<mlir::ModuleOp> module;
    if (llvm::StringRef(path).ends_with(".mlir")) {
      llvm::SourceMgr sources;
      sources.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
      module = mlir::parseSourceFile<mlir::ModuleOp>(sources, &context);
    } else {
      tinyformer::ONNXImportOptions options;
      if (!inputShape.empty())
        options.inputShapes.emplace_back(inputShape.begin(), inputShape.end());
      module = tinyformer::importONNXModel((*file)->getBuffer(), path, &context,
                                           options);
      if (module) {
        mlir::PassManager pm(&context);
        pm.addPass(mlir::createCanonicalizerPass());
        if (failed(pm.run(*module)))
          module = nullptr;
      }
    }
    if (!module)
      fail("cannot load '" + path + "'");
    return module;
  }
};

mlir::func::FuncOp onlyFunction(Session &s, mlir::ModuleOp module) {
  auto funcs = module.getOps<mlir::func::FuncOp>();
  if (funcs.empty())
    s.fail("the model has no function");
  return *funcs.begin();
}

py::dict inspect(const std::string &path, const std::vector<int64_t> &inputShape) {
  Session s;
  mlir::OwningOpRef<mlir::ModuleOp> module = s.load(path, inputShape);
  mlir::func::FuncOp func = onlyFunction(s, *module);
  tinyformer::ModelStats stats = tinyformer::collectModelStats(func);
  py::list inputs, layers;
  for (mlir::Type t : func.getArgumentTypes()) {
    llvm::ArrayRef<int64_t> shape = mlir::cast<mlir::ShapedType>(t).getShape();
    inputs.append(py::tuple(py::cast(std::vector<int64_t>(shape.begin(), shape.end()))));
  }
  for (const tinyformer::LayerStats &l : stats.layers) {
    py::dict d;
    d["name"] = l.name;
    d["op"] = l.op;
    d["output_shape"] = py::tuple(py::cast(std::vector<int64_t>(
        l.outputShape.begin(), l.outputShape.end())));
    d["params"] = l.weights + l.biases;
    d["macs"] = l.macs;
    d["output_bytes"] = l.outputBytes;
    layers.append(d);
  }
  py::dict out;
  out["inputs"] = inputs;
  out["layers"] = layers;
  out["params"] = stats.params;
  out["macs"] = stats.macs;
  out["int8_weight_bytes"] = stats.int8WeightBytes;
  out["largest_activation_bytes"] = stats.largestActivationBytes;
  return out;
}

using FloatArray =
    py::array_t<float, py::array::c_style | py::array::forcecast>;

/// The model on each sample of `samples` (per sample, one array per graph
/// input: float32 values, or the integers themselves for an INT8 model),
/// loaded once; per sample its outputs as float32 arrays.
std::vector<std::vector<py::array_t<float>>>
runReference(const std::string &path,
             const std::vector<std::vector<FloatArray>> &samples) {
  Session s;
  mlir::OwningOpRef<mlir::ModuleOp> module = s.load(path, {});
  mlir::func::FuncOp func = onlyFunction(s, *module);
  std::vector<std::vector<py::array_t<float>>> results;
  for (const std::vector<FloatArray> &inputs : samples) {
    if (inputs.size() != func.getNumArguments())
      s.fail("the model has " + std::to_string(func.getNumArguments()) +
             " input(s), got " + std::to_string(inputs.size()));
    std::vector<tinyformer::HostArray> hostInputs;
    for (auto [i, array] : llvm::enumerate(inputs)) {
      auto type = mlir::cast<mlir::ShapedType>(func.getArgument(i).getType());
      std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
      if (llvm::ArrayRef<int64_t>(shape) != type.getShape())
        s.fail("input " + std::to_string(i) + " has the wrong shape for the model");
      for (ssize_t k = 0; k < array.size(); ++k)
        if (!std::isfinite(array.data()[k]))
          s.fail("input " + std::to_string(i) + " holds NaN or Inf");
      tinyformer::HostArray h;
      h.shape.assign(shape.begin(), shape.end());
      h.data.assign(array.data(), array.data() + array.size());
      hostInputs.push_back(std::move(h));
    }
    mlir::FailureOr<std::vector<tinyformer::HostArray>> outs =
        tinyformer::runReference(*module, hostInputs);
    if (failed(outs))
      s.fail("the reference interpreter failed");
    std::vector<py::array_t<float>> result;
    for (const tinyformer::HostArray &o : *outs) {
      py::array_t<float> a(std::vector<ssize_t>(o.shape.begin(), o.shape.end()));
      std::copy(o.data.begin(), o.data.end(), a.mutable_data());
      result.push_back(std::move(a));
    }
    results.push_back(std::move(result));
  }
  return results;
}

/// A layer from a dict of CostApi.h's Layer fields (snake case); an unknown
/// key is an error, not a silent default.
tinyformer::cost::Layer layerFrom(const py::handle &item, size_t index) {
  tinyformer::cost::Layer l;
  for (auto [keyHandle, value] : py::cast<py::dict>(item)) {
    std::string key = py::cast<std::string>(keyHandle);
    if (key == "op")
      l.op = py::cast<std::string>(value);
    else if (key == "channels")
      l.channels = py::cast<int64_t>(value);
    else if (key == "kernel")
      l.kernel = py::cast<int64_t>(value);
    else if (key == "stride")
      l.stride = py::cast<int64_t>(value);
    else if (key == "padding")
      l.padding = py::cast<int64_t>(value);
    else if (key == "heads")
      l.heads = py::cast<int64_t>(value);
    else if (key == "activation")
      l.activation = py::cast<std::string>(value);
    else if (key == "residual_from")
      l.residualFrom = py::cast<int>(value);
    else if (key == "sparsity")
      l.sparsity = py::cast<double>(value);
    else if (key == "pattern")
      l.pattern = py::cast<std::string>(value);
    else
      throw py::value_error("layer " + std::to_string(index) + ": unknown key '" + key +
                            "' (op, channels, kernel, stride, padding, heads, "
                            "activation, residual_from, sparsity, pattern)");
  }
  return l;
}

py::dict estimateDict(const tinyformer::cost::Estimate &e, bool perLayer) {
  py::dict out;
  out["estimated_instructions"] = e.instructions;
  out["weight_bytes"] = e.weightBytes;
  out["arena_bytes"] = e.arenaBytes;
  out["arena_lower_bound"] = e.arenaLowerBound;
  out["macs"] = e.macs;
  if (perLayer) {
    py::list layers;
    for (const tinyformer::cost::LayerEstimate &l : e.layers) {
      py::dict d;
      d["kernel"] = l.kernel;
      d["storage"] = l.storage;
      d["estimated_instructions"] = l.instructions;
      d["weight_bytes"] = l.weightBytes;
      d["scratch_bytes"] = l.scratchBytes;
      d["macs"] = l.macs;
      layers.append(d);
    }
    out["layers"] = layers;
  }
  return out;
}

} // namespace

PYBIND11_MODULE(_tinyformer, m) {
  m.doc() = "TinyFormer's host side: model tables and the reference interpreter";
  m.def("inspect", &inspect, py::arg("path"),
        py::arg("input_shape") = std::vector<int64_t>{},
        "Per-layer table of an .onnx or .mlir model: name, op, output shape, "
        "params, MACs, output bytes; totals.");
  m.def("run_reference", &runReference, py::arg("path"), py::arg("samples"),
        "Runs an .onnx model in float, or a build's model.mlir in INT8 (the "
        "device's integer arithmetic), on numpy inputs: per sample a list "
        "of arrays, one per graph input; the model is loaded once.");

  using tinyformer::cost::CostModel;
  py::class_<CostModel>(m, "CostModel",
                        "The compiler's cost model for candidate models (a list "
                        "of layer dicts), each distinct layer compiled once")
      .def(py::init([](const std::string &cpu, int64_t flash, const std::string &sparse,
                       int64_t sram) {
             tinyformer::cost::Options o;
             o.cpu = cpu;
             o.flashBudget = flash;
             o.sparse = sparse;
             o.sramBudget = sram;
             return std::make_unique<CostModel>(o);
           }),
           py::arg("cpu") = "cortex-m7", py::arg("flash") = 1024 * 1024,
           py::arg("sparse") = "auto", py::arg("sram") = 0)
      .def(
          "estimate",
          [](CostModel &model, const std::vector<int64_t> &inputShape,
             const py::list &layers, bool perLayer) {
            std::vector<tinyformer::cost::Layer> list;
            list.reserve(layers.size());
            for (size_t i = 0; i < layers.size(); ++i)
              list.push_back(layerFrom(layers[i], i));
            absl::StatusOr<tinyformer::cost::Estimate> e =
                model.estimate(inputShape, list);
            if (!e.ok())
              throw py::value_error(std::string(e.status().message()));
            return estimateDict(*e, perLayer);
          },
          py::arg("input_shape"), py::arg("layers"), py::arg("per_layer") = true,
          "Estimated instructions, weight bytes, the planner's arena and "
          "MACs of the candidate (per kernel call too with per_layer); "
          "ValueError names a layer that cannot be compiled")
      .def_property_readonly("memoised_layers", &CostModel::memoisedLayers);
  m.def(
      "synthetic_weight",
      [](const std::vector<int64_t> &shape, double sparsity, const std::string &pattern,
         uint64_t seed) {
        absl::StatusOr<std::vector<float>> w =
            tinyformer::cost::syntheticWeight(shape, sparsity, pattern, seed);
        if (!w.ok())
          throw py::value_error(std::string(w.status().message()));
        py::array_t<float> a(shape);
        std::copy(w->begin(), w->end(), a.mutable_data());
        return a;
      },
      py::arg("shape"), py::arg("sparsity"), py::arg("pattern"), py::arg("seed"),
      "The weight CostModel compiles for a layer: seed 0 for a conv / linear "
      "weight, 1-4 for an mhsa's Q, K, V, output projections");
}
