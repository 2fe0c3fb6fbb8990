/*
 * uring-fixed.c - registered files and buffers of the io_uring engine, as
 * the block layer uses them (blk_file_register, bench's buffers): data
 * moves through fixed file slots and fixed buffers; an unregistered fd
 * number reused by another file reaches the new file, not the old slot;
 * buffers outside the registered area still work; other engines say
 * -ENOTSUP; a raw image opened twice on one engine (two slots) reads and
 * writes correctly, before and after the first one closes; two engines on
 * one loop (one per virtio drive) share the ring's one file table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static uint8_t *abuf(size_t len)
{
	void *p = NULL;
	return posix_memalign(&p, 4096, len) ? NULL : p;
}

struct one {
	bool done;
	ssize_t res;
};

static void one_done(struct aio_req *r, ssize_t res)
{
	struct one *o = r->opaque;
	o->res = res;
	o->done = true;
}

static ssize_t rw(struct tb *t, int fd, void *buf, size_t len, uint64_t off, bool write)
{
	struct aio_req r;
	struct one o = { 0 };
	if (write)
		aio_prep_write(&r, fd, buf, len, off, one_done, &o);
	else
		aio_prep_read(&r, fd, buf, len, off, one_done, &o);
	REQUIRE(aio_submit(t->e, &r) == 0);
	while (!o.done)
		REQUIRE(loop_run_once(t->loop, -1) >= 0);
	return o.res;
}

static int make_file(const char *path, int byte)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	uint8_t b[8192];
	memset(b, byte, sizeof(b));
	REQUIRE(pwrite(fd, b, sizeof(b), 0) == (ssize_t)sizeof(b));
	return fd;
}

static void fixed_aio(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_URING);
	const char *pa = tb_path("a"), *pb = tb_path("b");
	int fd = make_file(pa, 0xaa);
	uint8_t *area = abuf(65536), plain[4096];
	REQUIRE(area);
	int r = aio_register_file(t.e, fd);
	if (r == -EINVAL || r == -ENOSYS)
		t_skip("kernel without sparse file tables");
	CHECK_EQ(r, 0);
	CHECK_EQ(aio_register_file(t.e, fd), 0); /* twice is fine */
	struct iovec iov = { area, 65536 };
	CHECK_EQ(aio_register_buffers(t.e, &iov, 1), 0);
	CHECK_EQ(aio_register_buffers(t.e, &iov, 1), -EBUSY);

	/* fixed file + fixed buffer, both ways */
	CHECK_EQ(rw(&t, fd, area + 4096, 4096, 0, false), 4096);
	CHECK(area[4096] == 0xaa && area[8191] == 0xaa);
	memset(area + 8192, 0x11, 4096);
	CHECK_EQ(rw(&t, fd, area + 8192, 4096, 4096, true), 4096);
	CHECK(pread(fd, plain, 4096, 4096) == 4096 && plain[0] == 0x11 && plain[4095] == 0x11);
	/* a buffer outside the area, and one straddling its end */
	CHECK_EQ(rw(&t, fd, plain, 4096, 0, false), 4096);
	CHECK(plain[0] == 0xaa);
	CHECK_EQ(rw(&t, fd, area + 65536 - 100, 100, 0, false), 100);

	/* the fd number goes to another file after unregistering: requests
	 * must reach the new file */
	aio_unregister_file(t.e, fd);
	close(fd);
	int fd2 = make_file(pb, 0xbb);
	if (fd2 != fd) {
		REQUIRE(dup2(fd2, fd) == fd);
		close(fd2);
	}
	CHECK_EQ(aio_register_file(t.e, fd), 0);
	CHECK_EQ(rw(&t, fd, area, 4096, 0, false), 4096);
	CHECK(area[0] == 0xbb);
	aio_unregister_file(t.e, fd);
	CHECK_EQ(rw(&t, fd, area, 4096, 0, false), 4096); /* plain fd again */
	CHECK(area[0] == 0xbb);
	aio_unregister_buffers(t.e);
	CHECK_EQ(rw(&t, fd, area, 4096, 4096, false), 4096);
	close(fd);
	free(area);
	tb_fini(&t);
}

