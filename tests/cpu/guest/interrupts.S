/* interrupts.S - M-mode timer, software and external interrupts: enable
   rules, priority, WFI wake-up (with and without taking the trap),
   vectored mtvec, mip reflecting the lines. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  li t0, 8
  csrs mstatus, t0                /* MIE */
  /* timer */
  li t0, 0x80
  csrw mie, t0
  ARM_TIMER(50)
  WAIT_IRQS(1, 1)
  CHECK(2, s10, 0x407)
  CHECK_IRQ_LOG(3, 0, 7)
  /* software via msip */
  li t0, 0x8
  csrw mie, t0
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  nop
  CHECK(4, s5, 2)                 /* taken right after the store */
  CHECK_IRQ_LOG(5, 1, 3)
  /* external line (cpu_set_irq from the machine) */
  li t0, 0x800
  csrw mie, t0
  li t0, IRQ_LINE
  li t1, 1
  sw t1, 0(t0)
  nop
  CHECK(6, s5, 3)
  CHECK_IRQ_LOG(7, 2, 11)
  /* pending but globally disabled: nothing taken, mip shows the lines */
  csrci mstatus, 8
  li t0, 0x888
  csrw mie, t0
  li t0, IRQ_LINE
  li t1, 1
  sw t1, 0(t0)
  li t0, CLINT_MSIP
  sw t1, 0(t0)
  ARM_TIMER(0)
  nop
  csrr a0, mip
  CHECK(8, a0, 0x888)
  CHECK(9, s5, 3)
  /* enable: all three taken in priority order MEI, MSI, MTI */
  csrsi mstatus, 8
  nop
  CHECK(10, s5, 6)
  CHECK_IRQ_LOG(11, 3, 11)
  CHECK_IRQ_LOG(12, 4, 3)
  CHECK_IRQ_LOG(13, 5, 7)
  csrr a0, mip
  CHECK(14, a0, 0)
  /* WFI wakes on the timer and the trap is taken */
  li t0, 0x80
  csrw mie, t0
  ARM_TIMER(5000)
  wfi
  CHECK(15, s5, 7)
  /* WFI with MIE = 0: wakes, no trap; then enabling takes it */
  csrci mstatus, 8
  ARM_TIMER(5000)
  wfi
  CHECK(16, s5, 7)
  csrr a0, mip
  CHECK(17, a0, 0x80)
  csrsi mstatus, 8
  nop
  CHECK(18, s5, 8)
  /* vectored mtvec: interrupts go to base + 4 * cause */
  la t0, vtab
  ori t0, t0, 1
  csrw mtvec, t0
  li a7, 0
  ARM_TIMER(10)
  WAIT_IRQS(19, 9)
  CHECK(20, a7, 7)
  li a7, 0
  EXPECT_TRAP(21, 11, ecall)      /* exceptions use the base */
  CHECK(22, a7, 0)
  la t0, m_trap
  csrw mtvec, t0
  PASS

  .align 6
  .option push
  .option norvc
vtab:
  j m_trap
  .rept 6
  j fail
  .endr
  j vec7
  .rept 8
  j fail
  .endr
  .option pop
vec7:
  li a7, 7
  j m_trap
