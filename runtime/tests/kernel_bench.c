/* kernel_bench.c - instruction counts of the BENCHMARKS.md layers a-e with
 * constant-argument (specialised) kernels; outputs are checked against the
 * generic kernels (themselves checked by kernel_selftest). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
    bench_e_i16(void *);

#define IN_ZP (-7)
#define OUT_ZP 5

static int8_t g_in[65536], g_w[65536], g_out[65536], g_ref[65536];
static int32_t g_bias[256], g_mult[256], g_shift[256];
static uint64_t g_packed[65536 / 2];
static uint64_t g_scratch[4096];
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

static int fails;
static void report(const char *name, void (*fn)(void *), bench_ctx_t *c,
                   int32_t n_out, double macs, double cmsis, uint32_t empty) {
  memset(g_out, 0, (size_t)n_out);
  uint32_t n = tf_count_call(fn, c);
  int ok = memcmp(g_out, g_ref, (size_t)n_out) == 0;
  if (!ok) ++fails;
  printf("%-14s %9lu instr (empty call %lu)  %.3f /MAC  ratio %.3f  %s\n", name,
         (unsigned long)n, (unsigned long)empty, n / macs, n / cmsis,
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
  return fails ? 1 : 0;
}
