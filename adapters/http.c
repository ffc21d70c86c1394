/*
 * The metrics endpoint: libmicrohttpd on the daemon's sd-event loop, no thread of its own. MHD
 * runs in epoll mode; its epoll fd is an sd-event io source and its next timeout an sd-event
 * timer, so requests are served from the loop thread between two core events and read the core
 * while nothing else touches it.
 *
 *   GET /metrics  the Prometheus text exposition (psd_metrics_render), rendered per request;
 *   GET /health   200 {"status":"ok"|"degraded","reason":...} or 503 {"status":"failing",...}.
 *
 * The same health line goes to systemd's STATUS= whenever it changes (checked every
 * PSD_HEALTH_CHECK_USEC), also when the endpoint is off.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <microhttpd.h>
#include <systemd/sd-daemon.h>

#include "adapters.h"
#include "psd/lit.h"
#include "psd/metrics.h"

#define PSD_HEALTH_CHECK_USEC 1000000ull /* health line re-evaluated for STATUS= */
#define PSD_HTTP_CONNECTIONS_MAX 16u     /* scrapers served at once */
#define PSD_HTTP_TIMEOUT_S 10u           /* an idle connection is closed after this */
#define PSD_METRICS_BUF_START (64u * 1024) /* first size of the render buffer; doubles */

struct psd_http {
	sd_event *loop;
	struct psd_daemon *daemon;
	const char *version;
	struct MHD_Daemon *mhd;
	sd_event_source *io;
	sd_event_source *timeout;
	sd_event_source *health_timer;
	uint64_t start_unix_ns;
	char *buf;
	size_t buf_size;
	char status[PSD_HEALTH_REASON_MAX + 64];
	enum psd_health verdict; /* the last one sent */
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The metrics text in h->buf, grown until it fits; its length, or 0 when out of memory. */
static size_t render_metrics(struct psd_http *h)
{
	struct psd_metrics_info info = {
		.version = h->version,
		.start_time_unix_ns = h->start_unix_ns,
		.now_ns = clock_ns(CLOCK_MONOTONIC),
		.log_output_dropped = psd_log_dropped(),
	};
	for (;;) {
		if (h->buf == NULL) {
			h->buf_size = h->buf_size != 0 ? h->buf_size : PSD_METRICS_BUF_START;
			if ((h->buf = malloc(h->buf_size)) == NULL)
				return 0;
		}
		size_t n = psd_metrics_render(psd_daemon_core(h->daemon), &info, h->buf, h->buf_size);
		if (n < h->buf_size)
			return n;
		free(h->buf);
		h->buf = NULL;
		h->buf_size *= 2;
	}
}

static enum psd_health health(struct psd_http *h, char *why, size_t size)
{
	return psd_core_health(psd_daemon_core(h->daemon), clock_ns(CLOCK_MONOTONIC), why, size);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
			       const char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct psd_http *h = cls;
	static const char text[] = "text/plain; charset=utf-8";

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, PSD_LIT("GET only\n"));
	if (strcmp(url, "/metrics") == 0) {
		size_t n = render_metrics(h);
		if (n == 0)
			return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text,
				       PSD_LIT("out of memory\n"));
		return respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", h->buf, n);
	}
	if (strcmp(url, "/health") == 0) {
		char why[PSD_HEALTH_REASON_MAX], body[PSD_HEALTH_REASON_MAX * 2 + 64];
		enum psd_health v = health(h, why, sizeof(why));
		size_t n = (size_t)snprintf(body, sizeof(body), "{\"status\":\"%s\",\"reason\":\"",
					    psd_health_name(v));
		for (const char *s = why; *s != '\0' && n + 8 < sizeof(body); s++) {
			if (*s == '"' || *s == '\\')
				body[n++] = '\\';
			body[n++] = (unsigned char)*s < 0x20 ? ' ' : *s;
		}
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}\n");
		return respond(conn, v == PSD_HEALTH_FAILING ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK,
			       "application/json", body, n);
	}
	return respond(conn, MHD_HTTP_NOT_FOUND, text,
		       PSD_LIT("not found: try /metrics or /health\n"));
}

