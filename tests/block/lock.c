/*
 * lock.c - image locking: a second writer is refused with a sentence that
 * says the image is locked and how to inspect it (-U); readers coexist
 * with each other but not with a writer; force-share (-U) and no-lock
 * opens are allowed. The byte layout is checked against QEMU: qemu-img
 * refuses an image we hold for writing, and we refuse one qemu-io holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static struct tb t;

static int try_open(const char *p, unsigned flags, char *err, size_t errlen)
{
	struct blk *b = NULL;
	struct blk_open_opts o = { .filename = p, .flags = flags };
	int r = blk_open(&b, t.e, &o, err, errlen);
	if (r == 0)
		blk_close(b);
	return r;
}

static void run(const char *fmt)
{
	char err[512];
	const char *p = tb_path(!strcmp(fmt, "raw") ? "l.raw" : "l.qcow2");
	struct blk_create_opts co = { .format = fmt, .size = 1 << 20 };
	tb_create(&t, p, &co);
	struct blk *w = tb_open(&t, p, NULL, BLK_O_RDWR);
	CHECK(try_open(p, BLK_O_RDWR, err, sizeof(err)) == -EAGAIN);
	fprintf(stderr, "second writer: %s\n", err);
	CHECK(strstr(err, "locked") && strstr(err, "-U"));
	CHECK(try_open(p, 0, err, sizeof(err)) == -EAGAIN);
	CHECK_EQ(try_open(p, BLK_O_FORCE_SHARE, err, sizeof(err)), 0);
	CHECK_EQ(try_open(p, BLK_O_RDWR | BLK_O_NO_LOCK, err, sizeof(err)), 0);
	CHECK(try_open(p, BLK_O_RDWR | BLK_O_FORCE_SHARE, err, sizeof(err)) == -EINVAL);
	/* (for raw, qemu-io itself shares write, so only qcow2 is compared) */
	if (tb_have_qemu_img() && !strcmp(fmt, "qcow2")) {
		CHECK(tb_sh("qemu-io -r -f %s -c 'read 0 512' '%s' >/dev/null 2>&1", fmt, p) != 0);
		CHECK_EQ(tb_sh("qemu-io -r -U -f %s -c 'read 0 512' '%s' >/dev/null 2>&1", fmt,
			       p), 0);
	}
	CHECK_EQ(blk_close(w), 0);
	/* readers share */
	struct blk *r1 = tb_open(&t, p, NULL, 0);
	struct blk *r2 = tb_open(&t, p, NULL, 0);
	CHECK(try_open(p, BLK_O_RDWR, err, sizeof(err)) == -EAGAIN);
	blk_close(r1);
	blk_close(r2);
	CHECK_EQ(try_open(p, BLK_O_RDWR, err, sizeof(err)), 0);
	/* an image qemu-io holds open for writing is refused */
	if (tb_have_qemu_img() && system("qemu-io --version >/dev/null 2>&1") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			execlp("qemu-io", "qemu-io", "-f", fmt, "-c", "sleep 4000", p, (char *)NULL);
			_exit(127);
		}
		/* wait (without taking locks ourselves) until it holds byte 101 */
		int fd = open(p, O_RDONLY);
		for (int i = 0; i < 500; i++) {
			struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
					    .l_start = 101, .l_len = 1 };
			if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
				break;
			usleep(10000);
		}
		close(fd);
		int r = try_open(p, BLK_O_RDWR, err, sizeof(err));
		CHECK(r == -EAGAIN);
		fprintf(stderr, "held by qemu-io: %s\n", err);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

int main(void)
{
	tb_init(&t, AIO_ENGINE_AUTO);
	run("raw");
	run("qcow2");
	tb_fini(&t);
	return t_finish();
}
