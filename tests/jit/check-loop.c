/*
 * Check mode compares loop blocks: a loop block's code (registers kept in
 * host registers across passes, a run of loads whose host_off is cached
 * across passes) is miscompiled on purpose from its second pass on
 * (RINGVM_JIT_BREAK=reg|run, a test-only knob of jit-gen.c), and
 * -accel jit,check=on must stop with a report naming the loop block and
 * the differing register. The same loops without the knob must pass the
 * checker and match the interpreter, including one that faults in a later
 * pass (the trap CSRs too). The plain JIT with the knob must differ from
 * the interpreter (the injected bug is real). Check-mode runs are forked:
 * the checker exits the process when it finds a difference.
 * The second loop's cached run has a load and a store: check mode must
 * run that store on the fast path (the checker's statistics count the
 * stores generated code logged) and report the knob's wrong host_off as
 * a fast-path store to the wrong place.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"

/* A child the checker exits leaves the JIT's state allocated (its tables
 * are pointed to from mmap'd memory LeakSanitizer does not scan): no leak
 * report for what a child allocates. */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_ON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_ON 1
#endif
#endif
#ifdef ASAN_ON
#include <sanitizer/lsan_interface.h>
#define CHILD_NO_LEAK_CHECK() __lsan_disable()
#else
#define CHILD_NO_LEAK_CHECK() ((void)0)
#endif

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define PROG 0x1000u
#define STOP 0x800u /* mtvec: a wfi */
#define DATA 0x4000u
enum { T0 = 5, T1 = 6, A0 = 10, A1 = 11, A2 = 12, A3 = 13 };

#define LD(rd, rs1, imm) enc_i(0x03, rd, 3, rs1, imm)
#define SD(rs2, rs1, imm) enc_s(3, rs1, rs2, imm)
#define ADDI(rd, rs1, imm) enc_i(0x13, rd, 0, rs1, imm)
#define ADD(rd, rs1, rs2) enc_r(0x33, rd, 0, rs1, rs2, 0)

struct result {
	uint64_t x[32], pc, instret, mcause, mepc, mtval, sum_ram;
	bool done;
};

/* which loop setup() writes */
static int prog;

/*
 * Loop 0: a2 += two loads off a creeping base a0 (a cached run), a2
 * stored at a3 (a cached run of one). Loop 1: t0 = 0(a0) + a2 stored at
 * 8(a0) (one cached run with a load and a store), a2 += 3.
 */
static void setup(uint8_t *ram)
{
	const uint32_t code0[] = {
		LD(T0, A0, 0), LD(T1, A0, 8), ADD(A2, A2, T0), ADD(A2, A2, T1),
		SD(A2, A3, 0), ADDI(A0, A0, 16), ADDI(A1, A1, -1), 0, WFI,
	};
	const uint32_t code1[] = {
		LD(T0, A0, 0), ADD(T0, T0, A2), SD(T0, A0, 8), ADDI(A2, A2, 3),
		ADDI(A0, A0, 16), ADDI(A1, A1, -1), 0, WFI,
	};
	unsigned back = prog ? 6 : 7;
	memset(ram, 0, RAM);
	if (prog)
		memcpy(ram + PROG, code1, sizeof(code1));
	else
		memcpy(ram + PROG, code0, sizeof(code0));
	uint32_t bne = bne_back(A1, back);
	memcpy(ram + PROG + 4 * back, &bne, 4);
	uint32_t wfi = WFI;
	memcpy(ram + STOP, &wfi, 4);
	for (uint32_t i = DATA; i < RAM; i += 8) {
		uint64_t v = (uint64_t)i * 0x9e3779b97f4a7c15ull;
		memcpy(ram + i, &v, 8);
	}
}

static void run(bool jit, bool check, bool fault, struct result *out)
{
	static uint8_t *ram;
	if (!ram) /* the run knob's loads reach 8 bytes past a page */
		REQUIRE((ram = calloc(1, RAM + 4096)) != NULL);
	setup(ram);
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = RAM };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, BASE + PROG);
	if (jit)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, check) == 0);
	h->mtvec = BASE + STOP;
	/* 3000 passes; the faulting one starts 1000 passes before the end */
	h->x[A0] = fault ? BASE + RAM - 16 * 1000 : BASE + DATA;
	h->x[A1] = 3000;
	h->x[A3] = BASE + DATA - 8;
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 200 && !out->done; i++)
		out->done = cpu_run(h, 1000) == CPU_EXIT_WFI;
	memcpy(out->x, h->x, sizeof(out->x));
	out->pc = h->pc;
	out->instret = h->instret;
	out->mcause = h->mcause;
	out->mepc = h->mepc;
	out->mtval = h->mtval;
	for (uint32_t i = 0; i < RAM; i += 8) {
		uint64_t v;
		memcpy(&v, ram + i, 8);
		out->sum_ram = out->sum_ram * 31 + v;
	}
	cpu_hart_free(h);
}

static bool same(const struct result *a, const struct result *b)
{
	return a->done && b->done && !memcmp(a->x, b->x, sizeof(a->x)) && a->pc == b->pc &&
	       a->instret == b->instret && a->mcause == b->mcause && a->mepc == b->mepc &&
	       a->mtval == b->mtval && a->sum_ram == b->sum_ram;
}

/* Check mode in a child (brk: RINGVM_JIT_BREAK or NULL): its exit status,
 * its result in *out (status 0), its stderr in err. */
