/*
 * seip-rmw.S - mip.SEIP follows the PLIC after M-mode read-modify-writes
 * of mip. OpenSBI does "csrs mip, STIP" / "csrc mip, STIP" to pass timer
 * interrupts to S-mode; if that happens while the PLIC drives SEIP, the
 * hart must not latch the line's value into the software-writable SEIP
 * bit (privileged spec 3.1.9: only the software bit takes part in a
 * CSRRS/CSRRC of mip). Otherwise SEIP stays pending forever and Linux
 * spins in its PLIC handler claiming nothing (seen as a dead console).
 * Prints "seip ok" and powers off with 0, or exits with 3 (stuck) / 4
 * (SEIP never rose).
 */
#define UART 0x10000000
#define PLIC 0x0c000000
#define TEST 0x00100000

	.section .text.start
	.globl _start
_start:
	li t0, PLIC + 4 * 10
	li t1, 1
	sw t1, 0(t0)             /* priority[10] = 1 */
	li t0, PLIC + 0x2080
	li t1, 1 << 10
	sw t1, 0(t0)             /* enable source 10 for context 1 (S) */
	li t0, UART
	li t1, 2
	sb t1, 1(t0)             /* IER = THRE: the UART line goes high */
	csrr t2, mip
	li t3, 1 << 9
	and t2, t2, t3
	beqz t2, never
	li t1, 0x20
	csrs mip, t1             /* STIP on, SEIP high from the PLIC */
	csrc mip, t1             /* STIP off */
	li t0, UART
	sb zero, 1(t0)           /* IER = 0: the line drops */
	csrr t2, mip
	and t2, t2, t3
	bnez t2, stuck
	la a1, ok
	li a2, 0x5555
	j out
stuck:
	la a1, bad
	li a2, (3 << 16) | 0x3333
	j out
never:
	la a1, none
	li a2, (4 << 16) | 0x3333
out:
	li t0, UART
1:	lbu a0, 0(a1)
	beqz a0, 2f
	sb a0, 0(t0)
	addi a1, a1, 1
	j 1b
2:	li t0, TEST
	sw a2, 0(t0)
	j .

	.section .rodata
ok: .asciz "seip ok\n"
bad: .asciz "SEIP STUCK: csrrs/csrrc on mip latched the PLIC line into the software SEIP bit\n"
none: .asciz "SEIP never rose\n"
