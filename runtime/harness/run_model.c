/* run_model.c - generic bare-metal model runner for QEMU mps2-an386/an500.
 *
 * Built by `tinyformer run` (see README.md) with
 *   -DTF_INVOKE=<fn> -DTF_RUN_LAYER=<fn> -DTF_NUM_LAYERS=<n>
 *   -DTF_ARENA_BYTES=<n> -DTF_INPUT_BYTES=<n> -DTF_OUTPUT_BYTES=<n>
 *   -include <model header>
 * and linked with startup.c, tf_count.s, tf_count.c and the model object,
 * which provides
 *   int  TF_INVOKE(const int8_t *in, int8_t *out, void *arena);     -> 0
 *   void TF_RUN_LAYER(int32_t layer, const int8_t *in, int8_t *out, void *arena);
 * (running layers 0..TF_NUM_LAYERS-1 in order computes what invoke does).
 *
 * Reads input.bin (semihosting, QEMU's current directory): N inputs of
 * TF_INPUT_BYTES each. For every input: paints the stack, counts TF_INVOKE
 * exactly (tf_count.h: BLX + callee incl. return) and measures its stack
 * high-water mark; for the first input also counts every layer separately on
 * the same arena and checks the layered output equals invoke's. Writes the N
 * outputs (TF_OUTPUT_BYTES each, in order) to output.bin.
 *
 * stdout, one record per line, space-separated (all numbers decimal):
 *   TF config arena <bytes> input <bytes> output <bytes> layers <n> stack_limit <bytes>
 *   TF inputs <N>
 *   TF invoke <k> instructions <n> stack <bytes>         (k = 0..N-1)
 *   TF layer <i> instructions <n> stack <bytes>          (i = 0..layers-1, first input)
 *   TF layers total <sum of layer instructions>
 *   TF done
 * On failure: `TF error <message>` and a non-zero exit status
 * (1 = runtime/model error, 2 = the counter cannot be exact under this
 * QEMU configuration, 70 = hard fault, from startup.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tf_count.h"

#if !defined(TF_INVOKE) || !defined(TF_RUN_LAYER) || !defined(TF_NUM_LAYERS) || \
    !defined(TF_ARENA_BYTES) || !defined(TF_INPUT_BYTES) || !defined(TF_OUTPUT_BYTES)
#error "define TF_INVOKE, TF_RUN_LAYER, TF_NUM_LAYERS, TF_ARENA_BYTES, TF_INPUT_BYTES, TF_OUTPUT_BYTES"
#endif
#if TF_INPUT_BYTES <= 0 || TF_OUTPUT_BYTES <= 0 || TF_NUM_LAYERS < 0 || TF_ARENA_BYTES < 0
#error "TF_INPUT_BYTES and TF_OUTPUT_BYTES must be > 0, TF_NUM_LAYERS and TF_ARENA_BYTES >= 0"
#endif

#ifndef TF_NO_DECLARE
int TF_INVOKE(const int8_t *in, int8_t *out, void *arena);
void TF_RUN_LAYER(int32_t layer, const int8_t *in, int8_t *out, void *arena);
#endif

#ifndef TF_INPUT_FILE
#define TF_INPUT_FILE "input.bin"
#endif
#ifndef TF_OUTPUT_FILE
#define TF_OUTPUT_FILE "output.bin"
#endif

#define TF_MAX1(n) ((n) > 0 ? (n) : 1)

static uint8_t tf_arena[TF_MAX1(TF_ARENA_BYTES)] __attribute__((aligned(16)));
static int8_t tf_in[TF_INPUT_BYTES] __attribute__((aligned(16)));
static int8_t tf_out[TF_OUTPUT_BYTES] __attribute__((aligned(16)));
static int8_t tf_out_layers[TF_OUTPUT_BYTES] __attribute__((aligned(16)));

static FILE *tf_fin, *tf_fout;

static int fail(const char *msg, long a, long b) {
  printf("TF error %s", msg);
  if (a >= 0)
    printf(" %ld", a);
  if (b >= 0)
    printf(" %ld", b);
  printf("\n");
  if (tf_fin)
    fclose(tf_fin);
  if (tf_fout)
    fclose(tf_fout);
  return 1;
}

/* Counts one painted call; returns instructions, sets *stack, *ret. */
static uint32_t measure(const void *fn, uint32_t a0, uint32_t a1, uint32_t a2,
                        uint32_t a3, uint32_t *stack, int *overflow,
                        uint32_t *ret) {
  tf_count_frame_t f = {{a0, a1, a2, a3}, 0, 0, 0, 0, TF_STACK_PAINT_WORD};
  uint32_t n = tf_count_frame(fn, &f);
  *stack = tf_stack_used(&f, overflow);
  *ret = f.ret;
  return n;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0); /* every line reaches the host at once */

  int rc = tf_count_init();
  if (rc != 0) {
    uint32_t p = tf_count_period_x100();
    printf("TF error instruction counter: %s (measured %lu.%02lu instructions per tick)\n",
           tf_count_strerror(rc), (unsigned long)(p / 100), (unsigned long)(p % 100));
    return 2;
  }
  printf("TF config arena %ld input %ld output %ld layers %ld stack_limit %lu\n",
         (long)TF_ARENA_BYTES, (long)TF_INPUT_BYTES, (long)TF_OUTPUT_BYTES,
         (long)TF_NUM_LAYERS, (unsigned long)tf_stack_size());

  tf_fin = fopen(TF_INPUT_FILE, "rb");
  if (!tf_fin)
    return fail("cannot open " TF_INPUT_FILE, -1, -1);
  if (fseek(tf_fin, 0, SEEK_END) != 0)
    return fail("cannot seek " TF_INPUT_FILE, -1, -1);
  long size = ftell(tf_fin);
  if (size < 0 || fseek(tf_fin, 0, SEEK_SET) != 0)
    return fail("cannot get the size of " TF_INPUT_FILE, -1, -1);
  if (size == 0)
    return fail(TF_INPUT_FILE " is empty", -1, -1);
  if (size % TF_INPUT_BYTES != 0)
    return fail(TF_INPUT_FILE " size is not a multiple of the input size: size, input bytes",
                size, (long)TF_INPUT_BYTES);
  long n_inputs = size / TF_INPUT_BYTES;
  printf("TF inputs %ld\n", n_inputs);

  tf_fout = fopen(TF_OUTPUT_FILE, "wb");
  if (!tf_fout)
    return fail("cannot open " TF_OUTPUT_FILE " for writing", -1, -1);

  for (long k = 0; k < n_inputs; ++k) {
    size_t got = fread(tf_in, 1, TF_INPUT_BYTES, tf_fin);
    if (got != (size_t)TF_INPUT_BYTES)
      return fail("short read of " TF_INPUT_FILE ": input, bytes read", k, (long)got);
    memset(tf_out, 0, sizeof tf_out);

    uint32_t stack, status;
    int ovf;
    uint32_t n = measure((const void *)TF_INVOKE, (uint32_t)(uintptr_t)tf_in,
                         (uint32_t)(uintptr_t)tf_out, (uint32_t)(uintptr_t)tf_arena,
                         0, &stack, &ovf, &status);
    if (ovf)
      return fail("stack overflow in invoke (within 1 KiB of the limit or past it): input, stack limit bytes", k,
                  (long)tf_stack_size());
    if (status != 0)
      return fail("invoke returned non-zero status: input, status", k, (long)(int32_t)status);
    printf("TF invoke %ld instructions %lu stack %lu\n", k, (unsigned long)n,
           (unsigned long)stack);

    if (k == 0 && TF_NUM_LAYERS > 0) {
      uint64_t total = 0;
      memset(tf_out_layers, 0, sizeof tf_out_layers);
      for (int32_t i = 0; i < TF_NUM_LAYERS; ++i) {
        uint32_t unused;
        uint32_t nl = measure((const void *)TF_RUN_LAYER, (uint32_t)i,
                              (uint32_t)(uintptr_t)tf_in,
                              (uint32_t)(uintptr_t)tf_out_layers,
                              (uint32_t)(uintptr_t)tf_arena, &stack, &ovf, &unused);
        if (ovf)
          return fail("stack overflow in layer (within 1 KiB of the limit or past it): layer, stack limit bytes", (long)i,
                      (long)tf_stack_size());
        printf("TF layer %ld instructions %lu stack %lu\n", (long)i, (unsigned long)nl,
               (unsigned long)stack);
        total += nl;
      }
      printf("TF layers total %llu\n", (unsigned long long)total);
      for (long j = 0; j < TF_OUTPUT_BYTES; ++j)
        if (tf_out_layers[j] != tf_out[j])
          return fail("layer-by-layer output differs from invoke: byte, value", j,
                      (long)tf_out_layers[j]);
    }

    if (fwrite(tf_out, 1, TF_OUTPUT_BYTES, tf_fout) != (size_t)TF_OUTPUT_BYTES)
      return fail("write to " TF_OUTPUT_FILE " failed: input", k, -1);
  }

  FILE *fo = tf_fout;
  tf_fout = NULL;
  if (fclose(fo) != 0)
    return fail("closing " TF_OUTPUT_FILE " failed", -1, -1);
  fclose(tf_fin);
  tf_fin = NULL;
  printf("TF done\n");
  return 0;
}
