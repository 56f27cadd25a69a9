/*===- tfk/layer_norm.h - LayerNorm's per-token scale, shared ------*- C -*-===*
 *
 * The per-token normalisation factor of tfk_layer_norm_s8: one integer rule,
 * called by the device kernel and by the compiler's host reference, so they
 * agree bit for bit.
 *
 * tfk_ln_scale(var, F) ~ 2^F / sqrt(var) for var in [1, 2^62): var = u * 4^e
 * with u in [1/4, 1) (m = u * 2^32, its low bits dropped when var >= 2^32),
 * a first guess y0 of 1/sqrt(u) in Q14 from a 192-entry table indexed by the
 * top 8 bits of m, one Newton step y1 = y0 * (3 - u * y0^2) / 2 in Q30, then
 * y1 >> (30 + e - F). Relative error below 2^-14.7 (the shift's truncation
 * aside). 0 for var = 0 (every deviation is 0 then).
 *===----------------------------------------------------------------------===*/
#ifndef TFK_LAYER_NORM_H
#define TFK_LAYER_NORM_H

#include <stdint.h>

/* tfk_ln_rsqrt_q14[i] = floor(sqrt(floor(2^37 / (2i + 129)))), i.e. about
 * 2^14 / sqrt((i + 64.5) / 256): 1/sqrt(u) in Q14 at the middle of the i-th
 * 1/256-wide interval of u in [1/4, 1). */
static const uint16_t tfk_ln_rsqrt_q14[192] = {
    32640, 32390, 32146, 31907, 31673, 31444, 31220, 31001, 30787, 30577, 30371, 30169,
    29971, 29777, 29587, 29400, 29217, 29037, 28861, 28687, 28517, 28350, 28185, 28024,
    27865, 27709, 27555, 27404, 27256, 27110, 26966, 26824, 26685, 26548, 26413, 26280,
    26149, 26019, 25892, 25767, 25643, 25521, 25401, 25283, 25166, 25051, 24937, 24825,
    24715, 24606, 24498, 24392, 24287, 24183, 24081, 23980, 23880, 23782, 23684, 23588,
    23493, 23400, 23307, 23215, 23125, 23035, 22947, 22860, 22773, 22688, 22603, 22520,
    22437, 22355, 22274, 22194, 22115, 22037, 21960, 21883, 21807, 21732, 21658, 21584,
    21511, 21439, 21368, 21297, 21227, 21158, 21089, 21022, 20954, 20888, 20822, 20756,
    20691, 20627, 20564, 20501, 20438, 20377, 20315, 20255, 20194, 20135, 20076, 20017,
    19959, 19901, 19844, 19787, 19731, 19676, 19620, 19566, 19511, 19458, 19404, 19351,
    19299, 19247, 19195, 19144, 19093, 19042, 18992, 18943, 18894, 18845, 18796, 18748,
    18700, 18653, 18606, 18559, 18513, 18467, 18421, 18376, 18331, 18286, 18242, 18198,
    18154, 18111, 18068, 18025, 17982, 17940, 17898, 17857, 17816, 17775, 17734, 17693,
    17653, 17613, 17574, 17534, 17495, 17456, 17418, 17379, 17341, 17304, 17266, 17229,
    17192, 17155, 17118, 17082, 17046, 17010, 16974, 16938, 16903, 16868, 16833, 16799,
    16764, 16730, 16696, 16662, 16629, 16596, 16562, 16529, 16497, 16464, 16432, 16400,
};

/* The rule from m = u * 2^32 in [2^30, 2^32) and e (var ~ m * 4^e / 2^32). */
static inline uint32_t tfk__ln_rsqrt(uint32_t m, int32_t e, int32_t frac_bits) {
  const uint32_t y0 = tfk_ln_rsqrt_q14[(m >> 24) - 64];
  const uint32_t uy2 = (uint32_t)(((uint64_t)m * (y0 * y0)) >> 32); /* Q28 */
  const uint32_t half = ((3u << 28) - uy2) >> 13; /* (3 - u y0^2) / 2, Q16 */
  const uint32_t y1 = y0 * half;                  /* Q30 */
  const int32_t shift = 30 + e - frac_bits;
  return shift >= 32 ? 0 : y1 >> shift;
}

/* var < 2^32: the same rule without 64-bit arithmetic (m = var << (32 - 2e)). */
static inline uint32_t tfk_ln_scale32(uint32_t var, int32_t frac_bits) {
  if (var == 0)
    return 0;
  const int32_t e = (33 - __builtin_clz(var)) >> 1; /* var < 4^e */
  return tfk__ln_rsqrt(var << (32 - 2 * e), e, frac_bits);
}

static inline uint32_t tfk_ln_scale(uint64_t var, int32_t frac_bits) {
  if ((var >> 32) == 0)
    return tfk_ln_scale32((uint32_t)var, frac_bits);
  const int32_t e = (65 - __builtin_clzll(var)) >> 1; /* 2e > 32 */
  return tfk__ln_rsqrt((uint32_t)(var >> (2 * e - 32)), e, frac_bits);
}

#endif /* TFK_LAYER_NORM_H */
