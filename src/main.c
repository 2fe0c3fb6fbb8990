/*
 * main.c - the ringvm program: parse the command line, build the virt
 * machine, run it on three threads, shut down cleanly on every path.
 *
 * Threads (docs/architecture.md):
 *   main  parses, builds the machine, then waits in sigwaitinfo() for a
 *         signal (SIGINT/SIGTERM/SIGHUP) or SIGUSR1, which the other
 *         threads send when the guest powered off or the user quit;
 *   I/O   opens the console chardev, runs the reactor (loop_run), and on
 *         the way out flushes the UART and frees what lives on the loop;
 *   vCPU  runs virt_run() until poweroff or a stop request.
 * Shutdown order: stop and join the vCPU, stop and join the I/O thread
 * (which restores the terminal), free the machine, exit with the status.
 * The terminal is also restored by atexit and by fatal-signal handlers.
 */
#include <errno.h>
#include <libfdt.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "aio/aio.h"
#include "char/backends.h"
#include "char/char.h"
#include "cpu/cpu.h"
#include "cli.h"
#include "hw/virt.h"
#include "hw/virtio/drive.h"
#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtio-net.h"
#include "net/net.h"
#include "loop/loop.h"
#include "monitor/monitor.h"

struct app {
	struct cli_opts opts;
	struct loop *loop;
	struct aio_engine *aio;
	struct chr_registry *chardevs;
	struct virt_machine *vm;
	struct drive_open drives[CLI_MAX_DRIVES]; /* open images, closed on the I/O thread */
	const struct drive_opts *drive_of[CLI_MAX_DRIVES]; /* what drives[i] opened */
	unsigned n_drives;
	struct net_registry *nets; /* -netdev/-nic backends; freed after the NICs */
	struct app_nic {           /* every virtio-net, for the monitor */
		char netdev[64];
		uint8_t mac[6];
		struct virtio_mmio *dev; /* owned by vm */
	} nics[2 * CLI_MAX_NET];
	unsigned n_nics;
	struct mon *mon;           /* the monitor; freed after its chardev */
	pthread_t main_thread, io_thread, vcpu_thread;

