/*===- tfk_kernels.c - TinyFormer INT8 kernels for Cortex-M4/M7 --*- C -*-===//
 *
 * Implements tfk/kernels.h. Compiled by clang-19 to thumbv7em bitcode and
 * inlined by the compiler with constant shape arguments, so every shape
 * decision below is a branch on arguments that folds away after inlining.
 * Blob layouts: see runtime/pack/tfk_pack.c (geometry in tfk_layout.h).
 *
 * Requantization (mbqm, TFLite double rounding) is bit-exact for every int32
 * accumulator. Two forms:
 *  - exact generic form (64-bit product, mask/threshold rounding);
 *  - fast form, used per output channel when mult >= 2^30, shift in
 *    [-24, -1] (right shift e in 1..24, no left shift):
 *      t = SMMULR(acc, 2*mult) + acc          == srdhm(acc, mult), exactly
 *      r = QADD(t - (t < 0), (1 << (e-1)) + (out_zp << e)) >> e
 *    which equals rdbpot(t, e) + out_zp whenever no saturation happens, and
 *    when QADD saturates the exact result is beyond the int8 range on the
 *    same side (|INT32_MAX >> e| >= 127 for e <= 24), so the clamp agrees.
 * The saturating case of srdhm (a == b == INT32_MIN) cannot happen because
 * mult comes from tfk_quantize_multiplier (0 <= mult < 2^31).
 *===----------------------------------------------------------------------===*/
#include <arm_acle.h>
#include <stdint.h>

#include "tfk/kernels.h"
#include "tfk_layout.h"

#define TFK_INLINE static inline __attribute__((always_inline))
#ifndef TFK_UNROLL_N
#define TFK_UNROLL_N 2
#endif
#define TFK_STR_(x) #x
#define TFK_STR(x) TFK_STR_(x)
#define TFK_UNROLL _Pragma(TFK_STR(clang loop unroll_count(TFK_UNROLL_N)))

/* ---- small helpers -------------------------------------------------------- */

TFK_INLINE int32_t tfk__ld32(const void *p) { /* unaligned-safe load */
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

TFK_INLINE int32_t tfk__smmulr(int32_t a, int32_t b) { /* -> SMMULR */
  return (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32);
}

TFK_INLINE int32_t tfk__srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN)
    return INT32_MAX;
  return (int32_t)(((int64_t)a * b + (1 << 30)) >> 31);
}

TFK_INLINE int32_t tfk__rdbpot(int32_t x, int32_t e) {
  const int32_t mask = (int32_t)((1u << e) - 1u);
  const int32_t rem = x & mask;
  const int32_t thr = (mask >> 1) + (x < 0);
  return (x >> e) + (rem > thr);
}

/* Exact mbqm for any (x, m, shift) of the contract. */
TFK_INLINE int32_t tfk__mbqm(int32_t x, int32_t m, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  return tfk__rdbpot(tfk__srdhm((int32_t)((uint32_t)x << left), m), right);
}

TFK_INLINE int32_t tfk__clamp(int32_t v, int32_t lo, int32_t hi) {
  v = __ssat(v, 8);
  if (lo > -128)
    v = v < lo ? lo : v;
  if (hi < 127)
    v = v > hi ? hi : v;
  return v;
}

/* Per-output-channel requantization state. */
typedef struct {
  int32_t fast; /* 1: fast form applies */
  int32_t m2;   /* 2*mult (wrapping) */
  int32_t hz;   /* (1 << (e-1)) + (out_zp << e) */
  int32_t e;    /* right shift */
  int32_t m, shift, zp;
} tfk__rq_t;

TFK_INLINE tfk__rq_t tfk__rq_prep(int32_t m, int32_t shift, int32_t out_zp) {
  tfk__rq_t r;
  const int32_t e = -shift;
  r.fast = m >= (1 << 30) && e >= 1 && e <= 24;
  r.e = r.fast ? e : 0;
  r.m2 = (int32_t)((uint32_t)m << 1);
  r.hz = r.fast ? (int32_t)((1u << (e - 1)) + ((uint32_t)out_zp << e)) : 0;
  r.m = m;
  r.shift = shift;
  r.zp = out_zp;
  return r;
}

/* Requantized value + out_zp, before the clamp; FAST is a compile-time
 * constant at every call site (the caller branches on rq.fast once). */
TFK_INLINE int32_t tfk__rq(const tfk__rq_t *r, int32_t acc, int fast) {
  if (fast) {
    int32_t t = tfk__smmulr(acc, r->m2) + acc;
    t -= (int32_t)((uint32_t)t >> 31);
    return __qadd(t, r->hz) >> r->e;
  }
  return r->zp + tfk__mbqm(acc, r->m, r->shift);
}

/* Per-channel table of the fast form, 3 words per channel: 2*mult, hz, e
 * (e = 64 marks a channel that needs the exact generic form). */
TFK_INLINE void tfk__rq_table(int32_t *tab, const int32_t *mult,
                              const int32_t *shift, int32_t n, int32_t out_zp) {
  for (int32_t i = 0; i < n; ++i) {
    const tfk__rq_t r = tfk__rq_prep(mult[i], shift[i], out_zp);
    tab[3 * i] = r.m2;
    tab[3 * i + 1] = r.hz;
    tab[3 * i + 2] = r.fast ? r.e : 64;
  }
}

TFK_INLINE int32_t tfk__rq_fast(int32_t acc, int32_t m2, int32_t hz,
                                int32_t e) {
  int32_t t = tfk__smmulr(acc, m2) + acc;
  t -= (int32_t)((uint32_t)t >> 31);
  return __qadd(t, hz) >> e;
}

