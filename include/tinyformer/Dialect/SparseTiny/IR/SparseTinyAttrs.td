//===- SparseTinyAttrs.td - sparse_tiny attributes ---------*- tablegen -*-===//
#ifndef TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYATTRS_TD
#define TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYATTRS_TD

include "tinyformer/Dialect/SparseTiny/IR/SparseTinyDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def SparseTiny_WeightFormat : I32EnumAttr<"WeightFormat",
    "how the nonzeros of a constant weight are stored", [
      I32EnumAttrCase<"dense", 0>,
      I32EnumAttrCase<"csr", 1>,
      I32EnumAttrCase<"block_sparse", 2>,
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::sparse_tiny";
}

def SparseTiny_WeightEncodingAttr
    : AttrDef<SparseTiny_Dialect, "WeightEncoding"> {
  let mnemonic = "encoding";
  let summary = "storage format of a constant weight";
  let description = [{
    Says how a constant weight is laid out in flash, so that kernel
    selection and the cost model can read the choice from the IR:

    * `#sparse_tiny.encoding<dense>`: every element stored.
    * `#sparse_tiny.encoding<csr>`: compressed sparse rows over the output
      channel (dim 0), nonzeros and their column indices.
    * `#sparse_tiny.encoding<block_sparse, [4, 1]>`: only blocks with a
      nonzero are stored; the block shape tiles dims 0 and 1 of the weight.

    Rules: (E1) a block shape is given iff the format is `block_sparse`;
    (E2) it has two strictly positive entries.
  }];
  let parameters = (ins
    EnumParameter<SparseTiny_WeightFormat>:$format,
    OptionalArrayRefParameter<"int64_t">:$blockShape
  );
  let assemblyFormat = "`<` $format (`,` `[` $blockShape^ `]`)? `>`";
  let genVerifyDecl = 1;
}

def SparseTiny_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "formula of a GELU", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>,
    ]> {
  let cppNamespace = "::mlir::sparse_tiny";
}

#endif // TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYATTRS_TD
