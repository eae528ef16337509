/*
 * switchscope.ko in the guest: loading, the device's rules (privilege, one
 * session, validated ioctls, whole-record reads that lose nothing), the
 * records of thread and process ping-pongs, exact drop counting, unload
 * safety, and 100 load/record/unload cycles under load.
 */
#define SS_TEST_MAIN
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#include "harness.h"
#include "guest.h"

#define RENAMES		1000
#define SWITCHES	4000	/* hand-overs: two a round trip */
#define ROUND_TRIPS	(SWITCHES / 2)

/* Non-blocking: a test never waits on a read it did not plan to. */
static int open_session(void)
{
	int rc = kmod_ensure();

	if (rc)
		return rc;
	return kmod_open(O_NONBLOCK);
}

static int config(int fd, uint32_t bytes, uint32_t wake, uint32_t flags)
{
	struct ss_kmod_config c = {
		.buffer_bytes = bytes, .wake_bytes = wake, .flags = flags,
	};

	return ioctl(fd, SS_IOC_CONFIG, &c) ? -errno : 0;
}

static int filter(int fd, uint32_t op, uint32_t tgid)
{
	struct ss_kmod_filter f = { .op = op, .tgid = tgid };

	return ioctl(fd, SS_IOC_FILTER, &f) ? -errno : 0;
}

static int stats(int fd, struct ss_kmod_stats *st, struct ss_kmod_cpu_stats *cpus,
		 unsigned int ncpu)
{
	memset(st, 0, sizeof(*st));
	st->cpus = (uintptr_t)cpus;
	st->ncpu = ncpu;
	return ioctl(fd, SS_IOC_STATS, st) ? -errno : 0;
}

static int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

TEST(load_creates_device_and_unload_removes_it)
{
	struct stat st;

	if (kmod_loaded())
		REQUIRE(kmod_unload() == 0);
	REQUIRE(access(SS_KMOD_DEVICE, F_OK) != 0, "device left by a previous load");
	CHECK_EQ(kmod_load(), 0);
	REQUIRE(stat(SS_KMOD_DEVICE, &st) == 0, "no %s: %s", SS_KMOD_DEVICE,
		strerror(errno));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0644);
	CHECK_EQ(access(SS_KMOD_PROC, R_OK), 0);
	CHECK_EQ(kmod_load(), -EEXIST);
	CHECK_EQ(kmod_unload(), 0);
	CHECK(access(SS_KMOD_DEVICE, F_OK) != 0);
	CHECK(access(SS_KMOD_PROC, F_OK) != 0);
	CHECK(!kmod_loaded());
}

TEST(version_reports_abi_and_cpus)
{
	struct ss_kmod_version v;
	int fd = open_session();

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	memset(&v, 0xff, sizeof(v));
	REQUIRE(ioctl(fd, SS_IOC_VERSION, &v) == 0);
	CHECK_EQ(v.major, SS_KMOD_ABI_MAJOR);
	CHECK_EQ(v.minor, SS_KMOD_ABI_MINOR);
	CHECK_EQ(v.ncpu, sysconf(_SC_NPROCESSORS_CONF));
	CHECK_EQ(v.pad, 0);
	close(fd);
}

/* capset() of this thread: the permitted and effective sets, one word. */
static int set_caps(uint64_t caps)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = caps, .permitted = caps },
		{ .effective = caps >> 32, .permitted = caps >> 32 },
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

static int open_as_nobody(uint64_t keep_caps)
{
	int fd;

	if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return 100;
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return 101;
	if (keep_caps && set_caps(keep_caps))
		return 102;
	fd = open(SS_KMOD_DEVICE, O_RDONLY);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno;
}

