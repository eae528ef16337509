/* The mixed run: processes, threads and coroutines at once, traced, and
 * written as the HTML timeline (switchscope export) next to the table. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "ss.h"

static int export_html(const char *trace, const char *html)
{
	char *const argv[] = { "switchscope", "export", (char *)trace, "--format", "html",
			       "-o", (char *)html, "--quiet", NULL };
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* the timeline goes to a file; keep our stdout for the table */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv("/proc/self/exe", argv);
		_exit(SS_EXIT_EXEC);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : SS_EXIT_INTERNAL;
}

void lab_exp_mixed(struct lab *L)
{
	const char *argv[] = { "ss-lab-mixed", "--rounds", L->o.quick ? "1000" : "2000", NULL };
	struct lab_out out;
	int rc;

	if (!L->trace_ok) {
		snprintf(L->mixed_why, sizeof(L->mixed_why), "no timeline: %s", L->trace_why);
		return;
	}
	lab_progress(L, "mixed run: processes, threads and coroutines at once");
	if (lab_run(L, argv, NULL, "mixed", LAB_TRACE | LAB_WAKEUP | LAB_PROBES, &out) || !out.traced) {
		snprintf(L->mixed_why, sizeof(L->mixed_why), "the mixed run failed%s%s",
			 out.why[0] ? ": " : "", out.why);
		return;
	}
	snprintf(L->mixed_trace, sizeof(L->mixed_trace), "%s", out.trace);
	L->mixed_records = out.res.records;
	snprintf(L->mixed_html, sizeof(L->mixed_html), "%s/mixed.html", L->dir);
	rc = export_html(L->mixed_trace, L->mixed_html);
	if (rc) {
		snprintf(L->mixed_why, sizeof(L->mixed_why), "switchscope export failed (exit "
			 "code %d)", rc);
		L->mixed_html[0] = 0;
	}
}
