/*
 * The module and the BPF backend side by side in the guest: one workload
 * recorded by both at the same time gives the same records (every field
 * but the time stamp) and the same switch counts per tid; and
 * `switchscope record --backend kmod` writes a trace the reader accepts.
 */
#define SS_TEST_MAIN
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "backend.h"
#include "guest.h"
#include "trace.h"

#define WORKLOAD PINGPONG " --via pipe --switches 1000 && " \
	PINGPONG " --mode process --via pipe --switches 1000 --no-pin && " \
	PINGPONG " --via pipe --switches 600 --no-pin"

struct side {
	const struct ss_backend_ops *ops;
	struct ss_backend *be;
	struct recs r;
};

static void collect(void *ctx, const struct ss_hdr *h)
{
	struct recs *r = ctx;

	if (r->len + h->size > r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 1u << 22;
		char *nb = realloc(r->buf, nc);

		if (!nb)
			abort();
		r->buf = nb;
		r->cap = nc;
	}
	memcpy(r->buf + r->len, h, h->size);
	r->len += h->size;
	r->n++;
}

static void drain(struct side *s)
{
	while (s->ops->poll(s->be, 0, collect, &s->r) > 0)
		;
}

static uint64_t lost(struct side *s)
{
	unsigned int n = ss_ncpu();
	struct ss_cpu_lost l[n];
	uint64_t sum = 0;

	memset(l, 0, sizeof(l));
	if (s->ops->lost(s->be, l, n))
		return UINT64_MAX;
	for (unsigned int i = 0; i < n; i++)
		sum += l[i].count;
	return sum;
}

static void zero_after_nul(char *s, size_t len)
{
	size_t n = strnlen(s, len);

	memset(s + n, 0, len - n);
}

/* A record without its time stamp, strings cut at their end: the BPF
 * programs leave what follows a string's NUL as it was. */
struct norm {
	uint8_t b[256];
};

/* no_state: also clear ss_switch.prev_state. The module takes it from
 * the tracepoint's argument, the BPF program from the task, where a
 * wakeup on another CPU may already have changed it. */
static void normalize(const struct ss_hdr *h, struct norm *n, int no_state)
{
	memset(n, 0, sizeof(*n));
	memcpy(n->b, h, h->size < sizeof(n->b) ? h->size : sizeof(n->b));
	((struct ss_hdr *)n->b)->ts = 0;
	switch (h->type) {
	case SS_EV_NEWTASK:
		zero_after_nul(((struct ss_newtask *)n->b)->comm, SS_COMM_LEN);
		break;
	case SS_EV_EXEC:
		zero_after_nul(((struct ss_exec *)n->b)->comm, SS_COMM_LEN);
		zero_after_nul(((struct ss_exec *)n->b)->filename, SS_PATH_LEN);
		break;
	case SS_EV_COMM:
		zero_after_nul(((struct ss_comm *)n->b)->comm, SS_COMM_LEN);
		break;
	case SS_EV_SWITCH:
		if (no_state)
			((struct ss_switch *)n->b)->prev_state = 0;
		break;
	case SS_EV_RETUSER:
		/* The switch's own time stamp: differs like hdr.ts. */
		((struct ss_retuser *)n->b)->switch_ts = 0;
		break;
	}
}

static void show(const char *who, const struct norm *n)
{
	const struct ss_switch *e = (const void *)n->b;

	fprintf(stderr, "    %s: type %u cpu %u", who, e->hdr.type, e->hdr.cpu);
	if (e->hdr.type == SS_EV_SWITCH)
		fprintf(stderr, " switch %u/%u -> %u/%u state %#x prio %u->%u "
			"class %u flags %u", e->prev_tid, e->prev_tgid, e->next_tid,
			e->next_tgid, e->prev_state, e->prev_prio, e->next_prio,
			e->cls, e->flags);
	fputc('\n', stderr);
}

static void show_pair(const struct norm *k, const struct norm *b)
{
	fprintf(stderr, "  a record differs (sorted order):\n");
	show("module", k);
	show("bpf   ", b);
}

static int cmp_norm(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct norm));
}

static struct norm *sorted(const struct recs *r, int no_state)
{
	struct norm *v = calloc(r->n ? r->n : 1, sizeof(*v));
	size_t i = 0;

	recs_for_each(r, h)
		normalize(h, &v[i++], no_state);
	qsort(v, r->n, sizeof(*v), cmp_norm);
	return v;
}

struct tid_count {
	uint32_t tid;
	uint64_t n;
};

static void count_tid(struct tid_count *t, size_t *nt, uint32_t tid)
{
	size_t i;

	if (!tid)
		return;
	for (i = 0; i < *nt && t[i].tid != tid; i++)
		;
	if (i == *nt) {
		if (*nt == 4096)
			return;
		t[(*nt)++] = (struct tid_count){ tid, 0 };
	}
	t[i].n++;
}

