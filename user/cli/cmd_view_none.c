/* switchscope view in a build without the HTTP server (the static binary
 * of the QEMU guest, mk/vm.mk: libmicrohttpd's static link would drag in
 * GnuTLS): says so. */
#include "cli.h"
#include "ss.h"

int cmd_view(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ss_err("view is not in this build (a static binary without the HTTP server): "
	       "use 'switchscope export --format html', or view on the host");
	return SS_EXIT_UNSUPPORTED;
}
