/*
 * drive.c - the -drive family of options and opening a drive.
 *
 * Parsing is pure (any thread, the CLI's in practice); drive_open and
 * drive_close run on the thread that owns the loop (before it runs or on
 * it), because opening an image runs the loop synchronously.
 *
 * Syntax follows QEMU's key=value lists: "a=1,b=x,,y" gives b = "x,y".
 * Unknown keys and bad values are refused with one sentence naming them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"
#include "hw/virtio/drive.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Next "key[=value]" item of *p (",," unescaped); NULL at the end. The
 * returned string is malloc'ed; *val points into it (NULL if no '='). */
static char *next_item(const char **p, char **val)
{
	const char *s = *p;
	size_t n = 0;
	char *out;

	if (!*s)
		return NULL;
	out = malloc(strlen(s) + 1);
	if (!out)
		return NULL;
	*val = NULL;
	for (; *s; s++) {
		if (*s == ',') {
			if (s[1] != ',')
				break;
			s++; /* ",," is a literal comma */
		}
		if (*s == '=' && !*val) {
			out[n++] = 0;
			*val = out + n;
			continue;
		}
		out[n++] = *s;
	}
	out[n] = 0;
	*p = *s ? s + 1 : s;
	return out;
}

static int parse_bool(const char *key, const char *v, bool *out, char *err, size_t errlen)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"))
		*out = false;
	else
		return fail(err, errlen, -EINVAL, "-drive: %s=%s: expected on or off", key, v);
	return 0;
}

