/*===- tfk_pack.c - host-side weight packing for the tfk kernels -*- C -*-===//
 *
 * Implements tfk/pack.h. Host C99 (also compiles for the target, the kernel
 * self-test packs on the device). All multi-byte values are written in
 * little-endian order (the target's), independent of the host's byte order.
 *
 * Notation: "SMLAD order" of a reduction vector x[0..K4) (K padded with zeros
 * to K4, a multiple of 4): inside each group of 4 the int16 elements are
 * stored as (x0, x2, x1, x3), so the group's two int16x2 words are
 * (x0, x2) = SXTB16(w) and (x1, x3) = SXTB16(ROR(w, 8)) of the natural int8
 * word w = (x0, x1, x2, x3). The kernels convert activations to int16 in
 * that order, so int8 weights can stay in natural order and be extended with
 * SXTB16, and int16 weights are stored already in SMLAD order.
 * Folded bias: bias_eff[o] = bias[o] - in_zp * sum_k w[o][k] (int32, wrapping);
 * the kernels feed in_zp for padded taps, so padding stays exact.
 *
 * BLOB LAYOUTS (blob 8-byte aligned; every section starts 8-byte aligned)
 *
 * conv2d (OHWI weights, K = k_h*k_w*in_c, k = (i*k_w + j)*in_c + c,
 *         K4 = K rounded up to 4, OC2 = out_c rounded up to 2):
 *   int32 bias_eff[OC2]                       (padded channel: 0)
 *   for each output-channel pair p < OC2/2, for each group g < K4/4:
 *     TFK_W_INT8 : int8  w[2p][4g..4g+3], w[2p+1][4g..4g+3]     natural order
 *     TFK_W_INT16: int16 w[2p][4g+{0,2,1,3}], w[2p+1][4g+{0,2,1,3}]
 *   (weights with k >= K or of the padded channel are 0)
 *   size = 4*OC2 + OC2*K4*(1 or 2); scratch = two int16 im2col rows of K4
 *   interleaved per group (slot 0: int16 [8g, 8g+4), slot 1: [8g+4, 8g+8)),
 *   then an 8-word record per output-channel pair (biases, requantization;
 *   tfk_internal.h's tfk__rq_pairs), +8 bytes to align.
 *
 * depthwise conv2d (w [c][k_h][k_w]); both variants use the same blob:
 *   per channel a record of 1 + k_h*k_w int32 words:
 *     bias_eff, then for each kernel row i:
 *       U_q = (w[i][2q], w[i][2q+1])      q < ceil(k_w/2)
 *       V_q = (w[i][2q-1], w[i][2q])      1 <= q <= floor(k_w/2)
 *     (int16x2 words, low half first; w[i][k_w] = 0). U pairs taps for an
 *     output pixel at even offset, V for the next pixel (stride 1 sliding).
 *   scratch = one int16 input plane (band of rows) of the channel (+8).
 *
 * fully connected (w [N][K], K4 = K rounded up to 4, N4 = N rounded to 4):
 *   int32 bias_eff[N4]                        (padded rows: 0)
 *   for each quad of rows r < N4/4, for each group g < K4/4, rows 4r..4r+3:
 *     TFK_W_INT8 : int8  w[row][4g..4g+3]               (4 bytes per row)
 *     TFK_W_INT16: int16 w[row][4g+{0,2,1,3}]           (8 bytes per row)
 *   size = 4*N4 + N4*K4*(1 or 2); scratch = two int16 token rows of K4
 *   (interleaved per group as for conv2d) + the 8-word records per pair of
 *   output rows as for conv2d (+8); one token: the int16 row only (+8).
 *
 * batch matmul (no blob; K4 = K rounded up to 4, N2 = N rounded up to 2):
 *   scratch = b - b_zp transposed to int16 in the int16 FC-weight pair
 *   layout (pair p < N2/2, group g < K4/4: int16 b[4g+{0,2,1,3}][2p], then
 *   the same for column 2p+1; k >= K and column N are 0), then two rows of
 *   a - a_zp interleaved per group: 2*K4*(N2 + 2) bytes (+8).
 *
 * multi-head self-attention (P = E/H, D = P or E with fused_qk, hs =
 * heads_per_step):
 *   blob: for each group of hs heads g < H/hs, three fully connected blobs
 *   (above) with input zero point x_zp folded in: Q = wq rows
 *   [g*hs*D, (g+1)*hs*D), K = wk rows [g*hs*P, (g+1)*hs*P) (absent with
 *   fused_qk), V = wv rows likewise; then O = wo with c_zp folded in. Every
 *   FC blob is a multiple of 16 bytes, so all stay 8-byte aligned.
 *   scratch (tfk_l_mhsa() in tfk_layout.h; S2/S4, D4, P2 = S, D, P rounded
 *   up to 2/4, R2 = min(rows_per_step, S) rounded up to 2, al8 = round up
 *   to 8):
 *     al8(S*hs*D)               group Q int8 (K, V land there first)
 *   + 2*S2*D4*(fused ? 1 : hs)  K - k_zp int16, W layout per head
 *   + 2*hs*P2*S4                V^T - v_zp int16, W layout per head
 *   + 4*D4                      two query rows, int16 interleaved
 *   + al8(2*S4)                 two score rows, int8
 *   + 2*R2*S4                   probability tile, int16 row pairs
 *   + 4*E4 + 12*max(hs*D, E) + 8  the FC kernel's scratch
 *   + 8                         alignment of the base.
 *===----------------------------------------------------------------------===*/
