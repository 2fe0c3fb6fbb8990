/*
 * jit-exits.c - indirect jumps (calls through a pointer, returns) must go
 * where the architecture says even when what they went to last time is
 * stale: the JIT's exit sites remember their last target (inline caches)
 * and this checks every way such a memory can go wrong:
 *  1. a return into code rewritten by the callee (with and without
 *     fence.i), the same return site each time;
 *  2. calls and returns through a virtual page whose mapping the callee
 *     changes (sfence.vma with an address, a global one, a satp write);
 *  3. a recursion 20000 deep (any return stack overflows);
 *  4. returns to another pc than the call's (ra bumped, longjmp), from
 *     the same return site that also returns normally;
 *  5. a call into more blocks than the JIT's cache holds (a chain of
 *     jumps through one code page mapped at 320 virtual pages: 163840
 *     (pa, va) blocks), so that the cache is flushed and refilled with
 *     other code while the call is in progress; the return must go to a
 *     continuation translated anew.
 * Run by isa-run under the interpreter, the JIT and the JIT's check mode.
 */
#include "rvtest-c.h"

/* A caller snippet copied into code pages: it calls a5(a0, a1, a2) and
 * then returns the immediate of the li after the call. */
__asm__(".pushsection .text\n"
	".option push\n.option norvc\n"
	".globl tmpl_start, tmpl_li, tmpl_end\n"
	"tmpl_start:\n"
	"  addi sp, sp, -16\n"
	"  sd ra, 8(sp)\n"
	"  jalr ra, 0(a5)\n"
	"tmpl_li:\n"
	"  li a0, 0\n"
	"  ld ra, 8(sp)\n"
	"  addi sp, sp, 16\n"
	"  ret\n"
	"tmpl_end:\n"
	/* rec(n) = rec(n - 1) * 3 + n, rec(0) = 0; rec_on(stack_top, n)
	 * runs it on its own stack */
	"rec:\n"
	"  beqz a0, 1f\n"
	"  addi sp, sp, -16\n"
	"  sd ra, 8(sp)\n"
	"  sd a0, 0(sp)\n"
	"  addi a0, a0, -1\n"
	"  jal ra, rec\n"
	"  ld t0, 0(sp)\n"
	"  ld ra, 8(sp)\n"
	"  addi sp, sp, 16\n"
	"  slli t1, a0, 1\n"
	"  add a0, a0, t1\n"
	"  add a0, a0, t0\n"
	"1: ret\n"
	".globl rec_on\n"
	"rec_on:\n"
	"  mv t2, sp\n"
	"  addi sp, a0, -16\n"
	"  sd t2, 0(sp)\n"
	"  sd ra, 8(sp)\n"
	"  mv a0, a1\n"
	"  jal ra, rec\n"
	"  ld ra, 8(sp)\n"
	"  ld sp, 0(sp)\n"
	"  ret\n"
	/* skip(bump): a0 = 3 after a normal return, 2 when the callee adds
	 * bump = 4 to ra (the first addi is skipped) */
	".globl skip\n"
	"skip:\n"
	"  mv t0, a0\n"
	"  li a0, 0\n"
	"  mv t3, ra\n"
	"  jal ra, 2f\n"
	"  addi a0, a0, 1\n"
	"  addi a0, a0, 2\n"
	"  mv ra, t3\n"
	"  ret\n"
	"2: add ra, ra, t0\n"
	"  ret\n"
	/* a setjmp/longjmp pair (the builtins save f registers: FS is off) */
	".globl my_setjmp, my_longjmp\n"
	"my_setjmp:\n"
	"  sd ra, 0(a0)\n  sd sp, 8(a0)\n  sd s0, 16(a0)\n  sd s1, 24(a0)\n"
	"  sd s2, 32(a0)\n  sd s3, 40(a0)\n  sd s4, 48(a0)\n"
	"  li a0, 0\n  ret\n"
	"my_longjmp:\n"
	"  ld ra, 0(a0)\n  ld sp, 8(a0)\n  ld s0, 16(a0)\n  ld s1, 24(a0)\n"
	"  ld s2, 32(a0)\n  ld s3, 40(a0)\n  ld s4, 48(a0)\n"
	"  li a0, 1\n  ret\n"
	".option pop\n"
	".popsection\n");

