/* record --cgroup: from a path to what the kernel filter compares (the
 * cgroup's id and depth), and the state of the chosen cgroups when the
 * recording starts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "cgroups.h"
#include "idmap.h"
#include "ss.h"

static const struct ss_cg_sel *active;

void ss_cg_set_active(const struct ss_cg_sel *s)
{
	active = s && s->n ? s : NULL;
}

const struct ss_cg_sel *ss_cg_active(void)
{
	return active;
}

/* A cgroup2 mount: where, and which cgroup is its root ("/" but for a
 * bind mount of a subtree). */
struct cg_mount {
	char dir[PATH_MAX];
	char root[PATH_MAX];
};

/* The mounts of type cgroup2 in /proc/self/mountinfo, up to max. */
static int cg_mounts(struct cg_mount *m, int max)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char root[PATH_MAX], dir[PATH_MAX], *sep = strstr(line, " - ");
		char fstype[64];

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		/* id parent major:minor root mountpoint ...; octal escapes
		 * (\040) are left as they are: cgroup mounts do not use them */
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, dir) != 2)
			continue;
		snprintf(m[n].dir, sizeof(m[n].dir), "%s", dir);
		snprintf(m[n].root, sizeof(m[n].root), "%s", root);
		n++;
	}
	fclose(f);
	return n;
}

/* The cgroup id of a cgroup2 directory: its file handle, which kernfs
 * makes the node id (the inode number is the same on 64-bit). */
static uint64_t cg_dir_id(const char *dir, const struct stat *st)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mnt;

	if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mnt, 0) == 0 &&
	    h.fh.handle_bytes == sizeof(uint64_t))
		return h.id;
	return st->st_ino;
}

static uint32_t cg_depth(const char *path)
{
	uint32_t d = 0;

	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			d++;
	return d;
}

/* One --cgroup PATH into slot i. */
static int cg_resolve_one(struct ss_cg_sel *s, unsigned int i, const char *arg,
			  const struct cg_mount *m, int nm)
{
	char cand[PATH_MAX], real[PATH_MAX], path[PATH_MAX];
	const struct cg_mount *in = NULL;
	struct statfs sf;
	struct stat st;
	size_t len = 0;

	/* a cgroup2 directory as given, or else a path from the (first)
	 * cgroup2 mount: "/" is the root cgroup, "/tmp" is /tmp */
	snprintf(cand, sizeof(cand), "%s/%s", m[0].dir, arg);
	if (arg[0] == '/' && stat(arg, &st) == 0 &&
	    ((statfs(arg, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) ||
	     stat(cand, &st)))
		snprintf(cand, sizeof(cand), "%s", arg);
	if (!realpath(cand, real) || stat(real, &st)) {
		ss_err("no such cgroup '%s' (neither a directory nor one under %s)",
		       arg, m[0].dir);
		return SS_EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode) || statfs(real, &sf)) {
		ss_err("'%s' is not a cgroup directory", arg);
		return SS_EXIT_USAGE;
	}
	if (sf.f_type == CGROUP_SUPER_MAGIC) {
		ss_err("'%s' is on a cgroup v1 hierarchy: --cgroup takes cgroup v2 "
		       "directories (under %s)", arg, m[0].dir);
		return SS_EXIT_USAGE;
	}
	if (sf.f_type != CGROUP2_SUPER_MAGIC) {
		ss_err("'%s' is not a cgroup v2 directory (cgroup2 is mounted at %s)",
		       arg, m[0].dir);
		return SS_EXIT_USAGE;
	}
	for (int k = 0; k < nm; k++) {
		size_t l = strlen(m[k].dir);

		if (!strcmp(m[k].dir, "/"))
			l = 0;
		if (!strncmp(real, m[k].dir, l) && (real[l] == '/' || !real[l]) &&
		    (!in || l > len)) {
			in = &m[k];
			len = l;
		}
	}
	if (!in) {
		ss_err("'%s' is not under a cgroup2 mount point", arg);
		return SS_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s%s", strcmp(in->root, "/") ? in->root : "",
		 real[len] ? real + len : "");
	if (!path[0])
		snprintf(path, sizeof(path), "/");
	s->dir[i] = strdup(real);
	s->path[i] = strdup(path);
	if (!s->dir[i] || !s->path[i]) {
		ss_err("out of memory");
		return SS_EXIT_INTERNAL;
	}
	s->id[i] = cg_dir_id(real, &st);
	s->level[i] = cg_depth(path);
	return SS_OK;
}

int ss_cg_resolve(struct ss_cg_sel *s, const char *const *paths, size_t n)
{
	struct cg_mount m[8];
	int nm, code;

	memset(s, 0, sizeof(*s));
	if (n > SS_CG_MAX) {
		ss_err("at most %d --cgroup", SS_CG_MAX);
		return SS_EXIT_USAGE;
	}
	nm = cg_mounts(m, 8);
	if (!nm) {
		ss_err("no cgroup v2 hierarchy is mounted (mount -t cgroup2 none "
		       "/sys/fs/cgroup); --cgroup needs one");
		return SS_EXIT_UNSUPPORTED;
	}
	for (size_t i = 0; i < n; i++) {
		code = cg_resolve_one(s, i, paths[i], m, nm);
		s->n = i + 1;
		if (code) {
			ss_cg_free(s);
			return code;
		}
	}
	return SS_OK;
}

void ss_cg_free(struct ss_cg_sel *s)
{
	for (unsigned int i = 0; i < s->n; i++) {
		free(s->dir[i]);
		free(s->path[i]);
	}
	memset(s, 0, sizeof(*s));
}

/* ---- the state at the start ---- */

