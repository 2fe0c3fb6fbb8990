/* virtio-console on a chardev (the stdio backend on pipes): bytes written
 * into the input pipe reach the guest's receive buffers once the driver
 * posts them (input held until then), guest output comes out of the output
 * pipe. */
#include "char/char.h"
#include "vt.h"

int main(void)
{
	struct vt t;
	struct chr_dev *chr;
	int in[2], out[2];
	struct chr_stdio_opts so = { 0 };
	struct vt_seg seg;
	uint64_t rx, tx;
	char got[16] = "";
	uint32_t len = 0;
	ssize_t n = -1;

	vt_init(&t, 1 << 20);
	REQUIRE(pipe(in) == 0 && pipe(out) == 0);
	so.in_fd = in[0];
	so.out_fd = out[1];
	REQUIRE(chr_stdio_open(&chr, t.loop, &so) == 0);
	REQUIRE(virtio_console_new_chr(&t.d, &t.host, chr) == 0);

	/* Input before the driver is ready is held, not lost. */
	REQUIRE(write(in[1], "ping", 4) == 4);
	vt_run(&t, 5);
	vt_bringup(&t, F_EVENT_IDX, 2, 16);
	rx = vt_alloc(&t, 64, 8);
	seg = (struct vt_seg){ rx, 64, D_WRITE };
	vt_add(&t, &t.vq[0], &seg, 1);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 4);
	CHECK(memcmp(vt_ptr(&t, rx), "ping", 4) == 0);

	tx = vt_alloc(&t, 16, 8);
	memcpy(vt_ptr(&t, tx), "pong\n", 5);
	seg = (struct vt_seg){ tx, 5, 0 };
	vt_add(&t, &t.vq[1], &seg, 1);
	vt_kick(&t, &t.vq[1]);
	REQUIRE(vt_wait_used(&t, &t.vq[1], 1));
	for (int i = 0; i < 100 && n < 5; i++) {
		vt_run(&t, 1);
		n = read(out[0], got, sizeof(got)); /* blocking pipe: data is there */
	}
	CHECK_EQ(n, 5);
	CHECK(memcmp(got, "pong\n", 5) == 0);
	virtio_mmio_free(t.d);
	t.d = NULL;
	chr_close(chr);
	vt_free(&t, NULL);
	return t_finish();
}
