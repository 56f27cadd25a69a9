//===- Passes.td - TinyFormer compiler passes -------------*- tablegen -*-===//
//
// The pipeline, in order: fuse activations, quantize, select kernels, plan
// memory, lower to LLVM. Each pass also runs alone from tf-opt.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_TRANSFORMS_PASSES_TD
#define TINYFORMER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseActivations : Pass<"sparse-tiny-fuse-activations", "mlir::ModuleOp"> {
  let summary = "Fold ReLU / ReLU6 / clip into the conv, linear or add before it";
  let description = [{
    `relu(conv2d(...))` becomes `conv2d(...) {clamp_min = 0.0}`, likewise for
    `fully_connected` and `add`, and `clip(min, max)` sets both bounds, when
    the producer has no other user. In INT8 the clamp is free: it narrows
    the requantization's saturation range.
  }];
  let dependentDialects = ["mlir::sparse_tiny::SparseTinyDialect"];
}

def Quantize : Pass<"sparse-tiny-quantize", "mlir::ModuleOp"> {
  let summary = "Post-training INT8 quantization (TFLite / CMSIS-NN rules)";
  let description = [{
    Turns a float graph into its INT8 form: int8 activations per tensor
    (asymmetric), int8 weights per output channel (symmetric), int32 biases
    at input x weight scale; the function takes and returns int8 tensors.
    Scales come from the model's own QuantizeLinear/DequantizeLinear pairs
    (QDQ models; uint8 types become int8 with zero point - 128) or, for the
    values without one, from calibration: the float model is run on every
    sample of `calibration` (a .npy batch whose leading dim indexes samples)
    and each value's range is taken by `method`: `minmax`, or `percentile`
    (the `percentile`-th percentile of each side, robust to outliers).
    Max pooling, reshape and transpose keep their input's scale; softmax
    outputs use 1/256 with zero point -128.
  }];
  let options = [
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "a .npy batch of float inputs for calibration">,
    Option<"method", "method", "std::string", /*default=*/"\"minmax\"",
           "range estimate: minmax | percentile">,
    Option<"percentile", "percentile", "double", /*default=*/"99.99",
           "for method=percentile: percentile kept on each side">,
  ];
  let statistics = [
    Statistic<"numQuantizedOps", "quantized-ops", "ops turned into INT8">,
    Statistic<"numCalibrated", "calibrated-values",
              "values whose scale came from calibration">,
    Statistic<"numAdopted", "adopted-values",
              "values whose scale came from the model's QDQ pairs">,
  ];
  let dependentDialects = ["mlir::sparse_tiny::SparseTinyDialect",
                           "mlir::quant::QuantizationDialect"];
}

def SelectKernels : Pass<"sparse-tiny-select-kernels", "mlir::ModuleOp"> {
  let summary = "Choose each INT8 op's kernel and weight format by cost";
  let description = [{
    Sets `sparse_tiny.kernel` on every INT8 compute op (dense kernels today;
    sparse ones slot in here) and, for conv2d / fully_connected,
    `sparse_tiny.weight_format`: `int8`, or `int16` (weights pre-extended
    offline: fewer instructions, twice the weight flash). int16 is granted
    greedily by instructions saved per extra flash byte while the model's
    estimated flash stays within `flash-budget`. Also records the cost
    model's estimate `sparse_tiny.est_instructions` per op.
  }];
  let options = [
    Option<"flashBudget", "flash-budget", "int64_t", /*default=*/"1048576",
           "flash bytes the weights and code may use">,
    Option<"weightFormat", "weight-format", "std::string", /*default=*/"\"auto\"",
           "auto | int8 | int16">,
  ];
  let statistics = [
    Statistic<"numInt16", "int16-layers", "layers given int16 weights">,
    Statistic<"estInstructions", "estimated-instructions",
              "estimated instructions per inference">,
  ];
}

def PlanMemory : Pass<"sparse-tiny-plan-memory", "mlir::ModuleOp"> {
  let summary = "Static arena: lifetimes, in-place reuse, offsets";
  let description = [{
    Schedules the ops in program order, gives every INT8 activation a
    lifetime, lets reshapes alias their input and elementwise ops write over
    an input that dies there, and places the buffers (plus each kernel's
    scratch) in one arena, largest first at the lowest offset that does not
    overlap a buffer alive at the same time. Records `sparse_tiny.offset`
    (and `sparse_tiny.scratch_offset`) on ops and `sparse_tiny.arena_size` /
    `sparse_tiny.arena_lower_bound` (the largest sum of live tensors at any
    step) on the module. The function's input and output stay in the
    caller's buffers.
  }];
  let statistics = [
    Statistic<"arenaBytes", "arena-bytes", "arena size the plan needs">,
    Statistic<"lowerBoundBytes", "lower-bound-bytes",
              "largest sum of live tensors at any step">,
  ];
}

def LowerToLLVM : Pass<"sparse-tiny-lower-to-llvm", "mlir::ModuleOp"> {
  let summary = "Planned INT8 sparse_tiny -> LLVM dialect calls of tfk kernels";
  let description = [{
    Emits `tf_<model>_invoke(const int8_t *in, int8_t *out, void *arena)`,
    one function per layer (`tf_<model>_run_layer(i, in, out, arena)` runs
    layer i alone, for profiling), and constant globals holding each
    layer's packed weights and requantization tables. Each layer calls its
    `tfk_*` kernel with constant shapes; tf-translate links the kernels'
    bitcode and inlines them, so every call is specialised to its layer.
    4-D activations are NHWC in memory.
  }];
  let options = [
    Option<"modelName", "model-name", "std::string", /*default=*/"\"model\"",
           "prefix of the emitted symbols: tf_<model-name>_invoke">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // TINYFORMER_TRANSFORMS_PASSES_TD
