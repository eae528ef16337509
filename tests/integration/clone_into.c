/* clone-into DIR: a child made straight into the cgroup v2 directory DIR
 * (clone3 with CLONE_INTO_CGROUP, as systemd and container runtimes start
 * their services), which sleeps 1 ms 50 times; the parent waits for it.
 * For tests/integration/cli_cgroup.sh: a cgroup made after the recording
 * started, entered without a write to cgroup.procs. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>

int main(int argc, char **argv)
{
	struct clone_args args;
	int fd, status;
	long pid;

	if (argc != 2) {
		fprintf(stderr, "usage: clone-into CGROUP-DIR\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		fprintf(stderr, "clone-into: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)fd;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		fprintf(stderr, "clone-into: clone3: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		struct timespec ms = { 0, 1000000 };

		for (int i = 0; i < 50; i++)
			nanosleep(&ms, NULL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	printf("%ld\n", pid);
	return WEXITSTATUS(status);
}
