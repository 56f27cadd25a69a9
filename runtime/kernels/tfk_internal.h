/*===- tfk_internal.h - shared helpers of the INT8 kernels --------*- C -*-===//
 *
 * Internal to runtime/kernels: the kernels implement tfk/kernels.h, one
 * translation unit per kernel family (tfk_conv.c, tfk_linear.c, ...), each
 * compiled by clang-19 to thumbv7em bitcode; the bitcode files are linked
 * into one (tfk_kernels.bc) that the compiler inlines with constant shape
 * arguments, so every shape decision is a branch on arguments that folds
 * away after inlining. Every helper here is static inline (always_inline).
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
#ifndef TFK_INTERNAL_H
#define TFK_INTERNAL_H

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

/* Keep a value in a register as LLVM cannot see through this: a constant
 * multiplier would otherwise turn the SMMULR of the fast form into a 64-bit
 * multiply-by-constant expansion (~12 instructions), and a constant offset
 * beyond the 4 KiB immediate range into one spilled address per store. */
#define TFK_OPAQUE(v) __asm__("" : "+r"(v))

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
  r.fast = tfk_l_rq_fast(m, shift);
  r.e = r.fast ? e : 0;
  r.m2 = (int32_t)((uint32_t)m << 1);
  r.hz = r.fast ? (int32_t)((1u << (e - 1)) + ((uint32_t)out_zp << e)) : 0;
  r.m = m;
  r.shift = shift;
  r.zp = out_zp;
  return r;
}

/* tfk__rq_prep for a per-tensor multiplier used in a loop: 2*mult kept a
 * register value, so that each output costs one SMMULR and not the
 * expansion of a multiply by a known constant (6 instructions). */
TFK_INLINE tfk__rq_t tfk__rq_prep_reg(int32_t m, int32_t shift, int32_t out_zp) {
  tfk__rq_t r = tfk__rq_prep(m, shift, out_zp);
  TFK_OPAQUE(r.m2);
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

/* Per output-channel-pair records of the 2x2 kernels (conv2d, fully
 * connected over tokens), built in scratch at the layer's start so that one
 * pointer walks biases and requantization: TFK_RQ_PAIR_WORDS words per pair
 * {bias0, bias1, 2*mult0, hz0, e0, 2*mult1, hz1, e1} (e = 64: the channel
 * needs the exact generic form). A phantom second channel (odd n) gets
 * bias 0 and e = 64; it is never stored. */
enum { TFK_RQ_PAIR_WORDS = 8 };
TFK_INLINE void tfk__rq_pairs(int32_t *rec, const int32_t *bias,
                              const int32_t *mult, const int32_t *shift,
                              int32_t n, int32_t out_zp) {
  for (int32_t i = 0; i < n; ++i) {
    int32_t *r = rec + TFK_RQ_PAIR_WORDS * (i >> 1), *q = r + 2 + 3 * (i & 1);
    const tfk__rq_t p = tfk__rq_prep(mult[i], shift[i], out_zp);
    r[i & 1] = bias[i];
    q[0] = p.m2;
    q[1] = p.hz;
    q[2] = p.fast ? p.e : 64;
  }
  if (n & 1) {
    int32_t *r = rec + TFK_RQ_PAIR_WORDS * (n >> 1);
    r[1] = 0;
    r[5] = r[6] = 0;
    r[7] = 64;
  }
}

TFK_INLINE int32_t tfk__rq_fast(int32_t acc, int32_t m2, int32_t hz,
                                int32_t e) {
  int32_t t = tfk__smmulr(acc, m2) + acc;
  t -= (int32_t)((uint32_t)t >> 31);
  return __qadd(t, hz) >> e;
}

/* Requantize-and-store one channel's outputs at o0 (and o1 if has1); tp =
 * the channel's {2*mult, hz, e}. all_fast (a constant after inlining: the
 * compiler's TFK_RQ_FAST) skips the per-channel test for the generic form. */
TFK_INLINE void tfk__rq_store(const int32_t *tp, int32_t all_fast, int32_t m,
                              int32_t sh, int32_t out_zp, int32_t act_min,
                              int32_t act_max, int8_t *o0, int32_t acc0,
                              int8_t *o1, int32_t acc1, int32_t has1) {
  const int32_t m2 = tp[0], hz = tp[1], e = tp[2];
  if (all_fast || e < 32) {
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

/* A 2x2 block's stores: channels c, c+1 (the second only if has_c1) of the
 * outputs at o0 and o1 (o1 only if has1); acc = {a00, a01, a10, a11}
 * (slot, channel); rec = the pair's record. */
TFK_INLINE void tfk__rq_store22(const int32_t *rec, int32_t all_fast,
                                const int32_t *mult, const int32_t *shift,
                                int32_t c, int32_t has_c1, int32_t out_zp,
                                int32_t act_min, int32_t act_max, int8_t *o0,
                                int8_t *o1, int32_t has1,
                                const int32_t acc[4]) {
  tfk__rq_store(rec + 2, all_fast, mult[c], shift[c], out_zp, act_min,
                act_max, o0, acc[0], o1, acc[2], has1);
  if (has_c1)
    tfk__rq_store(rec + 5, all_fast, mult[c + 1], shift[c + 1], out_zp,
                  act_min, act_max, o0 + 1, acc[1], o1 + 1, acc[3], has1);
}

/* Store counterpart of tfk__ld32. */
TFK_INLINE void tfk__st32(void *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }

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

#endif /* TFK_INTERNAL_H */
