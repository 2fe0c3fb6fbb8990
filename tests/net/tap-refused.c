/*
 * tap-refused.c - a tap that cannot be had is refused with one sentence
 * and nothing else happens: a name already attached by another open is
 * "in use"; a user without CAP_NET_ADMIN "needs root".
 */
#include "net-test.h"

#include <sys/wait.h>

static bool one_sentence(const char *s)
{
	size_t n = strlen(s);
	return n > 10 && s[n - 1] == '.' && !strchr(s, '\n');
}

int main(void)
{
	t_timeout(30);
	nt_need_tun();
	nt_netns();
	struct nt f;
	nt_open(&f, "io_uring");
	struct net_netdev_opts o;
	char err[256];
	REQUIRE(net_parse_netdev("tap,id=a,ifname=rvbusy0,script=no", &o, err, sizeof(err)) == 0);
	struct net_backend *a, *b = NULL;
	REQUIRE(net_tap_open(&a, f.e, &o, err, sizeof(err)) == 0);

	/* Busy: the same name again. */
	err[0] = '\0';
	CHECK_EQ(net_tap_open(&b, f.e, &o, err, sizeof(err)), -EBUSY);
	CHECK(b == NULL);
	CHECK(strstr(err, "tap rvbusy0 is in use by another program") != NULL);
	CHECK(one_sentence(err));
	fprintf(stderr, "busy: %s\n", err);

	/* Not root: a child drops to nobody and tries to create a tap. */
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		struct net_netdev_opts c;
		char e2[256] = "";
		if (net_parse_netdev("tap,id=c,ifname=rvnew0", &c, e2, sizeof(e2)))
			_exit(3);
		int ret = net_tap_open(&b, f.e, &c, e2, sizeof(e2));
		fprintf(stderr, "not root: %s\n", e2);
		_exit(ret < 0 && strstr(e2, "needs root") && one_sentence(e2) ? 0 : 1);
	}
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The child created nothing. */
	CHECK(system("ip link show rvnew0 >/dev/null 2>&1") != 0);

	net_backend_close(a);
	nt_close(&f);
	return t_finish();
}
