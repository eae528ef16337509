#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kmod.h"
#include "ss.h"

int ss_kmod_loaded(void)
{
	return access("/sys/module/switchscope", F_OK) == 0;
}

void ss_kmod_not_loaded(char *err, size_t errlen)
{
	snprintf(err, errlen, "the switchscope kernel module is not loaded: "
		 "load it as root with 'insmod %s' (built by 'make kmod')%s",
		 SS_KMOD_KO, access("/proc/modules", F_OK) ? "; this kernel has "
		 "no module support, though: use --backend bpf" : "");
}

int ss_kmod_open(int extra_flags, struct ss_kmod_version *v, char *err,
		 size_t errlen)
{
	struct ss_kmod_version ver;
	int fd, e;

	fd = open(SS_KMOD_DEVICE, O_RDONLY | O_CLOEXEC | extra_flags);
	if (fd < 0) {
		e = errno;
		switch (e) {
		case ENOENT:
		case ENXIO:
		case ENODEV:
			if (!ss_kmod_loaded()) {
				ss_kmod_not_loaded(err, errlen);
				return -SS_EXIT_UNSUPPORTED;
			}
			snprintf(err, errlen, "the switchscope module is loaded but "
				 "%s cannot be opened (%s): is devtmpfs mounted on /dev?",
				 SS_KMOD_DEVICE, strerror(e));
			return -SS_EXIT_UNSUPPORTED;
		case EPERM:
		case EACCES:
			snprintf(err, errlen, "opening %s needs CAP_PERFMON or "
				 "CAP_SYS_ADMIN: run as root", SS_KMOD_DEVICE);
			return -SS_EXIT_PERM;
		case EBUSY:
			snprintf(err, errlen, "%s is busy: another recording is using "
				 "the module (one at a time)", SS_KMOD_DEVICE);
			return -SS_EXIT_UNSUPPORTED;
		default:
			snprintf(err, errlen, "cannot open %s: %s", SS_KMOD_DEVICE,
				 strerror(e));
			return -SS_EXIT_INTERNAL;
		}
	}
	if (ioctl(fd, SS_IOC_VERSION, &ver)) {
		snprintf(err, errlen, "%s does not answer the version ioctl (%s): "
			 "is it the switchscope module?", SS_KMOD_DEVICE,
			 strerror(errno));
		close(fd);
		return -SS_EXIT_UNSUPPORTED;
	}
	if (ver.major != SS_KMOD_ABI_MAJOR) {
		snprintf(err, errlen, "the loaded switchscope module speaks ABI "
			 "%u.%u, this switchscope needs %u.x: load the module built "
			 "with it (%s)", ver.major, ver.minor, SS_KMOD_ABI_MAJOR,
			 SS_KMOD_KO);
		close(fd);
		return -SS_EXIT_UNSUPPORTED;
	}
	if (v)
		*v = ver;
	return fd;
}

static int grow_cpus(struct ss_kmod_proc *p, unsigned int cpu)
{
	struct ss_kmod_cpu_stats *n;

	if (cpu < p->ncpu)
		return 0;
	n = realloc(p->cpus, (cpu + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + p->ncpu, 0, (cpu + 1 - p->ncpu) * sizeof(*n));
	p->cpus = n;
	p->ncpu = cpu + 1;
	return 0;
}

int ss_kmod_proc_read(struct ss_kmod_proc *p)
{
	static const char *const cls[SS_CLASS_MAX] = {
		"thread", "process", "to_idle", "from_idle", "kthread",
	};
	unsigned long long a, b, c;
	char line[256], word[32];
	unsigned int cpu;
	FILE *f;

	memset(p, 0, sizeof(*p));
	f = fopen(SS_KMOD_PROC, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "abi %u.%u", &p->abi_major, &p->abi_minor) == 2)
			continue;
		if (sscanf(line, "session %15s", p->session) == 1)
			continue;
		if (!strcmp(line, "filter all\n")) {
			p->all = 1;
			continue;
		}
		if (sscanf(line, "filter tgids %u", &p->ntgids) == 1)
			continue;
		if (sscanf(line, "buffer_bytes %llu", &a) == 1) {
			p->buffer_bytes = a;
			continue;
		}
		if (sscanf(line, "switches_%31s %llu", word, &a) == 2) {
			for (int i = 0; i < SS_CLASS_MAX; i++)
				if (!strcmp(word, cls[i]))
					p->switches[i] = a;
			continue;
		}
		if (sscanf(line, "cpu %u written %llu dropped %llu last_drop_ns %llu",
			   &cpu, &a, &b, &c) == 4 && cpu < 65536) {
			if (grow_cpus(p, cpu)) {
				fclose(f);
				ss_kmod_proc_free(p);
				return -ENOMEM;
			}
			p->cpus[cpu].written = a;
			p->cpus[cpu].dropped = b;
			p->cpus[cpu].last_drop_ns = c;
		}
	}
	fclose(f);
	return 0;
}

void ss_kmod_proc_free(struct ss_kmod_proc *p)
{
	free(p->cpus);
	p->cpus = NULL;
	p->ncpu = 0;
}

int ss_kmod_floor(struct ss_kmod_floor *f, char *err, size_t errlen)
{
	int fd = ss_kmod_open(0, NULL, err, errlen), e;

	if (fd < 0)
		return -fd;
	if (!ioctl(fd, SS_IOC_FLOOR, f)) {
		close(fd);
		return SS_OK;
	}
	e = errno;
	close(fd);
	if (e == EINVAL) {
		snprintf(err, errlen, "CPU %u is not online", f->cpu);
		return SS_EXIT_USAGE;
	}
	snprintf(err, errlen, "floor measurement failed: %s", strerror(e));
	return SS_EXIT_INTERNAL;
}
