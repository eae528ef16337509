// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * I/O that parks the coroutine, and the scheduler's one place to block.
 *
 * An fd joins the thread's epoll set edge-triggered the first time a
 * coroutine must wait on it and stays there until coro_close(): an
 * operation is tried first, and only EAGAIN parks the coroutine, so a busy
 * fd costs no epoll_ctl per operation. Edge-triggered events can be stale
 * (the coroutine then retries and parks again), never lost: an edge that
 * came before the registration is reported by EPOLL_CTL_ADD itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define EV_BATCH	64
#define EVFD_TAG	UINT64_MAX

int coro_io_init(struct sched *s)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = EVFD_TAG };

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	/* Edge-triggered: every write by a waker is a new edge, so the
	 * counter never needs reading. */
	s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->evfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) < 0)
		return -errno;
	return 0;
}

void coro_io_fini(struct sched *s)
{
	if (s->evfd >= 0)
		close(s->evfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->fds);
	s->fds = NULL;
}

static void wake(struct sched *s, struct coro **slot)
{
	struct coro *c = *slot;

	if (!c)
		return;
	*slot = NULL;
	s->fd_waiters--;
	/* a coroutine waiting for both directions is woken once */
	if (c->state == CORO_PARKED)
		coro_ready(c, 0);
}

static void handle(struct sched *s, const struct epoll_event *ev)
{
	struct fd_slot *f;

	if (ev->data.u64 == EVFD_TAG || ev->data.u64 >= s->nfds)
		return;
	f = &s->fds[ev->data.u64];
	if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		wake(s, &f->rd);
	if (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		wake(s, &f->wr);
}

static int epoll_ns(int epfd, struct epoll_event *ev, int64_t wait_ns)
{
	static int no_pwait2;
	struct timespec ts = {
		.tv_sec = wait_ns / 1000000000,
		.tv_nsec = wait_ns % 1000000000,
	};
	int n;

	if (!no_pwait2) {
		n = epoll_pwait2(epfd, ev, EV_BATCH, wait_ns < 0 ? NULL : &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = 1;
	}
	/* milliseconds, rounded up: never wake before the deadline */
	return epoll_wait(epfd, ev, EV_BATCH,
			  wait_ns < 0 ? -1 : (int)((wait_ns + 999999) / 1000000));
}

void coro_io_poll(struct sched *s, int block)
{
	struct epoll_event ev[EV_BATCH];
	int64_t wait_ns = 0;
	int n;

	coro_drain_remote(s);
	if (s->timers.n) {
		int64_t next = coro_timer_expire(&s->timers, coro_now_ns());

		if (block)
			wait_ns = next;
	} else if (block) {
		wait_ns = -1;
	}
	if (s->rq_head)
		wait_ns = 0;
	if (wait_ns != 0) {
		/* going idle: the low-rate totals, then tell wakers to
		 * write the eventfd (Dekker: store, then load theirs) */
		coro_fire_stats_idle(s);
		atomic_store(&s->sleeping, 1);
		if (atomic_load(&s->r_pending))
			wait_ns = 0;
	}
	if (wait_ns != 0 || s->fd_waiters) {
		n = epoll_ns(s->epfd, ev, wait_ns);
		if (n < 0 && errno != EINTR)
			coro_fatal("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			handle(s, &ev[i]);
	}
	atomic_store(&s->sleeping, 0);
	coro_drain_remote(s);
	if (s->timers.n)
		coro_timer_expire(&s->timers, coro_now_ns());
}

static struct fd_slot *fd_slot(struct sched *s, int fd)
{
	if ((size_t)fd >= s->nfds) {
		size_t n = s->nfds ? s->nfds : 64;
		struct fd_slot *v;

		while (n <= (size_t)fd)
			n *= 2;
		v = realloc(s->fds, n * sizeof(*v));
		if (!v)
			return NULL;
		memset(v + s->nfds, 0, (n - s->nfds) * sizeof(*v));
		s->fds = v;
		s->nfds = n;
	}
	return &s->fds[fd];
}

int coro_fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
		return -1;
	return 0;
}

int coro_fd_wait(int fd, unsigned int events)
{
	struct sched *s = coro_sched_get("coro_fd_wait");
	struct coro *self = s->cur;
	struct fd_slot *f;

	if (self == &s->main)
		coro_fatal("coro_fd_wait() called outside a coroutine");
	if (fd < 0 || !(events & (EPOLLIN | EPOLLOUT))) {
		errno = fd < 0 ? EBADF : EINVAL;
		return -1;
	}
	f = fd_slot(s, fd);
	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	if (!f->registered) {
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			.data.u64 = (uint64_t)fd,
		};

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST)
			return -1;
		f->registered = 1;
	}
	if ((events & EPOLLIN) && f->rd)
		coro_fatal("two coroutines wait to read fd %d (%llu and %llu)", fd,
			   (unsigned long long)f->rd->id, (unsigned long long)self->id);
	if ((events & EPOLLOUT) && f->wr)
		coro_fatal("two coroutines wait to write fd %d (%llu and %llu)", fd,
			   (unsigned long long)f->wr->id, (unsigned long long)self->id);
	if (events & EPOLLIN) {
		f->rd = self;
		s->fd_waiters++;
	}
	if (events & EPOLLOUT) {
		f->wr = self;
		s->fd_waiters++;
	}
	coro_park(s, CORO_PARK_FD);
	/* woken through one direction: forget the other */
	f = &s->fds[fd];
	if (f->rd == self) {
		f->rd = NULL;
		s->fd_waiters--;
	}
	if (f->wr == self) {
		f->wr = NULL;
		s->fd_waiters--;
	}
	return 0;
}

ssize_t coro_read(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);

		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
		if (coro_fd_wait(fd, EPOLLIN) < 0)
			return -1;
	}
}

ssize_t coro_write(int fd, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = write(fd, buf, len);

		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
		if (coro_fd_wait(fd, EPOLLOUT) < 0)
			return -1;
	}
}

int coro_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	for (;;) {
		int c = accept4(fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return c;
		if (coro_fd_wait(fd, EPOLLIN) < 0)
			return -1;
	}
}

int coro_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (connect(fd, addr, addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (coro_fd_wait(fd, EPOLLOUT) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int coro_close(int fd)
{
	struct sched *s = coro_tls_sched;

	if (s && fd >= 0 && (size_t)fd < s->nfds && s->fds[fd].registered) {
		struct fd_slot *f = &s->fds[fd];

		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
		f->registered = 0;
		/* waiters retry and see EBADF */
		wake(s, &f->rd);
		wake(s, &f->wr);
	}
	return close(fd);
}