TEST(open_needs_perfmon_or_sys_admin)
{
	int st;
	pid_t pid;

	REQUIRE(kmod_ensure() == 0);
	pid = fork();
	if (pid == 0)
		_exit(open_as_nobody(0));
	st = wait_status(pid);
	REQUIRE(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), EPERM);

	pid = fork();
	if (pid == 0)
		_exit(open_as_nobody(1ull << CAP_PERFMON));
	st = wait_status(pid);
	REQUIRE(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);

	pid = fork();
	if (pid == 0)
		_exit(open_as_nobody(1ull << CAP_SYS_ADMIN));
	st = wait_status(pid);
	REQUIRE(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

TEST(one_session_at_a_time)
{
	int fd = open_session(), fd2;

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	CHECK_EQ(kmod_open(0), -EBUSY);
	close(fd);
	fd2 = kmod_open(0);
	CHECK(fd2 >= 0, "reopen after close: %s", strerror(-fd2));
	if (fd2 >= 0)
		close(fd2);
}

TEST(bad_ioctls_fail_cleanly)
{
	struct ss_kmod_config c = { 0 };
	struct ss_kmod_filter f = { 0 };
	struct ss_kmod_stats st;
	struct ss_kmod_floor fl = { 0 };
	uint64_t word = 0;
	int fd = open_session();

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	/* unknown numbers, other magics, known numbers with another size */
	CHECK_EQ(ioctl_errno(fd, _IO(SS_IOC_MAGIC, 99), NULL), ENOTTY);
	CHECK_EQ(ioctl_errno(fd, _IO('x', 1), NULL), ENOTTY);
	CHECK_EQ(ioctl_errno(fd, _IOW(SS_IOC_MAGIC, 2, uint64_t), &word), ENOTTY);
	CHECK_EQ(ioctl_errno(fd, _IOR(SS_IOC_MAGIC, 1, uint32_t), &word), ENOTTY);
	CHECK_EQ(ioctl_errno(fd, _IOR(SS_IOC_MAGIC, 4, uint32_t), &word), ENOTTY);
	CHECK_EQ(ioctl_errno(fd, TCGETS, &word), ENOTTY);
	/* bad pointers */
	CHECK_EQ(ioctl_errno(fd, SS_IOC_VERSION, NULL), EFAULT);
	CHECK_EQ(ioctl_errno(fd, SS_IOC_CONFIG, (void *)1), EFAULT);
	CHECK_EQ(ioctl_errno(fd, SS_IOC_FILTER, (void *)-4096L), EFAULT);
	CHECK_EQ(ioctl_errno(fd, SS_IOC_STATS, NULL), EFAULT);
	CHECK_EQ(ioctl_errno(fd, SS_IOC_FLOOR, NULL), EFAULT);
	memset(&st, 0, sizeof(st));
	st.cpus = 16;
	st.ncpu = 1;
	CHECK_EQ(ioctl_errno(fd, SS_IOC_STATS, &st), EFAULT);
	/* reserved fields and bits */
	c.reserved[1] = 1;
	CHECK_EQ(ioctl_errno(fd, SS_IOC_CONFIG, &c), EINVAL);
	memset(&c, 0, sizeof(c));
	c.pad = 1;
	CHECK_EQ(ioctl_errno(fd, SS_IOC_CONFIG, &c), EINVAL);
	memset(&c, 0, sizeof(c));
	c.flags = 0x80;
	CHECK_EQ(ioctl_errno(fd, SS_IOC_CONFIG, &c), EINVAL);
	f.op = SS_FILTER_ADD;
	f.tgid = getpid();
	f.reserved = 1;
	CHECK_EQ(ioctl_errno(fd, SS_IOC_FILTER, &f), EINVAL);
	memset(&st, 0, sizeof(st));
	st.reserved[0] = 1;
	CHECK_EQ(ioctl_errno(fd, SS_IOC_STATS, &st), EINVAL);
	fl.reserved[1] = 1;
	CHECK_EQ(ioctl_errno(fd, SS_IOC_FLOOR, &fl), EINVAL);
	/* values out of range */
	CHECK_EQ(filter(fd, 0, getpid()), -EINVAL);
	CHECK_EQ(filter(fd, 99, getpid()), -EINVAL);
	CHECK_EQ(filter(fd, SS_FILTER_ADD, 0), -EINVAL);
	CHECK_EQ(filter(fd, SS_FILTER_ADD, 1u << 30), -EINVAL);
	CHECK_EQ(filter(fd, SS_FILTER_ALL, 5), -EINVAL);
	CHECK_EQ(config(fd, 100, 0, 0), -EINVAL);
	CHECK_EQ(config(fd, SS_KMOD_BUF_MAX + 1, 0, 0), -EINVAL);
	CHECK_EQ(config(fd, 8192, 8193, 0), -EINVAL);
	fl = (struct ss_kmod_floor){ .iterations = SS_KMOD_FLOOR_MAX + 1 };
	CHECK_EQ(ioctl_errno(fd, SS_IOC_FLOOR, &fl), EINVAL);
	fl = (struct ss_kmod_floor){ .iterations = 10, .cpu = 4096 };
	CHECK_EQ(ioctl_errno(fd, SS_IOC_FLOOR, &fl), EINVAL);
	/* calls in the wrong state */
	CHECK_EQ(ioctl_errno(fd, SS_IOC_STOP, NULL), EINVAL);
	CHECK_EQ(config(fd, 8192, 0, 0), 0);
	CHECK_EQ(config(fd, 8192, 0, 0), -EBUSY);
	CHECK_EQ(ioctl_errno(fd, SS_IOC_START, NULL), 0);
	CHECK_EQ(ioctl_errno(fd, SS_IOC_START, NULL), EBUSY);
	CHECK_EQ(ioctl_errno(fd, SS_IOC_STOP, NULL), 0);
	CHECK_EQ(ioctl_errno(fd, SS_IOC_STOP, NULL), EINVAL);
	/* outputs are zeroed: the entries past the known classes too */
	memset(&st, 0, sizeof(st));
	memset(st.switches, 0xff, sizeof(st.switches));
	memset(st.written, 0xff, sizeof(st.written));
	REQUIRE(ioctl(fd, SS_IOC_STATS, &st) == 0);
	for (int i = SS_CLASS_MAX; i < SS_KMOD_NCLASS; i++)
		CHECK_EQ(st.switches[i], 0);
	CHECK_EQ(st.written[SS_EV_MAX - 1], 0);
	CHECK_EQ(st.pad, 0);
	CHECK_EQ(st.state, SS_KMOD_STOPPED);
	CHECK_EQ(st.buffer_bytes, 8192);
	close(fd);
}

/* Record a held child running argv; returns the records. */
static int record_child(char *const argv[], struct recs *r, struct ss_kmod_stats *st)
{
	int fd = open_session(), go, rc, status;
	pid_t pid;

	if (fd < 0)
		return fd;
	rc = config(fd, 4u << 20, 0, SS_KMOD_RETUSER);
	pid = spawn_held(argv, NULL, NULL, &go);
	if (rc || pid < 0)
		goto out;
	rc = filter(fd, SS_FILTER_ADD, pid);
	if (!rc)
		rc = ioctl(fd, SS_IOC_START, 0) ? -errno : 0;
	go_release(go);
	status = wait_status(pid);
	/* The child's last switch follows its parent's wakeup. */
	usleep(100 * 1000);
	if (!rc)
		rc = ioctl(fd, SS_IOC_STOP, 0) ? -errno : 0;
	if (!rc)
		rc = recs_read_all(fd, r);
	if (!rc)
		rc = stats(fd, st, NULL, 0);
	if (!rc && status != 0)
		rc = -ECHILD;
out:
	close(fd);
	return rc;
}

static int in_set(const uint32_t *set, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return 1;
	return 0;
}

#define TASK_DEAD	0x80

/* After the switch at h, tid only runs on to its death: its switch-outs
 * until one in TASK_DEAD are all followed by process-class switch-ins. */
static int runs_to_death(const struct recs *r, const struct ss_hdr *from,
			 uint32_t tid)
{
	int after = 0;

	recs_for_each(r, h) {
		const struct ss_switch *e = (const void *)h;

		if (h == from)
			after = 1;
		if (!after || h == from || h->type != SS_EV_SWITCH)
			continue;
		if (e->prev_tid == tid && (e->prev_state & TASK_DEAD))
			return 1;
		if (e->next_tid == tid && e->cls != SS_CLASS_PROCESS)
			return 0;
	}
	return 0;
}

/*
 * The switches between two tasks of a ping-pong (tgid and the processes
 * it forked), by class, and the tasks it created. A task that has dropped
 * its mm (exit_mm) and is switched back in to finish exiting has no mm to
 * compare, so its switch-in is classed as a process switch by both
 * backends: those are counted apart, in *exiting.
 */
static void pingpong_switches(const struct recs *r, uint32_t tgid,
			      uint64_t by_class[SS_CLASS_MAX], uint64_t *threads,
			      uint64_t *procs, uint64_t *exiting)
{
	uint32_t tgids[16] = { tgid };
	size_t ntg = 1;

	memset(by_class, 0, SS_CLASS_MAX * sizeof(uint64_t));
	*threads = *procs = *exiting = 0;
	recs_for_each(r, h) {
		const struct ss_newtask *e = (const void *)h;

		if (h->type != SS_EV_NEWTASK || !in_set(tgids, ntg, e->parent_tgid))
			continue;
		if (e->clone_flags & SS_CLONE_THREAD)
			(*threads)++;
		else
			(*procs)++;
		if (ntg < 16 && !in_set(tgids, ntg, e->tgid))
			tgids[ntg++] = e->tgid;
	}
	recs_for_each(r, h) {
		const struct ss_switch *e = (const void *)h;

		if (h->type != SS_EV_SWITCH || !e->prev_tid || !e->next_tid)
			continue;
		if (!in_set(tgids, ntg, e->prev_tgid) || !in_set(tgids, ntg, e->next_tgid) ||
		    e->cls >= SS_CLASS_MAX)
			continue;
		if (e->cls == SS_CLASS_PROCESS && e->prev_tgid == e->next_tgid &&
		    runs_to_death(r, h, e->next_tid))
			(*exiting)++;
		else
			by_class[e->cls]++;
	}
}

/* The process that exec'd the ping-pong. */
static uint32_t pingpong_tgid(const struct recs *r)
{
	uint32_t tgid = 0;

	recs_for_each(r, h) {
		const struct ss_exec *e = (const void *)h;

		if (h->type != SS_EV_EXEC)
			continue;
		CHECK(strstr(e->filename, "ss-pingpong"), "exec of %s", e->filename);
		CHECK_STR(e->comm, "ss-pingpong");
		tgid = e->tgid;
	}
	return tgid;
}

static void check_sorted_and_sized(const struct recs *r)
{
	uint64_t last = 0, bad_order = 0, bad_size = 0;

	recs_for_each(r, h) {
		if (h->ts < last)
			bad_order++;
		last = h->ts;
		if (h->size % 8 || h->type == SS_EV_NONE || h->type >= SS_EV_MAX)
			bad_size++;
	}
	CHECK_EQ(bad_order, 0);
	CHECK_EQ(bad_size, 0);
}

#define STR_(x) #x
#define STR(x) STR_(x)

/* A ping-pong recorded through the module, its switches by class. */
struct pp_run {
	uint64_t cls[SS_CLASS_MAX], threads, procs, exiting;
	struct ss_kmod_stats st;
	int ok;
};

static void record_pingpong(const char *mode, struct pp_run *p)
{
	char *argv[] = { PINGPONG, "--mode", (char *)mode, "--via", "pipe",
			 "--switches", STR(SWITCHES), "--cpu", "0", NULL };
	struct recs r = { 0 };
	uint32_t child;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = record_child(argv, &r, &p->st);
	REQUIRE(rc == 0, "recording failed: %s", strerror(-rc));
	check_sorted_and_sized(&r);
	child = pingpong_tgid(&r);
	REQUIRE(child != 0, "no exec record");
	pingpong_switches(&r, child, p->cls, &p->threads, &p->procs, &p->exiting);
	recs_free(&r);
	p->ok = 1;
}

TEST(thread_pingpong_switches_are_thread_class)
{
	struct pp_run p;

	record_pingpong("thread", &p);
	if (!p.ok)
		return;
	/* ss-pingpong's two players; the main thread waits for them. */
	CHECK_EQ(p.threads, 2);
	CHECK_EQ(p.procs, 0);
	CHECK_GE(p.cls[SS_CLASS_THREAD], ROUND_TRIPS);
	CHECK_EQ(p.cls[SS_CLASS_PROCESS], 0);
	CHECK_LE(p.exiting, 2);
	CHECK_EQ(p.cls[SS_CLASS_KTHREAD], 0);
	CHECK_EQ(p.st.dropped[SS_EV_SWITCH], 0);
	CHECK_GE(p.st.switches[SS_CLASS_THREAD], p.cls[SS_CLASS_THREAD]);
	CHECK_GT(p.st.written[SS_EV_RETUSER], 0);
}

TEST(process_pingpong_switches_are_process_class)
{
	struct pp_run p;

	record_pingpong("process", &p);
	if (!p.ok)
		return;
	CHECK_EQ(p.threads, 0);
	CHECK_EQ(p.procs, 2);
	/* The forked peer is traced: the filter followed the fork. */
	CHECK_GE(p.cls[SS_CLASS_PROCESS], ROUND_TRIPS);
	CHECK_EQ(p.cls[SS_CLASS_THREAD], 0);
	CHECK_EQ(p.st.dropped[SS_EV_SWITCH], 0);
}

static int rename_loop(int n)
{
	char name[16];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ss-name-%d", i);
		if (prctl(PR_SET_NAME, name, 0, 0, 0))
			return -errno;
	}
	return 0;
}

