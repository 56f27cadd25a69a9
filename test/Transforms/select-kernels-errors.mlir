// RUN: tf-opt %s -split-input-file -verify-diagnostics --sparse-tiny-select-kernels

// A float op has no INT8 kernel: quantize first.
func.func @float_op(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{'sparse_tiny.relu' op has no INT8 form: it was not quantized (run sparse-tiny-quantize first)}}
  %r = sparse_tiny.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}

// -----

// A grouped convolution that is not depthwise (2 groups of 2 channels).
!i = tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1>>
!w = tensor<4x2x1x1x!quant.uniform<i8:f32, 0.01>>
func.func @grouped_conv(%x: !i) -> !i {
  %w = sparse_tiny.constant dense<1> : tensor<4x2x1x1xi8> : !w
  // expected-error@+1 {{'sparse_tiny.conv2d' op has no INT8 kernel: a grouped convolution (groups = 2) runs only as depthwise}}
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 2 : i64} : (!i, !w) -> !i
  return %y : !i
}

// -----

// An attention block that was not fused: its 4-D head tensors are NHWC in
// memory, so the head transpose has no kernel, and the error says why.
!s = tensor<1x4x2x2x!quant.uniform<i8:f32, 0.1>>
!h = tensor<1x2x4x2x!quant.uniform<i8:f32, 0.1>>
func.func @unfused_heads(%x: !s) -> !h {
  // expected-error@+1 {{'sparse_tiny.transpose' op has no INT8 kernel: 4-D tensors are stored NHWC, and an attention block's head tensors only run inside a fused mhsa (the warning on the block's softmax says why it was not fused)}}
  %t = sparse_tiny.transpose %x {perm = array<i64: 0, 2, 1, 3>} : (!s) -> !h
  return %t : !h
}

// -----

// A mean over axes that are not adjacent in memory has no kernel; the
// error names the operand and the axes.
!t = tensor<2x4x8x!quant.uniform<i8:f32, 0.1>>
!m = tensor<4x!quant.uniform<i8:f32, 0.1>>
func.func @mean_apart(%x: !t) -> !m {
  // expected-error@+1 {{'sparse_tiny.mean' op has no INT8 kernel for 'tensor<2x4x8x!quant.uniform<i8:f32, 1.000000e-01>>' over axes [0, 2]}}
  %y = sparse_tiny.mean %x {axes = array<i64: 0, 2>, keepdims = false} : (!t) -> !m
  return %y : !m
}
