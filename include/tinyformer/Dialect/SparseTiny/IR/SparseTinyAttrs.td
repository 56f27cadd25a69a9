//===- SparseTinyAttrs.td - sparse_tiny attributes ---------*- tablegen -*-===//
#ifndef TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYATTRS_TD
#define TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYATTRS_TD

include "tinyformer/Dialect/SparseTiny/IR/SparseTinyDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def SparseTiny_SparsityPattern : I32EnumAttr<"SparsityPattern",
    "the zero structure found in a constant weight", [
      I32EnumAttrCase<"dense", 0>,
      I32EnumAttrCase<"unstructured", 1>,
      I32EnumAttrCase<"block", 2>,
      I32EnumAttrCase<"n_m", 3>,
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::sparse_tiny";
}

def SparseTiny_WeightEncodingAttr
    : AttrDef<SparseTiny_Dialect, "WeightEncoding"> {
  let mnemonic = "encoding";
  let summary = "zero structure of a constant weight";
  let description = [{
    Says which zeros a constant weight has, in the [rows, columns] view of
    the kernels (rows: output channels; columns: the reduction, OHWI order
    for convolutions), so that kernel selection and the cost model read it
    from the IR. Written by `sparse-tiny-pruning-aware-layout`:

    * `#sparse_tiny.encoding<dense>`: no structure worth using.
    * `#sparse_tiny.encoding<unstructured, nnz = 6554>`: zeros anywhere.
    * `#sparse_tiny.encoding<block, [4, 1], nnz = 6400>`: every nonzero
      lies in an aligned block of 4 rows x 1 column that is stored whole
      (`[1, 4]`: 1 row x 4 columns).
    * `#sparse_tiny.encoding<n_m, [2, 4], nnz = 32768>`: at most N nonzeros
      in every aligned group of M columns of a row.

    `nnz` counts the nonzero elements, `empty_rows` the rows without any
    (bias-only outputs), `empty_cols` the columns without any (inputs no
    output reads).

    Rules: (E1) a shape is given iff the pattern is `block` or `n_m`;
    (E2) it has two strictly positive entries (for `n_m`, N < M);
    (E3) counts are not negative.
  }];
  let parameters = (ins
    EnumParameter<SparseTiny_SparsityPattern>:$pattern,
    OptionalArrayRefParameter<"int64_t">:$blockShape,
    DefaultValuedParameter<"int64_t", "-1">:$nnz,
    DefaultValuedParameter<"int64_t", "0">:$emptyRows,
    DefaultValuedParameter<"int64_t", "0">:$emptyCols
  );
  // <pattern [, [a, b]] [, nnz = N] [, empty_rows = N] [, empty_cols = N]>
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def SparseTiny_TargetCpu : I32EnumAttr<"TargetCpu",
    "the Cortex-M core a model is compiled for", [
      I32EnumAttrCase<"cortex_m4", 0>,
      I32EnumAttrCase<"cortex_m7", 1>,
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::sparse_tiny";
}

// On the module: `sparse_tiny.target_cpu = #sparse_tiny<cpu cortex_m7>`; the
// cost model's coefficients are fitted per CPU.
def SparseTiny_TargetCpuAttr
    : EnumAttr<SparseTiny_Dialect, SparseTiny_TargetCpu, "cpu">;

def SparseTiny_WeightStorage : I32EnumAttr<"WeightStorage",
    "how a layer's nonzero weight values are stored in flash", [
      I32EnumAttrCase<"int8", 0>,
      I32EnumAttrCase<"int16", 1>,
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::sparse_tiny";
}

// One case per kernel of the registry (lib/Kernels/KernelRegistry.cpp), which
// says what each computes, costs and lowers to.
def SparseTiny_KernelKind : I32EnumAttr<"KernelKind",
    "the kernel that computes an INT8 op", [
      I32EnumAttrCase<"alias", 0>,
      I32EnumAttrCase<"conv2d", 1>,
      I32EnumAttrCase<"depthwise_conv2d", 2>,
      I32EnumAttrCase<"fully_connected", 3>,
      I32EnumAttrCase<"add", 4>,
      I32EnumAttrCase<"requantize", 5>,
      I32EnumAttrCase<"max_pool", 6>,
      I32EnumAttrCase<"avg_pool", 7>,
      I32EnumAttrCase<"transpose", 8>,
      I32EnumAttrCase<"relayout", 9>,
      I32EnumAttrCase<"softmax", 10>,
      I32EnumAttrCase<"batch_matmul", 11>,
      I32EnumAttrCase<"layer_norm", 12>,
      I32EnumAttrCase<"lut", 13>,
      I32EnumAttrCase<"mhsa", 14>,
      I32EnumAttrCase<"concat", 15>,
      I32EnumAttrCase<"slice", 16>,
      I32EnumAttrCase<"sparse_code", 17>,
      I32EnumAttrCase<"sparse_csr", 18>,
      I32EnumAttrCase<"sparse_mhsa", 19>,
      I32EnumAttrCase<"sparse_mhsa_csr", 20>,
      I32EnumAttrCase<"mul", 21>,
      I32EnumAttrCase<"resize_nearest", 22>,
      I32EnumAttrCase<"sparse_rle", 23>,
      I32EnumAttrCase<"pad", 24>,
      I32EnumAttrCase<"prelu", 25>,
      I32EnumAttrCase<"resize_bilinear", 26>,
      I32EnumAttrCase<"add_table", 27>,
      I32EnumAttrCase<"depth_to_space", 28>,
      I32EnumAttrCase<"shuffle", 29>,
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::sparse_tiny";
}

def SparseTiny_KernelAttr : AttrDef<SparseTiny_Dialect, "Kernel"> {
  let mnemonic = "kernel";
  let summary = "the kernel chosen for an op, with its estimated cost";
  let description = [{
    Kernel selection's decision for one op (IREE's lowering-config idea):
    which kernel computes it, how its weights are stored, and what the cost
    model estimated for that choice (instructions per inference, flash
    bytes of its constants and code). Later passes only read it.

    ```mlir
    sparse_tiny.kernel = #sparse_tiny.kernel<conv2d, storage = int16, est = 1234, flash = 4608>
    ```

    Rules: (K1) `storage = int16` only on kernels with weights;
    (K2) estimates are not negative.
  }];
  let parameters = (ins
    EnumParameter<SparseTiny_KernelKind>:$kind,
    DefaultValuedParameter<"::mlir::sparse_tiny::WeightStorage",
                           "::mlir::sparse_tiny::WeightStorage::int8">:$storage,
    DefaultValuedParameter<"int64_t", "0">:$estInstructions,
    DefaultValuedParameter<"int64_t", "0">:$flashBytes
  );
  // <kind [, storage = int16] [, est = N] [, flash = N]>
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether kernels of `kind` read a constant weight (and so have a
    /// weight storage).
    static bool hasWeights(KernelKind kind);
    /// Whether kernels of `kind` skip zero weights (sparse kernels).
    static bool isSparse(KernelKind kind) { return !sparseFormat(kind).empty(); }
    /// A sparse kernel's form: "code" (nonzeros as immediates) or "csr" (a
    /// stream of nonzeros); empty for dense kernels.
    static ::llvm::StringRef sparseFormat(KernelKind kind);
  }];
}

def SparseTiny_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "formula of a GELU", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>,
    ]> {
  let cppNamespace = "::mlir::sparse_tiny";
}

#endif // TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYATTRS_TD
