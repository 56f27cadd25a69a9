/*===- tfk/resize.h - bilinear taps, shared by kernel and host ----*- C -*-===*
 *
 * Half-pixel bilinear upsampling by an integer factor s (torch's
 * align_corners=False): output index o reads input coordinate
 * (o + 0.5) / s - 0.5 = i + (2r + 1 - s) / (2s) with i = o / s, r = o % s,
 * clamped to [0, n - 1]. Its two taps and their weights in units of
 * 1 / (2s) (summing to 2s). The device kernel (tfk_resize_bilinear_s8) and
 * the compiler's host reference both call this, so they agree.
 *===----------------------------------------------------------------------===*/
#ifndef TFK_RESIZE_H
#define TFK_RESIZE_H

#include <stdint.h>

/* The taps of output index o = i * s + r (0 <= r < s). */
static inline void tfk_bilinear_taps_ir(int32_t i, int32_t r, int32_t s, int32_t n,
                                        int32_t *i0, int32_t *i1, int32_t *w0,
                                        int32_t *w1) {
  const int32_t a = 2 * r + 1 - s;
  if (a < 0) {
    *i0 = i - 1, *i1 = i, *w0 = -a, *w1 = 2 * s + a;
  } else {
    *i0 = i, *i1 = i + 1, *w0 = 2 * s - a, *w1 = a;
  }
  if (*i0 < 0)
    *i0 = 0;
  if (*i1 > n - 1)
    *i1 = n - 1;
}

static inline void tfk_bilinear_taps(int32_t o, int32_t s, int32_t n, int32_t *i0,
                                     int32_t *i1, int32_t *w0, int32_t *w1) {
  tfk_bilinear_taps_ir(o / s, o % s, s, n, i0, i1, w0, w1);
}

/* floor(a / d) for d > 0. */
static inline int32_t tfk_floor_div(int32_t a, int32_t d) {
  const int32_t q = a / d;
  return (a % d != 0 && a < 0) ? q - 1 : q;
}

#endif /* TFK_RESIZE_H */