static size_t switches_per_tid(const struct recs *r, struct tid_count *t)
{
	size_t nt = 0;

	recs_for_each(r, h) {
		const struct ss_switch *e = (const void *)h;

		if (h->type != SS_EV_SWITCH)
			continue;
		count_tid(t, &nt, e->prev_tid);
		count_tid(t, &nt, e->next_tid);
	}
	return nt;
}

static uint64_t count_of(const struct tid_count *t, size_t nt, uint32_t tid)
{
	for (size_t i = 0; i < nt; i++)
		if (t[i].tid == tid)
			return t[i].n;
	return 0;
}

TEST(module_and_bpf_record_the_same_events)
{
	struct ss_backend_cfg cfg = {
		.buffer_bytes = 16u << 20, .syscalls = 1, .switch_in = 1, .wakeup = 1,
	};
	char *argv[] = { "/bin/sh", "-c", WORKLOAD, NULL };
	struct side k = { .ops = ss_backend_find("kmod") };
	struct side b = { .ops = ss_backend_find("bpf") };
	static struct tid_count tk[4096], tb[4096];
	uint64_t types_k[SS_EV_MAX] = { 0 }, types_b[SS_EV_MAX] = { 0 };
	size_t ntk, ntb, differ = 0, shown = 0, total = 0, raced = 0;
	char err[512];
	int go, code;
	pid_t pid;

	REQUIRE(k.ops && b.ops);
	REQUIRE(kmod_ensure() == 0);
	code = k.ops->open(&k.be, &cfg, err, sizeof(err));
	REQUIRE(code == 0, "kmod backend: %s", err);
	code = b.ops->open(&b.be, &cfg, err, sizeof(err));
	REQUIRE(code == 0, "bpf backend: %s", err);
	pid = spawn_held(argv, NULL, NULL, &go);
	REQUIRE(pid > 0);
	REQUIRE(k.ops->add_tgid(k.be, pid) == 0);
	REQUIRE(b.ops->add_tgid(b.be, pid) == 0);
	REQUIRE(k.ops->start(k.be, err, sizeof(err)) == 0, "kmod start: %s", err);
	REQUIRE(b.ops->start(b.be, err, sizeof(err)) == 0, "bpf start: %s", err);
	go_release(go);
	while (waitpid(pid, &code, WNOHANG) == 0) {
		k.ops->poll(k.be, 10, collect, &k.r);
		b.ops->poll(b.be, 0, collect, &b.r);
	}
	CHECK_EQ(code, 0);
	/* The workload's last switch follows its parent's wakeup. */
	usleep(200 * 1000);
	b.ops->stop(b.be);
	k.ops->stop(k.be);
	drain(&k);
	drain(&b);
	CHECK_EQ(lost(&k), 0);
	CHECK_EQ(lost(&b), 0);
	b.ops->close(b.be);
	k.ops->close(k.be);

	/* Identical switch counts per tid, both ways. */
	ntk = switches_per_tid(&k.r, tk);
	ntb = switches_per_tid(&b.r, tb);
	CHECK_EQ(ntk, ntb);
	CHECK_GT(ntk, 3);
	for (size_t i = 0; i < ntk; i++) {
		uint64_t nb = count_of(tb, ntb, tk[i].tid);

		CHECK(nb == tk[i].n, "tid %u: %llu switches from the module, %llu "
		      "from BPF", tk[i].tid, (unsigned long long)tk[i].n,
		      (unsigned long long)nb);
		total += tk[i].n;
	}
	printf("switches per tid: %zu tids, %zu switch ends, identical: %s\n",
	       ntk, total, ss_test_failed ? "no" : "yes");

	/* The same records, field for field but the time. */
	CHECK_EQ(k.r.n, b.r.n);
	recs_for_each(&k.r, h)
		types_k[h->type < SS_EV_MAX ? h->type : 0]++;
	recs_for_each(&b.r, h)
		types_b[h->type < SS_EV_MAX ? h->type : 0]++;
	for (int t = 0; t < SS_EV_MAX; t++)
		CHECK(types_k[t] == types_b[t], "type %d: %llu from the module, "
		      "%llu from BPF", t, (unsigned long long)types_k[t],
		      (unsigned long long)types_b[t]);
	CHECK_GT(types_k[SS_EV_SWITCH], 1000);
	CHECK_GT(types_k[SS_EV_EXEC], 2);
	CHECK_GT(types_k[SS_EV_NEWTASK], 3);
	CHECK_GT(types_k[SS_EV_SYSCALL], 1000);
	CHECK_GT(types_k[SS_EV_RETUSER], 100);
	CHECK_GT(types_k[SS_EV_WAKEUP], 100);
	if (k.r.n == b.r.n) {
		struct norm *vk = sorted(&k.r, 1), *vb = sorted(&b.r, 1);

		for (size_t i = 0; i < k.r.n; i++) {
			if (!memcmp(&vk[i], &vb[i], sizeof(vk[i])))
				continue;
			differ++;
			if (shown++ < 3)
				show_pair(&vk[i], &vb[i]);
		}
		free(vk);
		free(vb);
		CHECK_EQ(differ, 0);
		/* Where prev_state differs, BPF saw the wakeup's state. */
		vk = sorted(&k.r, 0);
		vb = sorted(&b.r, 0);
		for (size_t i = 0; i < b.r.n; i++) {
			const struct ss_switch *e = (const void *)vb[i].b;

			if (bsearch(&vb[i], vk, k.r.n, sizeof(*vk), cmp_norm))
				continue;
			raced++;
			CHECK(e->hdr.type == SS_EV_SWITCH &&
			      (e->prev_state == SS_TASK_RUNNING || e->prev_state == 0x200),
			      "BPF record %zu has no twin", i);
		}
		free(vk);
		free(vb);
		CHECK_LE(raced * 100, types_k[SS_EV_SWITCH]);
	}
	printf("records: %zu from the module, %zu from BPF, %zu differ; "
	       "%zu switches where BPF read prev_state after a concurrent wakeup\n",
	       k.r.n, b.r.n, differ, raced);
	recs_free(&k.r);
	recs_free(&b.r);
}

