/*
 * fp-nx-loop.S - bare-metal (M-mode, -bios none) guest of fp-nx-qemu.sh:
 * PASSES passes of the bench-fp-nx loop (4 FP ops), with CLEAR: fflags
 * cleared and read every pass, else with NX set once before the loop;
 * then it powers off through the test device at 0x100000.
 */
	.section .text
	.globl _start
_start:
	li t0, 0x6000          /* mstatus.FS = Dirty */
	csrs mstatus, t0
	la t1, consts
	fld f1, 0(t1)
	fld f2, 8(t1)
	fld f6, 16(t1)
	fmv.d.x f3, x0
	li s1, PASSES
	li s3, 0
#ifndef CLEAR
	csrwi fflags, 1
#endif
1:
#ifdef CLEAR
	csrw fflags, x0
#endif
	fadd.d f3, f3, f1
	fmul.d f4, f3, f2
	fdiv.d f5, f4, f6
	fadd.d f7, f5, f4
#ifdef CLEAR
	frflags t0
	add s3, s3, t0
#endif
	addi s1, s1, -1
	bnez s1, 1b
	li t0, 0x100000        /* test device: pass, power off */
	li t1, 0x5555
	sw t1, 0(t0)
2:	j 2b
	.align 3
consts:	.double 0.1, 1.7, 2.0
