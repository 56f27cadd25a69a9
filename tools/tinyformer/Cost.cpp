//===- Cost.cpp - tinyformer cost: the cost model's answer for a model ----===//
//
// `tinyformer cost model.onnx [--calib data.npy] [--cpu cortex-m7] [--json]`
// runs the compile pipeline up to memory planning (quantization, kernel
// selection by the cost model, the arena) and prints, per layer, the kernel
// chosen and its estimated instructions and flash, with the model's totals
// and its planned arena. No code is generated: it answers in the time the
// planning takes.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "tinyformer/CostModel/CostModel.h"
#include "tinyformer/Kernels/KernelRegistry.h"
#include "tinyformer/Transforms/Passes.h"
#include "tinyformer/Transforms/Pipeline.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using mlir::sparse_tiny::KernelAttr;
using mlir::sparse_tiny::KernelKind;

namespace tinyformer::cli {

static cl::opt<std::string> costModel(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx|model.mlir>"),
                                      cl::sub(costCmd));
static cl::opt<std::string>
    costCalib("calib", cl::desc("Calibration batch (.npy; float models)"),
              cl::sub(costCmd));
static cl::opt<std::string>
    costCpu("cpu", cl::desc("cortex-m4 | cortex-m7 (default cortex-m7)"),
            cl::init("cortex-m7"), cl::sub(costCmd));
static cl::opt<int64_t>
    costFlash("flash", cl::desc("Flash budget for kernel selection (default 1048576)"),
              cl::init(1024 * 1024), cl::sub(costCmd));
static cl::opt<bool> costJson("json", cl::desc("Print the figures as JSON"),
                              cl::sub(costCmd));

int cost(mlir::MLIRContext &context) {
  if (!checkCpuAndCalib(costCpu, costCalib))
    return 1;
  mlir::OwningOpRef<mlir::ModuleOp> module = loadModel(costModel, context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  CompileOptions options;
  options.calibration = costCalib;
  options.flashBudget = costFlash;
  options.cpu = costCpu;
  addQuantizePipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;

  json::Array layers;
  int64_t instructions = 0, flash = 0, macs = 0;
  mlir::sparse_tiny::TargetCpu target = targetCpuOf(*module);
  std::string table;
  raw_string_ostream os(table);
  os << formatv("  {0,-36} {1,-16} {2,12} {3,10} {4,10}\n", "layer", "kernel",
                "instructions", "flash", "MACs");
  (*module)->walk([&](mlir::Operation *op) {
    KernelAttr kernel = chosenKernel(op);
    if (!kernel || kernel.getKind() == KernelKind::alias)
      return;
    LayerCost c = estimateCost(op, kernelInfo(kernel.getKind()),
                               kernel.getStorage(), target);
    std::string name = layerNameOf(op);
    std::string kind = mlir::sparse_tiny::stringifyKernelKind(kernel.getKind()).str();
    instructions += c.instructions;
    flash += c.flashBytes;
    macs += c.macs;
    os << formatv("  {0,-36} {1,-16} {2,12} {3,10} {4,10}\n", name, kind,
                  c.instructions, c.flashBytes, c.macs);
    layers.push_back(json::Object{{"name", name},
                                  {"op", op->getName().stripDialect().str()},
                                  {"kernel", kind},
                                  {"estimated_instructions", c.instructions},
                                  {"weight_bytes", c.flashBytes},
                                  {"scratch_bytes", c.scratchBytes},
                                  {"macs", c.macs}});
  });
  int64_t arena =
      (*module)->getAttrOfType<mlir::IntegerAttr>(attr::kArenaSize).getInt();
  int64_t bound =
      (*module)->getAttrOfType<mlir::IntegerAttr>(attr::kArenaLowerBound).getInt();
  if (costJson) {
    json::Object out{{"model", costModel.getValue()},
                     {"cpu", costCpu.getValue()},
                     {"estimated_instructions", instructions},
                     {"weight_bytes", flash},
                     {"arena_bytes", arena},
                     {"arena_lower_bound", bound},
                     {"macs", macs},
                     {"layers", std::move(layers)}};
    outs() << formatv("{0:2}", json::Value(std::move(out))) << "\n";
    return 0;
  }
  outs() << "cost of " << costModel << " on " << costCpu
         << " (estimates of the cost model; no code generated)\n"
         << table
         << formatv("  total: {0} instructions, {1} bytes of weights and "
                    "tables (the object adds the kernels' code), arena {2} "
                    "bytes (lower bound {3}), {4} MACs\n",
                    instructions, flash, arena, bound, macs);
  return 0;
}

} // namespace tinyformer::cli
