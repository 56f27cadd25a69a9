/*===- tfk_layout.h - packed-blob / scratch geometry shared by kernels & pack -===//
 *
 * Private to runtime/kernels and runtime/pack: both the device kernels
 * (tfk_kernels.c) and the host packer (tfk_pack.c) include this header so
 * that blob layouts and scratch sizes are computed by one piece of code.
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

#endif /* TFK_LAYOUT_H */
