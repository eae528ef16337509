/* Recording on the running kernel with the BPF backend (needs root). Each
 * test traces a workload of its own and checks what the trace says. */
#define SS_TEST_MAIN
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "ss.h"
#include "testutil.h"

#define PP "ss-pingpong"

static char *pp_path(void)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/" PP, tu_bin());
	return p;
}

struct between {
	uint32_t a, b;
	long by_class[SS_CLASS_MAX];
	long total;
};

static void count_between(const struct ss_hdr *h, void *ctx)
{
	const struct ss_switch *s = (const void *)h;
	struct between *bw = ctx;

	if (h->type != SS_EV_SWITCH)
		return;
	if ((s->prev_tid == bw->a && s->next_tid == bw->b) ||
	    (s->prev_tid == bw->b && s->next_tid == bw->a)) {
		bw->by_class[s->cls]++;
		bw->total++;
	}
}

static void pingpong_class(const char *mode, int want, int other)
{
	const char *trace = tu_tmp("pp.trace");
	char *out = NULL, *err = NULL;
	struct between bw = { 0 };
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "record", "-q", "-o", (char *)trace, "--",
		    pp_path(), "--mode", (char *)mode, "--switches", "4000", "--cpu", "0", "--rt");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(tu_pingpong_tids(out, &bw.a, &bw.b) == 0, "no tids in '%s'", out);
	REQUIRE(tu_each(trace, count_between, &bw) > 0);
	/* 4000 hand-overs, each a switch from one player to the other. */
	CHECK_GE(bw.total, 4000);
	CHECK_GE(bw.by_class[want], 4000);
	CHECK_EQ(bw.by_class[other], 0);
	free(out);
	free(err);
}

TEST(thread_pingpong_gives_thread_class_switches)
{
	pingpong_class("thread", SS_CLASS_THREAD, SS_CLASS_PROCESS);
}

TEST(process_pingpong_gives_process_class_switches)
{
	pingpong_class("process", SS_CLASS_PROCESS, SS_CLASS_THREAD);
}

TEST(fork_and_pthread_create_reported_with_parent)
{
	const char *trace = tu_tmp("fork.trace");
	const uint32_t *targets;
	struct ss_analysis a;
	struct ss_reader *r;
	struct ss_thread *root;
	char *err = NULL;
	size_t n;
	int rc, damaged;

	/* The command (sh) forks a subshell: a process; then it becomes
	 * ss-pingpong by exec, which creates two threads. */
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
		    "--", "/bin/sh", "-c", "(true); exec \"$0\" --switches 10", pp_path());
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(ss_analyse_file(trace, &a, &r, &damaged) == 0 && !damaged);
	targets = ss_reader_targets(r, &n);
	REQUIRE(n >= 1 && targets[0]);
	root = ss_thread_find(&a, targets[0]);
	REQUIRE(root != NULL);
	CHECK_EQ(a.procs_created, 1);
	CHECK_EQ(a.threads_created, 2);
	CHECK_EQ(root->made_procs, 1);
	CHECK_EQ(root->made_threads, 2);
	CHECK_STR(root->comm, PP);
	for (size_t i = 0; i < a.nthreads; i++) {
		struct ss_thread *t = a.threads[i];

		if (t != root)
			CHECK(!t->made_procs && !t->made_threads, "tid %u made tasks", t->tid);
	}
	ss_analysis_free(&a);
	ss_reader_close(r);
	free(err);
}

static pid_t start_bg(const char *switches)
{
	char pp[256];
	pid_t pid;

	snprintf(pp, sizeof(pp), "%s/" PP, tu_bin());
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execl(pp, pp, "--switches", switches, "--cpu", "0", (char *)NULL);
		_exit(127);
	}
	return pid;
}

