/* switchscope record: the loop around a backend and a sink. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "cgroup.h"
#include "flight.h"
#include "rec_coro.h"
#include "rec_stacks.h"
#include "recorder.h"
#include "ring_read.h"
#include "sink.h"
#include "ss.h"
#include "trigger.h"

#define POLL_MS		10
/* While a coroutine trace ring fills fast: read again this soon. */
#define POLL_BUSY_MS	1
/* A process's tgid leaves the filter this long after its last thread
 * exited, once its final switches are in. */
#define FORGET_NS	(200ull * 1000000)

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* --flight: SIGUSR1, or a request (switchscope record --dump) */
static volatile sig_atomic_t dump_asked, dump_kind, dump_from;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	dump_kind = si->si_code == SI_QUEUE && si->si_value.sival_int == SS_FLIGHT_REQUEST ?
		    SS_TRIG_REQUEST : SS_TRIG_SIGNAL;
	dump_from = dump_kind == SS_TRIG_REQUEST ? si->si_pid : SIGUSR1;
	dump_asked = 1;
}

struct dead {
	uint32_t tgid;
	uint64_t ts;
};

struct rec {
	const struct ss_record_opts *o;
	const struct ss_backend_ops *ops;
	struct ss_backend *be;
	struct ss_sink *sink;
	unsigned int ncpu;
	struct ss_cpu_lost *lost_seen, *lost_now, *coro_seen;
	struct rec_coro *coro;
	struct rec_stacks *stacks;	/* --stacks (NULL: off) */
	int ring_said;			/* the rings' parks have no stacks: said */
	struct ss_rings *rings;		/* coroutine trace rings (NULL: off) */
	struct dead *dead;
	size_t ndead, cap_dead;
	int *pidfds;
	size_t npidfds;
	pid_t child;
	int go_fd, err_fd;
	uint32_t stopped[64];		/* stopped at exec, to continue */
	size_t nstopped;
	struct ss_flight *flight;	/* --flight (NULL: off) */
	struct ss_trig *trig;		/* its kernel triggers (NULL: none) */
	struct ss_cg_names *cg_names;	/* --cgroup (NULL: off) */
};

/* A process the kernel side stopped at exec: attach the coroutine probes
 * of what it will run, then let it go. Never leave one stopped. */
static void stopped_release(struct rec *r)
{
	for (size_t i = 0; i < r->nstopped; i++) {
		rec_coro_exec_now(r->coro, r->stopped[i]);
		kill(r->stopped[i], SIGCONT);
	}
	r->nstopped = 0;
}

static void stopped_add(struct rec *r, uint32_t tgid)
{
	if (r->nstopped == sizeof(r->stopped) / sizeof(r->stopped[0]))
		stopped_release(r);
	r->stopped[r->nstopped++] = tgid;
}

int ss_status_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return SS_EXIT_INTERNAL;
}

/* A cgroup record of the recorder's own (the state at the start, a name). */
static void cg_record(void *ctx, const struct ss_hdr *h)
{
	struct rec *r = ctx;

	ss_cg_names_note(r->cg_names, h, NULL, NULL);
	ss_sink_add(r->sink, h);
}

static void on_record(void *ctx, const struct ss_hdr *h)
{
	struct rec *r = ctx;

	if (h->type == SS_EV_CORO_RING) {
		if (r->rings && h->size >= sizeof(struct ss_coro_ring)) {
			ss_rings_announce(r->rings, (const struct ss_coro_ring *)h);
			if (r->stacks && !r->ring_said && !r->o->quiet)
				ss_warn("coroutine parks written to trace rings carry no "
					"stacks: record with --coro-ring=off to get them");
			r->ring_said = 1;
		}
		return;
	}
	if (r->stacks)
		h = rec_stacks_record(r->stacks, h);
	if (h->type == SS_EV_CGROUP)
		ss_cg_names_note(r->cg_names, h, cg_record, r);
	ss_sink_add(r->sink, h);
	rec_coro_record(r->coro, h);
	if (h->type == SS_EV_EXEC && (((const struct ss_exec *)h)->flags & SS_EXEC_STOPPED))
		stopped_add(r, ((const struct ss_exec *)h)->tgid);
	if (h->type == SS_EV_EXIT && !r->o->system_wide) {
		const struct ss_exit *e = (const void *)h;

		if ((e->flags & SS_EXIT_GROUP_DEAD) && r->ndead < 4096) {
			if (r->ndead == r->cap_dead) {
				size_t nc = r->cap_dead ? r->cap_dead * 2 : 64;
				struct dead *n = realloc(r->dead, nc * sizeof(*n));

				if (!n)
					return;
				r->dead = n;
				r->cap_dead = nc;
			}
			r->dead[r->ndead++] = (struct dead){ e->tgid, h->ts };
		}
	}
}

