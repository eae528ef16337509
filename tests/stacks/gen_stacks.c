/* Write a small trace "recorded with --stacks" whose off-CPU times are
 * known to the nanosecond, for the views' tests (tests/stacks/views.sh):
 *
 *   t0+0      cpu0: idle -> blocker[500]; cpu1: idle -> spinner[600]
 *   t0+0.5ms  coroutine 7 of 500 parks (user stack U_PARK), ready at +0.8ms
 *   t0+1ms    blocker blocks in read_pipe_fn (K_PIPE, U_PIPE) -> writer[501]
 *   t0+6ms    writer wakes blocker (waker stacks K_WAKE, U_WAKE):
 *             blocker slept 5 ms
 *   t0+7ms    writer preempted (K_PREEMPT, U_ONE: one frame) -> blocker:
 *             blocker waited 1 ms
 *   t0+9ms    blocker blocks in futex_wait_fn (K_FUTEX, U_FUTEX) -> writer:
 *             writer waited 2 ms
 *   t0+10ms   writer blocks, its kernel stack id not in the trace -> idle
 *   t0+20ms   end: blocker slept 11 ms, writer 10 ms, not woken
 *
 * Also: a second, different stack record of U_PIPE's id (dropped and
 * counted), a stack record whose nr does not fit (dropped), an ss_map of
 * /usr/bin/blocker (a frame without a symbol shows as blocker+offset), and
 * process 600 untraced (its switches are not reported).
 *
 * With -T, flight recorder triggers: runqlat about blocker at t0+7ms (it
 * waited 1 ms, threshold 0.5 ms) and a signal (no task) at t0+12ms.
 *
 * With -U, thread 502 of the same process also sleeps from t0+17ms to the
 * end (3 ms) in a user stack of real addresses of a file on this machine,
 * with its ss_map record and no ss_sym: the views must name it through
 * the resolver.
 *
 * With -B N, from t0+20ms on N rounds of 3 us on CPU 0: blocker runs and
 * sleeps (in read_pipe_fn and futex_wait_fn's stacks, by turns), writer
 * runs and sleeps (in write_pipe_fn's): 2N intervals off the CPU, for
 * sums over more of them than the views hold at once.
 *
 *   gen_stacks -o FILE [-n] [-T] [-B N] [-r RECORDS] [-U "PATH START END PGOFF BUILDID IP IP"]
 *     -n  the same without SS_META_STACKS
 *     -U  the mapping (hex numbers, the build-id as hex digits) and two
 *         addresses in it, innermost first
 *     -r  also write the bare records (an events chunk's payload): a seed
 *         for tests/fuzz/fuzz_stack_table.c */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ss.h"
#include "trace.h"

#define MS 1000000ull
#define KB 0xffffffff81000000ull	/* kernel text */
#define UB 0x401000ull			/* the blocker's text */

enum { K_PIPE = 1, K_WAKE, K_PREEMPT, K_FUTEX, K_MISSING, U_PIPE, U_WAKE, U_ONE, U_FUTEX,
       U_PARK };

static char buf[1 << 16];
static size_t len;
static uint64_t t0 = 1000000000ull, count[SS_EV_MAX], nrec;

static void *rec(uint16_t type, size_t size, uint32_t cpu, uint64_t ts)
{
	struct ss_hdr *h = (void *)(buf + len);

	size = (size + 7) & ~7ul;
	memset(h, 0, size);
	h->type = type;
	h->size = size;
	h->cpu = cpu;
	h->ts = ts;
	len += size;
	count[type]++;
	nrec++;
	return h;
}

/* The records so far as an events chunk, to make room. */
static int flush(struct ss_writer *w)
{
	int rc = ss_writer_chunk(w, SS_CHUNK_EVENTS, buf, len);

	len = 0;
	return rc;
}

static void stack(uint64_t id, uint32_t tgid, int kernel, int nr, const uint64_t *ip,
		  uint64_t ts)
{
	struct ss_stack *s = rec(SS_EV_STACK, sizeof(*s) + nr * 8, 0, ts);

	s->id = id;
	s->tgid = kernel ? 0 : tgid;
	s->nr = nr;
	s->flags = kernel ? SS_STACK_KERNEL : 0;
	memcpy(s + 1, ip, nr * 8);
}

static void sym(uint64_t addr, uint32_t tgid, uint32_t off, const char *name, const char *obj)
{
	size_t n = strlen(name), o = strlen(obj);
	struct ss_sym *y = rec(SS_EV_SYM, sizeof(*y) + n + o, 0, t0 + 20 * MS);

	y->addr = addr;
	y->tgid = tgid;
	y->off = off;
	y->name_len = n;
	y->obj_len = o;
	memcpy(y + 1, name, n);
	memcpy((char *)(y + 1) + n, obj, o);
}