/* Requantize-and-store outputs (one channel) at o[0] (and o1[0] if has1). */
TFK_INLINE void tfk__rq_store(const int32_t *tp, int32_t m, int32_t sh,
                              int32_t out_zp, int32_t act_min, int32_t act_max,
                              int8_t *o0, int32_t acc0, int8_t *o1,
                              int32_t acc1, int32_t has1) {
  const int32_t m2 = tp[0], hz = tp[1], e = tp[2];
  if (e < 32) {
    *o0 = (int8_t)tfk__clamp(tfk__rq_fast(acc0, m2, hz, e), act_min, act_max);
    if (has1)
      *o1 =
          (int8_t)tfk__clamp(tfk__rq_fast(acc1, m2, hz, e), act_min, act_max);
  } else {
    *o0 = (int8_t)tfk__clamp(out_zp + tfk__mbqm(acc0, m, sh), act_min,
                             act_max);
    if (has1)
      *o1 = (int8_t)tfk__clamp(out_zp + tfk__mbqm(acc1, m, sh), act_min,
                               act_max);
  }
}

/* ===========================================================================
 * SMLAD micro-kernels. Inline assembly (LLVM keeps neither the LDRDs nor the
 * registers of this loop in plain C). X: int16 activations, two slots of 8
 * bytes per group of 4 reduction elements (slot 0 then slot 1). W: weights,
 * two rows (c0 at +0, c1 at +8 for int16 / +4 for int8) per group, groups
 * WS bytes apart. Accumulators a<slot><row>. Build with -DTFK_NO_ASM for a
 * plain C version (same results). The asm needs the ARM asm parser in the
 * object emitter (LLVMInitializeARMAsmParser).
 * ========================================================================= */
/* reduction groups up to which the 2x2 micro-kernel is fully unrolled (no
 * loop counter; code size ~48 bytes per group) */
#ifndef TFK_FULL_UNROLL_G
#define TFK_FULL_UNROLL_G 32
#endif
/* X repeated for _r_ = 0..31 (straight-line unrolling without pragmas) */
#define TFK_REP32(X) \
  { enum { _r_ = 0 }; X } \
  { enum { _r_ = 1 }; X } \
  { enum { _r_ = 2 }; X } \
  { enum { _r_ = 3 }; X } \
  { enum { _r_ = 4 }; X } \
  { enum { _r_ = 5 }; X } \
  { enum { _r_ = 6 }; X } \
  { enum { _r_ = 7 }; X } \
  { enum { _r_ = 8 }; X } \
  { enum { _r_ = 9 }; X } \
  { enum { _r_ = 10 }; X } \
  { enum { _r_ = 11 }; X } \
  { enum { _r_ = 12 }; X } \
  { enum { _r_ = 13 }; X } \
  { enum { _r_ = 14 }; X } \
  { enum { _r_ = 15 }; X } \
  { enum { _r_ = 16 }; X } \
  { enum { _r_ = 17 }; X } \
  { enum { _r_ = 18 }; X } \
  { enum { _r_ = 19 }; X } \
  { enum { _r_ = 20 }; X } \
  { enum { _r_ = 21 }; X } \
  { enum { _r_ = 22 }; X } \
  { enum { _r_ = 23 }; X } \
  { enum { _r_ = 24 }; X } \
  { enum { _r_ = 25 }; X } \
  { enum { _r_ = 26 }; X } \
  { enum { _r_ = 27 }; X } \
  { enum { _r_ = 28 }; X } \
  { enum { _r_ = 29 }; X } \
  { enum { _r_ = 30 }; X } \
  { enum { _r_ = 31 }; X }
#define TFK_S_(x) #x
#define TFK_S(x) TFK_S_(x)

#define TFK_MK22_I16(WS)                                                       \
  "ldrd %[t0], %[t1], [%[x]], #8\n\t"                                          \
  "ldrd %[t4], %[t5], [%[w], #8]\n\t"                                          \
  "ldrd %[t2], %[t3], [%[w]], #" TFK_S(WS) "\n\t"                             \
  "smlad %[a00], %[t0], %[t2], %[a00]\n\t"                                     \
  "smlad %[a00], %[t1], %[t3], %[a00]\n\t"                                     \
  "smlad %[a01], %[t0], %[t4], %[a01]\n\t"                                     \
  "smlad %[a01], %[t1], %[t5], %[a01]\n\t"                                     \
  "ldrd %[t0], %[t1], [%[x]], #8\n\t"                                          \
  "smlad %[a10], %[t0], %[t2], %[a10]\n\t"                                     \
  "smlad %[a10], %[t1], %[t3], %[a10]\n\t"                                     \
  "smlad %[a11], %[t0], %[t4], %[a11]\n\t"                                     \
  "smlad %[a11], %[t1], %[t5], %[a11]\n\t"

#define TFK_MK22_I8(WS)                                                        \
  "ldrd %[t2], %[t3], [%[w]], #" TFK_S(WS) "\n\t"                             \
  "sxtb16 %[t4], %[t2], ror #8\n\t"                                            \
  "sxtb16 %[t2], %[t2]\n\t"                                                    \
  "sxtb16 %[t5], %[t3], ror #8\n\t"                                            \
  "sxtb16 %[t3], %[t3]\n\t"                                                    \
  "ldrd %[t0], %[t1], [%[x]], #8\n\t"                                          \
  "smlad %[a00], %[t0], %[t2], %[a00]\n\t"                                     \
  "smlad %[a00], %[t1], %[t4], %[a00]\n\t"                                     \
  "smlad %[a01], %[t0], %[t3], %[a01]\n\t"                                     \
  "smlad %[a01], %[t1], %[t5], %[a01]\n\t"                                     \
  "ldrd %[t0], %[t1], [%[x]], #8\n\t"                                          \
  "smlad %[a10], %[t0], %[t2], %[a10]\n\t"                                     \
  "smlad %[a10], %[t1], %[t4], %[a10]\n\t"                                     \
  "smlad %[a11], %[t0], %[t3], %[a11]\n\t"                                     \
  "smlad %[a11], %[t1], %[t5], %[a11]\n\t"

