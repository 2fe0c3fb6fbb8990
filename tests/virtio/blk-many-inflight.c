/* Many requests in flight with the reactor on its own thread and the test
 * thread as the vCPU: 2000 random 4 KiB reads and writes through a 256-entry
 * queue, up to 80 outstanding; every write lands, every read returns the
 * bytes a model of the disk predicts. */
#include "vt.h"

#define DISK (4u << 20)
#define NREQ 2000

struct slot {
	struct vt_breq r;
	uint64_t buf;
	uint32_t sector;
	bool write, busy;
	uint8_t fill;
};

static uint8_t model[DISK];

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_vq *q;
	static struct slot sl[256];
	unsigned issued = 0, done = 0, out = 0, maxout = 0;
	uint32_t id;

	vt_init(&t, 8 << 20);
	b = vt_raw_blk(&t, "disk.raw", DISK, BLK_O_RDWR, NULL);
	for (uint32_t i = 0; i < DISK; i++)
		model[i] = (uint8_t)(i * 7 + 3);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	vt_bringup(&t, F_EVENT_IDX, 1, 256);
	q = &t.vq[0];
	/* Pre-allocate headers/buffers per descriptor head. */
	for (int i = 0; i < 256; i++)
		sl[i].buf = vt_alloc(&t, 4096, 4096);
	vt_start_reactor(&t);

	while (done < NREQ) {
		/* Issue a batch, but never two requests on one 4 KiB block at once:
		 * keep it simple by giving each slot its own region when writing. */
		unsigned batch = 0;

		while (issued < NREQ && out < 80 && batch < 16) {
			uint32_t blkno = (uint32_t)(t_rand() % (DISK / 4096));
			bool conflict = false;

			for (int i = 0; i < 256; i++)
				if (sl[i].busy && sl[i].sector == blkno * 8)
					conflict = true;
			if (conflict)
				break;
			/* The head is the first free descriptor; the slot is keyed by it. */
			unsigned h = 0;
			while (q->busy[h])
				h++;
			struct slot *s = &sl[h];
			s->write = t_rand() & 1;
			s->sector = blkno * 8;
			s->fill = (uint8_t)t_rand();
			if (s->write)
				memset(vt_ptr(&t, s->buf), s->fill, 4096);
			vt_blk_submit(&t, q, &s->r, s->write ? BLK_T_OUT : BLK_T_IN, s->sector,
				      s->buf, 4096);
			REQUIRE(s->r.head == h);
			s->busy = true;
			issued++;
			out++;
			batch++;
		}
		if (out > maxout)
			maxout = out;
		vt_kick(&t, q);
		while (!vt_pop_used(&t, q, &id, NULL))
			usleep(50);
		do {
			struct slot *s = &sl[id];

			REQUIRE(id < 256 && s->busy);
			CHECK_EQ(vt_status(&t, &s->r), 0);
			if (s->write)
				memset(model + s->sector * 512, s->fill, 4096);
			else if (memcmp(vt_ptr(&t, s->buf), model + s->sector * 512, 4096))
				CHECK(!"read returned unexpected data");
			s->busy = false;
			done++;
			out--;
		} while (vt_pop_used(&t, q, &id, NULL));
	}
	fprintf(stderr, "max outstanding %u\n", maxout);
	CHECK(maxout >= 16);
	vt_stop_reactor(&t);
	vt_free(&t, b);
	return t_finish();
}
