// RUN: tf-opt %s -split-input-file -verify-diagnostics --canonicalize --sparse-tiny-fuse-qk-weights | FileCheck %s
// RUN: tf-opt %s -split-input-file --canonicalize --sparse-tiny-fuse-qk-weights=force=true 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FORCE
// After quantization (which expands the block) the fused form is fused
// again, with its intermediate types.
// RUN: %python -c "import numpy as np; np.save('%t.npy', np.linspace(-1, 1, 64, dtype=np.float32).reshape(4, 1, 4, 4))"
// RUN: tf-opt %s -split-input-file --canonicalize --sparse-tiny-fuse-qk-weights \
// RUN:   --sparse-tiny-quantize=calibration=%t.npy --sparse-tiny-fuse-attention 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=INT8

// One head (E = P = 4 < 2P): canonicalization makes the block an mhsa, then
// W_q·W_kᵀ is folded into one [E, E] weight and the keys are the input
// itself. Q/K parameters 2 * (16 + 4) = 40 -> 20.
// F[c][k] = sum_p Wk[p][c] Wq[p][k], e.g. F[0][0] = 0.2*0.1 + 0*0.3 +
// 0.1*0 + 0.3*(-0.1) = -0.01; u[c] = sum_p bq[p] Wk[p][c], e.g. u[0] =
// 0.01*0.2 - 0.02*0 + 0.03*0.1 + 0 = 0.005.
// CHECK-LABEL: func.func @one_head
// CHECK-DAG: %[[W:.+]] = sparse_tiny.constant dense<{{\[\[}}-0.0100000007, 5.000000e-02, 5.000000e-02, 0.0700000077]
// CHECK-DAG: %[[U:.+]] = sparse_tiny.constant dense<[5.000000e-03, 8.000000e-03, -3.000000e-03, 4.000000e-03]>
// CHECK: sparse_tiny.mhsa %arg0, %[[W]], %[[U]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} {fused_qk, num_heads = 1 : i64, scale = 5.000000e-01 : f32}
// CHECK-SAME: (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
// INT8-LABEL: func.func @one_head
// INT8: sparse_tiny.mhsa %arg0, {{.*}} {context_type = {{.*}}, fused_qk, key_type = {{.*}}, num_heads = 1 : i64, query_type = {{.*}}, scale = 5.000000e-01 : f32, score_type
func.func @one_head(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %wq = sparse_tiny.constant dense<[[0.1, 0.2, 0.0, -0.1], [0.3, -0.2, 0.1, 0.0], [0.0, 0.1, 0.2, 0.3], [-0.1, 0.0, 0.1, 0.2]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %wk = sparse_tiny.constant dense<[[0.2, 0.1, 0.0, 0.1], [0.0, -0.2, 0.3, 0.0], [0.1, 0.1, 0.1, 0.1], [0.3, 0.0, -0.1, 0.2]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %wv = sparse_tiny.constant dense<[[0.5, 0.0, 0.0, 0.1], [0.0, 0.5, 0.1, 0.0], [0.1, 0.0, 0.5, 0.0], [0.0, 0.1, 0.0, 0.5]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %wo = sparse_tiny.constant dense<[[1.0, 0.0, 0.0, 0.2], [0.0, 1.0, 0.2, 0.0], [0.2, 0.0, 1.0, 0.0], [0.0, 0.2, 0.0, 1.0]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %b = sparse_tiny.constant dense<[0.01, -0.02, 0.03, 0.0]> : tensor<4xf32> : tensor<4xf32>
  %scale = sparse_tiny.constant dense<5.000000e-01> : tensor<f32> : tensor<f32>
  %q = sparse_tiny.fully_connected %x, %wq, %b : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %q4 = sparse_tiny.reshape %q : (tensor<1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %k = sparse_tiny.fully_connected %x, %wk, %b : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %kt = sparse_tiny.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %k4 = sparse_tiny.reshape %kt : (tensor<1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %v = sparse_tiny.fully_connected %x, %wv, %b : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %v4 = sparse_tiny.reshape %v : (tensor<1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %s = sparse_tiny.matmul %q4, %k4 : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %ss = sparse_tiny.mul %s, %scale : (tensor<1x1x4x4xf32>, tensor<f32>) -> tensor<1x1x4x4xf32>
  %a = sparse_tiny.softmax %ss {axis = 3 : i64} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %c = sparse_tiny.matmul %a, %v4 : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %cr = sparse_tiny.reshape %c : (tensor<1x1x4x4xf32>) -> tensor<1x4x4xf32>
  // expected-remark @+1 {{fused-weight attention applied: Q/K parameters 40 -> 20, estimated Q/K instructions 188 -> 128 (E = 4, P = 4)}}
  %o = sparse_tiny.fully_connected %cr, %wo, %b : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  return %o : tensor<1x4x4xf32>
}

// -----

// Two heads of 2 (E = 2P): folding would raise the Q/K work, so it stays.
// CHECK-LABEL: func.func @two_heads
// CHECK: sparse_tiny.mhsa %arg0, %{{[^,]+}}, %{{[^,]+}}, k(
// CHECK-NOT: fused_qk
// FORCE: remark: fused-weight attention applied: Q/K parameters 40 -> 40, estimated Q/K instructions 188 -> 256 (E = 4, P = 2)
func.func @two_heads(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %wq = sparse_tiny.constant dense<[[0.1, 0.2, 0.0, -0.1], [0.3, -0.2, 0.1, 0.0], [0.0, 0.1, 0.2, 0.3], [-0.1, 0.0, 0.1, 0.2]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %wk = sparse_tiny.constant dense<[[0.2, 0.1, 0.0, 0.1], [0.0, -0.2, 0.3, 0.0], [0.1, 0.1, 0.1, 0.1], [0.3, 0.0, -0.1, 0.2]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %wv = sparse_tiny.constant dense<[[0.5, 0.0, 0.0, 0.1], [0.0, 0.5, 0.1, 0.0], [0.1, 0.0, 0.5, 0.0], [0.0, 0.1, 0.0, 0.5]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %wo = sparse_tiny.constant dense<[[1.0, 0.0, 0.0, 0.2], [0.0, 1.0, 0.2, 0.0], [0.2, 0.0, 1.0, 0.0], [0.0, 0.2, 0.0, 1.0]]> : tensor<4x4xf32> : tensor<4x4xf32>
  %b = sparse_tiny.constant dense<[0.01, -0.02, 0.03, 0.0]> : tensor<4xf32> : tensor<4xf32>
  %scale = sparse_tiny.constant dense<0.707106769> : tensor<f32> : tensor<f32>
  %q = sparse_tiny.fully_connected %x, %wq, %b : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %q4 = sparse_tiny.reshape %q : (tensor<1x4x4xf32>) -> tensor<1x4x2x2xf32>
  %qt = sparse_tiny.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x2xf32>) -> tensor<1x2x4x2xf32>
  %k = sparse_tiny.fully_connected %x, %wk, %b : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %k4 = sparse_tiny.reshape %k : (tensor<1x4x4xf32>) -> tensor<1x4x2x2xf32>
  %kt = sparse_tiny.transpose %k4 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x2x2x4xf32>
  %v = sparse_tiny.fully_connected %x, %wv, %b : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %v4 = sparse_tiny.reshape %v : (tensor<1x4x4xf32>) -> tensor<1x4x2x2xf32>
  %vt = sparse_tiny.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x2xf32>) -> tensor<1x2x4x2xf32>
  %s = sparse_tiny.matmul %qt, %kt : (tensor<1x2x4x2xf32>, tensor<1x2x2x4xf32>) -> tensor<1x2x4x4xf32>
  %ss = sparse_tiny.mul %s, %scale : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %a = sparse_tiny.softmax %ss {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c = sparse_tiny.matmul %a, %vt : (tensor<1x2x4x4xf32>, tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %ct = sparse_tiny.transpose %c {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x2xf32>) -> tensor<1x4x2x2xf32>
  %cr = sparse_tiny.reshape %ct : (tensor<1x4x2x2xf32>) -> tensor<1x4x4xf32>
  // expected-remark @+1 {{fused-weight attention not applied (it pays only when E < 2P): Q/K parameters 40 -> 40, estimated Q/K instructions 188 -> 256 (E = 4, P = 2)}}
  %o = sparse_tiny.fully_connected %cr, %wo, %b : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  return %o : tensor<1x4x4xf32>
}
