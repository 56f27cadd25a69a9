/*===- tfk_linear.c - fully connected -----------------------------*- C -*-===//
 *
 * tfk_fully_connected_s8 (also the projections of tfk_mhsa_s8). See
 * tfk/kernels.h.
 *===----------------------------------------------------------------------===*/
#include "tfk_matmul_core.h"

/* ===========================================================================
 * fully connected: tokens converted to int16 (SMLAD order); one token:
 * 4 rows x 1 token blocks; several tokens: 2 rows x 2 tokens blocks.
 * ========================================================================= */

TFK_INLINE void tfk__fc_tokpair(const int16_t *xs, int8_t *o0,
                                const int32_t *wbase, const int32_t *rec,
                                const int32_t *mult, const int32_t *shift,
                                int32_t G, int32_t N, int32_t wq, int32_t i16,
                                int32_t all_fast, int32_t out_zp,
                                int32_t act_min, int32_t act_max,
                                int32_t has1) {
  for (int32_t n = 0; n < N; n += 2, rec += TFK_RQ_PAIR_WORDS) {
    /* rows n, n+1 sit at word offset (n & 2) * wq/4 inside each group */
    const int32_t *w = wbase + (n >> 2) * G * wq + (n & 2) * (wq / 4);
    int32_t acc[4] = {rec[0], rec[1], rec[0], rec[1]};
    tfk__mk22((const int32_t *)xs, w, G, i16, wq * 4, acc);
    tfk__rq_store22(rec, all_fast, mult, shift, n, !(N & 1) || n + 1 < N,
                    out_zp, act_min, act_max, o0 + n, o0 + N + n, has1, acc);
  }
}

void tfk_fully_connected_s8(const int8_t *in, int8_t *out, const void *packed,
                            const int32_t *mult, const int32_t *shift,
                            void *scratch, int32_t tokens,
                            int32_t in_features, int32_t out_features,
                            int32_t in_zp, int32_t out_zp, int32_t act_min,
                            int32_t act_max, int32_t variant) {
  const int32_t K = in_features, K4 = tfk_l_k4(K), G = K4 / 4;
  const int32_t N = out_features, N4 = tfk_l_fc_n4(N);
  const int32_t *bias = (const int32_t *)packed;
  const int32_t *wbase = bias + N4;
  const int32_t i16 = (variant & TFK_W_INT16) != 0;
  const int32_t all_fast = (variant & TFK_RQ_FAST) != 0;
  const int32_t wq = i16 ? 8 : 4; /* words per group (4 rows) */
  int16_t *xs = (int16_t *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
  (void)in_zp;
  if (tokens == 1) {
    tfk__to_s16(xs, in, K, 4);
    const int32_t *w = wbase;
    for (int32_t n = 0; n < N4; n += 4) {
      int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
      tfk__mk41((const int32_t *)xs, w, G, i16, acc);
      w += G * wq;
      for (int32_t r = 0; r < 4; ++r)
        if (!(N & 3) || n + r < N) {
          int32_t v;
          if (all_fast) {
            /* the fast form's {2*mult, hz, e} straight from mult / shift:
             * each row is requantized once, a table would not pay */
            const int32_t e = -shift[n + r];
            v = tfk__rq_fast(acc[r], (int32_t)((uint32_t)mult[n + r] << 1),
                             (int32_t)((uint32_t)(1 + 2 * out_zp) << (e - 1)),
                             e);
          } else {
            const tfk__rq_t q =
                tfk__rq_prep(mult[n + r], shift[n + r], out_zp);
            v = q.fast ? tfk__rq(&q, acc[r], 1) : tfk__rq(&q, acc[r], 0);
          }
          out[n + r] = (int8_t)tfk__clamp(v, act_min, act_max);
        }
    }
    return;
  }
  int32_t *rec = (int32_t *)(xs + 2 * K4);
  tfk__rq_pairs(rec, bias, mult, shift, N, out_zp);
  for (int32_t t = 0; t < tokens; t += 2) {
    if (t + 1 < tokens) {
      tfk__to_s16(xs, in + t * K, K, 8);
      tfk__to_s16(xs + 4, in + (t + 1) * K, K, 8);
      tfk__fc_tokpair(xs, out + t * N, wbase, rec, mult, shift, G, N, wq, i16,
                      all_fast, out_zp, act_min, act_max, 1);
    } else {
      tfk__to_s16(xs, in + t * K, K, 8);
      tfk__fc_tokpair(xs, out + t * N, wbase, rec, mult, shift, G, N, wq, i16,
                      all_fast, out_zp, act_min, act_max, 0);
    }
  }
}
