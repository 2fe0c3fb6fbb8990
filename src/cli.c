/*
 * cli.c - command-line parsing for the ringvm program (QEMU habits: -m
 * sizes default to MiB, -M/-machine, -nographic, "--opt" equals "-opt").
 * Main thread only; every error is one sentence for the caller to print.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_BIOS "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

void cli_usage(FILE *f)
{
	fprintf(f,
		"usage: ringvm [options]\n"
		"RISC-V RV64GC full-system emulator (QEMU 'virt' compatible board)\n\n"
		"  -M, -machine virt[,dumpdtb=PATH]  the machine (only 'virt'); dumpdtb\n"
		"                       writes its device tree to PATH and exits\n"
		"  -m SIZE              guest RAM: 512M, 2G... (bare number = MiB; default 128M)\n"
		"  -mem-prealloc        back all guest RAM at start (fail now if the host\n"
		"                       cannot; no host page faults later)\n"
		"  -smp 1               number of harts (only 1 for now)\n"
		"  -bios PATH|none      M-mode firmware (default: Debian's OpenSBI fw_dynamic);\n"
		"                       'none' runs the -kernel payload directly in M-mode\n"
		"  -kernel PATH         Linux Image or ELF/flat payload\n"
		"  -initrd PATH         initial ramdisk\n"
		"  -append STRING       kernel command line\n"
		"  -serial DEV          where the UART goes (repeat: ttyS1.. up to 4): stdio (default), null, none, pty,\n"
		"                       file:PATH, pipe:PATH, tcp:[HOST]:PORT[,server,nowait],\n"
		"                       unix:PATH[,server,nowait], chardev:ID, mon:DEV\n"
		"  -chardev BACKEND,id=ID[,...]  a host character device (docs/chardev.md)\n"
		"  -monitor DEV         the human monitor on DEV (same forms as -serial);\n"
		"                       -serial mon:DEV shares the line (C-a c switches)\n"
		"  -nographic           no display; serial and monitor on stdio (C-a c switches,\n"
		"                       C-a h for escapes) unless -serial/-monitor say otherwise\n"
		"  -display none        no display\n"
		"  -drive file=PATH[,format=raw|qcow2][,if=virtio|none][,id=ID][,cache=...]\n"
		"                       [,readonly=on][,snapshot=on]...  a virtio-blk disk\n"
		"  -cdrom PATH          a read-only virtio-blk disk\n"
		"  -snapshot            guest writes to every disk go to a temporary overlay\n"
		"  -device virtio-blk-device,drive=ID[,serial=S] | virtio-rng-device\n"
		"  -netdev tap|socket|hubport,id=ID[,...]  a network backend (docs/net.md)\n"
		"  -device virtio-net-device,netdev=ID[,mac=52:54:00:12:34:56]  a NIC on it\n"
		"  -nic tap|socket|hubport[,...][,mac=MAC] | none  backend + NIC in one\n"
		"  -no-reboot           exit instead of rebooting when the guest resets\n"
		"  -accel jit[,check=on]|interp  the CPU engine (default jit on x86-64 hosts;\n"
		"                       'tcg' = interp; check=on re-runs each JIT block in\n"
		"                       the interpreter and stops at the first difference)\n"
		"  -h, --help           this help\n"
		"  --version            the version\n\n"
		"Exit status: the guest's poweroff code (sifive,test), 0 for C-a x,\n"
		"128+N on signal N, 1 on a usage or start-up error.\n");
}

static int err_out(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int err_out(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long whole = 0, frac = 0, frac_div = 1;
	const char *p = s;
	unsigned shift = 20;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (unsigned)(*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			if (frac_div < 1000000000ull) {
				frac = frac * 10 + (unsigned)(*p - '0');
				frac_div *= 10;
			}
	}
	switch (toupper((unsigned char)*p)) {
	case 'K': shift = 10; p++; break;
	case 'M': shift = 20; p++; break;
	case 'G': shift = 30; p++; break;
	case 'T': shift = 40; p++; break;
	case 'B': shift = 0; break; /* "4096B": bytes */
	case '\0': break;
	default: return -1;
	}
	if (shift && (*p == 'i' || *p == 'I'))
		p++;
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p)
		return -1;
	if (whole > (UINT64_MAX >> shift))
		return -1;
	*out = (whole << shift) + (uint64_t)(((unsigned __int128)frac << shift) / frac_div);
	return 0;
}

/* Options that take an argument. */
static const char *const with_arg[] = {
	"-M", "-machine", "-m", "-smp", "-bios", "-kernel", "-initrd", "-append",
	"-serial", "-chardev", "-display", "-accel", "-drive", "-cdrom", "-device",
	"-netdev", "-nic", "-monitor", NULL,
};

