/* ss-lab-hold: how much memory an idle process, thread or coroutine
 * takes, and how many fit in a memory budget.
 *
 *   ss-lab-hold --kind process|thread|coro --max N [--budget BYTES]
 *               [--time-limit MS]
 *
 * Creates units that stay alive and idle (a process blocked in read(), a
 * thread blocked on a futex, a coroutine parked on a channel), in growing
 * batches, until N exist, the memory they use reaches the budget, or the
 * time limit is over; measures; then releases them all and waits for them.
 *
 * Memory is what the units make the machine use, measured, not configured:
 *   user    proportional resident set (Pss, from /proc/PID/smaps_rollup)
 *           plus page tables (VmPTE) of every process involved, minus what
 *           the workload used before the first unit: for processes the
 *           children's Pss sums with the parent's, so pages they share are
 *           counted once
 *   kernel  /proc/meminfo KernelStack and SUnreclaim (task structs, VMAs
 *           and other unreclaimable kernel objects), before vs after: these
 *           counters are system-wide, so other activity on the machine adds
 *           noise
 * During creation the children's Pss is read once each, as they come; the
 * final figure reads all of them again.
 *
 * Prints one line:
 *   lab-hold kind=K held=N max=M stop=cap|budget|time|error:MSG
 *     elapsed_ns=E user_bytes=U kstack_bytes=S kslab_bytes=L
 *     stack_bytes=B guard=G
 * stack_bytes is the stack each unit has reserved (virtual): RLIMIT_STACK
 * for a process, the default pthread stack, the coroutine stack size.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"

enum kind { K_PROCESS, K_THREAD, K_CORO };

static enum kind kind;
static uint64_t max_units, budget = UINT64_MAX, time_limit_ns = UINT64_MAX;
static uint64_t t_start;
static char stop_why[128] = "cap";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A "Name:   123 kB" field of a /proc file, in bytes; 0 if absent. */
static uint64_t proc_kb(const char *path, const char *name)
{
	char buf[4096];
	size_t nl = strlen(name);
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, nl) && p[nl] == ':')
			return strtoull(p + nl + 1, NULL, 10) * 1024;
	return 0;
}

/* Pss plus page tables of one process. */
static uint64_t proc_mem(pid_t pid)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), "/proc/%d/smaps_rollup", pid);
	snprintf(b, sizeof(b), "/proc/%d/status", pid);
	return proc_kb(a, "Pss") + proc_kb(b, "VmPTE");
}

struct kmem {
	uint64_t stack, slab;
};

static struct kmem hold_kmem;	/* at the final measurement */

static struct kmem kmem_now(void)
{
	return (struct kmem){ proc_kb("/proc/meminfo", "KernelStack"),
			      proc_kb("/proc/meminfo", "SUnreclaim") };
}

static int64_t delta(uint64_t after, uint64_t before)
{
	return (int64_t)(after - before);
}

/* Next batch: double what exists, but no further than the budget seems
 * to allow, so the last batch overshoots it by little. */
static uint64_t next_batch(uint64_t held, uint64_t used, uint64_t cap)
{
	uint64_t n = held ? held : 16;

	if (held && used && budget != UINT64_MAX) {
		uint64_t each = used / held + 1;
		uint64_t room = used < budget ? (budget - used) / each + 1 : 1;

		if (room < n)
			n = room;
	}
	if (n > cap)
		n = cap;
	if (n > max_units - held)
		n = max_units - held;
	return n;
}

/* Stop before the next batch? */
static int should_stop(uint64_t held, uint64_t used)
{
	if (held >= max_units)
		return 1;
	if (used >= budget) {
		snprintf(stop_why, sizeof(stop_why), "budget");
		return 1;
	}
	if (now_ns() - t_start >= time_limit_ns) {
		snprintf(stop_why, sizeof(stop_why), "time");
		return 1;
	}
	return 0;
}

static void failed(const char *what, int err)
{
	snprintf(stop_why, sizeof(stop_why), "error:%s:%s", what, strerror(err));
}

/* ---- processes: each blocks reading a pipe that the parent closes ---- */

static uint64_t hold_processes(uint64_t *user)
{
	pid_t *kids = calloc(max_units, sizeof(*kids));
	uint64_t held = 0, used = 0, base = proc_mem(getpid()), kids_mem = 0;
	int ready[2], release[2], st;
	char c;

	if (!kids || pipe2(ready, O_CLOEXEC) || pipe2(release, O_CLOEXEC)) {
		failed("setup", errno);
		return 0;
	}
	while (!should_stop(held, used)) {
		uint64_t n = next_batch(held, used, 4096), made = 0;

		for (; made < n; made++) {
			pid_t p = fork();

			if (p < 0) {
				failed("fork", errno);
				break;
			}
			if (p == 0) {
				close(release[1]);
				if (write(ready[1], "r", 1) != 1)
					_exit(1);
				while (read(release[0], &c, 1) > 0)
					;
				_exit(0);
			}
			kids[held + made] = p;
		}
		for (uint64_t i = 0; i < made; i++)
			if (read(ready[0], &c, 1) != 1)
				failed("ready", errno);
		for (uint64_t i = 0; i < made; i++)
			kids_mem += proc_mem(kids[held + i]);
		held += made;
		used = kids_mem + proc_mem(getpid()) - base;
		if (made < n)
			break;
	}
	/* Exact: sharing among the children changed their Pss since. */
	kids_mem = 0;
	for (uint64_t i = 0; i < held; i++)
		kids_mem += proc_mem(kids[i]);
	*user = kids_mem + proc_mem(getpid()) - base;
	hold_kmem = kmem_now();
	close(release[1]);
	for (uint64_t i = 0; i < held; i++)
		waitpid(kids[i], &st, 0);
	free(kids);
	return held;
}

