/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * switchscope event ABI: every record that crosses a boundary (BPF -> user,
 * module -> user, recorder -> file on disk) is defined here and nowhere else.
 * bpf/, kmod/ and user/ include this one file.
 *
 * Rules: fixed-width fields only, no implicit padding, every record a
 * multiple of 8 bytes. Timestamps are CLOCK_MONOTONIC nanoseconds
 * (bpf_ktime_get_ns() / ktime_get_mono_fast_ns()).
 */
#ifndef SWITCHSCOPE_H
#define SWITCHSCOPE_H

#if defined(__VMLINUX_H__)
/* BPF side: the __u* types come from vmlinux.h */
#elif defined(__KERNEL__)
#include <linux/types.h>
#else
#include <linux/types.h>
#endif

#define SS_COMM_LEN	16
#define SS_PATH_LEN	128

/* Record types (ss_hdr.type). New types may be added in a minor version. */
enum ss_type {
	SS_EV_NONE = 0,
	SS_EV_SWITCH = 1,	/* sched_switch */
	SS_EV_WAKING = 2,	/* sched_waking: the waker's context */
	SS_EV_WAKEUP = 3,	/* sched_wakeup: the wakee is on a run queue */
	SS_EV_WAKEUP_NEW = 4,	/* sched_wakeup_new: a new task first runnable */
	SS_EV_NEWTASK = 5,	/* task_newtask: fork/clone, with clone flags */
	SS_EV_EXEC = 6,		/* sched_process_exec */
	SS_EV_EXIT = 7,		/* sched_process_exit */
	SS_EV_COMM = 8,		/* task_rename, or a name learnt otherwise */
	SS_EV_LOST = 9,		/* records dropped before they reached the file */
	SS_EV_MIGRATE = 10,	/* sched_migrate_task */
	SS_EV_RETUSER = 11,	/* first return to user mode after a switch-in */
	SS_EV_SYSCALL = 12,	/* sys_enter of a traced thread (verify mode) */
	SS_EV_FAULT = 13,	/* user page fault of a traced thread (verify) */
	SS_EV_TLB = 14,		/* tlb_flush on the CPU of a traced switch */
	SS_EV_CORO_CREATE = 16,	/* coro:create */
	SS_EV_CORO_SWITCH = 17,	/* coro:switch */
	SS_EV_CORO_PARK = 18,	/* coro:park */
	SS_EV_CORO_READY = 19,	/* coro:ready */
	SS_EV_CORO_EXIT = 20,	/* coro:exit */
	SS_EV_CORO_STATS = 21,	/* coro:stats */
	SS_EV_CORO_RING = 22,	/* coro:ring: BPF -> recorder only, never in a
				 * trace file */
	SS_EV_STACK = 23,	/* a kernel or user stack, once per id (2.3) */
	SS_EV_MAP = 24,		/* a file mapped by a process with stacks (2.3) */
	SS_EV_SYM = 25,		/* the symbol of one stack address (2.3) */
	SS_EV_TRIGGER = 26,	/* a flight recorder's trigger fired (2.3) */
	SS_EV_CGROUP = 27,	/* a task's cgroup v2, or a cgroup's path (2.3) */
	SS_EV_MAX = 32,		/* size of per-type count arrays */
};

/* Common header of every record. */
struct ss_hdr {
	__u16 type;	/* enum ss_type */
	__u16 size;	/* bytes of the whole record, header included, 8-aligned */
	__u32 cpu;	/* CPU the event happened on */
	__u64 ts;	/* ns, CLOCK_MONOTONIC */
};

/* How a switch relates the two tasks (ss_switch.cls). */
enum ss_class {
	SS_CLASS_THREAD = 0,	/* same address space: no mm switch */
	SS_CLASS_PROCESS = 1,	/* different address spaces: mm switch */
	SS_CLASS_TO_IDLE = 2,	/* next is the idle task (pid 0) */
	SS_CLASS_FROM_IDLE = 3,	/* prev is the idle task */
	SS_CLASS_KTHREAD = 4,	/* one side is a kernel thread (not idle) */
	SS_CLASS_MAX = 5,
};

#define SS_SW_PREEMPT	0x1	/* the tracepoint's preempt argument was true */

/* Task state bits as in task_struct->__state (stable since 2.6). */
#define SS_TASK_RUNNING		0x0000
#define SS_TASK_INTERRUPTIBLE	0x0001
#define SS_TASK_UNINTERRUPTIBLE	0x0002