/* Run switchscope with argv; its stderr goes to errbuf. Returns the exit
 * status or -1. */
static int run_cli(char *const argv[], char *errbuf, size_t len)
{
	int p[2], st;
	ssize_t n, off = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], errbuf + off, len - 1 - off)) > 0)
		off += n;
	errbuf[off] = 0;
	close(p[0]);
	st = wait_status(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(record_backend_kmod_writes_a_trace)
{
	char *argv[] = { SWITCHSCOPE, "record", "--backend", "kmod", "-o",
			 "/tmp/kmod.trace", "--", PINGPONG, "--via", "pipe", "--switches", "2000", NULL };
	uint64_t thread_sw = 0, other_sw = 0, lost_recs = 0, last = 0, unsorted = 0;
	const struct ss_trailer *tr;
	const struct ss_hdr *h;
	struct ss_reader *rd;
	char err[4096];
	uint32_t tgid = 0;
	int code;

	REQUIRE(kmod_ensure() == 0);
	code = run_cli(argv, err, sizeof(err));
	REQUIRE(code == 0, "switchscope record exited %d: %s", code, err);
	rd = ss_reader_open("/tmp/kmod.trace", err, sizeof(err), &code);
	REQUIRE(rd, "reader: %s", err);
	CHECK_EQ(ss_reader_meta(rd)->backend, SS_BACKEND_KMOD);
	tr = ss_reader_trailer(rd);
	CHECK(tr != NULL, "no trailer");
	while (ss_reader_next(rd, &h) == 1) {
		if (h->ts < last)
			unsorted++;
		last = h->ts;
		if (h->type == SS_EV_EXEC)
			tgid = ((const struct ss_exec *)h)->tgid;
		if (h->type == SS_EV_LOST)
			lost_recs++;
	}
	REQUIRE(tgid != 0, "no exec record");
	ss_reader_rewind(rd);
	while (ss_reader_next(rd, &h) == 1) {
		const struct ss_switch *e = (const void *)h;

		if (h->type != SS_EV_SWITCH || e->prev_tgid != tgid ||
		    e->next_tgid != tgid)
			continue;
		if (e->cls == SS_CLASS_THREAD)
			thread_sw++;
		else
			other_sw++;
	}
	CHECK_EQ(unsorted, 0);
	CHECK_EQ(lost_recs, 0);
	if (tr)
		CHECK_EQ(tr->lost, 0);
	CHECK_GE(thread_sw, 1000);
	CHECK_EQ(other_sw, 0);
	CHECK_EQ(ss_reader_report_damage(rd, "/tmp/kmod.trace"), 0);
	ss_reader_close(rd);
}

TEST(record_backend_kmod_says_how_to_load_the_module)
{
	char *argv[] = { SWITCHSCOPE, "record", "--backend", "kmod", "-o",
			 "/tmp/none.trace", "--", "/bin/true", NULL };
	char err[4096];
	int code;

	if (kmod_loaded())
		REQUIRE(kmod_unload() == 0);
	unlink("/tmp/none.trace");
	code = run_cli(argv, err, sizeof(err));
	CHECK_EQ(code, 4);
	CHECK(strstr(err, "insmod build/kmod/switchscope.ko"), "message: %s", err);
	CHECK(access("/tmp/none.trace", F_OK) != 0, "a trace file was left");
	CHECK_EQ(kmod_load(), 0);
}