extern const uint32_t tmpl_start[], tmpl_li[], tmpl_end[];
long rec_on(void *stack_top, long n);
long skip(long bump);
long my_setjmp(uint64_t *buf) __attribute__((returns_twice));
void my_longjmp(uint64_t *buf) __attribute__((noreturn));

typedef long (*caller_fn)(void *a0, uint64_t a1, long a2, long a3, long a4, void *fn);

static uint32_t cbuf[1024] __attribute__((aligned(4096)));
static uint32_t page[2][1024] __attribute__((aligned(4096)));
static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t l0b[512] __attribute__((aligned(4096))); /* 0xc0200000... */
/* 512 x (addi a0, a0, 1; j .+4): the chain goes on in the next page */
static uint32_t many[1024] __attribute__((aligned(4096)));
static uint32_t many_last[1024] __attribute__((aligned(4096))); /* ... ending in ret */
static uint64_t rstack[4096] __attribute__((aligned(16))); /* 32 KiB: 2048 frames */
static uint64_t deep[40000] __attribute__((aligned(16)));  /* 20000 frames */

static uint32_t li_a0(long v)
{
	return 0x00000513u | (uint32_t)(v & 0x7ff) << 20;
}

static void copy_tmpl(uint32_t *to, long v)
{
	unsigned n = (unsigned)(tmpl_end - tmpl_start);
	for (unsigned i = 0; i < n; i++)
		to[i] = tmpl_start[i];
	to[tmpl_li - tmpl_start] = li_a0(v);
}

/* called from the snippet: rewrite its li (the return goes right there) */
static long smc_mod(void *at, uint64_t insn, long fence)
{
	*(volatile uint32_t *)at = (uint32_t)insn;
	if (fence)
		__asm__ volatile("fence.i" ::: "memory");
	return 0;
}

/* where the snippet runs in remapped_returns: not in the fetch TLB entry
 * of the test's own code (0x80000000, 0x80001000) */
#define CODE_VA 0xc0010000ull

/* called from the snippet at CODE_VA: remap that page, return into it */
static long remap(void *pte, uint64_t val, long how)
{
	*(volatile uint64_t *)pte = val;
	if (how == 0)
		__asm__ volatile("sfence.vma %0" :: "r"(CODE_VA) : "memory");
	else if (how == 1)
		__asm__ volatile("sfence.vma" ::: "memory");
	else
		csr_write(satp, 8ull << 60 | (uint64_t)root >> 12);
	return 0;
}

static long nothing(void *a, uint64_t b, long c)
{
	(void)a, (void)b, (void)c;
	return 0;
}

static void smc_returns(void)
{
	copy_tmpl(cbuf, 5);
	__asm__ volatile("fence.i" ::: "memory");
	caller_fn f = (caller_fn)(void *)cbuf;
	uint32_t *li = cbuf + (tmpl_li - tmpl_start);
	for (long i = 0; i < 300; i++) {
		T(1, f(li, 0, 0, 0, 0, (void *)nothing) == ((i == 0) ? 5 : (i - 1) * 7 % 2000));
		T(2, f(li, li_a0(i * 7 % 2000), i & 1, 0, 0, (void *)smc_mod) == i * 7 % 2000);
	}
}

