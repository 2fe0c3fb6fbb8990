/*
 * registry-ids: chardevs are found by id; a plain one goes to one frontend
 * only, a mux=on one gives a port per frontend up to CHR_MUX_MAX; -serial
 * specs get names serial0, serial1...; chardev:ID refers to an existing
 * id; duplicates and unknown ids are one-sentence errors; an open failure
 * (file in a missing directory, pipe that is missing or no FIFO) is
 * reported the same way.
 */
#include <stdio.h>
#include <string.h>

#include "char-test.h"

int main(int argc, char **argv)
{
	struct tenv e;
	struct chr_registry *reg;
	struct chr_spec s;
	struct chr_dev *a, *b;
	char err[256], id[CHR_ID_MAX];
	bool none;

	t_timeout(10);
	tenv_open(&e, argc, argv);
	REQUIRE(chr_registry_new(&reg, e.loop, e.aio) == 0);

	REQUIRE(chr_parse_chardev("null,id=n0", &s, err, sizeof(err)) == 0);
	CHECK_EQ(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)), 0);
	CHECK_EQ(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)), -EEXIST);
	CHECK(strstr(err, "'n0' is used twice") != NULL);

	CHECK_EQ(chr_registry_get(reg, "n0", &a, err, sizeof(err)), 0);
	CHECK_EQ(chr_registry_get(reg, "n0", &b, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "add mux=on") != NULL);
	CHECK_EQ(chr_registry_get(reg, "nope", &b, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "no chardev with id 'nope'") != NULL);

	REQUIRE(chr_parse_chardev("null,id=shared,mux=on", &s, err, sizeof(err)) == 0);
	CHECK_EQ(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)), 0);
	for (int i = 0; i < CHR_MUX_MAX; i++)
		CHECK_EQ(chr_registry_get(reg, "shared", &a, err, sizeof(err)), 0);
	CHECK_EQ(chr_registry_get(reg, "shared", &a, err, sizeof(err)), -ENOSPC);

	REQUIRE(chr_parse_serial("null", &s, &none, err, sizeof(err)) == 0);
	CHECK_EQ(chr_registry_add(reg, &s, id, sizeof(id), err, sizeof(err)), 0);
	CHECK(!strcmp(id, "serial0"));
	CHECK_EQ(chr_registry_add(reg, &s, id, sizeof(id), err, sizeof(err)), 0);
	CHECK(!strcmp(id, "serial1"));

	REQUIRE(chr_parse_serial("chardev:shared", &s, &none, err, sizeof(err)) == 0);
	CHECK_EQ(chr_registry_add(reg, &s, id, sizeof(id), err, sizeof(err)), 0);
	CHECK(!strcmp(id, "shared"));
	REQUIRE(chr_parse_serial("chardev:ghost", &s, &none, err, sizeof(err)) == 0);
	CHECK_EQ(chr_registry_add(reg, &s, id, sizeof(id), err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "no -chardev with id 'ghost'") != NULL);

	REQUIRE(chr_parse_chardev("file,id=f,path=/nonexistent-dir/x.log", &s, err,
				  sizeof(err)) == 0);
	CHECK(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)) < 0);
	CHECK(strstr(err, "cannot open '/nonexistent-dir/x.log'") != NULL);
	fprintf(stderr, "open error reads: %s\n", err);

	/* Pipe open errors: nothing there, a regular file, a client first. */
	static const struct { const char *fmt, *says; } pipes[] = {
		{ "pipe,id=p1,path=%s/none", "does not exist" },
		{ "pipe,id=p2,path=%s/plain", "is not a FIFO" },
		{ "pipe,id=p3,path=%s/none,client=on", "start the server" },
	};
	char spec[700], plain[600];

	snprintf(plain, sizeof(plain), "%s/plain", t_tmpdir());
	fclose(fopen(plain, "w"));
	for (int i = 0; i < 3; i++) {
		snprintf(spec, sizeof(spec), pipes[i].fmt, t_tmpdir());
		REQUIRE(chr_parse_chardev(spec, &s, err, sizeof(err)) == 0);
		CHECK(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)) < 0);
		CHECK(strstr(err, pipes[i].says) != NULL);
		fprintf(stderr, "pipe error reads: %s\n", err);
	}

	REQUIRE(chr_parse_chardev("socket,id=c,path=/nonexistent-dir/no.sock", &s, err,
				  sizeof(err)) == 0);
	CHECK_EQ(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)), 0);
	CHECK(chr_registry_wait(reg, err, sizeof(err)) < 0); /* client, no reconnect */
	CHECK(strstr(err, "cannot connect") != NULL);
	fprintf(stderr, "connect error reads: %s\n", err);

	chr_registry_free(reg);
	tenv_close(&e);
	return t_finish();
}
