/* Write a synthetic but consistent trace with the writer API: kernel
 * switches and wakeups of a few threads and processes on NCPU CPUs, task
 * creation, exec, a rename, lost records, and a thread that runs
 * coroutines (coro:* records) while it is on a CPU. Deterministic for a
 * given seed. Prints what it wrote as JSON (the expected counts).
 *
 * -g adds what a recording that follows a process tree has: gaps in each
 * CPU's switch chain (a traced task switches to an untraced one, which
 * hands the CPU to another untraced task by a switch that is not recorded,
 * which switches back to a traced task; sometimes the first untraced task
 * shows up on another CPU before this CPU's chain resumes), untraced tasks
 * that only appear in switches (not in the snapshot), and the coroutine
 * thread exiting while a coroutine runs on it, well before the end of the
 * recording.
 *
 * -t gives a third of the records the timestamp of the record before
 * them: switches, wakings and other events of a CPU at one time.
 *
 *   gen_trace -o FILE [-n RECORDS] [-c NCPU] [-s SEED] [-g] [-t] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ss.h"
#include "trace.h"

#define NT	6	/* tasks */
#define CORO_T	4	/* index of the thread that runs coroutines */
#define NCORO	5

struct task {
	uint32_t tid, tgid;
	const char *comm;
	int state;	/* 0 sleeping, 1 runnable, 2 running */
	int cpu;
	int born;
};

static struct task T[NT] = {
	{ .tid = 1000, .tgid = 1000, .comm = "server" },
	{ .tid = 1001, .tgid = 1000, .comm = "server-w1" },
	{ .tid = 1002, .tgid = 1000, .comm = "server-w2" },
	{ .tid = 2000, .tgid = 2000, .comm = "client" },
	{ .tid = 3000, .tgid = 3000, .comm = "corosched" },
	{ .tid = 3001, .tgid = 3000, .comm = "coro-io" },
};

static struct ss_writer *w;
static char *buf;
static size_t len, cap = 1 << 20;
static uint64_t now, nrec, count[SS_EV_MAX], preempt, lost;
static uint32_t ncpu = 2;
static int cur[64];	/* task index on each CPU, -1 idle */
static uint64_t coro_cur;
static unsigned int seed = 1;
static uint64_t gaps;
static int ties;	/* -t: a third of the records at the time of the one before */

/* Untraced tasks (process 4000, not in the snapshot, never created). */
#define UNTRACED_TGID	4000
#define UNTRACED(i)	(4001 + (i))

static unsigned int rnd(unsigned int n)
{
	seed = seed * 1103515245 + 12345;
	return (seed >> 8) % n;
}

static void *rec(uint16_t type, uint16_t size, uint32_t cpu)
{
	struct ss_hdr *h;

	if (len + size > cap) {
		if (ss_writer_chunk(w, SS_CHUNK_EVENTS, buf, len)) {
			perror("write");
			exit(1);
		}
		len = 0;
	}
	h = (void *)(buf + len);
	memset(h, 0, size);
	h->type = type;
	h->size = size;
	h->cpu = cpu;
	if (!ties || rnd(3))
		now += 200 + rnd(3000);
	h->ts = now;
	len += size;
	nrec++;
	count[type]++;
	return h;
}

static void sw(int c, int next, int pre)
{
	struct ss_switch *s = rec(SS_EV_SWITCH, sizeof(*s), c);
	int prev = cur[c];

	if (prev >= 0) {
		s->prev_tid = T[prev].tid;
		s->prev_tgid = T[prev].tgid;
		s->prev_prio = 120;
		s->prev_state = pre ? 0 : (rnd(4) ? SS_TASK_INTERRUPTIBLE : SS_TASK_UNINTERRUPTIBLE);
		s->flags = pre ? SS_SW_PREEMPT : 0;
		T[prev].state = pre ? 1 : 0;
		preempt += !!pre;
	}
	if (next >= 0) {
		s->next_tid = T[next].tid;
		s->next_tgid = T[next].tgid;
		s->next_prio = 120;
		T[next].state = 2;
		T[next].cpu = c;
	}
	s->cls = prev < 0 ? SS_CLASS_FROM_IDLE : next < 0 ? SS_CLASS_TO_IDLE :
		 T[prev].tgid == T[next].tgid ? SS_CLASS_THREAD : SS_CLASS_PROCESS;
	cur[c] = next;
}

