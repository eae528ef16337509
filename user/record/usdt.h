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

/* An argument of a probe site that a USDT consumer cannot read. */
struct ss_bad_arg {
	unsigned int index;	/* 1-based */
	char spec[128];		/* as in the note, e.g. 8@%fs:x@tpoff */
	uint64_t pc;		/* the site's address in the file */
	const char *why;	/* why it cannot be read */
	const char *fix;	/* what to change in the runtime */
};

/* The first argument of probe coro:name in path that cannot be read
 * (libbpf reads constants, registers and register+offset memory). Returns
 * 1 and fills out, 0 if every site looks readable, -1 if unreadable file. */
int ss_elf_coro_bad_arg(const char *path, const char *name, struct ss_bad_arg *out);

/* The dynamic loader in path: the addresses of _dl_debug_state and
 * _r_debug in the file (the r_debug protocol, <link.h>). 0 if it has both. */
int ss_elf_loader_syms(const char *path, uint64_t *debug_state, uint64_t *r_debug);
/* PT_INTERP of an executable into buf; 0 if it has one. */
int ss_elf_interp(const char *path, char *buf, size_t len);
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
/* Processes whose loader changed its link map (a dlopen mapped new
 * objects, or its start after exec): fn for each, stopped set when the
 * process was stopped (SIGSTOP) and must be continued once its new objects
 * are attached. Returns events or -errno. */
int ss_coro_dl_poll(struct ss_coro *c, void (*fn)(uint32_t tgid, int stopped, void *ctx),
		    void *ctx);
/* Is path a loader (a file with _dl_debug_state) whose dlopens are
 * watched? (It was given to ss_coro_attach.) */
int ss_coro_watched(const struct ss_coro *c, const char *path);

/* A coro probe of a file that has it but could not be attached, kept for
 * the life of the program (verify names them in its verdict). */
struct ss_coro_unattached {
	char path[256];		/* the file */
	char probe[16];		/* coro:<probe> */
	char spec[128];		/* the argument that cannot be read ("" unknown) */
	unsigned int index;	/* its 1-based position */
	const char *why;	/* why (NULL unknown) */
	const char *fix;	/* what to change (NULL unknown) */
	char libbpf[200];	/* libbpf's message, if any */
	int err;		/* errno of the attach */
};
size_t ss_coro_unattached(const struct ss_coro_unattached **out);
/* One line: "coro:switch of FILE not attached: argument 1 '...' ..." */
void ss_coro_unattached_str(const struct ss_coro_unattached *u, char *buf, size_t len);
/* Own ring buffer only (no shared maps): deliver records. */
int ss_coro_poll(struct ss_coro *c, ss_record_cb cb, void *ctx);
int ss_coro_lost(struct ss_coro *c, struct ss_cpu_lost *lost, unsigned int ncpu);
unsigned int ss_coro_binaries(const struct ss_coro *c);
int ss_coro_shared(const struct ss_coro *c);
void ss_coro_close(struct ss_coro *c);

#endif