/* value in names[] -> index, else -1 */
static int pick(const char *v, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int drive_key(struct drive_opts *o, const char *k, const char *v, char *err,
		     size_t errlen)
{
	static const char *const caches[] = { "writeback", "none", "unsafe", "directsync",
					      "writethrough", NULL };
	static const char *const aios[] = { "threads", "native", "io_uring", NULL };
	static const enum aio_engine_kind aio_kinds[] = { AIO_ENGINE_THREADS,
							  AIO_ENGINE_NATIVE, AIO_ENGINE_URING };
	int i;

	if (!strcmp(k, "file"))
		return set_str(&o->file, v);
	if (!strcmp(k, "id"))
		return set_str(&o->id, v);
	if (!strcmp(k, "serial")) {
		if (strlen(v) > 20)
			return fail(err, errlen, -EINVAL,
				    "-drive: serial=%s is longer than 20 characters", v);
		return set_str(&o->serial, v);
	}
	if (!strcmp(k, "format")) {
		if (strcmp(v, "raw") && strcmp(v, "qcow2"))
			return fail(err, errlen, -EINVAL,
				    "-drive: format=%s is not supported (use raw or qcow2)", v);
		return set_str(&o->format, v);
	}
	if (!strcmp(k, "if")) {
		if (!strcmp(v, "virtio"))
			o->iface = DRIVE_IF_VIRTIO;
		else if (!strcmp(v, "none"))
			o->iface = DRIVE_IF_NONE;
		else
			return fail(err, errlen, -EINVAL, "-drive: if=%s is not supported on this "
				    "machine (use if=virtio or if=none)", v);
		return 0;
	}
	if (!strcmp(k, "cache")) {
		if ((i = pick(v, caches)) < 0)
			return fail(err, errlen, -EINVAL, "-drive: cache=%s: expected none, "
				    "writeback, unsafe, directsync or writethrough", v);
		o->cache = (enum drive_cache)i;
		return 0;
	}
	if (!strcmp(k, "aio")) {
		if ((i = pick(v, aios)) < 0)
			return fail(err, errlen, -EINVAL,
				    "-drive: aio=%s: expected io_uring, native or threads", v);
		o->aio = aio_kinds[i];
		return 0;
	}
	if (!strcmp(k, "media")) {
		if (strcmp(v, "disk") && strcmp(v, "cdrom"))
			return fail(err, errlen, -EINVAL, "-drive: media=%s: expected disk or cdrom", v);
		o->media = strcmp(v, "cdrom") ? DRIVE_MEDIA_DISK : DRIVE_MEDIA_CDROM;
		return 0;
	}
	if (!strcmp(k, "discard")) {
		if (!strcmp(v, "unmap") || !strcmp(v, "on"))
			o->discard = true;
		else if (!strcmp(v, "ignore") || !strcmp(v, "off"))
			o->discard = false;
		else
			return fail(err, errlen, -EINVAL,
				    "-drive: discard=%s: expected unmap or ignore", v);
		return 0;
	}
	if (!strcmp(k, "readonly"))
		return parse_bool(k, v, &o->read_only, err, errlen);
	if (!strcmp(k, "snapshot"))
		return parse_bool(k, v, &o->snapshot, err, errlen);
	return fail(err, errlen, -EINVAL, "-drive: unknown option '%s' (known: file, format, "
		    "if, id, cache, aio, readonly, snapshot, media, discard, serial)", k);
}

int drive_parse(struct drive_opts *o, const char *arg, char *err, size_t errlen)
{
	const char *p = arg ? arg : "";
	char *item, *val;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	while (rc == 0 && (item = next_item(&p, &val))) {
		if (!*item)
			rc = fail(err, errlen, -EINVAL, "-drive: empty option in '%s'", arg);
		else if (!val)
			rc = fail(err, errlen, -EINVAL,
				  "-drive: '%s' needs a value (%s=...)", item, item);
		else
			rc = drive_key(o, item, val, err, errlen);
		if (rc == -ENOMEM)
			fail(err, errlen, rc, "-drive: out of memory");
		free(item);
	}
	if (rc == 0 && (!o->file || !*o->file))
		rc = fail(err, errlen, -EINVAL, "-drive: file= is missing (an empty drive is "
			  "not supported)");
	if (rc == 0 && o->iface == DRIVE_IF_NONE && !o->id)
		rc = fail(err, errlen, -EINVAL, "-drive %s: if=none needs id=... (for -device "
			  "virtio-blk-device,drive=ID)", o->file);
	if (rc == 0 && o->media == DRIVE_MEDIA_CDROM)
		o->read_only = true;
	if (rc < 0)
		drive_opts_free(o);
	return rc;
}

int drive_parse_cdrom(struct drive_opts *o, const char *file, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (!file || !*file)
		return fail(err, errlen, -EINVAL, "-cdrom needs a file name");
	o->file = strdup(file);
	if (!o->file)
		return fail(err, errlen, -ENOMEM, "-cdrom: out of memory");
	o->media = DRIVE_MEDIA_CDROM;
	o->read_only = true;
	return 0;
}

void drive_opts_free(struct drive_opts *o)
{
	free(o->file);
	free(o->format);
	free(o->id);
	free(o->serial);
	memset(o, 0, sizeof(*o));
}

int drive_device_parse(struct drive_device *dev, const char *arg, char *err, size_t errlen)
{
	const char *p = arg ? arg : "";
	char *item, *val;
	int rc = 0;
	bool first = true;

	memset(dev, 0, sizeof(*dev));
	while (rc == 0 && (item = next_item(&p, &val))) {
		if (first) {
			if (val || strcmp(item, "virtio-blk-device"))
				rc = fail(err, errlen, -EINVAL, "-device: '%s' is not a known device "
					  "(this build has virtio-blk-device)", item);
			first = false;
		} else if (val && !strcmp(item, "drive")) {
			rc = set_str(&dev->drive_id, val);
		} else if (val && !strcmp(item, "serial")) {
			rc = strlen(val) > 20 ? fail(err, errlen, -EINVAL, "-device: serial=%s is "
						     "longer than 20 characters", val)
					      : set_str(&dev->serial, val);
		} else {
			rc = fail(err, errlen, -EINVAL, "-device virtio-blk-device: unknown option "
				  "'%s' (known: drive, serial)", item);
		}
		free(item);
	}
	if (rc == 0 && first)
		rc = fail(err, errlen, -EINVAL, "-device needs a device name");
	if (rc == 0 && !dev->drive_id)
		rc = fail(err, errlen, -EINVAL, "-device virtio-blk-device: drive= is missing");
	if (rc < 0)
		drive_device_free(dev);
	return rc;
}

void drive_device_free(struct drive_device *dev)
{
	free(dev->drive_id);
	free(dev->serial);
	memset(dev, 0, sizeof(*dev));
}

struct drive_opts *drive_find(struct drive_opts *drives, unsigned n, const char *id)
{
	for (unsigned i = 0; i < n; i++)
		if (drives[i].id && id && !strcmp(drives[i].id, id))
			return &drives[i];
	return NULL;
}

/* ---- opening ------------------------------------------------------------ */

static unsigned cache_flags(enum drive_cache c)
{
	switch (c) {
	case DRIVE_CACHE_NONE: return BLK_O_DIRECT;
	case DRIVE_CACHE_UNSAFE: return BLK_O_NO_FLUSH;
	case DRIVE_CACHE_DIRECTSYNC: return BLK_O_DIRECT | BLK_O_WRITETHROUGH;
	case DRIVE_CACHE_WRITETHROUGH: return BLK_O_WRITETHROUGH;
	case DRIVE_CACHE_WRITEBACK: break;
	}
	return 0;
}

/*
 * -snapshot: 1. open the image read-only (checks it and learns its format),
 * 2. create a qcow2 overlay in $TMPDIR backed by the image's absolute path,
 * 3. open the overlay read-write, 4. unlink it (the open fd keeps it alive).
 */
static int open_snapshot(struct drive_open *out, const struct drive_opts *o,
			 unsigned flags, char *err, size_t errlen)
{
	struct blk_open_opts bo = { .filename = o->file, .format = o->format,
				    .flags = flags & ~BLK_O_RDWR };
	struct blk_create_opts co = { .format = "qcow2" };
	char tmp[PATH_MAX], abs[PATH_MAX], fmt[16];
	const char *dir = getenv("TMPDIR");
	struct blk *base;
	int fd, rc;

	rc = blk_open(&base, out->engine, &bo, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(fmt, sizeof(fmt), "%s", blk_format(base));
	blk_close(base);
	if (!realpath(o->file, abs))
		return fail(err, errlen, -errno, "-snapshot: cannot resolve '%s': %s", o->file,
			    strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s/ringvm-snapshot-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(tmp);
	if (fd < 0)
		return fail(err, errlen, -errno, "-snapshot: cannot create a temporary overlay "
			    "in %s: %s", dir && *dir ? dir : "/tmp", strerror(errno));
	close(fd);
	co.backing_file = abs;
	co.backing_fmt = fmt;
	rc = blk_create(tmp, &co, out->engine, err, errlen);
	if (rc == 0) {
		bo.filename = tmp;
		bo.format = "qcow2";
		bo.flags = flags | BLK_O_RDWR;
		rc = blk_open(&out->blk, out->engine, &bo, err, errlen);
	}
	unlink(tmp);
	return rc;
}

int drive_open(struct drive_open *out, const struct drive_opts *o, bool force_snapshot,
	       struct loop *loop, char *err, size_t errlen)
{
	bool ro = o->read_only || o->media == DRIVE_MEDIA_CDROM;
	unsigned flags = cache_flags(o->cache) | (o->discard ? BLK_O_DISCARD : 0);
	struct blk_open_opts bo = { .filename = o->file, .format = o->format };
	int rc;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = 0;
	if (!o->file)
		return fail(err, errlen, -EINVAL, "-drive: file= is missing");
	rc = aio_engine_open(&out->engine, loop, o->aio);
	if (rc < 0)
		return fail(err, errlen, rc, "-drive %s: aio engine %s is not available here: %s",
			    o->file, o->aio == AIO_ENGINE_URING ? "io_uring" :
			    o->aio == AIO_ENGINE_NATIVE ? "native" : "threads", strerror(-rc));
	if ((o->snapshot || force_snapshot) && !ro) {
		rc = open_snapshot(out, o, flags, err, errlen);
	} else {
		bo.flags = flags | (ro ? 0 : BLK_O_RDWR);
		rc = blk_open(&out->blk, out->engine, &bo, err, errlen);
	}
	if (rc < 0) {
		if (err && errlen && !err[0])
			fail(err, errlen, rc, "-drive: cannot open '%s': %s", o->file,
			     strerror(-rc));
		aio_engine_close(out->engine);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->read_only = ro;
	return 0;
}

void drive_close(struct drive_open *d)
{
	if (d->blk)
		blk_close(d->blk);
	if (d->engine)
		aio_engine_close(d->engine);
	memset(d, 0, sizeof(*d));
}
