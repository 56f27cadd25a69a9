/*===- tfk_elementwise.c - elementwise, pooling, data movement ----*- C -*-===//
 *
 * tfk_add_s8, tfk_add_table_s8, tfk_mul_s8, tfk_max_pool_s8, tfk_avg_pool_s8, tfk_requantize_s8,
 * tfk_transpose_s8, tfk_shuffle_s8, tfk_resize_nearest_s8, tfk_depth_to_space_s8, tfk_resize_bilinear_s8,
 * tfk_pad_s8, tfk_prelu_s8 and tfk_lut_s8. See
 * tfk/kernels.h.
 *===----------------------------------------------------------------------===*/
#include "tfk_internal.h"
#include "tfk/resize.h"

/* ===========================================================================
 * elementwise / pooling / data movement
 * ========================================================================= */

void tfk_add_s8(const int8_t *a, const int8_t *b, int8_t *out, int32_t n,
                int32_t a_zp, int32_t a_mult, int32_t a_shift, int32_t b_zp,
                int32_t b_mult, int32_t b_shift, int32_t left_shift,
                int32_t out_mult, int32_t out_shift, int32_t out_zp,
                int32_t act_min, int32_t act_max) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t xa = (int32_t)((uint32_t)(a[i] - a_zp) << left_shift);
    const int32_t xb = (int32_t)((uint32_t)(b[i] - b_zp) << left_shift);
    const int32_t sa = tfk__mbqm(xa, a_mult, a_shift);
    const int32_t sb = tfk__mbqm(xb, b_mult, b_shift);
    const int32_t r = out_zp + tfk__mbqm(sa + sb, out_mult, out_shift);
    out[i] = (int8_t)tfk__clamp(r, act_min, act_max);
  }
}

void tfk_add_table_s8(const int8_t *a, const int8_t *b, int8_t *out, int32_t n,
                      const int32_t *tables, int32_t out_mult, int32_t out_shift,
                      int32_t out_zp, int32_t act_min, int32_t act_max) {
  const int32_t *ta = tables + 128, *tb = tables + 256 + 128;
  const tfk__rq_t rq = tfk__rq_prep_reg(out_mult, out_shift, out_zp);
  /* The fast form is decided once (a compile-time constant in each loop). */
  if (rq.fast) {
    for (int32_t i = 0; i < n; ++i)
      out[i] = (int8_t)tfk__clamp(tfk__rq(&rq, ta[a[i]] + tb[b[i]], 1), act_min,
                                  act_max);
  } else {
    for (int32_t i = 0; i < n; ++i)
      out[i] = (int8_t)tfk__clamp(tfk__rq(&rq, ta[a[i]] + tb[b[i]], 0), act_min,
                                  act_max);
  }
}

void tfk_mul_s8(const int8_t *x, const int8_t *g, int8_t *out, int32_t outer,
                int32_t inner, int32_t g_stride, int32_t x_zp, int32_t g_zp,
                int32_t mult, int32_t shift, int32_t out_zp, int32_t act_min,
                int32_t act_max) {
  for (int32_t o = 0; o < outer; ++o) {
    const int8_t *xr = x + o * inner, *gr = g + o * g_stride;
    int8_t *yr = out + o * inner;
    for (int32_t i = 0; i < inner; ++i) {
      const int32_t prod = (xr[i] - x_zp) * (gr[i] - g_zp);
      yr[i] = (int8_t)tfk__clamp(out_zp + tfk__mbqm(prod, mult, shift), act_min,
                                 act_max);
    }
  }
}

void tfk_max_pool_s8(const int8_t *in, int8_t *out, int32_t in_h, int32_t in_w,
                     int32_t c, int32_t out_h, int32_t out_w, int32_t k_h,
                     int32_t k_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_t, int32_t pad_l, int32_t act_min,
                     int32_t act_max) {
  for (int32_t y = 0; y < out_h; ++y) {
    const int32_t iy0 = y * stride_h - pad_t;
    const int32_t i0 = iy0 < 0 ? -iy0 : 0;
    const int32_t i1 = in_h - iy0 < k_h ? in_h - iy0 : k_h;
    for (int32_t x = 0; x < out_w; ++x) {
      const int32_t ix0 = x * stride_w - pad_l;
      const int32_t j0 = ix0 < 0 ? -ix0 : 0;
      const int32_t j1 = in_w - ix0 < k_w ? in_w - ix0 : k_w;
      int8_t *o = out + (y * out_w + x) * c;
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t m = -128;
        for (int32_t i = i0; i < i1; ++i)
          for (int32_t j = j0; j < j1; ++j) {
            const int32_t v = in[((iy0 + i) * in_w + ix0 + j) * c + ch];
            m = v > m ? v : m;
          }
        m = m < act_min ? act_min : m;
        m = m > act_max ? act_max : m;
        o[ch] = (int8_t)m;
      }
    }
  }
}

