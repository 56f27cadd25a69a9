/* kernel_bench.c - instruction counts of the BENCHMARKS.md layers a-e with
 * constant-argument (specialised) kernels; outputs are checked against the
 * generic kernels (themselves checked by kernel_selftest). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel_bench_tx.h"
#include "tf_count.h"
#include "tfk/kernels.h"
#include "tfk/pack.h"

typedef struct {
  const int8_t *in;
  int8_t *out;
  const void *packed;
  const int32_t *mult, *shift;
  void *scratch;
} bench_ctx_t;

void bench_empty(void *), bench_a_i8(void *), bench_a_i16(void *),
    bench_b_i8(void *), bench_b_i16(void *), bench_c(void *),
    bench_d_i8(void *), bench_d_i16(void *), bench_e_i8(void *),
    bench_e_i16(void *), bench_f(void *), bench_ln(void *), bench_lut(void *);
#define MHSA_DECL(name, S, E, H, HS, R, F, V) void name(void *);
#define MHSA_ALL(X)                                                            \
  X(bench_mh64_h4_r2_i8, 64, 64, 4, 4, 2, 0, TFK_W_INT8)                       \
  X(bench_mh64_h4_r2_i16, 64, 64, 4, 4, 2, 0, TFK_W_INT16)                     \
  X(bench_mh64_h4_r64_i8, 64, 64, 4, 4, 64, 0, TFK_W_INT8)                     \
  X(bench_mh64_h4_r64_i16, 64, 64, 4, 4, 64, 0, TFK_W_INT16)                   \
  X(bench_mh64_h1_r2_i8, 64, 64, 4, 1, 2, 0, TFK_W_INT8)                       \
  X(bench_mh64_h1_r2_i16, 64, 64, 4, 1, 2, 0, TFK_W_INT16)                     \
  X(bench_mh64_h1_r64_i8, 64, 64, 4, 1, 64, 0, TFK_W_INT8)                     \
  X(bench_mh64_h1_r64_i16, 64, 64, 4, 1, 64, 0, TFK_W_INT16)                   \
  X(bench_mh256_h1_r2_i8, 256, 64, 4, 1, 2, 0, TFK_W_INT8)                     \
  X(bench_mh256_h1_r2_i16, 256, 64, 4, 1, 2, 0, TFK_W_INT16)                   \
  X(bench_mhf64_r2_i8, 64, 64, 1, 1, 2, 1, TFK_W_INT8)                         \
  X(bench_mhf64_r2_i16, 64, 64, 1, 1, 2, 1, TFK_W_INT16)
MHSA_ALL(MHSA_DECL)

#define IN_ZP (-7)
#define OUT_ZP 5

static int8_t g_in[65536], g_w[65536], g_out[65536], g_ref[65536];
static int32_t g_bias[256], g_mult[256], g_shift[256];
static uint64_t g_packed[65536 / 2];
static uint64_t g_scratch[8192];
static uint32_t seed = 12345;
static uint32_t rnd(void) {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}
static void fill(int32_t n_in, int32_t n_w, int32_t n_o) {
  for (int32_t i = 0; i < n_in; ++i) g_in[i] = (int8_t)rnd();
  for (int32_t i = 0; i < n_w; ++i) g_w[i] = (int8_t)rnd();
  for (int32_t i = 0; i < n_o; ++i) {
    g_bias[i] = (int32_t)(rnd() % 20001) - 10000;
    tfk_quantize_multiplier(0.0005 + 0.003 * (rnd() % 1000) / 1000.0, &g_mult[i],
                            &g_shift[i]);
  }
}

/* attention rq: per projection (q: nq, k unless fused, v, o: E) the mult
 * array then the shift array */
static void fill_rq(int32_t *rq, int32_t nq, int32_t E, int32_t fused) {
  for (int32_t pj = 0; pj < (fused ? 3 : 4); ++pj) {
    const int32_t n = pj == 0 ? nq : E;
    for (int32_t i = 0; i < n; ++i)
      tfk_quantize_multiplier(0.0005 + 0.003 * (rnd() % 1000) / 1000.0, &rq[i],
                              &rq[n + i]);
    rq += 2 * n;
  }
}

