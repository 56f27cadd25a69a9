//===- SparseTinyOps.td - sparse_tiny ops ------------------*- tablegen -*-===//
//
// Ops are grouped by family (conv, matmul/attention, elementwise, pooling and
// reduction, data movement, normalization, quantization). Each op's
// description numbers its rules (C1, C2, ...); the verifier and the
// `-verify-diagnostics` tests reuse the numbers.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYOPS_TD
#define TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYOPS_TD

include "tinyformer/Dialect/SparseTiny/IR/SparseTinyDialect.td"
include "tinyformer/Dialect/SparseTiny/IR/SparseTinyAttrs.td"
include "mlir/Dialect/Quant/QuantOpsBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"

// Statically shaped tensors of f32 or of a `quant` dialect type.
def SparseTiny_Tensor : StaticShapeTensorOf<[F32, quant_QuantizedType]>;
def SparseTiny_FloatTensor : StaticShapeTensorOf<[F32]>;
def SparseTiny_QuantTensor : StaticShapeTensorOf<[quant_QuantizedType]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def SparseTiny_ConstantOp : SparseTiny_Op<"constant", [ConstantLike, Pure]> {
  let summary = "a constant tensor (weights, biases, tables)";
  let description = [{
    Holds a constant. Large values are `dense_resource` blobs. A quantized
    result type stores its integers in `value` (whose element type is the
    storage type). `encoding` says how the weight is stored in flash.

    Rules: (C1) `value` has the result's shape; (C2) its element type is
    the result's, or the storage type of the result's quantized type;
    (C3) a sparse `encoding` needs a value of rank >= 2 and a block shape
    no larger than its dims 0 and 1.

    ```mlir
    %w = sparse_tiny.constant dense_resource<conv1.weight> : tensor<8x1x3x3xf32>
           : tensor<8x1x3x3xf32>
    %q = sparse_tiny.constant dense<[[1, 0], [0, -2]]> : tensor<2x2xi8>
           {encoding = #sparse_tiny.encoding<csr>}
           : tensor<2x2x!quant.uniform<i8:f32, 0.5>>
    ```
  }];
  let arguments = (ins ElementsAttr:$value,
                       OptionalAttr<SparseTiny_WeightEncodingAttr>:$encoding);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $value attr-dict `:` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Conv family
//===----------------------------------------------------------------------===//

def SparseTiny_Conv2DOp : SparseTiny_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution, grouped and depthwise included (NCHW, OIHW)";
  let description = [{
    `output[n, o, y, x] = bias[o] + sum_{c, i, j} input[n, g*C/G + c,
    y*sy + i*dy - pt, x*sx + j*dx - pl] * weight[o, c, i, j]`, zero outside
    the input, with `g = o / (O/G)`. Depthwise is `groups == C == O`.
    `padding` is `[top, left, bottom, right]`.

    Rules: (C1) input and weight have rank 4; (C2) `strides` and
    `dilations` have 2 positive entries, `padding` 4 non-negative ones;
    (C3) `groups` >= 1 divides both the input channels C and the output
    channels O, and weight dim 1 is C / groups; (C4) a bias has shape [O];
    (C5) the result shape is [N, O, Ho, Wo] with
    `Ho = (H + pt + pb - dy*(kh-1) - 1) / sy + 1` (likewise Wo), both >= 1;
    (C6) a fused activation `clamp_min <= clamp_max`.

    `clamp_min` / `clamp_max` (real values) are a fused activation: ReLU is
    `clamp_min = 0`, ReLU6 adds `clamp_max = 6`. In INT8 form the operands
    and result have `quant` types: int8 activations per tensor, int8
    weights per output channel (axis 0) and an int32 bias whose scale is
    input scale x weight scale; the integer rules are those of TFLite.

    ```mlir
    %y = sparse_tiny.conv2d %x, %w, %b {strides = array<i64: 1, 1>,
           padding = array<i64: 1, 1, 1, 1>, groups = 1 : i64}
         : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>)
           -> tensor<1x8x32x32xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, SparseTiny_Tensor:$weight,
                       Optional<SparseTiny_Tensor>:$bias,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$groups,
                       OptionalAttr<F32Attr>:$clamp_min,
                       OptionalAttr<F32Attr>:$clamp_max);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let builders = [
    // Without a fused activation.
    OpBuilder<(ins "Type":$output, "Value":$input, "Value":$weight,
                   "Value":$bias, "DenseI64ArrayAttr":$strides,
                   "DenseI64ArrayAttr":$padding,
                   "DenseI64ArrayAttr":$dilations, "IntegerAttr":$groups), [{
      build($_builder, $_state, output, input, weight, bias, strides, padding,
            dilations, groups, FloatAttr(), FloatAttr());
    }]>
  ];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Matmul / attention family
//===----------------------------------------------------------------------===//

def SparseTiny_FullyConnectedOp : SparseTiny_Op<"fully_connected", [Pure]> {
  let summary = "linear layer with constant weights, over batch or tokens";
  let description = [{
    `output[..., n] = bias[n] + sum_k input[..., k] * weight[n, k]`: a Gemm,
    or a MatMul by a constant, applied to every leading index (a batch row
    or a token).

    Rules: (C1) input rank >= 1 and weight rank 2; (C2) the last input dim
    equals weight dim 1; (C3) a bias has shape [N]; (C4) the result shape is
    the input shape with the last dim replaced by N; (C5) a fused activation
    `clamp_min <= clamp_max`.

    `clamp_min` / `clamp_max` are a fused activation, as for `conv2d`; the
    INT8 form also follows `conv2d` (weights per output channel, axis 0).

    ```mlir
    %y = sparse_tiny.fully_connected %x, %w, %b
         : (tensor<1x64x32xf32>, tensor<96x32xf32>, tensor<96xf32>)
           -> tensor<1x64x96xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, SparseTiny_Tensor:$weight,
                       Optional<SparseTiny_Tensor>:$bias,
                       OptionalAttr<F32Attr>:$clamp_min,
                       OptionalAttr<F32Attr>:$clamp_max);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let builders = [
    // Without a fused activation.
    OpBuilder<(ins "Type":$output, "Value":$input, "Value":$weight,
                   "Value":$bias), [{
      build($_builder, $_state, output, input, weight, bias, FloatAttr(),
            FloatAttr());
    }]>
  ];
  let hasVerifier = 1;
}

def SparseTiny_MatMulOp : SparseTiny_Op<"matmul", [Pure]> {
  let summary = "matrix product of two activations (attention scores, A·V)";
  let description = [{
    Batched `lhs[..., M, K] @ rhs[..., K, N]`, leading dims broadcast as in
    NumPy. Used for Q·Kᵀ and A·V, where neither side is a constant.

    Rules: (C1) both operands have rank >= 2; (C2) `lhs` dim -1 equals
    `rhs` dim -2; (C3) the batch dims broadcast; (C4) the result shape is
    the broadcast batch dims followed by [M, N].

    ```mlir
    %s = sparse_tiny.matmul %q, %kt
         : (tensor<1x4x16x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x16x16xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$lhs, SparseTiny_Tensor:$rhs);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_MultiHeadAttentionOp : SparseTiny_Op<"mhsa",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "multi-head self-attention: projections, per-head softmax(Q·Kᵀ)·V, output projection";
  let description = [{
    One op for a whole attention block over a sequence `input[..., S, E]`
    with `num_heads` = H heads of P = E / H columns (with a leading batch
    dim B > 1, the same block over each of B independent sequences, as
    MobileViT runs it over the pixels of its patches):

    ```
    Q = input · q_weightᵀ + q_bias      K = input · k_weightᵀ + k_bias
    V = input · v_weightᵀ + v_bias
    per head h: A_h = softmax(scale · Q_h · K_hᵀ + score_bias_h)   (over keys)
                C[:, hP:(h+1)P] = A_h · V_h
    output = C · o_weightᵀ + o_bias
    ```

    Canonicalization builds it from the decomposed float pattern
    (projections, head split reshapes and transposes, matmul, scale, softmax,
    matmul, head merge, projection); `sparse-tiny-quantize` expands it again
    to give each intermediate value its INT8 type, and
    `sparse-tiny-fuse-attention` fuses the quantized block.

    With `fused_qk` (Fused-Weight Self-Attention, Jung et al. 2024) there is
    no K projection: `q_weight` holds W_q,h·W_k,hᵀ for every head ([H·E, E])
    and the keys are the input itself, so Q_h·K_hᵀ becomes
    (input · W_h + q_bias_h) · inputᵀ. (Terms of the original bias that are
    constant along a score row cancel in the softmax.)

    INT8 form: every operand and result is per-tensor int8 except weights
    (symmetric int8 per output channel) and biases (int32); the types of the
    intermediate values are attributes: `query_type`, `key_type`,
    `value_type`, `score_type` (softmax input, after `scale`) and
    `context_type` (A·V). Softmax output is int8 with scale 1/256 and zero
    point -128, as for `softmax`.

    An optional `score_bias` (relative position bias, ALiBi, an attention
    mask) is a float constant [Hb, S, S], Hb = 1 (every head) or H, the
    same for every sequence of a batch. An entry of -inf or at most -1e4
    masks its key: its probability is exactly 0 (float32's softmax gives 0
    there too). In the INT8 form the bias stays float; the kernel adds it
    to Q·Kᵀ's accumulator, before the score's one rounding.

    Rules: (C1) input rank 2 ([S, E]) or 3 ([B, S, E]) and `num_heads` >= 1
    divides E;
    (C2) `q_weight` is [H·P, E] ([H·E, E] with `fused_qk`), `k_weight`
    (absent with `fused_qk`), `v_weight`, `o_weight` are [E, E]; each bias
    has one entry per weight row; (C3) `k_weight` and `k_bias` are present
    exactly when `fused_qk` is not; (C4) the result has the input shape;
    (C5) a quantized op has all five intermediate types; (C6) a fused
    activation on the output projection has `clamp_min <= clamp_max`;
    (C7) `score_bias`, if present, is a float [1 or H, S, S].

    ```mlir
    %y = sparse_tiny.mhsa %x, %wq, %bq, k(%wk, %bk), %wv, %bv, %wo, %bo
           {num_heads = 4 : i64, scale = 0.25 : f32}
         : (tensor<1x64x64xf32>, tensor<64x64xf32>, tensor<64xf32>,
            tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>,
            tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>)
           -> tensor<1x64x64xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input,
                       SparseTiny_Tensor:$q_weight, SparseTiny_Tensor:$q_bias,
                       Optional<SparseTiny_Tensor>:$k_weight,
                       Optional<SparseTiny_Tensor>:$k_bias,
                       SparseTiny_Tensor:$v_weight, SparseTiny_Tensor:$v_bias,
                       SparseTiny_Tensor:$o_weight, SparseTiny_Tensor:$o_bias,
                       Optional<SparseTiny_Tensor>:$score_bias,
                       I64Attr:$num_heads, F32Attr:$scale,
                       UnitAttr:$fused_qk,
                       OptionalAttr<F32Attr>:$clamp_min,
                       OptionalAttr<F32Attr>:$clamp_max,
                       OptionalAttr<TypeAttr>:$query_type,
                       OptionalAttr<TypeAttr>:$key_type,
                       OptionalAttr<TypeAttr>:$value_type,
                       OptionalAttr<TypeAttr>:$score_type,
                       OptionalAttr<TypeAttr>:$context_type);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $q_weight `,` $q_bias `,` (`k` `(` $k_weight^ `,` $k_bias `)` `,`)?
    $v_weight `,` $v_bias `,` $o_weight `,` $o_bias
    (`,` `bias` `(` $score_bias^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise family
//===----------------------------------------------------------------------===//

class SparseTiny_BinaryOp<string mnemonic, string formula,
                          list<Trait> traits = []>
    : SparseTiny_Op<mnemonic, !listconcat([Pure], traits)> {
  let summary = "elementwise " # formula # " with NumPy broadcasting";
  let description = [{
    `output = lhs }] # formula # [{ rhs`, elementwise, the operands broadcast
    as in NumPy (and ONNX).

    Rules: (C1) the operand shapes broadcast; (C2) the result has the
    broadcast shape.

    ```mlir
    %y = sparse_tiny.}] # mnemonic # [{ %a, %b
         : (tensor<1x16x32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$lhs, SparseTiny_Tensor:$rhs);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_AddOp : SparseTiny_BinaryOp<"add", "+", [Commutative]> {
  let summary = "elementwise + with NumPy broadcasting and a fused activation";
  let description = [{
    `output = clamp(lhs + rhs, clamp_min, clamp_max)`, elementwise, the
    operands broadcast as in NumPy (and ONNX); the clamp is a fused
    activation (ReLU: `clamp_min = 0`) and absent bounds do not clamp. In
    INT8 form (all three `quant` per-tensor int8) it follows TFLite's ADD.

    Rules: (C1) the operand shapes broadcast; (C2) the result has the
    broadcast shape; (C3) `clamp_min <= clamp_max`.

    ```mlir
    %y = sparse_tiny.add %a, %b {clamp_min = 0.0 : f32}
         : (tensor<1x16x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$lhs, SparseTiny_Tensor:$rhs,
                       OptionalAttr<F32Attr>:$clamp_min,
                       OptionalAttr<F32Attr>:$clamp_max);
  let builders = [
    // Without a fused activation.
    OpBuilder<(ins "Type":$output, "Value":$lhs, "Value":$rhs), [{
      build($_builder, $_state, output, lhs, rhs, FloatAttr(), FloatAttr());
    }]>
  ];
  let hasCanonicalizer = 1;
}
def SparseTiny_SubOp : SparseTiny_BinaryOp<"sub", "-">;
def SparseTiny_MulOp : SparseTiny_BinaryOp<"mul", "*", [Commutative]> {
  let hasCanonicalizer = 1;
}
def SparseTiny_DivOp : SparseTiny_BinaryOp<"div", "/"> {
  let hasCanonicalizer = 1;
}
def SparseTiny_PowOp : SparseTiny_BinaryOp<"pow", "**">;

class SparseTiny_UnaryOp<string mnemonic, string formula,
                         list<Trait> traits = []>
    : SparseTiny_Op<mnemonic,
                    !listconcat([Pure, SameOperandsAndResultShape], traits)> {
  let summary = "elementwise " # formula;
  let description = [{
    `output = }] # formula # [{`, elementwise. The element types may differ
    (a quantized output has its own scale).

    ```mlir
    %y = sparse_tiny.}] # mnemonic # [{ %x : (tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def SparseTiny_ReluOp : SparseTiny_UnaryOp<"relu", "max(x, 0)"> {
  let hasCanonicalizer = 1;
}
def SparseTiny_SigmoidOp : SparseTiny_UnaryOp<"sigmoid", "1 / (1 + exp(-x))"> {
  let hasCanonicalizer = 1;
}
def SparseTiny_TanhOp : SparseTiny_UnaryOp<"tanh", "tanh(x)"> {
  let hasCanonicalizer = 1;
}
def SparseTiny_ErfOp : SparseTiny_UnaryOp<"erf", "erf(x)">;
def SparseTiny_SqrtOp : SparseTiny_UnaryOp<"sqrt", "sqrt(x)">;
def SparseTiny_ExpOp : SparseTiny_UnaryOp<"exp", "exp(x)">;
def SparseTiny_SiluOp : SparseTiny_UnaryOp<"silu", "x * sigmoid(x)"> {
  let hasCanonicalizer = 1;
}
def SparseTiny_HardSwishOp
    : SparseTiny_UnaryOp<"hardswish", "x * clamp(x + 3, 0, 6) / 6"> {
  let hasCanonicalizer = 1;
}

def SparseTiny_LeakyReluOp
    : SparseTiny_UnaryOp<"leaky_relu", "x >= 0 ? x : alpha * x"> {
  let arguments = (ins SparseTiny_Tensor:$input, F32Attr:$alpha);
  let hasCanonicalizer = 1;
}

def SparseTiny_PReluOp : SparseTiny_Op<"prelu", [Pure]> {
  let summary = "x >= 0 ? x : slopes[c] * x, one slope per channel (dim 1)";
  let description = [{
    nn.PReLU(num_parameters=C): the slope of an element is that of its
    index along dim 1 (a map's or a sequence's channels in torch's
    convention). One slope shared by all channels is a leaky_relu instead.
    Canonicalization moves it above a reshape that keeps dims 0 and 1 (a
    Conv1d's [N, C, 1, L] -> [N, C, L]), as the other activations.

    Rules: (C1) the input has rank 2 or more; (C2) `slopes` has one entry
    per index of dim 1; (C3) the result has the input's shape.

    ```mlir
    %y = sparse_tiny.prelu %x {slopes = array<f32: 0.25, 0.1>}
         : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseF32ArrayAttr:$slopes);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def SparseTiny_GeluOp : SparseTiny_UnaryOp<"gelu",
    "x * Phi(x), erf form or tanh approximation"> {
  let arguments = (ins SparseTiny_Tensor:$input,
                       DefaultValuedAttr<SparseTiny_GeluApproximation,
                         "::mlir::sparse_tiny::GeluApproximation::none">:$approximate);
  let assemblyFormat = [{
    $input (`approximate` `=` $approximate^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasCanonicalizer = 1;
}

def SparseTiny_ClipOp : SparseTiny_UnaryOp<"clip", "clamp(x, min, max)"> {
  let description = [{
    `output = clamp(input, min, max)`: ReLU6 is `min = 0, max = 6`.

    Rule: (C1) `min <= max`.

    ```mlir
    %y = sparse_tiny.clip %x {min = 0.0 : f32, max = 6.0 : f32}
         : (tensor<1x8xf32>) -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, F32Attr:$min, F32Attr:$max);
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def SparseTiny_HardSigmoidOp
    : SparseTiny_UnaryOp<"hard_sigmoid", "clamp(alpha * x + beta, 0, 1)"> {
  let arguments = (ins SparseTiny_Tensor:$input, F32Attr:$alpha, F32Attr:$beta);
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Pooling and reduction family
//===----------------------------------------------------------------------===//

class SparseTiny_Pool2DOp<string mnemonic, string what>
    : SparseTiny_Op<mnemonic, [Pure]> {
  let summary = what # " pooling over windows of an NCHW tensor";
  let description = [{
    }] # what # [{ over `kernel` windows moved by `strides`; `padding` is
    `[top, left, bottom, right]`.

    Rules: (C1) input rank 4; (C2) `kernel` and `strides` have 2 positive
    entries, `padding` 4 entries each in [0, kernel); (C3) the result shape
    is [N, C, Ho, Wo] with `Ho = (H + pt + pb - kh) / sy + 1`, >= 1.

    ```mlir
    %y = sparse_tiny.}] # mnemonic # [{ %x {kernel = array<i64: 2, 2>,
           strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
         : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_MaxPool2DOp : SparseTiny_Pool2DOp<"max_pool2d", "max"> {
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
}

def SparseTiny_AvgPool2DOp : SparseTiny_Pool2DOp<"avg_pool2d", "average"> {
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
}

def SparseTiny_GlobalAvgPool2DOp
    : SparseTiny_Op<"global_avg_pool2d", [Pure]> {
  let summary = "average over all pixels of each channel";
  let description = [{
    `[N, C, H, W] -> [N, C, 1, 1]`.

    Rules: (C1) input rank 4; (C2) the result shape is [N, C, 1, 1].

    ```mlir
    %y = sparse_tiny.global_avg_pool2d %x
         : (tensor<1x32x8x8xf32>) -> tensor<1x32x1x1xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_MeanOp : SparseTiny_Op<"mean", [Pure]> {
  let summary = "mean over some axes (token or spatial pooling, LayerNorm parts)";
  let description = [{
    Averages over `axes`; `keepdims` keeps them as size-1 dims.

    Rules: (C1) `axes` are distinct, sorted and in [0, rank); (C2) the
    result shape drops (or, with `keepdims`, sets to 1) those dims.

    ```mlir
    %m = sparse_tiny.mean %x {axes = array<i64: 1>, keepdims = false}
         : (tensor<1x16x32xf32>) -> tensor<1x32xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$axes,
                       BoolAttr:$keepdims);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Data movement family
//===----------------------------------------------------------------------===//

def SparseTiny_ReshapeOp : SparseTiny_Op<"reshape", [Pure]> {
  let summary = "same elements, new static shape (row-major order)";
  let description = [{
    Flatten, Squeeze, Unsqueeze and Reshape all import as this op.

    Rule: (C1) the element counts match.

    ```mlir
    %y = sparse_tiny.reshape %x : (tensor<1x8x4x4xf32>) -> tensor<1x128xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def SparseTiny_ResizeNearestOp : SparseTiny_Op<"resize_nearest", [Pure]> {
  let summary = "nearest-neighbour upsampling of a map by integer factors";
  let description = [{
    `output[n, c, y, x] = input[n, c, y / sh, x / sw]` (integer division):
    ONNX Resize in nearest mode with integer scales, as `nn.Upsample`
    and `F.interpolate(mode="nearest")` export it.

    Rules: (C1) the input has rank 4; (C2) `scales` has 2 entries >= 1;
    (C3) the result shape is [N, C, H * sh, W * sw].

    ```mlir
    %y = sparse_tiny.resize_nearest %x {scales = array<i64: 2, 2>}
         : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$scales);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_ResizeBilinearOp : SparseTiny_Op<"resize_bilinear", [Pure]> {
  let summary = "bilinear upsampling of a map by integer factors (half-pixel centres)";
  let description = [{
    ONNX Resize in linear mode with integer scales and half-pixel
    coordinates, as `nn.Upsample(mode="bilinear")` and
    `F.interpolate(mode="bilinear", align_corners=False)` export it: output
    row `y` reads input row `(y + 0.5) / sh - 0.5`, clamped to the map,
    interpolated between its two neighbours (likewise columns). With
    `y = sh * i + r` the offset from row `i` is `(2r + 1 - sh) / (2 sh)`, so
    the weights are multiples of `1 / (2 sh)` (and `1 / (2 sw)`).

    INT8 form: the input's scale and zero point carry over; the output is
    `floor((sum of the four weights, in units of 1 / (4 sh sw), times their
    int8 inputs + 2 sh sw) / (4 sh sw))`, exact integer arithmetic (the
    zero point passes through, the weights summing to one).

    Rules: (C1) the input has rank 4; (C2) `scales` has 2 entries in
    [1, 16]; (C3) the result shape is [N, C, H * sh, W * sw].

    ```mlir
    %y = sparse_tiny.resize_bilinear %x {scales = array<i64: 2, 2>}
         : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$scales);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_DepthToSpaceOp : SparseTiny_Op<"depth_to_space", [Pure]> {
  let summary = "channel blocks moved into bh x bw pixel blocks (pixel shuffle)";
  let description = [{
    ONNX DepthToSpace (`nn.PixelShuffle`) with a block of `bh` x `bw`
    pixels; a transposed convolution imports as a convolution computing
    every output phase as channels, this op and a slice. With
    `C' = C / (bh * bw)`:
    - `mode = "DCR"`: `output[n, c, y*bh + i, x*bw + j] =
      input[n, (i*bw + j)*C' + c, y, x]` (phase-major channels);
    - `mode = "CRD"`: `output[n, c, y*bh + i, x*bw + j] =
      input[n, c*bh*bw + i*bw + j, y, x]` (PixelShuffle's order).

    Data movement only: the INT8 form keeps the input's scale and zero
    point.

    Rules: (C1) the input has rank 4; (C2) `block` has 2 entries >= 1
    whose product divides C; (C3) `mode` is "DCR" or "CRD"; (C4) the result
    shape is [N, C', H * bh, W * bw].

    ```mlir
    %y = sparse_tiny.depth_to_space %x {block = array<i64: 2, 2>, mode = "CRD"}
         : (tensor<1x32x4x4xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$block,
                       StrAttr:$mode);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_ShuffleOp : SparseTiny_Op<"shuffle", [Pure]> {
  let summary = "a chain of reshapes and transposes as one permutation";
  let description = [{
    `output = reshape(transpose(reshape(input, factors), perm), shape)`:
    the input, in logical order, viewed as a tensor of `factors` (each
    input dim split into consecutive factors), its factors permuted, the
    result viewed as the output's shape (each output dim a run of permuted
    factors). `sparse-tiny-fold-shuffles` writes it for a chain of
    reshapes and transposes that no kernel runs one by one (MobileViT's
    unfold / fold of a map into patches and back, 5-D and 6-D
    transposes); lowered, it is one copy between the stored orders (or
    nothing, when the bytes already sit in the output's order).

    The kernel needs the factors to split the input's dims and the
    permuted factors to split the output's (the pass writes them so).

    Rules: (C1) the factors are >= 1 and multiply to the input's element
    count; (C2) `perm` is a permutation of the factors; (C3) the output
    has as many elements.

    ```mlir
    %y = sparse_tiny.shuffle %x {factors = array<i64: 2, 2, 4, 2, 4>,
           perm = array<i64: 2, 4, 0, 1, 3>}
         : (tensor<1x2x8x8xf32>) -> tensor<4x4x8xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$factors,
                       DenseI64ArrayAttr:$perm);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_PadOp : SparseTiny_Op<"pad", [Pure]> {
  let summary = "pads every dim: a constant, a reflection or the edge";
  let description = [{
    Adds `low[i]` elements before and `high[i]` after dim i (ONNX Pad):
    `mode` "constant" fills them with `value`, "reflect" mirrors the input
    about its first / last element (without repeating it), "edge" repeats
    the first / last element. After quantization `value` is the INT8 code
    of the constant. Canonicalization folds a zero constant pad of H and W
    into the padding of a following conv2d or avg_pool2d (which then counts
    the pad).

    Rules: (C1) `low` and `high` have one non-negative entry per dim;
    (C2) result dim i is `low[i] + input dim i + high[i]`; (C3) `mode` is
    constant, reflect or edge; (C4) a reflect pad is smaller than its dim.

    ```mlir
    %y = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 1>,
           high = array<i64: 0, 0, 1, 1>, value = 0.0 : f32}
         : (tensor<1x8x8x8xf32>) -> tensor<1x8x10x10xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$low,
                       DenseI64ArrayAttr:$high, F32Attr:$value,
                       DefaultValuedAttr<StrAttr, "\"constant\"">:$mode);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def SparseTiny_TransposeOp : SparseTiny_Op<"transpose", [Pure]> {
  let summary = "permutes dims: output dim i is input dim perm[i]";
  let description = [{
    Rules: (C1) `perm` is a permutation of [0, rank); (C2) result dim i is
    input dim `perm[i]`.

    ```mlir
    %y = sparse_tiny.transpose %x {perm = array<i64: 0, 2, 1>}
         : (tensor<1x8x16xf32>) -> tensor<1x16x8xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def SparseTiny_ConcatOp : SparseTiny_Op<"concat", [Pure]> {
  let summary = "joins tensors along one axis";
  let description = [{
    Rules: (C1) at least one input, all of one rank; (C2) `axis` in
    [0, rank); (C3) the inputs agree on every other dim; (C4) the result
    dim `axis` is the sum of the inputs'.

    ```mlir
    %y = sparse_tiny.concat %cls, %tok {axis = 1 : i64}
         : (tensor<1x1x32xf32>, tensor<1x16x32xf32>) -> tensor<1x17x32xf32>
    ```
  }];
  let arguments = (ins Variadic<SparseTiny_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SparseTiny_SliceOp : SparseTiny_Op<"slice", [Pure]> {
  let summary = "a strided window of a tensor (Slice, Split, Gather of one index)";
  let description = [{
    `output[i...] = input[offsets + i * strides]`, one entry per dim.

    Rules: (C1) `offsets`, `sizes`, `strides` have one entry per input dim;
    (C2) offsets >= 0, sizes >= 1, strides >= 1; (C3) the last index read,
    `offsets + (sizes - 1) * strides`, is inside the input; (C4) the result
    shape is `sizes`.

    ```mlir
    %y = sparse_tiny.slice %x {offsets = array<i64: 0, 0, 0>,
           sizes = array<i64: 1, 1, 32>, strides = array<i64: 1, 1, 1>}
         : (tensor<1x17x32xf32>) -> tensor<1x1x32xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Normalization family
//===----------------------------------------------------------------------===//

def SparseTiny_SoftmaxOp : SparseTiny_Op<"softmax",
    [Pure, SameOperandsAndResultShape]> {
  let summary = "softmax along one axis";
  let description = [{
    `output = exp(x - max) / sum(exp(x - max))` along `axis`.

    Rule: (C1) `axis` in [0, rank).

    ```mlir
    %a = sparse_tiny.softmax %s {axis = 3 : i64}
         : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, I64Attr:$axis);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  // A float self-attention block around it becomes one `mhsa`.
  let hasCanonicalizer = 1;
}

def SparseTiny_LayerNormOp : SparseTiny_Op<"layer_norm", [Pure]> {
  let summary = "layer normalization over the trailing dims from `axis`";
  let description = [{
    `output = (x - mean) / sqrt(var + epsilon) * scale + bias`, mean and
    (biased) variance over dims [axis, rank). Imported from ONNX
    LayerNormalization, or fused by canonicalization from the decomposed
    ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add pattern.

    Rules: (C1) `axis` in [0, rank); (C2) `scale` and `bias` have shape
    `input.shape[axis:]`; (C3) `epsilon` > 0; (C4) the result has the input
    shape.

    ```mlir
    %y = sparse_tiny.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32}
         : (tensor<1x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input, SparseTiny_Tensor:$scale,
                       SparseTiny_Tensor:$bias, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs SparseTiny_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Quantization family
//===----------------------------------------------------------------------===//

def SparseTiny_QuantizeOp : SparseTiny_Op<"quantize",
    [Pure, SameOperandsAndResultShape]> {
  let summary = "f32 to a quantized type: clamp(round_half_even(x / s) + zp)";
  let description = [{
    ONNX QuantizeLinear. The result's `quant` type carries the scale and
    zero point (per tensor, or per axis). From a quantized operand it is a
    requantization: `clamp(zp' + mbqm(q - zp, s / s'))` with TFLite's
    fixed-point multiplier.

    Rule: (C1) a per-axis type's quantized dimension is in [0, rank) and
    has one scale per element of that dim.

    ```mlir
    %q = sparse_tiny.quantize %x
         : (tensor<1x16xf32>) -> tensor<1x16x!quant.uniform<i8:f32, 0.05:-3>>
    ```
  }];
  let arguments = (ins SparseTiny_Tensor:$input);
  let results = (outs SparseTiny_QuantTensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def SparseTiny_DequantizeOp : SparseTiny_Op<"dequantize",
    [Pure, SameOperandsAndResultShape]> {
  let summary = "a quantized type to f32: (q - zp) * s";
  let description = [{
    ONNX DequantizeLinear.

    Rule: (C1) as for `quantize`, on the operand's type.

    ```mlir
    %x = sparse_tiny.dequantize %q
         : (tensor<1x16x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<1x16xf32>
    ```
  }];
  let arguments = (ins SparseTiny_QuantTensor:$input);
  let results = (outs SparseTiny_FloatTensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // TINYFORMER_DIALECT_SPARSETINY_IR_SPARSETINYOPS_TD
