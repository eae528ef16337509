/* The recorder's side of the coroutine probes: which binaries to attach,
 * when (before the command starts, at each exec of a traced process). */
#ifndef SS_REC_CORO_H
#define SS_REC_CORO_H

#include "backend.h"
#include "recorder.h"

struct rec_coro;

/* NULL with *code SS_OK when coroutine probes are off or cannot be loaded
 * (a warning says why); an error code when --usdt was asked and failed. */
struct rec_coro *rec_coro_open(const struct ss_record_opts *o,
			       const struct ss_backend_ops *ops,
			       struct ss_backend *be, int *code);
/* Attach before the traced command runs: its executable and the libraries
 * it loads at start. */
void rec_coro_command(struct rec_coro *rc, const char *cmd);
void rec_coro_pid(struct rec_coro *rc, uint32_t pid);
int rec_coro_add_tgid(struct rec_coro *rc, uint32_t tgid);
/* Look at a record: an exec of a traced process schedules scans of what it
 * maps. */
void rec_coro_record(struct rec_coro *rc, const struct ss_hdr *h);
/* A traced process was stopped at exec: attach to what it will run now. */
void rec_coro_exec_now(struct rec_coro *rc, uint32_t tgid);
/* Do the scans that are due; deliver records of a standalone ring buffer. */
void rec_coro_tick(struct rec_coro *rc, uint64_t now, ss_record_cb cb, void *ctx);
int rec_coro_lost(struct rec_coro *rc, struct ss_cpu_lost *lost, unsigned int ncpu);
unsigned int rec_coro_binaries(const struct rec_coro *rc);
void rec_coro_close(struct rec_coro *rc);

#endif