/* ---- threads: each blocks on a futex word ---- */

static _Atomic uint32_t t_ready, t_release;

static void *idle_thread(void *arg)
{
	atomic_fetch_add(&t_ready, 1);
	syscall(SYS_futex, &t_ready, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	while (!atomic_load(&t_release))
		syscall(SYS_futex, &t_release, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return arg;
}

static uint64_t hold_threads(uint64_t *user)
{
	pthread_t *th = calloc(max_units, sizeof(*th));
	uint64_t held = 0, used = 0, base = proc_mem(getpid());
	uint32_t r;
	int err;

	if (!th) {
		failed("setup", ENOMEM);
		return 0;
	}
	while (!should_stop(held, used)) {
		uint64_t n = next_batch(held, used, 4096), made = 0;

		for (; made < n; made++) {
			err = pthread_create(&th[held + made], NULL, idle_thread, NULL);
			if (err) {
				failed("pthread_create", err);
				break;
			}
		}
		held += made;
		while ((r = atomic_load(&t_ready)) < held)
			syscall(SYS_futex, &t_ready, FUTEX_WAIT_PRIVATE, r, NULL, NULL, 0);
		used = proc_mem(getpid()) - base;
		if (made < n)
			break;
	}
	*user = proc_mem(getpid()) - base;
	hold_kmem = kmem_now();
	atomic_store(&t_release, 1);
	syscall(SYS_futex, &t_release, FUTEX_WAKE_PRIVATE, 1 << 30, NULL, NULL, 0);
	for (uint64_t i = 0; i < held; i++)
		pthread_join(th[i], NULL);
	free(th);
	return held;
}

/* ---- coroutines: each parks on a channel that is closed at the end ---- */

struct coro_hold {
	struct coro_chan *quit;
	uint64_t held, user;
};

static void *idle_coro(void *arg)
{
	uint64_t v;

	while (coro_chan_recv(arg, &v) == 0)
		;
	return NULL;
}

static void *coro_holder(void *arg)
{
	struct coro_hold *h = arg;
	struct coro_attr attr = { .flags = CORO_F_DETACHED };
	uint64_t used = 0, base = proc_mem(getpid());

	while (!should_stop(h->held, used)) {
		uint64_t n = next_batch(h->held, used, 65536), made = 0;

		for (; made < n; made++) {
			if (!coro_create(idle_coro, h->quit, &attr)) {
				failed("coro_create", errno);
				break;
			}
		}
		/* every new one runs once and parks */
		coro_yield();
		h->held += made;
		used = proc_mem(getpid()) - base;
		if (made < n)
			break;
	}
	h->user = proc_mem(getpid()) - base;
	hold_kmem = kmem_now();
	coro_chan_close(h->quit);
	return NULL;
}

static uint64_t hold_coros(uint64_t *user)
{
	struct coro_hold h = { .quit = coro_chan_new(sizeof(uint64_t), 0) };
	int rc;

	if (!h.quit) {
		failed("setup", errno);
		return 0;
	}
	rc = coro_run(coro_holder, &h, NULL);
	if (rc)
		failed("coro_run", -rc);
	*user = h.user;
	return h.held;
}

static uint64_t stack_bytes(void)
{
	pthread_attr_t a;
	struct rlimit rl;
	size_t sz = 0;
	const char *env;

	switch (kind) {
	case K_PROCESS:
		getrlimit(RLIMIT_STACK, &rl);
		return rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur;
	case K_THREAD:
		if (pthread_getattr_default_np(&a) == 0) {
			pthread_attr_getstacksize(&a, &sz);
			pthread_attr_destroy(&a);
		}
		return sz;
	case K_CORO:
		env = getenv("CORO_STACK_SIZE");
		return env ? strtoull(env, NULL, 10) : CORO_STACK_DEFAULT;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "max", required_argument, NULL, 'n' },
		{ "budget", required_argument, NULL, 'b' },
		{ "time-limit", required_argument, NULL, 't' },
		{ 0 }
	};
	static const char *const names[] = { "process", "thread", "coro" };
	uint64_t held = 0, user = 0;
	struct kmem k0, k1;
	int c, k = -1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			for (int i = 0; i < 3; i++)
				if (!strcmp(optarg, names[i]))
					k = i;
			break;
		case 'n':
			max_units = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			budget = strtoull(optarg, NULL, 10);
			break;
		case 't':
			time_limit_ns = strtoull(optarg, NULL, 10) * 1000000;
			break;
		default:
			goto usage;
		}
	}
	if (k < 0 || !max_units || optind != argc)
		goto usage;
	kind = k;
	k0 = kmem_now();
	t_start = now_ns();
	if (kind == K_PROCESS)
		held = hold_processes(&user);
	else if (kind == K_THREAD)
		held = hold_threads(&user);
	else
		held = hold_coros(&user);
	k1 = held ? hold_kmem : k0;
	printf("lab-hold kind=%s held=%llu max=%llu stop=%s elapsed_ns=%llu user_bytes=%llu "
	       "kstack_bytes=%lld kslab_bytes=%lld stack_bytes=%llu guard=%s\n",
	       names[kind], (unsigned long long)held, (unsigned long long)max_units, stop_why,
	       (unsigned long long)(now_ns() - t_start), (unsigned long long)user,
	       (long long)delta(k1.stack, k0.stack), (long long)delta(k1.slab, k0.slab),
	       (unsigned long long)stack_bytes(), coro_guard_mode());
	return held ? 0 : 1;
usage:
	fprintf(stderr, "usage: ss-lab-hold --kind process|thread|coro --max N "
		"[--budget BYTES] [--time-limit MS]\n");
	return 2;
}