void tfk_avg_pool_s8(const int8_t *in, int8_t *out, const int32_t *mult,
                     const int32_t *shift, int32_t in_h, int32_t in_w,
                     int32_t c, int32_t out_h, int32_t out_w, int32_t k_h,
                     int32_t k_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_t, int32_t pad_l, int32_t count_include_pad,
                     int32_t in_zp, int32_t out_zp, int32_t act_min,
                     int32_t act_max) {
  for (int32_t y = 0; y < out_h; ++y) {
    const int32_t iy0 = y * stride_h - pad_t;
    const int32_t i0 = iy0 < 0 ? -iy0 : 0;
    const int32_t i1 = in_h - iy0 < k_h ? in_h - iy0 : k_h;
    for (int32_t x = 0; x < out_w; ++x) {
      const int32_t ix0 = x * stride_w - pad_l;
      const int32_t j0 = ix0 < 0 ? -ix0 : 0;
      const int32_t j1 = in_w - ix0 < k_w ? in_w - ix0 : k_w;
      int32_t cnt = (i1 > i0 && j1 > j0) ? (i1 - i0) * (j1 - j0) : 0;
      if (count_include_pad)
        cnt = k_h * k_w;
      const int32_t m = mult[cnt], s = shift[cnt];
      int8_t *o = out + (y * out_w + x) * c;
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t acc = 0;
        for (int32_t i = i0; i < i1; ++i)
          for (int32_t j = j0; j < j1; ++j)
            acc += in[((iy0 + i) * in_w + ix0 + j) * c + ch] - in_zp;
        o[ch] = (int8_t)tfk__clamp(out_zp + tfk__mbqm(acc, m, s), act_min,
                                   act_max);
      }
    }
  }
}

void tfk_requantize_rows_s8(const int8_t *in, int8_t *out, int32_t rows,
                            int32_t len, int32_t in_stride, int32_t out_stride,
                            int32_t in_zp, int32_t mult, int32_t shift,
                            int32_t out_zp) {
  for (int32_t r = 0; r < rows; ++r)
    tfk_requantize_s8(in + r * in_stride, out + r * out_stride, len, in_zp,
                      mult, shift, out_zp, -128, 127);
}

void tfk_requantize_s8(const int8_t *in, int8_t *out, int32_t n, int32_t in_zp,
                       int32_t mult, int32_t shift, int32_t out_zp,
                       int32_t act_min, int32_t act_max) {
  const tfk__rq_t r = tfk__rq_prep_reg(mult, shift, out_zp);
  if (r.fast) {
    for (int32_t i = 0; i < n; ++i)
      out[i] = (int8_t)tfk__clamp(tfk__rq(&r, in[i] - in_zp, 1), act_min,
                                  act_max);
  } else {
    for (int32_t i = 0; i < n; ++i)
      out[i] = (int8_t)tfk__clamp(out_zp + tfk__mbqm(in[i] - in_zp, mult, shift),
                                  act_min, act_max);
  }
}

void tfk_transpose_s8(const int8_t *in, int8_t *out, int32_t d0, int32_t d1,
                      int32_t d2, int32_t d3, int32_t p0, int32_t p1,
                      int32_t p2, int32_t p3) {
  const int32_t d[4] = {d0, d1, d2, d3};
  const int32_t st[4] = {d1 * d2 * d3, d2 * d3, d3, 1};
  const int32_t n0 = d[p0], n1 = d[p1], n2 = d[p2], n3 = d[p3];
  const int32_t s0 = st[p0], s1 = st[p1], s2 = st[p2], s3 = st[p3];
  int8_t *o = out;
  for (int32_t i0 = 0; i0 < n0; ++i0)
    for (int32_t i1 = 0; i1 < n1; ++i1)
      for (int32_t i2 = 0; i2 < n2; ++i2) {
        const int8_t *src = in + i0 * s0 + i1 * s1 + i2 * s2;
        if (s3 == 1) {
          for (int32_t i3 = 0; i3 < n3; ++i3)
            *o++ = src[i3];
        } else {
          for (int32_t i3 = 0; i3 < n3; ++i3)
            *o++ = src[i3 * s3];
        }
      }
}

