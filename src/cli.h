/*
 * cli.h - the ringvm command line (QEMU spellings), parsed into options.
 * Main thread only. See docs/cli.md for every option.
 */
#ifndef RINGVM_CLI_H
#define RINGVM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "char/backends.h"
#include "hw/virtio/drive.h"
#include "net/net.h"

#define CLI_MAX_CHARDEV 8
#define CLI_MAX_DRIVES 8 /* one per virtio-mmio slot at most */
#define CLI_MAX_NET 8

/* -device virtio-net-device,netdev=ID[,mac=MAC] */
struct cli_net_device {
	char netdev[64];
	uint8_t mac[6];
	bool has_mac;
};
#define CLI_MAX_SERIAL 4 /* = VIRT_UART_MAX */

struct cli_opts {
	uint64_t ram_size;      /* bytes; default 128 MiB like QEMU's virt */
	bool mem_prealloc;      /* -mem-prealloc */
	unsigned smp;
	const char *bios;       /* path; NULL = none; default: Debian's OpenSBI */
	bool bios_default;      /* no -bios given (or -bios default) */
	const char *kernel, *initrd, *append;
	struct chr_spec serial;  /* the UART's line (-serial; default stdio) */
	bool serial_none;        /* -serial none: no backend */
	/* Each further -serial adds a UART (ttyS1...); see docs/chardev.md. */
	struct chr_spec serial_extra[CLI_MAX_SERIAL - 1];
	unsigned n_serial_extra;
	/* -monitor DEV: has_monitor; "none" sets monitor_none (no monitor).
	 * Without it a -serial mon:... line carries the monitor. */
	struct chr_spec monitor;
	bool has_monitor, monitor_none;
	struct chr_spec chardev[CLI_MAX_CHARDEV]; /* -chardev, parsed */
	unsigned n_chardev;
	bool no_reboot;
	const char *dumpdtb;     /* -machine virt,dumpdtb=PATH: write the FDT, exit */
	struct drive_opts drive[CLI_MAX_DRIVES]; /* -drive, -cdrom (owned strings) */
	unsigned n_drive;
	struct drive_device blkdev[CLI_MAX_DRIVES]; /* -device virtio-blk-device */
	unsigned n_blkdev;
	unsigned n_rng;          /* -device virtio-rng-device */
	bool snapshot;           /* -snapshot */
	bool accel_jit, accel_check; /* -accel jit[,check=on] */
	const char *netdev[CLI_MAX_NET]; /* -netdev specs (checked; parsed again by main) */
	unsigned n_netdev;
	struct net_nic_opts nic[CLI_MAX_NET]; /* -nic (none: no NIC) */
	unsigned n_nic;
	struct cli_net_device netdevice[CLI_MAX_NET]; /* -device virtio-net-device */
	unsigned n_netdevice;
	bool help, version;     /* print and exit 0 */
};

/* Free what cli_parse allocated (drive strings). */
void cli_opts_free(struct cli_opts *o);

/*
 * Parse argv into *o. Returns 0, or -1 with one sentence (no trailing
 * newline, no "ringvm:" prefix) in err. Pointers in *o point into argv;
 * drive options are owned: cli_opts_free(o) in every case.
 */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);

/*
 * Parse a size: a number with an optional K/M/G/T suffix (powers of 1024;
 * a trailing "B" or "iB" is allowed); a bare number means MiB, as QEMU's
 * -m. Returns 0 or -1.
 */
int cli_parse_size(const char *s, uint64_t *out);

/* Print the help text. */
void cli_usage(FILE *f);

#endif
