/* Minimal test harness: TEST() registers, CHECK*() report what was expected
 * and what came, main() runs every test in a child process (a crash fails
 * one test, not the suite) and prints "N passed, N failed".
 *
 * One file of a suite defines SS_TEST_MAIN before including this header.
 * Arguments to the suite select tests by substring. SS_TEST_NOFORK=1 runs
 * them in-process (for gdb). */
#ifndef SS_TESTS_HARNESS_H
#define SS_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ss_test {
	const char *name;
	void (*fn)(void);
	struct ss_test *next;
};

void ss_test_register(struct ss_test *t);
void ss_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ss_test_skip(const char *why);
extern int ss_test_failed;

#define TEST(fn_)							\
	static void fn_(void);						\
	static struct ss_test ss_test_##fn_ = { #fn_, fn_, NULL };	\
	__attribute__((constructor)) static void ss_reg_##fn_(void)	\
	{ ss_test_register(&ss_test_##fn_); }				\
	static void fn_(void)

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		ss_test_fail(__FILE__, __LINE__, "CHECK(" #cond ") " __VA_ARGS__); \
} while (0)

/* Stop the current test when a precondition for the rest fails. */
#define REQUIRE(cond, ...) do {						\
	if (!(cond)) {							\
		ss_test_fail(__FILE__, __LINE__, "REQUIRE(" #cond ") " __VA_ARGS__); \
		return;							\
	}								\
} while (0)

#define CHECK_OP(a, op, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (!(a_ op b_))						\
		ss_test_fail(__FILE__, __LINE__,			\
			     "%s %s %s: expected %lld %s %lld",		\
			     #a, #op, #b, a_, #op, b_);			\
} while (0)
#define CHECK_EQ(a, b) CHECK_OP(a, ==, b)
#define CHECK_NE(a, b) CHECK_OP(a, !=, b)
#define CHECK_GE(a, b) CHECK_OP(a, >=, b)
#define CHECK_LE(a, b) CHECK_OP(a, <=, b)
#define CHECK_GT(a, b) CHECK_OP(a, >, b)
#define CHECK_LT(a, b) CHECK_OP(a, <, b)
#define CHECK_STR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (!a_ || !b_ || strcmp(a_, b_) != 0)				\
		ss_test_fail(__FILE__, __LINE__,			\
			     "%s == %s: expected \"%s\", got \"%s\"",	\
			     #a, #b, b_ ? b_ : "(null)", a_ ? a_ : "(null)"); \
} while (0)

#ifdef SS_TEST_MAIN
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ss_test *ss_tests, **ss_tests_tail = &ss_tests;
int ss_test_failed;
static int ss_test_skipped;

void ss_test_register(struct ss_test *t)
{
	*ss_tests_tail = t;
	ss_tests_tail = &t->next;
}

void ss_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ss_test_failed = 1;
}

/* A test that cannot run here counts as failed unless SS_TEST_ALLOW_SKIP
 * is set: CI must not pass on tests that did not run. */
void ss_test_skip(const char *why)
{
	fprintf(stderr, "  skipped: %s\n", why);
	if (getenv("SS_TEST_ALLOW_SKIP"))
		ss_test_skipped = 1;
	else
		ss_test_failed = 1;
}

static int ss_selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

static int ss_run_one(struct ss_test *t)
{
	int status;
	pid_t pid;

	if (getenv("SS_TEST_NOFORK")) {
		ss_test_failed = 0;
		t->fn();
		return ss_test_failed ? 1 : 0;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ss_test_failed = 0;
		t->fn();
		fflush(NULL);
		_exit(ss_test_failed ? 1 : ss_test_skipped ? 3 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "  killed by signal %d\n", WTERMSIG(status));
		return 1;
	}
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	int pass = 0, fail = 0, skip = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct ss_test *t = ss_tests; t; t = t->next) {
		if (!ss_selected(t->name, argc, argv))
			continue;
		int rc = ss_run_one(t);

		if (rc == 0) {
			printf("PASS %s\n", t->name);
			pass++;
		} else if (rc == 3) {
			printf("SKIP %s\n", t->name);
			skip++;
		} else {
			printf("FAIL %s\n", t->name);
			fail++;
		}
	}
	if (skip)
		printf("%d skipped\n", skip);
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
#endif /* SS_TEST_MAIN */
#endif /* SS_TESTS_HARNESS_H */