TEST(read_returns_whole_records_and_loses_none_on_fault)
{
	struct ss_kmod_cpu_stats cpus[64];
	struct ss_kmod_stats st;
	uint64_t written = 0, per_cpu = 0;
	char *volatile bad_ptr = (char *)8;
	struct recs r = { 0 };
	char small[8];
	int fd = open_session();

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	REQUIRE(config(fd, 1u << 20, 0, 0) == 0);
	REQUIRE(filter(fd, SS_FILTER_ADD, getpid()) == 0);
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	CHECK_EQ(rename_loop(100), 0);
	REQUIRE(ioctl(fd, SS_IOC_STOP, 0) == 0);
	REQUIRE(stats(fd, &st, cpus, 64) == 0);
	for (int t = 0; t < SS_EV_MAX; t++)
		written += st.written[t];
	for (unsigned int i = 0; i < st.ncpu; i++)
		per_cpu += cpus[i].written;
	CHECK_EQ(per_cpu, written);
	CHECK_EQ(st.written[SS_EV_COMM], 100);
	CHECK_EQ(read(fd, bad_ptr, 4096), -1);
	CHECK_EQ(errno, EFAULT);
	CHECK_EQ(read(fd, small, sizeof(small)), -1);
	CHECK_EQ(errno, EINVAL);
	REQUIRE(recs_read_all(fd, &r) == 0);
	CHECK_EQ(r.n, written);
	check_sorted_and_sized(&r);
	/* Stopped and drained: end of data. */
	CHECK_EQ(read(fd, small, sizeof(small)), 0);
	recs_free(&r);
	close(fd);
}

