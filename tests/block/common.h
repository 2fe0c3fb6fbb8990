/*
 * common.h - helpers shared by the block tests: a loop + aio engine per
 * test (engine chosen by RINGVM_AIO or the argument), shadow-buffer
 * random I/O, and running qemu-img (skip with 77 if it is missing).
 */
#ifndef RINGVM_TEST_BLOCK_COMMON_H
#define RINGVM_TEST_BLOCK_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "harness.h"

struct tb {
	struct loop *loop;
	struct aio_engine *e;
};

/* Set up a loop and engine of kind (AIO_ENGINE_AUTO, URING, THREADS...). */
void tb_init(struct tb *t, enum aio_engine_kind kind);
void tb_fini(struct tb *t);
/* Path of a file in the test's temporary directory. */
const char *tb_path(const char *name);
/* Open or die. */
struct blk *tb_open(struct tb *t, const char *path, const char *fmt, unsigned flags);
/* Create or die. */
void tb_create(struct tb *t, const char *path, const struct blk_create_opts *o);
/* Is qemu-img there? */
bool tb_have_qemu_img(void);
/* Run a shell command; returns its exit status. */
int tb_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Random writes and reads against a shadow copy; many requests in flight.
 * Checks every read against the shadow. */
void tb_random_io(struct tb *t, struct blk *b, uint8_t *shadow, uint64_t size, unsigned ops,
		  unsigned max_len, unsigned align);
/* Compare the whole image with shadow. */
void tb_verify(struct blk *b, const uint8_t *shadow, uint64_t size);
/* qemu-img check must say the image is clean (returns its status). */
int tb_qemu_check(const char *path);

#endif
