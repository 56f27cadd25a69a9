// RUN: tf-opt %s -split-input-file -verify-diagnostics --sparse-tiny-lower-to-llvm="model-name=net" | FileCheck %s
// The default model name is "model".
// RUN: tf-opt %s -split-input-file -verify-diagnostics --sparse-tiny-lower-to-llvm | FileCheck %s --check-prefix=DEFAULT
// DEFAULT: llvm.func @tf_model_invoke
// DEFAULT: llvm.func @tf_model_run_layer
// DEFAULT-NOT: tf_net_

// A planned conv2d -> max_pool2d -> reshape (an alias: no layer) ->
// fully_connected -> softmax model (the arena plan of plan-memory.mlir:
// conv out at 80, pool out at 112, fc out at 80, scratch at 0).

// The header / runner facts, recorded on the module.
// CHECK-LABEL: module attributes
// CHECK-SAME: tf.input_layout = "logical", tf.input_scale = 2.000000e-02 : f64, tf.input_shape = array<i64: 1, 1, 4, 4>, tf.input_zero_point = 0 : i64
// CHECK-SAME: tf.layer_kernels = ["conv2d", "max_pool", "fully_connected", "softmax"]
// CHECK-SAME: tf.layer_names = ["conv2d_0", "max_pool2d_1", "fully_connected_2", "softmax_3"]
// CHECK-SAME: tf.layer_ops = ["conv2d", "max_pool2d", "fully_connected", "softmax"], tf.model_name = "net"
// CHECK-SAME: tf.output_layout = "logical", tf.output_scale = 3.906250e-03 : f64, tf.output_shape = array<i64: 1, 3>, tf.output_zero_point = -128 : i64
//
// Constant globals. The softmax exp table: 65536 * exp(-d * 0.1), d = 0, 1:
// 65536 = 0x00010000, 59299 = 0x0000E7A3 (little-endian words).
// CHECK-DAG: llvm.mlir.global internal constant @tf_net_l3_exp(dense<"0x00000100A3E70000{{[0-9A-F]+}}"> : tensor<256xi32>) {{.*}}: !llvm.array<256 x i32>
// fc requantization: 0.05 * 0.0063 / 0.1 = 0.00315 = 0.8064 * 2^-8.
// CHECK-DAG: llvm.mlir.global internal constant @tf_net_l2_shift(dense<-8> : tensor<3xi32>) {{.*}}: !llvm.array<3 x i32>
// CHECK-DAG: llvm.mlir.global internal constant @tf_net_l2_mult(dense<1731730814> : tensor<3xi32>) {{.*}}: !llvm.array<3 x i32>
// fc packed: 4 int32 of bias - in_zp * sum(row) (159 + 128 * 571 = 73247,
// 0 - 128 * 571 = -73088, -159 - 0, padding 0), then the int8 weights with
// columns permuted from the NCHW flatten to the NHWC order the pooled
// tensor is stored in (c * 4 + h * 2 + w: 0, 4, 1, 5, 2, 6, 3, 7).
// CHECK-DAG: llvm.mlir.global internal constant @tf_net_l2_packed(dense<[31, 30, 1, 0, -128, -30, -2, -1, 97, -1, -1, -1, 0, 0, 0, 0, 16, 79, 32, 95, -16, -79, -32, -95, 127, 0, 0, 0, 0, 0, 0, 0, 48, 111, 63, 127, -48, -111, -63, -127, 0, 0, 0, -127, 0, 0, 0, 0]> : tensor<48xi8>)
// conv requantization: 0.02 * 0.01 / 0.05 = 0.004 = 0.512 * 2^-7 and
// 0.02 * 0.02 / 0.05 = 0.512 * 2^-6.
// CHECK-DAG: llvm.mlir.global internal constant @tf_net_l0_shift(dense<[-7, -6]> : tensor<2xi32>)
// CHECK-DAG: llvm.mlir.global internal constant @tf_net_l0_mult(dense<1099511628> : tensor<2xi32>)
// conv packed: int32 biases 500, -500 (in_zp 0), then OHWI weights, K
// padded to 12, output channels interleaved 4 by 4.
// CHECK-DAG: llvm.mlir.global internal constant @tf_net_l0_packed(dense<[-12, 1, 0, 0, 12, -2, -1, -1, 50, -127, 0, 25, 127, 0, -50, 25, 13, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -100, 0, 0, 0]> : tensor<32xi8>) {addr_space = 0 : i32, alignment = 8 : i64} : !llvm.array<32 x i8>
//
// Layer 0, conv2d: input (the caller's) -> arena + 80, scratch arena + 0;
// H, W, C in 4, 4, 1; out 4, 4, 2; kernel 3x3, stride 1, 1, pad 1, 1;
// zero points 0 and -128; clamp_min 0 -> [-128, 127]; int8 weights (0)
// and every channel's requantization of the fast form (TFK_RQ_FAST, 2).
// CHECK-LABEL: llvm.func internal @tf_net_layer0(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr)
// CHECK-NEXT: %[[P:.+]] = llvm.mlir.addressof @tf_net_l0_packed
// CHECK-NEXT: %[[M:.+]] = llvm.mlir.addressof @tf_net_l0_mult
// CHECK-NEXT: %[[S:.+]] = llvm.mlir.addressof @tf_net_l0_shift
// CHECK-NEXT: %[[OUT:.+]] = llvm.getelementptr %arg2[80]
// CHECK-NEXT: %[[SCR:.+]] = llvm.getelementptr %arg2[0]
// CHECK-NEXT: %[[C0:.+]] = llvm.mlir.constant(4 : i32)
// CHECK-NEXT: %[[C1:.+]] = llvm.mlir.constant(4 : i32)
// CHECK-NEXT: %[[C2:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[C3:.+]] = llvm.mlir.constant(4 : i32)
// CHECK-NEXT: %[[C4:.+]] = llvm.mlir.constant(4 : i32)
// CHECK-NEXT: %[[C5:.+]] = llvm.mlir.constant(2 : i32)
// CHECK-NEXT: %[[C6:.+]] = llvm.mlir.constant(3 : i32)
// CHECK-NEXT: %[[C7:.+]] = llvm.mlir.constant(3 : i32)
// CHECK-NEXT: %[[C8:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[C9:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[C10:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[C11:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[C12:.+]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: %[[C13:.+]] = llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: %[[C14:.+]] = llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: %[[C15:.+]] = llvm.mlir.constant(127 : i32)
// CHECK-NEXT: %[[C16:.+]] = llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.call @tfk_conv2d_s8(%arg0, %[[OUT]], %[[P]], %[[M]], %[[S]], %[[SCR]], %[[C0]], %[[C1]], %[[C2]], %[[C3]], %[[C4]], %[[C5]], %[[C6]], %[[C7]], %[[C8]], %[[C9]], %[[C10]], %[[C11]], %[[C12]], %[[C13]], %[[C14]], %[[C15]], %[[C16]])
// CHECK-NEXT: llvm.return
//
// Layer 1, max pooling: arena + 80 -> arena + 112; 4, 4, 2 -> 2, 2;
// kernel 2x2, stride 2, 2, pad 0, 0; [-128, 127].
// CHECK-LABEL: llvm.func internal @tf_net_layer1(
// CHECK-NEXT: %[[IN:.+]] = llvm.getelementptr %arg2[80]
// CHECK-NEXT: %[[OUT:.+]] = llvm.getelementptr %arg2[112]
// CHECK-NEXT: llvm.mlir.constant(4 : i32)
// CHECK-NEXT: llvm.mlir.constant(4 : i32)
// CHECK-NEXT: llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: llvm.mlir.constant(127 : i32)
// CHECK-NEXT: llvm.call @tfk_max_pool_s8(%[[IN]], %[[OUT]],
//
// Layer 2, fully_connected reads the pooled bytes through the reshape
// (arena + 112) and writes arena + 80; 1 token, K 8, N 3, zero points
// -128 and 3, [-128, 127], int8 with the fast requantization (2).
// CHECK-LABEL: llvm.func internal @tf_net_layer2(
// CHECK: %[[IN:.+]] = llvm.getelementptr %arg2[112]
// CHECK-NEXT: %[[OUT:.+]] = llvm.getelementptr %arg2[80]
// CHECK-NEXT: %[[SCR:.+]] = llvm.getelementptr %arg2[0]
// CHECK-NEXT: %[[C0:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[C1:.+]] = llvm.mlir.constant(8 : i32)
// CHECK-NEXT: %[[C2:.+]] = llvm.mlir.constant(3 : i32)
// CHECK-NEXT: %[[C3:.+]] = llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: %[[C4:.+]] = llvm.mlir.constant(3 : i32)
// CHECK-NEXT: %[[C5:.+]] = llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: %[[C6:.+]] = llvm.mlir.constant(127 : i32)
// CHECK-NEXT: %[[C7:.+]] = llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.call @tfk_fully_connected_s8(%[[IN]], %[[OUT]], %{{.+}}, %{{.+}}, %{{.+}}, %[[SCR]], %[[C0]], %[[C1]], %[[C2]], %[[C3]], %[[C4]], %[[C5]], %[[C6]], %[[C7]])
//
// Layer 3, softmax: arena + 80 -> the caller's output (%arg1); 1 row of
// 3; 1 / (2^-8 * 2^31) = 2^-23 = 0.5 * 2^-22; zero point -128.
// CHECK-LABEL: llvm.func internal @tf_net_layer3(
// CHECK-NEXT: %[[T:.+]] = llvm.mlir.addressof @tf_net_l3_exp
// CHECK-NEXT: %[[IN:.+]] = llvm.getelementptr %arg2[80]
// CHECK-NEXT: %[[C0:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[C1:.+]] = llvm.mlir.constant(3 : i32)
// CHECK-NEXT: %[[C2:.+]] = llvm.mlir.constant(1073741824 : i32)
// CHECK-NEXT: %[[C3:.+]] = llvm.mlir.constant(-22 : i32)
// CHECK-NEXT: %[[C4:.+]] = llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: llvm.call @tfk_softmax_s8(%[[IN]], %arg1, %[[T]], %[[C0]], %[[C1]], %[[C2]], %[[C3]], %[[C4]])
//
// invoke runs the layers in order and returns 0.
// CHECK-LABEL: llvm.func @tf_net_invoke(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr) -> i32
// CHECK-NEXT: llvm.call @tf_net_layer0(%arg0, %arg1, %arg2)
// CHECK-NEXT: llvm.call @tf_net_layer1(%arg0, %arg1, %arg2)
// CHECK-NEXT: llvm.call @tf_net_layer2(%arg0, %arg1, %arg2)
// CHECK-NEXT: llvm.call @tf_net_layer3(%arg0, %arg1, %arg2)
// CHECK-NEXT: %[[Z:.+]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.return %[[Z]] : i32
//
// run_layer(i, in, out, arena) switches on i.
// CHECK-LABEL: llvm.func @tf_net_run_layer(%arg0: i32, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr)
// CHECK-NEXT: llvm.switch %arg0 : i32, ^[[EXIT:bb[0-9]+]] [
// CHECK-NEXT: 0: ^[[B0:bb[0-9]+]],
// CHECK-NEXT: 1: ^[[B1:bb[0-9]+]],
// CHECK-NEXT: 2: ^[[B2:bb[0-9]+]],
// CHECK-NEXT: 3: ^[[B3:bb[0-9]+]]
// CHECK-NEXT: ]
// CHECK: ^[[B0]]:
// CHECK-NEXT: llvm.call @tf_net_layer0(%arg1, %arg2, %arg3)
// CHECK: ^[[B3]]:
// CHECK-NEXT: llvm.call @tf_net_layer3(%arg1, %arg2, %arg3)
//
// The kernels are declared, external; the float function is gone.
// CHECK-DAG: llvm.func @tfk_conv2d_s8(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32)
// CHECK-DAG: llvm.func @tfk_max_pool_s8(
// CHECK-DAG: llvm.func @tfk_fully_connected_s8(
// CHECK-DAG: llvm.func @tfk_softmax_s8(
// CHECK-NOT: func.func
// CHECK-NOT: sparse_tiny.
module attributes {sparse_tiny.arena_lower_bound = 112 : i64, sparse_tiny.arena_size = 120 : i64} {
  func.func @net(%arg0: tensor<1x1x4x4x!quant.uniform<i8:f32, 2.000000e-02>>) -> tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>> {
    %0 = sparse_tiny.constant dense<[[[[50, -127, 0], [25, 13, 100], [0, 0, 0]]], [[[127, 0, -50], [25, 0, 0], [0, 0, -100]]]]> : tensor<2x1x3x3xi8> : tensor<2x1x3x3x!quant.uniform<i8<-127:127>:f32:0, {1.000000e-02,2.000000e-02}>>
    %1 = sparse_tiny.constant dense<[500, -500]> : tensor<2xi32> : tensor<2x!quant.uniform<i32:f32:0, {2.000000e-04,4.000000e-04}>>
    %2 = sparse_tiny.conv2d %arg0, %0, %1 {clamp_min = 0.000000e+00 : f32, padding = array<i64: 1, 1, 1, 1>, sparse_tiny.kernel = #sparse_tiny.kernel<conv2d>, sparse_tiny.offset = 80 : i64, sparse_tiny.scratch_bytes = 80 : i64, sparse_tiny.scratch_offset = 0 : i64, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!quant.uniform<i8:f32, 2.000000e-02>>, tensor<2x1x3x3x!quant.uniform<i8<-127:127>:f32:0, {1.000000e-02,2.000000e-02}>>, tensor<2x!quant.uniform<i32:f32:0, {2.000000e-04,4.000000e-04}>>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-128>>
    %3 = sparse_tiny.max_pool2d %2 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, sparse_tiny.kernel = #sparse_tiny.kernel<max_pool>, sparse_tiny.offset = 112 : i64, strides = array<i64: 2, 2>} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-128>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-128>>
    %4 = sparse_tiny.reshape %3 {sparse_tiny.kernel = #sparse_tiny.kernel<alias>, sparse_tiny.offset = 112 : i64} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-128>>) -> tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-128>>
    %5 = sparse_tiny.constant dense<[[16, 32, 48, 63, 79, 95, 111, 127], [-16, -32, -48, -63, -79, -95, -111, -127], [127, 0, 0, 0, 0, 0, 0, -127]]> : tensor<3x8xi8> : tensor<3x8x!quant.uniform<i8<-127:127>:f32:0, {6.300000e-03,6.300000e-03,6.300000e-03}>>
    %6 = sparse_tiny.constant dense<[159, 0, -159]> : tensor<3xi32> : tensor<3x!quant.uniform<i32:f32:0, {3.150000e-04,3.150000e-04,3.150000e-04}>>
    %7 = sparse_tiny.fully_connected %4, %5, %6 {sparse_tiny.kernel = #sparse_tiny.kernel<fully_connected>, sparse_tiny.offset = 80 : i64, sparse_tiny.scratch_bytes = 76 : i64, sparse_tiny.scratch_offset = 0 : i64} : (tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-128>>, tensor<3x8x!quant.uniform<i8<-127:127>:f32:0, {6.300000e-03,6.300000e-03,6.300000e-03}>>, tensor<3x!quant.uniform<i32:f32:0, {3.150000e-04,3.150000e-04,3.150000e-04}>>) -> tensor<1x3x!quant.uniform<i8:f32, 1.000000e-01:3>>
    %8 = sparse_tiny.softmax %7 {axis = 1 : i64, sparse_tiny.buffer = "output", sparse_tiny.kernel = #sparse_tiny.kernel<softmax>} : (tensor<1x3x!quant.uniform<i8:f32, 1.000000e-01:3>>) -> tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>>
    return %8 : tensor<1x3x!quant.uniform<i8:f32, 3.906250e-03:-128>>
  }
}


// -----

// relu (requantize) then add over the relu's result and the function's
// input, written straight to the caller's output; a NameLoc names the layer.
//   requantize 0.1:-3 -> 0.05:-128: 0.1 / 0.05 = 2 = 0.5 * 2^2; relu's
//     lower bound is 0 -> -128.
//   add: twice the larger input scale is 0.2; lhs 0.05 / 0.2 = 0.5 * 2^-1,
//     rhs 0.1 / 0.2 = 0.5 * 2^0, out 0.2 / (2^20 * 0.2) = 0.5 * 2^-19, left
//     shift 20; clamp_min 0 -> zero point 1 + 0 = 1.
// CHECK-LABEL: module attributes
// CHECK-SAME: tf.layer_kernels = ["requantize", "add"], tf.layer_names = ["relu_node", "add_1"], tf.layer_ops = ["relu", "add"]
// CHECK-LABEL: llvm.func internal @tf_net_layer0(
// CHECK-NEXT: %[[A:.+]] = llvm.getelementptr %arg2[0]
// CHECK-NEXT: %[[C0:.+]] = llvm.mlir.constant(64 : i32)
// CHECK-NEXT: %[[C1:.+]] = llvm.mlir.constant(-3 : i32)
// CHECK-NEXT: %[[C2:.+]] = llvm.mlir.constant(1073741824 : i32)
// CHECK-NEXT: %[[C3:.+]] = llvm.mlir.constant(2 : i32)
// CHECK-NEXT: %[[C4:.+]] = llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: %[[C5:.+]] = llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: %[[C6:.+]] = llvm.mlir.constant(127 : i32)
// CHECK-NEXT: llvm.call @tfk_requantize_s8(%arg0, %[[A]], %[[C0]], %[[C1]], %[[C2]], %[[C3]], %[[C4]], %[[C5]], %[[C6]])
// CHECK-LABEL: llvm.func internal @tf_net_layer1(
// CHECK-NEXT: %[[A:.+]] = llvm.getelementptr %arg2[0]
// CHECK-NEXT: %[[N:.+]] = llvm.mlir.constant(64 : i32)
// CHECK-NEXT: %[[LZP:.+]] = llvm.mlir.constant(-128 : i32)
// CHECK-NEXT: %[[LM:.+]] = llvm.mlir.constant(1073741824 : i32)
// CHECK-NEXT: %[[LS:.+]] = llvm.mlir.constant(-1 : i32)
// CHECK-NEXT: %[[RZP:.+]] = llvm.mlir.constant(-3 : i32)
// CHECK-NEXT: %[[RM:.+]] = llvm.mlir.constant(1073741824 : i32)
// CHECK-NEXT: %[[RS:.+]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: %[[SH:.+]] = llvm.mlir.constant(20 : i32)
// CHECK-NEXT: %[[OM:.+]] = llvm.mlir.constant(1073741824 : i32)
// CHECK-NEXT: %[[OS:.+]] = llvm.mlir.constant(-19 : i32)
// CHECK-NEXT: %[[OZP:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[LO:.+]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[HI:.+]] = llvm.mlir.constant(127 : i32)
// CHECK-NEXT: llvm.call @tfk_add_s8(%[[A]], %arg0, %arg1, %[[N]], %[[LZP]], %[[LM]], %[[LS]], %[[RZP]], %[[RM]], %[[RS]], %[[SH]], %[[OM]], %[[OS]], %[[OZP]], %[[LO]], %[[HI]])
// CHECK-LABEL: llvm.func @tf_net_invoke(
// CHECK-NEXT: llvm.call @tf_net_layer0
// CHECK-NEXT: llvm.call @tf_net_layer1
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
!x = tensor<1x64x!quant.uniform<i8:f32, 0.1:-3>>
!a = tensor<1x64x!quant.uniform<i8:f32, 0.05:-128>>
!y = tensor<1x64x!quant.uniform<i8:f32, 0.2:1>>
module attributes {sparse_tiny.arena_size = 64 : i64, sparse_tiny.arena_lower_bound = 64 : i64} {
  func.func @res(%x: !x) -> !y {
    %a = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>, sparse_tiny.offset = 0 : i64} : (!x) -> !a loc("relu_node")
    %s = sparse_tiny.add %a, %x {clamp_min = 0.0 : f32, sparse_tiny.kernel = #sparse_tiny.kernel<add>, sparse_tiny.buffer = "output"} : (!a, !x) -> !y
    return %s : !y
  }
}

// -----

// Not planned: no arena size on the module.
// expected-error@+1 {{run sparse-tiny-plan-memory before lowering}}
module {
  func.func @unplanned(%x: tensor<1x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1>> {
    %r = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>} : (tensor<1x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1>>
    return %r : tensor<1x4x!quant.uniform<i8:f32, 0.1>>
  }
}

// -----

// expected-error@+1 {{lowering expects one function with one input and one result}}
module attributes {sparse_tiny.arena_size = 0 : i64} {
  func.func @two_inputs(%x: tensor<1x4x!quant.uniform<i8:f32, 0.1>>, %y: tensor<1x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1>> {
    %s = sparse_tiny.add %x, %y {sparse_tiny.kernel = #sparse_tiny.kernel<add>, sparse_tiny.buffer = "output"} : (tensor<1x4x!quant.uniform<i8:f32, 0.1>>, tensor<1x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1>>
    return %s : tensor<1x4x!quant.uniform<i8:f32, 0.1>>
  }
}