static void other_engine(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_THREADS);
	struct iovec iov = { &t, 8 };
	CHECK_EQ(aio_register_file(t.e, 0), -ENOTSUP);
	CHECK_EQ(aio_register_buffers(t.e, &iov, 1), -ENOTSUP);
	tb_fini(&t);
}

/* Two opens of one raw image on one engine, O_DIRECT (two slots each). */
static void two_blks(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_URING);
	const char *p = tb_path("raw.img");
	struct blk_create_opts co = { .format = "raw", .size = 1 << 20 };
	tb_create(&t, p, &co);
	struct blk *a = tb_open(&t, p, "raw", BLK_O_RDWR | BLK_O_DIRECT | BLK_O_NO_LOCK);
	struct blk *b = tb_open(&t, p, "raw", BLK_O_DIRECT | BLK_O_NO_LOCK);
	uint8_t *buf = abuf(8192);
	REQUIRE(buf);
	memset(buf, 0x5a, 4096);
	CHECK_EQ(blk_pwrite(a, 65536, buf, 4096), 0);
	CHECK_EQ(blk_pread(b, 65536, buf + 4096, 4096), 0);
	CHECK(!memcmp(buf, buf + 4096, 4096));
	CHECK_EQ(blk_close(a), 0);
	memset(buf + 4096, 0, 4096);
	CHECK_EQ(blk_pread(b, 65536, buf + 4096, 4096), 0);
	CHECK(!memcmp(buf, buf + 4096, 4096));
	CHECK_EQ(blk_close(b), 0);
	free(buf);
	tb_fini(&t);
}

static ssize_t rw_on(struct loop *loop, struct aio_engine *e, int fd, void *buf, size_t len)
{
	struct tb t = { loop, e };
	return rw(&t, fd, buf, len, 0, false);
}

/* Two engines on one loop: each gets fixed slots for its files; a file
 * both register keeps its slot until the last one lets go. */
static void two_engines(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_URING);
	struct aio_engine *e2 = NULL;
	REQUIRE(aio_engine_open(&e2, t.loop, AIO_ENGINE_URING) == 0);
	int fa = make_file(tb_path("ea"), 0xa1), fb = make_file(tb_path("eb"), 0xb2);
	uint8_t buf[4096];
	int r = aio_register_file(t.e, fa);
	if (r == -EINVAL || r == -ENOSYS)
		t_skip("kernel without sparse file tables");
	CHECK_EQ(r, 0);
	CHECK_EQ(aio_register_file(e2, fb), 0); /* the second engine gets a slot too */
	CHECK_EQ(aio_register_file(e2, fa), 0);
	int sa = loop_ring_file_slot(t.loop, fa), sb = loop_ring_file_slot(t.loop, fb);
	CHECK(sa >= 0 && sb >= 0 && sa != sb);
	CHECK(rw_on(t.loop, e2, fb, buf, 4096) == 4096 && buf[0] == 0xb2);
	CHECK(rw_on(t.loop, e2, fa, buf, 4096) == 4096 && buf[0] == 0xa1);
	aio_unregister_file(t.e, fa); /* e2 still holds fa */
	CHECK_EQ(loop_ring_file_slot(t.loop, fa), sa);
	CHECK(rw_on(t.loop, e2, fa, buf, 4096) == 4096 && buf[4095] == 0xa1);
	aio_engine_close(e2); /* gives back both of its files */
	CHECK_EQ(loop_ring_file_slot(t.loop, fa), -1);
	CHECK_EQ(loop_ring_file_slot(t.loop, fb), -1);
	CHECK(rw_on(t.loop, t.e, fa, buf, 4096) == 4096 && buf[0] == 0xa1); /* plain fd */
	close(fa);
	close(fb);
	tb_fini(&t);
}

int main(void)
{
	two_engines();
	other_engine();
	two_blks();
	fixed_aio();
	return t_finish();
}
