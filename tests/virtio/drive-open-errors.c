/* drive_open failures come back as -errno with one sentence naming the
 * file: missing file, format mismatch, an image locked by another writer,
 * a read-only file opened read-write (not as root: root bypasses modes). */
#include <sys/stat.h>

#include "hw/virtio/drive.h"
#include "vt.h"

static void bad(struct vt *t, const char *arg, const char *must_name)
{
	struct drive_opts o;
	struct drive_open d;
	char err[512] = "";
	int rc;

	REQUIRE(drive_parse(&o, arg, err, sizeof(err)) == 0);
	rc = drive_open(&d, &o, false, t->loop, err, sizeof(err));
	CHECK(rc < 0);
	if (!err[0] || strchr(err, '\n') || !strstr(err, must_name)) {
		fprintf(stderr, "for '%s': got '%s'\n", arg, err);
		t_failures++;
	}
	fprintf(stderr, "ok: %s -> %s\n", arg, err);
	CHECK(d.blk == NULL && d.engine == NULL);
	drive_opts_free(&o);
}

int main(void)
{
	struct vt t;
	struct blk *b;
	struct drive_opts o;
	struct drive_open d;
	char raw[4096], arg[8300], err[512];

	vt_init(&t, 1 << 16);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, raw);
	blk_close(b);

	snprintf(arg, sizeof(arg), "file=%s/nope.img", t_tmpdir());
	bad(&t, arg, "nope.img");
	snprintf(arg, sizeof(arg), "file=%s,format=qcow2", raw);
	bad(&t, arg, "disk.raw");

	/* Locked: a second writer on the same image is refused. */
	snprintf(arg, sizeof(arg), "file=%s,format=raw", raw);
	REQUIRE(drive_parse(&o, arg, err, sizeof(err)) == 0);
	REQUIRE(drive_open(&d, &o, false, t.loop, err, sizeof(err)) == 0);
	bad(&t, arg, "disk.raw");
	drive_close(&d);
	/* ...and accepted again once the first closed. */
	REQUIRE(drive_open(&d, &o, false, t.loop, err, sizeof(err)) == 0);
	drive_close(&d);
	drive_opts_free(&o);

	if (geteuid() != 0) {
		chmod(raw, 0444);
		bad(&t, arg, "disk.raw");
		/* readonly=on opens it fine. */
		snprintf(arg, sizeof(arg), "file=%s,format=raw,readonly=on", raw);
		REQUIRE(drive_parse(&o, arg, err, sizeof(err)) == 0);
		CHECK(drive_open(&d, &o, false, t.loop, err, sizeof(err)) == 0);
		drive_close(&d);
		drive_opts_free(&o);
	} else {
		fprintf(stderr, "running as root: read-only file mode case skipped\n");
	}
	vt_free(&t, NULL);
	return t_finish();
}
