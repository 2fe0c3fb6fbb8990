/* With io_uring forbidden by seccomp (as container runtimes do), the
 * automatic choice falls back to epoll + libaio/threads with one log line
 * and file I/O still works; asking for io_uring explicitly fails cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "aio/aio.h"
#include "harness.h"

static void forbid_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	REQUIRE(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		t_skip("seccomp filters are not available here");
}

static int done_flag;
static ssize_t result;
static void on_done(struct aio_req *r, ssize_t res)
{
	(void)r;
	result = res;
	done_flag = 1;
}

int main(void)
{
	struct loop *loop;
	struct aio_engine *e;
	struct loop_opts want_uring = { .poller = LOOP_POLLER_URING };
	t_timeout(30);
	forbid_io_uring();

	CHECK(loop_new(&loop, &want_uring) == -EPERM);
	REQUIRE(loop_new(&loop, NULL) == 0);
	CHECK(loop_poller(loop) == LOOP_POLLER_EPOLL);
	CHECK(aio_engine_open(&e, loop, AIO_ENGINE_URING) < 0);
	REQUIRE(aio_engine_open(&e, loop, AIO_ENGINE_AUTO) == 0);
	CHECK(aio_engine_kind(e) == AIO_ENGINE_NATIVE);

	char path[300], buf[16] = { 0 };
	snprintf(path, sizeof(path), "%s/f", t_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, "fallback works", 14) == 14);
	struct aio_req r;
	aio_prep_read(&r, fd, buf, 14, 0, on_done, NULL);
	REQUIRE(aio_submit(e, &r) == 0);
	while (!done_flag)
		REQUIRE(loop_run_once(loop, -1) >= 0);
	CHECK_EQ(result, 14);
	CHECK(!memcmp(buf, "fallback works", 14));
	close(fd);
	aio_engine_close(e);
	loop_free(loop);
	return t_finish();
}
