/*
 * reset.S - exercises the sifive,test reset: each boot prints "boot N"
 * (N counted in RAM outside the loaded image, which a reset does not
 * clear) and asks for a reset until the third boot, which powers off
 * with status 0. With -no-reboot the first reset request ends ringvm.
 */
#define UART 0x10000000
#define TEST 0x00100000
#define COUNTER 0x80100000

	.section .text.start
	.globl _start
_start:
	li t5, COUNTER
	lw t6, 0(t5)
	addi t6, t6, 1
	sw t6, 0(t5)
	li t0, UART
	la t2, msg
1:	lbu a0, 0(t2)
	beqz a0, 2f
	call putc
	addi t2, t2, 1
	j 1b
2:	addi a0, t6, '0'
	call putc
	li a0, '\n'
	call putc
	li t0, TEST
	li t1, 3
	bge t6, t1, 3f
	li t1, 0x7777
	sw t1, 0(t0)
	j .
3:	li t1, 0x5555
	sw t1, 0(t0)
	j .

putc:
	li t0, UART
1:	lbu t1, 5(t0)
	andi t1, t1, 0x20
	beqz t1, 1b
	sb a0, 0(t0)
	ret

	.section .rodata
msg: .asciz "boot "
