/*===- tfk_layer_norm.c - integer layer norm ----------------------*- C -*-===//
 *
 * tfk_layer_norm_s8: per token two sums and one table-and-Newton reciprocal
 * square root (tfk/layer_norm.h), then five instructions per element
 * (LDRSB, MLA, SMLAW<B|T>, SSAT, STRB) over two tokens at a time, so that a
 * pair of channels' gamma and beta are loaded once for both (one LDM). See
 * tfk/kernels.h. Build with -DTFK_NO_ASM for the plain C loops.
 *===----------------------------------------------------------------------===*/
#include "tfk/layer_norm.h"
#include "tfk_internal.h"

/* The affine map of one token, t_c = x_c * P + Q = (C x_c - A) * r (mod
 * 2^32, exact: |t_c| < 2^31 by the choice of frac_bits). */
typedef struct {
  int32_t P, Q;
} tfk__ln_affine;

TFK_INLINE tfk__ln_affine tfk__ln_token(const int8_t *x, int32_t C,
                                        int64_t eps_term, int32_t frac_bits) {
  /* A = sum x, B = sum x^2 over the raw codes (SMLAD on SXTB16 pairs): the
   * variance C*B - A^2 and C*x - A do not depend on the zero point. */
  int32_t A = 0, B = 0, c = 0;
  for (; c + 4 <= C; c += 4) {
    const int32_t w = tfk__ld32(x + c);
    const int32_t e = __sxtb16(w), od = __sxtb16(__ror(w, 8));
    A = __smlad(e, 0x00010001, __smlad(od, 0x00010001, A));
    B = __smlad(e, e, __smlad(od, od, B));
  }
  for (; c < C; ++c) {
    A += x[c];
    B += x[c] * x[c];
  }
  /* C <= 256 and a small epsilon term (constants after inlining): var <
   * 2^31, no 64-bit arithmetic */
  uint32_t r;
  if (C <= 256 && eps_term >= 0 && eps_term < (1 << 30))
    r = tfk_ln_scale32((uint32_t)C * (uint32_t)B - (uint32_t)(A * A) +
                           (uint32_t)eps_term,
                       frac_bits);
  else
    r = tfk_ln_scale((uint64_t)((int64_t)C * B - (int64_t)A * A + eps_term),
                     frac_bits);
  tfk__ln_affine a = {(int32_t)((uint32_t)C * r), (int32_t)(0u - (uint32_t)A * r)};
  return a;
}

/* One output: sat8((((x * P + Q) * gamma) >> 16) + beta) >> out_shift). */
TFK_INLINE int8_t tfk__ln_out(int32_t x, tfk__ln_affine a, int32_t g,
                              int32_t b, int32_t out_shift) {
  const int32_t t = (int32_t)((uint32_t)x * (uint32_t)a.P + (uint32_t)a.Q);
  return (int8_t)__ssat(__smlawb(t, g, b) >> out_shift, 8);
}

/* The channel pairs [0, end - x) of one token (n == 1) or of two tokens C
 * bytes apart (n == 2); w: the pairs' {beta, beta, gamma pair} words. */
TFK_INLINE void tfk__ln_pairs_c(const int8_t *x, int8_t *o, const int32_t *w,
                                const int8_t *end, int32_t n, int32_t C,
                                tfk__ln_affine a0, tfk__ln_affine a1,
                                int32_t out_shift) {
  for (; x != end; x += 2, o += 2, w += 3) {
    const int32_t g0 = (int16_t)w[2], g1 = w[2] >> 16;
    if (n == 2) {
      o[C] = tfk__ln_out(x[C], a1, g0, w[0], out_shift);
      o[C + 1] = tfk__ln_out(x[C + 1], a1, g1, w[1], out_shift);
    }
    o[0] = tfk__ln_out(x[0], a0, g0, w[0], out_shift);
    o[1] = tfk__ln_out(x[1], a0, g1, w[1], out_shift);
  }
}

