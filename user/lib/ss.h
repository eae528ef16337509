/* Shared user-space helpers: exit codes, errors, time formatting. */
#ifndef SS_UTIL_H
#define SS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "switchscope.h"

/* Exit codes of every switchscope command (README, "Exit codes"). */
enum ss_exit_code {
	SS_OK = 0,
	SS_EXIT_VIOLATION = 1,	/* verify: a coroutine switch entered the kernel */
	SS_EXIT_USAGE = 2,	/* bad option, PID that does not exist */
	SS_EXIT_PERM = 3,	/* missing privilege (capability, device access) */
	SS_EXIT_UNSUPPORTED = 4, /* kernel lacks BTF/BPF, module not loaded, no probes */
	SS_EXIT_IO = 5,		/* output not writable, disk full */
	SS_EXIT_BADTRACE = 6,	/* not a trace, newer major version, header corrupt */
	SS_EXIT_DAMAGED = 7,	/* trace damaged: results cover the intact part */
	SS_EXIT_INTERNAL = 8,	/* out of memory, unexpected failure */
	SS_EXIT_INCONCLUSIVE = 9, /* verify: no probes, too few switches, lost events */
	SS_EXIT_EXEC = 127,	/* record/verify: the command could not be run */
};

extern const char *ss_prog;	/* "switchscope" or "switchscope <cmd>" */

/* Print "switchscope <cmd>: message" to stderr. */
void ss_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ss_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC / CLOCK_REALTIME now, ns. */
uint64_t ss_now_ns(void);
uint64_t ss_realtime_ns(void);

/* Format a duration in ns into buf with 3-4 significant digits and a unit
 * (ns, us, ms, s): the one time formatter of all terminal output. */
const char *ss_fmt_dur(char *buf, size_t len, uint64_t ns);
#define SS_DUR_BUF 16
/* Print text wrapped at width columns: the first line after `first`, the
 * rest indented by `indent` blanks; ends with a newline. */
void ss_wrap(FILE *f, const char *first, int indent, int width, const char *text);

/* Name of a record type, "switch" etc.; "type-N" for unknown ones. */
const char *ss_type_name(unsigned int type);
const char *ss_class_name(unsigned int cls);
const char *ss_park_reason_name(unsigned int reason);

/* Minimum size a record of this type must have (0: unknown type). */
unsigned int ss_type_min_size(unsigned int type);
/* The stack ids a switch, waking or coroutine park record carries when it
 * was recorded with --stacks; NULL otherwise (include/switchscope.h). */
const struct ss_stack_ids *ss_rec_stacks(const struct ss_hdr *h);

/* Syscall name by number for the trace's machine ("x86_64", "aarch64");
 * NULL when unknown. */
const char *ss_syscall_name(const char *machine, unsigned int nr);

/* JSON string escaping to a stream. */
void ss_json_str(FILE *f, const char *s);

/* The directory of this executable, where the workloads it runs are
 * built next to it; returns 0, or -1 with errno set. */
int ss_exe_dir(char *buf, size_t len);

/* Read /proc/TGID/task/TID/stat into buf; returns the ')' that ends the
 * task's name (the fields follow it), or NULL. */
char *ss_proc_stat(uint32_t tgid, uint32_t tid, char *buf, size_t len);

/* Parse a non-negative decimal; returns 0 on success. */
int ss_parse_u64(const char *s, uint64_t *out);

/* Parse a size "64K", "16M", "1G", or a bare number of 2^shift bytes. */
int ss_parse_size(const char *s, unsigned int shift, uint64_t *out);

/* Parse a duration "1.5", "10s", "200ms", "3us", "100ns" into ns. */
int ss_parse_dur(const char *s, uint64_t *out);

#endif
