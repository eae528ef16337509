/* switchscope verify: record a workload with its syscalls and faults, and
 * check that no coroutine switch entered the kernel (user/analysis/verify.h). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "recorder.h"
#include "ss.h"
#include "trace.h"
#include "usdt.h"
#include "verify.h"

static const char help[] =
"usage: switchscope verify [options] [--] CMD [ARGS...]\n"
"       switchscope verify [options] -p PID --duration SEC\n"
"       switchscope verify [options] --trace FILE\n"
"\n"
"Check that coroutine switches never enter the kernel. For every coro:switch,\n"
"everything its thread did in the kernel between the start and the end of\n"
"that switch (as the runtime measured them) is a violation: syscalls (by\n"
"name), user page faults (with the address), blocking (a voluntary\n"
"sched_switch). Preemptions inside a switch are counted apart: the kernel's\n"
"doing, not the runtime's. The probes' own kernel entries (the uprobe\n"
"syscall of an optimized probe, a clock read that left the vDSO) are\n"
"excluded and counted.\n"
"\n"
"  --json              machine-readable result\n"
"  --min-switches N    at least N coroutine switches must be seen (default 1)\n"
"  -o, --output FILE   keep the trace (default: a temporary file)\n"
"  -p, --pid PID       a running process (with --duration)\n"
"  -d, --duration SEC  stop after SEC seconds\n"
"  --trace FILE        check a trace recorded with 'record --syscalls'\n"
"  --usdt PATH         attach the coro:* probes of PATH too\n"
"  -b, --backend NAME  bpf (default) or kmod for the kernel events\n"
"  -m, --buffer-size SIZE  kernel ring buffer (bpf default 64M: every\n"
"                      syscall is a record, and runtimes whose clock reads\n"
"                      leave the vDSO make two per switch; kmod: per CPU,\n"
"                      its own default)\n"
"  --coro-ring=MODE    as for record: auto (default), counter, monotonic, off\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 every switch stayed in user space (and enough were seen),\n"
"1 a switch entered the kernel, 9 inconclusive (no coro probes found, fewer\n"
"switches than --min-switches, or events lost; probes found but not attached,\n"
"e.g. an argument read from a thread-local variable, are named), 2/3/4/5/127\n"
"as for record.\n";

static const char *kind_name(int k)
{
	return k == SS_V_SYSCALL ? "syscall" : k == SS_V_FAULT ? "fault" : "block";
}

static void what(char *buf, size_t len, const struct ss_verify *v, const struct ss_vgroup *g)
{
	const char *n;

	if (g->kind == SS_V_SYSCALL) {
		n = ss_syscall_name(v->machine, g->nr);
		if (n)
			snprintf(buf, len, "%s", n);
		else
			snprintf(buf, len, "syscall %u", g->nr);
	} else if (g->kind == SS_V_FAULT) {
		snprintf(buf, len, "page fault");
	} else {
		snprintf(buf, len, "went to sleep");
	}
}

static const char *verdict_of(const struct ss_verify *v, uint64_t min, int *code)
{
	if (v->violations) {
		*code = SS_EXIT_VIOLATION;
		return "FAIL";
	}
	if (v->switches < min || v->lost) {
		*code = SS_EXIT_INCONCLUSIVE;
		return "INCONCLUSIVE";
	}
	*code = SS_OK;
	return "PASS";
}

/* Probes the recorder found but could not attach: why a verdict may have
 * seen fewer switches than ran. */
static void print_unattached(FILE *f, const char *indent)
{
	const struct ss_coro_unattached *u;
	size_t n = ss_coro_unattached(&u);
	char line[1024];

	for (size_t i = 0; i < n; i++) {
		ss_coro_unattached_str(&u[i], line, sizeof(line));
		fprintf(f, "%s%s\n", indent, line);
	}
}

