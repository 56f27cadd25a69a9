/* startup.c - reset, vector table and fault handling for the TinyFormer
 * bare-metal harness on QEMU mps2-an386 (Cortex-M4) / mps2-an500 (Cortex-M7).
 *
 * Link with --specs=rdimon.specs -nostartfiles -T mps2.ld (see README.md).
 * Reset_Handler: copy .data from flash, zero .bss, enable the FPU (CPACR),
 * initialise newlib's semihosting handles, run constructors, exit(main()).
 * QEMU's exit status is main's return value.
 * Any fault (faults are not enabled separately, so all escalate to HardFault)
 * prints "TF error hardfault ..." through semihosting SYS_WRITE0 (independent
 * of stdio state) and exits with status TF_FAULT_EXIT_STATUS (= 70).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define TF_FAULT_EXIT_STATUS 70

extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);
extern void _exit(int status) __attribute__((noreturn));

extern uint32_t __data_start__[], __data_end__[], __data_load__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern char end[], __heap_limit__[];
extern char __stack_top__[];

void Reset_Handler(void) __attribute__((noreturn, section(".text.Reset_Handler")));
void Default_Handler(void) __attribute__((naked));

/* One handler for every exception: tf_fault_report tells faults from other
 * exceptions by IPSR. */
void HardFault_Handler(void) __attribute__((alias("Default_Handler")));
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

typedef void (*tf_vector_t)(void);

/* 16 system vectors + 32 external interrupts (none are enabled). */
__attribute__((section(".isr_vector"), used))
const tf_vector_t tf_vector_table[16 + 32] = {
    (tf_vector_t)(uintptr_t)__stack_top__,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    [16 ... 47] = Default_Handler,
};

void Reset_Handler(void) {
  uint32_t *src = __data_load__, *dst = __data_start__;
  while (dst < __data_end__)
    *dst++ = *src++;
  for (dst = __bss_start__; dst < __bss_end__;)
    *dst++ = 0;
  /* CPACR: full access to CP10/CP11 (the FPU) before any FP instruction. */
  *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
  __asm volatile("dsb\n\tisb" ::: "memory");
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

void _init(void) {}
void _fini(void) {}

/* newlib's malloc (used by stdio/fopen) grows from `end` up to
 * __heap_limit__ (= __stack_limit__), never into the stack region the runner
 * paints. Overrides libgloss' weak _sbrk. */
void *_sbrk(ptrdiff_t incr) {
  static char *heap_end = end;
  char *prev = heap_end;
  if (incr < 0 || heap_end + incr > __heap_limit__) {
    errno = ENOMEM;
    return (void *)-1;
  }
  heap_end += incr;
  return prev;
}

/* ---- fault reporting through raw semihosting (no stdio) ---- */
static void sh_write0(const char *s) {
  register uint32_t r0 __asm("r0") = 0x04; /* SYS_WRITE0 */
  register const char *r1 __asm("r1") = s;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

static char *put_hex(char *p, uint32_t v) {
  *p++ = '0';
  *p++ = 'x';
  for (int i = 28; i >= 0; i -= 4)
    *p++ = "0123456789abcdef"[(v >> i) & 0xF];
  return p;
}

static char *put_str(char *p, const char *s) {
  while (*s)
    *p++ = *s++;
  return p;
}

/* frame: r0-r3, r12, lr, pc, xpsr stacked by the exception entry. */
__attribute__((used, noreturn)) void tf_fault_report(uint32_t *frame,
                                                     uint32_t exc_return,
                                                     uint32_t ipsr) {
  volatile uint32_t *scb = (volatile uint32_t *)0xE000ED00;
  char buf[256], *p = buf;
  p = put_str(p, ipsr == 3 || (ipsr >= 4 && ipsr <= 6) ? "\nTF error hardfault"
                                                        : "\nTF error unexpected exception");
  p = put_str(p, " exception ");
  p = put_hex(p, ipsr);
  p = put_str(p, " pc ");
  p = put_hex(p, frame[6]);
  p = put_str(p, " lr ");
  p = put_hex(p, frame[5]);
  p = put_str(p, " sp ");
  p = put_hex(p, (uint32_t)(uintptr_t)frame);
  p = put_str(p, " cfsr ");
  p = put_hex(p, scb[0x28 / 4]);
  p = put_str(p, " hfsr ");
  p = put_hex(p, scb[0x2C / 4]);
  p = put_str(p, " mmfar ");
  p = put_hex(p, scb[0x34 / 4]);
  p = put_str(p, " bfar ");
  p = put_hex(p, scb[0x38 / 4]);
  p = put_str(p, " exc_return ");
  p = put_hex(p, exc_return);
  *p++ = '\n';
  *p = 0;
  sh_write0(buf);
  _exit(TF_FAULT_EXIT_STATUS);
}

void Default_Handler(void) {
  __asm volatile("tst lr, #4\n\t"
                 "ite eq\n\t"
                 "mrseq r0, msp\n\t"
                 "mrsne r0, psp\n\t"
                 "mov r1, lr\n\t"
                 "mrs r2, ipsr\n\t"
                 "b tf_fault_report\n\t");
}
