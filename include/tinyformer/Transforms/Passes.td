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
  let summary = "Fold ReLU / ReLU6 / clip into the conv, linear, add or attention before it";
  let description = [{
    `relu(conv2d(...))` becomes `conv2d(...) {clamp_min = 0.0}`, likewise for
    `fully_connected`, `add` and `mhsa` (its output projection), and
    `clip(min, max)` sets both bounds, when
    the producer has no other user. In INT8 the clamp is free: it narrows
    the requantization's saturation range.
  }];
  let dependentDialects = ["mlir::sparse_tiny::SparseTinyDialect"];
}

def FuseQkWeights : Pass<"sparse-tiny-fuse-qk-weights", "mlir::ModuleOp"> {
  let summary = "Fused-Weight Self-Attention: fold W_q,h·W_k,hᵀ offline where it pays";
  let description = [{
    Jung et al. (2024): per head, Q_h·K_hᵀ equals (x·F_hᵀ + u_h)·xᵀ up to
    terms constant along each score row (which softmax cancels), with
    F_h = W_k,hᵀ·W_q,h and u_h = b_q,h·W_k,h. The K projection disappears and
    the Q projection becomes E columns per head instead of P. On a float
    attention block (the pattern of `sparse-tiny-fuse-attention`) it is
    applied when the cost model's Q/K instructions drop, i.e. when the
    embedding dim E < 2 x head dim P, or always with `force`. Each block
    gets a remark with the parameter and estimated instruction change.
    Run before `sparse-tiny-quantize`, which then quantizes the fused
    weight per output channel like any linear layer.
  }];
  let options = [
    Option<"force", "force", "bool", /*default=*/"false",
           "apply even where the cost model says it does not pay">,
  ];
  let statistics = [
    Statistic<"numFused", "fused-qk-blocks", "attention blocks given fused Q/K weights">,
  ];
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
    Max pooling, reshape, transpose and slice keep their input's scale;
    softmax outputs use 1/256 with zero point -128. A float `mhsa` is first
    expanded into its ops so that each intermediate value gets a scale
    (`sparse-tiny-fuse-attention` fuses the quantized block again).
  }];
  let options = [
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "a .npy batch of float inputs for calibration">,
    Option<"method", "method", "std::string", /*default=*/"\"minmax\"",
           "range estimate: minmax | percentile">,
    Option<"percentile", "percentile", "double", /*default=*/"99.99",
           "for method=percentile: percentile kept on each side">,
    Option<"calibrationFlag", "calibration-flag", "std::string",
           /*default=*/"\"calibration=\"",
           "how the calling tool spells the calibration option, in messages "
           "(tinyformer: --calib)">,
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

def FuseAttention : Pass<"sparse-tiny-fuse-attention", "mlir::ModuleOp"> {
  let summary = "Replace each decomposed self-attention by one sparse_tiny.mhsa";
  let description = [{
    Finds, around every softmax over the last axis, the pattern exporters
    write for multi-head self-attention: Q/K/V `fully_connected` from one
    input, reshapes/transposes splitting heads, `matmul` Q·Kᵀ, an optional
    `mul`/`div` by a constant scalar, `softmax`, `matmul` with V, the head
    merge and the output `fully_connected`; and the same with K being the
    input itself (a `fused_qk` block that quantization expanded).
    Canonicalization fuses float blocks the same way.
    Head splits are verified element by element, so every spelling of them
    matches. Every intermediate value must have this one use. Run after
    `sparse-tiny-quantize`: the intermediate values' INT8 types become the
    op's `query_type` ... `context_type`. A pattern that does not match
    exactly is left as it is (select-kernels then reports its 4-D head
    tensors, which have no kernel).
  }];
  let statistics = [
    Statistic<"numFused", "fused-attention", "attention blocks fused">,
  ];
}

def FoldShuffles : Pass<"sparse-tiny-fold-shuffles", "mlir::ModuleOp"> {
  let summary = "Fold chains of reshapes and transposes that no kernel runs into one shuffle";
  let description = [{
    A chain of `reshape` / `transpose` ops (each intermediate value used
    only by the next op) of which some op has no kernel on its own (a 4-D
    or larger transpose of NHWC maps, 5-D and 6-D shuffles, MobileViT's
    unfold of a map into patches and fold back) becomes one
    `sparse_tiny.shuffle`: the composite permutation, with each dim split
    into the factors the chain moves independently. Lowered, it is one
    copy between the input's and the output's stored orders, or an alias
    when the bytes are already in place. Chains whose every op has a kernel
    (aliases, relayouts, transposes in logical order) are left as they
    are. Runs after attention fusion, which matches head splits by their
    reshapes and transposes.

    ```mlir
    // before: a map's 2x2 patches as a batch of token sequences
    %a = sparse_tiny.reshape %x : (tensor<1x8x4x4xf32>) -> tensor<16x2x2x2xf32>
    %b = sparse_tiny.transpose %a {perm = array<i64: 0, 2, 1, 3>}
         : (tensor<16x2x2x2xf32>) -> tensor<16x2x2x2xf32>
    // after
    %b = sparse_tiny.shuffle %x {factors = array<i64: 8, 2, 2, 2, 2>,
           perm = array<i64: 0, 1, 3, 2, 4>}
         : (tensor<1x8x4x4xf32>) -> tensor<16x2x2x2xf32>
    ```
  }];
  let dependentDialects = ["mlir::sparse_tiny::SparseTinyDialect"];
  let statistics = [
    Statistic<"numShuffles", "shuffles", "chains folded into one shuffle">,
  ];
}

def PruningAwareLayout : Pass<"sparse-tiny-pruning-aware-layout", "mlir::ModuleOp"> {
  let summary = "Find the zero structure of each INT8 conv / linear / attention weight";
  let description = [{
    For every constant weight of a conv2d or fully_connected and the
    projection weights of an mhsa (after quantization, so that weights
    rounded to zero count), looks at the
    [rows, columns] view the kernels use (rows: output channels; columns:
    the OHWI reduction) and records what it finds as the constant's
    `encoding`: the nonzero count, the rows without a nonzero (their
    outputs are bias only) and the columns without one (inputs nothing
    reads), and the most specific pattern that holds: `block [4, 1]` /
    `[1, 4]` when every nonzero lies in aligned blocks that are at least
    75% full, `n_m [1, 4]` / `[2, 4]` when every aligned group of 4 columns
    of a row has at most N nonzeros, else `unstructured` (or `dense` when
    there is no zero). Kernel selection reads the nonzero count; the sparse
    kernels skip empty rows and columns by construction.

    ```mlir
    // before
    %w = sparse_tiny.constant dense<...> : tensor<256x256xi8> : tensor<256x256x!quant...>
    // after
    %w = sparse_tiny.constant dense<...> : tensor<256x256xi8>
           {encoding = #sparse_tiny.encoding<unstructured, nnz = 6554, empty_cols = 3>}
           : tensor<256x256x!quant...>
    ```
  }];
  let dependentDialects = ["mlir::sparse_tiny::SparseTinyDialect"];
  let statistics = [
    Statistic<"numSparseWeights", "sparse-weights", "weights with zeros">,
    Statistic<"numZeros", "zeros", "zero weight elements found">,
  ];
}

def SelectKernels : Pass<"sparse-tiny-select-kernels", "mlir::ModuleOp"> {
  let summary = "Choose each INT8 op's kernel and weight storage by cost";
  let description = [{
    Sets `sparse_tiny.kernel = #sparse_tiny.kernel<kind, storage = ...,
    est = instructions, flash = bytes>` on every INT8 compute op, from the
    kernels of the registry that serve it (lib/Kernels/KernelRegistry.cpp),
    priced by the cost model for the target CPU (`cpu`, also recorded on
    the module as `sparse_tiny.target_cpu`). For layers with weights the
    weight storage is `int8`, or `int16` (weights pre-extended offline:
    fewer instructions, twice the weight flash), granted greedily by
    instructions saved per extra flash byte while the model's estimated
    flash stays within `flash-budget`.

    Conv2d and fully_connected layers whose constant weight has zeros also
    have three sparse candidates: `sparse_code` (nonzeros as immediates, no
    index data: fastest, most flash), `sparse_csr` (a generated loop over a
    compressed nonzero stream of 4 bytes per nonzero, about 1.5x slower)
    and `sparse_rle` (TinyFormer's run-length format, the baseline: about
    1.5 bytes per nonzero, a loop in C, several times slower); an mhsa whose projection weights have zeros
    has `sparse_mhsa` (the attention kernel with its four projections as
    sparse code). Every layer starts at its smallest-flash candidate; then
    the candidate that saves the most instructions per extra flash byte is
    taken, repeatedly, while the model fits `flash-budget`: dense where
    sparse loses (low sparsity), sparse where it pays most. The candidates
    not taken are recorded in `sparse_tiny.alternatives`.

    ```mlir
    // before
    %y = sparse_tiny.fully_connected %x, %w, %b : ...
    // after
    %y = sparse_tiny.fully_connected %x, %w, %b
           {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected,
              storage = int16, est = 45875, flash = 133120>} : ...
    ```
  }];
  let options = [
    Option<"flashBudget", "flash-budget", "int64_t", /*default=*/"1048576",
           "flash bytes the weights and code may use">,
    Option<"weightStorage", "weight-storage", "std::string", /*default=*/"\"auto\"",
           "auto | int8 | int16">,
    Option<"cpu", "cpu", "std::string", /*default=*/"\"cortex-m4\"",
           "cortex-m4 | cortex-m7: whose fitted rates price the kernels">,
    Option<"sparse", "sparse", "std::string", /*default=*/"\"auto\"",
           "auto (sparse kernels where they pay) | off (dense only) | "
           "force (sparse wherever one serves)">,
    Option<"sparseFormat", "sparse-format", "std::string", /*default=*/"\"auto\"",
           "auto (any sparse kernel) | code (sparse_code only) | csr "
           "(sparse_csr only) | rle (sparse_rle only)">,
    Option<"sramBudget", "sram-budget", "int64_t", /*default=*/"0",
           "arena bytes; a sparse kernel's scratch must fit (0: no limit)">,
  ];
  let statistics = [
    Statistic<"numInt16", "int16-layers", "layers given int16 weights">,
    Statistic<"numSparse", "sparse-layers", "layers given a sparse kernel">,
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

    Linear layers over tokens overwrite their input's tokens when it dies
    there (MCUFormer's token overwriting); elementwise ops (add,
    requantize, table lookups, layer_norm) work in place.

    Attention (`mhsa`) is tiled depth first: its scratch holds the Q, K, V
    of `sparse_tiny.heads_per_step` heads and the scores of
    `sparse_tiny.rows_per_step` query rows of one head. Both start at their
    maximum (fastest) and shrink, largest scratch first, until the arena
    fits `sram-budget`; without a budget (0), until it is no larger than
    with the smallest tiles (tiles only use memory the model needs anyway). The arena of an untiled schedule
    (every head's Q, K, V and S x S map at once) is recorded as
    `sparse_tiny.arena_size_untiled`.
  }];
  let options = [
    Option<"sramBudget", "sram-budget", "int64_t", /*default=*/"0",
           "arena bytes available; attention tiles shrink to fit (0: to the smallest arena)">,
  ];
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
