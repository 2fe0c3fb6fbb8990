/* rv64a.S - AMOs (.w/.d, sign extension), LR/SC success and failure
   (no reservation, other address, store in between, trap in between),
   misaligned AMO traps. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  la a0, mem
  li a1, 0xffffffff
  sw a1, 0(a0)
  li a2, 1
  amoadd.w a3, a2, (a0)
  CHECK(1, a3, -1)          /* old value sign-extended */
  lw a3, 0(a0)
  CHECK(2, a3, 0)
  li a2, 5
  amoswap.w.aq a3, a2, (a0)
  CHECK(3, a3, 0)
  li a2, -3
  amomin.w a3, a2, (a0)
  CHECK(4, a3, 5)
  lw a3, 0(a0)
  CHECK(5, a3, -3)
  li a2, 2
  amomax.w a3, a2, (a0)
  lw a3, 0(a0)
  CHECK(6, a3, 2)
  li a2, -1
  amominu.w a3, a2, (a0)
  lw a3, 0(a0)
  CHECK(7, a3, 2)
  amomaxu.w.rl a3, a2, (a0)
  lw a3, 0(a0)
  CHECK(8, a3, -1)
  li a2, 0x0f0f0f0f
  amoand.w a3, a2, (a0)
  amoor.w a3, zero, (a0)
  CHECK(9, a3, 0x0f0f0f0f)
  amoxor.w a3, a2, (a0)
  lw a3, 0(a0)
  CHECK(10, a3, 0)
  /* doubleword */
  li a1, 0x7fffffffffffffff
  sd a1, 8(a0)
  addi a4, a0, 8
  li a2, 1
  amoadd.d a3, a2, (a4)
  CHECK(11, a3, 0x7fffffffffffffff)
  ld a3, 8(a0)
  CHECK(12, a3, 0x8000000000000000)
  amomin.d a3, a2, (a4)
  ld a3, 8(a0)
  CHECK(13, a3, 0x8000000000000000)
  amominu.d a3, a2, (a4)
  ld a3, 8(a0)
  CHECK(14, a3, 1)
  li a2, -1
  amomaxu.d a3, a2, (a4)
  amomax.d a3, zero, (a4)
  ld a3, 8(a0)
  CHECK(15, a3, 0)
  li a2, 0xff
  amoswap.d a3, a2, (a4)
  amoor.d a3, a2, (a4)
  amoxor.d a3, a2, (a4)
  amoand.d a3, a2, (a4)
  ld a3, 8(a0)
  CHECK(16, a3, 0)
  /* LR/SC success */
  li a2, 42
  lr.d a3, (a4)
  sc.d a5, a2, (a4)
  CHECK(17, a5, 0)
  ld a3, 8(a0)
  CHECK(18, a3, 42)
  /* SC without reservation fails (the previous SC consumed it) */
  sc.d a5, zero, (a4)
  CHECK(19, a5, 1)
  ld a3, 8(a0)
  CHECK(20, a3, 42)
  /* SC to another address fails */
  lr.w a3, (a0)
  addi a6, a0, 16
  sc.w a5, a2, (a6)
  CHECK(21, a5, 1)
  /* a store to the reserved address in between makes SC fail (the spec
     allows either for the same hart; ringvm chose to fail, QEMU succeeds) */
  lr.w a3, (a0)
  sw zero, 0(a0)
  sc.w a5, a2, (a0)
  CHECK(22, a5, 1)
  /* a trap in between makes SC fail */
  lr.w a3, (a0)
  EXPECT_TRAP(23, 2, .word 0)
  sc.w a5, a2, (a0)
  CHECK(24, a5, 1)
  /* lr.w sign extends; sc.w success writes 32 bits */
  li a1, -2
  sw a1, 0(a0)
  lr.w a3, (a0)
  CHECK(25, a3, -2)
  li a2, 7
  sc.w a5, a2, (a0)
  CHECK(26, a5, 0)
  lw a3, 0(a0)
  CHECK(27, a3, 7)
  /* misaligned AMO / LR / SC */
  addi a6, a0, 2
  EXPECT_TRAP_TVALR(28, 6, a6, amoadd.w a3, a2, (a6))
  EXPECT_TRAP_TVALR(29, 4, a6, lr.w a3, (a6))
  addi a6, a0, 4
  EXPECT_TRAP_TVALR(30, 6, a6, sc.d a3, a2, (a6))
  /* AMO to an unmapped physical address: store/AMO access fault */
  li a6, 0x40000000
  EXPECT_TRAP_TVALR(31, 7, a6, amoswap.w a3, a2, (a6))
  PASS
  .data
  .align 4
mem: .dword 0, 0, 0, 0