static void sw(uint32_t cpu, uint64_t ts, uint32_t prev, uint32_t ptgid, uint32_t state,
	       uint32_t next, uint32_t ntgid, uint64_t kst, uint64_t ust, int with_ids)
{
	struct ss_switch *s = rec(SS_EV_SWITCH, sizeof(*s) + (with_ids ? 16 : 0), cpu, ts);

	s->prev_tid = prev;
	s->prev_tgid = ptgid;
	s->next_tid = next;
	s->next_tgid = ntgid;
	s->prev_state = state;
	s->prev_prio = s->next_prio = 120;
	s->cls = !prev ? SS_CLASS_FROM_IDLE : !next ? SS_CLASS_TO_IDLE :
		 ptgid == ntgid ? SS_CLASS_THREAD : SS_CLASS_PROCESS;
	if (with_ids) {
		struct ss_stack_ids *ids = (void *)(s + 1);

		ids->kstack = kst;
		ids->ustack = ust;
	}
}

/* -U: thread 502 sleeps in a stack of a real file's addresses, named by
 * nothing in the trace but its mapping. */
static int resolved(const char *spec)
{
	uint64_t start, end, pgoff, ip[2];
	char path[256], bid[41];
	struct ss_comm *cm;
	struct ss_map *mp;
	size_t n;

	if (sscanf(spec, "%255s %" SCNx64 " %" SCNx64 " %" SCNx64 " %40s %" SCNx64 " %" SCNx64,
		   path, &start, &end, &pgoff, bid, &ip[0], &ip[1]) != 7 || strlen(bid) != 40) {
		fprintf(stderr, "gen_stacks: bad -U '%s'\n", spec);
		return -1;
	}
	cm = rec(SS_EV_COMM, sizeof(*cm), 1, t0 + 16 * MS);
	cm->tid = 502;
	cm->tgid = 500;
	snprintf(cm->comm, sizeof(cm->comm), "resolved");
	sw(1, t0 + 16 * MS, 0, 0, 0, 502, 500, 0, 0, 1);
	stack(U_PARK + 1, 500, 0, 2, ip, t0 + 17 * MS);
	sw(1, t0 + 17 * MS, 502, 500, SS_TASK_INTERRUPTIBLE, 0, 0, 0, U_PARK + 1, 1);
	n = strlen(path);
	mp = rec(SS_EV_MAP, sizeof(*mp) + n, 0, t0 + 20 * MS);
	mp->tgid = 500;
	mp->start = start;
	mp->end = end;
	mp->pgoff = pgoff;
	mp->build_id_len = 20;
	for (int i = 0; i < 20; i++)
		sscanf(bid + 2 * i, "%2hhx", &mp->build_id[i]);
	mp->path_len = n;
	memcpy(mp + 1, path, n);
	return 0;
}

