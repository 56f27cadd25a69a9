/*===- tfk_layer_norm.c - integer layer norm ----------------------*- C -*-===//
 *
 * tfk_layer_norm_s8: integer mean / variance, isqrt and reciprocal without
 * float or libm. See tfk/kernels.h.
 *===----------------------------------------------------------------------===*/
#include "tfk_internal.h"

/* ---- layer norm ---------------------------------------------------------- */

/* floor(sqrt(v)) without float or libm. Below 2^32: Newton's iteration
 * x' = (x + v/x) / 2 from x0 = 2^ceil(bits/2) >= sqrt(v) decreases
 * strictly until it reaches floor(sqrt(v)) (about 5 UDIV steps); above:
 * the bitwise method, two bits of v per step. */
TFK_INLINE uint32_t tfk__isqrt64(uint64_t v) {
  if ((v >> 32) == 0) {
    const uint32_t x = (uint32_t)v;
    if (x < 2)
      return x;
    uint32_t r = 1u << ((33 - __builtin_clz(x)) >> 1);
    for (;;) {
      const uint32_t t = (r + x / r) >> 1;
      if (t >= r)
        return r;
      r = t;
    }
  }
  uint64_t x = v, r = 0, bit = (uint64_t)1 << (62 - (__builtin_clzll(v) & ~1));
  while (bit) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return (uint32_t)r;
}

/* min(2^61 / v, 2^31 - 1) for v in [2^30, 2^31): 2^62 / (2v) by two 16-bit
 * quotient digits, each a UDIV estimate by the top half of the normalised
 * divisor corrected at most twice (Hacker's Delight, divlu). */
TFK_INLINE int32_t tfk__inv61(uint32_t v) {
  const uint32_t vn = v << 1, vn1 = vn >> 16, vn0 = vn & 0xFFFFu;
  uint32_t q1 = (1u << 30) / vn1, rhat = (1u << 30) - q1 * vn1;
  while (q1 >= 0x10000u || q1 * vn0 > (rhat << 16)) {
    --q1;
    rhat += vn1;
    if (rhat >= 0x10000u)
      break;
  }
  const uint32_t u21 = 0u - q1 * vn; /* 2^46 - q1*vn, exact mod 2^32 */
  uint32_t q0 = u21 / vn1;
  rhat = u21 - q0 * vn1;
  while (q0 >= 0x10000u || q0 * vn0 > (rhat << 16)) {
    --q0;
    rhat += vn1;
    if (rhat >= 0x10000u)
      break;
  }
  const uint32_t q = (q1 << 16) + q0;
  return q > 0x7FFFFFFFu ? 0x7FFFFFFF : (int32_t)q;
}

/* out_zp + y_c clamped, y_c = (n * gamma + beta + 2^27) >> 28 (64-bit v =
 * n * gamma + beta): y_c = (v >> 28) + bit 27 of v. The high word
 * saturated to 27 bits keeps (v >> 28) within +-2^30, so the two adds
 * cannot wrap, and on the right side of the int8 range when it saturates. */
TFK_INLINE int32_t tfk__ln_out(int32_t n, int32_t gamma, int64_t beta,
                               int32_t out_zp) {
  const int64_t v = (int64_t)n * gamma + beta;
  const uint32_t lo = (uint32_t)v;
  const int32_t hi = __ssat((int32_t)(v >> 32), 27);
  const int32_t y = (int32_t)((lo >> 28) | ((uint32_t)hi << 4));
  return __ssat(y + (int32_t)((lo >> 27) & 1) + out_zp, 8);
}

/* Second pass of one token: n_c = (d_c * inv + 2^(k-1)) >> k, k = 49 - sh,
 * d_c = C*x - T. Exact 32-bit forms (|d_c| = C*|xi - mean| <= 255*C):
 *  k <= 32 and |d| < 2^(k-1): with s = 32 - k, d << s still fits and
 *    n = SMMULR(d << s, inv) = (d*inv*2^s + 2^31) >> 32; d << s is one MLS
 *    from (C << s) and (T << s);
 *  k >= 33: n = (SMMUL(d, inv) + 2^(k-33)) >> (k-32) (the low word of the
 *    product cannot carry past a multiple of 2^(k-32));
 *  otherwise (C > 1028 and a small deviation) the 64-bit formula. */
