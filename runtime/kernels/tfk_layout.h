/*===- tfk_layout.h - packed-blob / scratch geometry shared by kernels & pack -===//
 *
 * Private to runtime/kernels and runtime/pack: both the device kernels
 * (runtime/kernels, through tfk_internal.h) and the host packer
 * (tfk_pack.c) include this header so that blob layouts and scratch sizes
 * are computed by one piece of code.
 * Layouts are documented at the top of runtime/pack/tfk_pack.c.
 *===----------------------------------------------------------------------===*/
#ifndef TFK_LAYOUT_H
#define TFK_LAYOUT_H

#include <stdint.h>

/* Reduction length padded to a multiple of 4 (one SMLAD pair of words). */
static inline int32_t tfk_l_k4(int32_t k) { return (k + 3) & ~3; }

/* Position of reduction element k in the int16 "SMLAD order": inside every
 * group of 4, element order is (0, 2, 1, 3), so that the two int16x2 words of
 * a group are (x0, x2) and (x1, x3) = SXTB16(word) and SXTB16(ROR(word, 8)). */
static inline int32_t tfk_l_pos(int32_t k) {
  return (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1);
}

/* conv2d: output channels padded to even, K = k_h*k_w*in_c padded to 4. */
static inline int32_t tfk_l_conv_oc2(int32_t out_c) { return (out_c + 1) & ~1; }

/* The fast form of requantization applies: mult >= 2^30 and a right shift
 * of 1..24 (tfk_internal.h's tfk__rq_prep). */
static inline int32_t tfk_l_rq_fast(int32_t mult, int32_t shift) {
  return mult >= (1 << 30) && -shift >= 1 && -shift <= 24;
}

/* Extra bytes of every scratch buffer so the kernel can align it to 8. */
#define TFK_L_SCRATCH_SLACK 8

/* Depthwise planar path: int16 plane rows of PWR elements, bands of output
 * rows so that one plane stays below TFK_L_DW_PLANE_BYTES (when possible). */
#define TFK_L_DW_PLANE_BYTES 4096
#define TFK_L_DW_KMAX 8 /* planar path for k_w, k_h <= 8 */
#define TFK_L_DW_BLOCK 4 /* output pixels per inner block */

static inline int32_t tfk_l_dw_planar(int32_t k_h, int32_t k_w,
                                      int32_t stride_w) {
  return k_h <= TFK_L_DW_KMAX && k_w <= TFK_L_DW_KMAX &&
         (stride_w == 1 || stride_w == 2);
}
static inline int32_t tfk_l_dw_pwr(int32_t out_w, int32_t k_w,
                                   int32_t stride_w) {
  int32_t ow4 = (out_w + TFK_L_DW_BLOCK - 1) & ~(TFK_L_DW_BLOCK - 1);
  return ((ow4 - 1) * stride_w + k_w + 4 + 1) & ~1;
}
static inline int32_t tfk_l_dw_band(int32_t out_h, int32_t out_w, int32_t k_h,
                                    int32_t k_w, int32_t stride_h,
                                    int32_t stride_w) {
  int32_t row_bytes = 2 * tfk_l_dw_pwr(out_w, k_w, stride_w);
  int32_t rows = TFK_L_DW_PLANE_BYTES / row_bytes;
  int32_t band = rows >= k_h ? (rows - k_h) / stride_h + 1 : 1;
  if (band > out_h)
    band = out_h;
  if (band < 1)
    band = 1;
  return band;
}
static inline int32_t tfk_l_dw_plane_rows(int32_t band, int32_t k_h,
                                          int32_t stride_h) {
  return (band - 1) * stride_h + k_h;
}

/* Fully connected: output rows padded to a multiple of 4. */
static inline int32_t tfk_l_fc_n4(int32_t n) { return (n + 3) & ~3; }

/* Fully connected blob and scratch bytes (layouts in tfk_pack.c). */
static inline int32_t tfk_l_fc_packed(int32_t k, int32_t n, int32_t i16) {
  return 4 * tfk_l_fc_n4(n) + tfk_l_fc_n4(n) * tfk_l_k4(k) * (i16 ? 2 : 1);
}
static inline int32_t tfk_l_even(int32_t n) { return (n + 1) & ~1; }

/* The per-channel-pair bias and requantization records of conv2d and fully
 * connected (8 words per pair of output channels, tfk_internal.h). */
static inline int32_t tfk_l_rq_pairs_bytes(int32_t n) {
  return 16 * tfk_l_even(n);
}
static inline int32_t tfk_l_fc_scratch(int32_t k, int32_t n) {
  return 4 * tfk_l_k4(k) + tfk_l_rq_pairs_bytes(n) + TFK_L_SCRATCH_SLACK;
}
static inline int32_t tfk_l_al8(int32_t n) { return (n + 7) & ~7; }

/* Batch matmul scratch: b transposed to int16 (N even x K4, pair-blocked,
 * see tfk_pack.c) then two interleaved int16 rows of a (2 x K4). */
static inline int32_t tfk_l_bmm_scratch(int32_t k, int32_t n) {
  return 2 * tfk_l_k4(k) * (tfk_l_even(n) + 2) + TFK_L_SCRATCH_SLACK;
}

/* Multi-head self-attention: byte offsets of the scratch parts (from the
 * 8-byte aligned base; every part 8-byte aligned), see tfk_pack.c. */
typedef struct {
  int32_t q8;  /* int8 [S][hs*D]: group Q (first K and V, unconverted) */
  int32_t k16; /* int16 K - k_zp, pair-blocked, per head [S2/2][D4/4][2][4]
                  (fused_qk: x - x_zp once, shared by the heads) */
  int32_t vt;  /* int16 V^T - v_zp, pair-blocked, per head [P2/2][S4/4][2][4] */
  int32_t qx;  /* int16 two interleaved query rows [D4/4][2][4] */
  int32_t sc;  /* int8 scores of two query rows [2][S4] */
  int32_t pr;  /* int16 probabilities + 128 of the row block, row pairs
                  interleaved [R2/2][S4/4][2][4] */
  int32_t fc;  /* the fully connected kernel's scratch */
  int32_t end; /* total, including the alignment slack */
} tfk_l_mhsa_t;

static inline tfk_l_mhsa_t tfk_l_mhsa(int32_t S, int32_t E, int32_t H,
                                      int32_t hs, int32_t R, int32_t fused) {
  const int32_t P = E / H, D = fused ? E : P;
  const int32_t S4 = tfk_l_k4(S), D4 = tfk_l_k4(D);
  const int32_t R2 = tfk_l_even(R < S ? R : S);
  const int32_t nfc = hs * D > E ? hs * D : E;
  tfk_l_mhsa_t g;
  g.q8 = 0;
  g.k16 = g.q8 + tfk_l_al8(S * hs * D);
  g.vt = g.k16 + 2 * tfk_l_even(S) * D4 * (fused ? 1 : hs);
  g.qx = g.vt + 2 * hs * tfk_l_even(P) * S4;
  g.sc = g.qx + 4 * D4;
  g.pr = g.sc + tfk_l_al8(2 * S4);
  g.fc = g.pr + 2 * R2 * S4;
  g.end = g.fc + tfk_l_fc_scratch(E, nfc) + TFK_L_SCRATCH_SLACK;
  return g;
}

#endif /* TFK_LAYOUT_H */
