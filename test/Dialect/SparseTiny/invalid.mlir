// RUN: tf-opt %s -split-input-file -verify-diagnostics

// One case per verifier rule: the rule numbers are those of the op
// descriptions in SparseTinyOps.td (C1, C2, ...) and of the encoding
// attribute in SparseTinyAttrs.td (E1, E2).

//===----------------------------------------------------------------------===//
// #sparse_tiny.encoding
//===----------------------------------------------------------------------===//

// E1: block needs a block shape.
func.func @encoding_e1_block_without_shape() -> tensor<8x4xf32> {
  // expected-error@+1 {{E1: a shape is required for block and n_m and allowed for no other pattern}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8x4xf32> {encoding = #sparse_tiny.encoding<block>} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// E1: a shape is not allowed for unstructured.
func.func @encoding_e1_unstructured_with_shape() -> tensor<8x4xf32> {
  // expected-error@+1 {{E1: a shape is required for block and n_m and allowed for no other pattern}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8x4xf32> {encoding = #sparse_tiny.encoding<unstructured, [4, 1]>} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// E2: the block shape has two entries.
func.func @encoding_e2_three_entries() -> tensor<8x4xf32> {
  // expected-error@+1 {{E2: the shape must have two positive entries}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8x4xf32> {encoding = #sparse_tiny.encoding<block, [4, 1, 1]>} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// E2: the block shape's entries are positive.
func.func @encoding_e2_zero_entry() -> tensor<8x4xf32> {
  // expected-error@+1 {{E2: the shape must have two positive entries}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8x4xf32> {encoding = #sparse_tiny.encoding<block, [4, 0]>} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// E2: N:M needs N < M.
func.func @encoding_e2_n_not_below_m() -> tensor<8x4xf32> {
  // expected-error@+1 {{E2: n_m needs N < M, got 4:4}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8x4xf32> {encoding = #sparse_tiny.encoding<n_m, [4, 4]>} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// E3: counts are not negative.
func.func @encoding_e3_negative_count() -> tensor<8x4xf32> {
  // expected-error@+1 {{E3: counts must not be negative}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8x4xf32> {encoding = #sparse_tiny.encoding<unstructured, nnz = 3, empty_rows = -2>} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

//===----------------------------------------------------------------------===//
// #sparse_tiny.kernel
//===----------------------------------------------------------------------===//

// -----

// K1: only kernels with weights have a weight storage.
func.func @kernel_k1_storage_without_weights(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{K1: kernel add has no weights to store as int16}}
  %0 = sparse_tiny.add %a, %a {sparse_tiny.kernel = #sparse_tiny.kernel<add, storage = int16>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// K2: estimates are not negative.
func.func @kernel_k2_negative_estimate(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{K2: estimates must not be negative}}
  %0 = sparse_tiny.add %a, %a {sparse_tiny.kernel = #sparse_tiny.kernel<add, est = -5>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

// -----

// constant C1: the value has the result's shape.
func.func @constant_c1_shape() -> tensor<2x2xf32> {
  // expected-error@+1 {{'sparse_tiny.constant' op C1: value shape [4] differs from result shape [2,2]}}
  %0 = sparse_tiny.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32> : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// constant C2: a float result needs a float value.
func.func @constant_c2_element_type() -> tensor<2xf32> {
  // expected-error@+1 {{'sparse_tiny.constant' op C2: value element type 'i8' must be the result's (storage) type 'f32'}}
  %0 = sparse_tiny.constant dense<[1, 2]> : tensor<2xi8> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// constant C2: a quantized result needs its storage type (i8), not f32.
func.func @constant_c2_storage_type() -> tensor<2x!quant.uniform<i8:f32, 0.05:-3>> {
  // expected-error@+1 {{'sparse_tiny.constant' op C2: value element type 'f32' must be the result's (storage) type 'i8'}}
  %0 = sparse_tiny.constant dense<[1.0, 2.0]> : tensor<2xf32> : tensor<2x!quant.uniform<i8:f32, 0.05:-3>>
  return %0 : tensor<2x!quant.uniform<i8:f32, 0.05:-3>>
}

// -----

// constant C3: a sparse encoding needs rank >= 2.
func.func @constant_c3_sparse_rank() -> tensor<8xf32> {
  // expected-error@+1 {{'sparse_tiny.constant' op C3: a sparse encoding needs rank >= 2}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8xf32> {encoding = #sparse_tiny.encoding<unstructured>} : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// constant C3: the block is no larger than the weight's rows and columns.
func.func @constant_c3_block_too_large() -> tensor<8x4xf32> {
  // expected-error@+1 {{'sparse_tiny.constant' op C3: shape [4,8] is larger than the weight's [8, 4] rows and columns}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8x4xf32> {encoding = #sparse_tiny.encoding<block, [4, 8]>} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// constant C3: nnz counts at most every element.
func.func @constant_c3_nnz_too_large() -> tensor<8x4xf32> {
  // expected-error@+1 {{'sparse_tiny.constant' op C3: nnz 33 exceeds the 32 elements}}
  %0 = sparse_tiny.constant dense<1.0> : tensor<8x4xf32> {encoding = #sparse_tiny.encoding<unstructured, nnz = 33>} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// constant: a per-axis quantized result type must fit its tensor (one scale
// per element of the quantized dim), as quantize/dequantize C1 require;
// getConstantFloats indexes the scales by that dim.
func.func @constant_per_axis_scale_count() -> tensor<2x3x!quant.uniform<i8:f32:1, {0.1,0.2}>> {
  // expected-error@+1 {{per-axis quantization on dim 1 needs one scale per element of that dim}}
  %0 = sparse_tiny.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8> : tensor<2x3x!quant.uniform<i8:f32:1, {0.1,0.2}>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32:1, {0.1,0.2}>>
}

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

// -----

// conv2d C1: input and weight have rank 4.
func.func @conv2d_c1_rank(%x: tensor<1x3x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C1: input and weight must have rank 4 (NCHW, OIHW), got [1,3,8] and [4,3,3,3]}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x3x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// conv2d C2: strides are positive.
func.func @conv2d_c2_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C2: strides and dilations need 2 positive entries, padding 4 non-negative ones}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 0, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// conv2d C2: padding has 4 non-negative entries.
func.func @conv2d_c2_padding(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C2: strides and dilations need 2 positive entries, padding 4 non-negative ones}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, -1, 0, 1>}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// conv2d C2: dilations have 2 entries.
func.func @conv2d_c2_dilations(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C2: strides and dilations need 2 positive entries, padding 4 non-negative ones}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1>}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// conv2d C3: groups divides the input channels.
func.func @conv2d_c3_groups(%x: tensor<1x6x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C3: groups (4) must divide input channels (6) and output channels (4)}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 4 : i64}
       : (tensor<1x6x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// conv2d C3: groups is at least 1.
func.func @conv2d_c3_groups_zero(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C3: groups (0) must divide input channels (3) and output channels (4)}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 0 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// conv2d C3: weight dim 1 is input channels / groups (a depthwise weight
// without groups).
func.func @conv2d_c3_weight_channels(%x: tensor<1x8x8x8xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C3: weight dim 1 (1) must be input channels / groups (8)}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// conv2d C4: a bias has shape [O].
func.func @conv2d_c4_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C4: bias shape [3] should be [4]}}
  %0 = sparse_tiny.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// conv2d C5: the result shape follows from strides, padding and dilations.
func.func @conv2d_c5_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C5: result shape [1,4,8,8] should be [1,4,3,3]}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// conv2d C5: the (dilated) kernel fits the padded input.
func.func @conv2d_c5_kernel_too_large(%x: tensor<1x3x4x4xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32> {
  // expected-error@+1 {{'sparse_tiny.conv2d' op C5: the kernel [3,3] does not fit the padded input [4,4]}}
  %0 = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>}
       : (tensor<1x3x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return %0 : tensor<1x4x1x1xf32>
}

//===----------------------------------------------------------------------===//
// fully_connected
//===----------------------------------------------------------------------===//

// -----

// fully_connected C1: the weight has rank 2.
func.func @fully_connected_c1_weight_rank(%x: tensor<1x32xf32>, %w: tensor<8x32x1xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{'sparse_tiny.fully_connected' op C1: input needs rank >= 1 and weight rank 2, got [1,32] and [8,32,1]}}
  %0 = sparse_tiny.fully_connected %x, %w : (tensor<1x32xf32>, tensor<8x32x1xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// fully_connected C1: the input has rank >= 1.
func.func @fully_connected_c1_input_rank(%x: tensor<f32>, %w: tensor<8x1xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{'sparse_tiny.fully_connected' op C1: input needs rank >= 1 and weight rank 2, got [] and [8,1]}}
  %0 = sparse_tiny.fully_connected %x, %w : (tensor<f32>, tensor<8x1xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// fully_connected C2: the last input dim equals weight dim 1.
func.func @fully_connected_c2_features(%x: tensor<1x16xf32>, %w: tensor<8x32xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{'sparse_tiny.fully_connected' op C2: input features (16) differ from weight dim 1 (32)}}
  %0 = sparse_tiny.fully_connected %x, %w : (tensor<1x16xf32>, tensor<8x32xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// fully_connected C3: a bias has shape [N].
func.func @fully_connected_c3_bias(%x: tensor<1x32xf32>, %w: tensor<8x32xf32>, %b: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{'sparse_tiny.fully_connected' op C3: bias shape [1,8] should be [8]}}
  %0 = sparse_tiny.fully_connected %x, %w, %b : (tensor<1x32xf32>, tensor<8x32xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// fully_connected C4: the result is the input shape with the last dim N.
func.func @fully_connected_c4_result(%x: tensor<1x16x32xf32>, %w: tensor<8x32xf32>) -> tensor<16x8xf32> {
  // expected-error@+1 {{'sparse_tiny.fully_connected' op C4: result shape [16,8] should be [1,16,8]}}
  %0 = sparse_tiny.fully_connected %x, %w : (tensor<1x16x32xf32>, tensor<8x32xf32>) -> tensor<16x8xf32>
  return %0 : tensor<16x8xf32>
}

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

// -----

// matmul C1: both operands have rank >= 2.
func.func @matmul_c1_rank(%a: tensor<8xf32>, %b: tensor<8x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'sparse_tiny.matmul' op C1: both operands need rank >= 2, got [8] and [8,4]}}
  %0 = sparse_tiny.matmul %a, %b : (tensor<8xf32>, tensor<8x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// matmul C2: lhs dim -1 equals rhs dim -2.
func.func @matmul_c2_contraction(%a: tensor<2x16x8xf32>, %b: tensor<2x16x8xf32>) -> tensor<2x16x8xf32> {
  // expected-error@+1 {{'sparse_tiny.matmul' op C2: contraction dims differ: [2,16,8] @ [2,16,8]}}
  %0 = sparse_tiny.matmul %a, %b : (tensor<2x16x8xf32>, tensor<2x16x8xf32>) -> tensor<2x16x8xf32>
  return %0 : tensor<2x16x8xf32>
}

// -----

// matmul C3: the batch dims broadcast.
func.func @matmul_c3_batch(%a: tensor<2x16x8xf32>, %b: tensor<3x8x16xf32>) -> tensor<2x16x16xf32> {
  // expected-error@+1 {{'sparse_tiny.matmul' op C3: batch dims}}
  %0 = sparse_tiny.matmul %a, %b : (tensor<2x16x8xf32>, tensor<3x8x16xf32>) -> tensor<2x16x16xf32>
  return %0 : tensor<2x16x16xf32>
}

// -----

// matmul C4: the result is the broadcast batch dims, then [M, N].
func.func @matmul_c4_result(%a: tensor<1x4x16x8xf32>, %b: tensor<4x8x16xf32>) -> tensor<4x16x16xf32> {
  // expected-error@+1 {{'sparse_tiny.matmul' op C4: result shape [4,16,16] should be [1,4,16,16]}}
  %0 = sparse_tiny.matmul %a, %b : (tensor<1x4x16x8xf32>, tensor<4x8x16xf32>) -> tensor<4x16x16xf32>
  return %0 : tensor<4x16x16xf32>
}

//===----------------------------------------------------------------------===//
// Binary elementwise ops: add, sub, mul, div, pow
//===----------------------------------------------------------------------===//

// -----

// add C1: the operand shapes broadcast.
func.func @add_c1_broadcast(%a: tensor<1x16x32xf32>, %b: tensor<16xf32>) -> tensor<1x16x32xf32> {
  // expected-error@+1 {{'sparse_tiny.add' op C1: shapes [1,16,32] and [16] do not broadcast}}
  %0 = sparse_tiny.add %a, %b : (tensor<1x16x32xf32>, tensor<16xf32>) -> tensor<1x16x32xf32>
  return %0 : tensor<1x16x32xf32>
}

// -----

// add C2: the result has the broadcast shape.
func.func @add_c2_result(%a: tensor<1x16x32xf32>, %b: tensor<32xf32>) -> tensor<16x32xf32> {
  // expected-error@+1 {{'sparse_tiny.add' op C2: result shape [16,32] should be [1,16,32]}}
  %0 = sparse_tiny.add %a, %b : (tensor<1x16x32xf32>, tensor<32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

// sub C1: the operand shapes broadcast.
func.func @sub_c1_broadcast(%a: tensor<4x3xf32>, %b: tensor<4xf32>) -> tensor<4x3xf32> {
  // expected-error@+1 {{'sparse_tiny.sub' op C1: shapes [4,3] and [4] do not broadcast}}
  %0 = sparse_tiny.sub %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// sub C2: the result has the broadcast shape (rank-0 operands give rank 0).
func.func @sub_c2_result(%a: tensor<f32>, %b: tensor<f32>) -> tensor<1xf32> {
  // expected-error@+1 {{'sparse_tiny.sub' op C2: result shape [1] should be []}}
  %0 = sparse_tiny.sub %a, %b : (tensor<f32>, tensor<f32>) -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

// mul C1: the operand shapes broadcast.
func.func @mul_c1_broadcast(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'sparse_tiny.mul' op C1: shapes [2,3] and [3,2] do not broadcast}}
  %0 = sparse_tiny.mul %a, %b : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// mul C2: the result has the broadcast shape.
func.func @mul_c2_result(%a: tensor<2x1xf32>, %b: tensor<1x3xf32>) -> tensor<2x1xf32> {
  // expected-error@+1 {{'sparse_tiny.mul' op C2: result shape [2,1] should be [2,3]}}
  %0 = sparse_tiny.mul %a, %b : (tensor<2x1xf32>, tensor<1x3xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// div C1: the operand shapes broadcast.
func.func @div_c1_broadcast(%a: tensor<1x17x32xf32>, %b: tensor<1x16x1xf32>) -> tensor<1x17x32xf32> {
  // expected-error@+1 {{'sparse_tiny.div' op C1: shapes [1,17,32] and [1,16,1] do not broadcast}}
  %0 = sparse_tiny.div %a, %b : (tensor<1x17x32xf32>, tensor<1x16x1xf32>) -> tensor<1x17x32xf32>
  return %0 : tensor<1x17x32xf32>
}

// -----

// div C2: the result has the broadcast shape.
func.func @div_c2_result(%a: tensor<1x17x32xf32>, %b: tensor<1x17x1xf32>) -> tensor<1x17x1xf32> {
  // expected-error@+1 {{'sparse_tiny.div' op C2: result shape [1,17,1] should be [1,17,32]}}
  %0 = sparse_tiny.div %a, %b : (tensor<1x17x32xf32>, tensor<1x17x1xf32>) -> tensor<1x17x1xf32>
  return %0 : tensor<1x17x1xf32>
}

// -----

// pow C1: the operand shapes broadcast.
func.func @pow_c1_broadcast(%a: tensor<8xf32>, %b: tensor<2xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{'sparse_tiny.pow' op C1: shapes [8] and [2] do not broadcast}}
  %0 = sparse_tiny.pow %a, %b : (tensor<8xf32>, tensor<2xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// pow C2: the result has the broadcast shape.
func.func @pow_c2_result(%a: tensor<8xf32>, %b: tensor<f32>) -> tensor<f32> {
  // expected-error@+1 {{'sparse_tiny.pow' op C2: result shape [] should be [8]}}
  %0 = sparse_tiny.pow %a, %b : (tensor<8xf32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

//===----------------------------------------------------------------------===//
// Unary elementwise ops
//===----------------------------------------------------------------------===//

// -----

// clip C1: min <= max.
func.func @clip_c1_min_above_max(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{'sparse_tiny.clip' op C1: min (6.000000e+00) is above max (0.000000e+00)}}
  %0 = sparse_tiny.clip %x {min = 6.0 : f32, max = 0.0 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// Unary ops keep the shape (SameOperandsAndResultShape, from ODS).
func.func @unary_shape(%x: tensor<1x8xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{'sparse_tiny.relu' op requires the same shape for all operands and results}}
  %0 = sparse_tiny.relu %x : (tensor<1x8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// Operands are statically shaped (SparseTiny_Tensor, from ODS).
func.func @dynamic_shape(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error@+1 {{'sparse_tiny.gelu' op operand #0 must be statically shaped tensor of 32-bit float or QuantizedType values, but got 'tensor<?x8xf32>'}}
  %0 = sparse_tiny.gelu %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

//===----------------------------------------------------------------------===//
// max_pool2d, avg_pool2d, global_avg_pool2d, mean
//===----------------------------------------------------------------------===//

// -----

// max_pool2d C1: the input has rank 4.
func.func @max_pool2d_c1_rank(%x: tensor<8x16x16xf32>) -> tensor<8x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.max_pool2d' op C1: input must have rank 4 (NCHW), got [8,16,16]}}
  %0 = sparse_tiny.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<8x16x16xf32>) -> tensor<8x8x8xf32>
  return %0 : tensor<8x8x8xf32>
}

// -----

// max_pool2d C2: kernel has 2 positive entries.
func.func @max_pool2d_c2_kernel(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.max_pool2d' op C2: kernel and strides need 2 positive entries, padding 4}}
  %0 = sparse_tiny.max_pool2d %x {kernel = array<i64: 2, 0>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// max_pool2d C2: padding is in [0, kernel).
func.func @max_pool2d_c2_padding(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x9x9xf32> {
  // expected-error@+1 {{'sparse_tiny.max_pool2d' op C2: padding [0,0,2,2] must be in [0, kernel) for kernel [2,2]}}
  %0 = sparse_tiny.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 2, 2>}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x9x9xf32>
  return %0 : tensor<1x8x9x9xf32>
}

// -----

// max_pool2d C3: the result shape follows from kernel, strides and padding.
func.func @max_pool2d_c3_result(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32> {
  // expected-error@+1 {{'sparse_tiny.max_pool2d' op C3: result shape [1,8,16,16] should be [1,8,8,8]}}
  %0 = sparse_tiny.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
  return %0 : tensor<1x8x16x16xf32>
}

// -----

// avg_pool2d C1: the input has rank 4.
func.func @avg_pool2d_c1_rank(%x: tensor<1x8x16x16x1xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.avg_pool2d' op C1: input must have rank 4 (NCHW), got [1,8,16,16,1]}}
  %0 = sparse_tiny.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x8x16x16x1xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// avg_pool2d C2: strides have 2 entries.
func.func @avg_pool2d_c2_strides(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.avg_pool2d' op C2: kernel and strides need 2 positive entries, padding 4}}
  %0 = sparse_tiny.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// avg_pool2d C2: padding is non-negative.
func.func @avg_pool2d_c2_negative_padding(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.avg_pool2d' op C2: padding [-1,0,1,0] must be in [0, kernel) for kernel [3,3]}}
  %0 = sparse_tiny.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: -1, 0, 1, 0>}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// avg_pool2d C3: the window fits the (padded) input.
func.func @avg_pool2d_c3_window(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32> {
  // expected-error@+1 {{'sparse_tiny.avg_pool2d' op C3: the window [7,7] does not fit the input [4,4]}}
  %0 = sparse_tiny.avg_pool2d %x {kernel = array<i64: 7, 7>, strides = array<i64: 7, 7>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
  return %0 : tensor<1x8x1x1xf32>
}

// -----

// avg_pool2d C3: the result shape follows from kernel, strides and padding.
func.func @avg_pool2d_c3_result(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.avg_pool2d' op C3: result shape [1,8,8,8] should be [1,8,9,9]}}
  %0 = sparse_tiny.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// global_avg_pool2d C1: the input has rank 4.
func.func @global_avg_pool2d_c1_rank(%x: tensor<1x32x64xf32>) -> tensor<1x32x1x1xf32> {
  // expected-error@+1 {{'sparse_tiny.global_avg_pool2d' op C1: input must have rank 4 (NCHW), got [1,32,64]}}
  %0 = sparse_tiny.global_avg_pool2d %x : (tensor<1x32x64xf32>) -> tensor<1x32x1x1xf32>
  return %0 : tensor<1x32x1x1xf32>
}

// -----

// global_avg_pool2d C2: the result shape is [N, C, 1, 1].
func.func @global_avg_pool2d_c2_result(%x: tensor<1x32x8x8xf32>) -> tensor<1x32xf32> {
  // expected-error@+1 {{'sparse_tiny.global_avg_pool2d' op C2: result shape [1,32] should be [1,32,1,1]}}
  %0 = sparse_tiny.global_avg_pool2d %x : (tensor<1x32x8x8xf32>) -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

// -----

// mean C1: axes are in [0, rank).
func.func @mean_c1_range(%x: tensor<1x16x32xf32>) -> tensor<1x16xf32> {
  // expected-error@+1 {{'sparse_tiny.mean' op C1: axes [3] must be distinct, sorted and in [0, 3)}}
  %0 = sparse_tiny.mean %x {axes = array<i64: 3>, keepdims = false} : (tensor<1x16x32xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

// -----

// mean C1: axes are sorted and distinct.
func.func @mean_c1_unsorted(%x: tensor<1x16x32xf32>) -> tensor<1xf32> {
  // expected-error@+1 {{'sparse_tiny.mean' op C1: axes [2,1] must be distinct, sorted and in [0, 3)}}
  %0 = sparse_tiny.mean %x {axes = array<i64: 2, 1>, keepdims = false} : (tensor<1x16x32xf32>) -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

// mean C2: keepdims keeps the reduced dims as 1.
func.func @mean_c2_keepdims(%x: tensor<1x16x32xf32>) -> tensor<1x16xf32> {
  // expected-error@+1 {{'sparse_tiny.mean' op C2: result shape [1,16] should be [1,16,1]}}
  %0 = sparse_tiny.mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<1x16x32xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

//===----------------------------------------------------------------------===//
// reshape, pad, transpose, concat, slice
//===----------------------------------------------------------------------===//

// -----

// reshape C1: the element counts match.
func.func @reshape_c1_count(%x: tensor<1x8x4x4xf32>) -> tensor<1x100xf32> {
  // expected-error@+1 {{'sparse_tiny.reshape' op C1: 128 elements cannot become 100}}
  %0 = sparse_tiny.reshape %x : (tensor<1x8x4x4xf32>) -> tensor<1x100xf32>
  return %0 : tensor<1x100xf32>
}

// -----

// pad C1: low and high have one entry per dim.
func.func @pad_c1_entries(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x10x10xf32> {
  // expected-error@+1 {{'sparse_tiny.pad' op C1: low and high need 4 non-negative entries each}}
  %0 = sparse_tiny.pad %x {low = array<i64: 1, 1>, high = array<i64: 1, 1>, value = 0.0 : f32}
       : (tensor<1x8x8x8xf32>) -> tensor<1x8x10x10xf32>
  return %0 : tensor<1x8x10x10xf32>
}

// -----

// pad C1: the entries are non-negative.
func.func @pad_c1_negative(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x7x8xf32> {
  // expected-error@+1 {{'sparse_tiny.pad' op C1: low and high need 4 non-negative entries each}}
  %0 = sparse_tiny.pad %x {low = array<i64: 0, 0, -1, 0>, high = array<i64: 0, 0, 0, 0>, value = 0.0 : f32}
       : (tensor<1x8x8x8xf32>) -> tensor<1x8x7x8xf32>
  return %0 : tensor<1x8x7x8xf32>
}

// -----

// pad C2: result dim i is low[i] + input dim i + high[i].
func.func @pad_c2_result(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x10x10xf32> {
  // expected-error@+1 {{'sparse_tiny.pad' op C2: result shape [1,8,10,10] should be [1,8,10,9]}}
  %0 = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 0>, value = 0.0 : f32}
       : (tensor<1x8x8x8xf32>) -> tensor<1x8x10x10xf32>
  return %0 : tensor<1x8x10x10xf32>
}

// -----

// pad C3: the mode is constant, reflect or edge.
func.func @pad_c3_mode(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x10x10xf32> {
  // expected-error@+1 {{'sparse_tiny.pad' op C3: mode 'wrap' is not constant, reflect or edge}}
  %0 = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 1>, value = 0.0 : f32, mode = "wrap"}
       : (tensor<1x8x8x8xf32>) -> tensor<1x8x10x10xf32>
  return %0 : tensor<1x8x10x10xf32>
}

// -----

// pad C4: a reflect pad is smaller than its dim.
func.func @pad_c4_reflect(%x: tensor<1x8x2x8xf32>) -> tensor<1x8x6x8xf32> {
  // expected-error@+1 {{'sparse_tiny.pad' op C4: a reflect pad of dim 2 (2) must be smaller than the dim (2)}}
  %0 = sparse_tiny.pad %x {low = array<i64: 0, 0, 2, 0>, high = array<i64: 0, 0, 2, 0>, value = 0.0 : f32, mode = "reflect"}
       : (tensor<1x8x2x8xf32>) -> tensor<1x8x6x8xf32>
  return %0 : tensor<1x8x6x8xf32>
}

// -----

// transpose C1: perm is a permutation (no repeated dim).
func.func @transpose_c1_repeat(%x: tensor<1x8x16xf32>) -> tensor<1x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.transpose' op C1: perm [0,1,1] is not a permutation of [0, 3)}}
  %0 = sparse_tiny.transpose %x {perm = array<i64: 0, 1, 1>} : (tensor<1x8x16xf32>) -> tensor<1x8x8xf32>
  return %0 : tensor<1x8x8xf32>
}

// -----

// transpose C1: perm has one entry per dim.
func.func @transpose_c1_length(%x: tensor<1x8x16xf32>) -> tensor<8x1xf32> {
  // expected-error@+1 {{'sparse_tiny.transpose' op C1: perm [1,0] is not a permutation of [0, 3)}}
  %0 = sparse_tiny.transpose %x {perm = array<i64: 1, 0>} : (tensor<1x8x16xf32>) -> tensor<8x1xf32>
  return %0 : tensor<8x1xf32>
}

// -----

// transpose C2: result dim i is input dim perm[i].
func.func @transpose_c2_result(%x: tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  // expected-error@+1 {{'sparse_tiny.transpose' op C2: result shape [1,8,16] should be [1,16,8]}}
  %0 = sparse_tiny.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
  return %0 : tensor<1x8x16xf32>
}

// -----

// concat C1: at least one input.
func.func @concat_c1_no_input() -> tensor<1x8xf32> {
  // expected-error@+1 {{'sparse_tiny.concat' op C1: needs at least one input}}
  %0 = sparse_tiny.concat {axis = 0 : i64} : () -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// concat C1: the inputs have one rank.
func.func @concat_c1_rank(%a: tensor<1x8xf32>, %b: tensor<8xf32>) -> tensor<1x16xf32> {
  // expected-error@+1 {{'sparse_tiny.concat' op C1: inputs differ in rank}}
  %0 = sparse_tiny.concat %a, %b {axis = 1 : i64} : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

// -----

// concat C2: axis is in [0, rank).
func.func @concat_c2_axis(%a: tensor<1x8xf32>, %b: tensor<1x8xf32>) -> tensor<1x16xf32> {
  // expected-error@+1 {{'sparse_tiny.concat' op C2: axis 2 is not in [0, 2)}}
  %0 = sparse_tiny.concat %a, %b {axis = 2 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

// -----

// concat C2: a negative axis is rejected (the importer normalizes ONNX axes).
func.func @concat_c2_negative_axis(%a: tensor<1x8xf32>, %b: tensor<1x8xf32>) -> tensor<1x16xf32> {
  // expected-error@+1 {{'sparse_tiny.concat' op C2: axis -1 is not in [0, 2)}}
  %0 = sparse_tiny.concat %a, %b {axis = -1 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

// -----

// concat C3: the inputs agree off the axis.
func.func @concat_c3_other_dims(%a: tensor<1x1x32xf32>, %b: tensor<1x16x16xf32>) -> tensor<1x17x32xf32> {
  // expected-error@+1 {{'sparse_tiny.concat' op C3: input shapes [1,1,32] and [1,16,16] differ off axis 1}}
  %0 = sparse_tiny.concat %a, %b {axis = 1 : i64} : (tensor<1x1x32xf32>, tensor<1x16x16xf32>) -> tensor<1x17x32xf32>
  return %0 : tensor<1x17x32xf32>
}

// -----

// concat C4: the result dim `axis` is the sum of the inputs'.
func.func @concat_c4_result(%a: tensor<1x1x32xf32>, %b: tensor<1x16x32xf32>) -> tensor<1x16x32xf32> {
  // expected-error@+1 {{'sparse_tiny.concat' op C4: result shape [1,16,32] should be [1,17,32]}}
  %0 = sparse_tiny.concat %a, %b {axis = 1 : i64} : (tensor<1x1x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  return %0 : tensor<1x16x32xf32>
}

// -----

// slice C1: offsets, sizes and strides have one entry per dim.
func.func @slice_c1_entries(%x: tensor<1x17x32xf32>) -> tensor<1x1x32xf32> {
  // expected-error@+1 {{'sparse_tiny.slice' op C1: offsets, sizes and strides need 3 entries each}}
  %0 = sparse_tiny.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 1, 1, 32>, strides = array<i64: 1, 1, 1>}
       : (tensor<1x17x32xf32>) -> tensor<1x1x32xf32>
  return %0 : tensor<1x1x32xf32>
}

// -----

// slice C2: strides are >= 1.
func.func @slice_c2_stride(%x: tensor<1x17x32xf32>) -> tensor<1x1x32xf32> {
  // expected-error@+1 {{'sparse_tiny.slice' op C2: dim 2: offset >= 0, size >= 1, stride >= 1 needed}}
  %0 = sparse_tiny.slice %x {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 1, 32>, strides = array<i64: 1, 1, 0>}
       : (tensor<1x17x32xf32>) -> tensor<1x1x32xf32>
  return %0 : tensor<1x1x32xf32>
}

// -----

// slice C2: offsets are >= 0.
func.func @slice_c2_offset(%x: tensor<1x17x32xf32>) -> tensor<1x1x32xf32> {
  // expected-error@+1 {{'sparse_tiny.slice' op C2: dim 1: offset >= 0, size >= 1, stride >= 1 needed}}
  %0 = sparse_tiny.slice %x {offsets = array<i64: 0, -1, 0>, sizes = array<i64: 1, 1, 32>, strides = array<i64: 1, 1, 1>}
       : (tensor<1x17x32xf32>) -> tensor<1x1x32xf32>
  return %0 : tensor<1x1x32xf32>
}

// -----

// slice C3: the last index read is inside the input.
func.func @slice_c3_out_of_range(%x: tensor<1x17x32xf32>) -> tensor<1x9x32xf32> {
  // expected-error@+1 {{'sparse_tiny.slice' op C3: dim 1 reads index 17 of 17}}
  %0 = sparse_tiny.slice %x {offsets = array<i64: 0, 1, 0>, sizes = array<i64: 1, 9, 32>, strides = array<i64: 1, 2, 1>}
       : (tensor<1x17x32xf32>) -> tensor<1x9x32xf32>
  return %0 : tensor<1x9x32xf32>
}

// -----

// slice C4: the result shape is `sizes`.
func.func @slice_c4_result(%x: tensor<1x17x32xf32>) -> tensor<1x32xf32> {
  // expected-error@+1 {{'sparse_tiny.slice' op C4: result shape [1,32] should be [1,1,32]}}
  %0 = sparse_tiny.slice %x {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 1, 32>, strides = array<i64: 1, 1, 1>}
       : (tensor<1x17x32xf32>) -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

//===----------------------------------------------------------------------===//
// softmax, layer_norm
//===----------------------------------------------------------------------===//

// -----

// softmax C1: axis is in [0, rank) (a negative axis, printed as given).
func.func @softmax_c1_axis(%x: tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32> {
  // expected-error@+1 {{'sparse_tiny.softmax' op C1: axis -1 is not in [0, 4)}}
  %0 = sparse_tiny.softmax %x {axis = -1 : i64} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
  return %0 : tensor<1x4x16x16xf32>
}

// -----

// softmax C1: axis is in [0, rank) (past the end).
func.func @softmax_c1_axis_rank(%x: tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32> {
  // expected-error@+1 {{'sparse_tiny.softmax' op C1: axis 4 is not in [0, 4)}}
  %0 = sparse_tiny.softmax %x {axis = 4 : i64} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
  return %0 : tensor<1x4x16x16xf32>
}

// -----

// layer_norm C1: axis is in [0, rank).
func.func @layer_norm_c1_axis(%x: tensor<1x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<1x16x32xf32> {
  // expected-error@+1 {{'sparse_tiny.layer_norm' op C1: axis 3 is not in [0, 3)}}
  %0 = sparse_tiny.layer_norm %x, %g, %b {axis = 3 : i64, epsilon = 1.0e-05 : f32}
       : (tensor<1x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  return %0 : tensor<1x16x32xf32>
}

// -----

// layer_norm C2: scale and bias have shape input.shape[axis:].
func.func @layer_norm_c2_params(%x: tensor<1x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<1x16x32xf32> {
  // expected-error@+1 {{'sparse_tiny.layer_norm' op C2: scale and bias must have shape [16,32]}}
  %0 = sparse_tiny.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32}
       : (tensor<1x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  return %0 : tensor<1x16x32xf32>
}

// -----

// layer_norm C3: epsilon > 0.
func.func @layer_norm_c3_epsilon(%x: tensor<1x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<1x16x32xf32> {
  // expected-error@+1 {{'sparse_tiny.layer_norm' op C3: epsilon must be positive}}
  %0 = sparse_tiny.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 0.0 : f32}
       : (tensor<1x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  return %0 : tensor<1x16x32xf32>
}

// -----

// layer_norm C4: the result has the input shape.
func.func @layer_norm_c4_result(%x: tensor<1x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<16x32xf32> {
  // expected-error@+1 {{'sparse_tiny.layer_norm' op C4: result shape [16,32] should be [1,16,32]}}
  %0 = sparse_tiny.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32}
       : (tensor<1x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

//===----------------------------------------------------------------------===//
// quantize, dequantize
//===----------------------------------------------------------------------===//

// -----

// quantize C1: a per-axis type has one scale per element of its dim.
func.func @quantize_c1_scale_count(%x: tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:1, {0.1,0.2}>> {
  // expected-error@+1 {{'sparse_tiny.quantize' op C1: per-axis quantization on dim 1 needs one scale per element of that dim}}
  %0 = sparse_tiny.quantize %x : (tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:1, {0.1,0.2}>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32:1, {0.1,0.2}>>
}

// -----

// quantize C1: a per-axis type's dim is in [0, rank).
func.func @quantize_c1_dim(%x: tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:2, {0.1,0.2}>> {
  // expected-error@+1 {{'sparse_tiny.quantize' op C1: per-axis quantization on dim 2 needs one scale per element of that dim}}
  %0 = sparse_tiny.quantize %x : (tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:2, {0.1,0.2}>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32:2, {0.1,0.2}>>
}

// -----

// quantize: the input is f32 or quantized (a requantization), from ODS.
func.func @quantize_input_type(%x: tensor<2xi32>) -> tensor<2x!quant.uniform<i8:f32, 0.1>> {
  // expected-error@+1 {{'sparse_tiny.quantize' op operand #0 must be statically shaped tensor of 32-bit float or QuantizedType values, but got 'tensor<2xi32>'}}
  %0 = sparse_tiny.quantize %x : (tensor<2xi32>) -> tensor<2x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<2x!quant.uniform<i8:f32, 0.1>>
}

// -----

// dequantize C1: the operand's per-axis type has one scale per element.
func.func @dequantize_c1_scale_count(%q: tensor<3x2x!quant.uniform<i8:f32:0, {0.1,0.2}>>) -> tensor<3x2xf32> {
  // expected-error@+1 {{'sparse_tiny.dequantize' op C1: per-axis quantization on dim 0 needs one scale per element of that dim}}
  %0 = sparse_tiny.dequantize %q : (tensor<3x2x!quant.uniform<i8:f32:0, {0.1,0.2}>>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// dequantize: the operand is quantized (SparseTiny_QuantTensor, from ODS).
func.func @dequantize_input_type(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{'sparse_tiny.dequantize' op operand #0 must be statically shaped tensor of QuantizedType values, but got 'tensor<2xf32>'}}
  %0 = sparse_tiny.dequantize %x : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// mhsa: the heads must divide the embedding dim (C1).
func.func @mhsa_heads(%x: tensor<1x4x6xf32>, %w: tensor<6x6xf32>, %b: tensor<6xf32>) -> tensor<1x4x6xf32> {
  // expected-error@+1 {{'sparse_tiny.mhsa' op C1: num_heads (4) must be >= 1 and divide the embedding dim (6)}}
  %0 = sparse_tiny.mhsa %x, %w, %b, k(%w, %b), %w, %b, %w, %b {num_heads = 4 : i64, scale = 1.0 : f32} : (tensor<1x4x6xf32>, tensor<6x6xf32>, tensor<6xf32>, tensor<6x6xf32>, tensor<6xf32>, tensor<6x6xf32>, tensor<6xf32>, tensor<6x6xf32>, tensor<6xf32>) -> tensor<1x4x6xf32>
  return %0 : tensor<1x4x6xf32>
}

// -----

// mhsa with fused_qk: no K projection, and the query weight holds one
// [E, E] block per head (C2, C3).
func.func @mhsa_fused_k(%x: tensor<1x4x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<1x4x4xf32> {
  // expected-error@+1 {{'sparse_tiny.mhsa' op C3: k_weight and k_bias must be present exactly when fused_qk is not set}}
  %0 = sparse_tiny.mhsa %x, %w, %b, k(%w, %b), %w, %b, %w, %b {fused_qk, num_heads = 1 : i64, scale = 1.0 : f32} : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  return %0 : tensor<1x4x4xf32>
}

// -----

func.func @mhsa_fused_q(%x: tensor<1x4x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<1x4x4xf32> {
  // expected-error@+1 {{'sparse_tiny.mhsa' op C2: q_weight must have shape [8,4], got [4,4]}}
  %0 = sparse_tiny.mhsa %x, %w, %b, %w, %b, %w, %b {fused_qk, num_heads = 2 : i64, scale = 1.0 : f32} : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  return %0 : tensor<1x4x4xf32>
}

// -----

// A quantized mhsa carries the types of its intermediate values (C5).
func.func @mhsa_types(%x: tensor<1x4x4x!quant.uniform<i8:f32, 0.1>>, %w: tensor<4x4x!quant.uniform<i8:f32, 0.1>>, %b: tensor<4x!quant.uniform<i32:f32, 0.01>>) -> tensor<1x4x4x!quant.uniform<i8:f32, 0.1>> {
  // expected-error@+1 {{'sparse_tiny.mhsa' op C5: a quantized mhsa needs query_type, key_type, value_type, score_type and context_type}}
  %0 = sparse_tiny.mhsa %x, %w, %b, k(%w, %b), %w, %b, %w, %b {num_heads = 1 : i64, scale = 1.0 : f32} : (tensor<1x4x4x!quant.uniform<i8:f32, 0.1>>, tensor<4x4x!quant.uniform<i8:f32, 0.1>>, tensor<4x!quant.uniform<i32:f32, 0.01>>, tensor<4x4x!quant.uniform<i8:f32, 0.1>>, tensor<4x!quant.uniform<i32:f32, 0.01>>, tensor<4x4x!quant.uniform<i8:f32, 0.1>>, tensor<4x!quant.uniform<i32:f32, 0.01>>, tensor<4x4x!quant.uniform<i8:f32, 0.1>>, tensor<4x!quant.uniform<i32:f32, 0.01>>) -> tensor<1x4x4x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<1x4x4x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @resize_rank(%x: tensor<4x4xf32>) -> tensor<8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.resize_nearest' op C1: the input has rank 2, not 4}}
  %0 = sparse_tiny.resize_nearest %x {scales = array<i64: 2, 2>} : (tensor<4x4xf32>) -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

func.func @resize_scales(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error@+1 {{'sparse_tiny.resize_nearest' op C2: scales [0,1] need 2 entries >= 1}}
  %0 = sparse_tiny.resize_nearest %x {scales = array<i64: 0, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @resize_shape(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error@+1 {{'sparse_tiny.resize_nearest' op C3}}
  %0 = sparse_tiny.resize_nearest %x {scales = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x4xf32>
  return %0 : tensor<1x2x8x4xf32>
}

// -----

func.func @bilinear_rank(%x: tensor<4x4xf32>) -> tensor<8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.resize_bilinear' op C1: the input has rank 2, not 4}}
  %0 = sparse_tiny.resize_bilinear %x {scales = array<i64: 2, 2>} : (tensor<4x4xf32>) -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

func.func @bilinear_scales(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x68x4xf32> {
  // expected-error@+1 {{'sparse_tiny.resize_bilinear' op C2: scales [17,1] need 2 entries in [1, 16]}}
  %0 = sparse_tiny.resize_bilinear %x {scales = array<i64: 17, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x68x4xf32>
  return %0 : tensor<1x2x68x4xf32>
}

// -----

func.func @bilinear_shape(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error@+1 {{'sparse_tiny.resize_bilinear' op C3}}
  %0 = sparse_tiny.resize_bilinear %x {scales = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x4xf32>
  return %0 : tensor<1x2x8x4xf32>
}

// -----

// prelu C2: one slope per index of dim 1.
func.func @prelu_c2_slopes(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error@+1 {{'sparse_tiny.prelu' op C2: 2 slopes for a dim 1 of 3}}
  %0 = sparse_tiny.prelu %x {slopes = array<f32: 0.1, 0.2>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// prelu C1: rank 2 or more.
func.func @prelu_c1_rank(%x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{'sparse_tiny.prelu' op C1: the input has rank 1, not 2 or more}}
  %0 = sparse_tiny.prelu %x {slopes = array<f32: 0.1, 0.2, 0.3>} : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// depth_to_space C1: a 4-D map.
func.func @d2s_c1_rank(%x: tensor<1x8x4xf32>) -> tensor<1x2x8xf32> {
  // expected-error@+1 {{'sparse_tiny.depth_to_space' op C1: the input has rank 3, not 4}}
  %0 = sparse_tiny.depth_to_space %x {block = array<i64: 2, 2>, mode = "DCR"} : (tensor<1x8x4xf32>) -> tensor<1x2x8xf32>
  return %0 : tensor<1x2x8xf32>
}

// -----

// depth_to_space C2: the block divides the channels.
func.func @d2s_c2_block(%x: tensor<1x6x4x4xf32>) -> tensor<1x1x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.depth_to_space' op C2: block [2,2] needs 2 entries >= 1 whose product divides the 6 channels}}
  %0 = sparse_tiny.depth_to_space %x {block = array<i64: 2, 2>, mode = "DCR"} : (tensor<1x6x4x4xf32>) -> tensor<1x1x8x8xf32>
  return %0 : tensor<1x1x8x8xf32>
}

// -----

// depth_to_space C3: DCR or CRD.
func.func @d2s_c3_mode(%x: tensor<1x8x4x4xf32>) -> tensor<1x2x8x8xf32> {
  // expected-error@+1 {{'sparse_tiny.depth_to_space' op C3: mode 'RDC' is neither "DCR" nor "CRD"}}
  %0 = sparse_tiny.depth_to_space %x {block = array<i64: 2, 2>, mode = "RDC"} : (tensor<1x8x4x4xf32>) -> tensor<1x2x8x8xf32>
  return %0 : tensor<1x2x8x8xf32>
}

// -----

// depth_to_space C4: [N, C / (bh bw), H bh, W bw].
func.func @d2s_c4_shape(%x: tensor<1x8x4x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error@+1 {{'sparse_tiny.depth_to_space' op C4}}
  %0 = sparse_tiny.depth_to_space %x {block = array<i64: 2, 2>, mode = "CRD"} : (tensor<1x8x4x4xf32>) -> tensor<1x2x8x4xf32>
  return %0 : tensor<1x2x8x4xf32>
}

// -----

// shuffle C1: the factors multiply to the input's element count.
func.func @shuffle_c1_factors(%x: tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32> {
  // expected-error@+1 {{'sparse_tiny.shuffle' op C1: factors [8,2,2,2] do not multiply to the input's 128 elements}}
  %0 = sparse_tiny.shuffle %x {factors = array<i64: 8, 2, 2, 2>, perm = array<i64: 0, 1, 2, 3>} : (tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32>
  return %0 : tensor<4x4x8xf32>
}

// -----

// shuffle C2: perm is a permutation of the factors.
func.func @shuffle_c2_perm(%x: tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32> {
  // expected-error@+1 {{'sparse_tiny.shuffle' op C2: perm [0,0,1] is not a permutation of 3 factors}}
  %0 = sparse_tiny.shuffle %x {factors = array<i64: 8, 4, 4>, perm = array<i64: 0, 0, 1>} : (tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32>
  return %0 : tensor<4x4x8xf32>
}

// -----

// shuffle C3: as many elements out as in.
func.func @shuffle_c3_count(%x: tensor<1x8x4x4xf32>) -> tensor<4x4x4xf32> {
  // expected-error@+1 {{'sparse_tiny.shuffle' op C3: the output has 64 elements, not 128}}
  %0 = sparse_tiny.shuffle %x {factors = array<i64: 8, 4, 4>, perm = array<i64: 2, 1, 0>} : (tensor<1x8x4x4xf32>) -> tensor<4x4x4xf32>
  return %0 : tensor<4x4x4xf32>
}

// -----

// mhsa's score bias is [1 or H, S, S] (C7).
func.func @mhsa_bias_shape(%x: tensor<1x4x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>, %bias: tensor<3x4x4xf32>) -> tensor<1x4x4xf32> {
  // expected-error@+1 {{'sparse_tiny.mhsa' op C7: score_bias must be a float [1 or 2, 4, 4], got [3,4,4] of 'f32'}}
  %0 = sparse_tiny.mhsa %x, %w, %b, k(%w, %b), %w, %b, %w, %b, bias(%bias) {num_heads = 2 : i64, scale = 1.0 : f32} : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<3x4x4xf32>) -> tensor<1x4x4xf32>
  return %0 : tensor<1x4x4xf32>
}