#ifndef TFK_NO_ASM
/* One token's element: LDRSB, MLA, SMLAW<B|T>, SSAT, STRB. X / O address the
 * input / output byte, P / Q the token's map, H the gamma half, B its beta;
 * SAT is the SSAT line (the shift is an immediate). */
#define TFK__LN_ELEM(X, O, P, Q, H, B, SAT)                                    \
  "ldrsb  %[t], " X "\n"                                                       \
  "mla    %[t], %[t], %[" P "], %[" Q "]\n"                                    \
  "smlaw" H " %[t], %[t], %[g2], %[" B "]\n" SAT                               \
  "strb   %[t], " O "\n"

/* A channel pair's words {beta, beta, gamma pair} in one LDM: b0, b1, g2
 * live in r10, r11, r12 (ascending, as LDM's register list needs). */
#define TFK__LN_LOAD "ldmia  %[w]!, {r10, r11, r12}\n"
#define TFK__LN_REGS                                                           \
  register int32_t b0 __asm__("r10");                                          \
  register int32_t b1 __asm__("r11");                                          \
  register int32_t g2 __asm__("r12")

/* One channel pair of two tokens: the second token's bytes first ([x, C],
 * [o, C]), then the first's with post-increment, so that in == out stays
 * correct. */
#define TFK__LN_PAIR2(SAT)                                                     \
  TFK__LN_LOAD                                                                 \
  TFK__LN_ELEM("[%[x], %[C]]", "[%[o], %[C]]", "P1", "Q1", "b", "b0", SAT)     \
  TFK__LN_ELEM("[%[x]], #1", "[%[o]], #1", "P0", "Q0", "b", "b0", SAT)         \
  TFK__LN_ELEM("[%[x], %[C]]", "[%[o], %[C]]", "P1", "Q1", "t", "b1", SAT)     \
  TFK__LN_ELEM("[%[x]], #1", "[%[o]], #1", "P0", "Q0", "t", "b1", SAT)

#define TFK__LN_LOOP2(BODY)                                                    \
  __asm__ volatile(                                                            \
      "1:\n" BODY "cmp    %[x], %[end]\n"                                      \
      "bne    1b\n"                                                            \
      : [x] "+&r"(x), [o] "+&r"(o), [w] "+&r"(w), [g2] "=&r"(g2),              \
        [b0] "=&r"(b0), [b1] "=&r"(b1), [t] "=&r"(t)                           \
      : [C] "r"(C), [P0] "r"(a0.P), [Q0] "r"(a0.Q), [P1] "r"(a1.P),            \
        [Q1] "r"(a1.Q), [end] "r"(end)                                         \
      : "cc", "memory")
/* one pair per iteration, or two when C is a multiple of 4 */
#define TFK__LN_PAIRS2(SAT) TFK__LN_LOOP2(TFK__LN_PAIR2(SAT))
#define TFK__LN_QUADS2(SAT) TFK__LN_LOOP2(TFK__LN_PAIR2(SAT) TFK__LN_PAIR2(SAT))

#define TFK__LN_PAIRS1(SAT)                                                    \
  __asm__ volatile(                                                            \
      "1:\n" TFK__LN_LOAD                                                      \
      TFK__LN_ELEM("[%[x]], #1", "[%[o]], #1", "P0", "Q0", "b", "b0", SAT)     \
      TFK__LN_ELEM("[%[x]], #1", "[%[o]], #1", "P0", "Q0", "t", "b1", SAT)     \
      "cmp    %[x], %[end]\n"                                                  \
      "bne    1b\n"                                                            \
      : [x] "+&r"(x), [o] "+&r"(o), [w] "+&r"(w), [g2] "=&r"(g2),              \
        [b0] "=&r"(b0), [b1] "=&r"(b1), [t] "=&r"(t)                           \
      : [P0] "r"(a0.P), [Q0] "r"(a0.Q), [end] "r"(end)                         \
      : "cc", "memory")

