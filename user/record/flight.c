#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flight.h"
#include "flight_int.h"
#include "idmap.h"
#include "recorder.h"
#include "sink.h"
#include "ss.h"
#include "trace.h"
#include "trigger_desc.h"
#include "verify.h"

/* Blocks of records: large enough that the list stays short, small
 * enough that the block beyond the window costs little. */
#define BLOCK_BYTES	(1u << 20)
#define BLOCK_MIN	(64u << 10)
/* A dump is due once the sink has passed trigger + post; if no record
 * comes to say so (a quiet system), this long after it by the clock: the
 * sink's reorder window (50 ms) and a margin. */
#define FORCE_NS	(250ull * 1000000)
/* Dumps written at the same time, each by a child; more are written by
 * the recorder itself. */
#define MAX_WRITERS	4
/* record --dump processes waiting for their dump's name at once */
#define MAX_WAITERS	8

/* A record --dump waiting: a pidfd (the process, not a PID that could be
 * another's by the time the dump is written) and the dump it is in. */
struct waiter {
	int pidfd;
	uint32_t pid;
	unsigned int dump;	/* 0: its trigger record has not passed yet */
};

struct block {
	struct block *next;
	size_t len;
	uint64_t first_ts, last_ts;
	char data[];
};

struct ss_flight {
	struct ss_flight_opts fo;
	const char *output;
	int zstd_level, quiet;
	unsigned int ncpu;
	void (*rearm)(void *ctx);
	void *rearm_ctx;
	struct ss_meta meta;
	uint32_t *targets;
	size_t ntargets;
	/* the window */
	struct block *head, *tail, *spare;
	size_t block_bytes;
	uint64_t bytes;			/* records held in blocks */
	uint64_t cap;			/* bytes the window may hold */
	uint64_t keep_ns;		/* time window + post */
	uint64_t newest;
	uint64_t lost_pending;		/* could not keep: said in the next record */
	uint64_t lost_total;
	int capped_said;
	/* carried over from dropped blocks */
	struct carry carry;
	/* the trigger being served */
	int pending;
	struct ss_trigger trig;
	uint64_t due;
	unsigned int started, written, failed;
	uint64_t peak;
	/* runqlat/offcpu evaluated here (a backend without BPF) */
	int want_sched, sched_all;
	struct sched_eval *sched;
	/* coro-kernel */
	struct ss_verify *verify;
	uint64_t violations;
	uint64_t *group_seen;
	size_t ngroup_seen;
	unsigned int pause_ms;		/* test hook: before a dump's trailer */
	uint64_t hold_until;		/* triggers start no dump before this */
	int kernel_armed;		/* the BPF triggers may fire */
	pid_t writers[MAX_WRITERS];	/* children writing dumps */
	unsigned int wdump[MAX_WRITERS];	/* the dump each writes */
	uint32_t wkind[MAX_WRITERS];	/* and its trigger's kind */
	unsigned int nwriters;
	struct waiter waiters[MAX_WAITERS];
	unsigned int nwaiters;
};

int ss_flight_parse_window(const char *arg, struct ss_flight_opts *fo)
{
	uint64_t v;
	size_t n = strlen(arg);

	if (ss_parse_dur(arg, &v) == 0) {
		if (!v)
			return -1;
		fo->window_ns = v;
		fo->window_bytes = SS_FLIGHT_TIME_CAP;
		return 0;
	}
	/* a size needs its suffix: a bare number is seconds */
	if (!n || !strchr("kKmMgG", arg[n - 1]) || ss_parse_size(arg, 0, &v) ||
	    v < BLOCK_MIN * 2 || v > (64ull << 30))
		return -1;
	fo->window_ns = 0;
	fo->window_bytes = v;
	return 0;
}

