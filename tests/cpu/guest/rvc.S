/* rvc.S - every RV64C instruction, incl. the C.F* double loads/stores,
   and reserved encodings trapping as illegal instructions. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  li t0, 1 << 13
  csrs mstatus, t0          /* FS = Initial */
  la sp, cbuf
  c.addi4spn s0, sp, 16     /* s0 = x8 */
  sub a0, s0, sp
  CHECK(1, a0, 16)
  li a1, 0x1122334455667788
  c.sd a1, 8(s0)            /* cbuf+24 */
  c.ld a2, 8(s0)
  CHECK(2, a2, 0x1122334455667788)
  c.lw a2, 8(s0)
  CHECK(3, a2, 0x55667788)
  c.lw a2, 12(s0)
  CHECK(4, a2, 0x11223344)
  li a3, -5
  c.sw a3, 0(s0)
  c.lw a2, 0(s0)
  CHECK(5, a2, -5)
  c.fld fa0, 8(s0)
  c.fsd fa0, 16(s0)
  c.ld a2, 16(s0)
  CHECK(6, a2, 0x1122334455667788)
  c.fldsp fa1, 24(sp)
  c.fsdsp fa1, 0(sp)
  c.ldsp a2, 0(sp)
  CHECK(7, a2, 0x1122334455667788)
  c.sdsp a3, 8(sp)
  c.ldsp a2, 8(sp)
  CHECK(8, a2, -5)
  c.swsp a1, 4(sp)
  c.lwsp a2, 4(sp)
  CHECK(9, a2, 0x55667788)
  c.nop
  li a2, 10
  c.addi a2, -11
  CHECK(10, a2, -1)
  li a2, 0x7fffffff
  c.addiw a2, 1
  CHECK(11, a2, 0xffffffff80000000)
  c.li a2, -32
  CHECK(12, a2, -32)
  mv t1, sp
  c.addi16sp sp, -512
  sub a2, t1, sp
  CHECK(13, a2, 512)
  c.addi16sp sp, 496
  c.addi16sp sp, 16
  c.lui a2, 0xfffe0          /* nzimm = -32 << 12 */
  CHECK(14, a2, 0xfffffffffffe0000)
  c.lui a2, 1
  CHECK(15, a2, 0x1000)
  li s1, -16
  c.srli s1, 60
  CHECK(16, s1, 15)
  li s1, -16
  c.srai s1, 2
  CHECK(17, s1, -4)
  li s1, 0xff
  c.andi s1, -16
  CHECK(18, s1, 0xf0)
  li s1, 10
  li a4, 3
  c.sub s1, a4
  CHECK(19, s1, 7)
  c.xor s1, a4
  CHECK(20, s1, 4)
  c.or s1, a4
  CHECK(21, s1, 7)
  c.and s1, a4
  CHECK(22, s1, 3)
  li s1, 0x7fffffff
  li a4, 1
  c.addw s1, a4
  CHECK(23, s1, 0xffffffff80000000)
  c.subw s1, a4
  CHECK(24, s1, 0x7fffffff)
  li a2, 1
  c.slli a2, 63
  CHECK(25, a2, 0x8000000000000000)
  c.mv a3, a2
  c.add a3, a2
  CHECK(26, a3, 0)
  /* control flow */
  li gp, 27
  c.j 1f
  j fail
1: li s1, 0
  c.beqz s1, 1f
  j fail
1: c.bnez s1, fail2
  li s1, 1
  c.bnez s1, 1f
  j fail
1: la a5, 2f
  c.jr a5
  j fail
2: la a5, 3f
  c.jalr a5
4: j fail
3: la a6, 4b
  li gp, 28
  bne ra, a6, fail
  /* c.ebreak: breakpoint, tval = pc */
  la a6, 5f
  li gp, 29
  la s8, 6f
5: c.ebreak
  j fail
6: li t6, 3
  bne s10, t6, fail
  bne s11, a6, fail
  /* illegal: all-zero halfword; reserved c.addi4spn with imm 0; c.lui
     with imm 0; c.jr x0; c.lwsp x0 */
  EXPECT_TRAP_TVAL(30, 2, 0, .half 0)
  EXPECT_TRAP_TVAL(31, 2, 0x0004, .half 0x0004)
  EXPECT_TRAP_TVAL(32, 2, 0x6501, .half 0x6501)
  EXPECT_TRAP_TVAL(33, 2, 0x8002, .half 0x8002)
  EXPECT_TRAP_TVAL(34, 2, 0x4002, .half 0x4002)
  /* mepc of a trapping compressed insn points at it */
  la a6, 7f
  li gp, 35
  la s8, 8f
7: c.ebreak
8: bne s6, a6, fail
  PASS
fail2: j fail
  .data
  .align 4
cbuf: .skip 64
