/*===- tfk_sparse.c - helpers of the generated sparse kernels -----*- C -*-===//
 *
 * The sparse layers' inner loops are generated per layer by the compiler
 * (lib/Kernels/SparseKernels.cpp: nonzero weights and offsets as
 * immediates). These two helpers are what they call: packing the input
 * into position pairs before the loops, and requantizing one accumulator
 * with the dense kernels' exact rule. Both inline into the generated code
 * with constant arguments.
 *===----------------------------------------------------------------------===*/
#include "tfk/kernels.h"
#include "tfk_internal.h"

void tfk_sparse_pack_pairs_s8(const int8_t *in, int32_t *packed, int32_t in_h,
                              int32_t in_w, int32_t c, int32_t pad_top,
                              int32_t pad_left, int32_t packed_h,
                              int32_t packed_w, int32_t pair_step,
                              int32_t in_zp) {
  for (int32_t y = 0; y < packed_h; ++y) {
    const int32_t iy = y - pad_top;
    const int row_in = iy >= 0 && iy < in_h;
    for (int32_t x = 0; x < packed_w; ++x) {
      const int32_t ix0 = x - pad_left, ix1 = ix0 + pair_step;
      const int in0 = row_in && ix0 >= 0 && ix0 < in_w;
      const int in1 = row_in && ix1 >= 0 && ix1 < in_w;
      const int8_t *p0 = in + ((int64_t)iy * in_w + ix0) * c;
      const int8_t *p1 = in + ((int64_t)iy * in_w + ix1) * c;
      int32_t *dst = packed + ((int64_t)y * packed_w + x) * c;
      for (int32_t k = 0; k < c; ++k) {
        const int32_t a = in0 ? p0[k] - in_zp : 0;
        const int32_t b = in1 ? p1[k] - in_zp : 0;
        dst[k] = (int32_t)((uint32_t)b << 23) + a;
      }
    }
  }
}

int32_t tfk_sparse_requantize(int32_t acc, int32_t mult, int32_t shift,
                              int32_t out_zp, int32_t act_min,
                              int32_t act_max) {
  /* With constant arguments the choice of the fast (SMMULR) form folds;
   * tfk__rqv hides the constant multiplier, which LLVM would otherwise
   * expand into a 64-bit multiply sequence instead of one SMMULR. */
  const tfk__rq_t r = tfk__rq_prep(mult, shift, out_zp);
  return tfk__clamp(tfk__rqv(&r, acc), act_min, act_max);
}