static int runnable_other(int c);
static void coro_switch(int c);

/* The traced task on CPU c -> untraced u (recorded: prev is traced). */
static void to_untraced(int c, uint32_t u)
{
	struct ss_switch *s = rec(SS_EV_SWITCH, sizeof(*s), c);
	int prev = cur[c];

	s->prev_tid = T[prev].tid;
	s->prev_tgid = T[prev].tgid;
	s->prev_prio = s->next_prio = 120;
	s->flags = SS_SW_PREEMPT;
	s->next_tid = u;
	s->next_tgid = UNTRACED_TGID;
	s->cls = SS_CLASS_PROCESS;
	T[prev].state = 1;
	preempt++;
	cur[c] = -2;	/* untraced */
}

/* Untraced u -> a runnable traced task or idle (recorded: next is traced,
 * or prev was seen). */
static void from_untraced(int c, uint32_t u, int to_idle)
{
	struct ss_switch *s;
	int next = to_idle ? -1 : runnable_other(c);

	if (next >= 0 && T[next].state == 2)
		next = -1;
	s = rec(SS_EV_SWITCH, sizeof(*s), c);
	s->prev_tid = u;
	s->prev_tgid = UNTRACED_TGID;
	s->prev_prio = s->next_prio = 120;
	s->prev_state = SS_TASK_INTERRUPTIBLE;
	if (next >= 0) {
		s->next_tid = T[next].tid;
		s->next_tgid = T[next].tgid;
		T[next].state = 2;
		T[next].cpu = c;
	}
	s->cls = next < 0 ? SS_CLASS_TO_IDLE : SS_CLASS_PROCESS;
	cur[c] = next;
}

/* Traced -> untraced a (recorded), a -> untraced b (not recorded: a gap),
 * b -> a traced task or idle (recorded). With migrate, a shows up on the
 * next CPU (a traced task there switches to it) before b leaves this one:
 * this CPU's chain still has a when it runs there. */
static void gap(int c, int migrate)
{
	uint32_t a = UNTRACED(rnd(4)), b = UNTRACED(4 + rnd(4));
	int c2 = (c + 1) % ncpu;

	if (migrate && (c2 == c || cur[c2] < 0 || cur[c2] == CORO_T))
		migrate = 0;
	to_untraced(c, a);
	now += 5000;	/* a runs, then b: not in the trace */
	if (migrate) {
		to_untraced(c2, a);
		from_untraced(c2, a, 1);
		gaps++;	/* a leaves c, for idle, before it runs on c2 */
	}
	from_untraced(c, b, migrate);
	gaps++;
}

/* The coroutine thread exits while a coroutine runs on it: exit, then its
 * last switch-out (dead), and it never runs again. */
static void coro_thread_exit(void)
{
	int c = T[CORO_T].state == 2 ? T[CORO_T].cpu : 0;
	struct ss_exit *x;
	struct ss_switch *s;

	if (T[CORO_T].state != 2)
		sw(c, CORO_T, cur[c] >= 0);
	coro_switch(c);
	x = rec(SS_EV_EXIT, sizeof(*x), c);
	x->tid = T[CORO_T].tid;
	x->tgid = T[CORO_T].tgid;
	s = rec(SS_EV_SWITCH, sizeof(*s), c);
	s->prev_tid = T[CORO_T].tid;
	s->prev_tgid = T[CORO_T].tgid;
	s->prev_prio = 120;
	s->prev_state = 0x80;	/* TASK_DEAD */
	s->cls = SS_CLASS_TO_IDLE;
	cur[c] = -1;
	T[CORO_T].state = 3;	/* dead: neither woken nor run */
	T[CORO_T].born = 0;
}

static void wake(int c, int t)
{
	struct ss_wakeup *e = rec(SS_EV_WAKING, sizeof(*e), c);

	e->tid = T[t].tid;
	e->tgid = T[t].tgid;
	if (cur[c] >= 0) {
		e->waker_tid = T[cur[c]].tid;
		e->waker_tgid = T[cur[c]].tgid;
	}
	e->target_cpu = c;
	e->prio = 120;
	T[t].state = 1;
	e = rec(SS_EV_WAKEUP, sizeof(*e), c);
	e->tid = T[t].tid;
	e->tgid = T[t].tgid;
	e->target_cpu = c;
	e->prio = 120;
}

