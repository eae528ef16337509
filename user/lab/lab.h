/* The lab: claims commonly taught about processes, threads and coroutines,
 * measured on this machine, each backed by counts read back from the
 * trace files recorded while the workloads ran.
 *
 * Terms used throughout:
 *   hand-over   one side of a ping-pong gives the CPU to the other (for
 *               processes and threads on one CPU: one context switch)
 *   round trip  two hand-overs: there and back
 *   figure      what the workload measured, untraced, as the median of
 *               repetitions (min and max kept): probes perturb timings
 *   evidence    what a traced run of the same workload shows, computed
 *               from its trace file with the analysis and verify APIs
 */
#ifndef SS_LAB_H
#define SS_LAB_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis.h"
#include "recorder.h"
#include "verify.h"

enum lab_kind { LAB_PROC, LAB_THREAD, LAB_CORO, LAB_KINDS };
enum lab_verdict { LAB_CONFIRMED, LAB_REFUTED, LAB_DEPENDS };
enum lab_unit { LAB_NS, LAB_BYTES, LAB_COUNT, LAB_RATE };

extern const char *const lab_kind_name[LAB_KINDS];	/* process thread coroutine */
extern const char *const lab_kind_plural[LAB_KINDS];
extern const char *const lab_verdict_name[];

/* One measured figure: the median of n repetitions, with their range. */
struct lab_fig {
	double v;
	double lo, hi;
	int n;			/* 0: not measured */
};

#define LAB_MAX_SAMPLES 16
struct lab_samples {
	double v[LAB_MAX_SAMPLES];
	int n;
};

void lab_sample(struct lab_samples *s, double v);
struct lab_fig lab_fig_of(const struct lab_samples *s);
struct lab_fig lab_fig_one(double v);
/* a / b, 0 when either is not measured */
double lab_ratio(const struct lab_fig *a, const struct lab_fig *b);
/* Is a above b beyond the noise: even the fastest run of a slower than
 * the median of b (one run each: by more than 10%)? A slow outlier, which
 * a shared machine makes now and then, does not hide a difference. */
int lab_clearly_above(const struct lab_fig *a, const struct lab_fig *b);

#define LAB_MAX_LINES 4
struct lab_line {
	char label[24];
	enum lab_unit unit;
	int vm;			/* across CPUs: depends on waking an idle CPU (a VM's vCPU) */
	struct lab_fig f[LAB_KINDS];
};

struct lab_count {		/* a figure computed from a trace file */
	char key[48];
	double v;
};

struct lab_check {		/* a consistency check between trace and workload */
	char what[120];
	char got[80];
	int ok;
};

#define LAB_MAX_COUNTS 256
#define LAB_MAX_CHECKS 16
#define LAB_MAX_TRACES 12
struct lab_row {
	const char *id;		/* short name, also the JSON key */
	const char *claim;	/* as commonly taught */
	const char *measure;	/* what is measured, with its unit */
	struct lab_line line[LAB_MAX_LINES];
	int nlines;
	int verdict;		/* enum lab_verdict */
	char reason[720];
	char evidence[900];	/* the trace counts, in words, for the table */
	struct lab_count count[LAB_MAX_COUNTS];
	int ncounts;
	struct lab_check check[LAB_MAX_CHECKS];
	int nchecks;
	char trace[LAB_MAX_TRACES][48];	/* trace files, relative to the output dir */
	int ntraces;
	char missing[320];	/* why trace evidence is missing ("": it is not) */
	uint64_t elapsed_ns;	/* the experiment that made it (rows made together share it) */
};