	atomic_bool vcpu_done, quit;
	bool mon_quit; /* the monitor's quit: no "terminated" line */
	enum virt_exit exit_kind;
	int exit_code;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ringvm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- fatal signals: put the terminal back, then die as we would ------- */

static void fatal_signal(int sig)
{
	chr_backends_restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_fatal_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa = { .sa_handler = fatal_signal };

	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout shows up as EPIPE */
	atexit(chr_backends_restore_tty);
}

/* ---- the I/O thread ----------------------------------------------------- */

static void console_event(void *opaque, enum chr_event ev)
{
	struct app *a = opaque;

	if (ev == CHR_EVENT_QUIT) {
		atomic_store(&a->quit, true);
		pthread_kill(a->main_thread, SIGUSR1);
	}
	/* EOF on stdin: the guest keeps running, as with QEMU */
}

/*
 * Open every -chardev and the -serial line, hand the UART its chardev and
 * wait for socket peers that must be there first. Main thread, before the
 * loop runs on the I/O thread (the chardev rules allow that). Exits with
 * one sentence on failure.
 */
/* Free what build/open_chardevs made, for their error exits (main thread,
 * the loop never ran elsewhere). */
static void close_drives(struct app *a)
{
	for (unsigned i = 0; i < a->n_drives; i++)
		drive_close(&a->drives[i]);
	a->n_drives = 0;
}

static void early_cleanup(struct app *a)
{
	if (a->vm)
		virt_io_teardown(a->vm); /* virtio devices go before their drives */
	close_drives(a);
	net_registry_free(a->nets); /* after the NICs let go of their ports */
	a->nets = NULL;
	chr_registry_free(a->chardevs);
	mon_free(a->mon);
	a->mon = NULL;
	if (a->aio)
		aio_engine_close(a->aio);
	loop_free(a->loop);
	virt_free(a->vm);
	cli_opts_free(&a->opts);
}

#define FAIL(...)                                                              \
	do {                                                                   \
		early_cleanup(a);                                              \
		die(__VA_ARGS__);                                              \
	} while (0)

/* ---- the monitor's view of the machine (loop thread) ---------------------- */

static void mon_info_network(void *opaque, struct mon *m)
{
	struct app *a = opaque;

	if (!a->n_nics)
		mon_printf(m, "no network cards\n");
	for (unsigned i = 0; i < a->n_nics; i++) {
		const struct app_nic *c = &a->nics[i];
		const char *type = net_registry_type(a->nets, c->netdev);
		const uint8_t *x = c->mac;

		const struct net_port *np = virtio_net_port(c->dev);
		const struct net_port *bp = net_registry_find(a->nets, c->netdev);
		uint64_t drops = net_port_stats(np)->tx_drops +
				 (bp ? net_port_stats(bp)->tx_drops : 0);

		/* link: the set_link state; carrier: what the guest sees (also
		 * down while a socket backend has no peer). */
		mon_printf(m, "%s: type=%s link=%s carrier=%s dropped=%llu "
			   "macaddr=%02x:%02x:%02x:%02x:%02x:%02x\n",
			   c->netdev, type ? type : "?", net_port_link_up(np) ? "up" : "down",
			   virtio_net_link_up(c->dev) ? "up" : "down", (unsigned long long)drops,
			   x[0], x[1], x[2], x[3], x[4], x[5]);
	}
}

static void mon_info_block(void *opaque, struct mon *m)
{
	struct app *a = opaque;

	if (!a->n_drives)
		mon_printf(m, "no drives\n");
	for (unsigned i = 0; i < a->n_drives; i++) {
		const struct drive_opts *d = a->drive_of[i];
		const struct drive_open *o = &a->drives[i];

		mon_printf(m, "%s: file=%s format=%s ro=%s\n", d->id ? d->id : "(no id)",
			   d->file ? d->file : "", d->format ? d->format : "auto",
			   o->read_only ? "on" : "off");
	}
}

static void mon_info_chardev(void *opaque, struct mon *m)
{
	struct app *a = opaque;
	const char *id, *be;
	bool mux;

	for (size_t i = 0; chr_registry_entry(a->chardevs, i, &id, &be, &mux) == 0; i++)
		mon_printf(m, "%s: backend=%s%s\n", id, be, mux ? " mux=on" : "");
}

static int mon_set_link(void *opaque, const char *name, bool up)
{
	struct app *a = opaque;
	int found = -ENOENT;

	for (unsigned i = 0; i < a->n_nics; i++)
		if (!strcmp(a->nics[i].netdev, name)) {
			virtio_net_set_link(a->nics[i].dev, up);
			found = 0;
		}
	return found;
}

static void mon_quit(void *opaque)
{
	((struct app *)opaque)->mon_quit = true; /* read by main after the join */
	console_event(opaque, CHR_EVENT_QUIT); /* as Ctrl-A x */
}

/* -monitor DEV, or the second port of the first -serial mon:... line
 * (serial_id names its chardev; NULL if none): makes a->mon and returns
 * the chardev to attach it to once sockets are waited for (so a wait=on
 * client sees the banner). NULL: no monitor. Main thread. */
static struct chr_dev *open_monitor(struct app *a, const char *serial_id)
{
	struct mon_env env = { .opaque = a, .info_network = mon_info_network,
			       .info_block = mon_info_block, .info_chardev = mon_info_chardev,
			       .set_link = mon_set_link, .quit = mon_quit };
	struct chr_spec spec = a->opts.monitor;
	struct chr_dev *chr = NULL;
	char err[512], id[CHR_ID_MAX];
	int r = 0;

