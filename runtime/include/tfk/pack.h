/*===- tfk/pack.h - host-side weight packing for tfk kernels -----*- C -*-===//
 *
 * Runs inside the compiler (host), never on the device. For each kernel with
 * a `packed` argument it gives the blob size, fills the blob (weights in the
 * layout that kernel variant reads, biases with the input zero point folded
 * in, or whatever else the kernel wants precomputed), and says how much
 * scratch the kernel needs. The blob is emitted 8-byte aligned.
 *===----------------------------------------------------------------------===*/
#ifndef TFK_PACK_H
#define TFK_PACK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TFLite's QuantizeMultiplier: real = mult * 2^(shift - 31), mult in
 * [2^30, 2^31) (or 0 when real == 0); shift clamped so that mbqm's right
 * shift stays <= 31 (a real multiplier below 2^-32 becomes 0). */
void tfk_quantize_multiplier(double real, int32_t *mult, int32_t *shift);

/* 1 when every (mult, shift) of the n channels takes the kernels' fast
 * requantization form: conv2d and fully connected then take TFK_RQ_FAST
 * (tfk/kernels.h) in their variant. */
int32_t tfk_rq_all_fast(const int32_t *mult, const int32_t *shift, int32_t n);

/* conv2d: w is OHWI int8 [out_c][k_h][k_w][in_c], bias int32 [out_c]. */
size_t tfk_conv2d_packed_bytes(int32_t in_c, int32_t out_c, int32_t k_h,
                               int32_t k_w, int32_t variant);
void tfk_pack_conv2d(const int8_t *w, const int32_t *bias, int32_t in_zp,
                     int32_t in_c, int32_t out_c, int32_t k_h, int32_t k_w,
                     int32_t variant, void *packed);
size_t tfk_conv2d_scratch_bytes(int32_t in_h, int32_t in_w, int32_t in_c,
                                int32_t out_h, int32_t out_w, int32_t out_c,
                                int32_t k_h, int32_t k_w, int32_t variant);

/* depthwise: w is int8 [c][k_h][k_w], bias int32 [c]. */
size_t tfk_depthwise_conv2d_packed_bytes(int32_t c, int32_t k_h, int32_t k_w,
                                         int32_t variant);
void tfk_pack_depthwise_conv2d(const int8_t *w, const int32_t *bias,
                               int32_t in_zp, int32_t c, int32_t k_h,
                               int32_t k_w, int32_t variant, void *packed);
size_t tfk_depthwise_conv2d_scratch_bytes(int32_t in_h, int32_t in_w,
                                          int32_t c, int32_t out_h,
                                          int32_t out_w, int32_t k_h,
                                          int32_t k_w, int32_t variant);

/* fully connected: w is int8 [out_features][in_features], bias int32. */
size_t tfk_fully_connected_packed_bytes(int32_t in_features,
                                        int32_t out_features, int32_t variant);
void tfk_pack_fully_connected(const int8_t *w, const int32_t *bias,
                              int32_t in_zp, int32_t in_features,
                              int32_t out_features, int32_t variant,
                              void *packed);
size_t tfk_fully_connected_scratch_bytes(int32_t tokens, int32_t in_features,
                                         int32_t out_features,
                                         int32_t variant);

/* batch matmul: scratch for b transposed to int16 (K padded to 4) and two
 * rows of a. */
size_t tfk_batch_matmul_scratch_bytes(int32_t M, int32_t K, int32_t N);

/* layer norm: gamma int16 [C], beta int32 [C] -> out, the kernel's
 * tfk_layer_norm_params_words(C) words (kernels.h). */
void tfk_pack_layer_norm(const int16_t *gamma, const int32_t *beta, int32_t C,
                         int32_t *out);

/* multi-head self-attention: wq int8 [H*D][E] (D = P, or E with fused_qk),
 * bq int32 [H*D]; wk [E][E], bk [E] (both NULL with fused_qk); wv, wo
 * [E][E], bv, bo [E]. x_zp is folded into the q/k/v biases, c_zp into the
 * output projection's. The layout depends on heads_per_step. */
size_t tfk_mhsa_packed_bytes(int32_t E, int32_t H, int32_t heads_per_step,
                             int32_t fused_qk, int32_t variant);
void tfk_pack_mhsa(const int8_t *wq, const int32_t *bq, const int8_t *wk,
                   const int32_t *bk, const int8_t *wv, const int32_t *bv,
                   const int8_t *wo, const int32_t *bo, int32_t x_zp,
                   int32_t c_zp, int32_t E, int32_t H, int32_t heads_per_step,
                   int32_t fused_qk, int32_t variant, void *packed);
size_t tfk_mhsa_scratch_bytes(int32_t S, int32_t E, int32_t H,
                              int32_t heads_per_step, int32_t rows_per_step,
                              int32_t fused_qk, int32_t variant);

#ifdef __cplusplus
}
#endif

#endif /* TFK_PACK_H */
