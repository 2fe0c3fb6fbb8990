/* rv64m.S - multiply/divide incl. division by zero and overflow rules. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  li a0, -7
  li a1, 3
  mul a2, a0, a1
  CHECK(1, a2, -21)
  li a0, 0x8000000000000000
  li a1, -1
  mulh a2, a0, a1          /* (-2^63 * -1) >> 64 = 0 */
  CHECK(2, a2, 0)
  mulhu a2, a0, a1         /* 2^63 * (2^64-1) >> 64 = 2^63 - 1 */
  CHECK(3, a2, 0x7fffffffffffffff)
  mulhsu a2, a1, a1        /* -1 * (2^64-1) >> 64 = -1 */
  CHECK(4, a2, -1)
  li a0, 0x100000000
  mulw a2, a0, a0
  CHECK(5, a2, 0)
  li a0, 0x7fffffff
  li a1, 2
  mulw a2, a0, a1
  CHECK(6, a2, -2)
  /* division */
  li a0, -7
  li a1, 2
  div a2, a0, a1
  CHECK(7, a2, -3)
  rem a2, a0, a1
  CHECK(8, a2, -1)
  divu a2, a0, a1
  CHECK(9, a2, 0x7ffffffffffffffc)
  remu a2, a0, a1
  CHECK(10, a2, 1)
  /* by zero */
  div a2, a0, zero
  CHECK(11, a2, -1)
  divu a2, a0, zero
  CHECK(12, a2, -1)
  rem a2, a0, zero
  CHECK(13, a2, -7)
  remu a2, a0, zero
  CHECK(14, a2, -7)
  /* overflow */
  li a0, 0x8000000000000000
  li a1, -1
  div a2, a0, a1
  CHECK(15, a2, 0x8000000000000000)
  rem a2, a0, a1
  CHECK(16, a2, 0)
  /* W forms */
  li a0, 0x80000000
  li a1, -1
  divw a2, a0, a1
  CHECK(17, a2, 0xffffffff80000000)
  remw a2, a0, a1
  CHECK(18, a2, 0)
  divw a2, a0, zero
  CHECK(19, a2, -1)
  divuw a2, a0, zero
  CHECK(20, a2, -1)
  remw a2, a0, zero
  CHECK(21, a2, 0xffffffff80000000)
  remuw a2, a0, zero
  CHECK(22, a2, 0xffffffff80000000)
  li a0, 0x1fffffff7       /* low word 0xfffffff7 */
  li a1, 2
  divuw a2, a0, a1
  CHECK(23, a2, 0x7ffffffb)
  remuw a2, a0, a1
  CHECK(24, a2, 1)
  divw a2, a0, a1          /* -9 / 2 = -4 */
  CHECK(25, a2, -4)
  remw a2, a0, a1
  CHECK(26, a2, -1)
  PASS