TEST(pid_mode_traces_running_process_until_it_exits)
{
	const char *trace = tu_tmp("pid.trace");
	char pidbuf[16], *err = NULL;
	struct ss_analysis a;
	struct ss_thread *t;
	long total = 0;
	pid_t pid;
	int rc;

	pid = start_bg("400000");
	usleep(50000);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	/* The duration is a safety net: the recorder must stop on its own
	 * when the process exits. */
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-o", (char *)trace,
		    "-p", pidbuf, "--duration", "60");
	waitpid(pid, NULL, 0);
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	CHECK(strstr(err, "all traced processes exited") != NULL, "stderr: %s", err);
	REQUIRE(tu_analyse(trace, &a) == 0, "trace not clean");
	for (size_t i = 0; i < a.nthreads; i++) {
		t = a.threads[i];
		if (t->tgid == (uint32_t)pid && t->tid != (uint32_t)pid)
			total += t->sw_out;
	}
	CHECK_GE(total, 1000);
	CHECK_GE(a.count[SS_EV_EXIT], 1);
	ss_analysis_free(&a);
	free(err);
}

struct exec_seen {
	int exec_pp;
	uint32_t pp_tgid;
	long pp_switches;
};

static void on_exec_rec(const struct ss_hdr *h, void *ctx)
{
	struct exec_seen *s = ctx;

	if (h->type == SS_EV_EXEC) {
		const struct ss_exec *e = (const void *)h;

		if (!strcmp(e->comm, PP)) {
			s->exec_pp++;
			s->pp_tgid = e->tgid;
		}
	} else if (h->type == SS_EV_SWITCH && s->pp_tgid) {
		const struct ss_switch *e = (const void *)h;

		if (e->prev_tgid == s->pp_tgid)
			s->pp_switches++;
	}
}

TEST(exec_inside_traced_command_is_followed)
{
	const char *trace = tu_tmp("exec.trace");
	struct exec_seen s = { 0 };
	char *err = NULL;
	int rc;

	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
		    "--", "/bin/sh", "-c", "exec \"$0\" --switches 2000 --cpu 0", pp_path());
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_exec_rec, &s);
	CHECK_EQ(s.exec_pp, 1);
	CHECK_GE(s.pp_switches, 2000);
	free(err);
}

TEST(child_of_child_is_traced)
{
	const char *trace = tu_tmp("grand.trace");
	struct exec_seen s = { 0 };
	char *err = NULL;
	int rc;

	/* sh -> sh -> ss-pingpong: the grandchild's threads must be traced. */
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
		    "--", "/bin/sh", "-c",
		    "/bin/sh -c '\"$0\" --switches 2000 --cpu 0; true' \"$0\"; true", pp_path());
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_exec_rec, &s);
	CHECK_EQ(s.exec_pp, 1);
	CHECK_GE(s.pp_switches, 2000);
	free(err);
}

TEST(exit_status_of_command_is_mirrored)
{
	const char *trace = tu_tmp("exit.trace");
	char *err = NULL;

	CHECK_EQ(TU_RUN(NULL, NULL, "switchscope", "record", "-q", "-o", (char *)trace,
			"--", "/bin/sh", "-c", "exit 3"), 3);
	CHECK_EQ(TU_RUN(NULL, NULL, "switchscope", "record", "-q", "-o", (char *)trace,
			"--", "/bin/sh", "-c", "kill -TERM $$"), 128 + SIGTERM);
	CHECK_EQ(TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
			"--", "/nonexistent/cmd"), 127);
	CHECK(err && strstr(err, "cannot run /nonexistent/cmd"), "stderr: %s", err);
	free(err);
}

TEST(bad_pid_and_unwritable_output_are_usage_and_io_errors)
{
	char *err = NULL;

	CHECK_EQ(TU_RUN(NULL, &err, "switchscope", "record", "-o", (char *)tu_tmp("x"),
			"-p", "999999999"), 2);
	free(err);
	CHECK_EQ(TU_RUN(NULL, &err, "switchscope", "record", "-o", (char *)tu_tmp("x"),
			"-p", "4194000"), 2);
	CHECK(err && strstr(err, "no process with PID 4194000"), "stderr: %s", err);
	free(err);
	CHECK_EQ(TU_RUN(NULL, &err, "switchscope", "record",
			"-o", "/nonexistent-dir/t.trace", "--", "/bin/true"), 5);
	CHECK(err && strstr(err, "cannot write /nonexistent-dir/t.trace"), "stderr: %s", err);
	free(err);
	CHECK_EQ(TU_RUN(NULL, NULL, "switchscope", "record", "--bogus"), 2);
	CHECK_EQ(TU_RUN(NULL, NULL, "switchscope", "record", "-a", "-p", "1"), 2);
	CHECK_EQ(TU_RUN(NULL, NULL, "switchscope", "record", "-o", (char *)tu_tmp("x")), 2);
}

