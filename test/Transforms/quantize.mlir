// Post-training INT8 quantization: QDQ adoption, then calibration with the
// minmax and percentile methods. Each section below is its own input.
// RUN: rm -rf %t && split-file %s %t
//
// QDQ models need no calibration data: every scale comes from the pairs.
// RUN: tf-opt %t/qdq.mlir -split-input-file --sparse-tiny-quantize | FileCheck %s --check-prefix=QDQ
//
// minmax over three samples; the batch may be [S, 1, 4] or [S, 4] for the
// [1, 4] input, with the same result.
// RUN: %python -c "import numpy as np; x = np.array([[0.0, 0.5, -0.25, 1.0], [0.75, -0.5, 0.25, 0.2], [-1.0, 1.5, 0.0, 0.0]], np.float32); np.save('%t/mm.npy', x); np.save('%t/mm3.npy', x.reshape(3, 1, 4))"
// RUN: tf-opt %t/fc.mlir --sparse-tiny-quantize=calibration=%t/mm.npy | FileCheck %s --check-prefix=MINMAX
// RUN: tf-opt %t/fc.mlir --sparse-tiny-quantize="calibration=%t/mm3.npy method=minmax" | FileCheck %s --check-prefix=MINMAX
//
// percentile vs minmax on data with outliers: 400 evenly spread values (one
// side [0, 1], two sides [-1, 1]) whose last (and first) are replaced by
// 100 (and -50).
// RUN: %python -c "import numpy as np; v = np.linspace(0, 1, 400).astype(np.float32); v[-1] = 100; np.save('%t/one.npy', v.reshape(100, 4)); v = np.linspace(-1, 1, 400).astype(np.float32); v[0] = -50; v[-1] = 100; np.save('%t/two.npy', v.reshape(100, 1, 4))"
// RUN: tf-opt %t/relu.mlir --sparse-tiny-quantize="calibration=%t/one.npy method=percentile percentile=99" | FileCheck %s --check-prefix=PCT1
// RUN: tf-opt %t/relu.mlir --sparse-tiny-quantize="calibration=%t/two.npy method=percentile percentile=99" | FileCheck %s --check-prefix=PCT2
// RUN: tf-opt %t/relu.mlir --sparse-tiny-quantize="calibration=%t/two.npy method=minmax" | FileCheck %s --check-prefix=MM2
// The default percentile (99.99) of 400 values cuts nothing: same as minmax.
// RUN: tf-opt %t/relu.mlir --sparse-tiny-quantize="calibration=%t/two.npy method=percentile" | FileCheck %s --check-prefix=MM2

//--- qdq.mlir