TEST(tiny_buffer_counts_every_drop)
{
	struct ss_kmod_cpu_stats cpus[64];
	uint64_t written = 0, dropped = 0, cpu_dropped = 0, comm = 0, last = 0;
	struct ss_kmod_stats st;
	struct recs r = { 0 };
	int fd = open_session();

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	REQUIRE(pin_cpu(0) == 0);
	REQUIRE(config(fd, SS_KMOD_BUF_MIN, 0, 0) == 0);
	REQUIRE(filter(fd, SS_FILTER_ADD, getpid()) == 0);
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	CHECK_EQ(rename_loop(RENAMES), 0);
	REQUIRE(ioctl(fd, SS_IOC_STOP, 0) == 0);
	REQUIRE(stats(fd, &st, cpus, 64) == 0);
	REQUIRE(recs_read_all(fd, &r) == 0);
	for (int t = 0; t < SS_EV_MAX; t++) {
		written += st.written[t];
		dropped += st.dropped[t];
	}
	for (unsigned int i = 0; i < st.ncpu; i++) {
		cpu_dropped += cpus[i].dropped;
		if (cpus[i].last_drop_ns > last)
			last = cpus[i].last_drop_ns;
	}
	recs_for_each(&r, h)
		comm += h->type == SS_EV_COMM;
	/* Every rename was either written or counted as dropped. */
	CHECK_EQ(st.written[SS_EV_COMM] + st.dropped[SS_EV_COMM], RENAMES);
	CHECK_GT(st.dropped[SS_EV_COMM], 0);
	CHECK_EQ(comm, st.written[SS_EV_COMM]);
	CHECK_EQ(r.n, written);
	CHECK_EQ(cpu_dropped, dropped);
	CHECK_LE(r.len, SS_KMOD_BUF_MIN * st.ncpu);
	CHECK_GT(last, 0);
	recs_free(&r);
	close(fd);
}