TEST(sigkill_of_recorder_leaves_readable_trace)
{
	const char *trace = tu_tmp("killed.trace");
	char bin[256], pp[256];
	struct ss_analysis a;
	pid_t rec;
	int status;

	snprintf(bin, sizeof(bin), "%s/switchscope", tu_bin());
	snprintf(pp, sizeof(pp), "%s/" PP, tu_bin());
	rec = fork();
	if (rec == 0) {
		int fd = open("/dev/null", O_WRONLY);

		/* A group of its own: the workload it leaves behind is ended
		 * through it (busybox has no pkill). */
		setpgid(0, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "record", "-o", trace, "--", pp, "--switches",
		      "100000000", "--cpu", "0", (char *)NULL);
		_exit(127);
	}
	/* 2 s of recording: from when the file grows past its first chunk
	 * (the metadata, written before the probes load; the task snapshot
	 * follows once they are loaded, which takes seconds in the TCG
	 * guest). */
	for (int i = 0, first = 0; i < 300; i++) {
		struct stat st;

		if (stat(trace, &st) == 0 && st.st_size > 0 && !first)
			first = st.st_size;
		else if (first && st.st_size > first)
			break;
		usleep(100 * 1000);
	}
	sleep(2);
	kill(rec, SIGKILL);
	waitpid(rec, &status, 0);
	/* The workload lives on as an orphan: end it. */
	kill(-rec, SIGKILL);
	REQUIRE(WIFSIGNALED(status));
	/* Readable up to its last complete chunk, with the damage said. */
	CHECK_EQ(tu_analyse(trace, &a), 7);
	CHECK_GE(a.count[SS_EV_SWITCH], 1000);
	ss_analysis_free(&a);
	CHECK_EQ(TU_RUN(NULL, NULL, "switchscope", "report", (char *)trace), 7);
}

struct lost_sum {
	uint64_t inline_lost;
};

static void sum_lost(const struct ss_hdr *h, void *ctx)
{
	if (h->type == SS_EV_LOST)
		((struct lost_sum *)ctx)->inline_lost += ((const struct ss_lost *)h)->count;
}

