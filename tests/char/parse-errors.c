/*
 * parse-errors: -chardev and -serial strings parse into the right chr_spec,
 * and each bad one fails with -EINVAL and one sentence naming the problem.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "char-test.h"

struct bad {
	bool serial;
	const char *spec;
	const char *says; /* a piece of the sentence */
};

static const struct bad bads[] = {
	{ false, "bogus,id=x", "unknown chardev backend 'bogus'" },
	{ false, "", "needs a backend" },
	{ false, "file,path=/tmp/x", "needs id=ID" },
	{ false, "file,id=f0", "needs path=PATH" },
	{ false, "pipe,id=p0", "needs path=PATH" },
	{ false, "socket,id=s0", "needs path=PATH (unix) or port=PORT (tcp)" },
	{ false, "socket,id=s0,host=localhost", "port=PORT" },
	{ false, "socket,id=s0,port=1,server=maybe", "'server=maybe' must be on or off" },
	{ false, "socket,id=s0,port=1,reconnect=soon", "not a number of seconds" },
	{ false, "socket,id=s0,port=1,server=on,reconnect=1", "reconnect is for clients" },
	{ false, "socket,id=s0,path=/a,port=1", "cannot be combined" },
	{ false, "file,id=f0,path=/a,colour=red", "has no option 'colour'" },
	{ false, "null,id=n0,path=/a", "has no option 'path'" },
	{ false, "pty,id=t0,server=on", "has no option 'server'" },
	{ false, "pipe,id=p0,path=/a,server=on,client=on", "not both" },
	{ false, "file,id=,path=/a", "must be 1 to" },
	{ false, "file,id=f0,,path=/a", "needs path=PATH" }, /* ",," is a comma in id */
	{ false, "socket,id=s0,port=1,telnet=on", "has no option 'telnet'" },
	{ true, "vc", "unknown -serial device 'vc'" },
	{ true, "file:", "needs a path" },
	{ true, "pipe:", "needs a path" },
	{ true, "tcp:localhost", "needs a port" },
	{ true, "tcp:localhost:", "needs a port" },
	{ true, "tcp::1234,server=perhaps", "must be on or off" },
	{ true, "tcp::1234,bogus", "has no option 'bogus'" },
	{ true, "unix:", "needs a path" },
	{ true, "chardev:", "needs the id" },
	{ true, "mon:none", "makes no sense" },
	{ true, "mon:chardev:x", "takes a device" },
};

int main(void)
{
	struct chr_spec s;
	char err[256];
	bool none;

	t_timeout(10);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		int ret;

		err[0] = 0;
		ret = b->serial ? chr_parse_serial(b->spec, &s, &none, err, sizeof(err))
				: chr_parse_chardev(b->spec, &s, err, sizeof(err));
		if (ret != -EINVAL || !strstr(err, b->says)) {
			fprintf(stderr, "'%s': got %d \"%s\", want \"%s\"\n", b->spec, ret, err,
				b->says);
			t_failures++;
		}
		/* one sentence: no newline inside */
		CHECK(!strchr(err, '\n'));
	}

	/* Good ones, with the fields they set. */
	REQUIRE(chr_parse_chardev("socket,id=mon0,host=127.0.0.1,port=4444,server=on,"
				  "wait=off,nodelay=on", &s, err, sizeof(err)) == 0);
	CHECK(s.kind == CHR_KIND_SOCKET && !strcmp(s.id, "mon0") && !s.is_unix);
	CHECK(!strcmp(s.host, "127.0.0.1") && !strcmp(s.port, "4444"));
	CHECK(s.server && !s.wait && s.nodelay && !s.mux);

	REQUIRE(chr_parse_chardev("socket,id=c,path=/tmp/a,,b.sock,reconnect=2,mux=on",
				  &s, err, sizeof(err)) == 0);
	CHECK(s.is_unix && !strcmp(s.path, "/tmp/a,b.sock") && s.reconnect_ms == 2000);
	CHECK(s.mux && !s.server);

	REQUIRE(chr_parse_chardev("socket,id=c,port=9,reconnect-ms=250", &s, err,
				  sizeof(err)) == 0);
	CHECK_EQ(s.reconnect_ms, 250);

	REQUIRE(chr_parse_chardev("file,id=log,path=/tmp/x.log,append=on", &s, err,
				  sizeof(err)) == 0);
	CHECK(s.kind == CHR_KIND_FILE && s.append && !strcmp(s.path, "/tmp/x.log"));

	REQUIRE(chr_parse_chardev("pipe,id=p,path=/tmp/p,client=on", &s, err, sizeof(err)) == 0);
	CHECK(s.kind == CHR_KIND_PIPE && s.client && !s.server);

	REQUIRE(chr_parse_serial("tcp::4444,server,nowait", &s, &none, err, sizeof(err)) == 0);
	CHECK(s.kind == CHR_KIND_SOCKET && !s.host[0] && !strcmp(s.port, "4444"));
	CHECK(s.server && !s.wait && !none);

	REQUIRE(chr_parse_serial("tcp:[::1]:5555,server=on,wait=off", &s, &none, err,
				 sizeof(err)) == 0);
	CHECK(!strcmp(s.host, "::1") && !strcmp(s.port, "5555") && s.server && !s.wait);

	REQUIRE(chr_parse_serial("tcp:example.org:23,reconnect=5", &s, &none, err,
				 sizeof(err)) == 0);
	CHECK(!strcmp(s.host, "example.org") && s.reconnect_ms == 5000 && !s.server);

	REQUIRE(chr_parse_serial("unix:/tmp/ser.sock,server", &s, &none, err, sizeof(err)) == 0);
	CHECK(s.is_unix && !strcmp(s.path, "/tmp/ser.sock") && s.server && s.wait);

	REQUIRE(chr_parse_serial("mon:stdio", &s, &none, err, sizeof(err)) == 0);
	CHECK(s.kind == CHR_KIND_STDIO && s.mux && s.mon);

	REQUIRE(chr_parse_serial("file:/tmp/with,comma", &s, &none, err, sizeof(err)) == 0);
	CHECK(s.kind == CHR_KIND_FILE && !strcmp(s.path, "/tmp/with,comma"));

	REQUIRE(chr_parse_serial("pipe:/tmp/p", &s, &none, err, sizeof(err)) == 0);
	CHECK(s.kind == CHR_KIND_PIPE && !strcmp(s.path, "/tmp/p"));

	REQUIRE(chr_parse_serial("chardev:ser0", &s, &none, err, sizeof(err)) == 0);
	CHECK(s.kind == CHR_KIND_REF && !strcmp(s.ref, "ser0"));

	REQUIRE(chr_parse_serial("none", &s, &none, err, sizeof(err)) == 0);
	CHECK(none && s.kind == CHR_KIND_NULL);
	REQUIRE(chr_parse_serial("pty", &s, &none, err, sizeof(err)) == 0);
	CHECK(!none && s.kind == CHR_KIND_PTY);
	return t_finish();
}
