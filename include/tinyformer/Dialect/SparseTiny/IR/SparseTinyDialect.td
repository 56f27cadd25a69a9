//===- SparseTinyDialect.td - the sparse_tiny dialect ------*- tablegen -*-===//
#ifndef TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYDIALECT_TD
#define TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYDIALECT_TD

include "mlir/IR/OpBase.td"

def SparseTiny_Dialect : Dialect {
  let name = "sparse_tiny";
  let cppNamespace = "::mlir::sparse_tiny";
  let summary = "Graph-level ops for sparse INT8 CNNs and transformers on MCUs";
  let description = [{
    `sparse_tiny` holds a trained model as a graph of value-semantic ops on
    statically shaped tensors: the form ONNX import produces and that the
    TinyFormer passes (quantization, pruning-aware layout, kernel selection,
    memory planning) refine before lowering to LLVM for `thumbv7em`.

    * Activations are NCHW (CNN layers) or `[batch, tokens, features]`
      (transformer layers), as in ONNX; weights are constants.
    * Element types are `f32` or the upstream `quant` dialect's uniform
      types (`!quant.uniform<i8:f32, 0.05:-3>`, per-axis for weights), so
      other MLIR flows read the quantization parameters.
    * Large constants are `dense_resource` blobs so that the IR of a model
      with megabytes of weights stays cheap to print, parse and copy.
    * `#sparse_tiny.encoding<...>` on a constant says how its zeros are
      stored (dense, CSR, block-sparse); kernel selection reads it.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::quant::QuantizationDialect"];
}

class SparseTiny_Op<string mnemonic, list<Trait> traits = []>
    : Op<SparseTiny_Dialect, mnemonic, traits>;

#endif // TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYDIALECT_TD
