/* switchscope export: timelines for a browser or another tool. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "../export/export.h"
#include "ss.h"

static const char help[] =
"usage: switchscope export FILE [--format html|perfetto|json] [-o OUT]\n"
"                          [--from T] [--to T] [--pid PID[,PID...]]\n"
"\n"
"Write the trace FILE as a timeline:\n"
"  html      a self-contained viewer (default): CPU lanes, thread lanes\n"
"            (running / runnable / sleeping) with coroutine lanes nested\n"
"            under their thread, wakeup arrows; works offline\n"
"  perfetto  a Perfetto protobuf trace (ui.perfetto.dev, trace_processor):\n"
"            native CPU scheduling and thread state tracks, coroutine slices\n"
"  json      Chrome JSON trace events (Perfetto UI, chrome://tracing)\n"
"\n"
"  -f, --format FMT      html, perfetto or json\n"
"  -o, --output OUT      output file (default: FILE with .html, .pftrace or\n"
"                        .json instead of .trace; '-' for stdout)\n"
"      --from T          start of the window, time after the recording\n"
"                        start: 1.5 (seconds), 200ms, 30us, 100ns\n"
"      --to T            end of the window, same units\n"
"  -p, --pid PID[,PID]   only these processes\n"
"      --max-size SIZE   html: refuse when the file would be bigger than\n"
"                        SIZE (default 200M; 0: no limit); browsers do not\n"
"                        open much bigger ones: 'switchscope view' serves\n"
"                        any size, or export a window (--from/--to, --pid)\n"
"  -q, --quiet           no summary line\n"
"  -h, --help            this text\n"
"\n"
"Exit status: 0 ok, 2 usage (also: the html would be over --max-size;\n"
"nothing is written), 5 output not writable, 6 not a trace, 7 damaged\n"
"trace (the timeline covers the intact part), 8 internal.\n";

static const char *const ext[] = {
	[SS_EXPORT_HTML] = ".html",
	[SS_EXPORT_PERFETTO] = ".pftrace",
	[SS_EXPORT_JSON] = ".json",
};

int cli_window_opt(const char *cmd, int c, const char *arg, struct ss_export_opts *o,
		   uint32_t **pids, size_t *npids)
{
	switch (c) {
	case 'F':
		if (ss_parse_dur(arg, &o->from_ns))
			return cli_usage(cmd, "bad --from '%s'", arg);
		return 1;
	case 'T':
		if (ss_parse_dur(arg, &o->to_ns))
			return cli_usage(cmd, "bad --to '%s'", arg);
		return 1;
	case 'p':
		if (cli_parse_pids(arg, pids, npids))
			return cli_usage(cmd, "bad --pid '%s'", arg);
		return 1;
	}
	return 0;
}

int cli_window_open(const char *cmd, int argc, char **argv, int optind,
		    struct ss_export_opts *o, uint32_t *pids, size_t npids,
		    struct ss_reader **r)
{
	char err[512];
	int code;

	if (optind != argc - 1)
		code = cli_usage(cmd, optind >= argc ? "no trace file given" :
				 "one trace file, please");
	else if (o->from_ns > o->to_ns)
		code = cli_usage(cmd, "--from is after --to");
	else if ((*r = ss_reader_open(argv[optind], err, sizeof(err), &code)))
		code = 0;
	else
		ss_err("%s", err);
	if (code) {
		free(pids);
		return code;
	}
	o->pids = pids;
	o->npids = npids;
	return 0;
}

static char *default_output(const char *in, int fmt)
{
	size_t n = strlen(in);
	char *out = malloc(n + 16);

	if (!out)
		return NULL;
	memcpy(out, in, n + 1);
	if (n > 6 && !strcmp(in + n - 6, ".trace"))
		out[n - 6] = 0;
	strcat(out, ext[fmt]);
	return out;
}

/* A regular file (or a new one) is written beside itself and renamed over:
 * a failed export leaves no half file under the final name. Anything else
 * (a device, a FIFO, a symbolic link such as /dev/stdout) is written in
 * place: renaming over it would replace it. *tmp is NULL then. */