// u8 QDQ types become i8 with zero point - 128 (0.02:128 -> 0.02:0,
// 0.05:10 -> 0.05:-118); the pairs disappear; the weight is quantized per
// output channel, symmetric: channel 0's largest |w| is 1.27 -> scale 0.01
// (0.126 / 0.01 = 12.6 -> 13), channel 1's is 2.54 -> 0.02 (-1 / 0.02 = -50);
// the bias is int32 at s_in * s_w: 0.1 / (0.02 * 0.01) = 500 and
// -0.2 / (0.02 * 0.02) = -500. Max pooling and reshape keep the input's
// type, and the function takes and returns int8.
// QDQ-LABEL: func.func @qdq_conv
// QDQ-SAME: (%[[X:[^:]+]]: tensor<1x1x4x4x!quant.uniform<i8:f32, 2.000000e-02>>) -> tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-118>>
// QDQ-NOT: sparse_tiny.quantize
// QDQ-NOT: sparse_tiny.dequantize
// QDQ-DAG: %[[W:.+]] = sparse_tiny.constant dense<{{\[\[\[\[}}50, -127, 0], [25, 13, 100], [0, 0, 0]]], {{\[\[\[}}127, 0, -50], [25, 0, 0], [0, 0, -100]]]]> : tensor<2x1x3x3xi8> : tensor<2x1x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.0099999998{{[0-9]*}},0.019999999{{[0-9]*}}}>>
// QDQ-DAG: %[[B:.+]] = sparse_tiny.constant dense<[500, -500]> : tensor<2xi32> : tensor<2x!quant.uniform<i32:f32:0, {1.99999996{{[0-9]*}}E-4,3.9999999{{[0-9]*}}E-4}>>
// QDQ: %[[C:.+]] = sparse_tiny.conv2d %[[X]], %[[W]], %[[B]] {clamp_min = 0.000000e+00 : f32
// QDQ-SAME: -> tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-118>>
// QDQ: %[[P:.+]] = sparse_tiny.max_pool2d %[[C]]
// QDQ-SAME: -> tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-118>>
// QDQ: %[[R:.+]] = sparse_tiny.reshape %[[P]]
// QDQ-SAME: -> tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-118>>
// QDQ-NOT: sparse_tiny.quantize
// QDQ-NOT: sparse_tiny.dequantize
// QDQ: return %[[R]]
func.func @qdq_conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x8xf32> {
  %q0 = sparse_tiny.quantize %x : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4x!quant.uniform<u8:f32, 0.02:128>>
  %d0 = sparse_tiny.dequantize %q0 : (tensor<1x1x4x4x!quant.uniform<u8:f32, 0.02:128>>) -> tensor<1x1x4x4xf32>
  %w = sparse_tiny.constant dense<[[[[0.5, -1.27, 0.0], [0.25, 0.126, 1.0], [0.0, 0.0, 0.0]]], [[[2.54, 0.0, -1.0], [0.5, 0.0, 0.0], [0.0, 0.0, -2.0]]]]> : tensor<2x1x3x3xf32> : tensor<2x1x3x3xf32>
  %b = sparse_tiny.constant dense<[0.1, -0.2]> : tensor<2xf32> : tensor<2xf32>
  %y = sparse_tiny.conv2d %d0, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, clamp_min = 0.0 : f32} : (tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %q1 = sparse_tiny.quantize %y : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.05:10>>
  %d1 = sparse_tiny.dequantize %q1 : (tensor<1x2x4x4x!quant.uniform<u8:f32, 0.05:10>>) -> tensor<1x2x4x4xf32>
  %p = sparse_tiny.max_pool2d %d1 {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %r = sparse_tiny.reshape %p : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
  return %r : tensor<1x8xf32>
}

// -----

// A QDQ weight (dequantize of an int8 constant) stays as it is, per tensor;
// the bias takes s_in * s_w = 0.5 * 0.25 = 0.125 for every channel:
// 1.0 / 0.125 = 8, -0.5 / 0.125 = -4, 0.25 / 0.125 = 2. Softmax outputs
// 1/256 with zero point -128.
// QDQ-LABEL: func.func @qdq_weight_softmax
// QDQ-SAME: (%[[X:[^:]+]]: tensor<1x4x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>>
// QDQ-DAG: %[[W:.+]] = sparse_tiny.constant dense<{{\[\[}}1, 2, 3, 4], [-1, -2, -3, -4], [127, 0, 0, -127]]> : tensor<3x4xi8> : tensor<3x4x!quant.uniform<i8:f32, 2.500000e-01>>
// QDQ-DAG: %[[B:.+]] = sparse_tiny.constant dense<[8, -4, 2]> : tensor<3xi32> : tensor<3x!quant.uniform<i32:f32:0, {1.250000e-01,1.250000e-01,1.250000e-01}>>
// QDQ: %[[Y:.+]] = sparse_tiny.fully_connected %[[X]], %[[W]], %[[B]]
// QDQ-SAME: -> tensor<1x3x!quant.uniform<i8:f32, 1.250000e-01:7>>
// QDQ: %[[S:.+]] = sparse_tiny.softmax %[[Y]]
// QDQ-SAME: -> tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>>
// QDQ: return %[[S]]
func.func @qdq_weight_softmax(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %q0 = sparse_tiny.quantize %x : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>
  %d0 = sparse_tiny.dequantize %q0 : (tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4xf32>
  %wq = sparse_tiny.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4], [127, 0, 0, -127]]> : tensor<3x4xi8> : tensor<3x4x!quant.uniform<i8:f32, 0.25>>
  %w = sparse_tiny.dequantize %wq : (tensor<3x4x!quant.uniform<i8:f32, 0.25>>) -> tensor<3x4xf32>
  %b = sparse_tiny.constant dense<[1.0, -0.5, 0.25]> : tensor<3xf32> : tensor<3xf32>
  %y = sparse_tiny.fully_connected %d0, %w, %b : (tensor<1x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %q1 = sparse_tiny.quantize %y : (tensor<1x3xf32>) -> tensor<1x3x!quant.uniform<i8:f32, 0.125:7>>
  %d1 = sparse_tiny.dequantize %q1 : (tensor<1x3x!quant.uniform<i8:f32, 0.125:7>>) -> tensor<1x3xf32>
  %s = sparse_tiny.softmax %d1 {axis = 1 : i64} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %s : tensor<1x3xf32>
}

// -----

// Max pooling keeps its input's type (0.05:-10); the pair after it asks for
// 0.1:4, which becomes an explicit requantization (an int8 -> int8 quantize).
// QDQ-LABEL: func.func @requantize_after_pool
// QDQ-SAME: (%[[X:[^:]+]]: tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-10>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 1.000000e-01:4>>
// QDQ: %[[P:.+]] = sparse_tiny.max_pool2d %[[X]]
// QDQ-SAME: -> tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-10>>
// QDQ: %[[Q:.+]] = sparse_tiny.quantize %[[P]] : (tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-10>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 1.000000e-01:4>>
// QDQ: return %[[Q]]
func.func @requantize_after_pool(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %q0 = sparse_tiny.quantize %x : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-10>>
  %d0 = sparse_tiny.dequantize %q0 : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-10>>) -> tensor<1x2x4x4xf32>
  %p = sparse_tiny.max_pool2d %d0 {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %q1 = sparse_tiny.quantize %p : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:4>>
  %d1 = sparse_tiny.dequantize %q1 : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:4>>) -> tensor<1x2x2x2xf32>
  return %d1 : tensor<1x2x2x2xf32>
}

