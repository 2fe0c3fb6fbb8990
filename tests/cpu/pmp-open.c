/*
 * pmp_check's short path (the range mmu.c's pmp_open finds where PMP
 * allows everything) gives the same answers as the rules of the
 * privileged spec (3.7.1), computed here from pmpcfg/pmpaddr directly:
 * OpenSBI's layout on the virt board, then 3000 random configurations
 * (TOR, NA4, NAPOT entries, random permissions and lock bits, often with
 * an RWX entry over everything somewhere in the list), each probed at
 * 400 addresses around RAM, entry boundaries and the short path's edges,
 * with every access size, kind and privilege.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"

#define BASE 0x80000000ull
#define RAM (64ull << 20)

/* entry i's bytes [lo, hi] (inclusive), or false when it matches nothing */
static bool ref_range(const struct hart *h, unsigned i, uint64_t *lo, uint64_t *hi)
{
	uint8_t cfg = h->pmpcfg[i];
	uint64_t a = h->pmpaddr[i];
	switch ((cfg >> 3) & 3) {
	case 1: { /* TOR: [pmpaddr[i-1] * 4, pmpaddr[i] * 4) */
		uint64_t b = i ? h->pmpaddr[i - 1] << 2 : 0, t = a << 2;
		if (b >= t)
			return false;
		*lo = b;
		*hi = t - 1;
		return true;
	}
	case 2: /* NA4 */
		*lo = a << 2;
		*hi = *lo + 3;
		return true;
	case 3: { /* NAPOT: trailing ones k -> 2^(k+3) bytes */
		unsigned k = 0;
		while (k < 54 && ((a >> k) & 1))
			k++;
		if (k >= 54) {
			*lo = 0;
			*hi = UINT64_MAX - 1; /* as mmu.c: [0, 2^64 - 1) */
			return true;
		}
		*lo = (a & ~((1ull << k) - 1)) << 2;
		*hi = *lo + (1ull << (k + 3)) - 1;
		return true;
	}
	}
	return false;
}

static bool ref_check(const struct hart *h, uint64_t pa, unsigned len, int acc, unsigned priv)
{
	uint64_t last = pa + len - 1;
	for (unsigned i = 0; i < 64; i++) {
		uint64_t lo, hi;
		if (!ref_range(h, i, &lo, &hi) || last < lo || pa > hi)
			continue;
		if (pa < lo || last > hi)
			return false; /* a partial match fails */
		uint8_t cfg = h->pmpcfg[i];
		if (priv == PRV_M && !(cfg & 0x80))
			return true;
		return (cfg >> acc) & 1;
	}
	return priv == PRV_M;
}

static uint64_t probes[64];
static unsigned nprobes;

static void add_probe(uint64_t a)
{
	if (nprobes < 64)
		probes[nprobes++] = a;
}

static void compare(struct hart *h)
{
	static const unsigned lens[] = { 1, 2, 4, 8, 4096 };
	static const unsigned privs[] = { PRV_U, PRV_S, PRV_M };
	mmu_pmp_changed(h);
	nprobes = 0;
	add_probe(h->pmp_open_lo);
	add_probe(h->pmp_open_hi);
	add_probe(BASE + RAM - 1);
	add_probe(BASE);
	for (unsigned i = 0; i < 64 && nprobes < 48; i++) {
		uint64_t lo, hi;
		if (ref_range(h, i, &lo, &hi)) {
			add_probe(lo);
			add_probe(hi + 1);
		}
	}
	for (unsigned n = 0; n < 400; n++) {
		uint64_t a;
		switch (t_rand() % 3) {
		case 0: a = probes[t_rand() % nprobes] + (t_rand() % 16) - 8; break;
		case 1: a = BASE + t_rand() % RAM; break;
		default: a = t_rand() % (BASE + 2 * RAM); break;
		}
		unsigned len = lens[t_rand() % 5];
		if (a + len < a)
			continue;
		int acc = (int)(t_rand() % 3);
		unsigned priv = privs[t_rand() % 3];
		bool want = ref_check(h, a, len, acc, priv);
		if (pmp_check(h, a, len, acc, priv) != want) {
			CHECK_EQ(pmp_check(h, a, len, acc, priv), want);
			fprintf(stderr, "  pa %#llx len %u acc %d priv %u, open [%#llx, %#llx)\n",
				(unsigned long long)a, len, acc, priv,
				(unsigned long long)h->pmp_open_lo, (unsigned long long)h->pmp_open_hi);
			return;
		}
	}
}

/* a random entry: mostly NAPOT/TOR ranges near RAM, the CLINT, or all */
static void random_entry(struct hart *h, unsigned i)
{
	static const uint8_t modes[] = { 0, 1, 2, 3, 3, 1 };
	uint8_t cfg = (uint8_t)(modes[t_rand() % 6] << 3 | (t_rand() % 8));
	if (t_rand() % 8 == 0)
		cfg |= 0x80;
	if ((cfg & 3) == 2)
		cfg &= (uint8_t)~2; /* W without R is reserved */
	uint64_t base = t_rand() % 2 ? BASE + (t_rand() % (2 * RAM)) : t_rand() % BASE;
	unsigned k = (unsigned)(t_rand() % 28);
	uint64_t addr = base >> 2;
	if (((cfg >> 3) & 3) == 3)
		addr = (addr & ~((1ull << (k + 1)) - 1)) | ((1ull << k) - 1);
	if (t_rand() % 10 == 0) {
		cfg = (uint8_t)(3 << 3 | 7); /* NAPOT everything, RWX */
		addr = (1ull << 54) - 1;
	}
	h->pmpcfg[i] = cfg;
	h->pmpaddr[i] = addr & ((1ull << 54) - 1);
}

int main(void)
{
	t_timeout(60);
	uint8_t *ram = calloc(1, RAM);
	REQUIRE(ram);
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = RAM };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);

	/* OpenSBI on virt: CLINT closed, its own 512 KiB closed, all RWX */
	h->pmpcfg[0] = 3 << 3;
	h->pmpaddr[0] = (0x2000000 >> 2) | ((0x10000 >> 3) - 1);
	h->pmpcfg[1] = 3 << 3;
	h->pmpaddr[1] = (BASE >> 2) | ((0x80000 >> 3) - 1);
	h->pmpcfg[2] = 3 << 3 | 7;
	h->pmpaddr[2] = (1ull << 54) - 1;
	compare(h);
	CHECK_EQ(h->pmp_open_lo, BASE + 0x80000);
	CHECK_EQ(h->pmp_open_hi, UINT64_MAX);
	CHECK(!pmp_check(h, BASE + 0x7fff8, 8, ACC_R, PRV_S));
	CHECK(pmp_check(h, BASE + 0x80000, 8, ACC_W, PRV_U));

	for (unsigned n = 0; n < 3000; n++) {
		memset(h->pmpcfg, 0, sizeof(h->pmpcfg));
		memset(h->pmpaddr, 0, sizeof(h->pmpaddr));
		unsigned ne = 1 + (unsigned)(t_rand() % 6);
		for (unsigned i = 0; i < ne; i++)
			random_entry(h, (unsigned)(t_rand() % 16));
		compare(h);
	}
	cpu_hart_free(h);
	free(ram);
	return t_finish();
}