static void coro_switch(int c)
{
	struct ss_coro_switch *s = rec(SS_EV_CORO_SWITCH, sizeof(*s), c);
	uint64_t to = coro_cur ? 0 : 1 + rnd(NCORO);

	s->tid = T[CORO_T].tid;
	s->tgid = T[CORO_T].tgid;
	s->from = coro_cur;
	s->to = to;
	s->dur_ns = 20 + rnd(60);
	s->start_ns = now - s->dur_ns;
	coro_cur = to;
}

static void coro_event(int c, uint16_t type)
{
	struct ss_coro_park *p = rec(type, type == SS_EV_CORO_PARK ? sizeof(*p) :
				     type == SS_EV_CORO_READY ? sizeof(struct ss_coro_ready) :
				     type == SS_EV_CORO_CREATE ? sizeof(struct ss_coro_create) :
				     sizeof(struct ss_coro_exit), c);

	p->tid = T[CORO_T].tid;
	p->tgid = T[CORO_T].tgid;
	p->id = 1 + rnd(NCORO);
	if (type == SS_EV_CORO_PARK)
		p->reason = SS_PARK_CHANNEL;
}

static void birth(int c, int t, int parent)
{
	struct ss_newtask *n = rec(SS_EV_NEWTASK, sizeof(*n), c);
	struct ss_wakeup *e;

	n->parent_tid = T[parent].tid;
	n->parent_tgid = T[parent].tgid;
	n->tid = T[t].tid;
	n->tgid = T[t].tgid;
	n->clone_flags = T[t].tgid == T[parent].tgid ? SS_CLONE_THREAD : 0;
	snprintf(n->comm, sizeof(n->comm), "%s", T[parent].comm);
	e = rec(SS_EV_WAKEUP_NEW, sizeof(*e), c);
	e->tid = T[t].tid;
	e->tgid = T[t].tgid;
	e->waker_tid = T[parent].tid;
	e->waker_tgid = T[parent].tgid;
	e->target_cpu = c;
	T[t].state = 1;
	T[t].born = 1;
	if (T[t].tgid != T[parent].tgid) {
		struct ss_exec *x = rec(SS_EV_EXEC, sizeof(*x), c);

		x->tid = x->old_tid = T[t].tid;
		x->tgid = T[t].tgid;
		snprintf(x->comm, sizeof(x->comm), "%s", T[t].comm);
		snprintf(x->filename, sizeof(x->filename), "/usr/bin/%s", T[t].comm);
	}
}

