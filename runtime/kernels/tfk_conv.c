/*===- tfk_conv.c - conv2d and depthwise conv2d -------------------*- C -*-===//
 *
 * tfk_conv2d_s8 (im2col + 2x2 SMLAD micro-kernel) and tfk_depthwise_conv2d_s8
 * (planar SMLAD path, direct loop otherwise). See tfk/kernels.h.
 *===----------------------------------------------------------------------===*/
#include "tfk_matmul_core.h"

/* ===========================================================================
 * conv2d: im2col of two output pixels into int16 (SMLAD order, padded taps
 * = in_zp, the input offset being folded in the bias), then a 2x2 register
 * block (2 pixels x 2 output channels) of SMLAD over K4.
 * ========================================================================= */

/* im2col of one output pixel into slot `slot` (0/1) of the interleaved
 * buffer: group g of 4 reduction elements = int16 [8g + 4*slot, +4), SMLAD
 * order. */
TFK_INLINE void tfk__im2col(int16_t *colbuf, int32_t slot, const int8_t *in,
                            int32_t y, int32_t x, int32_t in_h, int32_t in_w,
                            int32_t in_c, int32_t k_h, int32_t k_w,
                            int32_t stride_h, int32_t stride_w, int32_t pad_t,
                            int32_t pad_l, int32_t in_zp) {
  const int32_t iy0 = y * stride_h - pad_t, ix0 = x * stride_w - pad_l;
  int16_t *col = colbuf + 4 * slot;
  if ((in_c & 3) == 0) {
    const uint32_t zpw = ((uint32_t)(uint16_t)(int16_t)in_zp) * 0x10001u;
    int32_t *dst = (int32_t *)col;
    for (int32_t i = 0; i < k_h; ++i) {
      const int32_t iy = iy0 + i;
      const int rin = iy >= 0 && iy < in_h;
      for (int32_t j = 0; j < k_w; ++j) {
        const int32_t ix = ix0 + j;
        if (rin && ix >= 0 && ix < in_w) {
          const int8_t *src = in + (iy * in_w + ix) * in_c;
          for (int32_t c = 0; c < in_c; c += 4) {
            const int32_t v = tfk__ld32(src + c);
            dst[0] = __sxtb16(v);
            dst[1] = __sxtb16(__ror(v, 8));
            dst += 4;
          }
        } else {
          for (int32_t c = 0; c < in_c; c += 4) {
            dst[0] = (int32_t)zpw;
            dst[1] = (int32_t)zpw;
            dst += 4;
          }
        }
      }
    }
  } else {
    const int32_t K = k_h * k_w * in_c, K4 = tfk_l_k4(K);
    int32_t k = 0;
#define TFK_COLIDX(k) ((((k) >> 2) << 3) | (tfk_l_pos(k) & 3))
    for (int32_t i = 0; i < k_h; ++i) {
      const int32_t iy = iy0 + i;
      const int rin = iy >= 0 && iy < in_h;
      for (int32_t j = 0; j < k_w; ++j) {
        const int32_t ix = ix0 + j;
        if (rin && ix >= 0 && ix < in_w) {
          const int8_t *src = in + (iy * in_w + ix) * in_c;
          for (int32_t c = 0; c < in_c; ++c, ++k)
            col[TFK_COLIDX(k)] = src[c];
        } else {
          for (int32_t c = 0; c < in_c; ++c, ++k)
            col[TFK_COLIDX(k)] = (int16_t)in_zp;
        }
      }
    }
    for (; k < K4; ++k)
      col[TFK_COLIDX(k)] = 0;
#undef TFK_COLIDX
  }
}

