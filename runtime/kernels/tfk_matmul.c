/*===- tfk_matmul.c - batch matmul --------------------------------*- C -*-===//
 *
 * tfk_batch_matmul_s8: activation x activation product on the int16 2x2
 * SMLAD micro-kernel (operands as in tfk_matmul_core.h). See tfk/kernels.h.
 *===----------------------------------------------------------------------===*/
#include "tfk_matmul_core.h"

/* ---- batch matmul -------------------------------------------------------- */

void tfk_batch_matmul_s8(const int8_t *a, const int8_t *b, int8_t *out,
                         void *scratch, int32_t batch, int32_t b_batch,
                         int32_t M, int32_t K, int32_t N, int32_t a_zp,
                         int32_t b_zp, int32_t out_zp, int32_t mult,
                         int32_t shift, int32_t act_min, int32_t act_max) {
  const int32_t K4 = tfk_l_k4(K), G = K4 >> 2, N2 = tfk_l_even(N);
  int16_t *bt = (int16_t *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
  int16_t *xa = bt + N2 * K4;
  TFK_OPAQUE(xa);
  const tfk__rq_t q = tfk__rq_prep_reg(mult, shift, out_zp);
  int32_t mh[2] = {q.m2, q.hz};
  const int32_t *qmh = mh;
  TFK_OPAQUE(qmh); /* mh stays in memory: read back with LDRD */
  for (int32_t bi = 0; bi < batch; ++bi) {
    if (bi == 0 || b_batch != 1) /* one conversion per distinct b */
      tfk__tr16(bt, b + (b_batch == 1 ? 0 : bi) * K * N, N, K, N, b_zp);
    const int8_t *ab = a + bi * M * K;
    int8_t *ob = out + bi * M * N;
    for (int32_t i = 0; i < M; i += 2) {
      const int32_t has1 = i + 1 < M;
      tfk__to_s16_zp(xa, ab + i * K, K, 8, a_zp);
      if (has1)
        tfk__to_s16_zp(xa + 4, ab + (i + 1) * K, K, 8, a_zp);
      int8_t *o0 = ob + i * N, *o1 = o0 + N;
      for (int32_t n = 0; n < N; n += 2) {
        int32_t acc[4], v[4];
        tfk__mk22z((const int32_t *)xa,
                   (const int32_t *)(bt + (n >> 1) * G * 8), G, acc);
        tfk__rq22(&q, qmh, acc, v);
        o0[n] = (int8_t)tfk__clamp(v[0], act_min, act_max);
        if (n + 1 < N)
          o0[n + 1] = (int8_t)tfk__clamp(v[1], act_min, act_max);
        if (has1) {
          o1[n] = (int8_t)tfk__clamp(v[2], act_min, act_max);
          if (n + 1 < N)
            o1[n + 1] = (int8_t)tfk__clamp(v[3], act_min, act_max);
        }
      }
    }
  }
}
