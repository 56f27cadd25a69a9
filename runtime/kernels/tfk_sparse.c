/*===- tfk_sparse.c - helpers of the generated sparse kernels -----*- C -*-===//
 *
 * The sparse layers' inner loops are generated per layer by the compiler
 * (lib/Kernels/SparseKernels.cpp: nonzero weights and offsets as
 * immediates). These helpers are what they call: packing the input into
 * position pairs (or, for a batch-1 linear layer, extending it to int16)
 * before the loops, and requantizing one accumulator with the dense
 * kernels' exact rule. They inline into the generated code with constant
 * arguments.
 *===----------------------------------------------------------------------===*/
#include "tfk/kernels.h"
#include "tfk_internal.h"
#include "tfk_matmul_core.h"

void tfk_sparse_pack_pairs_s8(const int8_t *in, int32_t *packed, int32_t in_h,
                              int32_t in_w, int32_t c, int32_t pad_top,
                              int32_t pad_left, int32_t packed_h,
                              int32_t blocks, int32_t block_step,
                              int32_t block_last, int32_t phases,
                              int32_t words, int32_t stride, int32_t partner,
                              int32_t in_zp) {
  const int32_t partner_cols = partner * stride;
  const int32_t k_stride = phases * words; /* between channels' words */
  const uint32_t zp2 = (uint32_t)in_zp * ((1u << 23) + 1u);
  /* Per word position (row, block, phase, word) both columns are tested
   * once, then all channels are packed: the input's channels are
   * contiguous. Inlined with constant arguments: only the channel loop is
   * unrolled (a whole unrolled pack would be kilobytes). */
#pragma clang loop unroll(disable)
  for (int32_t y = 0; y < packed_h; ++y) {
    const int32_t iy = y - pad_top;
    const int row_in = iy >= 0 && iy < in_h;
#pragma clang loop unroll(disable)
    for (int32_t blk = 0; blk < blocks; ++blk) {
      const int32_t x0 = blk * block_step < block_last ? blk * block_step : block_last;
      int32_t *block = packed + ((int64_t)y * blocks + blk) * c * k_stride;
#pragma clang loop unroll(disable)
      for (int32_t ph = 0; ph < phases; ++ph) {
#pragma clang loop unroll(disable)
        for (int32_t i = 0; i < words; ++i) {
          const int32_t col0 = (x0 + i) * stride + ph - pad_left;
          const int32_t col1 = col0 + partner_cols;
          const int in0 = row_in && col0 >= 0 && col0 < in_w;
          const int in1 = row_in && col1 >= 0 && col1 < in_w;
          int32_t *dst = block + ph * words + i;
          if (in0 && in1) {
            const int8_t *p0 = in + ((int64_t)iy * in_w + col0) * c;
            const int8_t *p1 = p0 + (int64_t)partner_cols * c;
            for (int32_t k = 0; k < c; ++k)
              dst[k * k_stride] =
                  (int32_t)(((uint32_t)p1[k] << 23) + (uint32_t)p0[k] - zp2);
            continue;
          }
          /* A column in the padding: its pixel is 0. */
          const int8_t *p0 = in0 ? in + ((int64_t)iy * in_w + col0) * c : 0;
          const int8_t *p1 = in1 ? in + ((int64_t)iy * in_w + col1) * c : 0;
#pragma clang loop unroll(disable)
          for (int32_t k = 0; k < c; ++k) {
            const uint32_t a = p0 ? (uint32_t)(p0[k] - in_zp) : 0;
            const uint32_t b = p1 ? (uint32_t)(p1[k] - in_zp) : 0;
            dst[k * k_stride] = (int32_t)((b << 23) + a);
          }
        }
      }
    }
  }
}

void tfk_sparse_pack_halves_s8(const int8_t *in, int16_t *packed, int32_t k) {
  tfk__to_s16(packed, in, k, 4);
  /* Whole blocks of 8: the kernel's LDMs read them, its SMLAs never use
   * the padding. */
#pragma clang loop unroll(disable)
  for (int32_t i = tfk_l_k4(k); i < (k + 7) / 8 * 8; ++i)
    packed[i] = 0;
}

