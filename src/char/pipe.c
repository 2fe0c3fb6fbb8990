/*
 * pipe.c - the pipe chardev: `pipe,path=P[,server=on|client=on]`.
 *
 * QEMU semantics: if P.in and P.out exist, P.in carries input to the guest
 * and P.out output from it; otherwise P itself is opened read-write for
 * both. server=on creates P.in and P.out (FIFOs, mode 0600) if missing and
 * removes the ones it created at close; client=on opens an existing pair
 * crosswise (reads P.out, writes P.in), so two ringvm processes talk with
 * no third program.
 *
 * Nobody blocks in open(2): the read side is opened O_RDONLY|O_NONBLOCK at
 * once (that always succeeds) and first waits for POLLIN, because a FIFO
 * with no writer reads as EOF. The write side is opened O_WRONLY|O_NONBLOCK,
 * which fails with ENXIO until a reader exists; it is retried from a timer
 * (20 ms doubling to 500 ms) and at once whenever input arrives (the peer
 * opens its read side before its write side, so its data means it is there).
 * A peer that leaves: EOF on the read side -> reopen it and wait again;
 * EPIPE on the write side -> close it and retry the open. Output is held,
 * not dropped, while there is no reader (the guest waits, like QEMU, which
 * blocks in open until the reader comes); bytes already inside the kernel's
 * FIFO when a reader dies are lost with it.
 *
 * Threading: loop thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "char/char-int.h"

#define RETRY_MIN_NS (20 * 1000000ull)
#define RETRY_MAX_NS (500 * 1000000ull)

struct chr_pipe {
	struct chr_stream s; /* first */
	char rpath[CHR_PATH_MAX + 8], wpath[CHR_PATH_MAX + 8];
	bool fifo_in, fifo_out;       /* reopen semantics apply */
	bool made_in, made_out;       /* server created them: unlink at close */
	bool single;                  /* one path, O_RDWR */
	struct loop_timer wtimer;     /* write-side open retry */
	uint64_t retry_ns;
};

