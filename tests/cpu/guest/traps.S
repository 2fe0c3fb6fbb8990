/* traps.S - synchronous exception causes raised by the hart and what
   lands in mcause/mepc/mtval. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  /* illegal instruction: tval = the encoding */
  EXPECT_TRAP_TVAL(1, 2, 0xffffffff, .word 0xffffffff)
  EXPECT_TRAP_TVAL(2, 2, 0x0000707f, .word 0x0000707f)  /* unknown opcode */
  EXPECT_TRAP_TVAL(3, 2, 0x02008073, .word 0x02008073)  /* bad system insn */
  /* breakpoint: tval = pc */
  la a0, 1f
  li gp, 4
  la s8, 2f
1: ebreak
  j fail
2: li t6, 3
  bne s10, t6, fail
  bne s11, a0, fail
  bne s6, a0, fail
  /* ecall from M */
  la a0, 1f
  li gp, 5
  la s8, 2f
1: ecall
  j fail
2: li t6, 11
  bne s10, t6, fail
  bne s11, zero, fail
  bne s6, a0, fail
  /* load/store access faults at an unmapped physical address */
  li a1, 0x40000000
  EXPECT_TRAP_TVALR(6, 5, a1, ld a2, 0(a1))
  EXPECT_TRAP_TVALR(7, 7, a1, sw a2, 0(a1))
  /* a load from unmapped space does not write rd */
  li a2, 77
  EXPECT_TRAP(8, 5, lw a2, 8(a1))
  CHECK(9, a2, 77)
  /* instruction access fault: jump to nowhere, epc = tval = target */
  li gp, 10
  la s8, 1f
  jr a1
  j fail
1: li t6, 1
  bne s10, t6, fail
  bne s11, a1, fail
  bne s6, a1, fail
  /* fetch of the second half of an insn that crosses into nothing:
     place a 4-byte insn's first half at the last halfword of RAM? We use
     MMIO instead: the test device region reads as zero = illegal. */
  li a1, 0x00100000
  EXPECT_TRAP(11, 2, jr a1)
  /* illegal via privilege: none in M. mret with MPP=M returns to M */
  li t0, 3 << 11
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
  j fail
1: csrr a0, mstatus
  srli a0, a0, 11
  andi a0, a0, 3
  CHECK(12, a0, 0)            /* MPP set to U after mret */
  /* the trap count matches the expected traps */
  CHECK(13, s9, 10)
  PASS
