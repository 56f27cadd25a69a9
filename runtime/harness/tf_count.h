/* tf_count.h - exact instruction counts of one function call on QEMU
 * (mps2-an386 / mps2-an500, run with -icount shift=0,align=off,sleep=off).
 *
 * WHAT IS COUNTED
 *   tf_count_call*() returns the number of guest instructions executed from
 *   the BLX that calls the function up to and including the function's
 *   return instruction (BX LR / POP {..,PC}): 1 (the BLX) + every instruction
 *   the callee executes, including everything it calls. A function whose
 *   body is N instructions ending in BX LR (e.g. N-1 NOPs + BX LR) counts
 *   N + 1. Setting up the arguments and saving the result are not counted.
 *   "Instruction" is QEMU's icount unit: every executed Thumb instruction,
 *   16- or 32-bit, counts 1, including IT-skipped (condition-failed) ones;
 *   an IT instruction counts 1.
 *
 * METHOD (vernier by summation)
 *   With -icount shift=0 the virtual clock advances exactly 1 ns per
 *   instruction, and QEMU makes a timer MMIO read the last instruction of its
 *   translation block, so the clock it sees is exact at that instruction
 *   (however the code is split into TBs). CMSDK APB TIMER0 (0x40000000) is a
 *   25 MHz down-counter (QEMU ptimer, period exactly 40 ns), so
 *   VALUE(t) = floor((E - t)/40) + c for fixed E, c (QEMU 7.2 ptimer with
 *   NO_COUNTER_ROUND_DOWN; the only irregular instant is the one at which
 *   the timer is (re)loaded, never sampled here).
 *   Around the call, straight-line code takes 40 samples before and 40 after,
 *   each sample 3 instructions apart (LDR VALUE; ADDS sum; NOP). Because
 *   gcd(3, 40) = 1, the 40 sample times t0 + 3k cover every residue mod 40
 *   exactly once, so by Hermite's identity
 *       sum_k floor((E - t0 - 3k)/40) = E - t0 - 78      (exact)
 *   i.e. sum(samples) = K - t0 with the same K for both blocks. Hence
 *       t(after) - t(before) = sum_before - sum_after     (mod 2^32, exact)
 *   with no rounding at all. The instructions between the first sample
 *   before and the first sample after are the 120 of the sample block, the
 *   LDM of the arguments, the BLX and the callee: TF_COUNT_OVERHEAD = 121 is
 *   subtracted (BLX stays in). This is the "phase recovery" of a classic
 *   vernier done in one sum: the position where the 40 samples take their
 *   extra step encodes the phase, and the sum reads it out exactly.
 *   tf_count_init() programs TIMER0 (RELOAD = VALUE = 0xFFFFFFFF, enable; no
 *   interrupt; wraps after 2^32 ticks = 171.8 s of virtual time, harmless
 *   since differences are taken mod 2^32), checks the tick period is 40
 *   instructions, and checks that calls of known length measure exactly.
 *   Limits: a single call must execute < 2^32 - 121 instructions.
 *   Interrupts must stay disabled / not enabled (none are).
 */
#ifndef TF_COUNT_H
#define TF_COUNT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Instructions between the first timer sample before the call and the first
 * one after it that are not part of the counted call (the sample block and
 * the LDM of the arguments). */
#define TF_COUNT_OVERHEAD 121u
/* Instructions of the call itself included in every count (the BLX). */
#define TF_COUNT_CALL_INSNS 1u

typedef struct {
  uint32_t args[4];     /* in: r0-r3 passed to the callee */
  uint32_t ret;         /* out: r0 returned by the callee */
  uint32_t sp;          /* out: SP at the BLX (= SP at callee entry) */
  uint32_t sum_before;  /* out: raw vernier sums */
  uint32_t sum_after;
  uint32_t paint;       /* in: 0, or a word to fill [__stack_limit__, sp) with
                           before the measurement (not counted) */
} tf_count_frame_t;

/* Program TIMER0 and self-check. Returns 0 when counting is exact, else
 * a negative code (see tf_count_strerror): -1 the timer does not tick,
 * -2 the tick period is not 40 instructions (wrong -icount shift, or a board
 * whose timer is not 25 MHz), -3 calls of known length do not measure
 * exactly (QEMU not run with -icount shift=0?). */
int tf_count_init(void);
const char *tf_count_strerror(int code);
/* Tick period in instructions found by tf_count_init (40 when OK), x100. */
uint32_t tf_count_period_x100(void);

/* Raw primitive (tf_count.s): returns f->sum_before - f->sum_after. */
uint32_t tf_count_raw(const void *fn, tf_count_frame_t *f);

/* Count a call fn(args[0..3]); see WHAT IS COUNTED. Fills f->ret, f->sp. */
static inline uint32_t tf_count_frame(const void *fn, tf_count_frame_t *f) {
  return tf_count_raw(fn, f) - TF_COUNT_OVERHEAD;
}

/* Count the call fn(ctx). */
uint32_t tf_count_call(void (*fn)(void *), void *ctx);

/* Stack high-water mark of the last painted measurement: bytes below
 * f->sp that no longer hold f->paint (word granularity; a callee that
 * stores the paint word itself at the deepest point is under-reported).
 * Sets *overflow when a word in the lowest TF_STACK_RED_ZONE bytes of the
 * region [__stack_limit__, __stack_limit__ + 1 KiB) was touched: the call
 * came within 1 KiB of the limit or went past it (memory below the limit is
 * the heap/.bss and may then be corrupted). */
uint32_t tf_stack_used(const tf_count_frame_t *f, int *overflow);

/* Size of the paintable stack region [__stack_limit__, __stack_top__). */
uint32_t tf_stack_size(void);

#define TF_STACK_PAINT_WORD 0xC5A5F00Du
#define TF_STACK_RED_ZONE 1024u

#ifdef __cplusplus
}
#endif
#endif /* TF_COUNT_H */