static void print_text(const struct ss_verify *v, const char *what_ran, uint64_t min,
		       uint64_t t0, const char *verdict)
{
	char w[64], ex[64];

	printf("switchscope verify: %s\n", what_ran);
	printf("  checked      %llu coroutine switches on %llu threads\n",
	       (unsigned long long)v->switches, (unsigned long long)v->threads);
	printf("  window       the runtime's own start and end of each switch%s\n",
	       v->switches_no_start ? " (dur_ns before the probe where no start_ns)" : "");
	printf("  excluded     the probes' own kernel entries, by syscall number: %llu\n"
	       "               uprobe syscalls of optimized probe sites (%llu inside a\n"
	       "               switch) and %llu clock reads that left the vDSO (%llu\n"
	       "               inside); an int3 probe trap is no syscall at all\n",
	       (unsigned long long)v->seen_uprobe, (unsigned long long)v->excluded_uprobe,
	       (unsigned long long)v->seen_clock, (unsigned long long)v->excluded_clock);
	printf("  preempted    %llu times inside a switch (timer or another task: the\n"
	       "               kernel's doing, not the runtime's)\n",
	       (unsigned long long)v->preemptions);
	if (v->stops)
		printf("  stopped      %llu times inside a switch (SIGSTOP or a tracer, e.g.\n"
		       "               the recorder holding the process at a dlopen)\n",
		       (unsigned long long)v->stops);
	printf("  lost events  %llu\n", (unsigned long long)v->lost);
	if (v->overflow)
		printf("  note         %llu switches held more kernel entries than kept (%d); "
		       "counts are lower bounds\n", (unsigned long long)v->overflow, 64);
	if (v->ngroups) {
		printf("\nVIOLATIONS: %llu kernel entries inside %llu of %llu switches\n",
		       (unsigned long long)v->entries, (unsigned long long)v->violations,
		       (unsigned long long)v->switches);
		printf("%-8s %-18s %10s %12s %7s  %s\n", "kind", "what", "count", "at (s)",
		       "tid", "inside switch");
		printf("%.78s\n", "----------------------------------------"
		       "----------------------------------------");
		for (size_t i = 0; i < v->ngroups; i++) {
			const struct ss_vgroup *g = &v->groups[i];

			what(w, sizeof(w), v, g);
			for (int k = 0; k < SS_VERIFY_EXAMPLES && k < (int)g->count; k++) {
				const struct ss_vexample *e = &g->ex[k];
				uint64_t rel = e->ts > t0 ? e->ts - t0 : 0;

				snprintf(ex, sizeof(ex), "co %llu -> co %llu", (unsigned long long)e->from,
					 (unsigned long long)e->to);
				if (k == 0)
					printf("%-8s %-18s %10llu", kind_name(g->kind), w,
					       (unsigned long long)g->count);
				else
					printf("%-8s %-18s %10s", "", "", "");
				printf(" %5llu.%06llu %7u  %s", (unsigned long long)(rel / 1000000000),
				       (unsigned long long)(rel % 1000000000 / 1000), e->tid, ex);
				if (g->kind == SS_V_FAULT)
					printf(" addr 0x%llx", (unsigned long long)e->detail);
				printf("\n");
			}
		}
	}
	printf("\nVERDICT: %s", verdict);
	if (!strcmp(verdict, "PASS"))
		printf(": no coroutine switch entered the kernel\n");
	else if (!strcmp(verdict, "FAIL"))
		printf(": coroutine switches entered the kernel\n");
	else if (v->lost)
		printf(": %llu events were lost, so a switch may have entered the kernel unseen\n",
		       (unsigned long long)v->lost);
	else
		printf(": %llu coroutine switches seen, %llu required\n",
		       (unsigned long long)v->switches, (unsigned long long)min);
	if (strcmp(verdict, "PASS"))
		print_unattached(stdout, "  ");
}

