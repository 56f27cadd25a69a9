// RUN: tf-opt %s -canonicalize -split-input-file | FileCheck %s
// Every case also has to reach a fixpoint: a pattern that changes the IR and
// then reports failure keeps the greedy driver from converging.
// RUN: tf-opt %s -canonicalize="test-convergence=true" -split-input-file | FileCheck %s

// The fusion patterns of SparseTinyCanonicalize.cpp (each with cases that
// must not fire) and the folders of SparseTinyOps.cpp.

//===----------------------------------------------------------------------===//
// LayerNorm
//===----------------------------------------------------------------------===//

// Decomposed LayerNorm with pow(d, 2) (opset < 17 export) -> layer_norm with
// unit scale, zero bias and the epsilon of the add.
// CHECK-LABEL: func.func @layer_norm_pow
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x4xf32>)
// CHECK-DAG: %[[ONE:.+]] = sparse_tiny.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG: %[[ZERO:.+]] = sparse_tiny.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: %[[LN:.+]] = sparse_tiny.layer_norm %[[X]], %[[ONE]], %[[ZERO]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-SAME: : (tensor<1x4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
// CHECK-NOT: sparse_tiny.mean
// CHECK-NOT: sparse_tiny.pow
// CHECK-NOT: sparse_tiny.sqrt
// CHECK-NOT: sparse_tiny.div
// CHECK: return %[[LN]]
func.func @layer_norm_pow(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x4x1xf32>
  %d = sparse_tiny.sub %x, %m : (tensor<1x4x4xf32>, tensor<1x4x1xf32>) -> tensor<1x4x4xf32>
  %two = sparse_tiny.constant dense<2.0> : tensor<f32> : tensor<f32>
  %sq = sparse_tiny.pow %d, %two : (tensor<1x4x4xf32>, tensor<f32>) -> tensor<1x4x4xf32>
  %v = sparse_tiny.mean %sq {axes = array<i64: 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x4x1xf32>
  %eps = sparse_tiny.constant dense<1.0e-5> : tensor<f32> : tensor<f32>
  %ve = sparse_tiny.add %v, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %s = sparse_tiny.sqrt %ve : (tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
  %y = sparse_tiny.div %d, %s : (tensor<1x4x4xf32>, tensor<1x4x1xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// Decomposed LayerNorm with d * d, epsilon on the left of the add, over the
// two trailing dims -> layer_norm with axis 1 and [4, 4] parameters.
// CHECK-LABEL: func.func @layer_norm_mul_two_axes
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x4xf32>)
// CHECK: %[[LN:.+]] = sparse_tiny.layer_norm %[[X]], %{{.+}}, %{{.+}} {axis = 1 : i64, epsilon = 1.000000e-03 : f32}
// CHECK-SAME: : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<1x4x4xf32>
// CHECK-NOT: sparse_tiny.mul
// CHECK: return %[[LN]]
func.func @layer_norm_mul_two_axes(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 1, 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x1x1xf32>
  %d = sparse_tiny.sub %x, %m : (tensor<1x4x4xf32>, tensor<1x1x1xf32>) -> tensor<1x4x4xf32>
  %sq = sparse_tiny.mul %d, %d : (tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %v = sparse_tiny.mean %sq {axes = array<i64: 1, 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x1x1xf32>
  %eps = sparse_tiny.constant dense<1.0e-3> : tensor<f32> : tensor<f32>
  %ve = sparse_tiny.add %eps, %v : (tensor<f32>, tensor<1x1x1xf32>) -> tensor<1x1x1xf32>
  %s = sparse_tiny.sqrt %ve : (tensor<1x1x1xf32>) -> tensor<1x1x1xf32>
  %y = sparse_tiny.div %d, %s : (tensor<1x4x4xf32>, tensor<1x1x1xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// The mul by gamma and add of beta that follow a decomposed LayerNorm fold
// into its scale and bias: one layer_norm is left.
// CHECK-LABEL: func.func @layer_norm_affine
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x4xf32>)
// CHECK-DAG: %[[G:.+]] = sparse_tiny.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[B:.+]] = sparse_tiny.constant dense<[5.000000e-01, -5.000000e-01, 2.500000e-01, 0.000000e+00]> : tensor<4xf32>
// CHECK: %[[LN:.+]] = sparse_tiny.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64
// CHECK-NOT: sparse_tiny.mul
// CHECK-NOT: sparse_tiny.add
// CHECK: return %[[LN]]
func.func @layer_norm_affine(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x4x1xf32>
  %d = sparse_tiny.sub %x, %m : (tensor<1x4x4xf32>, tensor<1x4x1xf32>) -> tensor<1x4x4xf32>
  %two = sparse_tiny.constant dense<2.0> : tensor<f32> : tensor<f32>
  %sq = sparse_tiny.pow %d, %two : (tensor<1x4x4xf32>, tensor<f32>) -> tensor<1x4x4xf32>
  %v = sparse_tiny.mean %sq {axes = array<i64: 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x4x1xf32>
  %eps = sparse_tiny.constant dense<1.0e-5> : tensor<f32> : tensor<f32>
  %ve = sparse_tiny.add %v, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %s = sparse_tiny.sqrt %ve : (tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
  %n = sparse_tiny.div %d, %s : (tensor<1x4x4xf32>, tensor<1x4x1xf32>) -> tensor<1x4x4xf32>
  %g = sparse_tiny.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32> : tensor<4xf32>
  %ng = sparse_tiny.mul %n, %g : (tensor<1x4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %b = sparse_tiny.constant dense<[0.5, -0.5, 0.25, 0.0]> : tensor<4xf32> : tensor<4xf32>
  %y = sparse_tiny.add %b, %ng : (tensor<4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// mul(layer_norm, c) scales both its scale and its bias; add(layer_norm, c)
// shifts its bias.
// CHECK-LABEL: func.func @layer_norm_scale_then_shift
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x2x2xf32>)
// CHECK-DAG: %[[G:.+]] = sparse_tiny.constant dense<[2.000000e+00, 6.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B:.+]] = sparse_tiny.constant dense<[1.500000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[LN:.+]] = sparse_tiny.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[LN]]
func.func @layer_norm_scale_then_shift(%x: tensor<1x2x2xf32>) -> tensor<1x2x2xf32> {
  %g = sparse_tiny.constant dense<[1.0, 2.0]> : tensor<2xf32> : tensor<2xf32>
  %b = sparse_tiny.constant dense<[0.5, -1.0]> : tensor<2xf32> : tensor<2xf32>
  %ln = sparse_tiny.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<1x2x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2xf32>
  %c = sparse_tiny.constant dense<[[[2.0, 3.0]]]> : tensor<1x1x2xf32> : tensor<1x1x2xf32>
  %m = sparse_tiny.mul %c, %ln : (tensor<1x1x2xf32>, tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
  %d = sparse_tiny.constant dense<[0.5, 4.0]> : tensor<2xf32> : tensor<2xf32>
  %y = sparse_tiny.add %m, %d : (tensor<1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2xf32>
  return %y : tensor<1x2x2xf32>
}

// -----

// Negative: a mean over a non-trailing axis (tokens) is no LayerNorm.
// CHECK-LABEL: func.func @no_layer_norm_leading_axis
// CHECK-NOT: sparse_tiny.layer_norm
// CHECK: sparse_tiny.mean %{{.+}} {axes = array<i64: 1>, keepdims = true}
// CHECK: sparse_tiny.div
func.func @no_layer_norm_leading_axis(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x1x4xf32>
  %d = sparse_tiny.sub %x, %m : (tensor<1x4x4xf32>, tensor<1x1x4xf32>) -> tensor<1x4x4xf32>
  %two = sparse_tiny.constant dense<2.0> : tensor<f32> : tensor<f32>
  %sq = sparse_tiny.pow %d, %two : (tensor<1x4x4xf32>, tensor<f32>) -> tensor<1x4x4xf32>
  %v = sparse_tiny.mean %sq {axes = array<i64: 1>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x1x4xf32>
  %eps = sparse_tiny.constant dense<1.0e-5> : tensor<f32> : tensor<f32>
  %ve = sparse_tiny.add %v, %eps : (tensor<1x1x4xf32>, tensor<f32>) -> tensor<1x1x4xf32>
  %s = sparse_tiny.sqrt %ve : (tensor<1x1x4xf32>) -> tensor<1x1x4xf32>
  %y = sparse_tiny.div %d, %s : (tensor<1x4x4xf32>, tensor<1x1x4xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// Negative: the variance is taken over other axes than the mean.
// CHECK-LABEL: func.func @no_layer_norm_variance_axes
// CHECK-NOT: sparse_tiny.layer_norm
// CHECK: sparse_tiny.div
func.func @no_layer_norm_variance_axes(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x4x1xf32>
  %d = sparse_tiny.sub %x, %m : (tensor<1x4x4xf32>, tensor<1x4x1xf32>) -> tensor<1x4x4xf32>
  %sq = sparse_tiny.mul %d, %d : (tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %v = sparse_tiny.mean %sq {axes = array<i64: 1, 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x1x1xf32>
  %eps = sparse_tiny.constant dense<1.0e-5> : tensor<f32> : tensor<f32>
  %ve = sparse_tiny.add %v, %eps : (tensor<1x1x1xf32>, tensor<f32>) -> tensor<1x1x1xf32>
  %s = sparse_tiny.sqrt %ve : (tensor<1x1x1xf32>) -> tensor<1x1x1xf32>
  %y = sparse_tiny.div %d, %s : (tensor<1x4x4xf32>, tensor<1x1x1xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// Negative: pow(d, 3) is no variance.
// CHECK-LABEL: func.func @no_layer_norm_cube
// CHECK-NOT: sparse_tiny.layer_norm
// CHECK: sparse_tiny.pow
// CHECK: sparse_tiny.div
func.func @no_layer_norm_cube(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x4x1xf32>
  %d = sparse_tiny.sub %x, %m : (tensor<1x4x4xf32>, tensor<1x4x1xf32>) -> tensor<1x4x4xf32>
  %three = sparse_tiny.constant dense<3.0> : tensor<f32> : tensor<f32>
  %sq = sparse_tiny.pow %d, %three : (tensor<1x4x4xf32>, tensor<f32>) -> tensor<1x4x4xf32>
  %v = sparse_tiny.mean %sq {axes = array<i64: 2>, keepdims = true} : (tensor<1x4x4xf32>) -> tensor<1x4x1xf32>
  %eps = sparse_tiny.constant dense<1.0e-5> : tensor<f32> : tensor<f32>
  %ve = sparse_tiny.add %v, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %s = sparse_tiny.sqrt %ve : (tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
  %y = sparse_tiny.div %d, %s : (tensor<1x4x4xf32>, tensor<1x4x1xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// Negative: a constant that varies over the tokens is not a per-feature scale.
// CHECK-LABEL: func.func @no_layer_norm_fold_per_token
// CHECK: %[[LN:.+]] = sparse_tiny.layer_norm
// CHECK: sparse_tiny.mul %[[LN]]
func.func @no_layer_norm_fold_per_token(%x: tensor<1x2x2xf32>, %g: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<1x2x2xf32> {
  %gc = sparse_tiny.constant dense<[1.0, 2.0]> : tensor<2xf32> : tensor<2xf32>
  %bc = sparse_tiny.constant dense<[0.0, 0.0]> : tensor<2xf32> : tensor<2xf32>
  %ln = sparse_tiny.layer_norm %x, %gc, %bc {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<1x2x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2xf32>
  %c = sparse_tiny.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32> : tensor<2x2xf32>
  %y = sparse_tiny.mul %ln, %c : (tensor<1x2x2xf32>, tensor<2x2xf32>) -> tensor<1x2x2xf32>
  return %y : tensor<1x2x2xf32>
}

// -----

// Negative: a layer_norm with a second use keeps its parameters.
// CHECK-LABEL: func.func @no_layer_norm_fold_two_uses
// CHECK: %[[LN:.+]] = sparse_tiny.layer_norm
// CHECK: %[[M:.+]] = sparse_tiny.mul %[[LN]]
// CHECK: return %[[M]], %[[LN]]
func.func @no_layer_norm_fold_two_uses(%x: tensor<1x2x2xf32>) -> (tensor<1x2x2xf32>, tensor<1x2x2xf32>) {
  %gc = sparse_tiny.constant dense<[1.0, 2.0]> : tensor<2xf32> : tensor<2xf32>
  %bc = sparse_tiny.constant dense<[0.0, 0.0]> : tensor<2xf32> : tensor<2xf32>
  %ln = sparse_tiny.layer_norm %x, %gc, %bc {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<1x2x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2xf32>
  %c = sparse_tiny.constant dense<[3.0, 4.0]> : tensor<2xf32> : tensor<2xf32>
  %y = sparse_tiny.mul %ln, %c : (tensor<1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2xf32>
  return %y, %ln : tensor<1x2x2xf32>, tensor<1x2x2xf32>
}

//===----------------------------------------------------------------------===//
// GELU
//===----------------------------------------------------------------------===//

// -----

// GELU, erf form as torch exports it: (x * (erf(x / sqrt2) + 1)) * 0.5.
// CHECK-LABEL: func.func @gelu_erf_div
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x8xf32>)
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[X]] : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT: sparse_tiny.erf
// CHECK-NOT: sparse_tiny.mul
// CHECK: return %[[G]]
func.func @gelu_erf_div(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %sqrt2 = sparse_tiny.constant dense<1.41421354> : tensor<f32> : tensor<f32>
  %a = sparse_tiny.div %x, %sqrt2 : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %e = sparse_tiny.erf %a : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %e, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %xt = sparse_tiny.mul %x, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %y = sparse_tiny.mul %xt, %half : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// GELU, erf form with a multiply by 1/sqrt2 and (0.5 * x) * (1 + erf(...)).
// CHECK-LABEL: func.func @gelu_erf_mul
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x8xf32>)
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[X]] : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT: sparse_tiny.erf
// CHECK: return %[[G]]
func.func @gelu_erf_mul(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %r = sparse_tiny.constant dense<0.707106769> : tensor<f32> : tensor<f32>
  %a = sparse_tiny.mul %r, %x : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %e = sparse_tiny.erf %a : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %one, %e : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %hx = sparse_tiny.mul %half, %x : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = sparse_tiny.mul %hx, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// GELU, erf form associated as x * (0.5 * (1 + erf(x / sqrt2))).
// CHECK-LABEL: func.func @gelu_erf_right_assoc
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x8xf32>)
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[X]] : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT: sparse_tiny.erf
// CHECK: return %[[G]]
func.func @gelu_erf_right_assoc(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %sqrt2 = sparse_tiny.constant dense<1.41421354> : tensor<f32> : tensor<f32>
  %a = sparse_tiny.div %x, %sqrt2 : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %e = sparse_tiny.erf %a : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %e, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %ht = sparse_tiny.mul %half, %t : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = sparse_tiny.mul %x, %ht : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// Negative: 0.4 instead of 0.5 is no GELU.
// CHECK-LABEL: func.func @no_gelu_wrong_half
// CHECK-NOT: sparse_tiny.gelu
// CHECK: sparse_tiny.erf
// CHECK: sparse_tiny.mul
func.func @no_gelu_wrong_half(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %sqrt2 = sparse_tiny.constant dense<1.41421354> : tensor<f32> : tensor<f32>
  %a = sparse_tiny.div %x, %sqrt2 : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %e = sparse_tiny.erf %a : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %e, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %xt = sparse_tiny.mul %x, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %c = sparse_tiny.constant dense<0.4> : tensor<f32> : tensor<f32>
  %y = sparse_tiny.mul %xt, %c : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// Negative: erf(x / 2) is not erf(x / sqrt2).
// CHECK-LABEL: func.func @no_gelu_wrong_divisor
// CHECK-NOT: sparse_tiny.gelu
// CHECK: sparse_tiny.erf
func.func @no_gelu_wrong_divisor(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %two = sparse_tiny.constant dense<2.0> : tensor<f32> : tensor<f32>
  %a = sparse_tiny.div %x, %two : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %e = sparse_tiny.erf %a : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %e, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %xt = sparse_tiny.mul %x, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %y = sparse_tiny.mul %xt, %half : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// Negative: the gated value differs from the erf's argument.
// CHECK-LABEL: func.func @no_gelu_other_operand
// CHECK-NOT: sparse_tiny.gelu
// CHECK: sparse_tiny.erf
func.func @no_gelu_other_operand(%x: tensor<1x4x8xf32>, %z: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %sqrt2 = sparse_tiny.constant dense<1.41421354> : tensor<f32> : tensor<f32>
  %a = sparse_tiny.div %z, %sqrt2 : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %e = sparse_tiny.erf %a : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %e, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %xt = sparse_tiny.mul %x, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %y = sparse_tiny.mul %xt, %half : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// GELU, tanh form with pow(x, 3):
// 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))).
// CHECK-LABEL: func.func @gelu_tanh_pow
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x8xf32>)
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[X]] approximate = tanh : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT: sparse_tiny.tanh
// CHECK-NOT: sparse_tiny.pow
// CHECK: return %[[G]]
func.func @gelu_tanh_pow(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %three = sparse_tiny.constant dense<3.0> : tensor<f32> : tensor<f32>
  %x3 = sparse_tiny.pow %x, %three : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %k = sparse_tiny.constant dense<0.044715> : tensor<f32> : tensor<f32>
  %kx3 = sparse_tiny.mul %k, %x3 : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %inner = sparse_tiny.add %x, %kx3 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %s = sparse_tiny.constant dense<0.797884583> : tensor<f32> : tensor<f32>
  %arg = sparse_tiny.mul %s, %inner : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %th = sparse_tiny.tanh %arg : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %th, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %hx = sparse_tiny.mul %half, %x : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = sparse_tiny.mul %hx, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// GELU, tanh form with x * (x * x) as torch exports it, the sqrt(2/pi)
// factor on the right and the 0.5 applied last.
// CHECK-LABEL: func.func @gelu_tanh_cube_mul
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x8xf32>)
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[X]] approximate = tanh : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT: sparse_tiny.tanh
// CHECK-NOT: sparse_tiny.mul
// CHECK: return %[[G]]
func.func @gelu_tanh_cube_mul(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %xx = sparse_tiny.mul %x, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %x3 = sparse_tiny.mul %x, %xx : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %k = sparse_tiny.constant dense<0.044715> : tensor<f32> : tensor<f32>
  %kx3 = sparse_tiny.mul %x3, %k : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %inner = sparse_tiny.add %kx3, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %s = sparse_tiny.constant dense<0.797884583> : tensor<f32> : tensor<f32>
  %arg = sparse_tiny.mul %inner, %s : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %th = sparse_tiny.tanh %arg : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %one, %th : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %xt = sparse_tiny.mul %x, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %y = sparse_tiny.mul %half, %xt : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// GELU, tanh form with (x * x) * x.
// CHECK-LABEL: func.func @gelu_tanh_cube_left
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x8xf32>)
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[X]] approximate = tanh
// CHECK-NOT: sparse_tiny.tanh
// CHECK: return %[[G]]
func.func @gelu_tanh_cube_left(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %xx = sparse_tiny.mul %x, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %x3 = sparse_tiny.mul %xx, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %k = sparse_tiny.constant dense<0.044715> : tensor<f32> : tensor<f32>
  %kx3 = sparse_tiny.mul %k, %x3 : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %inner = sparse_tiny.add %x, %kx3 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %s = sparse_tiny.constant dense<0.797884583> : tensor<f32> : tensor<f32>
  %arg = sparse_tiny.mul %s, %inner : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %th = sparse_tiny.tanh %arg : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %th, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %xt = sparse_tiny.mul %x, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %y = sparse_tiny.mul %xt, %half : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// Negative: a wrong cubic coefficient (0.05) is no GELU.
// CHECK-LABEL: func.func @no_gelu_tanh_coefficient
// CHECK-NOT: sparse_tiny.gelu
// CHECK: sparse_tiny.tanh
func.func @no_gelu_tanh_coefficient(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %three = sparse_tiny.constant dense<3.0> : tensor<f32> : tensor<f32>
  %x3 = sparse_tiny.pow %x, %three : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %k = sparse_tiny.constant dense<0.05> : tensor<f32> : tensor<f32>
  %kx3 = sparse_tiny.mul %k, %x3 : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %inner = sparse_tiny.add %x, %kx3 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %s = sparse_tiny.constant dense<0.797884583> : tensor<f32> : tensor<f32>
  %arg = sparse_tiny.mul %s, %inner : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %th = sparse_tiny.tanh %arg : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %th, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %hx = sparse_tiny.mul %half, %x : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = sparse_tiny.mul %hx, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// Negative: pow(x, 2) is not x^3.
// CHECK-LABEL: func.func @no_gelu_tanh_square
// CHECK-NOT: sparse_tiny.gelu
// CHECK: sparse_tiny.tanh
func.func @no_gelu_tanh_square(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %two = sparse_tiny.constant dense<2.0> : tensor<f32> : tensor<f32>
  %x3 = sparse_tiny.pow %x, %two : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %k = sparse_tiny.constant dense<0.044715> : tensor<f32> : tensor<f32>
  %kx3 = sparse_tiny.mul %k, %x3 : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %inner = sparse_tiny.add %x, %kx3 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %s = sparse_tiny.constant dense<0.797884583> : tensor<f32> : tensor<f32>
  %arg = sparse_tiny.mul %s, %inner : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %th = sparse_tiny.tanh %arg : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %th, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %hx = sparse_tiny.mul %half, %x : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = sparse_tiny.mul %hx, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

//===----------------------------------------------------------------------===//
// SiLU, HardSwish
//===----------------------------------------------------------------------===//

// -----

// x * sigmoid(x) and sigmoid(x) * x -> silu(x).
// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x8xf32>)
// CHECK: %[[S1:.+]] = sparse_tiny.silu %[[X]] : (tensor<1x8xf32>) -> tensor<1x8xf32>
// CHECK: %[[S2:.+]] = sparse_tiny.silu %[[X]] : (tensor<1x8xf32>) -> tensor<1x8xf32>
// CHECK-NOT: sparse_tiny.sigmoid
// CHECK-NOT: sparse_tiny.mul
// CHECK: return %[[S1]], %[[S2]]
func.func @silu(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %s = sparse_tiny.sigmoid %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %a = sparse_tiny.mul %x, %s : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %b = sparse_tiny.mul %s, %x : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %a, %b : tensor<1x8xf32>, tensor<1x8xf32>
}

// -----

// Negative: y * sigmoid(x) is a gate, not a SiLU.
// CHECK-LABEL: func.func @no_silu_other_operand
// CHECK-NOT: sparse_tiny.silu
// CHECK: sparse_tiny.sigmoid
// CHECK: sparse_tiny.mul
func.func @no_silu_other_operand(%x: tensor<1x8xf32>, %y: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %s = sparse_tiny.sigmoid %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %a = sparse_tiny.mul %y, %s : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %a : tensor<1x8xf32>
}

// -----

// x * hard_sigmoid(x; alpha = 1/6, beta = 0.5) -> hardswish(x).
// CHECK-LABEL: func.func @hardswish
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x8xf32>)
// CHECK: %[[H:.+]] = sparse_tiny.hardswish %[[X]] : (tensor<1x8xf32>) -> tensor<1x8xf32>
// CHECK-NOT: sparse_tiny.hard_sigmoid
// CHECK: return %[[H]]
func.func @hardswish(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %h = sparse_tiny.hard_sigmoid %x {alpha = 0.16666667 : f32, beta = 0.5 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %y = sparse_tiny.mul %h, %x : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// Negative: ONNX's default hard_sigmoid (alpha = 0.2) is no HardSwish gate.
// CHECK-LABEL: func.func @no_hardswish_alpha
// CHECK-NOT: sparse_tiny.hardswish
// CHECK: sparse_tiny.hard_sigmoid
// CHECK: sparse_tiny.mul
func.func @no_hardswish_alpha(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %h = sparse_tiny.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %y = sparse_tiny.mul %x, %h : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

//===----------------------------------------------------------------------===//
// Biases
//===----------------------------------------------------------------------===//

// -----

// add(fully_connected, c) and add(c, fully_connected) with c per output
// feature -> the fully_connected's bias.
// CHECK-LABEL: func.func @fc_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x3xf32>, %[[W:[^:]+]]: tensor<2x3xf32>)
// CHECK-DAG: %[[B1:.+]] = sparse_tiny.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B2:.+]] = sparse_tiny.constant dense<[3.000000e+00, 4.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[FC1:.+]] = sparse_tiny.fully_connected %[[X]], %[[W]], %[[B1]] : (tensor<1x4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x4x2xf32>
// CHECK-DAG: %[[FC2:.+]] = sparse_tiny.fully_connected %[[X]], %[[W]], %[[B2]] : (tensor<1x4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x4x2xf32>
// CHECK-NOT: sparse_tiny.add
// CHECK: return %[[FC1]], %[[FC2]]
func.func @fc_bias(%x: tensor<1x4x3xf32>, %w: tensor<2x3xf32>) -> (tensor<1x4x2xf32>, tensor<1x4x2xf32>) {
  %f1 = sparse_tiny.fully_connected %x, %w : (tensor<1x4x3xf32>, tensor<2x3xf32>) -> tensor<1x4x2xf32>
  %c1 = sparse_tiny.constant dense<[1.0, 2.0]> : tensor<2xf32> : tensor<2xf32>
  %y1 = sparse_tiny.add %f1, %c1 : (tensor<1x4x2xf32>, tensor<2xf32>) -> tensor<1x4x2xf32>
  %f2 = sparse_tiny.fully_connected %x, %w : (tensor<1x4x3xf32>, tensor<2x3xf32>) -> tensor<1x4x2xf32>
  %c2 = sparse_tiny.constant dense<[[[3.0, 4.0]]]> : tensor<1x1x2xf32> : tensor<1x1x2xf32>
  %y2 = sparse_tiny.add %c2, %f2 : (tensor<1x1x2xf32>, tensor<1x4x2xf32>) -> tensor<1x4x2xf32>
  return %y1, %y2 : tensor<1x4x2xf32>, tensor<1x4x2xf32>
}

// -----

// add of a constant to a fully_connected that has a bias sums the two.
// CHECK-LABEL: func.func @fc_bias_accumulate
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x3xf32>, %[[W:[^:]+]]: tensor<2x3xf32>)
// CHECK: %[[B:.+]] = sparse_tiny.constant dense<[1.500000e+00, 2.250000e+00]> : tensor<2xf32>
// CHECK: %[[FC:.+]] = sparse_tiny.fully_connected %[[X]], %[[W]], %[[B]]
// CHECK-NEXT: return %[[FC]]
func.func @fc_bias_accumulate(%x: tensor<1x3xf32>, %w: tensor<2x3xf32>) -> tensor<1x2xf32> {
  %b = sparse_tiny.constant dense<[1.0, 2.0]> : tensor<2xf32> : tensor<2xf32>
  %f = sparse_tiny.fully_connected %x, %w, %b : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %c = sparse_tiny.constant dense<[0.5, 0.25]> : tensor<2xf32> : tensor<2xf32>
  %y = sparse_tiny.add %f, %c : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Negative: a constant that varies over the tokens is not a bias.
// CHECK-LABEL: func.func @no_fc_bias_per_token
// CHECK: %[[FC:.+]] = sparse_tiny.fully_connected %{{[^,]+}}, %{{[^,]+}} : (tensor<1x2x3xf32>, tensor<2x3xf32>)
// CHECK: sparse_tiny.add %[[FC]]
func.func @no_fc_bias_per_token(%x: tensor<1x2x3xf32>, %w: tensor<2x3xf32>) -> tensor<1x2x2xf32> {
  %f = sparse_tiny.fully_connected %x, %w : (tensor<1x2x3xf32>, tensor<2x3xf32>) -> tensor<1x2x2xf32>
  %c = sparse_tiny.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32> : tensor<2x2xf32>
  %y = sparse_tiny.add %f, %c : (tensor<1x2x2xf32>, tensor<2x2xf32>) -> tensor<1x2x2xf32>
  return %y : tensor<1x2x2xf32>
}

// -----

// Negative: a fully_connected with a second use keeps its (absent) bias.
// CHECK-LABEL: func.func @no_fc_bias_two_uses
// CHECK: %[[FC:.+]] = sparse_tiny.fully_connected %{{[^,]+}}, %{{[^,]+}} : (tensor<1x3xf32>, tensor<2x3xf32>)
// CHECK: %[[ADD:.+]] = sparse_tiny.add %[[FC]]
// CHECK: return %[[ADD]], %[[FC]]
func.func @no_fc_bias_two_uses(%x: tensor<1x3xf32>, %w: tensor<2x3xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %f = sparse_tiny.fully_connected %x, %w : (tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<1x2xf32>
  %c = sparse_tiny.constant dense<[0.5, 0.25]> : tensor<2xf32> : tensor<2xf32>
  %y = sparse_tiny.add %f, %c : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %y, %f : tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// add(conv2d, c) with c of shape [C, 1, 1] -> the conv2d's bias; an existing
// bias is summed.
// CHECK-LABEL: func.func @conv_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x4x4xf32>, %[[W:[^:]+]]: tensor<2x1x1x1xf32>)
// CHECK-DAG: %[[B1:.+]] = sparse_tiny.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B2:.+]] = sparse_tiny.constant dense<[1.500000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[C1:.+]] = sparse_tiny.conv2d %[[X]], %[[W]], %[[B1]] {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK-DAG: %[[C2:.+]] = sparse_tiny.conv2d %[[X]], %[[W]], %[[B2]] {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK-NOT: sparse_tiny.add
// CHECK: return %[[C1]], %[[C2]]
func.func @conv_bias(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %c = sparse_tiny.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %a = sparse_tiny.add %y, %c : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %b = sparse_tiny.constant dense<[0.5, 1.0]> : tensor<2xf32> : tensor<2xf32>
  %z = sparse_tiny.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %d = sparse_tiny.add %c, %z : (tensor<2x1x1xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %a, %d : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Negative: a conv2d with a second use does not absorb the add.
// CHECK-LABEL: func.func @no_conv_bias_two_uses
// CHECK: %[[C:.+]] = sparse_tiny.conv2d %{{[^,]+}}, %{{[^ ]+}} {
// CHECK: %[[A:.+]] = sparse_tiny.add %[[C]]
// CHECK: return %[[A]], %[[C]]
func.func @no_conv_bias_two_uses(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %c = sparse_tiny.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %a = sparse_tiny.add %y, %c : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %a, %y : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Negative: a constant that varies over H and W is not a conv bias.
// CHECK-LABEL: func.func @no_conv_bias_spatial
// CHECK: %[[C:.+]] = sparse_tiny.conv2d %{{[^,]+}}, %{{[^ ]+}} {
// CHECK: sparse_tiny.add %[[C]]
func.func @no_conv_bias_spatial(%x: tensor<1x1x2x2xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32> {
  %c = sparse_tiny.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32> : tensor<2x2xf32>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %a = sparse_tiny.add %y, %c : (tensor<1x2x2x2xf32>, tensor<2x2xf32>) -> tensor<1x2x2x2xf32>
  return %a : tensor<1x2x2x2xf32>
}

// -----

// BatchNormalization's scale: mul(conv2d(x, w, b), c) with c per output
// channel -> conv2d(x, w * c, b * c).
// CHECK-LABEL: func.func @conv_scale
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x4x4xf32>)
// CHECK-DAG: %[[W:.+]] = sparse_tiny.constant dense<{{\[\[\[\[}}3.000000e+00]]], {{\[\[\[}}8.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = sparse_tiny.constant dense<[1.500000e+00, -4.000000e+00]> : tensor<2xf32>
// CHECK: %[[C:.+]] = sparse_tiny.conv2d %[[X]], %[[W]], %[[B]]
// CHECK-NOT: sparse_tiny.mul
// CHECK: return %[[C]]
func.func @conv_scale(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = sparse_tiny.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32> : tensor<2x1x1x1xf32>
  %b = sparse_tiny.constant dense<[0.5, -1.0]> : tensor<2xf32> : tensor<2xf32>
  %y = sparse_tiny.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %c = sparse_tiny.constant dense<[[[3.0]], [[4.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %z = sparse_tiny.mul %c, %y : (tensor<2x1x1xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}

// -----

// BatchNormalization after a conv2d: the mul folds into the weights, the add
// into the bias.
// CHECK-LABEL: func.func @conv_batch_norm
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x4x4xf32>)
// CHECK-DAG: %[[W:.+]] = sparse_tiny.constant dense<{{\[\[\[\[}}3.000000e+00]]], {{\[\[\[}}8.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = sparse_tiny.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[C:.+]] = sparse_tiny.conv2d %[[X]], %[[W]], %[[B]]
// CHECK-NEXT: return %[[C]]
func.func @conv_batch_norm(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = sparse_tiny.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32> : tensor<2x1x1x1xf32>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = sparse_tiny.constant dense<[[[3.0]], [[4.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %m = sparse_tiny.mul %y, %s : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %t = sparse_tiny.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %a = sparse_tiny.add %m, %t : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// -----

// Negative: the weights are not a constant.
// CHECK-LABEL: func.func @no_conv_scale_dynamic_weight
// CHECK: %[[C:.+]] = sparse_tiny.conv2d
// CHECK: sparse_tiny.mul %[[C]]
func.func @no_conv_scale_dynamic_weight(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %c = sparse_tiny.constant dense<[[[3.0]], [[4.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %z = sparse_tiny.mul %y, %c : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}

//===----------------------------------------------------------------------===//
// Pad folding
//===----------------------------------------------------------------------===//

// -----

// A zero pad of H and W folds into the following conv2d's padding.
// CHECK-LABEL: func.func @pad_into_conv
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x2x6x6xf32>, %[[W:[^:]+]]: tensor<4x2x3x3xf32>)
// CHECK-NOT: sparse_tiny.pad
// CHECK: %[[C:.+]] = sparse_tiny.conv2d %[[X]], %[[W]] {padding = array<i64: 2, 1, 1, 3>, strides = array<i64: 1, 1>}
// CHECK-SAME: : (tensor<1x2x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x7x8xf32>
// CHECK: return %[[C]]
func.func @pad_into_conv(%x: tensor<1x2x6x6xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x7x8xf32> {
  %p = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 0>, high = array<i64: 0, 0, 0, 2>, value = 0.0 : f32}
       : (tensor<1x2x6x6xf32>) -> tensor<1x2x7x8xf32>
  %y = sparse_tiny.conv2d %p, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
       : (tensor<1x2x7x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x7x8xf32>
  return %y : tensor<1x4x7x8xf32>
}

// -----

// A zero pad folds into avg_pool2d, which then counts the padding.
// CHECK-LABEL: func.func @pad_into_avg_pool
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x2x6x6xf32>)
// CHECK-NOT: sparse_tiny.pad
// CHECK: %[[P:.+]] = sparse_tiny.avg_pool2d %[[X]] {count_include_pad = true, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
// CHECK-SAME: : (tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32>
// CHECK: return %[[P]]
func.func @pad_into_avg_pool(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32> {
  %p = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 1>, value = 0.0 : f32}
       : (tensor<1x2x6x6xf32>) -> tensor<1x2x8x8xf32>
  %y = sparse_tiny.avg_pool2d %p {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x2x8x8xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A pad folds into an avg_pool2d that already counts its own padding.
// CHECK-LABEL: func.func @pad_into_avg_pool_counting
// CHECK-NOT: sparse_tiny.pad
// CHECK: sparse_tiny.avg_pool2d %{{.+}} {count_include_pad = true, kernel = array<i64: 3, 3>, padding = array<i64: 2, 1, 1, 2>
func.func @pad_into_avg_pool_counting(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x7x7xf32> {
  %p = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 0>, high = array<i64: 0, 0, 0, 1>, value = 0.0 : f32}
       : (tensor<1x2x6x6xf32>) -> tensor<1x2x7x7xf32>
  %y = sparse_tiny.avg_pool2d %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
                                  count_include_pad = true}
       : (tensor<1x2x7x7xf32>) -> tensor<1x2x7x7xf32>
  return %y : tensor<1x2x7x7xf32>
}

// -----

// Negative: avg_pool2d that excludes its own padding from the count cannot
// also count the pad's zeros.
// CHECK-LABEL: func.func @no_pad_into_avg_pool_excluding
// CHECK: %[[P:.+]] = sparse_tiny.pad
// CHECK: sparse_tiny.avg_pool2d %[[P]] {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>
func.func @no_pad_into_avg_pool_excluding(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x8x8xf32> {
  %p = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 1>, value = 0.0 : f32}
       : (tensor<1x2x6x6xf32>) -> tensor<1x2x8x8xf32>
  %y = sparse_tiny.avg_pool2d %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
       : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  return %y : tensor<1x2x8x8xf32>
}

// -----

// Negative: the summed padding would reach the pool window (rule C2).
// CHECK-LABEL: func.func @no_pad_into_avg_pool_too_wide
// CHECK: %[[P:.+]] = sparse_tiny.pad
// CHECK: sparse_tiny.avg_pool2d %[[P]]
func.func @no_pad_into_avg_pool_too_wide(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x5x5xf32> {
  %p = sparse_tiny.pad %x {low = array<i64: 0, 0, 2, 2>, high = array<i64: 0, 0, 2, 2>, value = 0.0 : f32}
       : (tensor<1x2x6x6xf32>) -> tensor<1x2x10x10xf32>
  %y = sparse_tiny.avg_pool2d %p {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x2x10x10xf32>) -> tensor<1x2x5x5xf32>
  return %y : tensor<1x2x5x5xf32>
}

// -----

// Negative: a pad with a nonzero value, or one of the channel dim, stays.
// CHECK-LABEL: func.func @no_pad_into_conv
// CHECK: %[[P1:.+]] = sparse_tiny.pad %{{.+}} {high = array<i64: 0, 0, 1, 1>, low = array<i64: 0, 0, 1, 1>, value = -1.000000e+00 : f32}
// CHECK: sparse_tiny.conv2d %[[P1]]
// CHECK: %[[P2:.+]] = sparse_tiny.pad %{{.+}} {high = array<i64: 0, 1, 0, 0>, low = array<i64: 0, 0, 0, 0>, value = 0.000000e+00 : f32}
// CHECK: sparse_tiny.conv2d %[[P2]]
func.func @no_pad_into_conv(%x: tensor<1x2x6x6xf32>, %w: tensor<4x2x3x3xf32>, %w3: tensor<4x3x3x3xf32>)
    -> (tensor<1x4x6x6xf32>, tensor<1x4x4x4xf32>) {
  %p1 = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 1>, value = -1.0 : f32}
        : (tensor<1x2x6x6xf32>) -> tensor<1x2x8x8xf32>
  %y1 = sparse_tiny.conv2d %p1, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
        : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  %p2 = sparse_tiny.pad %x {low = array<i64: 0, 0, 0, 0>, high = array<i64: 0, 1, 0, 0>, value = 0.0 : f32}
        : (tensor<1x2x6x6xf32>) -> tensor<1x3x6x6xf32>
  %y2 = sparse_tiny.conv2d %p2, %w3 {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
        : (tensor<1x3x6x6xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x4x4xf32>
  return %y1, %y2 : tensor<1x4x6x6xf32>, tensor<1x4x4x4xf32>
}

// -----

// Negative: max_pool2d has no pad folding (its padding is not zeros).
// CHECK-LABEL: func.func @no_pad_into_max_pool
// CHECK: %[[P:.+]] = sparse_tiny.pad
// CHECK: sparse_tiny.max_pool2d %[[P]]
func.func @no_pad_into_max_pool(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x4x4xf32> {
  %p = sparse_tiny.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 1>, value = 0.0 : f32}
       : (tensor<1x2x6x6xf32>) -> tensor<1x2x8x8xf32>
  %y = sparse_tiny.max_pool2d %p {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

//===----------------------------------------------------------------------===//
// Folders
//===----------------------------------------------------------------------===//

// -----

// reshape(reshape(x)) -> reshape(x); a reshape to the same type vanishes.
// CHECK-LABEL: func.func @fold_reshape
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x8x4x4xf32>)
// CHECK: %[[R:.+]] = sparse_tiny.reshape %[[X]] : (tensor<1x8x4x4xf32>) -> tensor<1x128xf32>
// CHECK-NOT: sparse_tiny.reshape
// CHECK: return %[[R]], %[[X]]
func.func @fold_reshape(%x: tensor<1x8x4x4xf32>) -> (tensor<1x128xf32>, tensor<1x8x4x4xf32>) {
  %a = sparse_tiny.reshape %x : (tensor<1x8x4x4xf32>) -> tensor<8x16xf32>
  %b = sparse_tiny.reshape %a : (tensor<8x16xf32>) -> tensor<1x128xf32>
  %c = sparse_tiny.reshape %x : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %b, %c : tensor<1x128xf32>, tensor<1x8x4x4xf32>
}

// -----

// reshape back to the input's shape through another reshape vanishes.
// CHECK-LABEL: func.func @fold_reshape_round_trip
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x3xf32>)
// CHECK-NOT: sparse_tiny.reshape
// CHECK: return %[[X]]
func.func @fold_reshape_round_trip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = sparse_tiny.reshape %x : (tensor<2x3xf32>) -> tensor<6xf32>
  %b = sparse_tiny.reshape %a : (tensor<6xf32>) -> tensor<2x3xf32>
  return %b : tensor<2x3xf32>
}

// -----

// reshape of a dense constant folds to a constant of the new shape.
// CHECK-LABEL: func.func @fold_reshape_constant
// CHECK: %[[C:.+]] = sparse_tiny.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32> : tensor<2x2xf32>
// CHECK-NOT: sparse_tiny.reshape
// CHECK: return %[[C]]
func.func @fold_reshape_constant() -> tensor<2x2xf32> {
  %c = sparse_tiny.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32> : tensor<4xf32>
  %r = sparse_tiny.reshape %c : (tensor<4xf32>) -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

// An identity transpose vanishes; transpose(transpose(x)) composes into one
// transpose, or vanishes when the two cancel.
// CHECK-LABEL: func.func @fold_transpose
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x3x4xf32>)
// CHECK: %[[T:.+]] = sparse_tiny.transpose %[[X]] {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NOT: sparse_tiny.transpose
// CHECK: return %[[X]], %[[T]], %[[X]]
func.func @fold_transpose(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %i = sparse_tiny.transpose %x {perm = array<i64: 0, 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %a = sparse_tiny.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %b = sparse_tiny.transpose %a {perm = array<i64: 1, 0, 2>} : (tensor<2x4x3xf32>) -> tensor<4x2x3xf32>
  %c = sparse_tiny.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %d = sparse_tiny.transpose %c {perm = array<i64: 2, 0, 1>} : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>
  return %i, %b, %d : tensor<2x3x4xf32>, tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// A slice of the whole tensor vanishes; a real slice stays.
// CHECK-LABEL: func.func @fold_slice
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x17x32xf32>)
// CHECK: %[[S:.+]] = sparse_tiny.slice %[[X]] {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 1, 32>
// CHECK-NOT: sparse_tiny.slice
// CHECK: return %[[X]], %[[S]]
func.func @fold_slice(%x: tensor<1x17x32xf32>) -> (tensor<1x17x32xf32>, tensor<1x1x32xf32>) {
  %a = sparse_tiny.slice %x {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 17, 32>, strides = array<i64: 1, 1, 1>}
       : (tensor<1x17x32xf32>) -> tensor<1x17x32xf32>
  %b = sparse_tiny.slice %x {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 1, 32>, strides = array<i64: 1, 1, 1>}
       : (tensor<1x17x32xf32>) -> tensor<1x1x32xf32>
  return %a, %b : tensor<1x17x32xf32>, tensor<1x1x32xf32>
}

// -----

// quantize(dequantize(q)) of the same type is q.
// CHECK-LABEL: func.func @fold_quantize_dequantize
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x16x!quant.uniform<u8:f32, 5.000000e-02:128>>)
// CHECK-NOT: sparse_tiny.dequantize
// CHECK-NOT: sparse_tiny.quantize
// CHECK: return %[[Q]]
func.func @fold_quantize_dequantize(%q: tensor<1x16x!quant.uniform<u8:f32, 0.05:128>>) -> tensor<1x16x!quant.uniform<u8:f32, 0.05:128>> {
  %d = sparse_tiny.dequantize %q : (tensor<1x16x!quant.uniform<u8:f32, 0.05:128>>) -> tensor<1x16xf32>
  %r = sparse_tiny.quantize %d : (tensor<1x16xf32>) -> tensor<1x16x!quant.uniform<u8:f32, 0.05:128>>
  return %r : tensor<1x16x!quant.uniform<u8:f32, 0.05:128>>
}

// -----

// Negative: a requantization to another scale stays.
// CHECK-LABEL: func.func @no_fold_requantize
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x16x!quant.uniform<u8:f32, 5.000000e-02:128>>)
// CHECK: %[[D:.+]] = sparse_tiny.dequantize %[[Q]]
// CHECK: %[[R:.+]] = sparse_tiny.quantize %[[D]] : (tensor<1x16xf32>) -> tensor<1x16x!quant.uniform<u8:f32, 1.000000e-01:128>>
// CHECK: return %[[R]]
func.func @no_fold_requantize(%q: tensor<1x16x!quant.uniform<u8:f32, 0.05:128>>) -> tensor<1x16x!quant.uniform<u8:f32, 0.1:128>> {
  %d = sparse_tiny.dequantize %q : (tensor<1x16x!quant.uniform<u8:f32, 0.05:128>>) -> tensor<1x16xf32>
  %r = sparse_tiny.quantize %d : (tensor<1x16xf32>) -> tensor<1x16x!quant.uniform<u8:f32, 0.1:128>>
  return %r : tensor<1x16x!quant.uniform<u8:f32, 0.1:128>>
}

//===----------------------------------------------------------------------===//
// Cases the patterns get wrong today (kept last so that FileCheck checks every
// case above before it stops at the first of these).
//===----------------------------------------------------------------------===//

// -----

// Negative: with a bias that is not a constant the scale cannot fold (and the
// IR must be left as it was).
// CHECK-LABEL: func.func @no_conv_scale_dynamic_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x4x4xf32>, %[[B:[^:]+]]: tensor<2xf32>)
// CHECK: %[[C:.+]] = sparse_tiny.conv2d %[[X]], %{{.+}}, %[[B]]
// CHECK: %[[M:.+]] = sparse_tiny.mul %[[C]]
// CHECK: return %[[M]]
func.func @no_conv_scale_dynamic_bias(%x: tensor<1x1x4x4xf32>, %b: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  %w = sparse_tiny.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32> : tensor<2x1x1x1xf32>
  %y = sparse_tiny.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %c = sparse_tiny.constant dense<[[[3.0]], [[4.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %z = sparse_tiny.mul %y, %c : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}

// -----

// GELU of a value that is itself a product, associated as
// x * (0.5 * (1 + erf(x / sqrt2))) -> gelu(x) (FuseGelu claims any
// association; x's own mul must not be taken as part of the pattern).
// CHECK-LABEL: func.func @gelu_erf_of_product
// CHECK-SAME: (%[[A:[^:]+]]: tensor<1x4x8xf32>, %[[B:[^:]+]]: tensor<1x4x8xf32>)
// CHECK: %[[X:.+]] = sparse_tiny.mul %[[A]], %[[B]]
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[X]] : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT: sparse_tiny.erf
// CHECK: return %[[G]]
func.func @gelu_erf_of_product(%a: tensor<1x4x8xf32>, %b: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %x = sparse_tiny.mul %a, %b : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %sqrt2 = sparse_tiny.constant dense<1.41421354> : tensor<f32> : tensor<f32>
  %d = sparse_tiny.div %x, %sqrt2 : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %e = sparse_tiny.erf %d : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %e, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %ht = sparse_tiny.mul %half, %t : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = sparse_tiny.mul %x, %ht : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// GELU, tanh form with the cubic term written 0.044715 * x * x * x, which
// torch traces as ((0.044715 * x) * x) * x -> gelu approximate = tanh.
// CHECK-LABEL: func.func @gelu_tanh_cube_coefficient_first
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x8xf32>)
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[X]] approximate = tanh
// CHECK-NOT: sparse_tiny.tanh
// CHECK: return %[[G]]
func.func @gelu_tanh_cube_coefficient_first(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %k = sparse_tiny.constant dense<0.044715> : tensor<f32> : tensor<f32>
  %kx = sparse_tiny.mul %k, %x : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %kxx = sparse_tiny.mul %kx, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %kx3 = sparse_tiny.mul %kxx, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %inner = sparse_tiny.add %x, %kx3 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %s = sparse_tiny.constant dense<0.797884583> : tensor<f32> : tensor<f32>
  %arg = sparse_tiny.mul %s, %inner : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %th = sparse_tiny.tanh %arg : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %one = sparse_tiny.constant dense<1.0> : tensor<f32> : tensor<f32>
  %t = sparse_tiny.add %th, %one : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %half = sparse_tiny.constant dense<0.5> : tensor<f32> : tensor<f32>
  %hx = sparse_tiny.mul %half, %x : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = sparse_tiny.mul %hx, %t : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Global average pool as users write it
//===----------------------------------------------------------------------===//

// x.mean((2, 3)) -> global_avg_pool2d, then a reshape that drops the 1 x 1.
// CHECK-LABEL: func.func @spatial_mean
// CHECK: %[[P:.+]] = sparse_tiny.global_avg_pool2d %{{.+}} : (tensor<1x8x5x5xf32>) -> tensor<1x8x1x1xf32>
// CHECK: sparse_tiny.reshape %[[P]] : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32>
// CHECK-NOT: sparse_tiny.mean
func.func @spatial_mean(%x: tensor<1x8x5x5xf32>) -> tensor<1x8xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x8x5x5xf32>) -> tensor<1x8xf32>
  return %m : tensor<1x8xf32>
}

// -----

// keepdims: the pool's own shape.
// CHECK-LABEL: func.func @spatial_mean_keepdims
// CHECK: %[[P:.+]] = sparse_tiny.global_avg_pool2d
// CHECK-NEXT: return %[[P]] : tensor<1x8x1x1xf32>
func.func @spatial_mean_keepdims(%x: tensor<1x8x5x5xf32>) -> tensor<1x8x1x1xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x8x5x5xf32>) -> tensor<1x8x1x1xf32>
  return %m : tensor<1x8x1x1xf32>
}

// -----

// x.flatten(2).mean(2): the map's merged spatial dims -> the same pool.
// CHECK-LABEL: func.func @flattened_mean
// CHECK: sparse_tiny.global_avg_pool2d %{{.+}} : (tensor<1x8x1x7xf32>) -> tensor<1x8x1x1xf32>
// CHECK-NOT: sparse_tiny.mean
func.func @flattened_mean(%x: tensor<1x8x1x7xf32>) -> tensor<1x8xf32> {
  %f = sparse_tiny.reshape %x : (tensor<1x8x1x7xf32>) -> tensor<1x8x7xf32>
  %m = sparse_tiny.mean %f {axes = array<i64: 2>, keepdims = false} : (tensor<1x8x7xf32>) -> tensor<1x8xf32>
  return %m : tensor<1x8xf32>
}

// -----

// A mean over the last axis of tokens (a LayerNorm's) stays.
// CHECK-LABEL: func.func @token_mean_stays
// CHECK: sparse_tiny.mean
// CHECK-NOT: global_avg_pool2d
func.func @token_mean_stays(%x: tensor<1x4x8xf32>) -> tensor<1x4xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 2>, keepdims = false} : (tensor<1x4x8xf32>) -> tensor<1x4xf32>
  return %m : tensor<1x4xf32>
}

// -----

// An activation after a reshape moves before it (it meets its producer), and
// a reshape back and forth folds: two Conv1d's joined by a ReLU.
// CHECK-LABEL: func.func @activation_above_reshape
// CHECK: %[[R:.+]] = sparse_tiny.relu %{{.+}} : (tensor<1x8x1x7xf32>) -> tensor<1x8x1x7xf32>
// CHECK-NEXT: return %[[R]]
func.func @activation_above_reshape(%x: tensor<1x8x1x7xf32>) -> tensor<1x8x1x7xf32> {
  %a = sparse_tiny.reshape %x : (tensor<1x8x1x7xf32>) -> tensor<1x8x7xf32>
  %r = sparse_tiny.relu %a : (tensor<1x8x7xf32>) -> tensor<1x8x7xf32>
  %b = sparse_tiny.reshape %r : (tensor<1x8x7xf32>) -> tensor<1x8x1x7xf32>
  return %b : tensor<1x8x1x7xf32>
}

// -----

// A transposed convolution's conv2d -> depth_to_space -> slice followed by
// BatchNormalization (mul, add per channel) and a ReLU: the affine moves
// above the data movers, repeated for each phase (DCR: phase-major), and
// folds into the conv's weights and bias; the ReLU fuses later.
// CHECK-LABEL: func.func @transposed_conv_batch_norm_relu
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x2x2xf32>)
// CHECK-DAG: %[[W:.+]] = sparse_tiny.constant dense<{{\[\[\[\[}}3.000000e+00]]], {{\[\[\[}}8.000000e+00]]], {{\[\[\[}}3.000000e+00]]], {{\[\[\[}}8.000000e+00]]], {{\[\[\[}}3.000000e+00]]], {{\[\[\[}}8.000000e+00]]], {{\[\[\[}}3.000000e+00]]], {{\[\[\[}}8.000000e+00]]]]> : tensor<8x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = sparse_tiny.constant dense<[1.000000e+00, 2.000000e+00, 1.000000e+00, 2.000000e+00, 1.000000e+00, 2.000000e+00, 1.000000e+00, 2.000000e+00]> : tensor<8xf32>
// CHECK: %[[C:.+]] = sparse_tiny.conv2d %[[X]], %[[W]], %[[B]]
// CHECK-NEXT: %[[R:.+]] = sparse_tiny.relu %[[C]] : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
// CHECK-NEXT: %[[D:.+]] = sparse_tiny.depth_to_space %[[R]] {block = array<i64: 2, 2>, mode = "DCR"}
// CHECK-NEXT: %[[S:.+]] = sparse_tiny.slice %[[D]]
// CHECK-NEXT: return %[[S]]
func.func @transposed_conv_batch_norm_relu(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x3x3xf32> {
  %w = sparse_tiny.constant dense<[[[[1.0]]], [[[2.0]]], [[[1.0]]], [[[2.0]]], [[[1.0]]], [[[2.0]]], [[[1.0]]], [[[2.0]]]]> : tensor<8x1x1x1xf32> : tensor<8x1x1x1xf32>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x2x2xf32>, tensor<8x1x1x1xf32>) -> tensor<1x8x2x2xf32>
  %d = sparse_tiny.depth_to_space %y {block = array<i64: 2, 2>, mode = "DCR"} : (tensor<1x8x2x2xf32>) -> tensor<1x2x4x4xf32>
  %c = sparse_tiny.slice %d {offsets = array<i64: 0, 0, 1, 1>, sizes = array<i64: 1, 2, 3, 3>, strides = array<i64: 1, 1, 1, 1>}
       : (tensor<1x2x4x4xf32>) -> tensor<1x2x3x3xf32>
  %s = sparse_tiny.constant dense<[[[3.0]], [[4.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %m = sparse_tiny.mul %c, %s : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %t = sparse_tiny.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %a = sparse_tiny.add %m, %t : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %r = sparse_tiny.relu %a : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %r : tensor<1x2x3x3xf32>
}

// -----

// CRD (channel-major) repeats each channel's value over its phases. A slice
// that cuts channels, or a sigmoid (a table, not fused into the conv),
// stays after the mover.
// CHECK-LABEL: func.func @transposed_crd_scale
// CHECK-DAG: %[[W:.+]] = sparse_tiny.constant dense<{{\[\[\[\[}}3.000000e+00]]], {{\[\[\[}}3.000000e+00]]], {{\[\[\[}}8.000000e+00]]], {{\[\[\[}}8.000000e+00]]]]> : tensor<4x1x1x1xf32>
// CHECK: %[[C:.+]] = sparse_tiny.conv2d %{{.+}}, %[[W]]
// CHECK-NEXT: %[[D:.+]] = sparse_tiny.depth_to_space %[[C]] {block = array<i64: 1, 2>, mode = "CRD"}
// CHECK-NEXT: %[[G:.+]] = sparse_tiny.sigmoid %[[D]]
// CHECK-NEXT: %[[S:.+]] = sparse_tiny.slice %[[G]]
// CHECK-NEXT: sparse_tiny.relu %[[S]]
func.func @transposed_crd_scale(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32> {
  %w = sparse_tiny.constant dense<[[[[1.0]]], [[[1.0]]], [[[2.0]]], [[[2.0]]]]> : tensor<4x1x1x1xf32> : tensor<4x1x1x1xf32>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x2x2xf32>, tensor<4x1x1x1xf32>) -> tensor<1x4x2x2xf32>
  %d = sparse_tiny.depth_to_space %y {block = array<i64: 1, 2>, mode = "CRD"} : (tensor<1x4x2x2xf32>) -> tensor<1x2x2x4xf32>
  %s = sparse_tiny.constant dense<[[[3.0]], [[4.0]]]> : tensor<2x1x1xf32> : tensor<2x1x1xf32>
  %m = sparse_tiny.mul %d, %s : (tensor<1x2x2x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x4xf32>
  %g = sparse_tiny.sigmoid %m : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %c = sparse_tiny.slice %g {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 1, 2, 4>, strides = array<i64: 1, 1, 1, 1>}
       : (tensor<1x2x2x4xf32>) -> tensor<1x1x2x4xf32>
  %r = sparse_tiny.relu %c : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %r : tensor<1x1x2x4xf32>
}

// -----

// A ReLU of a concat of convs (a grouped convolution's groups) moves into
// each input, where it fuses; one of a concat with a shared input stays.
// CHECK-LABEL: func.func @activation_above_concat
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x4x4xf32>, %[[W:[^:]+]]: tensor<2x1x1x1xf32>)
// CHECK: %[[A:.+]] = sparse_tiny.conv2d %[[X]], %[[W]]
// CHECK-NEXT: %[[B:.+]] = sparse_tiny.conv2d %[[X]], %[[W]]
// CHECK-NEXT: %[[RA:.+]] = sparse_tiny.relu %[[A]] : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[RB:.+]] = sparse_tiny.relu %[[B]]
// CHECK-NEXT: %[[C:.+]] = sparse_tiny.concat %[[RA]], %[[RB]] {axis = 1 : i64}
// CHECK: %[[D:.+]] = sparse_tiny.concat %[[C]], %[[X]]
// CHECK-NEXT: sparse_tiny.relu %[[D]]
func.func @activation_above_concat(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x5x4x4xf32>) {
  %a = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %b = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %c = sparse_tiny.concat %a, %b {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %r = sparse_tiny.relu %c : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %d = sparse_tiny.concat %r, %x {axis = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x5x4x4xf32>
  %e = sparse_tiny.relu %d : (tensor<1x5x4x4xf32>) -> tensor<1x5x4x4xf32>
  return %r, %e : tensor<1x4x4x4xf32>, tensor<1x5x4x4xf32>
}

// -----

// A reshape with other users stays where it is.
// CHECK-LABEL: func.func @shared_reshape_stays
// CHECK: %[[A:.+]] = sparse_tiny.reshape
// CHECK: sparse_tiny.relu %[[A]]
func.func @shared_reshape_stays(%x: tensor<1x8x1x7xf32>) -> (tensor<1x8x7xf32>, tensor<1x8x7xf32>) {
  %a = sparse_tiny.reshape %x : (tensor<1x8x1x7xf32>) -> tensor<1x8x7xf32>
  %r = sparse_tiny.relu %a : (tensor<1x8x7xf32>) -> tensor<1x8x7xf32>
  return %r, %a : tensor<1x8x7xf32>, tensor<1x8x7xf32>
}

// -----

// torch pads a 1-D average pool explicitly: the pad of [N, C, L] before its
// [N, C, 1, L] view folds into the pool (counting the padding).
// CHECK-LABEL: func.func @pad_into_pool1d
// CHECK-NOT: sparse_tiny.pad
// CHECK: %[[V:.+]] = sparse_tiny.reshape %{{.+}} : (tensor<1x4x9xf32>) -> tensor<1x4x1x9xf32>
// CHECK: sparse_tiny.avg_pool2d %[[V]] {count_include_pad = true, kernel = array<i64: 1, 3>, padding = array<i64: 0, 1, 0, 1>, strides = array<i64: 1, 2>}
func.func @pad_into_pool1d(%x: tensor<1x4x9xf32>) -> tensor<1x4x1x5xf32> {
  %p = sparse_tiny.pad %x {low = array<i64: 0, 0, 1>, high = array<i64: 0, 0, 1>, value = 0.0 : f32} : (tensor<1x4x9xf32>) -> tensor<1x4x11xf32>
  %v = sparse_tiny.reshape %p : (tensor<1x4x11xf32>) -> tensor<1x4x1x11xf32>
  %y = sparse_tiny.avg_pool2d %v {count_include_pad = false, kernel = array<i64: 1, 3>, padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 2>} : (tensor<1x4x1x11xf32>) -> tensor<1x4x1x5xf32>
  return %y : tensor<1x4x1x5xf32>
}

// -----

// A transpose that only moves size-1 dims moves no element: a reshape
// (batch-first nn.MultiheadAttention's [1, S, E] -> [S, 1, E]); one that
// reorders two real dims stays.
// CHECK-LABEL: func.func @unit_dim_transpose
// CHECK: %[[R:.+]] = sparse_tiny.reshape %arg0 : (tensor<1x16x8xf32>) -> tensor<16x1x8xf32>
// CHECK: return %[[R]]
func.func @unit_dim_transpose(%x: tensor<1x16x8xf32>) -> tensor<16x1x8xf32> {
  %t = sparse_tiny.transpose %x {perm = array<i64: 1, 0, 2>} : (tensor<1x16x8xf32>) -> tensor<16x1x8xf32>
  return %t : tensor<16x1x8xf32>
}

// CHECK-LABEL: func.func @real_transpose
// CHECK: sparse_tiny.transpose %arg0 {perm = array<i64: 2, 1, 0>} : (tensor<16x1x8xf32>) -> tensor<8x1x16xf32>
func.func @real_transpose(%x: tensor<16x1x8xf32>) -> tensor<8x1x16xf32> {
  %u = sparse_tiny.transpose %x {perm = array<i64: 2, 1, 0>} : (tensor<16x1x8xf32>) -> tensor<8x1x16xf32>
  return %u : tensor<8x1x16xf32>
}

// -----

// A grouped convolution that is not depthwise (2 groups: 4 -> 4 channels)
// becomes one convolution per group over its channel slice, joined by a
// concat; each keeps its rows of the weight and bias and the activation.
// CHECK-LABEL: func.func @grouped_conv
// CHECK-DAG: %[[W0:.+]] = sparse_tiny.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}2.000000e+00]]], {{\[\[\[}}3.000000e+00]], {{\[\[}}4.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[W1:.+]] = sparse_tiny.constant dense<{{\[\[\[\[}}5.000000e+00]], {{\[\[}}6.000000e+00]]], {{\[\[\[}}7.000000e+00]], {{\[\[}}8.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B1:.+]] = sparse_tiny.constant dense<[3.000000e-01, 4.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[S0:.+]] = sparse_tiny.slice %arg0 {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 2, 3, 3>, strides = array<i64: 1, 1, 1, 1>}
// CHECK-DAG: %[[S1:.+]] = sparse_tiny.slice %arg0 {offsets = array<i64: 0, 2, 0, 0>, sizes = array<i64: 1, 2, 3, 3>, strides = array<i64: 1, 1, 1, 1>}
// CHECK-DAG: %[[C0:.+]] = sparse_tiny.conv2d %[[S0]], %[[W0]], %{{.+}} {clamp_min = 0.000000e+00 : f32, padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK-DAG: %[[C1:.+]] = sparse_tiny.conv2d %[[S1]], %[[W1]], %[[B1]] {clamp_min = 0.000000e+00 : f32, padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK: sparse_tiny.concat %[[C0]], %[[C1]] {axis = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x4x3x3xf32>
func.func @grouped_conv(%x: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %w = sparse_tiny.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]], [[[5.0]], [[6.0]]], [[[7.0]], [[8.0]]]]> : tensor<4x2x1x1xf32> : tensor<4x2x1x1xf32>
  %b = sparse_tiny.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32> : tensor<4xf32>
  %y = sparse_tiny.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 2 : i64, clamp_min = 0.0 : f32} : (tensor<1x4x3x3xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x3x3xf32>
  return %y : tensor<1x4x3x3xf32>
}

// A depthwise convolution (groups == channels) stays as it is.
// CHECK-LABEL: func.func @depthwise_stays
// CHECK: sparse_tiny.conv2d %arg0, {{.*}}groups = 4 : i64
// CHECK-NOT: sparse_tiny.concat
func.func @depthwise_stays(%x: tensor<1x4x3x3xf32>, %w: tensor<4x1x1x1xf32>) -> tensor<1x4x3x3xf32> {
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 4 : i64} : (tensor<1x4x3x3xf32>, tensor<4x1x1x1xf32>) -> tensor<1x4x3x3xf32>
  return %y : tensor<1x4x3x3xf32>
}

// -----

// Channels-last code on a map (permute -> ops along the last axis ->
// permute back) runs over tokens: the map viewed as [N, C, H*W], transposed
// to tokens (free in NHWC), the ops on [N, H*W, C], and back. First a
// LayerNorm over the channels alone.
// CHECK-LABEL: func.func @channel_layer_norm
// CHECK: %[[F:.+]] = sparse_tiny.reshape %arg0 : (tensor<1x4x2x3xf32>) -> tensor<1x4x6xf32>
// CHECK: %[[T:.+]] = sparse_tiny.transpose %[[F]] {perm = array<i64: 0, 2, 1>} : (tensor<1x4x6xf32>) -> tensor<1x6x4xf32>
// CHECK: %[[N:.+]] = sparse_tiny.layer_norm %[[T]], %arg1, %arg2 {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<1x6x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x6x4xf32>
// CHECK: %[[B:.+]] = sparse_tiny.transpose %[[N]] {perm = array<i64: 0, 2, 1>} : (tensor<1x6x4xf32>) -> tensor<1x4x6xf32>
// CHECK: %[[Y:.+]] = sparse_tiny.reshape %[[B]] : (tensor<1x4x6xf32>) -> tensor<1x4x2x3xf32>
// CHECK: return %[[Y]]
func.func @channel_layer_norm(%x: tensor<1x4x2x3xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<1x4x2x3xf32> {
  %t = sparse_tiny.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x2x3xf32>) -> tensor<1x2x3x4xf32>
  %n = sparse_tiny.layer_norm %t, %g, %b {axis = 3 : i64, epsilon = 1.0e-05 : f32} : (tensor<1x2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x2x3x4xf32>
  %y = sparse_tiny.transpose %n {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xf32>
  return %y : tensor<1x4x2x3xf32>
}

// A ConvNeXt block's channels-last MLP: LayerNorm, Linear to 8, GELU,
// Linear back to 4, a per-channel layer scale.
// CHECK-LABEL: func.func @convnext_mlp
// CHECK: %[[T:.+]] = sparse_tiny.transpose %{{.+}} {perm = array<i64: 0, 2, 1>} : (tensor<1x4x6xf32>) -> tensor<1x6x4xf32>
// CHECK: %[[N:.+]] = sparse_tiny.layer_norm %[[T]], {{.*}}axis = 2 : i64{{.*}} -> tensor<1x6x4xf32>
// CHECK: %[[U:.+]] = sparse_tiny.fully_connected %[[N]], {{.*}} -> tensor<1x6x8xf32>
// CHECK: %[[G:.+]] = sparse_tiny.gelu %[[U]] : (tensor<1x6x8xf32>) -> tensor<1x6x8xf32>
// CHECK: %[[D:.+]] = sparse_tiny.fully_connected %[[G]], {{.*}} -> tensor<1x6x4xf32>
// CHECK: %[[S:.+]] = sparse_tiny.mul %[[D]], %{{.+}} : (tensor<1x6x4xf32>, tensor<4xf32>) -> tensor<1x6x4xf32>
// CHECK: %[[B:.+]] = sparse_tiny.transpose %[[S]] {perm = array<i64: 0, 2, 1>} : (tensor<1x6x4xf32>) -> tensor<1x4x6xf32>
// CHECK: sparse_tiny.reshape %[[B]] : (tensor<1x4x6xf32>) -> tensor<1x4x2x3xf32>
func.func @convnext_mlp(%x: tensor<1x4x2x3xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %w1: tensor<8x4xf32>) -> tensor<1x4x2x3xf32> {
  %w2 = sparse_tiny.constant dense<0.5> : tensor<4x8xf32> : tensor<4x8xf32>
  %gamma = sparse_tiny.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32> : tensor<4xf32>
  %t = sparse_tiny.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x2x3xf32>) -> tensor<1x2x3x4xf32>
  %n = sparse_tiny.layer_norm %t, %g, %b {axis = 3 : i64, epsilon = 1.0e-05 : f32} : (tensor<1x2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x2x3x4xf32>
  %u = sparse_tiny.fully_connected %n, %w1 : (tensor<1x2x3x4xf32>, tensor<8x4xf32>) -> tensor<1x2x3x8xf32>
  %a = sparse_tiny.gelu %u : (tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  %d = sparse_tiny.fully_connected %a, %w2 : (tensor<1x2x3x8xf32>, tensor<4x8xf32>) -> tensor<1x2x3x4xf32>
  %s = sparse_tiny.mul %d, %gamma : (tensor<1x2x3x4xf32>, tensor<4xf32>) -> tensor<1x2x3x4xf32>
  %y = sparse_tiny.transpose %s {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xf32>
  return %y : tensor<1x4x2x3xf32>
}

// -----

// A mean of a map that drops dims keeps them, and a reshape drops them
// (the mean then reads adjacent bytes of the NHWC map); a spatial mean is
// a global average pool instead.
// CHECK-LABEL: func.func @map_mean_drops_dims
// CHECK: %[[M:.+]] = sparse_tiny.mean %arg0 {axes = array<i64: 2>, keepdims = true} : (tensor<1x4x5x6xf32>) -> tensor<1x4x1x6xf32>
// CHECK: %[[R:.+]] = sparse_tiny.reshape %[[M]] : (tensor<1x4x1x6xf32>) -> tensor<1x4x6xf32>
// CHECK: return %[[R]]
func.func @map_mean_drops_dims(%x: tensor<1x4x5x6xf32>) -> tensor<1x4x6xf32> {
  %m = sparse_tiny.mean %x {axes = array<i64: 2>, keepdims = false} : (tensor<1x4x5x6xf32>) -> tensor<1x4x6xf32>
  return %m : tensor<1x4x6xf32>
}
