/*
 * cpu.c - the public hart API (cpu.h): creation, reset, the interpreter
 * run loop, WFI sleep, interrupt lines and kicks.
 *
 * Threading: cpu_run/cpu_wfi_wait/accessors on the vCPU thread;
 * cpu_set_irq/cpu_kick from any thread (atomics + futex wake).
 */
#include "cpu/hart.h"

#include <limits.h>
#include <stdio.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct hart *cpu_hart_new(const struct cpu_bus *bus, unsigned hartid)
{
	struct hart *h = aligned_alloc(64, (sizeof(*h) + 63) & ~(size_t)63);
	if (!h)
		return NULL;
	memset(h, 0, sizeof(*h));
	h->bus = *bus;
	h->hartid = hartid;
	h->ram_pages = (bus->ram_size + 4095) >> 12;
	h->dc = calloc(DC_SIZE, sizeof(struct insn));
	h->code_page = calloc(h->ram_pages ? h->ram_pages : 1, 1);
	if (!h->dc || !h->code_page) {
		cpu_hart_free(h);
		return NULL;
	}
	cpu_hart_reset(h, bus->ram_base);
	return h;
}

void cpu_hart_free(struct hart *h)
{
	if (!h)
		return;
	jit_free(h);
	free(h->dc);
	free(h->code_page);
	free(h);
}

void cpu_hart_reset(struct hart *h, uint64_t reset_pc)
{
	memset(h->x, 0, sizeof(h->x));
	memset(h->f, 0, sizeof(h->f));
	h->pc = h->npc = reset_pc;
	h->priv = PRV_M;
	h->instret = 0;
	hart_set_resv(h, false);
	h->wfi_exit = false;
	csr_reset(h);
	/* full clears: start from epoch 0 with empty arrays */
	h->tlb_epoch = 14;
	mmu_flush(h);
	h->dc_epoch = 0xfeull << 56;
	mmu_code_flush(h);
	memset(h->code_page, 0, h->ram_pages);
}

uint64_t cpu_get_pc(const struct hart *h)
{
	return h->pc;
}

uint64_t cpu_get_gpr(const struct hart *h, unsigned reg)
{
	return reg < 32 ? h->x[reg] : 0;
}

void cpu_set_gpr(struct hart *h, unsigned reg, uint64_t val)
{
	if (reg > 0 && reg < 32)
		h->x[reg] = val;
}

uint64_t cpu_instret(const struct hart *h)
{
	return h->instret;
}

unsigned cpu_get_priv(const struct hart *h)
{
	return h->priv;
}

