/* Demangling by libstdc++'s __cxa_demangle (see demangle.h): the runtime
 * every C++ program here loads, the demangler GCC's tools use; a C
 * program reaches it by its C name. */
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

char *ss_demangle(const char *sym)
{
	int status = -1;
	char *d;

	if (!sym || strncmp(sym, "_Z", 2))
		return NULL;
	d = __cxa_demangle(sym, NULL, NULL, &status);
	if (status) {
		free(d);
		return NULL;
	}
	return d;
}
