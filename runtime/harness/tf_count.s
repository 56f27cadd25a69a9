/* tf_count.s - exact instruction counting of one call on QEMU -icount shift=0.
 *
 * See tf_count.h for the method and what is counted. This file holds the
 * timing-critical straight-line code; nothing here may be changed without
 * updating TF_COUNT_OVERHEAD in tf_count.h and re-running count_selftest.
 */
        .syntax unified
        .thumb
        .text

        .equ    TIMER0_BASE, 0x40000000
        .equ    TIMER_VALUE, 4

/* Frame layout (tf_count_frame_t in tf_count.h). */
        .equ    F_ARGS,   0     /* uint32_t args[4]: r0-r3 given to the callee */
        .equ    F_RET,    16    /* out: r0 on return */
        .equ    F_SP,     20    /* out: SP at the BLX (= SP at callee entry) */
        .equ    F_SUMA,   24    /* out: sum of the 40 samples before */
        .equ    F_SUMB,   28    /* out: sum of the 40 samples after */
        .equ    F_PAINT,  32    /* in: 0 = no painting, else the paint word */

/* One sample: 3 instructions, the LDR of VALUE first. 40 samples spaced
 * 3 instructions apart (gcd(3,40) = 1) hit every phase of the 40-instruction
 * tick exactly once, so their sum is (constant - t0) exactly. */

/* uint32_t tf_count_raw(const void *fn, tf_count_frame_t *f)
 * Returns f->sum_before - f->sum_after
 *       = (instructions from the first sample before to the first sample
 *          after) = TF_COUNT_OVERHEAD + [BLX + callee incl. its return]. */
        .global tf_count_raw
        .type   tf_count_raw, %function
        .p2align 2
        .thumb_func
tf_count_raw:
        push    {r4-r8, lr}
        mov     r6, r0                  /* fn */
        mov     r7, r1                  /* frame */
        mov     r5, sp
        str     r5, [r7, #F_SP]         /* SP at the BLX below */

        /* Optional stack painting: fill [__stack_limit__, sp) with the word. */
        ldr     r0, [r7, #F_PAINT]
        cbz     r0, 2f
        ldr     r1, =__stack_limit__
        mov     r2, r0
1:      stmia   r1!, {r0, r2}           /* sp and limit are 8-byte aligned */
        cmp     r1, r5
        blo     1b
2:
        movw    r4, #:lower16:TIMER0_BASE
        movt    r4, #:upper16:TIMER0_BASE
        movs    r5, #0

        /* ---- 40 samples before: A0 is the first LDR. ---- */
        .rept   40
        ldr     r3, [r4, #TIMER_VALUE]
        adds    r5, r5, r3
        nop
        .endr                           /* 120 instructions from A0 */
        ldmia   r7, {r0-r3}             /* +1: callee's arguments */
        blx     r6                      /* +1, then the callee */
        /* ---- 40 samples after: B0 is the first LDR. ---- */
        ldr     r3, [r4, #TIMER_VALUE]
        mov     r8, r0                  /* callee's return value */
        nop
        .rept   39
        ldr     r2, [r4, #TIMER_VALUE]
        adds    r3, r3, r2
        nop
        .endr

        str     r8, [r7, #F_RET]
        str     r5, [r7, #F_SUMA]
        str     r3, [r7, #F_SUMB]
        subs    r0, r5, r3
        pop     {r4-r8, pc}
        .ltorg
        .size   tf_count_raw, . - tf_count_raw

/* uint32_t tf_count_ticks_loop(uint32_t iters)
 * Reads TIMER0 VALUE, runs a 2-instruction loop `iters` times, reads VALUE
 * again; returns the raw tick difference. Instructions from the first read to
 * the second: 1 (movs) + 2*iters ... see tf_count.c (calibration only). */
        .global tf_count_ticks_loop
        .type   tf_count_ticks_loop, %function
        .p2align 2
        .thumb_func
tf_count_ticks_loop:
        movw    r1, #:lower16:TIMER0_BASE
        movt    r1, #:upper16:TIMER0_BASE
        ldr     r2, [r1, #TIMER_VALUE]
1:      subs    r0, r0, #1
        bne     1b
        ldr     r3, [r1, #TIMER_VALUE]
        subs    r0, r2, r3
        bx      lr
        .size   tf_count_ticks_loop, . - tf_count_ticks_loop

/* Calibration callees of known length (used by tf_count_init). */
        .global tf_count_empty_fn
        .type   tf_count_empty_fn, %function
        .thumb_func
tf_count_empty_fn:                      /* 1 instruction */
        bx      lr
        .size   tf_count_empty_fn, . - tf_count_empty_fn

        .global tf_count_nop100_fn
        .type   tf_count_nop100_fn, %function
        .thumb_func
tf_count_nop100_fn:                     /* 100 instructions */
        .rept   99
        nop
        .endr
        bx      lr
        .size   tf_count_nop100_fn, . - tf_count_nop100_fn
