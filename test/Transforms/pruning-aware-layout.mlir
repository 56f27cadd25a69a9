// RUN: tf-opt %s --sparse-tiny-pruning-aware-layout -split-input-file | FileCheck %s

// Unstructured zeros: the nonzero count, the empty row (output 2 is bias
// only) and the empty column (input 1 is read by nobody).
// CHECK-LABEL: func.func @unstructured
// CHECK: sparse_tiny.constant
// CHECK-SAME: encoding = #sparse_tiny.encoding<unstructured, nnz = 5, empty_rows = 1, empty_cols = 1>
!x = tensor<1x4x!quant.uniform<i8:f32, 0.1>>
!o = tensor<1x3x!quant.uniform<i8:f32, 0.1>>
func.func @unstructured(%x: !x) -> !o {
  %w = sparse_tiny.constant dense<[[1, 0, 2, 5], [0, 0, 3, 4], [0, 0, 0, 0]]> : tensor<3x4xi8> : tensor<3x4x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.fully_connected %x, %w : (!x, tensor<3x4x!quant.uniform<i8:f32, 0.01>>) -> !o
  return %y : !o
}

// -----

// Every nonzero in full aligned blocks of 4 rows x 1 column.
// CHECK-LABEL: func.func @blocks_4x1
// CHECK: encoding = #sparse_tiny.encoding<block, [4, 1], nnz = 8, empty_cols = 2>
!x = tensor<1x4x!quant.uniform<i8:f32, 0.1>>
!o = tensor<1x4x!quant.uniform<i8:f32, 0.1>>
func.func @blocks_4x1(%x: !x) -> !o {
  %w = sparse_tiny.constant dense<[[1, 0, 5, 0], [2, 0, 6, 0], [3, 0, 7, 0], [4, 0, 8, 0]]> : tensor<4x4xi8> : tensor<4x4x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.fully_connected %x, %w : (!x, tensor<4x4x!quant.uniform<i8:f32, 0.01>>) -> !o
  return %y : !o
}

// -----

// 1x4 blocks of a convolution, in the OHWI column order of the kernels:
// output 0 reads all 4 input channels at tap (0, 0) only.
// CHECK-LABEL: func.func @conv_blocks_1x4
// CHECK: encoding = #sparse_tiny.encoding<block, [1, 4], nnz = 4, empty_rows = 1, empty_cols = 4>
!x = tensor<1x4x3x3x!quant.uniform<i8:f32, 0.1>>
!o = tensor<1x2x3x2x!quant.uniform<i8:f32, 0.1>>
func.func @conv_blocks_1x4(%x: !x) -> !o {
  %w = sparse_tiny.constant dense<[[[[1, 0]], [[2, 0]], [[3, 0]], [[4, 0]]], [[[0, 0]], [[0, 0]], [[0, 0]], [[0, 0]]]]> : tensor<2x4x1x2xi8> : tensor<2x4x1x2x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.conv2d %x, %w {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (!x, tensor<2x4x1x2x!quant.uniform<i8:f32, 0.01>>) -> !o
  return %y : !o
}

// -----

// 2:4 (at most two nonzeros in each aligned group of four columns).
// CHECK-LABEL: func.func @two_of_four
// CHECK: encoding = #sparse_tiny.encoding<n_m, [2, 4], nnz = 4>
!x = tensor<1x4x!quant.uniform<i8:f32, 0.1>>
!o = tensor<1x2x!quant.uniform<i8:f32, 0.1>>
func.func @two_of_four(%x: !x) -> !o {
  %w = sparse_tiny.constant dense<[[1, 0, 0, 2], [0, 3, 4, 0]]> : tensor<2x4xi8> : tensor<2x4x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.fully_connected %x, %w : (!x, tensor<2x4x!quant.uniform<i8:f32, 0.01>>) -> !o
  return %y : !o
}

// -----

// No zero: dense. A float weight (before quantization) is left alone.
// CHECK-LABEL: func.func @dense_and_float
// CHECK: sparse_tiny.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi8> {encoding = #sparse_tiny.encoding<dense, nnz = 4>}
// CHECK: sparse_tiny.constant dense<{{.*}}> : tensor<2x2xf32> : tensor<2x2xf32>
// CHECK-NOT: encoding
!x = tensor<1x2x!quant.uniform<i8:f32, 0.1>>
func.func @dense_and_float(%x: !x, %f: tensor<1x2xf32>) -> (!x, tensor<1x2xf32>) {
  %w = sparse_tiny.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8> : tensor<2x2x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.fully_connected %x, %w : (!x, tensor<2x2x!quant.uniform<i8:f32, 0.01>>) -> !x
  %v = sparse_tiny.constant dense<[[0.0, 1.0], [0.0, 2.0]]> : tensor<2x2xf32> : tensor<2x2xf32>
  %z = sparse_tiny.fully_connected %f, %v : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y, %z : !x, tensor<1x2xf32>
}
