#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "kmod.h"
#include "ss.h"

static const char help[] =
"usage: switchscope kmod [status]\n"
"       switchscope kmod counters\n"
"       switchscope kmod floor [-n ROUND_TRIPS] [-c CPU] [--kernel-only] [--json]\n"
"\n"
"The kernel module backend (" SS_KMOD_KO ", /dev/switchscope).\n"
"Installed from packages, the module is switchscope-dkms's, built by DKMS\n"
"for each kernel with headers: load it with 'modprobe switchscope'.\n"
"\n"
"  status     is the module loaded, its ABI, the recording session\n"
"  counters   records written and dropped per CPU, switches by class\n"
"             (from " SS_KMOD_PROC ", the current or last session)\n"
"  floor      the in-kernel floor of a context switch: two kernel threads\n"
"             pinned to one CPU ping-pong; no user/kernel transition and no\n"
"             mm switch; then the same number of hand-overs between two\n"
"             threads and two processes in user space (ss-pingpong, futex,\n"
"             same CPU), as multiples of it. Needs CAP_PERFMON or\n"
"             CAP_SYS_ADMIN.\n"
"  -n, --round-trips N   round trips, 2 switches each (default 100000)\n"
"  -c, --cpu CPU         the CPU both threads run on (default 0)\n"
"  --kernel-only         the floor alone\n"
"  --json                one JSON object: cpu, switches, floor_ns,\n"
"                        threads_ns, processes_ns\n"
"\n"
"Exit status: 0, 2 usage, 3 missing privilege, 4 module not loaded,\n"
"8 a measurement failed.\n";

static const char *const class_names[SS_CLASS_MAX] = {
	"thread", "process", "to idle", "from idle", "kthread",
};

static int read_proc(struct ss_kmod_proc *p)
{
	int rc = ss_kmod_proc_read(p);
	char err[512];

	if (rc == -ENOENT) {
		ss_kmod_not_loaded(err, sizeof(err));
		ss_err("%s", err);
		return SS_EXIT_UNSUPPORTED;
	}
	if (rc) {
		ss_err("cannot read %s: %s", SS_KMOD_PROC, strerror(-rc));
		return SS_EXIT_IO;
	}
	return SS_OK;
}

static int kmod_status(void)
{
	struct ss_kmod_proc p;
	int code = read_proc(&p);

	if (code)
		return code;
	printf("module     loaded (ABI %u.%u; this switchscope: %u.%u)\n",
	       p.abi_major, p.abi_minor, SS_KMOD_ABI_MAJOR, SS_KMOD_ABI_MINOR);
	printf("device     %s%s\n", SS_KMOD_DEVICE,
	       access(SS_KMOD_DEVICE, F_OK) ? " (missing: is devtmpfs mounted?)" : "");
	printf("session    %s\n", p.session);
	if (strcmp(p.session, "none")) {
		if (p.all)
			printf("filter     every task\n");
		else
			printf("filter     %u processes and their children\n", p.ntgids);
		printf("buffers    %llu KiB per CPU\n",
		       (unsigned long long)p.buffer_bytes >> 10);
	}
	ss_kmod_proc_free(&p);
	return p.abi_major == SS_KMOD_ABI_MAJOR ? SS_OK : SS_EXIT_UNSUPPORTED;
}

static int kmod_counters(void)
{
	uint64_t written = 0, dropped = 0, sw = 0;
	struct ss_kmod_proc p;
	int code = read_proc(&p);

	if (code)
		return code;
	printf("session: %s\n\n", p.session);
	printf("%5s %14s %14s\n", "CPU", "written", "dropped");
	printf("%5s %14s %14s\n", "", "[records]", "[records]");
	printf("----- -------------- --------------\n");
	for (unsigned int i = 0; i < p.ncpu; i++) {
		printf("%5u %14llu %14llu\n", i,
		       (unsigned long long)p.cpus[i].written,
		       (unsigned long long)p.cpus[i].dropped);
		written += p.cpus[i].written;
		dropped += p.cpus[i].dropped;
	}
	printf("%5s %14llu %14llu\n\n", "all", (unsigned long long)written,
	       (unsigned long long)dropped);
	printf("%-10s %14s\n", "class", "switches");
	printf("---------- --------------\n");
	for (int c = 0; c < SS_CLASS_MAX; c++) {
		printf("%-10s %14llu\n", class_names[c],
		       (unsigned long long)p.switches[c]);
		sw += p.switches[c];
	}
	printf("%-10s %14llu\n", "all", (unsigned long long)sw);
	ss_kmod_proc_free(&p);
	return SS_OK;
}

