/* virtio-blk round trip on a raw file: read (pattern), write, flush, read
 * back; the file holds exactly what the guest wrote. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r[4];
	char path[4096];
	uint64_t rbuf, wbuf;
	uint8_t *p, file[4096];
	uint32_t len;
	int fd;

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, path);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	vt_bringup(&t, F_EVENT_IDX | F_INDIRECT, 1, 128);
	struct vt_vq *q = &t.vq[0];

	/* Read sectors 8..15 (the pattern written by vt_raw_blk). */
	rbuf = vt_alloc(&t, 4096, 4096);
	vt_blk_submit(&t, q, &r[0], BLK_T_IN, 8, rbuf, 4096);
	vt_kick(&t, q);
	REQUIRE(vt_wait_used(&t, q, 1));
	CHECK(vt_pop_used(&t, q, NULL, &len));
	CHECK_EQ(len, 4097);
	CHECK_EQ(vt_status(&t, &r[0]), 0);
	p = vt_ptr(&t, rbuf);
	for (unsigned i = 0; i < 4096; i++)
		if (p[i] != (uint8_t)((4096 + i) * 7 + 3)) {
			CHECK(!"read data mismatch");
			break;
		}
	CHECK(t.irq_level == 1);
	CHECK_EQ(vt_r32(&t, 0x60), 1);
	vt_w32(&t, 0x64, 1);
	CHECK(t.irq_level == 0);

	/* Write 4 KiB at sector 16, then flush. */
	wbuf = vt_alloc(&t, 4096, 4096);
	p = vt_ptr(&t, wbuf);
	for (unsigned i = 0; i < 4096; i++)
		p[i] = (uint8_t)(i ^ 0x5a);
	vt_blk_submit(&t, q, &r[1], BLK_T_OUT, 16, wbuf, 4096);
	vt_blk_submit(&t, q, &r[2], BLK_T_FLUSH, 0, 0, 0);
	vt_kick(&t, q);
	REQUIRE(vt_wait_used(&t, q, 2));
	CHECK(vt_pop_used(&t, q, NULL, &len));
	CHECK_EQ(len, 1);
	CHECK(vt_pop_used(&t, q, NULL, NULL));
	CHECK_EQ(vt_status(&t, &r[1]), 0);
	CHECK_EQ(vt_status(&t, &r[2]), 0);

	/* Read it back through the device. */
	memset(vt_ptr(&t, rbuf), 0, 4096);
	vt_blk_submit(&t, q, &r[3], BLK_T_IN, 16, rbuf, 4096);
	vt_kick(&t, q);
	REQUIRE(vt_wait_used(&t, q, 1));
	CHECK(vt_pop_used(&t, q, NULL, NULL));
	CHECK(memcmp(vt_ptr(&t, rbuf), p, 4096) == 0);

	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	CHECK(pread(fd, file, 4096, 16 * 512) == 4096);
	CHECK(memcmp(file, p, 4096) == 0);
	close(fd);

	vt_free(&t, b);
	return t_finish();
}
