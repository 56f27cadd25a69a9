/*===- tfk_matmul_core.h - SMLAD micro-kernels and int16 operands -*- C -*-===//
 *
 * Shared by the matmul-like kernels (conv2d, fully connected, batch matmul,
 * attention): the 2x2 / 4x1 SMLAD micro-kernels and the int8 -> int16
 * operand conversions they read. Every helper is static inline.
 *===----------------------------------------------------------------------===*/
#ifndef TFK_MATMUL_CORE_H
#define TFK_MATMUL_CORE_H

#include "tfk_internal.h"

/* ===========================================================================
 * SMLAD micro-kernels. Inline assembly with fixed registers (LLVM keeps
 * neither the loads nor the registers of this loop in plain C, and LDM's
 * register lists need them ascending). X: int16 activations, two slots of 8
 * bytes per group of 4 reduction elements (slot 0 then slot 1). W: weights,
 * two rows (c0 at +0, c1 at +8 for int16 / +4 for int8) per group, groups
 * WS bytes apart. Accumulators a<slot><row>. Build with -DTFK_NO_ASM for a
 * plain C version (same results). The asm needs the ARM asm parser in the
 * object emitter (LLVMInitializeARMAsmParser).
 * ========================================================================= */
/* reduction groups up to which the 2x2 LDM micro-kernel is fully unrolled
 * (no loop; ~40 bytes of code per group, at most 96) */
#ifndef TFK_FULL_UNROLL_G
#define TFK_FULL_UNROLL_G 96
#endif
/* X repeated for _r_ = B..B+7, and for _r_ = 0..31 (straight-line
 * unrolling without pragmas) */
#define TFK_REP8(B, X)                                                         \
  { enum { _r_ = (B) + 0 }; X } \
  { enum { _r_ = (B) + 1 }; X } \
  { enum { _r_ = (B) + 2 }; X } \
  { enum { _r_ = (B) + 3 }; X } \
  { enum { _r_ = (B) + 4 }; X } \
  { enum { _r_ = (B) + 5 }; X } \
  { enum { _r_ = (B) + 6 }; X } \
  { enum { _r_ = (B) + 7 }; X }
#define TFK_REP32(X) TFK_REP8(0, X) TFK_REP8(8, X) TFK_REP8(16, X) TFK_REP8(24, X)

/* 2 slots x 2 rows per group of 4 reduction elements. The temporaries live
 * in fixed registers (r0-r7) so that one LDM fetches both slots' activation
 * words {r0, r1 | r2, r3} and one LDM a group's weights (int16: the rows'
 * words {r4, r5 | r6, r7}; int8: {r4, r5}, sign-extended in place): 10
 * instructions per 16 MACs with int16 weights, 14 with int8. The 4-row FC
 * layout (weight group stride 32 / 16 bytes, two rows read at a time) takes
 * one more instruction (int16) to skip the other two rows. */
#define TFK_MK22_SMLAD8                                                        \
  "smlad %[a00], r0, r4, %[a00]\n\t"                                           \
  "smlad %[a00], r1, r5, %[a00]\n\t"                                           \
  "smlad %[a01], r0, r6, %[a01]\n\t"                                           \
  "smlad %[a01], r1, r7, %[a01]\n\t"                                           \
  "smlad %[a10], r2, r4, %[a10]\n\t"                                           \
  "smlad %[a10], r3, r5, %[a10]\n\t"                                           \
  "smlad %[a11], r2, r6, %[a11]\n\t"                                           \
  "smlad %[a11], r3, r7, %[a11]\n\t"
#define TFK_MK22_LDM_I16                                                       \
  "ldm %[x]!, {r0, r1, r2, r3}\n\t"                                            \
  "ldm %[w]!, {r4, r5, r6, r7}\n\t" TFK_MK22_SMLAD8
