/* record --stacks on the running kernel (needs root): ss-blocker blocks in
 * three functions of its own; the trace, read record by record, must name
 * them in the stacks of its switch-outs, and the pipe writer in the waker's
 * stack, after the binary is deleted (the trace is self-contained). */
#define SS_TEST_MAIN
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "procmaps.h"
#include "resolve.h"
#include "ss.h"
#include "testutil.h"

struct stk {
	uint32_t tgid;
	uint64_t id;
	uint16_t nr, flags;
	uint64_t *ip;
};

struct sym {
	uint32_t tgid;
	uint64_t addr;
	char name[128];
};

struct tr {
	struct stk stk[4096];
	size_t nstk;
	struct sym *sym;
	size_t nsym;
	uint32_t meta_flags;
	long sizes_bad;		/* switch/waking/park not of the expected size */
	long stack_recs, map_recs, sym_recs;
	long refs, refs_missing;	/* ids named, ids without a stack record */
	long ordered_late;	/* ids named before their stack (ring order) */
	/* the blocker's */
	uint32_t tid, writer;
	char ustack_names[8192];	/* names in main's blocked switch-outs */
	char kstack_names[8192];
	char waker_names[4096];		/* names in writer -> main wakings */
	long main_out, main_out_u, main_out_one;	/* blocked switch-outs */
	long main_out_cut;		/* of which flagged truncated */
	long paired, mispaired;		/* user and kernel stacks that agree, not */
	long irq_wakes, irq_wakes_u;	/* wakings by a timer interrupt */
	char map_path[256];
	uint32_t map_bidlen;
	int want_stacks;
};

static struct tr T;

static struct stk *stk_find(struct tr *t, uint32_t tgid, uint64_t id)
{
	for (size_t i = 0; i < t->nstk; i++)
		if (t->stk[i].id == id && t->stk[i].tgid == tgid)
			return &t->stk[i];
	return NULL;
}

static const char *sym_find(struct tr *t, uint32_t tgid, uint64_t addr)
{
	for (size_t i = 0; i < t->nsym; i++)
		if (t->sym[i].addr == addr && t->sym[i].tgid == tgid)
			return t->sym[i].name;
	return NULL;
}

/* First pass: stacks and symbols. */
static void pass1(const struct ss_hdr *h, void *ctx)
{
	struct tr *t = ctx;

	if (h->type == SS_EV_STACK) {
		const struct ss_stack *s = (const void *)h;

		t->stack_recs++;
		if (t->nstk < 4096 && !stk_find(t, s->tgid, s->id) &&
		    h->size >= sizeof(*s) + s->nr * 8) {
			struct stk *k = &t->stk[t->nstk++];

			*k = (struct stk){ s->tgid, s->id, s->nr, s->flags, NULL };
			k->ip = malloc(s->nr * 8 + 8);
			memcpy(k->ip, s + 1, s->nr * 8);
		}
	} else if (h->type == SS_EV_SYM) {
		const struct ss_sym *y = (const void *)h;
		struct sym *n;

		t->sym_recs++;
		n = realloc(t->sym, (t->nsym + 1) * sizeof(*n));
		if (!n || h->size < sizeof(*y) + y->name_len)
			return;
		t->sym = n;
		n[t->nsym] = (struct sym){ y->tgid, y->addr, "" };
		snprintf(n[t->nsym].name, sizeof(n->name), "%.*s", y->name_len,
			 (const char *)(y + 1));
		t->nsym++;
	} else if (h->type == SS_EV_MAP) {
		const struct ss_map *m = (const void *)h;
		char p[256];

		t->map_recs++;
		snprintf(p, sizeof(p), "%.*s", m->path_len, (const char *)(m + 1));
		if (strstr(p, "/blocker")) {
			snprintf(t->map_path, sizeof(t->map_path), "%s", p);
			t->map_bidlen = m->build_id_len;
		}
	}
}

static void names_of(struct tr *t, uint32_t tgid, uint64_t id, char *buf, size_t len)
{
	struct stk *k = stk_find(t, tgid, id);

	if (!k)
		return;
	for (unsigned int i = 0; i < k->nr; i++) {
		const char *n = sym_find(t, tgid, k->ip[i]);

		if (n && strlen(buf) + strlen(n) + 2 < len) {
			strcat(buf, n);
			strcat(buf, " ");
		}
	}
}

