/*===- tfk/kernels.h - TinyFormer INT8 kernel contract ----------*- C -*-===//
 *
 * The contract between the compiler and the kernels it inlines into every
 * emitted module. Kernels are C, compiled once by clang-19 to thumbv7em
 * bitcode at build time; the compiler links that bitcode into each model
 * module, calls the kernels with *constant* shape arguments and inlines them,
 * so LLVM specialises every call to its layer (IREE's micro-kernel way).
 *
 * Arithmetic follows TFLite / CMSIS-NN int8 rules exactly: the host reference
 * interpreter (lib/Reference) implements the same formulas independently and
 * every kernel is checked bit-exactly against it on the emulator.
 *
 * Conventions:
 *  - activations are int8, 4-D ones stored NHWC (batch 1), 2-D ones [T][K];
 *  - every int argument is int32_t so the compiler can pass i32 constants;
 *  - `variant` selects a weight format chosen by the compiler per layer:
 *    TFK_W_INT8 (weights stay int8) or TFK_W_INT16 (pre-extended to int16
 *    offline: faster, twice the weight flash);
 *  - weights, biases and anything else precomputed offline live in one
 *    `packed` blob produced on the host by tfk/pack.h for the same
 *    arguments; `scratch` is a per-call buffer of tfk_*_scratch_bytes() bytes
 *    (may be NULL when that is 0);
 *  - `mult`/`shift` are per-output-channel requantization parameters from
 *    tfk_quantize_multiplier() (tfk/pack.h);
 *  - no heap, no libc beyond memcpy/memset, no global mutable state.
 *===----------------------------------------------------------------------===*/
#ifndef TFK_KERNELS_H
#define TFK_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { TFK_W_INT8 = 0, TFK_W_INT16 = 1 };
/* Flag of conv2d's and fully connected's `variant` (never of the packers'):
 * every output channel's requantization takes the fast form (mult >= 2^30,
 * right shift 1..24), so the kernel drops its per-channel test. Set by the
 * compiler, which knows the multipliers (tfk_rq_all_fast). */
enum { TFK_RQ_FAST = 2 };

/* --- Requantization (TFLite "double rounding") ------------------------------
 * srdhm(a, b): if a == b == INT32_MIN return INT32_MAX; else
 *   ab = (int64)a * b; nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
 *   return (int32)((ab + nudge) / (1LL << 31))   -- C division, truncating.
 * rdbpot(x, e), 0 <= e <= 31: mask = (1 << e) - 1; rem = x & mask;
 *   threshold = (mask >> 1) + (x < 0); return (x >> e) + (rem > threshold).
 * mbqm(x, m, shift): left = shift > 0 ? shift : 0; right = shift > 0 ? 0 : -shift;
 *   return rdbpot(srdhm(x * (1 << left), m), right).
 */

/* conv2d, groups == 1. in [in_h][in_w][in_c], out [out_h][out_w][out_c].
 * out[y][x][o] = clamp(out_zp + mbqm(bias[o] + sum_{i,j,c} (in[y*stride_h -
 *   pad_t + i][x*stride_w - pad_l + j][c] - in_zp) * w[o][i][j][c],
 *   mult[o], shift[o]), act_min, act_max); taps outside the input add 0.
 * packed = tfk_pack_conv2d(w in OHWI, bias, in_zp, ...). */
void tfk_conv2d_s8(const int8_t *in, int8_t *out, const void *packed,
                   const int32_t *mult, const int32_t *shift, void *scratch,
                   int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h,
                   int32_t out_w, int32_t out_c, int32_t k_h, int32_t k_w,
                   int32_t stride_h, int32_t stride_w, int32_t pad_t,
                   int32_t pad_l, int32_t in_zp, int32_t out_zp,
                   int32_t act_min, int32_t act_max, int32_t variant);

/* Depthwise conv2d (channel multiplier 1): in_c == out_c == c, same
 * arguments and formula as conv2d with the sum over (i, j) only and
 * w[c][i][j]. packed = tfk_pack_depthwise_conv2d(w in [c][k_h][k_w], ...). */