/* Wait (up to ms) until a child of pid runs a program named comm. */
static void wait_for_child_comm(pid_t pid, const char *comm, int ms)
{
	char path[64], buf[256], name[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	for (int i = 0; i < ms / 10; i++, usleep(10000)) {
		FILE *f = fopen(path, "r");
		int child = 0;

		if (f) {
			if (fscanf(f, "%d", &child) != 1)
				child = 0;
			fclose(f);
		}
		if (child <= 0)
			continue;
		snprintf(buf, sizeof(buf), "/proc/%d/comm", child);
		f = fopen(buf, "r");
		if (!f)
			continue;
		name[0] = 0;
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
		name[strcspn(name, "\n")] = 0;
		if (!strcmp(name, comm))
			return;
	}
}

/* Record the ping-pong with the recorder stopped (SIGSTOP) for a while in
 * the middle. Returns its exit status; *err gets its stderr. */
static int record_with_pause(const char *trace, const char *bufsize, char **err)
{
	char bin[256], ef[300];
	int status, fd;
	pid_t rec;

	snprintf(bin, sizeof(bin), "%s/switchscope", tu_bin());
	snprintf(ef, sizeof(ef), "%s.err", trace);
	rec = fork();
	if (rec == 0) {
		fd = open(ef, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execl(bin, bin, "record", "-o", trace, "--buffer-size", bufsize, "--",
		      pp_path(), "--switches", "2000000", "--cpu", "0", (char *)NULL);
		_exit(127);
	}
	/* Stop it once the ping-pong runs (the recorder's start takes longer
	 * on a loaded machine than any fixed delay). */
	wait_for_child_comm(rec, PP, 20000);
	usleep(100000);
	kill(rec, SIGSTOP);
	usleep(300000);
	kill(rec, SIGCONT);
	waitpid(rec, &status, 0);
	fd = open(ef, O_RDONLY);
	*err = calloc(1, 4096);
	if (fd >= 0 && *err && read(fd, *err, 4095) < 0)
		(*err)[0] = 0;
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(overflow_is_counted_inline_and_in_trailer)
{
	const char *trace = tu_tmp("lost.trace");
	struct lost_sum ls = { 0 };
	const struct ss_trailer *tr;
	struct ss_reader *r;
	char *err = NULL, emsg[256];
	int rc, code;

	/* A 64 KiB ring holds ~1600 records. The recorder is stopped for
	 * 300 ms while the ping-pong runs, so the ring overflows whatever the
	 * machine's speed. */
	rc = record_with_pause(trace, "64K", &err);
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	CHECK(strstr(err, " lost,") && !strstr(err, " 0 lost,"), "summary: %s", err);
	tu_each(trace, sum_lost, &ls);
	r = ss_reader_open(trace, emsg, sizeof(emsg), &code);
	REQUIRE(r != NULL, "%s", emsg);
	tr = ss_reader_trailer(r);
	REQUIRE(tr != NULL);
	CHECK_GT(ls.inline_lost, 0);
	CHECK_EQ(tr->lost, ls.inline_lost);
	{
		uint64_t sum = 0;

		for (uint32_t i = 0; i < tr->ncpu; i++)
			sum += ss_reader_lost_per_cpu(r)[i];
		CHECK_EQ(sum, tr->lost);
	}
	ss_reader_close(r);
	free(err);
	/* report shows the loss first */
	{
		char *out = NULL;

		TU_RUN(&out, NULL, "switchscope", "report", (char *)trace);
		CHECK(out && strstr(out, "LOST EVENTS") &&
		      strstr(out, "LOST EVENTS") < strstr(out, "SWITCHES BY CLASS"),
		      "report: %.300s", out);
		free(out);
	}
}

TEST(disk_full_keeps_file_valid_and_counts_loss)
{
	const char *dir = tu_tmp("small");
	char trace[300], *err = NULL;
	struct ss_analysis a;
	int rc;

	mkdir(dir, 0755);
	REQUIRE(mount("tmpfs", dir, "tmpfs", 0, "size=512k") == 0, "mount tmpfs");
	snprintf(trace, sizeof(trace), "%s/t.trace", dir);
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-o", trace, "--", pp_path(),
		    "--switches", "200000", "--cpu", "0");
	CHECK_EQ(rc, 5);
	CHECK(err && strstr(err, "No space left on device") && strstr(err, "lost"),
	      "stderr: %s", err);
	rc = tu_analyse(trace, &a);
	CHECK(rc == 7 || rc == 0, "analyse gave %d", rc);
	CHECK_GE(a.count[SS_EV_SWITCH], 1000);
	if (rc == 0 || rc == 7)
		ss_analysis_free(&a);
	umount(dir);
	free(err);
}

TEST(unprivileged_user_is_told_which_capability_is_missing)
{
	char bin[256], out[600];
	size_t len;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/switchscope", tu_bin());
	if (bin[0] != '/') {
		char cwd[200];

		snprintf(bin, sizeof(bin), "%s/%s/switchscope", getcwd(cwd, sizeof(cwd)),
			 tu_bin());
	}
	REQUIRE(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		if (setgid(65534) || setuid(65534))
			_exit(99);
		execl(bin, bin, "record", "-o", "/tmp/ss-unpriv.trace", "--", "/bin/true",
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	len = 0;
	while (len < sizeof(out) - 1 && (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	waitpid(pid, &status, 0);
	unlink("/tmp/ss-unpriv.trace");
	CHECK_EQ(WEXITSTATUS(status), 3);
	CHECK(strstr(out, "CAP_BPF") && strstr(out, "CAP_PERFMON") && strstr(out, "setcap"),
	      "stderr: %s", out);
}

TEST(switch_in_path_is_measured_per_class)
{
	const char *trace = tu_tmp("swin.trace");
	struct ss_analysis a;
	char *out = NULL, *err = NULL;
	uint32_t t1, t2;
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "record", "-q", "--switch-in", "-o",
		    (char *)trace, "--", pp_path(), "--switches", "4000", "--cpu", "0", "--rt");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(tu_pingpong_tids(out, &t1, &t2) == 0);
	REQUIRE(tu_analyse(trace, &a) == 0);
	/* Every hand-over returns to user mode from futex(): one switch-in
	 * path each, of the thread class (other tasks of the system may add
	 * a few of other classes). */
	CHECK_GE(a.swin_class[SS_CLASS_THREAD].count, 4000);
	CHECK_LT(a.swin_class[SS_CLASS_PROCESS].count, 20);
	CHECK_GT(a.swin_class[SS_CLASS_THREAD].min, 0);
	CHECK_LT(a.swin_class[SS_CLASS_THREAD].min, 1000000);
	REQUIRE(ss_thread_find(&a, t1) && ss_thread_find(&a, t1)->swin);
	CHECK_GE(ss_thread_find(&a, t1)->swin->count, 2000);
	ss_analysis_free(&a);
	free(out);
	free(err);
}

struct coro_seen {
	long creates, switches, bad_switch, parks, readies, exits, stats;
	uint64_t stats_switches, stats_ns, dur_sum;
	uint32_t tgid;
};

static void on_coro_rec(const struct ss_hdr *h, void *ctx)
{
	struct coro_seen *s = ctx;

	switch (h->type) {
	case SS_EV_CORO_CREATE: {
		const struct ss_coro_create *e = (const void *)h;

		s->creates += e->stack_size == 65536 && (e->id == 1 || e->id == 2);
		s->tgid = e->tgid;
		break;
	}
	case SS_EV_CORO_SWITCH: {
		const struct ss_coro_switch *e = (const void *)h;
		uint64_t i = s->switches++;

		if (e->from != (i & 1 ? 2u : 1u) || e->to != (i & 1 ? 1u : 2u) ||
		    e->dur_ns != 100 + i || e->start_ns != 0 || e->tgid != s->tgid ||
		    e->tid != e->tgid)
			s->bad_switch++;
		s->dur_sum += e->dur_ns;
		break;
	}
	case SS_EV_CORO_PARK:
		s->parks += ((const struct ss_coro_park *)h)->reason == SS_PARK_SLEEP;
		break;
	case SS_EV_CORO_READY:
		s->readies += ((const struct ss_coro_ready *)h)->by == 1;
		break;
	case SS_EV_CORO_EXIT:
		s->exits++;
		break;
	case SS_EV_CORO_STATS:
		s->stats++;
		s->stats_switches = ((const struct ss_coro_stats *)h)->switches;
		s->stats_ns = ((const struct ss_coro_stats *)h)->switch_ns;
		break;
	}
}

static char *hand_probes(void)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/../tests/hand-probes", tu_bin());
	return p;
}

TEST(another_runtime_emitting_the_probe_abi_is_traced)
{
	const char *trace = tu_tmp("hand.trace");
	struct coro_seen s = { 0 };
	char *err = NULL;
	int rc;

	/* Found by itself: the command's executable has the probes. */
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
		    "--", hand_probes(), "5000");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_coro_rec, &s);
	CHECK_EQ(s.creates, 2);
	CHECK_EQ(s.switches, 5000);
	CHECK_EQ(s.bad_switch, 0);
	CHECK_EQ(s.parks, 1);
	CHECK_EQ(s.readies, 1);
	CHECK_EQ(s.exits, 2);
	CHECK_EQ(s.stats, 1);
	CHECK_EQ(s.stats_switches, 5000);
	CHECK_EQ(s.stats_ns, s.dur_sum);
	free(err);
}

/* hand-probes N migrate: coroutine 7 switched in by turns on two threads. */
struct moved {
	uint32_t tid[2];
	long on[2], ins, moves, other;
	uint32_t last;
};

static void on_moved(const struct ss_hdr *h, void *ctx)
{
	const struct ss_coro_switch *e = (const void *)h;
	struct moved *m = ctx;
	int k;

	if (h->type != SS_EV_CORO_SWITCH)
		return;
	if (!m->tid[0] || m->tid[0] == e->tid)
		k = 0;
	else if (!m->tid[1] || m->tid[1] == e->tid)
		k = 1;
	else
		k = -1;
	if (k < 0 || (e->from != 7 && e->to != 7)) {
		m->other++;
		return;
	}
	m->tid[k] = e->tid;
	m->on[k]++;
	if (e->to == 7) {
		m->ins++;
		m->moves += m->last && m->last != e->tid;
		m->last = e->tid;
	}
}

TEST(a_coroutine_moved_between_threads_is_followed_on_each)
{
	const char *trace = tu_tmp("moved.trace");
	struct moved m = { 0 };
	char *err = NULL, *out = NULL, want[64];
	int rc;

	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
		    "--", hand_probes(), "1000", "migrate");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_moved, &m);
	/* each thread's switches into and out of 7, on its own thread */
	CHECK_EQ(m.other, 0);
	CHECK_EQ(m.on[0], 1000);
	CHECK_EQ(m.on[1], 1000);
	CHECK_EQ(m.ins, 1000);
	CHECK_EQ(m.moves, 999);
	rc = TU_RUN(&out, NULL, "switchscope", "report", "--json", (char *)trace);
	CHECK_EQ(rc, 0);
	snprintf(want, sizeof(want), "\"id\":7,");
	CHECK(out && strstr(out, want), "no coroutine 7 in report --json");
	CHECK(out && strstr(out, "\"switches_in\":1000,"), "switches_in");
	CHECK(out && strstr(out, "\"moves\":999,"), "report --json: moves of coroutine 7");
	free(out);
	free(err);
}

