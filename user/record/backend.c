#include <string.h>
#include <bpf/libbpf.h>

#include "backend.h"

static const struct ss_backend_ops *const backends[] = {
	&ss_backend_bpf,
	&ss_backend_kmod,
};

const struct ss_backend_ops *ss_backend_find(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

unsigned int ss_ncpu(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}