#define TFK_MK22_OPS                                                           \
  : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),        \
    [x] "+r"(x), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),  \
    [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)

#define TFK_MK22_OPS_N                                                         \
  : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),        \
    [x] "+r"(x), [w] "+r"(w), [n] "+r"(n), [t0] "=&r"(t0), [t1] "=&r"(t1),     \
    [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)

/* 2 slots x 2 rows over G groups; WS = weight group stride in bytes.
 * Returns via acc[4] = {a00, a01, a10, a11}. */
#define TFK_DEF_MK22(NAME, BODY, WS)                                           \
  TFK_INLINE void NAME(const int32_t *x, const int32_t *w, int32_t G,          \
                       int32_t acc[4]) {                                       \
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];            \
    int32_t t0, t1, t2, t3, t4, t5;                                            \
    if (G <= TFK_FULL_UNROLL_G) {                                              \
      TFK_REP32(if (G > _r_)                                                   \
        __asm__ volatile(BODY(WS) TFK_MK22_OPS : : "memory");)                 \
    } else {                                                                   \
    for (int32_t r = 0; r < (G & 3); ++r)                                      \
      __asm__ volatile(BODY(WS) TFK_MK22_OPS : : "memory");                    \
    if (G >> 2) {                                                              \
      int32_t n = G >> 2;                                                      \
      __asm__ volatile("1:\n\t" BODY(WS) BODY(WS) BODY(WS) BODY(WS)             \
                       "subs %[n], %[n], #1\n\t"                               \
                       "bne 1b\n\t" TFK_MK22_OPS_N : : "memory", "cc");        \
    }                                                                          \
    }                                                                          \
    acc[0] = a00;                                                              \
    acc[1] = a01;                                                              \
    acc[2] = a10;                                                              \
    acc[3] = a11;                                                              \
  }

#ifndef TFK_NO_ASM
TFK_DEF_MK22(tfk__mk22_i16_w16, TFK_MK22_I16, 16)
TFK_DEF_MK22(tfk__mk22_i16_w32, TFK_MK22_I16, 32)
TFK_DEF_MK22(tfk__mk22_i8_w8, TFK_MK22_I8, 8)
TFK_DEF_MK22(tfk__mk22_i8_w16, TFK_MK22_I8, 16)
#endif

/* plain C version; the INT16/INT8 weight formats as above */
TFK_INLINE void tfk__mk22_c(const int32_t *x, const int32_t *w, int32_t G,
                            int32_t i16, int32_t ws_words, int32_t acc[4]) {
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
}

/* Dispatch on (i16, weight stride); all constant after inlining. */
TFK_INLINE void tfk__mk22(const int32_t *x, const int32_t *w, int32_t G,
                          int32_t i16, int32_t ws_bytes, int32_t acc[4]) {
#ifndef TFK_NO_ASM
  if (i16 && ws_bytes == 16)
    tfk__mk22_i16_w16(x, w, G, acc);
  else if (i16 && ws_bytes == 32)
    tfk__mk22_i16_w32(x, w, G, acc);
  else if (!i16 && ws_bytes == 8)
    tfk__mk22_i8_w8(x, w, G, acc);
  else if (!i16 && ws_bytes == 16)
    tfk__mk22_i8_w16(x, w, G, acc);
  else
#endif
    tfk__mk22_c(x, w, G, i16, ws_bytes / 4, acc);
}

/* 1 slot x 4 rows: X = plain int16 token (8 bytes per group), W = 4 rows
 * of a group consecutive (int16: 8 bytes per row, int8: 4 bytes per row). */
#define TFK_MK41_I16                                                           \
  "ldrd %[t0], %[t1], [%[x]], #8\n\t"                                          \
  "ldrd %[t2], %[t3], [%[w]], #8\n\t"                                          \
  "smlad %[a0], %[t0], %[t2], %[a0]\n\t"                                       \
  "smlad %[a0], %[t1], %[t3], %[a0]\n\t"                                       \
  "ldrd %[t2], %[t3], [%[w]], #8\n\t"                                          \
  "smlad %[a1], %[t0], %[t2], %[a1]\n\t"                                       \
  "smlad %[a1], %[t1], %[t3], %[a1]\n\t"                                       \
  "ldrd %[t2], %[t3], [%[w]], #8\n\t"                                          \
  "smlad %[a2], %[t0], %[t2], %[a2]\n\t"                                       \
  "smlad %[a2], %[t1], %[t3], %[a2]\n\t"                                       \
  "ldrd %[t2], %[t3], [%[w]], #8\n\t"                                          \
  "smlad %[a3], %[t0], %[t2], %[a3]\n\t"                                       \
  "smlad %[a3], %[t1], %[t3], %[a3]\n\t"
#define TFK_MK41_I8                                                            \
  "ldrd %[t0], %[t1], [%[x]], #8\n\t"                                          \
  "ldrd %[t2], %[t3], [%[w]], #8\n\t"                                          \
  "sxtb16 %[t4], %[t2]\n\t"                                                    \
  "sxtb16 %[t2], %[t2], ror #8\n\t"                                            \
  "smlad %[a0], %[t0], %[t4], %[a0]\n\t"                                       \
  "smlad %[a0], %[t1], %[t2], %[a0]\n\t"                                       \
  "sxtb16 %[t4], %[t3]\n\t"                                                    \
  "sxtb16 %[t3], %[t3], ror #8\n\t"                                            \
  "smlad %[a1], %[t0], %[t4], %[a1]\n\t"                                       \
  "smlad %[a1], %[t1], %[t3], %[a1]\n\t"                                       \
  "ldrd %[t2], %[t3], [%[w]], #8\n\t"                                          \
  "sxtb16 %[t4], %[t2]\n\t"                                                    \
  "sxtb16 %[t2], %[t2], ror #8\n\t"                                            \
  "smlad %[a2], %[t0], %[t4], %[a2]\n\t"                                       \
  "smlad %[a2], %[t1], %[t2], %[a2]\n\t"                                       \
  "sxtb16 %[t4], %[t3]\n\t"                                                    \
  "sxtb16 %[t3], %[t3], ror #8\n\t"                                            \
  "smlad %[a3], %[t0], %[t4], %[a3]\n\t"                                       \
  "smlad %[a3], %[t1], %[t3], %[a3]\n\t"