int32_t tfk_sparse_requantize(int32_t acc, int32_t mult, int32_t shift,
                              int32_t out_zp, int32_t act_min,
                              int32_t act_max) {
  /* With constant arguments the choice of the fast (SMMULR) form folds;
   * tfk__rqv hides the constant multiplier, which LLVM would otherwise
   * expand into a 64-bit multiply sequence instead of one SMMULR. */
  const tfk__rq_t r = tfk__rq_prep(mult, shift, out_zp);
  if (r.fast) {
    /* The rounding + zero point term too: one register for a row's
     * outputs, not a MOVW/MOVT pair per output. */
    int32_t m2 = r.m2, hz = r.hz;
    TFK_OPAQUE(m2);
    TFK_OPAQUE(hz);
    return tfk__clamp(tfk__rq_fast(acc, m2, hz, r.e), act_min, act_max);
  }
  return tfk__clamp(tfk__rqv(&r, acc), act_min, act_max);
}

int32_t tfk_sparse_requantize_fast(int32_t acc, int32_t m2, int32_t hz,
                                   int32_t e, int32_t act_min,
                                   int32_t act_max) {
  return tfk__clamp(tfk__rq_fast(acc, m2, hz, e), act_min, act_max);
}

/* TinyFormer's run-length format, the baseline the generated kernels are
 * measured against: per output channel a 16-bit entry count, its entries'
 * weight bytes, then their 4-bit runs (two per byte, low nibble first):
 * entry i skips run_i inputs, then multiplies the next one by its weight
 * (a weight of 0 only extends a run longer than 15). Inputs are read raw:
 * bias[n] holds bias - in_zp * sum(w), and an im2col column holds in_zp
 * for a padded tap. Per position: the column (a token's or a 1x1
 * convolution's pixel is one already), then every channel's entries. */
void tfk_sparse_rle_s8(const int8_t *in, int8_t *out, int8_t *col,
                       const uint8_t *stream, const int32_t *params,
                       int32_t in_h, int32_t in_w, int32_t c, int32_t out_h,
                       int32_t out_w, int32_t out_c, int32_t k_h, int32_t k_w,
                       int32_t stride_h, int32_t stride_w, int32_t pad_top,
                       int32_t pad_left, int32_t in_zp, int32_t out_zp,
                       int32_t act_min, int32_t act_max) {
#pragma clang loop unroll(disable)
  for (int32_t oy = 0; oy < out_h; ++oy) {
#pragma clang loop unroll(disable)
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int8_t *x;
      if (col) {
        int8_t *dst = col;
#pragma clang loop unroll(disable)
        for (int32_t ky = 0; ky < k_h; ++ky) {
          const int32_t iy = oy * stride_h + ky - pad_top;
#pragma clang loop unroll(disable)
          for (int32_t kx = 0; kx < k_w; ++kx, dst += c) {
            const int32_t ix = ox * stride_w + kx - pad_left;
            if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w)
              __builtin_memset(dst, in_zp, (uint32_t)c);
            else
              __builtin_memcpy(dst, in + ((int64_t)iy * in_w + ix) * c,
                               (uint32_t)c);
          }
        }
        x = col;
      } else {
        x = in + ((int64_t)oy * stride_h * in_w + (int64_t)ox * stride_w) * c;
      }
      int8_t *o = out + ((int64_t)oy * out_w + ox) * out_c;
      const uint8_t *p = stream;
#pragma clang loop unroll(disable)
      for (int32_t n = 0; n < out_c; ++n) {
        const int32_t count = p[0] | p[1] << 8;
        const int8_t *w = (const int8_t *)p + 2, *xp = x;
        const uint8_t *runs = p + 2 + count;
        int32_t acc = params[3 * n];
        /* Two entries per run byte, by pointers and a count down. */
#pragma clang loop unroll(disable)
        for (int32_t pairs = count >> 1; pairs != 0; --pairs) {
          const uint32_t rr = *runs++;
          xp += rr & 15;
          acc += *w++ * *xp++;
          xp += rr >> 4;
          acc += *w++ * *xp++;
        }
        if (count & 1) {
          xp += *runs++ & 15;
          acc += *w * *xp;
        }
        o[n] = (int8_t)tfk__clamp(
            out_zp + tfk__mbqm(acc, params[3 * n + 1], params[3 * n + 2]),
            act_min, act_max);
        p = runs;
      }
    }
  }
}