// -----

// A scale only after a reshape flows back to the reshape's producer (QDQ
// models quantize after the flatten): the fully_connected's result takes
// 0.2:-1, and so does the reshape.
// QDQ-LABEL: func.func @scale_flows_back_through_reshape
// QDQ: sparse_tiny.fully_connected
// QDQ-SAME: -> tensor<1x4x!quant.uniform<i8:f32, 2.000000e-01:-1>>
// QDQ: sparse_tiny.reshape
// QDQ-SAME: -> tensor<2x2x!quant.uniform<i8:f32, 2.000000e-01:-1>>
// QDQ-NOT: sparse_tiny.quantize
func.func @scale_flows_back_through_reshape(%x: tensor<1x4xf32>) -> tensor<2x2xf32> {
  %q0 = sparse_tiny.quantize %x : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>
  %d0 = sparse_tiny.dequantize %q0 : (tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4xf32>
  %w = sparse_tiny.constant dense<1.0> : tensor<4x4xf32> : tensor<4x4xf32>
  %y = sparse_tiny.fully_connected %d0, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  %r = sparse_tiny.reshape %y : (tensor<1x4xf32>) -> tensor<2x2xf32>
  %q1 = sparse_tiny.quantize %r : (tensor<2x2xf32>) -> tensor<2x2x!quant.uniform<i8:f32, 0.2:-1>>
  %d1 = sparse_tiny.dequantize %q1 : (tensor<2x2x!quant.uniform<i8:f32, 0.2:-1>>) -> tensor<2x2xf32>
  return %d1 : tensor<2x2xf32>
}

//--- fc.mlir

// Calibration, minmax. The input's range over the batch is [-1, 1.5]:
// scale 2.5 / 255 = 0.00980392..., zero point round(-128 + 1 / scale) = -26.
// The fully_connected's outputs are [0.5, -0.5], [1.25, 1.1], [-0.5, -3]:
// range [-3, 1.25], scale 4.25 / 255 = 0.0166666..., zero point
// round(-128 + 3 / scale) = 52. The relu's are [0, 1.25]: 1.25 / 255 =
// 0.00490196..., -128. Weights: 1 / 127 and 2 / 127 per channel (0.5 ->
// 31.75 -> 32); bias 0.5 / (2.5/255 * 1/127) = 6477.
// MINMAX-LABEL: func.func @calibrated
// MINMAX-SAME: (%[[X:[^:]+]]: tensor<1x4x!quant.uniform<i8:f32, 0.0098039215686274{{[0-9]*}}:-26>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.0049019607843137{{[0-9]*}}:-128>>
// MINMAX-DAG: %[[W:.+]] = sparse_tiny.constant dense<{{\[\[}}127, 0, 0, 0], [0, -127, 0, 32]]> : tensor<2x4xi8> : tensor<2x4x!quant.uniform<i8<-127:127>:f32:0, {0.007874015748031{{[0-9]*}},0.015748031496062{{[0-9]*}}}>>
// MINMAX-DAG: %[[B:.+]] = sparse_tiny.constant dense<[6477, 0]> : tensor<2xi32>
// MINMAX: %[[Y:.+]] = sparse_tiny.fully_connected %[[X]], %[[W]], %[[B]]
// MINMAX-SAME: -> tensor<1x2x!quant.uniform<i8:f32, 0.01666666666666{{[0-9]*}}:52>>
// MINMAX: %[[R:.+]] = sparse_tiny.relu %[[Y]]
// MINMAX-SAME: -> tensor<1x2x!quant.uniform<i8:f32, 0.0049019607843137{{[0-9]*}}:-128>>
// MINMAX: return %[[R]]
func.func @calibrated(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = sparse_tiny.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, -2.0, 0.0, 0.5]]> : tensor<2x4xf32> : tensor<2x4xf32>
  %b = sparse_tiny.constant dense<[0.5, 0.0]> : tensor<2xf32> : tensor<2xf32>
  %y = sparse_tiny.fully_connected %x, %w, %b : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %r = sparse_tiny.relu %y : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %r : tensor<1x2xf32>
}

