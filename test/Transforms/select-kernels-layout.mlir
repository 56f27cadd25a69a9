// RUN: tf-opt %s -split-input-file --sparse-tiny-select-kernels | FileCheck %s

// An NCHW map to tokens and back, as a channel LayerNorm or a hybrid's
// fold writes it: [N, C, H, W] -> reshape [N, C, H*W] -> transpose(0, 2, 1)
// is the NHWC bytes already (token flatten), and tokens -> transpose(0, 2, 1)
// -> reshape [N, C, H, W] is those bytes again (token unflatten): all four
// ops are aliases, no copy.
!map = tensor<1x4x2x2x!quant.uniform<i8:f32, 0.1>>
!chw = tensor<1x4x4x!quant.uniform<i8:f32, 0.1>>
// CHECK-LABEL: func.func @tokens_and_back
// CHECK: sparse_tiny.reshape {{.*}}kernel<alias>
// CHECK: sparse_tiny.transpose {{.*}}kernel<alias>
// CHECK: sparse_tiny.layer_norm {{.*}}kernel<layer_norm
// CHECK: sparse_tiny.transpose {{.*}}kernel<alias>
// CHECK: sparse_tiny.reshape {{.*}}kernel<alias>
func.func @tokens_and_back(%x: !map) -> !map {
  %g = sparse_tiny.constant dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32> : tensor<4xf32>
  %b = sparse_tiny.constant dense<[0.0, 0.0, 0.0, 0.0]> : tensor<4xf32> : tensor<4xf32>
  %f = sparse_tiny.reshape %x : (!map) -> !chw
  %t = sparse_tiny.transpose %f {perm = array<i64: 0, 2, 1>} : (!chw) -> !chw
  %n = sparse_tiny.layer_norm %t, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (!chw, tensor<4xf32>, tensor<4xf32>) -> !chw
  %u = sparse_tiny.transpose %n {perm = array<i64: 0, 2, 1>} : (!chw) -> !chw
  %y = sparse_tiny.reshape %u : (!chw) -> !map
  return %y : !map
}

// -----

// Tokens transposed for another reader (a matmul) are a real transpose.
!tok = tensor<1x4x4x!quant.uniform<i8:f32, 0.1>>
// CHECK-LABEL: func.func @transpose_for_matmul
// CHECK: sparse_tiny.transpose {{.*}}kernel<transpose
func.func @transpose_for_matmul(%x: !tok) -> !tok {
  %t = sparse_tiny.transpose %x {perm = array<i64: 0, 2, 1>} : (!tok) -> !tok
  %m = sparse_tiny.matmul %x, %t : (!tok, !tok) -> !tok
  return %m : !tok
}