struct ss_switch {
	struct ss_hdr hdr;
	__u32 prev_tid;		/* tid leaving the CPU (0: idle) */
	__u32 prev_tgid;	/* its process id */
	__u32 next_tid;		/* tid entering the CPU (0: idle) */
	__u32 next_tgid;	/* its process id */
	__u32 prev_state;	/* raw task state of prev (0: still runnable) */
	__u8 prev_prio;		/* kernel prio 0..139 of prev (255: deadline) */
	__u8 next_prio;		/* kernel prio of next */
	__u8 cls;		/* enum ss_class */
	__u8 flags;		/* SS_SW_* */
};

/* sched_waking, sched_wakeup, sched_wakeup_new share one layout. */
struct ss_wakeup {
	struct ss_hdr hdr;
	__u32 tid;		/* the task being woken */
	__u32 tgid;		/* its process id */
	__u32 waker_tid;	/* current task at the tracepoint (0: irq/idle) */
	__u32 waker_tgid;	/* its process id */
	__u32 target_cpu;	/* CPU whose run queue receives the task */
	__u8 prio;		/* kernel prio of the woken task */
	__u8 pad[3];		/* zero */
};

/* CLONE_THREAD, as in <linux/sched.h>: the new task is a thread. */
#define SS_CLONE_THREAD	0x00010000ULL

struct ss_newtask {
	struct ss_hdr hdr;
	__u32 parent_tid;	/* task that called fork/clone */
	__u32 parent_tgid;	/* its process id */
	__u32 tid;		/* the new task */
	__u32 tgid;		/* its process id (== tid for a new process) */
	__u64 clone_flags;	/* raw clone flags */
	char comm[SS_COMM_LEN];	/* name inherited from the parent */
};

/* The task was stopped (SIGSTOP) at its first exec of this file, so that
 * the recorder can attach coroutine probes before it runs; the recorder
 * sends SIGCONT. */
#define SS_EXEC_STOPPED	0x1

struct ss_exec {
	struct ss_hdr hdr;
	__u32 tid;		/* task after exec */
	__u32 tgid;		/* its process id */
	__u32 old_tid;		/* tid before exec (differs if a thread exec'd) */
	__u32 flags;		/* SS_EXEC_* */
	char comm[SS_COMM_LEN];	/* name after exec */
	char filename[SS_PATH_LEN]; /* path given to exec, truncated */
};

#define SS_EXIT_GROUP_DEAD	0x1	/* last thread of the process */

struct ss_exit {
	struct ss_hdr hdr;
	__u32 tid;		/* exiting task */
	__u32 tgid;		/* its process id */
	__u32 exit_code;	/* task->exit_code (wait status encoding) */
	__u32 flags;		/* SS_EXIT_* */
};

struct ss_comm {
	struct ss_hdr hdr;
	__u32 tid;		/* renamed task */
	__u32 tgid;		/* its process id */
	char comm[SS_COMM_LEN];	/* new name */
};

/* Where lost records were lost (ss_lost.source). */
enum ss_lost_source {
	SS_LOST_RINGBUF = 0,	/* BPF ring buffer full: reserve failed */
	SS_LOST_KMOD = 1,	/* module per-CPU buffer full */
	SS_LOST_WRITE = 2,	/* recorder could not write (disk full) */
	SS_LOST_CORO_RING = 3,	/* a thread's coroutine trace ring was lapped */
};

/* hdr.cpu: the CPU that lost them; hdr.ts: the most recent loss (for
 * SS_LOST_CORO_RING: the first record after the gap). */
struct ss_lost {
	struct ss_hdr hdr;
	__u64 count;		/* records lost since the previous ss_lost */
	__u32 source;		/* enum ss_lost_source */
	__u32 tid;		/* SS_LOST_CORO_RING: the ring's thread; else 0 */
};

/* hdr.cpu of records that user space produced (the coroutine trace ring):
 * the recorder replaces it with the CPU the thread was on, from the
 * sched_switch records, before the record reaches the file. */
#define SS_CPU_UNKNOWN	0xffffffffu

struct ss_migrate {
	struct ss_hdr hdr;
	__u32 tid;		/* migrated task */
	__u32 tgid;		/* its process id */
	__u32 orig_cpu;		/* CPU it leaves */
	__u32 dest_cpu;		/* CPU it goes to */
};

/*
 * The next task's first return to user mode after it was switched in,
 * seen at its sys_exit: hdr.ts - switch-in ts = the switch-in path.
 */
