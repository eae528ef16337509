/* Analysis of a trace: one pass over the records, time-ordered, keeping a
 * state machine per thread and per coroutine.
 *
 * The latency terms, defined once for every command:
 *   run     on-CPU time: switch-in to switch-out.
 *   wait    run-queue latency: from becoming runnable (the start of its
 *           wakeup, sched_waking; sched_wakeup_new for a new task; or being
 *           preempted while runnable) to the switch-in that puts it on a CPU.
 *   sleep   blocked off-CPU time: voluntary switch-out to wakeup.
 *   switch-in path
 *           from the sched_switch that brings a task in to that task's
 *           return to user mode (its sys_exit): the kernel's own cost of
 *           finishing a switch, by class of the switch.
 *   voluntary / involuntary
 *           the switched-out task was blocked (state != running) / was
 *           still runnable (preempted, or yielded).
 */
#ifndef SS_ANALYSIS_H
#define SS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "switchscope.h"

enum ss_tstate {
	SS_T_UNKNOWN = 0,	/* not seen switching yet */
	SS_T_RUNNING,
	SS_T_RUNNABLE,
	SS_T_SLEEPING,
	SS_T_DEAD,
};

struct ss_thread {
	uint32_t tid;
	uint32_t tgid;
	char comm[SS_COMM_LEN];
	int kthread;
	/* state machine */
	int state;		/* enum ss_tstate */
	uint64_t since;		/* ns the state began */
	uint32_t cpu;		/* last CPU it ran on */
	uint64_t in_ts;		/* last switch-in */
	uint8_t in_cls;		/* class of that switch */
	int retuser_pending;	/* switch-in path not closed yet */
	/* totals */
	uint64_t sw_in, sw_out, vol, invol;
	uint64_t out_by_class[SS_CLASS_MAX];
	uint64_t run_ns, sleep_ns, wait_ns;
	uint64_t migrations;
	struct ss_hist *wait;	/* run-queue latency */
	struct ss_hist *swin;	/* switch-in path */
	/* coroutines run by this thread */
	uint64_t cur_coro;	/* coroutine on this thread (0: scheduler) */
	uint64_t coro_sw;
	struct ss_hist *coro_cost; /* user-measured switch durations */
	uint64_t stats_switches, stats_ns; /* last coro:stats */
	/* tasks it created */
	uint64_t made_procs, made_threads;
	int traced;		/* its process was traced (not just met) */
};

#define SS_PARK_MAX 7

struct ss_coro {
	uint32_t tgid;
	uint32_t tid;		/* thread that last ran it */
	uint64_t id;
	uint64_t entry, stack_size;
	uint64_t created_ts, exit_ts;
	uint64_t switches_in;
	uint64_t run_ns;	/* on-CPU time while it was the thread's coroutine */
	uint64_t run_since;	/* 0: not accumulating */
	uint64_t park_ts;	/* 0: not parked */
	uint32_t park_reason;
	uint64_t parked_ns[SS_PARK_MAX]; /* by enum ss_park_reason */
	uint64_t preempted;	/* involuntary kernel switches while it ran */
	uint64_t blocked;	/* voluntary kernel switches while it ran */
	uint64_t moves;		/* switched in on another thread than before
				 * (a runtime that moves coroutines) */
	uint64_t creates;	/* coro:create of this id: more than one when
				 * the runtime reuses ids (addresses) */
};

struct ss_analysis {
	const struct ss_meta *meta;
	uint64_t start_ns, end_ns;	/* first/last record, or meta/trailer */
	uint64_t records;
	uint64_t count[SS_EV_MAX];
	uint64_t lost;
	uint64_t *lost_cpu;
	unsigned int ncpu;
	/* switches */
	uint64_t sw_class[SS_CLASS_MAX];
	uint64_t sw_class_vol[SS_CLASS_MAX];
	uint64_t sw_class_invol[SS_CLASS_MAX];
	uint64_t sw_preempt_flag;
	struct ss_hist swin_class[SS_CLASS_MAX];
	struct ss_hist wait_all;
	uint64_t tlb_switch, tlb_flush_full, tlb_flush_partial;
	uint64_t migrations;
	uint64_t procs_created, threads_created;
	uint64_t coro_switches;
	struct ss_hist coro_cost;
	/* flight recorder triggers (record --flight), the first ones */
#define SS_ANALYSIS_TRIGGERS 16
	struct ss_trigger triggers[SS_ANALYSIS_TRIGGERS];
	uint64_t ntriggers;		/* all of them */
	/* tables: pointers stay valid while the tables grow */
	struct ss_thread **threads;
	size_t nthreads, cap_threads;
	struct ss_coro **coros;
	size_t ncoros, cap_coros;
	struct ss_idmap *tid_map, *coro_map, *tgid_map;
	struct ss_cgroups *cgroups;	/* --cgroup traces (cgroups.h), else NULL */
	int oom;
};

