/*===- tfk_attention.c - multi-head self-attention ----------------*- C -*-===//
 *
 * tfk_mhsa_s8: Q/K/V projections (tfk_fully_connected_s8), Q.K^T, softmax
 * and P.V per head in row tiles, output projection. See tfk/kernels.h.
 *===----------------------------------------------------------------------===*/
#include "tfk_matmul_core.h"

/* ---- multi-head self-attention ------------------------------------------- */

/* One probability: tfk_softmax_s8's p, requantized with zero point 0 and
 * clamped to [0, 255] == (clamp(-128 + mbqm(p), -128, 127) + 128). */
TFK_INLINE int32_t tfk__sm_p(int32_t e, uint32_t recip, const tfk__rq_t *q) {
  const int32_t p = (int32_t)((uint32_t)e * recip);
  return __usat(tfk__rqv(q, p), 8);
}

/* Softmax of a score row s[0..S) into one slot of an interleaved int16 row
 * pair (SMLAD order). Max: SSUB8 sets GE where s >= m, SEL keeps the larger,
 * 4 lanes per word; m - s for 4 lanes is USUB8 (m >= s, no borrow). */
TFK_INLINE void tfk__sm_row(const int8_t *s, int16_t *pr, int32_t S,
                            const int32_t *tab, const tfk__rq_t *q) {
  const int32_t S4f = S & ~3;
  uint32_t mw = 0x80808080u;
  int32_t j;
  for (j = 0; j < S4f; j += 4) {
    const uint32_t w = (uint32_t)tfk__ld32(s + j);
    (void)__ssub8(w, mw);
    mw = __sel(w, mw);
  }
  int32_t m = (int8_t)mw;
  for (int32_t b = 8; b < 32; b += 8)
    m = (int8_t)(mw >> b) > m ? (int8_t)(mw >> b) : m;
  for (; j < S; ++j)
    m = s[j] > m ? s[j] : m;
  const uint32_t mm = (uint32_t)(uint8_t)m * 0x01010101u;
  uint32_t sum = 0;
  for (j = 0; j < S4f; j += 4) {
    const uint32_t d = __usub8(mm, (uint32_t)tfk__ld32(s + j));
    sum += (uint32_t)tab[d & 0xFF] + (uint32_t)tab[(d >> 8) & 0xFF] +
           (uint32_t)tab[(d >> 16) & 0xFF] + (uint32_t)tab[d >> 24];
  }
  for (; j < S; ++j)
    sum += (uint32_t)tab[m - s[j]];
  const uint32_t recip = 0x7FFFFFFFu / sum;
  for (j = 0; j < S4f; j += 4) {
    const uint32_t d = __usub8(mm, (uint32_t)tfk__ld32(s + j));
    const int32_t v0 = tfk__sm_p(tab[d & 0xFF], recip, q);
    const int32_t v1 = tfk__sm_p(tab[(d >> 8) & 0xFF], recip, q);
    const int32_t v2 = tfk__sm_p(tab[(d >> 16) & 0xFF], recip, q);
    const int32_t v3 = tfk__sm_p(tab[d >> 24], recip, q);
    int32_t *o = (int32_t *)(pr + (j >> 2) * 8);
    o[0] = v0 | (v2 << 16);
    o[1] = v1 | (v3 << 16);
  }
  for (; j < S; ++j)
    pr[(j >> 2) * 8 + (tfk_l_pos(j) & 3)] =
        (int16_t)tfk__sm_p(tab[m - s[j]], recip, q);
}

/* Softmax of a biased score row: tfk__sm_row's formula over the keys that
 * are not -128 (masked: probability 0); a row with every key masked is all
 * 0. Scalar: masks are rare enough not to pay for a SIMD copy. */
TFK_INLINE void tfk__sm_row_masked(const int8_t *s, int16_t *pr, int32_t S,
                                   const int32_t *tab, const tfk__rq_t *q) {
  int32_t m = -128, j;
  for (j = 0; j < S; ++j)
    m = s[j] > m ? s[j] : m;
  uint32_t sum = 0;
  for (j = 0; j < S; ++j)
    if (s[j] != -128)
      sum += (uint32_t)tab[m - s[j]];
  const uint32_t recip = sum ? 0x7FFFFFFFu / sum : 0;
  for (j = 0; j < S; ++j)
    pr[(j >> 2) * 8 + (tfk_l_pos(j) & 3)] =
        s[j] == -128 ? 0 : (int16_t)tfk__sm_p(tab[m - s[j]], recip, q);
}

