/*
 * bench.c - small CPU benchmark kernels run inside the ringvm test guest (riscv64,
 * static) and natively on the host (the "native limit" anchor).
 *
 * Each kernel does a fixed amount of work (times an optional scale factor), then
 * prints one JSON line with the elapsed time and a checksum of its results. With the
 * default scale the checksum is compared against a known answer recorded from a
 * native x86-64 run, so a wrong emulator result shows up as "check":"FAIL" instead
 * of a fast but meaningless number. All arithmetic is integer or IEEE double with
 * -ffp-contract=off (set by the build) and only correctly-rounded sqrt, so x86-64
 * and riscv64 produce bit-identical results.
 *
 * Single-threaded; no state outside each kernel function.
 *
 * Usage: ringvm-bench [-s SCALE] KERNEL...|all     KERNEL: int sort string fp list
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bench_kernel {
	const char *name;
	const char *what;
	uint64_t (*run)(unsigned scale);
	uint64_t expect; /* checksum at scale 1 (from a native run); 0 = unknown */
};

/* xorshift64*: deterministic, identical on every target. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		fprintf(stderr, "ringvm-bench: out of memory allocating %zu bytes\n", n);
		exit(1);
	}
	return p;
}

/* ---- int: bitwise CRC-32 over a buffer, then a prime sieve ----------------- */

static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static uint64_t bench_int(unsigned scale)
{
	enum { BUF = 256 * 1024, SIEVE = 4 * 1000 * 1000 };
	uint8_t *buf = xmalloc(BUF);
	uint8_t *comp = xmalloc(SIEVE + 1);
	uint64_t seed = 1, sum = 0;

	for (size_t i = 0; i < BUF; i++)
		buf[i] = (uint8_t)rng_next(&seed);
	for (unsigned r = 0; r < 16 * scale; r++)
		sum = sum * 31 + crc32_bitwise((uint32_t)r, buf, BUF);
	for (unsigned r = 0; r < scale; r++) {
		uint64_t primes = 0, last = 0;
		memset(comp, 0, SIEVE + 1);
		for (uint64_t i = 2; i <= SIEVE; i++) {
			if (comp[i])
				continue;
			primes++;
			last = i;
			for (uint64_t j = i * i; j <= SIEVE; j += i)
				comp[j] = 1;
		}
		sum = sum * 31 + primes * 1000003 + last;
	}
	free(buf);
	free(comp);
	return sum;
}

/* ---- sort: qsort and a hand-written merge sort on 4 MiB of keys ------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void merge_sort(uint32_t *a, uint32_t *tmp, size_t n)
{
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
			while (i < mid)
				tmp[k++] = a[i++];
			while (j < hi)
				tmp[k++] = a[j++];
		}
		memcpy(a, tmp, n * sizeof(*a)); /* simple, and the copy is part of the work */
	}
}

static uint64_t sorted_sum(const uint32_t *a, size_t n)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && a[i - 1] > a[i])
			return 0; /* not sorted: poison the checksum */
		sum = sum * 1099511628211ULL + a[i];
	}
	return sum;
}

static uint64_t bench_sort(unsigned scale)
{
	enum { N = 512 * 1024 };
	uint32_t *a = xmalloc(N * sizeof(*a));
	uint32_t *tmp = xmalloc(N * sizeof(*a));
	uint64_t seed = 2, sum = 0;

	for (unsigned r = 0; r < scale; r++) {
		for (size_t i = 0; i < N; i++)
			a[i] = (uint32_t)rng_next(&seed);
		qsort(a, N, sizeof(*a), cmp_u32);
		sum = sum * 31 + sorted_sum(a, N);
		for (size_t i = 0; i < N; i++)
			a[i] = (uint32_t)rng_next(&seed);
		merge_sort(a, tmp, N);
		sum = sum * 31 + sorted_sum(a, N);
	}
	free(a);
	free(tmp);
	return sum;
}

/* ---- string: memcpy, strlen, memchr and a naive substring search ------------ */

static uint64_t bench_string(unsigned scale)
{
	enum { LEN = 1024 * 1024 };
	char *src = xmalloc(LEN + 64), *dst = xmalloc(LEN + 64);
	uint64_t seed = 3, sum = 0;

	for (size_t i = 0; i < LEN; i++)
		src[i] = (char)('a' + rng_next(&seed) % 26);
	src[LEN] = 0;
	for (unsigned r = 0; r < 32 * scale; r++) {
		/* Unaligned copies of varying offset exercise the byte/word paths. */
		size_t off = r % 16;
		memcpy(dst + off, src, LEN + 1);
		sum = sum * 31 + strlen(dst + off);
		sum = sum * 31 + (uint64_t)((char *)memchr(dst + off, 'z', LEN) - dst);
		const char *hit = strstr(dst + off, "qjxz");
		sum = sum * 31 + (hit ? (uint64_t)(hit - dst) : 7);
		size_t count = 0; /* hand-written search so the libc version is not all */
		for (size_t i = 0; i + 3 < LEN; i++)
			count += dst[off + i] == 'a' && dst[off + i + 1] == 'b' && dst[off + i + 2] == 'c';
		sum = sum * 31 + count;
		src[r % LEN] = dst[off + (r * 7919) % LEN];
	}
	free(src);
	free(dst);
	return sum;
}

/* ---- fp: dense matrix multiply, then an n-body simulation ------------------- */

static uint64_t fold_double(uint64_t sum, double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	return sum * 31 + bits;
}

