/* counters.S - minstret/mcycle counting and writes, mcountinhibit, time
   from the platform timer, hpm counters, mcounteren/scounteren gating. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  csrr a0, minstret
  nop
  nop
  nop
  csrr a1, minstret
  sub a2, a1, a0
  CHECK(1, a2, 4)
  csrr a0, instret              /* user alias */
  csrr a1, minstret
  sub a2, a1, a0
  CHECK(2, a2, 1)
  csrr a0, mcycle
  nop
  csrr a1, mcycle
  sltu a2, a0, a1
  CHECK(3, a2, 1)
  li a0, 1000
  csrw minstret, a0
  csrr a1, minstret
  CHECK(4, a1, 1000)
  csrw mcycle, zero
  csrr a1, mcycle
  li a2, 10
  sltu a2, a1, a2
  CHECK(5, a2, 1)
  /* inhibit instret */
  csrwi mcountinhibit, 4
  csrr a0, minstret
  nop
  nop
  csrr a1, minstret
  sub a2, a1, a0
  CHECK(6, a2, 0)
  csrwi mcountinhibit, 0
  csrr a0, minstret
  nop
  csrr a1, minstret
  sub a2, a1, a0
  CHECK(7, a2, 2)
  csrwi mcountinhibit, 7        /* bit 1 (TM) is read-only zero */
  csrr a0, mcountinhibit
  CHECK(8, a0, 5)
  csrwi mcountinhibit, 0
  /* time = CLINT mtime */
  li t0, CLINT_MTIME
  ld a0, 0(t0)
  csrr a1, time
  ld a2, 0(t0)
  sltu a3, a1, a0
  CHECK(9, a3, 0)
  sltu a3, a2, a1
  CHECK(10, a3, 0)
  li t1, 0x100000
  sd t1, 0(t0)                  /* write mtime: rdtime follows */
  csrr a1, time
  sub a1, a1, t1
  li a2, 10
  sltu a2, a1, a2
  CHECK(11, a2, 1)
  /* hpm counters read zero */
  csrr a0, hpmcounter3
  csrr a1, hpmcounter31
  csrr a2, mhpmcounter31
  or a0, a0, a1
  or a0, a0, a2
  CHECK(12, a0, 0)
  /* counteren gating */
  csrw mcounteren, zero
  csrw scounteren, zero
  ENTER_MODE(1)
  EXPECT_TRAP(13, 2, csrr a0, cycle)
  EXPECT_TRAP(14, 2, csrr a0, time)
  EXPECT_TRAP(15, 2, csrr a0, instret)
  EXPECT_TRAP(16, 2, csrr a0, hpmcounter3)
  BACK_TO_M
  li t0, 0xa                    /* TM and HPM3 */
  csrw mcounteren, t0
  ENTER_MODE(1)
  csrr a0, time
  csrr a0, hpmcounter3
  EXPECT_TRAP(17, 2, csrr a0, cycle)
  li t0, 2
  csrw scounteren, t0           /* S controls U */
  li t0, 0x100
  csrc sstatus, t0
  la t0, 1f
  csrw sepc, t0
  sret
1: csrr a0, time                /* U: allowed by both */
  EXPECT_TRAP(18, 2, csrr a0, hpmcounter3)  /* scounteren bit 3 clear */
  EXPECT_TRAP(19, 2, csrr a0, instret)
  BACK_TO_M
  PASS
