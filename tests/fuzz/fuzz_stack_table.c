/* libFuzzer target: the stacks table and the off-CPU sums on arbitrary
 * records. The input is a run of records (ss_hdr-led, as in an events
 * chunk); each passes the reader's checks (a size within the input, at
 * least its type's), then goes to ss_stacks_add and ss_offcpu_add; at the
 * end every stack id the input named is looked up and every frame named.
 * Whatever the input: no read past a record, no crash, no undefined
 * behaviour, no leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "offcpu.h"
#include "ss.h"
#include "stacks.h"

#define MAX_IDS 4096

static uint64_t rec[65536 / 8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_stacks *s = ss_stacks_new();
	static struct { uint32_t tgid; uint64_t id; } ids[MAX_IDS];
	struct ss_frame f[SS_STACK_MAX_DEPTH + 1];
	struct ss_offcpu o;
	size_t nids = 0, off = 0;
	char name[256];

	if (!s || ss_offcpu_init(&o)) {
		ss_stacks_free(s);
		return 0;
	}
	while (off + sizeof(struct ss_hdr) <= size) {
		struct ss_hdr h;
		const struct ss_stack_ids *si;

		memcpy(&h, data + off, sizeof(h));
		if (h.size < sizeof(h) || h.size > size - off)
			break;
		/* an aligned copy, as a chunk's records are */
		memcpy(rec, data + off, h.size);
		off += h.size;
		if (h.type >= SS_EV_MAX || h.size < ss_type_min_size(h.type) ||
		    !ss_type_min_size(h.type))
			continue;
		ss_stacks_add(s, (const struct ss_hdr *)rec);
		ss_offcpu_add(&o, (const struct ss_hdr *)rec);
		if (h.type == SS_EV_STACK && nids < MAX_IDS) {
			const struct ss_stack *st = (const void *)rec;

			ids[nids].tgid = st->flags & SS_STACK_KERNEL ? 0 : st->tgid;
			ids[nids++].id = st->id;
		}
		si = ss_rec_stacks((const struct ss_hdr *)rec);
		if (si && nids + 2 <= MAX_IDS) {
			ids[nids].tgid = 0;
			ids[nids++].id = si->kstack;
			ids[nids].tgid = ((const struct ss_switch *)rec)->prev_tgid;
			ids[nids++].id = si->ustack;
		}
	}
	ss_offcpu_finish(&o, UINT64_MAX / 2);
	for (size_t i = 0; i < nids; i++) {
		struct ss_stack_info in;
		int n = ss_stacks_frames(s, ids[i].tgid, ids[i].id, f, SS_STACK_MAX_DEPTH + 1);

		if (ss_stacks_info(s, ids[i].tgid, ids[i].id, &in) == 0 && n != in.nr)
			abort();	/* the two must agree */
		for (int k = 0; k < n && k <= SS_STACK_MAX_DEPTH; k++) {
			ss_frame_name(&f[k], name, sizeof(name));
			ss_frame_func(&f[k], name, sizeof(name));
		}
	}
	ss_offcpu_free(&o);
	ss_stacks_free(s);
	return 0;
}
