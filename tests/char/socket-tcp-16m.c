/*
 * socket-tcp-16m: a tcp server chardev (port=0: the kernel picks one) and a
 * client chardev with nodelay exchange 16 MiB in each direction at once,
 * every byte checked.
 */
#include <stdio.h>

#include "char-test.h"

int main(int argc, char **argv)
{
	struct tenv e;
	char spec[256];
	int port;

	t_timeout(120);
	tenv_open(&e, argc, argv);
	struct chr_dev *srv = t_open(&e, "socket,id=srv,host=127.0.0.1,port=0,server=on,wait=off");

	port = chr_socket_port(srv);
	REQUIRE(port > 0);
	snprintf(spec, sizeof(spec), "socket,id=cli,host=127.0.0.1,port=%d,nodelay=on", port);
	struct chr_dev *cli = t_open(&e, spec);

	CHECK_EQ(chr_wait_connected(cli, 5000000000ll), 0);
	CHECK_EQ(chr_wait_connected(srv, 5000000000ll), 0);
	t_exchange(&e, srv, cli, 16ull << 20, 100);
	chr_close(cli);
	chr_close(srv);
	tenv_close(&e);
	return t_finish();
}
