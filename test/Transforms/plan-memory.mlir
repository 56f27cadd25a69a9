// RUN: tf-opt %s -split-input-file -verify-diagnostics --sparse-tiny-plan-memory | FileCheck %s

// The kernels are given here as sparse-tiny-select-kernels would set them,
// so that only the planner is under test. Buffers are 8-byte aligned and
// placed largest first at the lowest offset free during their lifetime.

// conv2d -> max_pool2d -> reshape -> fully_connected -> softmax. Steps 0..4.
//   conv out   32 B, steps 0-1;  conv scratch 4 * k4(9) + 16 * 2 + 8 = 88 B at 0
//   pool out    8 B, steps 1-3 (the reshape aliases it; the fc reads it at 3)
//   fc out      3 B (8 aligned), steps 3-4; fc scratch (one token: the int16
//               copy of x only) 4 * 8 + 8 = 40 B at 3
//   softmax out: the caller's output buffer.
// Largest first: conv scratch -> 0; fc scratch -> 0 (not alive with it);
// conv out -> 88; pool out -> 40 (0..40 busy at step 3, 88..120 at step 1);
// The fc overwrites the pooled tokens it reads (token overwriting: its input
// dies there and 3 <= 8 features), so fc out -> 40 too. Arena 120, the
// lower bound: the most bytes alive at one step, step 0, 32 + 88 = 120.
// arena_map is that plan: (offset, bytes, first step, last step) per buffer.
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 120 : i64, sparse_tiny.arena_map = array<i64: 88, 32, 0, 1, 0, 88, 0, 0, 40, 8, 1, 4, 0, 40, 3, 3>, sparse_tiny.arena_size = 120 : i64}
// CHECK: sparse_tiny.conv2d
// CHECK-SAME: sparse_tiny.offset = 88 : i64, sparse_tiny.scratch_bytes = 88 : i64, sparse_tiny.scratch_offset = 0 : i64
// CHECK: sparse_tiny.max_pool2d
// CHECK-SAME: sparse_tiny.offset = 40 : i64
// CHECK: sparse_tiny.reshape
// CHECK-SAME: sparse_tiny.offset = 40 : i64
// CHECK: sparse_tiny.fully_connected
// CHECK-SAME: sparse_tiny.offset = 40 : i64, sparse_tiny.scratch_bytes = 40 : i64, sparse_tiny.scratch_offset = 0 : i64
// CHECK: sparse_tiny.softmax
// CHECK-SAME: sparse_tiny.buffer = "output"
// CHECK-NOT: sparse_tiny.offset
// CHECK-SAME: -> tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>>
func.func @net(%arg0: tensor<1x1x4x4x!quant.uniform<i8:f32, 2.000000e-02>>) -> tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>> {
  %0 = sparse_tiny.constant dense<[[[[50, -127, 0], [25, 13, 100], [0, 0, 0]]], [[[127, 0, -50], [25, 0, 0], [0, 0, -100]]]]> : tensor<2x1x3x3xi8> : tensor<2x1x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.01,0.02}>>
  %1 = sparse_tiny.constant dense<[500, -500]> : tensor<2xi32> : tensor<2x!quant.uniform<i32:f32:0, {2.0E-4,4.0E-4}>>
  %2 = sparse_tiny.conv2d %arg0, %0, %1 {clamp_min = 0.000000e+00 : f32, padding = array<i64: 1, 1, 1, 1>, sparse_tiny.kernel = #sparse_tiny.kernel<conv2d, storage = int16>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!quant.uniform<i8:f32, 2.000000e-02>>, tensor<2x1x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.01,0.02}>>, tensor<2x!quant.uniform<i32:f32:0, {2.0E-4,4.0E-4}>>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-128>>
  %3 = sparse_tiny.max_pool2d %2 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, sparse_tiny.kernel = #sparse_tiny.kernel<max_pool>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-128>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-128>>
  %4 = sparse_tiny.reshape %3 {sparse_tiny.kernel = #sparse_tiny.kernel<alias>} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-128>>) -> tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-128>>
  %5 = sparse_tiny.constant dense<[[16, 32, 48, 63, 79, 95, 111, 127], [-16, -32, -48, -63, -79, -95, -111, -127], [127, 0, 0, 0, 0, 0, 0, -127]]> : tensor<3x8xi8> : tensor<3x8x!quant.uniform<i8<-127:127>:f32:0, {0.0063,0.0063,0.0063}>>
  %6 = sparse_tiny.constant dense<[159, 0, -159]> : tensor<3xi32> : tensor<3x!quant.uniform<i32:f32:0, {3.15E-4,3.15E-4,3.15E-4}>>
  %7 = sparse_tiny.fully_connected %4, %5, %6 {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected, storage = int16>} : (tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-128>>, tensor<3x8x!quant.uniform<i8<-127:127>:f32:0, {0.0063,0.0063,0.0063}>>, tensor<3x!quant.uniform<i32:f32:0, {3.15E-4,3.15E-4,3.15E-4}>>) -> tensor<1x3x!quant.uniform<i8:f32, 1.000000e-01:3>>
  %8 = sparse_tiny.softmax %7 {axis = 1 : i64, sparse_tiny.kernel = #sparse_tiny.kernel<softmax>} : (tensor<1x3x!quant.uniform<i8:f32, 1.000000e-01:3>>) -> tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>>
  return %8 : tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>>
}

// -----

// In place: the add writes over its lhs, which dies there. Steps:
//   a = relu x   64 B  steps 0-3 (the add's buffer from step 2 on)
//   b = relu a   64 B  steps 1-2 (a is still read by the add: no reuse)
//   s = add a, b       a's buffer
//   y = fc s           the output; scratch (one token) 4 * 64 + 8 = 264 B at 3
// Scratch -> 0; a/s -> 264 (alive with the scratch at step 3); b -> 0.
// Arena 328 = the lower bound (64 + 264 at step 3).
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 328 : i64, sparse_tiny.arena_map = array<i64: 264, 64, 0, 3, 0, 64, 1, 2, 0, 264, 3, 3>, sparse_tiny.arena_size = 328 : i64}
// CHECK: %[[A:.+]] = sparse_tiny.relu %arg0
// CHECK-SAME: sparse_tiny.offset = 264 : i64
// CHECK: %[[B:.+]] = sparse_tiny.relu %[[A]]
// CHECK-SAME: sparse_tiny.offset = 0 : i64
// CHECK: %[[S:.+]] = sparse_tiny.add %[[A]], %[[B]]
// CHECK-SAME: sparse_tiny.offset = 264 : i64
// CHECK: sparse_tiny.fully_connected %[[S]]
// CHECK-SAME: sparse_tiny.buffer = "output"
// CHECK-SAME: sparse_tiny.scratch_bytes = 264 : i64, sparse_tiny.scratch_offset = 0 : i64
!a = tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>
func.func @in_place_add(%x: !a) -> tensor<1x8x!quant.uniform<i8:f32, 0.2:1>> {
  %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %b = sparse_tiny.relu %a {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %s = sparse_tiny.add %a, %b {sparse_tiny.kernel = #sparse_tiny.kernel<add>} : (!a, !a) -> !a
  %w = sparse_tiny.constant dense<1> : tensor<8x64xi8> : tensor<8x64x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.fully_connected %s, %w {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected>} : (!a, tensor<8x64x!quant.uniform<i8:f32, 0.01>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.2:1>>
  return %y : tensor<1x8x!quant.uniform<i8:f32, 0.2:1>>
}

// -----

// The add's lhs lives on (the second add reads it): the first add writes
// over its rhs instead, and the second add over the first's result, which
// is the function's result: b, s and t all live in the caller's output
// buffer; only a is in the arena.
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 64 : i64, sparse_tiny.arena_map = array<i64: 0, 64, 0, 3>, sparse_tiny.arena_size = 64 : i64}
// CHECK: %[[A:.+]] = sparse_tiny.relu %arg0
// CHECK-SAME: sparse_tiny.offset = 0 : i64
// CHECK: %[[B:.+]] = sparse_tiny.relu %[[A]]
// CHECK-SAME: sparse_tiny.buffer = "output"
// CHECK: %[[S:.+]] = sparse_tiny.add %[[A]], %[[B]]
// CHECK-SAME: sparse_tiny.buffer = "output"
// CHECK: sparse_tiny.add %[[S]], %[[A]]
// CHECK-SAME: sparse_tiny.buffer = "output"
!a = tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>
func.func @in_place_rhs(%x: !a) -> !a {
  %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %b = sparse_tiny.relu %a {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %s = sparse_tiny.add %a, %b {sparse_tiny.kernel = #sparse_tiny.kernel<add>} : (!a, !a) -> !a
  %t = sparse_tiny.add %s, %a {sparse_tiny.kernel = #sparse_tiny.kernel<add>} : (!a, !a) -> !a
  return %t : !a
}

// -----

// A reshape keeps its input's buffer alive until the reshape's last use.
//   a = relu x      64 B  steps 0-3 (r, its alias, is read by the fc at 3)
//   r = reshape a   alias
//   b = relu x      64 B  steps 2-5
//   f = fc r        overwrites a's tokens (a dies there, 32 -> 32 features);
//                   scratch 4 * 32 + 16 * 32 + 8 = 648 B at 3
//   g = reshape f   alias
//   y = add g, b    in place over f: the output, so a, f, g and y all live
//                   in the caller's output buffer (the same 64 bytes)
// Scratch -> 0; b -> 648. Arena 712 = 64 + 648 at step 3.
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 712 : i64, sparse_tiny.arena_map = array<i64: 648, 64, 2, 5, 0, 648, 3, 3>, sparse_tiny.arena_size = 712 : i64}
// CHECK: sparse_tiny.relu
// CHECK-SAME: sparse_tiny.buffer = "output"
// CHECK: sparse_tiny.reshape
// CHECK-SAME: sparse_tiny.buffer = "output"
// CHECK: sparse_tiny.relu
// CHECK-SAME: sparse_tiny.offset = 648 : i64
// CHECK: sparse_tiny.fully_connected
// CHECK-SAME: sparse_tiny.buffer = "output", {{.*}}sparse_tiny.scratch_bytes = 648 : i64, sparse_tiny.scratch_offset = 0 : i64
// CHECK: sparse_tiny.reshape
// CHECK-SAME: sparse_tiny.buffer = "output"
// CHECK: sparse_tiny.add
// CHECK-SAME: sparse_tiny.buffer = "output"
!a = tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>
!t = tensor<2x32x!quant.uniform<i8:f32, 0.1:-3>>
func.func @alias_extends_lifetime(%x: !a) -> !a {
  %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %r = sparse_tiny.reshape %a {sparse_tiny.kernel = #sparse_tiny.kernel<alias>} : (!a) -> !t
  %b = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %w = sparse_tiny.constant dense<1> : tensor<32x32xi8> : tensor<32x32x!quant.uniform<i8:f32, 0.01>>
  %f = sparse_tiny.fully_connected %r, %w {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected>} : (!t, tensor<32x32x!quant.uniform<i8:f32, 0.01>>) -> !t
  %g = sparse_tiny.reshape %f {sparse_tiny.kernel = #sparse_tiny.kernel<alias>} : (!t) -> !a
  %y = sparse_tiny.add %g, %b {sparse_tiny.kernel = #sparse_tiny.kernel<add>} : (!a, !a) -> !a
  return %y : !a
}

// -----

// A chain of elementwise ops runs in place in the caller's output buffer:
// no arena at all.
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 0 : i64, sparse_tiny.arena_map = array<i64>, sparse_tiny.arena_size = 0 : i64}
// CHECK-COUNT-3: sparse_tiny.relu {{.*}}sparse_tiny.buffer = "output"
!a = tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>
func.func @chain_in_output(%x: !a) -> !a {
  %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %b = sparse_tiny.relu %a {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %c = sparse_tiny.relu %b {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  return %c : !a
}

// -----

// A result nobody reads is still written while its op runs: it must not
// share bytes with anything alive at that step, such as the op's own
// scratch. Steps: a = relu x (64 B, 0-2); dead = fc a (8 B at step 1, no
// user; scratch 264 B at 1); y = fc a (the output; scratch 264 B at 2).
// Scratches -> 0; a -> 264; the dead result -> 328 (not 0, inside the
// scratch its kernel uses at the same time). Arena and lower bound
// 64 + 8 + 264 = 336 at step 1.
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 336 : i64, sparse_tiny.arena_map = array<i64: 264, 64, 0, 2, 328, 8, 1, 1, 0, 264, 1, 1, 0, 264, 2, 2>, sparse_tiny.arena_size = 336 : i64}
// CHECK: sparse_tiny.relu %arg0
// CHECK-SAME: sparse_tiny.offset = 264 : i64
// CHECK: sparse_tiny.fully_connected
// CHECK-SAME: sparse_tiny.offset = 328 : i64, sparse_tiny.scratch_bytes = 264 : i64, sparse_tiny.scratch_offset = 0 : i64
// CHECK: sparse_tiny.fully_connected
// CHECK-SAME: sparse_tiny.buffer = "output", {{.*}}sparse_tiny.scratch_bytes = 264 : i64, sparse_tiny.scratch_offset = 0 : i64
!a = tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>
!w = tensor<8x64x!quant.uniform<i8:f32, 0.01>>
!o = tensor<1x8x!quant.uniform<i8:f32, 0.2:1>>
func.func @unused_result(%x: !a) -> !o {
  %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %w = sparse_tiny.constant dense<1> : tensor<8x64xi8> : !w
  %dead = sparse_tiny.fully_connected %a, %w {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected>} : (!a, !w) -> !o
  %y = sparse_tiny.fully_connected %a, %w {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected>} : (!a, !w) -> !o
  return %y : !o
}

// -----

!a = tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>
func.func @no_kernel(%x: !a) -> !a {
  // expected-error@+1 {{'sparse_tiny.relu' op has no kernel: run sparse-tiny-select-kernels before memory planning}}
  %a = sparse_tiny.relu %x : (!a) -> !a
  return %a : !a
}

// -----

// expected-error@+1 {{returns (a reshape of) its input: nothing to compute}}
func.func @returns_input(%x: tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>) -> tensor<8x8x!quant.uniform<i8:f32, 0.1:-3>> {
  %r = sparse_tiny.reshape %x {sparse_tiny.kernel = #sparse_tiny.kernel<alias>} : (tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>) -> tensor<8x8x!quant.uniform<i8:f32, 0.1:-3>>
  return %r : tensor<8x8x!quant.uniform<i8:f32, 0.1:-3>>
}

// -----

// Token overwriting stops at the caller's buffer: the linear layer's result
// is returned through a reshape, so it is written straight into the output
// buffer (10 bytes) and not over the relu's 64 bytes. Arena: fc scratch
// (one token) 4 * 64 + 8 = 264 at 0, relu 64 at 264.
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 328 : i64, sparse_tiny.arena_map = array<i64: 264, 64, 0, 1, 0, 264, 1, 1>, sparse_tiny.arena_size = 328 : i64}
// CHECK: sparse_tiny.relu {{.*}}sparse_tiny.offset = 264 : i64
// CHECK: sparse_tiny.fully_connected {{.*}}sparse_tiny.buffer = "output"
// CHECK: sparse_tiny.reshape {{.*}}sparse_tiny.buffer = "output"
!a = tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>
!o = tensor<1x10x!quant.uniform<i8:f32, 0.1:-3>>
!r = tensor<10x!quant.uniform<i8:f32, 0.1:-3>>
func.func @overwrite_not_into_output(%x: !a) -> !r {
  %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!a) -> !a
  %w = sparse_tiny.constant dense<1> : tensor<10x64xi8> : tensor<10x64x!quant.uniform<i8:f32, 0.01>>
  %f = sparse_tiny.fully_connected %a, %w {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected>} : (!a, tensor<10x64x!quant.uniform<i8:f32, 0.01>>) -> !o
  %g = sparse_tiny.reshape %f {sparse_tiny.kernel = #sparse_tiny.kernel<alias>} : (!o) -> !r
  return %g : !r
}

// -----

// Row overwriting (MCUFormer's patch embedding, patch row by patch row):
// a 2x2 stride-2 conv reads its dying 16x16x4 input a (1024 B, steps 0-1)
// pixel pair by pixel pair in raster order; each output row of 8 pixels x
// 8 B needs input rows 2r, 2r+1 (64 B each). Once pixels [0, m) are
// written, the pixels left read rows from 2 * (m / 8) on, so the output p
// (512 B, steps 1-2) may start 56 B below a (m = 7: 7 pixels written, row
// 0 still read) and overwrite the rows already read. p and a stay separate
// buffers; the placement puts p at 0 and a at 56: 1080 B for both, plus
// the conv scratch (200 B, step 1) at 1080. Arena 1280 = the lower bound,
// which counts the pair at its closest placement (1024 + 512 + 200 = 1736
// without the overlap).
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 1280 : i64, sparse_tiny.arena_map = array<i64: 56, 1024, 0, 1, 0, 512, 1, 2, 1080, 200, 1, 1>, sparse_tiny.arena_size = 1280 : i64}
// CHECK: sparse_tiny.relu %arg0
// CHECK-SAME: sparse_tiny.offset = 56 : i64
// CHECK: sparse_tiny.conv2d
// CHECK-SAME: sparse_tiny.offset = 0 : i64, sparse_tiny.scratch_bytes = 200 : i64, sparse_tiny.scratch_offset = 1080 : i64
!m = tensor<1x4x16x16x!quant.uniform<i8:f32, 0.1:-3>>
!p = tensor<1x8x8x8x!quant.uniform<i8:f32, 0.2:1>>
!w = tensor<8x4x2x2x!quant.uniform<i8<-127:127>:f32:0, {0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01}>>
!b = tensor<8x!quant.uniform<i32:f32:0, {1.0E-3,1.0E-3,1.0E-3,1.0E-3,1.0E-3,1.0E-3,1.0E-3,1.0E-3}>>
func.func @patch_rows(%x: !m) -> tensor<1x8x1x1x!quant.uniform<i8:f32, 0.2:1>> {
  %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!m) -> !m
  %w = sparse_tiny.constant dense<1> : tensor<8x4x2x2xi8> : !w
  %b = sparse_tiny.constant dense<0> : tensor<8xi32> : !b
  %p = sparse_tiny.conv2d %a, %w, %b {padding = array<i64: 0, 0, 0, 0>, sparse_tiny.kernel = #sparse_tiny.kernel<conv2d>, strides = array<i64: 2, 2>} : (!m, !w, !b) -> !p
  %y = sparse_tiny.global_avg_pool2d %p {sparse_tiny.kernel = #sparse_tiny.kernel<avg_pool>} : (!p) -> tensor<1x8x1x1x!quant.uniform<i8:f32, 0.2:1>>
  return %y : tensor<1x8x1x1x!quant.uniform<i8:f32, 0.2:1>>
}

// -----

// The same conv on a 4x4 map (p may start 8 B below a; conv scratch 200 B
// at step 1), before a linear layer over p's 4 tokens of 8 features with a
// 4 * 8 + 16 * 14 + 8 = 264 B scratch at step 3. Placed together, the pair
// would sit above both scratches (a at 272, p at 264: arena 336); apart, a
// fits above the conv's scratch at 200 and p above the fc's at 264. The
// planner tries both and keeps the lower: arena 296 = the lower bound
// (step 3: 32 + 264).
// CHECK-LABEL: module attributes {sparse_tiny.arena_lower_bound = 296 : i64, sparse_tiny.arena_map = array<i64: 200, 64, 0, 1, 264, 32, 1, 3, 0, 200, 1, 1, 0, 264, 3, 3>, sparse_tiny.arena_size = 296 : i64}
!m4 = tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1:-3>>
!p4 = tensor<1x8x2x2x!quant.uniform<i8:f32, 0.2:1>>
!w4 = tensor<8x4x2x2x!quant.uniform<i8<-127:127>:f32:0, {0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01}>>
!b4 = tensor<8x!quant.uniform<i32:f32:0, {1.0E-3,1.0E-3,1.0E-3,1.0E-3,1.0E-3,1.0E-3,1.0E-3,1.0E-3}>>
func.func @patch_rows_apart(%x: !m4) -> tensor<4x14x!quant.uniform<i8:f32, 0.2:1>> {
  %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (!m4) -> !m4
  %w = sparse_tiny.constant dense<1> : tensor<8x4x2x2xi8> : !w4
  %b = sparse_tiny.constant dense<0> : tensor<8xi32> : !b4
  %p = sparse_tiny.conv2d %a, %w, %b {padding = array<i64: 0, 0, 0, 0>, sparse_tiny.kernel = #sparse_tiny.kernel<conv2d>, strides = array<i64: 2, 2>} : (!m4, !w4, !b4) -> !p4
  %r = sparse_tiny.reshape %p {sparse_tiny.kernel = #sparse_tiny.kernel<alias>} : (!p4) -> tensor<4x8x!quant.uniform<i8:f32, 0.2:1>>
  %v = sparse_tiny.constant dense<1> : tensor<14x8xi8> : tensor<14x8x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.fully_connected %r, %v {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected>} : (tensor<4x8x!quant.uniform<i8:f32, 0.2:1>>, tensor<14x8x!quant.uniform<i8:f32, 0.01>>) -> tensor<4x14x!quant.uniform<i8:f32, 0.2:1>>
  return %y : tensor<4x14x!quant.uniform<i8:f32, 0.2:1>>
}