static void ref(struct tr *t, uint32_t tgid, uint64_t id)
{
	if (!id)
		return;
	t->refs++;
	if (!stk_find(t, tgid, id))
		t->refs_missing++;
}

/* Second pass: the records that name stacks. */
static void pass2(const struct ss_hdr *h, void *ctx)
{
	const struct ss_stack_ids *ids = ss_rec_stacks(h);
	struct tr *t = ctx;
	unsigned int base = h->type == SS_EV_SWITCH ? sizeof(struct ss_switch) :
			    h->type == SS_EV_WAKING ? sizeof(struct ss_wakeup) :
			    h->type == SS_EV_CORO_PARK ? sizeof(struct ss_coro_park) : 0;

	if (!base)
		return;
	if (h->size != base + (t->want_stacks ? sizeof(*ids) : 0))
		t->sizes_bad++;
	if (!ids)
		return;
	if (h->type == SS_EV_SWITCH) {
		const struct ss_switch *s = (const void *)h;

		ref(t, 0, ids->kstack);
		ref(t, s->prev_tgid, ids->ustack);
		/* blocked (sleeping or waiting), not the exit's last switch */
		if (s->prev_tid == t->tid && (s->prev_state & 3) && !(s->prev_state & 0x80)) {
			struct stk *u = stk_find(t, s->prev_tgid, ids->ustack);

			t->main_out++;
			t->main_out_u += ids->ustack != 0;
			t->main_out_one += u && u->nr == 1;
			t->main_out_cut += u && (u->flags & SS_STACK_TRUNCATED);
			char un[2048] = "", kn[4096] = "";

			names_of(t, s->prev_tgid, ids->ustack, t->ustack_names,
				 sizeof(t->ustack_names));
			names_of(t, 0, ids->kstack, t->kstack_names, sizeof(t->kstack_names));
			/* each switch-out's kernel stack goes with its user stack
			 * (the kernel side reuses ids of stacks it saw: wrongly
			 * reused, they would not) */
			names_of(t, s->prev_tgid, ids->ustack, un, sizeof(un));
			names_of(t, 0, ids->kstack, kn, sizeof(kn));
			t->paired++;
			if (strstr(un, "blocker_pipe_read "))
				t->mispaired += !strstr(kn, "pipe_read");
			else if (strstr(un, "blocker_nanosleep "))
				t->mispaired += !strstr(kn, "nanosleep");
			else if (strstr(un, "blocker_futex_wait "))
				t->mispaired += !strstr(kn, "futex_wait");
			else
				t->paired--;
		}
	} else if (h->type == SS_EV_WAKING) {
		const struct ss_wakeup *w = (const void *)h;

		ref(t, 0, ids->kstack);
		ref(t, w->waker_tgid, ids->ustack);
		char kn[4096] = "";

		if (w->tid == t->tid && w->waker_tid == t->writer)
			names_of(t, w->waker_tgid, ids->ustack, t->waker_names,
				 sizeof(t->waker_names));
		/* a timer's wakeup comes in an interrupt: whoever ran there is
		 * not the waker, and its user stack is not taken */
		names_of(t, 0, ids->kstack, kn, sizeof(kn));
		if (strstr(kn, "hrtimer_wakeup ")) {
			t->irq_wakes++;
			t->irq_wakes_u += ids->ustack != 0;
		}
	}
}

static void meta_flags(const char *path, struct tr *t)
{
	char err[256];
	int code;
	struct ss_reader *r = ss_reader_open(path, err, sizeof(err), &code);

	if (r) {
		t->meta_flags = ss_reader_meta(r)->flags;
		ss_reader_close(r);
	}
}

static void tr_free(struct tr *t)
{
	for (size_t i = 0; i < t->nstk; i++)
		free(t->stk[i].ip);
	free(t->sym);
	memset(t, 0, sizeof(*t));
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	close(in);
	return close(out);
}