int cpu_dump(const struct hart *h, char *buf, unsigned long len)
{
	static const char *const abi[32] = {
		"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
		"a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
		"s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	};
	static const char prv[4] = { 'U', 'S', '?', 'M' };
	int n = snprintf(buf, len, "pc %016llx priv %c instret %llu\n",
			 (unsigned long long)h->pc, prv[h->priv & 3],
			 (unsigned long long)h->instret);
	for (unsigned i = 0; i < 32; i++)
		n += snprintf(buf + (n < (int)len ? n : (int)len), n < (int)len ? len - n : 0,
			      "%-4s %016llx%s", abi[i], (unsigned long long)h->x[i],
			      i % 4 == 3 ? "\n" : "  ");
	n += snprintf(buf + (n < (int)len ? n : (int)len), n < (int)len ? len - n : 0,
		      "mstatus %016llx mcause %016llx mepc %016llx mtval %016llx\n"
		      "scause %016llx sepc %016llx stval %016llx satp %016llx\n"
		      "mip %016llx mie %016llx mideleg %016llx medeleg %016llx\n",
		      (unsigned long long)csr_mstatus_read(h), (unsigned long long)h->mcause,
		      (unsigned long long)h->mepc, (unsigned long long)h->mtval,
		      (unsigned long long)h->scause, (unsigned long long)h->sepc,
		      (unsigned long long)h->stval, (unsigned long long)h->satp,
		      (unsigned long long)hart_mip(h), (unsigned long long)h->mie,
		      (unsigned long long)h->mideleg, (unsigned long long)h->medeleg);
	return n;
}

static void wake(struct hart *h)
{
	__atomic_add_fetch(&h->wake_seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->sleeping, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &h->wake_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
			NULL, 0);
}

void cpu_set_irq_nowake(struct hart *h, uint32_t mip_bit, bool level)
{
	if (level)
		__atomic_fetch_or(&h->mip_hw, (uint64_t)mip_bit, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&h->mip_hw, ~(uint64_t)mip_bit, __ATOMIC_SEQ_CST);
	hart_request_check(h);
}

void cpu_set_irq(struct hart *h, uint32_t mip_bit, bool level)
{
	cpu_set_irq_nowake(h, mip_bit, level);
	if (level)
		wake(h);
}

void cpu_wake(struct hart *h)
{
	wake(h);
}

void cpu_kick(struct hart *h)
{
	__atomic_store_n(&h->exit_req, 1, __ATOMIC_SEQ_CST);
	hart_request_check(h);
	wake(h);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void cpu_wfi_wait(struct hart *h, uint64_t deadline_ns)
{
	__atomic_store_n(&h->sleeping, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint32_t seq = __atomic_load_n(&h->wake_seq, __ATOMIC_SEQ_CST);
		if (trap_pending_irqs(h) || __atomic_load_n(&h->exit_req, __ATOMIC_SEQ_CST))
			break;
		struct timespec ts, *tsp = NULL;
		if (deadline_ns) {
			uint64_t now = now_ns();
			if (now >= deadline_ns)
				break;
			uint64_t left = deadline_ns - now;
			ts.tv_sec = (time_t)(left / 1000000000ull);
			ts.tv_nsec = (long)(left % 1000000000ull);
			tsp = &ts;
		}
		syscall(SYS_futex, &h->wake_seq, FUTEX_WAIT_PRIVATE, seq, tsp, NULL, 0);
	}
	__atomic_store_n(&h->sleeping, 0, __ATOMIC_SEQ_CST);
}

/* Handle the check flag: interrupts, kicks. Returns true to leave cpu_run. */
bool cpu_handle_check(struct hart *h, enum cpu_exit *why)
{
	__atomic_store_n(&h->check, 0, __ATOMIC_SEQ_CST);
	trap_check_irq(h);
	if (h->wfi_exit) {
		h->wfi_exit = false;
		if (!trap_pending_irqs(h)) {
			*why = CPU_EXIT_WFI;
			return true;
		}
	}
	if (__atomic_exchange_n(&h->exit_req, 0, __ATOMIC_SEQ_CST)) {
		*why = CPU_EXIT_KICKED;
		return true;
	}
	return false;
}

/*
 * The interpreter loop. pc lives in a register; h->pc/h->npc are written
 * before each handler (traps read h->pc as epc and redirect via h->npc).
 * A sequential successor in the same page, with unchanged fetch key (no
 * privilege change, no TLB flush), is found from the physical address
 * without a fetch-TLB lookup.
 */
enum cpu_exit cpu_run(struct hart *h, uint64_t max_insns)
{
	if (h->jit)
		return jit_run(h, max_insns);
	return cpu_interp(h, max_insns);
}

/* one_block: stop after the first instruction that does not fall through
 * to the next one (a taken branch or jump, a trap, an interrupt). */
static inline __attribute__((always_inline)) enum cpu_exit
interp(struct hart *h, uint64_t max_insns, bool one_block, uint64_t *ran)
{
	uint64_t left = max_insns;
	enum cpu_exit why = CPU_EXIT_BUDGET;
	if (cpu_handle_check(h, &why))
		return why;
	uint64_t pc = h->pc, pa = 0, key = ~0ull;
	const struct insn *d = NULL;
	while (left) {
		if (d && pc == h->pc + d->len && key == h->xkey && (pc & 0xfff) &&
		    ((pc ^ h->pc) >> 12) == 0) {
			pa += d->len; /* same page, straight-line */
		} else {
			const struct tlb_ent *e = &h->tlb_x[hart_xidx(pc)];
			key = h->xkey;
			if (unlikely(e->tag != hart_xtag(pc, key)))
				goto slow;
			pa = pc + e->pa_off;
		}
		d = &h->dc[(pa >> 1) & (DC_SIZE - 1)];
		if (unlikely(d->tag != (pa | h->dc_epoch)))
			goto slow;
	exec:
		h->pc = pc;
		h->npc = pc + d->len;
		pc = d->fn(h, d, pc);
		h->x[0] = 0;
		h->instret++;
		goto next;
	slow:
		h->pc = pc;
		d = mmu_fetch_slow(h);
		key = ~0ull; /* re-derive pa from the TLB next time */
		if (d)
			goto exec;
		pc = h->npc; /* fetch fault: at the trap vector */
	next:
		/* traps count against the budget too, so a fault loop returns */
		left--;
		if (unlikely(__atomic_load_n(&h->check, __ATOMIC_RELAXED))) {
			h->pc = pc;
			bool stop = cpu_handle_check(h, &why);
			if (one_block && (stop || h->pc != pc)) {
				*ran = max_insns - left;
				return why;
			}
			pc = h->pc;
			d = NULL;
			if (stop)
				return why;
		}
		if (one_block && (!d || pc != h->pc + d->len))
			break;
	}
	h->pc = pc;
	if (one_block)
		*ran = max_insns - left;
	return CPU_EXIT_BUDGET;
}

enum cpu_exit cpu_interp(struct hart *h, uint64_t max_insns)
{
	return interp(h, max_insns, false, NULL);
}

enum cpu_exit cpu_interp_block(struct hart *h, uint64_t max_insns, uint64_t *ran)
{
	*ran = 0;
	return interp(h, max_insns, true, ran);
}
