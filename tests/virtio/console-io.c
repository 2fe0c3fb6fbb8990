/* virtio-console, one port: guest -> host bytes reach the backend in order
 * even when it takes them a few at a time (write_ready resumes); host ->
 * guest bytes land in the posted receive buffers, rx_ready fires when the
 * guest posts buffers. */
#include "vt.h"

struct sink {
	uint8_t buf[8192];
	size_t len, limit; /* accept at most limit per call (0 = all) */
	bool stalled;
	int rx_ready;
};

static size_t sink_write(void *opaque, const uint8_t *b, size_t n)
{
	struct sink *s = opaque;

	if (s->stalled)
		return 0;
	if (s->limit && n > s->limit) {
		n = s->limit;
		s->stalled = true; /* take a little, then push back */
	}
	memcpy(s->buf + s->len, b, n);
	s->len += n;
	return n;
}

static void sink_rx_ready(void *opaque)
{
	((struct sink *)opaque)->rx_ready++;
}

int main(void)
{
	struct vt t;
	struct sink s = { .limit = 5 };
	struct virtio_console_backend be = { sink_write, sink_rx_ready, &s };
	struct vt_seg seg[2];
	uint64_t tx1, tx2, rx;
	uint32_t len;

	vt_init(&t, 1 << 20);
	REQUIRE(virtio_console_new(&t.d, &t.host, &be) == 0);
	CHECK_EQ(vt_r32(&t, 0x008), 3);
	CHECK_EQ(virtio_console_can_receive(t.d), 0); /* driver not ready */
	vt_bringup(&t, F_EVENT_IDX, 2, 16);

	/* TX: two chains; the sink takes 5 bytes then stalls. */
	tx1 = vt_alloc(&t, 64, 8);
	tx2 = vt_alloc(&t, 64, 8);
	memcpy(vt_ptr(&t, tx1), "hello, ", 7);
	memcpy(vt_ptr(&t, tx2), "world", 5);
	seg[0] = (struct vt_seg){ tx1, 7, 0 };
	vt_add(&t, &t.vq[1], seg, 1);
	seg[0] = (struct vt_seg){ tx2, 5, 0 };
	vt_add(&t, &t.vq[1], seg, 1);
	vt_kick(&t, &t.vq[1]);
	vt_run(&t, 3);
	CHECK_EQ(s.len, 5);
	CHECK_EQ(vt_used_idx(&t, &t.vq[1]), 0); /* first chain not done yet */
	s.stalled = false;
	s.limit = 0;
	virtio_console_write_ready(t.d);
	REQUIRE(vt_wait_used(&t, &t.vq[1], 2));
	CHECK_EQ(s.len, 12);
	CHECK(memcmp(s.buf, "hello, world", 12) == 0);

	/* RX: the guest posts one 4-byte and one 16-byte buffer. */
	rx = vt_alloc(&t, 32, 8);
	seg[0] = (struct vt_seg){ rx, 4, D_WRITE };
	vt_add(&t, &t.vq[0], seg, 1);
	seg[0] = (struct vt_seg){ rx + 8, 16, D_WRITE };
	vt_add(&t, &t.vq[0], seg, 1);
	vt_kick(&t, &t.vq[0]);
	vt_run(&t, 2);
	CHECK(s.rx_ready >= 1);
	CHECK_EQ(virtio_console_can_receive(t.d), 4);
	CHECK_EQ(virtio_console_receive(t.d, (const uint8_t *)"abcdefgh", 8), 8);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 2));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 4);
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 4);
	CHECK(memcmp(vt_ptr(&t, rx), "abcd", 4) == 0);
	CHECK(memcmp(vt_ptr(&t, rx + 8), "efgh", 4) == 0);
	CHECK_EQ(virtio_console_can_receive(t.d), 0); /* no buffers left */
	CHECK_EQ(virtio_console_receive(t.d, (const uint8_t *)"x", 1), 0);
	CHECK(t.irq_level);
	vt_free(&t, NULL);
	return t_finish();
}
