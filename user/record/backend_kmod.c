/* Module backend: records read from /dev/switchscope (kmod/), the same
 * records the BPF backend delivers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend.h"
#include "kmod.h"
#include "ss.h"

#define READ_BYTES	(1u << 20)
/* Reads per poll: bounded, so producers faster than us cannot keep the
 * recorder from flushing; the rest waits for the next poll. */
#define READS_PER_POLL	64
#define TOTAL_DEFAULT	(16u << 20)	/* all CPUs, as the BPF ring */
#define PER_CPU_MIN	(64u << 10)

struct ss_backend {
	int fd;
	char *buf;
	unsigned int ncpu;		/* the module's CPU ids */
	struct ss_kmod_cpu_stats *cpus;
};

static int kmod_ioctl_err(int e)
{
	return e == EPERM || e == EACCES ? SS_EXIT_PERM : SS_EXIT_UNSUPPORTED;
}

static uint32_t per_cpu_bytes(size_t total, unsigned int ncpu)
{
	size_t b = (total ? total : TOTAL_DEFAULT) / (ncpu ? ncpu : 1);

	if (b < PER_CPU_MIN)
		b = PER_CPU_MIN;
	if (b > SS_KMOD_BUF_MAX)
		b = SS_KMOD_BUF_MAX;
	return b;
}

static int kmod_open(struct ss_backend **out, const struct ss_backend_cfg *cfg,
		     char *err, size_t errlen)
{
	struct ss_kmod_config kc = { 0 };
	struct ss_kmod_version v;
	struct ss_backend *b;
	int fd, code, e;

	fd = ss_kmod_open(O_NONBLOCK, &v, err, errlen);
	if (fd < 0)
		return -fd;
	b = calloc(1, sizeof(*b));
	if (!b) {
		close(fd);
		return SS_EXIT_INTERNAL;
	}
	b->fd = fd;
	b->ncpu = v.ncpu;
	b->buf = malloc(READ_BYTES);
	b->cpus = calloc(v.ncpu ? v.ncpu : 1, sizeof(*b->cpus));
	if (!b->buf || !b->cpus) {
		snprintf(err, errlen, "out of memory");
		code = SS_EXIT_INTERNAL;
		goto fail;
	}
	kc.buffer_bytes = per_cpu_bytes(cfg->buffer_bytes, v.ncpu);
	kc.flags = (cfg->switch_in ? SS_KMOD_RETUSER : 0) |
		   (cfg->syscalls ? SS_KMOD_SYSCALLS : 0) |
		   (cfg->wakeup ? SS_KMOD_WAKEUP : 0) |
		   (cfg->stop_new_exe ? SS_KMOD_STOP_NEW_EXE : 0);
	if (ioctl(fd, SS_IOC_CONFIG, &kc)) {
		e = errno;
		snprintf(err, errlen, "cannot configure %s (%u bytes per CPU): %s",
			 SS_KMOD_DEVICE, kc.buffer_bytes, strerror(e));
		code = e == ENOMEM ? SS_EXIT_INTERNAL : kmod_ioctl_err(e);
		goto fail;
	}
	if (cfg->system_wide &&
	    ioctl(fd, SS_IOC_FILTER, &(struct ss_kmod_filter){ .op = SS_FILTER_ALL })) {
		e = errno;
		snprintf(err, errlen, "cannot trace every task: %s", strerror(e));
		code = kmod_ioctl_err(e);
		goto fail;
	}
	*out = b;
	return SS_OK;
fail:
	close(b->fd);
	free(b->buf);
	free(b->cpus);
	free(b);
	return code;
}

static int kmod_filter(struct ss_backend *b, uint32_t op, uint32_t tgid)
{
	struct ss_kmod_filter f = { .op = op, .tgid = tgid };

	return ioctl(b->fd, SS_IOC_FILTER, &f) ? -errno : 0;
}

static int kmod_add_tgid(struct ss_backend *b, uint32_t tgid)
{
	return kmod_filter(b, SS_FILTER_ADD, tgid);
}

static int kmod_del_tgid(struct ss_backend *b, uint32_t tgid)
{
	return kmod_filter(b, SS_FILTER_DEL, tgid);
}

static int kmod_start(struct ss_backend *b, char *err, size_t errlen)
{
	if (ioctl(b->fd, SS_IOC_START, 0)) {
		int e = errno;

		snprintf(err, errlen, "cannot attach the module's probes: %s",
			 strerror(e));
		return kmod_ioctl_err(e);
	}
	return SS_OK;
}

static void kmod_stop(struct ss_backend *b)
{
	ioctl(b->fd, SS_IOC_STOP, 0);
}

static int kmod_poll(struct ss_backend *b, int timeout_ms, ss_record_cb cb,
		     void *ctx)
{
	struct pollfd p = { .fd = b->fd, .events = POLLIN };
	int delivered = 0;

	/* The module wakes us only past a fill level: read after the
	 * timeout whether or not it did. */
	if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < READS_PER_POLL; i++) {
		ssize_t n = read(b->fd, b->buf, READ_BYTES);
		size_t off = 0;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		if (n == 0)
			break;
		while (off + sizeof(struct ss_hdr) <= (size_t)n) {
			const struct ss_hdr *h = (const void *)(b->buf + off);

			if (h->size < sizeof(*h) || off + h->size > (size_t)n)
				return -EPROTO;
			cb(ctx, h);
			delivered++;
			off += h->size;
		}
	}
	return delivered;
}

static int kmod_lost(struct ss_backend *b, struct ss_cpu_lost *lost,
		     unsigned int ncpu)
{
	struct ss_kmod_stats st = {
		.cpus = (uintptr_t)b->cpus,
		.ncpu = b->ncpu,
	};

	if (ioctl(b->fd, SS_IOC_STATS, &st))
		return -errno;
	for (unsigned int i = 0; i < ncpu && i < st.ncpu; i++) {
		lost[i].count = b->cpus[i].dropped;
		lost[i].last_ts = b->cpus[i].last_drop_ns;
	}
	return 0;
}

static void kmod_close(struct ss_backend *b)
{
	close(b->fd);
	free(b->buf);
	free(b->cpus);
	free(b);
}

const struct ss_backend_ops ss_backend_kmod = {
	.name = "kmod",
	.id = SS_BACKEND_KMOD,
	.open = kmod_open,
	.add_tgid = kmod_add_tgid,
	.del_tgid = kmod_del_tgid,
	.start = kmod_start,
	.stop = kmod_stop,
	.poll = kmod_poll,
	.lost = kmod_lost,
	.close = kmod_close,
};
