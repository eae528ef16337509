/* The request parser of `switchscope view` (see vquery.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vquery.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into out (at most cap - 1 bytes, NUL-terminated):
 * '+' is a space, %XX a byte. -1 on a bad escape, a NUL byte or overflow. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h, l;

			if (i + 2 >= n)
				return -1;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h << 4 | l;
			i += 2;
		}
		if (c == 0 || o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = 0;
	return 0;
}

/* A time in ns: digits, optionally a fraction; at most 2^62. */
static int parse_time(const char *s, double *out)
{
	double v = 0, scale = 1;
	const char *p = s;
	int digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 20) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits)
		return -1;
	if (*p == '.') {
		int frac = 0;

		p++;
		while (*p >= '0' && *p <= '9' && frac < 9) {
			scale /= 10;
			v += (*p++ - '0') * scale;
			frac++;
		}
		if (!frac)
			return -1;
	}
	if (*p || v > 4611686018427387904.0)
		return -1;
	*out = v;
	return 0;
}

static int parse_u32(const char **pp, uint32_t max, uint32_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return -1;
	}
	*pp = p;
	*out = v;
	return 0;
}

static int parse_lanes(const char *s, struct vreq *r)
{
	const char *p = s;
	size_t cap = 0;

	if (!strcmp(s, "all")) {
		r->all_lanes = 1;
		return 0;
	}
	for (;;) {
		uint32_t a, b;

		if (parse_u32(&p, UINT32_MAX - 1, &a))
			return -1;
		b = a;
		if (*p == '-') {
			p++;
			if (parse_u32(&p, UINT32_MAX - 1, &b) || b < a)
				return -1;
		}
		if ((uint64_t)b - a + 1 > VQ_MAX_LANES - r->nlanes)
			return -1;
		if (r->nlanes + (b - a + 1) > cap) {
			size_t ncap = r->nlanes + (b - a + 1);
			uint32_t *n;

			ncap = ncap < 64 ? 64 : ncap * 2 > VQ_MAX_LANES ? VQ_MAX_LANES : ncap * 2;
			n = realloc(r->lanes, ncap * sizeof(*n));
			if (!n)
				return -1;
			r->lanes = n;
			cap = ncap;
		}
		for (uint64_t v = a; v <= b; v++)
			r->lanes[r->nlanes++] = v;
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

static const struct {
	const char *path;
	int id;
} paths[] = {
	{ "/", VP_PAGE },
	{ "/api/meta", VP_META },
	{ "/api/lanes", VP_LANES },
	{ "/api/window", VP_WINDOW },
	{ "/api/summary", VP_SUMMARY },
	{ "/api/search", VP_SEARCH },
	{ "/api/stack", VP_STACK },
	{ "/api/offcpu", VP_OFFCPU },
};

#define BAD(...) do { if (!*err) snprintf(err, errlen, __VA_ARGS__); } while (0)

static void param(struct vreq *r, const char *key, size_t klen, const char *val,
		  size_t vlen, char *err, size_t errlen)
{
	char v[VQ_MAX_Q + 1];
	char k[16];

	if (decode(key, klen, k, sizeof(k))) {
		BAD("bad parameter name");
		return;
	}
	/* the lanes list may be long: decoded into its own buffer */
	if (!strcmp(k, "lanes")) {
		char *big = malloc(vlen + 1);

		if (r->lanes || r->all_lanes)
			BAD("lanes given twice");
		else if (!big || decode(val, vlen, big, vlen + 1) || parse_lanes(big, r))
			BAD("bad lanes (all, or ids and ranges: 0-3,7; at most %d)", VQ_MAX_LANES);
		free(big);
		return;
	}
	if (decode(val, vlen, v, sizeof(v))) {
		BAD("bad value of %s (an escape, a NUL byte, or longer than %d bytes)", k,
		    VQ_MAX_Q);
		return;
	}
	if (!strcmp(k, "token")) {
		if (r->has_token || strlen(v) != VQ_TOKEN_LEN) {
			r->has_token = 0;
			r->token[0] = 0;
			BAD("bad token");
			return;
		}
		memcpy(r->token, v, VQ_TOKEN_LEN + 1);
		r->has_token = 1;
	} else if (!strcmp(k, "t0") || !strcmp(k, "t1")) {
		int *has = k[1] == '0' ? &r->has_t0 : &r->has_t1;
		double *t = k[1] == '0' ? &r->t0 : &r->t1;

		if (*has)
			BAD("%s given twice", k);
		else if (parse_time(v, t))
			BAD("bad %s '%.40s' (ns after the recording start, e.g. 1500 or 1500.5)", k, v);
		*has = 1;
	} else if (!strcmp(k, "px")) {
		const char *p = v;

		if (r->px)
			BAD("px given twice");
		else if (parse_u32(&p, VQ_MAX_PX, &r->px) || *p || !r->px)
			BAD("bad px '%.40s' (1 to %d)", v, VQ_MAX_PX);
	} else if (!strcmp(k, "t")) {
		if (r->has_t)
			BAD("t given twice");
		else if (parse_time(v, &r->t))
			BAD("bad t '%.40s' (ns after the recording start, e.g. 1500 or 1500.5)", v);
		r->has_t = 1;
	} else if (!strcmp(k, "lane")) {
		const char *p = v;

		if (r->has_lane)
			BAD("lane given twice");
		else if (parse_u32(&p, UINT32_MAX - 1, &r->lane) || *p)
			BAD("bad lane '%.40s' (a lane id of /api/lanes)", v);
		r->has_lane = 1;
	} else if (!strcmp(k, "q")) {
		if (r->has_q)
			BAD("q given twice");
		memcpy(r->q, v, sizeof(r->q));
		r->has_q = 1;
	} else {
		BAD("unknown parameter '%s'", k);
	}
}

int vq_parse(const char *uri, struct vreq *r, char *err, size_t errlen)
{
	const char *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);

	memset(r, 0, sizeof(*r));
	err[0] = 0;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strlen(paths[i].path) == plen && !memcmp(paths[i].path, uri, plen))
			r->path = paths[i].id;
	while (q && *q) {
		const char *k = q + 1, *amp = strchr(k, '&'), *end = amp ? amp : k + strlen(k);
		const char *eq = memchr(k, '=', end - k);

		if (end > k) {
			if (!eq)
				BAD("parameter without a value");
			else
				param(r, k, eq - k, eq + 1, end - eq - 1, err, errlen);
		}
		q = amp;
	}
	if (!*err) {
		switch (r->path) {
		case VP_WINDOW:
			if (!r->has_t0 || !r->has_t1 || !r->px)
				BAD("window needs t0, t1 and px");
			else if (r->t1 <= r->t0)
				BAD("t1 is not after t0");
			break;
		case VP_SUMMARY:
		case VP_OFFCPU:
			if (!r->has_t0 || !r->has_t1)
				BAD("%s needs t0 and t1", r->path == VP_SUMMARY ? "summary" : "offcpu");
			else if (r->t1 < r->t0)
				BAD("t1 is before t0");
			break;
		case VP_SEARCH:
			if (!r->has_q)
				BAD("search needs q");
			break;
		case VP_STACK:
			if (!r->has_lane || !r->has_t)
				BAD("stack needs lane and t");
			break;
		}
	}
	return *err ? -1 : 0;
}

void vq_free(struct vreq *r)
{
	free(r->lanes);
	r->lanes = NULL;
	r->nlanes = 0;
}
