/*
 * socket-unix-16m: a unix socket server chardev and a client chardev in one
 * process exchange 16 MiB in each direction at once, every byte checked;
 * the server removes its socket file at close.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "char-test.h"

int main(int argc, char **argv)
{
	struct tenv e;
	char path[512], spec[700];
	struct stat st;

	t_timeout(120);
	tenv_open(&e, argc, argv);
	snprintf(path, sizeof(path), "%s/s.sock", t_tmpdir());
	snprintf(spec, sizeof(spec), "socket,id=srv,path=%s,server=on,wait=off", path);
	struct chr_dev *srv = t_open(&e, spec);

	snprintf(spec, sizeof(spec), "socket,id=cli,path=%s", path);
	struct chr_dev *cli = t_open(&e, spec);

	CHECK_EQ(chr_wait_connected(cli, 5000000000ll), 0);
	CHECK_EQ(chr_wait_connected(srv, 5000000000ll), 0);
	t_exchange(&e, srv, cli, 16ull << 20, 100);
	chr_close(cli);
	chr_close(srv);
	CHECK(stat(path, &st) < 0);
	tenv_close(&e);
	return t_finish();
}
