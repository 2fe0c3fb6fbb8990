/*
 * img.h - shared helpers of ringvm-img (the qemu-img-compatible image tool).
 *
 * Every subcommand runs on the main thread, which also runs the reactor loop
 * (struct img_ctx): block requests are submitted there and completed by
 * loop_run_once(). Nothing here is thread-safe; there is only one thread.
 *
 * Conventions: a subcommand is `int img_cmd_<name>(int argc, char **argv)`
 * (argv[0] is the subcommand name) returning the process exit status.
 * Errors are printed as one sentence: "ringvm-img: <sentence>".
 */
#ifndef RINGVM_IMG_H
#define RINGVM_IMG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "block/block.h"

/* The reactor and engine every block device of one command is opened on. */
struct img_ctx {
	struct loop *loop;
	struct aio_engine *eng;
};

/* Open the loop and an engine of the given kind. Prints the error. */
int img_ctx_init(struct img_ctx *c, enum aio_engine_kind kind);
void img_ctx_fini(struct img_ctx *c);

/* Print "ringvm-img: <msg>\n" on stderr. */
void img_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, for a bad command line; returns 1 so callers can `return img_usage(..)`. */
int img_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report a getopt error (c is ':' or '?'); returns 1. */
int img_badopt(const char *cmd, int c, char **argv);

/* Parse "10G", "1.5M", "512" (bytes). Returns 0 or -EINVAL / -ERANGE. */
int img_parse_size(const char *s, uint64_t *out);
/* Parse a cache mode (none, writeback, writethrough, directsync, unsafe)
 * into BLK_O_* flags. Returns 0 or -EINVAL. */
int img_parse_cache(const char *mode, unsigned *flags);
/* Human size the way qemu-img prints it ("332 KiB", "1 GiB"). */
void img_human_size(uint64_t v, char *buf, size_t len);

/* Open an image; prints the block layer's sentence on failure. */
int img_open(struct img_ctx *c, struct blk **out, const char *file, const char *fmt,
	     unsigned flags);
/* The same, showing internal snapshot `snapshot` (id or name) read-only. */
int img_open_snapshot(struct img_ctx *c, struct blk **out, const char *file, const char *fmt,
		      unsigned flags, const char *snapshot);

/*
 * -o key=value,key=value parsing into create options. `size` may be given
 * as an option too. Returns 0 or 1 after printing an error. "help" lists
 * the options and sets *help.
 */
struct img_create_req {
	struct blk_create_opts o;
	bool size_set;
	bool help;
	char fmt[16];
};
int img_parse_create_opts(const char *cmd, const char *optstr, struct img_create_req *r);
void img_create_opts_init(struct img_create_req *r, const char *fmt);
/* blk_create, preallocating qcow2 here when the block layer cannot.
 * Prints the error. Returns 0 or -errno. */
int img_create_image(struct img_ctx *ctx, const char *file, const struct blk_create_opts *o);

/* A progress bar on stdout, only when enabled and stdout is a terminal. */
struct img_progress {
	bool on;
	int last;
};
void img_progress_init(struct img_progress *p, bool want);
void img_progress_update(struct img_progress *p, uint64_t done, uint64_t total);
void img_progress_end(struct img_progress *p);

/* JSON string with escapes (no surrounding quotes are added by caller). */
void img_json_str(FILE *f, const char *s);

/* Aligned buffer for O_DIRECT-safe I/O (4096-aligned). Returns NULL on ENOMEM. */
void *img_alloc(size_t len);

/* Run the loop until *pending drops to zero (or an error in the loop). */
int img_wait(struct img_ctx *c, const unsigned *pending);

/* Resolve a backing file name relative to the image that names it. */
void img_backing_path(const char *image, const char *backing, char *out, size_t len);

/* Subcommands. */
int img_cmd_create(int argc, char **argv);
int img_cmd_info(int argc, char **argv);
int img_cmd_check(int argc, char **argv);
int img_cmd_convert(int argc, char **argv);
int img_cmd_snapshot(int argc, char **argv);
int img_cmd_resize(int argc, char **argv);
int img_cmd_compare(int argc, char **argv);
int img_cmd_map(int argc, char **argv);
int img_cmd_commit(int argc, char **argv);
int img_cmd_rebase(int argc, char **argv);
int img_cmd_measure(int argc, char **argv);
int img_cmd_bench(int argc, char **argv);

/* Shared by info and snapshot -l. */
void img_print_snapshots(FILE *f, const struct blk_snapshot *s, int n);

#endif
