/* The stacks table (user/stacks/stacks.c) and the off-CPU sums
 * (user/analysis/offcpu.c) on records built here: names from ss_sym, else
 * obj+offset from ss_map, else the address; hostile records (nr beyond the
 * record, lengths beyond it, a second stack of an id, huge counts) are
 * dropped and counted, never read past. Built with ASan and UBSan. */
#define SS_TEST_MAIN
#include <errno.h>

#include "harness.h"
#include "offcpu.h"
#include "ss.h"
#include "stacks.h"

static uint64_t rbuf[8192];

static const struct ss_hdr *stack_rec(uint64_t id, uint32_t tgid, int kernel, uint16_t nr,
				      const uint64_t *ip, unsigned int room)
{
	struct ss_stack *s = (void *)rbuf;

	memset(rbuf, 0, sizeof(rbuf));
	s->hdr.type = SS_EV_STACK;
	s->hdr.size = sizeof(*s) + room * 8;
	s->id = id;
	s->tgid = tgid;
	s->nr = nr;
	s->flags = kernel ? SS_STACK_KERNEL : 0;
	if (ip)
		memcpy(s + 1, ip, (nr < room ? nr : room) * 8);
	return &s->hdr;
}

static const struct ss_hdr *sym_rec(uint64_t addr, uint32_t tgid, uint32_t off, const char *name,
				    const char *obj, unsigned int extra_len)
{
	struct ss_sym *y = (void *)rbuf;
	size_t n = strlen(name), o = strlen(obj);

	memset(rbuf, 0, sizeof(rbuf));
	y->hdr.type = SS_EV_SYM;
	y->hdr.size = (sizeof(*y) + n + o + 7) & ~7u;
	y->addr = addr;
	y->tgid = tgid;
	y->off = off;
	y->name_len = n + extra_len;
	y->obj_len = o;
	memcpy(y + 1, name, n);
	memcpy((char *)(y + 1) + n, obj, o);
	return &y->hdr;
}

static const struct ss_hdr *map_rec(uint32_t tgid, uint64_t start, uint64_t end, uint64_t pgoff,
				    const char *path, unsigned int extra_len)
{
	struct ss_map *m = (void *)rbuf;
	size_t n = strlen(path);

	memset(rbuf, 0, sizeof(rbuf));
	m->hdr.type = SS_EV_MAP;
	m->hdr.size = (sizeof(*m) + n + 7) & ~7u;
	m->tgid = tgid;
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	m->path_len = n + extra_len;
	memcpy(m + 1, path, n);
	return &m->hdr;
}

TEST(names_from_sym_then_map_then_address)
{
	const uint64_t ip[] = { 0x401010, 0x402020, 0x7f0000001234 };
	struct ss_stacks *s = ss_stacks_new();
	struct ss_frame f[8];
	char b[64];

	REQUIRE(s);
	CHECK_EQ(ss_stacks_add(s, stack_rec(7, 42, 0, 3, ip, 3)), 0);
	CHECK_EQ(ss_stacks_add(s, sym_rec(0x401010, 42, 0x10, "read_fn", "/bin/x", 0)), 0);
	CHECK_EQ(ss_stacks_add(s, map_rec(42, 0x400000, 0x403000, 0x1000, "/bin/x", 0)), 0);
	CHECK_EQ(ss_stacks_count(s), 1);
	CHECK_EQ(ss_stacks_frames(s, 42, 7, f, 8), 3);
	CHECK(!strcmp(ss_frame_name(&f[0], b, sizeof(b)), "read_fn+0x10"), "%s", b);
	CHECK(!strcmp(ss_frame_func(&f[0], b, sizeof(b)), "read_fn"), "%s", b);
	CHECK(!strcmp(ss_frame_name(&f[1], b, sizeof(b)), "x+0x3020"), "%s", b);
	CHECK(!strcmp(ss_frame_name(&f[2], b, sizeof(b)), "0x7f0000001234"), "%s", b);
	/* user ids are per process; kernel ones are tgid 0 */
	CHECK_EQ(ss_stacks_frames(s, 43, 7, f, 8), -ENOENT);
	CHECK_EQ(ss_stacks_frames(s, 0, 7, f, 8), -ENOENT);
	ss_stacks_free(s);
}

