/* RINGVM_VIRTIO_STATS=1: a device freed after three queue-depth-1 reads
 * prints one JSON line per request-path hop with the right sample counts
 * (the driver-to-next-notify hop needs a previous InterruptStatus read, so
 * it has one less), and that hop in guest instructions, counted from the
 * host's guest_insns between the InterruptStatus read and the next notify;
 * without the variable it prints nothing. */
#include "vt.h"

/* The fake hart's retired-instruction count. */
static uint64_t insns;

static uint64_t fake_insns(void *opaque)
{
	(void)opaque;
	return insns;
}

/* Three reads, each: kick, wait, read InterruptStatus, acknowledge. */
static void three_reads(struct vt *t)
{
	struct vt_vq *q = &t->vq[0];
	struct vt_breq r[3];
	uint64_t buf = vt_alloc(t, 4096, 4096);

	for (unsigned i = 0; i < 3; i++) {
		vt_blk_submit(t, q, &r[i], BLK_T_IN, 8 * i, buf, 4096);
		vt_kick(t, q);
		REQUIRE(vt_wait_used(t, q, 1));
		CHECK(vt_pop_used(t, q, NULL, NULL));
		CHECK_EQ(vt_status(t, &r[i]), 0);
		insns += 7; /* the guest's work before it reads the status: not counted */
		CHECK_EQ(vt_r32(t, 0x60), 1);
		vt_w32(t, 0x64, 1);
		insns += 1000 * (i + 1); /* from that read to the next notify */
	}
}

/* Run one device lifetime with stderr captured; returns the text. */
static char *run_captured(const char *name, char *out, size_t outlen)
{
	char path[4096], log[4096];
	struct vt t;
	struct blk *b;
	int fd, saved;
	ssize_t n;

	snprintf(log, sizeof(log), "%s/%s.err", t_tmpdir(), name);
	fd = open(log, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	vt_init(&t, 1 << 20);
	t.host.guest_insns = fake_insns;
	b = vt_raw_blk(&t, name, 1 << 20, BLK_O_RDWR, path);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	vt_bringup(&t, 0, 1, 128); /* no EVENT_IDX: every completion interrupts */
	three_reads(&t);
	fflush(stderr);
	saved = dup(2);
	REQUIRE(saved >= 0 && dup2(fd, 2) == 2);
	vt_free(&t, b); /* prints here */
	fflush(stderr);
	REQUIRE(dup2(saved, 2) == 2);
	close(saved);
	n = pread(fd, out, outlen - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = 0;
	return out;
}

static unsigned samples(const char *text, const char *hop)
{
	char key[128];
	const char *p;
	unsigned n = 0;

	snprintf(key, sizeof(key), "\"virtio-blk_%s_us\"", hop);
	p = strstr(text, key);
	if (!p || !(p = strstr(p, "\"samples\":")))
		return 0;
	sscanf(p + 10, "%u", &n);
	return n;
}

int main(void)
{
	static char text[8192];

	setenv("RINGVM_VIRTIO_STATS", "1", 1);
	run_captured("on.raw", text, sizeof(text));
	CHECK_EQ(samples(text, "notify_to_reactor"), 3);
	CHECK_EQ(samples(text, "device_io"), 3);
	CHECK_EQ(samples(text, "done_to_irq"), 3);
	CHECK_EQ(samples(text, "irq_to_driver"), 3);
	CHECK_EQ(samples(text, "driver_to_next_notify"), 2);
	CHECK(strstr(text, "\"suite\":\"virtio-hops\"") != NULL);
	CHECK(strstr(text, "\"mean_us\":") != NULL);
	/* two samples, 1000 and 2000 instructions (the third read has no
	 * next notify) */
	const char *p = strstr(text, "\"virtio-blk_driver_to_next_notify_insns\"");
	double mean = 0;
	unsigned n = 0;
	CHECK(p != NULL);
	if (p) {
		const char *m = strstr(p, "\"mean\":"), *c = strstr(p, "\"samples\":");
		CHECK(m && sscanf(m + 7, "%lf", &mean) == 1 && c && sscanf(c + 10, "%u", &n) == 1);
	}
	CHECK_EQ(n, 2);
	CHECK(mean == 1500);

	unsetenv("RINGVM_VIRTIO_STATS");
	run_captured("off.raw", text, sizeof(text));
	CHECK(strstr(text, "virtio-hops") == NULL);
	return t_finish();
}
