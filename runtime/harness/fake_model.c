/* fake_model.c - see fake_model.h. Layer 0: A = in + 1 (arena[0..64));
 * layer 1: B = reverse(A) (arena[64..128)), through a stack buffer so the
 * stack measurement sees something; layer 2: out = reverse(B). */
#include "fake_model.h"
#include <string.h>

#ifndef FAKE_STATUS
#define FAKE_STATUS 0
#endif

#define N FAKE_MODEL_INPUT_BYTES

void fake_model_run_layer(int32_t layer, const int8_t *in, int8_t *out, void *arena) {
  int8_t *a = (int8_t *)arena, *b = a + N;
  switch (layer) {
  case 0:
    for (int i = 0; i < N; ++i)
      a[i] = (int8_t)(uint8_t)((uint8_t)in[i] + 1u);
    break;
  case 1: {
    volatile int8_t tmp[N];
    for (int i = 0; i < N; ++i)
      tmp[i] = a[N - 1 - i];
    for (int i = 0; i < N; ++i)
      b[i] = tmp[i];
    break;
  }
  case 2:
    for (int i = 0; i < N; ++i)
      out[i] = b[N - 1 - i];
    break;
  default:
    break;
  }
}

int fake_model_invoke(const int8_t *in, int8_t *out, void *arena) {
#ifdef FAKE_FAULT /* test the hard-fault path: a load from unmapped memory */
  if (*(volatile int32_t *)0x70000000)
    return 3;
#endif
#ifdef FAKE_BIGSTACK /* test stack-overflow detection: 80 KiB on the stack */
  volatile int8_t big[80 * 1024];
  for (unsigned i = 0; i < sizeof big; i += 64)
    big[i] = 1;
#endif
  for (int32_t l = 0; l < FAKE_MODEL_NUM_LAYERS; ++l)
    fake_model_run_layer(l, in, out, arena);
  return FAKE_STATUS;
}
