/* switchscope timehist: one line per switch, kernel and coroutine
 * interleaved in time order (the terminal timeline). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cli.h"
#include "report.h"
#include "ss.h"
#include "stacks.h"
#include "trigger_desc.h"
#include "trace.h"

static const char help[] =
"usage: switchscope timehist [options] [FILE]\n"
"\n"
"One line per switch in time order: kernel switches (preempted: the task\n"
"was still runnable; blocked: it went to sleep) and coroutine switches,\n"
"with the thread, CPU, from -> to, and costs:\n"
"  ran    how long 'from' had been running (kernel) or 'from' coroutine\n"
"         had been on the thread (coroutine)\n"
"  wait   run-queue latency of 'to' (kernel switches)\n"
"  cost   user-measured duration of the switch (coroutine switches)\n"
"Lost events appear where they happened.\n"
"\n"
"  --tid TID       only switches of this thread (either side)\n"
"  --pid PID       only switches of this process's threads\n"
"  --coro ID       only coroutine switches from or to coroutine ID\n"
"  --kernel        only kernel switches\n"
"  --coroutines    only coroutine switches\n"
"  --wakeups       also show wakeups and task creation\n"
"  -g, --callchain\n"
"                  under each switch-out, the stacks 'from' left the CPU\n"
"                  with (kernel, then user, innermost first; a trace\n"
"                  recorded with --stacks)\n"
"  -h, --help      this text\n";

struct th_opts {
	uint32_t tid, pid;
	uint64_t coro;
	int has_coro;
	int kernel_only, coro_only, wakeups;
	struct ss_stacks *stacks;	/* -g */
};

#define NAME_W 16

/* "comm[tid]" in NAME_W columns: the comm is cut, never the tid. */
static void name_of(char *buf, size_t len, struct ss_analysis *a, uint32_t tid)
{
	char id[16];
	int room;

	if (!tid) {
		snprintf(buf, len, "idle");
		return;
	}
	room = NAME_W - snprintf(id, sizeof(id), "[%u]", tid);
	snprintf(buf, len, "%.*s%s", room > 0 ? room : 0, ss_thread_name(a, tid), id);
}

static void line_start(uint64_t ts, uint64_t t0, uint32_t cpu)
{
	uint64_t rel = ts > t0 ? ts - t0 : 0;

	printf("%4llu.%06llu %3u ", (unsigned long long)(rel / 1000000000),
	       (unsigned long long)(rel % 1000000000 / 1000), cpu);
}

static int match_task(const struct th_opts *o, uint32_t tid1, uint32_t tgid1,
		      uint32_t tid2, uint32_t tgid2)
{
	if (o->tid && tid1 != o->tid && tid2 != o->tid)
		return 0;
	if (o->pid && tgid1 != o->pid && tgid2 != o->pid)
		return 0;
	return 1;
}

static void show(struct ss_analysis *a, const struct th_opts *o,
		 const struct ss_hdr *h, const struct ss_switch_info *si, uint64_t t0)
{
	char from[40], to[40], d1[SS_DUR_BUF], d2[SS_DUR_BUF];

	switch (h->type) {
	case SS_EV_SWITCH: {
		const struct ss_switch *e = (const void *)h;

		if (o->coro_only || o->has_coro ||
		    !match_task(o, e->prev_tid, e->prev_tgid, e->next_tid, e->next_tgid))
			return;
		name_of(from, sizeof(from), a, e->prev_tid);
		name_of(to, sizeof(to), a, e->next_tid);
		line_start(h->ts, t0, h->cpu);
		printf("%-9s %-16s -> %-16s %8s %8s\n",
		       e->prev_state == SS_TASK_RUNNING ? "preempted" : "blocked",
		       from, to, si->prev_ran ? ss_fmt_dur(d1, sizeof(d1), si->prev_ran) : "-",
		       si->next_wait ? ss_fmt_dur(d2, sizeof(d2), si->next_wait) : "-");
		/* a task not traced has no stacks to show */
		if (o->stacks && e->prev_tid && ss_analysis_traced(a, e->prev_tgid)) {
			const struct ss_stack_ids *ids = ss_rec_stacks(h);

			if (!ids || (!ids->kstack && !ids->ustack)) {
				printf("%16s[no stack]\n", "");
			} else {
				report_stack(stdout, o->stacks, e->prev_tgid, ids->kstack, 1,
					     "                ");
				report_stack(stdout, o->stacks, e->prev_tgid, ids->ustack, 0,
					     "                ");
			}
			putchar('\n');
		}
		break;
	}
	case SS_EV_CORO_SWITCH: {
		const struct ss_coro_switch *e = (const void *)h;

		if (o->kernel_only || !match_task(o, e->tid, e->tgid, e->tid, e->tgid))
			return;
		if (o->has_coro && e->from != o->coro && e->to != o->coro)
			return;
		/* "tid:co N": the thread is part of the coroutine's identity. */
		snprintf(from, sizeof(from), e->from ? "%u:co %llu" : "%u:sched",
			 e->tid, (unsigned long long)e->from);
		snprintf(to, sizeof(to), e->to ? "co %llu" : "sched",
			 (unsigned long long)e->to);
		line_start(h->ts, t0, h->cpu);
		printf("%-9s %-16s -> %-16s %8s %8s\n", "coroutine", from, to, "",
		       ss_fmt_dur(d1, sizeof(d1), e->dur_ns));
		break;
	}
	case SS_EV_LOST: {
		const struct ss_lost *e = (const void *)h;

		line_start(h->ts, t0, h->cpu);
		printf("*** %llu events LOST on this CPU ***\n", (unsigned long long)e->count);
		break;
	}
	case SS_EV_TRIGGER: {
		char desc[256];

		/* a mark that the filters never hide: it says why the dump exists */
		line_start(h->ts, t0, h->cpu);
		printf("*** TRIGGER %s ***\n", ss_trigger_desc(desc, sizeof(desc),
			(const struct ss_trigger *)h, a->meta->machine));
		break;
	}
	case SS_EV_WAKEUP:
	case SS_EV_WAKEUP_NEW: {
		const struct ss_wakeup *e = (const void *)h;

		if (!o->wakeups || o->coro_only ||
		    !match_task(o, e->tid, e->tgid, e->waker_tid, e->waker_tgid))
			return;
		name_of(from, sizeof(from), a, e->waker_tid);
		name_of(to, sizeof(to), a, e->tid);
		line_start(h->ts, t0, h->cpu);
		printf("%-9s %-16s => %-16s on cpu %u\n",
		       h->type == SS_EV_WAKEUP ? "wakeup" : "wakeupnew", from, to,
		       e->target_cpu);
		break;
	}
	case SS_EV_NEWTASK: {
		const struct ss_newtask *e = (const void *)h;

		if (!o->wakeups || o->coro_only ||
		    !match_task(o, e->tid, e->tgid, e->parent_tid, e->parent_tgid))
			return;
		name_of(from, sizeof(from), a, e->parent_tid);
		name_of(to, sizeof(to), a, e->tid);
		line_start(h->ts, t0, h->cpu);
		printf("%-9s %-16s => %s\n",
		       e->clone_flags & SS_CLONE_THREAD ? "thread" : "process", from, to);
		break;
	}
	default:
		break;
	}
}

