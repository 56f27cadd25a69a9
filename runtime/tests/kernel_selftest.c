/* kernel_selftest.c - bare-metal (QEMU mps2) bit-exactness test of the tfk
 * kernels (runtime/kernels, compiled by clang-19) against naive plain-C
 * references written literally from the formulas in tfk/kernels.h.
 * Packing (runtime/pack/tfk_pack.c) is compiled for the target as well.
 * Exit status 0 only if every configuration matches. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tfk/kernels.h"
#include "tfk/layer_norm.h"
#include "tfk/pack.h"

#ifndef SELFTEST_ITERS
#define SELFTEST_ITERS 300
#endif

/* ---- PRNG --------------------------------------------------------------- */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (uint32_t)(z ^ (z >> 31));
}
static int32_t rint_in(int32_t lo, int32_t hi) { /* inclusive */
  return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}
static double runif(void) { return (rnd() >> 8) * (1.0 / 16777216.0); }
static double rlog(double lo, double hi) {
  return exp(log(lo) + (log(hi) - log(lo)) * runif());
}
static int8_t ri8(void) { return (int8_t)(rnd() & 0xFF); }

/* ---- reference arithmetic (literal from kernels.h) ----------------------- */
static int32_t ref_srdhm(int32_t a, int32_t b) {
  int64_t ab, nudge;
  if (a == INT32_MIN && b == INT32_MIN)
    return INT32_MAX;
  ab = (int64_t)a * b;
  nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / (1LL << 31));
}
static int32_t ref_rdbpot(int32_t x, int32_t e) {
  int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  int32_t rem = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0);
  return (x >> e) + (rem > threshold);
}
static int32_t ref_mbqm(int32_t x, int32_t m, int32_t shift) {
  int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  return ref_rdbpot(ref_srdhm((int32_t)((int64_t)x * (1 << left)), m), right);
}
static int32_t clampi(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* ---- buffers ------------------------------------------------------------- */
#define MAXBUF 65536
static int8_t g_in[MAXBUF], g_in2[MAXBUF], g_w[MAXBUF];
static int8_t g_out[MAXBUF], g_ref[MAXBUF];
static int32_t g_bias[1024], g_mult[1024], g_shift[1024];
static uint64_t g_packed[MAXBUF / 4];
static uint64_t g_scratch[MAXBUF / 8 + 8];
static int32_t g_exp[256];

static int fails, checks;
static int n_conv, n_dw, n_fc, n_add, n_mp, n_ap, n_rq, n_tr, n_sm;

static void rand_bytes(int8_t *p, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    p[i] = ri8();
}
static void rand_quant(int32_t n) {
  /* half the layers only take multipliers of the fast form, so that
   * conv2d's and fc's TFK_RQ_FAST path runs as often as the generic one */
  const int32_t fast_only = rnd() % 2;
  for (int32_t i = 0; i < n; ++i) {
    double real;
    uint32_t r = fast_only ? 2 : rnd() % 16;
    if (r == 0)
      real = 0.0;
    else if (r == 1)
      real = rlog(0.5, 2.0);
    else
      real = rlog(1e-4, 2.0);
    tfk_quantize_multiplier(real, &g_mult[i], &g_shift[i]);
  }
}
static void rand_bias(int32_t n) {
  int32_t big = (rnd() % 8) == 0;
  for (int32_t i = 0; i < n; ++i)
    g_bias[i] = big ? (int32_t)(rnd() % (1u << 31)) - (1 << 30)
                    : rint_in(-40000, 40000);
}
static void rand_act(int32_t out_zp, int32_t *lo, int32_t *hi) {
  uint32_t r = rnd() % 4;
  *lo = -128;
  *hi = 127;
  if (r == 1)
    *lo = out_zp;
  else if (r == 2) {
    *lo = rint_in(-128, 0);
    *hi = rint_in(*lo, 127);
  }
}
static int compare(const char *what, int32_t n, int cfg) {
  ++checks;
  for (int32_t i = 0; i < n; ++i)
    if (g_out[i] != g_ref[i]) {
      if (fails < 20)
        printf("FAIL %s cfg %d at %ld: got %d want %d\n", what, cfg, (long)i,
               g_out[i], g_ref[i]);
      ++fails;
      return 0;
    }
  return 1;
}

/* ---- conv2d -------------------------------------------------------------- */
static void test_conv(int cfg) {
  static const int32_t cs[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 24, 32};
  int32_t in_c = cs[rnd() % 14], out_c = rint_in(1, 19);
  int32_t k_h = rint_in(1, 7), k_w = rnd() % 3 ? k_h : rint_in(1, 7);
  if (rnd() % 3 == 0)
    k_h = k_w = 1 + 2 * (rnd() % 3);
  int32_t sh = rint_in(1, 2), sw = rint_in(1, 2);
  int32_t pt = rint_in(0, 2), pl = rint_in(0, 2), pb = rint_in(0, 2),
          pr = rint_in(0, 2);
  int32_t in_h = rint_in(1, 9), in_w = rint_in(1, 9);
  if (in_h + pt + pb < k_h)
    in_h = k_h;
  if (in_w + pl + pr < k_w)
    in_w = k_w;
  int32_t out_h = (in_h + pt + pb - k_h) / sh + 1;
  int32_t out_w = (in_w + pl + pr - k_w) / sw + 1;
  int32_t in_zp = ri8(), out_zp = ri8(), lo, hi;
  int32_t K = k_h * k_w * in_c;
  if (in_h * in_w * in_c > MAXBUF || out_c * K > MAXBUF ||
      out_h * out_w * out_c > MAXBUF)
    return;
  rand_bytes(g_in, in_h * in_w * in_c);
  rand_bytes(g_w, out_c * K);
  rand_bias(out_c);
  rand_quant(out_c);
  rand_act(out_zp, &lo, &hi);
  for (int32_t y = 0; y < out_h; ++y)
    for (int32_t x = 0; x < out_w; ++x)
      for (int32_t o = 0; o < out_c; ++o) {
        int32_t acc = g_bias[o];
        for (int32_t i = 0; i < k_h; ++i)
          for (int32_t j = 0; j < k_w; ++j) {
            int32_t iy = y * sh - pt + i, ix = x * sw - pl + j;
            if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w)
              continue;
            for (int32_t c = 0; c < in_c; ++c)
              acc += (g_in[(iy * in_w + ix) * in_c + c] - in_zp) *
                     g_w[((o * k_h + i) * k_w + j) * in_c + c];
          }
        g_ref[(y * out_w + x) * out_c + o] = (int8_t)clampi(
            out_zp + ref_mbqm(acc, g_mult[o], g_shift[o]), lo, hi);
      }
  for (int32_t v = 0; v < 2; ++v) {
    size_t pb_ = tfk_conv2d_packed_bytes(in_c, out_c, k_h, k_w, v);
    size_t sb = tfk_conv2d_scratch_bytes(in_h, in_w, in_c, out_h, out_w, out_c,
                                         k_h, k_w, v);
    if (pb_ > sizeof g_packed || sb > sizeof g_scratch)
      continue;
    tfk_pack_conv2d(g_w, g_bias, in_zp, in_c, out_c, k_h, k_w, v, g_packed);
    memset(g_out, 0x5A, (size_t)out_h * out_w * out_c);
    tfk_conv2d_s8(g_in, g_out, g_packed, g_mult, g_shift,
                  (char *)g_scratch + 4 * (rnd() % 2), in_h, in_w, in_c, out_h,
                  out_w, out_c, k_h, k_w, sh, sw, pt, pl, in_zp, out_zp, lo, hi,
                  v | (tfk_rq_all_fast(g_mult, g_shift, out_c) ? TFK_RQ_FAST
                                                               : 0));
    if (!compare(v ? "conv2d/int16" : "conv2d/int8", out_h * out_w * out_c,
                 cfg))
      printf("  conv in %ldx%ldx%ld oc %ld k %ldx%ld s %ld,%ld p %ld,%ld\n",
             (long)in_h, (long)in_w, (long)in_c, (long)out_c, (long)k_h,
             (long)k_w, (long)sh, (long)sw, (long)pt, (long)pl);
  }
  ++n_conv;
}

