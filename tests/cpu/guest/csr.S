/* csr.S - CSR values, WARL masks, views (sstatus/sie/sip), read-only and
   unknown CSRs, FP CSRs and FS tracking, counter access. */
#include "rvtest.h"
#define ILLEGAL_TVAL_IS_INSN(n) lwu t6, 0(s6); li gp, n; bne s11, t6, fail
  .text
  .globl test_main
test_main:
  csrr a0, misa
  CHECK(1, a0, 0x800000000014112d)
  csrr a0, mvendorid
  CHECK(2, a0, 0)
  csrr a0, marchid
  csrr a1, mimpid
  or a0, a0, a1
  csrr a1, mconfigptr
  or a0, a0, a1
  csrr a1, mhartid
  or a0, a0, a1
  CHECK(3, a0, 0)
  /* mstatus WARL */
  li a0, -1
  csrw mstatus, a0
  csrr a0, mstatus
  CHECK(4, a0, 0x8000000a007e79aa)
  li a0, 2 << 11           /* MPP = 2 is reserved: keep old (3) */
  csrc mstatus, a0
  csrr a0, mstatus
  srli a0, a0, 11
  andi a0, a0, 3
  CHECK(5, a0, 1)
  csrw mstatus, zero
  li a0, 2 << 11
  csrs mstatus, a0
  csrr a0, mstatus
  CHECK(6, a0, 0x0000000a00000000)
  /* sstatus is a view */
  li a0, -1
  csrw sstatus, a0
  csrr a0, sstatus
  CHECK(7, a0, 0x80000002000c6122)
  csrr a0, mstatus
  CHECK(8, a0, 0x8000000a000c6122)
  csrw mstatus, zero
  /* delegation masks */
  li a0, -1
  csrw medeleg, a0
  csrr a1, medeleg
  CHECK(9, a1, 0xb3ff)
  csrw mideleg, a0
  csrr a1, mideleg
  CHECK(10, a1, 0x222)
  csrw mie, a0
  csrr a1, mie
  CHECK(11, a1, 0xaaa)
  csrr a1, sie
  CHECK(12, a1, 0x222)
  csrw sie, zero
  csrr a1, mie
  CHECK(13, a1, 0x888)
  li a0, 2
  csrs sip, a0
  csrr a1, mip
  CHECK(14, a1, 2)
  csrr a1, sip
  CHECK(15, a1, 2)
  csrc mip, a0
  csrw medeleg, zero
  csrw mideleg, zero
  csrw mie, zero
  csrr a1, sip              /* not delegated: invisible */
  CHECK(16, a1, 0)
  /* tvec modes: 2 and 3 are reserved */
  la t0, m_trap
  ori a0, t0, 3
  csrw stvec, a0
  csrr a1, stvec
  li gp, 17
  bne a1, t0, fail
  ori a0, t0, 1
  csrw stvec, a0
  csrr a1, stvec
  li gp, 18
  bne a1, a0, fail
  la t0, s_trap
  csrw stvec, t0
  /* epc bit 0 */
  li a0, 0x80001235
  csrw mepc, a0
  csrr a1, mepc
  CHECK(19, a1, 0x80001234)
  csrw sepc, a0
  csrr a1, sepc
  CHECK(20, a1, 0x80001234)
  /* satp: unsupported mode ignored */
  li a0, (1 << 60) | 5
  csrw satp, a0
  csrr a1, satp
  CHECK(21, a1, 0)
  li a0, (8 << 60) | (0xffff << 44) | 0x123
  csrw satp, a0
  csrr a1, satp
  CHECK(22, a1, (8 << 60) | (0xffff << 44) | 0x123)
  csrw satp, zero
  /* scratch registers */
  li a0, 0x5a5a
  csrw sscratch, a0
  csrrw a1, sscratch, zero
  CHECK(23, a1, 0x5a5a)
  /* read-only CSRs: reads fine, writes illegal (even writing 0) */
  csrrs a1, mhartid, zero
  csrrsi a1, mvendorid, 0
  EXPECT_TRAP(24, 2, csrw mhartid, zero)
  ILLEGAL_TVAL_IS_INSN(25)
  EXPECT_TRAP(26, 2, csrrci a1, mimpid, 1)
  li a0, 0
  EXPECT_TRAP(27, 2, csrrs a1, cycle, a0)   /* rs1 != x0: a write */
  /* unknown CSRs */
  EXPECT_TRAP(28, 2, csrr a1, 0x7c0)
  EXPECT_TRAP(29, 2, csrr a1, 0x3a1)        /* pmpcfg1 does not exist on RV64 */
  EXPECT_TRAP(30, 2, csrr a1, 0x14d)        /* stimecmp: no Sstc */
  /* FP CSRs: illegal with FS = Off */
  EXPECT_TRAP(31, 2, csrr a1, fcsr)
  EXPECT_TRAP(32, 2, fadd.d fa0, fa0, fa0)
  li t0, 1 << 13
  csrs mstatus, t0          /* FS = Initial */
  li a0, 0xff
  csrw fcsr, a0
  csrr a1, fcsr
  CHECK(33, a1, 0xff)
  csrr a1, frm
  CHECK(34, a1, 7)
  csrr a1, fflags
  CHECK(35, a1, 0x1f)
  csrwi frm, 2
  csrr a1, fcsr
  CHECK(36, a1, 0x5f)
  csrr a1, mstatus          /* CSR write made FS dirty, SD set */
  srli a1, a1, 13
  andi a1, a1, 3
  CHECK(37, a1, 3)
  csrr a1, mstatus
  srli a1, a1, 63
  CHECK(38, a1, 1)
  li t0, 3 << 13
  csrc mstatus, t0
  li t0, 1 << 13
  csrs mstatus, t0
  fmv.d.x fa0, zero          /* writing an f register makes FS dirty */
  csrr a1, mstatus
  srli a1, a1, 13
  andi a1, a1, 3
  CHECK(39, a1, 3)
  /* hpm counters read zero, events too, writes ignored */
  csrr a1, mhpmcounter3
  csrw mhpmevent3, a0
  csrr a2, mhpmevent3
  or a1, a1, a2
  CHECK(40, a1, 0)
  /* mcounteren / scounteren are WARL 32-bit */
  li a0, -1
  csrw mcounteren, a0
  csrr a1, mcounteren
  CHECK(41, a1, 0xffffffff)
  csrw mcounteren, zero
  /* menvcfg: only FIOM implemented */
  csrw menvcfg, a0
  csrr a1, menvcfg
  CHECK(42, a1, 1)
  csrw senvcfg, a0
  csrr a1, senvcfg
  CHECK(43, a1, 1)
  PASS
