/*
 * rwtest.c - 4 KiB random read/write load on a block device (or file) with
 * O_DIRECT, for disk benchmarks inside the ringvm test guest. Queue depth is the
 * number of threads: each thread keeps exactly one synchronous request in flight
 * (pread/pwrite), so -t 1 is QD1 and -t N is QDN.
 *
 * Prints one JSON line: {"suite":"guest-io","metric":"<mode>_qd<N>_iops",...}.
 * With -V (write modes) every written block carries a tag (block number, thread,
 * sequence) and after the timed phase each block's last write is read back and
 * checked, so a device that loses or misplaces writes fails (exit 1).
 *
 * Threads: N workers share only the read-only options and, with -V, a per-block
 * tag table where each block belongs to exactly one thread (block % N), so no locks.
 *
 * WARNING: write modes destroy the data in the region they touch.
 *
 * Usage: rwtest [-m read|write|rw] [-t THREADS] [-s SECONDS] [-r REGION_MB] [-V] DEV
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_DIRECT */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BS 4096
#define MAX_THREADS 64

enum rw_mode { MODE_READ, MODE_WRITE, MODE_RW };

struct rw_opts {
	const char *dev;
	enum rw_mode mode;
	int threads;
	double seconds;
	uint64_t nblocks;  /* region size in 4 KiB blocks */
	int verify;
	uint64_t *tags;    /* -V: last tag written per block (0 = never), owned per thread */
};

struct rw_worker {
	pthread_t tid;
	const struct rw_opts *o;
	int id;
	uint64_t ops;
	int err;           /* negative errno of the first failure, 0 if none */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Fills a block with its tag; the block number is in the tag so misplaced writes show. */
static void fill_block(uint64_t *buf, uint64_t tag)
{
	for (size_t i = 0; i < BS / 8; i++)
		buf[i] = tag ^ (i * 0x9E3779B97F4A7C15ULL);
}

static uint64_t make_tag(uint64_t block, int thread, uint64_t seq)
{
	return (block << 24) ^ ((uint64_t)thread << 16) ^ (seq + 1) ^ 0x5A5A000000000000ULL;
}

/* A block owned by this thread: in verify mode threads never touch each other's. */
static uint64_t pick_block(const struct rw_opts *o, int id, uint64_t *seed)
{
	uint64_t b = rng_next(seed) % o->nblocks;
	if (o->verify && o->threads > 1) {
		uint64_t per = (o->nblocks - (uint64_t)id + (uint64_t)o->threads - 1) / (uint64_t)o->threads;
		b = (b % per) * (uint64_t)o->threads + (uint64_t)id;
	}
	return b;
}

static void *worker_main(void *arg)
{
	struct rw_worker *w = arg;
	const struct rw_opts *o = w->o;
	uint64_t seed = 0x1234567ULL + (uint64_t)w->id * 7919;
	uint64_t *buf;
	int fd;

	if (posix_memalign((void **)&buf, BS, BS)) {
		w->err = -ENOMEM;
		return NULL;
	}
	fd = open(o->dev, (o->mode == MODE_READ ? O_RDONLY : O_RDWR) | O_DIRECT);
	if (fd < 0) {
		w->err = -errno;
		free(buf);
		return NULL;
	}
	memset(buf, 0, BS);
	double end = now_s() + o->seconds;
	while (now_s() < end) {
		for (int batch = 0; batch < 16; batch++) { /* amortise clock reads */
			uint64_t b = pick_block(o, w->id, &seed);
			int write = o->mode == MODE_WRITE || (o->mode == MODE_RW && (rng_next(&seed) & 1));
			ssize_t n;
			if (write) {
				uint64_t tag = make_tag(b, w->id, w->ops);
				fill_block(buf, tag);
				n = pwrite(fd, buf, BS, (off_t)(b * BS));
				if (n == BS && o->tags)
					o->tags[b] = tag;
			} else {
				n = pread(fd, buf, BS, (off_t)(b * BS));
			}
			if (n != BS) {
				w->err = n < 0 ? -errno : -EIO;
				goto out;
			}
			w->ops++;
		}
	}
out:
	close(fd);
	free(buf);
	return NULL;
}

/* Reads back every block written in the timed phase; returns the number of bad blocks. */
static uint64_t verify_all(const struct rw_opts *o)
{
	uint64_t *buf, *want, bad = 0;
	int fd = open(o->dev, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign((void **)&buf, BS, BS) || posix_memalign((void **)&want, BS, BS)) {
		fprintf(stderr, "rwtest: cannot reopen %s for verification: %s\n", o->dev, strerror(errno));
		return o->nblocks ? o->nblocks : 1;
	}
	for (uint64_t b = 0; b < o->nblocks; b++) {
		if (!o->tags[b])
			continue;
		fill_block(want, o->tags[b]);
		if (pread(fd, buf, BS, (off_t)(b * BS)) != BS || memcmp(buf, want, BS)) {
			if (bad < 5)
				fprintf(stderr, "rwtest: block %" PRIu64 " does not hold its last write\n", b);
			bad++;
		}
	}
	close(fd);
	free(buf);
	free(want);
	return bad;
}

static int device_blocks(const char *dev, uint64_t *nblocks)
{
	struct stat st;
	uint64_t bytes = 0;
	int fd = open(dev, O_RDONLY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			bytes = 0;
	} else {
		bytes = (uint64_t)st.st_size;
	}
	close(fd);
	*nblocks = bytes / BS;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: rwtest [-m read|write|rw] [-t THREADS 1..%d] [-s SECONDS] "
			"[-r REGION_MB] [-V] DEVICE\n", MAX_THREADS);
	return 2;
}

