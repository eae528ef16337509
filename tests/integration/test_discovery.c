/* Finding coroutine probes (needs root): in libraries a program dlopens
 * long after its exec, with a command, -p and -a; and probes whose
 * arguments cannot be read, which must be named, not dropped. */
#define SS_TEST_MAIN
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"
#include "verify.h"

static char *test_bin(const char *name)
{
	static char p[4][256];
	static int k;
	char *s = p[k++ & 3];

	snprintf(s, 256, "%s/../tests/%s", tu_bin(), name);
	return s;
}

struct seen {
	uint32_t tgid;		/* 0: any */
	long creates, switches, bad_switch, exits, stats;
	uint64_t stats_switches;	/* of the last coro:stats */
};

static void on_rec(const struct ss_hdr *h, void *ctx)
{
	struct seen *s = ctx;
	const struct ss_coro_switch *w = (const void *)h;

	if (h->type < SS_EV_CORO_CREATE || h->type > SS_EV_CORO_STATS ||
	    (s->tgid && w->tgid != s->tgid))
		return;	/* every coroutine record has tid, tgid first */
	switch (h->type) {
	case SS_EV_CORO_CREATE:
		s->creates++;
		break;
	case SS_EV_CORO_SWITCH: {
		uint64_t i = s->switches++;

		/* dl_plugin.c: alternating 1 -> 2, 2 -> 1, dur_ns 100+i */
		if (w->from != (i & 1 ? 2u : 1u) || w->to != (i & 1 ? 1u : 2u) ||
		    w->dur_ns != 100 + i)
			s->bad_switch++;
		break;
	}
	case SS_EV_CORO_EXIT:
		s->exits++;
		break;
	case SS_EV_CORO_STATS:
		s->stats++;
		s->stats_switches = ((const struct ss_coro_stats *)h)->switches;
		break;
	}
}

static void check_all(const struct seen *s, long n)
{
	CHECK_EQ(s->creates, 2);
	CHECK_EQ(s->switches, n);
	CHECK_EQ(s->bad_switch, 0);
	CHECK_EQ(s->exits, 2);
}

/* record -- dl-host PLUGIN DELAY N: the plugin's code runs right after its
 * dlopen returns, so its probes must be attached before dlopen returns. */
static void dlopen_late(const char *delay_ms)
{
	const char *trace = tu_tmp("dl.trace");
	char *out = NULL, *err = NULL;
	struct seen s = { 0 };
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "record", "-q", "-o", (char *)trace, "--",
		    test_bin("dl-host"), test_bin("libdl-plugin.so"), (char *)delay_ms, "3000");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	/* dl_plugin.c returns the switch probes that found their semaphore set */
	CHECK(out && strstr(out, "plugin_run(3000) = 3000"), "out: %s err: %s", out, err);
	REQUIRE(tu_each(trace, on_rec, &s) > 0);
	check_all(&s, 3000);
	free(out);
	free(err);
}

TEST(library_dlopened_after_300ms_has_every_switch_in_the_trace)
{
	dlopen_late("300");
}

TEST(library_dlopened_after_2500ms_has_every_switch_in_the_trace)
{
	/* past the last of the old timed rescans (2 s after exec) */
	dlopen_late("2500");
}

TEST(verify_checks_every_switch_of_a_library_dlopened_late)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "verify", "--min-switches", "3000", "--",
		    test_bin("dl-host"), test_bin("libdl-plugin.so"), "300", "3000");
	CHECK_EQ(rc, 0);
	CHECK(out && strstr(out, "checked      3000 coroutine switches on 1 threads") &&
	      strstr(out, "VERDICT: PASS"), "out: %s err: %s", out, err);
	free(out);
	free(err);
}