static uint64_t nbody(unsigned steps)
{
	enum { NB = 32 };
	double p[NB][3], v[NB][3], m[NB];
	uint64_t seed = 5;

	for (int i = 0; i < NB; i++) {
		for (int k = 0; k < 3; k++) {
			p[i][k] = (double)(rng_next(&seed) % 2000) / 100.0 - 10.0;
			v[i][k] = (double)(rng_next(&seed) % 200) / 1000.0 - 0.1;
		}
		m[i] = 1.0 + (double)(rng_next(&seed) % 100) / 50.0;
	}
	const double dt = 0.001;
	for (unsigned s = 0; s < steps; s++) {
		for (int i = 0; i < NB; i++)
			for (int j = i + 1; j < NB; j++) {
				double d[3], r2 = 0.01;
				for (int k = 0; k < 3; k++) {
					d[k] = p[i][k] - p[j][k];
					r2 += d[k] * d[k];
				}
				double mag = dt / (r2 * sqrt(r2));
				for (int k = 0; k < 3; k++) {
					v[i][k] -= d[k] * m[j] * mag;
					v[j][k] += d[k] * m[i] * mag;
				}
			}
		for (int i = 0; i < NB; i++)
			for (int k = 0; k < 3; k++)
				p[i][k] += dt * v[i][k];
	}
	uint64_t sum = 0;
	for (int i = 0; i < NB; i++)
		for (int k = 0; k < 3; k++)
			sum = fold_double(sum, p[i][k]);
	return sum;
}

static uint64_t bench_fp(unsigned scale)
{
	enum { M = 200 };
	double *a = xmalloc(M * M * sizeof(double));
	double *b = xmalloc(M * M * sizeof(double));
	double *c = xmalloc(M * M * sizeof(double));
	uint64_t seed = 4, sum = 0;

	for (int i = 0; i < M * M; i++) {
		a[i] = (double)(rng_next(&seed) % 1000) / 999.0;
		b[i] = (double)(rng_next(&seed) % 1000) / 997.0;
	}
	for (unsigned r = 0; r < 6 * scale; r++) {
		for (int i = 0; i < M; i++)
			for (int j = 0; j < M; j++) {
				double acc = 0;
				for (int k = 0; k < M; k++)
					acc += a[i * M + k] * b[k * M + j];
				c[i * M + j] = acc;
			}
		for (int i = 0; i < M * M; i++)
			sum = fold_double(sum, c[i]);
		a[r % (M * M)] = c[(r * 31) % (M * M)] / (double)M;
	}
	sum = sum * 31 + nbody(2000 * scale);
	free(a);
	free(b);
	free(c);
	return sum;
}

static const struct bench_kernel kernels[] = {
	{ "int", "CRC-32 (bitwise) over 256 KiB x16, prime sieve to 4e6", bench_int,
	  0xf7ffdb6256679501ULL },
	{ "sort", "qsort + merge sort of 512 Ki 32-bit keys", bench_sort, 0x90489cb56bed2264ULL },
	{ "string", "memcpy/strlen/memchr/strstr + byte search over 1 MiB x32", bench_string,
	  0x05728b887b80ec49ULL },
	{ "fp", "200x200 double matmul x6, 32-body simulation 2000 steps", bench_fp,
	  0xd1bf17cbd10a01a5ULL },
};

#define NKERNELS (sizeof(kernels) / sizeof(kernels[0]))

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one kernel and prints its JSON line; returns 0 or 1 if the checksum is wrong. */
static int run_kernel(const struct bench_kernel *k, unsigned scale)
{
	double t0 = now_s();
	uint64_t sum = k->run(scale);
	double t = now_s() - t0;
	const char *check = "unchecked";

	if (scale == 1 && k->expect)
		check = sum == k->expect ? "ok" : "FAIL";
	printf("{\"suite\":\"guest-cpu\",\"metric\":\"%s\",\"value\":%.6f,\"unit\":\"s\","
	       "\"anchor\":null,\"anchor_value\":null,\"scale\":%u,"
	       "\"checksum\":\"0x%016" PRIx64 "\",\"check\":\"%s\"}\n",
	       k->name, t, scale, sum, check);
	fflush(stdout);
	return strcmp(check, "FAIL") == 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: ringvm-bench [-s SCALE] KERNEL...|all|list\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned scale = 1;
	int i = 1, failed = 0;

	if (i + 1 < argc && strcmp(argv[i], "-s") == 0) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(argv[i + 1], &end, 10);
		if (errno || *end || v == 0 || v > 1000) {
			fprintf(stderr, "ringvm-bench: scale '%s' must be 1..1000\n", argv[i + 1]);
			return 2;
		}
		scale = (unsigned)v;
		i += 2;
	}
	if (i >= argc)
		return usage();
	for (; i < argc; i++) {
		int found = 0;
		if (strcmp(argv[i], "list") == 0) {
			for (size_t k = 0; k < NKERNELS; k++)
				printf("%-7s %s\n", kernels[k].name, kernels[k].what);
			continue;
		}
		for (size_t k = 0; k < NKERNELS; k++) {
			if (strcmp(argv[i], "all") && strcmp(argv[i], kernels[k].name))
				continue;
			found = 1;
			failed |= run_kernel(&kernels[k], scale);
		}
		if (!found) {
			fprintf(stderr, "ringvm-bench: unknown kernel '%s' (try 'list')\n", argv[i]);
			return 2;
		}
	}
	return failed;
}