#define TFK_MK41_OPS                                                           \
  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x),     \
      [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),             \
      [t3] "=&r"(t3), [t4] "=&r"(t4)

#define TFK_DEF_MK41(NAME, BODY)                                               \
  TFK_INLINE void NAME(const int32_t *x, const int32_t *w, int32_t G,          \
                       int32_t acc[4]) {                                       \
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];                \
    int32_t t0, t1, t2, t3, t4;                                                \
    for (int32_t r = 0; r < (G & 1); ++r)                                      \
      __asm__ volatile(BODY : TFK_MK41_OPS : : "memory");                      \
    if (G >> 1) {                                                              \
      int32_t n = G >> 1;                                                      \
      __asm__ volatile("1:\n\t" BODY BODY "subs %[n], %[n], #1\n\t"            \
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
 * conv2d: im2col of two output pixels into int16 (SMLAD order, padded taps
 * = in_zp, the input offset being folded in the bias), then a 2x2 register
 * block (2 pixels x 2 output channels) of SMLAD over K4.
 * ========================================================================= */

/* im2col of one output pixel into slot `slot` (0/1) of the interleaved
 * buffer: group g of 4 reduction elements = int16 [8g + 4*slot, +4), SMLAD
 * order. */
TFK_INLINE void tfk__im2col(int16_t *colbuf, int32_t slot, const int8_t *in,
                            int32_t y, int32_t x, int32_t in_h, int32_t in_w,
                            int32_t in_c, int32_t k_h, int32_t k_w,
                            int32_t stride_h, int32_t stride_w, int32_t pad_t,
                            int32_t pad_l, int32_t in_zp) {
  const int32_t iy0 = y * stride_h - pad_t, ix0 = x * stride_w - pad_l;
  int16_t *col = colbuf + 4 * slot;
  if ((in_c & 3) == 0) {
    const uint32_t zpw = ((uint32_t)(uint16_t)(int16_t)in_zp) * 0x10001u;
    int32_t *dst = (int32_t *)col;
    for (int32_t i = 0; i < k_h; ++i) {
      const int32_t iy = iy0 + i;
      const int rin = iy >= 0 && iy < in_h;
      for (int32_t j = 0; j < k_w; ++j) {
        const int32_t ix = ix0 + j;
        if (rin && ix >= 0 && ix < in_w) {
          const int8_t *src = in + (iy * in_w + ix) * in_c;
          for (int32_t c = 0; c < in_c; c += 4) {
            const int32_t v = tfk__ld32(src + c);
            dst[0] = __sxtb16(v);
            dst[1] = __sxtb16(__ror(v, 8));
            dst += 4;
          }
        } else {
          for (int32_t c = 0; c < in_c; c += 4) {
            dst[0] = (int32_t)zpw;
            dst[1] = (int32_t)zpw;
            dst += 4;
          }
        }
      }
    }
  } else {
    const int32_t K = k_h * k_w * in_c, K4 = tfk_l_k4(K);
    int32_t k = 0;
#define TFK_COLIDX(k) ((((k) >> 2) << 3) | (tfk_l_pos(k) & 3))
    for (int32_t i = 0; i < k_h; ++i) {
      const int32_t iy = iy0 + i;
      const int rin = iy >= 0 && iy < in_h;
      for (int32_t j = 0; j < k_w; ++j) {
        const int32_t ix = ix0 + j;
        if (rin && ix >= 0 && ix < in_w) {
          const int8_t *src = in + (iy * in_w + ix) * in_c;
          for (int32_t c = 0; c < in_c; ++c, ++k)
            col[TFK_COLIDX(k)] = src[c];
        } else {
          for (int32_t c = 0; c < in_c; ++c, ++k)
            col[TFK_COLIDX(k)] = (int16_t)in_zp;
        }
      }
    }
    for (; k < K4; ++k)
      col[TFK_COLIDX(k)] = 0;
#undef TFK_COLIDX
  }
}

TFK_INLINE void tfk__store2x2(int8_t *o0, int8_t *o1, int32_t oc, int32_t out_c,
                              int32_t has1, const int32_t *tab,
                              const int32_t *mult, const int32_t *shift,
                              int32_t out_zp, int32_t act_min, int32_t act_max,
                              int32_t a00, int32_t a01, int32_t a10,
                              int32_t a11) {
  /* a<slot><channel> */
  tfk__rq_store(tab + 3 * oc, mult[oc], shift[oc], out_zp, act_min, act_max,
                o0 + oc, a00, o1 + oc, a10, has1);
  if (oc + 1 < out_c)
    tfk__rq_store(tab + 3 * oc + 3, mult[oc + 1], shift[oc + 1], out_zp,
                  act_min, act_max, o0 + oc + 1, a01, o1 + oc + 1, a11, has1);
}

void tfk_conv2d_s8(const int8_t *in, int8_t *out, const void *packed,
                   const int32_t *mult, const int32_t *shift, void *scratch,
                   int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h,
                   int32_t out_w, int32_t out_c, int32_t k_h, int32_t k_w,
                   int32_t stride_h, int32_t stride_w, int32_t pad_t,
                   int32_t pad_l, int32_t in_zp, int32_t out_zp,
                   int32_t act_min, int32_t act_max, int32_t variant) {
  const int32_t K = k_h * k_w * in_c, K4 = tfk_l_k4(K), G = K4 / 4;
  const int32_t OC2 = tfk_l_conv_oc2(out_c);
  const int32_t *bias = (const int32_t *)packed;
  const int32_t *wbase = bias + OC2;
  int16_t *col = (int16_t *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
  int32_t *tab = (int32_t *)(col + 2 * K4);
  tfk__rq_table(tab, mult, shift, out_c, out_zp);
  const int32_t npix = out_h * out_w;
  int32_t y = 0, x = 0;
  for (int32_t p = 0; p < npix; p += 2) {
    const int32_t has1 = p + 1 < npix;
    int32_t y1 = y, x1 = x + 1;
    if (x1 == out_w) {
      x1 = 0;
      y1 = y + 1;
    }
    tfk__im2col(col, 0, in, y, x, in_h, in_w, in_c, k_h, k_w, stride_h,
                stride_w, pad_t, pad_l, in_zp);
    if (has1)
      tfk__im2col(col, 1, in, y1, x1, in_h, in_w, in_c, k_h, k_w, stride_h,
                  stride_w, pad_t, pad_l, in_zp);
    int8_t *o0 = out + p * out_c, *o1 = o0 + out_c;
    const int32_t *w = wbase;
    for (int32_t oc = 0; oc < OC2; oc += 2) {
      int32_t a00 = bias[oc], a01 = bias[oc + 1];
      int32_t a10 = a00, a11 = a01;
      int32_t acc[4] = {a00, a01, a10, a11};
      tfk__mk22((const int32_t *)col, w, G, variant == TFK_W_INT16,
                variant == TFK_W_INT16 ? 16 : 8, acc);
      w += G * (variant == TFK_W_INT16 ? 4 : 2);
      a00 = acc[0];
      a01 = acc[1];
      a10 = acc[2];
      a11 = acc[3];
      tfk__store2x2(o0, o1, oc, out_c, has1, tab, mult, shift, out_zp,
                    act_min, act_max, a00, a01, a10, a11);
    }
    x += 2;
    while (x >= out_w) {
      x -= out_w;
      ++y;
    }
  }
}

/* ===========================================================================
 * depthwise conv2d
 * Planar path (k <= 8, stride_w 1 or 2): per channel, gather a band of the
 * channel's input rows into an int16 plane (padding = in_zp), then slide
 * along x in blocks of 4 output pixels with SMLAD on pixel pairs (U / V
 * weight words, see tfk_pack.c). Other shapes: direct loop.
 * ========================================================================= */

TFK_INLINE void tfk__dw_row_s1(const int32_t *pr, const int32_t *wr, int32_t k_w,
                               int32_t acc[4]) {
  /* outputs x..x+3 (x even), pr = plane row at x; words P_0..P_{NV+1} */
  const int32_t NU = (k_w + 1) / 2, NV = k_w / 2;
  int32_t P[TFK_L_DW_KMAX / 2 + 2];
  for (int32_t q = 0; q < NV + 2; ++q)
    P[q] = pr[q];
  for (int32_t b = 0; b < 2; ++b) {
    int32_t a0 = acc[2 * b], a1 = acc[2 * b + 1];
    for (int32_t q = 0; q < NU; ++q)
      a0 = __smlad(P[b + q], wr[q], a0);
    a1 = __smlatb(P[b], wr[0], a1);
    for (int32_t q = 1; q <= NV; ++q)
      a1 = __smlad(P[b + q], wr[NU + q - 1], a1);
    acc[2 * b] = a0;
    acc[2 * b + 1] = a1;
  }
}

TFK_INLINE void tfk__dw_row_s2(const int32_t *pr, const int32_t *wr, int32_t k_w,
                               int32_t acc[4]) {
  /* outputs x..x+3, pr = plane row at 2x; words P_0..P_{NU+2} */
  const int32_t NU = (k_w + 1) / 2;
  int32_t P[TFK_L_DW_KMAX / 2 + 3];
  for (int32_t q = 0; q < NU + 3; ++q)
    P[q] = pr[q];
  for (int32_t b = 0; b < 4; ++b) {
    int32_t a = acc[b];
    for (int32_t q = 0; q < NU; ++q)
      a = __smlad(P[b + q], wr[q], a);
    acc[b] = a;
  }
}

TFK_INLINE void tfk__dw_channel_rows(
    const int16_t *plane, int32_t pwr, const int32_t *rec, int8_t *outc,
    int32_t out_w, int32_t c, int32_t nrows, int32_t k_h, int32_t k_w,
    int32_t stride_h, int32_t stride_w, const tfk__rq_t *rq, int fast,
    int32_t act_min, int32_t act_max) {
  const int32_t bias = rec[0];
  for (int32_t yo = 0; yo < nrows; ++yo) {
    int8_t *orow = outc + yo * out_w * c;
    for (int32_t x = 0; x < out_w; x += 4) {
      int32_t acc[4] = {bias, bias, bias, bias};
      const int32_t *wr = rec + 1;
      /* keep the weights in the blob: hoisting them spills registers */
      __asm__("" : "+r"(wr));
      for (int32_t i = 0; i < k_h; ++i) {
        const int16_t *row = plane + (yo * stride_h + i) * pwr;
        if (stride_w == 1)
          tfk__dw_row_s1((const int32_t *)(row + x), wr, k_w, acc);
        else
          tfk__dw_row_s2((const int32_t *)(row + 2 * x), wr, k_w, acc);
        wr += k_w;
      }
      int8_t *o = orow + x * c;
      for (int32_t b = 0; b < 4; ++b)
        if (x + b < out_w)
          o[b * c] = (int8_t)tfk__clamp(tfk__rq(rq, acc[b], fast), act_min,
                                        act_max);
    }
  }
}

void tfk_depthwise_conv2d_s8(const int8_t *in, int8_t *out, const void *packed,
                             const int32_t *mult, const int32_t *shift,
                             void *scratch, int32_t in_h, int32_t in_w,
                             int32_t c, int32_t out_h, int32_t out_w,
                             int32_t k_h, int32_t k_w, int32_t stride_h,
                             int32_t stride_w, int32_t pad_t, int32_t pad_l,
                             int32_t in_zp, int32_t out_zp, int32_t act_min,
                             int32_t act_max, int32_t variant) {
  const int32_t R = 1 + k_h * k_w;
  const int32_t *blob = (const int32_t *)packed;
  (void)variant;
  if (tfk_l_dw_planar(k_h, k_w, stride_w)) {
    const int32_t pwr = tfk_l_dw_pwr(out_w, k_w, stride_w);
    const int32_t band =
        tfk_l_dw_band(out_h, out_w, k_h, k_w, stride_h, stride_w);
    int16_t *plane = (int16_t *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
    for (int32_t ch = 0; ch < c; ++ch) {
      const int32_t *rec = blob + ch * R;
      const tfk__rq_t rq = tfk__rq_prep(mult[ch], shift[ch], out_zp);
      for (int32_t yb = 0; yb < out_h; yb += band) {
        const int32_t nb = out_h - yb < band ? out_h - yb : band;
        const int32_t rows = tfk_l_dw_plane_rows(nb, k_h, stride_h);
        /* gather */
        for (int32_t r = 0; r < rows; ++r) {
          const int32_t iy = yb * stride_h - pad_t + r;
          int16_t *prow = plane + r * pwr;
          if (iy >= 0 && iy < in_h) {
            const int8_t *src = in + iy * in_w * c + ch;
            for (int32_t cx = 0; cx < pwr; ++cx) {
              const int32_t ix = cx - pad_l;
              prow[cx] = (ix >= 0 && ix < in_w) ? src[ix * c] : (int16_t)in_zp;
            }
          } else {
            for (int32_t cx = 0; cx < pwr; ++cx)
              prow[cx] = (int16_t)in_zp;
          }
        }
        int8_t *outc = out + yb * out_w * c + ch;
        if (rq.fast)
          tfk__dw_channel_rows(plane, pwr, rec, outc, out_w, c, nb, k_h, k_w,
                               stride_h, stride_w, &rq, 1, act_min, act_max);
        else
          tfk__dw_channel_rows(plane, pwr, rec, outc, out_w, c, nb, k_h, k_w,
                               stride_h, stride_w, &rq, 0, act_min, act_max);
      }
    }
    return;
  }
  /* direct path */
  for (int32_t y = 0; y < out_h; ++y)
    for (int32_t x = 0; x < out_w; ++x)
      for (int32_t ch = 0; ch < c; ++ch) {
        const int32_t *rec = blob + ch * R;
        int32_t acc = rec[0];
        const int16_t *w16 = (const int16_t *)(rec + 1);
        const int32_t NU = (k_w + 1) / 2;
        for (int32_t i = 0; i < k_h; ++i) {
          const int32_t iy = y * stride_h - pad_t + i;
          for (int32_t j = 0; j < k_w; ++j) {
            const int32_t ix = x * stride_w - pad_l + j;
            const int32_t wv = w16[i * 2 * k_w + j]; /* U words are first */
            int32_t v = in_zp;
            if (iy >= 0 && iy < in_h && ix >= 0 && ix < in_w)
              v = in[(iy * in_w + ix) * c + ch];
            acc += v * wv;
          }
          (void)NU;
        }
        const tfk__rq_t rq = tfk__rq_prep(mult[ch], shift[ch], out_zp);
        out[(y * out_w + x) * c + ch] =
            (int8_t)tfk__clamp(tfk__rq(&rq, acc, 0), act_min, act_max);
      }
}

/* ===========================================================================
 * fully connected: tokens converted to int16 (SMLAD order); one token:
 * 4 rows x 1 token blocks; several tokens: 2 rows x 2 tokens blocks.
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

/* ===========================================================================
 * elementwise / pooling / data movement
 * ========================================================================= */

void tfk_add_s8(const int8_t *a, const int8_t *b, int8_t *out, int32_t n,
                int32_t a_zp, int32_t a_mult, int32_t a_shift, int32_t b_zp,
                int32_t b_mult, int32_t b_shift, int32_t left_shift,
                int32_t out_mult, int32_t out_shift, int32_t out_zp,
                int32_t act_min, int32_t act_max) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t xa = (int32_t)((uint32_t)(a[i] - a_zp) << left_shift);
    const int32_t xb = (int32_t)((uint32_t)(b[i] - b_zp) << left_shift);
    const int32_t sa = tfk__mbqm(xa, a_mult, a_shift);
    const int32_t sb = tfk__mbqm(xb, b_mult, b_shift);
    const int32_t r = out_zp + tfk__mbqm(sa + sb, out_mult, out_shift);
    out[i] = (int8_t)tfk__clamp(r, act_min, act_max);
  }
}

void tfk_max_pool_s8(const int8_t *in, int8_t *out, int32_t in_h, int32_t in_w,
                     int32_t c, int32_t out_h, int32_t out_w, int32_t k_h,
                     int32_t k_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_t, int32_t pad_l, int32_t act_min,
                     int32_t act_max) {
  for (int32_t y = 0; y < out_h; ++y) {
    const int32_t iy0 = y * stride_h - pad_t;
    const int32_t i0 = iy0 < 0 ? -iy0 : 0;
    const int32_t i1 = in_h - iy0 < k_h ? in_h - iy0 : k_h;
    for (int32_t x = 0; x < out_w; ++x) {
      const int32_t ix0 = x * stride_w - pad_l;
      const int32_t j0 = ix0 < 0 ? -ix0 : 0;
      const int32_t j1 = in_w - ix0 < k_w ? in_w - ix0 : k_w;
      int8_t *o = out + (y * out_w + x) * c;
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t m = -128;
        for (int32_t i = i0; i < i1; ++i)
          for (int32_t j = j0; j < j1; ++j) {
            const int32_t v = in[((iy0 + i) * in_w + ix0 + j) * c + ch];
            m = v > m ? v : m;
          }
        m = m < act_min ? act_min : m;
        m = m > act_max ? act_max : m;
        o[ch] = (int8_t)m;
      }
    }
  }
}

void tfk_avg_pool_s8(const int8_t *in, int8_t *out, const int32_t *mult,
                     const int32_t *shift, int32_t in_h, int32_t in_w,
                     int32_t c, int32_t out_h, int32_t out_w, int32_t k_h,
                     int32_t k_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_t, int32_t pad_l, int32_t count_include_pad,
                     int32_t in_zp, int32_t out_zp, int32_t act_min,
                     int32_t act_max) {
  for (int32_t y = 0; y < out_h; ++y) {
    const int32_t iy0 = y * stride_h - pad_t;
    const int32_t i0 = iy0 < 0 ? -iy0 : 0;
    const int32_t i1 = in_h - iy0 < k_h ? in_h - iy0 : k_h;
    for (int32_t x = 0; x < out_w; ++x) {
      const int32_t ix0 = x * stride_w - pad_l;
      const int32_t j0 = ix0 < 0 ? -ix0 : 0;
      const int32_t j1 = in_w - ix0 < k_w ? in_w - ix0 : k_w;
      int32_t cnt = (i1 > i0 && j1 > j0) ? (i1 - i0) * (j1 - j0) : 0;
      if (count_include_pad)
        cnt = k_h * k_w;
      const int32_t m = mult[cnt], s = shift[cnt];
      int8_t *o = out + (y * out_w + x) * c;
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t acc = 0;
        for (int32_t i = i0; i < i1; ++i)
          for (int32_t j = j0; j < j1; ++j)
            acc += in[((iy0 + i) * in_w + ix0 + j) * c + ch] - in_zp;
        o[ch] = (int8_t)tfk__clamp(out_zp + tfk__mbqm(acc, m, s), act_min,
                                   act_max);
      }
    }
  }
}

