/* fake_model.h - a stand-in for a compiled model, to test run_model.c:
 * 3 layers, 64-byte int8 input and output, out[i] = in[i] + 1 (wrapping).
 * Test variants: -DFAKE_STATUS=<s> (invoke returns s), -DFAKE_FAULT (invoke
 * loads from unmapped memory), -DFAKE_BIGSTACK (invoke uses 80 KiB of stack). */
#ifndef FAKE_MODEL_H
#define FAKE_MODEL_H
#include <stdint.h>
#define FAKE_MODEL_INPUT_BYTES 64
#define FAKE_MODEL_OUTPUT_BYTES 64
#define FAKE_MODEL_ARENA_BYTES 128
#define FAKE_MODEL_NUM_LAYERS 3
int fake_model_invoke(const int8_t *in, int8_t *out, void *arena);
void fake_model_run_layer(int32_t layer, const int8_t *in, int8_t *out, void *arena);
#endif
