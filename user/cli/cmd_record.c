#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "flight.h"
#include "recorder.h"
#include "ss.h"

static const char help[] =
"usage: switchscope record [options] [--] CMD [ARGS...]\n"
"       switchscope record [options] -p PID[,PID...]\n"
"       switchscope record [options] -a\n"
"       switchscope record [options] --cgroup PATH [--cgroup PATH...]\n"
"       switchscope record --dump PID\n"
"\n"
"Trace context switches, wakeups and task creation into a trace file.\n"
"With CMD, the probes are attached before CMD is exec'd (its first switch\n"
"is in the trace) and switchscope exits with CMD's exit status.\n"
"Children of traced processes are traced too.\n"
"\n"
"  -a, --all-cpus         every task on the system (with CMD: while it runs)\n"
"  -p, --pid PID[,PID]    running processes (and their future children)\n"
"      --cgroup PATH      only tasks in this cgroup v2 or below it (PATH: a\n"
"                         directory, or relative to the cgroup2 mount; up to\n"
"                         16, their union), filtered in the kernel; alone it\n"
"                         means -a within them, with -p or CMD the tasks that\n"
"                         are both (bpf backend only)\n"
"  -o, --output FILE      trace file (default: switchscope.trace)\n"
"  -d, --duration SEC     stop after SEC seconds (CMD gets SIGTERM)\n"
"  -b, --backend NAME     bpf (default) or kmod (/dev/switchscope)\n"
"  -m, --buffer-size SIZE\n"
"                         kernel ring buffer size, in MB or with a K/M/G\n"
"                         suffix (default 16M)\n"
"      --switch-in        also record the switch-in path: each traced task's\n"
"                         first sys_exit after a switch-in (a probe on every\n"
"                         syscall exit of the system)\n"
"      --wakeup           also record sched_wakeup (sched_waking always is)\n"
"      --syscalls         also record syscall entries and user page faults\n"
"      --stacks           also record stacks: the kernel and user stack of a\n"
"                         traced task at each switch-out, the waker's at each\n"
"                         wakeup, a coroutine's user stack when it parks; the\n"
"                         trace gets the symbols too (BPF backend only; user\n"
"                         stacks need frame pointers)\n"
"      --usdt PATH        attach the coro:* probes of PATH (also found by\n"
"                         themselves in traced executables and libraries)\n"
"      --no-coro          do not attach coroutine probes\n"
"      --coro-ring=MODE   how runtimes that write a trace ring (ours does)\n"
"                         report their hot events: auto (default: the ring,\n"
"                         timestamped with the CPU counter when the kernel's\n"
"                         clock runs on it), counter, monotonic, or off (every\n"
"                         event through its USDT probe: a kernel entry each)\n"
"      --compress=ALG     event chunks: zstd (default, level 3), zstd:LEVEL\n"
"                         (1 fastest to 19 smallest) or none\n"
"\n"
"Flight recorder (record --flight; dumps named after -o: trace.trace gives\n"
"trace.1.offcpu.trace, trace.2.signal.trace, ...):\n"
"      --flight WINDOW    keep only the last WINDOW of records in memory (a\n"
"                         time: 10s, 500ms; or a size: 256M) and write it to a\n"
"                         new dump file each time a trigger fires; SIGUSR1\n"
"                         always is one\n"
"      --trigger SPEC     runqlat>DURATION[,tid=N]: a traced task waited longer\n"
"                         for a CPU (wakeup or preemption to switch-in);\n"
"                         offcpu>DURATION[,tid=N]: one was blocked longer\n"
"                         (switch-out to wakeup); both evaluated in the kernel\n"
"                         (-b kmod: by the recorder); coro-kernel: a coroutine\n"
"                         switch entered the kernel (verify's check, live;\n"
"                         records syscalls). Repeatable. One that fires\n"
"                         within WINDOW of the last dump's trigger starts no\n"
"                         dump\n"
"      --post SEC         keep recording SEC after a trigger before the dump\n"
"                         (default 0)\n"
"      --max-dumps N      stop recording after N dumps (default: no limit)\n"
"      --dump PID         ask the flight recorder PID for a dump now; waits\n"
"                         until it is written and prints its path\n"
"\n"
"  -q, --quiet            no summary line\n"
"  -h, --help             this text\n"
"\n"
"Exit status: CMD's, or 2 usage (also: a --cgroup PATH that is no cgroup v2\n"
"directory, or --cgroup with -b kmod), 3 missing privilege, 4 kernel lacks a\n"
"feature (also: no cgroup2 hierarchy mounted), 5 output not writable or disk\n"
"full, 127 CMD could not run.\n";

static int parse_pids(const char *arg, uint32_t **pids, size_t *n)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	uint64_t v;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t *np;

		if (ss_parse_u64(tok, &v) || v == 0 || v > 0x3fffffff) {
			free(copy);
			return -1;
		}
		np = realloc(*pids, (*n + 1) * sizeof(**pids));
		if (!np) {
			free(copy);
			return -1;
		}
		*pids = np;
		(*pids)[(*n)++] = v;
	}
	free(copy);
	return *n ? 0 : -1;
}