/* Arms the timer for MHD's next timeout (connection idle limits, work left over). */
static void arm(struct psd_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
		psd_checked(sd_event_source_set_time(h->timeout,
						     clock_ns(CLOCK_MONOTONIC) / 1000 + ms * 1000),
			    "metrics: set the timeout");
		psd_checked(sd_event_source_set_enabled(h->timeout, SD_EVENT_ONESHOT),
			    "metrics: arm the timeout");
	} else {
		psd_checked(sd_event_source_set_enabled(h->timeout, SD_EVENT_OFF),
			    "metrics: disarm the timeout");
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct psd_http *h = userdata;
	MHD_run(h->mhd);
	arm(h);
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct psd_http *h = userdata;
	MHD_run(h->mhd);
	arm(h);
	return 0;
}

/* STATUS=health: <verdict>[: <why>], sent when it changes; a new verdict is also logged. */
static int on_health(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct psd_http *h = userdata;
	char why[PSD_HEALTH_REASON_MAX], line[sizeof(h->status)];
	enum psd_health v = health(h, why, sizeof(why));

	snprintf(line, sizeof(line), "STATUS=health: %s%s%s", psd_health_name(v),
		 why[0] != '\0' ? ": " : "", why);
	if (strcmp(line, h->status) != 0) {
		sd_notify(0, line);
		if (v != h->verdict)
			psd_log(v == PSD_HEALTH_FAILING ? PSD_LOG_ERROR :
				v == PSD_HEALTH_DEGRADED ? PSD_LOG_WARN : PSD_LOG_NOTICE,
				"%s", line + PSD_LIT_LEN("STATUS="));
		h->verdict = v;
		snprintf(h->status, sizeof(h->status), "%s", line);
	}
	psd_checked(sd_event_source_set_time(s, usec + PSD_HEALTH_CHECK_USEC), "health: re-arm");
	return 0;
}

static int listen_addr(const struct psd_http_options *o, struct sockaddr_storage *ret,
		       unsigned *ret_flags, char *err, size_t err_size)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ret;

	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, o->address, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(o->port);
		*ret_flags = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, o->address, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(o->port);
		*ret_flags = MHD_USE_IPv6;
		return 0;
	}
	return psd_errorf(err, err_size, "metrics address '%s' is not an IPv4 or IPv6 address",
			  o->address);
}

struct psd_http *psd_http_open(sd_event *loop, struct psd_daemon *d,
			       const struct psd_http_options *o, char *err, size_t err_size)
{
	struct psd_http *h = calloc(1, sizeof(*h));
	struct sockaddr_storage sa;
	unsigned flags = 0;

	if (h == NULL) {
		psd_errorf(err, err_size, "metrics: out of memory");
		return NULL;
	}
	h->loop = loop;
	h->daemon = d;
	h->version = o->version;
	h->start_unix_ns = clock_ns(CLOCK_REALTIME);
	if (sd_event_add_time(loop, &h->health_timer, CLOCK_MONOTONIC,
			      clock_ns(CLOCK_MONOTONIC) / 1000 + PSD_HEALTH_CHECK_USEC,
			      PSD_HEALTH_CHECK_USEC / 10, on_health, h) < 0 ||
	    sd_event_source_set_enabled(h->health_timer, SD_EVENT_ON) < 0) {
		psd_errorf(err, err_size, "metrics: cannot add the health timer");
		return psd_http_close(h);
	}
	if (!o->serve)
		return h;
	if (listen_addr(o, &sa, &flags, err, err_size) < 0)
		return psd_http_close(h);
	errno = 0;
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | flags, o->port, NULL, NULL, on_request, h,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)PSD_HTTP_CONNECTIONS_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PSD_HTTP_TIMEOUT_S,
				  MHD_OPTION_END);
	if (h->mhd == NULL) {
		psd_errorf(err, err_size, "metrics: cannot listen on %s port %u: %s", o->address,
			   o->port, errno != 0 ? strerror(errno) : "refused by libmicrohttpd");
		return psd_http_close(h);
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL ||
	    sd_event_add_io(loop, &h->io, info->epoll_fd, EPOLLIN, on_io, h) < 0 ||
	    sd_event_add_time(loop, &h->timeout, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_timeout, h) <
		    0) {
		psd_errorf(err, err_size, "metrics: cannot add libmicrohttpd to the event loop");
		return psd_http_close(h);
	}
	arm(h);
	return h;
}

struct psd_http *psd_http_close(struct psd_http *h)
{
	if (h == NULL)
		return NULL;
	h->io = sd_event_source_disable_unref(h->io);
	h->timeout = sd_event_source_disable_unref(h->timeout);
	h->health_timer = sd_event_source_disable_unref(h->health_timer);
	if (h->mhd != NULL)
		MHD_stop_daemon(h->mhd);
	free(h->buf);
	free(h);
	return NULL;
}