static int parse_args(int argc, char **argv, struct rw_opts *o, uint64_t *region_mb)
{
	int c;
	while ((c = getopt(argc, argv, "m:t:s:r:V")) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "read")) o->mode = MODE_READ;
			else if (!strcmp(optarg, "write")) o->mode = MODE_WRITE;
			else if (!strcmp(optarg, "rw")) o->mode = MODE_RW;
			else return -1;
			break;
		case 't': o->threads = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'r': *region_mb = strtoull(optarg, NULL, 10); break;
		case 'V': o->verify = 1; break;
		default: return -1;
		}
	}
	if (optind != argc - 1 || o->threads < 1 || o->threads > MAX_THREADS ||
	    !(o->seconds > 0 && o->seconds <= 3600))
		return -1;
	o->dev = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "randread", "randwrite", "randrw" };
	struct rw_opts o = { .mode = MODE_READ, .threads = 1, .seconds = 5 };
	struct rw_worker w[MAX_THREADS];
	uint64_t region_mb = 0, ops = 0, bad = 0;
	int err;

	if (parse_args(argc, argv, &o, &region_mb) < 0)
		return usage();
	if ((err = device_blocks(o.dev, &o.nblocks)) < 0) {
		fprintf(stderr, "rwtest: cannot open %s: %s\n", o.dev, strerror(-err));
		return 1;
	}
	if (region_mb && region_mb * (1024 * 1024 / BS) < o.nblocks)
		o.nblocks = region_mb * (1024 * 1024 / BS);
	if (o.nblocks < (uint64_t)o.threads) {
		fprintf(stderr, "rwtest: %s is too small (needs at least %d blocks of 4 KiB)\n",
			o.dev, o.threads);
		return 1;
	}
	if (o.verify && o.mode != MODE_READ) {
		o.tags = calloc(o.nblocks, sizeof(*o.tags));
		if (!o.tags) {
			fprintf(stderr, "rwtest: region too large for -V\n");
			return 1;
		}
	}
	double t0 = now_s();
	for (int i = 0; i < o.threads; i++) {
		w[i] = (struct rw_worker){ .o = &o, .id = i };
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			fprintf(stderr, "rwtest: cannot start thread %d\n", i);
			return 1;
		}
	}
	err = 0;
	for (int i = 0; i < o.threads; i++) {
		pthread_join(w[i].tid, NULL);
		ops += w[i].ops;
		if (w[i].err && !err)
			err = w[i].err;
	}
	double t = now_s() - t0;
	if (err) {
		fprintf(stderr, "rwtest: I/O on %s failed: %s\n", o.dev, strerror(-err));
		return 1;
	}
	if (o.tags)
		bad = verify_all(&o);
	printf("{\"suite\":\"guest-io\",\"metric\":\"%s_qd%d_iops\",\"value\":%.1f,\"unit\":\"iops\","
	       "\"anchor\":null,\"anchor_value\":null,\"ops\":%" PRIu64 ",\"seconds\":%.3f,"
	       "\"region_mb\":%" PRIu64 ",\"verify\":\"%s\"}\n",
	       names[o.mode], o.threads, (double)ops / t, ops, t, o.nblocks * BS / (1024 * 1024),
	       !o.tags ? "off" : bad ? "FAIL" : "ok");
	free(o.tags);
	return bad ? 1 : 0;
}