/* --compress: none -> -1, zstd -> 0 (the default level), zstd:N -> N;
 * -2 if it is none of those. */
static int parse_compress(const char *arg)
{
	uint64_t v;

	if (!strcmp(arg, "none"))
		return -1;
	if (!strcmp(arg, "zstd"))
		return 0;
	if (strncmp(arg, "zstd:", 5) || ss_parse_u64(arg + 5, &v) || v < 1 || v > 19)
		return -2;
	return v;
}

/* The recorder's -o from its command line (the default when none), as a
 * path from here: relative names are the recorder's working directory's. */
static void recorder_output(uint32_t pid, const char *cmdline, size_t n, char *out, size_t len)
{
	const char *o = "switchscope.trace";
	char cwd[4096], link[64];
	ssize_t k;

	for (size_t i = 0; i < n; i += strlen(cmdline + i) + 1) {
		const char *a = cmdline + i, *next = i + strlen(a) + 1 < n ? a + strlen(a) + 1 : NULL;

		if (!strcmp(a, "--"))
			break;
		if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && next)
			o = next;
		else if (!strncmp(a, "--output=", 9))
			o = a + 9;
		else if (!strncmp(a, "-o", 2) && a[2])
			o = a + 2;
	}
	snprintf(link, sizeof(link), "/proc/%u/cwd", pid);
	if (o[0] != '/' && (k = readlink(link, cwd, sizeof(cwd) - 1)) > 0) {
		cwd[k] = 0;
		snprintf(out, len, "%s/%s", cwd, o);
	} else {
		snprintf(out, len, "%s", o);
	}
}

/* --dump PID: only to a flight recorder (a stray SIGUSR1 kills most
 * programs), as a queued signal that says it is a request; then the
 * recorder's answer once the dump that holds the request is written. */