void tfk_depthwise_conv2d_s8(const int8_t *in, int8_t *out, const void *packed,
                             const int32_t *mult, const int32_t *shift,
                             void *scratch, int32_t in_h, int32_t in_w,
                             int32_t c, int32_t out_h, int32_t out_w,
                             int32_t k_h, int32_t k_w, int32_t stride_h,
                             int32_t stride_w, int32_t pad_t, int32_t pad_l,
                             int32_t in_zp, int32_t out_zp, int32_t act_min,
                             int32_t act_max, int32_t variant);

/* Fully connected over tokens: in [tokens][in_features], out
 * [tokens][out_features], w [out_features][in_features].
 * out[t][n] = clamp(out_zp + mbqm(bias[n] + sum_k (in[t][k] - in_zp) *
 *   w[n][k], mult[n], shift[n]), act_min, act_max). */
void tfk_fully_connected_s8(const int8_t *in, int8_t *out, const void *packed,
                            const int32_t *mult, const int32_t *shift,
                            void *scratch, int32_t tokens,
                            int32_t in_features, int32_t out_features,
                            int32_t in_zp, int32_t out_zp, int32_t act_min,
                            int32_t act_max, int32_t variant);

/* Elementwise add of two int8 tensors of n elements (TFLite ADD):
 * sa = mbqm((a - a_zp) << left_shift, a_mult, a_shift); sb likewise;
 * out = clamp(out_zp + mbqm(sa + sb, out_mult, out_shift), act_min, act_max). */
void tfk_add_s8(const int8_t *a, const int8_t *b, int8_t *out, int32_t n,
                int32_t a_zp, int32_t a_mult, int32_t a_shift, int32_t b_zp,
                int32_t b_mult, int32_t b_shift, int32_t left_shift,
                int32_t out_mult, int32_t out_shift, int32_t out_zp,
                int32_t act_min, int32_t act_max);

/* The same sum with each input's rescale read from a table built by the
 * compiler: tables[code + 128] = mbqm((code - a_zp) << left_shift, a) for
 * a, tables[256 + code + 128] likewise for b (512 words, in flash); then
 * out = out_zp + mbqm(ta + tb, out), clamped. The same values as
 * tfk_add_s8, in about a third of its instructions. */
void tfk_add_table_s8(const int8_t *a, const int8_t *b, int8_t *out, int32_t n,
                      const int32_t *tables, int32_t out_mult, int32_t out_shift,
                      int32_t out_zp, int32_t act_min, int32_t act_max);

/* Product of two int8 activations (TFLite MUL), x of outer x inner values
 * and g of inner values per row (g_stride apart: 0 broadcasts one row, a
 * channel gate over the pixels of an NHWC map):
 * out = clamp(out_zp + mbqm((x - x_zp) * (g - g_zp), mult, shift)). */
void tfk_mul_s8(const int8_t *x, const int8_t *g, int8_t *out, int32_t outer,
                int32_t inner, int32_t g_stride, int32_t x_zp, int32_t g_zp,
                int32_t mult, int32_t shift, int32_t out_zp, int32_t act_min,
                int32_t act_max);

/* Max pooling, NHWC, input and output share scale and zero point:
 * out = clamp(max over the taps inside the input, act_min, act_max). */
void tfk_max_pool_s8(const int8_t *in, int8_t *out, int32_t in_h, int32_t in_w,
                     int32_t c, int32_t out_h, int32_t out_w, int32_t k_h,
                     int32_t k_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_t, int32_t pad_l, int32_t act_min,
                     int32_t act_max);

/* Average pooling, NHWC (global average pooling is k = input size):
 * acc = sum over the taps inside the input of (in - in_zp);
 * count = count_include_pad ? k_h * k_w : number of those taps;
 * out = clamp(out_zp + mbqm(acc, mult[count], shift[count]), act_min,
 * act_max); mult/shift have k_h * k_w + 1 entries (entry 0 unused). */
void tfk_avg_pool_s8(const int8_t *in, int8_t *out, const int32_t *mult,
                     const int32_t *shift, int32_t in_h, int32_t in_w,
                     int32_t c, int32_t out_h, int32_t out_w, int32_t k_h,
                     int32_t k_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_t, int32_t pad_l, int32_t count_include_pad,
                     int32_t in_zp, int32_t out_zp, int32_t act_min,
                     int32_t act_max);

