/*
 * Cross-page links (jit-int.h, struct jit_exit): a direct jump into
 * another page goes straight to the target's block once linked, behind a
 * guard on the fetch TLB (tag with the current key, pa_off). A loop in
 * page A jumps (jal x0) to page B, which adds 1 to a0 and jumps back (a
 * direct jump across pages both ways), N times; the JIT links both exits.
 * Then the scenario named by argv[1] changes what the jump must reach,
 * and the loop runs N times more; a0, the trap count, pc and instret must
 * match the interpreter's (and the value the scenario expects):
 *   call   nothing changes (the links are used: few dispatcher entries)
 *   remap  B's PTE now points at page C (adds 100), then sfence.vma
 *   satp   satp switches to a second table where B is C, then sfence.vma
 *   smc    a store rewrites B's first instruction (adds 100)
 *   fencei the host rewrites B behind the hart's back, then fence.i
 *   divert the same, but the run stops (budget 1) right after the first
 *          jump to B, before anything looked B up, and resumes at the
 *          loop (as an interrupt handler returning elsewhere would): the
 *          exit must not have been linked to B's stale block (its page
 *          is not rechecked since the fence.i)
 *   priv   phase 1 in M-mode (bare), phase 2 in U-mode (bare), where PMP
 *          forbids fetching B: each jump must fault (the M-mode key's TLB
 *          entry still maps B with the linked pa_off)
 *   flush  between the phases, a sled of 140k one-instruction blocks
 *          forces a full flush of the code cache (eager translation)
 * Each runs under the interpreter, the JIT (eager and default) and check
 * mode (-accel jit,check=on: the checker exits the process on a
 * difference).
 */
#include <stdlib.h>

#include "cpu/jit/jit-int.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (2u << 20)
#define PT 0x100000u   /* identity Sv39 tables (thart_sv39) */
#define PT2 0x104000u  /* the satp scenario's second tables */
#define PAGE_B 0x2000u
#define PAGE_C 0x3000u
#define HANDLER 0x4000u
#define SLED 0x8000u
#define SLED_N 140000u /* more blocks than JIT_MAX_BLOCKS */
#define N 200
enum { T1 = 6, A0 = 10, S2 = 18, S5 = 21, S6 = 22, S7 = 23, S8 = 24, S11 = 27 };

#define ADDI(rd, rs, imm) enc_i(0x13, rd, 0, rs, imm)
#define CSRW(csr, rs) enc_i(0x73, 0, 1, rs, csr)
#define SFENCE 0x12000073u
#define FENCE_I 0x0000100fu
#define MRET 0x30200073u

/* phase 2 entry points in page A (after the loop's wfi) */
enum { E_LOOP = 0x00, E_REMAP = 0x10, E_SATP = 0x18, E_SMC = 0x24, E_PRIV = 0x2c,
       E_FENCEI = 0x34 };

static const char *scenario;

static void put(uint8_t *ram, uint32_t off, uint32_t insn)
{
	memcpy(ram + off, &insn, 4);
}

static void build(uint8_t *ram)
{
	memset(ram, 0, RAM);
	put(ram, 0x00, enc_j(0, PAGE_B));           /* loop: j B */
	put(ram, 0x04, ADDI(S2, S2, -1));           /* R */
	put(ram, 0x08, enc_b(1, S2, 0, -8));        /* bnez s2, loop */
	put(ram, 0x0c, WFI);
	put(ram, E_REMAP, SFENCE);
	put(ram, E_REMAP + 4, enc_j(0, -(E_REMAP + 4)));
	put(ram, E_SATP, CSRW(0x180, S6));
	put(ram, E_SATP + 4, SFENCE);
	put(ram, E_SATP + 8, enc_j(0, -(E_SATP + 8)));
	put(ram, E_SMC, enc_s(2, S7, T1, 0));       /* sw t1, 0(s7) */
	put(ram, E_SMC + 4, enc_j(0, -(E_SMC + 4)));
	put(ram, E_PRIV, CSRW(0x341, S8));          /* csrw mepc, s8 */
	put(ram, E_PRIV + 4, MRET);
	put(ram, E_FENCEI, FENCE_I);
	put(ram, E_FENCEI + 4, enc_j(0, -(E_FENCEI + 4)));
	put(ram, PAGE_B, ADDI(A0, A0, 1));
	put(ram, PAGE_B + 4, enc_j(0, 0x04 - (int32_t)(PAGE_B + 4)));
	put(ram, PAGE_C, ADDI(A0, A0, 100));
	put(ram, PAGE_C + 4, enc_j(0, 0x04 - (int32_t)(PAGE_B + 4))); /* runs mapped at B */
	/* mtvec: count the trap, resume at R (s5); U-mode's wfi (an illegal
	 * instruction) ends the run with a wfi here */
	put(ram, HANDLER, 0x34202e73);              /* csrr t3, mcause */
	put(ram, HANDLER + 4, ADDI(29, 0, 2));      /* li t4, 2 */
	put(ram, HANDLER + 8, enc_b(0, 28, 29, 16)); /* beq t3, t4, wfi */
	put(ram, HANDLER + 12, ADDI(S11, S11, 1));
	put(ram, HANDLER + 16, CSRW(0x341, S5));
	put(ram, HANDLER + 20, MRET);
	put(ram, HANDLER + 24, WFI);
	for (uint32_t i = 0; i < SLED_N; i++)
		put(ram, SLED + 4 * i, enc_j(0, 4));
	put(ram, SLED + 4 * SLED_N, enc_j(0, -(int32_t)(SLED + 4 * SLED_N)));
}