static int ask_dump(uint32_t pid)
{
	char path[64], buf[4096], output[4096 + 64], dump[8192];
	int flight = 0, record = 0, v;
	struct timespec poll = { 0, 200 * 1000000 };
	sigset_t reply;
	siginfo_t si;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	f = fopen(path, "r");
	if (!f) {
		ss_err("no process with PID %u", pid);
		return SS_EXIT_USAGE;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
		record |= !strcmp(buf + i, "record");
		flight |= !strcmp(buf + i, "--flight") || !strncmp(buf + i, "--flight=", 9);
	}
	if (!record || !flight) {
		ss_err("PID %u is not a switchscope flight recorder (record --flight)", pid);
		return SS_EXIT_USAGE;
	}
	recorder_output(pid, buf, n, output, sizeof(output));
	sigemptyset(&reply);
	sigaddset(&reply, SS_FLIGHT_REPLY_SIG);
	sigprocmask(SIG_BLOCK, &reply, NULL);
	if (sigqueue(pid, SIGUSR1, (union sigval){ .sival_int = SS_FLIGHT_REQUEST })) {
		ss_err("cannot signal PID %u: %s", pid, strerror(errno));
		return errno == EPERM ? SS_EXIT_PERM : SS_EXIT_USAGE;
	}
	/* until the answer comes, or the recorder is gone without one */
	for (;;) {
		if (sigtimedwait(&reply, &si, &poll) == SS_FLIGHT_REPLY_SIG) {
			if (si.si_pid != (pid_t)pid)
				continue;
			break;
		}
		if (kill(pid, 0) && errno == ESRCH) {
			ss_err("the recorder (PID %u) ended before it wrote a dump", pid);
			return SS_EXIT_IO;
		}
	}
	v = si.si_value.sival_int;
	if (!v) {
		ss_err("the recorder (PID %u) wrote no dump for the request (--max-dumps reached, "
		       "or recording ended)", pid);
		return SS_EXIT_IO;
	}
	ss_flight_dump_name(output, SS_FLIGHT_REPLY_DUMP(v), SS_FLIGHT_REPLY_KIND(v), dump,
			    sizeof(dump));
	if (!SS_FLIGHT_REPLY_OK(v)) {
		ss_err("the recorder (PID %u) could not write dump %s (its own message says why)",
		       pid, dump);
		return SS_EXIT_IO;
	}
	printf("%s\n", dump);
	return SS_OK;
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all-cpus", no_argument, NULL, 'a' },
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "backend", required_argument, NULL, 'b' },
		{ "buffer-size", required_argument, NULL, 'm' },
		{ "syscalls", no_argument, NULL, 'S' },
		{ "switch-in", no_argument, NULL, 'I' },
		{ "wakeup", no_argument, NULL, 'W' },
		{ "stacks", no_argument, NULL, 'K' },
		{ "usdt", required_argument, NULL, 'U' },
		{ "no-coro", no_argument, NULL, 'N' },
		{ "coro-ring", required_argument, NULL, 'R' },
		{ "compress", required_argument, NULL, 'Z' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "flight", required_argument, NULL, 'F' },
		{ "trigger", required_argument, NULL, 'T' },
		{ "post", required_argument, NULL, 'P' },
		{ "max-dumps", required_argument, NULL, 'X' },
		{ "dump", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ss_record_opts o = { .output = "switchscope.trace", .backend = "bpf" };
	struct ss_record_result res;
	static const char *usdt[64], *cgroups[16];
	uint32_t *pids = NULL;
	struct ss_flight_opts fo = { 0 };
	int c, code, flight = 0, triggers = 0;
	char msg[256];
	uint64_t v;

	while ((c = getopt_long(argc, argv, "+ap:o:d:b:m:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.system_wide = 1;
			break;
		case 'p':
			if (parse_pids(optarg, &pids, &o.npids))
				return cli_usage("record", "bad PID list '%s'", optarg);
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'd':
			if (ss_parse_dur(optarg, &o.duration_ns) || !o.duration_ns)
				return cli_usage("record", "bad duration '%s'", optarg);
			break;
		case 'b':
			o.backend = optarg;
			break;
		case 'm':
			if (cli_buffer_size("record", optarg, &o.buffer_bytes))
				return SS_EXIT_USAGE;
			break;
		case 'S':
			o.syscalls = 1;
			break;
		case 'I':
			o.switch_in = 1;
			break;
		case 'W':
			o.wakeup = 1;
			break;
		case 'K':
			o.stacks = 1;
			break;
		case 'U':
			if (o.nusdt == sizeof(usdt) / sizeof(usdt[0]))
				return cli_usage("record", "at most %zu --usdt", o.nusdt);
			usdt[o.nusdt++] = optarg;
			break;
		case 'N':
			o.no_coro = 1;
			break;
		case 'R':
			if (cli_ring_mode("record", optarg, &o.coro_ring))
				return SS_EXIT_USAGE;
			break;
		case 'Z':
			o.zstd_level = parse_compress(optarg);
			if (o.zstd_level < -1)
				return cli_usage("record", "bad --compress '%s' (zstd, "
						 "zstd:LEVEL with LEVEL 1 to 19, or none)",
						 optarg);
			break;
		case 'G':
			if (o.ncgroups == sizeof(cgroups) / sizeof(cgroups[0]))
				return cli_usage("record", "at most %zu --cgroup", o.ncgroups);
			cgroups[o.ncgroups++] = optarg;
			break;
		case 'F':
			if (ss_flight_parse_window(optarg, &fo))
				return cli_usage("record", "bad --flight '%s' (a time like 10s "
						 "or 500ms, or a size like 256M, at least 128K)", optarg);
			flight = 1;
			break;
		case 'T':
			if (ss_flight_parse_trigger(optarg, &fo, msg, sizeof(msg)))
				return cli_usage("record", "%s", msg);
			triggers = 1;
			break;
		case 'P':
			if (ss_parse_dur(optarg, &fo.post_ns))
				return cli_usage("record", "bad --post '%s'", optarg);
			break;
		case 'X':
			if (ss_parse_u64(optarg, &v) || !v || v > 1000000)
				return cli_usage("record", "bad --max-dumps '%s'", optarg);
			fo.max_dumps = v;
			break;
		case 'D':
			if (ss_parse_u64(optarg, &v) || !v || v > 0x3fffffff)
				return cli_usage("record", "bad --dump PID '%s'", optarg);
			return ask_dump(v);
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("record", "unknown option");
		}
	}
	if (optind < argc)
		o.cmd = argv + optind;
	o.pids = pids;
	o.usdt = usdt;
	o.cgroups = cgroups;
	if (o.npids && (o.cmd || o.system_wide))
		return cli_usage("record", "-p cannot be combined with -a or a command");
	if (o.stacks && strcmp(o.backend, "bpf"))
		return cli_usage("record", "--stacks needs the BPF backend (-b bpf): "
				 "the kernel module records no stacks");
	if (!o.cmd && !o.npids && !o.system_wide && !o.ncgroups)
		return cli_usage("record", "give -a, -p PID, --cgroup PATH or a command");
	if (!flight && (triggers || fo.post_ns || fo.max_dumps))
		return cli_usage("record", "--trigger, --post and --max-dumps need --flight");
	if (flight) {
		o.flight = &fo;
		/* verify's check needs the kernel entries */
		if (fo.coro_kernel)
			o.syscalls = 1;
		if (fo.coro_kernel && o.no_coro)
			return cli_usage("record", "--trigger coro-kernel needs the coroutine probes");
	}
	code = ss_record_run(&o, &res);
	if (!o.quiet && flight)
		fprintf(stderr, "[ %s: flight recorder: %u dumps, %llu records seen, %llu lost; "
			"window held at most %.1f MB, carried-over records %.1f MB ]\n",
			ss_prog, res.dumps, (unsigned long long)res.records,
			(unsigned long long)res.lost, res.flight_peak / 1e6,
			res.flight_carried / 1e6);
	else if (!o.quiet && (res.records || res.bytes))
		ss_record_summary(&res, o.output);
	free(pids);
	if (code != SS_OK)
		return code;
	return o.cmd ? ss_status_exit_code(res.cmd_status) : SS_OK;
}
