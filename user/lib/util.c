#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ss.h"
#include "syscalls_x86_64.h"
#include "syscalls_aarch64.h"

const char *ss_prog = "switchscope";

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", ss_prog, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ss_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void ss_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t ss_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t ss_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

const char *ss_fmt_dur(char *buf, size_t len, uint64_t ns)
{
	static const struct { uint64_t div; const char *unit; } u[] = {
		{ 1000000000ull, "s" }, { 1000000ull, "ms" }, { 1000ull, "us" },
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (ns >= u[i].div) {
			double v = (double)ns / u[i].div;

			snprintf(buf, len, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s",
				 v, u[i].unit);
			return buf;
		}
	}
	snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	return buf;
}

void ss_wrap(FILE *f, const char *first, int indent, int width, const char *text)
{
	int col = fprintf(f, "%s", first), space = col > 0;

	for (const char *p = text; *p;) {
		size_t w;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w = strcspn(p, " ");
		if (col + space + (int)w > width && col > indent) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			space = 0;
		}
		if (space)
			fputc(' ', f);
		fwrite(p, 1, w, f);
		col += space + (int)w;
		space = 1;
		p += w;
	}
	fputc('\n', f);
}

static const char *const type_names[SS_EV_MAX] = {
	[SS_EV_SWITCH] = "switch",
	[SS_EV_WAKING] = "waking",
	[SS_EV_WAKEUP] = "wakeup",
	[SS_EV_WAKEUP_NEW] = "wakeup_new",
	[SS_EV_NEWTASK] = "newtask",
	[SS_EV_EXEC] = "exec",
	[SS_EV_EXIT] = "exit",
	[SS_EV_COMM] = "comm",
	[SS_EV_LOST] = "lost",
	[SS_EV_MIGRATE] = "migrate",
	[SS_EV_RETUSER] = "retuser",
	[SS_EV_SYSCALL] = "syscall",
	[SS_EV_FAULT] = "fault",
	[SS_EV_TLB] = "tlb_flush",
	[SS_EV_CORO_CREATE] = "coro_create",
	[SS_EV_CORO_SWITCH] = "coro_switch",
	[SS_EV_CORO_PARK] = "coro_park",
	[SS_EV_CORO_READY] = "coro_ready",
	[SS_EV_CORO_EXIT] = "coro_exit",
	[SS_EV_CORO_STATS] = "coro_stats",
	[SS_EV_STACK] = "stack",
	[SS_EV_MAP] = "map",
	[SS_EV_SYM] = "sym",
	[SS_EV_TRIGGER] = "trigger",
	[SS_EV_CGROUP] = "cgroup",
};

static const unsigned short type_sizes[SS_EV_MAX] = {
	[SS_EV_SWITCH] = sizeof(struct ss_switch),
	[SS_EV_WAKING] = sizeof(struct ss_wakeup),
	[SS_EV_WAKEUP] = sizeof(struct ss_wakeup),
	[SS_EV_WAKEUP_NEW] = sizeof(struct ss_wakeup),
	[SS_EV_NEWTASK] = sizeof(struct ss_newtask),
	[SS_EV_EXEC] = sizeof(struct ss_exec),
	[SS_EV_EXIT] = sizeof(struct ss_exit),
	[SS_EV_COMM] = sizeof(struct ss_comm),
	[SS_EV_LOST] = sizeof(struct ss_lost),
	[SS_EV_MIGRATE] = sizeof(struct ss_migrate),
	[SS_EV_RETUSER] = sizeof(struct ss_retuser),
	[SS_EV_SYSCALL] = sizeof(struct ss_syscall),
	[SS_EV_FAULT] = sizeof(struct ss_fault),
	[SS_EV_TLB] = sizeof(struct ss_tlb),
	[SS_EV_CORO_CREATE] = sizeof(struct ss_coro_create),
	[SS_EV_CORO_SWITCH] = sizeof(struct ss_coro_switch),
	[SS_EV_CORO_PARK] = sizeof(struct ss_coro_park),
	[SS_EV_CORO_READY] = sizeof(struct ss_coro_ready),
	[SS_EV_CORO_EXIT] = sizeof(struct ss_coro_exit),
	[SS_EV_CORO_STATS] = SS_CORO_STATS_V1_SIZE,	/* 2.2 added a field */
	[SS_EV_STACK] = sizeof(struct ss_stack),
	[SS_EV_MAP] = sizeof(struct ss_map),
	[SS_EV_SYM] = sizeof(struct ss_sym),
	[SS_EV_TRIGGER] = sizeof(struct ss_trigger),
	[SS_EV_CGROUP] = sizeof(struct ss_cgroup),
};