/* Record exe (deleted afterwards) into T. */
static void record_exe(const char *exe, int stacks, const char *trace)
{
	char *out = NULL, *err = NULL;
	int rc;

	if (stacks)
		rc = TU_RUN(&out, &err, "switchscope", "record", "-q", "--stacks", "-o",
			    (char *)trace, "--", (char *)exe, "40", "3");
	else
		rc = TU_RUN(&out, &err, "switchscope", "record", "-q", "-o",
			    (char *)trace, "--", (char *)exe, "40", "3");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(unlink(exe) == 0);
	rc = out ? sscanf(out, "tid=%u writer_tid=%u", &T.tid, &T.writer) : 0;
	REQUIRE(rc == 2, "blocker said '%s'", out ? out : "");
	T.want_stacks = stacks;
	REQUIRE(tu_each(trace, pass1, &T) > 0);
	REQUIRE(tu_each(trace, pass2, &T) > 0);
	meta_flags(trace, &T);
	free(out);
	free(err);
}

/* Record a copy of bin (deleted afterwards) into T. */
static void record_blocker(const char *bin, int stacks, const char *trace)
{
	const char *exe = tu_tmp("blocker");
	char src[256];

	snprintf(src, sizeof(src), "%s/%s", tu_bin(), bin);
	REQUIRE(copy_file(src, exe) == 0, "cannot copy %s", src);
	record_exe(exe, stacks, trace);
}

static int sh(const char *fmt, const char *a, const char *b, const char *c)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b, c);
	return system(cmd);
}