#define TFK__LN_SAT(S) "ssat   %[t], #8, %[t], asr #" #S "\n"
#define TFK__LN_CASE(LOOP, S)                                                  \
  case S:                                                                      \
    LOOP(TFK__LN_SAT(S));                                                      \
    break;
/* out_shift is a constant after inlining: one case survives. */
#define TFK__LN_SWITCH(LOOP)                                                   \
  switch (out_shift) {                                                         \
  case 0:                                                                      \
    LOOP("ssat   %[t], #8, %[t]\n");                                           \
    break;                                                                     \
    TFK__LN_CASE(LOOP, 1) TFK__LN_CASE(LOOP, 2) TFK__LN_CASE(LOOP, 3)          \
    TFK__LN_CASE(LOOP, 4) TFK__LN_CASE(LOOP, 5) TFK__LN_CASE(LOOP, 6)          \
    TFK__LN_CASE(LOOP, 7) TFK__LN_CASE(LOOP, 8) TFK__LN_CASE(LOOP, 9)          \
    TFK__LN_CASE(LOOP, 10) TFK__LN_CASE(LOOP, 11) TFK__LN_CASE(LOOP, 12)       \
    TFK__LN_CASE(LOOP, 13) TFK__LN_CASE(LOOP, 14) TFK__LN_CASE(LOOP, 15)       \
    TFK__LN_CASE(LOOP, 16) TFK__LN_CASE(LOOP, 17) TFK__LN_CASE(LOOP, 18)       \
    TFK__LN_CASE(LOOP, 19) TFK__LN_CASE(LOOP, 20) TFK__LN_CASE(LOOP, 21)       \
  default:                                                                     \
    tfk__ln_pairs_c(x, o, w, end, n, C, a0, a1, out_shift);                    \
  }
#endif

/* Channel pairs [0, C & ~1) of one or two tokens. */
TFK_INLINE void tfk__ln_pairs(const int8_t *x, int8_t *o, const int32_t *w,
                              int32_t n, int32_t C, tfk__ln_affine a0,
                              tfk__ln_affine a1, int32_t out_shift) {
  const int8_t *end = x + (C & ~1);
  if (C < 2)
    return;
#ifdef TFK_NO_ASM
  tfk__ln_pairs_c(x, o, w, end, n, C, a0, a1, out_shift);
#else
  TFK__LN_REGS;
  int32_t t;
  if (n == 2 && (C & 3) == 0) {
    TFK__LN_SWITCH(TFK__LN_QUADS2)
  } else if (n == 2) {
    TFK__LN_SWITCH(TFK__LN_PAIRS2)
  } else {
    TFK__LN_SWITCH(TFK__LN_PAIRS1)
  }
#endif
}

void tfk_layer_norm_s8(const int8_t *in, int8_t *out, const int32_t *params,
                       int64_t eps_term, int32_t tokens, int32_t C,
                       int32_t frac_bits, int32_t out_shift) {
  /* the odd channel's words, after the pairs' */
  const int32_t *last = params + 3 * (C >> 1);
  for (int32_t t = 0; t < tokens; t += 2) {
    const int32_t n = tokens - t >= 2 ? 2 : 1;
    const int8_t *x = in + t * C;
    int8_t *o = out + t * C;
    const tfk__ln_affine a0 = tfk__ln_token(x, C, eps_term, frac_bits);
    const tfk__ln_affine a1 =
        n == 2 ? tfk__ln_token(x + C, C, eps_term, frac_bits) : a0;
    tfk__ln_pairs(x, o, params, n, C, a0, a1, out_shift);
    if (C & 1)
      for (int32_t k = 0; k < n; ++k)
        o[k * C + C - 1] = tfk__ln_out(x[k * C + C - 1], k ? a1 : a0,
                                       (int16_t)last[2], last[0], out_shift);
  }
}
