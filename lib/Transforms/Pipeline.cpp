//===- Pipeline.cpp - the whole compile pipeline --------------------------===//
#include "tinyformer/Transforms/Pipeline.h"

#include "tinyformer/Transforms/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace tinyformer {

void addQuantizePipeline(mlir::OpPassManager &pm, const CompileOptions &options) {
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(createFuseActivations());
  if (options.fuseQkWeights)
    pm.addPass(createFuseQkWeights());
  QuantizeOptions quantize;
  quantize.calibration = options.calibration;
  quantize.method = options.method;
  quantize.percentile = options.percentile;
  pm.addPass(createQuantize(quantize));
  pm.addPass(createFuseAttention());
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

} // namespace tinyformer
