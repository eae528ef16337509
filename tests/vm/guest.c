#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

int kmod_load(void)
{
	int fd = open(KO_PATH, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = syscall(SYS_finit_module, fd, "", 0);
	rc = rc ? -errno : 0;
	close(fd);
	return rc;
}

int kmod_unload(void)
{
	return syscall(SYS_delete_module, "switchscope", O_NONBLOCK) ? -errno : 0;
}

int kmod_loaded(void)
{
	return access("/sys/module/switchscope", F_OK) == 0;
}

int kmod_ensure(void)
{
	return kmod_loaded() ? 0 : kmod_load();
}

int kmod_open(int flags)
{
	int fd = open(SS_KMOD_DEVICE, O_RDONLY | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

/* 1 if a read gave records, 0 at the end, -errno. */
static int read_one(int fd, struct recs *r)
{
	ssize_t n;

	if (r->cap - r->len < (1u << 20)) {
		size_t nc = r->cap ? r->cap * 2 : 4u << 20;
		char *nb = realloc(r->buf, nc);

		if (!nb)
			return -ENOMEM;
		r->buf = nb;
		r->cap = nc;
	}
	n = read(fd, r->buf + r->len, 1u << 20);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	for (ssize_t off = 0; off < n;) {
		const struct ss_hdr *h = (const void *)(r->buf + r->len + off);

		if (h->size < sizeof(*h) || off + h->size > n)
			return -EPROTO;
		off += h->size;
		r->n++;
	}
	r->len += n;
	return n > 0;
}

int recs_read_all(int fd, struct recs *r)
{
	int rc;

	while ((rc = read_one(fd, r)) > 0)
		;
	return rc;
}

int recs_read_once(int fd, struct recs *r)
{
	int rc = read_one(fd, r);

	return rc < 0 ? rc : 0;
}

void recs_free(struct recs *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

pid_t spawn_held(char *const argv[], int (*fn)(void *), void *arg, int *go)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(126);
		if (argv) {
			execv(argv[0], argv);
			_exit(127);
		}
		_exit(fn(arg));
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

int go_release(int go)
{
	int rc = write(go, "g", 1) == 1 ? 0 : -errno;

	close(go);
	return rc;
}

int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

int kernel_log_clean(char *bad, size_t len)
{
	static const char *const pats[] = {
		"BUG:", "Oops", "WARNING:", "general protection", "Call Trace:",
	};
	int n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save = NULL;
	int clean = 1;

	if (n <= 0)
		n = 1 << 20;
	buf = calloc(1, n + 1);
	if (!buf)
		return 0;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, n);
	if (n < 0) {
		snprintf(bad, len, "cannot read the kernel log: %s", strerror(errno));
		free(buf);
		return 0;
	}
	for (line = strtok_r(buf, "\n", &save); line && clean;
	     line = strtok_r(NULL, "\n", &save)) {
		for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			if (strstr(line, pats[i])) {
				snprintf(bad, len, "%s", line);
				clean = 0;
			}
		}
	}
	free(buf);
	return clean;
}

int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}