#include "tfk/pack.h"

#include <math.h>
#include <string.h>

#include "../kernels/tfk_layout.h"

enum { TFKP_W_INT8 = 0, TFKP_W_INT16 = 1 };

static void tfkp_put32(unsigned char *p, int32_t v) {
  uint32_t u = (uint32_t)v;
  p[0] = (unsigned char)(u & 0xFF);
  p[1] = (unsigned char)((u >> 8) & 0xFF);
  p[2] = (unsigned char)((u >> 16) & 0xFF);
  p[3] = (unsigned char)((u >> 24) & 0xFF);
}

static void tfkp_put16(unsigned char *p, int32_t v) {
  uint32_t u = (uint32_t)v;
  p[0] = (unsigned char)(u & 0xFF);
  p[1] = (unsigned char)((u >> 8) & 0xFF);
}

static int32_t tfkp_wrap_sub_mul(int32_t bias, int32_t zp, int32_t sum) {
  /* bias - zp * sum in wrapping 32-bit arithmetic */
  uint32_t r = (uint32_t)bias - (uint32_t)zp * (uint32_t)sum;
  return (int32_t)r;
}

void tfk_quantize_multiplier(double real, int32_t *mult, int32_t *shift) {
  int s = 0;
  double q;
  int64_t q_fixed;
  if (real == 0.0) {
    *mult = 0;
    *shift = 0;
    return;
  }
  q = frexp(real, &s);
  q_fixed = (int64_t)round(q * 2147483648.0);
  if (q_fixed == ((int64_t)1 << 31)) {
    q_fixed /= 2;
    ++s;
  }
  if (s < -31) {
    s = 0;
    q_fixed = 0;
  }
  if (s > 30) {
    s = 30;
    q_fixed = ((int64_t)1 << 31) - 1;
  }
  *mult = (int32_t)q_fixed;
  *shift = (int32_t)s;
}

int32_t tfk_rq_all_fast(const int32_t *mult, const int32_t *shift, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    if (!tfk_l_rq_fast(mult[i], shift[i]))
      return 0;
  return 1;
}

/* ---- conv2d ------------------------------------------------------------ */

size_t tfk_conv2d_packed_bytes(int32_t in_c, int32_t out_c, int32_t k_h,
                               int32_t k_w, int32_t variant) {
  size_t oc2 = (size_t)tfk_l_conv_oc2(out_c);
  size_t k4 = (size_t)tfk_l_k4(k_h * k_w * in_c);
  return 4 * oc2 + oc2 * k4 * (variant == TFKP_W_INT16 ? 2u : 1u);
}

void tfk_pack_conv2d(const int8_t *w, const int32_t *bias, int32_t in_zp,
                     int32_t in_c, int32_t out_c, int32_t k_h, int32_t k_w,
                     int32_t variant, void *packed) {
  const int32_t K = k_h * k_w * in_c, K4 = tfk_l_k4(K);
  const int32_t OC2 = tfk_l_conv_oc2(out_c);
  unsigned char *p = (unsigned char *)packed;
  unsigned char *wp = p + 4 * OC2;
  const int esz = variant == TFKP_W_INT16 ? 2 : 1;
  int32_t o, k;
  for (o = 0; o < OC2; ++o) {
    int32_t sum = 0, b = 0;
    if (o < out_c) {
      for (k = 0; k < K; ++k)
        sum += w[(size_t)o * K + k];
      b = tfkp_wrap_sub_mul(bias ? bias[o] : 0, in_zp, sum);
    }
    tfkp_put32(p + 4 * o, b);
  }
  for (o = 0; o < OC2; ++o) {
    const int32_t pair = o >> 1, half = o & 1;
    for (k = 0; k < K4; ++k) {
      const int32_t g = k >> 2;
      const int32_t v = (o < out_c && k < K) ? w[(size_t)o * K + k] : 0;
      size_t off = ((size_t)pair * (K4 / 4) + g) * 8 + (size_t)half * 4;
      if (esz == 1) {
        wp[off + (k & 3)] = (unsigned char)(uint8_t)(int8_t)v;
      } else {
        off = off * 2 + 2 * (size_t)(tfk_l_pos(k) & 3);
        tfkp_put16(wp + off, v);
      }
    }
  }
}

