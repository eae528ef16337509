/* ss-lab-ipc: the lab's ping-pong. Pairs of processes, threads or
 * coroutines hand a token back and forth; each hand-over gives the CPU
 * from one side to the other.
 *
 *   ss-lab-ipc --kind process|thread|coro --via futex|pipe|yield|chan
 *              [--rounds N] [--pairs P] [--cpus C | C,D | free]
 *
 *   process, thread  futex: a shared word and FUTEX_WAIT/WAKE (shared
 *                    memory between processes); pipe: one byte each way
 *   coro             yield: a shared word and coro_yield(); chan: two
 *                    unbuffered channels
 *   --cpus C         every side on CPU C (coroutines: the one scheduler
 *                    thread); C,D: side 0 on C, side 1 on D (coroutines:
 *                    one scheduler thread per side, chan only); free: no
 *                    pinning
 *
 * A round is one round trip: two hand-overs. Timing runs from the first
 * side's start to the last side's end, after every side exists, so
 * creation is outside it. Prints one line of key=value fields:
 *   lab-ipc kind via cpus pairs rounds handovers elapsed_ns ns_per_handover
 *   cpu_ns_per_handover ns_per_roundtrip apart switches tids
 * cpu_ns_per_handover is the sides' own CPU time (user + kernel), which
 * leaves out other tasks that ran on the CPU meanwhile; apart is the share
 * of passes a side made while the other side had last run on another CPU
 * (sched_getcpu(); coroutines: 1 across two threads, else 0); switches is the
 * coroutine runtime's count (0 for processes and threads); tids lists the
 * sides' thread ids, "a,b" per pair, pairs separated by ';' (coroutines:
 * the scheduler threads).
 */
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"

enum kind { K_PROCESS, K_THREAD, K_CORO };
enum via { V_FUTEX, V_PIPE, V_YIELD, V_CHAN };

struct side_rec {
	uint32_t tid;
	uint64_t start_ns, end_ns, cpu_ns;
	uint64_t apart;			/* passes made while the other side's CPU was another */
	int err;
};

struct pair {
	_Atomic uint32_t turn;		/* whose move: 0 or 1 */
	_Atomic int cpu_now[2];		/* CPU each side last passed on */
	int ab[2], ba[2];		/* pipes: side 0 -> 1, 1 -> 0 */
	struct coro_chan *cab, *cba;	/* channels, same directions */
	struct side_rec side[2];
};

struct shared {
	_Atomic uint32_t ready;		/* sides at the start line */
	_Atomic uint32_t go;		/* 1: start */
	struct pair pair[];
};