static void print_json(const struct ss_verify *v, uint64_t min, const char *verdict)
{
	char w[64];

	printf("{\"verdict\":\"%s\",\"switches\":%llu,\"min_switches\":%llu,\"threads\":%llu,"
	       "\"violating_switches\":%llu,\"kernel_entries\":%llu,\"preemptions\":%llu,"
	       "\"stops\":%llu,"
	       "\"excluded\":{\"uprobe_syscalls\":%llu,\"clock_syscalls\":%llu,"
	       "\"uprobe_syscalls_seen\":%llu,\"clock_syscalls_seen\":%llu},"
	       "\"windows_without_start\":%llu,\"overflowed_windows\":%llu,\"lost\":%llu,"
	       "\"violations\":[", verdict, (unsigned long long)v->switches,
	       (unsigned long long)min, (unsigned long long)v->threads,
	       (unsigned long long)v->violations, (unsigned long long)v->entries,
	       (unsigned long long)v->preemptions, (unsigned long long)v->stops,
	       (unsigned long long)v->excluded_uprobe,
	       (unsigned long long)v->excluded_clock, (unsigned long long)v->seen_uprobe,
	       (unsigned long long)v->seen_clock, (unsigned long long)v->switches_no_start,
	       (unsigned long long)v->overflow, (unsigned long long)v->lost);
	for (size_t i = 0; i < v->ngroups; i++) {
		const struct ss_vgroup *g = &v->groups[i];

		what(w, sizeof(w), v, g);
		printf("%s{\"kind\":\"%s\",\"what\":", i ? "," : "", kind_name(g->kind));
		ss_json_str(stdout, w);
		printf(",\"count\":%llu,\"first\":[", (unsigned long long)g->count);
		for (int k = 0; k < SS_VERIFY_EXAMPLES && k < (int)g->count; k++)
			printf("%s{\"ts\":%llu,\"tid\":%u,\"from\":%llu,\"to\":%llu,\"detail\":%llu}",
			       k ? "," : "", (unsigned long long)g->ex[k].ts, g->ex[k].tid,
			       (unsigned long long)g->ex[k].from, (unsigned long long)g->ex[k].to,
			       (unsigned long long)g->ex[k].detail);
		printf("]}");
	}
	printf("],\"unattached\":[");
	{
		const struct ss_coro_unattached *u;
		size_t n = ss_coro_unattached(&u);

		for (size_t i = 0; i < n; i++) {
			printf("%s{\"probe\":", i ? "," : "");
			ss_json_str(stdout, u[i].probe);
			printf(",\"file\":");
			ss_json_str(stdout, u[i].path);
			printf(",\"argument\":%u,\"spec\":", u[i].index);
			ss_json_str(stdout, u[i].spec);
			printf(",\"why\":");
			ss_json_str(stdout, u[i].why ? u[i].why : strerror(u[i].err));
			printf(",\"fix\":");
			ss_json_str(stdout, u[i].fix ? u[i].fix : "");
			printf(",\"libbpf\":");
			ss_json_str(stdout, u[i].libbpf);
			printf("}");
		}
	}
	printf("]}\n");
}

