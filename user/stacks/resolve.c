/* Stack addresses to names (resolve.h). One libdwfl session per distinct
 * file, placed at its link-time addresses: a user address becomes a file
 * address by the mapping's load bias, so that every process mapping the
 * same library shares its symbol table. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include "resolve.h"

#define BID_MAX		20
#define MAX_PHDR	32

struct seg {
	uint64_t off, vaddr, filesz;
};

struct rfile {
	char *path;		/* as mapped (the name shown) */
	uint8_t bid[BID_MAX];
	size_t bidlen;
	int fd;			/* the file or its debug file (-1: none) */
	struct seg seg[MAX_PHDR];
	int nseg;
	Dwfl *dwfl;		/* opened at the first lookup */
	Dwfl_Module *mod;
	int failed;		/* libdwfl refused it */
};

struct rmap {
	uint32_t tgid;
	uint64_t start, end, pgoff;
	struct rfile *f;	/* NULL: no file found */
};

struct ksym {
	uint64_t addr;
	const char *name;
	const char *mod;
};

struct ss_resolver {
	struct rfile **files;
	size_t nfiles, capfiles;
	struct rmap *maps;
	size_t nmaps, capmaps;
	int sorted;
	struct ksym *ksyms;
	size_t nksyms;
	char *kbuf;		/* names of ksyms point into it */
	int kstate;		/* 0: not read, 1: read, <0: -errno */
};

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct ss_resolver *ss_resolver_new(void)
{
	struct ss_resolver *r = calloc(1, sizeof(*r));

	if (r)
		elf_version(EV_CURRENT);
	return r;
}

void ss_resolver_free(struct ss_resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfiles; i++) {
		struct rfile *f = r->files[i];

		if (f->dwfl)
			dwfl_end(f->dwfl);
		if (f->fd >= 0)
			close(f->fd);
		free(f->path);
		free(f);
	}
	free(r->files);
	free(r->maps);
	free(r->ksyms);
	free(r->kbuf);
	free(r);
}

/* Build-id and loadable segments of the ELF file fd: 0, or -1 if it is
 * not an ELF file. */
static int elf_facts(int fd, uint8_t *bid, size_t *bidlen, struct seg *seg, int *nseg)
{
	const void *id;
	size_t phnum;
	ssize_t n;
	Elf *e;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return -1;
	if (elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum)) {
		elf_end(e);
		return -1;
	}
	*bidlen = 0;
	n = dwelf_elf_gnu_build_id(e, &id);
	if (n > 0) {
		*bidlen = n > BID_MAX ? BID_MAX : n;
		memcpy(bid, id, *bidlen);
	}
	*nseg = 0;
	for (size_t i = 0; i < phnum && *nseg < MAX_PHDR; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD)
			seg[(*nseg)++] = (struct seg){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
	elf_end(e);
	return 0;
}

int ss_file_build_id(int fd, uint8_t *bid, size_t max)
{
	struct seg seg[MAX_PHDR];
	uint8_t b[BID_MAX];
	size_t n;
	int ns;

	if (elf_facts(fd, b, &n, seg, &ns))
		return -ENOEXEC;
	n = n < max ? n : max;
	memcpy(bid, b, n);
	return n;
}

static struct rfile *file_find(struct ss_resolver *r, const uint8_t *bid,
			       size_t bidlen, const char *path)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		struct rfile *f = r->files[i];

		if (bidlen ? f->bidlen == bidlen && !memcmp(f->bid, bid, bidlen) :
			     !f->bidlen && !strcmp(f->path, path))
			return f;
	}
	return NULL;
}

