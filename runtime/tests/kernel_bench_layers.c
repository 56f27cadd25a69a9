/* kernel_bench_layers.c - the BENCHMARKS.md layers a-e as wrappers that call
 * the kernels with CONSTANT arguments in the same translation unit (as the
 * compiler does after linking the kernel bitcode and inlining), built by
 * clang-19 -O3 for thumbv7em. Used by kernel_bench.c / run_bench.sh. */
#include "tfk/kernels.h"

#define TFK_AI __attribute__((always_inline))
void tfk_conv2d_s8(const int8_t *, int8_t *, const void *, const int32_t *,
                   const int32_t *, void *, int32_t, int32_t, int32_t, int32_t,
                   int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
                   int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
                   int32_t) TFK_AI;
void tfk_depthwise_conv2d_s8(const int8_t *, int8_t *, const void *,
                             const int32_t *, const int32_t *, void *, int32_t,
                             int32_t, int32_t, int32_t, int32_t, int32_t,
                             int32_t, int32_t, int32_t, int32_t, int32_t,
                             int32_t, int32_t, int32_t, int32_t, int32_t, const int16_t *,
                 int32_t, int32_t) TFK_AI;
void tfk_fully_connected_s8(const int8_t *, int8_t *, const void *,
                            const int32_t *, const int32_t *, void *, int32_t,
                            int32_t, int32_t, int32_t, int32_t, int32_t,
                            int32_t, int32_t) TFK_AI;
void tfk_batch_matmul_s8(const int8_t *, const int8_t *, int8_t *, void *,
                         int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
                         int32_t, int32_t, int32_t, int32_t, int32_t,
                         int32_t) TFK_AI;
void tfk_layer_norm_s8(const int8_t *, int8_t *, const int32_t *,
                       const int64_t *, int32_t, int32_t, int32_t,
                       int32_t) TFK_AI;
void tfk_lut_s8(const int8_t *, int8_t *, const int8_t *, int32_t) TFK_AI;
void tfk_mhsa_s8(const int8_t *, int8_t *, const void *, const int32_t *,
                 const int32_t *, void *, int32_t, int32_t, int32_t, int32_t,
                 int32_t, int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
                 int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
                 int32_t, int32_t, int32_t, int32_t, int32_t, const int16_t *,
                 int32_t, int32_t) TFK_AI;
#include "../kernels/tfk_conv.c"
#include "../kernels/tfk_linear.c"
#include "../kernels/tfk_elementwise.c"
#include "../kernels/tfk_softmax.c"
#include "../kernels/tfk_matmul.c"
#include "../kernels/tfk_layer_norm.c"
#include "../kernels/tfk_attention.c"

typedef struct {
  const int8_t *in;
  int8_t *out;
  const void *packed;
  const int32_t *mult, *shift;
  void *scratch;
} bench_ctx_t;

#define IN_ZP (-7)
#define OUT_ZP 5

__attribute__((noinline)) void bench_empty(void *p) { (void)p; }

#define CONV(name, H, W, C, OC, K, S, P, V)                                   \
  __attribute__((noinline)) void name(void *p) {                              \
    bench_ctx_t *c = (bench_ctx_t *)p;                                        \
    tfk_conv2d_s8(c->in, c->out, c->packed, c->mult, c->shift, c->scratch, H, \
                  W, C, (H + 2 * P - K) / S + 1, (W + 2 * P - K) / S + 1, OC,  \
                  K, K, S, S, P, P, IN_ZP, OUT_ZP, -128, 127, V);              \
  }
CONV(bench_a_i8, 16, 16, 32, 32, 3, 1, 1, TFK_W_INT8)
CONV(bench_a_i16, 16, 16, 32, 32, 3, 1, 1, TFK_W_INT16)
CONV(bench_b_i8, 16, 16, 64, 64, 1, 1, 0, TFK_W_INT8)
CONV(bench_b_i16, 16, 16, 64, 64, 1, 1, 0, TFK_W_INT16)

__attribute__((noinline)) void bench_c(void *p) {
  bench_ctx_t *c = (bench_ctx_t *)p;
  tfk_depthwise_conv2d_s8(c->in, c->out, c->packed, c->mult, c->shift,
                          c->scratch, 16, 16, 64, 16, 16, 3, 3, 1, 1, 1, 1,
                          IN_ZP, OUT_ZP, -128, 127, TFK_W_INT8);
}

