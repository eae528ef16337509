/* bpf/coro.bpf.c: load once, attach to each binary that has coro probes. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_common.h"
#include "coro.skel.h"
#include "ss.h"
#include "usdt.h"

struct bin {
	dev_t dev;
	ino_t ino;
};

struct ss_coro {
	struct coro_bpf *skel;
	int shared;
	struct ring_buffer *rb;
	ss_record_cb cb;
	void *cb_ctx;
	struct bin *bins;	/* binaries looked at (attached or not) */
	size_t nbins;
	unsigned int attached;	/* binaries with probes attached */
	int ring;		/* attach coro:ring */
	struct bpf_link **links;
	size_t nlinks;
	unsigned int ncpu;
	struct ss_lost_cnt *lostbuf;
};

static struct bpf_program *prog_for(struct coro_bpf *s, unsigned int i)
{
	struct bpf_program *p[] = {
		s->progs.on_coro_create, s->progs.on_coro_switch, s->progs.on_coro_park,
		s->progs.on_coro_ready, s->progs.on_coro_exit, s->progs.on_coro_stats,
		s->progs.on_coro_ring,
	};
	return i < sizeof(p) / sizeof(p[0]) ? p[i] : NULL;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ss_coro *c = ctx;
	const struct ss_hdr *h = data;

	if (size >= sizeof(*h) && h->size <= size)
		c->cb(c->cb_ctx, h);
	return 0;
}

int ss_coro_open(struct ss_coro **out, const struct ss_bpf_maps *shared,
		 int system_wide, char *err, size_t errlen)
{
	struct ss_coro *c = calloc(1, sizeof(*c));
	int rc, code = SS_EXIT_INTERNAL;

	if (!c)
		return SS_EXIT_INTERNAL;
	c->ncpu = ss_ncpu();
	c->lostbuf = calloc(c->ncpu, sizeof(*c->lostbuf));
	ss_bpf_quiet_libbpf();
	c->skel = coro_bpf__open();
	if (!c->lostbuf || !c->skel) {
		snprintf(err, errlen, "cannot open the coroutine BPF object: %s", strerror(errno));
		goto fail;
	}
	c->shared = shared != NULL;
	c->skel->rodata->trace_all = system_wide;
	if (shared) {
		if (bpf_map__reuse_fd(c->skel->maps.events, shared->events) ||
		    bpf_map__reuse_fd(c->skel->maps.tgids, shared->tgids) ||
		    bpf_map__reuse_fd(c->skel->maps.lost, shared->lost)) {
			snprintf(err, errlen, "cannot share maps with the coroutine programs: %s",
				 strerror(errno));
			goto fail;
		}
	}
	bpf_program__set_autoload(c->skel->progs.on_newtask_follow, !shared);
	rc = coro_bpf__load(c->skel);
	if (rc) {
		code = ss_bpf_load_error(rc, err, errlen);
		goto fail;
	}
	if (!shared) {
		c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_sample, c, NULL);
		if (!c->rb || coro_bpf__attach(c->skel)) {
			snprintf(err, errlen, "cannot set up the coroutine ring buffer: %s",
				 strerror(errno));
			goto fail;
		}
	}
	*out = c;
	return SS_OK;
fail:
	ring_buffer__free(c->rb);
	coro_bpf__destroy(c->skel);
	free(c->lostbuf);
	free(c);
	return code;
}

int ss_coro_attach(struct ss_coro *c, const char *path)
{
	unsigned int probes, n = 0;
	struct stat st;
	int err = 0;

	if (stat(path, &st))
		return -errno;
	for (size_t i = 0; i < c->nbins; i++)
		if (c->bins[i].dev == st.st_dev && c->bins[i].ino == st.st_ino)
			return 0;
	{
		struct bin *nb = realloc(c->bins, (c->nbins + 1) * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		c->bins = nb;
		c->bins[c->nbins++] = (struct bin){ st.st_dev, st.st_ino };
	}
	probes = ss_elf_coro_probes(path);
	for (unsigned int i = 0; i < ss_coro_nprobes; i++) {
		struct bpf_link *l, **nl;

		if (!(probes & (1u << i)) || (i == SS_CORO_PROBE_RING && !c->ring))
			continue;
		/* Every process mapping the file: the program filters by
		 * tgid, and processes started later are covered. */
		l = bpf_program__attach_usdt(prog_for(c->skel, i), -1, path,
					     SS_CORO_PROVIDER, ss_coro_probe_names[i], NULL);
		if (!l) {
			err = -errno;
			continue;
		}
		nl = realloc(c->links, (c->nlinks + 1) * sizeof(*nl));
		if (!nl) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		c->links = nl;
		c->links[c->nlinks++] = l;
		n++;
	}
	if (n)
		c->attached++;
	return n ? (int)n : err;
}

void ss_coro_set_ring(struct ss_coro *c, int on)
{
	c->ring = on;
}

int ss_coro_add_tgid(struct ss_coro *c, uint32_t tgid)
{
	__u8 one = 1;

	if (c->shared)
		return 0;
	return bpf_map_update_elem(bpf_map__fd(c->skel->maps.tgids), &tgid, &one,
				   BPF_ANY) ? -errno : 0;
}

int ss_coro_poll(struct ss_coro *c, ss_record_cb cb, void *ctx)
{
	if (c->shared)
		return 0;
	c->cb = cb;
	c->cb_ctx = ctx;
	return ring_buffer__consume(c->rb);
}

int ss_coro_lost(struct ss_coro *c, struct ss_cpu_lost *lost, unsigned int ncpu)
{
	__u32 zero = 0;

	if (c->shared)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.lost), &zero, c->lostbuf))
		return -errno;
	for (unsigned int i = 0; i < ncpu && i < c->ncpu; i++) {
		lost[i].count = c->lostbuf[i].count;
		lost[i].last_ts = c->lostbuf[i].last_ts;
	}
	return 0;
}

unsigned int ss_coro_binaries(const struct ss_coro *c)
{
	return c->attached;
}

int ss_coro_shared(const struct ss_coro *c)
{
	return c->shared;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/*
 * Detaching a uprobe waits for an RCU grace period, about 100 ms here: a
 * link at a time, a recording with coroutine probes took most of a second
 * to end. Detached side by side, the waits overlap. A link no thread can
 * be started for is detached in place.
 */
static void destroy_links(struct bpf_link **links, size_t n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	char *started = calloc(n, 1);

	for (size_t i = 0; i < n; i++)
		if (!t || !started || pthread_create(&t[i], NULL, destroy_link, links[i]))
			destroy_link(links[i]);
		else
			started[i] = 1;
	for (size_t i = 0; i < n; i++)
		if (started && started[i])
			pthread_join(t[i], NULL);
	free(t);
	free(started);
}

void ss_coro_close(struct ss_coro *c)
{
	if (!c)
		return;
	destroy_links(c->links, c->nlinks);
	ring_buffer__free(c->rb);
	coro_bpf__destroy(c->skel);
	free(c->links);
	free(c->bins);
	free(c->lostbuf);
	free(c);
}