/* Its build-id as hex, from the first ss_map of the copy. */
static int build_id_hex(const char *path, char *hex, size_t len)
{
	uint8_t bid[20];
	int fd = open(path, O_RDONLY), n;

	if (fd < 0)
		return -1;
	n = ss_file_build_id(fd, bid, sizeof(bid));
	close(fd);
	if (n <= 1 || (size_t)n * 2 + 1 > len)
		return -1;
	for (int i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", bid[i]);
	return 0;
}

TEST(stacks_name_the_blocking_functions_after_the_binary_is_gone)
{
	record_blocker("ss-blocker", 1, tu_tmp("s.trace"));
	CHECK(T.meta_flags & SS_META_STACKS);
	CHECK_EQ(T.sizes_bad, 0);
	CHECK_GT(T.stack_recs, 0);
	CHECK_GT(T.sym_recs, 0);
	CHECK_GT(T.refs, 0);
	/* every id a record names has its stack in the trace */
	CHECK_EQ(T.refs_missing, 0);
	/* the copy's mapping, with its build-id */
	CHECK(strstr(T.map_path, "/blocker") != NULL, "map path '%s'", T.map_path);
	CHECK_EQ(T.map_bidlen, 20);
	/* 3 rounds of 3 blocks, each a switch-out with a user stack */
	CHECK_GE(T.main_out, 9);
	CHECK_EQ(T.main_out_u, T.main_out);
	CHECK(strstr(T.ustack_names, "blocker_pipe_read "), "user: %s", T.ustack_names);
	CHECK(strstr(T.ustack_names, "blocker_nanosleep "), "user: %s", T.ustack_names);
	CHECK(strstr(T.ustack_names, "blocker_futex_wait "), "user: %s", T.ustack_names);
	CHECK(strstr(T.ustack_names, "main "), "user: %s", T.ustack_names);
	/* the kernel side of a blocked switch-out goes through schedule() */
	CHECK(strstr(T.kstack_names, "schedule"), "kernel: %s", T.kstack_names);
	CHECK(strstr(T.kstack_names, "pipe_read"), "kernel: %s", T.kstack_names);
	CHECK(strstr(T.kstack_names, "futex_wait"), "kernel: %s", T.kstack_names);
	CHECK(strstr(T.waker_names, "blocker_pipe_write "), "waker: %s", T.waker_names);
	/* nanosleep and the futex timeout: 6 timer wakeups at least */
	CHECK_GE(T.irq_wakes, 6);
	CHECK_EQ(T.irq_wakes_u, 0);
	CHECK_EQ(T.main_out_cut, 0);
	CHECK_GE(T.paired, 9);
	CHECK(T.mispaired == 0, "%ld of %ld mispaired; kernel: %s", T.mispaired, T.paired,
	      T.kstack_names);
	tr_free(&T);
}

TEST(records_unchanged_without_stacks)
{
	record_blocker("ss-blocker", 0, tu_tmp("n.trace"));
	CHECK(!(T.meta_flags & SS_META_STACKS));
	CHECK_EQ(T.sizes_bad, 0);
	CHECK_EQ(T.refs, 0);
	CHECK_EQ(T.stack_recs, 0);
	CHECK_EQ(T.map_recs, 0);
	CHECK_EQ(T.sym_recs, 0);
	tr_free(&T);
}

/* Without frame pointers the walk stops at the first frame or goes astray:
 * either way the named functions' callers are not there, and a stack of one
 * frame says so to the views. */
TEST(without_frame_pointers_user_stacks_are_one_frame)
{
	record_blocker("ss-blocker-nofp", 1, tu_tmp("f.trace"));
	CHECK_EQ(T.refs_missing, 0);
	CHECK_GE(T.main_out, 9);
	CHECK(T.main_out_one == T.main_out, "%ld of %ld one frame; names: %s",
	      T.main_out_one, T.main_out, T.ustack_names);
	/* the names of frame 0 are right all the same */
	CHECK(strstr(T.ustack_names, "blocker_nanosleep "), "user: %s", T.ustack_names);
	tr_free(&T);
}

TEST(kmod_with_stacks_is_a_usage_error)
{
	char *err = NULL;
	int rc = TU_RUN(NULL, &err, "switchscope", "record", "-b", "kmod", "--stacks",
			"-o", (char *)tu_tmp("k.trace"), "--", "/bin/true");

	CHECK_EQ(rc, SS_EXIT_USAGE);
	CHECK(err && strstr(err, "--stacks needs the BPF backend"), "stderr: %s", err);
	free(err);
}

/* The resolver on its own: this test program's own functions, by its
 * mapping in /proc/self/maps. */
static __attribute__((noinline)) int resolver_probe_fn(int x)
{
	return x * 3 + 1;
}

TEST(resolver_names_functions_of_a_mapped_file)
{
	struct ss_resolver *r = ss_resolver_new();
	uint64_t ip = (uint64_t)(uintptr_t)&resolver_probe_fn + 2, off;
	const char *func, *obj;
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	int added = 0;

	REQUIRE(r && f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, pg;
		char perms[8], path[4096] = "";

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &s, &e, perms, &pg,
			   path) >= 4 && perms[2] == 'x' && path[0] == '/')
			added += ss_resolver_add_map(r, 42, s, e, pg, NULL, 0, path) == 0;
	}
	fclose(f);
	CHECK_GT(added, 0);
	CHECK(ss_resolver_has_map(r, 42, ip));
	CHECK_EQ(ss_resolver_user(r, 42, ip, &func, &off, &obj), 0);
	CHECK(func && !strcmp(func, "resolver_probe_fn"), "func %s", func);
	CHECK_EQ(off, 2);
	CHECK_EQ(ss_resolver_user(r, 43, ip, &func, &off, &obj), -ENOENT);
	CHECK_EQ(ss_resolver_kernel(r, 0, &func, &off, &obj), -ENOENT);
	ss_resolver_free(r);
	(void)resolver_probe_fn(1);
}

/* A stripped binary keeps only its dynamic symbols: the named functions are
 * in its debug file, found by .gnu_debuglink next to it. */
TEST(stripped_binary_is_named_through_its_debuglink)
{
	const char *full = tu_tmp("blocker.full"), *dbg = tu_tmp("blocker.debug");
	const char *exe = tu_tmp("blocker");
	char src[256];
	int rc;

	snprintf(src, sizeof(src), "%s/ss-blocker", tu_bin());
	REQUIRE(copy_file(src, full) == 0);
	rc = sh("objcopy --only-keep-debug '%s' '%s'%s", full, dbg, "");
	REQUIRE(rc == 0);
	rc = sh("objcopy --strip-all --add-gnu-debuglink='%s' '%s' '%s'", dbg, full, exe);
	REQUIRE(rc == 0);
	rc = sh("! nm '%s' 2>/dev/null | grep -q blocker_nanosleep%s%s", exe, "", "");
	REQUIRE(rc == 0,
		"the stripped copy still has its symbols");
	record_exe(exe, 1, tu_tmp("d.trace"));
	unlink(dbg);
	unlink(full);
	CHECK(strstr(T.ustack_names, "blocker_pipe_read "), "user: %s", T.ustack_names);
	CHECK(strstr(T.ustack_names, "blocker_futex_wait "), "user: %s", T.ustack_names);
	CHECK(strstr(T.waker_names, "blocker_pipe_write "), "waker: %s", T.waker_names);
	tr_free(&T);
}