static void remapped_returns(void)
{
	copy_tmpl(page[0], 100);
	copy_tmpl(page[1], 200);
	__asm__ volatile("fence.i" ::: "memory");
	uint64_t pte[2];
	for (int k = 0; k < 2; k++)
		pte[k] = ((uint64_t)page[k] >> 12) << 10 | 0xcf; /* V R W X A D */
	root[2] = (0x80000000ull >> 12) << 10 | 0xcf;
	root[0] = 0xc7;
	root[3] = ((uint64_t)l1 >> 12) << 10 | 1;
	l1[0] = ((uint64_t)l0 >> 12) << 10 | 1;
	l0[16] = pte[0];
	csr_write(satp, 8ull << 60 | (uint64_t)root >> 12);
	enter_mode(1);
	caller_fn f = (caller_fn)CODE_VA;
	int cur = 0;
	for (long i = 0; i < 300; i++) {
		T(3, f(0, 0, 0, 0, 0, (void *)nothing) == (cur ? 200 : 100));
		cur = (int)((i * 5 + 1) % 3 != 0) ^ cur; /* not a fixed period */
		T(4, f(&l0[16], pte[cur], i % 3, 0, 0, (void *)remap) == (cur ? 200 : 100));
	}
	back_to_m();
	csr_write(satp, 0);
}

static void deep_returns(void)
{
	for (long n = 1; n <= 20000; n = n * 4 + 3) {
		uint64_t want = 0;
		for (long k = 1; k <= n; k++)
			want = want * 3 + (uint64_t)k;
		void *top = (n <= 2000) ? (void *)(rstack + 4096) : (void *)(deep + 40000);
		T(5, (uint64_t)rec_on(top, n) == want);
	}
	uint64_t want = 0;
	for (long k = 1; k <= 20000; k++)
		want = want * 3 + (uint64_t)k;
	for (int i = 0; i < 3; i++)
		T(6, (uint64_t)rec_on(deep + 40000, 20000) == want);
}

static __attribute__((noinline)) long jump_from(long depth, uint64_t *buf)
{
	if (depth == 0)
		my_longjmp(buf);
	return jump_from(depth - 1, buf) + 1; /* not a tail call */
}

static void other_returns(void)
{
	for (long i = 0; i < 500; i++) {
		long bump = ((i * 7) % 5 < 2) ? 4 : 0;
		T(7, skip(bump) == (bump ? 2 : 3));
	}
	static uint64_t buf[8];
	static volatile long landed;
	for (long i = 0; i < 50; i++) {
		if (my_setjmp(buf) == 0) {
			jump_from(i % 9, buf);
			fail();
		}
		landed++;
	}
	T(8, landed == 50);
}

#define MANY_VA 0xc0100000ull /* l0[256...] */
#define MANY_PAGES 320

static void flushed_returns(void)
{
	for (unsigned k = 0; k < 512; k++) {
		many[2 * k] = many_last[2 * k] = 0x00150513;     /* addi a0, a0, 1 */
		many[2 * k + 1] = many_last[2 * k + 1] = 0x0040006f; /* j .+4 */
	}
	many_last[1023] = 0x00008067; /* ret */
	__asm__ volatile("fence.i" ::: "memory");
	root[2] = (0x80000000ull >> 12) << 10 | 0xcf;
	root[0] = 0xc7;
	root[3] = ((uint64_t)l1 >> 12) << 10 | 1;
	l1[0] = ((uint64_t)l0 >> 12) << 10 | 1;
	l1[1] = ((uint64_t)l0b >> 12) << 10 | 1;
	uint64_t pte = ((uint64_t)many >> 12) << 10 | 0xcb; /* V R X A D */
	for (unsigned v = 0; v < MANY_PAGES; v++) {
		unsigned i = 256 + v; /* MANY_VA's index in l0 */
		if (v == MANY_PAGES - 1)
			pte = ((uint64_t)many_last >> 12) << 10 | 0xcb;
		if (i < 512)
			l0[i] = pte;
		else
			l0b[i - 512] = pte;
	}
	csr_write(satp, 8ull << 60 | (uint64_t)root >> 12);
	enter_mode(1);
	long (*fn)(long) = (long (*)(long))MANY_VA;
	long a = fn(0), b = fn(a); /* the second time: the blocks translated after the flush */
	back_to_m();
	csr_write(satp, 0);
	T(9, a == MANY_PAGES * 512 && b == 2 * a);
}

int test_main(void)
{
	smc_returns();
	remapped_returns();
	deep_returns();
	other_returns();
	flushed_returns();
	pass();
}