static int rename_later(void *arg)
{
	usleep(200 * 1000);
	return rename_loop(10) ? 1 : 0;
}

TEST(poll_wakes_reader_and_reports_end)
{
	struct pollfd p;
	int fd = open_session(), go, rc;
	size_t before;
	struct recs r = { 0 };
	pid_t pid;

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	/* Wake at the first byte. */
	REQUIRE(config(fd, 1u << 16, 1, 0) == 0);
	pid = spawn_held(NULL, rename_later, NULL, &go);
	REQUIRE(pid > 0);
	REQUIRE(filter(fd, SS_FILTER_ADD, pid) == 0);
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	/* The child may not have been asleep yet at start: let it, and
	 * take what it did until then. */
	usleep(100 * 1000);
	REQUIRE(recs_read_all(fd, &r) == 0);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 0);
	go_release(go);
	rc = poll(&p, 1, 10000);
	CHECK_EQ(rc, 1);
	CHECK(p.revents & POLLIN);
	CHECK_EQ(wait_status(pid), 0);
	REQUIRE(ioctl(fd, SS_IOC_STOP, 0) == 0);
	before = r.n;
	REQUIRE(recs_read_all(fd, &r) == 0);
	CHECK_GT(r.n, before);
	p.revents = 0;
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK(p.revents & POLLHUP);
	recs_free(&r);
	close(fd);
}

