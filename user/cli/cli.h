/* Subcommands of the switchscope CLI. */
#ifndef SS_CLI_H
#define SS_CLI_H

#define X(name) int cmd_##name(int argc, char **argv);
#include "commands.h"
#undef X

/* Print help text for `switchscope <cmd> --help` and return 0. */
int cli_help(const char *text);
/* Complain about a bad option and return SS_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --coro-ring=MODE: an enum ss_ring_mode, or -1. */
int cli_ring_mode(const char *s);

#endif