/* "NAME>DURATION[,tid=N]" */
static int parse_threshold(const char *arg, const char *name, uint64_t *ns,
			   uint32_t *tid, char *err, size_t errlen)
{
	size_t n = strlen(name);
	char buf[64], *comma;
	uint64_t v;

	if (strncmp(arg, name, n) || arg[n] != '>')
		return 1;
	snprintf(buf, sizeof(buf), "%s", arg + n + 1);
	comma = strchr(buf, ',');
	if (comma) {
		*comma = 0;
		if (strncmp(comma + 1, "tid=", 4) || ss_parse_u64(comma + 5, &v) ||
		    !v || v > 0x3fffffff) {
			snprintf(err, errlen, "bad '%s' in --trigger %s (only tid=N)",
				 comma + 1, arg);
			return -1;
		}
		*tid = v;
	}
	if (ss_parse_dur(buf, &v) || !v) {
		snprintf(err, errlen, "bad duration '%s' in --trigger %s", buf, arg);
		return -1;
	}
	*ns = v;
	return 0;
}

int ss_flight_parse_trigger(const char *arg, struct ss_flight_opts *fo,
			    char *err, size_t errlen)
{
	int rc;

	if (!strcmp(arg, "coro-kernel")) {
		fo->coro_kernel = 1;
		return 0;
	}
	rc = parse_threshold(arg, "runqlat", &fo->runqlat_ns, &fo->runqlat_tid, err, errlen);
	if (rc <= 0)
		return rc;
	rc = parse_threshold(arg, "offcpu", &fo->offcpu_ns, &fo->offcpu_tid, err, errlen);
	if (rc <= 0)
		return rc;
	snprintf(err, errlen, "unknown --trigger '%s' (runqlat>DURATION[,tid=N], "
		 "offcpu>DURATION[,tid=N] or coro-kernel)", arg);
	return -1;
}

struct ss_flight *ss_flight_new(const struct ss_flight_opts *fo, const char *output,
				int zstd_level, int quiet, unsigned int ncpu,
				void (*rearm)(void *ctx), void *rearm_ctx)
{
	struct ss_flight *f = calloc(1, sizeof(*f));
	const char *p;

	if (!f)
		return NULL;
	f->fo = *fo;
	f->output = output;
	f->zstd_level = zstd_level;
	f->quiet = quiet;
	f->ncpu = ncpu;
	f->rearm = rearm;
	f->rearm_ctx = rearm_ctx;
	f->kernel_armed = 1;	/* ss_trig_start() arms them */
	f->cap = fo->window_bytes;
	/* a dump forced by the clock comes up to FORCE_NS late */
	f->keep_ns = fo->window_ns ? fo->window_ns + fo->post_ns + FORCE_NS : 0;
	f->block_bytes = BLOCK_BYTES;
	while (f->block_bytes > BLOCK_MIN && f->block_bytes * 16 > f->cap)
		f->block_bytes /= 2;
	if (carry_init(&f->carry)) {
		free(f);
		return NULL;
	}
	p = getenv("SWITCHSCOPE_TEST_DUMP_PAUSE_MS");
	if (p)
		f->pause_ms = atoi(p);
	return f;
}

void ss_flight_rearm_ctx(struct ss_flight *f, void *ctx)
{
	f->rearm_ctx = ctx;
}

void ss_flight_eval_sched(struct ss_flight *f, int system_wide)
{
	f->want_sched = 1;
	f->sched_all = system_wide;
}

void ss_flight_header(struct ss_flight *f, const struct ss_meta *m,
		      const uint32_t *targets, size_t ntargets)
{
	f->meta = *m;
	free(f->targets);
	f->targets = ntargets ? malloc(ntargets * sizeof(*targets)) : NULL;
	f->ntargets = f->targets ? ntargets : 0;
	if (f->targets)
		memcpy(f->targets, targets, ntargets * sizeof(*targets));
	if (f->want_sched && !f->sched) {
		f->sched = malloc(sizeof(*f->sched));
		if (f->sched && sched_eval_init(f->sched, &f->fo, f->sched_all,
						!(m->flags & SS_META_WAKEUP))) {
			free(f->sched);
			f->sched = NULL;
		}
		if (!f->sched)
			ss_warn("out of memory: --trigger runqlat/offcpu are off");
	}
	for (size_t i = 0; f->sched && i < ntargets; i++)
		sched_eval_traced(f->sched, targets[i]);
	if (f->fo.coro_kernel && !f->verify) {
		f->verify = calloc(1, sizeof(*f->verify));
		if (f->verify && ss_verify_init(f->verify, m->machine)) {
			ss_verify_free(f->verify);
			free(f->verify);
			f->verify = NULL;
		}
		if (!f->verify)
			ss_warn("out of memory: --trigger coro-kernel is off");
	}
}

