/* Loading bpf/trigger.bpf.c: open -> rodata -> reuse the shared maps ->
 * load -> attach; the recorder re-arms it through its mmap'd .bss. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "backend.h"
#include "bpf_common.h"
#include "flight.h"
#include "ss.h"
#include "trigger.h"
#include "trigger.skel.h"

struct ss_trig {
	struct trigger_bpf *skel;
};

int ss_trig_open(struct ss_trig **out, const struct ss_flight_opts *fo,
		 const struct ss_bpf_maps *maps, int system_wide, char *err, size_t errlen)
{
	struct ss_trig *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return SS_EXIT_INTERNAL;
	ss_bpf_quiet_libbpf();
	t->skel = trigger_bpf__open();
	if (!t->skel) {
		snprintf(err, errlen, "cannot open the trigger BPF object: %s", strerror(errno));
		free(t);
		return SS_EXIT_INTERNAL;
	}
	t->skel->rodata->trace_all = system_wide;
	t->skel->rodata->runqlat_ns = fo->runqlat_ns;
	t->skel->rodata->runqlat_tid = fo->runqlat_tid;
	t->skel->rodata->offcpu_ns = fo->offcpu_ns;
	t->skel->rodata->offcpu_tid = fo->offcpu_tid;
	if (bpf_map__reuse_fd(t->skel->maps.events, maps->events) ||
	    bpf_map__reuse_fd(t->skel->maps.tgids, maps->tgids) ||
	    bpf_map__reuse_fd(t->skel->maps.lost, maps->lost)) {
		snprintf(err, errlen, "cannot share maps with the trigger programs: %s",
			 strerror(errno));
		ss_trig_close(t);
		return SS_EXIT_INTERNAL;
	}
	rc = trigger_bpf__load(t->skel);
	if (rc) {
		rc = ss_bpf_load_error(rc, err, errlen);
		ss_trig_close(t);
		return rc;
	}
	*out = t;
	return SS_OK;
}

int ss_trig_start(struct ss_trig *t, char *err, size_t errlen)
{
	int rc = trigger_bpf__attach(t->skel);

	if (rc) {
		snprintf(err, errlen, "cannot attach the trigger programs: %s", strerror(-rc));
		return rc == -EPERM || rc == -EACCES ? SS_EXIT_PERM : SS_EXIT_UNSUPPORTED;
	}
	ss_trig_arm(t);
	return SS_OK;
}

void ss_trig_arm(void *ctx)
{
	struct ss_trig *t = ctx;

	if (t)
		__atomic_store_n(&t->skel->bss->armed, 1, __ATOMIC_RELEASE);
}

void ss_trig_close(struct ss_trig *t)
{
	if (!t)
		return;
	trigger_bpf__destroy(t->skel);
	free(t);
}
