/* bpf/coro.bpf.c: load once, attach to each binary that has coro probes. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_common.h"
#include "cgroup.h"
#include "coro.skel.h"
#include "ss.h"
#include "usdt.h"

struct bin {
	dev_t dev;
	ino_t ino;
	int loader;	/* a dynamic loader whose dlopens are watched */
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
	/* dlopen: the loaders' _dl_debug_state (bpf/coro.bpf.c) */
	int dl_loaded;		/* its programs are loaded */
	struct ring_buffer *dl_rb;
	struct bpf_link *dl_exec;
	struct bpf_link **loaders;
	size_t nloaders;
	void (*dl_fn)(uint32_t tgid, int stopped, void *ctx);
	void *dl_ctx;
};

static int dl_watch_open(struct ss_coro *c);
static void dl_watch_close(struct ss_coro *c);
static int watch_loader(struct ss_coro *c, const char *path);
static struct bpf_link *attach_usdt_why(struct ss_coro *c, unsigned int i, const char *path);

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

/* Open, configure and load the object into c->skel; with dl, the dlopen
 * watch's programs too. An ss_exit code. */
static int load_skel(struct ss_coro *c, const struct ss_bpf_maps *shared, int system_wide,
		     int dl, char *err, size_t errlen)
{
	int rc;

	c->skel = coro_bpf__open();
	if (!c->skel) {
		snprintf(err, errlen, "cannot open the coroutine BPF object: %s", strerror(errno));
		return SS_EXIT_INTERNAL;
	}
	c->skel->rodata->trace_all = system_wide;
	SS_CG_RODATA(c->skel->rodata);
	/* -a does not stop processes (as at exec): it tells only */
	c->skel->rodata->stop_on_dlopen = !system_wide;
	bpf_program__set_autoload(c->skel->progs.on_exec_dl, dl);
	bpf_program__set_autoload(c->skel->progs.on_dl_debug_state, dl);
	bpf_program__set_autoattach(c->skel->progs.on_exec_dl, false);
	bpf_program__set_autoattach(c->skel->progs.on_dl_debug_state, false);
	if (shared) {
		c->skel->rodata->want_stacks = shared->stacks;
		if (bpf_map__reuse_fd(c->skel->maps.events, shared->events) ||
		    bpf_map__reuse_fd(c->skel->maps.tgids, shared->tgids) ||
		    bpf_map__reuse_fd(c->skel->maps.lost, shared->lost) ||
		    bpf_map__reuse_fd(c->skel->maps.stack_seen, shared->stack_seen) ||
		    bpf_map__reuse_fd(c->skel->maps.stack_lost, shared->stack_lost)) {
			snprintf(err, errlen, "cannot share maps with the coroutine programs: %s",
				 strerror(errno));
			return SS_EXIT_INTERNAL;
		}
	}
	bpf_program__set_autoload(c->skel->progs.on_newtask_follow, !shared);
	rc = coro_bpf__load(c->skel);
	return rc ? ss_bpf_load_error(rc, err, errlen) : SS_OK;
}

int ss_coro_open(struct ss_coro **out, const struct ss_bpf_maps *shared,
		 int system_wide, char *err, size_t errlen)
{
	struct ss_coro *c = calloc(1, sizeof(*c));
	int code = SS_EXIT_INTERNAL;

	if (!c)
		return SS_EXIT_INTERNAL;
	c->ncpu = ss_ncpu();
	c->lostbuf = calloc(c->ncpu, sizeof(*c->lostbuf));
	if (!c->lostbuf)
		goto fail;
	ss_bpf_quiet_libbpf();
	c->shared = shared != NULL;
	code = load_skel(c, shared, system_wide, 1, err, errlen);
	if (code == SS_EXIT_UNSUPPORTED) {
		/* A kernel without what the dlopen watch needs (uprobe
		 * cookies, 5.15): the probes all the same. */
		coro_bpf__destroy(c->skel);
		code = load_skel(c, shared, system_wide, 0, err, errlen);
		if (code == SS_OK)
			ss_warn("libraries loaded later with dlopen are found by rescanning "
				"only: this kernel refused the loader watch");
	} else if (code == SS_OK) {
		c->dl_loaded = 1;
	}
	if (code)
		goto fail;
	code = SS_EXIT_INTERNAL;
	if (!shared) {
		c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_sample, c, NULL);
		if (!c->rb || coro_bpf__attach(c->skel)) {
			snprintf(err, errlen, "cannot set up the coroutine ring buffer: %s",
				 strerror(errno));
			goto fail;
		}
	}
	if (c->dl_loaded && dl_watch_open(c))
		ss_warn("libraries loaded later with dlopen are found by rescanning only "
			"(the loader watch: %s)", strerror(errno));
	*out = c;
	return SS_OK;