struct lab_line *lab_line(struct lab_row *r, const char *label, enum lab_unit unit);
void lab_count(struct lab_row *r, const char *key, double v);
void lab_check(struct lab_row *r, int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void lab_reason(struct lab_row *r, int verdict, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void lab_evidence_text(struct lab_row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lab_missing(struct lab_row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What this machine allows, read before anything is spawned. */
struct lab_limits {
	uint64_t pid_max, threads_max, tasks_now;
	uint64_t nproc, user_tasks;	/* RLIMIT_NPROC and our uid's tasks */
	int nproc_applies;		/* not bypassed by privilege */
	uint64_t max_map_count;
	uint64_t mem_avail;		/* MemAvailable, bytes */
	uint64_t cg_pids_max, cg_pids_cur;	/* 0 max: no cgroup limit */
	uint64_t cg_mem_max, cg_mem_cur;
	int overcommit;			/* vm.overcommit_memory */
	uint64_t commit_room;		/* CommitLimit - Committed_AS, bytes */
	uint64_t thread_stack;		/* default thread stack (RLIMIT_STACK) */
	/* derived: what the capacity runs may use */
	uint64_t cap[LAB_KINDS];
	char cap_why[LAB_KINDS][96];
	uint64_t budget;
	char budget_why[96];
	uint64_t time_limit_ms;		/* per kind */
	/* what the CPU does for an mm switch, and whether this is a VM */
	struct ss_cpu_caps cpu;
};

void lab_limits_read(struct lab_limits *l, int quick);

struct lab_opts {
	int quick;
	int json;
	const char *dir;
};

#define LAB_MAX_ROWS 8
struct lab {
	struct lab_opts o;
	char bindir[PATH_MAX];		/* where the workloads are */
	char dir[PATH_MAX];		/* output directory */
	int trace_ok;			/* BPF recording works here */
	char trace_why[400];		/* why not */
	struct lab_limits lim;
	struct lab_row row[LAB_MAX_ROWS];
	int nrows;
	/* shared between experiments: the pinned ping-pong figures */
	struct lab_fig pinned[LAB_KINDS];
	/* the mixed run */
	char mixed_trace[PATH_MAX], mixed_html[PATH_MAX];
	char mixed_why[400];
	uint64_t mixed_records;
	char host[64], release[64];
	unsigned int ncpu;
	uint64_t t0, elapsed_ns;
	FILE *log;			/* progress lines (stderr), NULL: quiet */
};

struct lab_row *lab_row_new(struct lab *L, const char *id, const char *claim,
			    const char *measure);
void lab_progress(struct lab *L, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- running workloads ---- */

#define LAB_TRACE	0x1	/* record it */
#define LAB_SYSCALLS	0x2	/* with syscalls and faults (verify) */
#define LAB_SWITCH_IN	0x4	/* with the switch-in path */
#define LAB_WAKEUP	0x8	/* with sched_wakeup */
#define LAB_PROBES	0x10	/* with the coroutine probes (a workload that has some) */

struct lab_out {
	char text[8192];		/* what the workload printed */
	int status;			/* its wait status */
	int traced;			/* a trace file was written */
	char trace[PATH_MAX];		/* its path */
	char trace_rel[48];		/* relative to the output dir */
	char why[160];			/* asked for a trace, got none: why */
	struct ss_record_result res;
};

/* Run build/bin/<argv[0]> with argv; env ("NAME=value") set for it, or
 * NULL. With LAB_TRACE and tracing available, under ss_record_run into
 * DIR/traces/<name>.trace. 0 when it ran and exited 0. */
int lab_run(struct lab *L, const char *const *argv, const char *env, const char *name,
	    unsigned int flags, struct lab_out *out);
/* The number after key= on the first line of text that contains match
 * (NULL: any line). 0 on success. */
int lab_field(const char *text, const char *match, const char *key, double *v);
/* The string after key= (up to a blank) into buf. */
int lab_field_str(const char *text, const char *match, const char *key, char *buf,
		  size_t len);

/* ---- evidence from a trace file ---- */

struct lab_cpu_last {
	uint32_t prev;		/* prev tid of the CPU's latest switch */
	int between;		/* that switch went from a side to a side */
};

struct lab_ev {
	struct ss_analysis a;		/* the whole trace */
	struct ss_verify v;		/* when syscalls were recorded */
	int have_syscalls;
	int damaged;
	/* the workload's sides: the tids it printed */
	uint64_t between[SS_CLASS_MAX];	/* switches from a side to a side */
	uint64_t side_out[SS_CLASS_MAX];	/* switches out of a side */
	uint64_t side_syscalls, side_faults;
	uint64_t side_wakings, side_wakings_cross; /* target CPU != waker's CPU */
	uint64_t handover_wakings, handover_wakings_cross; /* of those, by a side */
	uint64_t side_migrations;
	uint64_t side_tlb, side_tlb_full, side_tlb_partial; /* tlb_flush in a side-to-side switch */
	uint64_t sides_seen;		/* sides that switched at least once */
	uint64_t nsides;
	struct ss_idmap *sides;
	struct lab_cpu_last *last;	/* per CPU: its latest switch */
	unsigned int ncpu;
};

/* Read the trace at path; sides is "a,b;c,d" as the workloads print (or
 * NULL). Returns an ss_exit code. */
int lab_evidence(const char *path, const char *sides, struct lab_ev *ev);
void lab_evidence_free(struct lab_ev *ev);
/* Record the common counts of ev into the row under prefix. */
void lab_evidence_counts(struct lab_row *r, const char *prefix, const struct lab_ev *ev);

/* ---- the experiments, in table order ---- */

void lab_exp_create(struct lab *L);
void lab_exp_switch(struct lab *L);	/* switch cost and kernel entries */
void lab_exp_pairs(struct lab *L);
void lab_exp_affinity(struct lab *L);
void lab_exp_hold(struct lab *L);	/* memory per unit and capacity */
void lab_exp_ipc(struct lab *L);
void lab_exp_mixed(struct lab *L);	/* the HTML timeline of a mixed run */

/* ---- output ---- */

void lab_print_text(FILE *f, const struct lab *L);
void lab_print_json(FILE *f, const struct lab *L);
/* Durations below 100 ns keep a decimal (coroutines); above, ss_fmt_dur. */
const char *lab_fmt_ns(char *buf, size_t len, double ns);
const char *lab_fmt_bytes(char *buf, size_t len, double bytes);
/* The CPU flags read for the table's header, and the note on the figures
 * across CPUs (says "VM" only when the flags say hypervisor). */
void lab_cpu_words(char *buf, size_t len, const struct ss_cpu_caps *c);
void lab_vm_note(char *buf, size_t len, const struct ss_cpu_caps *c);

#endif
