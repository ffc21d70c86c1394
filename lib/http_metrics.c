/*
 * The listener's own families in the Prometheus text exposition (docs/metrics.md, "HTTP
 * listener"): its counters and gauges, and its limits as gauges, so an alert can compare the
 * two. Label values come from fixed sets; a request series appears once it counts something,
 * but for the two endpoints' 200s, which are always there.
 */
#include <string.h>

#include "http_listener.h"
#include "text.h"

static const char *const endpoint_names[_PSD_HTTP_EP_MAX] = {"metrics", "health", "other"};
static const char *const refusal_names[_PSD_HTTP_REFUSED_MAX] = {"connections_max",
								 "per_address_max", "fds"};
static const char *const evicted_names[_PSD_HTTP_EVICTED_MAX] = {"lingering", "idle", "reading"};
static const char *const timeout_names[_PSD_HTTP_TIMEOUT_MAX] = {"idle", "header", "write",
								 "linger"};
static const char *const closed_names[_PSD_HTTP_CLOSED_MAX] = {
	"client", "error", "completed", "timeout", "evicted", "shutdown"};
static const uint64_t timeout_ns[_PSD_HTTP_TIMEOUT_MAX] = {
	PSD_HTTP_IDLE_TIMEOUT_NS, PSD_HTTP_HEADER_TIMEOUT_NS, PSD_HTTP_WRITE_TIMEOUT_NS,
	PSD_HTTP_LINGER_NS};

static void head(struct psd_text *t, const char *name, const char *type, const char *help)
{
	const char *parts[] = {"# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n"};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		psd_text_str(t, parts[i]);
}

/* name{label="value"} v, or name v when label is NULL. */
static void sample(struct psd_text *t, const char *name, const char *label, const char *value,
		   uint64_t v)
{
	psd_text_str(t, name);
	if (label != NULL) {
		const char *parts[] = {"{", label, "=\"", value, "\"}"};
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			psd_text_str(t, parts[i]);
	}
	psd_text_str(t, " ");
	psd_text_u64(t, v);
	psd_text_str(t, "\n");
}

/* A family with one label over a fixed set of values. */
static void labelled(struct psd_text *t, const char *name, const char *type, const char *help,
		     const char *label, const char *const *values, const uint64_t *counts, int n)
{
	head(t, name, type, help);
	for (int i = 0; i < n; i++)
		sample(t, name, label, values[i], counts[i]);
}

static void requests(struct psd_text *t, const struct psd_http_stats *s)
{
	static const char name[] = "portsyncd_http_requests_total";
	head(t, name, "counter",
	     "Requests answered, by endpoint (metrics, health, other) and status code.");
	for (int ep = 0; ep < _PSD_HTTP_EP_MAX; ep++) {
		for (int st = 0; st < _PSD_HTTP_STATUS_MAX; st++) {
			uint64_t n = s->requests[ep][st];
			if (n == 0 && !(st == PSD_HTTP_200 && ep != PSD_HTTP_EP_OTHER))
				continue;
			psd_text_str(t, name);
			psd_text_str(t, "{endpoint=\"");
			psd_text_str(t, endpoint_names[ep]);
			psd_text_str(t, "\",code=\"");
			psd_text_u64(t, psd_http_status_code((enum psd_http_status)st));
			psd_text_str(t, "\"} ");
			psd_text_u64(t, n);
			psd_text_str(t, "\n");
		}
	}
}

/* Seconds of a whole number of milliseconds, as Prometheus reads them ("5", "0.25"). */
static void seconds(struct psd_text *t, const char *name, const char *value, uint64_t ns)
{
	uint64_t ms = ns / 1000000u;
	psd_text_str(t, name);
	psd_text_str(t, "{kind=\"");
	psd_text_str(t, value);
	psd_text_str(t, "\"} ");
	psd_text_u64(t, ms / 1000);
	if (ms % 1000 != 0) {
		char frac[4] = {(char)('0' + ms % 1000 / 100), (char)('0' + ms % 100 / 10),
				(char)('0' + ms % 10), 0};
		psd_text_str(t, ".");
		psd_text_str(t, frac);
	}
	psd_text_str(t, "\n");
}

size_t psd_http_render(const struct psd_http_listener *l, char *buf, size_t size)
{
	const struct psd_http_stats *s = &l->stats;
	struct psd_text t;

	psd_text_init(&t, buf, size);
	head(&t, "portsyncd_http_connections_accepted_total", "counter",
	     "Connections the metrics listener accepted.");
	sample(&t, "portsyncd_http_connections_accepted_total", NULL, NULL, s->accepted);
	labelled(&t, "portsyncd_http_connections_refused_total", "counter",
		 "Connections closed as soon as accepted, by the limit that refused them.", "reason",
		 refusal_names, s->refused, _PSD_HTTP_REFUSED_MAX);
	labelled(&t, "portsyncd_http_connections_evicted_total", "counter",
		 "Connections closed to make room for a new one, by what they were doing.", "state",
		 evicted_names, s->evicted, _PSD_HTTP_EVICTED_MAX);
	labelled(&t, "portsyncd_http_timeouts_total", "counter",
		 "Connections closed at a deadline, by its kind.", "kind", timeout_names, s->timeouts,
		 _PSD_HTTP_TIMEOUT_MAX);
	labelled(&t, "portsyncd_http_connections_closed_total", "counter",
		 "Connections closed, by cause.", "cause", closed_names, s->closed,
		 _PSD_HTTP_CLOSED_MAX);
	requests(&t, s);
	head(&t, "portsyncd_http_response_bytes_total", "counter",
	     "Bytes of responses written to clients.");
	sample(&t, "portsyncd_http_response_bytes_total", NULL, NULL, s->response_bytes);
	head(&t, "portsyncd_http_connections_open", "gauge", "Connections open now.");
	sample(&t, "portsyncd_http_connections_open", NULL, NULL, l->open);
	head(&t, "portsyncd_http_connections_limit", "gauge",
	     "Connections the listener keeps open at most, in total and from one client address.");
	sample(&t, "portsyncd_http_connections_limit", "scope", "total", PSD_HTTP_CONNECTIONS_MAX);
	sample(&t, "portsyncd_http_connections_limit", "scope", "per_address",
	       PSD_HTTP_PER_ADDRESS_MAX);
	head(&t, "portsyncd_http_output_held_bytes", "gauge",
	     "Bytes of response bodies held for clients that have not taken them yet.");
	sample(&t, "portsyncd_http_output_held_bytes", NULL, NULL, l->output_bytes);
	head(&t, "portsyncd_http_output_limit_bytes", "gauge",
	     "Response body bytes the listener holds at most; a request beyond it is answered 503.");
	sample(&t, "portsyncd_http_output_limit_bytes", NULL, NULL, PSD_HTTP_OUTPUT_BYTES_MAX);
	head(&t, "portsyncd_http_timeout_seconds", "gauge",
	     "The listener's deadlines: idle, header (a whole request), write (a whole response), "
	     "linger.");
	for (int k = 0; k < _PSD_HTTP_TIMEOUT_MAX; k++)
		seconds(&t, "portsyncd_http_timeout_seconds", timeout_names[k], timeout_ns[k]);
	return t.truncated ? size : t.len;
}