void tfk_resize_nearest_s8(const int8_t *in, int8_t *out, int32_t rows,
                           int32_t w, int32_t c, int32_t sh, int32_t sw) {
  const int32_t row_bytes = w * sw * c;
  for (int32_t r = 0; r < rows; ++r) {
    int8_t *first = out;
    for (int32_t x = 0; x < w; ++x, in += c)
      for (int32_t j = 0; j < sw; ++j, out += c)
        __builtin_memcpy(out, in, (uint32_t)c);
    for (int32_t i = 1; i < sh; ++i, out += row_bytes)
      __builtin_memcpy(out, first, (uint32_t)row_bytes);
  }
}

void tfk_resize_bilinear_s8(const int8_t *in, int8_t *out, int32_t n, int32_t h,
                            int32_t w, int32_t c, int32_t sh, int32_t sw) {
  /* out = floor((acc + d / 2) / d) with d = 4 sh sw: acc + d / 2 + 128 d is
   * in [0, 256 d], where a multiply by m = ceil(2^32 / d) and a 32-bit
   * shift divide exactly (d <= 1024); then less 128. */
  const uint32_t d = 4u * (uint32_t)sh * (uint32_t)sw;
  const uint32_t m = (uint32_t)(((1ull << 32) + d - 1) / d);
  const int32_t bias = (int32_t)(d / 2 + 128 * d);
  for (int32_t b = 0; b < n; ++b, in += h * w * c)
    for (int32_t i = 0; i < h; ++i)
      for (int32_t ry = 0; ry < sh; ++ry) {
        int32_t i0, i1, wy0, wy1;
        tfk_bilinear_taps_ir(i, ry, sh, h, &i0, &i1, &wy0, &wy1);
        const int8_t *row0 = in + i0 * w * c, *row1 = in + i1 * w * c;
        for (int32_t j = 0; j < w; ++j)
          for (int32_t rx = 0; rx < sw; ++rx) {
            int32_t j0, j1, wx0, wx1;
            tfk_bilinear_taps_ir(j, rx, sw, w, &j0, &j1, &wx0, &wx1);
            const int8_t *p00 = row0 + j0 * c, *p01 = row0 + j1 * c;
            const int8_t *p10 = row1 + j0 * c, *p11 = row1 + j1 * c;
            const int32_t w00 = wy0 * wx0, w01 = wy0 * wx1, w10 = wy1 * wx0,
                          w11 = wy1 * wx1;
            for (int32_t ch = 0; ch < c; ++ch) {
              const int32_t acc = bias + w00 * p00[ch] + w01 * p01[ch] +
                                  w10 * p10[ch] + w11 * p11[ch];
              *out++ = (int8_t)((int32_t)(((uint64_t)(uint32_t)acc * m) >> 32) - 128);
            }
          }
      }
}

void tfk_prelu_s8(const int8_t *in, int8_t *out, int32_t outer, int32_t c,
                  int32_t inner, int32_t in_zp, int32_t out_zp,
                  int32_t pos_mult, int32_t pos_shift, const int32_t *neg) {
  /* The fast form of each multiplier (SMMULR on the doubled value, an
   * exact equivalent of mbqm) where it has one: prepared per channel. */
  const tfk__rq_t pos = tfk__rq_prep(pos_mult, pos_shift, 0);
#pragma clang loop unroll(disable)
  for (int32_t o = 0; o < outer; ++o)
#pragma clang loop unroll(disable)
    for (int32_t ch = 0; ch < c; ++ch) {
      const tfk__rq_t n = tfk__rq_prep(neg[3 * ch], neg[3 * ch + 1], 0);
      const int32_t sign = neg[3 * ch + 2];
#pragma clang loop unroll(disable)
      for (int32_t i = 0; i < inner; ++i) {
        const int32_t v = *in++ - in_zp;
        const int32_t t = v >= 0 ? tfk__rq(&pos, v, pos.fast)
                                 : sign * tfk__rq(&n, v, n.fast);
        *out++ = (int8_t)tfk__clamp(out_zp + t, -128, 127);
      }
    }
}

/* Where output index `a` (before the pad removed) reads in a dim of n:
 * itself inside, the mirror (reflect, 1) or the edge (edge, 2) outside, or
 * -1 (constant, 0). */
