/* selfmod.S - stores into code already executed (and so decoded and
   cached) take effect: plain stores, AMOs, stores through another virtual
   mapping of the page, with and without fence.i. */
#include "rvtest.h"
#define ADDI_A0(v) (0x00000513 | ((v) << 20))
  .text
  .globl test_main
test_main:
  la s1, target
  jal target
  CHECK(1, a0, 1)
  li t1, ADDI_A0(2)
  sw t1, 0(s1)
  fence.i
  jal target
  CHECK(2, a0, 2)
  /* without fence.i this hart still sees its own store */
  li t1, ADDI_A0(3)
  sw t1, 0(s1)
  jal target
  CHECK(3, a0, 3)
  /* an AMO into code */
  li t1, 1 << 20          /* immediate += 1 */
  amoadd.w zero, t1, (s1)
  jal target
  CHECK(4, a0, 4)
  /* a misaligned store that covers the instruction and its neighbours */
  li t1, (0x8082 << 48) | (ADDI_A0(5) << 16) | 0x0001
  sd t1, -2(s1)           /* c.nop | addi a0, zero, 5 | c.jr ra */
  jal target
  CHECK(5, a0, 5)
  /* a loop body rewritten while the loop runs */
  la s2, body
  li a1, 0
  li a2, 0
3: addi a2, a2, 1
body:
  .option push
  .option norvc
  addi a1, a1, 1
  .option pop
  li t1, 2
  bne a2, t1, 4f
  li t1, 0x00a58593       /* addi a1, a1, 10 */
  sw t1, 0(s2)
4: li t1, 4
  blt a2, t1, 3b
  CHECK(6, a1, 22)
  PASS

  .align 3
  .half 0x0001, 0x0001 /* c.nop x2: target is 4-aligned, not 8-aligned */
target:
  .option push
  .option norvc
  addi a0, zero, 1
  .option pop
  c.jr ra
  nop