#define TFK_MK22_LDM_I16_W32                                                   \
  "ldm %[x]!, {r0, r1, r2, r3}\n\t"                                            \
  "ldm %[w], {r4, r5, r6, r7}\n\t"                                             \
  "add %[w], %[w], #32\n\t" TFK_MK22_SMLAD8
#define TFK_MK22_SXTB16                                                        \
  "sxtb16 r6, r5\n\t"                                                          \
  "sxtb16 r7, r5, ror #8\n\t"                                                  \
  "sxtb16 r5, r4, ror #8\n\t"                                                  \
  "sxtb16 r4, r4\n\t"                                                          \
  "ldm %[x]!, {r0, r1, r2, r3}\n\t" TFK_MK22_SMLAD8
#define TFK_MK22_LDM_I8 "ldm %[w]!, {r4, r5}\n\t" TFK_MK22_SXTB16
#define TFK_MK22_LDM_I8_W16 "ldrd r4, r5, [%[w]], #16\n\t" TFK_MK22_SXTB16

#define TFK_MK22_LDM_OPS                                                       \
  : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),        \
    [x] "+r"(x), [w] "+r"(w), "=r"(t0), "=r"(t1), "=r"(t2), "=r"(t3),          \
    "=r"(t4), "=r"(t5), "=r"(t6), "=r"(t7)                                     \
  :                                                                            \
  : "memory"

/* G groups: straight-line up to TFK_FULL_UNROLL_G, else blocks of 8 groups
 * in a C loop (its counter is the compiler's to keep: the asm holds all 14
 * allocatable registers). Returns via acc[4] = {a00, a01, a10, a11}. */
#define TFK_DEF_MK22_LDM(NAME, BODY)                                           \
  TFK_INLINE const int32_t *NAME(const int32_t *x, const int32_t *w,          \
                                 int32_t G, int32_t acc[4]) {                  \
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];            \
    register int32_t t0 __asm__("r0"), t1 __asm__("r1"), t2 __asm__("r2");    \
    register int32_t t3 __asm__("r3"), t4 __asm__("r4"), t5 __asm__("r5");    \
    register int32_t t6 __asm__("r6"), t7 __asm__("r7");                      \
    if (G <= TFK_FULL_UNROLL_G) {                                              \
      TFK_REP32(if (G > _r_) __asm__ volatile(BODY TFK_MK22_LDM_OPS);)         \
      TFK_REP32(if (G > 32 + _r_) __asm__ volatile(BODY TFK_MK22_LDM_OPS);)    \
      TFK_REP32(if (G > 64 + _r_) __asm__ volatile(BODY TFK_MK22_LDM_OPS);)    \
    } else {                                                                   \
      for (int32_t r = 0; r < (G >> 3); ++r)                                   \
        __asm__ volatile(BODY BODY BODY BODY BODY BODY BODY BODY               \
                             TFK_MK22_LDM_OPS);                                \
      TFK_REP8(0, if ((G & 7) > _r_)                                           \
                      __asm__ volatile(BODY TFK_MK22_LDM_OPS);)                \
    }                                                                          \
    acc[0] = a00;                                                              \
    acc[1] = a01;                                                              \
    acc[2] = a10;                                                              \
    acc[3] = a11;                                                              \
    return w;                                                                  \
  }

#ifndef TFK_NO_ASM
TFK_DEF_MK22_LDM(tfk__mk22_i16_w16, TFK_MK22_LDM_I16)
TFK_DEF_MK22_LDM(tfk__mk22_i16_w32, TFK_MK22_LDM_I16_W32)
TFK_DEF_MK22_LDM(tfk__mk22_i8_w8, TFK_MK22_LDM_I8)
TFK_DEF_MK22_LDM(tfk__mk22_i8_w16, TFK_MK22_LDM_I8_W16)
#endif