struct ss_retuser {
	struct ss_hdr hdr;
	__u32 tid;		/* task returning to user mode */
	__u32 tgid;		/* its process id */
	__u64 switch_ts;	/* ns, the sched_switch that brought it in */
	__u32 nr;		/* syscall it returns from */
	__u32 pad;		/* zero */
};

struct ss_syscall {
	struct ss_hdr hdr;
	__u32 tid;		/* task entering the kernel */
	__u32 tgid;		/* its process id */
	__u32 nr;		/* syscall number (native ABI of the trace) */
	__u32 pad;		/* zero */
	__u64 ip;		/* user instruction pointer at entry */
};

struct ss_fault {
	struct ss_hdr hdr;
	__u32 tid;		/* faulting task */
	__u32 tgid;		/* its process id */
	__u64 addr;		/* faulting user address */
	__u64 ip;		/* user instruction pointer */
	__u64 error_code;	/* architecture page-fault error code */
};

struct ss_tlb {
	struct ss_hdr hdr;
	__u32 tid;		/* current task (the switch's prev) */
	__u32 reason;		/* tlb_flush reason (0: on task switch) */
	__u64 pages;		/* pages flushed (-1 = all) */
};

/* Coroutine records: from the USDT probes of provider "coro". */
struct ss_coro_create {
	struct ss_hdr hdr;
	__u32 tid;		/* thread that created it */
	__u32 tgid;		/* its process id */
	__u64 id;		/* coroutine id (unique per process) */
	__u64 entry;		/* entry function address */
	__u64 stack_size;	/* bytes */
};

struct ss_coro_switch {
	struct ss_hdr hdr;
	__u32 tid;		/* thread that ran the switch */
	__u32 tgid;		/* its process id */
	__u64 from;		/* coroutine id leaving (0: the scheduler) */
	__u64 to;		/* coroutine id entering (0: the scheduler) */
	__u64 dur_ns;		/* switch duration measured in user space */
	__u64 start_ns;		/* user clock at switch start (0: not given) */
};

/* Why a coroutine waits (ss_coro_park.reason). */
enum ss_park_reason {
	SS_PARK_CHANNEL = 1,
	SS_PARK_FD = 2,
	SS_PARK_SLEEP = 3,
	SS_PARK_JOIN = 4,
	SS_PARK_YIELD = 5,
	SS_PARK_OTHER = 6,
};

struct ss_coro_park {
	struct ss_hdr hdr;
	__u32 tid;		/* thread */
	__u32 tgid;		/* its process id */
	__u64 id;		/* coroutine that parks */
	__u32 reason;		/* enum ss_park_reason */
	__u32 pad;		/* zero */
};

struct ss_coro_ready {
	struct ss_hdr hdr;
	__u32 tid;		/* thread that made it runnable */
	__u32 tgid;		/* its process id */
	__u64 id;		/* coroutine made runnable */
	__u64 by;		/* coroutine id that woke it (0: scheduler/io) */
};

struct ss_coro_exit {
	struct ss_hdr hdr;
	__u32 tid;		/* thread */
	__u32 tgid;		/* its process id */
	__u64 id;		/* coroutine that finished */
};

struct ss_coro_stats {
	struct ss_hdr hdr;
	__u32 tid;		/* thread whose scheduler reports */
	__u32 tgid;		/* its process id */
	__u64 switches;		/* switches since the thread's scheduler started */
	__u64 switch_ns;	/* summed user-measured switch time, ns */
	__u64 shared_saved;	/* bytes copied off shared stacks at switch-out
				 * (coro:stats' optional 3rd argument; from 2.2:
				 * older records end before it) */
};
#define SS_CORO_STATS_V1_SIZE	40	/* the record without shared_saved */

/* coro:ring: the thread announces its trace ring (include/coro_ring.h).
 * The recorder takes the fd from the process (pidfd_getfd) and maps it. */
struct ss_coro_ring {
	struct ss_hdr hdr;
	__u32 tid;		/* the ring's thread */
	__u32 tgid;		/* its process id */
	__u64 fd;		/* memfd in that process */
	__u64 bytes;		/* size of the ring, header included */
};

/* -------------------------------------------------------------------
 * Stacks (record --stacks, SS_META_STACKS; format 2.3).
 *
 * With --stacks, an ss_switch carries the prev task's stacks at switch-out,
 * a sched_waking ss_wakeup the waker's, an ss_coro_park the parking
 * coroutine's user stack: struct ss_stack_ids follows the record's usual
 * fields and hdr.size says so. Without --stacks the records are unchanged.
 */
