#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

const char *tu_bin(void)
{
	const char *b = getenv("SS_BIN");

	return b ? b : "build/bin";
}

const char *tu_tmp(const char *name)
{
	static char dir[128];
	static char path[4][256];
	static int slot;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/ss-test-%d", getpid());
		mkdir(dir, 0777);
		chmod(dir, 0777);
	}
	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof(path[slot]), "%s/%s", dir, name);
	return path[slot];
}

static char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (buf)
		buf[len] = 0;
	return buf;
}

int tu_run(char *const argv[], char **out, char **err)
{
	char path[512];
	int ofd, efd, status;
	pid_t pid;

	ofd = fileno(tmpfile());
	efd = fileno(tmpfile());
	if (strchr(argv[0], '/'))
		snprintf(path, sizeof(path), "%s", argv[0]);
	else
		snprintf(path, sizeof(path), "%s/%s", tu_bin(), argv[0]);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		execv(path, argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(126);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	if (out)
		*out = slurp(ofd);
	if (err)
		*err = slurp(efd);
	if (getenv("SS_TEST_VERBOSE")) {
		char *e = slurp(efd);

		fprintf(stderr, "  [%s] stderr: %s\n", argv[0], e ? e : "");
		free(e);
	}
	close(ofd);
	close(efd);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int tu_analyse(const char *path, struct ss_analysis *a)
{
	struct ss_reader *r;
	int damaged, code;

	code = ss_analyse_file(path, a, &r, &damaged);
	if (code)
		return code;
	ss_reader_close(r);
	return damaged ? 7 : 0;
}

long tu_each(const char *path, void (*fn)(const struct ss_hdr *h, void *ctx),
	     void *ctx)
{
	const struct ss_hdr *h;
	struct ss_reader *r;
	char err[256];
	long n = 0;
	int code;

	r = ss_reader_open(path, err, sizeof(err), &code);
	if (!r) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	while (ss_reader_next(r, &h) == 1) {
		fn(h, ctx);
		n++;
	}
	ss_reader_close(r);
	return n;
}

int tu_pingpong_tids(const char *out, uint32_t *a, uint32_t *b)
{
	const char *p = out ? strstr(out, "tids=") : NULL;

	return p && sscanf(p, "tids=%u,%u", a, b) == 2 ? 0 : -1;
}
