/* The index `switchscope view` answers from: the export engine's slices and
 * marks (user/export/model.h), in the 32-byte records of the HTML viewer
 * (out_html.c, web/data.js), sorted into lanes: one per CPU, per thread
 * (running / runnable / sleeping), per thread's coroutines, per thread's
 * marks, plus lost records and wakeups of running tasks.
 *
 * A lane's entries sit in blocks of VBLK records (2 KiB) in an unlinked
 * file (TMPDIR, else /var/tmp), mapped read-only once built. In memory, per
 * block (struct vblk): its file offset, the end of its last entry, and the prefix sums of
 * the lane's classes (time per state, switch counts) at its start, so that
 * a pixel column of a window is found by a search of the in-memory block
 * ends and one block, and summed from two block prefixes (or at most VBLK
 * entries): O(log n + VBLK), not the number of slices under it. Memory: 56
 * bytes per block (0.875 bytes per entry) plus the tables of threads and
 * lanes; building adds one block buffer (2 KiB) per lane that has entries
 * and a 1 MiB write buffer.
 *
 * A trace with stacks (--stacks) keeps, besides: the trace's stack table
 * (user/stacks/stacks.h, what export loads too: the stack, map and symbol
 * records), and a side table of the stack ids of each sleeping or
 * runnable interval and coroutine park that has any (struct vstk, 56
 * bytes each) in a second unlinked file, sorted by (lane, start) and
 * mapped: the kernel's cache, not the heap; building adds a 64 KiB write
 * buffer. Flight recorder triggers are a list in memory (struct vtrig, at
 * most VTRIG_MAX of them; more are counted). */
#ifndef SS_VIEW_VINDEX_H
#define SS_VIEW_VINDEX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../export/model.h"
#include "switchscope.h"

/* A record: as out_html.c writes it. */
struct vrec {
	uint8_t kind;		/* enum xkind */
	uint8_t flags;
	uint16_t cpu;		/* VREC_AGG: an aggregate of b records */
	uint32_t idx;		/* thread index (~0: none) */
	double t0, t1;		/* ns after the recording start */
	uint32_t a, b;
};
_Static_assert(sizeof(struct vrec) == 32, "the viewer's record is 32 bytes");

#define VREC_AGG	0xffff	/* cpu of a window's aggregate (web/remote.js) */

#define VBLK	64		/* entries per block */
#define VNCLS	5		/* classes summed per lane */

enum vlane_type {
	VL_CPU,		/* running slices of the CPU: class 0 busy time */
	VL_THREAD,	/* 0 running, 1 runnable, 2 sleeping time, 3 preempted
			 * ends, 4 other ends (voluntary) */
	VL_CORO,	/* 0 a coroutine's time, 1 the scheduler's */
	VL_MARKS,	/* instants; the lost lane sums records lost in 0 */
};

/* Lane ids: 0 lost records, 1 wakeups of running tasks, 2 + c CPU c, then
 * per thread index t three lanes from VL_FIRST_THREAD(ncpu) + 3 t: its
 * states, its coroutines, its marks. */
#define VL_LOST		0
#define VL_WAKES	1
#define VL_CPU0		2
#define VL_FIRST_THREAD(ncpu) (2 + (ncpu))

/* A block in memory: its offset and sums together, as a column read at a
 * block boundary needs both; the block ends apart (struct vlane), dense
 * for the searches of a window's columns. */
struct vblk {
	uint64_t off;		/* file offset */
	double pre[VNCLS];	/* the lane's sums before it */
};

struct vlane {
	uint64_t n;		/* entries */
	struct vblk *blk;	/* [nblk + 1]: the last has the whole lane's sums */
	double *end;		/* [nblk]: end (a mark's time) of each block's last entry */
	uint32_t nblk, cap;
	uint8_t type;		/* enum vlane_type */
	uint8_t sorted_again;	/* entries came out of order: sorted once built */
	uint32_t owner;		/* CPU or thread index */
	double last;		/* build: key of the last entry */
	struct vrec *buf;	/* build: the block being filled */
	double bsum[VNCLS];	/* build: sums of that block */
};

struct vthread {
	uint32_t tid, tgid;
	char comm[SS_COMM_LEN];
	uint8_t traced;
};

/* The stacks of one interval or park (ids of the trace's stack table; 0:
 * none): the side table's entry. */
struct vstk {
	uint32_t lane;		/* its lane: a thread's states or marks */
	uint32_t waker;		/* the waker's thread index + 1 (0: none, irq/idle) */
	uint32_t tgid, wtgid;	/* of the user stacks: the thread's, the waker's */
	double t0;		/* the interval's start, the park's time */
	uint64_t k, u;		/* kernel, user stack it left the CPU with */
	uint64_t wk, wu;	/* the waker's */
};