static int open_rd(struct chr_pipe *p)
{
	int fd = open(p->rpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void try_open_wr(struct chr_pipe *p)
{
	struct chr_stream *s = &p->s;
	int fd;

	if (s->wfd >= 0 || s->closing)
		return;
	fd = open(p->wpath, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		loop_timer_cancel(s->chr.loop, &p->wtimer);
		p->retry_ns = RETRY_MIN_NS;
		chr_stream_set_wfd(s, fd);
		chr_stream_set_connected(s, true);
		return;
	}
	/* ENXIO: no reader yet. Anything else (ENOENT: the server removed
	 * the FIFO) is retried the same way: it may come back. */
	if (!loop_timer_armed(&p->wtimer)) {
		loop_timer_arm(s->chr.loop, &p->wtimer, loop_now_ns() + p->retry_ns);
		if (p->retry_ns < RETRY_MAX_NS)
			p->retry_ns *= 2;
	}
}

static void wtimer_fn(void *arg)
{
	try_open_wr(arg);
}

static void pipe_rd_end(struct chr_stream *s, int err)
{
	struct chr_pipe *p = (struct chr_pipe *)s;
	int fd;

	chr_stream_close_rfd(s);
	if (!p->fifo_in || p->single) {
		if (err)
			fprintf(stderr, "ringvm: chardev pipe '%s': read failed (%s)\n",
				p->rpath, strerror(-err));
		return; /* a regular file was read to its end: input is over */
	}
	/* The writer left: a fresh open waits for the next one (a FIFO open
	 * for reading only reports HUP for writers it has seen). */
	fd = open_rd(p);
	if (fd < 0) {
		fprintf(stderr, "ringvm: chardev pipe '%s': reopen failed (%s)\n",
			p->rpath, strerror(-fd));
		return;
	}
	s->rd_poll = true;
	chr_stream_set_rfd(s, fd);
}

static void pipe_wr_end(struct chr_stream *s, int err)
{
	struct chr_pipe *p = (struct chr_pipe *)s;

	chr_stream_close_wfd(s);
	chr_stream_set_connected(s, false);
	if (p->single) {
		fprintf(stderr, "ringvm: chardev pipe '%s': write failed (%s)\n", p->wpath,
			strerror(-err));
		return;
	}
	try_open_wr(p);
}

static void pipe_down(struct chr_stream *s)
{
}

static void pipe_stop(struct chr_stream *s)
{
	struct chr_pipe *p = (struct chr_pipe *)s;

	loop_timer_cancel(s->chr.loop, &p->wtimer);
}

static void pipe_fini(struct chr_stream *s)
{
	struct chr_pipe *p = (struct chr_pipe *)s;

	if (p->made_in)
		unlink(p->rpath); /* only a server makes them: it reads .in */
	if (p->made_out)
		unlink(p->wpath);
}

/* Input arrived: a peer that writes to us has opened its read side. */
static void pipe_rd_data(struct chr_stream *s)
{
	try_open_wr((struct chr_pipe *)s);
}

static const struct chr_stream_hooks pipe_hooks = {
	.rd_end = pipe_rd_end,
	.wr_end = pipe_wr_end,
	.down = pipe_down,
	.rd_data = pipe_rd_data,
	.stop = pipe_stop,
	.fini = pipe_fini,
};

static const struct chr_backend_ops pipe_ops = {
	.name = "pipe",
	.write = chr_stream_write,
	.accept_input = chr_stream_accept_input,
	.write_sync = chr_stream_write_sync,
	.close = chr_stream_close,
};

static bool is_fifo(const char *path, bool *exists)
{
	struct stat st;

	*exists = stat(path, &st) == 0;
	return *exists && S_ISFIFO(st.st_mode);
}

/* Work out the two paths and create FIFOs for a server. */
static int pipe_paths(struct chr_pipe *p, const struct chr_spec *spec, char *err,
		      size_t errlen)
{
	char in[CHR_PATH_MAX + 8], out[CHR_PATH_MAX + 8];
	bool in_ok, out_ok;

	snprintf(in, sizeof(in), "%s.in", spec->path);
	snprintf(out, sizeof(out), "%s.out", spec->path);
	is_fifo(in, &in_ok);
	is_fifo(out, &out_ok);
	if (spec->server) {
		if (!in_ok && mkfifo(in, 0600) == 0)
			p->made_in = in_ok = true;
		if (!out_ok && mkfifo(out, 0600) == 0)
			p->made_out = out_ok = true;
		if (!in_ok || !out_ok) {
			int e = errno;

			chr_err(err, errlen, "cannot create the FIFOs '%s' and '%s': %s", in,
				out, strerror(e));
			return -e;
		}
	} else if (spec->client && (!in_ok || !out_ok)) {
		chr_err(err, errlen, "pipe client needs '%s' and '%s'; start the server "
			"(pipe,path=%s,server=on) first", in, out, spec->path);
		return -ENOENT;
	}
	if (!in_ok || !out_ok) {
		p->single = true;
		snprintf(p->rpath, sizeof(p->rpath), "%s", spec->path);
		snprintf(p->wpath, sizeof(p->wpath), "%s", spec->path);
		return 0;
	}
	/* The server (and QEMU's pipe) reads .in; a client reads .out. */
	snprintf(p->rpath, sizeof(p->rpath), "%s", spec->client ? out : in);
	snprintf(p->wpath, sizeof(p->wpath), "%s", spec->client ? in : out);
	return 0;
}

static int pipe_start(struct chr_pipe *p, char *err, size_t errlen)
{
	struct chr_stream *s = &p->s;
	bool exists;
	int fd;

	if (p->single) {
		struct stat st;

		if (stat(p->rpath, &st) < 0) {
			chr_err(err, errlen, "pipe '%s' does not exist; make the FIFOs (mkfifo "
				"%s.in %s.out) or use server=on", p->rpath, p->rpath, p->rpath);
			return -ENOENT;
		}
		if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
			chr_err(err, errlen, "'%s' is not a FIFO; use file: for a log file",
				p->rpath);
			return -EINVAL;
		}
		fd = open(p->rpath, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;

			chr_err(err, errlen, "cannot open pipe '%s': %s", p->rpath, strerror(e));
			return -e;
		}
		s->rfd = fd;
		chr_stream_set_connected(s, true);
		chr_stream_set_wfd(s, fd);
		return 0;
	}
	p->fifo_in = is_fifo(p->rpath, &exists);
	p->fifo_out = is_fifo(p->wpath, &exists);
	fd = open_rd(p);
	if (fd < 0) {
		chr_err(err, errlen, "cannot open pipe '%s': %s", p->rpath, strerror(-fd));
		return fd;
	}
	s->rd_poll = p->fifo_in;
	s->rfd = fd; /* reading starts when a frontend attaches */
	try_open_wr(p);
	return 0;
}

int chr_pipe_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
		  const struct chr_spec *spec, char *err, size_t errlen)
{
	struct chr_pipe *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	chr_ignore_sigpipe();
	ret = chr_stream_init(&p->s, &pipe_ops, loop, aio, &pipe_hooks);
	if (ret < 0)
		goto fail;
	loop_timer_init(&p->wtimer, wtimer_fn, p);
	p->retry_ns = RETRY_MIN_NS;
	ret = pipe_paths(p, spec, err, errlen);
	if (ret == 0)
		ret = pipe_start(p, err, errlen);
	if (ret < 0) {
		pipe_stop(&p->s);
		pipe_fini(&p->s);
		if (p->s.rfd >= 0)
			close(p->s.rfd);
		goto fail;
	}
	*out = &p->s.chr;
	return 0;
fail:
	free(p->s.obuf);
	free(p);
	return ret;
}