int cmd_timehist(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tid", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'p' },
		{ "coro", required_argument, NULL, 'c' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "coroutines", no_argument, NULL, 'C' },
		{ "wakeups", no_argument, NULL, 'w' },
		{ "callchain", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *path = "switchscope.trace";
	struct th_opts o = { 0 };
	const struct ss_hdr *h;
	struct ss_analysis a;
	struct ss_reader *r;
	size_t ntasks, ntargets;
	const struct ss_task *tasks;
	const uint32_t *targets;
	char err[512];
	uint64_t v;
	int c, code, callchain = 0;

	while ((c = getopt_long(argc, argv, "gh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
		case 'p':
			if (ss_parse_u64(optarg, &v) || !v || v > UINT32_MAX)
				return cli_usage("timehist", "bad id '%s'", optarg);
			if (c == 't')
				o.tid = v;
			else
				o.pid = v;
			break;
		case 'c':
			if (ss_parse_u64(optarg, &o.coro))
				return cli_usage("timehist", "bad coroutine id '%s'", optarg);
			o.has_coro = 1;
			break;
		case 'k':
			o.kernel_only = 1;
			break;
		case 'C':
			o.coro_only = 1;
			break;
		case 'w':
			o.wakeups = 1;
			break;
		case 'g':
			callchain = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("timehist", "unknown option");
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		return cli_usage("timehist", "one trace file at a time");
	r = ss_reader_open(path, err, sizeof(err), &code);
	if (!r) {
		ss_err("%s", err);
		return code;
	}
	if (callchain && !(ss_reader_meta(r)->flags & SS_META_STACKS)) {
		ss_err("%s has no stacks: record it with `switchscope record --stacks`", path);
		ss_reader_close(r);
		return SS_EXIT_USAGE;
	}
	if (callchain && !(o.stacks = ss_stacks_load(r))) {
		ss_err("out of memory");
		ss_reader_close(r);
		return SS_EXIT_INTERNAL;
	}
	tasks = ss_reader_tasks(r, &ntasks);
	if (ss_analysis_init(&a, ss_reader_meta(r), tasks, ntasks)) {
		ss_err("out of memory");
		ss_stacks_free(o.stacks);
		ss_reader_close(r);
		return SS_EXIT_INTERNAL;
	}
	targets = ss_reader_targets(r, &ntargets);
	ss_analysis_targets(&a, targets, ntargets);
	printf("%11s %3s %-9s %-16s    %-16s %8s %8s\n", "time", "cpu", "kind", "from",
	       "to", "ran", "wait/cost");
	printf("%11s %3s %-9s %-16s    %-16s %8s %8s\n", "(s)", "", "", "", "", "", "");
	printf("%.80s\n", "----------------------------------------"
	       "----------------------------------------");
	while (ss_reader_next(r, &h) == 1) {
		struct ss_switch_info si;

		ss_analysis_add(&a, h, &si);
		show(&a, &o, h, &si, a.start_ns);
	}
	code = ss_reader_report_damage(r, path);
	ss_stacks_free(o.stacks);
	ss_analysis_free(&a);
	ss_reader_close(r);
	return code;
}