static bool takes_arg(const char *opt)
{
	for (unsigned i = 0; with_arg[i]; i++)
		if (!strcmp(opt, with_arg[i]))
			return true;
	return false;
}

/* "-m size=512M" and "-smp cpus=1" are QEMU spellings too. */
static const char *strip_key(const char *v, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(v, key, n) && v[n] == '=' ? v + n + 1 : v;
}

static int net_option(const char *opt, const char *v, struct cli_opts *o, char *err,
		      size_t errlen);

static int opt_with_arg(const char *opt, const char *v, struct cli_opts *o,
			char *err, size_t errlen, int *serial_seen)
{
	uint64_t n;

	if (!strcmp(opt, "-M") || !strcmp(opt, "-machine")) {
		v = strip_key(v, "type");
		if (!strncmp(v, "virt,dumpdtb=", 13) && v[13] && !strchr(v + 13, ',')) {
			o->dumpdtb = v + 13;
			return 0;
		}
		if (!strncmp(v, "virt,", 5))
			return err_out(err, errlen, "%s '%s': the virt machine takes only the "
				       "dumpdtb=PATH property", opt, v);
		if (strcmp(v, "virt"))
			return err_out(err, errlen, "%s '%s': only the 'virt' machine exists", opt, v);
	} else if (!strcmp(opt, "-m")) {
		v = strip_key(v, "size");
		if (cli_parse_size(v, &o->ram_size) < 0)
			return err_out(err, errlen, "invalid memory size '%s' for -m "
				       "(examples: 512M, 2G; a bare number is MiB)", v);
	} else if (!strcmp(opt, "-smp")) {
		char *end;

		v = strip_key(v, "cpus");
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno || *end || end == v || n == 0)
			return err_out(err, errlen, "invalid hart count '%s' for -smp", v);
		if (n > 1)
			return err_out(err, errlen, "-smp %s: only one hart is supported for now; "
				       "use -smp 1", v);
		o->smp = (unsigned)n;
	} else if (!strcmp(opt, "-bios")) {
		o->bios_default = !strcmp(v, "default");
		o->bios = !strcmp(v, "none") ? NULL : o->bios_default ? DEFAULT_BIOS : v;
	} else if (!strcmp(opt, "-kernel")) {
		o->kernel = v;
	} else if (!strcmp(opt, "-initrd")) {
		o->initrd = v;
	} else if (!strcmp(opt, "-append")) {
		o->append = v;
	} else if (!strcmp(opt, "-serial")) {
		char cerr[256];

		bool none = false;

		if (*serial_seen == CLI_MAX_SERIAL)
			return err_out(err, errlen, "at most %d -serial options are supported "
				       "(one UART each)", CLI_MAX_SERIAL);
		if ((*serial_seen)++ == 0) {
			if (chr_parse_serial(v, &o->serial, &o->serial_none, cerr,
					     sizeof(cerr)) < 0)
				return err_out(err, errlen, "-serial: %s", cerr);
			return 0;
		}
		if (chr_parse_serial(v, &o->serial_extra[o->n_serial_extra], &none, cerr,
				     sizeof(cerr)) < 0)
			return err_out(err, errlen, "-serial: %s", cerr);
		if (none || o->serial_none)
			return err_out(err, errlen, "-serial none cannot be combined with "
				       "another -serial (use -serial null for an unconnected port)");
		o->n_serial_extra++;
	} else if (!strcmp(opt, "-monitor")) {
		char cerr[256];

		if (chr_parse_serial(v, &o->monitor, &o->monitor_none, cerr, sizeof(cerr)) < 0)
			return err_out(err, errlen, "-monitor: %s", cerr);
		o->has_monitor = true;
	} else if (!strcmp(opt, "-chardev")) {
		char cerr[256];

		if (o->n_chardev == CLI_MAX_CHARDEV)
			return err_out(err, errlen, "at most %d -chardev options are supported",
				       CLI_MAX_CHARDEV);
		if (chr_parse_chardev(v, &o->chardev[o->n_chardev], cerr, sizeof(cerr)) < 0)
			return err_out(err, errlen, "-chardev: %s", cerr);
		o->n_chardev++;
	} else if (!strcmp(opt, "-drive") || !strcmp(opt, "-cdrom")) {
		if (o->n_drive == CLI_MAX_DRIVES)
			return err_out(err, errlen, "at most %d drives are supported", CLI_MAX_DRIVES);
		if ((opt[1] == 'd' ? drive_parse(&o->drive[o->n_drive], v, err, errlen)
				   : drive_parse_cdrom(&o->drive[o->n_drive], v, err, errlen)) < 0)
			return -1;
		o->n_drive++;
	} else if (!strcmp(opt, "-netdev") || !strcmp(opt, "-nic") ||
		   (!strcmp(opt, "-device") && !strncmp(v, "virtio-net", 10))) {
		return net_option(opt, v, o, err, errlen);
	} else if (!strcmp(opt, "-device")) {
		if (!strcmp(v, "virtio-rng-device") || !strcmp(v, "virtio-rng")) {
			o->n_rng++;
			return 0;
		}
		if (o->n_blkdev == CLI_MAX_DRIVES)
			return err_out(err, errlen, "at most %d block devices are supported",
				       CLI_MAX_DRIVES);
		if (strncmp(v, "virtio-blk-device", 17))
			return err_out(err, errlen, "-device: '%s' is not a known device (ringvm has "
				       "virtio-blk-device and virtio-rng-device)", v);
		if (drive_device_parse(&o->blkdev[o->n_blkdev], v, err, errlen) < 0)
			return -1;
		o->n_blkdev++;
	} else if (!strcmp(opt, "-display")) {
		if (strcmp(v, "none"))
			return err_out(err, errlen, "-display '%s' is not supported "
				       "(ringvm has no display: use -display none)", v);
	} else if (!strcmp(opt, "-accel")) {
		v = strip_key(v, "accel");
		o->accel_jit = !strcmp(v, "jit") || !strcmp(v, "jit,check=on");
		o->accel_check = !strcmp(v, "jit,check=on");
		if (!o->accel_jit && strcmp(v, "interp") && strcmp(v, "tcg"))
			return err_out(err, errlen, "-accel '%s' is not available "
				       "(use -accel interp, jit or jit,check=on)", v);
	}
	return 0;
}