size_t tfk_conv2d_scratch_bytes(int32_t in_h, int32_t in_w, int32_t in_c,
                                int32_t out_h, int32_t out_w, int32_t out_c,
                                int32_t k_h, int32_t k_w, int32_t variant) {
  (void)in_h;
  (void)in_w;
  (void)out_h;
  (void)out_w;
  (void)variant;
  return (size_t)4 * (size_t)tfk_l_k4(k_h * k_w * in_c) +
         (size_t)tfk_l_rq_pairs_bytes(out_c) + TFK_L_SCRATCH_SLACK;
}

/* ---- depthwise ----------------------------------------------------------- */

size_t tfk_depthwise_conv2d_packed_bytes(int32_t c, int32_t k_h, int32_t k_w,
                                         int32_t variant) {
  (void)variant;
  return (size_t)4 * (size_t)c * (size_t)(1 + k_h * k_w);
}

void tfk_pack_depthwise_conv2d(const int8_t *w, const int32_t *bias,
                               int32_t in_zp, int32_t c, int32_t k_h,
                               int32_t k_w, int32_t variant, void *packed) {
  unsigned char *p = (unsigned char *)packed;
  const int32_t R = 1 + k_h * k_w;
  const int32_t NU = (k_w + 1) / 2, NV = k_w / 2;
  int32_t ch, i, q;
  (void)variant;
  for (ch = 0; ch < c; ++ch) {
    unsigned char *rec = p + (size_t)4 * R * ch;
    const int8_t *wc = w + (size_t)ch * k_h * k_w;
    int32_t sum = 0;
    for (i = 0; i < k_h * k_w; ++i)
      sum += wc[i];
    tfkp_put32(rec, tfkp_wrap_sub_mul(bias ? bias[ch] : 0, in_zp, sum));
    rec += 4;
    for (i = 0; i < k_h; ++i) {
      const int8_t *wr = wc + i * k_w;
      for (q = 0; q < NU; ++q) {
        int32_t lo = wr[2 * q];
        int32_t hi = 2 * q + 1 < k_w ? wr[2 * q + 1] : 0;
        tfkp_put16(rec, lo);
        tfkp_put16(rec + 2, hi);
        rec += 4;
      }
      for (q = 1; q <= NV; ++q) {
        int32_t lo = wr[2 * q - 1];
        int32_t hi = 2 * q < k_w ? wr[2 * q] : 0;
        tfkp_put16(rec, lo);
        tfkp_put16(rec + 2, hi);
        rec += 4;
      }
    }
  }
}

size_t tfk_depthwise_conv2d_scratch_bytes(int32_t in_h, int32_t in_w,
                                          int32_t c, int32_t out_h,
                                          int32_t out_w, int32_t k_h,
                                          int32_t k_w, int32_t variant) {
  /* The stride is not an argument here: size for the larger of strides 1
   * and 2 (the planar path handles only those; other strides need none). */
  size_t best = 0;
  int32_t sh, sw;
  (void)in_h;
  (void)in_w;
  (void)c;
  (void)variant;
  if (!tfk_l_dw_planar(k_h, k_w, 1))
    return 0;
  for (sh = 1; sh <= 2; ++sh)
    for (sw = 1; sw <= 2; ++sw) {
      int32_t band = tfk_l_dw_band(out_h, out_w, k_h, k_w, sh, sw);
      size_t b = (size_t)2 * tfk_l_dw_plane_rows(band, k_h, sh) *
                 tfk_l_dw_pwr(out_w, k_w, sw);
      if (b > best)
        best = b;
    }
  return best + TFK_L_SCRATCH_SLACK;
}

/* ---- fully connected ----------------------------------------------------- */

size_t tfk_fully_connected_packed_bytes(int32_t in_features,
                                        int32_t out_features, int32_t variant) {
  return (size_t)tfk_l_fc_packed(in_features, out_features,
                                 variant == TFKP_W_INT16);
}

