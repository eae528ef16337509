/* Subcommands of the switchscope CLI. */
#ifndef SS_CLI_H
#define SS_CLI_H

#include <stddef.h>
#include <stdint.h>

#define X(name) int cmd_##name(int argc, char **argv);
#include "commands.h"
#undef X

/* Print help text for `switchscope <cmd> --help` and return 0. */
int cli_help(const char *text);
/* Complain about a bad option and return SS_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Options record and verify share: 0, or a message and SS_EXIT_USAGE.
 * -m SIZE: 64K to 1G; --coro-ring=MODE: an enum ss_ring_mode. */
int cli_buffer_size(const char *cmd, const char *arg, size_t *out);
int cli_ring_mode(const char *cmd, const char *arg, int *out);

/* PID[,PID...] (export, view): 0, or -1 (bad list, out of memory); *pids
 * grows, the caller frees it. */
int cli_parse_pids(const char *arg, uint32_t **pids, size_t *n);

/* --from T, --to T, --pid P (getopt codes 'F', 'T', 'p'; export and
 * view): 1 when c is one of them and good, 0 when c is another option,
 * else SS_EXIT_USAGE (said). */
struct ss_export_opts;
int cli_window_opt(const char *cmd, int c, const char *arg, struct ss_export_opts *o,
		   uint32_t **pids, size_t *npids);
/* After the options: one trace file, a window that is one, the file
 * opened into *r; the pids go into o. 0, or an exit code (said; pids
 * freed). */
struct ss_reader;
int cli_window_open(const char *cmd, int argc, char **argv, int optind,
		    struct ss_export_opts *o, uint32_t *pids, size_t npids,
		    struct ss_reader **r);

#endif
