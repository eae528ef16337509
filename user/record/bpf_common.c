#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_common.h"
#include "ss.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

int ss_bpf_check_privileges(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int bpf, perfmon;

	if (syscall(SYS_capget, &h, d) == 0 && !has_cap(d, CAP_SYS_ADMIN)) {
		bpf = has_cap(d, CAP_BPF);
		perfmon = has_cap(d, CAP_PERFMON);
		if (!bpf || !perfmon) {
			snprintf(err, errlen,
				 "missing %s%s%s: run as root, or grant them with "
				 "'sudo setcap cap_bpf,cap_perfmon+ep build/bin/switchscope'",
				 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
				 perfmon ? "" : "CAP_PERFMON");
			return SS_EXIT_PERM;
		}
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen,
			 "this kernel has no BTF (/sys/kernel/btf/vmlinux: %s): the BPF "
			 "backend needs CONFIG_DEBUG_INFO_BTF=y; use --backend kmod instead",
			 strerror(errno));
		return SS_EXIT_UNSUPPORTED;
	}
	return SS_OK;
}

static char last_msg[512];

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("SWITCHSCOPE_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_WARN) {
		vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
		last_msg[strcspn(last_msg, "\n")] = 0;
	}
	return 0;
}

void ss_bpf_quiet_libbpf(void)
{
	libbpf_set_print(print_fn);
}

int ss_bpf_load_error(int rc, char *err, size_t errlen)
{
	if (rc == -EPERM || rc == -EACCES) {
		snprintf(err, errlen,
			 "the kernel refused to load BPF programs (%s): run as root or "
			 "with CAP_BPF and CAP_PERFMON; check kernel.unprivileged_bpf_disabled "
			 "and lockdown", strerror(-rc));
		return SS_EXIT_PERM;
	}
	snprintf(err, errlen, "cannot load the BPF programs: %s%s%s", strerror(-rc),
		 last_msg[0] ? " (libbpf: " : "", last_msg[0] ? last_msg : "");
	if (last_msg[0])
		strncat(err, ")", errlen - strlen(err) - 1);
	return SS_EXIT_UNSUPPORTED;
}

size_t ss_bpf_ring_size(size_t want)
{
	size_t sz = 64 << 10;

	if (!want)
		want = 16 << 20;
	while (sz < want && sz < (1ul << 30))
		sz <<= 1;
	return sz;
}

int ss_btf_has_tracepoint(const struct btf *vmlinux, const char *name)
{
	char tn[128];

	if (!vmlinux)
		return 0;
	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, tn, BTF_KIND_TYPEDEF) > 0;
}