/* ---- depthwise ----------------------------------------------------------- */
static void test_dw(int cfg) {
  static const int32_t cs[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 24, 32, 64};
  int32_t c = cs[rnd() % 13];
  int32_t k_h = rint_in(1, 7), k_w = rnd() % 3 ? k_h : rint_in(1, 7);
  int32_t sh = rint_in(1, 3), sw = rnd() % 8 ? rint_in(1, 2) : 3;
  int32_t pt = rint_in(0, 2), pl = rint_in(0, 2), pb = rint_in(0, 2),
          pr = rint_in(0, 2);
  int32_t in_h = rint_in(1, 12), in_w = rint_in(1, 12);
  if (rnd() % 10 == 0) {
    in_h = rint_in(20, 40);
    in_w = rint_in(20, 40);
    c = rint_in(1, 5);
  }
  if (in_h + pt + pb < k_h)
    in_h = k_h;
  if (in_w + pl + pr < k_w)
    in_w = k_w;
  int32_t out_h = (in_h + pt + pb - k_h) / sh + 1;
  int32_t out_w = (in_w + pl + pr - k_w) / sw + 1;
  int32_t in_zp = ri8(), out_zp = ri8(), lo, hi;
  if (in_h * in_w * c > MAXBUF || c > 1024)
    return;
  rand_bytes(g_in, in_h * in_w * c);
  rand_bytes(g_w, c * k_h * k_w);
  rand_bias(c);
  rand_quant(c);
  rand_act(out_zp, &lo, &hi);
  for (int32_t y = 0; y < out_h; ++y)
    for (int32_t x = 0; x < out_w; ++x)
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t acc = g_bias[ch];
        for (int32_t i = 0; i < k_h; ++i)
          for (int32_t j = 0; j < k_w; ++j) {
            int32_t iy = y * sh - pt + i, ix = x * sw - pl + j;
            if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w)
              continue;
            acc += (g_in[(iy * in_w + ix) * c + ch] - in_zp) *
                   g_w[(ch * k_h + i) * k_w + j];
          }
        g_ref[(y * out_w + x) * c + ch] = (int8_t)clampi(
            out_zp + ref_mbqm(acc, g_mult[ch], g_shift[ch]), lo, hi);
      }
  for (int32_t v = 0; v < 2; ++v) {
    size_t pb_ = tfk_depthwise_conv2d_packed_bytes(c, k_h, k_w, v);
    size_t sb = tfk_depthwise_conv2d_scratch_bytes(in_h, in_w, c, out_h, out_w,
                                                   k_h, k_w, v);
    if (pb_ > sizeof g_packed || sb > sizeof g_scratch)
      continue;
    tfk_pack_depthwise_conv2d(g_w, g_bias, in_zp, c, k_h, k_w, v, g_packed);
    memset(g_out, 0x5A, (size_t)out_h * out_w * c);
    tfk_depthwise_conv2d_s8(g_in, g_out, g_packed, g_mult, g_shift,
                            sb ? (char *)g_scratch + 4 * (rnd() % 2) : NULL,
                            in_h, in_w, c, out_h, out_w, k_h, k_w, sh, sw, pt,
                            pl, in_zp, out_zp, lo, hi, v);
    if (!compare(v ? "depthwise/int16" : "depthwise/int8", out_h * out_w * c,
                 cfg))
      printf("  dw in %ldx%ldx%ld k %ldx%ld s %ld,%ld p %ld,%ld\n", (long)in_h,
             (long)in_w, (long)c, (long)k_h, (long)k_w, (long)sh, (long)sw,
             (long)pt, (long)pl);
  }
  ++n_dw;
}

