/* What the machine allows, read before the capacity runs spawn thousands
 * of tasks: each cap is the lab's own bound lowered to half of what is
 * still free under every limit, so that the runs report limits instead of
 * hitting them (the machine may be shared). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lab.h"

static uint64_t read_u64(const char *path, uint64_t dflt)
{
	char buf[64];
	FILE *f = fopen(path, "re");
	uint64_t v = dflt;

	if (!f)
		return dflt;
	if (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "max", 3))
			v = 0;
		else
			v = strtoull(buf, NULL, 10);
	}
	fclose(f);
	return v;
}

static uint64_t meminfo(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	uint64_t v = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 10) * 1024;
			break;
		}
	fclose(f);
	return v;
}

/* Tasks on the system, and those of our real uid. */
static void count_tasks(uint64_t *all, uint64_t *mine)
{
	char path[300], line[256];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	uid_t me = getuid();

	*all = *mine = 0;
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		unsigned long threads = 0, uid = (unsigned long)-1;
		FILE *f;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Uid:", 4))
				uid = strtoul(line + 4, NULL, 10);
			else if (!strncmp(line, "Threads:", 8))
				threads = strtoul(line + 8, NULL, 10);
		}
		fclose(f);
		*all += threads;
		if (uid == me)
			*mine += threads;
	}
	closedir(dir);
}

/* The cgroup (v2, or the v1 hierarchy of controller) we are in. */
static int cgroup_dir(const char *controller, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *path;

		if (!ctl || !(path = strchr(ctl + 1, ':')))
			continue;
		*path++ = 0;
		path[strcspn(path, "\n")] = 0;
		ctl++;
		if (!*ctl && !strncmp(line, "0", 1))
			found = snprintf(out, len, "/sys/fs/cgroup%s", path) > 0 &&
				access(out, F_OK) == 0 &&
				(access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0);
		else if (strstr(ctl, controller))
			found = snprintf(out, len, "/sys/fs/cgroup/%s%s", controller, path) > 0;
	}
	fclose(f);
	return found;
}

static void cgroup_limits(struct lab_limits *l)
{
	char d[400], p[460];

	if (cgroup_dir("pids", d, sizeof(d))) {
		snprintf(p, sizeof(p), "%s/pids.max", d);
		l->cg_pids_max = read_u64(p, 0);
		snprintf(p, sizeof(p), "%s/pids.current", d);
		l->cg_pids_cur = read_u64(p, 0);
	}
	if (cgroup_dir("memory", d, sizeof(d))) {
		snprintf(p, sizeof(p), "%s/memory.max", d);
		l->cg_mem_max = read_u64(p, 0);
		if (!l->cg_mem_max) {
			snprintf(p, sizeof(p), "%s/memory.limit_in_bytes", d);
			l->cg_mem_max = read_u64(p, 0);
		}
		/* v1 spells "no limit" as a huge number */
		if (l->cg_mem_max >= (1ull << 60))
			l->cg_mem_max = 0;
		snprintf(p, sizeof(p), "%s/memory.current", d);
		l->cg_mem_cur = read_u64(p, 0);
		if (!l->cg_mem_cur) {
			snprintf(p, sizeof(p), "%s/memory.usage_in_bytes", d);
			l->cg_mem_cur = read_u64(p, 0);
		}
	}
}

static void lower(uint64_t *cap, char *why, size_t len, uint64_t room, const char *what)
{
	uint64_t half = room / 2;

	if (half < *cap) {
		*cap = half;
		snprintf(why, len, "half the room left by %s", what);
	}
}

void lab_limits_read(struct lab_limits *l, int quick)
{
	static const uint64_t caps[2][LAB_KINDS] = {
		{ 10000, 10000, 1000000 },	/* default */
		{ 1000, 2000, 100000 },		/* --quick */
	};
	struct rlimit rl;
	uint64_t room;

	memset(l, 0, sizeof(*l));
	l->pid_max = read_u64("/proc/sys/kernel/pid_max", 32768);
	l->threads_max = read_u64("/proc/sys/kernel/threads-max", 0);
	l->max_map_count = read_u64("/proc/sys/vm/max_map_count", 65530);
	l->overcommit = (int)read_u64("/proc/sys/vm/overcommit_memory", 0);
	l->mem_avail = meminfo("MemAvailable");
	{
		uint64_t lim = meminfo("CommitLimit"), used = meminfo("Committed_AS");

		l->commit_room = lim > used ? lim - used : 0;
	}
	count_tasks(&l->tasks_now, &l->user_tasks);
	getrlimit(RLIMIT_NPROC, &rl);
	l->nproc = rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur;
	/* fork() lets root (the init user namespace's uid 0) past it */
	l->nproc_applies = getuid() != 0 && l->nproc;
	getrlimit(RLIMIT_STACK, &rl);
	l->thread_stack = rl.rlim_cur == RLIM_INFINITY ? 2u << 20 : rl.rlim_cur;
	cgroup_limits(l);

	for (int k = 0; k < LAB_KINDS; k++) {
		l->cap[k] = caps[!!quick][k];
		snprintf(l->cap_why[k], sizeof(l->cap_why[k]), "the lab's bound");
		if (k == LAB_CORO)
			continue;	/* not tasks; the workload checks map counts */
		room = l->pid_max > l->tasks_now ? l->pid_max - l->tasks_now : 0;
		lower(&l->cap[k], l->cap_why[k], sizeof(l->cap_why[k]), room, "kernel.pid_max");
		room = l->threads_max > l->tasks_now ? l->threads_max - l->tasks_now : 0;
		lower(&l->cap[k], l->cap_why[k], sizeof(l->cap_why[k]), room, "kernel.threads-max");
		if (l->nproc_applies) {
			room = l->nproc > l->user_tasks ? l->nproc - l->user_tasks : 0;
			lower(&l->cap[k], l->cap_why[k], sizeof(l->cap_why[k]), room, "RLIMIT_NPROC");
		}
		if (l->cg_pids_max) {
			room = l->cg_pids_max > l->cg_pids_cur ? l->cg_pids_max - l->cg_pids_cur : 0;
			lower(&l->cap[k], l->cap_why[k], sizeof(l->cap_why[k]), room, "the cgroup's pids.max");
		}
	}
	/* A thread is two mappings (stack and guard) in one process. */
	lower(&l->cap[LAB_THREAD], l->cap_why[LAB_THREAD], sizeof(l->cap_why[LAB_THREAD]),
	      l->max_map_count > 1000 ? l->max_map_count - 1000 : 0, "vm.max_map_count");
	if (l->overcommit == 2)
		lower(&l->cap[LAB_THREAD], l->cap_why[LAB_THREAD], sizeof(l->cap_why[LAB_THREAD]),
		      l->commit_room / l->thread_stack, "the commit limit (overcommit 2)");

	l->budget = quick ? 64u << 20 : 256u << 20;
	snprintf(l->budget_why, sizeof(l->budget_why), "the lab's budget");
	if (l->mem_avail / 4 < l->budget) {
		l->budget = l->mem_avail / 4;
		snprintf(l->budget_why, sizeof(l->budget_why), "a quarter of MemAvailable");
	}
	if (l->cg_mem_max) {
		room = l->cg_mem_max > l->cg_mem_cur ? l->cg_mem_max - l->cg_mem_cur : 0;
		if (room / 4 < l->budget) {
			l->budget = room / 4;
			snprintf(l->budget_why, sizeof(l->budget_why),
				 "a quarter of the cgroup's free memory");
		}
	}
	l->time_limit_ms = quick ? 1500 : 5000;
	ss_cpu_caps_read(&l->cpu);
}
