#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "analysis.h"
#include "cgroups.h"
#include "idmap.h"
#include "ss.h"
#include "trace.h"

/* prev_state bits that mean the task is gone (EXIT_DEAD, EXIT_ZOMBIE,
 * TASK_DEAD in every kernel since 4.14). */
#define SS_TASK_GONE (0x10 | 0x20 | 0x80)

static void *xcalloc(struct ss_analysis *a, size_t n)
{
	void *p = calloc(1, n);

	if (!p)
		a->oom = 1;
	return p;
}

static int push(struct ss_analysis *a, void ***v, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		void **nv = realloc(*v, nc * sizeof(*nv));

		if (!nv) {
			a->oom = 1;
			return -1;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = p;
	return 0;
}

int ss_analysis_traced(const struct ss_analysis *a, uint32_t tgid)
{
	/* --cgroup: only processes that were in a chosen cgroup, besides */
	if (a->meta && (a->meta->flags & SS_META_CGROUP) &&
	    !ss_cgroups_tgid_in(a->cgroups, tgid))
		return 0;
	if (a->meta && (a->meta->flags & SS_META_SYSTEM_WIDE))
		return tgid != 0;
	return ss_idmap_get(a->tgid_map, tgid) >= 0;
}

static void mark_traced(struct ss_analysis *a, uint32_t tgid)
{
	if (tgid && ss_idmap_put(a->tgid_map, tgid, 1))
		a->oom = 1;
}

struct ss_thread *ss_thread_find(struct ss_analysis *a, uint32_t tid)
{
	int64_t i = ss_idmap_get(a->tid_map, tid);

	return i < 0 ? NULL : a->threads[i];
}

struct ss_thread *ss_thread_get(struct ss_analysis *a, uint32_t tid, uint32_t tgid)
{
	struct ss_thread *t = ss_thread_find(a, tid);

	if (t) {
		if (tgid && t->tgid != tgid) {
			/* A thread that exec'd, or a reused tid. */
			t->tgid = tgid;
		}
		t->traced = ss_analysis_traced(a, t->tgid);
		return t;
	}
	t = xcalloc(a, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->tgid = tgid ? tgid : tid;
	strcpy(t->comm, tid ? "?" : "idle");
	t->traced = ss_analysis_traced(a, t->tgid);
	if (push(a, (void ***)&a->threads, &a->nthreads, &a->cap_threads, t) ||
	    ss_idmap_put(a->tid_map, tid, a->nthreads - 1)) {
		free(t);
		a->oom = 1;
		return NULL;
	}
	return t;
}

const char *ss_thread_name(struct ss_analysis *a, uint32_t tid)
{
	struct ss_thread *t = ss_thread_find(a, tid);

	if (!tid)
		return "idle";
	return t ? t->comm : "?";
}

static uint64_t coro_key(uint32_t tgid, uint64_t id)
{
	return ((uint64_t)tgid << 40) ^ id;
}

struct ss_coro *ss_coro_find(struct ss_analysis *a, uint32_t tgid, uint64_t id)
{
	int64_t i = ss_idmap_get(a->coro_map, coro_key(tgid, id));

	return i < 0 ? NULL : a->coros[i];
}

static struct ss_coro *coro_get(struct ss_analysis *a, uint32_t tgid, uint64_t id)
{
	struct ss_coro *c = ss_coro_find(a, tgid, id);

	if (c || !id)
		return c;
	c = xcalloc(a, sizeof(*c));
	if (!c)
		return NULL;
	c->tgid = tgid;
	c->id = id;
	if (push(a, (void ***)&a->coros, &a->ncoros, &a->cap_coros, c) ||
	    ss_idmap_put(a->coro_map, coro_key(tgid, id), a->ncoros - 1)) {
		free(c);
		a->oom = 1;
		return NULL;
	}
	return c;
}

static struct ss_hist *hist(struct ss_analysis *a, struct ss_hist **h)
{
	if (!*h)
		*h = xcalloc(a, sizeof(**h));
	return *h;
}

int ss_analysis_init(struct ss_analysis *a, const struct ss_meta *m,
		     const struct ss_task *tasks, size_t ntasks)
{
	memset(a, 0, sizeof(*a));
	a->meta = m;
	a->ncpu = m && m->ncpu && m->ncpu <= 65536 ? m->ncpu : 1;
	a->start_ns = m ? m->start_ns : 0;
	a->lost_cpu = calloc(a->ncpu, sizeof(uint64_t));
	a->tid_map = ss_idmap_new();
	a->coro_map = ss_idmap_new();
	a->tgid_map = ss_idmap_new();
	if (!a->lost_cpu || !a->tid_map || !a->coro_map || !a->tgid_map)
		return -ENOMEM;
	if (m && (m->flags & SS_META_CGROUP) && !(a->cgroups = ss_cgroups_new()))
		return -ENOMEM;
	for (size_t i = 0; i < ntasks; i++) {
		struct ss_thread *t = ss_thread_get(a, tasks[i].tid, tasks[i].tgid);

		if (!t)
			return -ENOMEM;
		memcpy(t->comm, tasks[i].comm, SS_COMM_LEN);
		t->comm[SS_COMM_LEN - 1] = 0;
		t->kthread = !!(tasks[i].flags & SS_TASK_KTHREAD);
	}
	return 0;
}

void ss_analysis_targets(struct ss_analysis *a, const uint32_t *tgids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mark_traced(a, tgids[i]);
	for (size_t i = 0; i < a->nthreads; i++)
		a->threads[i]->traced = ss_analysis_traced(a, a->threads[i]->tgid);
}

/* The coroutine on thread t stops or starts accumulating run time. */
static void coro_pause(struct ss_analysis *a, struct ss_thread *t, uint64_t ts)
{
	struct ss_coro *c = t->cur_coro ? ss_coro_find(a, t->tgid, t->cur_coro) : NULL;

	if (c && c->run_since) {
		if (ts > c->run_since)
			c->run_ns += ts - c->run_since;
		c->run_since = 0;
	}
}

static void coro_resume(struct ss_analysis *a, struct ss_thread *t, uint64_t ts)
{
	struct ss_coro *c = t->cur_coro ? ss_coro_find(a, t->tgid, t->cur_coro) : NULL;

	if (c && !c->run_since)
		c->run_since = ts;
}

static void on_switch(struct ss_analysis *a, const struct ss_switch *e,
		      struct ss_switch_info *info)
{
	uint64_t ts = e->hdr.ts;
	unsigned int cls = e->cls < SS_CLASS_MAX ? e->cls : SS_CLASS_KTHREAD;
	int invol = e->prev_state == SS_TASK_RUNNING;
	struct ss_thread *p, *n;

	a->sw_class[cls]++;
	if (invol)
		a->sw_class_invol[cls]++;
	else
		a->sw_class_vol[cls]++;
	if (e->flags & SS_SW_PREEMPT)
		a->sw_preempt_flag++;

	if (e->prev_tid && (p = ss_thread_get(a, e->prev_tid, e->prev_tgid))) {
		if (p->state == SS_T_RUNNING && ts >= p->in_ts) {
			p->run_ns += ts - p->in_ts;
			if (info)
				info->prev_ran = ts - p->in_ts;
		}
		p->sw_out++;
		p->out_by_class[cls]++;
		if (p->cur_coro) {
			struct ss_coro *c = ss_coro_find(a, p->tgid, p->cur_coro);

			if (c) {
				if (invol)
					c->preempted++;
				else
					c->blocked++;
			}
			coro_pause(a, p, ts);
		}
		if (invol) {
			p->invol++;
			p->state = SS_T_RUNNABLE;
		} else {
			p->vol++;
			p->state = e->prev_state & SS_TASK_GONE ? SS_T_DEAD : SS_T_SLEEPING;
		}
		p->since = ts;
		p->retuser_pending = 0;
	}
	if (e->next_tid && (n = ss_thread_get(a, e->next_tid, e->next_tgid))) {
		if (n->state == SS_T_RUNNABLE && ts >= n->since) {
			uint64_t w = ts - n->since;

			n->wait_ns += w;
			if (n->traced && hist(a, &n->wait)) {
				ss_hist_add(n->wait, w);
				ss_hist_add(&a->wait_all, w);
			}
			if (info)
				info->next_wait = w;
		} else if (n->state == SS_T_SLEEPING && ts >= n->since) {
			/* Its wakeup was not seen (lost): all of it is sleep. */
			n->sleep_ns += ts - n->since;
		}
		n->state = SS_T_RUNNING;
		n->in_ts = ts;
		n->in_cls = cls;
		n->cpu = e->hdr.cpu;
		n->sw_in++;
		n->retuser_pending = 1;
		coro_resume(a, n, ts);
	}
}

static void on_wakeup(struct ss_analysis *a, const struct ss_wakeup *e)
{
	struct ss_thread *t = ss_thread_get(a, e->tid, e->tgid);
	uint64_t ts = e->hdr.ts;

	if (!t)
		return;
	if (t->state == SS_T_SLEEPING && ts >= t->since) {
		t->sleep_ns += ts - t->since;
		t->state = SS_T_RUNNABLE;
		t->since = ts;
	} else if (t->state == SS_T_UNKNOWN || t->state == SS_T_DEAD) {
		t->state = SS_T_RUNNABLE;
		t->since = ts;
	}
}

static void on_retuser(struct ss_analysis *a, const struct ss_retuser *e)
{
	struct ss_thread *t = ss_thread_get(a, e->tid, e->tgid);
	uint64_t d;

	if (!t || !t->retuser_pending || t->in_ts != e->switch_ts ||
	    e->hdr.ts < e->switch_ts)
		return;
	t->retuser_pending = 0;
	d = e->hdr.ts - e->switch_ts;
	ss_hist_add(&a->swin_class[t->in_cls], d);
	if (hist(a, &t->swin))
		ss_hist_add(t->swin, d);
}

static void on_newtask(struct ss_analysis *a, const struct ss_newtask *e)
{
	struct ss_thread *parent, *child;
	int thread = !!(e->clone_flags & SS_CLONE_THREAD);

	if (!thread && ss_analysis_traced(a, e->parent_tgid))
		mark_traced(a, e->tgid);
	parent = ss_thread_get(a, e->parent_tid, e->parent_tgid);
	child = ss_thread_get(a, e->tid, e->tgid);
	if (child) {
		memcpy(child->comm, e->comm, SS_COMM_LEN);
		child->comm[SS_COMM_LEN - 1] = 0;
		child->state = SS_T_UNKNOWN;
		if (parent)
			child->kthread = parent->kthread;
	}
	if (parent) {
		if (thread)
			parent->made_threads++;
		else
			parent->made_procs++;
	}
	if (thread)
		a->threads_created++;
	else
		a->procs_created++;
}

static void set_comm(struct ss_analysis *a, uint32_t tid, uint32_t tgid, const char *comm)
{
	struct ss_thread *t = ss_thread_get(a, tid, tgid);

	if (t) {
		memcpy(t->comm, comm, SS_COMM_LEN);
		t->comm[SS_COMM_LEN - 1] = 0;
	}
}

static void on_coro_switch(struct ss_analysis *a, const struct ss_coro_switch *e)
{
	struct ss_thread *t = ss_thread_get(a, e->tid, e->tgid);
	struct ss_coro *from, *to;
	uint64_t start = e->start_ns ? e->start_ns :
			 e->hdr.ts > e->dur_ns ? e->hdr.ts - e->dur_ns : e->hdr.ts;

	if (!t)
		return;
	a->coro_switches++;
	ss_hist_add(&a->coro_cost, e->dur_ns);
	t->coro_sw++;
	if (hist(a, &t->coro_cost))
		ss_hist_add(t->coro_cost, e->dur_ns);
	from = coro_get(a, e->tgid, e->from);
	if (from && from->run_since) {
		if (start > from->run_since)
			from->run_ns += start - from->run_since;
		from->run_since = 0;
	}
	to = coro_get(a, e->tgid, e->to);
	if (to) {
		to->switches_in++;
		if (to->tid && to->tid != e->tid)
			to->moves++;
		to->tid = e->tid;
		to->run_since = e->hdr.ts;
		if (to->park_ts) {
			unsigned int r = to->park_reason < SS_PARK_MAX ? to->park_reason : SS_PARK_OTHER;

			if (start > to->park_ts)
				to->parked_ns[r] += start - to->park_ts;
			to->park_ts = 0;
		}
	}
	t->cur_coro = e->to;
}

static void on_coro_park(struct ss_analysis *a, const struct ss_coro_park *e)
{
	struct ss_coro *c = coro_get(a, e->tgid, e->id);

	if (c) {
		c->park_ts = e->hdr.ts;
		c->park_reason = e->reason;
	}
}

static void on_coro_ready(struct ss_analysis *a, const struct ss_coro_ready *e)
{
	struct ss_coro *c = coro_get(a, e->tgid, e->id);

	/* Parked time ends when it is runnable again; waiting for its turn
	 * after that is not parking. */
	if (c && c->park_ts) {
		unsigned int r = c->park_reason < SS_PARK_MAX ? c->park_reason : SS_PARK_OTHER;

		if (e->hdr.ts > c->park_ts)
			c->parked_ns[r] += e->hdr.ts - c->park_ts;
		c->park_ts = 0;
	}
}

void ss_analysis_add(struct ss_analysis *a, const struct ss_hdr *h,
		     struct ss_switch_info *info)
{
	struct ss_switch_info local;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	a->records++;
	if (h->type < SS_EV_MAX)
		a->count[h->type]++;
	if (h->ts > a->end_ns)
		a->end_ns = h->ts;
	switch (h->type) {
	case SS_EV_SWITCH:
		on_switch(a, (const void *)h, info);
		if (a->cgroups)
			ss_cgroups_switch(a->cgroups, (const void *)h, info);
		break;
	case SS_EV_CGROUP:
		if (!a->cgroups)
			a->cgroups = ss_cgroups_new();
		if (!a->cgroups || ss_cgroups_record(a->cgroups, h))
			a->oom = 1;
		break;
	case SS_EV_WAKING:
	case SS_EV_WAKEUP:
	case SS_EV_WAKEUP_NEW:
		on_wakeup(a, (const void *)h);
		break;
	case SS_EV_NEWTASK:
		on_newtask(a, (const void *)h);
		break;
	case SS_EV_EXEC: {
		const struct ss_exec *e = (const void *)h;

		set_comm(a, e->tid, e->tgid, e->comm);
		break;
	}
	case SS_EV_COMM: {
		const struct ss_comm *e = (const void *)h;

		set_comm(a, e->tid, e->tgid, e->comm);
		break;
	}
	case SS_EV_LOST: {
		const struct ss_lost *e = (const void *)h;

		a->lost += e->count;
		if (h->cpu < a->ncpu)
			a->lost_cpu[h->cpu] += e->count;
		break;
	}
	case SS_EV_TRIGGER:
		if (a->ntriggers < SS_ANALYSIS_TRIGGERS)
			memcpy(&a->triggers[a->ntriggers], h, sizeof(struct ss_trigger));
		a->ntriggers++;
		break;
	case SS_EV_MIGRATE: {
		const struct ss_migrate *e = (const void *)h;
		struct ss_thread *t = ss_thread_get(a, e->tid, e->tgid);

		a->migrations++;
		if (t)
			t->migrations++;
		break;
	}
	case SS_EV_RETUSER:
		on_retuser(a, (const void *)h);
		break;
	case SS_EV_TLB: {
		const struct ss_tlb *e = (const void *)h;

		a->tlb_switch++;
		if (e->pages == (uint64_t)-1)
			a->tlb_flush_full++;
		else if (e->pages)
			a->tlb_flush_partial++;
		break;
	}
	case SS_EV_CORO_CREATE: {
		const struct ss_coro_create *e = (const void *)h;
		struct ss_coro *c = coro_get(a, e->tgid, e->id);

		if (c) {
			c->entry = e->entry;
			c->stack_size = e->stack_size;
			c->created_ts = h->ts;
			c->tid = e->tid;
			c->creates++;
		}
		break;
	}
	case SS_EV_CORO_SWITCH:
		on_coro_switch(a, (const void *)h);
		break;
	case SS_EV_CORO_PARK:
		on_coro_park(a, (const void *)h);
		break;
	case SS_EV_CORO_READY:
		on_coro_ready(a, (const void *)h);
		break;
	case SS_EV_CORO_EXIT: {
		const struct ss_coro_exit *e = (const void *)h;
		struct ss_coro *c = coro_get(a, e->tgid, e->id);

		if (c) {
			c->exit_ts = h->ts;
			if (c->run_since && h->ts > c->run_since)
				c->run_ns += h->ts - c->run_since;
			c->run_since = 0;
		}
		break;
	}
	case SS_EV_CORO_STATS: {
		const struct ss_coro_stats *e = (const void *)h;
		struct ss_thread *t = ss_thread_get(a, e->tid, e->tgid);

		if (t) {
			t->stats_switches = e->switches;
			t->stats_ns = e->switch_ns;
		}
		break;
	}
	default:
		break;
	}
}

void ss_analysis_finish(struct ss_analysis *a, uint64_t end_ns)
{
	if (end_ns > a->end_ns)
		a->end_ns = end_ns;
	for (size_t i = 0; i < a->nthreads; i++) {
		struct ss_thread *t = a->threads[i];

		if (t->state == SS_T_RUNNING && a->end_ns > t->in_ts)
			t->run_ns += a->end_ns - t->in_ts;
		else if (t->state == SS_T_SLEEPING && a->end_ns > t->since)
			t->sleep_ns += a->end_ns - t->since;
		coro_pause(a, t, a->end_ns);
	}
	for (size_t i = 0; i < a->ncoros; i++) {
		struct ss_coro *c = a->coros[i];

		if (c->park_ts && a->end_ns > c->park_ts) {
			unsigned int r = c->park_reason < SS_PARK_MAX ? c->park_reason : SS_PARK_OTHER;

			c->parked_ns[r] += a->end_ns - c->park_ts;
			c->park_ts = 0;
		}
	}
}

void ss_analysis_free(struct ss_analysis *a)
{
	for (size_t i = 0; i < a->nthreads; i++) {
		free(a->threads[i]->wait);
		free(a->threads[i]->swin);
		free(a->threads[i]->coro_cost);
		free(a->threads[i]);
	}
	for (size_t i = 0; i < a->ncoros; i++)
		free(a->coros[i]);
	free(a->threads);
	free(a->coros);
	free(a->lost_cpu);
	ss_idmap_free(a->tid_map);
	ss_idmap_free(a->coro_map);
	ss_idmap_free(a->tgid_map);
	ss_cgroups_free(a->cgroups);
	memset(a, 0, sizeof(*a));
}

int ss_analyse_file(const char *path, struct ss_analysis *a,
		    struct ss_reader **out, int *damaged)
{
	const struct ss_trailer *tr;
	const struct ss_task *tasks;
	const uint32_t *targets;
	const struct ss_hdr *h;
	struct ss_reader *r;
	size_t ntasks, ntargets;
	char err[512];
	int code;

	r = ss_reader_open(path, err, sizeof(err), &code);
	if (!r) {
		ss_err("%s", err);
		return code;
	}
	tasks = ss_reader_tasks(r, &ntasks);
	if (ss_analysis_init(a, ss_reader_meta(r), tasks, ntasks)) {
		ss_err("out of memory");
		ss_reader_close(r);
		return SS_EXIT_INTERNAL;
	}
	targets = ss_reader_targets(r, &ntargets);
	ss_analysis_targets(a, targets, ntargets);
	while (ss_reader_next(r, &h) == 1)
		ss_analysis_add(a, h, NULL);
	tr = ss_reader_trailer(r);
	ss_analysis_finish(a, tr ? tr->end_ns : 0);
	if (a->oom) {
		ss_err("out of memory while analysing %s", path);
		ss_analysis_free(a);
		ss_reader_close(r);
		return SS_EXIT_INTERNAL;
	}
	*damaged = ss_reader_report_damage(r, path) != SS_OK;
	if (tr && tr->lost > a->lost) {
		/* Losses the trailer knows of but no inline record carries
		 * (failed writes). */
		a->lost = tr->lost;
	}
	*out = r;
	return SS_OK;
}

/* ---- what the CPU does for an mm switch, and what tlb_flush showed ---- */

static int has_word(const char *list, size_t len, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= len; i++)
		if ((i == 0 || list[i - 1] == ' ' || list[i - 1] == '\t') &&
		    !strncmp(list + i, w, wl) &&
		    (i + wl == len || list[i + wl] == ' ' || list[i + wl] == '\t'))
			return 1;
	return 0;
}

void ss_cpu_caps_parse(struct ss_cpu_caps *c, const char *text)
{
	const char *p = text;

	memset(c, 0, sizeof(*c));
	while (p && *p) {
		const char *end = strchr(p, '\n'), *colon;
		size_t len = end ? (size_t)(end - p) : strlen(p);

		colon = memchr(p, ':', len);
		if (!strncmp(p, "flags", 5) && (p[5] == ' ' || p[5] == '\t' || p[5] == ':') &&
		    colon) {
			const char *l = colon + 1;
			size_t ll = len - (size_t)(l - p);

			c->pcid = has_word(l, ll, "pcid") ? SS_FLAG_YES : SS_FLAG_NO;
			c->invpcid = has_word(l, ll, "invpcid") ? SS_FLAG_YES : SS_FLAG_NO;
			c->hypervisor = has_word(l, ll, "hypervisor") ? SS_FLAG_YES : SS_FLAG_NO;
			return;
		}
		p = end ? end + 1 : NULL;
	}
}

static size_t read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	buf[0] = 0;
	if (!f)
		return 0;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return n;
}