/* ---- networking: -netdev, -nic, -device virtio-net-device ------------- */

/* "virtio-net-device,netdev=ID,mac=MAC" (also "virtio-net"; id= ignored). */
static int parse_net_device(const char *v, struct cli_net_device *d, char *err,
			    size_t errlen)
{
	const char *p = strchr(v, ',');
	size_t nl = p ? (size_t)(p - v) : strlen(v);

	memset(d, 0, sizeof(*d));
	if (strncmp(v, "virtio-net-device", nl) && strncmp(v, "virtio-net", nl))
		return err_out(err, errlen, "-device: '%s' is not a known device", v);
	while (p && *p == ',') {
		const char *o = p + 1, *end = strchr(o, ',');
		size_t len = end ? (size_t)(end - o) : strlen(o);
		char val[64], merr[160];

		p = end;
		if (!strncmp(o, "netdev=", 7) && len - 7 < sizeof(d->netdev) && len > 7) {
			memcpy(d->netdev, o + 7, len - 7);
			d->netdev[len - 7] = '\0';
		} else if (!strncmp(o, "mac=", 4) && len - 4 < sizeof(val)) {
			memcpy(val, o + 4, len - 4);
			val[len - 4] = '\0';
			if (net_parse_mac(val, d->mac, merr, sizeof(merr)) < 0)
				return err_out(err, errlen, "-device virtio-net-device: %s", merr);
			d->has_mac = true;
		} else if (strncmp(o, "id=", 3)) {
			return err_out(err, errlen, "-device virtio-net-device: unknown or bad "
				       "option '%.*s' (it takes netdev=ID and mac=MAC)", (int)len, o);
		}
	}
	if (!d->netdev[0])
		return err_out(err, errlen, "-device virtio-net-device needs netdev=ID");
	return 0;
}

static int net_option(const char *opt, const char *v, struct cli_opts *o, char *err,
		      size_t errlen)
{
	struct net_netdev_opts nd;

	if (!strcmp(opt, "-netdev")) {
		if (o->n_netdev == CLI_MAX_NET)
			return err_out(err, errlen, "at most %d -netdev options are supported",
				       CLI_MAX_NET);
		if (net_parse_netdev(v, &nd, err, errlen) < 0)
			return -1;
		o->netdev[o->n_netdev++] = v;
		return 0;
	}
	if (!strcmp(opt, "-nic")) {
		struct net_nic_opts *n = &o->nic[o->n_nic];

		if (o->n_nic == CLI_MAX_NET)
			return err_out(err, errlen, "at most %d -nic options are supported",
				       CLI_MAX_NET);
		if (net_parse_nic(v, o->n_nic, n, err, errlen) < 0)
			return -1;
		if (!n->none && strcmp(n->model, "virtio-net-device") &&
		    strcmp(n->model, "virtio-net"))
			return err_out(err, errlen, "-nic: model=%s is not available "
				       "(ringvm has virtio-net-device)", n->model);
		o->n_nic++;
		return 0;
	}
	if (o->n_netdevice == CLI_MAX_NET)
		return err_out(err, errlen, "at most %d network devices are supported",
			       CLI_MAX_NET);
	if (parse_net_device(v, &o->netdevice[o->n_netdevice], err, errlen) < 0)
		return -1;
	o->n_netdevice++;
	return 0;
}

