// RUN: tf-opt %s -verify-diagnostics --sparse-tiny-fuse-qk-weights

// Folding W_q·W_kᵀ needs the weights as float constants.
func.func @weights_not_constant(%x: tensor<1x4x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<1x4x4xf32> {
  // expected-error@+1 {{'sparse_tiny.mhsa' op fused-weight attention needs float constant Q/K weights (run it before quantization)}}
  %y = sparse_tiny.mhsa %x, %w, %b, k(%w, %b), %w, %b, %w, %b {num_heads = 1 : i64, scale = 5.000000e-01 : f32} : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}