void tfk_requantize_s8(const int8_t *in, int8_t *out, int32_t n, int32_t in_zp,
                       int32_t mult, int32_t shift, int32_t out_zp,
                       int32_t act_min, int32_t act_max) {
  const tfk__rq_t r = tfk__rq_prep(mult, shift, out_zp);
  if (r.fast) {
    for (int32_t i = 0; i < n; ++i)
      out[i] = (int8_t)tfk__clamp(tfk__rq(&r, in[i] - in_zp, 1), act_min,
                                  act_max);
  } else {
    for (int32_t i = 0; i < n; ++i)
      out[i] = (int8_t)tfk__clamp(out_zp + tfk__mbqm(in[i] - in_zp, mult, shift),
                                  act_min, act_max);
  }
}

void tfk_transpose_s8(const int8_t *in, int8_t *out, int32_t d0, int32_t d1,
                      int32_t d2, int32_t d3, int32_t p0, int32_t p1,
                      int32_t p2, int32_t p3) {
  const int32_t d[4] = {d0, d1, d2, d3};
  const int32_t st[4] = {d1 * d2 * d3, d2 * d3, d3, 1};
  const int32_t n0 = d[p0], n1 = d[p1], n2 = d[p2], n3 = d[p3];
  const int32_t s0 = st[p0], s1 = st[p1], s2 = st[p2], s3 = st[p3];
  int8_t *o = out;
  for (int32_t i0 = 0; i0 < n0; ++i0)
    for (int32_t i1 = 0; i1 < n1; ++i1)
      for (int32_t i2 = 0; i2 < n2; ++i2) {
        const int8_t *src = in + i0 * s0 + i1 * s1 + i2 * s2;
        if (s3 == 1) {
          for (int32_t i3 = 0; i3 < n3; ++i3)
            *o++ = src[i3];
        } else {
          for (int32_t i3 = 0; i3 < n3; ++i3)
            *o++ = src[i3 * s3];
        }
      }
}