static int run_check_child(const char *brk, bool fault, struct result *out, char *err,
			   size_t errsz)
{
	/* opened once, unlinked: a child the checker exits runs the atexit
	 * handler that removes t_tmpdir() */
	static int efd = -1;
	if (efd < 0) {
		char path[256];
		snprintf(path, sizeof(path), "%s/stderr", t_tmpdir());
		efd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		REQUIRE(efd >= 0);
		unlink(path);
	}
	REQUIRE(ftruncate(efd, 0) == 0 && lseek(efd, 0, SEEK_SET) == 0);
	int p[2];
	REQUIRE(pipe(p) == 0);
	fflush(NULL);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		CHILD_NO_LEAK_CHECK();
		if (dup2(efd, 2) < 0)
			_exit(100);
		if (brk)
			setenv("RINGVM_JIT_BREAK", brk, 1);
		setenv("RINGVM_JIT_STATS", "1", 1);
		struct result r;
		run(true, true, fault, &r);
		if (write(p[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(101);
		_exit(0);
	}
	close(p[1]);
	memset(out, 0, sizeof(*out));
	ssize_t got = read(p[0], out, sizeof(*out));
	close(p[0]);
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	ssize_t n = pread(efd, err, errsz - 1, 0);
	err[n > 0 ? n : 0] = 0;
	if (!WIFEXITED(st))
		return -1;
	if (WEXITSTATUS(st) == 0 && got != (ssize_t)sizeof(*out))
		return -2;
	return WEXITSTATUS(st);
}

/* The stores generated code's fast path logged in the compared runs (the
 * checker's statistics line), -1 when the line is missing. */
static long long fast_stores(const char *err)
{
	static const char key[] = "replay); ";
	const char *p = strstr(err, "jit check stats: ");
	p = p ? strstr(p, key) : NULL;
	long long n;
	if (!p || sscanf(p + sizeof(key) - 1, "%lld stores", &n) != 1)
		return -1;
	return n;
}

static void check_prog(int fault, char *err, size_t errsz)
{
	struct result ref, jit, chk;
	run(false, false, fault, &ref);
	CHECK(ref.done);
	if (fault && !(ref.mcause == 5 && ref.mtval == BASE + RAM && ref.x[A1] == 2000))
		fprintf(stderr, "mcause %llu mtval %#llx a1 %llu\n", (unsigned long long)ref.mcause,
			(unsigned long long)ref.mtval, (unsigned long long)ref.x[A1]);
	if (fault) /* a load access fault at the end of RAM, in pass 1000 */
		CHECK(ref.mcause == 5 && ref.mtval == BASE + RAM && ref.x[A1] == 2000);
	/* the checker passes the correct loop blocks, its stores on the fast
	 * path (loop 1's run: one a pass, 1000 or 3000 passes, the first
	 * visits interpreted) */
	int st = run_check_child(NULL, fault, &chk, err, errsz);
	CHECK_EQ(st, 0);
	CHECK(same(&ref, &chk));
	CHECK(!strstr(err, "jit check:"));
	long long nf = fast_stores(err);
	CHECK(nf >= (fault ? 900 : 2900));
	if (st != 0 || !same(&ref, &chk) || nf < (fault ? 900 : 2900) ||
	    getenv("CHECK_LOOP_VERBOSE"))
		fprintf(stderr, "prog %d fault=%d: check mode: status %d, stderr:\n%s\n", prog,
			fault, st, err);
	static const char *const brk[] = { "reg", "run" };
	for (int k = 0; k < 2; k++) {
		/* the injected bug is real: the plain JIT computes another sum */
		setenv("RINGVM_JIT_BREAK", brk[k], 1);
		run(true, false, fault, &jit);
		unsetenv("RINGVM_JIT_BREAK");
		CHECK(!same(&ref, &jit));
		/* ... and check mode stops at the loop block, naming x12 (the
		 * kept register the knob breaks / the sum of the misread loads;
		 * in loop 1 the misread t0 and, for the run knob, the store
		 * the fast path made 8 bytes too far) */
		st = run_check_child(brk[k], fault, &chk, err, errsz);
		CHECK_EQ(st, 3);
		CHECK(strstr(err, "jit check: the loop block at pc 0x80001000") != NULL);
		bool item = prog && k == 1 ? strstr(err, "  x5 ") && strstr(err, "bytes, fast path) jit ")
					   : strstr(err, "  x12 ") != NULL;
		CHECK(item);
		CHECK(strstr(err, "passes of up to") != NULL);
		/* the re-run finds the pass: the knob acts from pass 2 on */
		CHECK(strstr(err, "the first difference is after pass 2 ") != NULL);
		if (st != 3 || !item || !strstr(err, "first difference is after pass 2 ") ||
		    getenv("CHECK_LOOP_VERBOSE"))
			fprintf(stderr, "prog %d fault=%d break=%s: status %d, stderr:\n%s\n", prog,
				fault, brk[k], st, err);
	}
}

int main(void)
{
	t_timeout(60);
#if !defined(__x86_64__)
	t_skip("the JIT needs an x86-64 host");
#endif
	static char err[1 << 16];
	for (prog = 0; prog < 2; prog++)
		for (int fault = 0; fault < 2; fault++)
			check_prog(fault, err, sizeof(err));
	return t_finish();
}