struct ss_stack_ids {
	__u64 kstack;		/* ss_stack.id of the kernel stack (0: none) */
	__u64 ustack;		/* ss_stack.id of the user stack (0: none) */
};

#define SS_STACK_KERNEL		0x1	/* kernel addresses (else user) */
#define SS_STACK_TRUNCATED	0x2	/* deeper than SS_STACK_MAX_DEPTH, or the
					 * walk broke off (the recorder cut user
					 * frames outside executable mappings:
					 * code without frame pointers) */
#define SS_STACK_FAILED		0x4	/* the walk failed: no ip[] */
#define SS_STACK_MAX_DEPTH	127

/* A stack, written before the first record that names its id (once per id
 * while the recorder's table of ids seen keeps it; again after eviction).
 * Readers key it by (tgid, id): a user id is only unique within its
 * process. */
struct ss_stack {
	struct ss_hdr hdr;	/* ts: first use */
	__u64 id;		/* nonzero hash of the addresses (and tgid) */
	__u32 tgid;		/* user stacks: the process; kernel: 0 */
	__u16 nr;		/* entries of ip[] */
	__u16 flags;		/* SS_STACK_* */
	/* followed by __u64 ip[nr], innermost first */
};

/* A file-backed executable mapping of a traced process that had a user
 * stack, so that a trace names functions on another machine (by build-id)
 * even without ss_sym records. */
struct ss_map {
	struct ss_hdr hdr;
	__u32 tgid;		/* the process */
	__u32 build_id_len;	/* bytes of build_id used (0: none found) */
	__u64 start;		/* first address of the mapping */
	__u64 end;		/* one past its last address */
	__u64 pgoff;		/* file offset mapped at start */
	__u8 build_id[20];	/* NT_GNU_BUILD_ID of the file */
	__u16 path_len;		/* bytes of the path that follows (no NUL) */
	__u16 pad;		/* zero */
	/* followed by the path, then zeros up to hdr.size (8-aligned) */
};

/* The symbol of one stack address, resolved by the recorder when the
 * recording ends (kernel: kallsyms; user: the mapped file or its debug
 * file). Addresses without a symbol get no record. */
struct ss_sym {
	struct ss_hdr hdr;
	__u64 addr;		/* as in ss_stack.ip */
	__u32 tgid;		/* as in ss_stack.tgid (0: kernel) */
	__u32 off;		/* addr - start of the function */
	__u16 name_len;		/* bytes of the name that follows (no NUL) */
	__u16 obj_len;		/* bytes of the object name after it (no NUL):
				 * a path, or a kernel module, empty for vmlinux */
	__u32 pad;		/* zero */
	/* followed by name, then object, then zeros up to hdr.size */
};

/* -------------------------------------------------------------------
 * Cgroups (record --cgroup, SS_META_CGROUP; format 2.3).
 *
 * tid == 0: a name record, "cgroup id is at path" (the recorder writes one
 * for every cgroup under the chosen ones when recording starts).
 * tid != 0: a membership record, "from hdr.ts on, task tid is in cgroup
 * id" (with SS_CGROUP_PROCESS: every thread of tgid); path may be empty
 * when a name record gave it.
 */
#define SS_CGROUP_CHOSEN	0x1	/* name record of a --cgroup PATH itself */
#define SS_CGROUP_START		0x2	/* membership when recording started */
#define SS_CGROUP_FORK		0x4	/* the task was created in this cgroup */
#define SS_CGROUP_MOVE		0x8	/* moved here (cgroup.procs/threads write) */
#define SS_CGROUP_PROCESS	0x10	/* the move took the whole thread group */
#define SS_CGROUP_IN		0x20	/* the cgroup is in a chosen subtree */
#define SS_CGROUP_PATH_MAX	256	/* longest path a record carries */

struct ss_cgroup {
	struct ss_hdr hdr;
	__u64 id;		/* cgroup id (kernfs node id: the inode number
				 * and file handle of its directory) */
	__u32 tid;		/* task it applies to (0: name record) */
	__u32 tgid;		/* its process (0: name record, or unknown) */
	__u16 path_len;		/* bytes of the path that follows (no NUL) */
	__u16 flags;		/* SS_CGROUP_* */
	__u32 level;		/* depth below the root cgroup (root: 0) */
	/* followed by the path from the cgroup2 root ("/a/b"), then zeros up
	 * to hdr.size (8-aligned) */
};