/* ---- the window ---- */

/* The oldest block goes once the others still cover the window. */
static void trim(struct ss_flight *f)
{
	while (f->head && f->head != f->tail) {
		struct block *b = f->head;
		int old = f->keep_ns && f->newest > f->keep_ns &&
			  f->head->next->first_ts < f->newest - f->keep_ns &&
			  b->last_ts < f->newest - f->keep_ns;
		int big = f->bytes - b->len >= f->cap;

		if (!old && !big)
			break;
		if (big && !old && f->keep_ns && !f->capped_said) {
			ss_warn("flight window: more than %llu MB of records in %.1f s; "
				"dumps hold less time", (unsigned long long)(f->cap >> 20),
				f->fo.window_ns / 1e9);
			f->capped_said = 1;
		}
		for (size_t off = 0; off < b->len;) {
			const struct ss_hdr *h = (const void *)(b->data + off);

			carry_keep(&f->carry, h);
			off += h->size;
		}
		f->head = b->next;
		f->bytes -= b->len;
		if (!f->spare)
			f->spare = b;
		else
			free(b);
	}
	carry_compact(&f->carry);
}

static struct block *new_block(struct ss_flight *f)
{
	struct block *b = f->spare;

	if (b)
		f->spare = NULL;
	else
		b = malloc(sizeof(*b) + f->block_bytes);
	if (!b)
		return NULL;
	b->next = NULL;
	b->len = 0;
	return b;
}

static int append(struct ss_flight *f, const struct ss_hdr *h)
{
	struct block *b = f->tail;

	if (!b || b->len + h->size > f->block_bytes) {
		b = new_block(f);
		if (!b) {
			f->lost_pending++;
			f->lost_total++;
			return -1;
		}
		if (f->tail)
			f->tail->next = b;
		else
			f->head = b;
		f->tail = b;
		b->first_ts = h->ts;
	}
	memcpy(b->data + b->len, h, h->size);
	b->len += h->size;
	b->last_ts = h->ts;
	f->bytes += h->size;
	if (h->ts > f->newest)
		f->newest = h->ts;
	return 0;
}

/* ---- dumps ---- */

/* trace.trace -> trace.N.KIND.trace; other names get .N.KIND */
void ss_flight_dump_name(const char *output, unsigned int n, uint32_t kind,
			 char *buf, size_t len)
{
	size_t ol = strlen(output);
	const char *ext = ".trace";

	if (ol > 6 && !strcmp(output + ol - 6, ext))
		snprintf(buf, len, "%.*s.%u.%s%s", (int)(ol - 6), output, n,
			 ss_trigger_name(kind), ext);
	else
		snprintf(buf, len, "%s.%u.%s", output, n, ss_trigger_name(kind));
}

/* The answer to a record --dump process (it is gone: nothing to do). */
static void answer(struct ss_flight *f, unsigned int i, int value)
{
	struct waiter *w = &f->waiters[i];
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SS_FLIGHT_REPLY_SIG;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	syscall(SYS_pidfd_send_signal, w->pidfd, SS_FLIGHT_REPLY_SIG, &si, 0);
	close(w->pidfd);
	*w = f->waiters[--f->nwaiters];
}

/* Dump n is written (or failed): its waiters are told. */
static void reply(struct ss_flight *f, unsigned int n, int value)
{
	for (unsigned int i = 0; i < f->nwaiters;) {
		if (n && f->waiters[i].dump == n)
			answer(f, i, value);
		else
			i++;
	}
}

/* The trigger record of pid's request passed: it is in dump n (0: in no
 * dump, told so now). */
static void request_in(struct ss_flight *f, uint32_t pid, unsigned int n)
{
	for (unsigned int i = 0; i < f->nwaiters; i++) {
		if (f->waiters[i].pid != pid || f->waiters[i].dump)
			continue;
		if (n)
			f->waiters[i].dump = n;
		else
			answer(f, i, 0);
		return;
	}
}

