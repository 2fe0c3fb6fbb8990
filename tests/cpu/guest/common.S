/*
 * common.S - startup, trap handlers, pass/fail for the hart tests.
 * M-mode handler: interrupts are acknowledged at their source (timer
 * disarmed, msip cleared, SSIP/STIP cleared, external line lowered) and
 * counted in s5; exceptions record cause/tval/epc and resume at s8, or
 * fail with code 0xe00 + cause when no trap was expected.
 * Supervisor handler (for delegated traps) does the same with S CSRs;
 * it adds 0x100 to the recorded cause so tests can tell who handled it.
 */
#include "rvtest.h"
  .section .text.init
  .globl _start
_start:
  la sp, stack_top
  la t0, m_trap
  csrw mtvec, t0
  la t0, s_trap
  csrw stvec, t0
  la t0, trap_save
  csrw mscratch, t0
  la t0, s_trap_save
  csrw sscratch, t0
  /* PMP: entry 0 NAPOT covering everything, RWX, so S/U can run */
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  li s5, 0
  li s8, 0
  li s9, 0
  li s10, -1
  li gp, 0
  j test_main

  .globl pass
pass:
  li t0, 0x5555
  li t1, 0x100000
  sw t0, 0(t1)
1: j 1b

  .globl fail
fail:
  slli t0, gp, 16
  li t1, 0x3333
  or t0, t0, t1
  li t1, 0x100000
  sw t0, 0(t1)
1: j 1b

  .align 2
  .globl m_trap
m_trap:
  csrrw t0, mscratch, t0
  sd t1, 0(t0)
  sd t2, 8(t0)
  csrr t1, mcause
  bltz t1, m_irq
  addi s9, s9, 1
  mv s10, t1
  csrr s11, mtval
  csrr s6, mepc
  beqz s8, m_unexpected
  andi t1, s8, 1           /* resume address | 1: resume in M-mode */
  beqz t1, 1f
  li t1, 3 << 11
  csrs mstatus, t1
  xor s8, s8, 1
1: csrw mepc, s8
  li s8, 0
m_ret:
  ld t1, 0(t0)
  ld t2, 8(t0)
  csrrw t0, mscratch, t0
  mret
m_unexpected:
  li gp, 0xe00
  add gp, gp, t1
  j fail
m_irq:
  slli t1, t1, 1
  srli t1, t1, 1
  la t2, irq_log           /* irq_log[s5] = code */
  add t2, t2, s5
  sb t1, 0(t2)
  addi s5, s5, 1
  ori s10, t1, 0x400
  li t2, 7
  bne t1, t2, 1f
  li t2, CLINT_MTIMECMP
  li t1, -1
  sd t1, 0(t2)
  j m_ret
1: li t2, 3
  bne t1, t2, 1f
  li t2, CLINT_MSIP
  sw zero, 0(t2)
  j m_ret
1: li t2, 11
  bne t1, t2, 1f
  li t2, IRQ_LINE
  sw zero, 0(t2)
  j m_ret
1: li t2, 0x222
  csrc mip, t2 /* SSIP/STIP/SEIP software bits */
  li t2, 9
  bne t1, t2, m_ret
  li t2, IRQ_LINE
  sw zero, 0(t2)
  j m_ret

  .align 2
  .globl s_trap
s_trap:
  csrrw t0, sscratch, t0
  sd t1, 0(t0)
  sd t2, 8(t0)
  csrr t1, scause
  bltz t1, s_irq
  addi s9, s9, 1
  addi s10, t1, 0x100
  csrr s11, stval
  csrr s6, sepc
  beqz s8, s_unexpected
  csrw sepc, s8
  li s8, 0
s_ret:
  ld t1, 0(t0)
  ld t2, 8(t0)
  csrrw t0, sscratch, t0
  sret
s_unexpected:
  li gp, 0xf00
  add gp, gp, t1
  j fail
s_irq:
  slli t1, t1, 1
  srli t1, t1, 1
  la t2, irq_log
  add t2, t2, s5
  ori t1, t1, 0x80         /* S-handled: log code | 0x80 */
  sb t1, 0(t2)
  andi t1, t1, 0x3f
  addi s5, s5, 1
  ori s10, t1, 0x500
  li t2, 2
  csrc sip, t2
  li t2, 5
  bne t1, t2, 1f
  li t2, 0x20
  csrc sie, t2 /* STIP is M's to clear: mask it instead */
1: li t2, 9
  bne t1, t2, s_ret
  li t2, IRQ_LINE
  sw zero, 0(t2)
  j s_ret

  .data
  .align 4
trap_save: .dword 0, 0, 0, 0
s_trap_save: .dword 0, 0, 0, 0
  .globl irq_log
irq_log: .skip 256
  .bss
  .align 12
stack: .skip 8192
stack_top:

/* ---- helpers for C tests (see rvtest-c.h) ---- */
  .text
  /* struct probe probe_ld(va): {cause or -1, value} */
  .globl probe_ld
probe_ld:
  li s10, -1
  li t0, 0
  la s8, 1f
  ld t0, 0(a0)
  li s8, 0
1: mv a1, t0
  mv a0, s10
  ret
  .globl probe_lw
probe_lw:
  li s10, -1
  li t0, 0
  la s8, 1f
  lw t0, 0(a0)
  li s8, 0
1: mv a1, t0
  mv a0, s10
  ret
  /* long probe_sd(va, value): cause or -1 */
  .globl probe_sd
probe_sd:
  li s10, -1
  la s8, 1f
  sd a1, 0(a0)
  li s8, 0
1: mv a0, s10
  mv a1, s11
  ret
  /* long probe_fetch(va): jumps to va, which must hold `ret` */
  .globl probe_fetch
probe_fetch:
  addi sp, sp, -16
  sd ra, 0(sp)
  li s10, -1
  la s8, 1f
  jalr a0
  li s8, 0
1: ld ra, 0(sp)
  addi sp, sp, 16
  mv a0, s10
  mv a1, s11
  ret
  /* struct probe probe_amo(va, v): amoadd.d */
  .globl probe_amo
probe_amo:
  li s10, -1
  li t0, 0
  la s8, 1f
  amoadd.d t0, a1, (a0)
  li s8, 0
1: mv a1, t0
  mv a0, s10
  ret
  /* void enter_mode(mode): from M, continue in mode 0 (U) or 1 (S) */
  .globl enter_mode
enter_mode:
  li t0, 3 << 11
  csrc mstatus, t0
  slli a0, a0, 11
  csrs mstatus, a0
  csrw mepc, ra
  mret
  /* void back_to_m(void): from S/U, continue in M */
  .globl back_to_m
back_to_m:
  ori s8, ra, 1
  ecall
  /* long last_tval(void) */
  .globl last_tval
last_tval:
  mv a0, s11
  ret
  .globl set_check
set_check:
  mv gp, a0
  ret
  .globl last_epc
last_epc:
  mv a0, s6
  ret
