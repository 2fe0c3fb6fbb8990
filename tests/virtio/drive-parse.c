/* -drive / -device / -cdrom parsing: every option and value maps to the
 * struct; each bad input gives -EINVAL and one sentence naming it. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "hw/virtio/drive.h"

static void bad(const char *arg, const char *must_name)
{
	struct drive_opts o;
	char err[256] = "";
	int rc = drive_parse(&o, arg, err, sizeof(err));

	CHECK_EQ(rc, -EINVAL);
	if (!strstr(err, must_name) || strchr(err, '\n') || !err[0]) {
		fprintf(stderr, "for '%s': got '%s' (wanted a sentence naming '%s')\n", arg,
			err, must_name);
		t_failures++;
	}
	CHECK(o.file == NULL);
}

int main(void)
{
	struct drive_opts o;
	struct drive_device dev;
	char err[256];

	t_timeout(30);
	REQUIRE(drive_parse(&o, "file=a,,b.img,format=qcow2,if=none,id=d0,cache=none,"
			    "aio=native,readonly=on,snapshot=off,media=disk,discard=unmap,"
			    "serial=SN1", err, sizeof(err)) == 0);
	CHECK(!strcmp(o.file, "a,b.img"));
	CHECK(!strcmp(o.format, "qcow2"));
	CHECK_EQ(o.iface, DRIVE_IF_NONE);
	CHECK(!strcmp(o.id, "d0"));
	CHECK_EQ(o.cache, DRIVE_CACHE_NONE);
	CHECK_EQ(o.aio, AIO_ENGINE_NATIVE);
	CHECK(o.read_only);
	CHECK(!o.snapshot);
	CHECK(o.discard);
	CHECK(!strcmp(o.serial, "SN1"));
	drive_opts_free(&o);

	REQUIRE(drive_parse(&o, "file=x.raw", err, sizeof(err)) == 0);
	CHECK_EQ(o.iface, DRIVE_IF_VIRTIO);
	CHECK_EQ(o.cache, DRIVE_CACHE_WRITEBACK);
	CHECK_EQ(o.aio, AIO_ENGINE_AUTO);
	CHECK(o.format == NULL && !o.read_only && !o.snapshot && !o.discard);
	drive_opts_free(&o);

	REQUIRE(drive_parse(&o, "file=c.iso,media=cdrom,cache=directsync,aio=io_uring,"
			    "snapshot=on,discard=ignore", err, sizeof(err)) == 0);
	CHECK(o.read_only);
	CHECK(o.snapshot);
	CHECK_EQ(o.cache, DRIVE_CACHE_DIRECTSYNC);
	CHECK_EQ(o.aio, AIO_ENGINE_URING);
	drive_opts_free(&o);
	REQUIRE(drive_parse(&o, "file=y,cache=unsafe,aio=threads", err, sizeof(err)) == 0);
	CHECK_EQ(o.cache, DRIVE_CACHE_UNSAFE);
	CHECK_EQ(o.aio, AIO_ENGINE_THREADS);
	drive_opts_free(&o);
	REQUIRE(drive_parse(&o, "file=y,cache=writethrough", err, sizeof(err)) == 0);
	CHECK_EQ(o.cache, DRIVE_CACHE_WRITETHROUGH);
	drive_opts_free(&o);

	bad("file=x,bogus=1", "bogus");
	bad("file=x,format=vmdk", "vmdk");
	bad("file=x,if=ide", "if=ide");
	bad("file=x,cache=fast", "cache=fast");
	bad("file=x,aio=posix", "aio=posix");
	bad("file=x,readonly=maybe", "readonly=maybe");
	bad("file=x,snapshot=2", "snapshot=2");
	bad("file=x,media=floppy", "media=floppy");
	bad("file=x,discard=sometimes", "discard=sometimes");
	bad("file=x,serial=012345678901234567890", "serial=");
	bad("format=raw", "file=");
	bad("file=", "file=");
	bad("file=x,readonly", "readonly");
	bad(",file=x", "empty");
	bad("file=x,if=none", "id=");
	/* ",," at the end keeps the comma in the value. */
	REQUIRE(drive_parse(&o, "file=x,,", err, sizeof(err)) == 0);
	CHECK(!strcmp(o.file, "x,"));
	drive_opts_free(&o);

	REQUIRE(drive_parse_cdrom(&o, "/tmp/a.iso", err, sizeof(err)) == 0);
	CHECK(o.read_only);
	CHECK_EQ(o.media, DRIVE_MEDIA_CDROM);
	drive_opts_free(&o);

	REQUIRE(drive_device_parse(&dev, "virtio-blk-device,drive=d0,serial=S9", err,
				   sizeof(err)) == 0);
	CHECK(!strcmp(dev.drive_id, "d0"));
	CHECK(!strcmp(dev.serial, "S9"));
	drive_device_free(&dev);
	CHECK_EQ(drive_device_parse(&dev, "virtio-net-device,drive=d0", err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "virtio-net-device") != NULL);
	CHECK_EQ(drive_device_parse(&dev, "virtio-blk-device", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "drive=") != NULL);
	CHECK_EQ(drive_device_parse(&dev, "virtio-blk-device,drive=d0,bootindex=1", err,
				     sizeof(err)), -EINVAL);
	CHECK(strstr(err, "bootindex") != NULL);

	struct drive_opts ds[2];
	REQUIRE(drive_parse(&ds[0], "file=a,id=one,if=none", err, sizeof(err)) == 0);
	REQUIRE(drive_parse(&ds[1], "file=b,id=two,if=none", err, sizeof(err)) == 0);
	CHECK(drive_find(ds, 2, "two") == &ds[1]);
	CHECK(drive_find(ds, 2, "three") == NULL);
	drive_opts_free(&ds[0]);
	drive_opts_free(&ds[1]);
	return t_finish();
}