/* Requantize n elements (also standalone ReLU/clip):
 * out = clamp(out_zp + mbqm(in - in_zp, mult, shift), act_min, act_max). */
void tfk_requantize_s8(const int8_t *in, int8_t *out, int32_t n, int32_t in_zp,
                       int32_t mult, int32_t shift, int32_t out_zp,
                       int32_t act_min, int32_t act_max);

/* The same for `rows` rows of len elements, in_stride / out_stride apart
 * (one input of a concat), over the full int8 range. */
void tfk_requantize_rows_s8(const int8_t *in, int8_t *out, int32_t rows,
                            int32_t len, int32_t in_stride, int32_t out_stride,
                            int32_t in_zp, int32_t mult, int32_t shift,
                            int32_t out_zp);

/* Transpose of a 4-D tensor with dims d0..d3 (leading 1s for lower ranks):
 * out dims are (d[p0], d[p1], d[p2], d[p3]) and
 * out[i0][i1][i2][i3] = in[j] with j[p_k] = i_k. */
void tfk_transpose_s8(const int8_t *in, int8_t *out, int32_t d0, int32_t d1,
                      int32_t d2, int32_t d3, int32_t p0, int32_t p1,
                      int32_t p2, int32_t p3);

/* PReLU with a slope per channel of [outer][c][inner] int8 elements (NHWC:
 * inner 1; logical [N, C, L]: outer 1): v = in - in_zp; out = out_zp +
 * (v >= 0 ? mbqm(v, pos) : sign * mbqm(v, neg[c])); neg holds (mult, shift,
 * sign) per channel. */
void tfk_prelu_s8(const int8_t *in, int8_t *out, int32_t outer, int32_t c,
                  int32_t inner, int32_t in_zp, int32_t out_zp,
                  int32_t pos_mult, int32_t pos_shift, const int32_t *neg);

/* Pad of an h x w map of c channels (NHWC; a sequence as 1 x tokens x
 * features): top / bottom rows, left / right columns, front / back
 * channels; mode 0 fills them with `value` (an INT8 code), 1 mirrors the
 * input about its edge (ONNX reflect), 2 repeats the edge. */
void tfk_pad_s8(const int8_t *in, int8_t *out, int32_t h, int32_t w,
                int32_t c, int32_t top, int32_t bottom, int32_t left,
                int32_t right, int32_t front, int32_t back, int32_t mode,
                int32_t value);

/* Nearest upsampling of `rows` rows of w pixels of c channels (NHWC, N*H
 * rows) by sh x sw: out pixel (y, x) = in pixel (y / sh, x / sw). */
void tfk_resize_nearest_s8(const int8_t *in, int8_t *out, int32_t rows,
                           int32_t w, int32_t c, int32_t sh, int32_t sw);

/* Bilinear upsampling (half-pixel centres, tfk/resize.h) of n maps of h x w
 * pixels of c channels (NHWC) by sh x sw; the scale and zero point carry
 * over: out = floor((sum of tap weights x inputs + 2 sh sw) / (4 sh sw)). */
void tfk_resize_bilinear_s8(const int8_t *in, int8_t *out, int32_t n, int32_t h,
                            int32_t w, int32_t c, int32_t sh, int32_t sw);

/* A copy in a new order of up to 6 axes: out is d0 x ... x d5 in row-major
 * order, and element (i0, ..., i5) comes from in[i0*s0 + ... + i5*s5]
 * (strides in bytes; an innermost s5 of 1 copies runs of d5 bytes). */
void tfk_shuffle_s8(const int8_t *in, int8_t *out, int32_t d0, int32_t d1,
                    int32_t d2, int32_t d3, int32_t d4, int32_t d5, int32_t s0,
                    int32_t s1, int32_t s2, int32_t s3, int32_t s4, int32_t s5);

/* Depth to space of an NHWC map of `rows` rows (N*H) of w pixels of
 * c * bh * bw channels: output pixel (y*bh + i, x*bw + j) takes channel c0
 * from input channel (i*bw + j)*c + c0 (crd = 0, DCR: one copy of c bytes)
 * or c0*bh*bw + i*bw + j (crd = 1, CRD: a gather with stride bh*bw). */
