//===- Pipeline.cpp - the whole compile pipeline --------------------------===//
#include "tinyformer/Transforms/Pipeline.h"

#include "tinyformer/Transforms/Passes.h"

#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace tinyformer {

void addQuantizePipeline(mlir::OpPassManager &pm, const CompileOptions &options) {
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(createFuseActivations());
  if (options.fuseQkWeights)
    pm.addPass(createFuseQkWeights());
  QuantizeOptions quantize;
  quantize.calibration = options.calibration;
  quantize.calibrationFlag = options.calibrationFlag;
  quantize.method = options.method;
  quantize.percentile = options.percentile;
  pm.addPass(createQuantize(quantize));
  pm.addPass(createFuseAttention());
  // After attention fusion, which reads head splits off their movers.
  pm.addPass(createFoldShuffles());
  // After quantization: weights that round to zero are zeros too.
  pm.addPass(createPruningAwareLayout());
  SelectKernelsOptions select;
  select.flashBudget = options.flashBudget;
  select.weightStorage = options.weightStorage;
  select.cpu = options.cpu;
  select.sparse = options.sparse;
  select.sparseFormat = options.sparseFormat;
  select.sramBudget = options.sramLimit;
  pm.addPass(createSelectKernels(select));
  PlanMemoryOptions plan;
  plan.sramBudget = options.sramBudget;
  pm.addPass(createPlanMemory(plan));
}

namespace {
/// The options of `tinyformer compile` that shape the INT8 model, with the
/// same defaults (the CPU aside: cortex-m4 is the pass's own default).
struct PipelineOptions : mlir::PassPipelineOptions<PipelineOptions> {
  Option<std::string> calibration{*this, "calibration",
                                  llvm::cl::desc("Calibration .npy batch (empty: "
                                                 "a QDQ model's scales)")};
  Option<std::string> method{*this, "method",
                             llvm::cl::desc("minmax | percentile"),
                             llvm::cl::init("minmax")};
  Option<double> percentile{*this, "percentile",
                            llvm::cl::desc("Percentile for method=percentile"),
                            llvm::cl::init(99.99)};
  Option<std::string> cpu{*this, "cpu", llvm::cl::desc("cortex-m4 | cortex-m7"),
                          llvm::cl::init("cortex-m4")};
  Option<int64_t> flashBudget{*this, "flash-budget",
                              llvm::cl::desc("Bytes the kernels may take"),
                              llvm::cl::init(1 << 20)};
  Option<std::string> weightStorage{*this, "weight-storage",
                                    llvm::cl::desc("auto | int8 | int16"),
                                    llvm::cl::init("auto")};
  Option<std::string> sparse{*this, "sparse", llvm::cl::desc("auto | off | force"),
                             llvm::cl::init("auto")};
  Option<std::string> sparseFormat{*this, "sparse-format",
                                   llvm::cl::desc("auto | code | csr | rle"),
                                   llvm::cl::init("auto")};
  Option<int64_t> sramBudget{*this, "sram-budget",
                             llvm::cl::desc("Arena bytes (0: no limit)"),
                             llvm::cl::init(0)};
  Option<bool> fwsa{*this, "fwsa",
                    llvm::cl::desc("Fused-weight self-attention where it pays"),
                    llvm::cl::init(false)};
};
} // namespace

void registerTinyFormerPipelines() {
  mlir::PassPipelineRegistration<PipelineOptions>(
      "sparse-tiny-pipeline",
      "The INT8 model: canonicalize, fuse activations, quantize, fuse "
      "attention, fold shuffles, find zeros, select kernels, plan memory",
      [](mlir::OpPassManager &pm, const PipelineOptions &o) {
        CompileOptions c;
        c.calibration = o.calibration;
        c.calibrationFlag = "calibration=";
        c.method = o.method;
        c.percentile = o.percentile;
        c.cpu = o.cpu;
        c.flashBudget = o.flashBudget;
        c.weightStorage = o.weightStorage;
        c.sparse = o.sparse;
        c.sparseFormat = o.sparseFormat;
        c.sramBudget = o.sramBudget;
        c.fuseQkWeights = o.fwsa;
        addQuantizePipeline(pm, c);
      });
}

} // namespace tinyformer
