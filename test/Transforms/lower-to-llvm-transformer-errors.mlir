// RUN: tf-opt %s -split-input-file -verify-diagnostics --sparse-tiny-lower-to-llvm

// Layers the transformer kernels cannot take, refused with the reason.

// A slice made of more than 256 separate runs (one byte of each of 300
// tokens).
!i = tensor<1x300x2x!quant.uniform<i8:f32, 0.1>>
!o = tensor<1x300x1x!quant.uniform<i8:f32, 0.1>>
module attributes {sparse_tiny.arena_size = 0 : i64} {
  func.func @slice_runs(%x: !i) -> !o {
    // expected-error@+1 {{'sparse_tiny.slice' op slice into 300 separate runs has no kernel (at most 256)}}
    %y = sparse_tiny.slice %x {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 300, 1>, strides = array<i64: 1, 1, 1>, sparse_tiny.kernel = #sparse_tiny.kernel<slice>, sparse_tiny.buffer = "output"} : (!i) -> !o
    return %y : !o
  }
}

// -----

// A batch matmul whose lhs is broadcast over the batch.
!a = tensor<1x2x2x!quant.uniform<i8:f32, 0.1>>
!b = tensor<3x2x2x!quant.uniform<i8:f32, 0.1>>
module attributes {sparse_tiny.arena_size = 0 : i64} {
  func.func @matmul_broadcast(%x: !a) -> !b {
    %c = sparse_tiny.constant dense<1> : tensor<3x2x2xi8> : !b
    // expected-error@+1 {{'sparse_tiny.matmul' op batch matmul broadcasting other than one rhs for every batch has no kernel}}
    %y = sparse_tiny.matmul %x, %c {sparse_tiny.kernel = #sparse_tiny.kernel<batch_matmul>, sparse_tiny.buffer = "output"} : (!a, !b) -> !b
    return %y : !b
  }
}

// -----

// LayerNorm whose epsilon, in input steps squared, overflows the kernel's
// 64-bit variance (input scale 1e-12).
!i = tensor<1x2x4x!quant.uniform<i8:f32, 1.0e-12>>
!o = tensor<1x2x4x!quant.uniform<i8:f32, 0.01>>
module attributes {sparse_tiny.arena_size = 0 : i64} {
  func.func @layer_norm_eps(%x: !i) -> !o {
    %g = sparse_tiny.constant dense<1.0> : tensor<4xf32> : tensor<4xf32>
    %b = sparse_tiny.constant dense<0.0> : tensor<4xf32> : tensor<4xf32>
    // expected-error@+1 {{'sparse_tiny.layer_norm' op in INT8 form: epsilon 1.000000e-05 is too large for the input scale 1.000000e-12 (integer LayerNorm needs eps * C^2 / s_in^2 below 2^62)}}
    %y = sparse_tiny.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32, sparse_tiny.kernel = #sparse_tiny.kernel<layer_norm>, sparse_tiny.buffer = "output"} : (!i, tensor<4xf32>, tensor<4xf32>) -> !o
    return %y : !o
  }
}

// -----

// More channels than the kernel's int32 sum of squares allows.
!i = tensor<1x1x65537x!quant.uniform<i8:f32, 0.05>>
!o = tensor<1x1x65537x!quant.uniform<i8:f32, 0.01>>
module attributes {sparse_tiny.arena_size = 0 : i64} {
  func.func @layer_norm_channels(%x: !i) -> !o {
    %g = sparse_tiny.constant dense<1.0> : tensor<65537xf32> : tensor<65537xf32>
    %b = sparse_tiny.constant dense<0.0> : tensor<65537xf32> : tensor<65537xf32>
    // expected-error@+1 {{'sparse_tiny.layer_norm' op in INT8 form: layer_norm over 65537 channels (the integer kernel sums squares in int32: 65536 at most)}}
    %y = sparse_tiny.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32, sparse_tiny.kernel = #sparse_tiny.kernel<layer_norm>, sparse_tiny.buffer = "output"} : (!i, tensor<65537xf32>, tensor<65537xf32>) -> !o
    return %y : !o
  }
}