/* plain C version; the INT16/INT8 weight formats as above */
TFK_INLINE const int32_t *tfk__mk22_c(const int32_t *x, const int32_t *w,
                                      int32_t G, int32_t i16, int32_t ws_words,
                                      int32_t acc[4]) {
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  __asm__("" : "+r"(x));
  for (int32_t g = 0; g < G; ++g) {
    int32_t p0 = x[0], p1 = x[1], q0 = x[2], q1 = x[3], u0, u1, v0, v1;
    if (i16) {
      u0 = w[0];
      u1 = w[1];
      v0 = w[2];
      v1 = w[3];
    } else {
      u0 = __sxtb16(w[0]);
      u1 = __sxtb16(__ror(w[0], 8));
      v0 = __sxtb16(w[1]);
      v1 = __sxtb16(__ror(w[1], 8));
    }
    a00 = __smlad(p1, u1, __smlad(p0, u0, a00));
    a01 = __smlad(p1, v1, __smlad(p0, v0, a01));
    a10 = __smlad(q1, u1, __smlad(q0, u0, a10));
    a11 = __smlad(q1, v1, __smlad(q0, v0, a11));
    x += 4;
    w += ws_words;
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
  return w;
}

/* Dispatch on (i16, weight stride); all constant after inlining. Returns w
 * advanced by G groups. */
TFK_INLINE const int32_t *tfk__mk22(const int32_t *x, const int32_t *w,
                                    int32_t G, int32_t i16, int32_t ws_bytes,
                                    int32_t acc[4]) {
#ifndef TFK_NO_ASM
  if (i16 && ws_bytes == 16)
    return tfk__mk22_i16_w16(x, w, G, acc);
  if (i16 && ws_bytes == 32)
    return tfk__mk22_i16_w32(x, w, G, acc);
  if (!i16 && ws_bytes == 8)
    return tfk__mk22_i8_w8(x, w, G, acc);
  if (!i16 && ws_bytes == 16)
    return tfk__mk22_i8_w16(x, w, G, acc);
#endif
  return tfk__mk22_c(x, w, G, i16, ws_bytes / 4, acc);
}

/* 1 slot x 4 rows: X = plain int16 token (8 bytes per group), W = 4 rows
 * of a group consecutive (int16: 8 bytes per row, int8: 4 bytes per row).
 * Fixed registers as for the 2x2 kernel: the token's words in {r0, r1},
 * weights by LDM into {r4-r7} (int16: two rows at a time, 11 instructions
 * per 16 MACs; int8: all four rows, sign-extended through r2: 18). */
#define TFK_MK41_SMLAD2(A, U, V)                                               \
  "smlad %[" A "], r0, " U ", %[" A "]\n\t"                                    \
  "smlad %[" A "], r1, " V ", %[" A "]\n\t"
#define TFK_MK41_I16                                                           \
  "ldrd r0, r1, [%[x]], #8\n\t"                                                \
  "ldm %[w]!, {r4, r5, r6, r7}\n\t" TFK_MK41_SMLAD2("a0", "r4", "r5")          \
  TFK_MK41_SMLAD2("a1", "r6", "r7")                                            \
  "ldm %[w]!, {r4, r5, r6, r7}\n\t" TFK_MK41_SMLAD2("a2", "r4", "r5")          \
  TFK_MK41_SMLAD2("a3", "r6", "r7")
#define TFK_MK41_I8_ROW(A, R)                                                  \
  "sxtb16 r2, " R ", ror #8\n\t"                                               \
  "sxtb16 " R ", " R "\n\t" TFK_MK41_SMLAD2(A, R, "r2")
#define TFK_MK41_I8                                                            \
  "ldrd r0, r1, [%[x]], #8\n\t"                                                \
  "ldm %[w]!, {r4, r5, r6, r7}\n\t" TFK_MK41_I8_ROW("a0", "r4")                \
  TFK_MK41_I8_ROW("a1", "r5") TFK_MK41_I8_ROW("a2", "r6")                      \
  TFK_MK41_I8_ROW("a3", "r7")
#define TFK_MK41_OPS                                                           \
  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x),     \
      [w] "+r"(w), "=r"(t0), "=r"(t1), "=r"(t2), "=r"(t4), "=r"(t5),           \
      "=r"(t6), "=r"(t7)

