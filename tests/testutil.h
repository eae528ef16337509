/* Helpers for tests that run switchscope and read what it wrote. */
#ifndef SS_TESTUTIL_H
#define SS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "trace.h"

/* Directory of the built executables: $SS_BIN or build/bin. */
const char *tu_bin(void);
/* A fresh path under a per-test temp dir. */
const char *tu_tmp(const char *name);
/* Run argv (argv[0] looked up in tu_bin() when it has no '/'); stdout and
 * stderr captured into *out / *err (malloc'd, may be NULL). Returns the
 * exit code, 128+signal, or -1. */
int tu_run(char *const argv[], char **out, char **err);
#define TU_RUN(out, err, ...) tu_run((char *const[]){ __VA_ARGS__, NULL }, out, err)

/* Analyse a whole trace file; returns 0 or an ss_exit code. */
int tu_analyse(const char *path, struct ss_analysis *a);

/* Call fn for every record of a trace. Returns records seen or -1. */
long tu_each(const char *path, void (*fn)(const struct ss_hdr *h, void *ctx),
	     void *ctx);

/* Parse "tids=a,b" of ss-pingpong's output. */
int tu_pingpong_tids(const char *out, uint32_t *a, uint32_t *b);

#endif
