/* tf_count.c - set-up and self-check of the instruction counter; see
 * tf_count.h for the method. */
#include "tf_count.h"

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define TIMER0_INTSTATUS (*(volatile uint32_t *)0x4000000Cu)

extern uint32_t tf_count_ticks_loop(uint32_t iters);
extern void tf_count_empty_fn(void);
extern void tf_count_nop100_fn(void);
extern char __stack_limit__[], __stack_top__[];

static uint32_t period_x100;

uint32_t tf_count_period_x100(void) { return period_x100; }

const char *tf_count_strerror(int code) {
  switch (code) {
  case 0: return "ok";
  case -1: return "TIMER0 does not tick";
  case -2: return "TIMER0 period is not 40 instructions (need -icount shift=0 and a 25 MHz timer)";
  case -3: return "calls of known length do not count exactly (run QEMU with -icount shift=0,align=off,sleep=off)";
  default: return "unknown";
  }
}

int tf_count_init(void) {
  TIMER0_CTRL = 0;            /* stop, no interrupt */
  TIMER0_RELOAD = 0xFFFFFFFFu;
  TIMER0_VALUE = 0xFFFFFFFFu;
  TIMER0_INTSTATUS = 1;       /* clear */
  TIMER0_CTRL = 1;            /* enable, internal clock, no IRQ */

  /* Period: the two VALUE reads are 2*iters + 1 instructions apart
   * (subs/bne per iteration, plus the second LDR). */
  const uint32_t iters = 20000;
  uint32_t ticks = tf_count_ticks_loop(iters);
  if (ticks == 0) {
    period_x100 = 0;
    return -1;
  }
  period_x100 = (uint32_t)(((uint64_t)(2 * iters + 1) * 100 + ticks / 2) / ticks);
  /* 40001 instructions at 40 per tick: 1000 or 1001 ticks. */
  if (ticks < 1000 || ticks > 1001)
    return -2;

  /* Known lengths: BLX + callee (1 and 100 instructions). */
  for (int rep = 0; rep < 3; ++rep) {
    tf_count_frame_t f = {{0, 0, 0, 0}, 0, 0, 0, 0, 0};
    if (tf_count_frame((const void *)tf_count_empty_fn, &f) != 2)
      return -3;
    if (tf_count_frame((const void *)tf_count_nop100_fn, &f) != 101)
      return -3;
  }
  return 0;
}

uint32_t tf_count_call(void (*fn)(void *), void *ctx) {
  tf_count_frame_t f = {{(uint32_t)(uintptr_t)ctx, 0, 0, 0}, 0, 0, 0, 0, 0};
  return tf_count_frame((const void *)fn, &f);
}

uint32_t tf_stack_size(void) {
  return (uint32_t)(__stack_top__ - __stack_limit__);
}

uint32_t tf_stack_used(const tf_count_frame_t *f, int *overflow) {
  const uint32_t *p = (const uint32_t *)(uintptr_t)__stack_limit__;
  const uint32_t *top = (const uint32_t *)(uintptr_t)f->sp;
  while (p < top && *p == f->paint)
    ++p;
  if (overflow)
    *overflow = ((uintptr_t)p < (uintptr_t)__stack_limit__ + TF_STACK_RED_ZONE);
  return (uint32_t)((uintptr_t)top - (uintptr_t)p);
}
