// Errors of --sparse-tiny-quantize. Every case gets the same calibration
// batch: two samples of shape [1, 4].
// RUN: %python -c "import numpy as np; np.save('%t.npy', np.arange(8, dtype=np.float32).reshape(2, 1, 4) - 3)"
// RUN: tf-opt %s -split-input-file -verify-diagnostics --sparse-tiny-quantize=calibration=%t.npy

// An op without an INT8 form, found after calibration.
func.func @sqrt(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{'sparse_tiny.sqrt' op has no INT8 form yet (supported: conv2d, fully_connected, matmul, add, mul of two activations, mul/div by a constant scalar, relu, clip, gelu, sigmoid, tanh, erf, silu, hardswish, hardsigmoid, exp, leaky_relu, prelu, layer_norm, softmax, max/avg/global_avg pooling, mean, reshape, transpose, slice, concat, pad, resize)}}
  %s = sparse_tiny.sqrt %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %s : tensor<1x4xf32>
}

// -----

// The same for a QDQ model, which needs no calibration to get there.
func.func @qdq_sub(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q0 = sparse_tiny.quantize %x : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 0.05>>
  %d0 = sparse_tiny.dequantize %q0 : (tensor<1x4x!quant.uniform<i8:f32, 0.05>>) -> tensor<1x4xf32>
  // expected-error@+1 {{'sparse_tiny.sub' op has no INT8 form yet}}
  %s = sparse_tiny.sub %d0, %d0 : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %q1 = sparse_tiny.quantize %s : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 0.00390625:-128>>
  %d1 = sparse_tiny.dequantize %q1 : (tensor<1x4x!quant.uniform<i8:f32, 0.00390625:-128>>) -> tensor<1x4xf32>
  return %d1 : tensor<1x4xf32>
}

// -----

// A division by an activation (LayerNorm left decomposed) has no INT8 form.
// (x / x is one value on every sample: calibration says so.)
// expected-warning@+1 {{tensors have one value over all samples (a 'sparse_tiny.div'); their scales are guesses}}
func.func @div_activations(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{'sparse_tiny.div' op has no INT8 form yet}}
  %y = sparse_tiny.div %x, %x : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// QDQ activations must be 8-bit per tensor.
func.func @qdq_int16(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{'sparse_tiny.quantize' op cannot adopt a QDQ scale of type 'tensor<1x4x!quant.uniform<i16:f32, 5.000000e-01>>': activations need 8-bit per-tensor types}}
  %q = sparse_tiny.quantize %x : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i16:f32, 0.5>>
  %d = sparse_tiny.dequantize %q : (tensor<1x4x!quant.uniform<i16:f32, 0.5>>) -> tensor<1x4xf32>
  %r = sparse_tiny.relu %d : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}

// -----

// A quantize whose result is used other than by a dequantize cannot go.
func.func @quantize_returned(%x: tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5>> {
  // expected-error@+1 {{'sparse_tiny.quantize' op is used other than by a dequantize; cannot adopt its scale}}
  %q = sparse_tiny.quantize %x : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5>>
  return %q : tensor<1x4x!quant.uniform<i8:f32, 0.5>>
}

// -----

// The batch's samples are [1, 4]; the function takes [1, 8].
// expected-error@+1 {{has shape [2,1,4]; expected [samples, 1,8]}}
func.func @wrong_calibration_shape(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %r = sparse_tiny.relu %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %r : tensor<1x8xf32>
}

// -----

// expected-error@+1 {{calibration supports one input, the function has 2}}
func.func @two_inputs(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = sparse_tiny.add %x, %y : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}

// -----

// expected-error@+1 {{quantization expects one function, found 2}}
module {
  func.func @a(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
    return %x : tensor<1x4xf32>
  }
  func.func @b(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
    return %x : tensor<1x4xf32>
  }
}

// -----

// A mul has an INT8 form by a constant scalar (an attention scale) or of
// two activations (a gate); by a constant tensor it has none.
func.func @mul_constant_tensor(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %c = sparse_tiny.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32> : tensor<4xf32>
  // expected-error@+1 {{'sparse_tiny.mul' op has no INT8 form yet}}
  %0 = sparse_tiny.mul %x, %c : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