/* -------------------------------------------------------------------
 * Flight recorder (record --flight; format 2.3).
 *
 * A trigger: the condition that made the recorder write the window it
 * keeps to a dump file. The BPF trigger programs (bpf/trigger.bpf.c) emit
 * the kernel-evaluated kinds; the recorder the others. hdr.ts: when the
 * condition was met (the switch-in, wakeup or coroutine switch, or when a
 * dump was asked for); hdr.cpu: the CPU it was seen on.
 */
enum ss_trigger_kind {
	SS_TRIG_SIGNAL = 1,	/* SIGUSR1 to the recorder */
	SS_TRIG_REQUEST = 2,	/* switchscope record --dump PID */
	SS_TRIG_RUNQLAT = 3,	/* a task waited longer than threshold for a CPU */
	SS_TRIG_OFFCPU = 4,	/* a task was blocked longer than threshold */
	SS_TRIG_CORO_KERNEL = 5, /* a coroutine switch entered the kernel */
};

/* ss_trigger.entry of SS_TRIG_CORO_KERNEL: what entered (as verify). */
enum ss_trigger_entry {
	SS_TRIG_ENTRY_SYSCALL = 1,	/* nr: the syscall number */
	SS_TRIG_ENTRY_FAULT = 2,	/* a user page fault */
	SS_TRIG_ENTRY_BLOCK = 3,	/* the thread blocked */
};

struct ss_trigger {
	struct ss_hdr hdr;
	__u32 kind;		/* enum ss_trigger_kind */
	__u32 tid;		/* the task it is about (0: none, e.g. a signal) */
	__u32 tgid;		/* its process id */
	__u32 dump;		/* number of the dump it started (0: none, e.g.
				 * one was being taken already) */
	__u64 threshold_ns;	/* runqlat/offcpu: the DURATION given; else 0 */
	__u64 value_ns;		/* measured: wait for a CPU (runqlat), time
				 * blocked (offcpu), the switch (coro-kernel) */
	__u64 since_ns;		/* ns, start of what was measured (wakeup or
				 * preemption; switch-out; switch start) */
	__u32 entry;		/* coro-kernel: enum ss_trigger_entry; else 0 */
	__u32 nr;		/* coro-kernel: syscall nr; signal: signo;
				 * request: the requesting pid; else 0 */
};

/* -------------------------------------------------------------------
 * Trace file (docs/FORMAT.md): file header, then chunks until EOF.
 */
#define SS_FILE_MAGIC		"SWSCOPE\0"
#define SS_FILE_MAJOR		2	/* 2.0: chunk headers CRC-checked and numbered */
#define SS_FILE_MINOR		3	/* 2.1: event chunks zstd-compressed (SS_CHUNK_ZEVENTS);
					 * 2.2: ss_coro_stats.shared_saved;
					 * 2.3: stacks (ss_stack, ss_map, ss_sym), triggers, cgroups */
#define SS_CHUNK_MAGIC		0x4b484353u	/* "SCHK" little-endian */
#define SS_CHUNK_MAX		(64u << 20)	/* largest payload a reader accepts */
#define SS_FILE_MAX_CPUS	8192	/* largest CONFIG_NR_CPUS of any architecture */

struct ss_file_header {
	char magic[8];		/* SS_FILE_MAGIC */
	__u16 major;		/* incompatible changes */
	__u16 minor;		/* compatible additions */
	__u32 header_size;	/* bytes of this struct, for forward compat */
};

enum ss_chunk_type {
	SS_CHUNK_META = 1,	/* struct ss_meta; a later one replaces it (2.0) */
	SS_CHUNK_TASKS = 2,	/* struct ss_task[] */
	SS_CHUNK_EVENTS = 3,	/* records back to back, each ss_hdr-led */
	SS_CHUNK_TRAILER = 4,	/* struct ss_trailer then __u64 lost[ncpu] */
	SS_CHUNK_TARGETS = 5,	/* __u32 tgid[]: processes traced from the start */
	SS_CHUNK_ZEVENTS = 6,	/* struct ss_zchunk, then an EVENTS payload compressed (2.1) */
};

#define SS_ZCODEC_ZSTD		1	/* one zstd frame with content size and checksum */

/* Head of an SS_CHUNK_ZEVENTS payload; the chunk's crc covers it and the
 * compressed bytes, the frame's checksum the records it holds. */