/* G groups: G % 4 single groups, then a loop of 4. */
#define TFK_DEF_MK41(NAME, BODY)                                               \
  TFK_INLINE void NAME(const int32_t *x, const int32_t *w, int32_t G,          \
                       int32_t acc[4]) {                                       \
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];                \
    register int32_t t0 __asm__("r0"), t1 __asm__("r1"), t2 __asm__("r2");    \
    register int32_t t4 __asm__("r4"), t5 __asm__("r5"), t6 __asm__("r6");    \
    register int32_t t7 __asm__("r7");                                        \
    for (int32_t r = 0; r < (G & 3); ++r)                                      \
      __asm__ volatile(BODY : TFK_MK41_OPS : : "memory");                      \
    if (G >> 2) {                                                              \
      int32_t n = G >> 2;                                                      \
      __asm__ volatile("1:\n\t" BODY BODY BODY BODY                            \
                       "subs %[n], %[n], #1\n\t"                               \
                       "bne 1b\n\t"                                            \
                       : TFK_MK41_OPS, [n] "+r"(n)                             \
                       :                                                       \
                       : "memory", "cc");                                      \
    }                                                                          \
    acc[0] = a0;                                                               \
    acc[1] = a1;                                                               \
    acc[2] = a2;                                                               \
    acc[3] = a3;                                                               \
  }
#ifndef TFK_NO_ASM
TFK_DEF_MK41(tfk__mk41_i16, TFK_MK41_I16)
TFK_DEF_MK41(tfk__mk41_i8, TFK_MK41_I8)
#endif

TFK_INLINE void tfk__mk41(const int32_t *x, const int32_t *w, int32_t G,
                          int32_t i16, int32_t acc[4]) {
#ifndef TFK_NO_ASM
  if (i16)
    tfk__mk41_i16(x, w, G, acc);
  else
    tfk__mk41_i8(x, w, G, acc);
#else
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  __asm__("" : "+r"(x));
  for (int32_t g = 0; g < G; ++g) {
    const int32_t p0 = x[0], p1 = x[1];
    if (i16) {
      a0 = __smlad(p1, w[1], __smlad(p0, w[0], a0));
      a1 = __smlad(p1, w[3], __smlad(p0, w[2], a1));
      a2 = __smlad(p1, w[5], __smlad(p0, w[4], a2));
      a3 = __smlad(p1, w[7], __smlad(p0, w[6], a3));
      w += 8;
    } else {
      a0 = __smlad(p1, __sxtb16(__ror(w[0], 8)), __smlad(p0, __sxtb16(w[0]), a0));
      a1 = __smlad(p1, __sxtb16(__ror(w[1], 8)), __smlad(p0, __sxtb16(w[1]), a1));
      a2 = __smlad(p1, __sxtb16(__ror(w[2], 8)), __smlad(p0, __sxtb16(w[2]), a2));
      a3 = __smlad(p1, __sxtb16(__ror(w[3], 8)), __smlad(p0, __sxtb16(w[3]), a3));
      w += 4;
    }
    x += 2;
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
#endif
}

/* ===========================================================================
 * int16 operands.
 * FC tokens are converted to int16 in SMLAD order (tfk__to_s16).
 * Products of two activations (batch matmul, Q.K^T, P.V) convert both
 * operands to int16 minus their zero points (|v| <= 255) so that the 2x2
 * SMLAD micro-kernel above runs on them unchanged: the left operand as two
 * interleaved rows (X: tfk__to_s16_zp with group stride 8), the right one
 * transposed and pair-blocked like int16 FC weights with 16-byte groups
 * (W: element (n, k) at int16 [((n/2)*G + k/4)*8 + (n&1)*4 + pos(k)&3],
 * G = K4/4). Zero padding of k up to K4 on the W side keeps padded taps
 * exact; a missing second row / column is computed on whatever the buffer
 * holds and dropped (or stored into padding that is never read).
 * ========================================================================= */

/* int8 token -> int16 SMLAD order; stride = int16 elements between groups
 * (4: plain, 8: interleaved with a second token slot). */
TFK_INLINE void tfk__to_s16(int16_t *dst, const int8_t *src, int32_t K,
                            int32_t gstride) {
  const int32_t K4 = tfk_l_k4(K);
  int32_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const int32_t v = tfk__ld32(src + k);
    int32_t *d = (int32_t *)(dst + (k >> 2) * gstride);
    d[0] = __sxtb16(v);
    d[1] = __sxtb16(__ror(v, 8));
  }
  for (; k < K; ++k)
    dst[(k >> 2) * gstride + (tfk_l_pos(k) & 3)] = src[k];
  for (; k < K4; ++k)
    dst[(k >> 2) * gstride + (tfk_l_pos(k) & 3)] = 0;
}

