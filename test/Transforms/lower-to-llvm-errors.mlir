// RUN: not tf-opt %s --sparse-tiny-lower-to-llvm="model-name=my-net" 2>&1 | FileCheck %s --check-prefix=NAME
// NAME: error: model-name must be a C identifier part, got 'my-net'
// RUN: not tf-opt %s --sparse-tiny-lower-to-llvm="model-name=" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: model-name must be a C identifier part, got ''
// A name made of letters, digits and _ is fine.
// RUN: tf-opt %s --sparse-tiny-lower-to-llvm="model-name=kws_v2" | FileCheck %s --check-prefix=OK
// OK: llvm.func @tf_kws_v2_invoke

module attributes {sparse_tiny.arena_size = 0 : i64} {
  func.func @f(%x: tensor<1x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1>> {
    %r = sparse_tiny.relu %x {sparse_tiny.kernel = #sparse_tiny.kernel<requantize>, sparse_tiny.buffer = "output"} : (tensor<1x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1>>
    return %r : tensor<1x4x!quant.uniform<i8:f32, 0.1>>
  }
}
