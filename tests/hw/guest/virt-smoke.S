/*
 * virt-smoke.S - a bare-metal M-mode program for the virt board, run with
 * -bios none. It checks the boot registers (a0 = hart 0, a1 = a device
 * tree), takes a CLINT timer interrupt out of WFI, echoes console input
 * delivered by UART RX interrupts through the PLIC until it sees 'q', and
 * powers off through the sifive,test device with exit status 42.
 * Expected console output: "hello\nfdt ok\ntimer ok\n<input up to q>\nbye\n".
 */
#define UART 0x10000000
#define CLINT 0x02000000
#define PLIC 0x0c000000
#define TEST 0x00100000

	.section .text.start
	.globl _start
_start:
	la sp, stack_top
	mv s0, a0
	mv s1, a1
	/* FIFO on first: enabling it later would clear input already typed
	 * (as on hardware), and the test types once "timer ok" is out. */
	li t0, UART
	li t1, 1
	sb t1, 2(t0)
	la a0, msg_hello
	call puts
	bnez s0, fail
	lwu t0, 0(s1)
	li t1, 0xedfe0dd0        /* 0xd00dfeed, big-endian in memory */
	bne t0, t1, fail
	la a0, msg_fdt
	call puts

	/* timer: 2 ms ahead, wait for it in WFI */
	la t0, trap
	csrw mtvec, t0
	li t0, CLINT + 0xbff8
	ld t1, 0(t0)
	li t2, 20000
	add t1, t1, t2
	li t0, CLINT + 0x4000
	sd t1, 0(t0)
	li t0, 0x80              /* MTIE */
	csrs mie, t0
	csrsi mstatus, 8         /* MIE */
1:	wfi
	la t0, timer_seen
	lw t1, 0(t0)
	beqz t1, 1b
	la a0, msg_timer
	call puts

	/* UART RX interrupts through PLIC context 0 (M-mode) */
	li t0, PLIC + 4 * 10
	li t1, 1
	sw t1, 0(t0)             /* priority[10] = 1 */
	li t0, PLIC + 0x2000
	li t1, 1 << 10
	sw t1, 0(t0)             /* enable source 10 for context 0 */
	li t0, PLIC + 0x200000
	sw zero, 0(t0)           /* threshold 0 */
	li t0, UART
	li t1, 1
	sb t1, 1(t0)             /* IER: RX data */
	li t0, 0x800             /* MEIE */
	csrs mie, t0
2:	wfi
	la t0, got_q
	lw t1, 0(t0)
	beqz t1, 2b
	li a0, '\n'
	call putc
	la a0, msg_bye
	call puts
	li t0, TEST
	li t1, (42 << 16) | 0x3333
	sw t1, 0(t0)
3:	j 3b

fail:
	la a0, msg_fail
	call puts
	li t0, TEST
	li t1, (1 << 16) | 0x3333
	sw t1, 0(t0)
4:	j 4b

/* putc(a0): wait for THRE, write THR */
putc:
	li t0, UART
1:	lbu t1, 5(t0)
	andi t1, t1, 0x20
	beqz t1, 1b
	sb a0, 0(t0)
	ret

puts:
	mv t3, ra
	mv t4, a0
1:	lbu a0, 0(t4)
	beqz a0, 2f
	call putc
	addi t4, t4, 1
	j 1b
2:	mv ra, t3
	ret

	.align 4
trap:
	addi sp, sp, -64
	sd ra, 0(sp)
	sd t0, 8(sp)
	sd t1, 16(sp)
	sd t2, 24(sp)
	sd a0, 32(sp)
	sd t3, 40(sp)
	sd t4, 48(sp)
	csrr t0, mcause
	bgez t0, fail            /* an exception: the test failed */
	slli t0, t0, 1
	srli t0, t0, 1
	li t1, 7
	beq t0, t1, timer_irq
	li t1, 11
	beq t0, t1, ext_irq
	j fail
timer_irq:
	li t0, CLINT + 0x4000
	li t1, -1
	sd t1, 0(t0)             /* disarm: MTIP drops */
	la t0, timer_seen
	li t1, 1
	sw t1, 0(t0)
	j trap_out
ext_irq:
	li t2, PLIC + 0x200004
	lw t1, 0(t2)             /* claim */
	li t0, 10
	bne t1, t0, fail
1:	li t0, UART
	lbu t1, 5(t0)
	andi t1, t1, 1
	beqz t1, 2f
	lbu a0, 0(t0)
	li t1, 'q'
	bne a0, t1, 3f
	la t0, got_q
	li t1, 1
	sw t1, 0(t0)
3:	call putc
	j 1b
2:	li t1, 10
	sw t1, 0(t2)             /* complete */
trap_out:
	ld ra, 0(sp)
	ld t0, 8(sp)
	ld t1, 16(sp)
	ld t2, 24(sp)
	ld a0, 32(sp)
	ld t3, 40(sp)
	ld t4, 48(sp)
	addi sp, sp, 64
	mret

	.section .rodata
msg_hello: .asciz "hello\n"
msg_fdt: .asciz "fdt ok\n"
msg_timer: .asciz "timer ok\n"
msg_bye: .asciz "bye\n"
msg_fail: .asciz "FAIL\n"

	.section .data
	.align 3
timer_seen: .word 0
got_q: .word 0
