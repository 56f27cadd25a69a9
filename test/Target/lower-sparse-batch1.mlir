// Lowering of sparse_code for a batch-1 linear layer (halfwordGroups): 7
// rows over 20 inputs, 4 nonzeros, rows 1 and 3-5 empty (bias only).
//
// RUN: tf-opt %s --sparse-tiny-pruning-aware-layout "--sparse-tiny-select-kernels=sparse=force sparse-format=code" --sparse-tiny-plan-memory --sparse-tiny-lower-to-llvm | FileCheck %s

// The stream, per group of 6 rows: the biases less the zero point's share
// (3 * sum w: 3, 0, 15, 0, 0, 0), then the weights as halfwords in the order
// they are multiplied, padded to 4 (5, 3, -2, 0); then row 6: 21, (7, 0, 0,
// 0).
// CHECK: llvm.mlir.global internal constant @tf_model_l0_halves0(dense<[3, 0, 15, 0, 0, 0, 196613, 65534, 21, 7, 0]> : tensor<11xi32>)
// The input extended to int16 once (20 inputs: 3 blocks of 8).
// CHECK-LABEL: llvm.func internal @tf_model_layer0
// CHECK: llvm.call @tfk_sparse_pack_halves_s8(%arg0, %{{[0-9]+}}, %{{[0-9]+}})
// CHECK: llvm.call @tf_model_l0_sparse0
// CHECK-LABEL: llvm.func internal @tf_model_l0_sparse0
// Rows 0-5: their biases by one LDM; block 0 (inputs 0-7: input 0 is the
// bottom half of r6, input 1 of r7); block 1 skipped; block 2 (input 18:
// the top half of r6); fixed registers, the stream and input tied.
// CHECK: llvm.inline_asm "ldm lr!, {r0-r5}\0A\09ldm r12!, {r6-r9}\0A\09ldrd r10, r11, [lr], #8\0A\09smlabb r2, r6, r10, r2\0A\09smlabt r0, r7, r10, r0\0A\09addw r12, r12, #16\0A\09ldm r12!, {r6-r9}\0A\09smlatb r0, r6, r11, r0\0A\09", "={r0},={r1},={r2},={r3},={r4},={r5},={lr},={r12},6,7,~{r6},~{r7},~{r8},~{r9},~{r10},~{r11},~{memory}"
// CHECK-COUNT-6: llvm.call @tfk_sparse_requantize
// Row 6 alone: one bias, block 1 (input 9: the bottom half of r7).
// CHECK: llvm.inline_asm "ldr r0, [lr], #4\0A\09addw r12, r12, #16\0A\09ldm r12!, {r6-r9}\0A\09ldrd r10, r11, [lr], #8\0A\09smlabb r0, r7, r10, r0\0A\09", "={r0},={lr},={r12},1,2,~{r6},~{r7},~{r8},~{r9},~{r10},~{r11},~{memory}"
// CHECK: llvm.call @tfk_sparse_requantize
// CHECK-NOT: llvm.inline_asm
!x = tensor<1x20x!quant.uniform<i8:f32, 0.1:-3>>
!o = tensor<1x7x!quant.uniform<i8:f32, 0.2:5>>
func.func @main(%x: !x) -> !o {
  %w = sparse_tiny.constant dense<[[0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<7x20xi8> : tensor<7x20x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.fully_connected %x, %w : (!x, tensor<7x20x!quant.uniform<i8:f32, 0.01>>) -> !o
  return %y : !o
}