	if (a->opts.has_monitor) {
		if (a->opts.monitor_none)
			return NULL;
		if (spec.kind == CHR_KIND_STDIO && !spec.mux && !a->opts.serial_none &&
		    a->opts.serial.kind == CHR_KIND_STDIO)
			FAIL("-monitor stdio and -serial stdio cannot share the terminal; "
			     "use -serial mon:stdio");
		if (!spec.id[0] && spec.kind != CHR_KIND_REF)
			snprintf(spec.id, sizeof(spec.id), "monitor0");
		r = chr_registry_add(a->chardevs, &spec, id, sizeof(id), err, sizeof(err));
		if (r == 0)
			r = chr_registry_get(a->chardevs, spec.kind == CHR_KIND_REF ? spec.ref : id,
					     &chr, err, sizeof(err));
	} else if (serial_id) {
		r = chr_registry_get(a->chardevs, serial_id, &chr, err, sizeof(err));
	} else {
		return NULL;
	}
	if (r < 0)
		FAIL("%s", err);
	if (mon_new(&a->mon, &env) < 0)
		FAIL("cannot create the monitor: out of memory");
	return chr;
}

static void open_chardevs(struct app *a)
{
	struct chr_dev *chr = NULL, *mon_chr;
	char err[512], id[CHR_ID_MAX], mon_id[CHR_ID_MAX] = "";
	int r;

	r = aio_engine_open(&a->aio, a->loop, AIO_ENGINE_AUTO);
	if (r < 0)
		FAIL("cannot open an I/O engine: %s", strerror(-r));
	r = chr_registry_new(&a->chardevs, a->loop, a->aio);
	if (r < 0)
		FAIL("cannot set up the character devices: %s", strerror(-r));
	for (unsigned i = 0; i < a->opts.n_chardev; i++)
		if (chr_registry_add(a->chardevs, &a->opts.chardev[i], NULL, 0,
				     err, sizeof(err)) < 0)
			FAIL("%s", err);
	if (!a->opts.serial_none) {
		if (chr_registry_add(a->chardevs, &a->opts.serial, id, sizeof(id),
				     err, sizeof(err)) < 0 ||
		    chr_registry_get(a->chardevs, a->opts.serial.kind == CHR_KIND_REF ?
				     a->opts.serial.ref : id, &chr, err, sizeof(err)) < 0)
			FAIL("%s", err);
		if (a->opts.serial.mon)
			snprintf(mon_id, sizeof(mon_id), "%s", a->opts.serial.kind == CHR_KIND_REF ?
				 a->opts.serial.ref : id);
	}
	chr_registry_set_event(a->chardevs, console_event, a);
	virt_attach_console(a->vm, chr);
	for (unsigned i = 0; i < a->opts.n_serial_extra; i++) {
		const struct chr_spec *s = &a->opts.serial_extra[i];

		if (chr_registry_add(a->chardevs, s, id, sizeof(id), err, sizeof(err)) < 0 ||
		    chr_registry_get(a->chardevs, s->kind == CHR_KIND_REF ? s->ref : id,
				     &chr, err, sizeof(err)) < 0)
			FAIL("%s", err);
		virt_attach_serial(a->vm, i + 1, chr);
		if (s->mon && !mon_id[0])
			snprintf(mon_id, sizeof(mon_id), "%s", s->kind == CHR_KIND_REF ? s->ref : id);
	}
	mon_chr = open_monitor(a, mon_id[0] ? mon_id : NULL);
	chr_registry_set_event(a->chardevs, console_event, a); /* the monitor's too */
	if (chr_registry_wait(a->chardevs, err, sizeof(err)) < 0)
		FAIL("%s", err);
	if (mon_chr)
		mon_attach(a->mon, mon_chr);
}

/* Open a drive and put a virtio-blk on it in the next free slot. */
static int add_blk(struct app *a, const struct drive_opts *d, const char *serial,
		   char *err, size_t errlen)
{
	struct drive_open *drv = &a->drives[a->n_drives];
	struct virtio_host host;
	struct virtio_mmio *dev;
	int slot = virt_virtio_free_slot(a->vm), r;

	if (slot < 0)
		return snprintf(err, errlen, "no free virtio-mmio slot"), -ENOSPC;
	r = drive_open(drv, d, a->opts.snapshot, a->loop, err, errlen);
	if (r < 0)
		return r;
	a->drive_of[a->n_drives++] = d;
	virt_virtio_host(a->vm, (unsigned)slot, &host);
	r = virtio_blk_new(&dev, &host, drv->blk, &(struct virtio_blk_conf){
				   .serial = serial, .read_only = drv->read_only });
	if (r == 0 && (r = virt_attach_virtio(a->vm, (unsigned)slot, dev)) < 0)
		virtio_mmio_free(dev);
	if (r < 0)
		snprintf(err, errlen, "cannot attach a virtio-blk for '%s': %s", d->file,
			 strerror(-r));
	return r;
}

/* The virtio devices of the command line, each in the next free slot.
 * Main thread, before the loop runs elsewhere. Exits on failure. */
static void add_virtio(struct app *a)
{
	struct virtio_host host;
	struct virtio_mmio *dev;
	char err[512];

	for (unsigned i = 0; i < a->opts.n_drive; i++)
		if (a->opts.drive[i].iface == DRIVE_IF_VIRTIO &&
		    add_blk(a, &a->opts.drive[i], a->opts.drive[i].serial, err, sizeof(err)) < 0)
			FAIL("%s", err);
	for (unsigned i = 0; i < a->opts.n_blkdev; i++) {
		const struct drive_device *bd = &a->opts.blkdev[i];
		const struct drive_opts *d = drive_find(a->opts.drive, a->opts.n_drive,
							bd->drive_id);

		if (add_blk(a, d, bd->serial ? bd->serial : d->serial, err, sizeof(err)) < 0)
			FAIL("%s", err);
	}
	/* Without -device virtio-rng-device one is still added when a slot is
	 * free: Linux 6.1's getrandom() otherwise blocks for seconds. */
	for (unsigned i = 0; i < (a->opts.n_rng ? a->opts.n_rng : 1); i++) {
		int slot = virt_virtio_free_slot(a->vm), r = slot;

		if (slot < 0 && !a->opts.n_rng)
			break;
		if (slot >= 0) {
			virt_virtio_host(a->vm, (unsigned)slot, &host);
			r = virtio_rng_new(&dev, &host);
			if (r == 0 && (r = virt_attach_virtio(a->vm, (unsigned)slot, dev)) < 0)
				virtio_mmio_free(dev);
		}
		if (r < 0)
			FAIL("cannot add a virtio-rng: %s", strerror(-r));
	}
}

/* One virtio-net on netdev id in the next free slot. Main thread. */
static int add_nic(struct app *a, const char *id, const uint8_t *mac, char *err,
		   size_t errlen)
{
	static unsigned count;
	struct virtio_net_conf c = { .name = id };
	struct virtio_host host;
	struct virtio_mmio *dev;
	int slot = virt_virtio_free_slot(a->vm), r;

	if (slot < 0)
		return snprintf(err, errlen, "no free virtio-mmio slot for a network card"),
		       -ENOSPC;
	if (mac)
		memcpy(c.mac, mac, 6);
	else
		virtio_net_default_mac(count, c.mac);
	count++;
	virt_virtio_host(a->vm, (unsigned)slot, &host);
	r = virtio_net_new(&dev, &host, &c);
	if (r < 0)
		return snprintf(err, errlen, "cannot create a virtio-net: %s", strerror(-r)), r;
	/* Connect before the guest runs: the offered offloads follow the link. */
	r = net_registry_attach(a->nets, id, virtio_net_port(dev), err, errlen);
	if (r == 0 && (r = virt_attach_virtio(a->vm, (unsigned)slot, dev)) < 0)
		snprintf(err, errlen, "cannot attach a virtio-net: %s", strerror(-r));
	if (r < 0) {
		virtio_mmio_free(dev);
		return r;
	}
	if (a->n_nics < sizeof(a->nics) / sizeof(a->nics[0])) {
		struct app_nic *n = &a->nics[a->n_nics++];

		snprintf(n->netdev, sizeof(n->netdev), "%s", id);
		memcpy(n->mac, c.mac, 6);
		n->dev = dev;
	}
	return 0;
}

/* -netdev, -nic and -device virtio-net-device: open the backends, then one
 * NIC per device. Main thread, before the loop runs elsewhere. */
static void add_net(struct app *a)
{
	const struct cli_opts *o = &a->opts;
	char err[512];
	int r;

	if (!o->n_netdev && !o->n_nic && !o->n_netdevice)
		return;
	r = net_registry_new(&a->nets);
	if (r < 0)
		FAIL("cannot set up networking: %s", strerror(-r));
	for (unsigned i = 0; i < o->n_netdev; i++)
		if (net_registry_add_spec(a->nets, o->netdev[i], err, sizeof(err)) < 0)
			FAIL("%s", err);
	for (unsigned i = 0; i < o->n_nic; i++)
		if (!o->nic[i].none &&
		    net_registry_add(a->nets, &o->nic[i].netdev, err, sizeof(err)) < 0)
			FAIL("%s", err);
	if (net_registry_open(a->nets, a->aio, err, sizeof(err)) < 0)
		FAIL("%s", err);
	for (unsigned i = 0; i < o->n_nic; i++)
		if (!o->nic[i].none &&
		    add_nic(a, o->nic[i].netdev.id, o->nic[i].has_mac ? o->nic[i].mac : NULL,
			    err, sizeof(err)) < 0)
			FAIL("%s", err);
	for (unsigned i = 0; i < o->n_netdevice; i++) {
		const struct cli_net_device *d = &o->netdevice[i];

		if (add_nic(a, d->netdev, d->has_mac ? d->mac : NULL, err, sizeof(err)) < 0)
			FAIL("%s", err);
	}
}

static void *io_main(void *arg)
{
	struct app *a = arg;
	int r;

	pthread_setname_np(pthread_self(), "ringvm-io");
	r = loop_run(a->loop);

	if (r < 0)
		fprintf(stderr, "ringvm: the I/O loop failed: %s\n", strerror(-r));
	loop_run_once(a->loop, 0); /* the vCPU is gone: run its last posts */
	mon_disable(a->mon);       /* its NICs and drives go now */
	virt_io_teardown(a->vm);   /* the guest's last bytes reach the console */
	close_drives(a);           /* after their devices drained */
	net_registry_free(a->nets); /* after the NICs let go of their ports */
	a->nets = NULL;
	chr_registry_free(a->chardevs); /* restores the terminal */
	a->chardevs = NULL;
	mon_free(a->mon); /* after its chardev stopped calling it */
	a->mon = NULL;
	aio_engine_close(a->aio);
	loop_free(a->loop);
	a->loop = NULL;
	return NULL;
}

/* ---- the vCPU thread ---------------------------------------------------- */

static void *vcpu_main(void *arg)
{
	struct app *a = arg;

	pthread_setname_np(pthread_self(), "ringvm-vcpu0");
	a->exit_kind = virt_run(a->vm, &a->exit_code);
	atomic_store(&a->vcpu_done, true);
	pthread_kill(a->main_thread, SIGUSR1);
	return NULL;
}

/* ---- main --------------------------------------------------------------- */

static void check_ram(const struct cli_opts *o)
{
	struct sysinfo si;
	uint64_t host;

	if (o->ram_size < (1ull << 20))
		die("-m: the guest needs at least 1 MiB of RAM");
	if (o->ram_size > VIRT_RAM_MAX)
		die("-m: %llu GiB is more than the virt board's 1 TiB RAM window",
		    (unsigned long long)(o->ram_size >> 30));
	if (sysinfo(&si) == 0) {
		host = (uint64_t)si.totalram * si.mem_unit;
		if (o->ram_size > host)
			die("-m: %llu MiB is more than this host's memory (%llu MiB)",
			    (unsigned long long)(o->ram_size >> 20),
			    (unsigned long long)(host >> 20));
	}
}

static void build(struct app *a)
{
	struct virt_config cfg = {
		.ram_size = (a->opts.ram_size + 4095) & ~4095ull,
		.bios = a->opts.bios, .kernel = a->opts.kernel,
		.initrd = a->opts.initrd, .append = a->opts.append,
		.no_reboot = a->opts.no_reboot,
		.n_uarts = 1 + a->opts.n_serial_extra,
		.mem_prealloc = a->opts.mem_prealloc,
	};
	char err[512];
	int r;

	if (a->opts.bios && a->opts.bios_default && access(a->opts.bios, R_OK) != 0)
		die("the default firmware %s is missing: install the opensbi package, "
		    "or use -bios PATH or -bios none", a->opts.bios);
	r = loop_new(&a->loop, NULL);
	if (r < 0)
		die("cannot create the I/O loop: %s", strerror(-r));
	r = virt_new(&a->vm, &cfg, a->loop, err, sizeof(err));
	if (r < 0) {
		loop_free(a->loop);
		die("%s", err);
	}
	if (a->opts.accel_jit && cpu_set_accel(virt_hart(a->vm), CPU_ACCEL_JIT, a->opts.accel_check))
		die("-accel jit: cannot start the JIT (out of memory, or not an x86-64 host)");
}

/* -machine virt,dumpdtb=PATH: like QEMU, write the tree and exit. */
static int dump_dtb(struct app *a)
{
	const void *fdt = virt_fdt_blob(a->vm);
	FILE *f = fopen(a->opts.dumpdtb, "wb");
	int bad = !f || fwrite(fdt, 1, fdt_totalsize(fdt), f) != fdt_totalsize(fdt);

	if (f && fclose(f) != 0)
		bad = 1;
	int e = errno;

	virt_io_teardown(a->vm); /* virtio devices go before their drives */
	close_drives(a);
	loop_free(a->loop);
	virt_free(a->vm);
	if (bad)
		die("cannot write the device tree to '%s': %s", a->opts.dumpdtb, strerror(e));
	return 0;
}

static int wait_for_end(struct app *a)
{
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue; /* EINTR */
		if (sig != SIGUSR1)
			return sig;
		if (atomic_load(&a->vcpu_done) || atomic_load(&a->quit))
			return 0;
	}
}