void tfk_pack_fully_connected(const int8_t *w, const int32_t *bias,
                              int32_t in_zp, int32_t in_features,
                              int32_t out_features, int32_t variant,
                              void *packed) {
  const int32_t K = in_features, K4 = tfk_l_k4(K);
  const int32_t N = out_features, N4 = tfk_l_fc_n4(N);
  const int esz = variant == TFKP_W_INT16 ? 2 : 1;
  unsigned char *p = (unsigned char *)packed;
  unsigned char *wp = p + 4 * N4;
  int32_t n, k;
  for (n = 0; n < N4; ++n) {
    int32_t sum = 0, b = 0;
    if (n < N) {
      for (k = 0; k < K; ++k)
        sum += w[(size_t)n * K + k];
      b = tfkp_wrap_sub_mul(bias ? bias[n] : 0, in_zp, sum);
    }
    tfkp_put32(p + 4 * n, b);
  }
  for (n = 0; n < N4; ++n) {
    const int32_t quad = n >> 2, r = n & 3;
    for (k = 0; k < K4; ++k) {
      const int32_t g = k >> 2;
      const int32_t v = (n < N && k < K) ? w[(size_t)n * K + k] : 0;
      size_t off = (((size_t)quad * (K4 / 4) + g) * 4 + r) * 4 * esz;
      if (esz == 1)
        wp[off + (k & 3)] = (unsigned char)(uint8_t)(int8_t)v;
      else
        tfkp_put16(wp + off + 2 * (size_t)(tfk_l_pos(k) & 3), v);
    }
  }
}

size_t tfk_fully_connected_scratch_bytes(int32_t tokens, int32_t in_features,
                                         int32_t out_features,
                                         int32_t variant) {
  (void)variant;
  /* one token: the int16 copy of x only (no bias/requantization records) */
  if (tokens == 1)
    return (size_t)4 * (size_t)tfk_l_k4(in_features) + TFK_L_SCRATCH_SLACK;
  return (size_t)tfk_l_fc_scratch(in_features, out_features);
}

/* ---- batch matmul -------------------------------------------------------- */

size_t tfk_batch_matmul_scratch_bytes(int32_t M, int32_t K, int32_t N) {
  (void)M;
  return (size_t)tfk_l_bmm_scratch(K, N);
}

/* ---- layer norm ---------------------------------------------------------- */

void tfk_pack_layer_norm(const int16_t *gamma, const int32_t *beta, int32_t C,
                         int32_t *out) {
  for (int32_t c = 0; c < C; c += 2, out += 3) {
    const int32_t pair = c + 1 < C;
    out[0] = beta[c];
    out[1] = pair ? beta[c + 1] : 0;
    out[2] = (int32_t)((uint32_t)(uint16_t)gamma[c] |
                       (pair ? (uint32_t)(uint16_t)gamma[c + 1] << 16 : 0u));
  }
}

/* ---- multi-head self-attention ------------------------------------------- */

size_t tfk_mhsa_packed_bytes(int32_t E, int32_t H, int32_t heads_per_step,
                             int32_t fused_qk, int32_t variant) {
  const int32_t P = E / H, D = fused_qk ? E : P, hs = heads_per_step;
  const int32_t i16 = variant == TFKP_W_INT16;
  const size_t bkv = (size_t)tfk_l_fc_packed(E, hs * P, i16);
  const size_t grp =
      (size_t)tfk_l_fc_packed(E, hs * D, i16) + (fused_qk ? 0 : bkv) + bkv;
  return (size_t)(H / hs) * grp + (size_t)tfk_l_fc_packed(E, E, i16);
}

void tfk_pack_mhsa(const int8_t *wq, const int32_t *bq, const int8_t *wk,
                   const int32_t *bk, const int8_t *wv, const int32_t *bv,
                   const int8_t *wo, const int32_t *bo, int32_t x_zp,
                   int32_t c_zp, int32_t E, int32_t H, int32_t heads_per_step,
                   int32_t fused_qk, int32_t variant, void *packed) {
  const int32_t P = E / H, D = fused_qk ? E : P, hs = heads_per_step;
  const int32_t nq = hs * D, nkv = hs * P, i16 = variant == TFKP_W_INT16;
  unsigned char *p = (unsigned char *)packed;
  int32_t g;
  for (g = 0; g < H / hs; ++g) {
    tfk_pack_fully_connected(wq + (size_t)g * nq * E, bq ? bq + g * nq : NULL,
                             x_zp, E, nq, variant, p);
    p += tfk_l_fc_packed(E, nq, i16);
    if (!fused_qk) {
      tfk_pack_fully_connected(wk + (size_t)g * nkv * E,
                               bk ? bk + g * nkv : NULL, x_zp, E, nkv, variant,
                               p);
      p += tfk_l_fc_packed(E, nkv, i16);
    }
    tfk_pack_fully_connected(wv + (size_t)g * nkv * E, bv ? bv + g * nkv : NULL,
                             x_zp, E, nkv, variant, p);
    p += tfk_l_fc_packed(E, nkv, i16);
  }
  tfk_pack_fully_connected(wo, bo, c_zp, E, E, variant, p);
}

size_t tfk_mhsa_scratch_bytes(int32_t S, int32_t E, int32_t H,
                              int32_t heads_per_step, int32_t rows_per_step,
                              int32_t fused_qk, int32_t variant) {
  (void)variant;
  return (size_t)tfk_l_mhsa(S, E, H, heads_per_step, rows_per_step, fused_qk)
      .end;
}
