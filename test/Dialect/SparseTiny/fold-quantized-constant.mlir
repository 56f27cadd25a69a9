// RUN: tf-opt %s -canonicalize -split-input-file | FileCheck %s

// Folding ops whose operand is a quantized sparse_tiny.constant. Such a
// constant cannot fold to an attribute of its result type (its value holds the
// storage integers), so the ops that read it must be left as they are, and
// nothing may crash.

// A reshape of a quantized constant stays a reshape of that constant.
// CHECK-LABEL: func.func @reshape_of_quantized_constant
// CHECK: %[[C:.+]] = sparse_tiny.constant dense<[1, 2, 3, 4]> : tensor<4xi8> : tensor<4x!quant.uniform<i8:f32, 1.000000e-01>>
// CHECK: %[[R:.+]] = sparse_tiny.reshape %[[C]] : (tensor<4x!quant.uniform<i8:f32, 1.000000e-01>>) -> tensor<2x2x!quant.uniform<i8:f32, 1.000000e-01>>
// CHECK: return %[[R]]
func.func @reshape_of_quantized_constant() -> tensor<2x2x!quant.uniform<i8:f32, 0.1>> {
  %c = sparse_tiny.constant dense<[1, 2, 3, 4]> : tensor<4xi8> : tensor<4x!quant.uniform<i8:f32, 0.1>>
  %r = sparse_tiny.reshape %c : (tensor<4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.1>>
  return %r : tensor<2x2x!quant.uniform<i8:f32, 0.1>>
}

// -----

// A transpose of a per-axis quantized weight stays (the importer emits these
// for MatMul weights).
// CHECK-LABEL: func.func @transpose_of_quantized_constant
// CHECK: %[[C:.+]] = sparse_tiny.constant dense<{{\[\[}}1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>
// CHECK: %[[T:.+]] = sparse_tiny.transpose %[[C]] {perm = array<i64: 1, 0>}
// CHECK: return %[[T]]
func.func @transpose_of_quantized_constant() -> tensor<3x2x!quant.uniform<i8:f32:1, {0.1,0.2}>> {
  %c = sparse_tiny.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8> : tensor<2x3x!quant.uniform<i8:f32:0, {0.1,0.2}>>
  %t = sparse_tiny.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x3x!quant.uniform<i8:f32:0, {0.1,0.2}>>) -> tensor<3x2x!quant.uniform<i8:f32:1, {0.1,0.2}>>
  return %t : tensor<3x2x!quant.uniform<i8:f32:1, {0.1,0.2}>>
}
