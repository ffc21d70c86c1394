/*
 * The metrics listener's sockets on the daemon's loop (lib/loop.h): a non-blocking listening socket,
 * non-blocking accept, read, write (sendmsg, MSG_NOSIGNAL), shutdown and close, and one timer
 * armed at the earliest connection deadline (off while there is none: an idle listener never
 * wakes). Every decision (limits, eviction, parsing, answers, deadlines, counters, log lines) is
 * lib/http_listener.c's; what it serves comes from the owner's callbacks (the metrics text, the
 * health verdict), so this file knows nothing of the daemon.
 *
 * Its sources run at PSD_LOOP_PRIORITY_LAST, after the daemon's own (netlink, Redis, the core's
 * timer): when both are ready, a link change goes first. The listening socket is never left
 * off: a connection over a limit is accepted and closed (a response would need the connection
 * kept until its request is read, which is the holding the limit forbids), and when the process
 * is out of file descriptors a spare one is given up to accept and close it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "adapters.h"
#include "http_listener.h"
#include "http_response.h"
#include "psd/metrics.h"

#define PSD_HTTP_BACKLOG 1024 /* connections the kernel queues before accept: a flood waits
				* there, a scraper among it is not dropped */
#define PSD_HTTP_ACCEPTS_PER_TURN 16  /* accepted per wake-up, then the loop's other work */
#define PSD_HTTP_RENDER_FIRST (64u * 1024) /* first metrics buffer; then the last size + 1/4 */

struct psd_http_socket {
	struct psd_http *h;
	uint32_t slot;
	int fd;
	struct psd_loop_source io;
};

struct psd_http {
	struct psd_loop *loop;
	struct psd_http_options o;
	int listen_fd;
	int spare_fd; /* /dev/null, closed for a moment to accept and close when out of fds */
	struct psd_loop_source listen_io;
	struct psd_loop_source timer;
	size_t render_last;      /* the last metrics text's length */
	struct psd_http_listener listener;
	struct psd_http_socket sock[PSD_HTTP_CONNECTIONS_MAX];
	char health[PSD_HTTP_SMALL_BODY_MAX];
};

static struct psd_http_time now(void)
{
	struct timespec mono, wall;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	return (struct psd_http_time){
		.mono_ns = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec,
		.unix_s = wall.tv_sec > 0 ? (uint64_t)wall.tv_sec : 0,
	};
}

/* --- what the listener asks of its owner ------------------------------------------------ */

/* The metrics text and the listener's own families in a buffer of ours, at most size_max bytes:
 * the first try sized from the last text, doubled while it does not fit. */
static void serve_metrics(struct psd_http *h, size_t size_max, struct psd_http_answer *ret)
{
	size_t size = h->render_last + h->render_last / 4;
	size = size < PSD_HTTP_RENDER_FIRST ? PSD_HTTP_RENDER_FIRST : size;
	for (;;) {
		size = size < size_max ? size : size_max;
		char *buf = size > 0 ? malloc(size) : NULL;
		if (buf == NULL)
			break;
		size_t n = h->o.render_metrics(h->o.ctx, buf, size);
		size_t m = n < size ? psd_http_render(&h->listener, buf + n, size - n) : 0;
		if (n < size && m < size - n) {
			h->render_last = n + m;
			*ret = (struct psd_http_answer){.status = PSD_HTTP_200,
							.type = "text/plain; version=0.0.4; charset=utf-8",
							.data = buf,
							.len = n + m,
							.owner = buf};
			return;
		}
		free(buf);
		if (size == size_max)
			break;
		size *= 2;
	}
	ret->too_large = true; /* over size_max, or out of memory: the listener answers for it */
}

static void serve(void *ctx, enum psd_http_endpoint ep, size_t size_max,
		  struct psd_http_answer *ret)
{
	struct psd_http *h = ctx;
	if (ep == PSD_HTTP_EP_METRICS) {
		serve_metrics(h, size_max, ret);
		return;
	}
	char why[PSD_HEALTH_REASON_MAX];
	enum psd_health v = h->o.health(h->o.ctx, why, sizeof(why));
	*ret = (struct psd_http_answer){
		.status = v == PSD_HEALTH_FAILING ? PSD_HTTP_503 : PSD_HTTP_200,
		.type = "application/json",
		.data = h->health,
		.len = psd_http_health_json(psd_health_name(v), why, h->health, sizeof(h->health)),
	};
}

