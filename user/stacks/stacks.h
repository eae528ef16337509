/* The stacks of a trace recorded with --stacks: a table of the ss_stack,
 * ss_map and ss_sym records (include/switchscope.h), and the frames of a
 * stack id with their names. Every view that shows stacks (report
 * --offcpu, timehist -g, the exports) reads them through this.
 *
 * Names come first from the trace's own ss_sym records (self-contained);
 * an address without one is resolved from the ss_map records by build-id
 * on this machine (the file, or its debug file) when that file is here;
 * else the frame is shown as object+offset, or the bare address. */
#ifndef SS_STACKS_H
#define SS_STACKS_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

struct ss_reader;
struct ss_stacks;

struct ss_frame {
	uint64_t ip;		/* the address as recorded */
	const char *func;	/* function name, NULL when unknown */
	uint64_t off;		/* ip - start of func */
	const char *obj;	/* object file or kernel module ("" vmlinux), NULL when unknown */
	int kernel;		/* a kernel address */
};

struct ss_stack_info {
	uint32_t tgid;		/* 0: a kernel stack */
	uint16_t nr;		/* frames */
	uint16_t flags;		/* SS_STACK_* */
};

/* Read every stack, map and symbol record of the trace (one pass, then the
 * reader is rewound). Returns NULL with errno set (ENOMEM); a trace
 * without stacks gives an empty table. */
struct ss_stacks *ss_stacks_load(struct ss_reader *r);
/* Or build the table record by record (records of other types ignored). */
struct ss_stacks *ss_stacks_new(void);
int ss_stacks_add(struct ss_stacks *s, const struct ss_hdr *rec);
void ss_stacks_free(struct ss_stacks *s);

/* Stacks in the table (0: the trace has none). */
size_t ss_stacks_count(const struct ss_stacks *s);

/* What was dropped while the table was built: a view says so rather than
 * show a stack it cannot trust. */
struct ss_stacks_damage {
	uint64_t bad;		/* records whose counts do not fit their size */
	uint64_t conflicts;	/* a second stack record of an id, other addresses
				 * (the first one is kept) */
	uint64_t dup_syms;	/* a second symbol of an address (first kept) */
};
const struct ss_stacks_damage *ss_stacks_damage(const struct ss_stacks *s);

/* The stack of id (kernel stacks: tgid 0). Returns 0, or -ENOENT when the
 * trace lacks it. */
int ss_stacks_info(const struct ss_stacks *s, uint32_t tgid, uint64_t id,
		   struct ss_stack_info *info);
/* Frames of that stack, innermost first: fills up to max, returns how many
 * the stack has (may exceed max), or -ENOENT. Strings live as long as s.
 * The innermost frames of a kernel stack that are the tracer's own (the
 * BPF program, the tracepoint's calls into it) are left out, here and in
 * ss_stacks_info's nr. */
int ss_stacks_frames(struct ss_stacks *s, uint32_t tgid, uint64_t id,
		     struct ss_frame *out, int max);
/* Is it a user stack of one frame, other than a program's first (its
 * entry point, _start, has no caller)? What a walk gives for code built
 * without frame pointers: the views say so. */
int ss_stacks_one_frame(struct ss_stacks *s, uint32_t tgid, uint64_t id);

/* "func+0x1c", "obj+0x1234" or "0x7f12..." for one frame, into buf. */
const char *ss_frame_name(const struct ss_frame *f, char *buf, size_t len);
/* The same without the offset when the function is known ("func"): what
 * folded stacks aggregate by. */
const char *ss_frame_func(const struct ss_frame *f, char *buf, size_t len);

#endif
