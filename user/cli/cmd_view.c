/* switchscope view: the HTML viewer served from the trace, for traces too
 * big for one self-contained file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "../export/export.h"
#include "../view/vapi.h"
#include "../view/vindex.h"
#include "../view/vserver.h"
#include "ss.h"

extern char **environ;

static const char help[] =
"usage: switchscope view FILE [--port N] [--no-open] [--from T --to T] [--pid P]\n"
"\n"
"Serve the viewer of `export --format html` from the trace FILE on a local\n"
"HTTP server, for traces of any size: the browser gets what the screen\n"
"shows (at most about 5 records per pixel and lane), never the whole trace.\n"
"An index of the trace is built first, in an unlinked file under TMPDIR\n"
"(else /var/tmp): about 42 bytes per record of the trace on disk, 1.3 in\n"
"memory. Prints the URL, with a random token that every request must\n"
"carry, and opens it in a browser (xdg-open). Ctrl-C stops.\n"
"\n"
"  -P, --port N          listen on 127.0.0.1:N (default 0: any free port)\n"
"      --bind ADDR       only 127.0.0.1 (or localhost): the server never\n"
"                        listens beyond this machine\n"
"  -n, --no-open         do not start a browser\n"
"      --from T          index only from T (time after the recording start:\n"
"                        1.5 (seconds), 200ms, 30us, 100ns)\n"
"      --to T            index only up to T\n"
"  -p, --pid PID[,PID]   only these processes\n"
"  -q, --quiet           print the URL only\n"
"  -h, --help            this text\n"
"\n"
"Exit status: 0 stopped by SIGINT or SIGTERM, 2 usage (also a bind address\n"
"other than loopback, a port in use), 5 index file not writable, 6 not a\n"
"trace, 7 damaged trace (the index covers the intact part; the server\n"
"still runs), 8 internal.\n";

static const char *index_dir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/var/tmp";
}

/* xdg-open URL, if there is one; its output is not ours. */
static void open_browser(const char *url)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	char *argv[] = { "xdg-open", (char *)url, NULL };
	pid_t pid;

	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	if (posix_spawnp(&pid, "xdg-open", &fa, &at, argv, environ))
		fprintf(stderr, "[ switchscope view: no xdg-open: open the URL yourself ]\n");
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
}

static int loopback(const char *a)
{
	return !strcmp(a, "127.0.0.1") || !strcmp(a, "localhost");
}

int cmd_view(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'P' },
		{ "bind", required_argument, NULL, 'B' },
		{ "no-open", no_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "pid", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ss_export_opts o = { .format = SS_EXPORT_HTML, .to_ns = UINT64_MAX };
	struct vindex *x = NULL;
	struct vserver *s = NULL;
	uint32_t *pids = NULL;
	size_t npids = 0, pagelen;
	int c, rc, code, build, quiet = 0, no_open = 0, sig;
	uint64_t port = 0;
	struct ss_reader *r;
	char err[512], url[128], *page;
	sigset_t set;

	while ((c = getopt_long(argc, argv, "P:np:qh", opts, NULL)) != -1) {
		rc = cli_window_opt("view", c, optarg, &o, &pids, &npids);
		if (rc == 1)
			continue;
		if (rc) {
			free(pids);
			return rc;
		}
		switch (c) {
		case 'P':
			if (ss_parse_u64(optarg, &port) || port > 65535) {
				free(pids);
				return cli_usage("view", "bad --port '%s' (0 to 65535)", optarg);
			}
			break;
		case 'B':
			if (!loopback(optarg)) {
				free(pids);
				return cli_usage("view", "refusing to listen on '%s': the trace "
						 "would be readable from other machines; only "
						 "127.0.0.1 (loopback)", optarg);
			}
			break;
		case 'n':
			no_open = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			free(pids);
			return cli_help(help);
		default:
			free(pids);
			return cli_usage("view", "unknown option");
		}
	}
	rc = cli_window_open("view", argc, argv, optind, &o, pids, npids, &r);
	if (rc)
		return rc;
	build = vindex_build(r, &o, index_dir(), &x, err, sizeof(err));
	if (!x) {
		ss_err("%s", err);
		code = build;
		goto out;
	}
	code = ss_reader_report_damage(r, argv[optind]);
	if (!quiet) {
		fprintf(stderr, "[ switchscope view: index of %llu records (%llu slices and marks, "
			"%.1f MiB in %s) built in %.2f s ]\n",
			(unsigned long long)x->records, (unsigned long long)x->entries,
			x->maplen / 1048576.0, index_dir(), x->build_s);
		fprintf(stderr, "[ server memory: %.1f MiB of index tables; at most %d "
			"connections, each holding at most %.1f MiB of an answer (a window's "
			"is made and sent a lane at a time); the index file's pages are the "
			"kernel's cache ]\n",
			vindex_heap(x) / 1048576.0, VSERVER_CONNECTIONS,
			VAPI_LANE_BYTES / 1048576.0);
		if (x->stacks)
			fprintf(stderr, "[ stacks: the trace's stack table, and the stack ids "
				"of %llu intervals and parks (%.1f MiB, a second index file: "
				"the kernel's cache too) ]\n", (unsigned long long)x->nstk,
				x->nstk * sizeof(struct vstk) / 1048576.0);
	}
	page = vapi_page(x, o.title ? o.title : ss_reader_meta(r)->cmdline, &pagelen);
	if (!page) {
		ss_err("out of memory");
		code = SS_EXIT_INTERNAL;
		goto out;
	}
	/* The server's threads inherit the mask: the signals come here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* xdg-open is not waited for */
	s = vserver_start(x, page, pagelen, port, err, sizeof(err), &build);
	if (!s) {
		free(page);
		ss_err("%s", err);
		code = build;
		goto out;
	}
	vindex_prefault(x);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/?token=%s", vserver_port(s),
		 vserver_token(s));
	printf("%s\n", url);
	fflush(stdout);
	if (!quiet)
		fprintf(stderr, "[ switchscope view: serving %s; Ctrl-C stops ]\n", argv[optind]);
	if (!no_open)
		open_browser(url);
	do {
		if (sigwait(&set, &sig))
			break;
	} while (sig != SIGINT && sig != SIGTERM);
	vserver_stop(s);
	if (!quiet)
		fprintf(stderr, "[ switchscope view: stopped ]\n");
out:
	vindex_free(x);
	ss_reader_close(r);
	free(pids);
	return code;
}
