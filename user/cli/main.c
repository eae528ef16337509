/* switchscope <command> [options]: dispatch to cmd_<command>(). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ring_read.h"
#include "ss.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
#define X(name) { #name, cmd_##name },
#include "commands.h"
#undef X
};

static const char *const summaries[][2] = {
	{ "record", "trace kernel and coroutine switches into a file" },
	{ "report", "tables: switches by class, latencies, tasks, coroutines" },
	{ "timehist", "one line per switch, kernel and coroutine, in time order" },
	{ "verify", "check that coroutine switches never enter the kernel" },
	{ "export", "write an HTML timeline, a Perfetto trace or Chrome JSON" },
	{ "view", "the HTML timeline of a trace of any size, served on 127.0.0.1" },
	{ "lab", "measure processes vs threads vs coroutines under tracing" },
	{ "kmod", "the kernel module backend: status, counters, floor" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: switchscope <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *s = "";

		for (size_t j = 0; j < sizeof(summaries) / sizeof(summaries[0]); j++)
			if (!strcmp(summaries[j][0], commands[i].name))
				s = summaries[j][1];
		fprintf(f, "   %-10s %s\n", commands[i].name, s);
	}
	fprintf(f, "\n'switchscope <command> --help' describes a command;"
		" 'switchscope --version' prints the\nversions of the program,"
		" of the trace format and of the module ABI.\n");
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return SS_OK;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "switchscope %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'switchscope %s --help')\n", cmd);
	return SS_EXIT_USAGE;
}

int cli_buffer_size(const char *cmd, const char *arg, size_t *out)
{
	uint64_t v;

	if (ss_parse_size(arg, 20, &v) || v < (64 << 10) || v > (1ull << 30))
		return cli_usage(cmd, "bad buffer size '%s' (64K to 1G)", arg);
	*out = v;
	return 0;
}

int cli_parse_pids(const char *arg, uint32_t **pids, size_t *n)
{
	const char *p = arg;

	while (*p) {
		char *end;
		unsigned long v;
		uint32_t *np;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || v == 0 || v > 0x3fffffff ||
		    (*end && *end != ','))
			return -1;
		np = realloc(*pids, (*n + 1) * sizeof(**pids));
		if (!np)
			return -1;
		*pids = np;
		(*pids)[(*n)++] = v;
		p = *end ? end + 1 : end;
	}
	return *n ? 0 : -1;
}

int cli_ring_mode(const char *cmd, const char *arg, int *out)
{
	static const char *const names[] = {
		[SS_RING_AUTO] = "auto", [SS_RING_OFF] = "off",
		[SS_RING_COUNTER] = "counter", [SS_RING_MONOTONIC] = "monotonic",
	};

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i])) {
			*out = (int)i;
			return 0;
		}
	return cli_usage(cmd, "bad --coro-ring '%s' (auto, counter, monotonic or off)", arg);
}

int main(int argc, char **argv)
{
	static char prog[64];

	if (argc < 2) {
		usage(stderr);
		return SS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return SS_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		/* What a bug report needs: the files and module this build
		 * reads and writes. */
		printf("switchscope %s\ntrace format %u.%u\nmodule ABI %u.%u\n",
		       SS_VERSION, SS_FILE_MAJOR, SS_FILE_MINOR,
		       SS_KMOD_ABI_MAJOR, SS_KMOD_ABI_MINOR);
		return SS_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		snprintf(prog, sizeof(prog), "switchscope %s", commands[i].name);
		ss_prog = prog;
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "switchscope: '%s' is not a command\n", argv[1]);
	usage(stderr);
	return SS_EXIT_USAGE;
}