static int fails;
static void report(const char *name, void (*fn)(void *), void *c,
                   int32_t n_out, double macs, double cmsis, uint32_t empty) {
  memset(g_out, 0, (size_t)n_out);
  uint32_t n = tf_count_call(fn, c);
  int ok = memcmp(g_out, g_ref, (size_t)n_out) == 0;
  if (!ok) ++fails;
  /* cmsis 0: no CMSIS-NN figure; macs counts MACs or elements */
  if (cmsis > 0)
    printf("%-14s %9lu instr (empty call %lu)  %.3f /MAC  ratio %.3f  %s\n",
           name, (unsigned long)n, (unsigned long)empty, n / macs, n / cmsis,
           ok ? "bit-exact" : "MISMATCH");
  else
    printf("%-14s %9lu instr (empty call %lu)  %.3f /unit  %s\n", name,
           (unsigned long)n, (unsigned long)empty, n / macs,
           ok ? "bit-exact" : "MISMATCH");
}

int main(void) {
  int rc = tf_count_init();
  if (rc) {
    printf("tf_count_init: %s\n", tf_count_strerror(rc));
    return 2;
  }
  bench_ctx_t c = {g_in, g_out, g_packed, g_mult, g_shift, g_scratch};
  uint32_t empty = tf_count_call(bench_empty, &c);
  /* a / b: conv */
  for (int layer = 0; layer < 2; ++layer) {
    int32_t C = layer ? 64 : 32, K = layer ? 1 : 3, P = layer ? 0 : 1;
    fill(16 * 16 * C, C * K * K * C, C);
    for (int v = 0; v < 2; ++v) {
      tfk_pack_conv2d(g_w, g_bias, IN_ZP, C, C, K, K, v, g_packed);
      tfk_conv2d_s8(g_in, g_ref, g_packed, g_mult, g_shift, g_scratch, 16, 16, C,
                    16, 16, C, K, K, 1, 1, P, P, IN_ZP, OUT_ZP, -128, 127, v);
      if (layer == 0)
        report(v ? "a conv3x3 i16" : "a conv3x3 i8", v ? bench_a_i16 : bench_a_i8,
               &c, 16 * 16 * C, 2359296.0, 4542346.0, empty);
      else
        report(v ? "b conv1x1 i16" : "b conv1x1 i8", v ? bench_b_i16 : bench_b_i8,
               &c, 16 * 16 * C, 1048576.0, 2169206.0, empty);
    }
  }
  /* c: depthwise */
  fill(16 * 16 * 64, 64 * 9, 64);
  tfk_pack_depthwise_conv2d(g_w, g_bias, IN_ZP, 64, 3, 3, 0, g_packed);
  tfk_depthwise_conv2d_s8(g_in, g_ref, g_packed, g_mult, g_shift, g_scratch, 16,
                          16, 64, 16, 16, 3, 3, 1, 1, 1, 1, IN_ZP, OUT_ZP, -128,
                          127, 0);
  report("c dw3x3", bench_c, &c, 16 * 16 * 64, 147456.0, 1269292.0, empty);
  /* d / e: fc */
  for (int layer = 0; layer < 2; ++layer) {
    int32_t T = layer ? 64 : 1, K = layer ? 128 : 256, N = K;
    fill(T * K, N * K, N);
    for (int v = 0; v < 2; ++v) {
      tfk_pack_fully_connected(g_w, g_bias, IN_ZP, K, N, v, g_packed);
      tfk_fully_connected_s8(g_in, g_ref, g_packed, g_mult, g_shift, g_scratch, T,
                             K, N, IN_ZP, OUT_ZP, -128, 127, v);
      if (layer == 0)
        report(v ? "d fc256 i16" : "d fc256 i8", v ? bench_d_i16 : bench_d_i8, &c,
               N, 65536.0, 135625.0, empty);
      else
        report(v ? "e fc64tok i16" : "e fc64tok i8", v ? bench_e_i16 : bench_e_i8,
               &c, T * N, 1048576.0, 2376322.0, empty);
    }
  }
  /* ---- transformer kernels ---- */
  static int32_t rq[8 * 64], ex[256], gamma[64];
  static int64_t params[65];
  static int8_t table[256];
  bench_tx_t t = {g_in, g_w, g_out, g_packed, rq, ex, g_scratch, gamma, params,
                  table};
  /* f: batch matmul 4 x (64x32 @ 32x64) */
  fill(4 * 64 * 32, 4 * 32 * 64, 0);
  tfk_batch_matmul_s8(g_in, g_w, g_ref, g_scratch, 4, 4, 64, 32, 64, BMM_A_ZP,
                      BMM_B_ZP, OUT_ZP, BMM_MULT, BMM_SHIFT, -128, 127);
  report("f bmm 4x64x32x64", bench_f, &t, 4 * 64 * 64, 524288.0, 1817019.0,
         empty);
  /* attention: exp table as the compiler builds it (in_scale 0.05) */
  for (int d = 0; d < 256; ++d)
    ex[d] = (int32_t)round(65536.0 * exp(-d * 0.05));
#define MHSA_RUN(name, S, E, H, HS, R, F, V)                                   \
  {                                                                            \
    const int32_t D = F ? E : E / H;                                           \
    fill(S * E, 65536, 256);                                                   \
    fill_rq(rq, H * D, E, F);                                                  \
    int8_t *wq = g_w, *wk = g_w + 16384, *wv = g_w + 32768, *wo = g_w + 49152; \
    tfk_pack_mhsa(wq, g_bias, F ? NULL : wk, F ? NULL : g_bias + 64, wv,       \
                  g_bias + 128, wo, g_bias + 192, MH_X_ZP, MH_C_ZP, E, H, HS,  \
                  F, V, g_packed);                                             \
    size_t sb = tfk_mhsa_scratch_bytes(S, E, H, HS, R, F, V);                  \
    tfk_mhsa_s8(g_in, g_ref, g_packed, rq, ex, g_scratch, S, E, H, HS, R, F,   \
                MH_X_ZP, MH_Q_ZP, MH_K_ZP, MH_V_ZP, MH_S_ZP, MH_S_MULT,       \
                MH_S_SHIFT, MH_P_MULT, MH_P_SHIFT, MH_C_ZP, MH_C_MULT,         \
                MH_C_SHIFT, OUT_ZP, -128, 127, V, 0, 0, 0);                    \
    const double macs = 1.0 * S * E * (H * D) + (F ? 0.0 : 1.0 * S * E * E) +  \
                        2.0 * S * E * E + 1.0 * H * S * S * (D + E / H);       \
    char nm[48];                                                               \
    snprintf(nm, sizeof nm, "mhsa S%d E%d H%d hs%d r%d%s %s", S, E, H, HS, R,  \
             F ? " fused" : "", V ? "i16" : "i8");                             \
    report(nm, name, &t, S * E, macs, 0.0, empty);                             \
    printf("    (per MAC; scratch %lu bytes, packed %lu bytes)\n",             \
           (unsigned long)sb,                                                  \
           (unsigned long)tfk_mhsa_packed_bytes(E, H, HS, F, V));              \
  }
  MHSA_ALL(MHSA_RUN)
  /* layer norm 64 tokens x 64 */
  fill(64 * 64, 0, 0);
  params[0] = 4096;
  for (int32_t c = 0; c < 64; ++c) {
    gamma[c] = (int32_t)(rnd() % 2000000) + 1000000;
    params[1 + c] = (int64_t)((int32_t)(rnd() % 2000001) - 1000000) << 8;
  }
  tfk_layer_norm_s8(g_in, g_ref, gamma, params, 64, 64, LN_IN_ZP, OUT_ZP);
  report("layer_norm 64x64", bench_ln, &t, 64 * 64, 4096.0, 0.0, empty);
  /* lut 64 x 256 */
  fill(64 * 256, 256, 0);
  memcpy(table, g_w, 256);
  tfk_lut_s8(g_in, g_ref, table, 64 * 256);
  report("lut 64x256", bench_lut, &t, 64 * 256, 16384.0, 0.0, empty);
  return fails ? 1 : 0;
}
