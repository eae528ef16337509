#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "kmod.h"
#include "ss.h"

static const char help[] =
"usage: switchscope kmod [status]\n"
"       switchscope kmod counters\n"
"       switchscope kmod floor [-n ROUND_TRIPS] [-c CPU]\n"
"\n"
"The kernel module backend (" SS_KMOD_KO ", /dev/switchscope).\n"
"\n"
"  status     is the module loaded, its ABI, the recording session\n"
"  counters   records written and dropped per CPU, switches by class\n"
"             (from " SS_KMOD_PROC ", the current or last session)\n"
"  floor      the in-kernel floor of a context switch: two kernel threads\n"
"             pinned to one CPU ping-pong; no user/kernel transition and no\n"
"             mm switch. Needs CAP_PERFMON or CAP_SYS_ADMIN.\n"
"  -n, --round-trips N   round trips, 2 switches each (default 100000)\n"
"  -c, --cpu CPU         the CPU both threads run on (default 0)\n"
"\n"
"Exit status: 0, 2 usage, 3 missing privilege, 4 module not loaded.\n";

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

static int kmod_floor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "round-trips", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ss_kmod_floor f = { 0 };
	char err[512], dur[SS_DUR_BUF];
	uint64_t v;
	int c, fd;

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
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("kmod", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage("kmod", "unexpected argument '%s'", argv[optind]);
	fd = ss_kmod_open(0, NULL, err, sizeof(err));
	if (fd < 0) {
		ss_err("%s", err);
		return -fd;
	}
	if (ioctl(fd, SS_IOC_FLOOR, &f)) {
		int e = errno;

		close(fd);
		if (e == EINVAL) {
			ss_err("CPU %u is not online", f.cpu);
			return SS_EXIT_USAGE;
		}
		ss_err("floor measurement failed: %s", strerror(e));
		return SS_EXIT_INTERNAL;
	}
	close(fd);
	printf("in-kernel switch floor: %.1f ns per switch (%s, %llu switches, "
	       "2 kernel threads on CPU %u)\n",
	       (double)f.elapsed_ns / f.switches,
	       ss_fmt_dur(dur, sizeof(dur), f.elapsed_ns),
	       (unsigned long long)f.switches, f.cpu);
	return SS_OK;
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
