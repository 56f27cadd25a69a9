/* count_selftest.c - checks that tf_count measures calls of known length
 * exactly, at every phase of the 40-instruction timer tick.
 *
 * Every known-length callee is measured 41 times, each time after a padding
 * sled of k = 0..40 NOPs, so the call starts at every residue of the tick.
 * Expected count = 1 (BLX) + instructions executed by the callee incl. its
 * return. Prints "SELFTEST PASS" and returns 0, or "SELFTEST FAIL" and 1.
 */
#include <stdint.h>
#include <stdio.h>
#include "tf_count.h"

/* name: n NOPs then BX LR (callee = n + 1 instructions). */
#define NOP_FN(name, n)                                                        \
  __asm__(".text\n.p2align 2\n.global " #name "\n.type " #name                 \
          ", %function\n.thumb_func\n" #name ":\n.rept " #n "\nnop\n.endr\n"   \
          "bx lr\n.size " #name ", . - " #name "\n");                          \
  extern void name(void);

NOP_FN(nop0, 0)
NOP_FN(nop1, 1)
NOP_FN(nop2, 2)
NOP_FN(nop38, 38)
NOP_FN(nop39, 39)
NOP_FN(nop40, 40)
NOP_FN(nop41, 41)
NOP_FN(nop79, 79)
NOP_FN(nop80, 80)
NOP_FN(nop81, 81)
NOP_FN(nop1000, 1000)
NOP_FN(nop12345, 12345)

/* loop_fn(n): n iterations of SUBS/BNE, then BX LR: callee = 2n + 1. */
__asm__(".text\n.p2align 2\n.global loop_fn\n.type loop_fn, %function\n"
        ".thumb_func\nloop_fn:\n1: subs r0, r0, #1\nbne 1b\nbx lr\n"
        ".size loop_fn, . - loop_fn\n");
extern void loop_fn(uint32_t n);

/* it_fn(x): CMP, ITE, MOVEQ, MOVNE, BX LR: callee = 5 whatever x is
 * (QEMU counts condition-failed instructions inside an IT block). */
__asm__(".text\n.p2align 2\n.global it_fn\n.type it_fn, %function\n"
        ".thumb_func\nit_fn:\ncmp r0, #0\nite eq\nmoveq r0, #1\nmovne r0, #2\n"
        "bx lr\n.size it_fn, . - it_fn\n");
extern uint32_t it_fn(uint32_t x);

/* mem_fn(p): loop of n=r1 iterations of LDR/ADD/STR/SUBS/BNE over memory,
 * PUSH/POP frame: callee = 1 + 5n + 1 (push, loop, pop {pc}). */
__asm__(".text\n.p2align 2\n.global mem_fn\n.type mem_fn, %function\n"
        ".thumb_func\nmem_fn:\npush {r4, lr}\n"
        "1: ldr r4, [r0]\nadds r4, r4, #3\nstr r4, [r0], #4\nsubs r1, r1, #1\nbne 1b\n"
        "pop {r4, pc}\n.size mem_fn, . - mem_fn\n");
extern void mem_fn(uint32_t *p, uint32_t n);

/* pad(k): executes exactly k + 3 instructions for 0 <= k <= 64 (ADR, SUB,
 * BX into a NOP sled, k NOPs, BX LR) - used to shift the call's phase. */
__asm__(".text\n.p2align 2\n.global pad_fn\n.type pad_fn, %function\n"
        ".thumb_func\npad_fn:\nadr r1, 2f\nsub r1, r1, r0, lsl #1\n"
        "adds r1, r1, #1\nbx r1\n.rept 64\nnop\n.endr\n2: bx lr\n"
        ".size pad_fn, . - pad_fn\n");
extern void pad_fn(uint32_t k);

static uint32_t membuf[4096];

typedef struct {
  const char *name;
  const void *fn;
  uint32_t a0, a1;
  uint32_t expected;
} test_t;

static int failures;

static void run_test(const test_t *t) {
  uint32_t lo = 0xFFFFFFFFu, hi = 0;
  int bad = 0;
  for (uint32_t k = 0; k <= 40; ++k) {
    tf_count_frame_t f = {{t->a0, t->a1, 0, 0}, 0, 0, 0, 0, 0};
    if (t->fn == (const void *)mem_fn)
      f.args[0] = (uint32_t)(uintptr_t)membuf;
    pad_fn(k);
    uint32_t n = tf_count_frame(t->fn, &f);
    if (n < lo) lo = n;
    if (n > hi) hi = n;
    if (n != t->expected)
      bad = 1;
  }
  printf("%-22s expected %8lu measured min %8lu max %8lu  %s\n", t->name,
         (unsigned long)t->expected, (unsigned long)lo, (unsigned long)hi,
         bad ? "FAIL" : "ok");
  failures += bad;
}

/* A compiled C callee through the tf_count_call(fn, ctx) API: its length is
 * not known in advance, but it must measure the same at every phase. */
static void c_fn(void *ctx) {
  volatile uint32_t *p = (volatile uint32_t *)ctx;
  for (uint32_t i = 0; i < 300; ++i)
    p[i & 63] += i * 7u;
}

int main(void) {
  int rc = tf_count_init();
  uint32_t p = tf_count_period_x100();
  printf("timer period %lu.%02lu instructions per tick (25 MHz at 1 ns/insn = 40.00)\n",
         (unsigned long)(p / 100), (unsigned long)(p % 100));
  if (rc != 0) {
    printf("tf_count_init: %s\nSELFTEST FAIL\n", tf_count_strerror(rc));
    return 1;
  }
  /* Raw tick check over a long stretch: 2*500000+1 instructions. */
  extern uint32_t tf_count_ticks_loop(uint32_t);
  uint32_t ticks = tf_count_ticks_loop(500000);
  printf("ticks over 1000001 instructions: %lu (expect 25000 or 25001)\n",
         (unsigned long)ticks);
  if (ticks != 25000 && ticks != 25001)
    ++failures;

  const test_t tests[] = {
      {"bx lr only", (const void *)nop0, 0, 0, 0 + 2},
      {"1 nop + bx lr", (const void *)nop1, 0, 0, 1 + 2},
      {"2 nops + bx lr", (const void *)nop2, 0, 0, 2 + 2},
      {"38 nops + bx lr", (const void *)nop38, 0, 0, 38 + 2},
      {"39 nops + bx lr", (const void *)nop39, 0, 0, 39 + 2},
      {"40 nops + bx lr", (const void *)nop40, 0, 0, 40 + 2},
      {"41 nops + bx lr", (const void *)nop41, 0, 0, 41 + 2},
      {"79 nops + bx lr", (const void *)nop79, 0, 0, 79 + 2},
      {"80 nops + bx lr", (const void *)nop80, 0, 0, 80 + 2},
      {"81 nops + bx lr", (const void *)nop81, 0, 0, 81 + 2},
      {"1000 nops + bx lr", (const void *)nop1000, 0, 0, 1000 + 2},
      {"12345 nops + bx lr", (const void *)nop12345, 0, 0, 12345 + 2},
      {"loop 1", (const void *)loop_fn, 1, 0, 2 * 1 + 1 + 1},
      {"loop 7", (const void *)loop_fn, 7, 0, 2 * 7 + 1 + 1},
      {"loop 1000", (const void *)loop_fn, 1000, 0, 2 * 1000 + 1 + 1},
      {"loop 100000", (const void *)loop_fn, 100000, 0, 2 * 100000 + 1 + 1},
      {"loop 3000000", (const void *)loop_fn, 3000000, 0, 2 * 3000000 + 1 + 1},
      {"it block (eq)", (const void *)it_fn, 0, 0, 5 + 1},
      {"it block (ne)", (const void *)it_fn, 9, 0, 5 + 1},
      {"mem loop 4096", (const void *)mem_fn, 0, 4096, 1 + 5 * 4096 + 1 + 1},
  };
  for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; ++i)
    run_test(&tests[i]);

  /* Return value and SP capture. */
  {
    tf_count_frame_t f = {{0, 0, 0, 0}, 0, 0, 0, 0, 0};
    (void)tf_count_frame((const void *)it_fn, &f);
    uint32_t r0 = f.ret;
    f.args[0] = 5;
    (void)tf_count_frame((const void *)it_fn, &f);
    printf("return values %lu %lu (expect 1 2)\n", (unsigned long)r0,
           (unsigned long)f.ret);
    if (r0 != 1 || f.ret != 2)
      ++failures;
  }

  /* Stack painting: mem_fn pushes 8 bytes. */
  {
    tf_count_frame_t f = {{(uint32_t)(uintptr_t)membuf, 16, 0, 0}, 0, 0, 0, 0,
                          TF_STACK_PAINT_WORD};
    uint32_t n = tf_count_frame((const void *)mem_fn, &f);
    int ovf = 0;
    uint32_t used = tf_stack_used(&f, &ovf);
    printf("painted call: %lu instructions (expect %u), stack %lu bytes (expect 8)%s\n",
           (unsigned long)n, 1 + 5 * 16 + 1 + 1, (unsigned long)used,
           ovf ? " OVERFLOW" : "");
    if (n != 1 + 5 * 16 + 1 + 1 || used != 8 || ovf)
      ++failures;
  }

  /* C callee via tf_count_call: same count at every phase. */
  {
    uint32_t lo = 0xFFFFFFFFu, hi = 0;
    for (uint32_t k = 0; k <= 40; ++k) {
      pad_fn(k);
      uint32_t n = tf_count_call(c_fn, membuf);
      if (n < lo) lo = n;
      if (n > hi) hi = n;
    }
    printf("%-22s measured min %8lu max %8lu  %s\n", "C loop (tf_count_call)",
           (unsigned long)lo, (unsigned long)hi, lo == hi ? "ok" : "FAIL");
    if (lo != hi)
      ++failures;
  }

  printf(failures ? "SELFTEST FAIL (%d)\n" : "SELFTEST PASS\n", failures);
  return failures ? 1 : 0;
}