/* A flight recorder trigger (ss_trigger): the ruler's marks. */
struct vtrig {
	double ts;
	uint32_t kind;		/* enum ss_trigger_kind */
	uint32_t idx;		/* its task's thread index (~0: none) */
	uint64_t value;		/* measured ns */
};

#define VTRIG_MAX	4096

struct vsum;
struct ss_stacks;

struct vindex {
	int fd;
	const uint8_t *map;
	size_t maplen;
	uint32_t ncpu;
	struct vlane *lanes;
	size_t nlanes, lanes_cap;
	struct vthread *thr;
	size_t nthr;
	char *meta;		/* /api/meta: the viewer's metadata JSON */
	size_t metalen;
	double from, end;	/* window of the data, ns */
	uint64_t records, entries, blocks;
	double build_s;		/* seconds the build took */
	pthread_t prefaulter;	/* vindex_prefault */
	int prefaulting;
	atomic_int prefault_stop;
	/* the whole trace's summary (/api/summary), added up while built */
	char *whole;
	size_t wholelen;
	/* stacks (NULL: the trace has none) and the side table */
	struct ss_stacks *stacks;
	pthread_mutex_t stk_lock;	/* the table names frames lazily */
	int sfd;
	const struct vstk *stk;
	uint64_t nstk;
	/* triggers, in time order */
	struct vtrig *trig;
	size_t ntrig, trig_cap;
	uint64_t trig_more;		/* past VTRIG_MAX: counted */
	/* build only */
	const char *dir;
	struct vstk *sbuf;
	size_t sblen;
	uint8_t *wbuf;
	size_t wlen;
	uint64_t off;
	struct vsum *wsum;
	int nomem, ioerr;
};

/* Build the index of r (the window and processes of o) in a file under
 * dir. Returns an ss_exit value; *out is set on SS_OK and on
 * SS_EXIT_DAMAGED (the index covers the intact part). */
int vindex_build(struct ss_reader *r, const struct ss_export_opts *o,
		 const char *dir, struct vindex **out, char *err, size_t errlen);
void vindex_free(struct vindex *x);
/* Map the index file's pages in the background (see vindex.c). */
void vindex_prefault(struct vindex *x);

/* The stacks of lane's interval or park at t: the side table's last
 * entry of the lane at or before t (NULL: none). */
const struct vstk *vindex_stack(const struct vindex *x, uint32_t lane, double t);

/* Heap bytes the index holds now (tables; not the mapped file). */
size_t vindex_heap(const struct vindex *x);

static inline const struct vrec *vent(const struct vindex *x,
				      const struct vlane *l, uint64_t i)
{
	return (const struct vrec *)(x->map + l->blk[i / VBLK].off) + i % VBLK;
}

/* What a lane is sorted by: a slice's end, a mark's time. */
static inline double vend_key(const struct vlane *l, const struct vrec *r)
{
	return l->type == VL_MARKS ? r->t0 : r->t1;
}

/* The classes an entry adds to its lane's sums (vclass: into a zeroed c;
 * vacc: added to c, inline: the window's inner loop). */
void vclass(const struct vlane *l, const struct vrec *r, double c[VNCLS]);
static inline void vacc(uint8_t type, const struct vrec *r, double c[VNCLS])
{
	double d = r->t1 - r->t0;

	if (type == VL_CPU) {
		c[0] += d;
	} else if (type == VL_THREAD) {
		if (r->kind == XK_RUN) {
			unsigned int end = r->flags & XF_END_MASK;
			double n = r->cpu == VREC_AGG ? r->b : 1;

			c[0] += d;
			if (end == XE_PREEMPT)
				c[3] += n;
			else if (end != XE_OPEN && end != XE_UNSURE)
				c[4] += n;
		} else if (r->kind == XK_WAIT) {
			c[1] += d;
		} else if (r->kind == XK_SLEEP) {
			c[2] += d;
		}
	} else if (type == VL_CORO) {
		c[r->a ? 0 : 1] += d;
	} else if (r->kind == XK_MARK && r->flags == XM_LOST) {
		c[0] += r->t1;
	}
}
/* Sums of the classes over entries [0, i). */
void vcum(const struct vindex *x, const struct vlane *l, uint64_t i,
	  double c[VNCLS]);
/* First entry whose end (a mark's time) is >= t, or > t (upper). */
uint64_t vlower_end(const struct vindex *x, const struct vlane *l, double t);
uint64_t vupper_end(const struct vindex *x, const struct vlane *l, double t,
		    uint64_t lo);
/* First entry whose start is > t. */
uint64_t vupper_start(const struct vindex *x, const struct vlane *l, double t);

#endif