/* ns per switch of ss-pingpong (found next to this executable) in mode,
 * pinned to cpu: the user-space figure next to the floor. 0 when it
 * cannot be run. */
static double user_pingpong(const char *mode, unsigned int cpu, uint64_t switches)
{
	char dir[PATH_MAX], pp[PATH_MAX + 16], sw[24], c[12], out[512];
	ssize_t n, len = 0;
	double ns = 0;
	int pfd[2], status;
	const char *p;
	pid_t pid;

	if (ss_exe_dir(dir, sizeof(dir)))
		return 0;
	snprintf(pp, sizeof(pp), "%s/ss-pingpong", dir);
	snprintf(sw, sizeof(sw), "%llu", (unsigned long long)switches);
	snprintf(c, sizeof(c), "%u", cpu);
	if (access(pp, X_OK) || pipe2(pfd, O_CLOEXEC))
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl(pp, pp, "--mode", mode, "--via", "futex", "--switches", sw,
		      "--cpu", c, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (pid > 0 && len < (ssize_t)sizeof(out) - 1 &&
	       (n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 0;
	p = strstr(out, " ns_per_switch=");
	if (p)
		ns = strtod(p + 15, NULL);
	return ns;
}

static void floor_row(const char *what, double ns, double floor_ns)
{
	if (ns > 0)
		printf("%-16s %12.1f %9.2f\n", what, ns, ns / floor_ns);
	else
		printf("%-16s %12s %9s\n", what, "failed", "-");
}

static int kmod_floor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "round-trips", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "kernel-only", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ss_kmod_floor f = { 0 };
	char err[512], dur[SS_DUR_BUF];
	int c, code, kernel_only = 0, json = 0;
	double floor_ns, thr = 0, proc = 0;
	uint64_t v;

	while ((c = getopt_long(argc, argv, "n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (ss_parse_u64(optarg, &v) || !v || v > SS_KMOD_FLOOR_MAX)
				return cli_usage("kmod", "bad round trips '%s' (1-%u)",
						 optarg, SS_KMOD_FLOOR_MAX);
			f.iterations = v;
			break;
		case 'c':
			if (ss_parse_u64(optarg, &v) || v > 65535)
				return cli_usage("kmod", "bad CPU '%s'", optarg);
			f.cpu = v;
			break;
		case 'k':
			kernel_only = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("kmod", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage("kmod", "unexpected argument '%s'", argv[optind]);
	code = ss_kmod_floor(&f, err, sizeof(err));
	if (code) {
		ss_err("%s", err);
		return code;
	}
	floor_ns = (double)f.elapsed_ns / f.switches;
	if (!kernel_only) {
		thr = user_pingpong("thread", f.cpu, f.switches);
		proc = user_pingpong("process", f.cpu, f.switches);
	}
	if (json) {
		printf("{\"cpu\": %u, \"switches\": %llu, \"floor_ns\": %.1f",
		       f.cpu, (unsigned long long)f.switches, floor_ns);
		if (!kernel_only)
			printf(", \"threads_ns\": %.1f, \"processes_ns\": %.1f", thr, proc);
		printf("}\n");
		return kernel_only || (thr > 0 && proc > 0) ? SS_OK : SS_EXIT_INTERNAL;
	}
	printf("in-kernel switch floor: %.1f ns per switch (%s, %llu switches, "
	       "2 kernel threads on CPU %u)\n", floor_ns,
	       ss_fmt_dur(dur, sizeof(dur), f.elapsed_ns),
	       (unsigned long long)f.switches, f.cpu);
	if (kernel_only)
		return SS_OK;
	printf("\nthe same hand-over in user space (ss-pingpong, futex, CPU %u):\n\n",
	       f.cpu);
	printf("%-16s %12s %9s\n", "kind", "ns/switch", "x floor");
	printf("---------------- ------------ ---------\n");
	floor_row("kernel threads", floor_ns, floor_ns);
	floor_row("threads", thr, floor_ns);
	floor_row("processes", proc, floor_ns);
	if (thr > 0 && proc > 0)
		return SS_OK;
	ss_err("a user-space ping-pong failed (is ss-pingpong next to switchscope?)");
	return SS_EXIT_INTERNAL;
}

int cmd_kmod(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "status";

	if (!strcmp(sub, "-h") || !strcmp(sub, "--help"))
		return cli_help(help);
	if (!strcmp(sub, "floor"))
		return kmod_floor(argc - 1, argv + 1);
	if (argc > 2)
		return cli_usage("kmod", "unexpected argument '%s'", argv[2]);
	if (!strcmp(sub, "status"))
		return kmod_status();
	if (!strcmp(sub, "counters"))
		return kmod_counters();
	return cli_usage("kmod", "unknown subcommand '%s'", sub);
}