//--- relu.mlir

// Percentile 99 of 400 values cuts 4 on each side, in a 2048-bin histogram
// over [min, max].
//
// one.npy: [0, 1] and one 100. Bins are 100 / 2048 wide; the top cut drops
// the 100 and stops in bin 20, which holds the values near 1: hi = 21 bins
// = 1.025390625, scale 1.025390625 / 255 = 0.00402113970588..., zero point
// -128 (minmax would give 100 / 255 = 0.392).
// PCT1-LABEL: func.func @outliers
// PCT1-SAME: (%{{[^:]+}}: tensor<1x4x!quant.uniform<i8:f32, 0.00402113970588235{{[0-9]*}}:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.00402113970588235{{[0-9]*}}:-128>>
//
// two.npy: -50, [-1, 1], 100. Bins are 150 / 2048 wide; lo = bin 669's
// lower edge = -1.0009765625, hi = bin 696's upper edge = 1.0498046875:
// scale 2.05078125 / 255 = 0.00804227941176..., zero point
// round(-128 + 1.0009765625 / scale) = round(-3.53) = -4. The relu's output
// (0 .. 1 and 100, half of it zeros) has the same cut as one.npy.
// PCT2-LABEL: func.func @outliers
// PCT2-SAME: (%{{[^:]+}}: tensor<1x4x!quant.uniform<i8:f32, 0.00804227941176470{{[0-9]*}}:-4>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.00402113970588235{{[0-9]*}}:-128>>
//
// minmax on two.npy: [-50, 100] -> 150 / 255 = 0.588235..., zero point
// round(-128 + 50 / scale) = -43; the relu: [0, 100] -> 0.392156..., -128.
// MM2-LABEL: func.func @outliers
// MM2-SAME: (%{{[^:]+}}: tensor<1x4x!quant.uniform<i8:f32, 0.5882352941176470{{[0-9]*}}:-43>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.3921568627450980{{[0-9]*}}:-128>>
func.func @outliers(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = sparse_tiny.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