static int runnable_other(int c)
{
	int start = rnd(NT);

	for (int k = 0; k < NT; k++) {
		int t = (start + k) % NT;

		if (T[t].born && T[t].state == 1)
			return t;
	}
	(void)c;
	return -1;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	uint64_t target = 20000;
	struct ss_meta m = { 0 };
	struct ss_task tasks[2] = { 0 };
	struct ss_trailer tr = { 0 };
	uint64_t lost_cpu[64] = { 0 };
	int opt, gaps_on = 0, exited = 0;

	while ((opt = getopt(argc, argv, "o:n:c:s:gt")) != -1) {
		if (opt == 'o')
			out = optarg;
		else if (opt == 'n')
			target = strtoull(optarg, NULL, 10);
		else if (opt == 'c')
			ncpu = atoi(optarg);
		else if (opt == 's')
			seed = atoi(optarg);
		else if (opt == 'g')
			gaps_on = 1;
		else if (opt == 't')
			ties = 1;
	}
	if (!out || ncpu < 1 || ncpu > 64) {
		fprintf(stderr, "usage: gen_trace -o FILE [-n RECORDS] [-c NCPU] [-s SEED] [-g] [-t]\n");
		return 2;
	}
	w = ss_writer_open(out);
	buf = malloc(cap);
	if (!w || !buf) {
		perror(out);
		return 1;
	}
	now = 1000000000;
	m.clock_id = SS_CLOCK_MONOTONIC;
	m.ncpu = ncpu;
	m.start_ns = now;
	m.start_realtime_ns = 1700000000000000000ull;
	snprintf(m.sysname, sizeof(m.sysname), "Linux");
	snprintf(m.release, sizeof(m.release), "6.18.0-synthetic");
	snprintf(m.machine, sizeof(m.machine), "x86_64");
	snprintf(m.hostname, sizeof(m.hostname), "gen");
	snprintf(m.cmdline, sizeof(m.cmdline), "-p 1000,2000,3000");
	ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m));
	/* Alive at the start: the server and the coroutine process. */
	tasks[0] = (struct ss_task){ .tid = 1000, .tgid = 1000, .ppid = 1 };
	snprintf(tasks[0].comm, SS_COMM_LEN, "server");
	tasks[1] = (struct ss_task){ .tid = 3000, .tgid = 3000, .ppid = 1 };
	snprintf(tasks[1].comm, SS_COMM_LEN, "corosched");
	ss_writer_chunk(w, SS_CHUNK_TASKS, tasks, sizeof(tasks));
	for (uint32_t c = 0; c < ncpu; c++)
		cur[c] = -1;
	T[0].born = T[4].born = 1;
	T[0].state = T[4].state = 1;
	sw(0, 0, 0);
	coro_event(0, SS_EV_CORO_CREATE);
	birth(0, 1, 0);
	birth(0, 2, 0);
	birth(0, 3, 0);
	birth(0, 5, 4);
	{
		struct ss_comm *cm = rec(SS_EV_COMM, sizeof(*cm), 0);

		cm->tid = 1001;
		cm->tgid = 1000;
		snprintf(cm->comm, sizeof(cm->comm), "server-io");
		T[1].comm = "server-io";
	}
	while (nrec < target) {
		int c = rnd(ncpu), r = rnd(100);
		int t = cur[c];

		if (nrec == target / 2) {
			struct ss_lost *l = rec(SS_EV_LOST, sizeof(*l), c);

			l->count = 17;
			lost += 17;
			lost_cpu[c] += 17;
			continue;
		}
		if (gaps_on && !exited && nrec >= target * 3 / 4) {
			coro_thread_exit();
			exited = 1;
			continue;
		}
		if (gaps_on && t >= 0 && t != CORO_T && r >= 97) {
			gap(c, r == 99);
			continue;
		}
		if (t == CORO_T && r < 60) {
			coro_switch(c);
			if (r < 6)
				coro_event(c, r < 3 ? SS_EV_CORO_PARK : SS_EV_CORO_READY);
			continue;
		}
		if (r < 35) {
			/* wake a sleeping thread */
			int start = rnd(NT);

			for (int k = 0; k < NT; k++) {
				int u = (start + k) % NT;

				if (T[u].born && T[u].state == 0) {
					wake(c, u);
					break;
				}
			}
			continue;
		}
		/* switch: to a runnable thread, or to idle */
		{
			int next = runnable_other(c);

			if (next < 0 && t < 0)
				continue;
			if (next >= 0 && T[next].state == 2)
				continue;
			sw(c, next, t >= 0 && r < 55);
		}
	}
	/* The server's worker exits at the end. */
	{
		struct ss_exit *x = rec(SS_EV_EXIT, sizeof(*x), 0);

		x->tid = 1002;
		x->tgid = 1000;
	}
	if (len && ss_writer_chunk(w, SS_CHUNK_EVENTS, buf, len))
		return 1;
	tr.end_ns = now + 1000;
	tr.records = nrec;
	tr.lost = lost;
	memcpy(tr.count, count, sizeof(count));
	tr.ncpu = ncpu;
	if (ss_writer_close(w, &tr, lost_cpu)) {
		perror("close");
		return 1;
	}
	printf("{\"records\":%llu,\"switches\":%llu,\"preempted\":%llu,\"wakeups\":%llu,"
	       "\"coro_switches\":%llu,\"lost\":%llu,\"newtasks\":%llu,\"exits\":%llu,"
	       "\"gaps\":%llu}\n",
	       (unsigned long long)nrec, (unsigned long long)count[SS_EV_SWITCH],
	       (unsigned long long)preempt, (unsigned long long)count[SS_EV_WAKING],
	       (unsigned long long)count[SS_EV_CORO_SWITCH], (unsigned long long)lost,
	       (unsigned long long)count[SS_EV_NEWTASK], (unsigned long long)count[SS_EV_EXIT],
	       (unsigned long long)gaps);
	free(buf);
	return 0;
}
