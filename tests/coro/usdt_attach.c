/* Attach tests/coro/coro_usdt.bpf.c to USDT probes and run a command:
 * see usdt_attach.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "usdt_attach.h"
#include "coro_usdt.skel.h"

#define MAX_LINKS 64

struct usdt_session {
	struct coro_usdt_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	usdt_cb cb;
	void *cb_ctx;
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("CORO_USDT_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct usdt_session *u = ctx;

	if (u->cb && size >= sizeof(struct usdt_event))
		u->cb(u->cb_ctx, data);
	return 0;
}

struct usdt_session *usdt_open(char *err, size_t errlen)
{
	struct usdt_session *u = calloc(1, sizeof(*u));
	int rc;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	libbpf_set_print(quiet);
	u->skel = coro_usdt_bpf__open_and_load();
	if (!u->skel) {
		rc = errno;
		snprintf(err, errlen, "cannot load the USDT BPF program: %s%s", strerror(rc),
			 rc == EPERM ? " (needs root, or CAP_BPF and CAP_PERFMON)" : "");
		free(u);
		return NULL;
	}
	u->rb = ring_buffer__new(bpf_map__fd(u->skel->maps.events), on_sample, u, NULL);
	if (!u->rb) {
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		usdt_close(u);
		return NULL;
	}
	return u;
}

int usdt_attach(struct usdt_session *u, int count_only, const char *path,
		const char *provider, const char *name, uint64_t cookie,
		char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = cookie);
	struct bpf_program *prog = count_only ? u->skel->progs.on_count
					      : u->skel->progs.on_event;
	struct bpf_link *l;

	if (u->nlinks == MAX_LINKS) {
		snprintf(err, errlen, "too many probes");
		return -ENOSPC;
	}
	l = bpf_program__attach_usdt(prog, -1, path, provider, name, &opts);
	if (!l) {
		int rc = -errno;

		snprintf(err, errlen, "attach %s:%s in %s: %s", provider, name, path,
			 strerror(-rc));
		return rc;
	}
	u->links[u->nlinks++] = l;
	return 0;
}

static void drain_pipe(int fd, char *out, size_t outlen, size_t *got)
{
	for (;;) {
		char tmp[4096];
		ssize_t n = read(fd, tmp, sizeof(tmp));
		size_t room = outlen - 1 - *got;

		if (n <= 0)
			return;
		if ((size_t)n > room)
			n = (ssize_t)room;
		memcpy(out + *got, tmp, (size_t)n);
		*got += (size_t)n;
	}
}

int usdt_run(struct usdt_session *u, char *const argv[], usdt_cb cb, void *ctx,
	     char *out, size_t outlen)
{
	int go[2], so[2], status = -1;
	size_t got = 0;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(so, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char c;

		dup2(so[1], STDOUT_FILENO);
		/* wait until the filter knows our pid */
		if (read(go[0], &c, 1) != 1)
			_exit(126);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	close(so[1]);
	if (pid < 0) {
		close(go[1]);
		close(so[0]);
		return -1;
	}
	u->cb = cb;
	u->cb_ctx = ctx;
	u->skel->bss->hits = 0;
	u->skel->bss->target_tgid = (__u32)pid;
	fcntl(so[0], F_SETFL, O_NONBLOCK);
	if (write(go[1], "g", 1) != 1)
		kill(pid, SIGKILL);
	close(go[1]);
	for (;;) {
		struct pollfd p = { .fd = so[0], .events = POLLIN };
		pid_t w;

		ring_buffer__poll(u->rb, 0);
		poll(&p, 1, 20);
		drain_pipe(so[0], out, outlen, &got);
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
	}
	while (ring_buffer__consume(u->rb) > 0)
		;
	drain_pipe(so[0], out, outlen, &got);
	out[got] = 0;
	close(so[0]);
	u->skel->bss->target_tgid = 0;
	return status;
}

uint64_t usdt_hits(struct usdt_session *u)
{
	return u->skel->bss->hits;
}

uint64_t usdt_lost(struct usdt_session *u)
{
	return u->skel->bss->lost;
}

void usdt_close(struct usdt_session *u)
{
	if (!u)
		return;
	for (int i = 0; i < u->nlinks; i++)
		bpf_link__destroy(u->links[i]);
	ring_buffer__free(u->rb);
	coro_usdt_bpf__destroy(u->skel);
	free(u);
}