static inline int32_t tfk__pad_at(int32_t a, int32_t n, int32_t mode) {
  if (a >= 0 && a < n)
    return a;
  if (mode == 1)
    return a < 0 ? -a : 2 * (n - 1) - a;
  if (mode == 2)
    return a < 0 ? 0 : n - 1;
  return -1;
}

void tfk_pad_s8(const int8_t *in, int8_t *out, int32_t h, int32_t w,
                int32_t c, int32_t top, int32_t bottom, int32_t left,
                int32_t right, int32_t front, int32_t back, int32_t mode,
                int32_t value) {
  const int32_t oh = top + h + bottom, ow = left + w + right,
                oc = front + c + back;
#pragma clang loop unroll(disable)
  for (int32_t oy = 0; oy < oh; ++oy) {
    const int32_t iy = tfk__pad_at(oy - top, h, mode);
#pragma clang loop unroll(disable)
    for (int32_t ox = 0; ox < ow; ++ox, out += oc) {
      const int32_t ix = tfk__pad_at(ox - left, w, mode);
      if (iy < 0 || ix < 0) {
        __builtin_memset(out, value, (uint32_t)oc);
        continue;
      }
      const int8_t *pixel = in + ((int64_t)iy * w + ix) * c;
      __builtin_memcpy(out + front, pixel, (uint32_t)c);
#pragma clang loop unroll(disable)
      for (int32_t k = 0; k < front; ++k) {
        const int32_t ik = tfk__pad_at(k - front, c, mode);
        out[k] = ik < 0 ? (int8_t)value : pixel[ik];
      }
#pragma clang loop unroll(disable)
      for (int32_t k = front + c; k < oc; ++k) {
        const int32_t ik = tfk__pad_at(k - front, c, mode);
        out[k] = ik < 0 ? (int8_t)value : pixel[ik];
      }
    }
  }
}

void tfk_shuffle_s8(const int8_t *in, int8_t *out, int32_t d0, int32_t d1,
                    int32_t d2, int32_t d3, int32_t d4, int32_t d5, int32_t s0,
                    int32_t s1, int32_t s2, int32_t s3, int32_t s4, int32_t s5) {
  for (int32_t i0 = 0; i0 < d0; ++i0)
    for (int32_t i1 = 0; i1 < d1; ++i1)
      for (int32_t i2 = 0; i2 < d2; ++i2)
        for (int32_t i3 = 0; i3 < d3; ++i3)
          for (int32_t i4 = 0; i4 < d4; ++i4, out += d5) {
            const int8_t *src = in + i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3 + i4 * s4;
            if (s5 == 1) {
              __builtin_memcpy(out, src, (uint32_t)d5);
              continue;
            }
            for (int32_t i5 = 0; i5 < d5; ++i5, src += s5)
              out[i5] = *src;
          }
}

void tfk_depth_to_space_s8(const int8_t *in, int8_t *out, int32_t rows,
                           int32_t w, int32_t c, int32_t bh, int32_t bw,
                           int32_t crd) {
  const int32_t block = bh * bw, pixel = c * block;
  for (int32_t r = 0; r < rows; ++r, in += w * pixel)
    for (int32_t i = 0; i < bh; ++i)
      for (int32_t x = 0; x < w; ++x)
        for (int32_t j = 0; j < bw; ++j, out += c) {
          const int8_t *src = in + x * pixel + i * bw + j;
          if (!crd) {
            __builtin_memcpy(out, in + x * pixel + (i * bw + j) * c, (uint32_t)c);
            continue;
          }
          for (int32_t k = 0; k < c; ++k, src += block)
            out[k] = *src;
        }
}

/* ---- table lookup -------------------------------------------------------- */

/* 4 lookups per word, indexing table + 128 with the sign-extended bytes
 * (SXTB with rotation, ASR for the top one). */
void tfk_lut_s8(const int8_t *in, int8_t *out, const int8_t *table,
                int32_t n) {
  const uint8_t *t = (const uint8_t *)table + 128;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int32_t w = tfk__ld32(in + i);
    tfk__st32(out + i, (uint32_t)t[(int8_t)w] |
                           ((uint32_t)t[(int8_t)(w >> 8)] << 8) |
                           ((uint32_t)t[(int8_t)(w >> 16)] << 16) |
                           ((uint32_t)t[w >> 24] << 24));
  }
  for (; i < n; ++i)
    out[i] = (int8_t)t[in[i]];
}