/* Every -device names an if=none drive once; the devices fit the slots. */
static int check_devices(struct cli_opts *o, char *err, size_t errlen)
{
	unsigned used = o->n_rng + o->n_blkdev + o->n_netdevice;

	for (unsigned i = 0; i < o->n_nic; i++)
		used += !o->nic[i].none;

	for (unsigned i = 0; i < o->n_drive; i++)
		used += o->drive[i].iface == DRIVE_IF_VIRTIO;
	if (used > 8)
		return err_out(err, errlen, "%u virtio devices asked for; the virt board has "
			       "8 virtio-mmio slots", used);
	for (unsigned i = 0; i < o->n_blkdev; i++) {
		const char *id = o->blkdev[i].drive_id;
		struct drive_opts *d = id ? drive_find(o->drive, o->n_drive, id) : NULL;

		if (!id)
			return err_out(err, errlen, "-device virtio-blk-device needs drive=ID");
		if (!d)
			return err_out(err, errlen, "-device virtio-blk-device: no -drive with "
				       "id=%s", id);
		if (d->iface != DRIVE_IF_NONE)
			return err_out(err, errlen, "-drive id=%s already has its own device "
				       "(use if=none with -device)", id);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(o->blkdev[j].drive_id, id))
				return err_out(err, errlen, "drive %s is used by two devices", id);
	}
	return 0;
}

/*
 * -nographic with neither -serial nor -monitor: the console and the
 * monitor share stdio as with QEMU (-serial mon:stdio, Ctrl-A c switches;
 * the monitor greets at its first focus). Otherwise the options given
 * decide, and the serial default stays stdio.
 */
static int apply_nographic(struct cli_opts *o, int serial_seen, char *err, size_t errlen)
{
	if (o->has_monitor || serial_seen)
		return 0;
	return chr_parse_serial("mon:stdio", &o->serial, &o->serial_none, err, errlen);
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	int serial_seen = 0;
	bool nographic = false;

	memset(o, 0, sizeof(*o));
	o->ram_size = 128ull << 20;
	o->smp = 1;
	o->bios = DEFAULT_BIOS;
	o->bios_default = true;
#if defined(__x86_64__)
	o->accel_jit = true; /* the JIT is the default where it exists */
#endif
	if (chr_parse_serial("stdio", &o->serial, &o->serial_none, err, errlen) < 0)
		return -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char opt[32];

		if (a[0] != '-' || !a[1])
			return err_out(err, errlen, "unexpected argument '%s' "
				       "(ringvm takes options only; see ringvm --help)", a);
		if (a[1] == '-' && a[2]) /* --opt == -opt */
			a++;
		snprintf(opt, sizeof(opt), "%s", a);
		if (!strcmp(opt, "-h") || !strcmp(opt, "-help")) {
			o->help = true;
		} else if (!strcmp(opt, "-version")) {
			o->version = true;
		} else if (!strcmp(opt, "-nographic")) {
			nographic = true; /* applied once every option is known */
		} else if (!strcmp(opt, "-no-reboot")) {
			o->no_reboot = true;
		} else if (!strcmp(opt, "-snapshot")) {
			o->snapshot = true;
		} else if (!strcmp(opt, "-mem-prealloc")) {
			o->mem_prealloc = true;
		} else if (takes_arg(a)) {
			if (i + 1 >= argc)
				return err_out(err, errlen, "option '%s' needs an argument "
					       "(see ringvm --help)", argv[i]);
			if (opt_with_arg(a, argv[++i], o, err, errlen, &serial_seen) < 0)
				return -1;
		} else {
			return err_out(err, errlen, "unknown option '%s' (see ringvm --help)",
				       argv[i]);
		}
	}
	if (o->help || o->version)
		return 0;
	if (nographic && apply_nographic(o, serial_seen, err, errlen) < 0)
		return -1;
	if (o->initrd && !o->kernel)
		return err_out(err, errlen, "-initrd needs a -kernel");
	if (o->append && !o->kernel)
		return err_out(err, errlen, "-append needs a -kernel");
	if (!o->bios && !o->kernel)
		return err_out(err, errlen, "-bios none needs a -kernel to run");
	return check_devices(o, err, errlen);
}

void cli_opts_free(struct cli_opts *o)
{
	for (unsigned i = 0; i < o->n_drive; i++)
		drive_opts_free(&o->drive[i]);
	for (unsigned i = 0; i < o->n_blkdev; i++)
		drive_device_free(&o->blkdev[i]);
	o->n_drive = o->n_blkdev = 0;
}