void tfk_depth_to_space_s8(const int8_t *in, int8_t *out, int32_t rows,
                           int32_t w, int32_t c, int32_t bh, int32_t bw,
                           int32_t crd);

/* Softmax over the last axis of [rows][cols] (cols < 32768), LUT based:
 * per row m = max(in); e(x) = exp_table[m - x] (table of 256 int32 values,
 * exp_table[d] = round(65536 * exp(-d * in_scale)), built by the compiler);
 * sum = sum of e over the row (uint32); recip = 0x7FFFFFFFu / sum;
 * p = (int32)((uint32)e * recip);
 * out = clamp(out_zp + mbqm(p, out_mult, out_shift), -128, 127). */
void tfk_softmax_s8(const int8_t *in, int8_t *out, const int32_t *exp_table,
                    int32_t rows, int32_t cols, int32_t out_mult,
                    int32_t out_shift, int32_t out_zp);

/* --- Transformer kernels ------------------------------------------------- */

/* Batch matmul of two activations: a [batch][M][K], b [b_batch][K][N]
 * (b_batch is batch or 1: one b for every batch), out [batch][M][N]:
 * out = clamp(out_zp + mbqm(sum_k (a - a_zp) * (b - b_zp), mult, shift),
 *             act_min, act_max).
 * scratch: tfk_batch_matmul_scratch_bytes(M, K, N) bytes (tfk/pack.h). */
void tfk_batch_matmul_s8(const int8_t *a, const int8_t *b, int8_t *out,
                         void *scratch, int32_t batch, int32_t b_batch,
                         int32_t M, int32_t K, int32_t N, int32_t a_zp,
                         int32_t b_zp, int32_t out_zp, int32_t mult,
                         int32_t shift, int32_t act_min, int32_t act_max);

/* LayerNorm over the last axis of [tokens][C], integer only. Per token,
 * over the raw int8 codes x_c (the input zero point cancels):
 *   A    = sum_c x_c,  B = sum_c x_c^2
 *   var  = (int64)C * B - (int64)A * A + eps_term   (eps_term = round(eps *
 *          C^2 / s_in^2), computed by the compiler; var in [0, 2^62))
 *   r    = tfk_ln_scale(var, frac_bits)  (tfk/layer_norm.h: ~2^F / sqrt(var))
 *   t_c  = (C * x_c - A) * r  (int32, F fractional bits of the normalised
 *          value; exact because frac_bits <= 30 - ceil(log2(C) / 2))
 *   out[c] = sat8(((((int64)t_c * gamma_c) >> 16) + beta_c) >> out_shift)
 *          (gamma_c = round(g_c / s_out * 2^(16 + out_shift - F)), int16;
 *          beta_c = round((b_c / s_out + out_zp) * 2^out_shift) plus
 *          2^(out_shift - 1) for rounding, |beta_c| <= 2^30; out_shift in
 *          [0, 21]: the sum never leaves int32).
 * params: per pair of channels (2k, 2k + 1) three words, beta_2k,
 * beta_2k+1, gamma_2k | gamma_2k+1 << 16; for an odd C a last pair with
 * beta_C-1 and gamma_C-1 alone (tfk_layer_norm_params_words(C) words).
 * Right shifts of negative numbers are arithmetic. in may equal out. */
void tfk_layer_norm_s8(const int8_t *in, int8_t *out, const int32_t *params,
                       int64_t eps_term, int32_t tokens, int32_t C,
                       int32_t frac_bits, int32_t out_shift);
static inline int32_t tfk_layer_norm_params_words(int32_t C) {
  return 3 * ((C + 1) / 2);
}

/* Pointwise function by table (GELU, sigmoid, tanh, ...): 256 int8 entries
 * built by the compiler, out[i] = table[in[i] + 128]. in may equal out. */
void tfk_lut_s8(const int8_t *in, int8_t *out, const int8_t *table, int32_t n);