/* Feed a trace through the checker. */
static int check_trace(const char *path, struct ss_verify *v, uint64_t *t0, int *damaged)
{
	const struct ss_hdr *h;
	struct ss_reader *r;
	char err[512];
	int code;

	r = ss_reader_open(path, err, sizeof(err), &code);
	if (!r) {
		ss_err("%s", err);
		return code;
	}
	if (!(ss_reader_meta(r)->flags & SS_META_SYSCALLS)) {
		ss_err("%s was recorded without syscalls: record it with 'switchscope "
		       "record --syscalls'", path);
		ss_reader_close(r);
		return SS_EXIT_INCONCLUSIVE;
	}
	if (ss_verify_init(v, ss_reader_meta(r)->machine)) {
		ss_reader_close(r);
		return SS_EXIT_INTERNAL;
	}
	*t0 = ss_reader_meta(r)->start_ns;
	while (ss_reader_next(r, &h) == 1)
		ss_verify_add(v, h);
	*damaged = ss_reader_report_damage(r, path) != SS_OK;
	ss_reader_close(r);
	return SS_OK;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "min-switches", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "trace", required_argument, NULL, 't' },
		{ "usdt", required_argument, NULL, 'U' },
		{ "backend", required_argument, NULL, 'b' },
		{ "buffer-size", required_argument, NULL, 'm' },
		{ "coro-ring", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ss_record_opts o = { .backend = "bpf", .syscalls = 1, .quiet = 1 };
	const char *trace = NULL, *out = NULL, *usdt[16];
	char tmp[] = "/tmp/switchscope-verify-XXXXXX", what_ran[300];
	uint64_t min = 1, v64, t0 = 0;
	struct ss_record_result res = { 0 };
	struct stat st;
	struct ss_verify v;
	uint32_t pid = 0;
	int c, code, json = 0, damaged = 0, fd;

	while ((c = getopt_long(argc, argv, "+o:p:d:b:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'n':
			if (ss_parse_u64(optarg, &min))
				return cli_usage("verify", "bad count '%s'", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			if (ss_parse_u64(optarg, &v64) || !v64 || v64 > 0x3fffffff)
				return cli_usage("verify", "bad PID '%s'", optarg);
			pid = v64;
			break;
		case 'd':
			if (ss_parse_dur(optarg, &o.duration_ns) || !o.duration_ns)
				return cli_usage("verify", "bad duration '%s'", optarg);
			break;
		case 't':
			trace = optarg;
			break;
		case 'U':
			if (o.nusdt == sizeof(usdt) / sizeof(usdt[0]))
				return cli_usage("verify", "too many --usdt");
			usdt[o.nusdt++] = optarg;
			break;
		case 'm':
			if (cli_buffer_size("verify", optarg, &o.buffer_bytes))
				return SS_EXIT_USAGE;
			break;
		case 'R':
			if (cli_ring_mode("verify", optarg, &o.coro_ring))
				return SS_EXIT_USAGE;
			break;
		case 'b':
			o.backend = optarg;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("verify", "unknown option");
		}
	}
	o.usdt = usdt;
	if (optind < argc)
		o.cmd = argv + optind;
	if (!o.buffer_bytes && !strcmp(o.backend, "bpf"))
		o.buffer_bytes = 64u << 20;
	if (!!trace + !!pid + !!o.cmd != 1)
		return cli_usage("verify", "give a command, -p PID or --trace FILE");
	if (pid && !o.duration_ns)
		return cli_usage("verify", "-p needs --duration");
	if (!trace) {
		if (out && stat(out, &st) == 0 && !S_ISREG(st.st_mode))
			return cli_usage("verify", "-o %s is not a regular file: verify "
					 "reads the trace back from it", out);
		if (out) {
			o.output = out;
		} else {
			fd = mkstemp(tmp);
			if (fd < 0) {
				ss_err("cannot create a temporary trace: %m");
				return SS_EXIT_IO;
			}
			close(fd);
			o.output = tmp;
		}
		o.pids = &pid;
		o.npids = pid ? 1 : 0;
		code = ss_record_run(&o, &res);
		if (code == SS_OK && !res.coro_binaries && !res.count[SS_EV_CORO_SWITCH]) {
			const struct ss_coro_unattached *u;

			if (ss_coro_unattached(&u)) {
				ss_err("inconclusive: coro:* USDT probes were found but none "
				       "could be attached:");
				print_unattached(stderr, "  ");
			} else {
				ss_err("no coro:* USDT probes found in the traced program or its "
				       "libraries (see docs/PROBES.md; --usdt PATH names a binary)");
			}
			code = SS_EXIT_INCONCLUSIVE;
		}
		if (code != SS_OK) {
			if (!out)
				unlink(tmp);
			return code;
		}
		trace = o.output;
	}
	code = check_trace(trace, &v, &t0, &damaged);
	if (!out && trace == tmp)
		unlink(tmp);
	if (code)
		return code;
	if (o.cmd) {
		size_t off = 0;

		for (char *const *a = o.cmd; *a && off < sizeof(what_ran) - 1; a++)
			off += snprintf(what_ran + off, sizeof(what_ran) - off, "%s%s",
					off ? " " : "", *a);
	} else if (pid) {
		snprintf(what_ran, sizeof(what_ran), "pid %u", pid);
	} else {
		snprintf(what_ran, sizeof(what_ran), "%s", trace);
	}
	{
		const char *verdict = verdict_of(&v, min, &code);

		if (json)
			print_json(&v, min, verdict);
		else
			print_text(&v, what_ran, min, t0, verdict);
	}
	if (o.cmd && res.cmd_started && ss_status_exit_code(res.cmd_status))
		ss_warn("the command exited with status %d", ss_status_exit_code(res.cmd_status));
	ss_verify_free(&v);
	if (damaged && code == SS_OK)
		code = SS_EXIT_INCONCLUSIVE;
	return code;
}
