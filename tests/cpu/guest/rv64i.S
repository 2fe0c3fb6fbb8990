/* rv64i.S - base integer instructions: arithmetic, shifts, compares,
   branches, jumps, loads/stores of every width with sign/zero extension. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  li a0, 5
  li a1, -3
  add a2, a0, a1
  CHECK(1, a2, 2)
  sub a2, a1, a0
  CHECK(2, a2, -8)
  addi a2, a0, -2048
  CHECK(3, a2, -2043)
  li a0, 0x7fffffff
  addiw a2, a0, 1
  CHECK(4, a2, 0xffffffff80000000)
  addw a2, a0, a0
  CHECK(5, a2, -2)
  subw a2, zero, a0
  CHECK(6, a2, 0xffffffff80000001)
  li a0, 0x8000000000000000
  srai a2, a0, 63
  CHECK(7, a2, -1)
  srli a2, a0, 63
  CHECK(8, a2, 1)
  li a1, 65        /* shift amounts use the low 6 bits */
  sll a2, a2, a1
  CHECK(9, a2, 2)
  li a0, 0x80000000
  sraiw a2, a0, 4
  CHECK(10, a2, 0xfffffffff8000000)
  srliw a2, a0, 4
  CHECK(11, a2, 0x08000000)
  slliw a2, a0, 1
  CHECK(12, a2, 0)
  li a1, 33        /* W shifts use the low 5 bits */
  sllw a2, a0, a1
  CHECK(13, a2, 0)
  li a0, 1
  sllw a2, a0, a1
  CHECK(14, a2, 2)
  li a0, -1
  srlw a2, a0, a1
  CHECK(15, a2, 0x7fffffff)
  sraw a2, a0, a1
  CHECK(16, a2, -1)
  li a0, -1
  li a1, 1
  slt a2, a0, a1
  CHECK(17, a2, 1)
  sltu a2, a0, a1
  CHECK(18, a2, 0)
  slti a2, a0, 0
  CHECK(19, a2, 1)
  sltiu a2, a1, -1  /* immediate sign-extended then unsigned */
  CHECK(20, a2, 1)
  li a0, 0xf0f0
  xori a2, a0, -1
  CHECK(21, a2, 0xffffffffffff0f0f)
  ori a2, a0, 0x0f
  CHECK(22, a2, 0xf0ff)
  andi a2, a0, 0x0ff
  CHECK(23, a2, 0xf0)
  and a2, a0, a0
  or a2, a2, zero
  xor a2, a2, a0
  CHECK(24, a2, 0)
  lui a2, 0x80000
  CHECK(25, a2, 0xffffffff80000000)
1: auipc a2, 0
  la a3, 1b
  sub a2, a2, a3
  CHECK(26, a2, 0)
  /* x0 stays zero */
  li zero, 5
  addi a2, zero, 0
  CHECK(27, a2, 0)
  /* branches */
  li a0, -1
  li a1, 1
  li gp, 28
  beq a0, a1, fail
  bne a0, a0, fail
  blt a1, a0, fail
  bge a0, a1, fail
  bltu a0, a1, fail
  bgeu a1, a0, fail
  li a2, 0
  blt a0, a1, 1f
  j fail
1: bgeu a0, a1, 1f
  j fail
1: bge a0, a0, 1f
  j fail
1:
  /* jal / jalr link and target, jalr clears bit 0 */
  jal ra, 2f
1: j fail
2: la a3, 1b
  li gp, 29
  bne ra, a3, fail
  la a3, 3f
  addi a3, a3, 1
  jalr a4, 0(a3)
  j fail
3: la a5, 3b
  addi a5, a5, -4  /* link = address after the jalr (4 bytes before 3:) */
  li gp, 30
  bne a4, a5, fail
  /* loads and stores */
  la a0, buf
  li a1, 0x8899aabbccddeeff
  sd a1, 0(a0)
  lb a2, 0(a0)
  CHECK(31, a2, -1)
  lbu a2, 0(a0)
  CHECK(32, a2, 0xff)
  lh a2, 2(a0)
  CHECK(33, a2, 0xffffffffffffccdd)
  lhu a2, 2(a0)
  CHECK(34, a2, 0xccdd)
  lw a2, 4(a0)
  CHECK(35, a2, 0xffffffff8899aabb)
  lwu a2, 4(a0)
  CHECK(36, a2, 0x8899aabb)
  ld a2, 0(a0)
  CHECK(37, a2, 0x8899aabbccddeeff)
  sb zero, 7(a0)
  sh zero, 0(a0)
  ld a2, 0(a0)
  CHECK(38, a2, 0x0099aabbccdd0000)
  li a1, 0x12345678
  sw a1, 8(a0)
  lw a2, 8(a0)
  CHECK(39, a2, 0x12345678)
  addi a3, a0, 16
  sd a1, -8(a3)
  ld a2, 8(a0)
  CHECK(40, a2, 0x12345678)
  fence
  fence.i
  PASS
  .data
  .align 3
buf: .dword 0, 0, 0
