/* kernel_bench_tx.h - arguments of the transformer-kernel benchmarks, shared
 * by kernel_bench.c (generic reference calls) and kernel_bench_layers.c
 * (constant-argument wrappers). */
#ifndef KERNEL_BENCH_TX_H
#define KERNEL_BENCH_TX_H
#include <stdint.h>

typedef struct {
  const int8_t *a, *b;
  int8_t *out;
  const void *packed;
  const int32_t *rq, *exp;
  void *scratch;
  const int32_t *gamma;
  const int64_t *params;
  const int8_t *table;
} bench_tx_t;

/* batch matmul: real multiplier 0.64 * 2^-9 */
#define BMM_A_ZP (-7)
#define BMM_B_ZP 3
#define BMM_MULT 1374389535
#define BMM_SHIFT (-9)
/* attention: s 0.64 * 2^-10, p 2^-23 (1/256 output), c 0.6 * 2^-13 */
#define MH_X_ZP (-7)
#define MH_Q_ZP 3
#define MH_K_ZP (-2)
#define MH_V_ZP 4
#define MH_S_ZP (-10)
#define MH_S_MULT 1374389535
#define MH_S_SHIFT (-10)
#define MH_P_MULT 1073741824
#define MH_P_SHIFT (-22)
#define MH_C_ZP 6
#define MH_C_MULT 1288490189
#define MH_C_SHIFT (-13)
#define LN_IN_ZP (-3)
#endif
