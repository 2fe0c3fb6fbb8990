/*
 * commands.c - the monitor's line editing and command dispatch without a
 * chardev: input goes in with mon_input, the answers are read back with
 * mon_pending, and fake callbacks record what the commands asked for.
 * Also: random bytes in bulk never crash it and every line ends at a prompt.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "monitor/monitor.h"

struct fake {
	int quits, links, last_up;
	char last_name[64];
};

static int fake_set_link(void *opaque, const char *name, bool up)
{
	struct fake *f = opaque;

	if (strcmp(name, "n0"))
		return -ENOENT;
	f->links++;
	f->last_up = up;
	snprintf(f->last_name, sizeof(f->last_name), "%s", name);
	return 0;
}

static void fake_info_network(void *opaque, struct mon *m)
{
	mon_printf(m, "n0: fake\n");
}

static void fake_quit(void *opaque)
{
	((struct fake *)opaque)->quits++;
}

/* Run one input chunk; returns the output it produced (NUL-terminated). */
static const char *run(struct mon *m, const char *in)
{
	static char buf[70000];
	size_t len;
	const char *p;

	mon_pending_clear(m);
	mon_input(m, (const uint8_t *)in, strlen(in));
	p = mon_pending(m, &len);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

static bool ends_with(const char *s, const char *t)
{
	size_t a = strlen(s), b = strlen(t);

	return a >= b && !strcmp(s + a - b, t);
}

int main(void)
{
	struct fake f = { 0 };
	struct mon_env env = { .opaque = &f, .set_link = fake_set_link,
			       .info_network = fake_info_network, .quit = fake_quit };
	struct mon *m;
	char big[2000];

	REQUIRE(mon_new(&m, &env) == 0);
	CHECK(strstr(run(m, "help\n"), "set_link NAME on|off") != NULL);
	CHECK(strstr(run(m, "?\n"), "quit|q") != NULL);
	CHECK(strstr(run(m, "info network\n"), "n0: fake\r\n(ringvm) ") != NULL);
	CHECK(strstr(run(m, "info block\n"), "unknown info item: 'block'") != NULL); /* no callback */
	CHECK(strstr(run(m, "info\n"), "info needs one of") != NULL);
	CHECK(strstr(run(m, "info version\n"), "ringvm ") != NULL);
	/* Tabs and repeated blanks split words; CR LF runs the line once. */
	CHECK_EQ(strcmp(run(m, "  set_link\tn0   off\r\n"), "  set_link n0   off\r\n(ringvm) "), 0);
	CHECK_EQ(f.links, 1);
	CHECK_EQ(f.last_up, 0);
	run(m, "set_link n0 on\n");
	CHECK_EQ(f.links, 2);
	CHECK_EQ(f.last_up, 1);
	CHECK(strstr(run(m, "set_link n9 on\n"), "no NIC or netdev named 'n9'") != NULL);
	CHECK(strstr(run(m, "set_link n0\n"), "usage:") != NULL);
	CHECK(strstr(run(m, "set_link n0 on extra\n"), "usage:") != NULL);
	CHECK_EQ(f.links, 2);
	/* Backspace edits the line: "infx" + BS + "o status". */
	CHECK(strstr(run(m, "infx\x7fo status\n"), "VM status: running") != NULL);
	CHECK(strstr(run(m, "nope\n"), "unknown command: 'nope'") != NULL);
	/* A line of exactly MON_LINE_MAX - 1 characters is fine, one more is not. */
	memset(big, 'a', sizeof(big));
	big[MON_LINE_MAX - 1] = '\n';
	big[MON_LINE_MAX] = '\0';
	CHECK(strstr(run(m, big), "unknown command: 'aaa") != NULL);
	big[MON_LINE_MAX - 1] = 'a';
	big[MON_LINE_MAX] = '\n';
	big[MON_LINE_MAX + 1] = '\0';
	CHECK(strstr(run(m, big), "line too long") != NULL);
	/* Random bytes (no CR/LF, no 'q'): never a crash, never a quit. */
	for (int round = 0; round < 200; round++) {
		uint8_t junk[512];

		for (size_t i = 0; i < sizeof(junk); i++) {
			junk[i] = (uint8_t)t_rand();
			if (junk[i] == 'q')
				junk[i] = 'Q';
		}
		junk[sizeof(junk) - 1] = '\n';
		mon_pending_clear(m);
		mon_input(m, junk, sizeof(junk));
		size_t len;
		const char *p = mon_pending(m, &len);
		CHECK(len >= 9 && !memcmp(p + len - 9, "(ringvm) ", 9));
	}
	CHECK_EQ(f.quits, 0);
	/* quit: the callback once, and nothing more is read after it. */
	CHECK(!ends_with(run(m, "q\nhelp\n"), "(ringvm) "));
	CHECK_EQ(f.quits, 1);
	CHECK_EQ(strcmp(run(m, "help\n"), ""), 0);
	mon_free(m);
	return t_finish();
}