static enum kind kind;
static enum via via;
static uint64_t rounds = 100000;
static unsigned int npairs = 1;
static int cpu[2] = { -1, -1 };		/* per side; -1: not pinned */
static const char *cpus_arg = "free";
static struct shared *sh;

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void futex_wait(_Atomic uint32_t *a, uint32_t v)
{
	syscall(SYS_futex, a, kind == K_PROCESS ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE,
		v, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *a, int n)
{
	syscall(SYS_futex, a, kind == K_PROCESS ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE,
		n, NULL, NULL, 0);
}

static int pin(int c)
{
	cpu_set_t s;

	if (c < 0)
		return 0;
	CPU_ZERO(&s);
	CPU_SET(c, &s);
	if (sched_setaffinity(0, sizeof(s), &s)) {
		perror("ss-lab-ipc: sched_setaffinity");
		return -1;
	}
	return 0;
}

/* All sides wait at the start line, so that creating them is not timed. */
static void start_line(void)
{
	atomic_fetch_add(&sh->ready, 1);
	futex_wake(&sh->ready, 1);
	while (!atomic_load(&sh->go))
		futex_wait(&sh->go, 0);
}

static void kernel_side(struct pair *p, int me)
{
	struct side_rec *r = &p->side[me];
	uint64_t c0;
	char c = 'x';

	r->tid = (uint32_t)syscall(SYS_gettid);
	if (pin(cpu[me])) {
		r->err = 1;
		start_line();
		return;
	}
	start_line();
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	r->start_ns = clock_ns(CLOCK_MONOTONIC);
	for (uint64_t i = 0; i < rounds; i++) {
		int here = sched_getcpu();

		atomic_store_explicit(&p->cpu_now[me], here, memory_order_relaxed);
		r->apart += here != atomic_load_explicit(&p->cpu_now[!me], memory_order_relaxed);
		if (via == V_PIPE) {
			if (me == 0 && (write(p->ab[1], &c, 1) != 1 || read(p->ba[0], &c, 1) != 1))
				r->err = 1;
			if (me == 1 && (read(p->ab[0], &c, 1) != 1 || write(p->ba[1], &c, 1) != 1))
				r->err = 1;
			if (r->err)
				break;
			continue;
		}
		while (atomic_load(&p->turn) != (uint32_t)me)
			futex_wait(&p->turn, !me);
		atomic_store(&p->turn, !me);
		futex_wake(&p->turn, 1);
	}
	r->end_ns = clock_ns(CLOCK_MONOTONIC);
	r->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
}

static void *thread_side(void *arg)
{
	uintptr_t v = (uintptr_t)arg;

	kernel_side(&sh->pair[v >> 1], (int)(v & 1));
	return NULL;
}

/* Wait until every side is at the start line, then start them. */
static void release(unsigned int sides)
{
	uint32_t n;

	while ((n = atomic_load(&sh->ready)) < sides)
		futex_wait(&sh->ready, n);
	atomic_store(&sh->go, 1);
	futex_wake(&sh->go, 1 << 30);
}

static int run_kernel(void)
{
	unsigned int sides = 2 * npairs;

	if (kind == K_PROCESS) {
		pid_t *kids = calloc(sides, sizeof(*kids));
		int bad = 0, st;

		if (!kids)
			return -1;
		for (unsigned int i = 0; i < sides; i++) {
			kids[i] = fork();
			if (kids[i] < 0) {
				perror("ss-lab-ipc: fork");
				return -1;
			}
			if (kids[i] == 0) {
				kernel_side(&sh->pair[i / 2], (int)(i & 1));
				_exit(sh->pair[i / 2].side[i & 1].err);
			}
		}
		release(sides);
		for (unsigned int i = 0; i < sides; i++)
			if (waitpid(kids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
				bad = 1;
		free(kids);
		return bad ? -1 : 0;
	}
	pthread_t *th = calloc(sides, sizeof(*th));

	if (!th)
		return -1;
	for (unsigned int i = 0; i < sides; i++)
		if (pthread_create(&th[i], NULL, thread_side, (void *)(uintptr_t)i)) {
			fprintf(stderr, "ss-lab-ipc: cannot create thread %u\n", i);
			return -1;
		}
	release(sides);
	for (unsigned int i = 0; i < sides; i++)
		pthread_join(th[i], NULL);
	free(th);
	return 0;
}

/* ---- coroutines ---- */

static uint64_t coro_switches;	/* runtime's count, all scheduler threads */
static pthread_barrier_t coro_barrier;
static int coro_cross;		/* sides on two scheduler threads */

static void *coro_side(void *arg)
{
	uintptr_t v = (uintptr_t)arg;
	struct pair *p = &sh->pair[v >> 1];
	int me = (int)(v & 1);
	uint64_t token = 0;

	for (uint64_t i = 0; i < rounds; i++) {
		if (via == V_YIELD) {
			/* a pass is one hand-over; the other side passes back
			 * on its next turn */
			while (atomic_load_explicit(&p->turn, memory_order_relaxed) != (uint32_t)me)
				coro_yield();
			atomic_store_explicit(&p->turn, !me, memory_order_relaxed);
			coro_yield();
			continue;
		}
		if (me == 0) {
			if (coro_chan_send(p->cab, &token) || coro_chan_recv(p->cba, &token))
				return (void *)1;
		} else {
			if (coro_chan_recv(p->cab, &token) || coro_chan_send(p->cba, &token))
				return (void *)1;
		}
	}
	return NULL;
}

/* One scheduler: runs side `only` of every pair (0 or 1), or both (-1). */
struct sched_arg {
	int only;
	uint32_t tid;
	uint64_t start_ns, end_ns, cpu_ns, switches;
	int err;
};

static void *coro_main(void *arg)
{
	struct sched_arg *a = arg;
	unsigned int n = 2 * npairs;
	struct coro **cs = calloc(n, sizeof(*cs));
	struct coro_stats s0, s1;
	uint64_t c0;

	if (!cs) {
		a->err = ENOMEM;
		return NULL;
	}
	if (coro_cross)
		pthread_barrier_wait(&coro_barrier);
	coro_get_stats(&s0);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	a->start_ns = clock_ns(CLOCK_MONOTONIC);
	for (unsigned int i = 0; i < n; i++) {
		if (a->only >= 0 && (int)(i & 1) != a->only)
			continue;
		cs[i] = coro_create(coro_side, (void *)(uintptr_t)i, NULL);
		if (!cs[i]) {
			a->err = errno;
			return NULL;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		void *res;

		if (!cs[i])
			continue;
		coro_join(cs[i], &res);
		if (res)
			a->err = EPIPE;
	}
	a->end_ns = clock_ns(CLOCK_MONOTONIC);
	a->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	coro_get_stats(&s1);
	a->switches = s1.switches - s0.switches;
	free(cs);
	return NULL;
}

static void *coro_thread(void *arg)
{
	struct sched_arg *a = arg;
	int rc;

	a->tid = (uint32_t)syscall(SYS_gettid);
	if (pin(cpu[a->only < 0 ? 0 : a->only])) {
		a->err = EINVAL;
		return NULL;
	}
	rc = coro_run(coro_main, a, NULL);
	if (rc)
		a->err = -rc;
	return NULL;
}

static int run_coro(uint64_t *elapsed, uint64_t *cpu_ns, char *tids, size_t len)
{
	struct sched_arg a[2] = { { .only = -1 }, { .only = 1 } };
	uint64_t t0 = UINT64_MAX, t1 = 0;
	int n = 1;

	for (unsigned int i = 0; i < npairs; i++) {
		if (via != V_CHAN)
			continue;
		sh->pair[i].cab = coro_chan_new(sizeof(uint64_t), 0);
		sh->pair[i].cba = coro_chan_new(sizeof(uint64_t), 0);
		if (!sh->pair[i].cab || !sh->pair[i].cba)
			return -1;
	}
	if (coro_cross) {
		pthread_t th[2];

		n = 2;
		a[0].only = 0;
		pthread_barrier_init(&coro_barrier, NULL, 2);
		for (int i = 0; i < 2; i++)
			if (pthread_create(&th[i], NULL, coro_thread, &a[i]))
				return -1;
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
	} else {
		coro_thread(&a[0]);
	}
	*cpu_ns = 0;
	for (int i = 0; i < n; i++) {
		if (a[i].err) {
			fprintf(stderr, "ss-lab-ipc: scheduler %d: %s\n", i, strerror(a[i].err));
			return -1;
		}
		coro_switches += a[i].switches;
		*cpu_ns += a[i].cpu_ns;
		if (a[i].start_ns < t0)
			t0 = a[i].start_ns;
		if (a[i].end_ns > t1)
			t1 = a[i].end_ns;
	}
	*elapsed = t1 - t0;
	if (n == 2)
		snprintf(tids, len, "%u,%u", a[0].tid, a[1].tid);
	else
		snprintf(tids, len, "%u", a[0].tid);
	return 0;
}

static int parse_cpus(const char *s)
{
	char *end;

	cpus_arg = s;
	if (!strcmp(s, "free"))
		return 0;
	cpu[0] = cpu[1] = (int)strtol(s, &end, 10);
	if (end == s || cpu[0] < 0)
		return -1;
	if (*end == ',') {
		const char *d = end + 1;

		cpu[1] = (int)strtol(d, &end, 10);
		if (end == d || cpu[1] < 0)
			return -1;
	}
	return *end ? -1 : 0;
}

static const char *const kind_names[] = { "process", "thread", "coro" };
static const char *const via_names[] = { "futex", "pipe", "yield", "chan" };

static int lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "via", required_argument, NULL, 'v' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "cpus", required_argument, NULL, 'c' },
		{ 0 }
	};
	uint64_t elapsed = 0, cpu_total = 0, handovers, apart = 0;
	int c, k = K_THREAD, v = V_FUTEX, rc;
	size_t tlen, off = 0;
	char *tids;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			k = lookup(optarg, kind_names, 3);
			break;
		case 'v':
			v = lookup(optarg, via_names, 4);
			break;
		case 'n':
			rounds = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			npairs = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			if (parse_cpus(optarg))
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (k < 0 || v < 0 || optind != argc || rounds < 1 || npairs < 1 || npairs > 4096)
		goto usage;
	kind = k;
	via = v;
	if ((kind == K_CORO) != (via == V_YIELD || via == V_CHAN))
		goto usage;
	coro_cross = kind == K_CORO && cpu[0] != cpu[1];
	if (coro_cross && via != V_CHAN)
		goto usage;
	/* Shared memory, so that processes see the same words. */
	sh = mmap(NULL, sizeof(*sh) + npairs * sizeof(struct pair), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	tlen = 24 * (size_t)npairs + 32;
	tids = malloc(tlen);
	if (sh == MAP_FAILED || !tids) {
		perror("ss-lab-ipc: mmap");
		return 1;
	}
	for (unsigned int i = 0; via == V_PIPE && i < npairs; i++)
		if (pipe(sh->pair[i].ab) || pipe(sh->pair[i].ba)) {
			perror("ss-lab-ipc: pipe");
			return 1;
		}
	if (kind == K_CORO) {
		rc = run_coro(&elapsed, &cpu_total, tids, tlen);
	} else {
		uint64_t t0 = UINT64_MAX, t1 = 0;

		rc = run_kernel();
		tids[0] = 0;
		for (unsigned int i = 0; i < npairs && !rc; i++) {
			for (int s = 0; s < 2; s++) {
				const struct side_rec *r = &sh->pair[i].side[s];

				if (r->err)
					rc = -1;
				if (r->start_ns < t0)
					t0 = r->start_ns;
				if (r->end_ns > t1)
					t1 = r->end_ns;
				cpu_total += r->cpu_ns;
				apart += r->apart;
			}
			off += snprintf(tids + off, tlen - off, "%s%u,%u", i ? ";" : "",
					sh->pair[i].side[0].tid, sh->pair[i].side[1].tid);
		}
		elapsed = t1 > t0 ? t1 - t0 : 0;
	}
	if (rc) {
		fprintf(stderr, "ss-lab-ipc: the ping-pong failed\n");
		return 1;
	}
	handovers = 2 * rounds * npairs;
	if (kind == K_CORO)
		apart = coro_cross ? handovers : 0;
	printf("lab-ipc kind=%s via=%s cpus=%s pairs=%u rounds=%llu handovers=%llu "
	       "elapsed_ns=%llu ns_per_handover=%.2f cpu_ns_per_handover=%.2f "
	       "ns_per_roundtrip=%.2f apart=%.3f switches=%llu tids=%s\n",
	       kind_names[kind], via_names[via], cpus_arg, npairs,
	       (unsigned long long)rounds, (unsigned long long)handovers,
	       (unsigned long long)elapsed, (double)elapsed / (double)handovers,
	       (double)cpu_total / (double)handovers,
	       (double)elapsed / (double)(rounds * npairs), (double)apart / (double)handovers,
	       (unsigned long long)coro_switches, tids);
	return 0;
usage:
	fprintf(stderr, "usage: ss-lab-ipc --kind process|thread|coro --via futex|pipe|yield|chan\n"
		"                  [--rounds N] [--pairs P] [--cpus C|C,D|free]\n");
	return 2;
}
