/* The HTTP server of `switchscope view` (see vserver.h). libmicrohttpd
 * does the HTTP; the request URI is parsed by vquery.c, not by it, so that
 * one strict parser (fuzzed) sees everything that arrives. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ss.h"
#include "vapi.h"
#include "vquery.h"
#include "vserver.h"

struct vserver {
	struct MHD_Daemon *d;
	struct vindex *x;
	char *page;
	size_t pagelen;
	uint16_t port;
	char token[VQ_TOKEN_LEN + 1];
	char host_ip[32], host_name[32];	/* the Host headers accepted */
};

/* The raw URI of each request, before libmicrohttpd decodes it, and
 * whether the handler saw the request yet: an answer queued at its first
 * call (before the request is read to its end) makes libmicrohttpd close
 * the connection after it, and the viewer's next request would connect
 * again. */
struct vcall {
	int seen;
	char uri[];
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	size_t n = strlen(uri) + 1;
	struct vcall *k = malloc(sizeof(*k) + n);

	(void)cls;
	(void)c;
	if (k) {
		k->seen = 0;
		memcpy(k->uri, uri, n);
	}
	return k;
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
		      enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	free(*req_cls);
	*req_cls = NULL;
}

/* Compare in constant time: the token is the only secret. */
static int token_ok(const struct vreq *r, const char *token)
{
	unsigned int diff = 0;

	if (!r->has_token)
		return 0;
	for (int i = 0; i < VQ_TOKEN_LEN; i++)
		diff |= (unsigned char)r->token[i] ^ (unsigned char)token[i];
	return diff == 0;
}

static enum MHD_Result queue(struct MHD_Connection *c, int status, const char *type,
			       struct MHD_Response *resp)
{
	enum MHD_Result ret;

	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* the token is in the URL: never in a Referer */
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; script-src 'unsafe-inline'; "
				"style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_answer(struct MHD_Connection *c, struct vanswer *a)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(a->body);
		return MHD_NO;
	}
	return queue(c, a->status, a->type, resp);
}

static enum MHD_Result fail(struct MHD_Connection *c, int status, const char *msg)
{
	struct vanswer a;

	if (vapi_error(&a, status, msg))
		return MHD_NO;
	return send_answer(c, &a);
}

static ssize_t window_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n = vapi_window_read(cls, buf, max);

	(void)pos;
	return n > 0 ? n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM :
	       MHD_CONTENT_READER_END_WITH_ERROR;
}

static void window_done(void *cls)
{
	vapi_window_close(cls);
}

/* A window's answer goes out lane by lane (chunked) as it is made; a
 * client that goes away stops the making. */
static enum MHD_Result send_window(struct MHD_Connection *c, struct vindex *x,
				   const struct vreq *r)
{
	struct MHD_Response *resp;
	struct vstream *st;
	struct vanswer a;

	if (vapi_window_open(x, r, &st, &a))
		return fail(c, 500, "out of memory");
	if (!st)
		return send_answer(c, &a);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 << 10, window_read, st,
						 window_done);
	if (!resp) {
		vapi_window_close(st);
		return MHD_NO;
	}
	return queue(c, 200, "application/octet-stream", resp);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_size, void **req_cls)
{
	struct vserver *s = cls;
	struct vcall *k = *req_cls;
	const char *uri = k ? k->uri : url;
	const char *host;
	struct vanswer a;
	struct vreq r;
	char err[256];
	int bad;

	(void)version;
	(void)upload;
	if (k && !k->seen) {
		k->seen = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return fail(c, 405, "only GET");
	/* A page elsewhere that renamed its host to 127.0.0.1 (DNS rebinding)
	 * still lacks the token; its Host header says so too. */
	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	if (host && strcmp(host, s->host_ip) && strcmp(host, s->host_name))
		return fail(c, 403, "wrong Host header: this server answers 127.0.0.1 only");
	bad = vq_parse(uri, &r, err, sizeof(err));
	if (!token_ok(&r, s->token)) {
		vq_free(&r);
		return fail(c, 403, "missing or wrong token: use the URL switchscope view printed");
	}
	if (bad) {
		vq_free(&r);
		return fail(c, 400, err);
	}
	if (r.path == VP_UNKNOWN) {
		vq_free(&r);
		return fail(c, 404, "no such page");
	}
	if (r.path == VP_WINDOW) {
		enum MHD_Result ret = send_window(c, s->x, &r);

		vq_free(&r);
		return ret;
	}
	if (vapi_answer(s->x, &r, s->page, s->pagelen, &a)) {
		vq_free(&r);
		return fail(c, 500, "out of memory");
	}
	vq_free(&r);
	return send_answer(c, &a);
}

struct vserver *vserver_start(struct vindex *x, char *page, size_t pagelen,
			      uint16_t port, char *err, size_t errlen, int *code)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t salen = sizeof(sa);
	struct vserver *s = calloc(1, sizeof(*s));
	uint8_t rnd[VQ_TOKEN_LEN / 2];
	int fd = -1, one = 1;

	*code = SS_EXIT_INTERNAL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		sprintf(s->token + 2 * i, "%02x", rnd[i]);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen)) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1:%u: %s%s", port, strerror(errno),
			 errno == EADDRINUSE ? " (another --port, or 0 for any free one)" : "");
		*code = errno == EADDRINUSE || errno == EACCES ? SS_EXIT_USAGE : SS_EXIT_IO;
		goto fail;
	}
	s->port = ntohs(sa.sin_port);
	snprintf(s->host_ip, sizeof(s->host_ip), "127.0.0.1:%u", s->port);
	snprintf(s->host_name, sizeof(s->host_name), "localhost:%u", s->port);
	s->x = x;
	s->page = page;
	s->pagelen = pagelen;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
				handle, s,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)VSERVER_THREADS,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)VSERVER_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
				MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd)");
		goto fail;
	}
	return s;
fail:
	if (fd >= 0)
		close(fd);
	free(s);
	return NULL;
}

uint16_t vserver_port(const struct vserver *s)
{
	return s->port;
}

const char *vserver_token(const struct vserver *s)
{
	return s->token;
}

void vserver_stop(struct vserver *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s->page);
	free(s);
}
