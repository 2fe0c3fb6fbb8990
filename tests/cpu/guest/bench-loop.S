/* bench-loop.S - not a test: an integer loop (loads, stores, ALU,
   branches, calls) for measuring interpreter speed. ~200M instructions. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  li s1, 2000000          /* outer iterations */
  la s2, arr
  li a0, 0
1: mv a1, s2
  li a2, 8
2: ld t0, 0(a1)
  add a0, a0, t0
  xor t0, t0, a0
  slli t1, a0, 3
  srli t2, a0, 7
  add a0, t1, t2
  sd t0, 0(a1)
  addi a1, a1, 8
  addi a2, a2, -1
  bnez a2, 2b
  jal leaf
  addi s1, s1, -1
  bnez s1, 1b
  PASS
leaf:
  addi a0, a0, 1
  ret
  .data
  .align 3
arr: .dword 1, 2, 3, 4, 5, 6, 7, 8