static void forget_dead(struct rec *r, uint64_t now)
{
	size_t keep = 0;

	for (size_t i = 0; i < r->ndead; i++) {
		if (now - r->dead[i].ts > FORGET_NS)
			r->ops->del_tgid(r->be, r->dead[i].tgid);
		else
			r->dead[keep++] = r->dead[i];
	}
	r->ndead = keep;
}

static void lost_delta(struct rec *r, struct ss_cpu_lost *seen, uint32_t source)
{
	for (unsigned int i = 0; i < r->ncpu; i++) {
		uint64_t d = r->lost_now[i].count - seen[i].count;

		if (d)
			ss_sink_lost(r->sink, i, d, r->lost_now[i].last_ts, source);
		seen[i] = r->lost_now[i];
	}
}

static void check_lost(struct rec *r)
{
	if (r->ops->lost(r->be, r->lost_now, r->ncpu) == 0)
		lost_delta(r, r->lost_seen, r->ops->id == SS_BACKEND_KMOD ?
			   SS_LOST_KMOD : SS_LOST_RINGBUF);
	memcpy(r->lost_now, r->coro_seen, r->ncpu * sizeof(*r->lost_now));
	if (rec_coro_lost(r->coro, r->lost_now, r->ncpu) == 0)
		lost_delta(r, r->coro_seen, SS_LOST_RINGBUF);
}

/* Fork the command stopped before exec: it runs only once the probes are
 * attached (go_fd), and reports a failed exec through err_fd. */
