/* Addresses of stacks to function names: user addresses through the files a
 * process had mapped (elfutils libdwfl, with the standard debuginfo finder:
 * .gnu_debuglink and /usr/lib/debug/.build-id), kernel addresses through
 * this machine's /proc/kallsyms.
 *
 * The recorder uses it to write ss_sym records when a recording ends; the
 * views use it for traces without them (a recorder killed by SIGKILL), fed
 * with the trace's ss_map records.
 *
 * Return addresses: every frame of a stack but the innermost is the address
 * after a call, which may already be the next function (a call to a
 * noreturn function ends its caller). Look up ss_lookup_ip(ip, frame) and
 * report the offset from the recorded ip: ss_resolver_* take the address to
 * look up and give off = that address - function start, so add back what
 * ss_lookup_ip took off. */
#ifndef SS_RESOLVE_H
#define SS_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

struct ss_resolver;

/* The address to look up for frame number frame (0: innermost). */
static inline uint64_t ss_lookup_ip(uint64_t ip, unsigned int frame)
{
	return frame && ip ? ip - 1 : ip;
}

/* NULL with errno set (ENOMEM). */
struct ss_resolver *ss_resolver_new(void);
void ss_resolver_free(struct ss_resolver *r);

/* A file mapping [start, end) at file offset pgoff of process tgid. The
 * file is opened now (so that it can be read after the process exited, or
 * after the file was deleted, while r lives): path when its build-id is
 * build_id (or when build_id_len is 0), else the debug file
 * /usr/lib/debug/.build-id/xx/yyyy.debug. Returns 0, -ENOENT when no file
 * matches (lookups in the mapping then fail), -ENOMEM. Adding a mapping
 * already known is a no-op. */
int ss_resolver_add_map(struct ss_resolver *r, uint32_t tgid, uint64_t start,
			uint64_t end, uint64_t pgoff, const uint8_t *build_id,
			size_t build_id_len, const char *path);
/* The same from an ss_map record (its size checked: -EINVAL). */
int ss_resolver_add_map_rec(struct ss_resolver *r, const struct ss_map *m);
/* The recorder's variant: the mapping's file is fd (taken over, e.g.
 * /proc/PID/map_files/START-END, which still reads a deleted file), path
 * its name; its build-id is read from it into bid[20] and *bidlen (0: it
 * has none). fd < 0: path is opened. Returns as ss_resolver_add_map, or
 * -ENOEXEC when the file is no ELF file. */
int ss_resolver_add_map_fd(struct ss_resolver *r, uint32_t tgid, uint64_t start,
			   uint64_t end, uint64_t pgoff, int fd, const char *path,
			   uint8_t *bid, uint32_t *bidlen);
/* NT_GNU_BUILD_ID of the ELF file fd into bid (up to max bytes): its
 * length (0: none), or -ENOEXEC. */
int ss_file_build_id(int fd, uint8_t *bid, size_t max);
/* Drop the mappings of tgid (it exec'd another program: what follows is
 * mapped anew). */
void ss_resolver_forget(struct ss_resolver *r, uint32_t tgid);
/* Is ip inside a mapping added for tgid? */
int ss_resolver_has_map(const struct ss_resolver *r, uint32_t tgid, uint64_t ip);

/* The function containing user address ip of tgid: 0 and *func (may be
 * NULL: no symbol), *off (ip - function start), *obj (the mapped path);
 * -ENOENT when no mapping holds ip. Strings live as long as r. */
int ss_resolver_user(struct ss_resolver *r, uint32_t tgid, uint64_t ip,
		     const char **func, uint64_t *off, const char **obj);

/* The kernel function containing ip, from /proc/kallsyms (read once, at
 * the first call): 0 and *func, *off, *mod ("" for vmlinux, else the
 * module); -ENOENT when no symbol precedes ip; -EACCES when kallsyms
 * hides addresses (not root). Valid only for traces of this boot: KASLR
 * moves the kernel at every boot. */
int ss_resolver_kernel(struct ss_resolver *r, uint64_t ip, const char **func,
		       uint64_t *off, const char **mod);

#endif
