// Lowering of the two sparse kernels for a linear layer over 2 tokens whose
// 3x4 weight has 3 nonzeros (row 1 empty: bias only).
//
// RUN: tf-opt %s --sparse-tiny-pruning-aware-layout "--sparse-tiny-select-kernels=sparse=force sparse-format=csr" --sparse-tiny-plan-memory --sparse-tiny-lower-to-llvm | FileCheck %s --check-prefix=CSR
// RUN: tf-opt %s --sparse-tiny-pruning-aware-layout "--sparse-tiny-select-kernels=sparse=force sparse-format=code" --sparse-tiny-plan-memory --sparse-tiny-lower-to-llvm | FileCheck %s --check-prefix=CODE

// sparse_csr: the stream has a word `byte offset << 8 | weight byte` per
// nonzero (offsets 4 * column in the packed input) and an end word whose
// weight byte is 0 after each channel: (4 << 8) | 3, (12 << 8) | 0xFE, end;
// end (the empty row); (0 << 8) | 5, end. Every channel is one segment,
// every multiplier of the fast form and every bias small: each channel
// starts with its sums' start, bias * (2^23 + 1) (0, 0: no bias), its end
// word holds its shift (7 << 8) and its multiplier and rounding follow
// (2 * mult, rounding + zero point); no table of channel parameters.
// CSR-NOT: tf_model_l0_params
// CSR: llvm.mlir.global internal constant @tf_model_l0_csr(dense<[0, 0, 1027, 3326, 1792, [[M2:-?[0-9]+]], [[HZ:-?[0-9]+]], 0, 0, 1792, [[M2]], [[HZ]], 0, 0, 5, 1792, [[M2]], [[HZ]]]> : tensor<18xi32>)
// CSR-NOT: tf_model_l0_params
// CSR-LABEL: llvm.func internal @tf_model_layer0
// CSR: llvm.call @tfk_sparse_pack_pairs_s8
// Per channel one asm: the pair's sums from the header, the loop (load a
// word, stop at a zero weight, one SMLAL per pair: one pair, the two
// tokens), the shift from the end word, the recovery of both sums, their
// requantization (SMMLAR on the doubled multiplier, sign fix, rounding and
// zero point, shift, SSAT); the asm reads memory.
// CSR: llvm.inline_asm "ldrd $0, $1, [$2], #8\0A\091:\0A\09ldr $3, [$2], #4\0A\09sxtb $4, $3\0A\09cbz $4, 2f\0A\09add.w $5, $7, $3, asr #8\0A\09ldr $3, [$5, #0]\0A\09smlal $0, $1, $3, $4\0A\09b 1b\0A2:\0A\09lsr $5, $3, #8\0A\09lsr $3, $0, #23\0A\09orr $3, $3, $1, lsl #9\0A\09sbfx $0, $0, #0, #23\0A\09sub $1, $3, $0, asr #31\0A\09ldrd $6, $4, [$2], #8\0A\09smmlar $0, $0, $6, $0\0A\09sub $0, $0, $0, lsr #31\0A\09qadd $0, $0, $4\0A\09asr $0, $0, $5\0A\09ssat $0, #8, $0\0A\09smmlar $1, $1, $6, $1\0A\09sub $1, $1, $1, lsr #31\0A\09qadd $1, $1, $4\0A\09asr $1, $1, $5\0A\09ssat $1, #8, $1", "=&r,=&r,=r,=&r,=&l,=&r,=&r,r,2,~{memory}"
// CSR-NOT: llvm.call @tfk_sparse_requantize
// CSR-NOT: llvm.inline_asm

// sparse_code: no stream; each nonzero is an immediate operand of its
// SMULL (a row's first) or SMLAL and its offset an immediate of the load
// from the window pointer (tied: it moves inside the asm when offsets are
// out of reach).
// CODE-NOT: tf_model_l0_csr
// CODE-LABEL: llvm.func internal @tf_model_layer0
// CODE: llvm.call @tfk_sparse_pack_pairs_s8
// CODE: llvm.call @tf_model_l0_sparse0
// CODE-LABEL: llvm.func internal @tf_model_l0_sparse0
// The pass's first packed word and output position, then row 0.
// CODE: llvm.getelementptr %{{[0-9]+}}[
// CODE-NEXT: llvm.getelementptr %{{[0-9]+}}[
// CODE: %[[W1:.*]] = llvm.mlir.constant(3 : i32)
// CODE-NEXT: llvm.inline_asm "ldr $2, [$4, #4]\0A\09smull $0, $1, $2, $5\0A\09", "=&r,=&r,=&r,=&r,=r,r,4,~{memory}" %[[W1]], %{{.*}} :
// CODE: %[[W2:.*]] = llvm.mlir.constant(-2 : i32)
// CODE-NEXT: llvm.inline_asm "ldr $2, [$4, #12]\0A\09smlal $0, $1, $2, $5\0A\09", "=r,=r,=&r,=&r,=r,r,4,0,1,~{memory}" %[[W2]],
// Rows 0 and 1 (bias only) requantized for both tokens, then row 2.
// CODE-COUNT-4: llvm.call @tfk_sparse_requantize
// CODE: %[[W3:.*]] = llvm.mlir.constant(5 : i32)
// CODE-NEXT: llvm.inline_asm "ldr $2, [$4, #0]\0A\09smull $0, $1, $2, $5\0A\09", "=&r,=&r,=&r,=&r,=r,r,4,~{memory}" %[[W3]],
!x = tensor<1x2x4x!quant.uniform<i8:f32, 0.1:-3>>
!o = tensor<1x2x3x!quant.uniform<i8:f32, 0.2:5>>
func.func @main(%x: !x) -> !o {
  %w = sparse_tiny.constant dense<[[0, 3, 0, -2], [0, 0, 0, 0], [5, 0, 0, 0]]> : tensor<3x4xi8> : tensor<3x4x!quant.uniform<i8:f32, 0.01>>
  %y = sparse_tiny.fully_connected %x, %w : (!x, tensor<3x4x!quant.uniform<i8:f32, 0.01>>) -> !o
  return %y : !o
}