/* What a switch record meant, for one-line-per-switch output. */
struct ss_switch_info {
	uint64_t prev_ran;	/* run time of prev ending here (0: unknown) */
	uint64_t next_wait;	/* wait of next ending here (0: unknown) */
};

int ss_analysis_init(struct ss_analysis *a, const struct ss_meta *m,
		     const struct ss_task *tasks, size_t ntasks);
/* Processes traced from the start (children follow by newtask). */
void ss_analysis_targets(struct ss_analysis *a, const uint32_t *tgids, size_t n);
int ss_analysis_traced(const struct ss_analysis *a, uint32_t tgid);
/* Feed one record. info (may be NULL) is filled for switch records. */
void ss_analysis_add(struct ss_analysis *a, const struct ss_hdr *h,
		     struct ss_switch_info *info);
/* Close open intervals at end_ns. */
void ss_analysis_finish(struct ss_analysis *a, uint64_t end_ns);
void ss_analysis_free(struct ss_analysis *a);

struct ss_thread *ss_thread_get(struct ss_analysis *a, uint32_t tid, uint32_t tgid);
struct ss_thread *ss_thread_find(struct ss_analysis *a, uint32_t tid);
struct ss_coro *ss_coro_find(struct ss_analysis *a, uint32_t tgid, uint64_t id);
/* "comm" of a tid, "?" when never named; the idle task is "swapper/N"
 * per CPU in kernels, shown as "idle". */
const char *ss_thread_name(struct ss_analysis *a, uint32_t tid);

/* Open a trace and analyse all of it; on error prints it and returns an
 * ss_exit code. Damage warnings are printed; *damaged set. */
struct ss_reader;
int ss_analyse_file(const char *path, struct ss_analysis *a,
		    struct ss_reader **out_reader, int *damaged);

/* What the CPU does for an mm switch, as its flags say (x86
 * /proc/cpuinfo): with PCID an mm switch can keep the TLB entries of the
 * address space it returns to, without it every mm switch flushes. Only
 * what was read is claimed: a trace does not record the flags, so for a
 * trace the flags are known only when it was recorded on this host in
 * this boot (ss_meta_this_boot). */
enum ss_cpu_flag { SS_FLAG_UNKNOWN = 0, SS_FLAG_NO, SS_FLAG_YES };

struct ss_cpu_caps {
	int pcid, invpcid;	/* enum ss_cpu_flag */
	int hypervisor;		/* enum ss_cpu_flag: running under one (a VM) */
	char idle[24];		/* cpuidle driver ("": not read) */
};

/* Parse the text of /proc/cpuinfo (the first "flags" line). A text
 * without one (not x86) leaves everything unknown. */
void ss_cpu_caps_parse(struct ss_cpu_caps *c, const char *cpuinfo);
/* This machine's: /proc/cpuinfo and the cpuidle driver. */
void ss_cpu_caps_read(struct ss_cpu_caps *c);
/* Was the trace recorded on this host in this boot (hostname, release
 * and boot time agree)? Then this machine's flags are the recording CPU's. */
int ss_meta_this_boot(const struct ss_meta *m);

/* tlb_flush on task switch, one per mm switch, by what it flushed. */
struct ss_tlb_counts {
	uint64_t mm_switches;	/* tlb_flush records */
	uint64_t full;		/* the whole TLB (pages -1) */
	uint64_t partial;	/* some pages */
};

/* One sentence on what the counts show, and PCID's part only as far as
 * pcid (enum ss_cpu_flag) is known; who names the CPU ("this CPU"). ""
 * when there are no counts. Returns buf. */
const char *ss_tlb_words(char *buf, size_t len, const struct ss_tlb_counts *t, int pcid,
			 const char *who);
/* Did the counts keep the TLB on most mm switches (no flush at all)? */
int ss_tlb_mostly_kept(const struct ss_tlb_counts *t);
/* Did they flush all of it on most? */
int ss_tlb_mostly_full(const struct ss_tlb_counts *t);

#endif