/* Multi-head self-attention over one sequence, depth first.
 * x [S][E] int8, out [S][E] int8, H heads of P = E / H columns.
 * D = P, or E with fused_qk (Fused-Weight Self-Attention: K is x itself and
 * the query projection of head h is x times W_q,h W_k,h^T, E columns).
 * For each head h:
 *   Q_h[i][d] = fc(x; wq rows h*D .. h*D+D-1)  -> int8 (q_zp)
 *   K_h[j][d] = fc(x; wk rows h*P ..)          -> int8 (k_zp)
 *               (fused_qk: K_h = x, k_zp = x_zp)
 *   V_h[j][c] = fc(x; wv rows h*P ..)          -> int8 (v_zp)
 *   where fc is tfk_fully_connected_s8's formula with input zero point x_zp,
 *   per-channel mult/shift from rq, no activation clamp;
 *   s[j] = clamp(s_zp + mbqm(sum_d (Q_h[i][d] - q_zp) * (K_h[j][d] - k_zp),
 *                            s_mult, s_shift), -128, 127)
 *   p[j] = tfk_softmax_s8's formula over the row s (exp_table, p_mult,
 *          p_shift, output zero point -128)
 *   With a score bias (score_bias non-null: int16 [bias_heads][S][S],
 *   bias_heads 1 for every head or H), b = score_bias[h or 0][i][j]:
 *   s[j] = -128 where b == -32768 (a masked key), else
 *          clamp(s_zp + mbqm(sum_d (...) + b * 2^bias_shift, s_mult,
 *                            s_shift), -127, 127);
 *   the softmax runs over the keys with s[j] != -128 only, and a masked key
 *   has p[j] = -128 (a row with every key masked: all -128).
 *   ctx[i][h*P + c] = clamp(c_zp + mbqm(sum_j (p[j] + 128) * (V_h[j][c] - v_zp),
 *                                       c_mult, c_shift), -128, 127)
 * out = fc(ctx; wo) with input zero point c_zp, per-channel rq, clamped to
 * [act_min, act_max]; ctx is built inside `out` (so out must not alias x).
 * rq: per projection in the order q, k (absent with fused_qk), v, o, its
 * mult array then its shift array (H*D entries for q, E for the others).
 * With fused_qk, K is x and k_zp must equal x_zp.
 * Tiling: heads_per_step heads (a divisor of H) have their Q, K, V in scratch
 * at once; the score/probability tile holds rows_per_step query rows of one
 * head. Neither changes the result, only scratch size and speed.
 * packed = tfk_pack_mhsa(...), scratch = tfk_mhsa_scratch_bytes(...). */
void tfk_mhsa_s8(const int8_t *x, int8_t *out, const void *packed,
                 const int32_t *rq, const int32_t *exp_table, void *scratch,
                 int32_t S, int32_t E, int32_t H, int32_t heads_per_step,
                 int32_t rows_per_step, int32_t fused_qk, int32_t x_zp,
                 int32_t q_zp, int32_t k_zp, int32_t v_zp, int32_t s_zp,
                 int32_t s_mult, int32_t s_shift, int32_t p_mult,
                 int32_t p_shift, int32_t c_zp, int32_t c_mult,
                 int32_t c_shift, int32_t out_zp, int32_t act_min,
                 int32_t act_max, int32_t variant, const int16_t *score_bias,
                 int32_t bias_heads, int32_t bias_shift);

/* tfk_mhsa_sparse_s8: tfk_mhsa_s8 with its projections computed by
 * proj(which, group, in, out, proj_scratch) instead of the packed dense
 * weights: which 0 = Q, 1 = K, 2 = V (group g: the rows of
 * heads g*heads_per_step onwards, written as [S][rows]) and 3 = the output
 * projection (group 0, in == out: proj reads all of in before it writes).
 * The compiler generates proj from the pruned weights (sparse code); the
 * result is tfk_mhsa_s8's, bit for bit. */
typedef void (*tfk_mhsa_proj_fn)(int32_t which, int32_t group, const int8_t *in,
                                 int8_t *out, void *proj_scratch);