TEST(our_runtime_in_a_dlopened_plugin_has_every_switch_in_the_trace)
{
	const char *trace = tu_tmp("dlcoro.trace");
	char *out = NULL, *err = NULL, *r;
	struct seen s = { 0 };
	long joined = 0;
	int rc;

	/* the plugin's dlopen brings libcoro.so in with it, 2.5 s after exec */
	rc = TU_RUN(&out, &err, "switchscope", "record", "-q", "-o", (char *)trace, "--",
		    test_bin("dl-host"), test_bin("libdl-coro-plugin.so"), "2500", "1000");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	r = out ? strstr(out, "plugin_run(1000) = ") : NULL;
	REQUIRE(r, "out: %s", out);
	joined = atol(r + strlen("plugin_run(1000) = "));
	CHECK_GE(joined, 2000);
	REQUIRE(tu_each(trace, on_rec, &s) > 0);
	/* the runtime's own count at the end of its scheduler, one for one */
	CHECK_EQ(s.stats, 1);
	CHECK_EQ(s.switches, (long)s.stats_switches);
	CHECK_GE((long)s.stats_switches, joined);
	CHECK_EQ(s.creates, 3);
	CHECK_EQ(s.exits, 3);
	free(out);
	free(err);
}

static pid_t spawn_quiet(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

TEST(pid_mode_attaches_a_library_dlopened_while_recording)
{
	const char *trace = tu_tmp("dlpid.trace");
	char pidbuf[16], *err = NULL;
	struct seen s = { 0 };
	int rc, status = -1;
	pid_t pid;

	/* Running already, dlopens 1.5 s later, while traced with -p. */
	pid = spawn_quiet((char *[]){ test_bin("dl-host"), test_bin("libdl-plugin.so"),
				      "1500", "3000", NULL });
	REQUIRE(pid > 0);
	usleep(100000);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
		    "-p", pidbuf, "--duration", "30");
	waitpid(pid, &status, 0);
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	CHECK_EQ(status, 0);
	s.tgid = pid;
	REQUIRE(tu_each(trace, on_rec, &s) > 0);
	check_all(&s, 3000);
	free(err);
}

TEST(system_wide_mode_attaches_a_library_dlopened_after_2500ms)
{
	const char *trace = tu_tmp("dlall.trace");
	struct seen s = { 0 };
	int status = -1, rst = -1;
	pid_t rec, pid;

	rec = fork();
	if (rec == 0) {
		char sw[256];

		snprintf(sw, sizeof(sw), "%s/switchscope", tu_bin());
		execl(sw, sw, "record", "-q", "-a", "-o", trace, "--duration", "30",
		      (char *)NULL);
		_exit(127);
	}
	REQUIRE(rec > 0);
	usleep(1500000);	/* loaded and attached */
	/* -a tells the recorder at each dlopen and does not stop the process
	 * (it could be any job of any shell): the workload gives it 300 ms
	 * between its dlopen and its first switch. */
	pid = spawn_quiet((char *[]){ test_bin("dl-host"), test_bin("libdl-plugin.so"),
				      "2500", "3000", "300", NULL });
	if (pid > 0)
		waitpid(pid, &status, 0);
	kill(rec, SIGINT);
	waitpid(rec, &rst, 0);
	REQUIRE(pid > 0);
	CHECK_EQ(status, 0);
	REQUIRE(WIFEXITED(rst) && WEXITSTATUS(rst) == 0, "recorder status %d", rst);
	s.tgid = pid;
	REQUIRE(tu_each(trace, on_rec, &s) > 0);
	check_all(&s, 3000);
}

#define TLS_SPEC "8@%fs:sw_from@tpoff"
#define SYM_SPEC "8@ready_by(%rip)"

/* The test binary is what it claims: its coro:switch reads TLS. */
static int tls_binary_ok(void)
{
	char *out = NULL;
	int ok;

	TU_RUN(&out, NULL, "/usr/bin/readelf", "-n", test_bin("tls-probes"));
	ok = out && strstr(out, "Arguments: " TLS_SPEC " ") &&
	     strstr(out, "Arguments: -4@$2 " SYM_SPEC "\n");
	CHECK(ok, "readelf -n tls-probes: %s", out);
	free(out);
	return ok;
}