struct ss_zchunk {
	__u32 usize;		/* bytes of records once decompressed (<= SS_CHUNK_MAX, 8-aligned) */
	__u32 csize;		/* bytes of the compressed frame that follows */
	__u32 codec;		/* SS_ZCODEC_* */
	__u32 pad;		/* zero */
	/* followed by csize bytes, then zeros up to the chunk's size */
};

struct ss_chunk {
	__u32 magic;		/* SS_CHUNK_MAGIC */
	__u32 type;		/* enum ss_chunk_type */
	__u32 size;		/* payload bytes following this header */
	__u32 crc;		/* CRC-32 (zlib) of the payload */
	__u64 seq;		/* number of chunks before this one in the file */
	__u32 pad;		/* zero */
	__u32 hcrc;		/* CRC-32 (zlib) of the 28 bytes above */
};

/* Chunk header of format 1.x (read, never written): no number, and the
 * CRC covers the payload only. */
struct ss_chunk_v1 {
	__u32 magic;		/* SS_CHUNK_MAGIC */
	__u32 type;		/* enum ss_chunk_type */
	__u32 size;		/* payload bytes following this header */
	__u32 crc;		/* CRC-32 (zlib) of the payload */
};

#define SS_CLOCK_MONOTONIC	1	/* clockid_t value of CLOCK_MONOTONIC */

enum ss_backend_id {
	SS_BACKEND_BPF = 0,
	SS_BACKEND_KMOD = 1,
};

#define SS_META_SYSTEM_WIDE	0x1	/* -a: every task */
#define SS_META_SYSCALLS	0x2	/* sys_enter and faults were recorded */
#define SS_META_CORO		0x4	/* coro:* probes were attached */
#define SS_META_SWITCH_IN	0x8	/* the switch-in path (sys_exit) was recorded */
#define SS_META_WAKEUP		0x10	/* sched_wakeup was recorded (not only waking) */
#define SS_META_STACKS		0x20	/* record --stacks: ss_stack_ids in records (2.3) */
#define SS_META_CGROUP		0x80	/* record --cgroup: only tasks of the chosen
					 * cgroups, ss_cgroup records (2.3) */

struct ss_meta {
	__u32 clock_id;		/* SS_CLOCK_MONOTONIC */
	__u32 ncpu;		/* possible CPUs (size of per-CPU arrays) */
	__u64 start_ns;		/* CLOCK_MONOTONIC at start of recording */
	__u64 start_realtime_ns; /* CLOCK_REALTIME at the same instant */
	__u32 backend;		/* enum ss_backend_id */
	__u32 flags;		/* SS_META_* */
	__u32 recorder_pid;	/* pid of switchscope record */
	__u32 pad;		/* zero */
	char sysname[16];	/* uname -s */
	char release[64];	/* uname -r */
	char machine[16];	/* uname -m: syscall numbers follow this ABI */
	char hostname[64];	/* uname -n */
	char cmdline[256];	/* the traced command or -p list, truncated */
};

#define SS_TASK_KTHREAD	0x1	/* PF_KTHREAD: a kernel thread */

struct ss_task {
	__u32 tid;		/* task id */
	__u32 tgid;		/* process id */
	__u32 ppid;		/* parent process id */
	__u32 flags;		/* SS_TASK_* */
	char comm[SS_COMM_LEN];	/* name at snapshot time */
};

struct ss_trailer {
	__u64 end_ns;		/* CLOCK_MONOTONIC at end of recording */
	__u64 records;		/* records written to the file */
	__u64 lost;		/* records lost, all sources */
	__u64 lost_write;	/* of which lost by failed writes */
	__u64 count[SS_EV_MAX];	/* records written per type */
	__u32 ncpu;		/* entries in the lost[] array that follows */
	__u32 pad;		/* zero */
	/* followed by __u64 lost_per_cpu[ncpu] */
};