void tfk_softmax_s8(const int8_t *in, int8_t *out, const int32_t *exp_table,
                    int32_t rows, int32_t cols, int32_t out_mult,
                    int32_t out_shift, int32_t out_zp) {
  const tfk__rq_t r = tfk__rq_prep(out_mult, out_shift, out_zp);
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

/* ===========================================================================
 * Transformer kernels.
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

TFK_INLINE void tfk__st32(void *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }

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

/* Keep a value in a register as LLVM cannot see through this: a constant
 * multiplier would otherwise turn the SMMULR of the fast form into a 64-bit
 * multiply-by-constant expansion (~12 instructions), and a constant offset
 * beyond the 4 KiB immediate range into one spilled address per store. */
#define TFK_OPAQUE(v) __asm__("" : "+r"(v))

/* Requantized value + zero point with one per-tensor multiplier (before
 * the clamp); q->fast folds at every inlined call. */
TFK_INLINE int32_t tfk__rqv(const tfk__rq_t *q, int32_t acc) {
  if (q->fast) {
    int32_t m2 = q->m2;
    TFK_OPAQUE(m2);
    return tfk__rq_fast(acc, m2, q->hz, q->e);
  }
  return q->zp + tfk__mbqm(acc, q->m, q->shift);
}
/* Requantize a 2x2 block (value + zero point, before the clamp) with
 * {2*mult, hz} read from memory at mh once per block: one LDRD in the hot
 * loops instead of reloads and MOVW/MOVT pairs under register pressure. */
TFK_INLINE void tfk__rq22(const tfk__rq_t *q, const int32_t *mh,
                          const int32_t acc[4], int32_t v[4]) {
  if (q->fast) {
    const int32_t m2 = mh[0], hz = mh[1];
    for (int32_t i = 0; i < 4; ++i)
      v[i] = tfk__rq_fast(acc[i], m2, hz, q->e);
  } else {
    for (int32_t i = 0; i < 4; ++i)
      v[i] = q->zp + tfk__mbqm(acc[i], q->m, q->shift);
  }
}

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
  const tfk__rq_t q = tfk__rq_prep(mult, shift, out_zp);
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

/* ---- table lookup -------------------------------------------------------- */

/* 4 lookups per word, indexing table + 128 with the sign-extended bytes
 * (SXTB with rotation, ASR for the top one). */
void tfk_lut_s8(const int8_t *in, int8_t *out, const int8_t *table,
                int32_t n) {
  const uint8_t *t = (const uint8_t *)table + 128;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int32_t w = tfk__ld32(in + i);
    tfk__st32(out + i, (uint32_t)t[(int8_t)w] |
                           ((uint32_t)t[(int8_t)(w >> 8)] << 8) |
                           ((uint32_t)t[(int8_t)(w >> 16)] << 16) |
                           ((uint32_t)t[w >> 24] << 24));
  }
  for (; i < n; ++i)
    out[i] = (int8_t)t[in[i]];
}

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

