// RUN: tf-opt %s -split-input-file --canonicalize | FileCheck %s
// RUN: tf-opt %s -split-input-file --sparse-tiny-fuse-attention | FileCheck %s --check-prefix=QUANT

// A packed linear layer (6 outputs) whose channels are sliced into two
// parts becomes one linear layer per part, over its weight and bias rows.
// CHECK-LABEL: func.func @channels
// CHECK-DAG: %[[W0:.+]] = sparse_tiny.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B0:.+]] = sparse_tiny.constant dense<[1.000000e-01, 2.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[W1:.+]] = sparse_tiny.constant dense<{{\[}}[5.000000e+00, 6.000000e+00], [7.000000e+00, 8.000000e+00], [9.000000e+00, 1.000000e+01], [1.100000e+01, 1.200000e+01]]> : tensor<4x2xf32>
// CHECK-DAG: %[[B1:.+]] = sparse_tiny.constant dense<[3.000000e-01, 4.000000e-01, 5.000000e-01, 6.000000e-01]> : tensor<4xf32>
// CHECK-DAG: %[[Y0:.+]] = sparse_tiny.fully_connected %arg0, %[[W0]], %[[B0]] {clamp_min = 0.000000e+00 : f32} : {{.*}} -> tensor<1x3x2xf32>
// CHECK-DAG: %[[Y1:.+]] = sparse_tiny.fully_connected %arg0, %[[W1]], %[[B1]] {clamp_min = 0.000000e+00 : f32} : {{.*}} -> tensor<1x3x4xf32>
// CHECK: return %[[Y0]], %[[Y1]]
func.func @channels(%x: tensor<1x3x2xf32>) -> (tensor<1x3x2xf32>, tensor<1x3x4xf32>) {
  %w = sparse_tiny.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0], [9.0, 10.0], [11.0, 12.0]]> : tensor<6x2xf32> : tensor<6x2xf32>
  %b = sparse_tiny.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]> : tensor<6xf32> : tensor<6xf32>
  %y = sparse_tiny.fully_connected %x, %w, %b {clamp_min = 0.0 : f32} : (tensor<1x3x2xf32>, tensor<6x2xf32>, tensor<6xf32>) -> tensor<1x3x6xf32>
  %a = sparse_tiny.slice %y {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 3, 2>, strides = array<i64: 1, 1, 1>} : (tensor<1x3x6xf32>) -> tensor<1x3x2xf32>
  %c = sparse_tiny.slice %y {offsets = array<i64: 0, 0, 2>, sizes = array<i64: 1, 3, 4>, strides = array<i64: 1, 1, 1>} : (tensor<1x3x6xf32>) -> tensor<1x3x4xf32>
  return %a, %c : tensor<1x3x2xf32>, tensor<1x3x4xf32>
}

// -----

// Not split: the packed output is also returned whole (splitting would
// compute its rows twice), a slice keeps only some tokens, a slice has a
// stride, and the weight is not a constant.
// CHECK-LABEL: func.func @not_split
// CHECK-COUNT-4: sparse_tiny.fully_connected {{.*}} -> tensor<1x3x6xf32>
// CHECK-NOT: sparse_tiny.fully_connected
func.func @not_split(%x: tensor<1x3x2xf32>, %wx: tensor<6x2xf32>) -> (tensor<1x3x6xf32>, tensor<1x3x2xf32>, tensor<1x1x6xf32>, tensor<1x3x3xf32>, tensor<1x3x2xf32>) {
  %w = sparse_tiny.constant dense<1.0> : tensor<6x2xf32> : tensor<6x2xf32>
  %y = sparse_tiny.fully_connected %x, %w : (tensor<1x3x2xf32>, tensor<6x2xf32>) -> tensor<1x3x6xf32>
  %a = sparse_tiny.slice %y {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 3, 2>, strides = array<i64: 1, 1, 1>} : (tensor<1x3x6xf32>) -> tensor<1x3x2xf32>
  %t = sparse_tiny.fully_connected %x, %w : (tensor<1x3x2xf32>, tensor<6x2xf32>) -> tensor<1x3x6xf32>
  %ta = sparse_tiny.slice %t {offsets = array<i64: 0, 1, 0>, sizes = array<i64: 1, 1, 6>, strides = array<i64: 1, 1, 1>} : (tensor<1x3x6xf32>) -> tensor<1x1x6xf32>
  %s = sparse_tiny.fully_connected %x, %w : (tensor<1x3x2xf32>, tensor<6x2xf32>) -> tensor<1x3x6xf32>
  %sa = sparse_tiny.slice %s {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 3, 3>, strides = array<i64: 1, 1, 2>} : (tensor<1x3x6xf32>) -> tensor<1x3x3xf32>
  %n = sparse_tiny.fully_connected %x, %wx : (tensor<1x3x2xf32>, tensor<6x2xf32>) -> tensor<1x3x6xf32>
  %na = sparse_tiny.slice %n {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 3, 2>, strides = array<i64: 1, 1, 1>} : (tensor<1x3x6xf32>) -> tensor<1x3x2xf32>
  return %y, %a, %ta, %sa, %na : tensor<1x3x6xf32>, tensor<1x3x2xf32>, tensor<1x1x6xf32>, tensor<1x3x3xf32>, tensor<1x3x2xf32>
}

