/*
 * The claim the project is about: a coroutine switch never enters the
 * kernel. A seccomp filter turns every system call of one thread into a
 * SIGSYS while its coroutines ping-pong; the handler counts them by number
 * and makes them fail with ENOSYS (rt_sigprocmask it performs on the
 * signal mask sigreturn installs). write and exit stay allowed for error
 * reports. Runs natively only (qemu-user cannot filter the guest's
 * system calls).
 */
#if !defined(CORO_TEST_QEMU)
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "harness.h"
#include "helpers.h"

#define NPASSES 50000
#define MAXNR 512

static volatile sig_atomic_t counting;
static volatile unsigned long counts[MAXNR];
static volatile unsigned long total;

#if defined(__x86_64__)
#define ARG(uc, i)	((uc)->uc_mcontext.gregs[(int[]){ REG_RDI, REG_RSI, REG_RDX }[i]])
#define RET(uc)		((uc)->uc_mcontext.gregs[REG_RAX])
#else
#define ARG(uc, i)	((uc)->uc_mcontext.regs[i])
#define RET(uc)		((uc)->uc_mcontext.regs[0])
#endif

/* rt_sigprocmask done on the mask that sigreturn will install: glibc's
 * swapcontext does not switch when the call fails. */
static long emulate_sigprocmask(ucontext_t *uc)
{
	const uint64_t *set = (const uint64_t *)ARG(uc, 1);
	uint64_t *old = (uint64_t *)ARG(uc, 2), cur;

	memcpy(&cur, &uc->uc_sigmask, sizeof(cur));
	if (old)
		*old = cur;
	if (set) {
		switch (ARG(uc, 0)) {
		case SIG_BLOCK:
			cur |= *set;
			break;
		case SIG_UNBLOCK:
			cur &= ~*set;
			break;
		case SIG_SETMASK:
			cur = *set;
			break;
		default:
			return -EINVAL;
		}
		memcpy(&uc->uc_sigmask, &cur, sizeof(cur));
	}
	return 0;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	if (counting) {
		total++;
		if (si->si_syscall >= 0 && si->si_syscall < MAXNR)
			counts[si->si_syscall]++;
	}
	RET(uc) = si->si_syscall == __NR_rt_sigprocmask ? emulate_sigprocmask(uc) : -ENOSYS;
}

static int trap_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

struct window {
	unsigned long switches;
	int trap_rc;
	int trap_errno;
	atomic_int done;
};

static volatile int go;
static volatile int finished;

static void *side(void *arg)
{
	while (!go)
		coro_yield();
	for (int i = 0; i < NPASSES; i++)
		coro_yield();
	finished++;
	for (;;)
		coro_yield();
	return NULL;
}

/*
 * Two coroutines ping-pong NPASSES times each with the trap armed, and
 * this one yields along until both are through: only yields happen in
 * the window. The run queue never empties, so the scheduler does not poll
 * epoll. The filter cannot be removed, so the thread never leaves the
 * window: it reports and spins until the test process exits.
 */
static void *window_main(void *arg)
{
	struct window *w = arg;
	struct coro_stats st0, st1;

	coro_create(side, NULL, NULL);
	coro_create(side, NULL, NULL);
	coro_yield();			/* both started: first-entry work done */
	w->trap_rc = trap_syscalls();
	w->trap_errno = errno;
	coro_get_stats(&st0);
	counting = 1;
	go = 1;
	while (finished < 2)
		coro_yield();
	counting = 0;
	coro_get_stats(&st1);
	w->switches = st1.switches - st0.switches;
	atomic_store(&w->done, 1);
	for (;;)
		;
	return NULL;
}

static void *window_thread(void *arg)
{
	coro_run(window_main, arg, NULL);
	return NULL;
}

static void run_window(struct window *w)
{
	pthread_t t;

	REQUIRE(pthread_create(&t, NULL, window_thread, w) == 0);
	for (int i = 0; i < 60000 && !atomic_load(&w->done); i++)
		usleep(1000);
	REQUIRE(atomic_load(&w->done), "the window did not finish in 60 s");
	REQUIRE(w->trap_rc == 0, "seccomp: %s", strerror(w->trap_errno));
	CHECK_GE(w->switches, 2 * NPASSES);
}

TEST(asm_switches_make_no_system_call)
{
	struct window w = { 0 };

	run_window(&w);
	CHECK_EQ(total, 0);
	for (int nr = 0; nr < MAXNR; nr++)
		CHECK(counts[nr] == 0, "syscall %d entered %lu times", nr, counts[nr]);
}

/* The comparison backend does enter the kernel: glibc's swapcontext sets
 * the signal mask on every switch. The same check must see that. */
TEST(ucontext_switches_do_make_system_calls)
{
	struct window w = { 0 };

	REQUIRE(coro_set_backend(CORO_BACKEND_UCONTEXT) == 0);
	run_window(&w);
	CHECK_GE(counts[__NR_rt_sigprocmask], w.switches);
}

/* The verify test hook puts one getppid() into every switch window. */
TEST(test_hook_puts_a_syscall_in_every_switch)
{
	struct window w = { 0 };

	coro_set_test_hooks(CORO_TEST_SWITCH_SYSCALL);
	run_window(&w);
	CHECK_EQ(counts[__NR_getppid], w.switches);
}
#endif /* !CORO_TEST_QEMU */