static void on_reused(const struct ss_hdr *h, void *ctx)
{
	long *n = ctx;

	n[0] += h->type == SS_EV_CORO_CREATE && ((const struct ss_coro_create *)h)->id == 7;
	n[1] += h->type == SS_EV_CORO_EXIT && ((const struct ss_coro_exit *)h)->id == 7;
	n[2] += h->type == SS_EV_CORO_SWITCH;
}

TEST(a_coroutine_id_reused_after_its_exit_is_counted_for_each_life)
{
	const char *trace = tu_tmp("reused.trace");
	char *err = NULL, *out = NULL;
	long n[3] = { 0 };
	int rc;

	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
		    "--", hand_probes(), "500", "reuse");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_reused, n);
	CHECK_EQ(n[0], 500);
	CHECK_EQ(n[1], 500);
	CHECK_EQ(n[2], 1000);
	rc = TU_RUN(&out, NULL, "switchscope", "report", "--json", (char *)trace);
	CHECK_EQ(rc, 0);
	CHECK(out && strstr(out, "\"switches_in\":500,") && strstr(out, "\"creates\":500,"),
	      "report --json: coroutine 7's 500 lives");
	free(out);
	rc = TU_RUN(&out, NULL, "switchscope", "report", (char *)trace);
	CHECK(out && strstr(out, "coroutine ids created more than once: 1"), "report says so");
	free(out);
	free(err);
}