#if !defined(__VMLINUX_H__)
#define SS_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t " size")
SS_ASSERT_SIZE(struct ss_hdr, 16);
SS_ASSERT_SIZE(struct ss_switch, 40);
SS_ASSERT_SIZE(struct ss_wakeup, 40);
SS_ASSERT_SIZE(struct ss_newtask, 56);
SS_ASSERT_SIZE(struct ss_exec, 176);
SS_ASSERT_SIZE(struct ss_exit, 32);
SS_ASSERT_SIZE(struct ss_comm, 40);
SS_ASSERT_SIZE(struct ss_lost, 32);
SS_ASSERT_SIZE(struct ss_migrate, 32);
SS_ASSERT_SIZE(struct ss_retuser, 40);
SS_ASSERT_SIZE(struct ss_syscall, 40);
SS_ASSERT_SIZE(struct ss_fault, 48);
SS_ASSERT_SIZE(struct ss_tlb, 32);
SS_ASSERT_SIZE(struct ss_coro_create, 48);
SS_ASSERT_SIZE(struct ss_coro_switch, 56);
SS_ASSERT_SIZE(struct ss_coro_park, 40);
SS_ASSERT_SIZE(struct ss_coro_ready, 40);
SS_ASSERT_SIZE(struct ss_coro_exit, 32);
SS_ASSERT_SIZE(struct ss_coro_stats, 48);
SS_ASSERT_SIZE(struct ss_coro_ring, 40);
SS_ASSERT_SIZE(struct ss_stack_ids, 16);
SS_ASSERT_SIZE(struct ss_stack, 32);
SS_ASSERT_SIZE(struct ss_map, 72);
SS_ASSERT_SIZE(struct ss_sym, 40);
SS_ASSERT_SIZE(struct ss_cgroup, 40);
SS_ASSERT_SIZE(struct ss_trigger, 64);
SS_ASSERT_SIZE(struct ss_file_header, 16);
SS_ASSERT_SIZE(struct ss_chunk, 32);
SS_ASSERT_SIZE(struct ss_chunk_v1, 16);
SS_ASSERT_SIZE(struct ss_zchunk, 16);
SS_ASSERT_SIZE(struct ss_meta, 456);
SS_ASSERT_SIZE(struct ss_task, 32);
SS_ASSERT_SIZE(struct ss_trailer, 296);
#undef SS_ASSERT_SIZE
#endif

/* ===================================================================
 * Kernel module ioctl ABI (/dev/switchscope, kmod/). Records read from
 * the device are the records above, back to back, whole records only.
 *
 * Versioned: a reader calls SS_IOC_VERSION first and refuses another
 * major. A minor adds ioctls or gives meaning to reserved fields; a major
 * changes what exists. Structs have fixed-width fields and explicit
 * padding; reserved and pad fields must be zero on input (EINVAL), and
 * output structs are zeroed before they are filled. Unknown commands,
 * including a known number with another size, fail with ENOTTY.
 */
#if !defined(__VMLINUX_H__)
#include <linux/ioctl.h>

#define SS_KMOD_DEVICE		"/dev/switchscope"
#define SS_KMOD_PROC		"/proc/switchscope"
#define SS_KMOD_ABI_MAJOR	1
#define SS_KMOD_ABI_MINOR	0
#define SS_IOC_MAGIC		0xb5

struct ss_kmod_version {
	__u32 major;		/* SS_KMOD_ABI_MAJOR of the loaded module */
	__u32 minor;		/* SS_KMOD_ABI_MINOR of the loaded module */
	__u32 ncpu;		/* CPU ids 0..ncpu-1: size of per-CPU arrays */
	__u32 pad;		/* zero */
};

/* ss_kmod_config.flags: the options of the BPF backend (ss_backend_cfg). */
#define SS_KMOD_RETUSER		0x1	/* ss_retuser at a traced task's sys_exit */
#define SS_KMOD_SYSCALLS	0x2	/* ss_syscall and ss_fault (verify) */
#define SS_KMOD_WAKEUP		0x4	/* sched_wakeup too (sched_waking and
					 * sched_wakeup_new always) */
#define SS_KMOD_STOP_NEW_EXE	0x8	/* SIGSTOP a traced process at its first
					 * exec of each file (SS_EXEC_STOPPED) */
#define SS_KMOD_FLAGS		0xf	/* every flag this ABI knows */

#define SS_KMOD_BUF_MIN		4096u		/* bytes per CPU */
#define SS_KMOD_BUF_MAX		(256u << 20)	/* bytes per CPU */
#define SS_KMOD_BUF_DEFAULT	(2u << 20)	/* bytes per CPU */

/* Before the first SS_IOC_START only (EBUSY after); allocates buffers. */
struct ss_kmod_config {
	__u32 buffer_bytes;	/* per CPU, rounded up to a power of two (0: default) */
	__u32 wake_bytes;	/* wake a waiting reader once a CPU holds this
				 * many bytes (0: a quarter of the buffer) */
	__u32 flags;		/* SS_KMOD_* */
	__u32 pad;		/* zero */
	__u64 reserved[2];	/* zero */
};

