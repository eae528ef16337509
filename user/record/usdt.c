/* Where the coro:* probes are: stapsdt notes of ELF files, the objects a
 * command loads at start, the objects a live process maps. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usdt.h"

#define NT_STAPSDT 3

const char *const ss_coro_probe_names[] = {
	"create", "switch", "park", "ready", "exit", "stats", "ring",
};
const unsigned int ss_coro_nprobes =
	sizeof(ss_coro_probe_names) / sizeof(ss_coro_probe_names[0]);

/* A stapsdt note of provider "coro": pc, base, semaphore (3 addresses),
 * then provider\0, name\0, arguments\0. */
struct note {
	uint64_t pc;
	const char *name, *args;
};

static int note_parse(const char *desc, size_t len, int is64, struct note *n)
{
	size_t skip = is64 ? 24 : 12;
	const char *prov, *end = desc + len;

	if (len <= skip)
		return -1;
	prov = desc + skip;
	n->name = memchr(prov, 0, end - prov);
	if (!n->name || ++n->name >= end)
		return -1;
	n->args = memchr(n->name, 0, end - n->name);
	if (!n->args || ++n->args >= end || !memchr(n->args, 0, end - n->args))
		return -1;
	if (strcmp(prov, SS_CORO_PROVIDER))
		return -1;
	if (is64)
		memcpy(&n->pc, desc, 8);
	else {
		uint32_t pc;

		memcpy(&pc, desc, 4);
		n->pc = pc;
	}
	return 0;
}

/* The ELF file at path, opened for reading (*fd its descriptor), or NULL
 * if it cannot be read or is no ELF file. Closed with elf_close. */
static Elf *elf_open(const char *path, int *fd)
{
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf = elf_begin(*fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		return elf;
	elf_end(elf);
	close(*fd);
	return NULL;
}

static void elf_close(Elf *elf, int fd)
{
	elf_end(elf);
	close(fd);
}

/* Call fn for every coro note of the ELF file at path, until it returns
 * non-zero (which is returned). -1: not a readable ELF file. */
static int each_coro_note(const char *path, int (*fn)(const struct note *n, void *ctx),
			  void *ctx)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, is64, rc = -1;
	Elf *elf = elf_open(path, &fd);

	if (!elf)
		return -1;
	if (elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	rc = 0;
	is64 = gelf_getclass(elf) == ELFCLASS64;
	while (!rc && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		const char *sname;
		size_t off = 0, noff, doff;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".note.stapsdt"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while (!rc && (off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
			struct note n;

			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp((char *)data->d_buf + noff, "stapsdt", 8) ||
			    note_parse((char *)data->d_buf + doff, nh.n_descsz, is64, &n))
				continue;
			rc = fn(&n, ctx);
		}
	}
out:
	elf_close(elf, fd);
	return rc;
}

static int probe_bit(const struct note *n, void *ctx)
{
	for (unsigned int i = 0; i < ss_coro_nprobes; i++)
		if (!strcmp(n->name, ss_coro_probe_names[i]))
			*(unsigned int *)ctx |= 1u << i;
	return 0;
}

unsigned int ss_elf_coro_probes(const char *path)
{
	unsigned int found = 0;

	each_coro_note(path, probe_bit, &found);
	return found;
}

static const char fix_local[] =
	"pass the value through a register or a local: copy it into a local "
	"variable and give that to the probe (or build the probe with "
	"STAP_SDT_ARG_CONSTRAINT nr), see docs/PROBES.md";

/* What libbpf's USDT argument parser (1.1, x86_64) accepts: N@$const,
 * N@%reg, N@off(%reg), N@(%reg). NULL if arg is one of those. */
static const char *arg_problem(const char *arg)
{
	static const char *const tls[] = {
		"@tpoff", "@dtpoff", "@gottpoff", "@tlsgd", "@tlsld", "%fs:", "%gs:",
		":tprel", ":tlsdesc", ":dtprel",
	};
	const char *op = strchr(arg, '@');
	char *end;

	for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++)
		if (strstr(arg, tls[i]))
			return "it reads a thread-local (__thread) variable: its address is "
			       "the thread's TLS block plus an offset the loader chooses, which "
			       "the note does not give and a BPF program cannot compute";
	if (!op || op == arg)
		return "it is not of the form size@operand";
	strtol(arg, &end, 10);
	if (end != op)
		return "its size is not a number";
	op++;
#if defined(__x86_64__)
	if (*op == '$') {
		strtoll(op + 1, &end, 0);
		return *end ? "it is the address of a symbol ($symbol), which only the "
			      "loader knows" : NULL;
	}
	if (*op != '%') {
		strtoll(op, &end, 0);
		if (*end != '(' || end[1] != '%')
			return "it names a variable by its symbol (a global or static "
			       "variable, e.g. sym(%rip)): libbpf reads constants, registers "
			       "and register+offset memory only";
	}
#endif
	return NULL;
}

