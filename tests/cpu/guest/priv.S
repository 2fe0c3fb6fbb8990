/* priv.S - S and U mode: ecall causes, privileged instruction and CSR
   rules (mret/sret/wfi/sfence.vma/CSRs, TVM, TW, TSR), mstatus stacking
   on trap entry and on mret/sret. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  csrw mstatus, zero
  csrw mie, zero
  ENTER_MODE(1)
  EXPECT_TRAP(1, 9, ecall)
  EXPECT_TRAP(2, 2, csrr a0, mstatus)
  EXPECT_TRAP(3, 2, mret)
  EXPECT_TRAP(4, 2, csrr a0, mscratch)
  csrr a0, sstatus
  csrw sscratch, a0
  /* S -> U through sret with SPP = 0 */
  li t0, 0x100
  csrc sstatus, t0
  la t0, 1f
  csrw sepc, t0
  sret
1: EXPECT_TRAP(5, 8, ecall)
  EXPECT_TRAP(6, 2, sret)
  EXPECT_TRAP(7, 2, wfi)
  EXPECT_TRAP(8, 2, csrr a0, sstatus)
  EXPECT_TRAP(9, 2, sfence.vma)
  EXPECT_TRAP(10, 2, mret)
  EXPECT_TRAP(11, 2, csrr a0, cycle)   /* counteren clear */
  BACK_TO_M
  csrr a0, mcause
  CHECK(12, a0, 8)
  /* TVM: satp and sfence.vma trap in S */
  li t0, 1 << 20
  csrs mstatus, t0
  ENTER_MODE(1)
  EXPECT_TRAP(13, 2, csrr a0, satp)
  EXPECT_TRAP(14, 2, sfence.vma)
  BACK_TO_M
  /* TW: wfi traps in S. TSR: sret traps in S */
  li t0, 1 << 20
  csrc mstatus, t0
  li t0, (1 << 21) | (1 << 22)
  csrs mstatus, t0
  ENTER_MODE(1)
  csrr a0, satp
  sfence.vma
  EXPECT_TRAP(15, 2, wfi)
  EXPECT_TRAP(16, 2, sret)
  BACK_TO_M
  csrw mstatus, zero
  /* trap entry stacking (M): MIE -> MPIE, MIE = 0, MPP = previous */
  la t0, peek_m
  csrw mtvec, t0
  li t0, 1 << 3
  csrs mstatus, t0
  ecall
  srli t0, a0, 3
  andi t0, t0, 1
  CHECK(17, t0, 0)
  srli t0, a0, 7
  andi t0, t0, 1
  CHECK(18, t0, 1)
  srli t0, a0, 11
  andi t0, t0, 3
  CHECK(19, t0, 3)
  CHECK(20, a1, 11)
  csrr a0, mstatus          /* after mret: MIE = 1, MPIE = 1, MPP = U */
  li t1, 0x1888
  and a0, a0, t1
  CHECK(21, a0, 0x88)
  /* delegated ecall from U to S: SPP = 0, SPIE = old SIE */
  li t0, 1 << 8
  csrw medeleg, t0
  la t0, peek_s
  csrw stvec, t0
  li t0, (1 << 1) | (1 << 8)  /* SIE = 1, SPP = 1 */
  csrs mstatus, t0
  ENTER_MODE(0)
  ecall
  la t0, 1f
  BACK_TO_M
1: srli t0, a0, 1
  andi t0, t0, 1
  CHECK(22, t0, 0)          /* SIE cleared */
  srli t0, a0, 5
  andi t0, t0, 1
  CHECK(23, t0, 1)          /* SPIE = old SIE */
  srli t0, a0, 8
  andi t0, t0, 1
  CHECK(24, t0, 0)          /* SPP = U */
  CHECK(25, a1, 8)
  csrw medeleg, zero
  la t0, m_trap
  csrw mtvec, t0
  la t0, s_trap
  csrw stvec, t0
  PASS

  .align 2
peek_m:
  csrr a0, mstatus
  csrr a1, mcause
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  mret
  .align 2
peek_s:
  csrr a0, sstatus
  csrr a1, scause
  csrr t0, sepc
  addi t0, t0, 4
  csrw sepc, t0
  sret