struct dumpw {
	struct ss_writer *w;
	char *chunk;
	size_t clen;
	struct ss_trailer t;
	uint64_t *lost_cpu;
	int err;
};

#define DUMP_CHUNK	(256u << 10)

static void dw_flush(struct dumpw *d)
{
	if (d->clen && !d->err)
		d->err = ss_writer_chunk(d->w, SS_CHUNK_EVENTS, d->chunk, d->clen);
	d->clen = 0;
}

static void dw_add(struct dumpw *d, const struct ss_hdr *h, uint64_t ts)
{
	struct ss_hdr *c;

	if (d->clen + h->size > DUMP_CHUNK)
		dw_flush(d);
	c = (struct ss_hdr *)(d->chunk + d->clen);
	memcpy(c, h, h->size);
	c->ts = ts;
	d->clen += h->size;
	d->t.records++;
	if (h->type < SS_EV_MAX)
		d->t.count[h->type]++;
	if (h->type == SS_EV_LOST) {
		const struct ss_lost *l = (const void *)h;

		d->t.lost += l->count;
		if (l->source == SS_LOST_WRITE)
			d->t.lost_write += l->count;
		if (h->cpu < d->t.ncpu)
			d->lost_cpu[h->cpu] += l->count;
	}
}

/* The carried records and those still in blocks but older than the
 * window go first, stamped with its start, unless the task or coroutine
 * they describe ended before it. */
struct before {
	struct dumpw *d;
	struct carry_ends ends;
	uint64_t lo;
};

static void carry_out(void *ctx, const struct ss_hdr *h, uint32_t i)
{
	struct before *b = ctx;

	if (!carry_ends_dead(&b->ends, h, i))
		dw_add(b->d, h, b->lo);
}

static void write_before(struct ss_flight *f, struct dumpw *d, uint64_t lo)
{
	struct before b = { .d = d, .lo = lo };
	uint32_t ncarry = 0, i;

	if (carry_ends_init(&b.ends))
		return;
	for (size_t off = 0; off < f->carry.len;
	     off += ((const struct ss_hdr *)(f->carry.buf + off))->size)
		ncarry++;
	i = ncarry;
	for (struct block *k = f->head; k && k->first_ts < lo; k = k->next)
		for (size_t off = 0; off < k->len; i++) {
			const struct ss_hdr *h = (const void *)(k->data + off);

			if (h->ts < lo)
				carry_ends_note(&b.ends, h, i);
			off += h->size;
		}
	carry_each(&f->carry, carry_out, &b);
	i = ncarry;
	for (struct block *k = f->head; k && k->first_ts < lo; k = k->next)
		for (size_t off = 0; off < k->len; i++) {
			const struct ss_hdr *h = (const void *)(k->data + off);

			if (h->ts < lo && carry_wanted(h) && !carry_ends_dead(&b.ends, h, i))
				dw_add(d, h, lo);
			off += h->size;
		}
	carry_ends_free(&b.ends);
}

