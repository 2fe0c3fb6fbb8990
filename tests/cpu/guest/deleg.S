/* deleg.S - medeleg/mideleg: S-level interrupts (STI, SSI, SEI) taken in
   S, never in M; M interrupts preempt S regardless of MIE; delegated
   exceptions go to S from S/U but stay in M from M; vectored stvec. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  li t0, 0x222
  csrw mideleg, t0
  li t0, (1 << 2) | (1 << 8)      /* illegal instruction, ecall from U */
  csrw medeleg, t0
  /* delegated exception raised in M stays in M */
  EXPECT_TRAP(1, 2, .word 0)
  /* delegated interrupt pending in M: never taken there */
  li t0, 0x222
  csrw mie, t0
  csrsi mstatus, 8
  li t0, 2
  csrs mip, t0                    /* SSIP */
  nop
  CHECK(2, s5, 0)
  /* in S with SIE = 0: not taken; with SIE = 1: taken by S */
  ENTER_MODE(1)
  nop
  CHECK(3, s5, 0)
  csrsi sstatus, 2
  nop
  CHECK(4, s5, 1)
  CHECK_IRQ_LOG(5, 0, 0x81)
  /* delegated illegal instruction from S goes to S */
  EXPECT_TRAP(6, 0x102, .word 0)
  /* SEIP from the external line (bit 1 of the line register) */
  li t0, IRQ_LINE
  li t1, 2
  sw t1, 0(t0)
  nop
  CHECK(7, s5, 2)
  CHECK_IRQ_LOG(8, 1, 0x89)
  /* U-mode ecall delegated to S */
  csrci sstatus, 2
  li t0, 0x100
  csrc sstatus, t0
  la t0, 1f
  csrw sepc, t0
  sret
1: EXPECT_TRAP(9, 0x108, ecall)
  /* still in U: S interrupts are taken in U even with SIE = 0 */
  li t0, IRQ_LINE
  li t1, 2
  sw t1, 0(t0)
  nop
  CHECK(10, s5, 3)
  CHECK_IRQ_LOG(11, 2, 0x89)
  BACK_TO_M_EBREAK
  /* STIP set by M (as firmware does) is taken in S */
  li t0, 0x20
  csrs mip, t0
  csrr a0, mip
  andi a0, a0, 0x20
  CHECK(12, a0, 0x20)
  ENTER_MODE(1)
  csrsi sstatus, 2
  nop
  CHECK(13, s5, 4)
  CHECK_IRQ_LOG(14, 3, 0x85)      /* handler masked STIE */
  /* an M interrupt preempts S whatever mstatus.MIE says */
  BACK_TO_M
  li t0, 0x20
  csrc mip, t0
  csrci mstatus, 8
  li t0, 0x80
  csrs mie, t0
  ENTER_MODE(1)
  ARM_TIMER(20)
  WAIT_IRQS(15, 5)
  CHECK_IRQ_LOG(16, 4, 7)
  /* vectored stvec */
  la t0, svtab
  ori t0, t0, 1
  csrw stvec, t0
  li a7, 0
  li t0, 2
  csrs sip, t0
  nop
  CHECK(17, s5, 6)
  CHECK(18, a7, 1)
  PASS

  .align 6
  .option push
  .option norvc
svtab:
  j fail
  j svec1
  .rept 14
  j fail
  .endr
  .option pop
svec1:
  li a7, 1
  j s_trap
