/*===- tfk_softmax.c - softmax ------------------------------------*- C -*-===//
 *
 * tfk_softmax_s8: exp table lookup, one reciprocal per row, requantized
 * probabilities. See tfk/kernels.h.
 *===----------------------------------------------------------------------===*/
#include "tfk_internal.h"

void tfk_softmax_s8(const int8_t *in, int8_t *out, const int32_t *exp_table,
                    int32_t rows, int32_t cols, int32_t out_mult,
                    int32_t out_shift, int32_t out_zp) {
  const tfk__rq_t r = tfk__rq_prep_reg(out_mult, out_shift, out_zp);
  for (int32_t row = 0; row < rows; ++row) {
    const int8_t *x = in + row * cols;
    int8_t *o = out + row * cols;
    int32_t m = -128;
    for (int32_t i = 0; i < cols; ++i)
      m = x[i] > m ? x[i] : m;
    uint32_t sum = 0;
    for (int32_t i = 0; i < cols; ++i)
      sum += (uint32_t)exp_table[m - x[i]];
    const uint32_t recip = 0x7FFFFFFFu / sum;
    for (int32_t i = 0; i < cols; ++i) {
      const int32_t p =
          (int32_t)((uint32_t)exp_table[m - x[i]] * recip);
      const int32_t v = r.fast ? tfk__rq(&r, p, 1) : tfk__rq(&r, p, 0);
      o[i] = (int8_t)tfk__clamp(v, -128, 127);
    }
  }
}