fail:
	ring_buffer__free(c->rb);
	coro_bpf__destroy(c->skel);
	free(c->lostbuf);
	free(c);
	return code;
}

/* Append l to a list of links; destroys it if there is no memory. */
static int push_link(struct bpf_link ***links, size_t *n, struct bpf_link *l)
{
	struct bpf_link **nl = realloc(*links, (*n + 1) * sizeof(*nl));

	if (!nl) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	*links = nl;
	(*links)[(*n)++] = l;
	return 0;
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
		c->bins[c->nbins++] = (struct bin){ st.st_dev, st.st_ino, 0 };
	}
	if (watch_loader(c, path) > 0)
		c->bins[c->nbins - 1].loader = 1;
	probes = ss_elf_coro_probes(path);
	for (unsigned int i = 0; i < ss_coro_nprobes; i++) {
		struct bpf_link *l;

		if (!(probes & (1u << i)) || (i == SS_CORO_PROBE_RING && !c->ring))
			continue;
		/* Every process mapping the file: the program filters by
		 * tgid, and processes started later are covered. */
		l = attach_usdt_why(c, i, path);
		if (!l) {
			err = -errno;
			continue;
		}
		if (push_link(&c->links, &c->nlinks, l))
			return -ENOMEM;
		n++;
	}
	if (n)
		c->attached++;
	else if (probes && access(path, F_OK))
		c->nbins--;	/* gone with its process: look again when seen again */
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
	dl_watch_close(c);
	destroy_links(c->links, c->nlinks);
	ring_buffer__free(c->rb);
	coro_bpf__destroy(c->skel);
	free(c->links);
	free(c->bins);
	free(c->lostbuf);
	free(c);
}

/* dlopen: a uprobe on each loader's _dl_debug_state (bpf/coro.bpf.c says
 * when it stops a process), and a ring buffer of its own that says which
 * processes to look at (and continue). */
static int on_dl(void *ctx, void *data, size_t size)
{
	struct ss_coro *c = ctx;
	__u64 v;

	if (size < sizeof(v))
		return 0;
	memcpy(&v, data, sizeof(v));
	if (c->dl_fn)
		c->dl_fn((uint32_t)v, (int)(v >> 32) & 1, c->dl_ctx);
	else if (v >> 32)
		kill((uint32_t)v, SIGCONT);	/* closing: never leave one stopped */
	return 0;
}

static int dl_watch_open(struct ss_coro *c)
{
	c->dl_rb = ring_buffer__new(bpf_map__fd(c->skel->maps.dl_events), on_dl, c, NULL);
	if (!c->dl_rb)
		return -1;
	c->dl_exec = bpf_program__attach(c->skel->progs.on_exec_dl);
	if (!c->dl_exec) {
		ring_buffer__free(c->dl_rb);
		c->dl_rb = NULL;
		return -1;
	}
	return 0;
}

/* A file with _dl_debug_state and _r_debug is a dynamic loader (ld.so, or
 * a static program's own): watch it for every process. */
static int watch_loader(struct ss_coro *c, const char *path)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = "_dl_debug_state");
	uint64_t state, r_debug;
	struct bpf_link *l;

	if (!c->dl_rb || ss_elf_loader_syms(path, &state, &r_debug))
		return 0;
	o.bpf_cookie = r_debug - state;
	l = bpf_program__attach_uprobe_opts(c->skel->progs.on_dl_debug_state, -1, path, 0, &o);
	if (!l) {
		ss_warn("%s: cannot watch this loader for dlopen: %s", path, strerror(errno));
		return -errno;
	}
	return push_link(&c->loaders, &c->nloaders, l) ? -ENOMEM : 1;
}