static int spawn(struct rec *r, char *const *cmd)
{
	int go[2], er[2];

	if (pipe2(go, O_CLOEXEC) || pipe2(er, O_CLOEXEC))
		return -errno;
	r->child = fork();
	if (r->child < 0)
		return -errno;
	if (r->child == 0) {
		char c;
		int e;

		close(go[1]);
		close(er[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(SS_EXIT_EXEC);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(cmd[0], cmd);
		e = errno;
		if (write(er[1], &e, sizeof(e)) < 0)
			_exit(SS_EXIT_EXEC);
		_exit(SS_EXIT_EXEC);
	}
	close(go[0]);
	close(er[1]);
	r->go_fd = go[1];
	r->err_fd = er[0];
	return 0;
}

static void fill_meta(struct ss_meta *m, const struct ss_record_opts *o,
		      uint32_t backend, unsigned int ncpu, int coro)
{
	struct utsname u;
	size_t off = 0;

	memset(m, 0, sizeof(*m));
	m->clock_id = SS_CLOCK_MONOTONIC;
	m->ncpu = ncpu;
	m->start_ns = ss_now_ns();
	m->start_realtime_ns = ss_realtime_ns();
	m->backend = backend;
	m->flags = (o->system_wide ? SS_META_SYSTEM_WIDE : 0) |
		   (o->syscalls ? SS_META_SYSCALLS : 0) |
		   (o->switch_in ? SS_META_SWITCH_IN : 0) |
		   (o->wakeup ? SS_META_WAKEUP : 0) |
		   (coro ? SS_META_CORO : 0) |
		   (o->stacks ? SS_META_STACKS : 0) |
		   (o->ncgroups ? SS_META_CGROUP : 0);
	m->recorder_pid = getpid();
	if (uname(&u) == 0) {
		snprintf(m->sysname, sizeof(m->sysname), "%s", u.sysname);
		snprintf(m->release, sizeof(m->release), "%s", u.release);
		snprintf(m->machine, sizeof(m->machine), "%s", u.machine);
		snprintf(m->hostname, sizeof(m->hostname), "%s", u.nodename);
	}
	if (o->cmd) {
		for (char *const *a = o->cmd; *a && off < sizeof(m->cmdline) - 1; a++)
			off += snprintf(m->cmdline + off, sizeof(m->cmdline) - off,
					"%s%s", off ? " " : "", *a);
	} else if (o->system_wide) {
		snprintf(m->cmdline, sizeof(m->cmdline), "-a");
	} else {
		off = snprintf(m->cmdline, sizeof(m->cmdline), "-p ");
		for (size_t i = 0; i < o->npids && off < sizeof(m->cmdline) - 1; i++)
			off += snprintf(m->cmdline + off, sizeof(m->cmdline) - off,
					"%s%u", i ? "," : "", o->pids[i]);
	}
	off = strlen(m->cmdline);
	for (size_t i = 0; i < o->ncgroups && off < sizeof(m->cmdline) - 1; i++)
		off += snprintf(m->cmdline + off, sizeof(m->cmdline) - off,
				" --cgroup %s", o->cgroups[i]);
}

static int write_header(struct rec *r, struct ss_writer *w, uint64_t *start)
{
	struct ss_task *tasks = NULL;
	struct ss_meta m;
	size_t n = 0;
	int err;

	fill_meta(&m, r->o, r->ops->id, r->ncpu, rec_coro_binaries(r->coro) > 0);
	*start = m.start_ns;
	err = ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m));
	if (err)
		return err;
	err = ss_snapshot_tasks(&tasks, &n);
	if (err)
		return err;
	/* Large systems: split to stay below the chunk limit. */
	for (size_t i = 0; i < n && !err; i += 65536) {
		size_t k = n - i < 65536 ? n - i : 65536;

		err = ss_writer_chunk(w, SS_CHUNK_TASKS, tasks + i, k * sizeof(*tasks));
	}
	free(tasks);
	if (!err && !r->o->system_wide) {
		uint32_t t[r->o->npids + 1];
		size_t k = 0;

		for (size_t i = 0; i < r->o->npids; i++)
			t[k++] = r->o->pids[i];
		if (r->child > 0)
			t[k++] = r->child;
		err = ss_writer_chunk(w, SS_CHUNK_TARGETS, t, k * sizeof(t[0]));
		if (r->flight)
			ss_flight_header(r->flight, &m, t, k);
	} else if (r->flight) {
		ss_flight_header(r->flight, &m, NULL, 0);
	}
	return err;
}

static int targets_alive(struct rec *r)
{
	size_t alive = 0;

	for (size_t i = 0; i < r->npidfds; i++) {
		struct pollfd p = { .fd = r->pidfds[i], .events = POLLIN };

		if (r->pidfds[i] < 0)
			continue;
		if (poll(&p, 1, 0) == 1) {
			close(r->pidfds[i]);
			r->pidfds[i] = -1;
			continue;
		}
		alive++;
	}
	return alive > 0;
}

static void ring_record(void *ctx, const struct ss_hdr *h)
{
	ss_sink_add_lane(((struct rec *)ctx)->sink, 1, h);
}

static void ring_lost(void *ctx, const struct ss_lost *l)
{
	ss_sink_add_lost(((struct rec *)ctx)->sink, l);
}

static void ring_cpu(void *ctx, uint32_t tid, uint32_t cpu)
{
	ss_sink_cpu_hint(((struct rec *)ctx)->sink, tid, cpu);
}

static int drain(struct rec *r)
{
	int n, total = 0;

	do {
		n = r->ops->poll(r->be, 0, on_record, r);
		if (n > 0)
			total += n;
	} while (n > 0);
	rec_coro_tick(r->coro, ss_now_ns(), on_record, r);
	return total;
}

