/* /proc/PID/maps lines: "start-end perms offset dev inode   path". */
#include <stdlib.h>
#include <string.h>

#include "procmaps.h"

/* A hex number ending at one of the stop characters; *p moves past it. */
static int hex(char **p, const char *stops, uint64_t *v)
{
	char *end;

	if (!((**p >= '0' && **p <= '9') || (**p >= 'a' && **p <= 'f')))
		return -1;
	*v = strtoull(*p, &end, 16);
	if (end == *p || !*end || !strchr(stops, *end))
		return -1;
	*p = end;
	return 0;
}

int ss_procmap_parse(char *line, struct ss_procmap *m)
{
	static const char deleted[] = " (deleted)";
	char *p = line, *q;
	uint64_t dummy;
	size_t len;

	memset(m, 0, sizeof(*m));
	m->path = "";
	line[strcspn(line, "\n")] = 0;
	if (hex(&p, "-", &m->start) || (p++, hex(&p, " ", &m->end)) || m->end < m->start)
		return -1;
	p++;
	for (int i = 0; i < 4; i++, p++) {
		if (!*p || *p == ' ')
			return -1;
		m->perms[i] = *p;
	}
	if (*p++ != ' ' || hex(&p, " ", &m->pgoff))
		return -1;
	p++;
	/* device major:minor */
	if (hex(&p, ":", &dummy) || (p++, hex(&p, " ", &dummy)))
		return -1;
	p++;
	if (*p < '0' || *p > '9')
		return -1;
	m->inode = strtoull(p, &q, 10);
	if (q == p || (*q && *q != ' '))
		return -1;
	while (*q == ' ')
		q++;
	len = strlen(q);
	if (len > sizeof(deleted) - 1 && !strcmp(q + len - (sizeof(deleted) - 1), deleted)) {
		q[len - (sizeof(deleted) - 1)] = 0;
		m->deleted = 1;
	}
	m->path = q;
	return 0;
}

int ss_procmap_is_exec_file(const struct ss_procmap *m)
{
	return m->perms[2] == 'x' && m->inode && m->path[0] == '/';
}
