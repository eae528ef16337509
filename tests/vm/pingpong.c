/*
 * ss-pingpong thread|process ROUND_TRIPS [CPU]: the guest tests' workload.
 * Two threads, or two processes, pass a byte back and forth through two
 * pipes. With CPU both are pinned to it, and each round trip is exactly two
 * switches between them unless another task runs in between.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int to_peer[2], to_main[2];
static long rounds;

static void *peer(void *arg)
{
	char c;

	for (long i = 0; i < rounds; i++) {
		if (read(to_peer[0], &c, 1) != 1 || write(to_main[1], &c, 1) != 1)
			exit(1);
	}
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t;
	pid_t pid = -1;
	char c = 'x';
	int status;

	if (argc < 3 || (strcmp(argv[1], "thread") && strcmp(argv[1], "process"))) {
		fprintf(stderr, "usage: ss-pingpong thread|process ROUND_TRIPS [CPU]\n");
		return 2;
	}
	rounds = atol(argv[2]);
	if (argc > 3) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(atoi(argv[3]), &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("ss-pingpong: sched_setaffinity");
			return 1;
		}
	}
	if (pipe(to_peer) || pipe(to_main)) {
		perror("ss-pingpong: pipe");
		return 1;
	}
	if (!strcmp(argv[1], "thread")) {
		if (pthread_create(&t, NULL, peer, NULL)) {
			fprintf(stderr, "ss-pingpong: cannot create a thread\n");
			return 1;
		}
	} else {
		pid = fork();
		if (pid < 0) {
			perror("ss-pingpong: fork");
			return 1;
		}
		if (pid == 0) {
			/* Killed with its parent, not left blocked on a pipe. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			peer(NULL);
			_exit(0);
		}
	}
	for (long i = 0; i < rounds; i++) {
		if (write(to_peer[1], &c, 1) != 1 || read(to_main[0], &c, 1) != 1)
			return 1;
	}
	if (pid < 0)
		return pthread_join(t, NULL) ? 1 : 0;
	return waitpid(pid, &status, 0) == pid && status == 0 ? 0 : 1;
}
