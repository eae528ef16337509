/* switchscope lab: the classic claims about processes, threads and
 * coroutines, measured here and backed by traces (user/lab/lab.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../lab/lab.h"
#include "backend.h"
#include "cli.h"
#include "ss.h"

static const char help[] =
"usage: switchscope lab [--quick] [--json] [-o DIR] [-q]\n"
"\n"
"Measure what is commonly taught about processes, threads and coroutines on\n"
"this machine: creation cost, switch cost on one CPU, kernel entries per\n"
"switch, cost with many pairs, CPU affinity, memory per idle unit, how many\n"
"fit in a memory budget, message round trips. Each row gives the figures for\n"
"process / thread / coroutine, their ratios, a verdict on the claim\n"
"(confirmed / refuted / depends, with the reason) and the trace counts behind\n"
"it, read back from the trace files recorded while the workloads ran.\n"
"\n"
"Figures are measured untraced (probes perturb timings) as the median of\n"
"repetitions; a traced run of each workload provides the evidence. Without\n"
"BPF (not root, no BTF) the figures are still measured and the table says\n"
"which evidence is missing and why. Before spawning thousands of tasks the\n"
"limits (pid_max, threads-max, RLIMIT_NPROC, cgroup pids.max,\n"
"vm.max_map_count, MemAvailable) are read and the runs capped below them.\n"
"\n"
"Writes into DIR: lab.txt (the table), lab.json (docs/LAB-JSON.md),\n"
"traces/*.trace (the evidence) and mixed.html, the timeline of a short run of\n"
"all three kinds at once.\n"
"\n"
"  --quick            fewer and shorter runs (about 10 s instead of 40 s)\n"
"  --json             print the JSON instead of the table\n"
"  -o, --output DIR   output directory (default: switchscope-lab)\n"
"  -q, --quiet        no progress lines on stderr\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 done, 1 a consistency check between a workload and its trace\n"
"failed (the table says which), 2 usage, 5 DIR not writable, 127 a workload\n"
"is missing (build it with make).\n";

static const char *const workloads[] = {
	"ss-lab-create", "ss-lab-ipc", "ss-lab-hold", "ss-lab-mixed",
};

static int mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

static int find_workloads(struct lab *L)
{
	char path[PATH_MAX + 64];

	if (ss_exe_dir(L->bindir, sizeof(L->bindir))) {
		ss_err("cannot find my own executable: %s", strerror(errno));
		return SS_EXIT_INTERNAL;
	}
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", L->bindir, workloads[i]);
		if (access(path, X_OK)) {
			ss_err("workload %s is missing: build it with 'make'", path);
			return SS_EXIT_EXEC;
		}
	}
	return SS_OK;
}

/* Can this process record? Loading the BPF programs answers it, and
 * says what is missing if not. */
static void probe_tracing(struct lab *L)
{
	const struct ss_backend_ops *ops = ss_backend_find("bpf");
	struct ss_backend_cfg cfg = { .buffer_bytes = 1u << 20 };
	struct ss_backend *be;

	if (!ops) {
		snprintf(L->trace_why, sizeof(L->trace_why), "this build has no bpf backend");
		return;
	}
	if (ops->open(&be, &cfg, L->trace_why, sizeof(L->trace_why)) != SS_OK) {
		if (!L->trace_why[0])
			snprintf(L->trace_why, sizeof(L->trace_why), "the BPF programs do not load");
		return;
	}
	ops->close(be);
	L->trace_ok = 1;
}

static int write_file(const struct lab *L, const char *name,
		      void (*print)(FILE *, const struct lab *))
{
	char path[PATH_MAX + 16];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", L->dir, name);
	f = fopen(path, "we");
	if (!f) {
		ss_err("cannot write %s: %s", path, strerror(errno));
		return SS_EXIT_IO;
	}
	print(f, L);
	bad = ferror(f);
	if (fclose(f) || bad) {
		ss_err("cannot write %s: %s", path, strerror(errno));
		return SS_EXIT_IO;
	}
	return SS_OK;
}

/* Run one experiment; the rows it makes get its duration. */
static void run(struct lab *L, void (*experiment)(struct lab *))
{
	int first = L->nrows;
	uint64_t t0 = ss_now_ns();

	experiment(L);
	for (int i = first; i < L->nrows; i++)
		L->row[i].elapsed_ns = ss_now_ns() - t0;
}

int cmd_lab(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'Q' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct lab L;
	struct utsname u;
	int c, code, quiet = 0;
	char traces[PATH_MAX + 16];

	memset(&L, 0, sizeof(L));
	L.o.dir = "switchscope-lab";
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'Q':
			L.o.quick = 1;
			break;
		case 'j':
			L.o.json = 1;
			break;
		case 'o':
			L.o.dir = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("lab", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("lab", "no arguments expected");
	code = find_workloads(&L);
	if (code)
		return code;
	snprintf(traces, sizeof(traces), "%s/traces", L.o.dir);
	if (mkdirs(traces) || !realpath(L.o.dir, L.dir)) {
		ss_err("cannot create %s: %s", traces, strerror(errno));
		return SS_EXIT_IO;
	}
	L.log = quiet ? NULL : stderr;
	L.t0 = ss_now_ns();
	L.ncpu = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0) {
		snprintf(L.host, sizeof(L.host), "%s", u.nodename);
		snprintf(L.release, sizeof(L.release), "%s %s", u.release, u.machine);
	}
	probe_tracing(&L);
	if (!L.trace_ok)
		ss_warn("no trace evidence: %s; the figures are measured without it",
			L.trace_why);
	lab_limits_read(&L.lim, L.o.quick);

	run(&L, lab_exp_create);
	run(&L, lab_exp_switch);
	run(&L, lab_exp_pairs);
	run(&L, lab_exp_affinity);
	run(&L, lab_exp_hold);
	run(&L, lab_exp_ipc);
	run(&L, lab_exp_mixed);
	L.elapsed_ns = ss_now_ns() - L.t0;

	code = write_file(&L, "lab.json", lab_print_json);
	if (!code)
		code = write_file(&L, "lab.txt", lab_print_text);
	if (L.o.json)
		lab_print_json(stdout, &L);
	else
		lab_print_text(stdout, &L);
	if (code)
		return code;
	for (int i = 0; i < L.nrows; i++)
		for (int j = 0; j < L.row[i].nchecks; j++)
			if (!L.row[i].check[j].ok)
				return SS_EXIT_VIOLATION;
	return SS_OK;
}