TEST(no_coro_turns_probes_off_and_usdt_without_probes_is_an_error)
{
	const char *trace = tu_tmp("nocoro.trace");
	struct coro_seen s = { 0 };
	char *err = NULL, *out = NULL;
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "record", "-q", "--no-coro", "-o",
		    (char *)trace, "--", hand_probes(), "100");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	CHECK(out && strstr(out, "semaphore not set"), "out: %s", out);
	tu_each(trace, on_coro_rec, &s);
	CHECK_EQ(s.switches + s.creates, 0);
	free(err);
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "--usdt", "/bin/true",
		    "-o", (char *)trace, "--", "/bin/true");
	CHECK_EQ(rc, 4);
	CHECK(err && strstr(err, "no coro:* USDT probes"), "stderr: %s", err);
	free(err);
	free(out);
}

TEST(verify_passes_clean_windows_and_names_what_entered_the_kernel)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "verify", "--min-switches", "1000", "--",
		    hand_probes(), "1000", "clean");
	CHECK_EQ(rc, 0);
	CHECK(out && strstr(out, "checked      1000 coroutine switches") &&
	      strstr(out, "VERDICT: PASS"), "out: %s err: %s", out, err);
	free(out);
	free(err);

	rc = TU_RUN(&out, &err, "switchscope", "verify", "--json", "--", hand_probes(),
		    "1000", "syscall");
	CHECK_EQ(rc, 1);
	CHECK(out && strstr(out, "\"verdict\":\"FAIL\"") &&
	      strstr(out, "\"what\":\"getppid\",\"count\":1000"), "out: %s", out);
	free(out);
	free(err);

	rc = TU_RUN(&out, &err, "switchscope", "verify", "--", hand_probes(), "200", "fault");
	CHECK_EQ(rc, 1);
	CHECK(out && strstr(out, "page fault") && strstr(out, "200") && strstr(out, "addr 0x"),
	      "out: %s", out);
	free(out);
	free(err);
}

