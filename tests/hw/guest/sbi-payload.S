/*
 * sbi-payload.S - an S-mode payload started by OpenSBI (fw_dynamic) at
 * 0x80200000: checks a0 = hart 0 and a1 = a device tree, prints through
 * the SBI legacy console, and shuts down with the SBI SRST extension
 * (OpenSBI then writes the sifive,test poweroff: exit status 0).
 */
	.section .text.start
	.globl _start
_start:
	mv s0, a0
	mv s1, a1
	la s2, msg
1:	lbu a0, 0(s2)
	beqz a0, 2f
	li a7, 1                 /* legacy console_putchar */
	ecall
	addi s2, s2, 1
	j 1b
2:	bnez s0, fail
	lwu t0, 0(s1)
	li t1, 0xedfe0dd0
	bne t0, t1, fail
	la s2, ok
3:	lbu a0, 0(s2)
	beqz a0, 4f
	li a7, 1
	ecall
	addi s2, s2, 1
	j 3b
4:	li a7, 0x53525354        /* SRST */
	li a6, 0                 /* system_reset */
	li a0, 0                 /* shutdown */
	li a1, 0                 /* no reason */
	ecall
fail:
	li a7, 0x53525354
	li a6, 0
	li a0, 0
	li a1, 1                 /* system failure: OpenSBI reports it as a fail code */
	ecall
	j .

	.section .rodata
msg: .asciz "S-mode payload running\n"
ok: .asciz "boot registers ok\n"
