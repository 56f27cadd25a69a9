// Every sparse_tiny op and attribute prints in a form that parses back to the
// same op: custom form -> custom form, and generic form -> custom form.
// RUN: tf-opt %s -split-input-file | tf-opt -split-input-file | FileCheck %s
// RUN: tf-opt %s -split-input-file -mlir-print-op-generic | tf-opt -split-input-file | FileCheck %s

// A float constant, a dense_resource constant (its blob survives the round
// trip byte for byte) and the three weight encodings.
// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2xf32>, tensor<4x4xf32>, tensor<2x2xf32>, tensor<8x4xf32>, tensor<2x2xf32>) {
  // CHECK: sparse_tiny.constant dense<[1.000000e+00, -2.500000e-01]> : tensor<2xf32> : tensor<2xf32>
  %a = sparse_tiny.constant dense<[1.0, -0.25]> : tensor<2xf32> : tensor<2xf32>
  // CHECK: sparse_tiny.constant dense_resource<ops.blob> : tensor<4x4xf32> : tensor<4x4xf32>
  %b = sparse_tiny.constant dense_resource<ops.blob> : tensor<4x4xf32> : tensor<4x4xf32>
  // CHECK: sparse_tiny.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
  // CHECK-SAME: {encoding = #sparse_tiny.encoding<unstructured, nnz = 2>} : tensor<2x2xf32>
  %c = sparse_tiny.constant dense<[[1.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>
         {encoding = #sparse_tiny.encoding<unstructured, nnz = 2>} : tensor<2x2xf32>
  // CHECK: sparse_tiny.constant dense<1.000000e+00> : tensor<8x4xf32>
  // CHECK-SAME: {encoding = #sparse_tiny.encoding<block, [4, 1], nnz = 8, empty_rows = 4>} : tensor<8x4xf32>
  %d = sparse_tiny.constant dense<1.0> : tensor<8x4xf32>
         {encoding = #sparse_tiny.encoding<block, [4, 1], nnz = 8, empty_rows = 4>} : tensor<8x4xf32>
  // CHECK: sparse_tiny.constant dense<3.000000e+00> : tensor<2x2xf32>
  // CHECK-SAME: {encoding = #sparse_tiny.encoding<dense>} : tensor<2x2xf32>
  %e = sparse_tiny.constant dense<3.0> : tensor<2x2xf32>
         {encoding = #sparse_tiny.encoding<dense>} : tensor<2x2xf32>
  return %a, %b, %c, %d, %e : tensor<2xf32>, tensor<4x4xf32>, tensor<2x2xf32>, tensor<8x4xf32>, tensor<2x2xf32>
}

// A quantized constant can be a blob too: i8 storage (alignment 1).
// CHECK-LABEL: func.func @quantized_blob
// CHECK: sparse_tiny.constant dense_resource<ops.qblob> : tensor<4xi8> : tensor<4x!quant.uniform<i8:f32, 5.000000e-01>>
func.func @quantized_blob() -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  %q = sparse_tiny.constant dense_resource<ops.qblob> : tensor<4xi8> : tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %q : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// The blobs: a 4-byte alignment header (0x04000000 for f32), then the
// little-endian data (16 f32: 1, 2, 3, 4, -1, -2, -3, -4, 0.5, 0.25, 0.125,
// 0.0625, 0, 0, 0, 1; 4 i8: 1, -1, 127, -128).
// CHECK: dialect_resources
// CHECK-DAG: ops.blob: "0x040000000000803F000000400000404000008040000080BF000000C0000040C0000080C00000003F0000803E0000003E0000803D0000000000000000000000000000803F"
// CHECK-DAG: ops.qblob: "0x0100000001FF7F80"
{-#
  dialect_resources: {
    builtin: {
      ops.blob: "0x040000000000803F000000400000404000008040000080BF000000C0000040C0000080C00000003F0000803E0000003E0000803D0000000000000000000000000000803F",
      ops.qblob: "0x0100000001FF7F80"
    }
  }
#-}

// -----

// Quantized constants keep i8 storage values under per-tensor and per-axis
// quant result types, with a sparse encoding too.
// CHECK-LABEL: func.func @quantized_constants
func.func @quantized_constants() -> (tensor<2x2x!quant.uniform<i8:f32, 0.05:-3>>, tensor<2x3x!quant.uniform<i8:f32:0, {0.1,0.2}>>) {
  // CHECK: sparse_tiny.constant dense<{{\[\[}}1, 0], [0, -2]]> : tensor<2x2xi8>
  // CHECK-SAME: {encoding = #sparse_tiny.encoding<unstructured, nnz = 2>} : tensor<2x2x!quant.uniform<i8:f32, 5.000000e-02:-3>>
  %q = sparse_tiny.constant dense<[[1, 0], [0, -2]]> : tensor<2x2xi8>
         {encoding = #sparse_tiny.encoding<unstructured, nnz = 2>}
         : tensor<2x2x!quant.uniform<i8:f32, 0.05:-3>>
  // CHECK: sparse_tiny.constant dense<{{\[\[}}1, 2, 3], [-4, -5, -6]]> : tensor<2x3xi8>
  // CHECK-SAME: : tensor<2x3x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>
  %p = sparse_tiny.constant dense<[[1, 2, 3], [-4, -5, -6]]> : tensor<2x3xi8>
         : tensor<2x3x!quant.uniform<i8:f32:0, {0.1,0.2}>>
  return %q, %p : tensor<2x2x!quant.uniform<i8:f32, 0.05:-3>>, tensor<2x3x!quant.uniform<i8:f32:0, {0.1,0.2}>>
}

// -----

// conv2d without bias (the defaults of dilations and groups are elided).
// CHECK-LABEL: func.func @conv2d_no_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x3x8x8xf32>, %[[W:[^:]+]]: tensor<4x3x3x3xf32>)
func.func @conv2d_no_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // CHECK: sparse_tiny.conv2d %[[X]], %[[W]] {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
  // CHECK-SAME: : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// conv2d with bias, stride 2, asymmetric padding and dilation 2.
// CHECK-LABEL: func.func @conv2d_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x3x9x9xf32>, %[[W:[^:]+]]: tensor<4x3x3x3xf32>, %[[B:[^:]+]]: tensor<4xf32>)
func.func @conv2d_bias(%x: tensor<1x3x9x9xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // CHECK: sparse_tiny.conv2d %[[X]], %[[W]], %[[B]]
  // CHECK-SAME: dilations = array<i64: 2, 2>
  // CHECK-SAME: padding = array<i64: 1, 0, 2, 2>
  // CHECK-SAME: strides = array<i64: 2, 2>
  // CHECK-SAME: : (tensor<1x3x9x9xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %y = sparse_tiny.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 2>,
                                      dilations = array<i64: 2, 2>}
       : (tensor<1x3x9x9xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// Grouped (groups = 2) and depthwise (groups = C = O) conv2d.
// CHECK-LABEL: func.func @conv2d_grouped_depthwise
func.func @conv2d_grouped_depthwise(%x: tensor<1x8x6x6xf32>, %wg: tensor<4x4x3x3xf32>,
                                    %wd: tensor<8x1x3x3xf32>, %bd: tensor<8xf32>)
    -> (tensor<1x4x4x4xf32>, tensor<1x8x6x6xf32>) {
  // CHECK: sparse_tiny.conv2d
  // CHECK-SAME: groups = 2 : i64
  // CHECK-SAME: (tensor<1x8x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32>
  %g = sparse_tiny.conv2d %x, %wg {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 2 : i64}
       : (tensor<1x8x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: sparse_tiny.conv2d
  // CHECK-SAME: groups = 8 : i64
  // CHECK-SAME: (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  %d = sparse_tiny.conv2d %x, %wd, %bd {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 8 : i64}
       : (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %g, %d : tensor<1x4x4x4xf32>, tensor<1x8x6x6xf32>
}

// -----

// A quantized conv2d: i8 activations and per-axis i8 weights.
// CHECK-LABEL: func.func @conv2d_quantized
func.func @conv2d_quantized(%x: tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-3>>,
                            %w: tensor<2x2x1x1x!quant.uniform<i8:f32:0, {0.1,0.2}>>)
    -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.1>> {
  // CHECK: sparse_tiny.conv2d
  // CHECK-SAME: (tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<2x2x1x1x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>)
  // CHECK-SAME: -> tensor<1x2x4x4x!quant.uniform<i8:f32, 1.000000e-01>>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-3>>, tensor<2x2x1x1x!quant.uniform<i8:f32:0, {0.1,0.2}>>)
         -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.1>>
  return %y : tensor<1x2x4x4x!quant.uniform<i8:f32, 0.1>>
}

// -----

// fully_connected with and without bias, over a batch row and over tokens.
// CHECK-LABEL: func.func @fully_connected
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x16x32xf32>, %[[W:[^:]+]]: tensor<8x32xf32>, %[[B:[^:]+]]: tensor<8xf32>, %[[R:[^:]+]]: tensor<2x32xf32>)
func.func @fully_connected(%x: tensor<1x16x32xf32>, %w: tensor<8x32xf32>, %b: tensor<8xf32>, %r: tensor<2x32xf32>)
    -> (tensor<1x16x8xf32>, tensor<2x8xf32>) {
  // CHECK: sparse_tiny.fully_connected %[[X]], %[[W]], %[[B]] : (tensor<1x16x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<1x16x8xf32>
  %t = sparse_tiny.fully_connected %x, %w, %b
       : (tensor<1x16x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<1x16x8xf32>
  // CHECK: sparse_tiny.fully_connected %[[R]], %[[W]] : (tensor<2x32xf32>, tensor<8x32xf32>) -> tensor<2x8xf32>
  %y = sparse_tiny.fully_connected %r, %w : (tensor<2x32xf32>, tensor<8x32xf32>) -> tensor<2x8xf32>
  return %t, %y : tensor<1x16x8xf32>, tensor<2x8xf32>
}

// -----

// matmul with batch dims that broadcast.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x4x16x8xf32>, %[[K:[^:]+]]: tensor<4x8x16xf32>)
func.func @matmul(%q: tensor<1x4x16x8xf32>, %k: tensor<4x8x16xf32>) -> tensor<1x4x16x16xf32> {
  // CHECK: sparse_tiny.matmul %[[Q]], %[[K]] : (tensor<1x4x16x8xf32>, tensor<4x8x16xf32>) -> tensor<1x4x16x16xf32>
  %s = sparse_tiny.matmul %q, %k : (tensor<1x4x16x8xf32>, tensor<4x8x16xf32>) -> tensor<1x4x16x16xf32>
  return %s : tensor<1x4x16x16xf32>
}

// -----

// The five binary ops, with broadcasting and with rank-0 operands.
// CHECK-LABEL: func.func @binary
// CHECK-SAME: (%[[A:[^:]+]]: tensor<1x16x32xf32>, %[[B:[^:]+]]: tensor<32xf32>, %[[S:[^:]+]]: tensor<f32>, %[[T:[^:]+]]: tensor<f32>)
func.func @binary(%a: tensor<1x16x32xf32>, %b: tensor<32xf32>, %s: tensor<f32>, %t: tensor<f32>)
    -> (tensor<1x16x32xf32>, tensor<f32>) {
  // CHECK: %[[ADD:.+]] = sparse_tiny.add %[[A]], %[[B]] : (tensor<1x16x32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  %0 = sparse_tiny.add %a, %b : (tensor<1x16x32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  // CHECK: %[[SUB:.+]] = sparse_tiny.sub %[[ADD]], %[[S]] : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  %1 = sparse_tiny.sub %0, %s : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  // CHECK: %[[MUL:.+]] = sparse_tiny.mul %[[B]], %[[SUB]] : (tensor<32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  %2 = sparse_tiny.mul %b, %1 : (tensor<32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  // CHECK: %[[DIV:.+]] = sparse_tiny.div %[[MUL]], %[[A]] : (tensor<1x16x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  %3 = sparse_tiny.div %2, %a : (tensor<1x16x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  // CHECK: sparse_tiny.pow %[[DIV]], %[[S]] : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  %4 = sparse_tiny.pow %3, %s : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  // CHECK: sparse_tiny.add %[[S]], %[[T]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %5 = sparse_tiny.add %s, %t : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %4, %5 : tensor<1x16x32xf32>, tensor<f32>
}

// -----

// The unary ops without attributes; a quantized output may have its own type.
// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x8xf32>
func.func @unary(%x: tensor<1x8xf32>, %q: tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>)
    -> (tensor<1x8xf32>, tensor<1x8x!quant.uniform<i8:f32, 0.1:-128>>) {
  // CHECK: %[[R:.+]] = sparse_tiny.relu %[[X]] : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %0 = sparse_tiny.relu %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: %[[SG:.+]] = sparse_tiny.sigmoid %[[R]]
  %1 = sparse_tiny.sigmoid %0 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: %[[TH:.+]] = sparse_tiny.tanh %[[SG]]
  %2 = sparse_tiny.tanh %1 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: %[[ER:.+]] = sparse_tiny.erf %[[TH]]
  %3 = sparse_tiny.erf %2 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: %[[SQ:.+]] = sparse_tiny.sqrt %[[ER]]
  %4 = sparse_tiny.sqrt %3 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: %[[EX:.+]] = sparse_tiny.exp %[[SQ]]
  %5 = sparse_tiny.exp %4 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: %[[SI:.+]] = sparse_tiny.silu %[[EX]]
  %6 = sparse_tiny.silu %5 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: sparse_tiny.hardswish %[[SI]] : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %7 = sparse_tiny.hardswish %6 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: sparse_tiny.relu %{{.+}} : (tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>) -> tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01:-128>>
  %8 = sparse_tiny.relu %q : (tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.1:-128>>
  return %7, %8 : tensor<1x8xf32>, tensor<1x8x!quant.uniform<i8:f32, 0.1:-128>>
}

// -----

// gelu: the default (erf) form prints no `approximate`; the tanh form does.
// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x16x64xf32>)
func.func @gelu(%x: tensor<1x16x64xf32>) -> (tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>) {
  // CHECK: sparse_tiny.gelu %[[X]] : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  %0 = sparse_tiny.gelu %x : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  // CHECK: sparse_tiny.gelu %[[X]] approximate = tanh : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  %1 = sparse_tiny.gelu %x approximate = tanh : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  // CHECK: sparse_tiny.gelu %[[X]] : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  %2 = sparse_tiny.gelu %x approximate = none : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  return %0, %1, %2 : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
}

// -----

// clip (ReLU6) and hard_sigmoid keep their float attributes.
// CHECK-LABEL: func.func @clip_hard_sigmoid
func.func @clip_hard_sigmoid(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  // CHECK: sparse_tiny.clip %{{.+}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %0 = sparse_tiny.clip %x {min = 0.0 : f32, max = 6.0 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK: sparse_tiny.hard_sigmoid %{{.+}} {alpha = 0.166666672 : f32, beta = 5.000000e-01 : f32}
  %1 = sparse_tiny.hard_sigmoid %x {alpha = 0.16666667 : f32, beta = 0.5 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %0, %1 : tensor<1x8xf32>, tensor<1x8xf32>
}

// -----

// max_pool2d, avg_pool2d (count_include_pad default elided, true printed) and
// global_avg_pool2d.
// CHECK-LABEL: func.func @pooling
func.func @pooling(%x: tensor<1x8x16x16xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) {
  // CHECK: sparse_tiny.max_pool2d %{{.+}} {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
  // CHECK-SAME: : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  %0 = sparse_tiny.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: sparse_tiny.avg_pool2d %{{.+}} {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>}
  %1 = sparse_tiny.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 0, 0>}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: sparse_tiny.avg_pool2d %{{.+}} {count_include_pad = true, kernel = array<i64: 3, 3>
  %2 = sparse_tiny.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 0, 0>,
                                  count_include_pad = true}
       : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: sparse_tiny.global_avg_pool2d %{{.+}} : (tensor<1x8x16x16xf32>) -> tensor<1x8x1x1xf32>
  %3 = sparse_tiny.global_avg_pool2d %x : (tensor<1x8x16x16xf32>) -> tensor<1x8x1x1xf32>
  return %0, %1, %2, %3 : tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>
}

// -----

// mean with and without keepdims.
// CHECK-LABEL: func.func @mean
func.func @mean(%x: tensor<1x16x32xf32>) -> (tensor<1x32xf32>, tensor<1x16x1xf32>) {
  // CHECK: sparse_tiny.mean %{{.+}} {axes = array<i64: 1>, keepdims = false} : (tensor<1x16x32xf32>) -> tensor<1x32xf32>
  %0 = sparse_tiny.mean %x {axes = array<i64: 1>, keepdims = false} : (tensor<1x16x32xf32>) -> tensor<1x32xf32>
  // CHECK: sparse_tiny.mean %{{.+}} {axes = array<i64: 2>, keepdims = true} : (tensor<1x16x32xf32>) -> tensor<1x16x1xf32>
  %1 = sparse_tiny.mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<1x16x32xf32>) -> tensor<1x16x1xf32>
  return %0, %1 : tensor<1x32xf32>, tensor<1x16x1xf32>
}

// -----

// The data movement ops: reshape, pad, transpose, concat, slice.
// CHECK-LABEL: func.func @data_movement
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x8x4x4xf32>, %[[C:[^:]+]]: tensor<1x1x32xf32>, %[[T:[^:]+]]: tensor<1x16x32xf32>)
func.func @data_movement(%x: tensor<1x8x4x4xf32>, %cls: tensor<1x1x32xf32>, %tok: tensor<1x16x32xf32>)
    -> (tensor<1x128xf32>, tensor<1x8x6x7xf32>, tensor<1x32x16xf32>, tensor<1x17x32xf32>, tensor<1x1x16xf32>) {
  // CHECK: sparse_tiny.reshape %[[X]] : (tensor<1x8x4x4xf32>) -> tensor<1x128xf32>
  %0 = sparse_tiny.reshape %x : (tensor<1x8x4x4xf32>) -> tensor<1x128xf32>
  // CHECK: sparse_tiny.pad %[[X]] {high = array<i64: 0, 0, 1, 2>, low = array<i64: 0, 0, 1, 1>, value = -1.000000e+00 : f32}
  // CHECK-SAME: : (tensor<1x8x4x4xf32>) -> tensor<1x8x6x7xf32>
  %1 = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 2>, value = -1.0 : f32}
       : (tensor<1x8x4x4xf32>) -> tensor<1x8x6x7xf32>
  // CHECK: sparse_tiny.transpose %[[T]] {perm = array<i64: 0, 2, 1>} : (tensor<1x16x32xf32>) -> tensor<1x32x16xf32>
  %2 = sparse_tiny.transpose %tok {perm = array<i64: 0, 2, 1>} : (tensor<1x16x32xf32>) -> tensor<1x32x16xf32>
  // CHECK: sparse_tiny.concat %[[C]], %[[T]] {axis = 1 : i64} : (tensor<1x1x32xf32>, tensor<1x16x32xf32>) -> tensor<1x17x32xf32>
  %3 = sparse_tiny.concat %cls, %tok {axis = 1 : i64} : (tensor<1x1x32xf32>, tensor<1x16x32xf32>) -> tensor<1x17x32xf32>
  // CHECK: sparse_tiny.slice %[[T]] {offsets = array<i64: 0, 3, 1>, sizes = array<i64: 1, 1, 16>, strides = array<i64: 1, 1, 2>}
  // CHECK-SAME: : (tensor<1x16x32xf32>) -> tensor<1x1x16xf32>
  %4 = sparse_tiny.slice %tok {offsets = array<i64: 0, 3, 1>, sizes = array<i64: 1, 1, 16>, strides = array<i64: 1, 1, 2>}
       : (tensor<1x16x32xf32>) -> tensor<1x1x16xf32>
  return %0, %1, %2, %3, %4 : tensor<1x128xf32>, tensor<1x8x6x7xf32>, tensor<1x32x16xf32>, tensor<1x17x32xf32>, tensor<1x1x16xf32>
}

// -----

// softmax and layer_norm.
// CHECK-LABEL: func.func @normalization
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x16x32xf32>, %[[G:[^:]+]]: tensor<32xf32>, %[[B:[^:]+]]: tensor<32xf32>)
func.func @normalization(%x: tensor<1x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>)
    -> (tensor<1x16x32xf32>, tensor<1x16x32xf32>) {
  // CHECK: sparse_tiny.softmax %[[X]] {axis = 2 : i64} : (tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  %0 = sparse_tiny.softmax %x {axis = 2 : i64} : (tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  // CHECK: sparse_tiny.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
  // CHECK-SAME: : (tensor<1x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  %1 = sparse_tiny.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32}
       : (tensor<1x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  return %0, %1 : tensor<1x16x32xf32>, tensor<1x16x32xf32>
}

// -----

// quantize / dequantize with per-tensor (u8 and i8) and per-axis types.
// CHECK-LABEL: func.func @quantization
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x16xf32>)
func.func @quantization(%x: tensor<2x16xf32>) -> (tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>) {
  // CHECK: %[[Q:.+]] = sparse_tiny.quantize %[[X]] : (tensor<2x16xf32>) -> tensor<2x16x!quant.uniform<i8:f32, 5.000000e-02:-3>>
  %q = sparse_tiny.quantize %x : (tensor<2x16xf32>) -> tensor<2x16x!quant.uniform<i8:f32, 0.05:-3>>
  // CHECK: sparse_tiny.dequantize %[[Q]] : (tensor<2x16x!quant.uniform<i8:f32, 5.000000e-02:-3>>) -> tensor<2x16xf32>
  %d = sparse_tiny.dequantize %q : (tensor<2x16x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<2x16xf32>
  // CHECK: %[[U:.+]] = sparse_tiny.quantize %[[X]] : (tensor<2x16xf32>) -> tensor<2x16x!quant.uniform<u8:f32, 2.000000e-02:128>>
  %u = sparse_tiny.quantize %x : (tensor<2x16xf32>) -> tensor<2x16x!quant.uniform<u8:f32, 0.02:128>>
  // CHECK: sparse_tiny.dequantize %[[U]]
  %e = sparse_tiny.dequantize %u : (tensor<2x16x!quant.uniform<u8:f32, 0.02:128>>) -> tensor<2x16xf32>
  // CHECK: %[[P:.+]] = sparse_tiny.quantize %[[X]] : (tensor<2x16xf32>) -> tensor<2x16x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>
  %p = sparse_tiny.quantize %x : (tensor<2x16xf32>) -> tensor<2x16x!quant.uniform<i8:f32:0, {0.1,0.2}>>
  // CHECK: sparse_tiny.dequantize %[[P]] : (tensor<2x16x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>) -> tensor<2x16xf32>
  %f = sparse_tiny.dequantize %p : (tensor<2x16x!quant.uniform<i8:f32:0, {0.1,0.2}>>) -> tensor<2x16xf32>
  return %d, %e, %f : tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>
}

// -----

// CHECK-LABEL: func.func @shuffle
// CHECK: sparse_tiny.shuffle %arg0 {factors = array<i64: 8, 2, 2, 2, 2>, perm = array<i64: 2, 4, 1, 3, 0>} : (tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32>
func.func @shuffle(%x: tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32> {
  %y = sparse_tiny.shuffle %x {factors = array<i64: 8, 2, 2, 2, 2>, perm = array<i64: 2, 4, 1, 3, 0>} : (tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32>
  return %y : tensor<4x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @depth_to_space
// CHECK: sparse_tiny.depth_to_space %arg0 {block = array<i64: 2, 3>, mode = "CRD"} : (tensor<1x12x4x4xf32>) -> tensor<1x2x8x12xf32>
func.func @depth_to_space(%x: tensor<1x12x4x4xf32>) -> tensor<1x2x8x12xf32> {
  %y = sparse_tiny.depth_to_space %x {block = array<i64: 2, 3>, mode = "CRD"} : (tensor<1x12x4x4xf32>) -> tensor<1x2x8x12xf32>
  return %y : tensor<1x2x8x12xf32>
}

// -----

// CHECK-LABEL: func.func @resize_nearest
// CHECK: sparse_tiny.resize_nearest %arg0 {scales = array<i64: 2, 4>} : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x16xf32>
func.func @resize_nearest(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x8x16xf32> {
  %y = sparse_tiny.resize_nearest %x {scales = array<i64: 2, 4>} : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x16xf32>
  return %y : tensor<1x8x8x16xf32>
}
