/*
 * file-1mib: the file backend writes every byte a frontend sends (1 MiB,
 * sent in 8 KiB chr_write calls that the 64 KiB ring accepts only in part),
 * and truncates an existing file at open. Closing right after the last
 * chr_write still gets the queued tail to the file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "char-test.h"

#define TAIL 4096

/* Everything but the tail is sent and written. */
static bool tx_done(void *arg)
{
	struct tfe *t = arg;
	struct chr_stats st;

	return t->tx_sent == t->tx_total && chr_get_stats(t->chr, &st) == 0 &&
	       st.bytes_out == t->tx_total;
}

int main(int argc, char **argv)
{
	struct tenv e;
	struct tfe t = { .tx_seed = 7, .tx_total = (1 << 20) - TAIL };
	struct chr_stats st;
	char path[512], spec[600];
	uint8_t buf[65536], tail[TAIL];
	uint64_t pos = 0, bad = 0;
	ssize_t n;
	int fd;

	t_timeout(60);
	tenv_open(&e, argc, argv);
	snprintf(path, sizeof(path), "%s/out.log", t_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, "old contents that must go away", 30) == 30);
	close(fd);

	snprintf(spec, sizeof(spec), "file,id=f0,path=%s", path);
	struct chr_dev *chr = t_open(&e, spec);

	tfe_attach(&t, chr, e.loop);
	tfe_pump(&t);
	CHECK(t.tx_sent < t.tx_total); /* the ring is bounded: some must wait */
	CHECK(t_run_until(e.loop, tx_done, &t, 30));
	CHECK(t.write_ready_calls > 0);
	/* The tail is queued and not yet written when close comes: close
	 * must write it, not drop it. */
	for (size_t i = 0; i < TAIL; i++)
		tail[i] = tfe_byte(7, t.tx_total + i);
	CHECK_EQ(chr_write(chr, tail, TAIL), TAIL);
	REQUIRE(chr_get_stats(chr, &st) == 0);
	CHECK_EQ(st.bytes_out, t.tx_total);
	CHECK_EQ(st.bytes_dropped, 0);
	chr_close(chr);

	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != tfe_byte(7, pos + (uint64_t)i);
		pos += (uint64_t)n;
	}
	close(fd);
	CHECK_EQ(pos, 1 << 20);
	CHECK_EQ(bad, 0);
	tenv_close(&e);
	return t_finish();
}