/* One head: blocks of R query rows; per row pair Q.K^T -> scores (2 rows,
 * int8) -> softmax into the block's probability tile; then P.V for the
 * block's row pairs into ctx (= out + h*P, row stride E). */
TFK_INLINE void tfk__mhsa_head(const int8_t *qh, int32_t qld,
                               const int16_t *kh, const int16_t *vth,
                               int8_t *ctx, int32_t S, int32_t E, int32_t D,
                               int32_t P, int32_t R, int16_t *qx, int8_t *sc,
                               int16_t *pr, const int32_t *tab, int32_t q_zp,
                               const tfk__rq_t *qs, const tfk__rq_t *qp,
                               const tfk__rq_t *qc) {
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
        tfk__rq22(qs, smh, acc, v);
        sc[j] = (int8_t)__ssat(v[0], 8);
        sc[j + 1] = (int8_t)__ssat(v[1], 8);
        sc[S4 + j] = (int8_t)__ssat(v[2], 8);
        sc[S4 + j + 1] = (int8_t)__ssat(v[3], 8);
      }
      int16_t *pp = pr + (r >> 1) * GS * 8;
      tfk__sm_row(sc, pp, S, tab, qp);
      if (has1)
        tfk__sm_row(sc + S4, pp + 4, S, tab, qp);
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