/* ---- fully connected ----------------------------------------------------- */
static void test_fc(int cfg) {
  int32_t T = rnd() % 3 == 0 ? 1 : rint_in(1, 9);
  int32_t K = rint_in(1, 80), N = rint_in(1, 40);
  if (rnd() % 4 == 0)
    K = 4 * rint_in(1, 110); /* G = K / 4 past the full unroll (96) */
  int32_t in_zp = ri8(), out_zp = ri8(), lo, hi;
  rand_bytes(g_in, T * K);
  rand_bytes(g_w, N * K);
  rand_bias(N);
  rand_quant(N);
  rand_act(out_zp, &lo, &hi);
  for (int32_t t = 0; t < T; ++t)
    for (int32_t n = 0; n < N; ++n) {
      int32_t acc = g_bias[n];
      for (int32_t k = 0; k < K; ++k)
        acc += (g_in[t * K + k] - in_zp) * g_w[n * K + k];
      g_ref[t * N + n] =
          (int8_t)clampi(out_zp + ref_mbqm(acc, g_mult[n], g_shift[n]), lo, hi);
    }
  for (int32_t v = 0; v < 2; ++v) {
    size_t pb_ = tfk_fully_connected_packed_bytes(K, N, v);
    size_t sb = tfk_fully_connected_scratch_bytes(T, K, N, v);
    if (pb_ > sizeof g_packed || sb > sizeof g_scratch)
      continue;
    tfk_pack_fully_connected(g_w, g_bias, in_zp, K, N, v, g_packed);
    memset(g_out, 0x5A, (size_t)T * N);
    tfk_fully_connected_s8(
        g_in, g_out, g_packed, g_mult, g_shift,
        (char *)g_scratch + 4 * (rnd() % 2), T, K, N, in_zp, out_zp, lo, hi,
        v | (tfk_rq_all_fast(g_mult, g_shift, N) ? TFK_RQ_FAST : 0));
    if (!compare(v ? "fc/int16" : "fc/int8", T * N, cfg))
      printf("  fc T %ld K %ld N %ld\n", (long)T, (long)K, (long)N);
  }
  ++n_fc;
}

/* ---- add / requantize ---------------------------------------------------- */
static void test_add(int cfg) {
  int32_t n = rint_in(1, 300), a_zp = ri8(), b_zp = ri8(), out_zp = ri8();
  int32_t am, as, bm, bs, om, os, lo, hi, ls = 20;
  tfk_quantize_multiplier(rlog(0.1, 1.0), &am, &as);
  tfk_quantize_multiplier(rlog(0.1, 1.0), &bm, &bs);
  tfk_quantize_multiplier(rlog(0.05, 4.0) / (1 << 20), &om, &os);
  rand_act(out_zp, &lo, &hi);
  rand_bytes(g_in, n);
  rand_bytes(g_in2, n);
  for (int32_t i = 0; i < n; ++i) {
    int32_t sa = ref_mbqm((g_in[i] - a_zp) * (1 << ls), am, as);
    int32_t sb = ref_mbqm((g_in2[i] - b_zp) * (1 << ls), bm, bs);
    g_ref[i] = (int8_t)clampi(out_zp + ref_mbqm(sa + sb, om, os), lo, hi);
  }
  tfk_add_s8(g_in, g_in2, g_out, n, a_zp, am, as, b_zp, bm, bs, ls, om, os,
             out_zp, lo, hi);
  compare("add", n, cfg);
  ++n_add;
}

static void test_requant(int cfg) {
  int32_t n = rint_in(1, 300), in_zp = ri8(), out_zp = ri8(), m, s, lo, hi;
  double real = rnd() % 4 ? rlog(1e-4, 2.0) : rlog(0.5, 8.0);
  tfk_quantize_multiplier(real, &m, &s);
  rand_act(out_zp, &lo, &hi);
  rand_bytes(g_in, n);
  for (int32_t i = 0; i < n; ++i)
    g_ref[i] =
        (int8_t)clampi(out_zp + ref_mbqm(g_in[i] - in_zp, m, s), lo, hi);
  tfk_requantize_s8(g_in, g_out, n, in_zp, m, s, out_zp, lo, hi);
  compare("requantize", n, cfg);
  ++n_rq;
}

