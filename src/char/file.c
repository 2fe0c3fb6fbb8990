/*
 * file.c - the file chardev: `file,path=PATH[,append=on]`.
 *
 * Output goes to a regular file with AIO_WRITE at a running offset (every
 * engine can do that), truncating it at open unless append=on. There is no
 * input. A write error (disk full) is counted as dropped bytes and the
 * output continues at the next offset rather than stalling the guest.
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

static void file_rd_end(struct chr_stream *s, int err)
{
}

/* Skip what could not be written: a file never gets a second chance. */
static void file_wr_end(struct chr_stream *s, int err)
{
	size_t chunk = s->olen < s->ocap - s->ohead ? s->olen : s->ocap - s->ohead;

	fprintf(stderr, "ringvm: chardev file: write failed (%s); %zu bytes lost\n",
		strerror(-err), chunk);
	s->st.bytes_dropped += chunk;
	s->woff += chunk;
	s->ohead = (s->ohead + chunk) % s->ocap;
	s->olen -= chunk;
	chr_stream_set_wfd(s, s->wfd);
}

static void file_down(struct chr_stream *s)
{
}

static const struct chr_stream_hooks file_hooks = {
	.rd_end = file_rd_end,
	.wr_end = file_wr_end,
	.down = file_down,
};

static const struct chr_backend_ops file_ops = {
	.name = "file",
	.write = chr_stream_write,
	.accept_input = chr_stream_accept_input,
	.write_sync = chr_stream_write_sync,
	.close = chr_stream_close,
};

int chr_file_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
		  const struct chr_spec *spec, char *err, size_t errlen)
{
	struct chr_stream *s = calloc(1, sizeof(*s));
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (spec->append ? O_APPEND : O_TRUNC);
	int fd, ret;
	struct stat st;

	if (!s)
		return -ENOMEM;
	ret = chr_stream_init(s, &file_ops, loop, aio, &file_hooks);
	if (ret < 0)
		goto fail;
	fd = open(spec->path, flags, 0644);
	if (fd < 0) {
		ret = -errno;
		chr_err(err, errlen, "cannot open '%s' for chardev output: %s", spec->path,
			strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		ret = -EINVAL;
		chr_err(err, errlen, "'%s' is not a regular file; use pipe: or a socket for it",
			spec->path);
		goto fail;
	}
	s->seek = true;
	s->woff = spec->append ? (uint64_t)st.st_size : 0;
	chr_stream_set_connected(s, true);
	chr_stream_set_wfd(s, fd);
	*out = &s->chr;
	return 0;
fail:
	free(s->obuf);
	free(s);
	return ret;
}