void tfk_mhsa_s8(const int8_t *x, int8_t *out, const void *packed,
                 const int32_t *rq, const int32_t *exp_table, void *scratch,
                 int32_t S, int32_t E, int32_t H, int32_t heads_per_step,
                 int32_t rows_per_step, int32_t fused_qk, int32_t x_zp,
                 int32_t q_zp, int32_t k_zp, int32_t v_zp, int32_t s_zp,
                 int32_t s_mult, int32_t s_shift, int32_t p_mult,
                 int32_t p_shift, int32_t c_zp, int32_t c_mult,
                 int32_t c_shift, int32_t out_zp, int32_t act_min,
                 int32_t act_max, int32_t variant) {
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
  const int32_t *mq = rq, *sq = rq + H * D;
  const int32_t *mk = rq + 2 * H * D, *sk = mk + E;
  const int32_t *mv = mk + (fused_qk ? 0 : 2 * E), *sv = mv + E;
  const int32_t *mo = mv + 2 * E, *so = mo + E;
  const tfk__rq_t qs = tfk__rq_prep(s_mult, s_shift, s_zp);
  const tfk__rq_t qp = tfk__rq_prep(p_mult, p_shift, 0);
  const tfk__rq_t qc = tfk__rq_prep(c_mult, c_shift, c_zp);
  if (fused_qk) /* K = x for every head: convert once */
    for (int32_t j = 0; j < S; ++j)
      tfk__to_s16_zp(k16 + (j >> 1) * GD * 8 + (j & 1) * 4, x + j * E, E, 8,
                     x_zp);
  for (int32_t g = 0; g < H / hs; ++g) {
    const char *pg = (const char *)packed + g * gbytes;
    /* K and V land in q8 first (free until Q), then go to int16 */
    if (!fused_qk) {
      tfk_fully_connected_s8(x, q8, pg + bq, mk + g * nkv, sk + g * nkv, fcs,
                             S, E, nkv, x_zp, k_zp, -128, 127, variant);
      for (int32_t h = 0; h < hs; ++h)
        for (int32_t j = 0; j < S; ++j)
          tfk__to_s16_zp(k16 + h * S2 * D4 + (j >> 1) * GD * 8 + (j & 1) * 4,
                         q8 + j * nkv + h * P, P, 8, k_zp);
    }
    tfk_fully_connected_s8(x, q8, pg + gbytes - bkv, mv + g * nkv,
                           sv + g * nkv, fcs, S, E, nkv, x_zp, v_zp, -128, 127,
                           variant);
    for (int32_t h = 0; h < hs; ++h)
      tfk__tr16(vt + h * P2 * S4, q8 + h * P, nkv, S, P, v_zp);
    tfk_fully_connected_s8(x, q8, pg, mq + g * nq, sq + g * nq, fcs, S, E, nq,
                           x_zp, q_zp, -128, 127, variant);
    for (int32_t h = 0; h < hs; ++h)
      tfk__mhsa_head(q8 + h * D, nq, fused_qk ? k16 : k16 + h * S2 * D4,
                     vt + h * P2 * S4, out + (g * hs + h) * P, S, E, D, P, R,
                     qx, sc, pr, exp_table, q_zp, &qs, &qp, &qc);
  }
  /* output projection in place: the FC kernel converts each token pair to
   * int16 before writing that pair's outputs */
  tfk_fully_connected_s8(out, out, (const char *)packed + (H / hs) * gbytes,
                         mo, so, fcs, S, E, E, c_zp, out_zp, act_min, act_max,
                         variant);
}