int main(int argc, char **argv)
{
	const uint64_t k_pipe[] = { KB + 0x105a, KB + 0x2010, KB + 0x3020 };
	const uint64_t k_wake[] = { KB + 0x4008, KB + 0x5010 };
	const uint64_t k_pre[] = { KB + 0x6004 };
	const uint64_t k_futex[] = { KB + 0x105a, KB + 0x7010 };
	const uint64_t u_pipe[] = { UB + 0x110, UB + 0x410, UB + 0x900 };
	const uint64_t u_pipe_other[] = { UB + 0x999 };
	const uint64_t u_wake[] = { UB + 0x210, UB + 0x420 };
	const uint64_t u_one[] = { UB + 0x510 };
	const uint64_t u_futex[] = { UB + 0x310, UB + 0x430 };
	const uint64_t u_park[] = { UB + 0x610, UB + 0x440 };
	struct ss_meta m = { 0 };
	struct ss_task tasks[3] = { 0 };
	struct ss_trailer tr = { 0 };
	uint64_t lost_cpu[2] = { 0 };
	uint32_t target = 500;
	const char *out = NULL, *raw = NULL, *res = NULL;
	struct ss_writer *w;
	int c, ids = 1, trig = 0;
	long rounds = 0;

	while ((c = getopt(argc, argv, "o:nTr:U:B:")) != -1) {
		if (c == 'B')
			rounds = atol(optarg);
		else if (c == 'o')
			out = optarg;
		else if (c == 'U')
			res = optarg;
		else if (c == 'r')
			raw = optarg;
		else if (c == 'n')
			ids = 0;
		else if (c == 'T')
			trig = 1;
		else
			return 2;
	}
	if (!out || !(w = ss_writer_open(out))) {
		fprintf(stderr, "usage: gen_stacks -o FILE [-n]\n");
		return 2;
	}
	m.clock_id = SS_CLOCK_MONOTONIC;
	m.ncpu = 2;
	m.start_ns = t0;
	m.start_realtime_ns = 1700000000000000000ull;
	m.flags = ids ? SS_META_STACKS : 0;
	snprintf(m.sysname, sizeof(m.sysname), "Linux");
	snprintf(m.release, sizeof(m.release), "6.18.0-synthetic");
	snprintf(m.machine, sizeof(m.machine), "x86_64");
	snprintf(m.hostname, sizeof(m.hostname), "gen");
	snprintf(m.cmdline, sizeof(m.cmdline), "blocker");
	ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m));
	tasks[0] = (struct ss_task){ .tid = 500, .tgid = 500, .ppid = 1 };
	snprintf(tasks[0].comm, SS_COMM_LEN, "blocker");
	tasks[1] = (struct ss_task){ .tid = 501, .tgid = 500, .ppid = 1 };
	snprintf(tasks[1].comm, SS_COMM_LEN, "writer");
	tasks[2] = (struct ss_task){ .tid = 600, .tgid = 600, .ppid = 1 };
	snprintf(tasks[2].comm, SS_COMM_LEN, "spinner");
	ss_writer_chunk(w, SS_CHUNK_TASKS, tasks, sizeof(tasks));
	ss_writer_chunk(w, SS_CHUNK_TARGETS, &target, sizeof(target));

	sw(0, t0, 0, 0, 0, 500, 500, 0, 0, ids);
	sw(1, t0, 0, 0, 0, 600, 600, 0, 0, ids);
	if (ids) {
		struct ss_stack *bad;

		stack(U_PARK, 500, 0, 2, u_park, t0 + MS / 2);
		stack(K_PIPE, 0, 1, 3, k_pipe, t0 + MS);
		stack(U_PIPE, 500, 0, 3, u_pipe, t0 + MS);
		stack(U_PIPE, 500, 0, 1, u_pipe_other, t0 + MS);	/* conflict */
		bad = rec(SS_EV_STACK, sizeof(*bad) + 8, 0, t0 + MS);
		bad->id = 99;
		bad->tgid = 500;
		bad->nr = 40;		/* room for one */
	}
	{
		struct ss_coro_park *p = rec(SS_EV_CORO_PARK, sizeof(*p) + (ids ? 16 : 0), 0,
					     t0 + MS / 2);
		struct ss_coro_ready *r;

		p->tid = 500;
		p->tgid = 500;
		p->id = 7;
		p->reason = SS_PARK_CHANNEL;
		if (ids)
			((struct ss_stack_ids *)(p + 1))->ustack = U_PARK;
		r = rec(SS_EV_CORO_READY, sizeof(*r), 0, t0 + 8 * MS / 10);
		r->tid = 500;
		r->tgid = 500;
		r->id = 7;
	}
	sw(0, t0 + MS, 500, 500, SS_TASK_INTERRUPTIBLE, 501, 500, K_PIPE, U_PIPE, ids);
	if (ids) {
		stack(K_WAKE, 0, 1, 2, k_wake, t0 + 6 * MS);
		stack(U_WAKE, 500, 0, 2, u_wake, t0 + 6 * MS);
	}
	{
		struct ss_wakeup *e = rec(SS_EV_WAKING, sizeof(*e) + (ids ? 16 : 0), 0, t0 + 6 * MS);

		e->tid = 500;
		e->tgid = 500;
		e->waker_tid = 501;
		e->waker_tgid = 500;
		e->prio = 120;
		if (ids) {
			((struct ss_stack_ids *)(e + 1))->kstack = K_WAKE;
			((struct ss_stack_ids *)(e + 1))->ustack = U_WAKE;
		}
	}
	if (ids) {
		stack(K_PREEMPT, 0, 1, 1, k_pre, t0 + 7 * MS);
		stack(U_ONE, 500, 0, 1, u_one, t0 + 7 * MS);
	}
	sw(0, t0 + 7 * MS, 501, 500, SS_TASK_RUNNING, 500, 500, K_PREEMPT, U_ONE, ids);
	if (trig) {
		struct ss_trigger *g = rec(SS_EV_TRIGGER, sizeof(*g), 0, t0 + 7 * MS);

		g->kind = SS_TRIG_RUNQLAT;
		g->tid = 500;
		g->tgid = 500;
		g->dump = 1;
		g->threshold_ns = MS / 2;
		g->value_ns = MS;
		g->since_ns = t0 + 6 * MS;
	}
	if (ids) {
		stack(K_FUTEX, 0, 1, 2, k_futex, t0 + 9 * MS);
		stack(U_FUTEX, 500, 0, 2, u_futex, t0 + 9 * MS);
	}
	sw(0, t0 + 9 * MS, 500, 500, SS_TASK_INTERRUPTIBLE, 501, 500, K_FUTEX, U_FUTEX, ids);
	sw(0, t0 + 10 * MS, 501, 500, SS_TASK_UNINTERRUPTIBLE, 0, 0, K_MISSING, U_WAKE, ids);
	if (trig) {
		struct ss_trigger *g = rec(SS_EV_TRIGGER, sizeof(*g), 1, t0 + 12 * MS);

		g->kind = SS_TRIG_SIGNAL;
		g->dump = 2;
		g->nr = 10;
	}
	sw(1, t0 + 15 * MS, 600, 600, SS_TASK_INTERRUPTIBLE, 0, 0, K_PIPE, 0, ids);
	if (ids && res && resolved(res))
		return 2;
	if (ids) {
		struct ss_map *mp = rec(SS_EV_MAP, sizeof(*mp) + 16, 0, t0 + 20 * MS);

		mp->tgid = 500;
		mp->start = UB;
		mp->end = UB + 0x10000;
		mp->pgoff = 0x1000;
		mp->path_len = 16;
		memcpy(mp + 1, "/usr/bin/blocker", 16);
		sym(KB + 0x105a, 0, 0x5a, "schedule", "");
		sym(KB + 0x2010, 0, 0x10, "pipe_read", "");
		sym(KB + 0x3020, 0, 0x20, "ksys_read", "");
		sym(KB + 0x4008, 0, 0x8, "try_to_wake_up", "");
		sym(KB + 0x5010, 0, 0x10, "pipe_write", "");
		sym(KB + 0x6004, 0, 0x4, "preempt_schedule", "");
		sym(KB + 0x7010, 0, 0x10, "futex_wait", "");
		sym(UB + 0x110, 500, 0x10, "read_pipe_fn", "/usr/bin/blocker");
		sym(UB + 0x410, 500, 0x10, "main", "/usr/bin/blocker");
		/* UB + 0x900: no symbol, named by the map */
		sym(UB + 0x210, 500, 0x10, "write_pipe_fn", "/usr/bin/blocker");
		sym(UB + 0x420, 500, 0x20, "main", "/usr/bin/blocker");
		sym(UB + 0x510, 500, 0x10, "spin_fn", "/usr/bin/blocker");
		sym(UB + 0x310, 500, 0x10, "futex_wait_fn", "/usr/bin/blocker");
		sym(UB + 0x430, 500, 0x30, "main", "/usr/bin/blocker");
		sym(UB + 0x610, 500, 0x10, "chan_recv_fn", "/usr/bin/blocker");
		sym(UB + 0x440, 500, 0x40, "main", "/usr/bin/blocker");
	}
	if (raw && rounds) {
		fprintf(stderr, "gen_stacks: -r and -B: one or the other\n");
		return 2;
	}
	if (raw) {
		FILE *f = fopen(raw, "w");

		if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
			perror(raw);
			return 1;
		}
	}
	if (flush(w))
		return 1;
	for (long i = 0; i < rounds; i++) {
		uint64_t ts = t0 + 20 * MS + (uint64_t)i * 3000;

		sw(0, ts, 0, 0, 0, 500, 500, 0, 0, ids);
		sw(0, ts + 1000, 500, 500, SS_TASK_INTERRUPTIBLE, 501, 500,
		   i & 1 ? K_FUTEX : K_PIPE, i & 1 ? U_FUTEX : U_PIPE, ids);
		sw(0, ts + 2000, 501, 500, SS_TASK_INTERRUPTIBLE, 0, 0, K_WAKE, U_WAKE, ids);
		if (len > sizeof(buf) - 512 && flush(w))
			return 1;
	}
	if (len && flush(w))
		return 1;
	tr.end_ns = t0 + 20 * MS + (uint64_t)rounds * 3000;
	tr.records = nrec;
	memcpy(tr.count, count, sizeof(count));
	tr.ncpu = 2;
	if (ss_writer_close(w, &tr, lost_cpu)) {
		perror("close");
		return 1;
	}
	return 0;
}