static int rename_many(void *arg)
{
	return rename_loop(RENAMES) ? 1 : 0;
}

/*
 * A threshold of the whole buffer is never crossed exactly by records
 * that do not divide it: the ring fills, and the reader must still be
 * woken rather than sleep while everything is dropped. Before the start
 * there is nothing to read yet, which is no end of file.
 */
TEST(a_full_ring_wakes_the_reader_whatever_the_threshold)
{
	struct ss_kmod_stats st;
	struct pollfd p;
	struct recs r = { 0 };
	char buf[256];
	int fd = open_session(), go;
	pid_t pid;

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	REQUIRE(config(fd, SS_KMOD_BUF_MIN, SS_KMOD_BUF_MIN, 0) == 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, EAGAIN);
	pid = spawn_held(NULL, rename_many, NULL, &go);
	REQUIRE(pid > 0);
	REQUIRE(filter(fd, SS_FILTER_ADD, pid) == 0);
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	go_release(go);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 10000), 1);
	CHECK(p.revents & POLLIN);
	CHECK_EQ(wait_status(pid), 0);
	REQUIRE(ioctl(fd, SS_IOC_STOP, 0) == 0);
	REQUIRE(stats(fd, &st, NULL, 0) == 0);
	REQUIRE(recs_read_all(fd, &r) == 0);
	CHECK_GT(st.dropped[SS_EV_COMM], 0);
	CHECK_EQ(st.written[SS_EV_COMM] + st.dropped[SS_EV_COMM], RENAMES);
	recs_free(&r);
	close(fd);
}

static void *stop_later(void *arg)
{
	usleep(200 * 1000);
	ioctl(*(int *)arg, SS_IOC_STOP);
	return NULL;
}

TEST(stop_wakes_a_blocked_reader)
{
	char buf[4096];
	pthread_t t;
	ssize_t n;
	int fd;

	REQUIRE(kmod_ensure() == 0);
	fd = kmod_open(0);
	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	/* A filter nothing matches: the reader can only be woken by stop. */
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	REQUIRE(pthread_create(&t, NULL, stop_later, &fd) == 0);
	n = read(fd, buf, sizeof(buf));
	CHECK_EQ(n, 0);
	pthread_join(t, NULL);
	close(fd);
}

static int rename_as(void *arg)
{
	return prctl(PR_SET_NAME, (char *)arg, 0, 0, 0) ? 1 : 0;
}

static int fork_and_rename(void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(rename_as(arg));
	return wait_status(pid) == 0 ? 0 : 1;
}

static int count_comm(const struct recs *r, const char *name)
{
	int n = 0;

	recs_for_each(r, h)
		if (h->type == SS_EV_COMM &&
		    !strcmp(((const struct ss_comm *)h)->comm, name))
			n++;
	return n;
}

TEST(filter_follows_fork_and_nothing_else)
{
	int fd = open_session(), go_out, go_in;
	struct recs r = { 0 };
	pid_t outsider, insider;

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	REQUIRE(config(fd, 1u << 20, 0, 0) == 0);
	/* Forked before the filter had this process: not traced. */
	outsider = spawn_held(NULL, rename_as, "ss-outsider", &go_out);
	REQUIRE(outsider > 0);
	REQUIRE(filter(fd, SS_FILTER_ADD, getpid()) == 0);
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	/* Forked while traced: the child and its own child are traced. */
	insider = spawn_held(NULL, fork_and_rename, "ss-grandchild", &go_in);
	REQUIRE(insider > 0);
	go_release(go_out);
	go_release(go_in);
	CHECK_EQ(wait_status(outsider), 0);
	CHECK_EQ(wait_status(insider), 0);
	REQUIRE(filter(fd, SS_FILTER_DEL, getpid()) == 0);
	CHECK_EQ(rename_as("ss-removed"), 0);
	REQUIRE(ioctl(fd, SS_IOC_STOP, 0) == 0);
	REQUIRE(recs_read_all(fd, &r) == 0);
	CHECK_EQ(count_comm(&r, "ss-grandchild"), 1);
	CHECK_EQ(count_comm(&r, "ss-outsider"), 0);
	CHECK_EQ(count_comm(&r, "ss-removed"), 0);
	recs_free(&r);
	close(fd);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' ? p[2] : 0;
}

