/* snapshot=on and the global -snapshot: guest writes go to a temporary qcow2
 * overlay (unlinked at once: nothing left in $TMPDIR), read back through the
 * device, and the image stays byte-identical (raw and qcow2 images). */
#include <dirent.h>
#include <sys/stat.h>

#include "hw/virtio/drive.h"
#include "vt.h"

static unsigned files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	REQUIRE(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	REQUIRE(fd >= 0 && fstat(fd, &st) == 0);
	p = malloc(st.st_size + 1);
	REQUIRE(p && pread(fd, p, st.st_size, 0) == st.st_size);
	close(fd);
	*len = st.st_size;
	return p;
}

static void run(struct vt *t, const char *image, const char *arg, bool force)
{
	struct drive_opts o;
	struct drive_open d;
	struct vt_breq r;
	char err[512], tmpdir[4096];
	uint8_t *before, *after;
	size_t lb, la;
	uint64_t buf;

	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", t_tmpdir());
	mkdir(tmpdir, 0700);
	setenv("TMPDIR", tmpdir, 1);
	before = slurp(image, &lb);
	REQUIRE(drive_parse(&o, arg, err, sizeof(err)) == 0);
	if (drive_open(&d, &o, force, t->loop, err, sizeof(err)) < 0) {
		fprintf(stderr, "drive_open: %s\n", err);
		REQUIRE(!"drive_open failed");
	}
	CHECK(!strcmp(blk_format(d.blk), "qcow2"));
	CHECK(!blk_read_only(d.blk));
	CHECK_EQ(files_in(tmpdir), 0);

	REQUIRE(virtio_blk_new(&t->d, &t->host, d.blk, NULL) == 0);
	vt_bringup(t, F_EVENT_IDX, 1, 16);
	buf = vt_alloc(t, 4096, 4096);
	memset(vt_ptr(t, buf), 0xc3, 4096);
	vt_blk_submit(t, &t->vq[0], &r, BLK_T_OUT, 0, buf, 4096);
	vt_kick(t, &t->vq[0]);
	REQUIRE(vt_wait_used(t, &t->vq[0], 1));
	vt_pop_used(t, &t->vq[0], NULL, NULL);
	CHECK_EQ(vt_status(t, &r), 0);
	memset(vt_ptr(t, buf), 0, 4096);
	vt_blk_submit(t, &t->vq[0], &r, BLK_T_IN, 0, buf, 4096);
	vt_kick(t, &t->vq[0]);
	REQUIRE(vt_wait_used(t, &t->vq[0], 1));
	vt_pop_used(t, &t->vq[0], NULL, NULL);
	CHECK_EQ(((uint8_t *)vt_ptr(t, buf))[100], 0xc3);
	vt_blk_submit(t, &t->vq[0], &r, BLK_T_IN, 8, buf, 4096); /* untouched part */
	vt_kick(t, &t->vq[0]);
	REQUIRE(vt_wait_used(t, &t->vq[0], 1));
	vt_pop_used(t, &t->vq[0], NULL, NULL);
	CHECK_EQ(((uint8_t *)vt_ptr(t, buf))[0], (uint8_t)(4096 * 7 + 3));

	virtio_mmio_free(t->d);
	t->d = NULL;
	drive_close(&d);
	drive_opts_free(&o);
	after = slurp(image, &la);
	CHECK_EQ(la, lb);
	CHECK(memcmp(before, after, lb) == 0);
	CHECK_EQ(files_in(tmpdir), 0);
	free(before);
	free(after);
}

int main(void)
{
	struct vt t;
	struct blk *b;
	char raw[4096], qc[4096], arg[8300], err[512];
	struct blk_create_opts co = { .format = "qcow2", .size = 1 << 20 };

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "base.raw", 1 << 20, BLK_O_RDWR, raw);
	blk_close(b);
	snprintf(arg, sizeof(arg), "file=%s,format=raw,snapshot=on", raw);
	run(&t, raw, arg, false);
	snprintf(arg, sizeof(arg), "file=%s", raw);
	run(&t, raw, arg, true); /* global -snapshot, format probed */

	/* A qcow2 image holding the same pattern. */
	snprintf(qc, sizeof(qc), "%s/base.qcow2", t_tmpdir());
	REQUIRE(blk_create(qc, &co, t.eng, err, sizeof(err)) == 0);
	{
		struct blk_open_opts oo = { .filename = qc, .format = "qcow2", .flags = BLK_O_RDWR };
		static uint8_t pat[1 << 20];

		REQUIRE(blk_open(&b, t.eng, &oo, err, sizeof(err)) == 0);
		for (unsigned i = 0; i < sizeof(pat); i++)
			pat[i] = (uint8_t)(i * 7 + 3);
		REQUIRE(blk_pwrite(b, 0, pat, sizeof(pat)) == 0);
		blk_close(b);
	}
	snprintf(arg, sizeof(arg), "file=%s,format=qcow2,snapshot=on,cache=none", qc);
	run(&t, qc, arg, false);
	vt_free(&t, NULL);
	return t_finish();
}
