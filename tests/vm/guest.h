/* Helpers of the C guest tests under tests/vm: the module,
 * the device, the workload. Paths are relative to the repository root,
 * the guest's /. */
#ifndef SS_VM_GUEST_H
#define SS_VM_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "switchscope.h"

#define KO_PATH		"build/kmod/switchscope.ko"
#define PINGPONG	"build/bin/ss-pingpong"
#define SWITCHSCOPE	"build/bin/switchscope"

/* Load / unload switchscope.ko. Return 0 or -errno. */
int kmod_load(void);
int kmod_unload(void);
int kmod_loaded(void);
/* Load it unless it is loaded. */
int kmod_ensure(void);

/* open(/dev/switchscope, O_RDONLY | O_CLOEXEC | flags): fd or -errno. */
int kmod_open(int flags);

/* Records read from the device, back to back. */
struct recs {
	char *buf;
	size_t len, cap;
	size_t n;
};

/* Read until the device has nothing more (0 or EAGAIN): while a
 * system-wide recording runs, the reads themselves make more. Returns 0
 * or -errno. */
int recs_read_all(int fd, struct recs *r);
/* One read() of up to 1 MiB (EAGAIN is not an error). */
int recs_read_once(int fd, struct recs *r);
void recs_free(struct recs *r);
#define recs_for_each(r, h)						\
	for (const struct ss_hdr *h = (const void *)(r)->buf;		\
	     (const char *)h < (r)->buf + (r)->len;			\
	     h = (const void *)((const char *)h + h->size))

/* Fork a child that waits for go_release(), then runs argv (execv) or,
 * with argv NULL, fn(arg) and exits with its return value. */
pid_t spawn_held(char *const argv[], int (*fn)(void *), void *arg, int *go);
int go_release(int go);
/* waitpid; returns the wait status or -1. */
int wait_status(pid_t pid);

/* The kernel log has no BUG, oops, warning or "switchscope" error:
 * returns 1; else 0 with the first bad line in bad. */
int kernel_log_clean(char *bad, size_t len);

/* Pin the caller to one CPU. */
int pin_cpu(int cpu);

#endif
