/* The switchscope kernel module (/dev/switchscope) seen from user space:
 * opening it with errors that say what to do, and its counters file. */
#ifndef SS_KMOD_USER_H
#define SS_KMOD_USER_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

/* Where the module is built; the hint in every "not loaded" message. */
#define SS_KMOD_KO	"build/kmod/switchscope.ko"

/* Open /dev/switchscope (O_RDONLY | O_CLOEXEC | extra_flags) and check
 * the module's ABI version. Returns the fd, or -code (an ss_exit code:
 * SS_EXIT_UNSUPPORTED when the module is not loaded or speaks another
 * ABI, or the device is busy; SS_EXIT_PERM without CAP_PERFMON or
 * CAP_SYS_ADMIN) with a message in err. v, if not NULL, gets the version. */
int ss_kmod_open(int extra_flags, struct ss_kmod_version *v, char *err,
		 size_t errlen);

/* The message for a module that is not loaded: how to load it. */
void ss_kmod_not_loaded(char *err, size_t errlen);

/* Is the module loaded (/sys/module/switchscope)? */
int ss_kmod_loaded(void);

/* The in-kernel floor of a context switch (SS_IOC_FLOOR): f->iterations
 * and f->cpu in, the rest out. Returns SS_OK, or an ss_exit code with a
 * message in err. */
int ss_kmod_floor(struct ss_kmod_floor *f, char *err, size_t errlen);

/* /proc/switchscope, parsed. */
struct ss_kmod_proc {
	unsigned int abi_major, abi_minor;
	char session[16];		/* none, idle, recording, stopped */
	int all;			/* filter: every task */
	unsigned int ntgids;		/* filter: processes */
	uint64_t buffer_bytes;		/* per CPU */
	uint64_t switches[SS_CLASS_MAX];
	unsigned int ncpu;		/* entries below */
	struct ss_kmod_cpu_stats *cpus;	/* malloc'd, indexed by CPU id */
};

/* Returns 0, or -errno (ENOENT: the module is not loaded). */
int ss_kmod_proc_read(struct ss_kmod_proc *p);
void ss_kmod_proc_free(struct ss_kmod_proc *p);

#endif