void tfk_conv2d_s8(const int8_t *in, int8_t *out, const void *packed,
                   const int32_t *mult, const int32_t *shift, void *scratch,
                   int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h,
                   int32_t out_w, int32_t out_c, int32_t k_h, int32_t k_w,
                   int32_t stride_h, int32_t stride_w, int32_t pad_t,
                   int32_t pad_l, int32_t in_zp, int32_t out_zp,
                   int32_t act_min, int32_t act_max, int32_t variant) {
  const int32_t K = k_h * k_w * in_c, K4 = tfk_l_k4(K), G = K4 / 4;
  const int32_t OC2 = tfk_l_conv_oc2(out_c);
  const int32_t i16 = (variant & TFK_W_INT16) != 0;
  const int32_t all_fast = (variant & TFK_RQ_FAST) != 0;
  const int32_t *bias = (const int32_t *)packed;
  const int32_t *wbase = bias + OC2;
  int16_t *col = (int16_t *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
  int32_t *rec = (int32_t *)(col + 2 * K4);
  tfk__rq_pairs(rec, bias, mult, shift, out_c, out_zp);
  const int32_t npix = out_h * out_w;
  int32_t y = 0, x = 0;
  for (int32_t p = 0; p < npix; p += 2) {
    const int32_t has1 = p + 1 < npix;
    int32_t y1 = y, x1 = x + 1;
    if (x1 == out_w) {
      x1 = 0;
      y1 = y + 1;
    }
    tfk__im2col(col, 0, in, y, x, in_h, in_w, in_c, k_h, k_w, stride_h,
                stride_w, pad_t, pad_l, in_zp);
    if (has1)
      tfk__im2col(col, 1, in, y1, x1, in_h, in_w, in_c, k_h, k_w, stride_h,
                  stride_w, pad_t, pad_l, in_zp);
    int8_t *o0 = out + p * out_c;
    const int32_t *w = wbase, *r = rec;
    for (int32_t oc = 0; oc < OC2; oc += 2, r += TFK_RQ_PAIR_WORDS) {
      int32_t acc[4] = {r[0], r[1], r[0], r[1]};
      w = tfk__mk22((const int32_t *)col, w, G, i16, i16 ? 16 : 8, acc);
      tfk__rq_store22(r, all_fast, mult, shift, oc,
                      !(out_c & 1) || oc + 2 < OC2, out_zp, act_min, act_max,
                      o0 + oc, o0 + out_c + oc, has1, acc);
    }
    x += 2;
    while (x >= out_w) {
      x -= out_w;
      ++y;
    }
  }
}

/* ===========================================================================
 * depthwise conv2d
 * Planar path (k <= 8, stride_w 1 or 2): per channel, gather a band of the
 * channel's input rows into an int16 plane (padding = in_zp), then slide
 * along x in blocks of 4 output pixels with SMLAD on pixel pairs (U / V
 * weight words, see tfk_pack.c). Other shapes: direct loop.
 * ========================================================================= */

TFK_INLINE void tfk__dw_row_s1(const int32_t *pr, const int32_t *wr, int32_t k_w,
                               int32_t acc[4]) {
  /* outputs x..x+3 (x even), pr = plane row at x; words P_0..P_{NV+1} */
  const int32_t NU = (k_w + 1) / 2, NV = k_w / 2;
  int32_t P[TFK_L_DW_KMAX / 2 + 2];
  for (int32_t q = 0; q < NV + 2; ++q)
    P[q] = pr[q];
  for (int32_t b = 0; b < 2; ++b) {
    int32_t a0 = acc[2 * b], a1 = acc[2 * b + 1];
    for (int32_t q = 0; q < NU; ++q)
      a0 = __smlad(P[b + q], wr[q], a0);
    a1 = __smlatb(P[b], wr[0], a1);
    for (int32_t q = 1; q <= NV; ++q)
      a1 = __smlad(P[b + q], wr[NU + q - 1], a1);
    acc[2 * b] = a0;
    acc[2 * b + 1] = a1;
  }
}

TFK_INLINE void tfk__dw_row_s2(const int32_t *pr, const int32_t *wr, int32_t k_w,
                               int32_t acc[4]) {
  /* outputs x..x+3, pr = plane row at 2x; words P_0..P_{NU+2} */
  const int32_t NU = (k_w + 1) / 2;
  int32_t P[TFK_L_DW_KMAX / 2 + 3];
  for (int32_t q = 0; q < NU + 3; ++q)
    P[q] = pr[q];
  for (int32_t b = 0; b < 4; ++b) {
    int32_t a = acc[b];
    for (int32_t q = 0; q < NU; ++q)
      a = __smlad(P[b + q], wr[q], a);
    acc[b] = a;
  }
}

TFK_INLINE void tfk__dw_channel_rows(
    const int16_t *plane, int32_t pwr, const int32_t *rec, int8_t *outc,
    int32_t out_w, int32_t c, int32_t nrows, int32_t k_h, int32_t k_w,
    int32_t stride_h, int32_t stride_w, const tfk__rq_t *rq, int fast,
    int32_t act_min, int32_t act_max) {
  const int32_t bias = rec[0];
  for (int32_t yo = 0; yo < nrows; ++yo) {
    int8_t *orow = outc + yo * out_w * c;
    for (int32_t x = 0; x < out_w; x += 4) {
      int32_t acc[4] = {bias, bias, bias, bias};
      const int32_t *wr = rec + 1;
      /* keep the weights in the blob: hoisting them spills registers */
      __asm__("" : "+r"(wr));
      for (int32_t i = 0; i < k_h; ++i) {
        const int16_t *row = plane + (yo * stride_h + i) * pwr;
        if (stride_w == 1)
          tfk__dw_row_s1((const int32_t *)(row + x), wr, k_w, acc);
        else
          tfk__dw_row_s2((const int32_t *)(row + 2 * x), wr, k_w, acc);
        wr += k_w;
      }
      int8_t *o = orow + x * c;
      for (int32_t b = 0; b < 4; ++b)
        if (x + b < out_w)
          o[b * c] = (int8_t)tfk__clamp(tfk__rq(rq, acc[b], fast), act_min,
                                        act_max);
    }
  }
}

void tfk_depthwise_conv2d_s8(const int8_t *in, int8_t *out, const void *packed,
                             const int32_t *mult, const int32_t *shift,
                             void *scratch, int32_t in_h, int32_t in_w,
                             int32_t c, int32_t out_h, int32_t out_w,
                             int32_t k_h, int32_t k_w, int32_t stride_h,
                             int32_t stride_w, int32_t pad_t, int32_t pad_l,
                             int32_t in_zp, int32_t out_zp, int32_t act_min,
                             int32_t act_max, int32_t variant) {
  const int32_t R = 1 + k_h * k_w;
  const int32_t *blob = (const int32_t *)packed;
  (void)variant;
  if (tfk_l_dw_planar(k_h, k_w, stride_w)) {
    const int32_t pwr = tfk_l_dw_pwr(out_w, k_w, stride_w);
    const int32_t band =
        tfk_l_dw_band(out_h, out_w, k_h, k_w, stride_h, stride_w);
    int16_t *plane = (int16_t *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
    for (int32_t ch = 0; ch < c; ++ch) {
      const int32_t *rec = blob + ch * R;
      const tfk__rq_t rq = tfk__rq_prep(mult[ch], shift[ch], out_zp);
      for (int32_t yb = 0; yb < out_h; yb += band) {
        const int32_t nb = out_h - yb < band ? out_h - yb : band;
        const int32_t rows = tfk_l_dw_plane_rows(nb, k_h, stride_h);
        /* gather */
        for (int32_t r = 0; r < rows; ++r) {
          const int32_t iy = yb * stride_h - pad_t + r;
          int16_t *prow = plane + r * pwr;
          if (iy >= 0 && iy < in_h) {
            const int8_t *src = in + iy * in_w * c + ch;
            for (int32_t cx = 0; cx < pwr; ++cx) {
              const int32_t ix = cx - pad_l;
              prow[cx] = (ix >= 0 && ix < in_w) ? src[ix * c] : (int16_t)in_zp;
            }
          } else {
            for (int32_t cx = 0; cx < pwr; ++cx)
              prow[cx] = (int16_t)in_zp;
          }
        }
        int8_t *outc = out + yb * out_w * c + ch;
        if (rq.fast)
          tfk__dw_channel_rows(plane, pwr, rec, outc, out_w, c, nb, k_h, k_w,
                               stride_h, stride_w, &rq, 1, act_min, act_max);
        else
          tfk__dw_channel_rows(plane, pwr, rec, outc, out_w, c, nb, k_h, k_w,
                               stride_h, stride_w, &rq, 0, act_min, act_max);
      }
    }
    return;
  }
  /* direct path */
  for (int32_t y = 0; y < out_h; ++y)
    for (int32_t x = 0; x < out_w; ++x)
      for (int32_t ch = 0; ch < c; ++ch) {
        const int32_t *rec = blob + ch * R;
        int32_t acc = rec[0];
        const int16_t *w16 = (const int16_t *)(rec + 1);
        const int32_t NU = (k_w + 1) / 2;
        for (int32_t i = 0; i < k_h; ++i) {
          const int32_t iy = y * stride_h - pad_t + i;
          for (int32_t j = 0; j < k_w; ++j) {
            const int32_t ix = x * stride_w - pad_l + j;
            const int32_t wv = w16[i * 2 * k_w + j]; /* U words are first */
            int32_t v = in_zp;
            if (iy >= 0 && iy < in_h && ix >= 0 && ix < in_w)
              v = in[(iy * in_w + ix) * c + ch];
            acc += v * wv;
          }
          (void)NU;
        }
        const tfk__rq_t rq = tfk__rq_prep(mult[ch], shift[ch], out_zp);
        out[(y * out_w + x) * c + ch] =
            (int8_t)tfk__clamp(tfk__rq(&rq, acc, 0), act_min, act_max);
      }
}