static void run_to_wfi(struct hart *h)
{
	for (int i = 0; i < 100000; i++)
		if (cpu_run(h, 5000) == CPU_EXIT_WFI)
			return;
	CHECK(!"the guest did not reach its wfi");
}

struct result { uint64_t a0, traps, pc, instret, entered, xlinked; };

/* Phase 1 (the loop, links made), the change, phase 2. */
static struct result run(uint8_t *ram, int accel)
{
	bool paged = strcmp(scenario, "priv") && strcmp(scenario, "flush");
	build(ram);
	if (!strcmp(scenario, "flush"))
		setenv("RINGVM_JIT_EAGER", "1", 1);
	struct hart *h = thart_new(ram, BASE, RAM, BASE, false);
	if (accel)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, accel == 2) == 0);
	uint64_t *l0;
	uint64_t satp = thart_sv39(ram, BASE, PT, &l0);
	if (paged) {
		thart_paging(h, satp);
	} else { /* M-mode; PMP: B not executable, everything else RWX */
		h->pmpaddr[0] = ((BASE + PAGE_B) >> 2) | 0x1ff;
		h->pmpcfg[0] = 0x1b;
		h->pmpaddr[1] = (1ull << 54) - 1;
		h->pmpcfg[1] = 0x1f;
		mmu_pmp_changed(h);
	}
	h->mtvec = BASE + HANDLER;
	cpu_set_gpr(h, S2, N);
	cpu_set_gpr(h, S5, BASE + 0x04);
	run_to_wfi(h);
	uint64_t entered0 = h->jit ? h->jit->n_entered : 0;
	uint64_t pc2 = BASE + E_LOOP;
	if (!strcmp(scenario, "remap")) {
		l0[PAGE_B >> 12] = ((BASE + PAGE_C) >> 12) << 10 | 0xcf;
		pc2 = BASE + E_REMAP;
	} else if (!strcmp(scenario, "satp")) {
		uint64_t *l0b;
		cpu_set_gpr(h, S6, thart_sv39(ram, BASE, PT2, &l0b));
		l0b[PAGE_B >> 12] = ((BASE + PAGE_C) >> 12) << 10 | 0xcf;
		pc2 = BASE + E_SATP;
	} else if (!strcmp(scenario, "smc")) {
		cpu_set_gpr(h, S7, BASE + PAGE_B);
		cpu_set_gpr(h, T1, ADDI(A0, A0, 100));
		pc2 = BASE + E_SMC;
	} else if (!strcmp(scenario, "fencei") || !strcmp(scenario, "divert")) {
		put(ram, PAGE_B, ADDI(A0, A0, 100));
		pc2 = BASE + E_FENCEI;
	} else if (!strcmp(scenario, "priv")) {
		h->mstatus &= ~(3ull << 11); /* MPP = U */
		cpu_set_gpr(h, S8, BASE + E_LOOP);
		pc2 = BASE + E_PRIV;
	} else if (!strcmp(scenario, "flush")) {
		pc2 = BASE + SLED;
	}
	cpu_set_gpr(h, S2, N);
	h->pc = pc2;
	if (!strcmp(scenario, "divert")) {
		for (int k = 0; k < 100 && h->pc != BASE + PAGE_B; k++)
			cpu_run(h, 1);
		REQUIRE(h->pc == BASE + PAGE_B);
		h->pc = BASE + E_LOOP;
	}
	run_to_wfi(h);
	struct result r = { cpu_get_gpr(h, A0), cpu_get_gpr(h, S11), cpu_get_pc(h), cpu_instret(h),
			    h->jit ? h->jit->n_entered - entered0 : 0,
			    h->jit ? h->jit->n_xlinked : 0 };
	if (!strcmp(scenario, "flush") && accel == 1)
		CHECK(h->jit->n_flushes > 0);
	cpu_hart_free(h);
	unsetenv("RINGVM_JIT_EAGER");
	return r;
}

int main(int argc, char **argv)
{
	t_timeout(60);
	scenario = argc > 1 ? argv[1] : "call";
	bool new_code = !strcmp(scenario, "remap") || !strcmp(scenario, "satp") ||
			!strcmp(scenario, "smc") || !strcmp(scenario, "fencei") ||
			!strcmp(scenario, "divert");
	uint64_t want_a0 = N + (new_code ? 100u * N : !strcmp(scenario, "priv") ? 0 : N);
	uint8_t *ram = calloc(1, RAM);
	REQUIRE(ram);
	struct result ref = run(ram, 0);
	CHECK_EQ(ref.a0, want_a0);
	CHECK_EQ(ref.traps, !strcmp(scenario, "priv") ? (uint64_t)N : 0);
	for (int accel = 1; accel <= 2; accel++) {
		for (int eager = 0; eager < 2; eager++) {
			if (eager)
				setenv("RINGVM_JIT_EAGER", "1", 1);
			struct result got = run(ram, accel);
			unsetenv("RINGVM_JIT_EAGER");
			CHECK_EQ(got.a0, ref.a0);
			CHECK_EQ(got.traps, ref.traps);
			CHECK_EQ(got.pc, ref.pc);
			CHECK_EQ(got.instret, ref.instret);
			if (accel == 1) /* the links were made (else nothing here is tested) */
				CHECK(got.xlinked >= 2);
			else
				CHECK_EQ(got.xlinked, 0);
			/* linked, the unchanged loop does not come back to the
			 * dispatcher (about 2N entries without links) */
			if (accel == 1 && !strcmp(scenario, "call"))
				CHECK(got.entered < 10);
		}
	}
	free(ram);
	return t_finish();
}