TFK_INLINE void tfk__ln_row(const int8_t *x, int8_t *o, const int32_t *gamma,
                            const int64_t *beta, int32_t C, int32_t T,
                            int32_t inv, int32_t sh, int32_t out_zp) {
  const int32_t k = 49 - sh;
  TFK_OPAQUE(inv); /* a known sign turns SMMULR into UMLAL + fix-ups */
  if (k <= 32 && (int64_t)255 * C < ((int64_t)1 << (k - 1))) {
    const int32_t s = 32 - k;
    const uint32_t Cs = (uint32_t)C << s, Ts = (uint32_t)T << s;
    for (int32_t c = 0; c < C; ++c) {
      const int32_t ds = (int32_t)(Cs * (uint32_t)x[c] - Ts);
      o[c] = (int8_t)tfk__ln_out(tfk__smmulr(ds, inv), gamma[c], beta[c],
                                 out_zp);
    }
  } else if (k > 32) {
    const int32_t r = 1 << (k - 33), e = k - 32;
    for (int32_t c = 0; c < C; ++c) {
      const int32_t d = (int32_t)((uint32_t)C * (uint32_t)x[c] - (uint32_t)T);
      const int32_t n = ((int32_t)(((int64_t)d * inv) >> 32) + r) >> e;
      o[c] = (int8_t)tfk__ln_out(n, gamma[c], beta[c], out_zp);
    }
  } else {
    const int64_t rnd = (int64_t)1 << (k - 1);
    for (int32_t c = 0; c < C; ++c) {
      const int32_t d = (int32_t)((uint32_t)C * (uint32_t)x[c] - (uint32_t)T);
      const int32_t n = (int32_t)(((int64_t)d * inv + rnd) >> k);
      o[c] = (int8_t)tfk__ln_out(n, gamma[c], beta[c], out_zp);
    }
  }
}

void tfk_layer_norm_s8(const int8_t *in, int8_t *out, const int32_t *gamma,
                       const int64_t *params, int32_t tokens, int32_t C,
                       int32_t in_zp, int32_t out_zp) {
  for (int32_t t = 0; t < tokens; ++t) {
    const int8_t *x = in + t * C;
    /* raw sums A = sum x, B = sum x^2 (SMLAD on SXTB16 pairs), then
     * S1 = A - C*zp, S2 = B - 2*zp*A + C*zp^2 (exact mod 2^32) */
    uint32_t A = 0, B = 0;
    int32_t c = 0;
    for (; c + 4 <= C; c += 4) {
      const int32_t w = tfk__ld32(x + c);
      const int32_t e = __sxtb16(w), od = __sxtb16(__ror(w, 8));
      A = (uint32_t)__smlad(e, 0x00010001, __smlad(od, 0x00010001, (int32_t)A));
      B = (uint32_t)__smlad(e, e, __smlad(od, od, (int32_t)B));
    }
    for (; c < C; ++c) {
      A += (uint32_t)x[c];
      B += (uint32_t)(x[c] * x[c]);
    }
    const uint32_t uC = (uint32_t)C, uz = (uint32_t)in_zp;
    const int32_t S1 = (int32_t)(A - uC * uz);
    const int32_t S2 = (int32_t)(B - 2u * uz * A + uC * uz * uz);
    const int64_t var = (int64_t)C * S2 - (int64_t)S1 * S1 + params[0];
    uint32_t sd = tfk__isqrt64((uint64_t)var);
    if (sd == 0)
      sd = 1;
    const int32_t sh = __builtin_clz(sd) - 1;
    const int32_t inv = tfk__inv61(sd << sh);
    /* T = S1 + C*zp, so that d = C*xi - S1 = C*x - T */
    const int32_t T = (int32_t)((uint32_t)S1 + uC * uz);
    tfk__ln_row(x, out + t * C, gamma, params + 1, C, T, inv, sh, out_zp);
  }
}