// -----

// timm's packed attention, S = 4, E = 4, two heads of 2: qkv linear (12
// outputs), Reshape [1, 4, 3, 2, 2], Transpose(2, 0, 3, 1, 4), Split +
// Squeeze. The slices move up through the transpose and reshape, the
// packed linear splits into Q, K and V (rows 0-3, 4-7, 8-11), and the
// block becomes one mhsa.
// CHECK-LABEL: func.func @timm_attention
// CHECK-DAG: %[[WQ:.+]] = sparse_tiny.constant dense<{{\[}}[1.000000e-01, 2.000000e-01, 0.000000e+00, -1.000000e-01], [3.000000e-01, -2.000000e-01, 1.000000e-01, 0.000000e+00], [0.000000e+00, 1.000000e-01, 2.000000e-01, 3.000000e-01], [-1.000000e-01, 0.000000e+00, 1.000000e-01, 2.000000e-01]]>
// CHECK-DAG: %[[WK:.+]] = sparse_tiny.constant dense<{{\[}}[2.000000e-01, 1.000000e-01, 0.000000e+00, 1.000000e-01], [0.000000e+00, -2.000000e-01, 3.000000e-01, 0.000000e+00], [1.000000e-01, 1.000000e-01, 1.000000e-01, 1.000000e-01], [3.000000e-01, 0.000000e+00, -1.000000e-01, 2.000000e-01]]>
// CHECK-DAG: %[[WV:.+]] = sparse_tiny.constant dense<{{\[}}[5.000000e-01, 0.000000e+00, 0.000000e+00, 1.000000e-01], [0.000000e+00, 5.000000e-01, 1.000000e-01, 0.000000e+00], [1.000000e-01, 0.000000e+00, 5.000000e-01, 0.000000e+00], [0.000000e+00, 1.000000e-01, 0.000000e+00, 5.000000e-01]]>
// CHECK-DAG: %[[BQ:.+]] = sparse_tiny.constant dense<[0.00999999977, -2.000000e-02, 3.000000e-02, 0.000000e+00]>
// CHECK-DAG: %[[BK:.+]] = sparse_tiny.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01, 4.000000e-01]>
// CHECK-DAG: %[[BV:.+]] = sparse_tiny.constant dense<[-1.000000e-01, -2.000000e-01, -3.000000e-01, -4.000000e-01]>
// CHECK: %[[Y:.+]] = sparse_tiny.mhsa %arg0, %[[WQ]], %[[BQ]], k(%[[WK]], %[[BK]]), %[[WV]], %[[BV]], %{{[^,]+}}, %{{[^ ]+}} {num_heads = 2 : i64, scale = 0.707106769 : f32}
// CHECK-NOT: sparse_tiny.slice
// CHECK-NOT: sparse_tiny.fully_connected
// CHECK: return %[[Y]]
func.func @timm_attention(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %wqkv = sparse_tiny.constant dense<[[0.1, 0.2, 0.0, -0.1], [0.3, -0.2, 0.1, 0.0], [0.0, 0.1, 0.2, 0.3], [-0.1, 0.0, 0.1, 0.2],
                                      [0.2, 0.1, 0.0, 0.1], [0.0, -0.2, 0.3, 0.0], [0.1, 0.1, 0.1, 0.1], [0.3, 0.0, -0.1, 0.2],
                                      [0.5, 0.0, 0.0, 0.1], [0.0, 0.5, 0.1, 0.0], [0.1, 0.0, 0.5, 0.0], [0.0, 0.1, 0.0, 0.5]]> : tensor<12x4xf32> : tensor<12x4xf32>
  %bqkv = sparse_tiny.constant dense<[0.01, -0.02, 0.03, 0.0, 0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, -0.4]> : tensor<12xf32> : tensor<12xf32>
  %wo = sparse_tiny.constant dense<[[1.0, 0.0, 0.0, 0.2], [0.0, 1.0, 0.2, 0.0], [0.2, 0.0, 1.0, 0.0], [0.0, 0.2, 0.0, 1.0]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %bo = sparse_tiny.constant dense<[0.01, -0.02, 0.03, 0.0]> : tensor<4xf32> : tensor<4xf32>
  %scale = sparse_tiny.constant dense<0.707106769> : tensor<f32> : tensor<f32>
  %qkv = sparse_tiny.fully_connected %x, %wqkv, %bqkv : (tensor<1x4x4xf32>, tensor<12x4xf32>, tensor<12xf32>) -> tensor<1x4x12xf32>
  %r = sparse_tiny.reshape %qkv : (tensor<1x4x12xf32>) -> tensor<1x4x3x2x2xf32>
  %t = sparse_tiny.transpose %r {perm = array<i64: 2, 0, 3, 1, 4>} : (tensor<1x4x3x2x2xf32>) -> tensor<3x1x2x4x2xf32>
  %q5 = sparse_tiny.slice %t {offsets = array<i64: 0, 0, 0, 0, 0>, sizes = array<i64: 1, 1, 2, 4, 2>, strides = array<i64: 1, 1, 1, 1, 1>} : (tensor<3x1x2x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %k5 = sparse_tiny.slice %t {offsets = array<i64: 1, 0, 0, 0, 0>, sizes = array<i64: 1, 1, 2, 4, 2>, strides = array<i64: 1, 1, 1, 1, 1>} : (tensor<3x1x2x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %v5 = sparse_tiny.slice %t {offsets = array<i64: 2, 0, 0, 0, 0>, sizes = array<i64: 1, 1, 2, 4, 2>, strides = array<i64: 1, 1, 1, 1, 1>} : (tensor<3x1x2x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %q = sparse_tiny.reshape %q5 : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %k = sparse_tiny.reshape %k5 : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %v = sparse_tiny.reshape %v5 : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %kt = sparse_tiny.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x2xf32>) -> tensor<1x2x2x4xf32>
  %s = sparse_tiny.matmul %q, %kt : (tensor<1x2x4x2xf32>, tensor<1x2x2x4xf32>) -> tensor<1x2x4x4xf32>
  %ss = sparse_tiny.mul %s, %scale : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %a = sparse_tiny.softmax %ss {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c = sparse_tiny.matmul %a, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %ct = sparse_tiny.transpose %c {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x2xf32>) -> tensor<1x4x2x2xf32>
  %cr = sparse_tiny.reshape %ct : (tensor<1x4x2x2xf32>) -> tensor<1x4x4xf32>
  %o = sparse_tiny.fully_connected %cr, %wo, %bo : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  return %o : tensor<1x4x4xf32>
}

// -----

// A QDQ model's packed projection after quantization: per-channel weight
// and bias scales are cut with their rows (sparse-tiny-fuse-attention
// splits before it matches). Slicing a reshape that merges the sliced dim
// with the one before it is left alone.
// QUANT-LABEL: func.func @quantized_rows
// QUANT-DAG: sparse_tiny.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi8> : tensor<2x2x!quant.uniform<i8<-127:127>:f32:0, {1.000000e-01,2.000000e-01}>>
// QUANT-DAG: sparse_tiny.constant dense<[5, 6]> : tensor<2xi32> : tensor<2x!quant.uniform<i32:f32:0, {1.000000e-02,2.000000e-02}>>
// QUANT-DAG: sparse_tiny.constant dense<{{\[}}[5, 6], [7, 8]]> : tensor<2x2xi8> : tensor<2x2x!quant.uniform<i8<-127:127>:f32:0, {3.000000e-01,4.000000e-01}>>
// QUANT-DAG: sparse_tiny.constant dense<[7, 8]> : tensor<2xi32> : tensor<2x!quant.uniform<i32:f32:0, {3.000000e-02,4.000000e-02}>>
// QUANT-COUNT-2: sparse_tiny.fully_connected {{.*}} -> tensor<1x3x2x!quant.uniform<i8:f32, 5.000000e-02:3>>
// QUANT: sparse_tiny.reshape {{.*}} -> tensor<6x2xf32>
// QUANT-NEXT: sparse_tiny.slice
func.func @quantized_rows(%x: tensor<1x3x2x!quant.uniform<i8:f32, 0.1>>, %z: tensor<2x3x2xf32>) -> (tensor<1x3x2x!quant.uniform<i8:f32, 0.05:3>>, tensor<1x3x2x!quant.uniform<i8:f32, 0.05:3>>, tensor<3x2xf32>) {
  %w = sparse_tiny.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8> : tensor<4x2x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2, 0.3, 0.4}>>
  %b = sparse_tiny.constant dense<[5, 6, 7, 8]> : tensor<4xi32> : tensor<4x!quant.uniform<i32:f32:0, {0.01, 0.02, 0.03, 0.04}>>
  %y = sparse_tiny.fully_connected %x, %w, %b : (tensor<1x3x2x!quant.uniform<i8:f32, 0.1>>, tensor<4x2x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2, 0.3, 0.4}>>, tensor<4x!quant.uniform<i32:f32:0, {0.01, 0.02, 0.03, 0.04}>>) -> tensor<1x3x4x!quant.uniform<i8:f32, 0.05:3>>
  %r = sparse_tiny.reshape %y : (tensor<1x3x4x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x3x2x2x!quant.uniform<i8:f32, 0.05:3>>
  %t = sparse_tiny.transpose %r {perm = array<i64: 2, 0, 1, 3>} : (tensor<1x3x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<2x1x3x2x!quant.uniform<i8:f32, 0.05:3>>
  %a = sparse_tiny.slice %t {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 1, 3, 2>, strides = array<i64: 1, 1, 1, 1>} : (tensor<2x1x3x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x1x3x2x!quant.uniform<i8:f32, 0.05:3>>
  %c = sparse_tiny.slice %t {offsets = array<i64: 1, 0, 0, 0>, sizes = array<i64: 1, 1, 3, 2>, strides = array<i64: 1, 1, 1, 1>} : (tensor<2x1x3x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x1x3x2x!quant.uniform<i8:f32, 0.05:3>>
  %a3 = sparse_tiny.reshape %a : (tensor<1x1x3x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x3x2x!quant.uniform<i8:f32, 0.05:3>>
  %c3 = sparse_tiny.reshape %c : (tensor<1x1x3x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x3x2x!quant.uniform<i8:f32, 0.05:3>>
  // [2, 3, 2] -> [6, 2]: rows 1-3 of the result span both input blocks.
  %zr = sparse_tiny.reshape %z : (tensor<2x3x2xf32>) -> tensor<6x2xf32>
  %zs = sparse_tiny.slice %zr {offsets = array<i64: 1, 0>, sizes = array<i64: 3, 2>, strides = array<i64: 1, 1>} : (tensor<6x2xf32>) -> tensor<3x2xf32>
  return %a3, %c3, %zs : tensor<1x3x2x!quant.uniform<i8:f32, 0.05:3>>, tensor<1x3x2x!quant.uniform<i8:f32, 0.05:3>>, tensor<3x2xf32>
}
