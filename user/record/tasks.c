/* Snapshot of the tasks alive at the start of a recording, from /proc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recorder.h"
#include "ss.h"

#define PF_KTHREAD 0x00200000

/* /proc/PID/task/TID/stat: "tid (comm) state ppid ... flags(9th) ..." */
static int read_stat(int tgid, int tid, struct ss_task *t)
{
	char buf[1024], *lp, *rp;
	unsigned long flags = 0;
	int ppid = 0;
	ssize_t n;

	rp = ss_proc_stat(tgid, tid, buf, sizeof(buf));
	lp = rp ? strchr(buf, '(') : NULL;
	if (!lp)
		return -1;
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->tgid = tgid;
	n = rp - lp - 1;
	if (n > SS_COMM_LEN - 1)
		n = SS_COMM_LEN - 1;
	memcpy(t->comm, lp + 1, n);
	/* after ") ": state ppid pgrp session tty_nr tpgid flags */
	if (sscanf(rp + 2, "%*c %d %*d %*d %*d %*d %lu", &ppid, &flags) != 2)
		return -1;
	t->ppid = ppid;
	t->flags = flags & PF_KTHREAD ? SS_TASK_KTHREAD : 0;
	return 0;
}

static int is_num(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int ss_snapshot_tasks(struct ss_task **out, size_t *n)
{
	struct ss_task *v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *pe, *te;
	DIR *proc, *td;

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((pe = readdir(proc))) {
		char path[64];
		int tgid;

		if (!is_num(pe->d_name))
			continue;
		tgid = atoi(pe->d_name);
		snprintf(path, sizeof(path), "/proc/%d/task", tgid);
		td = opendir(path);
		if (!td)
			continue;	/* exited meanwhile */
		while ((te = readdir(td))) {
			if (!is_num(te->d_name))
				continue;
			if (len == cap) {
				struct ss_task *nv;

				cap = cap ? cap * 2 : 512;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					closedir(td);
					closedir(proc);
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			if (read_stat(tgid, atoi(te->d_name), &v[len]) == 0)
				len++;
		}
		closedir(td);
	}
	closedir(proc);
	*out = v;
	*n = len;
	return 0;
}
