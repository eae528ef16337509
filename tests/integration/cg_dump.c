/* The records of a trace that name tasks, one line each, for the cgroup
 * tests (tests/integration/cli_cgroup.sh):
 *   TS switch PREV NEXT | TS wake TID | TS task TID (exec, exit, comm,
 *   migrate, newtask: the new task) | TS cgroup ID TID TGID FLAGS PATH */
#include <stdio.h>
#include <string.h>

#include "switchscope.h"
#include "trace.h"

int main(int argc, char **argv)
{
	const struct ss_hdr *h;
	struct ss_reader *r;
	char err[512];
	int code;

	if (argc != 2) {
		fprintf(stderr, "usage: cg-dump FILE\n");
		return 2;
	}
	r = ss_reader_open(argv[1], err, sizeof(err), &code);
	if (!r) {
		fprintf(stderr, "%s\n", err);
		return code;
	}
	while (ss_reader_next(r, &h) == 1) {
		unsigned long long ts = h->ts;
		uint32_t tid;

		switch (h->type) {
		case SS_EV_SWITCH: {
			const struct ss_switch *e = (const void *)h;

			printf("%llu switch %u %u\n", ts, e->prev_tid, e->next_tid);
			break;
		}
		case SS_EV_WAKING:
		case SS_EV_WAKEUP:
		case SS_EV_WAKEUP_NEW:
			printf("%llu wake %u\n", ts, ((const struct ss_wakeup *)h)->tid);
			break;
		case SS_EV_NEWTASK:
			printf("%llu task %u\n", ts, ((const struct ss_newtask *)h)->tid);
			break;
		case SS_EV_EXEC:
		case SS_EV_EXIT:
		case SS_EV_COMM:
		case SS_EV_MIGRATE:
			memcpy(&tid, h + 1, sizeof(tid));
			printf("%llu task %u\n", ts, tid);
			break;
		case SS_EV_CGROUP: {
			const struct ss_cgroup *c = (const void *)h;

			printf("%llu cgroup %llu %u %u %u %.*s\n", ts,
			       (unsigned long long)c->id, c->tid, c->tgid, c->flags,
			       (int)c->path_len, (const char *)(c + 1));
			break;
		}
		}
	}
	ss_reader_close(r);
	return 0;
}
