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
                                const int32_t *bias, const int32_t *wbase,
                                const int32_t *tab, const int32_t *mult,
                                const int32_t *shift, int32_t G, int32_t N,
                                int32_t N4, int32_t wq, int32_t i16,
                                int32_t out_zp, int32_t act_min,
                                int32_t act_max, int32_t has1) {
  int8_t *o1 = o0 + N;
  for (int32_t n = 0; n < N4; n += 2) {
    /* rows n, n+1 sit at word offset (n & 2) * wq/4 inside each group */
    const int32_t *w = wbase + (n >> 2) * G * wq + (n & 2) * (wq / 4);
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n], bias[n + 1]};
    tfk__mk22((const int32_t *)xs, w, G, i16, wq * 4, acc);
    if (n + 1 < N) {
      tfk__rq_store(tab + 3 * n, mult[n], shift[n], out_zp, act_min, act_max,
                    o0 + n, acc[0], o1 + n, acc[2], has1);
      tfk__rq_store(tab + 3 * n + 3, mult[n + 1], shift[n + 1], out_zp,
                    act_min, act_max, o0 + n + 1, acc[1], o1 + n + 1, acc[3],
                    has1);
    } else if (n < N) {
      tfk__rq_store(tab + 3 * n, mult[n], shift[n], out_zp, act_min, act_max,
                    o0 + n, acc[0], o1 + n, acc[2], has1);
    }
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
  const int32_t i16 = variant == TFK_W_INT16;
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
        if (n + r < N) {
          const tfk__rq_t q = tfk__rq_prep(mult[n + r], shift[n + r], out_zp);
          const int32_t v = q.fast ? tfk__rq(&q, acc[r], 1)
                                   : tfk__rq(&q, acc[r], 0);
          out[n + r] = (int8_t)tfk__clamp(v, act_min, act_max);
        }
    }
    return;
  }
  int32_t *tab = (int32_t *)(xs + 2 * K4);
  tfk__rq_table(tab, mult, shift, N, out_zp);
  for (int32_t t = 0; t < tokens; t += 2) {
    if (t + 1 < tokens) {
      tfk__to_s16(xs, in + t * K, K, 8);
      tfk__to_s16(xs + 4, in + (t + 1) * K, K, 8);
      tfk__fc_tokpair(xs, out + t * N, bias, wbase, tab, mult, shift, G, N, N4,
                      wq, i16, out_zp, act_min, act_max, 1);
    } else {
      tfk__to_s16(xs, in + t * K, K, 8);
      tfk__fc_tokpair(xs, out + t * N, bias, wbase, tab, mult, shift, G, N, N4,
                      wq, i16, out_zp, act_min, act_max, 0);
    }
  }
}