/* ---- pools --------------------------------------------------------------- */
static void pool_shape(int32_t *in_h, int32_t *in_w, int32_t *c, int32_t *k_h,
                       int32_t *k_w, int32_t *sh, int32_t *sw, int32_t *pt,
                       int32_t *pl, int32_t *out_h, int32_t *out_w) {
  *c = rint_in(1, 20);
  *k_h = rint_in(1, 4);
  *k_w = rint_in(1, 4);
  *sh = rint_in(1, 3);
  *sw = rint_in(1, 3);
  *pt = rint_in(0, *k_h - 1);
  *pl = rint_in(0, *k_w - 1);
  int32_t pb = rint_in(0, *k_h - 1), pr = rint_in(0, *k_w - 1);
  *in_h = rint_in(1, 10);
  *in_w = rint_in(1, 10);
  if (rnd() % 8 == 0) { /* global pooling */
    *k_h = *in_h;
    *k_w = *in_w;
    *pt = *pl = pb = pr = 0;
  }
  if (*in_h + *pt + pb < *k_h)
    *in_h = *k_h;
  if (*in_w + *pl + pr < *k_w)
    *in_w = *k_w;
  *out_h = (*in_h + *pt + pb - *k_h) / *sh + 1;
  *out_w = (*in_w + *pl + pr - *k_w) / *sw + 1;
}

static void test_pools(int cfg) {
  int32_t in_h, in_w, c, k_h, k_w, sh, sw, pt, pl, out_h, out_w, lo, hi;
  pool_shape(&in_h, &in_w, &c, &k_h, &k_w, &sh, &sw, &pt, &pl, &out_h, &out_w);
  int32_t out_zp = ri8(), in_zp = ri8();
  rand_act(out_zp, &lo, &hi);
  rand_bytes(g_in, in_h * in_w * c);
  /* max */
  for (int32_t y = 0; y < out_h; ++y)
    for (int32_t x = 0; x < out_w; ++x)
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t m = -1000;
        for (int32_t i = 0; i < k_h; ++i)
          for (int32_t j = 0; j < k_w; ++j) {
            int32_t iy = y * sh - pt + i, ix = x * sw - pl + j;
            if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w)
              continue;
            if (g_in[(iy * in_w + ix) * c + ch] > m)
              m = g_in[(iy * in_w + ix) * c + ch];
          }
        g_ref[(y * out_w + x) * c + ch] = (int8_t)clampi(m, lo, hi);
      }
  tfk_max_pool_s8(g_in, g_out, in_h, in_w, c, out_h, out_w, k_h, k_w, sh, sw,
                  pt, pl, lo, hi);
  compare("max_pool", out_h * out_w * c, cfg);
  ++n_mp;
  /* avg */
  int32_t cip = rnd() % 2;
  double sc = rlog(0.3, 3.0);
  g_mult[0] = 0;
  g_shift[0] = 0;
  for (int32_t n = 1; n <= k_h * k_w; ++n)
    tfk_quantize_multiplier(sc / n, &g_mult[n], &g_shift[n]);
  for (int32_t y = 0; y < out_h; ++y)
    for (int32_t x = 0; x < out_w; ++x)
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t acc = 0, cnt = 0;
        for (int32_t i = 0; i < k_h; ++i)
          for (int32_t j = 0; j < k_w; ++j) {
            int32_t iy = y * sh - pt + i, ix = x * sw - pl + j;
            if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w)
              continue;
            acc += g_in[(iy * in_w + ix) * c + ch] - in_zp;
            ++cnt;
          }
        if (cip)
          cnt = k_h * k_w;
        g_ref[(y * out_w + x) * c + ch] = (int8_t)clampi(
            out_zp + ref_mbqm(acc, g_mult[cnt], g_shift[cnt]), lo, hi);
      }
  tfk_avg_pool_s8(g_in, g_out, g_mult, g_shift, in_h, in_w, c, out_h, out_w,
                  k_h, k_w, sh, sw, pt, pl, cip, in_zp, out_zp, lo, hi);
  compare("avg_pool", out_h * out_w * c, cfg);
  ++n_ap;
}

