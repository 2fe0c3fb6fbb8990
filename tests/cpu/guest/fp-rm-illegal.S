/* fp-rm-illegal.S - reserved rounding modes trap as illegal instructions:
   static rm 5 and 6, dynamic with frm 5, 6, 7; rm-less ops ignore frm. */
#include "rvtest.h"
  .text
  .globl test_main
test_main:
  li t0, 1 << 13
  csrs mstatus, t0
  EXPECT_TRAP_TVAL(1, 2, 0x00005053, .word 0x00005053)  /* fadd.s rm=5 */
  EXPECT_TRAP_TVAL(2, 2, 0x02006053, .word 0x02006053)  /* fadd.d rm=6 */
  EXPECT_TRAP_TVAL(3, 2, 0xc0005053, .word 0xc0005053)  /* fcvt.w.s rm=5 */
  csrwi frm, 5
  EXPECT_TRAP(4, 2, fadd.s ft0, ft0, ft0, dyn)
  csrwi frm, 6
  EXPECT_TRAP(5, 2, fmul.d ft0, ft0, ft0, dyn)
  csrwi frm, 7
  EXPECT_TRAP(6, 2, fmadd.d ft0, ft0, ft0, ft0, dyn)
  EXPECT_TRAP(7, 2, fcvt.s.d ft0, ft0, dyn)
  EXPECT_TRAP(8, 2, fsqrt.s ft0, ft0, dyn)
  /* no rounding mode: fine with a bad frm */
  fsgnj.d ft1, ft0, ft0
  fmin.s ft1, ft0, ft0
  feq.d a0, ft0, ft0
  fmv.x.d a0, ft0
  fclass.s a0, ft0
  csrwi frm, 0
  fadd.s ft0, ft0, ft0, dyn
  PASS