int ss_coro_dl_poll(struct ss_coro *c, void (*fn)(uint32_t tgid, int stopped, void *ctx),
		    void *ctx)
{
	int n;

	if (!c->dl_rb)
		return 0;
	c->dl_fn = fn;
	c->dl_ctx = ctx;
	n = ring_buffer__consume(c->dl_rb);
	c->dl_fn = NULL;
	return n;
}

int ss_coro_watched(const struct ss_coro *c, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return 0;
	for (size_t i = 0; i < c->nbins; i++)
		if (c->bins[i].dev == st.st_dev && c->bins[i].ino == st.st_ino)
			return c->bins[i].loader;
	return 0;
}

/* Detach the watch first, then continue whoever it stopped last. */
static void dl_watch_close(struct ss_coro *c)
{
	destroy_links(c->loaders, c->nloaders);
	bpf_link__destroy(c->dl_exec);
	if (c->dl_rb)
		ring_buffer__consume(c->dl_rb);
	ring_buffer__free(c->dl_rb);
	free(c->loaders);
}

/* Probes a file has but that could not be attached: said when found, kept
 * for verify's verdict. */
static struct ss_coro_unattached unattached[16];
static size_t nunattached;
static char libbpf_usdt_msg[200];

static int capture_usdt_msg(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256], *u;

	if (getenv("SWITCHSCOPE_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	u = strstr(line, "usdt: ");
	if (!libbpf_usdt_msg[0] && u)
		snprintf(libbpf_usdt_msg, sizeof(libbpf_usdt_msg), "%s", u + 6);
	return 0;
}

/* The file as the user knows it: mapped files are opened through
 * /proc/PID/root. */
static const char *shown_path(const char *path)
{
	const char *r;

	if (strncmp(path, "/proc/", 6) || !(r = strstr(path + 6, "/root/")))
		return path;
	return r + 5;
}

void ss_coro_unattached_str(const struct ss_coro_unattached *u, char *buf, size_t len)
{
	if (u->why)
		snprintf(buf, len, "coro:%s of %s not attached: argument %u '%s' cannot be "
			 "read: %s; %s", u->probe, u->path, u->index, u->spec, u->why, u->fix);
	else
		snprintf(buf, len, "coro:%s of %s not attached: %s%s%s%s", u->probe, u->path,
			 strerror(u->err), u->libbpf[0] ? " (libbpf: " : "", u->libbpf,
			 u->libbpf[0] ? ")" : "");
}

size_t ss_coro_unattached(const struct ss_coro_unattached **out)
{
	*out = unattached;
	return nunattached;
}

static struct bpf_link *attach_usdt_why(struct ss_coro *c, unsigned int i, const char *path)
{
	const char *name = ss_coro_probe_names[i];
	struct ss_coro_unattached u = { .why = NULL };
	struct ss_bad_arg bad;
	struct bpf_link *l;
	char line[1024];
	int err;

	libbpf_usdt_msg[0] = 0;
	libbpf_set_print(capture_usdt_msg);
	l = bpf_program__attach_usdt(prog_for(c->skel, i), -1, path, SS_CORO_PROVIDER,
				     name, NULL);
	err = errno;
	ss_bpf_quiet_libbpf();
	/* A process that exited while its mappings were read: nothing to say */
	if (l || access(path, F_OK)) {
		errno = err;
		return l;
	}
	snprintf(u.path, sizeof(u.path), "%s", shown_path(path));
	snprintf(u.probe, sizeof(u.probe), "%s", name);
	snprintf(u.libbpf, sizeof(u.libbpf), "%s", libbpf_usdt_msg);
	u.err = err;
	if (ss_elf_coro_bad_arg(path, name, &bad) == 1) {
		snprintf(u.spec, sizeof(u.spec), "%s", bad.spec);
		u.index = bad.index;
		u.why = bad.why;
		u.fix = bad.fix;
	}
	ss_coro_unattached_str(&u, line, sizeof(line));
	ss_warn("%s", line);
	if (nunattached < sizeof(unattached) / sizeof(unattached[0]))
		unattached[nunattached++] = u;
	errno = err;
	return NULL;
}