/* --flight writes its dumps next to -o: that directory must take files. */
static int flight_dir_check(const char *output)
{
	char dir[4096];
	const char *slash = strrchr(output, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - output + 1) : 1,
		 slash ? output : ".");
	if (access(dir, W_OK | X_OK)) {
		ss_err("cannot write dumps in %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int record_run(const struct ss_record_opts *o, struct ss_record_result *res,
		      const struct ss_cg_sel *cg)
{
	struct ss_backend_cfg cfg = {
		.system_wide = o->system_wide,
		.buffer_bytes = o->buffer_bytes,
		.syscalls = o->syscalls,
		.switch_in = o->switch_in,
		.wakeup = o->wakeup,
		/* -a would stop every new program of the system once: there,
		 * probes of later programs are attached as soon as seen. */
		.stop_new_exe = !o->no_coro && !o->system_wide,
		.stacks = o->stacks,
	};
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term, old_usr1;
	struct sigaction sa_usr1 = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	const struct ss_flight_opts *fo = o->flight;
	struct rec r = { .o = o, .go_fd = -1, .err_fd = -1 };
	uint64_t start = 0, deadline = 0, end, cg_ts;
	struct ss_writer *w;
	struct ss_meta m;
	char err[512] = "";
	int code = SS_OK, rc, reaped = 0, busy = 0;

	memset(res, 0, sizeof(*res));
	r.ops = ss_backend_find(o->backend ? o->backend : "bpf");
	if (!r.ops) {
		ss_err("unknown backend '%s' (bpf or kmod)", o->backend);
		return SS_EXIT_USAGE;
	}
	if (o->stacks && r.ops->id != SS_BACKEND_BPF) {
		ss_err("--stacks needs the BPF backend (the module records no stacks)");
		return SS_EXIT_USAGE;
	}
	r.ncpu = ss_ncpu();
	for (size_t i = 0; i < o->npids; i++) {
		if (kill(o->pids[i], 0) && errno == ESRCH) {
			ss_err("no process with PID %u", o->pids[i]);
			return SS_EXIT_USAGE;
		}
	}
	if (fo && flight_dir_check(o->output))
		return SS_EXIT_IO;
	/* The output must be writable before any probe is loaded (with
	 * --flight, records go to dumps: the sink writes nowhere), and gets
	 * the metadata in its first write: a recorder killed from there on
	 * leaves a valid (empty) trace. write_header() writes the final one. */
	fill_meta(&m, o, r.ops->id, r.ncpu, 0);
	w = ss_writer_open(fo ? "/dev/null" : o->output);
	if (!w) {
		ss_err("cannot write %s: %s", o->output, strerror(errno));
		return SS_EXIT_IO;
	}
	rc = ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m));
	if (rc) {
		ss_err("cannot write %s: %s", o->output, strerror(-rc));
		ss_writer_discard(w, o->output);
		return SS_EXIT_IO;
	}
	if (o->zstd_level >= 0 &&
	    ss_writer_compress(w, o->zstd_level ? o->zstd_level : SS_ZSTD_LEVEL)) {
		ss_err("out of memory");
		ss_writer_discard(w, o->output);
		return SS_EXIT_INTERNAL;
	}
	code = r.ops->open(&r.be, &cfg, err, sizeof(err));
	if (code) {
		ss_err("%s", err);
		ss_writer_discard(w, o->output);
		return code;
	}
	r.sink = ss_sink_new(w, r.ncpu);
	r.lost_seen = calloc(r.ncpu, sizeof(*r.lost_seen));
	r.lost_now = calloc(r.ncpu, sizeof(*r.lost_now));
	r.coro_seen = calloc(r.ncpu, sizeof(*r.coro_seen));
	r.pidfds = calloc(o->npids + 1, sizeof(int));
	if (cg)
		r.cg_names = ss_cg_names_new(cg);
	if (!r.sink || !r.lost_seen || !r.lost_now || !r.coro_seen || !r.pidfds ||
	    (cg && !r.cg_names)) {
		ss_err("out of memory");
		code = SS_EXIT_INTERNAL;
		goto out_backend;
	}
	if (fo) {
		r.flight = ss_flight_new(fo, o->output, o->zstd_level, o->quiet, r.ncpu,
					 ss_trig_arm, NULL);
		if (!r.flight) {
			ss_err("out of memory");
			code = SS_EXIT_INTERNAL;
			goto out_backend;
		}
		ss_sink_tap(r.sink, ss_flight_record, r.flight);
	}
	if (fo && (fo->runqlat_ns || fo->offcpu_ns)) {
		struct ss_bpf_maps maps;

		/* the module has no BPF programs: its records are evaluated
		 * (and, for the tests, BPF's when asked) */
		if (!r.ops->bpf_maps || r.ops->bpf_maps(r.be, &maps) ||
		    getenv("SWITCHSCOPE_TEST_RECORDER_TRIGGERS")) {
			ss_flight_eval_sched(r.flight, o->system_wide);
			goto triggers_done;
		}
		code = ss_trig_open(&r.trig, fo, &maps, o->system_wide, err, sizeof(err));
		if (code) {
			ss_err("%s", err);
			goto out_backend;
		}
		ss_flight_rearm_ctx(r.flight, r.trig);
	}