static FILE *open_output(const char *output, char **tmp)
{
	struct stat st;
	FILE *f;
	int fd;

	*tmp = NULL;
	if (lstat(output, &st) == 0 && !S_ISREG(st.st_mode))
		return fopen(output, "we");
	*tmp = malloc(strlen(output) + 16);
	if (!*tmp)
		return NULL;
	sprintf(*tmp, "%s.tmp%d", output, (int)getpid());
	fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "pid", required_argument, NULL, 'p' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ss_export_opts o = { .format = SS_EXPORT_HTML, .to_ns = UINT64_MAX };
	struct ss_export_stats st = { 0 };
	const char *output = NULL;
	char *def_out = NULL, *tmp = NULL;
	uint32_t *pids = NULL;
	size_t npids = 0;
	struct ss_reader *r;
	uint64_t max_size = SS_HTML_MAX_DEFAULT, size;
	int c, rc, code, quiet = 0;
	FILE *f;

	while ((c = getopt_long(argc, argv, "f:o:p:qh", opts, NULL)) != -1) {
		rc = cli_window_opt("export", c, optarg, &o, &pids, &npids);
		if (rc == 1)
			continue;
		if (rc) {
			free(pids);
			return rc;
		}
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "html"))
				o.format = SS_EXPORT_HTML;
			else if (!strcmp(optarg, "perfetto") || !strcmp(optarg, "pftrace"))
				o.format = SS_EXPORT_PERFETTO;
			else if (!strcmp(optarg, "json"))
				o.format = SS_EXPORT_JSON;
			else
				return cli_usage("export", "unknown format '%s' (html, perfetto, json)",
						 optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'M':
			if (ss_parse_size(optarg, 20, &max_size)) {
				free(pids);
				return cli_usage("export", "bad --max-size '%s' (e.g. 500M, 2G; 0: no limit)",
						 optarg);
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			free(pids);
			return cli_help(help);
		default:
			free(pids);
			return cli_usage("export", "unknown option");
		}
	}
	rc = cli_window_open("export", argc, argv, optind, &o, pids, npids, &r);
	if (rc)
		return rc;
	/* Before anything is written: an HTML file no browser opens helps
	 * nobody. */
	if (o.format == SS_EXPORT_HTML && max_size) {
		code = ss_export_html_size(r, &o, &size);
		if (code != SS_OK) {
			ss_err("export of %s failed (exit %d)", argv[optind], code);
			goto out;
		}
		if (size > max_size) {
			ss_err("the HTML viewer of %s would be about %llu MiB (over --max-size, "
			       "%llu MiB): browsers do not open files that big; use "
			       "'switchscope view %s', or export a window (--from/--to, --pid), "
			       "or raise --max-size", argv[optind],
			       (unsigned long long)(size >> 20), (unsigned long long)(max_size >> 20),
			       argv[optind]);
			code = SS_EXIT_USAGE;
			goto out;
		}
	}
	if (!output)
		output = def_out = default_output(argv[optind], o.format);
	if (!output) {
		code = SS_EXIT_INTERNAL;
		goto out;
	}
	if (!strcmp(output, "-")) {
		f = stdout;
	} else {
		f = open_output(output, &tmp);
		if (!f) {
			ss_err("cannot write %s: %s", output, strerror(errno));
			code = errno == ENOMEM ? SS_EXIT_INTERNAL : SS_EXIT_IO;
			goto out;
		}
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	code = ss_export(r, &o, f, &st);
	if (f != stdout) {
		if (fclose(f) && code == SS_OK)
			code = SS_EXIT_IO;
		if (tmp && code == SS_OK && rename(tmp, output))
			code = SS_EXIT_IO;
		if (tmp && code != SS_OK)
			unlink(tmp);
	}
	if (code == SS_EXIT_IO)
		ss_err("cannot write %s: %s", output, strerror(errno ? errno : EIO));
	else if (code == SS_EXIT_INTERNAL)
		ss_err("export of %s failed: out of memory", argv[optind]);
	else if (code != SS_OK)
		ss_err("export of %s failed (exit %d)", argv[optind], code);
	if (code == SS_OK) {
		code = ss_reader_report_damage(r, argv[optind]);
		if (!quiet && f != stdout)
			fprintf(stderr, "[ switchscope export: %llu records, %llu items, "
				"%llu lost records marked -> %s ]\n",
				(unsigned long long)st.records,
				(unsigned long long)st.items,
				(unsigned long long)st.lost, output);
	}
out:
	free(tmp);
	free(def_out);
	free(pids);
	ss_reader_close(r);
	return code;
}