/* zp in both int16 lanes */
TFK_INLINE int32_t tfk__zz(int32_t zp) {
  return (int32_t)(((uint32_t)zp & 0xFFFFu) * 0x10001u);
}
/* (lo.low16, hi.low16) and (lo.high16, hi.high16): PKHBT / PKHTB */
TFK_INLINE int32_t tfk__pk_lo(int32_t lo, int32_t hi) {
  return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}
TFK_INLINE int32_t tfk__pk_hi(int32_t lo, int32_t hi) {
  return (int32_t)(((uint32_t)lo >> 16) | ((uint32_t)hi & 0xFFFF0000u));
}

/* tfk__to_s16 minus zp (pads stay 0). */
TFK_INLINE void tfk__to_s16_zp(int16_t *dst, const int8_t *src, int32_t K,
                               int32_t gstride, int32_t zp) {
  const int32_t K4 = tfk_l_k4(K), zz = tfk__zz(zp);
  int32_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const int32_t v = tfk__ld32(src + k);
    int32_t *d = (int32_t *)(dst + (k >> 2) * gstride);
    d[0] = __ssub16(__sxtb16(v), zz);
    d[1] = __ssub16(__sxtb16(__ror(v, 8)), zz);
  }
  for (; k < K; ++k)
    dst[(k >> 2) * gstride + (tfk_l_pos(k) & 3)] = (int16_t)(src[k] - zp);
  for (; k < K4; ++k)
    dst[(k >> 2) * gstride + (tfk_l_pos(k) & 3)] = 0;
}

/* W layout of src [K][N] (row stride ld) minus zp: column n becomes W row n.
 * 4x4 blocks go through SXTB16 + PKHBT/PKHTB (4 loads for 16 elements);
 * edges element by element; k in [K, K4) and the odd column N are 0. */