enum ss_kmod_filter_op {
	SS_FILTER_ADD = 1,	/* trace tgid; its children follow at fork */
	SS_FILTER_DEL = 2,	/* stop tracing tgid */
	SS_FILTER_ALL = 3,	/* trace every task (tgid 0) */
	SS_FILTER_CLEAR = 4,	/* trace nothing: no tgid, not all (tgid 0) */
};

struct ss_kmod_filter {
	__u32 op;		/* enum ss_kmod_filter_op */
	__u32 tgid;		/* process id for ADD/DEL, else zero */
	__u64 reserved;		/* zero */
};

/* ss_kmod_stats.state */
enum ss_kmod_state {
	SS_KMOD_IDLE = 0,	/* not started yet */
	SS_KMOD_RECORDING = 1,	/* probes attached */
	SS_KMOD_STOPPED = 2,	/* probes detached; records may remain */
};

/* Per CPU, cumulative since the device was opened. */
struct ss_kmod_cpu_stats {
	__u64 written;		/* records put in this CPU's buffer */
	__u64 dropped;		/* records lost: the buffer was full */
	__u64 last_drop_ns;	/* ns, CLOCK_MONOTONIC, of the latest loss (0: none) */
	__u64 pad;		/* zero */
};

#define SS_KMOD_NCLASS		8	/* ss_kmod_stats.switches entries */

struct ss_kmod_stats {
	__u64 cpus;		/* in: user address of ss_kmod_cpu_stats[ncpu] (0: none) */
	__u32 ncpu;		/* in: entries at cpus; out: entries filled */
	__u32 state;		/* out: enum ss_kmod_state */
	__u64 written[SS_EV_MAX]; /* out: records written, by ss_hdr.type */
	__u64 dropped[SS_EV_MAX]; /* out: records dropped, by ss_hdr.type */
	__u64 switches[SS_KMOD_NCLASS]; /* out: traced switches seen (written
				 * or dropped), by enum ss_class */
	__u32 buffer_bytes;	/* out: per-CPU buffer size (0: none yet) */
	__u32 wake_bytes;	/* out: reader wakeup threshold */
	__u32 flags;		/* out: SS_KMOD_* in effect */
	__u32 ntgids;		/* out: processes in the filter (0 with all) */
	__u32 all;		/* out: 1 when every task is traced */
	__u32 pad;		/* zero */
	__u64 reserved[2];	/* zero */
};

#define SS_KMOD_FLOOR_DEFAULT	100000u		/* round trips */
#define SS_KMOD_FLOOR_MAX	1000000u

/* Two kernel threads pinned to one CPU wake each other: switches with
 * no user/kernel transition and no mm switch. */
struct ss_kmod_floor {
	__u32 iterations;	/* in: round trips, 2 switches each (0: default) */
	__u32 cpu;		/* in: the CPU both threads run on */
	__u64 switches;		/* out: context switches timed */
	__u64 elapsed_ns;	/* out: ns for all of them */
	__u64 reserved[2];	/* zero */
};

#define SS_IOC_VERSION	_IOR(SS_IOC_MAGIC, 1, struct ss_kmod_version)
#define SS_IOC_CONFIG	_IOW(SS_IOC_MAGIC, 2, struct ss_kmod_config)
#define SS_IOC_FILTER	_IOW(SS_IOC_MAGIC, 3, struct ss_kmod_filter)
#define SS_IOC_START	_IO(SS_IOC_MAGIC, 4)
#define SS_IOC_STOP	_IO(SS_IOC_MAGIC, 5)
#define SS_IOC_STATS	_IOWR(SS_IOC_MAGIC, 6, struct ss_kmod_stats)
#define SS_IOC_FLOOR	_IOWR(SS_IOC_MAGIC, 7, struct ss_kmod_floor)

#define SS_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t " size")
SS_ASSERT_SIZE(struct ss_kmod_version, 16);
SS_ASSERT_SIZE(struct ss_kmod_config, 32);
SS_ASSERT_SIZE(struct ss_kmod_filter, 16);
SS_ASSERT_SIZE(struct ss_kmod_cpu_stats, 32);
SS_ASSERT_SIZE(struct ss_kmod_stats, 632);
SS_ASSERT_SIZE(struct ss_kmod_floor, 40);
#undef SS_ASSERT_SIZE
#endif /* !__VMLINUX_H__ */
/* ================= end of the kernel module ioctl ABI ============== */

#endif /* SWITCHSCOPE_H */