/* ... or by its build-id under /usr/lib/debug/.build-id (a -dbgsym package's
 * place), without a debuglink. */
TEST(stripped_binary_is_named_through_its_build_id_debug_file)
{
	const char *exe = tu_tmp("blocker");
	char src[256], hex[48], dir[128], dbg[192];
	int rc;

	snprintf(src, sizeof(src), "%s/ss-blocker", tu_bin());
	REQUIRE(build_id_hex(src, hex, sizeof(hex)) == 0, "no build-id in %s", src);
	snprintf(dir, sizeof(dir), "/usr/lib/debug/.build-id/%.2s", hex);
	snprintf(dbg, sizeof(dbg), "%s/%s.debug", dir, hex + 2);
	REQUIRE(access(dbg, F_OK) != 0, "%s exists already", dbg);
	rc = sh("mkdir -p '%s' && objcopy --only-keep-debug '%s' '%s'", dir, src, dbg);
	REQUIRE(rc == 0);
	rc = sh("objcopy --strip-all '%s' '%s'%s", src, exe, "");
	REQUIRE(rc == 0);
	record_exe(exe, 1, tu_tmp("b.trace"));
	unlink(dbg);
	rmdir(dir);
	CHECK(strstr(T.ustack_names, "blocker_nanosleep "), "user: %s", T.ustack_names);
	CHECK(strstr(T.ustack_names, "blocker_futex_wait "), "user: %s", T.ustack_names);
	tr_free(&T);
}

/* The views' path: a file known by build-id only (another file at its
 * path) is its debug file under /usr/lib/debug/.build-id. And one with
 * neither gives no name, no crash. */
TEST(resolver_finds_a_mapped_file_by_build_id_or_says_it_cannot)
{
	struct ss_resolver *r = ss_resolver_new();
	uint8_t bid[20] = { 0xde, 0xad };

	REQUIRE(r);
	CHECK_EQ(ss_resolver_add_map(r, 7, 0x1000, 0x2000, 0, bid, 20, "/bin/true"), -ENOENT);
	CHECK_EQ(ss_resolver_add_map(r, 7, 0x1000, 0x2000, 0, NULL, 0, "/nonexistent/x"), -ENOENT);
	CHECK_EQ(ss_resolver_add_map(r, 7, 0x1000, 0x2000, 0, NULL, 0, "/dev/zero"), -ENOENT);
	ss_resolver_free(r);
}

TEST(maps_lines_are_parsed)
{
	char l1[] = "55d0c8a5d000-55d0c8a5f000 r-xp 00002000 fe:01 1234   /usr/bin/my prog (deleted)\n";
	char l2[] = "7ffd1000-7ffd2000 rw-p 00000000 00:00 0 [stack]\n";
	char l3[] = "7f00-7e00 r-xp 0 00:00 0\n";
	char l4[] = "garbage";
	struct ss_procmap m;

	REQUIRE(ss_procmap_parse(l1, &m) == 0);
	CHECK_EQ(m.start, 0x55d0c8a5d000ull);
	CHECK_EQ(m.end, 0x55d0c8a5f000ull);
	CHECK_EQ(m.pgoff, 0x2000);
	CHECK_EQ(m.inode, 1234);
	CHECK(!strcmp(m.path, "/usr/bin/my prog") && m.deleted, "path '%s'", m.path);
	CHECK(ss_procmap_is_exec_file(&m));
	REQUIRE(ss_procmap_parse(l2, &m) == 0);
	CHECK(!ss_procmap_is_exec_file(&m));
	CHECK(!strcmp(m.path, "[stack]"));
	CHECK_EQ(ss_procmap_parse(l3, &m), -1);
	CHECK_EQ(ss_procmap_parse(l4, &m), -1);
}
