#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec_coro.h"
#include "ring_read.h"
#include "ss.h"
#include "usdt.h"

/* After an exec, the dynamic loader maps libraries, and the program may
 * dlopen more. Each change of a watched loader's link map is seen (its
 * _dl_debug_state, user/record/coro_probes.c): such a process is looked at
 * once after its exec. One whose loader is not watched (none found in its
 * mappings) is looked at again at these delays. */
static const uint64_t rescan_after_ns[] = { 0, 20000000, 200000000, 2000000000 };
#define NRESCAN (sizeof(rescan_after_ns) / sizeof(rescan_after_ns[0]))
#define MAX_PENDING 256

struct scan {
	uint32_t tgid;
	uint32_t step;		/* next index into rescan_after_ns */
	uint64_t base;		/* exec time (CLOCK_MONOTONIC) */
};

struct rec_coro {
	struct ss_coro *c;
	struct scan pending[MAX_PENDING];
	size_t npending;
};

/* The loader of this program is most likely that of the traced ones: watch
 * it from the start (with -a, processes that run already are seen at their
 * next dlopen). */
static void watch_own_loader(struct rec_coro *rc)
{
	char interp[PATH_MAX];

	if (ss_elf_interp("/proc/self/exe", interp, sizeof(interp)) == 0)
		ss_coro_attach(rc->c, interp);
}

struct rec_coro *rec_coro_open(const struct ss_record_opts *o,
			       const struct ss_backend_ops *ops,
			       struct ss_backend *be, int *code)
{
	struct ss_bpf_maps maps, *shared = NULL;
	struct rec_coro *rc;
	char err[512];

	*code = SS_OK;
	if (o->no_coro)
		return NULL;
	rc = calloc(1, sizeof(*rc));
	if (!rc) {
		*code = SS_EXIT_INTERNAL;
		return NULL;
	}
	if (ops->bpf_maps && ops->bpf_maps(be, &maps) == 0)
		shared = &maps;
	*code = ss_coro_open(&rc->c, shared, o->system_wide, err, sizeof(err));
	if (!*code)
		ss_coro_set_ring(rc->c, o->coro_ring != SS_RING_OFF);
	if (*code) {
		free(rc);
		if (!o->nusdt) {
			ss_warn("coroutine probes are off: %s", err);
			*code = SS_OK;
		} else {
			ss_err("%s", err);
		}
		return NULL;
	}
	for (size_t i = 0; i < o->nusdt; i++) {
		int n = ss_coro_attach(rc->c, o->usdt[i]);

		if (n <= 0) {
			ss_err("%s: %s", o->usdt[i], n < 0 ? strerror(-n) :
			       "no coro:* USDT probes in this file (see docs/PROBES.md)");
			*code = n == -ENOENT ? SS_EXIT_USAGE : SS_EXIT_UNSUPPORTED;
			rec_coro_close(rc);
			return NULL;
		}
	}
	watch_own_loader(rc);
	return rc;
}

static void attach_cb(const char *path, void *ctx)
{
	ss_coro_attach(ctx, path);
}

void rec_coro_command(struct rec_coro *rc, const char *cmd)
{
	char exe[PATH_MAX];

	if (rc && ss_resolve_cmd(cmd, exe, sizeof(exe)) == 0)
		ss_each_startup_object(exe, attach_cb, rc->c);
}

/* Mapped files seen through the process's root, in case it lives in
 * another mount namespace. */
struct pid_ctx {
	struct ss_coro *c;
	uint32_t pid;
	int watched;		/* it maps a loader whose dlopens are watched */
};

static void mapped_cb(const char *path, void *ctx)
{
	struct pid_ctx *pc = ctx;
	char full[PATH_MAX + 32];

	if (strstr(path, " (deleted)"))
		return;
	snprintf(full, sizeof(full), "/proc/%u/root%s", pc->pid, path);
	ss_coro_attach(pc->c, full);
	pc->watched |= ss_coro_watched(pc->c, full);
}

/* Attach to what a process maps; 1 if its dlopens are watched. */
static int scan_pid(struct rec_coro *rc, uint32_t pid)
{
	struct pid_ctx pc = { rc->c, pid, 0 };

	ss_each_mapped_object(pid, mapped_cb, &pc);
	return pc.watched;
}

void rec_coro_pid(struct rec_coro *rc, uint32_t pid)
{
	if (rc)
		scan_pid(rc, pid);
}

/* Right after an exec the libraries are not mapped yet: ask the new
 * program's loader which it will load. */
static void startup_objects(struct rec_coro *rc, uint32_t tgid)
{
	char link[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", tgid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	ss_each_startup_object(exe, attach_cb, rc->c);
}

int rec_coro_add_tgid(struct rec_coro *rc, uint32_t tgid)
{
	return rc ? ss_coro_add_tgid(rc->c, tgid) : 0;
}

void rec_coro_record(struct rec_coro *rc, const struct ss_hdr *h)
{
	const struct ss_exec *e = (const void *)h;

	if (!rc || h->type != SS_EV_EXEC || rc->npending == MAX_PENDING)
		return;
	rc->pending[rc->npending++] = (struct scan){ e->tgid, 0, ss_now_ns() };
}

void rec_coro_exec_now(struct rec_coro *rc, uint32_t tgid)
{
	int watched;

	if (!rc)
		return;
	startup_objects(rc, tgid);
	watched = scan_pid(rc, tgid);
	/* its first scan is done (a second ld.so --list would hold up the
	 * dlopens the process may make at once) */
	for (size_t i = 0; i < rc->npending; i++)
		if (rc->pending[i].tgid == tgid && rc->pending[i].step == 0)
			rc->pending[i].step = watched ? NRESCAN : 1;
}

/* A loader changed its link map: attach to what the process maps now,
 * then let it go on if it was stopped for that. */
static void on_dl_event(uint32_t tgid, int stopped, void *ctx)
{
	rec_coro_pid(ctx, tgid);
	if (stopped)
		kill(tgid, SIGCONT);
}

void rec_coro_tick(struct rec_coro *rc, uint64_t now, ss_record_cb cb, void *ctx)
{
	size_t keep = 0;

	if (!rc)
		return;
	ss_coro_dl_poll(rc->c, on_dl_event, rc);
	for (size_t i = 0; i < rc->npending; i++) {
		struct scan *s = &rc->pending[i];

		if (s->step < NRESCAN && now >= s->base + rescan_after_ns[s->step]) {
			if (s->step == 0)
				startup_objects(rc, s->tgid);
			/* watched: its dlopens will tell, no need to look again */
			s->step = scan_pid(rc, s->tgid) ? NRESCAN : s->step + 1;
		}
		if (s->step < NRESCAN)
			rc->pending[keep++] = *s;
	}
	rc->npending = keep;
	ss_coro_poll(rc->c, cb, ctx);
}

int rec_coro_lost(struct rec_coro *rc, struct ss_cpu_lost *lost, unsigned int ncpu)
{
	return rc ? ss_coro_lost(rc->c, lost, ncpu) : 0;
}

unsigned int rec_coro_binaries(const struct rec_coro *rc)
{
	return rc ? ss_coro_binaries(rc->c) : 0;
}

void rec_coro_close(struct rec_coro *rc)
{
	if (!rc)
		return;
	ss_coro_close(rc->c);
	free(rc);
}
