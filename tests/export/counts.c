/* What a trace holds, counted straight from its records (not through the
 * export engine): the numbers the viewer must show. Prints JSON.
 *   export_counts TRACE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss.h"
#include "trace.h"

#define MAXT 65536

static uint32_t tid_tgid[MAXT];	/* tids seen, by tid (mod MAXT) */
static uint8_t traced_tgid[1 << 22];

static void seen(uint32_t tid, uint32_t tgid)
{
	if (tid)
		tid_tgid[tid % MAXT] = tgid;
}

int main(int argc, char **argv)
{
	unsigned long long sw = 0, pre = 0, wk = 0, coro = 0, lost = 0;
	const struct ss_meta *m;
	const struct ss_hdr *h;
	struct ss_reader *r;
	char err[256];
	int code, first = 1;
	uint8_t cpu_seen[4096] = { 0 };

	if (argc != 2)
		return 2;
	r = ss_reader_open(argv[1], err, sizeof(err), &code);
	if (!r) {
		fprintf(stderr, "%s\n", err);
		return code;
	}
	m = ss_reader_meta(r);
	if (!strncmp(m->cmdline, "-p ", 3))
		for (char *p = (char *)m->cmdline + 3; *p; p++)
			traced_tgid[strtoul(p, &p, 10) & ((1 << 22) - 1)] = 1;
	while (ss_reader_next(r, &h)) {
		const struct ss_wakeup *w = (const void *)h;
		const struct ss_switch *s = (const void *)h;

		switch (h->type) {
		case SS_EV_SWITCH:
			sw++;
			pre += !!(s->flags & SS_SW_PREEMPT);
			seen(s->prev_tid, s->prev_tgid);
			seen(s->next_tid, s->next_tgid);
			if (h->cpu < sizeof(cpu_seen))
				cpu_seen[h->cpu] = 1;
			continue;
		case SS_EV_WAKING:
			wk++;
			break;
		case SS_EV_CORO_SWITCH:
			coro++;
			break;
		case SS_EV_LOST:
			lost += ((const struct ss_lost *)h)->count;
			continue;
		case SS_EV_NEWTASK:
			traced_tgid[((const struct ss_newtask *)h)->tgid & ((1 << 22) - 1)] = 1;
			seen(((const struct ss_newtask *)h)->tid, ((const struct ss_newtask *)h)->tgid);
			continue;
		case SS_EV_WAKEUP:
		case SS_EV_WAKEUP_NEW:
		case SS_EV_EXEC:
		case SS_EV_EXIT:
		case SS_EV_COMM:
		case SS_EV_MIGRATE:
		case SS_EV_CORO_CREATE:
		case SS_EV_CORO_PARK:
		case SS_EV_CORO_READY:
		case SS_EV_CORO_EXIT:
		case SS_EV_CORO_STATS:
			break;
		default:
			continue;
		}
		/* these records start with tid, tgid of the task they are about */
		traced_tgid[w->tgid & ((1 << 22) - 1)] = 1;
		seen(w->tid, w->tgid);
	}
	printf("{\"switches\":%llu,\"preempted\":%llu,\"wakeups\":%llu,"
	       "\"coro_switches\":%llu,\"lost\":%llu,\"cpus\":[",
	       sw, pre, wk, coro, lost);
	for (unsigned int c = 0; c < sizeof(cpu_seen); c++) {
		if (!cpu_seen[c])
			continue;
		printf("%s%u", first ? "" : ",", c);
		first = 0;
	}
	printf("],\"threads\":[");
	first = 1;
	for (uint32_t t = 1; t < MAXT; t++) {
		uint32_t tgid = tid_tgid[t];

		if (!tgid || !(m->flags & SS_META_SYSTEM_WIDE || traced_tgid[tgid & ((1 << 22) - 1)]))
			continue;
		printf("%s%u", first ? "" : ",", t);
		first = 0;
	}
	printf("]}\n");
	ss_reader_close(r);
	return 0;
}
