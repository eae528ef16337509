/* Finding the coro:* USDT probes in binaries and processes, and attaching
 * bpf/coro.bpf.c to them. */
#ifndef SS_USDT_H
#define SS_USDT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"

#define SS_CORO_PROVIDER "coro"
#define SS_CORO_PROBE_RING 6	/* index of "ring" in ss_coro_probe_names */

/* Probe names of provider "coro" the ELF file at path has (a bit per entry
 * of ss_coro_probe_names), 0 if none or not an ELF file. */
unsigned int ss_elf_coro_probes(const char *path);
extern const char *const ss_coro_probe_names[];
extern const unsigned int ss_coro_nprobes;

/* Resolve a command name as execvp would (PATH search). Returns 0 and
 * fills out, or -1. */
int ss_resolve_cmd(const char *cmd, char *out, size_t len);

/* Call fn for the executable and each shared library it loads at start
 * (resolved by its own dynamic loader, in list mode: nothing runs). */
int ss_each_startup_object(const char *exe, void (*fn)(const char *path, void *ctx),
			   void *ctx);
/* Call fn for each file-backed executable mapping of a live process. */
int ss_each_mapped_object(pid_t pid, void (*fn)(const char *path, void *ctx),
			  void *ctx);

struct ss_coro;

/* Load the coroutine programs. With maps from the BPF backend, records go to
 * its ring buffer and filter; without, a ring buffer and a fork-following
 * filter of their own (polled with ss_coro_poll). ss_exit code. */
int ss_coro_open(struct ss_coro **out, const struct ss_bpf_maps *shared,
		 int system_wide, char *err, size_t errlen);
/* Attach to every coro probe of the binary at path, once per file.
 * Returns the number of probes attached (0: none in it) or -errno. */
int ss_coro_attach(struct ss_coro *c, const char *path);
int ss_coro_add_tgid(struct ss_coro *c, uint32_t tgid);
/* Attach coro:ring from now on (off: runtimes never start a trace ring). */
void ss_coro_set_ring(struct ss_coro *c, int on);
/* Own ring buffer only (no shared maps): deliver records. */
int ss_coro_poll(struct ss_coro *c, ss_record_cb cb, void *ctx);
int ss_coro_lost(struct ss_coro *c, struct ss_cpu_lost *lost, unsigned int ncpu);
unsigned int ss_coro_binaries(const struct ss_coro *c);
int ss_coro_shared(const struct ss_coro *c);
void ss_coro_close(struct ss_coro *c);

#endif
