// RUN: tf-opt %s --sparse-tiny-fold-shuffles -split-input-file | FileCheck %s

// MobileViT's unfold of a map into 2x2 patches, as ml-cvnets writes it:
// [1, C, H, W] -> [C*nh, ph, nw, pw] -> swap ph, nw -> [1, C, N, P]
// -> [1, P, N, C] -> [P, N, C]. No op of the chain has a kernel on its own;
// one shuffle does it all: factors C, ih, py, ix, px; the output is
// (py, px), (ih, ix), C.
// CHECK-LABEL: func.func @mobilevit_unfold
// CHECK-NEXT: %[[S:.+]] = sparse_tiny.shuffle %arg0 {factors = array<i64: 8, 2, 2, 2, 2>, perm = array<i64: 2, 4, 1, 3, 0>} : (tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32>
// CHECK-NEXT: return %[[S]]
func.func @mobilevit_unfold(%x: tensor<1x8x4x4xf32>) -> tensor<4x4x8xf32> {
  %a = sparse_tiny.reshape %x : (tensor<1x8x4x4xf32>) -> tensor<16x2x2x2xf32>
  %b = sparse_tiny.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<16x2x2x2xf32>) -> tensor<16x2x2x2xf32>
  %c = sparse_tiny.reshape %b : (tensor<16x2x2x2xf32>) -> tensor<1x8x4x4xf32>
  %d = sparse_tiny.transpose %c {perm = array<i64: 0, 3, 2, 1>} : (tensor<1x8x4x4xf32>) -> tensor<1x4x4x8xf32>
  %e = sparse_tiny.reshape %d : (tensor<1x4x4x8xf32>) -> tensor<4x4x8xf32>
  return %e : tensor<4x4x8xf32>
}

// -----

// A 6-D transpose alone (factors of 1 dropped).
// CHECK-LABEL: func.func @six_d
// CHECK-NEXT: sparse_tiny.shuffle %arg0 {factors = array<i64: 2, 3, 2, 2>, perm = array<i64: 3, 1, 0, 2>} : (tensor<1x2x3x1x2x2xf32>) -> tensor<2x3x1x2x2x1xf32>
func.func @six_d(%x: tensor<1x2x3x1x2x2xf32>) -> tensor<2x3x1x2x2x1xf32> {
  %a = sparse_tiny.transpose %x {perm = array<i64: 5, 2, 3, 1, 4, 0>} : (tensor<1x2x3x1x2x2xf32>) -> tensor<2x3x1x2x2x1xf32>
  return %a : tensor<2x3x1x2x2x1xf32>
}

// -----

// A chain whose ops each have a kernel stays (a transpose in logical
// order), and so does one that is not a permutation of factors (the last
// reshape mixes factors of two dims): it keeps its error.
// CHECK-LABEL: func.func @kept
// CHECK-NEXT: sparse_tiny.transpose %arg0 {perm = array<i64: 2, 1, 0>}
// CHECK: sparse_tiny.reshape
// CHECK-NEXT: sparse_tiny.transpose
// CHECK-NEXT: sparse_tiny.reshape
// CHECK-NOT: sparse_tiny.shuffle
func.func @kept(%x: tensor<2x3x4xf32>, %y: tensor<1x3x6x4xf32>) -> (tensor<4x3x2xf32>, tensor<1x36x2x1xf32>) {
  %a = sparse_tiny.transpose %x {perm = array<i64: 2, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  %b = sparse_tiny.reshape %y : (tensor<1x3x6x4xf32>) -> tensor<1x3x2x3x4xf32>
  %c = sparse_tiny.transpose %b {perm = array<i64: 4, 3, 2, 0, 1>} : (tensor<1x3x2x3x4xf32>) -> tensor<4x3x2x1x3xf32>
  %d = sparse_tiny.reshape %c : (tensor<4x3x2x1x3xf32>) -> tensor<1x36x2x1xf32>
  return %a, %d : tensor<4x3x2xf32>, tensor<1x36x2x1xf32>
}