TEST(probe_with_a_tls_argument_is_named_with_its_spec_and_the_fix)
{
	const char *trace = tu_tmp("tls.trace");
	char *err = NULL, want[512], path[PATH_MAX];
	struct seen s = { 0 };
	int rc;

	REQUIRE(tls_binary_ok());
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace, "--",
		    test_bin("tls-probes"), "1000");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	snprintf(want, sizeof(want), "coro:switch of %s not attached: argument 1 '%s' "
		 "cannot be read: it reads a thread-local (__thread) variable",
		 realpath(test_bin("tls-probes"), path), TLS_SPEC);
	CHECK(err && strstr(err, want), "want '%s' in stderr: %s", want, err);
	CHECK(err && strstr(err, "pass the value through a register or a local"),
	      "stderr: %s", err);
	/* any other operand libbpf refuses: a global named by its symbol */
	snprintf(want, sizeof(want), "coro:ready of %s not attached: argument 2 '%s' "
		 "cannot be read: it names a variable by its symbol", path, SYM_SPEC);
	CHECK(err && strstr(err, want), "want '%s' in stderr: %s", want, err);
	/* the probe that can be read is attached all the same */
	tu_each(trace, on_rec, &s);
	CHECK_EQ(s.creates, 2);
	CHECK_EQ(s.switches, 0);
	free(err);
}

TEST(verify_is_inconclusive_and_names_the_probe_it_could_not_attach)
{
	char *out = NULL, *err = NULL, want[512], path[PATH_MAX];
	int rc;

	REQUIRE(tls_binary_ok());
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--", test_bin("tls-probes"), "1000");
	CHECK_EQ(rc, 9);
	snprintf(want, sizeof(want), "coro:switch of %s not attached: argument 1 '%s'",
		 realpath(test_bin("tls-probes"), path), TLS_SPEC);
	CHECK(out && strstr(out, "VERDICT: INCONCLUSIVE: 0 coroutine switches seen"),
	      "out: %s", out);
	CHECK(out && strstr(out, want), "want '%s' in: %s", want, out);
	free(out);
	free(err);
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--json", "--",
		    test_bin("tls-probes"), "1000");
	CHECK_EQ(rc, 9);
	CHECK(out && strstr(out, "\"unattached\":[{\"probe\":\"switch\",\"file\":") &&
	      strstr(out, "\"spec\":\"" TLS_SPEC "\""), "out: %s", out);
	free(out);
	free(err);
}

/* A thread stopped inside a coroutine switch's window (the recorder holds
 * a process at a dlopen: every thread stops wherever it is) is not the
 * runtime entering the kernel; going to sleep there is. */
static void verify_one(uint32_t prev_state, uint64_t *violations, uint64_t *stops)
{
	struct ss_switch sw = { .hdr = { SS_EV_SWITCH, sizeof(sw), 0, 1000 },
				.prev_tid = 7, .prev_tgid = 7, .prev_state = prev_state };
	struct ss_coro_switch co = { .hdr = { SS_EV_CORO_SWITCH, sizeof(co), 0, 1300 },
				     .tid = 7, .tgid = 7, .from = 1, .to = 2,
				     .dur_ns = 200, .start_ns = 900 };
	struct ss_verify v;

	*violations = *stops = ~0ull;
	if (ss_verify_init(&v, "x86_64"))
		return;
	ss_verify_add(&v, &sw.hdr);
	ss_verify_add(&v, &co.hdr);
	*violations = v.violations;
	*stops = v.stops;
	ss_verify_free(&v);
}

TEST(verify_counts_a_stop_inside_a_switch_apart_and_a_sleep_as_a_violation)
{
	uint64_t bad, stops;

	verify_one(0x4 /* __TASK_STOPPED */, &bad, &stops);
	CHECK_EQ(bad, 0);
	CHECK_EQ(stops, 1);
	verify_one(SS_TASK_INTERRUPTIBLE, &bad, &stops);
	CHECK_EQ(bad, 1);
	CHECK_EQ(stops, 0);
}