/* A biased score: -128 for a masked key (bias -32768), else the requantized
 * score within [-127, 127]. */
TFK_INLINE int32_t tfk__biased(int32_t v, int32_t b) {
  if (b == -32768)
    return -128;
  return v < -127 ? -127 : v > 127 ? 127 : v;
}

/* Q.K^T's accumulator plus its bias (bias << shift, none where masked). */
TFK_INLINE int32_t tfk__bias_acc(int32_t acc, int32_t b, int32_t shift) {
  return b == -32768 ? acc : acc + (int32_t)((uint32_t)b << shift);
}

/* One head: blocks of R query rows; per row pair Q.K^T -> scores (2 rows,
 * int8) -> softmax into the block's probability tile; then P.V for the
 * block's row pairs into ctx (= out + h*P, row stride E). */
TFK_INLINE void tfk__mhsa_head(const int8_t *qh, int32_t qld,
                               const int16_t *kh, const int16_t *vth,
                               int8_t *ctx, int32_t S, int32_t E, int32_t D,
                               int32_t P, int32_t R, int16_t *qx, int8_t *sc,
                               int16_t *pr, const int32_t *tab, int32_t q_zp,
                               const tfk__rq_t *qs, const tfk__rq_t *qp,
                               const tfk__rq_t *qc, const int16_t *bias,
                               int32_t bias_shift) {
  const int32_t GD = tfk_l_k4(D) >> 2, S4 = tfk_l_k4(S), GS = S4 >> 2;
  int32_t mh[4] = {qs->m2, qs->hz, qc->m2, qc->hz};
  const int32_t *smh = mh, *cmh = mh + 2;
  TFK_OPAQUE(smh); /* mh stays in memory: read back with LDRD */
  TFK_OPAQUE(cmh);
  for (int32_t i0 = 0; i0 < S; i0 += R) {
    const int32_t nb = S - i0 < R ? S - i0 : R;
    for (int32_t r = 0; r < nb; r += 2) {
      const int32_t i = i0 + r, has1 = r + 1 < nb;
      tfk__to_s16_zp(qx, qh + i * qld, D, 8, q_zp);
      if (has1)
        tfk__to_s16_zp(qx + 4, qh + (i + 1) * qld, D, 8, q_zp);
      /* an odd S writes sc[S] (inside the S4 row), never read */
      for (int32_t j = 0; j < S; j += 2) {
        int32_t acc[4];
        tfk__mk22z((const int32_t *)qx,
                   (const int32_t *)(kh + (j >> 1) * GD * 8), GD, acc);
        int32_t v[4];
        /* the bias of this head, [S][S]: no column S, no row S */
        const int16_t *b0 = bias ? bias + i * S + j : 0;
        const int32_t has_j1 = j + 1 < S;
        int32_t bv[4] = {0, 0, 0, 0};
        if (bias) {
          bv[0] = b0[0];
          bv[1] = has_j1 ? b0[1] : 0;
          bv[2] = has1 ? b0[S] : 0;
          bv[3] = has1 && has_j1 ? b0[S + 1] : 0;
          for (int32_t t = 0; t < 4; ++t)
            acc[t] = tfk__bias_acc(acc[t], bv[t], bias_shift);
        }
        tfk__rq22(qs, smh, acc, v);
        if (bias)
          for (int32_t t = 0; t < 4; ++t)
            v[t] = tfk__biased(v[t], bv[t]);
        sc[j] = (int8_t)__ssat(v[0], 8);
        sc[j + 1] = (int8_t)__ssat(v[1], 8);
        sc[S4 + j] = (int8_t)__ssat(v[2], 8);
        sc[S4 + j + 1] = (int8_t)__ssat(v[3], 8);
      }
      int16_t *pp = pr + (r >> 1) * GS * 8;
      if (bias) {
        tfk__sm_row_masked(sc, pp, S, tab, qp);
        if (has1)
          tfk__sm_row_masked(sc + S4, pp + 4, S, tab, qp);
      } else {
        tfk__sm_row(sc, pp, S, tab, qp);
        if (has1)
          tfk__sm_row(sc + S4, pp + 4, S, tab, qp);
      }
    }
    for (int32_t r = 0; r < nb; r += 2) {
      const int32_t has1 = r + 1 < nb;
      const int16_t *pp = pr + (r >> 1) * GS * 8;
      int8_t *o0 = ctx + (i0 + r) * E, *o1 = o0 + E;
      for (int32_t c = 0; c < P; c += 2) {
        int32_t acc[4];
        tfk__mk22z((const int32_t *)pp,
                   (const int32_t *)(vth + (c >> 1) * GS * 8), GS, acc);
        int32_t v[4];
        tfk__rq22(qc, cmh, acc, v);
        o0[c] = (int8_t)__ssat(v[0], 8);
        if (c + 1 < P)
          o0[c + 1] = (int8_t)__ssat(v[1], 8);
        if (has1) {
          o1[c] = (int8_t)__ssat(v[2], 8);
          if (c + 1 < P)
            o1[c + 1] = (int8_t)__ssat(v[3], 8);
        }
      }
    }
  }
}