void ss_cpu_caps_read(struct ss_cpu_caps *c)
{
	/* the first processor's block: its flags line comes well before 64 KiB */
	static char buf[65536];
	char idle[32];

	read_small("/proc/cpuinfo", buf, sizeof(buf));
	ss_cpu_caps_parse(c, buf);
	read_small("/sys/devices/system/cpu/cpuidle/current_driver", idle, sizeof(idle));
	idle[strcspn(idle, "\n")] = 0;
	snprintf(c->idle, sizeof(c->idle), "%s", idle);
}

int ss_meta_this_boot(const struct ss_meta *m)
{
	struct utsname u;
	uint64_t boot_then, boot_now;

	if (uname(&u) || strcmp(u.nodename, m->hostname) || strcmp(u.release, m->release) ||
	    !m->start_realtime_ns || m->start_realtime_ns < m->start_ns)
		return 0;
	/* CLOCK_MONOTONIC counts from boot: REALTIME - MONOTONIC is the boot
	 * time, then and now. A clock step or a suspend moves it: then the
	 * trace is taken as another boot's, and nothing is claimed. */
	boot_then = m->start_realtime_ns - m->start_ns;
	boot_now = ss_realtime_ns() - ss_now_ns();
	return (boot_now > boot_then ? boot_now - boot_then : boot_then - boot_now) < 2000000000ull;
}

