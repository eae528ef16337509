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

/* Note descriptor: pc, base, semaphore (3 addresses), then provider\0,
 * name\0, arguments\0. */
static unsigned int note_probe(const char *desc, size_t len, int is64)
{
	size_t skip = is64 ? 24 : 12;
	const char *prov, *name, *end = desc + len;

	if (len <= skip)
		return 0;
	prov = desc + skip;
	name = memchr(prov, 0, end - prov);
	if (!name || ++name >= end || !memchr(name, 0, end - name))
		return 0;
	if (strcmp(prov, SS_CORO_PROVIDER))
		return 0;
	for (unsigned int i = 0; i < ss_coro_nprobes; i++)
		if (!strcmp(name, ss_coro_probe_names[i]))
			return 1u << i;
	return 0;
}

unsigned int ss_elf_coro_probes(const char *path)
{
	unsigned int found = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	Elf *elf;
	int fd, is64;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	is64 = gelf_getclass(elf) == ELFCLASS64;
	while ((scn = elf_nextscn(elf, scn))) {
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
		while ((off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp((char *)data->d_buf + noff, "stapsdt", 8))
				continue;
			found |= note_probe((char *)data->d_buf + doff, nh.n_descsz, is64);
		}
	}
out:
	elf_end(elf);
	close(fd);
	return found;
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

/* PT_INTERP of an ELF executable into buf; 0 if it has one. */
static int elf_interp(const char *path, char *buf, size_t len)
{
	size_t n, i;
	int fd, rc = -1;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && elf_getphdrnum(elf, &n) == 0) {
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
	elf_end(elf);
	close(fd);
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
	if (elf_interp(exe, interp, sizeof(interp)))
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
