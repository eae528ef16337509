/* BPF backend: bpf/sched.bpf.c through its skeleton. Lifecycle as in
 * libbpf-bootstrap: open -> set rodata -> load -> attach -> consume. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "backend.h"
#include "bpf_common.h"
#include "cgroup.h"
#include "ss.h"
#include "sched.skel.h"

struct ss_backend {
	struct sched_bpf *skel;
	struct ring_buffer *rb;
	ss_record_cb cb;
	void *cb_ctx;
	unsigned int ncpu;
	struct ss_lost_cnt *lostbuf;
	int stacks;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ss_backend *b = ctx;
	const struct ss_hdr *h = data;

	if (size >= sizeof(*h) && h->size <= size)
		b->cb(b->cb_ctx, h);
	return 0;
}

static int bpf_open(struct ss_backend **out, const struct ss_backend_cfg *cfg,
		    char *err, size_t errlen)
{
	struct ss_backend *b;
	struct btf *vmlinux;
	size_t rb_bytes;
	int rc, code, tlb;

	code = ss_bpf_check_privileges(err, errlen);
	if (code)
		return code;
	b = calloc(1, sizeof(*b));
	if (!b)
		return SS_EXIT_INTERNAL;
	b->ncpu = ss_ncpu();
	b->lostbuf = calloc(b->ncpu, sizeof(*b->lostbuf));
	ss_bpf_quiet_libbpf();
	b->skel = sched_bpf__open();
	if (!b->lostbuf || !b->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		code = SS_EXIT_INTERNAL;
		goto fail;
	}
	rb_bytes = ss_bpf_ring_size(cfg->buffer_bytes);
	bpf_map__set_max_entries(b->skel->maps.events, rb_bytes);
	b->skel->rodata->trace_all = cfg->system_wide;
	b->skel->rodata->wake_bytes = rb_bytes / 4;
	b->skel->rodata->want_retuser = cfg->switch_in;
	b->skel->rodata->stop_new_exe = cfg->stop_new_exe;
	b->skel->rodata->want_stacks = cfg->stacks;
	b->stacks = cfg->stacks;
	SS_CG_RODATA(b->skel->rodata);

	vmlinux = btf__load_vmlinux_btf();
	tlb = ss_btf_has_tracepoint(vmlinux, "tlb_flush");
	b->skel->rodata->want_tlb = tlb;
	bpf_program__set_autoload(b->skel->progs.on_sys_exit, cfg->switch_in);
	bpf_program__set_autoload(b->skel->progs.on_sys_enter, cfg->syscalls);
	bpf_program__set_autoload(b->skel->progs.on_fault, cfg->syscalls &&
		ss_btf_has_tracepoint(vmlinux, "page_fault_user"));
	bpf_program__set_autoload(b->skel->progs.on_tlb_flush, tlb);
	bpf_program__set_autoload(b->skel->progs.on_wakeup, cfg->wakeup);
	bpf_program__set_autoload(b->skel->progs.on_cgroup_attach, ss_cg_active() != NULL);
	btf__free(vmlinux);

	rc = sched_bpf__load(b->skel);
	if (rc) {
		code = ss_bpf_load_error(rc, err, errlen);
		goto fail;
	}
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), on_sample, b, NULL);
	if (!b->rb) {
		snprintf(err, errlen, "cannot map the BPF ring buffer: %s", strerror(errno));
		code = SS_EXIT_INTERNAL;
		goto fail;
	}
	*out = b;
	return SS_OK;
fail:
	sched_bpf__destroy(b->skel);
	free(b->lostbuf);
	free(b);
	return code;
}

static int bpf_add_tgid(struct ss_backend *b, uint32_t tgid)
{
	__u8 one = 1;

	return bpf_map_update_elem(bpf_map__fd(b->skel->maps.tgids), &tgid, &one,
				   BPF_ANY) ? -errno : 0;
}

static int bpf_del_tgid(struct ss_backend *b, uint32_t tgid)
{
	return bpf_map_delete_elem(bpf_map__fd(b->skel->maps.tgids), &tgid) &&
	       errno != ENOENT ? -errno : 0;
}

/* New tasks and cgroup moves are seen before the others attach: a task
 * born while they attach is then named (and its process filtered in)
 * before any of its switches can be traced. */
static int bpf_watch(struct ss_backend *b, char *err, size_t errlen)
{
	struct bpf_program *progs[] = { b->skel->progs.on_newtask,
					b->skel->progs.on_cgroup_attach };
	struct bpf_link **links[] = { &b->skel->links.on_newtask,
				      &b->skel->links.on_cgroup_attach };

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *l;

		if (!bpf_program__autoload(progs[i]))
			continue;
		l = bpf_program__attach(progs[i]);
		if (!l) {
			int e = errno;

			snprintf(err, errlen, "cannot attach %s: %s",
				 bpf_program__name(progs[i]), strerror(e));
			return e == EPERM || e == EACCES ? SS_EXIT_PERM : SS_EXIT_UNSUPPORTED;
		}
		*links[i] = l;
		bpf_program__set_autoattach(progs[i], false);
	}
	return SS_OK;
}

static int bpf_start(struct ss_backend *b, char *err, size_t errlen)
{
	int rc = sched_bpf__attach(b->skel);

	if (rc) {
		snprintf(err, errlen, "cannot attach the BPF programs: %s", strerror(-rc));
		return rc == -EPERM || rc == -EACCES ? SS_EXIT_PERM : SS_EXIT_UNSUPPORTED;
	}
	return SS_OK;
}

static void bpf_stop(struct ss_backend *b)
{
	sched_bpf__detach(b->skel);
}

static int bpf_poll(struct ss_backend *b, int timeout_ms, ss_record_cb cb, void *ctx)
{
	int n, m;

	b->cb = cb;
	b->cb_ctx = ctx;
	/* Producers wake us only past a fill level; consume after the timeout
	 * whether or not a wakeup came. */
	n = ring_buffer__poll(b->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(b->rb);
	if (m < 0)
		return m;
	return (n > 0 ? n : 0) + m;
}

static int bpf_lost(struct ss_backend *b, struct ss_cpu_lost *lost, unsigned int ncpu)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.lost), &zero, b->lostbuf))
		return -errno;
	for (unsigned int i = 0; i < ncpu && i < b->ncpu; i++) {
		lost[i].count = b->lostbuf[i].count;
		lost[i].last_ts = b->lostbuf[i].last_ts;
	}
	return 0;
}

static int bpf_maps(struct ss_backend *b, struct ss_bpf_maps *out)
{
	out->events = bpf_map__fd(b->skel->maps.events);
	out->tgids = bpf_map__fd(b->skel->maps.tgids);
	out->lost = bpf_map__fd(b->skel->maps.lost);
	out->stack_seen = bpf_map__fd(b->skel->maps.stack_seen);
	out->stack_lost = bpf_map__fd(b->skel->maps.stack_lost);
	out->stacks = b->stacks;
	return 0;
}

static void bpf_close(struct ss_backend *b)
{
	ring_buffer__free(b->rb);
	sched_bpf__destroy(b->skel);
	free(b->lostbuf);
	free(b);
}

const struct ss_backend_ops ss_backend_bpf = {
	.name = "bpf",
	.id = SS_BACKEND_BPF,
	.open = bpf_open,
	.add_tgid = bpf_add_tgid,
	.del_tgid = bpf_del_tgid,
	.watch = bpf_watch,
	.start = bpf_start,
	.stop = bpf_stop,
	.poll = bpf_poll,
	.bpf_maps = bpf_maps,
	.lost = bpf_lost,
	.close = bpf_close,
};