static void release(void *ctx, void *owner)
{
	free(owner);
}

static void closed(void *ctx, uint32_t slot)
{
	struct psd_http *h = ctx;
	struct psd_http_socket *s = &h->sock[slot];
	psd_loop_remove(&s->io);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void log_line(void *ctx, enum psd_log_level level, const char *text)
{
	psd_log(level, "%s", text);
}

static const struct psd_http_ops listener_ops = {
	.serve = serve,
	.release = release,
	.closed = closed,
	.log = log_line,
};

/* --- the timer ------------------------------------------------------------------------------ */

static void arm(struct psd_http *h)
{
	psd_loop_timer_at(&h->timer, psd_http_next_deadline(&h->listener));
}

static void on_timer(void *ctx, uint32_t revents)
{
	struct psd_http *h = ctx;
	psd_http_expire(&h->listener, now());
	arm(h);
}

/* --- one connection --------------------------------------------------------------------- */

static unsigned do_read(struct psd_http *h, uint32_t slot, struct psd_http_time t)
{
	char *at;
	size_t room = psd_http_read_space(&h->listener, slot, &at);
	ssize_t n = read(h->sock[slot].fd, at, room);
	if (n >= 0)
		return psd_http_received(&h->listener, slot, t, (size_t)n);
	if (errno == EAGAIN || errno == EINTR)
		return psd_http_wants(&h->listener, slot);
	psd_http_failed(&h->listener, slot, t);
	return 0;
}

static unsigned do_write(struct psd_http *h, uint32_t slot, struct psd_http_time t)
{
	struct psd_http_span span[2];
	struct iovec iov[2];
	size_t k = psd_http_output(&h->listener, slot, span);
	for (size_t i = 0; i < k; i++)
		iov[i] = (struct iovec){(void *)span[i].data, span[i].len};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = k};
	ssize_t n = sendmsg(h->sock[slot].fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0)
		return psd_http_sent(&h->listener, slot, t, (size_t)n);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return psd_http_wants(&h->listener, slot);
	psd_http_failed(&h->listener, slot, t);
	return 0;
}