struct bad_ctx {
	const char *name;
	struct ss_bad_arg *out;
};

static int find_bad(const struct note *n, void *ctx)
{
	struct bad_ctx *b = ctx;
	const char *p = n->args;
	unsigned int i = 0;

	if (strcmp(n->name, b->name))
		return 0;
	while (*p) {
		size_t len;
		const char *why;
		char arg[128];

		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (!len)
			break;
		snprintf(arg, sizeof(arg), "%.*s", (int)len, p);
		i++;
		why = arg_problem(arg);
		if (why) {
			b->out->index = i;
			snprintf(b->out->spec, sizeof(b->out->spec), "%s", arg);
			b->out->pc = n->pc;
			b->out->why = why;
			b->out->fix = fix_local;
			return 1;
		}
		p += len;
	}
	if (i > 12) {
		b->out->index = 13;
		snprintf(b->out->spec, sizeof(b->out->spec), "%s", n->args);
		b->out->pc = n->pc;
		b->out->why = "the probe has more than 12 arguments (libbpf's limit)";
		b->out->fix = "give the probe at most 12 arguments";
		return 1;
	}
	return 0;
}

int ss_elf_coro_bad_arg(const char *path, const char *name, struct ss_bad_arg *out)
{
	struct bad_ctx b = { name, out };

	return each_coro_note(path, find_bad, &b);
}

/* The values of the named symbols of path (.dynsym or .symtab), 0 if
 * both were found. */
static int elf_syms2(const char *path, const char *a, uint64_t *va, const char *b,
		     uint64_t *vb)
{
	Elf_Scn *scn = NULL;
	int fd, found = 0;
	Elf *elf = elf_open(path, &fd);

	if (!elf)
		return -1;
	while (found != 3 && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize ||
		    (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *n;
			GElf_Sym sym;

			if (!gelf_getsym(data, i, &sym) || !sym.st_value)
				continue;
			n = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (n && !strcmp(n, a)) {
				*va = sym.st_value;
				found |= 1;
			} else if (n && !strcmp(n, b)) {
				*vb = sym.st_value;
				found |= 2;
			}
		}
	}
	elf_close(elf, fd);
	return found == 3 ? 0 : -1;
}

int ss_elf_loader_syms(const char *path, uint64_t *debug_state, uint64_t *r_debug)
{
	return elf_syms2(path, "_dl_debug_state", debug_state, "_r_debug", r_debug);
}

int ss_resolve_cmd(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK))
			return -1;
		return realpath(cmd, out) ? 0 : -1;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char cand[4096];

		snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, n ? p : ".", cmd);
		if (access(cand, X_OK) == 0 && realpath(cand, out))
			return 0;
		p += n + (e ? 1 : 0);
	}
	(void)len;
	return -1;
}

int ss_elf_interp(const char *path, char *buf, size_t len)
{
	size_t n, i;
	int fd, rc = -1;
	Elf *elf = elf_open(path, &fd);

	if (!elf)
		return -1;
	if (elf_getphdrnum(elf, &n) == 0) {
		for (i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_INTERP)
				continue;
			if (ph.p_filesz && ph.p_filesz < len &&
			    pread(fd, buf, ph.p_filesz, ph.p_offset) == (ssize_t)ph.p_filesz) {
				buf[ph.p_filesz - 1] = 0;
				rc = 0;
			}
			break;
		}
	}
	elf_close(elf, fd);
	return rc;
}

int ss_each_startup_object(const char *exe, void (*fn)(const char *path, void *ctx),
			   void *ctx)
{
	char interp[256], line[4096];
	int p[2], status;
	FILE *f;
	pid_t pid;

	fn(exe, ctx);
	if (ss_elf_interp(exe, interp, sizeof(interp)))
		return 0;	/* static: nothing else is loaded at start */
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(p[1], 1);
		dup2(null, 2);
		/* The loader's list mode resolves the libraries as a real
		 * start would, and runs nothing of the program. */
		execl(interp, interp, "--list", exe, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *arrow = strstr(line, "=> "), *path, *sp;

		path = arrow ? arrow + 3 : line + strspn(line, " \t");
		if (*path != '/')
			continue;
		sp = strpbrk(path, " \n(");
		if (sp)
			*sp = 0;
		fn(path, ctx);
	}
	if (f)
		fclose(f);
	else
		close(p[0]);
	waitpid(pid, &status, 0);
	return 0;
}

int ss_each_mapped_object(pid_t pid, void (*fn)(const char *path, void *ctx), void *ctx)
{
	char path[64], line[4352], last[4096] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], file[4096] = "";

		if (sscanf(line, "%*s %7s %*s %*s %*s %4095[^\n]", perms, file) != 2)
			continue;
		if (perms[2] != 'x' || file[0] != '/' || !strcmp(file, last))
			continue;
		snprintf(last, sizeof(last), "%s", file);
		fn(file, ctx);
	}
	fclose(f);
	return 0;
}
