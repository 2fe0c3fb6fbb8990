/*
 * socket-wait: a server=on,wait=on socket makes chr_registry_wait run the
 * loop until a client connects (here one that comes 300 ms later from a
 * timer), and not return before; wait=off servers are not waited for.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "char-test.h"

static char path[512];
static int client_fd = -1;
static uint64_t connected_at;

static void connect_now(void *arg)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	strcpy(un.sun_path, path);
	client_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(client_fd >= 0);
	REQUIRE(connect(client_fd, (struct sockaddr *)&un, sizeof(un)) == 0);
	connected_at = loop_now_ns();
}

int main(int argc, char **argv)
{
	struct tenv e;
	struct chr_registry *reg;
	struct chr_spec s;
	struct chr_dev *chr;
	struct loop_timer timer;
	char spec[700], err[256];
	uint64_t t0;

	t_timeout(30);
	tenv_open(&e, argc, argv);
	snprintf(path, sizeof(path), "%s/w.sock", t_tmpdir());
	REQUIRE(chr_registry_new(&reg, e.loop, e.aio) == 0);
	snprintf(spec, sizeof(spec), "socket,id=mon0,path=%s,server=on", path);
	REQUIRE(chr_parse_chardev(spec, &s, err, sizeof(err)) == 0);
	CHECK(s.server && s.wait); /* wait=on is the default, as in QEMU */
	REQUIRE(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)) == 0);
	/* A second server that must not be waited for. */
	REQUIRE(chr_parse_chardev("socket,id=nw,host=127.0.0.1,port=0,server=on,wait=off",
				  &s, err, sizeof(err)) == 0);
	REQUIRE(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)) == 0);
	REQUIRE(chr_registry_get(reg, "mon0", &chr, err, sizeof(err)) == 0);

	/* Nobody there: a bounded wait times out. */
	CHECK_EQ(chr_wait_connected(chr, 100000000), -ETIMEDOUT);

	loop_timer_init(&timer, connect_now, NULL);
	t0 = loop_now_ns();
	REQUIRE(loop_timer_arm(e.loop, &timer, t0 + 300000000) == 0);
	CHECK_EQ(chr_registry_wait(reg, err, sizeof(err)), 0);
	CHECK(client_fd >= 0);
	CHECK(connected_at >= t0 + 300000000);
	CHECK(loop_now_ns() >= connected_at);
	struct chr_stats st;

	REQUIRE(chr_get_stats(chr, &st) == 0);
	CHECK(st.connected);
	CHECK_EQ(st.connects, 1);
	chr_registry_free(reg);
	close(client_fd);
	tenv_close(&e);
	return t_finish();
}