/* One read and one write at most, then epoll is told what the connection waits for. */
static void service(struct psd_http *h, uint32_t slot, uint32_t revents)
{
	struct psd_http_time t = now();
	unsigned wants = psd_http_wants(&h->listener, slot);
	struct psd_http_socket *s = &h->sock[slot];

	if ((wants & PSD_HTTP_WANT_READ) && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		wants = do_read(h, slot, t);
	if (wants & PSD_HTTP_WANT_WRITE)
		wants = do_write(h, slot, t);
	if (wants & PSD_HTTP_WANT_SHUTDOWN)
		shutdown(s->fd, SHUT_WR);
	uint32_t events = (wants & PSD_HTTP_WANT_READ ? EPOLLIN : 0) |
			  (wants & PSD_HTTP_WANT_WRITE ? EPOLLOUT : 0);
	if (wants != 0)
		psd_checked(psd_loop_io_events(&s->io, events), "http: io events");
	arm(h);
}

static void on_socket(void *ctx, uint32_t revents)
{
	struct psd_http_socket *s = ctx;
	service(s->h, s->slot, revents);
}

/* --- accepting ------------------------------------------------------------------------------ */

/* The client's address as the listener keys it: IPv6, or IPv4 mapped (::ffff:a.b.c.d). */
static void addr_key(const struct sockaddr_storage *ss, uint8_t ret[PSD_HTTP_ADDR_LEN])
{
	memset(ret, 0, PSD_HTTP_ADDR_LEN);
	if (ss->ss_family == AF_INET6) {
		memcpy(ret, &((const struct sockaddr_in6 *)ss)->sin6_addr, PSD_HTTP_ADDR_LEN);
	} else if (ss->ss_family == AF_INET) {
		ret[10] = ret[11] = 0xff;
		memcpy(ret + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

static void take(struct psd_http *h, int fd, const struct sockaddr_storage *ss)
{
	uint8_t addr[PSD_HTTP_ADDR_LEN];
	struct psd_http_time t = now();

	addr_key(ss, addr);
	int slot = psd_http_accept(&h->listener, t, addr);
	if (slot < 0) {
		close(fd);
		return;
	}
	struct psd_http_socket *s = &h->sock[slot];
	s->fd = fd;
	psd_loop_io(h->loop, &s->io, fd, PSD_LOOP_PRIORITY_LAST, on_socket, s);
	if (psd_checked(psd_loop_io_events(&s->io, EPOLLIN), "http: watch a connection") < 0) {
		psd_http_failed(&h->listener, (uint32_t)slot, t);
		return;
	}
	service(h, (uint32_t)slot, EPOLLIN); /* the request often came with the connection */
}

/* accept() out of file descriptors: the spare one given up for a moment, the connection taken
 * and closed, so it does not wait in the kernel's queue and keep the socket readable. False
 * when no connection could be taken (no spare: the next wake-up tries again). */
static bool refuse_without_fd(struct psd_http *h)
{
	if (h->spare_fd < 0)
		h->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (h->spare_fd < 0)
		return false;
	close(h->spare_fd);
	int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	h->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	psd_http_refuse_fds(&h->listener, now());
	return true;
}

static void on_accept(void *ctx, uint32_t revents)
{
	struct psd_http *h = ctx;
	for (int i = 0; i < PSD_HTTP_ACCEPTS_PER_TURN; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c = accept4(h->listen_fd, (struct sockaddr *)&ss, &len,
				SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0)
			take(h, c, &ss);
		else if (errno == EINTR || errno == ECONNABORTED)
			continue;
		else if ((errno != EMFILE && errno != ENFILE) || !refuse_without_fd(h))
			break; /* EAGAIN: all taken; anything else: the next wake-up tries again */
	}
	arm(h);
}

/* --- opening and closing ------------------------------------------------------------------ */

static int listen_on(struct psd_http *h, const struct psd_http_options *o, char *err,
		     size_t err_size)
{
	struct sockaddr_storage sa = {0};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
	socklen_t len;
	int one = 1, defer_s = (int)(PSD_HTTP_IDLE_TIMEOUT_NS / 1000000000u);

	if (inet_pton(AF_INET, o->address, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(o->port);
		len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, o->address, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(o->port);
		len = sizeof(*v6);
	} else {
		return psd_errorf(err, err_size,
				  "metrics address '%s' is not an IPv4 or IPv6 address", o->address);
	}
	h->listen_fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->listen_fd < 0 ||
	    setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (sa.ss_family == AF_INET6 &&
	     setsockopt(h->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    setsockopt(h->listen_fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof(defer_s)) < 0 ||
	    bind(h->listen_fd, (struct sockaddr *)&sa, len) < 0 ||
	    listen(h->listen_fd, PSD_HTTP_BACKLOG) < 0)
		return psd_errorf(err, err_size, "metrics: cannot listen on %s port %u: %s",
				  o->address, o->port, strerror(errno));
	return 0;
}

struct psd_http *psd_http_open(struct psd_loop *loop, const struct psd_http_options *o, char *err,
			       size_t err_size)
{
	struct psd_http *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		psd_errorf(err, err_size, "metrics: out of memory");
		return NULL;
	}
	h->loop = loop;
	h->o = *o;
	h->listen_fd = h->spare_fd = -1;
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++)
		h->sock[i] = (struct psd_http_socket){.h = h, .slot = i, .fd = -1};
	psd_http_init(&h->listener, &listener_ops, h);
	if (listen_on(h, o, err, err_size) < 0)
		return psd_http_close(h);
	h->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	psd_loop_io(loop, &h->listen_io, h->listen_fd, PSD_LOOP_PRIORITY_LAST, on_accept, h);
	psd_loop_timer(loop, &h->timer, PSD_LOOP_PRIORITY_LAST, on_timer, h);
	if (h->spare_fd < 0 || psd_loop_io_events(&h->listen_io, EPOLLIN) < 0) {
		psd_errorf(err, err_size, "metrics: cannot add the listener to the event loop");
		return psd_http_close(h);
	}
	return h;
}

struct psd_http *psd_http_close(struct psd_http *h)
{
	if (h == NULL)
		return NULL;
	psd_http_close_all(&h->listener); /* closed() for each: sockets and sources */
	psd_loop_remove(&h->listen_io);
	psd_loop_remove(&h->timer);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	if (h->spare_fd >= 0)
		close(h->spare_fd);
	free(h);
	return NULL;
}
