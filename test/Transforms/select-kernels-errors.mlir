// RUN: tf-opt %s -split-input-file -verify-diagnostics --sparse-tiny-select-kernels

// A float op has no INT8 kernel: quantize first.
func.func @float_op(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{'sparse_tiny.relu' op has no INT8 kernel (run sparse-tiny-quantize first; grouped convolutions other than depthwise are not supported)}}
  %r = sparse_tiny.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}

// -----

// A grouped convolution that is not depthwise (2 groups of 2 channels).
!i = tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1>>
!w = tensor<4x2x1x1x!quant.uniform<i8:f32, 0.01>>
func.func @grouped_conv(%x: !i) -> !i {
  %w = sparse_tiny.constant dense<1> : tensor<4x2x1x1xi8> : !w
  // expected-error@+1 {{'sparse_tiny.conv2d' op has no INT8 kernel}}
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 2 : i64} : (!i, !w) -> !i
  return %y : !i
}
