/* Running the lab's workloads: untraced for the figures, under the
 * recorder for the evidence. Their stdout (key=value lines) is captured
 * in a memfd; their stderr goes where ours does. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "ss.h"

static void read_back(int fd, struct lab_out *out)
{
	ssize_t n;

	out->text[0] = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return;
	n = read(fd, out->text, sizeof(out->text) - 1);
	out->text[n > 0 ? n : 0] = 0;
}

static void set_env(const char *env, int on)
{
	char name[64];
	const char *eq = env ? strchr(env, '=') : NULL;

	if (!eq || (size_t)(eq - env) >= sizeof(name))
		return;
	memcpy(name, env, eq - env);
	name[eq - env] = 0;
	if (on)
		setenv(name, eq + 1, 1);
	else
		unsetenv(name);
}

static int run_plain(char *const *argv, int fd, struct lab_out *out)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(fd, STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", ss_prog, argv[0], strerror(errno));
		_exit(SS_EXIT_EXEC);
	}
	while (waitpid(pid, &out->status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int run_traced(struct lab *L, char *const *argv, const char *name, unsigned int flags,
		      int fd, struct lab_out *out)
{
	struct ss_record_opts o = {
		.output = out->trace,
		.backend = "bpf",
		.cmd = argv,
		.quiet = 1,
		.syscalls = !!(flags & LAB_SYSCALLS),
		.switch_in = !!(flags & LAB_SWITCH_IN),
		.wakeup = !!(flags & LAB_WAKEUP),
		/* detaching the coroutine probes takes most of a second:
		 * only workloads that run coroutines get them */
		.no_coro = !(flags & LAB_PROBES),
		.buffer_bytes = 64u << 20,
	};
	int saved, code;

	snprintf(out->trace_rel, sizeof(out->trace_rel), "traces/%s.trace", name);
	snprintf(out->trace, sizeof(out->trace), "%s/%s", L->dir, out->trace_rel);
	fflush(stdout);
	saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
	if (saved < 0)
		return -errno;
	dup2(fd, STDOUT_FILENO);
	code = ss_record_run(&o, &out->res);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	out->status = out->res.cmd_status;
	/* Ctrl-C stops the recording and the workload: it stops the lab too */
	if (out->res.cmd_started && WIFSIGNALED(out->status) &&
	    (WTERMSIG(out->status) == SIGINT || WTERMSIG(out->status) == SIGTERM))
		raise(WTERMSIG(out->status));
	if (code == SS_OK || out->res.cmd_started) {
		out->traced = code == SS_OK;
		if (code != SS_OK)
			snprintf(out->why, sizeof(out->why), "recording %s failed (exit code %d)",
				 name, code);
		return 0;
	}
	snprintf(out->why, sizeof(out->why), "recording %s failed (exit code %d, see above)",
		 name, code);
	return code;
}

int lab_run(struct lab *L, const char *const *args, const char *env, const char *name,
	    unsigned int flags, struct lab_out *out)
{
	char path[PATH_MAX + 64];
	char *argv[32];
	int fd, rc = -1, n = 0;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%s", L->bindir, args[0]);
	argv[n++] = path;
	for (int i = 1; args[i] && n < 31; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	fd = memfd_create("lab-output", MFD_CLOEXEC);
	if (fd < 0) {
		ss_err("memfd_create: %s", strerror(errno));
		return -1;
	}
	set_env(env, 1);
	if ((flags & LAB_TRACE) && L->trace_ok) {
		lab_progress(L, "  recording traces/%s.trace", name);
		rc = run_traced(L, argv, name, flags, fd, out);
	}
	/* Tracing not available, or it failed before the command ran: the
	 * figures do not need it. */
	if (rc)
		rc = run_plain(argv, fd, out);
	set_env(env, 0);
	read_back(fd, out);
	close(fd);
	if (rc)
		return -1;
	if (!WIFEXITED(out->status) || WEXITSTATUS(out->status)) {
		ss_warn("%s exited with status %d", args[0], ss_status_exit_code(out->status));
		return -1;
	}
	return 0;
}

static const char *find_line(const char *text, const char *match)
{
	const char *p = match ? strstr(text, match) : text;

	if (!p)
		return NULL;
	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

int lab_field_str(const char *text, const char *match, const char *key, char *buf, size_t len)
{
	const char *line = find_line(text, match), *end, *p;
	size_t kl = strlen(key), n;

	if (!line)
		return -1;
	end = strchr(line, '\n');
	if (!end)
		end = line + strlen(line);
	for (p = line; p < end; p++) {
		if ((p == line || p[-1] == ' ') && !strncmp(p, key, kl) && p[kl] == '=') {
			p += kl + 1;
			n = strcspn(p, " \n");
			if (n >= len)
				n = len - 1;
			memcpy(buf, p, n);
			buf[n] = 0;
			return 0;
		}
	}
	return -1;
}

int lab_field(const char *text, const char *match, const char *key, double *v)
{
	char buf[64], *end;

	if (lab_field_str(text, match, key, buf, sizeof(buf)))
		return -1;
	*v = strtod(buf, &end);
	return end == buf ? -1 : 0;
}
