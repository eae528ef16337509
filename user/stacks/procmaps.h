/* One line of /proc/PID/maps. */
#ifndef SS_PROCMAPS_H
#define SS_PROCMAPS_H

#include <stdint.h>

struct ss_procmap {
	uint64_t start, end;	/* [start, end) */
	uint64_t pgoff;		/* file offset mapped at start */
	uint64_t inode;		/* 0: anonymous */
	char perms[5];		/* "r-xp" */
	int deleted;		/* the path ends in " (deleted)" (cut off) */
	const char *path;	/* into the line; "" when none */
};

/* Parse line (its newline and a " (deleted)" suffix are cut off in
 * place). Returns 0, or -1 when it is no maps line. */
int ss_procmap_parse(char *line, struct ss_procmap *m);
/* An executable mapping of a file (what stacks are resolved against). */
int ss_procmap_is_exec_file(const struct ss_procmap *m);

#endif