/* ---- transpose / softmax ------------------------------------------------- */
static void test_transpose(int cfg) {
  int32_t d[4], p[4] = {0, 1, 2, 3};
  for (int i = 0; i < 4; ++i)
    d[i] = rint_in(1, 7);
  for (int i = 3; i > 0; --i) {
    int j = (int)(rnd() % (uint32_t)(i + 1)), t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  int32_t n = d[0] * d[1] * d[2] * d[3];
  rand_bytes(g_in, n);
  int32_t st[4] = {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1}, idx = 0;
  for (int32_t a = 0; a < d[p[0]]; ++a)
    for (int32_t b = 0; b < d[p[1]]; ++b)
      for (int32_t c = 0; c < d[p[2]]; ++c)
        for (int32_t e = 0; e < d[p[3]]; ++e)
          g_ref[idx++] =
              g_in[a * st[p[0]] + b * st[p[1]] + c * st[p[2]] + e * st[p[3]]];
  tfk_transpose_s8(g_in, g_out, d[0], d[1], d[2], d[3], p[0], p[1], p[2], p[3]);
  compare("transpose", n, cfg);
  ++n_tr;
}

static void test_softmax(int cfg) {
  int32_t rows = rint_in(1, 5), cols = rint_in(1, 70), om, os;
  int32_t out_zp = rnd() % 2 ? -128 : ri8();
  double sc = rlog(0.01, 0.5);
  for (int d = 0; d < 256; ++d)
    g_exp[d] = (int32_t)round(65536.0 * exp(-d * sc));
  tfk_quantize_multiplier(rlog(0.5, 2.0) * 256.0 / 2147483648.0, &om, &os);
  rand_bytes(g_in, rows * cols);
  for (int32_t r = 0; r < rows; ++r) {
    const int8_t *x = g_in + r * cols;
    int32_t m = -128;
    uint32_t sum = 0;
    for (int32_t i = 0; i < cols; ++i)
      m = x[i] > m ? x[i] : m;
    for (int32_t i = 0; i < cols; ++i)
      sum += (uint32_t)g_exp[m - x[i]];
    uint32_t recip = 0x7FFFFFFFu / sum;
    for (int32_t i = 0; i < cols; ++i) {
      int32_t p = (int32_t)((uint32_t)g_exp[m - x[i]] * recip);
      g_ref[r * cols + i] =
          (int8_t)clampi(out_zp + ref_mbqm(p, om, os), -128, 127);
    }
  }
  tfk_softmax_s8(g_in, g_out, g_exp, rows, cols, om, os, out_zp);
  compare("softmax", rows * cols, cfg);
  ++n_sm;
}

/* ---- transformer kernels ------------------------------------------------- */
static int n_bmm, n_ln, n_ln_flat, n_lut, n_mhsa, n_mhsa_fused;

/* a real multiplier: mostly around `typ` (fast requantization), sometimes 0
 * or >= 0.5 (the exact generic form) */
static void rand_mult(double lo, double hi, int32_t *m, int32_t *s) {
  uint32_t r = rnd() % 16;
  double real = r == 0 ? 0.0 : r == 1 ? rlog(0.5, 3.0) : rlog(lo, hi);
  tfk_quantize_multiplier(real, m, s);
}

static void rand_exp_table(int32_t *tab) {
  double sc = 0.01 + 0.19 * runif(); /* as the compiler builds it */
  for (int d = 0; d < 256; ++d)
    tab[d] = (int32_t)round(65536.0 * exp(-d * sc));
}

static void test_batch_matmul(int cfg) {
  int32_t batch = rint_in(1, 3), b_batch = rnd() % 2 ? 1 : batch;
  int32_t M = rint_in(1, 9), K = rint_in(1, 40), N = rint_in(1, 20);
  if (rnd() % 4 == 0) {
    K = 4 * rint_in(1, 16);
    N = 2 * rint_in(1, 12);
  }
  int32_t a_zp = ri8(), b_zp = ri8(), out_zp = ri8(), m, sh, lo, hi;
  rand_mult(1e-5, 1e-2, &m, &sh);
  rand_act(out_zp, &lo, &hi);
  if (batch * M * K > MAXBUF || b_batch * K * N > MAXBUF ||
      tfk_batch_matmul_scratch_bytes(M, K, N) > sizeof g_scratch)
    return;
  rand_bytes(g_in, batch * M * K);
  rand_bytes(g_in2, b_batch * K * N);
  for (int32_t bi = 0; bi < batch; ++bi) {
    const int8_t *a = g_in + bi * M * K, *b = g_in2 + (b_batch == 1 ? 0 : bi) * K * N;
    for (int32_t i = 0; i < M; ++i)
      for (int32_t n = 0; n < N; ++n) {
        int32_t acc = 0;
        for (int32_t k = 0; k < K; ++k)
          acc += (a[i * K + k] - a_zp) * (b[k * N + n] - b_zp);
        g_ref[(bi * M + i) * N + n] =
            (int8_t)clampi(out_zp + ref_mbqm(acc, m, sh), lo, hi);
      }
  }
  memset(g_out, 0x5A, (size_t)batch * M * N);
  tfk_batch_matmul_s8(g_in, g_in2, g_out, (char *)g_scratch + 4 * (rnd() % 2),
                      batch, b_batch, M, K, N, a_zp, b_zp, out_zp, m, sh, lo,
                      hi);
  if (!compare("batch_matmul", batch * M * N, cfg))
    printf("  bmm batch %ld/%ld M %ld K %ld N %ld\n", (long)batch,
           (long)b_batch, (long)M, (long)K, (long)N);
  ++n_bmm;
}

/* ---- layer norm ----------------------------------------------------------- */
static int16_t g_gamma[2048];
static int32_t g_beta[2048];
static int32_t g_ln_params[3 * 1024];
static int n_ln_scale_bad;

static void ref_layer_norm(const int8_t *in, int8_t *out, int32_t tokens,
                           int32_t C, int64_t eps, int32_t F, int32_t S) {
  for (int32_t t = 0; t < tokens; ++t) {
    const int8_t *x = in + t * C;
    int64_t A = 0, B = 0;
    for (int32_t c = 0; c < C; ++c) {
      A += x[c];
      B += x[c] * x[c];
    }
    const int64_t var = C * B - A * A + eps;
    const uint32_t r = tfk_ln_scale((uint64_t)var, F);
    /* the rule's scale against 2^F / sqrt(var) */
    if (var > 0) {
      const double want = ldexp(1.0, F) / sqrt((double)var);
      if (fabs(r - want) > want * ldexp(1.0, -14) + 1.0)
        ++n_ln_scale_bad;
    }
    for (int32_t c = 0; c < C; ++c) {
      const int64_t n = ((int64_t)C * x[c] - A) * (int64_t)r;
      const int64_t v = ((n * g_gamma[c]) >> 16) + g_beta[c];
      const int64_t o = v >> S;
      out[t * C + c] = (int8_t)(o < -128 ? -128 : o > 127 ? 127 : o);
    }
  }
}

/* Every table entry, at both ends of its interval and at both ends of the
 * 32-bit path: tfk_ln_scale within 2^-14 (and the final shift's unit) of
 * 2^F / sqrt(var). */
static void test_ln_scale_table(void) {
  for (uint64_t i = 64; i < 256; ++i)
    for (int end = 0; end < 2; ++end)
      for (int e = 0; e < 3; ++e) {
        const uint64_t m = (i << 24) + (end ? (1u << 24) - 1 : 0);
        const uint64_t var = e == 0 ? m : e == 1 ? m >> 2 : m << 20;
        const double want = ldexp(1.0, 30) / sqrt((double)var);
        const uint32_t r = tfk_ln_scale(var, 30);
        if (fabs(r - want) > want * ldexp(1.0, -14) + 1.0)
          ++n_ln_scale_bad;
      }
}

static void test_layer_norm(int cfg) {
  if (cfg == 0)
    test_ln_scale_table();
  int32_t tokens = rint_in(1, 5), C = rint_in(1, 100);
  if (rnd() % 8 == 0)
    C = rnd() % 2 ? 256 : rint_in(300, 2048);
  if (C > 1024)
    tokens = rint_in(1, 3);
  int32_t log2c = 0;
  while ((1 << log2c) < C)
    ++log2c;
  /* the compiler's F, or fewer fractional bits */
  const int32_t F = 30 - (log2c + 1) / 2 - (rnd() % 4 == 0 ? rint_in(1, 8) : 0);
  const int32_t S = rint_in(0, 21), flat = rnd() % 6 == 0;
  uint32_t r = rnd() % 8;
  /* eps term round(eps * C^2 / s_in^2): 0, typical, or large (var >= 2^32) */
  const int64_t eps = r == 0 ? 0 : r <= 2 ? (int64_t)(rnd() % (1u << 30)) << 20
                                          : (int64_t)(rnd() % 4096) * C;
  const double bs = rlog(1.0, 1073741824.0), gs = rlog(1.0, 32767.0);
  for (int32_t c = 0; c < C; ++c) {
    g_gamma[c] = (int16_t)((2.0 * runif() - 1.0) * gs);
    g_beta[c] = (int32_t)((2.0 * runif() - 1.0) * bs);
  }
  if (rnd() % 8 == 0) { /* the extremes of the contract */
    g_gamma[0] = rnd() % 2 ? INT16_MAX : INT16_MIN;
    g_beta[0] = rnd() % 2 ? (1 << 30) : -(1 << 30);
  }
  const int32_t spread = rnd() % 4 == 0 ? rint_in(0, 8) : 255;
  const int32_t zp = ri8();
  for (int32_t i = 0; i < tokens * C; ++i)
    g_in[i] = (int8_t)clampi(zp + rint_in(-spread, spread), -128, 127);
  if (flat) /* rows of equal values (variance 0), or all but one (C - 1) */
    for (int32_t t = 0; t < tokens; ++t) {
      const int8_t v = (int8_t)clampi(ri8(), -127, 126);
      memset(g_in + t * C, v, (size_t)C);
      if (rnd() % 2)
        g_in[t * C + rint_in(0, C - 1)] = (int8_t)(v + (rnd() % 2 ? 1 : -1));
    }
  ref_layer_norm(g_in, g_ref, tokens, C, eps, F, S);
  tfk_pack_layer_norm(g_gamma, g_beta, C, g_ln_params);
  int inplace = rnd() % 2;
  if (inplace) {
    memcpy(g_out, g_in, (size_t)tokens * C);
    tfk_layer_norm_s8(g_out, g_out, g_ln_params, eps, tokens, C, F, S);
  } else {
    memset(g_out, 0x5A, (size_t)tokens * C);
    tfk_layer_norm_s8(g_in, g_out, g_ln_params, eps, tokens, C, F, S);
  }
  if (!compare(inplace ? "layer_norm/inplace" : "layer_norm", tokens * C, cfg))
    printf("  ln tokens %ld C %ld F %ld S %ld flat %d\n", (long)tokens, (long)C,
           (long)F, (long)S, (int)flat);
  ++n_ln;
  n_ln_flat += flat;
}

static void test_lut(int cfg) {
  int32_t n = rnd() % 4 ? rint_in(1, 300) : rint_in(1000, 4000);
  int8_t table[256];
  rand_bytes(table, 256);
  rand_bytes(g_in, n);
  for (int32_t i = 0; i < n; ++i)
    g_ref[i] = table[g_in[i] + 128];
  int inplace = rnd() % 2, off = (int)(rnd() % 4);
  if (inplace) {
    memcpy(g_out + off, g_in, (size_t)n);
    tfk_lut_s8(g_out + off, g_out + off, table, n);
  } else {
    memcpy(g_in2 + off, g_in, (size_t)n);
    tfk_lut_s8(g_in2 + off, g_out + off, table, n);
  }
  if (off)
    memmove(g_out, g_out + off, (size_t)n);
  compare(inplace ? "lut/inplace" : "lut", n, cfg);
  ++n_lut;
}

/* ---- multi-head self-attention -------------------------------------------- */
#define MH_W 32768
static int8_t g_wq[MH_W], g_wk[4096], g_wv[4096], g_wo[4096];
static int32_t g_bq[1024], g_bk[64], g_bv[64], g_bo[64];
static int32_t g_rq[4096];
static int8_t g_Q[MH_W], g_K[4096], g_V[4096], g_ctx[4096];

static void ref_fc(const int8_t *in, int8_t *out, const int8_t *w,
                   const int32_t *bias, const int32_t *m, const int32_t *sh,
                   int32_t T, int32_t K, int32_t N, int32_t in_zp,
                   int32_t out_zp, int32_t lo, int32_t hi) {
  for (int32_t t = 0; t < T; ++t)
    for (int32_t n = 0; n < N; ++n) {
      int32_t acc = bias[n];
      for (int32_t k = 0; k < K; ++k)
        acc += (in[t * K + k] - in_zp) * w[n * K + k];
      out[t * N + n] =
          (int8_t)clampi(out_zp + ref_mbqm(acc, m[n], sh[n]), lo, hi);
    }
}

static void test_mhsa(int cfg) {
  int32_t H = rint_in(1, 4), P = rint_in(1, 12);
  if (rnd() % 8 == 0)
    H = rint_in(5, 8), P = rint_in(1, 6);
  int32_t E = H * P, S = rnd() % 8 ? rint_in(1, 20) : rint_in(21, 40);
  int32_t fused = rnd() % 3 == 0, D = fused ? E : P;
  int32_t hs;
  do
    hs = rint_in(1, H);
  while (H % hs);
  int32_t R = rnd() % 4 ? rint_in(1, 4) : rint_in(1, S + 2);
  if (H * D * E > MH_W || S * H * D > MH_W)
    return;
  int32_t x_zp = ri8(), q_zp = ri8(), k_zp = ri8(), v_zp = ri8(), s_zp = ri8();
  int32_t c_zp = ri8(), out_zp = ri8(), lo, hi;
  int32_t s_m, s_s, p_m, p_s, c_m, c_s;
  rand_mult(1e-4, 1e-2, &s_m, &s_s);
  {
    uint32_t r = rnd() % 8;
    double real = rlog(0.5, 2.0) * 256.0 / 2147483648.0; /* 1/256 output */
    if (r == 0)
      real = rlog(1e-9, 1e-3);
    else if (r == 1)
      real = rlog(0.5, 2.0);
    tfk_quantize_multiplier(real, &p_m, &p_s);
  }
  rand_mult(1e-5, 1e-2, &c_m, &c_s);
  rand_act(out_zp, &lo, &hi);
  rand_exp_table(g_exp);
  rand_bytes(g_in, S * E);
  rand_bytes(g_wq, H * D * E);
  rand_bytes(g_wk, E * E);
  rand_bytes(g_wv, E * E);
  rand_bytes(g_wo, E * E);
  for (int32_t i = 0; i < H * D; ++i)
    g_bq[i] = rint_in(-40000, 40000);
  for (int32_t i = 0; i < E; ++i) {
    g_bk[i] = rint_in(-40000, 40000);
    g_bv[i] = rint_in(-40000, 40000);
    g_bo[i] = rint_in(-40000, 40000);
  }
  /* rq: per projection (q, k unless fused, v, o) mult array, shift array */
  int32_t *mq = g_rq, *sq = mq + H * D, *mk = sq + H * D, *sk = mk + E;
  int32_t *mv = fused ? mk : sk + E, *sv = mv + E, *mo = sv + E, *so = mo + E;
  for (int32_t i = 0; i < H * D; ++i)
    rand_mult(3e-4, 1e-2, &mq[i], &sq[i]);
  for (int32_t i = 0; i < E; ++i) {
    if (!fused)
      rand_mult(3e-4, 1e-2, &mk[i], &sk[i]);
    rand_mult(3e-4, 1e-2, &mv[i], &sv[i]);
    rand_mult(3e-4, 1e-2, &mo[i], &so[i]);
  }
  /* reference, literally from kernels.h */
  ref_fc(g_in, g_Q, g_wq, g_bq, mq, sq, S, E, H * D, x_zp, q_zp, -128, 127);
  if (!fused)
    ref_fc(g_in, g_K, g_wk, g_bk, mk, sk, S, E, E, x_zp, k_zp, -128, 127);
  ref_fc(g_in, g_V, g_wv, g_bv, mv, sv, S, E, E, x_zp, v_zp, -128, 127);
  for (int32_t h = 0; h < H; ++h)
    for (int32_t i = 0; i < S; ++i) {
      int8_t srow[64], prow[64];
      for (int32_t j = 0; j < S; ++j) {
        int32_t acc = 0;
        for (int32_t d = 0; d < D; ++d) {
          int32_t qv = g_Q[i * H * D + h * D + d] - q_zp;
          int32_t kv = fused ? g_in[j * E + d] - x_zp
                             : g_K[j * E + h * P + d] - k_zp;
          acc += qv * kv;
        }
        srow[j] = (int8_t)clampi(s_zp + ref_mbqm(acc, s_m, s_s), -128, 127);
      }
      int32_t m = -128;
      uint32_t sum = 0;
      for (int32_t j = 0; j < S; ++j)
        m = srow[j] > m ? srow[j] : m;
      for (int32_t j = 0; j < S; ++j)
        sum += (uint32_t)g_exp[m - srow[j]];
      uint32_t recip = 0x7FFFFFFFu / sum;
      for (int32_t j = 0; j < S; ++j) {
        int32_t p = (int32_t)((uint32_t)g_exp[m - srow[j]] * recip);
        prow[j] = (int8_t)clampi(-128 + ref_mbqm(p, p_m, p_s), -128, 127);
      }
      for (int32_t c = 0; c < P; ++c) {
        int32_t acc = 0;
        for (int32_t j = 0; j < S; ++j)
          acc += (prow[j] + 128) * (g_V[j * E + h * P + c] - v_zp);
        g_ctx[i * E + h * P + c] =
            (int8_t)clampi(c_zp + ref_mbqm(acc, c_m, c_s), -128, 127);
      }
    }
  ref_fc(g_ctx, g_ref, g_wo, g_bo, mo, so, S, E, E, c_zp, out_zp, lo, hi);
  for (int32_t v = 0; v < 2; ++v) {
    size_t pb_ = tfk_mhsa_packed_bytes(E, H, hs, fused, v);
    size_t sb = tfk_mhsa_scratch_bytes(S, E, H, hs, R, fused, v);
    if (pb_ > sizeof g_packed || sb + 8 > sizeof g_scratch)
      continue;
    tfk_pack_mhsa(g_wq, g_bq, fused ? NULL : g_wk, fused ? NULL : g_bk, g_wv,
                  g_bv, g_wo, g_bo, x_zp, c_zp, E, H, hs, fused, v, g_packed);
    /* the kernel must stay inside its scratch: guard bytes after it */
    char *scr = (char *)g_scratch + 4 * (rnd() % 2);
    memset(scr + sb, 0xA5, 8);
    memset(g_out, 0x5A, (size_t)S * E);
    tfk_mhsa_s8(g_in, g_out, g_packed, g_rq, g_exp, scr, S, E, H, hs, R, fused,
                x_zp, q_zp, fused ? ri8() : k_zp, v_zp, s_zp, s_m, s_s, p_m,
                p_s, c_zp, c_m, c_s, out_zp, lo, hi, v, 0, 0, 0);
    for (int i = 0; i < 8; ++i)
      if ((uint8_t)scr[sb + i] != 0xA5) {
        printf("FAIL mhsa cfg %d wrote past its scratch (%ld bytes)\n", cfg,
               (long)sb);
        ++fails;
        break;
      }
    if (!compare(v ? "mhsa/int16" : "mhsa/int8", S * E, cfg))
      printf("  mhsa S %ld E %ld H %ld hs %ld R %ld fused %ld\n", (long)S,
             (long)E, (long)H, (long)hs, (long)R, (long)fused);
  }
  ++n_mhsa;
  n_mhsa_fused += fused;
}

/* ---- requantization corner cases ----------------------------------------- */
static void test_rq_corners(void) {
  /* drive the fast requantization with extreme accumulators through a 1x1
   * conv with in_c = 4 (acc = bias + tiny dot) and e in 1..24 */
  int32_t base = 0;
  for (int32_t e = 1; e <= 31; ++e)
    for (int32_t t = 0; t < 4; ++t) {
      int32_t out_c = 8;
      int32_t in_zp = 0, out_zp = ri8();
      for (int32_t o = 0; o < out_c; ++o) {
        static const int32_t bs[] = {INT32_MAX - 100000, INT32_MIN + 100000,
                                     (1 << 30), -(1 << 30), 12345, -77};
        g_bias[o] = bs[(o + t) % 6] + rint_in(-300, 300);
        g_mult[o] = (int32_t)((1u << 30) + (rnd() % (1u << 30)));
        if (o == 7)
          g_mult[o] = INT32_MAX;
        g_shift[o] = -e;
      }
      for (int32_t k = 0; k < 4 * out_c; ++k)
        g_w[k] = (int8_t)rint_in(-3, 3);
      for (int32_t k = 0; k < 4 * 3; ++k)
        g_in[k] = (int8_t)rint_in(-3, 3);
      for (int32_t p = 0; p < 3; ++p)
        for (int32_t o = 0; o < out_c; ++o) {
          int32_t acc = g_bias[o];
          for (int32_t c = 0; c < 4; ++c)
            acc += (g_in[p * 4 + c] - in_zp) * g_w[o * 4 + c];
          g_ref[p * out_c + o] = (int8_t)clampi(
              out_zp + ref_mbqm(acc, g_mult[o], g_shift[o]), -128, 127);
        }
      tfk_pack_conv2d(g_w, g_bias, in_zp, 4, out_c, 1, 1, 1, g_packed);
      tfk_conv2d_s8(g_in, g_out, g_packed, g_mult, g_shift, g_scratch, 1, 3, 4,
                    1, 3, out_c, 1, 1, 1, 1, 0, 0, in_zp, out_zp, -128, 127, 1);
      compare("rq-corner", 3 * out_c, base++);
    }
}

int main(void) {
  /* quantize_multiplier sanity */
  {
    int32_t m, s;
    tfk_quantize_multiplier(0.5, &m, &s);
    if (m != (1 << 30) || s != 0) {
      printf("FAIL quantize_multiplier(0.5) = %ld, %ld\n", (long)m, (long)s);
      ++fails;
    }
    tfk_quantize_multiplier(1e-12, &m, &s);
    if (m != 0 || s != 0) {
      printf("FAIL quantize_multiplier(1e-12) = %ld, %ld\n", (long)m, (long)s);
      ++fails;
    }
  }
  test_rq_corners();
  for (int i = 0; i < SELFTEST_ITERS; ++i) {
    test_conv(i);
    test_dw(i);
    test_fc(i);
    test_add(i);
    test_requant(i);
    test_pools(i);
    test_transpose(i);
    test_softmax(i);
    test_batch_matmul(i);
    test_layer_norm(i);
    test_lut(i);
    test_mhsa(i);
  }
  printf("kernel_selftest: %d checks (conv %d x2 variants, depthwise %d x2, fc "
         "%d x2, add %d, requantize %d, max_pool %d, avg_pool %d, transpose "
         "%d, softmax %d, batch_matmul %d, layer_norm %d (%d flat), lut %d, "
         "mhsa %d x2 (%d fused_qk), rq corners 124): %s (%d failures)\n",
         checks, n_conv, n_dw, n_fc, n_add, n_rq, n_mp, n_ap, n_tr, n_sm,
         n_bmm, n_ln, n_ln_flat, n_lut, n_mhsa, n_mhsa_fused,
         fails ? "FAIL" : "PASS", fails);
  if (n_ln_scale_bad) {
    printf("FAIL tfk_ln_scale off 2^F / sqrt(var) by more than 2^-14 in %d "
           "tokens\n", n_ln_scale_bad);
    return 1;
  }
  return fails ? 1 : 0;
}