static int write_dump(struct ss_flight *f, const char *path)
{
	uint64_t lo, hi = f->trig.hdr.ts + f->fo.post_ns;
	struct dumpw d = { .t.ncpu = f->ncpu };
	struct ss_task *tasks = NULL;
	struct ss_meta m = f->meta;
	char tmp[4096];
	size_t ntasks = 0;
	int fd, err;

	lo = f->head ? f->head->first_ts : f->trig.hdr.ts;
	if (f->fo.window_ns && f->trig.hdr.ts > f->fo.window_ns &&
	    f->trig.hdr.ts - f->fo.window_ns > lo)
		lo = f->trig.hdr.ts - f->fo.window_ns;
	if (lo < f->meta.start_ns)
		lo = f->meta.start_ns;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	d.w = ss_writer_open(tmp);
	if (!d.w)
		return -errno;
	d.chunk = malloc(DUMP_CHUNK);
	d.lost_cpu = calloc(f->ncpu, sizeof(*d.lost_cpu));
	if (!d.chunk || !d.lost_cpu ||
	    (f->zstd_level >= 0 &&
	     ss_writer_compress(d.w, f->zstd_level ? f->zstd_level : SS_ZSTD_LEVEL))) {
		d.err = -ENOMEM;
		goto out;
	}
	/* the dump starts where its window does */
	m.start_realtime_ns += lo - m.start_ns;
	m.start_ns = lo;
	d.err = ss_writer_chunk(d.w, SS_CHUNK_META, &m, sizeof(m));
	if (!d.err && ss_snapshot_tasks(&tasks, &ntasks) == 0)
		for (size_t i = 0; i < ntasks && !d.err; i += 65536)
			d.err = ss_writer_chunk(d.w, SS_CHUNK_TASKS, tasks + i,
						(ntasks - i < 65536 ? ntasks - i : 65536) *
						sizeof(*tasks));
	free(tasks);
	if (!d.err && f->ntargets)
		d.err = ss_writer_chunk(d.w, SS_CHUNK_TARGETS, f->targets,
					f->ntargets * sizeof(*f->targets));
	write_before(f, &d, lo);
	for (struct block *b = f->head; b && !d.err; b = b->next) {
		if (b->last_ts < lo)
			continue;
		for (size_t off = 0; off < b->len;) {
			const struct ss_hdr *h = (const void *)(b->data + off);

			if (h->ts >= lo && h->ts <= hi)
				dw_add(&d, h, h->ts);
			off += h->size;
		}
	}
	dw_flush(&d);
	if (f->pause_ms)
		usleep(f->pause_ms * 1000u);
	d.t.end_ns = hi;
out:
	err = ss_writer_close(d.w, &d.t, d.lost_cpu);
	if (!d.err)
		d.err = err;
	free(d.chunk);
	free(d.lost_cpu);
	if (!d.err) {
		/* on disk before it has its name */
		fd = open(tmp, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd))
			d.err = -errno;
		if (fd >= 0)
			close(fd);
	}
	if (!d.err && rename(tmp, path))
		d.err = -errno;
	if (d.err) {
		unlink(tmp);
		return d.err;
	}
	if (!f->quiet) {
		char desc[256], c[SS_DUR_BUF];

		char late[SS_DUR_BUF];
		uint64_t now = ss_now_ns();

		fprintf(stderr, "%s: dump %u (%s): %s, %llu records, %s of window, "
			"written %s after the trigger\n", ss_prog, f->trig.dump,
			ss_trigger_desc(desc, sizeof(desc), &f->trig, f->meta.machine), path,
			(unsigned long long)d.t.records, ss_fmt_dur(c, sizeof(c), hi - lo),
			ss_fmt_dur(late, sizeof(late), now > f->trig.hdr.ts ? now - f->trig.hdr.ts : 0));
	}
	return 0;
}

/* A dump is written by a child: fork() hands it a copy-on-write snapshot
 * of the window, and the recorder goes on draining the kernel's buffers
 * meanwhile (writing a 2 s window of the futex ping-pong, 800,000
 * records, took 1 s here: in the loop, the ring buffer would fill). The
 * child dies with the recorder, so a killed recorder's dump stays a .tmp. */
static void dump_now(struct ss_flight *f)
{
	pid_t parent = getpid(), pid = -1;
	char path[4096];
	int rc;

	ss_flight_dump_name(f->output, f->trig.dump, f->trig.kind, path, sizeof(path));
	f->pending = 0;
	if (f->nwriters < MAX_WRITERS) {
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			rc = write_dump(f, path);
			if (rc)
				ss_err("cannot write dump %s: %s", path, strerror(-rc));
			_exit(rc ? 1 : 0);
		}
		if (pid > 0) {
			f->wdump[f->nwriters] = f->trig.dump;
			f->wkind[f->nwriters] = f->trig.kind;
			f->writers[f->nwriters++] = pid;
		}
	}
	if (pid < 0) {
		/* no child: write it here */
		rc = write_dump(f, path);
		if (rc) {
			ss_err("cannot write dump %s: %s", path, strerror(-rc));
			f->failed++;
		} else {
			f->written++;
		}
		reply(f, f->trig.dump, SS_FLIGHT_REPLY(f->trig.dump, f->trig.kind, !rc));
	}
	/* the triggers rest until this dump's window has gone by: dumps do
	 * not repeat each other (a storm of long waits makes one dump) */
	f->hold_until = f->trig.hdr.ts + (f->fo.window_ns ? f->fo.window_ns :
			f->head && f->trig.hdr.ts > f->head->first_ts ?
			f->trig.hdr.ts - f->head->first_ts : 0);
}