TEST(kernel_stack_and_tracer_frames_left_out)
{
	const uint64_t ip[] = { 0xffffffffa0001000, 0xffffffff81001000, 0xffffffff81002000,
				0xffffffff81003000 };
	struct ss_stacks *s = ss_stacks_new();
	struct ss_stack_info in;
	struct ss_frame f[8];

	REQUIRE(s);
	/* a kernel stack keyed by tgid 0 whatever its record says */
	ss_stacks_add(s, stack_rec(9, 1234, 1, 4, ip, 4));
	ss_stacks_add(s, sym_rec(ip[0], 0, 0x20, "bpf_prog_abc_on_switch", "bpf", 0));
	ss_stacks_add(s, sym_rec(ip[1], 0, 0x10, "__traceiter_sched_switch", "", 0));
	ss_stacks_add(s, sym_rec(ip[2], 0, 0x5a, "schedule", "", 0));
	REQUIRE(ss_stacks_info(s, 0, 9, &in) == 0);
	CHECK_EQ(in.nr, 2);
	CHECK_EQ(in.tgid, 0);
	CHECK_EQ(ss_stacks_frames(s, 0, 9, f, 8), 2);
	CHECK(f[0].func && !strcmp(f[0].func, "schedule"));
	CHECK(f[0].kernel);
	CHECK(!f[1].func, "an unnamed kernel frame stays an address");
	ss_stacks_free(s);
}

TEST(hostile_records_dropped_and_counted)
{
	const uint64_t ip[] = { 1, 2, 3 }, other[] = { 4 };
	struct ss_stacks *s = ss_stacks_new();
	struct ss_frame f[4];

	REQUIRE(s);
	ss_stacks_add(s, stack_rec(5, 1, 0, 3, ip, 3));
	/* nr beyond the record */
	ss_stacks_add(s, stack_rec(6, 1, 0, 65535, ip, 3));
	/* a second stack under an id seen before: the first one stays */
	ss_stacks_add(s, stack_rec(5, 1, 0, 1, other, 1));
	/* the same stack again is no conflict */
	ss_stacks_add(s, stack_rec(5, 1, 0, 3, ip, 3));
	/* id 0 means "none" */
	ss_stacks_add(s, stack_rec(0, 1, 0, 3, ip, 3));
	/* a name longer than its record, a path longer than its record */
	ss_stacks_add(s, sym_rec(1, 1, 0, "f", "", 60000));
	ss_stacks_add(s, map_rec(1, 0, 100, 0, "/x", 60000));
	/* an empty or inverted mapping */
	ss_stacks_add(s, map_rec(1, 100, 100, 0, "/x", 0));
	CHECK_EQ(ss_stacks_count(s), 1);
	CHECK_EQ(ss_stacks_damage(s)->bad, 5);
	CHECK_EQ(ss_stacks_damage(s)->conflicts, 1);
	CHECK_EQ(ss_stacks_frames(s, 1, 5, f, 4), 3);
	CHECK_EQ(f[0].ip, 1);
	CHECK(!f[0].func);
	/* a record shorter than its type is ignored, not read */
	{
		struct ss_hdr h = { .type = SS_EV_STACK, .size = 16 };

		CHECK_EQ(ss_stacks_add(s, &h), 0);
		CHECK_EQ(ss_stacks_count(s), 1);
	}
	/* max smaller than the stack: fills max, tells the depth */
	CHECK_EQ(ss_stacks_frames(s, 1, 5, f, 1), 3);
	ss_stacks_free(s);
}

TEST(sym_names_cleaned_and_first_kept)
{
	const uint64_t ip[] = { 0x10 };
	struct ss_stacks *s = ss_stacks_new();
	struct ss_frame f[1];

	REQUIRE(s);
	ss_stacks_add(s, stack_rec(3, 2, 0, 1, ip, 1));
	ss_stacks_add(s, sym_rec(0x10, 2, 0, "a\nb;c", "", 0));
	ss_stacks_add(s, sym_rec(0x10, 2, 0, "other", "", 0));
	CHECK_EQ(ss_stacks_damage(s)->dup_syms, 1);
	REQUIRE(ss_stacks_frames(s, 2, 3, f, 1) == 1);
	CHECK(!strcmp(f[0].func, "a?b;c"), "%s", f[0].func);
	ss_stacks_free(s);
}

/* C++ symbols are shown as the source spells them; a C name, and a "_Z"
 * name that is no mangling, as they are. */
TEST(cxx_names_demangled)
{
	const uint64_t ip[] = { 0x10, 0x20, 0x30, 0x40 };
	struct ss_stacks *s = ss_stacks_new();
	struct ss_frame f[4];
	char b[256];

	REQUIRE(s);
	ss_stacks_add(s, stack_rec(3, 2, 0, 4, ip, 4));
	ss_stacks_add(s, sym_rec(0x10, 2, 4, "_ZN2ns4pool4waitERKSt6vectorIiSaIiEE", "/bin/x", 0));
	ss_stacks_add(s, sym_rec(0x20, 2, 0, "_Z3foov.cold", "/bin/x", 0));
	ss_stacks_add(s, sym_rec(0x30, 2, 0, "main", "/bin/x", 0));
	ss_stacks_add(s, sym_rec(0x40, 2, 0, "_Zgarbage", "/bin/x", 0));
	REQUIRE(ss_stacks_frames(s, 2, 3, f, 4) == 4);
	CHECK(!strcmp(f[0].func, "ns::pool::wait(std::vector<int, std::allocator<int> > const&)"),
	      "%s", f[0].func);
	CHECK(!strcmp(ss_frame_name(&f[0], b, sizeof(b)),
		      "ns::pool::wait(std::vector<int, std::allocator<int> > const&)+0x4"), "%s", b);
	CHECK(!strcmp(f[1].func, "foo() [clone .cold]"), "%s", f[1].func);
	CHECK(!strcmp(f[2].func, "main"), "%s", f[2].func);
	CHECK(!strcmp(f[3].func, "_Zgarbage"), "%s", f[3].func);
	ss_stacks_free(s);
}

TEST(many_stacks_grow_the_table)
{
	struct ss_stacks *s = ss_stacks_new();
	uint64_t ip[2];
	int ok = 1;

	REQUIRE(s);
	for (uint64_t i = 1; i <= 20000; i++) {
		ip[0] = i;
		ip[1] = i * 3;
		if (ss_stacks_add(s, stack_rec(i * 0x9e3779b97f4a7c15ull, i % 7, 0, 2, ip, 2)))
			ok = 0;
	}
	CHECK(ok);
	CHECK_EQ(ss_stacks_count(s), 20000);
	for (uint64_t i = 1; i <= 20000 && ok; i += 997) {
		struct ss_frame f[2];

		if (ss_stacks_frames(s, i % 7, i * 0x9e3779b97f4a7c15ull, f, 2) != 2 || f[1].ip != i * 3)
			ok = 0;
	}
	CHECK(ok, "every stack found with its addresses");
	ss_stacks_free(s);
}

/* ---- off-CPU sums ---- */

static uint64_t ebuf[64];

static const struct ss_hdr *sw(uint64_t ts, uint32_t prev, uint32_t state, uint32_t next,
			       uint64_t k, uint64_t u)
{
	struct ss_switch *s = (void *)ebuf;

	memset(ebuf, 0, sizeof(ebuf));
	s->hdr.type = SS_EV_SWITCH;
	s->hdr.size = sizeof(*s) + sizeof(struct ss_stack_ids);
	s->hdr.ts = ts;
	s->prev_tid = prev;
	s->prev_tgid = prev ? 10 : 0;
	s->prev_state = state;
	s->next_tid = next;
	s->next_tgid = next ? 10 : 0;
	((struct ss_stack_ids *)(s + 1))->kstack = k;
	((struct ss_stack_ids *)(s + 1))->ustack = u;
	return &s->hdr;
}

static const struct ss_hdr *waking(uint64_t ts, uint32_t tid, uint32_t waker, uint64_t k, uint64_t u)
{
	struct ss_wakeup *w = (void *)ebuf;

	memset(ebuf, 0, sizeof(ebuf));
	w->hdr.type = SS_EV_WAKING;
	w->hdr.size = sizeof(*w) + sizeof(struct ss_stack_ids);
	w->hdr.ts = ts;
	w->tid = tid;
	w->tgid = 10;
	w->waker_tid = waker;
	w->waker_tgid = 10;
	((struct ss_stack_ids *)(w + 1))->kstack = k;
	((struct ss_stack_ids *)(w + 1))->ustack = u;
	return &w->hdr;
}

static const struct ss_off_entry *entry(const struct ss_offcpu *o, uint32_t tid, int kind,
					uint64_t k, uint64_t u)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->e[i].k.tid == tid && (int)o->e[i].k.kind == kind && o->e[i].k.kstack == k &&
		    o->e[i].k.ustack == u)
			return &o->e[i];
	return NULL;
}

TEST(offcpu_sleep_wait_and_waker)
{
	struct ss_offcpu o;
	const struct ss_off_entry *e;

	REQUIRE(ss_offcpu_init(&o) == 0);
	ss_offcpu_add(&o, sw(100, 0, 0, 1, 0, 0));
	ss_offcpu_add(&o, sw(200, 1, SS_TASK_INTERRUPTIBLE, 2, 11, 12));	/* 1 sleeps */
	ss_offcpu_add(&o, waking(700, 1, 2, 21, 22));				/* 500 ns */
	ss_offcpu_add(&o, sw(750, 2, SS_TASK_RUNNING, 1, 31, 32));		/* 1 waited 50 */
	ss_offcpu_add(&o, sw(1000, 1, SS_TASK_UNINTERRUPTIBLE, 2, 11, 12));	/* 2 waited 250 */
	ss_offcpu_add(&o, sw(1100, 2, SS_TASK_INTERRUPTIBLE, 0, 41, 42));
	ss_offcpu_finish(&o, 2000);		/* 1 slept 1000, 2 slept 900 */
	e = entry(&o, 1, SS_OFF_SLEEP, 11, 12);
	REQUIRE(e);
	/* two sleeps under one stack: one with the waker, one not woken */
	CHECK_EQ(o.total[SS_OFF_SLEEP], 500 + 1000 + 900);
	CHECK_EQ(o.total[SS_OFF_WAIT], 50 + 250);
	for (size_t i = 0; i < o.n; i++) {
		const struct ss_off_key *k = &o.e[i].k;

		if (k->tid == 1 && k->kind == SS_OFF_SLEEP && k->wtid == 2) {
			CHECK_EQ(o.e[i].ns, 500);
			CHECK_EQ(k->wkstack, 21);
			CHECK_EQ(k->wustack, 22);
		}
		if (k->tid == 1 && k->kind == SS_OFF_SLEEP && !k->wtid)
			CHECK_EQ(o.e[i].ns, 1000);
	}
	e = entry(&o, 1, SS_OFF_WAIT, 11, 12);
	REQUIRE(e);
	CHECK_EQ(e->ns, 50);
	CHECK(e->k.wtid == 0, "a wait keeps the blocking stack, not the waker");
	e = entry(&o, 2, SS_OFF_WAIT, 31, 32);
	REQUIRE(e);
	CHECK_EQ(e->ns, 250);
	e = entry(&o, 2, SS_OFF_SLEEP, 41, 42);
	REQUIRE(e);
	CHECK_EQ(e->ns, 900);
	ss_offcpu_free(&o);
}

TEST(offcpu_park_and_records_without_ids)
{
	struct ss_offcpu o;
	struct ss_coro_park p = { .hdr = { .type = SS_EV_CORO_PARK, .size = sizeof(p), .ts = 100 },
				  .tid = 1, .tgid = 10, .id = 5 };
	struct ss_coro_ready r = { .hdr = { .type = SS_EV_CORO_READY, .size = sizeof(r), .ts = 400 },
				   .tid = 1, .tgid = 10, .id = 5 };
	struct ss_switch s = { .hdr = { .type = SS_EV_SWITCH, .size = sizeof(s), .ts = 500 },
			       .prev_tid = 1, .prev_tgid = 10, .prev_state = 1 };

	REQUIRE(ss_offcpu_init(&o) == 0);
	ss_offcpu_add(&o, &p.hdr);
	ss_offcpu_add(&o, &r.hdr);
	ss_offcpu_add(&o, &s.hdr);	/* no ids: summed under 0 */
	ss_offcpu_finish(&o, 600);
	CHECK_EQ(o.total[SS_OFF_PARK], 300);
	CHECK(entry(&o, 1, SS_OFF_PARK, 0, 0));
	CHECK(entry(&o, 1, SS_OFF_SLEEP, 0, 0));
	CHECK_EQ(o.total[SS_OFF_SLEEP], 100);
	/* time going backwards sums nothing */
	ss_offcpu_add(&o, sw(50, 3, 1, 0, 1, 1));
	ss_offcpu_add(&o, waking(10, 3, 0, 0, 0));
	CHECK_EQ(o.total[SS_OFF_SLEEP], 100);
	ss_offcpu_free(&o);
}

TEST(offcpu_new_task_waits_without_a_stack)
{
	struct ss_offcpu o;
	struct ss_wakeup w = { .hdr = { .type = SS_EV_WAKEUP_NEW, .size = sizeof(w), .ts = 100 },
			       .tid = 7, .tgid = 10 };

	REQUIRE(ss_offcpu_init(&o) == 0);
	ss_offcpu_add(&o, &w.hdr);
	ss_offcpu_add(&o, sw(400, 0, 0, 7, 0, 0));	/* on a CPU after 300 */
	/* a wakeup while it runs changes nothing */
	w.hdr.type = SS_EV_WAKING;
	w.hdr.ts = 500;
	ss_offcpu_add(&o, &w.hdr);
	ss_offcpu_finish(&o, 1000);
	CHECK_EQ(o.total[SS_OFF_WAIT], 300);
	CHECK_EQ(o.total[SS_OFF_SLEEP], 0);
	CHECK(entry(&o, 7, SS_OFF_WAIT, 0, 0));
	ss_offcpu_free(&o);
}
