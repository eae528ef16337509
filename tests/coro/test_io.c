/* I/O that parks the coroutine: pipes, TCP loopback echo. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "helpers.h"

struct pipe_case {
	int fds[2];
	char buf[16];
	ssize_t n;
	int writer_ran_first;
	int reader_done;
};

static void *pipe_reader(void *arg)
{
	struct pipe_case *p = arg;

	p->n = coro_read(p->fds[0], p->buf, sizeof(p->buf) - 1);
	p->reader_done = 1;
	return NULL;
}

static void *pipe_writer(void *arg)
{
	struct pipe_case *p = arg;

	/* the reader parked instead of blocking the thread */
	p->writer_ran_first = !p->reader_done;
	coro_sleep_ns(2000000);
	return (void *)(intptr_t)coro_write(p->fds[1], "hello", 5);
}

static void *pipe_main(void *arg)
{
	struct pipe_case *p = arg;
	struct coro *r = coro_create(pipe_reader, p, NULL);
	struct coro *w = coro_create(pipe_writer, p, NULL);
	void *wr;

	coro_join(r, NULL);
	coro_join(w, &wr);
	coro_close(p->fds[0]);
	coro_close(p->fds[1]);
	return wr;
}

TEST(read_on_an_empty_pipe_parks_the_coroutine_not_the_thread)
{
	struct pipe_case p = { 0 };
	void *wr = NULL;

	REQUIRE(pipe2(p.fds, O_NONBLOCK | O_CLOEXEC) == 0);
	REQUIRE(coro_run(pipe_main, &p, &wr) == 0);
	CHECK(p.writer_ran_first);
	CHECK_EQ((intptr_t)wr, 5);
	CHECK_EQ(p.n, 5);
	CHECK_STR(p.buf, "hello");
}

/* ---- TCP echo: one server thread, 1000 concurrent client coroutines --- */

#define NCLIENTS 1000
#define MSG_LEN 200

struct echo {
	int lfd;
	struct sockaddr_in addr;
	int served;
	int ok;
	int failed;
	char why[128];
};

static void *serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[512];
	ssize_t n;

	while ((n = coro_read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = coro_write(fd, buf + off, (size_t)(n - off));

			if (w < 0)
				goto out;
			off += w;
		}
	}
out:
	coro_close(fd);
	return NULL;
}

static void *server_main(void *arg)
{
	struct echo *e = arg;
	struct coro_attr det = { .flags = CORO_F_DETACHED };

	while (e->served < NCLIENTS) {
		int fd = coro_accept(e->lfd, NULL, NULL);

		if (fd < 0)
			return (void *)(intptr_t)errno;
		if (!coro_create(serve_conn, (void *)(intptr_t)fd, &det))
			return (void *)(intptr_t)errno;
		e->served++;
	}
	return NULL;
}

static void *server_thread(void *arg)
{
	struct echo *e = arg;
	void *r = NULL;

	if (coro_run(server_main, e, &r) || r)
		e->failed = -1;
	return NULL;
}

struct client {
	struct echo *e;
	int id;
};

static void client_fail(struct echo *e, const char *what, int id)
{
	if (!e->failed++)
		snprintf(e->why, sizeof(e->why), "client %d: %s: %s", id, what, strerror(errno));
}

static void *client(void *arg)
{
	struct client *c = arg;
	char out[MSG_LEN], in[MSG_LEN];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(out, 'a' + c->id % 26, sizeof(out));
	snprintf(out, sizeof(out), "client %d says", c->id);
	if (fd < 0 || coro_connect(fd, (struct sockaddr *)&c->e->addr, sizeof(c->e->addr))) {
		client_fail(c->e, "connect", c->id);
		goto out;
	}
	/* everyone connects before anyone talks: 1000 connections at once */
	coro_sleep_ns(1000000);
	if (coro_write(fd, out, sizeof(out)) != (ssize_t)sizeof(out)) {
		client_fail(c->e, "write", c->id);
		goto out;
	}
	while (got < sizeof(in)) {
		ssize_t n = coro_read(fd, in + got, sizeof(in) - got);

		if (n <= 0) {
			client_fail(c->e, "read", c->id);
			goto out;
		}
		got += (size_t)n;
	}
	if (memcmp(in, out, sizeof(in)) == 0)
		c->e->ok++;
	else
		client_fail(c->e, "echo differs", c->id);
out:
	if (fd >= 0)
		coro_close(fd);
	return NULL;
}

static void *clients_main(void *arg)
{
	static struct client cl[NCLIENTS];
	static struct coro *cs[NCLIENTS];

	for (int i = 0; i < NCLIENTS; i++) {
		cl[i] = (struct client){ .e = arg, .id = i };
		cs[i] = coro_create(client, &cl[i], NULL);
		if (!cs[i])
			return (void *)1;
	}
	for (int i = 0; i < NCLIENTS; i++)
		coro_join(cs[i], NULL);
	return NULL;
}

TEST(tcp_echo_with_1000_concurrent_clients_and_one_server_thread)
{
	struct echo e = { 0 };
	socklen_t len = sizeof(e.addr);
	pthread_t srv;
	void *r = (void *)1;
	int one = 1;

	e.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	REQUIRE(e.lfd >= 0);
	setsockopt(e.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	e.addr.sin_family = AF_INET;
	e.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(e.lfd, (struct sockaddr *)&e.addr, sizeof(e.addr)) == 0);
	REQUIRE(getsockname(e.lfd, (struct sockaddr *)&e.addr, &len) == 0);
	REQUIRE(listen(e.lfd, NCLIENTS) == 0);
	REQUIRE(pthread_create(&srv, NULL, server_thread, &e) == 0);
	REQUIRE(coro_run(clients_main, &e, &r) == 0);
	pthread_join(srv, NULL);
	CHECK(r == NULL);
	CHECK(e.failed == 0, "%d clients failed, first: %s", e.failed, e.why);
	CHECK_EQ(e.ok, NCLIENTS);
	CHECK_EQ(e.served, NCLIENTS);
	close(e.lfd);
}

static void *refused_main(void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int probe = socket(AF_INET, SOCK_STREAM, 0), fd, rc;

	/* a port that was just free: bound, never listened on */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(probe, (struct sockaddr *)&a, &len))
		return (void *)-1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	rc = coro_connect(fd, (struct sockaddr *)&a, sizeof(a));
	rc = rc < 0 ? errno : 0;
	coro_close(fd);
	close(probe);
	return (void *)(intptr_t)rc;
}

TEST(connect_to_a_closed_port_is_econnrefused)
{
	void *err = NULL;

	REQUIRE(coro_run(refused_main, NULL, &err) == 0);
	CHECK_EQ((intptr_t)err, ECONNREFUSED);
}