void tfk_mhsa_sparse_s8(const int8_t *x, int8_t *out, const int32_t *exp_table, void *scratch, int32_t S,
                        int32_t E, int32_t H, int32_t heads_per_step,
                        int32_t rows_per_step, int32_t x_zp, int32_t q_zp,
                        int32_t k_zp, int32_t v_zp, int32_t s_zp,
                        int32_t s_mult, int32_t s_shift, int32_t p_mult,
                        int32_t p_shift, int32_t c_zp, int32_t c_mult,
                        int32_t c_shift, tfk_mhsa_proj_fn proj,
                        void *proj_scratch, const int16_t *score_bias,
                        int32_t bias_heads, int32_t bias_shift);

/* ---- sparse layers --------------------------------------------------------
 * Generated per layer by the compiler (nonzero weights as immediates); these
 * are the helpers the generated code calls.
 *
 * tfk_sparse_pack_pairs_s8: packed[y][blk][k][ph][i] (int32, packed_h x
 * blocks x c x phases x words) holds two pixels of padded row y, channel k,
 * that are partner * stride columns apart, columns split by phase (col %
 * stride) so that positions of a pass that read one tap are consecutive
 * words; block blk starts at position x0 = min(blk * block_step, block_last):
 *   col = (x0 + i) * stride + ph
 *   a = in[y - pad_top][col - pad_left][k] - in_zp
 *   b = in[y - pad_top][col - pad_left + partner * stride][k] - in_zp
 *   packed = b * 2^23 + a       (0 for a pixel outside the input)
 * so that one SMLAL by a weight w accumulates w*a + w*b*2^23 in 64 bits; the
 * compiler splits a row's nonzeros so that |sum w*a| < 2^22, and recovers
 * both sums exactly.
 * tfk_sparse_pack_halves_s8: in[0..k) extended to int16 in SMLAD order
 * (inputs 4q, 4q+2 in word 2q, 4q+1, 4q+3 in word 2q+1; no zero point
 * subtracted), zeros up to a multiple of 8 inputs.
 * tfk_sparse_requantize: clamp(out_zp + mbqm(acc, mult, shift)), the dense
 * kernels' rule; tfk_sparse_requantize_fast: the same for a multiplier of
 * the fast form, from its constants (m2 = 2 * mult, hz = rounding + zero
 * point, e = -shift in 1..24; tfk__rq_prep). */
void tfk_sparse_pack_pairs_s8(const int8_t *in, int32_t *packed, int32_t in_h,
                              int32_t in_w, int32_t c, int32_t pad_top,
                              int32_t pad_left, int32_t packed_h,
                              int32_t blocks, int32_t block_step,
                              int32_t block_last, int32_t phases,
                              int32_t words, int32_t stride, int32_t partner,
                              int32_t in_zp);
void tfk_sparse_pack_halves_s8(const int8_t *in, int16_t *packed, int32_t k);
/* tfk_sparse_rle_s8: TinyFormer's run-length format (the baseline): a
 * conv2d (NHWC, groups 1) or a linear layer over out_w tokens; per output
 * channel a 16-bit entry count, the entries' weight bytes, their 4-bit runs
 * of zeros before each (two per byte); params (bias - in_zp * sum(w), mult,
 * shift) per channel; col: k_h * k_w * c bytes of scratch, or NULL when a
 * position's inputs are contiguous (1x1, no padding). */
void tfk_sparse_rle_s8(const int8_t *in, int8_t *out, int8_t *col,
                       const uint8_t *stream, const int32_t *params,
                       int32_t in_h, int32_t in_w, int32_t c, int32_t out_h,
                       int32_t out_w, int32_t out_c, int32_t k_h, int32_t k_w,
                       int32_t stride_h, int32_t stride_w, int32_t pad_top,
                       int32_t pad_left, int32_t in_zp, int32_t out_zp,
                       int32_t act_min, int32_t act_max);
int32_t tfk_sparse_requantize(int32_t acc, int32_t mult, int32_t shift,
                              int32_t out_zp, int32_t act_min, int32_t act_max);
int32_t tfk_sparse_requantize_fast(int32_t acc, int32_t m2, int32_t hz,
                                   int32_t e, int32_t act_min, int32_t act_max);

#ifdef __cplusplus
}
#endif

#endif /* TFK_KERNELS_H */
