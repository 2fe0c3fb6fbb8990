/* GET_ID returns the serial NUL-padded to 20 bytes (truncated if longer,
 * short buffers get a prefix); an unknown request type gets UNSUPP. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	struct virtio_blk_conf conf = { .serial = "RVM-SERIAL-0042" };
	uint64_t buf;
	uint32_t len;

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, &conf) == 0);
	vt_bringup(&t, F_EVENT_IDX, 1, 16);
	buf = vt_alloc(&t, 64, 8);

	memset(vt_ptr(&t, buf), 0x7f, 64);
	vt_blk_submit(&t, &t.vq[0], &r, BLK_T_GET_ID, 0, buf, 20);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(vt_status(&t, &r), 0);
	CHECK_EQ(len, 21);
	CHECK(memcmp(vt_ptr(&t, buf), "RVM-SERIAL-0042\0\0\0\0\0", 20) == 0);
	CHECK_EQ(((uint8_t *)vt_ptr(&t, buf))[20], 0x7f);

	memset(vt_ptr(&t, buf), 0x7f, 64);
	vt_blk_submit(&t, &t.vq[0], &r, BLK_T_GET_ID, 0, buf, 4);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 5);
	CHECK(memcmp(vt_ptr(&t, buf), "RVM-\x7f", 5) == 0);

	vt_blk_submit(&t, &t.vq[0], &r, 99, 0, buf, 16);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, NULL));
	CHECK_EQ(vt_status(&t, &r), 2); /* UNSUPP */
	vt_free(&t, b);
	return t_finish();
}