#define FC(name, T, K, N, V)                                                  \
  __attribute__((noinline)) void name(void *p) {                              \
    bench_ctx_t *c = (bench_ctx_t *)p;                                        \
    tfk_fully_connected_s8(c->in, c->out, c->packed, c->mult, c->shift,       \
                           c->scratch, T, K, N, IN_ZP, OUT_ZP, -128, 127, V); \
  }
FC(bench_d_i8, 1, 256, 256, TFK_W_INT8)
FC(bench_d_i16, 1, 256, 256, TFK_W_INT16)
FC(bench_e_i8, 64, 128, 128, TFK_W_INT8)
FC(bench_e_i16, 64, 128, 128, TFK_W_INT16)

/* ---- transformer kernels (constants shared with kernel_bench.c) ---------- */
#include "kernel_bench_tx.h"

__attribute__((noinline)) void bench_f(void *p) {
  bench_tx_t *c = (bench_tx_t *)p;
  tfk_batch_matmul_s8(c->a, c->b, c->out, c->scratch, 4, 4, 64, 32, 64, BMM_A_ZP,
                      BMM_B_ZP, OUT_ZP, BMM_MULT, BMM_SHIFT, -128, 127);
}

#define MHSA(name, S, E, H, HS, R, F, V)                                      \
  __attribute__((noinline)) void name(void *p) {                              \
    bench_tx_t *c = (bench_tx_t *)p;                                          \
    tfk_mhsa_s8(c->a, c->out, c->packed, c->rq, c->exp, c->scratch, S, E, H,  \
                HS, R, F, MH_X_ZP, MH_Q_ZP, MH_K_ZP, MH_V_ZP, MH_S_ZP,        \
                MH_S_MULT, MH_S_SHIFT, MH_P_MULT, MH_P_SHIFT, MH_C_ZP,        \
                MH_C_MULT, MH_C_SHIFT, OUT_ZP, -128, 127, V, 0, 0, 0);        \
  }
#define MHSA_ALL(X) \
  X(bench_mh64_h4_r2_i8, 64, 64, 4, 4, 2, 0, TFK_W_INT8) \
  X(bench_mh64_h4_r2_i16, 64, 64, 4, 4, 2, 0, TFK_W_INT16) \
  X(bench_mh64_h4_r64_i8, 64, 64, 4, 4, 64, 0, TFK_W_INT8) \
  X(bench_mh64_h4_r64_i16, 64, 64, 4, 4, 64, 0, TFK_W_INT16) \
  X(bench_mh64_h1_r2_i8, 64, 64, 4, 1, 2, 0, TFK_W_INT8) \
  X(bench_mh64_h1_r2_i16, 64, 64, 4, 1, 2, 0, TFK_W_INT16) \
  X(bench_mh64_h1_r64_i8, 64, 64, 4, 1, 64, 0, TFK_W_INT8) \
  X(bench_mh64_h1_r64_i16, 64, 64, 4, 1, 64, 0, TFK_W_INT16) \
  X(bench_mh256_h1_r2_i8, 256, 64, 4, 1, 2, 0, TFK_W_INT8) \
  X(bench_mh256_h1_r2_i16, 256, 64, 4, 1, 2, 0, TFK_W_INT16) \
  X(bench_mhf64_r2_i8, 64, 64, 1, 1, 2, 1, TFK_W_INT8) \
  X(bench_mhf64_r2_i16, 64, 64, 1, 1, 2, 1, TFK_W_INT16)
MHSA_ALL(MHSA)

__attribute__((noinline)) void bench_ln(void *p) {
  bench_tx_t *c = (bench_tx_t *)p;
  tfk_layer_norm_s8(c->a, c->out, c->gamma, c->params, 64, 64, LN_IN_ZP,
                    OUT_ZP);
}

__attribute__((noinline)) void bench_lut(void *p) {
  bench_tx_t *c = (bench_tx_t *)p;
  tfk_lut_s8(c->a, c->out, c->table, 64 * 256);
}
