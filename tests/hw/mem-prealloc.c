/*
 * mem-prealloc.c - -mem-prealloc backs all of guest RAM when the machine
 * is built (every page resident, as mincore sees it), while without it
 * RAM stays mostly unbacked; and a host that cannot give the memory makes
 * virt_new fail with one sentence instead of crashing later.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "hw/virt.h"
#include "loop/loop.h"

#define RAM (32ull << 20)

static char kernel[256]; /* a flat payload: -bios none needs a -kernel */

/* Fraction (0..1) of guest RAM's host pages that are resident. */
static double resident(struct virt_machine *m)
{
	static unsigned char vec[RAM / 4096];
	size_t n = 0;

	REQUIRE(mincore(virt_ram(m), RAM, vec) == 0);
	for (size_t i = 0; i < sizeof(vec); i++)
		n += vec[i] & 1;
	return (double)n / (double)sizeof(vec);
}

static double build(struct loop *loop, bool prealloc)
{
	struct virt_config cfg = { .ram_size = RAM, .kernel = kernel, .mem_prealloc = prealloc };
	struct virt_machine *m;
	char err[256];

	if (virt_new(&m, &cfg, loop, err, sizeof(err)) < 0) {
		printf("virt_new: %s\n", err);
		REQUIRE(0);
	}
	double f = resident(m);
	virt_free(m);
	return f;
}

#if !defined(__SANITIZE_ADDRESS__)
/* In a child whose address space is capped just above what it uses now,
 * a machine with 256 MiB of preallocated RAM cannot be built: virt_new
 * must say so. */
static void too_big(struct loop *loop)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct virt_config cfg = { .ram_size = 256ull << 20, .kernel = kernel,
					   .mem_prealloc = true };
		struct virt_machine *m;
		char err[256] = "";
		unsigned long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");

		if (!f || fscanf(f, "%lu", &pages) != 1)
			_exit(3);
		fclose(f);
		struct rlimit rl = { .rlim_cur = pages * 4096ul + (64ul << 20),
				     .rlim_max = pages * 4096ul + (64ul << 20) };
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(4);
		if (virt_new(&m, &cfg, loop, err, sizeof(err)) == 0)
			_exit(5);
		_exit(strstr(err, "cannot allocate 256 MiB of guest RAM") ? 0 : 6);
	}
	int st;

	REQUIRE(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}
#endif

int main(void)
{
	struct loop *loop;

	t_timeout(30);
	snprintf(kernel, sizeof(kernel), "%s/payload.bin", t_tmpdir());
	FILE *f = fopen(kernel, "wb");
	REQUIRE(f && fwrite("\x6f\x00\x00\x00", 1, 4, f) == 4); /* j . */
	fclose(f);
	REQUIRE(loop_new(&loop, NULL) == 0);
	double lazy = build(loop, false), full = build(loop, true);
	printf("resident: %.3f without -mem-prealloc, %.3f with it\n", lazy, full);
	CHECK(lazy < 0.5);
	CHECK(full == 1.0);
#if defined(__SANITIZE_ADDRESS__)
	printf("address-space cap not tried: ASan reserves terabytes of shadow\n");
#else
	too_big(loop);
#endif
	loop_free(loop);
	return t_finish();
}
