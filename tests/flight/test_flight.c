/* The flight recorder (record --flight) on the running kernel with the BPF
 * backend (needs root): triggers fire on what the workloads do, dumps hold
 * what led to them, and a killed recorder leaves nothing that looks like a
 * whole dump. */
#define SS_TEST_MAIN
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "ss.h"
#include "testutil.h"

static char *bin(const char *name)
{
	static char p[4][256];
	static int slot;

	slot = (slot + 1) % 4;
	snprintf(p[slot], sizeof(p[slot]), "%s/%s", tu_bin(), name);
	return p[slot];
}

static char *tbin(const char *name)
{
	static char p[256];

	/* the test programs are built beside the suite (build/tests) */
	snprintf(p, sizeof(p), "%s/../tests/%s", tu_bin(), name);
	return p;
}

/* A path in a directory of its own (tu_tmp's may hold files of an
 * earlier run with the same pid): dumps are counted there. */
static const char *fresh(const char *name)
{
	static char p[4][256];
	static int slot;
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", tu_tmp("flight-XXXXXX"));
	if (!mkdtemp(dir))
		return tu_tmp(name);
	slot = (slot + 1) % 4;
	snprintf(p[slot], sizeof(p[slot]), "%s/%s", dir, name);
	return p[slot];
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Files of dir whose names end in sfx, into names (up to max). */
static int list(const char *dir, const char *sfx, char names[][256], int max)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), sl = strlen(sfx);

		if (l > sl && !strcmp(e->d_name + l - sl, sfx)) {
			if (n < max)
				snprintf(names[n], 256, "%s/%s", dir, e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static char *dir_of(const char *path)
{
	static char d[256];
	char *s;

	snprintf(d, sizeof(d), "%s", path);
	s = strrchr(d, '/');
	if (s)
		*s = 0;
	return d;
}

/* What a dump holds that the tests look at. */
struct dump {
	uint32_t tid;			/* the task the test watches */
	struct ss_trigger trig;
	int ntrig;
	uint64_t first_ts, last_ts;	/* of the window's records */
	uint64_t start_ns;		/* meta */
	long records;
	int out_blocked_near;		/* tid switched out blocked near since */
	int in_near;			/* tid switched in near the trigger */
	int execs_at_start;		/* exec records carried over */
	uint64_t syscalls, coro_switches;
	uint64_t stacks, syms, kids, kids_missing; /* --stacks */
	uint64_t kstack[512];		/* kernel stack ids in the dump */
	int nkstack;
};

static void scan(const struct ss_hdr *h, void *ctx)
{
	struct dump *d = ctx;

	d->records++;
	if (h->type == SS_EV_EXEC && h->ts == d->start_ns)
		d->execs_at_start++;
	if (h->ts > d->start_ns && (!d->first_ts || h->ts < d->first_ts))
		d->first_ts = h->ts;
	if (h->ts > d->last_ts)
		d->last_ts = h->ts;
	if (h->type == SS_EV_SYSCALL)
		d->syscalls++;
	if (h->type == SS_EV_CORO_SWITCH)
		d->coro_switches++;
	if (h->type == SS_EV_SYM)
		d->syms++;
	if (h->type == SS_EV_STACK) {
		const struct ss_stack *st = (const void *)h;

		d->stacks++;
		if ((st->flags & SS_STACK_KERNEL) && d->nkstack < 512)
			d->kstack[d->nkstack++] = st->id;
	}
	/* the dump's own trigger: the latest that started a dump (an
	 * earlier dump's may be in the window too) */
	if (h->type == SS_EV_TRIGGER) {
		const struct ss_trigger *t = (const void *)h;

		if (!d->ntrig++ || t->dump > d->trig.dump)
			memcpy(&d->trig, h, sizeof(d->trig));
	}
}

/* Second pass: the switches around the first trigger. */
static void scan_switches(const struct ss_hdr *h, void *ctx)
{
	struct dump *d = ctx;
	const struct ss_switch *s = (const void *)h;
	uint64_t near = 2000000;

	if (h->type == SS_EV_SWITCH && ss_rec_stacks(h) && ss_rec_stacks(h)->kstack) {
		int found = 0;

		for (int i = 0; i < d->nkstack && !found; i++)
			found = d->kstack[i] == ss_rec_stacks(h)->kstack;
		d->kids++;
		d->kids_missing += !found && d->nkstack < 512;
	}
	if (h->type != SS_EV_SWITCH || !d->ntrig)
		return;
	if (s->prev_tid == d->tid && s->prev_state != SS_TASK_RUNNING &&
	    h->ts + near >= d->trig.since_ns && h->ts <= d->trig.since_ns + near)
		d->out_blocked_near = 1;
	if (s->next_tid == d->tid && h->ts + near >= d->trig.hdr.ts &&
	    h->ts <= d->trig.hdr.ts + near)
		d->in_near = 1;
}

static int read_dump(const char *path, struct dump *d)
{
	char err[256];
	int code;
	struct ss_reader *r = ss_reader_open(path, err, sizeof(err), &code);
	const struct ss_trailer *t;

	if (!r)
		return -1;
	d->start_ns = ss_reader_meta(r)->start_ns;
	t = ss_reader_trailer(r);
	ss_reader_close(r);
	if (!t)
		return -2;
	if (tu_each(path, scan, d) < 0 || tu_each(path, scan_switches, d) < 0)
		return -1;
	return 0;
}

/* Start argv in the background, stdout and stderr into files. */
static pid_t spawn(char *const argv[], const char *out, const char *err)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], argv);
		_exit(126);
	}
	return pid;
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = 0;
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