/* Count the dump writers that finished (all of them: wait). */
static void reap(struct ss_flight *f, int all)
{
	for (unsigned int i = 0; i < f->nwriters;) {
		pid_t p;
		int st;

		do
			p = waitpid(f->writers[i], &st, all ? 0 : WNOHANG);
		while (p < 0 && errno == EINTR);
		if (p == 0) {
			i++;
			continue;
		}
		if (p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			f->written++;
		else
			f->failed++;
		reply(f, f->wdump[i], SS_FLIGHT_REPLY(f->wdump[i], f->wkind[i],
						       p > 0 && WIFEXITED(st) && !WEXITSTATUS(st)));
		f->wdump[i] = f->wdump[f->nwriters - 1];
		f->wkind[i] = f->wkind[f->nwriters - 1];
		f->writers[i] = f->writers[--f->nwriters];
	}
}

/* A trigger record passing by: it starts a dump unless one is under way,
 * the last one was taken, or (a trigger condition, not a request) the
 * previous dump's window has not gone by yet. */
static void on_trigger(struct ss_flight *f, struct ss_trigger *t)
{
	int asked = t->kind == SS_TRIG_SIGNAL || t->kind == SS_TRIG_REQUEST;

	if (t->kind == SS_TRIG_RUNQLAT || t->kind == SS_TRIG_OFFCPU)
		f->kernel_armed = 0;	/* they disarmed themselves */
	if (f->pending || (f->fo.max_dumps && f->started >= f->fo.max_dumps) ||
	    (!asked && t->hdr.ts < f->hold_until)) {
		t->dump = 0;
		/* a request while a dump is pending is a mark in it */
		if (t->kind == SS_TRIG_REQUEST)
			request_in(f, t->nr, f->pending ? f->trig.dump : 0);
		return;
	}
	t->dump = ++f->started;
	f->trig = *t;
	f->pending = 1;
	f->due = t->hdr.ts + f->fo.post_ns;
	if (t->kind == SS_TRIG_REQUEST)
		request_in(f, t->nr, t->dump);
}

/* --trigger coro-kernel: verify's check, on each record as it passes. */
static void check_coro(struct ss_flight *f, const struct ss_hdr *h, int armed)
{
	const struct ss_coro_switch *sw = (const void *)h;
	struct ss_trigger t;
	struct ss_vgroup *g = NULL;

	ss_verify_add(f->verify, h);
	if (h->type != SS_EV_CORO_SWITCH || f->verify->violations == f->violations)
		return;
	f->violations = f->verify->violations;
	if (f->ngroup_seen < f->verify->ngroups) {
		uint64_t *n = realloc(f->group_seen, f->verify->ngroups * sizeof(*n));

		if (!n)
			return;
		memset(n + f->ngroup_seen, 0, (f->verify->ngroups - f->ngroup_seen) * sizeof(*n));
		f->group_seen = n;
		f->ngroup_seen = f->verify->ngroups;
	}
	for (size_t i = 0; i < f->verify->ngroups; i++) {
		if (f->verify->groups[i].count != f->group_seen[i] && !g)
			g = &f->verify->groups[i];
		f->group_seen[i] = f->verify->groups[i].count;
	}
	if (!armed)
		return;
	memset(&t, 0, sizeof(t));
	t.hdr = (struct ss_hdr){ SS_EV_TRIGGER, sizeof(t), h->cpu, h->ts };
	t.kind = SS_TRIG_CORO_KERNEL;
	t.tid = sw->tid;
	t.tgid = sw->tgid;
	t.value_ns = sw->dur_ns;
	t.since_ns = sw->start_ns;
	if (g) {
		t.entry = g->kind == SS_V_SYSCALL ? SS_TRIG_ENTRY_SYSCALL :
			  g->kind == SS_V_FAULT ? SS_TRIG_ENTRY_FAULT : SS_TRIG_ENTRY_BLOCK;
		t.nr = g->kind == SS_V_SYSCALL ? g->nr : 0;
	}
	on_trigger(f, &t);
	if (append(f, &t.hdr) == 0)
		f->peak = f->bytes > f->peak ? f->bytes : f->peak;
}

void ss_flight_record(void *ctx, const struct ss_hdr *h)
{
	struct ss_flight *f = ctx;
	int armed = !f->pending && (!f->fo.max_dumps || f->started < f->fo.max_dumps) &&
		    h->ts >= f->hold_until;

	if (f->pending && h->ts > f->due)
		dump_now(f);
	if (f->lost_pending) {
		struct ss_lost l = {
			.hdr = { SS_EV_LOST, sizeof(l), h->cpu, h->ts },
			.count = f->lost_pending,
			.source = SS_LOST_WRITE,
		};

		if (append(f, &l.hdr) == 0)
			f->lost_pending = 0;
	}
	if (h->type == SS_EV_TRIGGER && h->size >= sizeof(struct ss_trigger)) {
		struct ss_trigger t;

		memcpy(&t, h, sizeof(t));
		on_trigger(f, &t);
		append(f, &t.hdr);
	} else {
		struct ss_trigger t;

		append(f, h);
		if (f->verify)
			check_coro(f, h, armed);
		if (f->sched && sched_eval_add(f->sched, h, &t) && armed) {
			on_trigger(f, &t);
			append(f, &t.hdr);
		}
	}
	if (f->bytes > f->peak)
		f->peak = f->bytes;
	trim(f);
}

void ss_flight_request(struct ss_flight *f, struct ss_sink *s, uint32_t kind,
		       uint32_t nr, uint64_t now)
{
	struct ss_trigger t;
	int cpu = sched_getcpu();

	memset(&t, 0, sizeof(t));
	t.hdr = (struct ss_hdr){ SS_EV_TRIGGER, sizeof(t), cpu < 0 ? 0 : cpu, now };
	t.kind = kind;
	t.nr = nr;
	if (kind == SS_TRIG_REQUEST && f->nwaiters < MAX_WAITERS) {
		int fd = syscall(SYS_pidfd_open, nr, 0);

		if (fd >= 0)
			f->waiters[f->nwaiters++] = (struct waiter){ fd, nr, 0 };
	}
	ss_sink_add(s, &t.hdr);
}

int ss_flight_step(struct ss_flight *f, struct ss_sink *s, uint64_t now)
{
	if (f->pending && now > f->due + FORCE_NS) {
		/* nothing newer came: what the sink holds is all there is */
		ss_sink_flush(s, 1);
		if (f->pending)
			dump_now(f);
	}
	reap(f, 0);
	if (!f->kernel_armed && f->rearm && !f->pending && now >= f->hold_until &&
	    (!f->fo.max_dumps || f->started < f->fo.max_dumps)) {
		f->rearm(f->rearm_ctx);
		f->kernel_armed = 1;
	}
	return f->fo.max_dumps && !f->pending && !f->nwriters &&
	       f->written + f->failed >= f->fo.max_dumps;
}

int ss_flight_close(struct ss_flight *f, struct ss_flight_stats *st)
{
	int code = SS_OK;

	if (f->pending)
		dump_now(f);
	reap(f, 1);
	while (f->nwaiters)
		answer(f, 0, 0);	/* their requests came too late */
	if (f->failed)
		code = SS_EXIT_IO;
	st->dumps = f->written;
	st->failed = f->failed;
	st->peak_bytes = f->peak;
	st->peak_carried = f->carry.peak;
	carry_compact(&f->carry);
	st->carried = f->carry.len;
	st->lost = f->lost_total;
	while (f->head) {
		struct block *b = f->head;

		f->head = b->next;
		free(b);
	}
	free(f->spare);
	carry_free(&f->carry);
	if (f->verify) {
		ss_verify_free(f->verify);
		free(f->verify);
	}
	if (f->sched) {
		sched_eval_free(f->sched);
		free(f->sched);
	}
	free(f->group_seen);
	free(f->targets);
	free(f);
	return code;
}
