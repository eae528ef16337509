/* FtraceEventBundle.compact_sched: the columns of one bundle (see
 * out_perfetto_sched.h). trace_processor reads them back in
 * FtraceTokenizer::TokenizeFtraceCompactSched: it walks the columns of a
 * kind in step, adds each timestamp to the sum of those before it, and
 * counts compact_sched_has_parse_errors when the columns of a kind differ
 * in length or a comm index is past the intern table. */
#include <stdlib.h>
#include <string.h>

#include "out_perfetto_sched.h"

int pfc_room(const struct pf_compact *c, size_t n)
{
	return c->sw.n + n <= PFC_MAX && c->wk.n + n <= PFC_MAX &&
	       c->ncomm + n <= PFC_COMMS;
}

int pfc_empty(const struct pf_compact *c)
{
	return !c->sw.n && !c->wk.n;
}

/* The index of comm in the intern table, added if new (pfc_room said there
 * is room). src may fill its field without a terminating NUL. */
static uint32_t intern(struct pf_compact *c, const char *src)
{
	size_t len = strnlen(src, SS_COMM_LEN - 1);
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)src[i]) * 16777619u;
	for (i = h % (2 * PFC_COMMS); c->slot[i]; i = (i + 1) % (2 * PFC_COMMS)) {
		const char *s = c->comm[c->slot[i] - 1];

		if (!strncmp(s, src, len) && !s[len])
			return c->slot[i] - 1;
	}
	memcpy(c->comm[c->ncomm], src, len);
	c->comm[c->ncomm][len] = 0;
	c->commp[c->ncomm] = c->comm[c->ncomm];
	c->slot[i] = ++c->ncomm;
	return c->ncomm - 1;
}

/* Double the capacity of the n columns cols (element sizes sz). */
static int grow(void **cols[], const size_t sz[], size_t n, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 256;

	for (size_t i = 0; i < n; i++) {
		void *b = realloc(*cols[i], ncap * sz[i]);

		if (!b)
			return -1;
		*cols[i] = b;
	}
	*cap = ncap;
	return 0;
}

static uint64_t delta(uint64_t *last, size_t n, uint64_t ts)
{
	/* Wraps for a timestamp before the last one: trace_processor adds the
	 * field as int64_t, so that is a negative delta. */
	uint64_t d = n ? ts - *last : ts;

	*last = ts;
	return d;
}

int pfc_switch(struct pf_compact *c, uint64_t ts, int64_t prev_state,
	       int32_t next_pid, int32_t next_prio, const char *next_comm)
{
	struct pfc_switches *s = &c->sw;

	if (s->n == s->cap) {
		void **cols[] = { (void **)&s->ts, (void **)&s->prev_state,
				  (void **)&s->next_pid, (void **)&s->next_prio,
				  (void **)&s->next_comm };
		const size_t sz[] = { sizeof(*s->ts), sizeof(*s->prev_state),
				      sizeof(*s->next_pid), sizeof(*s->next_prio),
				      sizeof(*s->next_comm) };

		if (grow(cols, sz, 5, &s->cap) < 0)
			return -1;
	}
	s->ts[s->n] = delta(&s->last, s->n, ts);
	s->prev_state[s->n] = prev_state;
	s->next_pid[s->n] = next_pid;
	s->next_prio[s->n] = next_prio;
	s->next_comm[s->n] = intern(c, next_comm);
	s->n++;
	return 0;
}

int pfc_waking(struct pf_compact *c, uint64_t ts, int32_t pid, int32_t target_cpu,
	       int32_t prio, const char *comm)
{
	struct pfc_wakings *w = &c->wk;

	if (w->n == w->cap) {
		void **cols[] = { (void **)&w->ts, (void **)&w->pid,
				  (void **)&w->target_cpu, (void **)&w->prio,
				  (void **)&w->comm };
		const size_t sz[] = { sizeof(*w->ts), sizeof(*w->pid),
				      sizeof(*w->target_cpu), sizeof(*w->prio),
				      sizeof(*w->comm) };

		if (grow(cols, sz, 5, &w->cap) < 0)
			return -1;
	}
	w->ts[w->n] = delta(&w->last, w->n, ts);
	w->pid[w->n] = pid;
	w->target_cpu[w->n] = target_cpu;
	w->prio[w->n] = prio;
	w->comm[w->n] = intern(c, comm);
	w->n++;
	return 0;
}

void pfc_unappend(struct pf_compact *c, int is_switch, uint64_t last)
{
	if (is_switch && c->sw.n) {
		c->sw.n--;
		c->sw.last = last;
	} else if (!is_switch && c->wk.n) {
		c->wk.n--;
		c->wk.last = last;
	}
}

void pfc_message(struct pf_compact *c, Perfetto__Protos__FtraceEventBundle__CompactSched *cs)
{
	cs->n_intern_table = c->ncomm;
	cs->intern_table = c->commp;
	cs->n_switch_timestamp = cs->n_switch_prev_state = cs->n_switch_next_pid =
		cs->n_switch_next_prio = cs->n_switch_next_comm_index = c->sw.n;
	cs->switch_timestamp = c->sw.ts;
	cs->switch_prev_state = c->sw.prev_state;
	cs->switch_next_pid = c->sw.next_pid;
	cs->switch_next_prio = c->sw.next_prio;
	cs->switch_next_comm_index = c->sw.next_comm;
	cs->n_waking_timestamp = cs->n_waking_pid = cs->n_waking_target_cpu =
		cs->n_waking_prio = cs->n_waking_comm_index = c->wk.n;
	cs->waking_timestamp = c->wk.ts;
	cs->waking_pid = c->wk.pid;
	cs->waking_target_cpu = c->wk.target_cpu;
	cs->waking_prio = c->wk.prio;
	cs->waking_comm_index = c->wk.comm;
}

void pfc_clear(struct pf_compact *c)
{
	c->sw.n = c->wk.n = 0;
	c->ncomm = 0;
	memset(c->slot, 0, sizeof(c->slot));
}

void pfc_free(struct pf_compact *c)
{
	free(c->sw.ts);
	free(c->sw.prev_state);
	free(c->sw.next_pid);
	free(c->sw.next_prio);
	free(c->sw.next_comm);
	free(c->wk.ts);
	free(c->wk.pid);
	free(c->wk.target_cpu);
	free(c->wk.prio);
	free(c->wk.comm);
	memset(c, 0, sizeof(*c));
}