TFK_INLINE void tfk__tr16(int16_t *dst, const int8_t *src, int32_t ld,
                          int32_t K, int32_t N, int32_t zp) {
  const int32_t K4 = tfk_l_k4(K), G = K4 >> 2, zz = tfk__zz(zp);
#define TFK_TRIDX(n, k)                                                        \
  ((((n) >> 1) * G + ((k) >> 2)) * 8 + ((n) & 1) * 4 + (tfk_l_pos(k) & 3))
  int32_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const int8_t *s = src + k * ld;
    int32_t n = 0;
    for (; n + 4 <= N; n += 4) {
      const int32_t w0 = tfk__ld32(s + n), w1 = tfk__ld32(s + ld + n);
      const int32_t w2 = tfk__ld32(s + 2 * ld + n),
                    w3 = tfk__ld32(s + 3 * ld + n);
      /* a_r = rows k+r at columns (n, n+2), b_r at (n+1, n+3) */
      const int32_t a0 = __ssub16(__sxtb16(w0), zz),
                    a1 = __ssub16(__sxtb16(w1), zz),
                    a2 = __ssub16(__sxtb16(w2), zz),
                    a3 = __ssub16(__sxtb16(w3), zz);
      const int32_t b0 = __ssub16(__sxtb16(__ror(w0, 8)), zz),
                    b1 = __ssub16(__sxtb16(__ror(w1, 8)), zz),
                    b2 = __ssub16(__sxtb16(__ror(w2, 8)), zz),
                    b3 = __ssub16(__sxtb16(__ror(w3, 8)), zz);
      /* SMLAD order inside the group: (k0, k2), (k1, k3) */
      int32_t *d = (int32_t *)(dst + ((n >> 1) * G + (k >> 2)) * 8);
      d[0] = tfk__pk_lo(a0, a2);
      d[1] = tfk__pk_lo(a1, a3);
      d[2] = tfk__pk_lo(b0, b2);
      d[3] = tfk__pk_lo(b1, b3);
      d += 4 * G;
      d[0] = tfk__pk_hi(a0, a2);
      d[1] = tfk__pk_hi(a1, a3);
      d[2] = tfk__pk_hi(b0, b2);
      d[3] = tfk__pk_hi(b1, b3);
    }
    for (; n < N; ++n)
      for (int32_t r = 0; r < 4; ++r)
        dst[TFK_TRIDX(n, k + r)] = (int16_t)(s[r * ld + n] - zp);
  }
  for (; k < K; ++k)
    for (int32_t n = 0; n < N; ++n)
      dst[TFK_TRIDX(n, k)] = (int16_t)(src[k * ld + n] - zp);
  for (; k < K4; ++k)
    for (int32_t n = 0; n < N; ++n)
      dst[TFK_TRIDX(n, k)] = 0;
  if (N & 1)
    for (k = 0; k < K4; ++k)
      dst[TFK_TRIDX(N, k)] = 0;
#undef TFK_TRIDX
}

/* The int16 2x2 micro-kernel (W groups 16 bytes apart) starting from zero:
 * SMUAD on the first group saves zeroing four accumulators per block, which
 * matters for short reductions (Q.K^T with P = 16 is 4 groups). */
#define TFK_MK22_I16Z                                                          \
  "ldrd %[t0], %[t1], [%[x]], #8\n\t"                                          \
  "ldrd %[t4], %[t5], [%[w], #8]\n\t"                                          \
  "ldrd %[t2], %[t3], [%[w]], #16\n\t"                                         \
  "smuad %[a00], %[t0], %[t2]\n\t"                                             \
  "smlad %[a00], %[t1], %[t3], %[a00]\n\t"                                     \
  "smuad %[a01], %[t0], %[t4]\n\t"                                             \
  "smlad %[a01], %[t1], %[t5], %[a01]\n\t"                                     \
  "ldrd %[t0], %[t1], [%[x]], #8\n\t"                                          \
  "smuad %[a10], %[t0], %[t2]\n\t"                                             \
  "smlad %[a10], %[t1], %[t3], %[a10]\n\t"                                     \
  "smuad %[a11], %[t0], %[t4]\n\t"                                             \
  "smlad %[a11], %[t1], %[t5], %[a11]\n\t"

TFK_INLINE void tfk__mk22z(const int32_t *x, const int32_t *w, int32_t G,
                           int32_t acc[4]) {
#ifndef TFK_NO_ASM
  if (G > 0) {
    int32_t a00, a01, a10, a11, t0, t1, t2, t3, t4, t5;
    __asm__ volatile(TFK_MK22_I16Z
                     : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10),
                       [a11] "=&r"(a11), [x] "+r"(x), [w] "+r"(w),
                       [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
                       [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)
                     :
                     : "memory");
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
    tfk__mk22_i16_w16(x, w, G - 1, acc);
    return;
  }
#endif
  acc[0] = acc[1] = acc[2] = acc[3] = 0;
  tfk__mk22(x, w, G, 1, 16, acc);
}

#endif /* TFK_MATMUL_CORE_H */