TEST(verify_without_probes_or_enough_switches_is_inconclusive)
{
	char *out = NULL, *err = NULL;

	CHECK_EQ(TU_RUN(&out, &err, "switchscope", "verify", "--", "/bin/true"), 9);
	CHECK(err && strstr(err, "no coro:* USDT probes found"), "err: %s", err);
	free(out);
	free(err);
	CHECK_EQ(TU_RUN(&out, &err, "switchscope", "verify", "--min-switches", "5000", "--",
			hand_probes(), "100", "clean"), 9);
	CHECK(out && strstr(out, "INCONCLUSIVE"), "out: %s", out);
	free(out);
	free(err);
	CHECK_EQ(TU_RUN(NULL, NULL, "switchscope", "verify", "-p", "1"), 2);
}

TEST(probes_of_a_program_execed_later_are_attached_before_it_runs)
{
	const char *trace = tu_tmp("later.trace");
	struct coro_seen s = { 0 };
	char cmd[512], *err = NULL;
	int rc;

	/* The shell forks and execs hand-probes twice; each run is over in
	 * about a millisecond, before any recorder could notice it by polling:
	 * the kernel side holds each new program at its exec until the probes
	 * are attached. */
	snprintf(cmd, sizeof(cmd), "%s 5000 >/dev/null; %s 5000 >/dev/null; true",
		 hand_probes(), hand_probes());
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace,
		    "--", "/bin/sh", "-c", cmd);
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_coro_rec, &s);
	CHECK_EQ(s.creates, 4);
	CHECK_EQ(s.stats, 2);
	CHECK_EQ(s.exits, 4);
	free(err);
}

static char *coro_pp(void)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/coro-pingpong", tu_bin());
	return p;
}

TEST(verify_passes_a_million_asm_switches_on_two_threads)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "verify", "--json", "--min-switches", "1000000",
		    "--", coro_pp(), "--backend", "asm", "--threads", "2", "--switches", "500000");
	CHECK_EQ(rc, 0);
	CHECK(out && strstr(out, "\"verdict\":\"PASS\"") && strstr(out, "\"threads\":2,") &&
	      strstr(out, "\"violations\":[]"), "out: %s err: %s", out, err);
	free(out);
	free(err);
}

TEST(verify_catches_ucontext_and_names_rt_sigprocmask)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "verify", "--", coro_pp(), "--backend",
		    "ucontext", "--switches", "20000");
	CHECK_EQ(rc, 1);
	CHECK(out && strstr(out, "rt_sigprocmask") && strstr(out, "VERDICT: FAIL"),
	      "out: %s err: %s", out, err);
	free(out);
	free(err);
}