const char *ss_type_name(unsigned int type)
{
	static char buf[16];

	if (type < SS_EV_MAX && type_names[type])
		return type_names[type];
	snprintf(buf, sizeof(buf), "type-%u", type);
	return buf;
}

unsigned int ss_type_min_size(unsigned int type)
{
	return type < SS_EV_MAX ? type_sizes[type] : 0;
}

const struct ss_stack_ids *ss_rec_stacks(const struct ss_hdr *h)
{
	unsigned int base;

	switch (h->type) {
	case SS_EV_SWITCH: base = sizeof(struct ss_switch); break;
	case SS_EV_WAKING: base = sizeof(struct ss_wakeup); break;
	case SS_EV_CORO_PARK: base = sizeof(struct ss_coro_park); break;
	default: return NULL;
	}
	if (h->size < base + sizeof(struct ss_stack_ids))
		return NULL;
	return (const struct ss_stack_ids *)((const char *)h + base);
}

const char *ss_class_name(unsigned int cls)
{
	static const char *const n[SS_CLASS_MAX] = {
		[SS_CLASS_THREAD] = "thread",
		[SS_CLASS_PROCESS] = "process",
		[SS_CLASS_TO_IDLE] = "to-idle",
		[SS_CLASS_FROM_IDLE] = "from-idle",
		[SS_CLASS_KTHREAD] = "kthread",
	};
	return cls < SS_CLASS_MAX ? n[cls] : "unknown";
}

const char *ss_park_reason_name(unsigned int reason)
{
	switch (reason) {
	case SS_PARK_CHANNEL: return "channel";
	case SS_PARK_FD: return "fd";
	case SS_PARK_SLEEP: return "sleep";
	case SS_PARK_JOIN: return "join";
	case SS_PARK_YIELD: return "yield";
	default: return "other";
	}
}

const char *ss_syscall_name(const char *machine, unsigned int nr)
{
	if (!strcmp(machine, "x86_64")) {
		/* Newer than the uapi headers this was built with (6.11+). */
		if (nr == 335)
			return "uretprobe";
		if (nr == 336)
			return "uprobe";
		if (nr < sizeof(ss_syscalls_x86_64) / sizeof(ss_syscalls_x86_64[0]))
			return ss_syscalls_x86_64[nr];
	} else if (!strcmp(machine, "aarch64")) {
		if (nr < sizeof(ss_syscalls_aarch64) / sizeof(ss_syscalls_aarch64[0]))
			return ss_syscalls_aarch64[nr];
	}
	return NULL;
}

void ss_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int ss_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int ss_parse_dur(const char *s, uint64_t *out)
{
	static const struct { const char *sfx; double mul; } u[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
	};
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (!strcmp(end, u[i].sfx)) {
			*out = (uint64_t)(v * u[i].mul);
			return 0;
		}
	}
	return -1;
}

int ss_parse_size(const char *s, unsigned int shift, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end || v > (~0ull >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* Where the helper programs (the lab's workloads, ss-pingpong) are: in the
 * build tree next to the executable (build/bin/); installed, in
 * PREFIX/libexec/switchscope/ beside PREFIX/bin/ (make install). The
 * installed layout wins when that directory exists, so a copied or
 * relocated tree works as long as bin/ and libexec/ move together. */
int ss_exe_dir(char *buf, size_t len)
{
	char exe[PATH_MAX], helpers[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *dir;
	struct stat st;

	if (n <= 0)
		return -1;
	exe[n] = 0;
	dir = dirname(exe);
	snprintf(helpers, sizeof(helpers), "%s/../libexec/switchscope", dir);
	if (!stat(helpers, &st) && S_ISDIR(st.st_mode))
		dir = helpers;
	if ((size_t)snprintf(buf, len, "%s", dir) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

char *ss_proc_stat(uint32_t tgid, uint32_t tid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/stat", tgid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	/* the name may hold spaces and parentheses: the last ')' ends it */
	return strrchr(buf, ')');
}
