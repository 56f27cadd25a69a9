// RUN: tf-opt %s --sparse-tiny-fuse-activations -split-input-file | FileCheck %s
// The fused form must be a fixpoint: running the pass again changes nothing.
// RUN: tf-opt %s --sparse-tiny-fuse-activations -split-input-file | tf-opt --sparse-tiny-fuse-activations -split-input-file | FileCheck %s

// relu after a conv2d becomes clamp_min = 0 on the conv; no clamp_max.
// CHECK-LABEL: func.func @conv_relu
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x4x4xf32>)
// CHECK: %[[Y:.+]] = sparse_tiny.conv2d %[[X]], %{{.+}}, %{{.+}} {clamp_min = 0.000000e+00 : f32, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
// CHECK-NOT: clamp_max
// CHECK-NOT: sparse_tiny.relu
// CHECK: return %[[Y]]
func.func @conv_relu(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = sparse_tiny.constant dense<0.5> : tensor<2x1x3x3xf32> : tensor<2x1x3x3xf32>
  %b = sparse_tiny.constant dense<[0.1, -0.2]> : tensor<2xf32> : tensor<2xf32>
  %y = sparse_tiny.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %r = sparse_tiny.relu %y : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}

// -----

// clip (ReLU6) after a fully_connected sets both bounds.
// CHECK-LABEL: func.func @fc_clip
// CHECK: %[[Y:.+]] = sparse_tiny.fully_connected %{{.+}}, %{{.+}} {clamp_max = 6.000000e+00 : f32, clamp_min = 0.000000e+00 : f32}
// CHECK-NOT: sparse_tiny.clip
// CHECK: return %[[Y]]
func.func @fc_clip(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = sparse_tiny.constant dense<0.25> : tensor<3x4xf32> : tensor<3x4xf32>
  %y = sparse_tiny.fully_connected %x, %w : (tensor<1x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  %c = sparse_tiny.clip %y {min = 0.0 : f32, max = 6.0 : f32} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %c : tensor<1x3xf32>
}

// -----

// relu after an add (a residual connection).
// CHECK-LABEL: func.func @add_relu
// CHECK-SAME: (%[[A:[^:]+]]: tensor<1x8xf32>, %[[B:[^:]+]]: tensor<1x8xf32>)
// CHECK: %[[S:.+]] = sparse_tiny.add %[[A]], %[[B]] {clamp_min = 0.000000e+00 : f32}
// CHECK-NOT: sparse_tiny.relu
// CHECK: return %[[S]]
func.func @add_relu(%a: tensor<1x8xf32>, %b: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %s = sparse_tiny.add %a, %b : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %r = sparse_tiny.relu %s : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %r : tensor<1x8xf32>
}

// -----

// The conv's unclamped output is also returned: fusing would change it, so
// the relu stays and the conv gets no clamp.
// CHECK-LABEL: func.func @producer_with_two_users
// CHECK: %[[Y:.+]] = sparse_tiny.conv2d
// CHECK-NOT: clamp_min
// CHECK-SAME: -> tensor<1x2x4x4xf32>
// CHECK: %[[R:.+]] = sparse_tiny.relu %[[Y]]
// CHECK: return %[[R]], %[[Y]]
func.func @producer_with_two_users(%x: tensor<1x1x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = sparse_tiny.constant dense<0.5> : tensor<2x1x3x3xf32> : tensor<2x1x3x3xf32>
  %y = sparse_tiny.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32>
  %r = sparse_tiny.relu %y : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r, %y : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Two activations on one producer that feeds both: neither fuses.
// CHECK-LABEL: func.func @two_activations_one_producer
// CHECK: %[[S:.+]] = sparse_tiny.add %{{[^ ]+}}, %{{[^ ]+}} :
// CHECK: sparse_tiny.relu %[[S]]
// CHECK: sparse_tiny.clip %[[S]]
func.func @two_activations_one_producer(%a: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %s = sparse_tiny.add %a, %a : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %r = sparse_tiny.relu %s : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %c = sparse_tiny.clip %s {min = 0.0 : f32, max = 6.0 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %r, %c : tensor<1x8xf32>, tensor<1x8xf32>
}

// -----

// relu then clip(-1, 6): the bounds intersect to [0, 6] (the relu's 0 wins
// over the clip's -1).
// CHECK-LABEL: func.func @relu_then_clip
// CHECK: %[[Y:.+]] = sparse_tiny.add %{{.+}} {clamp_max = 6.000000e+00 : f32, clamp_min = 0.000000e+00 : f32}
// CHECK-NOT: sparse_tiny.relu
// CHECK-NOT: sparse_tiny.clip
// CHECK: return %[[Y]]
func.func @relu_then_clip(%a: tensor<1x8xf32>, %b: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %s = sparse_tiny.add %a, %b : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %r = sparse_tiny.relu %s : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %c = sparse_tiny.clip %r {min = -1.0 : f32, max = 6.0 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %c : tensor<1x8xf32>
}

// -----

// A clip over an op that already has a clamp keeps the intersection:
// [-2, 3] and clip(-1, 5) give [-1, 3]; then clip(-4, 2.5) gives [-1, 2.5].
// CHECK-LABEL: func.func @clip_intersects_existing_clamp
// CHECK: %[[Y:.+]] = sparse_tiny.fully_connected %{{.+}}, %{{.+}} {clamp_max = 2.500000e+00 : f32, clamp_min = -1.000000e+00 : f32}
// CHECK-NOT: sparse_tiny.clip
// CHECK: return %[[Y]]
func.func @clip_intersects_existing_clamp(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = sparse_tiny.constant dense<0.25> : tensor<3x4xf32> : tensor<3x4xf32>
  %y = sparse_tiny.fully_connected %x, %w {clamp_min = -2.0 : f32, clamp_max = 3.0 : f32} : (tensor<1x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  %c = sparse_tiny.clip %y {min = -1.0 : f32, max = 5.0 : f32} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  %d = sparse_tiny.clip %c {min = -4.0 : f32, max = 2.5 : f32} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %d : tensor<1x3xf32>
}

// -----

// Only conv2d, fully_connected and add take a fused activation: a relu
// after max pooling (or on a function argument) stays.
// CHECK-LABEL: func.func @not_a_fusable_producer
// CHECK: %[[P:.+]] = sparse_tiny.max_pool2d
// CHECK-NOT: clamp_min
// CHECK-SAME: -> tensor<1x2x2x2xf32>
// CHECK: %[[R:.+]] = sparse_tiny.relu %[[P]]
// CHECK: %[[R2:.+]] = sparse_tiny.relu %arg0
// CHECK: return %[[R]], %[[R2]]
func.func @not_a_fusable_producer(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) {
  %p = sparse_tiny.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %r = sparse_tiny.relu %p : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %r2 = sparse_tiny.relu %x : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r, %r2 : tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>
}

// -----

// INT8 graphs are left alone: the pass runs before quantization, and an
// INT8 relu may requantize (its result type differs from the add's).
// CHECK-LABEL: func.func @int8_not_fused
// CHECK: %[[S:.+]] = sparse_tiny.add
// CHECK-NOT: clamp_min
// CHECK-SAME: -> tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01:-3>>
// CHECK: sparse_tiny.relu %[[S]]
func.func @int8_not_fused(%a: tensor<1x8x!quant.uniform<i8:f32, 0.1:-3>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.1:-3>> {
  %s = sparse_tiny.add %a, %a : (tensor<1x8x!quant.uniform<i8:f32, 0.1:-3>>, tensor<1x8x!quant.uniform<i8:f32, 0.1:-3>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.1:-3>>
  %r = sparse_tiny.relu %s : (tensor<1x8x!quant.uniform<i8:f32, 0.1:-3>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.1:-3>>
  return %r : tensor<1x8x!quant.uniform<i8:f32, 0.1:-3>>
}

// -----

// relu after an attention block clamps its output projection.
// CHECK-LABEL: func.func @mhsa_relu
// CHECK: %[[Y:.+]] = sparse_tiny.mhsa {{.*}} {clamp_min = 0.000000e+00 : f32, num_heads = 2 : i64, scale = 5.000000e-01 : f32}
// CHECK-NOT: sparse_tiny.relu
// CHECK: return %[[Y]]
func.func @mhsa_relu(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %w = sparse_tiny.constant dense<0.1> : tensor<4x4xf32> : tensor<4x4xf32>
  %b = sparse_tiny.constant dense<0.0> : tensor<4xf32> : tensor<4xf32>
  %y = sparse_tiny.mhsa %x, %w, %b, k(%w, %b), %w, %b, %w, %b {num_heads = 2 : i64, scale = 0.5 : f32} : (tensor<1x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %r = sparse_tiny.relu %y : (tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  return %r : tensor<1x4x4xf32>
}
