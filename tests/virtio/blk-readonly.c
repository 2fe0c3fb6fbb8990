/* A read-only drive offers VIRTIO_BLK_F_RO and refuses OUT, DISCARD and
 * WRITE_ZEROES with IOERR; reads and flushes still work; the file is
 * unchanged. Also a writable blk exported with conf.read_only. */
#include "vt.h"

static void check_ro(struct vt *t, const char *path)
{
	struct vt_breq r;
	uint64_t buf = vt_alloc(t, 4096, 4096), seg = vt_alloc(t, 16, 8);
	struct vt_seg s[3];
	uint8_t file[4096];
	int fd;

	CHECK(vt_dev_features(t) & (1ull << 5));
	memset(vt_ptr(t, buf), 0xab, 4096);
	vt_blk_submit(t, &t->vq[0], &r, BLK_T_OUT, 0, buf, 4096);
	vt_kick(t, &t->vq[0]);
	REQUIRE(vt_wait_used(t, &t->vq[0], 1));
	vt_pop_used(t, &t->vq[0], NULL, NULL);
	CHECK_EQ(vt_status(t, &r), 1);

	for (uint32_t type = BLK_T_DISCARD; type <= BLK_T_WRITE_ZEROES; type += 2) {
		uint64_t sector = 0;
		uint32_t n = 8, fl = 0;

		memcpy(vt_ptr(t, seg), &sector, 8);
		memcpy((uint8_t *)vt_ptr(t, seg) + 8, &n, 4);
		memcpy((uint8_t *)vt_ptr(t, seg) + 12, &fl, 4);
		vt_blk_hdr(t, &r, type, 0);
		s[0] = (struct vt_seg){ r.hdr, 16, 0 };
		s[1] = (struct vt_seg){ seg, 16, 0 };
		s[2] = (struct vt_seg){ r.status, 1, D_WRITE };
		vt_add(t, &t->vq[0], s, 3);
		vt_kick(t, &t->vq[0]);
		REQUIRE(vt_wait_used(t, &t->vq[0], 1));
		vt_pop_used(t, &t->vq[0], NULL, NULL);
		CHECK_EQ(vt_status(t, &r), 1);
	}

	vt_blk_submit(t, &t->vq[0], &r, BLK_T_IN, 0, buf, 4096);
	vt_kick(t, &t->vq[0]);
	REQUIRE(vt_wait_used(t, &t->vq[0], 1));
	vt_pop_used(t, &t->vq[0], NULL, NULL);
	CHECK_EQ(vt_status(t, &r), 0);
	CHECK_EQ(((uint8_t *)vt_ptr(t, buf))[5], (uint8_t)(5 * 7 + 3));
	vt_blk_submit(t, &t->vq[0], &r, BLK_T_FLUSH, 0, 0, 0);
	vt_kick(t, &t->vq[0]);
	REQUIRE(vt_wait_used(t, &t->vq[0], 1));
	vt_pop_used(t, &t->vq[0], NULL, NULL);
	CHECK_EQ(vt_status(t, &r), 0);

	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(pread(fd, file, 4096, 0) == 4096);
	for (int i = 0; i < 4096; i++)
		if (file[i] != (uint8_t)(i * 7 + 3)) {
			CHECK(!"read-only image modified");
			break;
		}
	close(fd);
}

int main(void)
{
	struct vt t;
	struct blk *b;
	char path[4096];
	struct virtio_blk_conf conf = { .read_only = true };

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "ro.raw", 1 << 20, 0, path); /* opened read-only */
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	vt_bringup(&t, F_EVENT_IDX, 1, 16);
	check_ro(&t, path);
	virtio_mmio_free(t.d);
	blk_close(b);

	b = vt_raw_blk(&t, "rw.raw", 1 << 20, BLK_O_RDWR, path);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, &conf) == 0);
	vt_bringup(&t, F_EVENT_IDX, 1, 16);
	check_ro(&t, path);
	vt_free(&t, b);
	return t_finish();
}