static int run(struct app *a)
{
	int sig, r, status;

	r = pthread_create(&a->io_thread, NULL, io_main, a);
	if (r)
		die("cannot start the I/O thread: %s", strerror(r));
	r = pthread_create(&a->vcpu_thread, NULL, vcpu_main, a);
	if (r)
		die("cannot start the vCPU thread: %s", strerror(r)); /* atexit restores the tty */

	sig = wait_for_end(a);
	virt_request_stop(a->vm);
	pthread_join(a->vcpu_thread, NULL);
	loop_stop(a->loop);
	pthread_join(a->io_thread, NULL);
	virt_free(a->vm);

	if (sig) {
		fprintf(stderr, "ringvm: terminating on signal %d\n", sig);
		status = 128 + sig;
	} else if (a->exit_kind == VIRT_EXIT_POWEROFF) {
		status = a->exit_code & 0xff;
	} else {
		if (!a->mon_quit)
			fprintf(stderr, "ringvm: terminated (C-a x)\n");
		status = 0;
	}
	return status;
}

int main(int argc, char **argv)
{
	static struct app a;
	sigset_t set;
	char err[512];
	int r;

	if (cli_parse(argc, argv, &a.opts, err, sizeof(err)) < 0) {
		cli_opts_free(&a.opts);
		die("%s", err);
	}
	if (a.opts.help) {
		cli_usage(stdout);
		return 0;
	}
	if (a.opts.version) {
		printf("ringvm version %s\n", RINGVM_VERSION);
		return 0;
	}
	check_ram(&a.opts);
	install_fatal_handlers();

	/* Every thread inherits this mask; only main takes these signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	a.main_thread = pthread_self();
	atomic_init(&a.vcpu_done, false);
	atomic_init(&a.quit, false);
	build(&a);
	if (a.opts.dumpdtb) {
		add_virtio(&a); /* the tree lists the command line's virtio devices */
		return dump_dtb(&a);
	}
	open_chardevs(&a);
	add_virtio(&a);
	add_net(&a);
	r = run(&a);
	cli_opts_free(&a.opts);
	return r;
}