TEST(first_exec_of_each_file_stops_until_continued)
{
	char *argv[] = { "/bin/sh", "-c", PINGPONG " --switches 20 && "
			 PINGPONG " --switches 20", NULL };
	int fd = open_session(), go, status = -1, execs = 0, stopped = 0;
	int not_stopped_when_said = 0;
	time_t deadline = time(NULL) + 60;
	struct recs r = { 0 };
	size_t seen = 0;
	pid_t pid;

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	REQUIRE(config(fd, 1u << 20, 1, SS_KMOD_STOP_NEW_EXE) == 0);
	pid = spawn_held(argv, NULL, NULL, &go);
	REQUIRE(pid > 0);
	REQUIRE(filter(fd, SS_FILTER_ADD, pid) == 0);
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	go_release(go);
	while (time(NULL) < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		size_t off = 0;

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		poll(&p, 1, 100);
		REQUIRE(recs_read_all(fd, &r) == 0);
		recs_for_each(&r, h) {
			const struct ss_exec *e = (const void *)h;

			if (off++ < seen || h->type != SS_EV_EXEC)
				continue;
			execs++;
			if (!(e->flags & SS_EXEC_STOPPED))
				continue;
			stopped++;
			for (int i = 0; i < 100 && proc_state(e->tgid) != 'T'; i++)
				usleep(10 * 1000);
			if (proc_state(e->tgid) != 'T')
				not_stopped_when_said++;
			kill(e->tgid, SIGCONT);
		}
		seen = r.n;
	}
	CHECK_EQ(status, 0);
	/* busybox (as sh), then ss-pingpong twice: the second is no news. */
	CHECK_EQ(execs, 3);
	CHECK_EQ(stopped, 2);
	CHECK_EQ(not_stopped_when_said, 0);
	ioctl(fd, SS_IOC_STOP, 0);
	recs_free(&r);
	close(fd);
}

TEST(unload_is_refused_while_a_reader_is_open)
{
	struct ss_kmod_stats st;
	struct recs r = { 0 };
	int fd = open_session(), rc;

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	REQUIRE(filter(fd, SS_FILTER_ALL, 0) == 0);
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	rc = kmod_unload();
	CHECK(rc == -EWOULDBLOCK || rc == -EBUSY, "unload: %s", strerror(-rc));
	CHECK(kmod_loaded());
	usleep(50 * 1000);
	/* The session goes on as if nothing happened. */
	CHECK_EQ(recs_read_once(fd, &r), 0);
	CHECK_GT(r.n, 0);
	CHECK_EQ(stats(fd, &st, NULL, 0), 0);
	CHECK_EQ(st.state, SS_KMOD_RECORDING);
	close(fd);
	CHECK_EQ(kmod_unload(), 0);
	CHECK(!kmod_loaded());
	recs_free(&r);
}

TEST(proc_counters_match_stats)
{
	struct ss_kmod_cpu_stats cpus[64];
	struct ss_kmod_stats st;
	char line[256];
	int fd = open_session(), matched = 0;
	FILE *f;

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	REQUIRE(filter(fd, SS_FILTER_ALL, 0) == 0);
	REQUIRE(ioctl(fd, SS_IOC_START, 0) == 0);
	usleep(50 * 1000);
	REQUIRE(ioctl(fd, SS_IOC_STOP, 0) == 0);
	REQUIRE(stats(fd, &st, cpus, 64) == 0);
	close(fd);
	/* The last session's counters stay readable. */
	f = fopen(SS_KMOD_PROC, "r");
	REQUIRE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long w, d, l, v;
		unsigned int cpu;
		char cls[32];

		if (sscanf(line, "cpu %u written %llu dropped %llu last_drop_ns %llu",
			   &cpu, &w, &d, &l) == 4 && cpu < st.ncpu) {
			CHECK_EQ(w, cpus[cpu].written);
			CHECK_EQ(d, cpus[cpu].dropped);
			matched++;
		} else if (sscanf(line, "switches_%31s %llu", cls, &v) == 2) {
			if (!strcmp(cls, "from_idle"))
				CHECK_EQ(v, st.switches[SS_CLASS_FROM_IDLE]);
			if (!strcmp(cls, "kthread"))
				CHECK_EQ(v, st.switches[SS_CLASS_KTHREAD]);
			matched++;
		} else if (!strcmp(line, "session none\n")) {
			matched++;
		}
	}
	fclose(f);
	CHECK_EQ(matched, st.ncpu + SS_CLASS_MAX + 1);
	CHECK_GT(st.switches[SS_CLASS_FROM_IDLE] + st.switches[SS_CLASS_KTHREAD], 0);
}

