/*
 * rvtest.h - assembler macros for the bare-metal hart tests.
 *
 * Register conventions (owned by common.S, do not use in tests):
 *   gp = current check number (reported as the fail code)
 *   s5 = interrupts taken, s6 = epc of the last trap, s7 = scratch
 *   s8 = resume address for an expected trap (0 = trap is a failure)
 *   s9 = traps taken, s10 = cause of the last trap, s11 = tval
 * Tests define test_main (entered in M-mode, mtvec = m_trap, stvec =
 * s_trap, PMP open) and end with PASS or a failed check.
 */
#define PASS j pass
#define FAIL j fail

/* check number n: reg must equal imm */
#define CHECK(n, reg, imm) li gp, n; li t6, imm; bne reg, t6, fail

/*
 * Run insn expecting a trap with the given cause: the handler resumes at
 * the label after it and the check compares the recorded cause.
 */
#define EXPECT_TRAP(n, cause, insn...) \
  li gp, n; la s8, 9f; insn; j fail; 9: li t6, cause; bne s10, t6, fail

/* same, and also check tval */
#define EXPECT_TRAP_TVAL(n, cause, tval, insn...) \
  EXPECT_TRAP(n, cause, insn); li t6, tval; bne s11, t6, fail

/* switch to privilege mode (0 U, 1 S) at the next instruction */
#define ENTER_MODE(mode) \
  li t0, 3 << 11; csrc mstatus, t0; li t0, (mode) << 11; csrs mstatus, t0; \
  la t0, 8f; csrw mepc, t0; mret; 8:

#define IRQ_LINE 0x10001000
#define CLINT_MSIP 0x02000000
#define CLINT_MTIMECMP 0x02004000
#define CLINT_MTIME 0x0200bff8

/* same, with the expected tval in a register */
#define EXPECT_TRAP_TVALR(n, cause, reg, insn...) \
  EXPECT_TRAP(n, cause, insn); bne s11, reg, fail

/* from S or U back to M-mode (through ecall) */
#define BACK_TO_M la s8, 7f + 1; ecall; 7:

/* irq_log[i] must be code */
#define CHECK_IRQ_LOG(n, i, code) li gp, n; la t6, irq_log; lbu t6, i(t6); li t5, code; bne t6, t5, fail

/* spin up to 1000 iterations until s5 >= cnt, else fail */
#define WAIT_IRQS(n, cnt) li gp, n; li t5, 1000; 1: li t6, cnt; bge s5, t6, 2f; addi t5, t5, -1; bnez t5, 1b; j fail; 2:

/* arm the CLINT timer delta ticks from now */
#define ARM_TIMER(delta) li t0, CLINT_MTIME; ld t1, 0(t0); li t0, delta; add t1, t1, t0; li t0, CLINT_MTIMECMP; sd t1, 0(t0)
/* same through ebreak (when ecall is delegated) */
#define BACK_TO_M_EBREAK la s8, 7f + 1; ebreak; 7:
