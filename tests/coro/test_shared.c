/* Shared stacks (CORO_F_SHARED_STACK): frames saved and restored, the
 * copy skipped when the frames are in place, the guard, a 1 MiB saved
 * stack, the counters, and the debug check on channel sends. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "helpers.h"
#include "internal.h"

static const struct coro_attr shared = { .flags = CORO_F_SHARED_STACK, .name = "shared" };

/* Each coroutine fills a local array with its own pattern, yields, and
 * checks the pattern after every switch back: its frames must come back
 * byte for byte, although the other one ran on the same addresses. */
struct filler {
	unsigned int seed;
	int rounds;
	int bad;
	char *lo;		/* the stack it ran on */
};

static void *fill_and_yield(void *arg)
{
	struct filler *f = arg;
	volatile unsigned int buf[256];

	f->lo = coro_self()->stack.lo;
	for (int r = 0; r < f->rounds; r++) {
		for (unsigned int i = 0; i < 256; i++)
			buf[i] = f->seed * 2654435761u + i + (unsigned int)r;
		coro_yield();
		for (unsigned int i = 0; i < 256; i++)
			if (buf[i] != f->seed * 2654435761u + i + (unsigned int)r)
				f->bad++;
	}
	return NULL;
}

struct pair_case {
	struct filler f[2];
	struct coro_stats st0, st1;
	int private_second;
};

static void *pair_main(void *arg)
{
	struct pair_case *k = arg;
	struct coro_attr priv = { .flags = CORO_F_PRIVATE_STACK };
	struct coro *a, *b;

	coro_get_stats(&k->st0);
	a = coro_create(fill_and_yield, &k->f[0], &shared);
	b = coro_create(fill_and_yield, &k->f[1], k->private_second ? &priv : &shared);
	if (!a || !b)
		return (void *)1;
	coro_join(a, NULL);
	coro_join(b, NULL);
	coro_get_stats(&k->st1);
	return NULL;
}

TEST(shared_stack_frames_survive_a_thousand_switches)
{
	static struct pair_case k = { .f = { { .seed = 1, .rounds = 1000 },
					     { .seed = 2, .rounds = 1000 } } };
	uint64_t copies, saved;

	REQUIRE(run_coro(pair_main, &k) == 0);
	CHECK_EQ(k.f[0].bad, 0);
	CHECK_EQ(k.f[1].bad, 0);
	CHECK(k.f[0].lo == k.f[1].lo, "two shared coroutines ran on %p and %p",
	      (void *)k.f[0].lo, (void *)k.f[1].lo);
	copies = k.st1.shared_copies - k.st0.shared_copies;
	saved = k.st1.shared_saved - k.st0.shared_saved;
	/* every switch between the two changes the stack's owner */
	CHECK_GE(copies, 2000);
	/* each save holds at least the 1 KiB array */
	CHECK_GE(saved, 2000 * 1024);
	CHECK_GE(k.st1.shared_restored - k.st0.shared_restored, 1998 * 1024);
	printf("  %llu copies, %llu bytes saved (%llu per copy)\n",
	       (unsigned long long)copies, (unsigned long long)saved,
	       (unsigned long long)(saved / (copies ? copies : 1)));
}

/* A shared coroutine alternating with a private one finds its frames in
 * place every time: one copy (its first entry), the rest skipped. */
TEST(shared_stack_copy_is_skipped_when_the_frames_are_in_place)
{
	static struct pair_case k = { .f = { { .seed = 3, .rounds = 1000 },
					     { .seed = 4, .rounds = 1000 } },
				      .private_second = 1 };

	REQUIRE(run_coro(pair_main, &k) == 0);
	CHECK_EQ(k.f[0].bad, 0);
	CHECK_EQ(k.f[1].bad, 0);
	CHECK(k.f[0].lo != k.f[1].lo, "the private coroutine ran on the shared stack");
	CHECK_LE(k.st1.shared_copies - k.st0.shared_copies, 2);
	CHECK_GE(k.st1.shared_skipped - k.st0.shared_skipped, 999);
}

/* Two shared stacks per size (CORO_SHARED_STACKS=2): a pair lands on
 * different stacks and never copies after its first entries. */
TEST(env_shared_stacks_2_gives_a_pair_two_stacks)
{
	static struct pair_case k = { .f = { { .seed = 5, .rounds = 100 },
					     { .seed = 6, .rounds = 100 } } };

	setenv("CORO_SHARED_STACKS", "2", 1);
	REQUIRE(run_coro(pair_main, &k) == 0);
	CHECK_EQ(k.f[0].bad, 0);
	CHECK_EQ(k.f[1].bad, 0);
	CHECK(k.f[0].lo != k.f[1].lo, "both ran on %p", (void *)k.f[0].lo);
	CHECK_LE(k.st1.shared_copies - k.st0.shared_copies, 4);
}

/* ---- a 1 MiB saved stack ------------------------------------------------ */

#define DEEP_FRAME	1024
#define DEEP_LEVELS	1024	/* x 1 KiB and more: at least 1 MiB live */

struct deep {
	unsigned int seed;
	int bad;
	size_t max_save;
};

static __attribute__((noinline)) int descend(struct deep *d, int level)
{
	volatile unsigned char pad[DEEP_FRAME];
	int bad = 0;

	for (int i = 0; i < DEEP_FRAME; i += 61)
		pad[i] = (unsigned char)(d->seed + (unsigned int)level + (unsigned int)i);
	if (level + 1 < DEEP_LEVELS) {
		bad = descend(d, level + 1);
	} else {
		coro_yield();
		coro_yield();
	}
	for (int i = 0; i < DEEP_FRAME; i += 61)
		if (pad[i] != (unsigned char)(d->seed + (unsigned int)level + (unsigned int)i))
			bad++;
	return bad;
}

static void *go_deep(void *arg)
{
	struct deep *d = arg;

	d->bad = descend(d, 0);
	d->max_save = coro_self()->save_cap;
	return NULL;
}

static void *deep_main(void *arg)
{
	struct deep *d = arg;
	struct coro_attr big = { .stack_size = 4u << 20, .flags = CORO_F_SHARED_STACK };
	struct coro *a = coro_create(go_deep, &d[0], &big);
	struct coro *b = coro_create(go_deep, &d[1], &big);

	if (!a || !b)
		return (void *)1;
	coro_join(a, NULL);
	coro_join(b, NULL);
	return NULL;
}

TEST(a_shared_stack_saved_at_1_MiB_comes_back_intact)
{
	static struct deep d[2] = { { .seed = 7 }, { .seed = 8 } };

	REQUIRE(run_coro(deep_main, d) == 0);
	CHECK_EQ(d[0].bad, 0);
	CHECK_EQ(d[1].bad, 0);
	CHECK_GE(d[0].max_save, (size_t)1 << 20);
	CHECK_GE(d[1].max_save, (size_t)1 << 20);
}

/* ---- the guard ------------------------------------------------------------ */

static void *overflow_main(void *arg)
{
	struct coro_attr at = { .stack_size = 64 << 10, .flags = CORO_F_SHARED_STACK,
				.name = "deep-shared" };
	struct coro_attr idle_at = at;
	struct coro *other;

	/* a second coroutine on the stack, switched out, saved */
	idle_at.name = "idler";
	other = coro_create(fill_and_yield, arg, &idle_at);
	coro_yield();
	coro_join(coro_create(overflow_stack, NULL, &at), NULL);
	coro_join(other, NULL);
	return NULL;
}

static void overflow_child(void *arg)
{
	static struct filler f = { .seed = 9, .rounds = 1 };

	run_coro(overflow_main, &f);
}

TEST(deep_recursion_on_a_shared_stack_hits_the_guard_and_names_the_coroutine)
{
	char msg[8192];
	int st = run_child(overflow_child, NULL, msg, sizeof(msg));

	check_overflow_death(st, msg, "deep-shared");
	CHECK(strstr(msg, "(a shared stack)") != NULL, "stderr: %s", msg);
}

/* ---- channels ------------------------------------------------------------- */

static void *send_local_ptr(void *arg)
{
	int local = 42;
	int *p = &local;

	coro_chan_send(arg, &p);
	return NULL;
}

static void *send_ptr_main(void *arg)
{
	struct coro_chan *ch = coro_chan_new(sizeof(int *), 1);

	coro_join(coro_create(send_local_ptr, ch, &shared), NULL);
	return NULL;
}

static void send_ptr_child(void *arg)
{
	run_coro(send_ptr_main, NULL);
}

#ifndef NDEBUG
TEST(sending_a_pointer_into_a_shared_stack_aborts)
{
	char msg[4096];
	int st = run_child(send_ptr_child, NULL, msg, sizeof(msg));

	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	      "expected SIGABRT, wait status %#x, stderr: %s", st, msg);
	CHECK(strstr(msg, "coro: coro_chan_send(): the element") != NULL, "stderr: %s", msg);
	CHECK(strstr(msg, "points into a shared stack") != NULL, "stderr: %s", msg);
}
#endif

/* An unbuffered channel between two shared coroutines: the waiter and
 * the element live off the stack while their owner is switched out. */
static void *count_send(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		long v = i;

		if (coro_chan_send(arg, &v))
			return (void *)1;
	}
	coro_chan_close(arg);
	return NULL;
}

static void *count_recv(void *arg)
{
	long v, want = 0;

	while (coro_chan_recv(arg, &v) == 0)
		if (v != want++)
			return (void *)1;
	return want == 1000 ? NULL : (void *)2;
}

static void *unbuf_main(void *arg)
{
	struct coro_chan *ch = coro_chan_new(sizeof(long), 0);
	struct coro *s = coro_create(count_send, ch, &shared);
	struct coro *r = coro_create(count_recv, ch, &shared);
	void *rs, *rr;

	coro_join(s, &rs);
	coro_join(r, &rr);
	coro_chan_free(ch);
	return (void *)((uintptr_t)rs | (uintptr_t)rr);
}

TEST(an_unbuffered_channel_between_shared_coroutines_delivers_in_order)
{
	void *r = (void *)1;

	REQUIRE(coro_run(unbuf_main, NULL, &r) == 0);
	CHECK(r == NULL, "result %p", r);
}

/* ---- the ucontext backend ------------------------------------------------- */

static void *note_sh(void *arg)
{
	*(int *)arg = coro_self()->sh != NULL;
	return NULL;
}

static void *uc_main(void *arg)
{
	coro_join(coro_create(note_sh, arg, &shared), NULL);
	return NULL;
}

TEST(with_ucontext_a_shared_coroutine_gets_a_private_stack)
{
	static int on_shared = -1;

	REQUIRE(coro_set_backend(CORO_BACKEND_UCONTEXT) == 0);
	REQUIRE(run_coro(uc_main, &on_shared) == 0);
	CHECK_EQ(on_shared, 0);
}