TEST(floor_times_kernel_thread_switches)
{
	struct ss_kmod_floor f = { .iterations = 20000, .cpu = 0 };
	int fd = open_session();
	double ns;

	REQUIRE(fd >= 0, "open: %s", strerror(-fd));
	REQUIRE(ioctl(fd, SS_IOC_FLOOR, &f) == 0, "floor: %s", strerror(errno));
	CHECK_EQ(f.switches, 40000);
	CHECK_EQ(f.iterations, 20000);
	ns = (double)f.elapsed_ns / f.switches;
	CHECK(ns > 10 && ns < 1e6, "%.1f ns per switch", ns);
	printf("floor: %.1f ns per switch (%llu switches on CPU 0, TCG guest)\n", ns,
	       (unsigned long long)f.switches);
	close(fd);
}

/* Switch-heavy background load for the cycles below. */
static pid_t start_load(const char *mode)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(PINGPONG, PINGPONG, "--mode", mode, "--switches", "200000000",
		      "--no-pin", (char *)NULL);
		_exit(127);
	}
	return pid;
}

TEST(hundred_load_record_unload_cycles_under_load)
{
	pid_t load[2] = { start_load("process"), start_load("thread") };
	time_t t0 = time(NULL);
	int failures = 0, cycles = 0;
	uint64_t records = 0;
	char bad[512];

	REQUIRE(load[0] > 0 && load[1] > 0);
	if (kmod_loaded())
		REQUIRE(kmod_unload() == 0);
	for (int i = 0; i < 100 && failures < 3; i++) {
		struct recs r = { 0 };
		int fd, rc;

		rc = kmod_load();
		if (rc) {
			fprintf(stderr, "  cycle %d: load: %s\n", i, strerror(-rc));
			failures++;
			continue;
		}
		fd = kmod_open(O_NONBLOCK);
		rc = fd < 0 ? fd : config(fd, 1u << 18, 0, i % 2 ? SS_KMOD_RETUSER : 0);
		if (!rc)
			rc = filter(fd, SS_FILTER_ALL, 0);
		if (!rc)
			rc = ioctl(fd, SS_IOC_START, 0) ? -errno : 0;
		usleep(10 * 1000);
		if (!rc)
			rc = recs_read_once(fd, &r);
		usleep(10 * 1000);
		/* Half the cycles close with the probes still attached. */
		if (!rc && i % 2) {
			rc = ioctl(fd, SS_IOC_STOP, 0) ? -errno : 0;
			if (!rc)
				rc = recs_read_all(fd, &r);
		}
		if (!rc && r.n == 0)
			rc = -ENODATA;
		records += r.n;
		recs_free(&r);
		if (fd >= 0)
			close(fd);
		if (!rc)
			rc = kmod_unload();
		else
			kmod_unload();
		if (rc) {
			fprintf(stderr, "  cycle %d: %s\n", i, strerror(-rc));
			failures++;
			continue;
		}
		cycles++;
	}
	/* The load ran throughout: a cycle without it proves little. */
	CHECK_EQ(waitpid(load[0], NULL, WNOHANG), 0);
	CHECK_EQ(waitpid(load[1], NULL, WNOHANG), 0);
	kill(load[0], SIGKILL);
	kill(load[1], SIGKILL);
	wait_status(load[0]);
	wait_status(load[1]);
	CHECK_EQ(cycles, 100);
	CHECK_GT(records, 0);
	printf("%d load/record/unload cycles in %ld s, %llu records\n", cycles,
	       (long)(time(NULL) - t0), (unsigned long long)records);
	CHECK(kernel_log_clean(bad, sizeof(bad)), "kernel log: %s", bad);
	CHECK_EQ(kmod_load(), 0);
}