triggers_done:
	if (!o->no_coro && o->coro_ring != SS_RING_OFF) {
		r.rings = ss_rings_new(o->coro_ring, ss_now_ns(), ring_lost, ring_cpu, &r);
		if (!r.rings) {
			ss_err("out of memory");
			code = SS_EXIT_INTERNAL;
			goto out_backend;
		}
	}
	if (o->stacks) {
		struct ss_bpf_maps maps;

		r.stacks = rec_stacks_new(r.sink, r.ops->bpf_maps &&
					  r.ops->bpf_maps(r.be, &maps) == 0 ?
					  maps.stack_lost : -1);
		if (!r.stacks) {
			ss_err("out of memory");
			code = SS_EXIT_INTERNAL;
			goto out_backend;
		}
		if (o->flight)
			rec_stacks_eager(r.stacks);
	}
	r.coro = rec_coro_open(o, r.ops, r.be, &code);
	if (code)
		goto out_backend;
	for (size_t i = 0; i < o->npids; i++) {
		rec_coro_add_tgid(r.coro, o->pids[i]);
		rec_coro_pid(r.coro, o->pids[i]);
		rc = r.ops->add_tgid(r.be, o->pids[i]);
		r.pidfds[r.npidfds++] = syscall(SYS_pidfd_open, o->pids[i], 0);
		if (rc) {
			ss_err("cannot add PID %u to the filter: %s", o->pids[i], strerror(-rc));
			code = SS_EXIT_INTERNAL;
			goto out_backend;
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigemptyset(&sa_usr1.sa_mask);
	if (fo)
		sigaction(SIGUSR1, &sa_usr1, &old_usr1);
	stop_signal = 0;
	dump_asked = 0;
	if (o->cmd) {
		rc = spawn(&r, o->cmd);
		if (rc) {
			ss_err("cannot fork: %s", strerror(-rc));
			code = SS_EXIT_INTERNAL;
			goto out_signals;
		}
		rec_coro_add_tgid(r.coro, r.child);
		rec_coro_command(r.coro, o->cmd[0]);
		rc = r.ops->add_tgid(r.be, r.child);
		if (rc) {
			ss_err("cannot add the command to the filter: %s", strerror(-rc));
			code = SS_EXIT_INTERNAL;
			goto out_child;
		}
	}
	rc = write_header(&r, w, &start);
	if (rc) {
		ss_err("cannot write %s: %s", o->output, strerror(-rc));
		code = SS_EXIT_IO;
		goto out_child;
	}
	cg_ts = ss_now_ns();
	code = r.ops->watch ? r.ops->watch(r.be, err, sizeof(err)) : SS_OK;
	if (code) {
		ss_err("%s", err);
		goto out_child;
	}
	/* Read once births and moves are seen and before any switch is,
	 * stamped before: a thread gone by now is not traced, one born or
	 * moved since is also in the trace, after this. */
	if (cg && ss_cg_snapshot(cg, cg_ts, cg_record, &r) < 0) {
		ss_err("out of memory");
		code = SS_EXIT_INTERNAL;
		goto out_stop;
	}
	code = r.ops->start(r.be, err, sizeof(err));
	if (code) {
		ss_err("%s", err);
		goto out_stop;
	}
	if (r.trig) {
		code = ss_trig_start(r.trig, err, sizeof(err));
		if (code) {
			ss_err("%s", err);
			goto out_stop;
		}
	}
	if (o->duration_ns)
		deadline = ss_now_ns() + o->duration_ns;
	if (o->cmd) {
		int e;

		if (write(r.go_fd, "g", 1) != 1) {
			ss_err("cannot start the command: %s", strerror(errno));
			code = SS_EXIT_INTERNAL;
			goto out_stop;
		}
		close(r.go_fd);
		r.go_fd = -1;
		if (read(r.err_fd, &e, sizeof(e)) == sizeof(e)) {
			ss_err("cannot run %s: %s", o->cmd[0], strerror(e));
			code = SS_EXIT_EXEC;
		} else {
			res->cmd_started = 1;
		}
	}

	while (!stop_signal && code == SS_OK) {
		rc = r.ops->poll(r.be, busy ? POLL_BUSY_MS : POLL_MS, on_record, &r);
		if (rc < 0 && rc != -EINTR) {
			ss_err("reading events failed: %s", strerror(-rc));
			code = SS_EXIT_INTERNAL;
			break;
		}
		stopped_release(&r);
		rec_coro_tick(r.coro, ss_now_ns(), on_record, &r);
		busy = r.rings && ss_rings_poll(r.rings, UINT64_MAX, ring_record, &r);
		ss_sink_floor(r.sink, ss_rings_watermark(r.rings));
		check_lost(&r);
		ss_sink_flush(r.sink, 0);
		rc = ss_sink_error(r.sink);
		if (rc) {
			ss_err("writing %s failed: %s; the file is valid up to the last "
			       "complete chunk", o->output, strerror(rc));
			code = rc == ENOMEM ? SS_EXIT_INTERNAL : SS_EXIT_IO;
			break;
		}
		forget_dead(&r, ss_now_ns());
		if (r.flight && dump_asked) {
			dump_asked = 0;
			ss_flight_request(r.flight, r.sink, dump_kind, dump_from, ss_now_ns());
		}
		if (r.flight && ss_flight_step(r.flight, r.sink, ss_now_ns())) {
			if (!o->quiet)
				fprintf(stderr, "%s: %u dumps written (--max-dumps)\n", ss_prog,
					fo->max_dumps);
			break;
		}
		if (o->cmd && waitpid(r.child, &res->cmd_status, WNOHANG) == r.child) {
			reaped = 1;
			break;
		}
		if (o->npids && !o->cmd && !targets_alive(&r)) {
			if (!o->quiet)
				fprintf(stderr, "%s: all traced processes exited\n", ss_prog);
			break;
		}
		if (deadline && ss_now_ns() >= deadline)
			break;
	}
out_stop:
	end = ss_now_ns();
	r.ops->stop(r.be);
	drain(&r);
	if (r.rings)
		ss_rings_poll(r.rings, end, ring_record, &r);
	stopped_release(&r);
	check_lost(&r);
out_child:
	if (r.go_fd >= 0)
		close(r.go_fd);
	if (r.err_fd >= 0)
		close(r.err_fd);
	if (r.child > 0 && !reaped) {
		/* Recording stopped first: a command that never started is
		 * killed; a running one gets the signal that stopped us (SIGTERM
		 * at the end of --duration) and is waited for. */
		if (!res->cmd_started)
			kill(r.child, SIGKILL);
		else
			kill(r.child, stop_signal ? stop_signal : SIGTERM);
		while (waitpid(r.child, &res->cmd_status, 0) < 0 && errno == EINTR)
			;
	}
out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (fo)
		sigaction(SIGUSR1, &old_usr1, NULL);
out_backend:
	end = ss_now_ns();
	if (r.rings) {
		struct ss_rings_stats st;

		ss_rings_stats(r.rings, &st);
		res->rings = st.rings;
		res->ring_records = st.records;
		res->ring_lost = st.lost + st.invalid;
		res->ring_counter = st.counter;
		res->ring_clock_err_ns = st.clock_err_ns;
		/* what is still in the rings is after the end: not recorded */
		ss_rings_free(r.rings);
	}
	if (r.stacks) {
		struct rec_stacks_stats st;

		/* symbols now: the last stacks are in */
		rec_stacks_finish(r.stacks, end, &st);
		res->stacks = st.stacks;
		res->stacks_lost = st.lost;
		res->stack_syms = st.syms;
		res->stack_addrs = st.addrs;
		res->stack_maps = st.maps;
		res->stack_procs_gone = st.procs_gone;
		res->stacks_cut = st.cut;
		rec_stacks_free(r.stacks);
		if (st.lost)
			ss_warn("%llu stack records were lost (ring buffer full): records "
				"naming them have no stack unless it came again; a larger "
				"-m helps", (unsigned long long)st.lost);
		if (st.procs_gone && !o->quiet)
			ss_warn("%llu processes exited before their mappings were read: "
				"their user stacks stay unnamed",
				(unsigned long long)st.procs_gone);
	}
	if (r.sink) {
		int werr = ss_writer_error(w);

		rc = ss_sink_close(r.sink, end, &res->records, &res->lost,
				   res->count, &res->bytes);
		if (rc && code == SS_OK) {
			ss_err("writing %s failed: %s; the file is valid up to the "
			       "last complete chunk (%llu records lost)", o->output,
			       strerror(werr ? werr : -rc), (unsigned long long)res->lost);
			code = SS_EXIT_IO;
		}
	} else {
		ss_writer_close(w, &(struct ss_trailer){ 0 }, NULL);
	}
	if (r.flight) {
		struct ss_flight_stats fs;

		rc = ss_flight_close(r.flight, &fs);
		if (rc && code == SS_OK)
			code = rc;
		res->dumps = fs.dumps;
		res->flight_peak = fs.peak_bytes;
		res->flight_carried = fs.peak_carried;
		res->lost += fs.lost;
	}
	ss_trig_close(r.trig);
	ss_cg_names_free(r.cg_names);
	res->duration_ns = start ? end - start : 0;
	res->coro_binaries = rec_coro_binaries(r.coro);
	rec_coro_close(r.coro);
	for (size_t i = 0; i < r.npidfds; i++)
		if (r.pidfds[i] >= 0)
			close(r.pidfds[i]);
	r.ops->close(r.be);
	free(r.pidfds);
	free(r.lost_seen);
	free(r.lost_now);
	free(r.coro_seen);
	free(r.dead);
	return code;
}

/* --cgroup: the filter is resolved before anything loads. Alone it is
 * -a narrowed to the cgroups; with -p or a command, the intersection. */
int ss_record_run(const struct ss_record_opts *o, struct ss_record_result *res)
{
	struct ss_record_opts eff = *o;
	struct ss_cg_sel cg;
	int code;

	if (!o->ncgroups)
		return record_run(o, res, NULL);
	memset(res, 0, sizeof(*res));
	if (o->backend && !strcmp(o->backend, "kmod")) {
		ss_err("--cgroup needs the bpf backend: the module filters by process "
		       "only (docs: README, record)");
		return SS_EXIT_USAGE;
	}
	code = ss_cg_resolve(&cg, o->cgroups, o->ncgroups);
	if (code)
		return code;
	if (!o->npids && !o->cmd)
		eff.system_wide = 1;
	ss_cg_set_active(&cg);
	code = record_run(&eff, res, &cg);
	ss_cg_set_active(NULL);
	ss_cg_free(&cg);
	return code;
}

void ss_record_summary(const struct ss_record_result *res, const char *output)
{
	char dur[SS_DUR_BUF];
	int first = 1;

	fprintf(stderr, "[ %s: %s, %llu records (", ss_prog,
		ss_fmt_dur(dur, sizeof(dur), res->duration_ns),
		(unsigned long long)res->records);
	for (unsigned int t = 0; t < SS_EV_MAX; t++) {
		if (!res->count[t] || t == SS_EV_LOST)
			continue;
		fprintf(stderr, "%s%s %llu", first ? "" : ", ", ss_type_name(t),
			(unsigned long long)res->count[t]);
		first = 0;
	}
	fprintf(stderr, "), %llu lost, %.2f MB written to %s", (unsigned long long)res->lost,
		res->bytes / 1e6, output);
	if (res->stacks)
		fprintf(stderr, "; %llu stacks, %llu of %llu addresses named",
			(unsigned long long)res->stacks, (unsigned long long)res->stack_syms,
			(unsigned long long)res->stack_addrs);
	if (res->stacks_cut)
		fprintf(stderr, "; %llu user stacks cut where the walk broke off (code "
			"without frame pointers: rebuild with -fno-omit-frame-pointer)",
			(unsigned long long)res->stacks_cut);
	if (res->rings)
		fprintf(stderr, "; %llu coroutine records from %llu trace rings "
			"(%llu of theirs lost; clock: %s)",
			(unsigned long long)res->ring_records, (unsigned long long)res->rings,
			(unsigned long long)res->ring_lost,
			res->ring_counter ? "CPU counter, converted" : "CLOCK_MONOTONIC");
	fputs(" ]\n", stderr);
}