TEST(verify_sees_first_touch_faults_of_fresh_stacks_and_passes_prefaulted)
{
	char *out = NULL, *err = NULL;
	int rc;

	/* 50 pairs: 100 coroutines, each on a fresh untouched stack whose
	 * first page is touched inside the switch that first enters it. */
	setenv("CORO_STACK_CACHE", "0", 1);
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--json", "--", coro_pp(),
		    "--pairs", "50", "--switches", "10000");
	CHECK_EQ(rc, 1);
	CHECK(out && strstr(out, "\"kind\":\"fault\""), "out: %s err: %s", out, err);
	free(out);
	free(err);
	setenv("CORO_PREFAULT", "1", 1);
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--json", "--", coro_pp(),
		    "--pairs", "50", "--switches", "10000");
	CHECK_EQ(rc, 0);
	CHECK(out && strstr(out, "\"verdict\":\"PASS\""), "out: %s err: %s", out, err);
	unsetenv("CORO_STACK_CACHE");
	unsetenv("CORO_PREFAULT");
	free(out);
	free(err);
}

TEST(verify_catches_a_syscall_hooked_into_the_switch_path)
{
	char *out = NULL, *err = NULL;
	int rc;

	setenv("CORO_TEST_SWITCH_SYSCALL", "1", 1);
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--", coro_pp(), "--switches",
		    "20000");
	unsetenv("CORO_TEST_SWITCH_SYSCALL");
	CHECK_EQ(rc, 1);
	CHECK(out && strstr(out, "getppid") && strstr(out, "VERDICT: FAIL"),
	      "out: %s err: %s", out, err);
	free(out);
	free(err);
}

/* --stacks on this kernel (the guest's 6.1 too, in make vm-test): the
 * switches carry ids, each id has its stack, the kernel stacks of the
 * ping-pong's futex waits are named. */
struct stk_seen {
	uint64_t ids[512];
	uint32_t tgids[512];
	int nids;
	long refs, missing, sw, sw_sized, kernel_named;
	int futex, schedule;
};

static int stk_known(struct stk_seen *s, uint32_t tgid, uint64_t id)
{
	for (int i = 0; i < s->nids; i++)
		if (s->ids[i] == id && s->tgids[i] == tgid)
			return 1;
	return 0;
}

static void stk_collect(const struct ss_hdr *h, void *ctx)
{
	struct stk_seen *s = ctx;

	if (h->type == SS_EV_STACK && s->nids < 512) {
		const struct ss_stack *st = (const void *)h;

		s->ids[s->nids] = st->id;
		s->tgids[s->nids++] = st->tgid;
	} else if (h->type == SS_EV_SYM) {
		const struct ss_sym *y = (const void *)h;
		char n[128];

		snprintf(n, sizeof(n), "%.*s", y->name_len, (const char *)(y + 1));
		if (!y->tgid) {
			s->kernel_named++;
			s->futex |= strstr(n, "futex_wait") != NULL;
			s->schedule |= strstr(n, "schedule") != NULL;
		}
	}
}

static void stk_refs(const struct ss_hdr *h, void *ctx)
{
	const struct ss_stack_ids *ids = ss_rec_stacks(h);
	const struct ss_switch *sw = (const void *)h;
	struct stk_seen *s = ctx;

	if (h->type != SS_EV_SWITCH)
		return;
	s->sw++;
	if (!ids)
		return;
	s->sw_sized++;
	if (ids->kstack) {
		s->refs++;
		s->missing += !stk_known(s, 0, ids->kstack);
	}
	if (ids->ustack) {
		s->refs++;
		s->missing += !stk_known(s, sw->prev_tgid, ids->ustack);
	}
}

TEST(stacks_are_recorded_named_and_complete)
{
	const char *trace = tu_tmp("stacks.trace");
	struct stk_seen s = { 0 };
	char *err = NULL;
	int rc;

	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "--stacks", "-o", (char *)trace,
		    "--", pp_path(), "--switches", "2000");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(tu_each(trace, stk_collect, &s) > 0);
	REQUIRE(tu_each(trace, stk_refs, &s) > 0);
	CHECK_GE(s.sw, 2000);
	CHECK_EQ(s.sw_sized, s.sw);
	CHECK_GT(s.refs, 2000);
	CHECK_EQ(s.missing, 0);
	CHECK_GT(s.kernel_named, 0);
	CHECK(s.futex && s.schedule, "futex_wait %d, schedule %d", s.futex, s.schedule);
	free(err);
}
