/* Helpers for every BPF object the recorder loads. */
#ifndef SS_BPF_COMMON_H
#define SS_BPF_COMMON_H

#include <stddef.h>
#include <stdint.h>

struct btf;

/* Per-CPU loss counter of bpf/common.bpf.h. */
struct ss_lost_cnt {
	uint64_t count;
	uint64_t last_ts;
};

/* SS_OK, or SS_EXIT_PERM / SS_EXIT_UNSUPPORTED with a message that says
 * which capability or kernel feature is missing and how to get it. */
int ss_bpf_check_privileges(char *err, size_t errlen);
/* Turn a failed load into a message and an exit code. */
int ss_bpf_load_error(int rc, char *err, size_t errlen);
/* Keep libbpf quiet unless SWITCHSCOPE_DEBUG is set; its last warnings
 * are kept for ss_bpf_load_error. */
void ss_bpf_quiet_libbpf(void);
/* Ring buffer size: a power of two of at least 64 KiB (default 16 MiB). */
size_t ss_bpf_ring_size(size_t want);
/* Does the kernel BTF know the tracepoint (btf_trace_<name>)? */
int ss_btf_has_tracepoint(const struct btf *vmlinux, const char *name);

#endif