int ss_tlb_mostly_kept(const struct ss_tlb_counts *t)
{
	return t->mm_switches && 2 * (t->mm_switches - t->full - t->partial) > t->mm_switches;
}

int ss_tlb_mostly_full(const struct ss_tlb_counts *t)
{
	return t->mm_switches && 2 * t->full > t->mm_switches;
}

const char *ss_tlb_words(char *buf, size_t len, const struct ss_tlb_counts *t, int pcid,
			 const char *who)
{
	unsigned long long n = t->mm_switches, f = t->full, p = t->partial;
	unsigned long long kept = n >= f + p ? n - f - p : 0;
	char part[48] = "", all[48] = "", none[48] = "";

	buf[0] = 0;
	if (!n)
		return buf;
	if (p)
		snprintf(part, sizeof(part), ", %llu part of it", p);
	if (f)
		snprintf(all, sizeof(all), ", %llu flushed all of it", f);
	if (kept)
		snprintf(none, sizeof(none), ", %llu none", kept);
	if (pcid == SS_FLAG_YES && kept)
		/* without PCID the kernel flushes on every mm switch: a switch
		 * that flushed nothing reused the address space's PCID */
		snprintf(buf, len, "%s has PCID: it kept the TLB on %llu of %llu mm switches "
			 "(tlb_flush flushed nothing)%s%s", who, kept, n, all, part);
	else if (pcid == SS_FLAG_YES)
		snprintf(buf, len, "%s has PCID, yet all %llu mm switches flushed the TLB "
			 "(%llu all of it%s)", who, n, f, part);
	else if (pcid == SS_FLAG_NO)
		snprintf(buf, len, "%s has no PCID: %llu of %llu mm switches flushed the whole "
			 "TLB%s%s", who, f, n, part, none);
	else
		snprintf(buf, len, "%llu of %llu mm switches flushed the whole TLB%s, %llu none "
			 "(whether the recording CPU had PCID is not in the trace)", f, n, part,
			 kept);
	return buf;
}