static int wait_exit(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* flight-work stall SECS AT 300 under --flight 2s --trigger offcpu>150ms:
 * the dump it made (exactly one), read into d with the staller's stall. */
static void record_stall(const char *name, char *secs, char *at, struct dump *d,
			 unsigned long long *s0)
{
	const char *trace = fresh(name);
	char names[8][256], *out = NULL, *err = NULL, want[64];
	unsigned long staller = 0;
	unsigned long long s1 = 0;
	int rc, n;

	rc = TU_RUN(&out, &err, "switchscope", "record", "-o", (char *)trace, "--flight", "2s",
		    "--trigger", "offcpu>150ms", "--", tbin("flight-work"), "stall", secs, at,
		    "300");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	n = out ? sscanf(out, "staller=%lu start=%llu end=%llu", &staller, s0, &s1) : 0;
	REQUIRE(n == 3, "out: %s", out);
	CHECK(access(trace, F_OK) != 0, "-o itself is not written in flight mode");
	n = list(dir_of(trace), ".trace", names, 8);
	REQUIRE(n == 1, "%d dumps in %s, want 1 (err: %s)", n, dir_of(trace), err);
	snprintf(want, sizeof(want), "/%.*s.1.offcpu.trace", (int)strlen(name) - 6, name);
	CHECK(strstr(names[0], want), "named %s", names[0]);
	d->tid = staller;
	REQUIRE(read_dump(names[0], d) == 0, "dump %s unreadable or without trailer", names[0]);
	REQUIRE(d->ntrig >= 1);
	CHECK_EQ(d->trig.kind, SS_TRIG_OFFCPU);
	CHECK_EQ(d->trig.tid, staller);
	/* blocked from the switch-out to the timeout's wakeup */
	CHECK(d->trig.value_ns >= 295000000ull && d->trig.value_ns < 400000000ull,
	      "blocked %llu ns", (unsigned long long)d->trig.value_ns);
	CHECK(d->out_blocked_near, "the stall's switch-out is in the dump");
	free(out);
	free(err);
}

/* The test: a 60 s run, one thread stalls once for 300 ms at 30 s,
 * --flight 2s --trigger offcpu>150ms: one dump, named after the trigger,
 * with the stall and the 2 s before it. */
TEST(one_stall_in_60s_gives_exactly_one_offcpu_dump)
{
	unsigned long long s0 = 0;
	struct dump d = { 0 };

	record_stall("s.trace", "60", "30", &d, &s0);
	CHECK_EQ(d.trig.dump, 1);
	CHECK_EQ(d.trig.threshold_ns, 150000000ull);
	CHECK(d.trig.since_ns + 2000000 >= s0 && d.trig.since_ns <= s0 + 2000000,
	      "stall began at %llu, trigger says %llu", s0, (unsigned long long)d.trig.since_ns);
	/* the window: the 2 s before the trigger (recording ran 30 s) */
	CHECK(d.first_ts <= d.trig.hdr.ts - 1900000000ull && d.first_ts >= d.trig.hdr.ts - 2300000000ull,
	      "window starts %.3f s before the trigger",
	      (double)(d.trig.hdr.ts - d.first_ts) / 1e9);
	CHECK(d.start_ns <= d.first_ts);
	/* the workload's exec, 30 s before, carried over for its name */
	CHECK_GE(d.execs_at_start, 1);
}

TEST(no_stall_no_dump)
{
	const char *trace = fresh("n.trace");
	char names[8][256], *out = NULL, *err = NULL;
	int rc, n;

	rc = TU_RUN(&out, &err, "switchscope", "record", "-o", (char *)trace, "--flight", "2s",
		    "--trigger", "offcpu>150ms", "--", tbin("flight-work"), "stall", "4", "0", "0");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	n = list(dir_of(trace), ".trace", names, 8);
	CHECK_EQ(n, 0);
	CHECK(err && strstr(err, "0 dumps"), "err: %s", err);
	free(out);
	free(err);
}

/* A normal thread beside a SCHED_FIFO hog on CPU 0 waits up to 30 ms for
 * it: runqlat>10ms,tid=that thread fires, in the kernel (or, as for the
 * module, in the recorder). */
static void runqlat_on_a_pinned_hog(void)
{
	const char *trace = fresh("r.trace");
	const char *wout = tu_tmp("w.out"), *werr = tu_tmp("w.err");
	char names[8][256], *out = NULL, *err = NULL, pid[16], spec[64];
	struct dump d = { 0 };
	pid_t w;
	int rc, n;

	w = spawn((char *const[]){ tbin("flight-work"), "runqlat", "4", NULL }, wout, werr);
	REQUIRE(w > 0);
	usleep(200000);
	snprintf(pid, sizeof(pid), "%d", w);
	snprintf(spec, sizeof(spec), "runqlat>10ms,tid=%d", w);
	rc = TU_RUN(&out, &err, "switchscope", "record", "-o", (char *)trace, "--flight", "1s",
		    "--trigger", spec, "--max-dumps", "1", "-p", pid);
	CHECK_EQ(wait_exit(w), 0);
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	n = list(dir_of(trace), ".trace", names, 8);
	REQUIRE(n == 1, "%d dumps (err: %s)", n, err);
	CHECK(strstr(names[0], "r.1.runqlat.trace"), "named %s", names[0]);
	d.tid = w;
	REQUIRE(read_dump(names[0], &d) == 0);
	CHECK_EQ(d.trig.kind, SS_TRIG_RUNQLAT);
	CHECK_EQ(d.trig.tid, (uint32_t)w);
	/* the hog spins 30 ms at a time */
	CHECK(d.trig.value_ns > 10000000ull && d.trig.value_ns < 45000000ull,
	      "waited %llu ns", (unsigned long long)d.trig.value_ns);
	CHECK(d.in_near, "its switch-in is in the dump");
	CHECK(err && strstr(err, "--max-dumps"), "stopped after one dump: %s", err);
	free(out);
	free(err);
}

TEST(runqlat_trigger_on_a_pinned_hog)
{
	runqlat_on_a_pinned_hog();
}

/* What the module backend gets: the same terms evaluated by the recorder
 * on the records (a test hook asks for it with BPF). */
TEST(recorder_evaluated_runqlat_and_offcpu_fire_like_the_kernel_ones)
{
	unsigned long long s0 = 0;
	struct dump d = { 0 };

	setenv("SWITCHSCOPE_TEST_RECORDER_TRIGGERS", "1", 1);
	runqlat_on_a_pinned_hog();
	record_stall("e.trace", "5", "3", &d, &s0);
	unsetenv("SWITCHSCOPE_TEST_RECORDER_TRIGGERS");
}

TEST(coro_kernel_dump_holds_the_switch_and_fails_verify)
{
	const char *trace = fresh("c.trace");
	char names[8][256], *out = NULL, *err = NULL;
	struct dump d = { 0 };
	int rc, n;

	setenv("CORO_TEST_SWITCH_SYSCALL", "1", 1);
	rc = TU_RUN(&out, &err, "switchscope", "record", "-o", (char *)trace, "--flight", "1s",
		    "--trigger", "coro-kernel", "--post", "0.1", "--max-dumps", "1", "--",
		    bin("coro-pingpong"), "--switches", "200000", "--rate", "20000");
	unsetenv("CORO_TEST_SWITCH_SYSCALL");
	REQUIRE(rc == 0 || rc == 143, "record exited %d: %s", rc, err);
	n = list(dir_of(trace), ".trace", names, 8);
	REQUIRE(n == 1, "%d dumps (err: %s)", n, err);
	CHECK(strstr(names[0], "c.1.coro-kernel.trace"), "named %s", names[0]);
	REQUIRE(read_dump(names[0], &d) == 0);
	CHECK_EQ(d.trig.kind, SS_TRIG_CORO_KERNEL);
	CHECK_EQ(d.trig.entry, SS_TRIG_ENTRY_SYSCALL);
	CHECK(d.coro_switches > 0 && d.syscalls > 0, "%llu coroutine switches, %llu syscalls",
	      (unsigned long long)d.coro_switches, (unsigned long long)d.syscalls);
	free(out);
	free(err);
	out = err = NULL;
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--trace", names[0]);
	CHECK_EQ(rc, 1);
	CHECK(out && strstr(out, "getppid") && strstr(out, "VERDICT: FAIL"),
	      "out: %s err: %s", out, err);
	free(out);
	free(err);
}

/* SIGUSR1 and record --dump from another process: two dumps, each whole;
 * --dump returns once its dump is written, with its path. */
TEST(sigusr1_and_dump_request_each_write_a_dump)
{
	const char *trace = fresh("u.trace");
	const char *rout = tu_tmp("r.out"), *rerr = tu_tmp("r.err");
	char names[8][256], *out = NULL, *err = NULL, pid[16];
	struct dump d1 = { 0 }, d2 = { 0 };
	pid_t r;
	int n, rc;

	r = spawn((char *const[]){ bin("switchscope"), "record", "-o", (char *)trace,
				   "--flight", "10s", "--", tbin("flight-work"), "stall",
				   "3", "0", "0", NULL }, rout, rerr);
	REQUIRE(r > 0);
	usleep(1200000);
	kill(r, SIGUSR1);
	usleep(700000);
	snprintf(pid, sizeof(pid), "%d", r);
	rc = TU_RUN(&out, &err, "switchscope", "record", "--dump", pid);
	CHECK_EQ(rc, 0);
	/* it waited for the dump: its path, written, whole */
	snprintf(names[2], 256, "%s/u.2.dump.trace\n", dir_of(trace));
	CHECK(out && !strcmp(out, names[2]), "--dump printed '%s', expected '%s' (err: %s)",
	      out ? out : "", names[2], err ? err : "");
	names[2][strlen(names[2]) - 1] = 0;
	CHECK(read_dump(names[2], &d2) == 0, "%s is not a whole dump once --dump returned", names[2]);
	memset(&d2, 0, sizeof(d2));
	free(out);
	free(err);
	out = err = NULL;
	/* a process that is not a flight recorder is refused */
	snprintf(pid, sizeof(pid), "%d", getpid());
	rc = TU_RUN(&out, &err, "switchscope", "record", "--dump", pid);
	CHECK_EQ(rc, SS_EXIT_USAGE);
	CHECK(err && strstr(err, "not a switchscope flight recorder"), "err: %s", err);
	rc = wait_exit(r);
	REQUIRE(rc == 0, "record exited %d: %s", rc, slurp(rerr));
	n = list(dir_of(trace), ".trace", names, 8);
	REQUIRE(n == 2, "%d dumps: %s", n, slurp(rerr));
	snprintf(names[0], 256, "%s/u.1.signal.trace", dir_of(trace));
	snprintf(names[1], 256, "%s/u.2.dump.trace", dir_of(trace));
	REQUIRE(read_dump(names[0], &d1) == 0, "%s", names[0]);
	REQUIRE(read_dump(names[1], &d2) == 0, "%s", names[1]);
	CHECK_EQ(d1.trig.kind, SS_TRIG_SIGNAL);
	CHECK_EQ(d1.trig.nr, SIGUSR1);
	CHECK_EQ(d2.trig.kind, SS_TRIG_REQUEST);
	CHECK_EQ(d2.trig.dump, 2);
	CHECK(d1.records > 10 && d2.records > d1.records, "%ld then %ld records",
	      d1.records, d2.records);
	free(out);
	free(err);
}

/* --stacks in flight mode: a dump holds the stacks its switches name,
 * though they were first seen before its window, and their symbols
 * (written as the stacks arrive, not at the end of the recording). */
TEST(flight_dump_with_stacks_holds_its_stacks_and_names)
{
	const char *trace = fresh("k.trace");
	const char *rout = tu_tmp("k.out"), *rerr = tu_tmp("k.err");
	char name[256];
	struct dump *d = calloc(1, sizeof(*d));
	pid_t r;
	int rc;

	REQUIRE(d);
	r = spawn((char *const[]){ bin("switchscope"), "record", "--stacks", "-o",
				   (char *)trace, "--flight", "1s", "--", tbin("flight-work"),
				   "stall", "4", "0", "0", NULL }, rout, rerr);
	REQUIRE(r > 0);
	usleep(3000000);
	kill(r, SIGUSR1);
	rc = wait_exit(r);
	REQUIRE(rc == 0, "record exited %d: %s", rc, slurp(rerr));
	snprintf(name, sizeof(name), "%s/k.1.signal.trace", dir_of(trace));
	REQUIRE(read_dump(name, d) == 0, "%s: %s", name, slurp(rerr));
	CHECK(d->stacks > 0 && d->syms > 0, "%lu stacks, %lu syms",
	      (unsigned long)d->stacks, (unsigned long)d->syms);
	CHECK(d->kids > 0 && d->kids_missing == 0, "%lu of %lu switch kernel stacks missing",
	      (unsigned long)d->kids_missing, (unsigned long)d->kids);
	free(d);
}

/* SIGKILL while a dump is being written (a test hook holds it before its
 * trailer): the only file left is NAME.tmp, and it reads as unfinished. */
TEST(sigkill_mid_dump_leaves_no_valid_looking_dump)
{
	const char *trace = fresh("k.trace");
	const char *rout = tu_tmp("r.out"), *rerr = tu_tmp("r.err");
	char names[8][256], tmp[256], err[256];
	const struct ss_damage *dmg;
	struct ss_reader *rd;
	uint64_t until;
	pid_t r;
	int n, code;

	setenv("SWITCHSCOPE_TEST_DUMP_PAUSE_MS", "5000", 1);
	r = spawn((char *const[]){ bin("switchscope"), "record", "-o", (char *)trace,
				   "--flight", "5s", "--", tbin("flight-work"), "stall",
				   "8", "0", "0", NULL }, rout, rerr);
	unsetenv("SWITCHSCOPE_TEST_DUMP_PAUSE_MS");
	REQUIRE(r > 0);
	usleep(1000000);
	kill(r, SIGUSR1);
	snprintf(tmp, sizeof(tmp), "%s/k.1.signal.trace.tmp", dir_of(trace));
	for (until = mono_ns() + 4000000000ull; access(tmp, F_OK) && mono_ns() < until;)
		usleep(20000);
	REQUIRE(access(tmp, F_OK) == 0, "no %s: %s", tmp, slurp(rerr));
	usleep(200000);
	kill(r, SIGKILL);
	CHECK_EQ(wait_exit(r), 128 + SIGKILL);
	n = list(dir_of(trace), ".trace", names, 8);
	CHECK_EQ(n, 0);
	rd = ss_reader_open(tmp, err, sizeof(err), &code);
	if (rd) {
		const struct ss_hdr *h;

		while (ss_reader_next(rd, &h))
			;
		dmg = ss_reader_damage(rd);
		CHECK(!ss_reader_trailer(rd) && dmg->no_trailer,
		      "the unfinished dump has no trailer");
		ss_reader_close(rd);
	}
	/* the command the recorder ran is left to itself: wait it out */
	usleep(100000);
}

TEST(bad_flight_options_are_usage_errors)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = TU_RUN(&out, &err, "switchscope", "record", "--flight", "0s", "--", "true");
	CHECK_EQ(rc, SS_EXIT_USAGE);
	free(err);
	err = NULL;
	rc = TU_RUN(&out, &err, "switchscope", "record", "--trigger", "offcpu>1ms", "--", "true");
	CHECK_EQ(rc, SS_EXIT_USAGE);
	CHECK(err && strstr(err, "need --flight"), "err: %s", err);
	free(err);
	err = NULL;
	rc = TU_RUN(&out, &err, "switchscope", "record", "--flight", "1s", "--trigger",
		    "offcpu<1ms", "--", "true");
	CHECK_EQ(rc, SS_EXIT_USAGE);
	CHECK(err && strstr(err, "unknown --trigger"), "err: %s", err);
	free(err);
	err = NULL;
	free(out);
	free(err);
}
