/* cache=none (O_DIRECT): guest buffers that are not aligned for the host
 * go through an aligned bounce buffer; aligned ones go straight through.
 * Data written from odd addresses and odd segment sizes reads back right
 * and lands in the file. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	struct vt_seg s[4];
	char path[4096];
	uint64_t buf, rbuf;
	uint8_t file[4096];
	unsigned align;
	int fd;

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR | BLK_O_DIRECT, path);
	align = blk_align(b);
	if (align <= 1)
		t_skip("O_DIRECT not in effect on this filesystem");
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	CHECK_EQ(vt_cfg(&t, 20, 4), align > 512 ? align : 512); /* blk_size */
	vt_bringup(&t, F_EVENT_IDX, 1, 16);

	buf = vt_alloc(&t, 8192, 4096) + 8; /* misaligned on purpose */
	rbuf = vt_alloc(&t, 8192, 4096) + 24;
	for (unsigned i = 0; i < 4096; i++)
		((uint8_t *)vt_ptr(&t, buf))[i] = (uint8_t)(i * 31 + 7);
	vt_blk_hdr(&t, &r, BLK_T_OUT, 8);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[1] = (struct vt_seg){ buf, 1000, 0 };
	s[2] = (struct vt_seg){ buf + 1000, 3096, 0 };
	s[3] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add(&t, &t.vq[0], s, 4);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	vt_pop_used(&t, &t.vq[0], NULL, NULL);
	CHECK_EQ(vt_status(&t, &r), 0);

	vt_blk_hdr(&t, &r, BLK_T_IN, 8);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[1] = (struct vt_seg){ rbuf, 3000, D_WRITE };
	s[2] = (struct vt_seg){ rbuf + 3000, 1096, D_WRITE };
	s[3] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add(&t, &t.vq[0], s, 4);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	vt_pop_used(&t, &t.vq[0], NULL, NULL);
	CHECK_EQ(vt_status(&t, &r), 0);
	CHECK(memcmp(vt_ptr(&t, rbuf), vt_ptr(&t, buf), 4096) == 0);

	/* An aligned request goes straight to guest memory. */
	rbuf = vt_alloc(&t, 4096, 4096);
	vt_blk_submit(&t, &t.vq[0], &r, BLK_T_IN, 8, rbuf, 4096);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	vt_pop_used(&t, &t.vq[0], NULL, NULL);
	CHECK_EQ(vt_status(&t, &r), 0);
	CHECK(memcmp(vt_ptr(&t, rbuf), vt_ptr(&t, buf), 4096) == 0);

	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(pread(fd, file, 4096, 8 * 512) == 4096);
	CHECK(memcmp(file, vt_ptr(&t, buf), 4096) == 0);
	close(fd);
	vt_free(&t, b);
	return t_finish();
}