struct snap {
	ss_cg_emit_cb emit;
	void *ctx;
	uint64_t ts;
	uint32_t cpu;
	uint64_t seen[1024];	/* cgroups written (chosen subtrees may nest) */
	size_t nseen;
	int threads;
};

static void emit_rec(struct snap *sn, uint64_t id, uint32_t tid, uint32_t tgid,
		     uint16_t flags, uint32_t level, const char *path)
{
	struct ss_cgroup_buf r;

	ss_cgroup_fill(&r, sn->ts, sn->cpu, id, tid, tgid, flags, level, path);
	sn->emit(sn->ctx, &r.c.hdr);
}

static uint32_t tgid_of(uint32_t tid)
{
	char p[64], line[256];
	uint32_t tgid = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%u/status", tid);
	f = fopen(p, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %u", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/* Visit the cgroup at dir (path: its cgroup path) and, depth first, those
 * below it: fn returns 0 to go on, 1 to stop the walk (returned), -1 to
 * skip what is below this one. */
typedef int (*cg_visit_fn)(void *ctx, const char *dir, const char *path, uint64_t id,
			   int depth);

static int cg_walk(const char *dir, const char *path, int depth, cg_visit_fn fn, void *ctx)
{
	char sub[PATH_MAX], subpath[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int rc = 0;
	DIR *d;

	if (depth > 64 || stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0;
	rc = fn(ctx, dir, path, cg_dir_id(dir, &st), depth);
	if (rc)
		return rc > 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while (!rc && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		snprintf(subpath, sizeof(subpath), "%s/%s", strcmp(path, "/") ? path : "",
			 de->d_name);
		rc = cg_walk(sub, subpath, depth + 1, fn, ctx);
	}
	closedir(d);
	return rc;
}

/* One cgroup directory: its name record and its threads (its children
 * come next); one seen already (chosen subtrees may nest) is skipped. */
static int snap_dir(void *ctx, const char *dir, const char *path, uint64_t id, int depth)
{
	struct snap *sn = ctx;
	uint32_t tid, level = cg_depth(path);
	char threads[PATH_MAX];
	FILE *f;

	for (size_t i = 0; i < sn->nseen; i++)
		if (sn->seen[i] == id)
			return -1;
	if (sn->nseen < sizeof(sn->seen) / sizeof(sn->seen[0]))
		sn->seen[sn->nseen++] = id;
	emit_rec(sn, id, 0, 0, SS_CGROUP_IN | (depth ? 0 : SS_CGROUP_CHOSEN), level, path);
	snprintf(threads, sizeof(threads), "%s/cgroup.threads", dir);
	f = fopen(threads, "r");
	if (f) {
		while (fscanf(f, "%u", &tid) == 1) {
			emit_rec(sn, id, tid, tgid_of(tid), SS_CGROUP_START | SS_CGROUP_IN,
				 level, NULL);
			sn->threads++;
		}
		fclose(f);
	}
	return 0;
}

int ss_cg_snapshot(const struct ss_cg_sel *s, uint64_t ts, ss_cg_emit_cb emit, void *ctx)
{
	struct snap *sn = calloc(1, sizeof(*sn));
	int cpu = sched_getcpu(), n;

	if (!sn)
		return -ENOMEM;
	sn->emit = emit;
	sn->ctx = ctx;
	sn->ts = ts;
	sn->cpu = cpu < 0 ? 0 : cpu;
	for (unsigned int i = 0; i < s->n; i++)
		cg_walk(s->dir[i], s->path[i], 0, snap_dir, sn);
	n = sn->threads;
	free(sn);
	return n;
}

/* ---- names of cgroups made during the recording ---- */

struct ss_cg_names {
	const struct ss_cg_sel *sel;
	struct ss_idmap *known;		/* ids named, or looked for */
};

struct ss_cg_names *ss_cg_names_new(const struct ss_cg_sel *s)
{
	struct ss_cg_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->sel = s;
	n->known = ss_idmap_new();
	if (!n->known) {
		free(n);
		return NULL;
	}
	return n;
}

void ss_cg_names_free(struct ss_cg_names *n)
{
	if (!n)
		return;
	ss_idmap_free(n->known);
	free(n);
}

struct cg_find {
	uint64_t id;
	char path[PATH_MAX];
};

static int cg_find(void *ctx, const char *dir, const char *path, uint64_t id, int depth)
{
	struct cg_find *f = ctx;

	(void)dir;
	(void)depth;
	if (id != f->id)
		return 0;
	snprintf(f->path, sizeof(f->path), "%s", path);
	return 1;
}

void ss_cg_names_note(struct ss_cg_names *n, const struct ss_hdr *h,
		      ss_cg_emit_cb emit, void *ctx)
{
	const struct ss_cgroup *c = (const void *)h;
	struct ss_cgroup_buf r;
	struct cg_find f;

	if (!n || h->type != SS_EV_CGROUP || h->size < sizeof(*c) ||
	    ss_idmap_get(n->known, c->id) >= 0)
		return;
	ss_idmap_put(n->known, c->id, 1);
	/* a record with its path names it; else (a child made straight into
	 * a cgroup made since the start: clone3 CLONE_INTO_CGROUP) the
	 * cgroup is looked for in the chosen subtrees, once */
	if (c->path_len || !emit || !(c->flags & SS_CGROUP_IN))
		return;
	f.id = c->id;
	for (unsigned int i = 0; i < n->sel->n; i++) {
		if (!cg_walk(n->sel->dir[i], n->sel->path[i], 0, cg_find, &f))
			continue;
		ss_cgroup_fill(&r, h->ts, h->cpu, c->id, 0, 0, SS_CGROUP_IN, c->level, f.path);
		emit(ctx, &r.c.hdr);
		return;
	}
}