/* Take a new file (fd consumed); NULL without memory. */
static struct rfile *file_add(struct ss_resolver *r, int fd, const char *path,
			      const uint8_t *bid, size_t bidlen,
			      const struct seg *seg, int nseg)
{
	struct rfile *f = calloc(1, sizeof(*f));

	if (f)
		f->path = strdup(path);
	if (r->nfiles == r->capfiles) {
		size_t nc = r->capfiles ? 2 * r->capfiles : 16;
		struct rfile **nf = realloc(r->files, nc * sizeof(*nf));

		if (nf) {
			r->files = nf;
			r->capfiles = nc;
		}
	}
	if (!f || !f->path || r->nfiles == r->capfiles) {
		if (f)
			free(f->path);
		free(f);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	f->fd = fd;
	if (bidlen)
		memcpy(f->bid, bid, bidlen);
	f->bidlen = bidlen;
	if (nseg)
		memcpy(f->seg, seg, nseg * sizeof(*seg));
	f->nseg = nseg;
	r->files[r->nfiles++] = f;
	return f;
}

static int map_add(struct ss_resolver *r, uint32_t tgid, uint64_t start, uint64_t end,
		   uint64_t pgoff, struct rfile *f)
{
	for (size_t i = 0; i < r->nmaps; i++) {
		struct rmap *m = &r->maps[i];

		if (m->tgid == tgid && m->start == start && m->end == end &&
		    m->pgoff == pgoff) {
			if (!m->f)
				m->f = f;
			return 0;
		}
	}
	if (r->nmaps == r->capmaps) {
		size_t nc = r->capmaps ? 2 * r->capmaps : 64;
		struct rmap *nm = realloc(r->maps, nc * sizeof(*nm));

		if (!nm)
			return -ENOMEM;
		r->maps = nm;
		r->capmaps = nc;
	}
	r->maps[r->nmaps++] = (struct rmap){ tgid, start, end, pgoff, f };
	r->sorted = 0;
	return 0;
}

/* A path from a trace is untrusted: no FIFO to block on, no device. */
static int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file behind a mapping, by build-id: the open fd (consumed) or path
 * if it matches, else the build-id's debug file. */
static struct rfile *file_open(struct ss_resolver *r, int fd, const char *path,
			       const uint8_t *bid, size_t bidlen)
{
	struct seg seg[MAX_PHDR];
	uint8_t fb[BID_MAX];
	size_t fbl = 0;
	char dbg[64 + 2 * BID_MAX];
	int nseg = 0;

	if (fd < 0)
		fd = open_regular(path);
	if (fd >= 0 && elf_facts(fd, fb, &fbl, seg, &nseg) == 0 &&
	    (!bidlen || (fbl == bidlen && !memcmp(fb, bid, bidlen))))
		return file_add(r, fd, path, fb, fbl, seg, nseg);
	if (fd >= 0)
		close(fd);
	if (!bidlen)
		return NULL;
	/* another file by that path here: the debug file of the one mapped */
	snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%02x/", bid[0]);
	for (size_t i = 1; i < bidlen; i++)
		snprintf(dbg + strlen(dbg), sizeof(dbg) - strlen(dbg), "%02x", bid[i]);
	strncat(dbg, ".debug", sizeof(dbg) - strlen(dbg) - 1);
	fd = open_regular(dbg);
	if (fd < 0)
		return NULL;
	if (elf_facts(fd, fb, &fbl, seg, &nseg) || fbl != bidlen || memcmp(fb, bid, bidlen)) {
		close(fd);
		return NULL;
	}
	return file_add(r, fd, path, fb, fbl, seg, nseg);
}

int ss_resolver_add_map_fd(struct ss_resolver *r, uint32_t tgid, uint64_t start,
			   uint64_t end, uint64_t pgoff, int fd, const char *path,
			   uint8_t *bid, uint32_t *bidlen)
{
	struct seg seg[MAX_PHDR];
	struct rfile *f;
	size_t n = 0;
	int nseg, rc;

	*bidlen = 0;
	if (fd >= 0 && elf_facts(fd, bid, &n, seg, &nseg)) {
		close(fd);
		return -ENOEXEC;
	}
	*bidlen = n;
	f = n ? file_find(r, bid, n, path) : NULL;
	if (f) {
		if (fd >= 0)
			close(fd);
	} else {
		f = fd >= 0 ? file_add(r, fd, path, bid, n, seg, nseg) :
			      file_open(r, -1, path, NULL, 0);
		if (f && fd < 0) {
			memcpy(bid, f->bid, f->bidlen);
			*bidlen = f->bidlen;
		}
	}
	rc = map_add(r, tgid, start, end, pgoff, f);
	return rc ? rc : f ? 0 : -ENOENT;
}

int ss_resolver_add_map(struct ss_resolver *r, uint32_t tgid, uint64_t start,
			uint64_t end, uint64_t pgoff, const uint8_t *build_id,
			size_t build_id_len, const char *path)
{
	struct rfile *f;
	int rc;

	if (build_id_len > BID_MAX)
		build_id_len = BID_MAX;
	f = file_find(r, build_id, build_id_len, path);
	if (!f)
		f = file_open(r, -1, path, build_id, build_id_len);
	rc = map_add(r, tgid, start, end, pgoff, f);
	return rc ? rc : f ? 0 : -ENOENT;
}

int ss_resolver_add_map_rec(struct ss_resolver *r, const struct ss_map *m)
{
	char path[4096];
	size_t len;

	if (m->hdr.size < sizeof(*m) || m->path_len > m->hdr.size - sizeof(*m) ||
	    m->build_id_len > sizeof(m->build_id) || m->start >= m->end)
		return -EINVAL;
	len = m->path_len < sizeof(path) - 1 ? m->path_len : sizeof(path) - 1;
	memcpy(path, m + 1, len);
	path[len] = 0;
	return ss_resolver_add_map(r, m->tgid, m->start, m->end, m->pgoff, m->build_id,
				   m->build_id_len, path);
}

void ss_resolver_forget(struct ss_resolver *r, uint32_t tgid)
{
	size_t keep = 0;

	for (size_t i = 0; i < r->nmaps; i++)
		if (r->maps[i].tgid != tgid)
			r->maps[keep++] = r->maps[i];
	r->nmaps = keep;
}

static int map_cmp(const void *a, const void *b)
{
	const struct rmap *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The mapping of tgid holding ip, or NULL. */
static struct rmap *map_find(struct ss_resolver *r, uint32_t tgid, uint64_t ip)
{
	size_t lo = 0, hi;

	if (!r->sorted && r->nmaps)
		qsort(r->maps, r->nmaps, sizeof(*r->maps), map_cmp);
	r->sorted = 1;
	hi = r->nmaps;
	/* last mapping starting at or below (tgid, ip) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct rmap *m = &r->maps[mid];

		if (m->tgid < tgid || (m->tgid == tgid && m->start <= ip))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	return r->maps[lo - 1].tgid == tgid && ip < r->maps[lo - 1].end ?
	       &r->maps[lo - 1] : NULL;
}

int ss_resolver_has_map(const struct ss_resolver *r, uint32_t tgid, uint64_t ip)
{
	/* the lookup sorts the table: that changes no answer */
	return map_find((struct ss_resolver *)r, tgid, ip) != NULL;
}

/* The link-time address of ip in mapping m: through the segment that holds
 * the mapping's file offset. */
static int file_addr(const struct rmap *m, uint64_t ip, uint64_t *out)
{
	uint64_t foff = m->pgoff + (ip - m->start);

	for (int i = 0; i < m->f->nseg; i++) {
		const struct seg *s = &m->f->seg[i];

		if (foff >= (s->off & ~0xfffull) && foff < s->off + s->filesz) {
			*out = s->vaddr - s->off + foff;
			return 0;
		}
	}
	return -1;
}

static int file_dwfl(struct rfile *f)
{
	int fd;

	if (f->dwfl || f->failed)
		return f->dwfl ? 0 : -1;
	f->failed = 1;
	f->dwfl = dwfl_begin(&callbacks);
	if (!f->dwfl)
		return -1;
	fd = f->fd >= 0 ? dup(f->fd) : -1;
	dwfl_report_begin(f->dwfl);
	f->mod = dwfl_report_elf(f->dwfl, f->path, f->path, fd, 0, true);
	dwfl_report_end(f->dwfl, NULL, NULL);
	if (!f->mod) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	f->failed = 0;
	return 0;
}

int ss_resolver_user(struct ss_resolver *r, uint32_t tgid, uint64_t ip,
		     const char **func, uint64_t *off, const char **obj)
{
	struct rmap *m = map_find(r, tgid, ip);
	GElf_Off o = 0;
	GElf_Sym sym;
	uint64_t a;

	*func = NULL;
	*off = 0;
	*obj = NULL;
	if (!m)
		return -ENOENT;
	if (!m->f)
		return 0;
	*obj = m->f->path;
	/* without a symbol: the offset in the file, for obj+0x... */
	*off = m->pgoff + (ip - m->start);
	if (file_addr(m, ip, &a) || file_dwfl(m->f))
		return 0;
	*func = dwfl_module_addrinfo(m->f->mod, a, &o, &sym, NULL, NULL, NULL);
	if (*func)
		*off = o;
	return 0;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* /proc/kallsyms: "addr type name [module]" per line. */
static int kallsyms_read(struct ss_resolver *r)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t len = 0, cap = 0, n = 0, capn = 0;
	char line[512];
	int nonzero = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char type, *name, *mod = "", *end;
		unsigned long long addr;
		size_t need;

		/* "ffffffff81000000 T _stext" or "... t name\t[module]": by
		 * hand, sscanf made reading 120,000 lines take most of a second */
		addr = strtoull(line, &end, 16);
		if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
			continue;
		type = end[1];
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		name = end + 3;
		end = name + strcspn(name, "\t\n");
		if (*end == '\t' && end[1] == '[') {
			mod = end + 2;
			mod[strcspn(mod, "]\n")] = 0;
		}
		*end = 0;
		if (!*name)
			continue;
		nonzero |= addr != 0;
		need = strlen(name) + strlen(mod) + 2;
		if (len + need > cap) {
			size_t nc = cap ? 2 * cap : 1 << 20;
			char *nb;

			while (nc < len + need)
				nc *= 2;
			nb = realloc(r->kbuf, nc);
			if (!nb)
				goto nomem;
			r->kbuf = nb;
			cap = nc;
		}
		if (n == capn) {
			size_t nc = capn ? 2 * capn : 65536;
			struct ksym *ns = realloc(r->ksyms, nc * sizeof(*ns));

			if (!ns)
				goto nomem;
			r->ksyms = ns;
			capn = nc;
		}
		/* offsets now, pointers once kbuf stops moving */
		r->ksyms[n].addr = addr;
		r->ksyms[n].name = (const char *)(uintptr_t)len;
		strcpy(r->kbuf + len, name);
		len += strlen(name) + 1;
		r->ksyms[n].mod = (const char *)(uintptr_t)len;
		strcpy(r->kbuf + len, mod);
		len += strlen(mod) + 1;
		n++;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		r->ksyms[i].name = r->kbuf + (uintptr_t)r->ksyms[i].name;
		r->ksyms[i].mod = r->kbuf + (uintptr_t)r->ksyms[i].mod;
	}
	r->nksyms = n;
	qsort(r->ksyms, n, sizeof(*r->ksyms), ksym_cmp);
	return nonzero ? 1 : -EACCES;
nomem:
	fclose(f);
	return -ENOMEM;
}

int ss_resolver_kernel(struct ss_resolver *r, uint64_t ip, const char **func,
		       uint64_t *off, const char **mod)
{
	size_t lo = 0, hi;

	*func = *mod = NULL;
	*off = 0;
	if (!r->kstate)
		r->kstate = kallsyms_read(r);
	if (r->kstate < 0)
		return r->kstate;
	hi = r->nksyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->ksyms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	*func = r->ksyms[lo - 1].name;
	*mod = r->ksyms[lo - 1].mod;
	*off = ip - r->ksyms[lo - 1].addr;
	return 0;
}
