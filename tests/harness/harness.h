/*
 * harness.h - the tiny test harness every C test uses.
 *
 * A test is a program: main() runs one behaviour and returns
 * t_finish() (0 = pass, 1 = fail). Exit 77 means skipped (t_skip()).
 * CHECK* macros report the file and line of the first failure and keep
 * going, so one run shows every broken assertion.
 */
#ifndef RINGVM_TEST_HARNESS_H
#define RINGVM_TEST_HARNESS_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern int t_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			t_failures++;                                          \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, "  \
				"%s == %lld\n", __FILE__, __LINE__, #a, _a, #b, \
				_b);                                           \
			t_failures++;                                          \
		}                                                              \
	} while (0)

/* Fatal: stop the test now. */
#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: REQUIRE failed: %s\n",          \
				__FILE__, __LINE__, #cond);                    \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* Exit 77: ctest reports the test as skipped, with the reason printed. */
void t_skip(const char *why) __attribute__((noreturn));

/* Kill the test with a message if it runs longer than seconds. */
void t_timeout(unsigned seconds);

/* A fresh directory under $TMPDIR (or /tmp), removed at exit. */
const char *t_tmpdir(void);

/* Deterministic xorshift PRNG; the seed is printed so a failure replays. */
uint64_t t_rand(void);
void t_seed(uint64_t seed);

/* Print a summary and return the exit status for main(). */
int t_finish(void);

#endif
