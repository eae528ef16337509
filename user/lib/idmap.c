#include <stdlib.h>

#include "idmap.h"

struct slot {
	uint64_t key;
	uint32_t idx;
	uint32_t used;
};

struct ss_idmap {
	struct slot *s;
	uint64_t cap;	/* power of two */
	uint64_t n;
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

struct ss_idmap *ss_idmap_new(void)
{
	struct ss_idmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = 1024;
	m->s = calloc(m->cap, sizeof(*m->s));
	if (!m->s) {
		free(m);
		return NULL;
	}
	return m;
}

void ss_idmap_free(struct ss_idmap *m)
{
	if (m)
		free(m->s);
	free(m);
}

int64_t ss_idmap_get(const struct ss_idmap *m, uint64_t key)
{
	for (uint64_t i = mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->s[i].used)
			return -1;
		if (m->s[i].key == key)
			return m->s[i].idx;
	}
}

static void place(struct slot *s, uint64_t cap, uint64_t key, uint32_t idx)
{
	uint64_t i = mix(key) & (cap - 1);

	while (s[i].used && s[i].key != key)
		i = (i + 1) & (cap - 1);
	s[i] = (struct slot){ key, idx, 1 };
}

int ss_idmap_put(struct ss_idmap *m, uint64_t key, uint32_t idx)
{
	if ((m->n + 1) * 2 > m->cap) {
		uint64_t nc = m->cap * 2;
		struct slot *ns = calloc(nc, sizeof(*ns));

		if (!ns)
			return -1;
		for (uint64_t i = 0; i < m->cap; i++)
			if (m->s[i].used)
				place(ns, nc, m->s[i].key, m->s[i].idx);
		free(m->s);
		m->s = ns;
		m->cap = nc;
	}
	if (ss_idmap_get(m, key) < 0)
		m->n++;
	place(m->s, m->cap, key, idx);
	return 0;
}
