/*
 * drive.h - QEMU-style -drive / -device virtio-blk-device / -cdrom /
 * -snapshot options, and opening a drive through the block layer.
 *
 * Use from main (CLI thread for parsing; drive_open on the reactor's thread
 * or before the reactor runs, from the thread that owns the loop):
 *
 *   struct drive_opts d;
 *   if (drive_parse(&d, optarg, err, sizeof(err)) < 0) -> print err, exit 1
 *   ... -cdrom F:  drive_parse_cdrom(&d, F)
 *   ... -device virtio-blk-device,drive=ID[,serial=S]:
 *       drive_device_parse(&dev, optarg, err, sizeof(err)), then attach the
 *       if=none drive whose id matches (drive_find) with dev.serial.
 *   if=virtio drives (the default) get a virtio-blk slot without -device.
 *   struct drive_open drv;
 *   if (drive_open(&drv, &d, global_snapshot, loop, err, sizeof(err)) < 0) ...
 *   virtio_blk_new(&dev, &host, drv.blk, &(struct virtio_blk_conf){
 *                  .serial = d.serial, .read_only = d.read_only });
 *   ... at exit: virtio_mmio_free(dev); drive_close(&drv);
 *
 * Every error is one sentence in err naming the option and what is wrong.
 * Errors are negative errno.
 */
#ifndef RINGVM_HW_VIRTIO_DRIVE_H
#define RINGVM_HW_VIRTIO_DRIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "aio/aio.h"

struct blk;
struct loop;

enum drive_if { DRIVE_IF_VIRTIO = 0, DRIVE_IF_NONE };
enum drive_cache {
	DRIVE_CACHE_WRITEBACK = 0, /* QEMU's default */
	DRIVE_CACHE_NONE,
	DRIVE_CACHE_UNSAFE,
	DRIVE_CACHE_DIRECTSYNC,
	DRIVE_CACHE_WRITETHROUGH,
};
enum drive_media { DRIVE_MEDIA_DISK = 0, DRIVE_MEDIA_CDROM };

/* Parsed options; strings are owned (drive_opts_free). */
struct drive_opts {
	char *file;
	char *format;             /* "raw" / "qcow2", NULL = probe */
	char *id;
	char *serial;
	enum drive_if iface;
	enum drive_cache cache;
	enum aio_engine_kind aio; /* AUTO unless aio= given */
	bool read_only;
	bool snapshot;
	enum drive_media media;
	bool discard;             /* discard=unmap */
};

/* Parse "file=...,format=...,..." (",," is a literal comma in values).
 * Returns 0 or -EINVAL with a sentence in err (opts then holds nothing). */
int drive_parse(struct drive_opts *o, const char *arg, char *err, size_t errlen);

/* -cdrom FILE: a read-only virtio drive with media=cdrom. */
int drive_parse_cdrom(struct drive_opts *o, const char *file, char *err, size_t errlen);

void drive_opts_free(struct drive_opts *o);

/* -device virtio-blk-device,drive=ID[,serial=S] */
struct drive_device {
	char *drive_id;
	char *serial; /* NULL = the drive's own serial= */
};
int drive_device_parse(struct drive_device *dev, const char *arg, char *err, size_t errlen);
void drive_device_free(struct drive_device *dev);

/* The drive with id among n parsed drives, or NULL. */
struct drive_opts *drive_find(struct drive_opts *drives, unsigned n, const char *id);

/* An open drive: the image and the aio engine it runs on (both owned). */
struct drive_open {
	struct blk *blk;
	struct aio_engine *engine;
	bool read_only;
};

/*
 * Open o's image on an aio engine of loop (aio= picks the engine): cache=
 * -> BLK_O_* flags, media=cdrom or readonly=on -> read-only, discard=unmap
 * -> BLK_O_DISCARD. With snapshot=on (or force_snapshot, the global
 * -snapshot) guest writes go to a temporary qcow2 overlay in $TMPDIR whose
 * backing file is the image; it is unlinked once open, so the writes vanish
 * at exit and the image's bytes never change.
 * Returns 0, or -errno with one sentence in err.
 */
int drive_open(struct drive_open *out, const struct drive_opts *o, bool force_snapshot,
	       struct loop *loop, char *err, size_t errlen);

/* Close the image, then the engine. Loop thread. */
void drive_close(struct drive_open *d);

#endif