/* The projections: the dense FC kernel on the packed blob (at byte
 * offset blob, its mult / shift at word offsets m / sh of rq), or (proj) the
 * compiler's sparse code, which has its own; packed and rq are then unused. */
#define TFK__PROJECT(which, g, in, o, blob, m, sh, n, in_zp, o_zp, lo, hi)    \
  do {                                                                        \
    if (proj)                                                                 \
      proj(which, g, in, o, proj_scratch);                                    \
    else                                                                      \
      tfk_fully_connected_s8(in, o, (const char *)packed + (blob), rq + (m),  \
                             rq + (sh), fcs, S, E, n, in_zp, o_zp, lo, hi,    \
                             variant);                                        \
  } while (0)

TFK_INLINE void tfk__mhsa(const int8_t *x, int8_t *out, const void *packed,
                          const int32_t *rq, const int32_t *exp_table,
                          void *scratch, int32_t S, int32_t E, int32_t H,
                          int32_t heads_per_step, int32_t rows_per_step,
                          int32_t fused_qk, int32_t x_zp, int32_t q_zp,
                          int32_t k_zp, int32_t v_zp, int32_t s_zp,
                          int32_t s_mult, int32_t s_shift, int32_t p_mult,
                          int32_t p_shift, int32_t c_zp, int32_t c_mult,
                          int32_t c_shift, int32_t out_zp, int32_t act_min,
                          int32_t act_max, int32_t variant,
                          tfk_mhsa_proj_fn proj, void *proj_scratch,
                          const int16_t *score_bias, int32_t bias_heads,
                          int32_t bias_shift) {
  const int32_t P = E / H, D = fused_qk ? E : P, hs = heads_per_step;
  const int32_t i16 = variant == TFK_W_INT16;
  const int32_t R = rows_per_step < S ? rows_per_step : S;
  const int32_t S2 = tfk_l_even(S), S4 = tfk_l_k4(S), D4 = tfk_l_k4(D);
  const int32_t GD = D4 >> 2, P2 = tfk_l_even(P);
  const int32_t nq = hs * D, nkv = hs * P;
  const tfk_l_mhsa_t L =
      tfk_l_mhsa(S, E, H, heads_per_step, rows_per_step, fused_qk);
  char *base = (char *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
  int8_t *q8 = (int8_t *)(base + L.q8);
  int16_t *k16 = (int16_t *)(base + L.k16), *vt = (int16_t *)(base + L.vt);
  int16_t *qx = (int16_t *)(base + L.qx), *pr = (int16_t *)(base + L.pr);
  int8_t *sc = (int8_t *)(base + L.sc);
  void *fcs = base + L.fc;
  TFK_OPAQUE(q8);
  TFK_OPAQUE(k16);
  TFK_OPAQUE(vt);
  TFK_OPAQUE(qx);
  TFK_OPAQUE(pr);
  TFK_OPAQUE(sc);
  /* blob: per group of heads the Q, K (unless fused), V FC blobs, then O */
  const int32_t bq = tfk_l_fc_packed(E, nq, i16);
  const int32_t bkv = tfk_l_fc_packed(E, nkv, i16);
  const int32_t gbytes = bq + (fused_qk ? 0 : bkv) + bkv;
  /* rq: per projection q, k, v, o its mult array then its shift array */
  const int32_t mq = 0, sq = H * D;
  const int32_t mk = 2 * H * D, sk = mk + E;
  const int32_t mv = mk + (fused_qk ? 0 : 2 * E), sv = mv + E;
  const int32_t mo = mv + 2 * E, so = mo + E;
  const tfk__rq_t qs = tfk__rq_prep(s_mult, s_shift, s_zp);
  const tfk__rq_t qp = tfk__rq_prep(p_mult, p_shift, 0);
  const tfk__rq_t qc = tfk__rq_prep(c_mult, c_shift, c_zp);
  if (fused_qk) /* K = x for every head: convert once */
    for (int32_t j = 0; j < S; ++j)
      tfk__to_s16_zp(k16 + (j >> 1) * GD * 8 + (j & 1) * 4, x + j * E, E, 8,
                     x_zp);
  for (int32_t g = 0; g < H / hs; ++g) {
    const int32_t pg = g * gbytes;
    /* K and V land in q8 first (free until Q), then go to int16 */
    if (!fused_qk) {
      TFK__PROJECT(1, g, x, q8, pg + bq, mk + g * nkv, sk + g * nkv, nkv,
                   x_zp, k_zp, -128, 127);
      for (int32_t h = 0; h < hs; ++h)
        for (int32_t j = 0; j < S; ++j)
          tfk__to_s16_zp(k16 + h * S2 * D4 + (j >> 1) * GD * 8 + (j & 1) * 4,
                         q8 + j * nkv + h * P, P, 8, k_zp);
    }
    TFK__PROJECT(2, g, x, q8, pg + gbytes - bkv, mv + g * nkv, sv + g * nkv,
                 nkv, x_zp, v_zp, -128, 127);
    for (int32_t h = 0; h < hs; ++h)
      tfk__tr16(vt + h * P2 * S4, q8 + h * P, nkv, S, P, v_zp);
    TFK__PROJECT(0, g, x, q8, pg, mq + g * nq, sq + g * nq, nq, x_zp, q_zp,
                 -128, 127);
    for (int32_t h = 0; h < hs; ++h)
      tfk__mhsa_head(q8 + h * D, nq, fused_qk ? k16 : k16 + h * S2 * D4,
                     vt + h * P2 * S4, out + (g * hs + h) * P, S, E, D, P, R,
                     qx, sc, pr, exp_table, q_zp, &qs, &qp, &qc,
                     score_bias ? score_bias + (bias_heads > 1 ? g * hs + h : 0) *
                                                   S * S
                                : 0,
                     bias_shift);
  }
  /* output projection in place: the FC kernel converts each token pair to
   * int16 before writing that pair's outputs */
  TFK__PROJECT(3, 0, out, out, (H / hs) * gbytes, mo, so, E, c_zp, out_zp,
               act_min, act_max);
}

void tfk_mhsa_s8(const int8_t *x, int8_t *out, const void *packed,
                 const int32_t *rq, const int32_t *exp_table, void *scratch,
                 int32_t S, int32_t E, int32_t H, int32_t heads_per_step,
                 int32_t rows_per_step, int32_t fused_qk, int32_t x_zp,
                 int32_t q_zp, int32_t k_zp, int32_t v_zp, int32_t s_zp,
                 int32_t s_mult, int32_t s_shift, int32_t p_mult,
                 int32_t p_shift, int32_t c_zp, int32_t c_mult,
                 int32_t c_shift, int32_t out_zp, int32_t act_min,
                 int32_t act_max, int32_t variant, const int16_t *score_bias,
                 int32_t bias_heads, int32_t bias_shift) {
  tfk__mhsa(x, out, packed, rq, exp_table, scratch, S, E, H, heads_per_step,
            rows_per_step, fused_qk, x_zp, q_zp, k_zp, v_zp, s_zp, s_mult,
            s_shift, p_mult, p_shift, c_zp, c_mult, c_shift, out_zp, act_min,
            act_max, variant, 0, 0, score_bias, bias_heads, bias_shift);
}

void tfk_mhsa_sparse_s8(const int8_t *x, int8_t *out, const int32_t *exp_table, void *scratch, int32_t S,
                        int32_t E, int32_t H, int32_t heads_per_step,
                        int32_t rows_per_step, int32_t x_zp, int32_t q_zp,
                        int32_t k_zp, int32_t v_zp, int32_t s_zp,
                        int32_t s_mult, int32_t s_shift, int32_t p_mult,
                        int32_t p_shift, int32_t c_zp, int32_t c_mult,
                        int32_t c_shift, tfk_mhsa_proj_fn proj,
                        void *proj_scratch, const int16_t *score_bias,
                        int32_t bias_heads, int32_t bias_shift) {
  /* The output's zero point and clamp are the projection's own. */
  tfk__mhsa(x, out, 0, 0, exp_table, scratch, S, E, H, heads_per_step,
            rows_per_step, 0, x_zp, q_zp, k_zp, v_zp, s_zp, s_mult, s_shift,
            p_mult, p_shift, c_zp, c_mult, c_shift, 0, -128, 127, TFK_W_INT8,
            proj, proj_scratch, score_bias, bias_heads, bias_shift);
}
