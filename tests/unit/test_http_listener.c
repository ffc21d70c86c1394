/*
 * The metrics listener's table and connection machine (lib/http_listener.c) driven as the
 * socket adapter drives it, with the time handed in: answers in request order, bodies skipped
 * or refused, each limit and timeout (enforced, counted, logged once then summarised), the
 * eviction order, the output budget, and no deadline (so no timer) when nothing is open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_listener.h"

#define MS 1000000ull
#define S (1000ull * MS)
#define OUT_MAX (64u * 1024)

static struct fake {
	struct psd_http_listener l;
	size_t metrics_len; /* the /metrics body served */
	bool failing;       /* /health answers 503 */
	int closed_count;
	int last_closed;
	bool closed[PSD_HTTP_CONNECTIONS_MAX];
	int held; /* bodies handed out and not released */
	int logs;
	char log[16][PSD_LOG_LINE_MAX];
	enum psd_log_level level[16];
	char out[PSD_HTTP_CONNECTIONS_MAX][OUT_MAX];
	size_t out_len[PSD_HTTP_CONNECTIONS_MAX];
} *f;

static void serve(void *ctx, enum psd_http_endpoint ep, size_t size_max,
		  struct psd_http_answer *ret)
{
	static const char ok[] = "{\"status\":\"ok\",\"reason\":\"\"}\n";
	if (ep == PSD_HTTP_EP_HEALTH) {
		*ret = (struct psd_http_answer){.status = f->failing ? PSD_HTTP_503 : PSD_HTTP_200,
						.type = "application/json", .data = ok,
						.len = sizeof(ok) - 1};
		return;
	}
	if (f->metrics_len > size_max) {
		ret->too_large = true;
		return;
	}
	char *body = malloc(f->metrics_len > 0 ? f->metrics_len : 1);
	assert_non_null(body);
	memset(body, 'm', f->metrics_len);
	f->held++;
	*ret = (struct psd_http_answer){.status = PSD_HTTP_200, .type = "text/plain", .data = body,
					.len = f->metrics_len, .owner = body};
}

static void release(void *ctx, void *owner)
{
	f->held--;
	free(owner);
}

static void closed(void *ctx, uint32_t slot)
{
	assert_false(f->closed[slot]);
	f->closed[slot] = true;
	f->closed_count++;
	f->last_closed = (int)slot;
}

static void log_line(void *ctx, enum psd_log_level level, const char *text)
{
	if (f->logs < 16) {
		snprintf(f->log[f->logs], sizeof(f->log[0]), "%s", text);
		f->level[f->logs] = level;
	}
	f->logs++;
}

static const struct psd_http_ops ops = {serve, release, closed, log_line};

static int setup(void **state)
{
	f = calloc(1, sizeof(*f));
	f->metrics_len = 100;
	psd_http_init(&f->l, &ops, NULL);
	return 0;
}

static int teardown(void **state)
{
	psd_http_close_all(&f->l);
	psd_http_check(&f->l);
	assert_int_equal(f->held, 0); /* every body handed out was released */
	free(f);
	return 0;
}

static struct psd_http_time at(uint64_t ns)
{
	return (struct psd_http_time){.mono_ns = ns, .unix_s = 1700000000 + ns / S};
}

/* A connection from 127.0.0.<host>: its slot (or -1, refused). */
static int open_from(uint8_t host, uint64_t t)
{
	uint8_t a[PSD_HTTP_ADDR_LEN] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = host};
	int slot = psd_http_accept(&f->l, at(t), a);
	psd_http_check(&f->l);
	if (slot >= 0) {
		assert_true(f->closed[slot]); /* free slots count as closed here */
		f->closed[slot] = false;
		f->out_len[slot] = 0;
	}
	return slot;
}

/* The client sends s (0 bytes: its end); the listener's wants after. */
static unsigned send_bytes(int slot, const char *s, size_t n, uint64_t t)
{
	char *room;
	unsigned w = psd_http_wants(&f->l, (uint32_t)slot);
	do {
		size_t space = psd_http_read_space(&f->l, (uint32_t)slot, &room);
		size_t k = n < space ? n : space;
		if (k == 0 && n > 0)
			break; /* no room: the client's bytes wait in the socket */
		memcpy(room, s, k);
		w = psd_http_received(&f->l, (uint32_t)slot, at(t), k);
		psd_http_check(&f->l);
		s += k;
		n -= k;
	} while (n > 0 && w != 0);
	return w;
}

static unsigned send_str(int slot, const char *s, uint64_t t)
{
	return send_bytes(slot, s, strlen(s), t);
}

/* The client reads up to budget bytes of what is written (SIZE_MAX: all); the wants after. */
static unsigned take(int slot, size_t budget, uint64_t t)
{
	unsigned w = psd_http_wants(&f->l, (uint32_t)slot);
	while ((w & PSD_HTTP_WANT_WRITE) && budget > 0) {
		struct psd_http_span span[2];
		size_t k = psd_http_output(&f->l, (uint32_t)slot, span);
		assert_true(k > 0);
		size_t n = span[0].len < budget ? span[0].len : budget;
		if (f->out_len[slot] + n <= OUT_MAX) {
			memcpy(f->out[slot] + f->out_len[slot], span[0].data, n);
			f->out_len[slot] += n;
		}
		budget -= n;
		w = psd_http_sent(&f->l, (uint32_t)slot, at(t), n);
		psd_http_check(&f->l);
	}
	return w;
}

/* The status codes of the responses read on slot, in order, as "200 404 ...". */
static const char *statuses(int slot)
{
	static char list[256];
	size_t n = 0;
	list[0] = '\0';
	for (size_t i = 0; i + 12 <= f->out_len[slot]; i++) {
		if (memcmp(f->out[slot] + i, "HTTP/1.1 ", 9) != 0)
			continue;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%.3s", n > 0 ? " " : "",
				      f->out[slot] + i + 9);
	}
	return list;
}

static bool output_has(int slot, const char *s)
{
	return memmem(f->out[slot], f->out_len[slot], s, strlen(s)) != NULL;
}

static const char get_metrics[] = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
static const char get_health[] = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";

static void start_all_closed(void)
{
	for (int i = 0; i < (int)PSD_HTTP_CONNECTIONS_MAX; i++)
		f->closed[i] = true;
}

static void test_keep_alive(void **state)
{
	start_all_closed();
	assert_int_equal(psd_http_next_deadline(&f->l), UINT64_MAX); /* nothing open: no timer */
	int c = open_from(1, 0);
	assert_int_equal(psd_http_next_deadline(&f->l), PSD_HTTP_IDLE_TIMEOUT_NS);
	unsigned w = send_str(c, get_metrics, 1 * S);
	assert_true(w & PSD_HTTP_WANT_WRITE);
	assert_int_equal(psd_http_next_deadline(&f->l), 1 * S + PSD_HTTP_WRITE_TIMEOUT_NS);
	w = take(c, SIZE_MAX, 1 * S);
	assert_int_equal(w, PSD_HTTP_WANT_READ);
	assert_string_equal(statuses(c), "200");
	assert_true(output_has(c, "\r\nContent-Length: 100\r\n\r\nmmmm"));
	assert_true(output_has(c, "\r\nDate: Tue, 14 Nov 2023 22:13:21 GMT\r\n"));
	assert_false(output_has(c, "Connection:"));
	/* idle again, from the end of the response */
	assert_int_equal(psd_http_next_deadline(&f->l), 1 * S + PSD_HTTP_IDLE_TIMEOUT_NS);
	assert_int_equal(f->l.stats.requests[PSD_HTTP_EP_METRICS][PSD_HTTP_200], 1);
	assert_int_equal(f->l.stats.response_bytes, f->out_len[c]);
}

static void test_pipelined_in_order(void **state)
{
	start_all_closed();
	int c = open_from(1, 0);
	send_str(c, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
		    "HEAD /health HTTP/1.1\r\nHost: a\r\n\r\nDELETE /health HTTP/1.1\r\nHost: a\r\n\r\n",
		 0);
	/* one answer at a time: the next is made once the one before is written */
	struct psd_http_span span[2];
	assert_int_equal(psd_http_output(&f->l, (uint32_t)c, span), 2); /* head, borrowed body */
	assert_int_equal(f->held, 1);
	assert_int_equal(take(c, SIZE_MAX, 0), PSD_HTTP_WANT_READ);
	assert_string_equal(statuses(c), "200 404 200 405");
	assert_true(output_has(c, "404 Not Found: try /metrics or /health\n"));
	assert_true(output_has(c, "\r\nAllow: GET, HEAD\r\n"));
	/* HEAD: the length of the body, not the body */
	const char *head = memmem(f->out[c], f->out_len[c], "HTTP/1.1 200 OK\r\nDate", 21);
	head = memmem(head + 1, f->out_len[c] - (size_t)(head + 1 - f->out[c]), "HTTP/1.1 200", 12);
	assert_non_null(head);
	const char *end = strstr(head, "\r\n\r\n");
	assert_memory_equal(end + 4, "HTTP/1.1 405", 12);
}

static void test_body_skipped(void **state)
{
	start_all_closed();
	int c = open_from(1, 0);
	/* the body looks like a request: it must not be read as one */
	send_str(c, "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 33\r\n\r\n", 0);
	take(c, SIZE_MAX, 0);
	send_str(c, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	send_str(c, "\r\n", 0); /* the body's last two bytes */
	send_str(c, get_health, 0);
	take(c, SIZE_MAX, 0);
	assert_string_equal(statuses(c), "405 200");
	assert_int_equal(f->l.stats.requests[PSD_HTTP_EP_OTHER][PSD_HTTP_404], 0);
}

static void test_unknown_length_closes(void **state)
{
	start_all_closed();
	int c = open_from(1, 0);
	unsigned w = send_str(c, "GET /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "5\r\nGET /health HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	assert_true(w & PSD_HTTP_WANT_WRITE);
	w = take(c, SIZE_MAX, 0);
	assert_int_equal(w, PSD_HTTP_WANT_READ | PSD_HTTP_WANT_SHUTDOWN); /* lingering */
	assert_string_equal(statuses(c), "411");
	assert_true(output_has(c, "\r\nConnection: close\r\n"));
	assert_int_equal(psd_http_next_deadline(&f->l), PSD_HTTP_LINGER_NS);
	/* what comes now is dropped; the client's end closes it */
	assert_int_equal(send_str(c, get_health, 1 * S), PSD_HTTP_WANT_READ);
	assert_int_equal(send_bytes(c, "", 0, 1 * S), 0);
	assert_true(f->closed[c]);
	assert_int_equal(f->l.stats.closed[PSD_HTTP_CLOSED_COMPLETED], 1);
	assert_string_equal(statuses(c), "411");
}

static void test_http10(void **state)
{
	start_all_closed();
	int c = open_from(1, 0);
	send_str(c, "GET /health HTTP/1.0\r\n\r\n", 0);
	assert_int_equal(take(c, SIZE_MAX, 0), PSD_HTTP_WANT_READ | PSD_HTTP_WANT_SHUTDOWN);
	assert_true(output_has(c, "\r\nConnection: close\r\n"));
	/* a linger the client never ends is a linger timeout, not a warning */
	psd_http_expire(&f->l, at(PSD_HTTP_LINGER_NS));
	assert_true(f->closed[c]);
	assert_int_equal(f->l.stats.timeouts[PSD_HTTP_TIMEOUT_LINGER], 1);
	assert_int_equal(f->logs, 0);
	c = open_from(1, 3 * S);
	send_str(c, "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 3 * S);
	assert_int_equal(take(c, SIZE_MAX, 3 * S), PSD_HTTP_WANT_READ);
	assert_true(output_has(c, "\r\nConnection: keep-alive\r\n"));
	/* the client's end after a complete request: answered, then closed */
	send_str(c, "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 3 * S);
	send_bytes(c, "", 0, 3 * S);
	assert_int_equal(take(c, SIZE_MAX, 3 * S), 0);
	assert_true(f->closed[c]);
	assert_string_equal(statuses(c), "200 200");
}

static void test_idle_timeout(void **state)
{
	start_all_closed();
	int c = open_from(1, 0);
	psd_http_expire(&f->l, at(PSD_HTTP_IDLE_TIMEOUT_NS - 1));
	assert_false(f->closed[c]);
	psd_http_expire(&f->l, at(PSD_HTTP_IDLE_TIMEOUT_NS));
	assert_true(f->closed[c]);
	assert_int_equal(f->l.stats.timeouts[PSD_HTTP_TIMEOUT_IDLE], 1);
	assert_int_equal(f->l.stats.closed[PSD_HTTP_CLOSED_TIMEOUT], 1);
	assert_int_equal(psd_http_next_deadline(&f->l), UINT64_MAX);
	assert_int_equal(f->logs, 1);
	assert_int_equal(f->level[0], PSD_LOG_INFO); /* keep-alive ends are not warnings */
	assert_string_equal(f->log[0], "http: idle connection closed");
}

static void test_slow_request(void **state)
{
	start_all_closed();
	int c = open_from(1, 0);
	int d = open_from(2, 0);
	/* a byte every second: the deadline runs from the first one */
	for (uint64_t t = 1; t < 6; t++) {
		send_str(c, "G", t * S);
		send_str(d, "\r\n", t * S); /* blank lines before a request count as one */
		psd_http_expire(&f->l, at(t * S));
	}
	assert_false(f->closed[c] || f->closed[d]);
	psd_http_expire(&f->l, at(1 * S + PSD_HTTP_HEADER_TIMEOUT_NS));
	assert_true(f->closed[c] && f->closed[d]);
	assert_int_equal(f->l.stats.timeouts[PSD_HTTP_TIMEOUT_HEADER], 2);
	/* the first logged, the second counted for the next line */
	assert_int_equal(f->logs, 1);
	assert_string_equal(f->log[0], "http: request not complete in time, connection closed");
	assert_int_equal(f->level[0], PSD_LOG_WARN);
	psd_http_expire(&f->l, at(1 * S + PSD_HTTP_HEADER_TIMEOUT_NS + PSD_HTTP_LOG_REPEAT_NS));
	assert_int_equal(f->logs, 2);
	assert_string_equal(f->log[1], "http: request not complete in time, connection closed: 1 "
				       "more in the last minute");
	/* one more within a minute of the summary: counted, not logged */
	int c2 = open_from(3, 1 * S + PSD_HTTP_HEADER_TIMEOUT_NS + PSD_HTTP_LOG_REPEAT_NS);
	send_str(c2, "G", 1 * S + PSD_HTTP_HEADER_TIMEOUT_NS + PSD_HTTP_LOG_REPEAT_NS);
	psd_http_expire(&f->l, at(1 * S + 2 * PSD_HTTP_HEADER_TIMEOUT_NS + PSD_HTTP_LOG_REPEAT_NS));
	assert_true(f->closed[c2]);
	assert_int_equal(f->logs, 2);
	assert_int_equal(f->l.repeat[PSD_HTTP_COND_HEADER].suppressed, 1);
}

static void test_write_timeout(void **state)
{
	start_all_closed();
	f->metrics_len = 300000;
	int c = open_from(1, 0);
	send_str(c, get_metrics, 0);
	assert_int_equal(f->held, 1);
	assert_int_equal(f->l.output_bytes, 300000);
	take(c, 1000, 1 * S); /* it reads a little, then stops */
	psd_http_expire(&f->l, at(PSD_HTTP_WRITE_TIMEOUT_NS - 1));
	assert_false(f->closed[c]);
	psd_http_expire(&f->l, at(PSD_HTTP_WRITE_TIMEOUT_NS));
	assert_true(f->closed[c]);
	assert_int_equal(f->held, 0); /* its body let go */
	assert_int_equal(f->l.output_bytes, 0);
	assert_int_equal(f->l.stats.timeouts[PSD_HTTP_TIMEOUT_WRITE], 1);
	assert_string_equal(f->log[0], "http: response not taken in time, connection closed");
}

static void test_table_full_evicts_oldest_idle(void **state)
{
	start_all_closed();
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++)
		assert_int_equal(open_from((uint8_t)i, i * MS), (int)i);
	int c = open_from(200, 100 * MS);
	assert_int_equal(c, 0); /* the oldest idle gave way, and its slot is the new one's */
	assert_int_equal(f->closed_count, 1);
	assert_int_equal(f->l.stats.evicted[PSD_HTTP_EVICTED_IDLE], 1);
	assert_int_equal(f->l.stats.closed[PSD_HTTP_CLOSED_EVICTED], 1);
	assert_int_equal(f->l.open, PSD_HTTP_CONNECTIONS_MAX);
	assert_string_equal(f->log[0], "http: connection evicted to make room: "
				       "PSD_HTTP_CONNECTIONS_MAX reached");
	assert_int_equal(open_from(201, 101 * MS), 1);
	assert_int_equal(f->logs, 1); /* the second eviction counted, not logged */
}

/* Every connection writing a big response: the next one finds none to evict. */
static void fill_with_writers(uint8_t first_host, uint32_t n, uint8_t hosts, uint64_t t)
{
	for (uint32_t i = 0; i < n; i++) {
		int c = open_from((uint8_t)(first_host + i % hosts), t);
		assert_true(c >= 0);
		send_str(c, get_metrics, t);
		assert_true(psd_http_wants(&f->l, (uint32_t)c) & PSD_HTTP_WANT_WRITE);
	}
}

static void test_eviction_order_and_refusal(void **state)
{
	start_all_closed();
	f->metrics_len = 1000;
	int lingering = open_from(1, 0), idle = open_from(2, 0), reading = open_from(3, 0);
	int reading2 = open_from(4, 0);
	send_str(reading, "GET /met", 1 * MS);
	send_str(reading2, "GET /met", 2 * MS);
	send_str(lingering, "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 5 * MS);
	take(lingering, SIZE_MAX, 5 * MS);
	fill_with_writers(10, PSD_HTTP_CONNECTIONS_MAX - 4, 50, 5 * MS);
	/* lingering first, though it is the youngest; then the oldest of the others, idle or
	 * reading; each new one takes the slot freed, and, its request not yet come, outlives
	 * the older ones */
	assert_int_equal(open_from(100, 10 * MS), lingering);
	assert_int_equal(f->last_closed, lingering);
	assert_int_equal(open_from(101, 11 * MS), idle);
	assert_int_equal(f->last_closed, idle);
	assert_int_equal(open_from(102, 12 * MS), reading);
	assert_int_equal(open_from(103, 13 * MS), reading2);
	assert_int_equal(f->last_closed, reading2);
	assert_int_equal(open_from(104, 14 * MS), lingering); /* now 100, at 10 ms, is the oldest */
	assert_int_equal(f->l.stats.evicted[PSD_HTTP_EVICTED_LINGERING], 1);
	assert_int_equal(f->l.stats.evicted[PSD_HTTP_EVICTED_IDLE], 2);
	assert_int_equal(f->l.stats.evicted[PSD_HTTP_EVICTED_READING], 2);
	for (int slot = 0; slot < 4; slot++)
		send_str(slot, get_metrics, 15 * MS);
	/* now all 64 are writing: refused, counted, logged once with the address */
	int logs = f->logs;
	assert_int_equal(open_from(105, 16 * MS), -1);
	assert_int_equal(open_from(105, 17 * MS), -1);
	assert_int_equal(f->l.stats.refused[PSD_HTTP_REFUSED_CONNECTIONS], 2);
	assert_int_equal(f->logs, logs + 1);
	assert_string_equal(f->log[logs], "http: connection refused: from 127.0.0.105 "
					  "(PSD_HTTP_CONNECTIONS_MAX connections open, all writing "
					  "responses)");
	/* one response taken: its connection is idle again and gives way at once */
	take(reading2, SIZE_MAX, 18 * MS);
	assert_int_equal(open_from(105, 18 * MS), reading2);
	assert_int_equal(f->l.stats.evicted[PSD_HTTP_EVICTED_IDLE], 3);
}

static void test_per_address(void **state)
{
	start_all_closed();
	int other = open_from(8, 0);
	for (uint32_t i = 0; i < PSD_HTTP_PER_ADDRESS_MAX; i++)
		open_from(7, i * MS);
	int c = open_from(7, 100 * MS);
	assert_int_equal(c, 1); /* 7's own oldest gave way, not 8's older one */
	assert_false(f->closed[other]);
	assert_int_equal(f->l.stats.evicted[PSD_HTTP_EVICTED_IDLE], 1);
	/* all of 7's writing: 7 refused, 8 still welcome */
	psd_http_close_all(&f->l);
	start_all_closed();
	fill_with_writers(7, PSD_HTTP_PER_ADDRESS_MAX, 1, 1 * S);
	assert_int_equal(open_from(7, 1 * S), -1);
	assert_int_equal(f->l.stats.refused[PSD_HTTP_REFUSED_PER_ADDRESS], 1);
	assert_true(open_from(8, 1 * S) >= 0);
}

static void test_output_budget(void **state)
{
	start_all_closed();
	f->metrics_len = PSD_HTTP_METRICS_BYTES_MAX;
	uint32_t fit = PSD_HTTP_OUTPUT_BYTES_MAX / PSD_HTTP_METRICS_BYTES_MAX;
	fill_with_writers(1, fit, 200, 0);
	assert_int_equal(f->l.output_bytes, PSD_HTTP_OUTPUT_BYTES_MAX);
	int c = open_from(1, 0);
	send_str(c, get_metrics, 0);
	take(c, SIZE_MAX, 0);
	assert_string_equal(statuses(c), "503");
	assert_string_equal(f->log[0], "http: metrics not served: PSD_HTTP_OUTPUT_BYTES_MAX held "
				       "for slow clients (answered 503)");
	/* /health needs no budget */
	send_str(c, get_health, 0);
	take(c, SIZE_MAX, 0);
	assert_string_equal(statuses(c), "503 200");
	/* a text over its own limit is a 500 */
	psd_http_close_all(&f->l);
	start_all_closed();
	f->metrics_len = PSD_HTTP_METRICS_BYTES_MAX + 1;
	c = open_from(1, 0);
	send_str(c, get_metrics, 0);
	take(c, SIZE_MAX, 0);
	assert_string_equal(statuses(c), "500");
	assert_int_equal(f->l.stats.requests[PSD_HTTP_EP_METRICS][PSD_HTTP_500], 1);
	assert_int_equal(f->l.stats.requests[PSD_HTTP_EP_METRICS][PSD_HTTP_503], 1);
}

static void test_oversized_heads(void **state)
{
	static char big[PSD_HTTP_REQUEST_BYTES_MAX + 100];
	start_all_closed();
	int c = open_from(1, 0);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	send_bytes(c, big, PSD_HTTP_REQUEST_LINE_MAX + 1, 0);
	take(c, SIZE_MAX, 0);
	assert_string_equal(statuses(c), "414");
	c = open_from(2, 0);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(send_bytes(c, big, sizeof(big), 0), PSD_HTTP_WANT_WRITE);
	take(c, SIZE_MAX, 0);
	assert_string_equal(statuses(c), "431");
	assert_int_equal(f->l.stats.requests[PSD_HTTP_EP_OTHER][PSD_HTTP_431], 1);
}

static void test_client_end(void **state)
{
	start_all_closed();
	int c = open_from(1, 0);
	send_str(c, "GET /metr", 0);
	assert_int_equal(send_bytes(c, "", 0, 0), 0); /* half a request and the end: closed */
	assert_true(f->closed[c]);
	assert_int_equal(f->l.stats.closed[PSD_HTTP_CLOSED_CLIENT], 1);
	c = open_from(1, 0);
	psd_http_failed(&f->l, (uint32_t)c, at(0));
	assert_int_equal(f->l.stats.closed[PSD_HTTP_CLOSED_ERROR], 1);
	assert_int_equal(psd_http_next_deadline(&f->l), UINT64_MAX);
}

/* The value of an exact sample line. */
static uint64_t sample(const char *text, const char *name)
{
	char want[200];
	snprintf(want, sizeof(want), "\n%s ", name);
	const char *at = strstr(text, want);
	if (at == NULL)
		fail_msg("no sample %s in:\n%s", name, text);
	return strtoull(at + strlen(want), NULL, 10);
}

static void test_render(void **state)
{
	static char text[16384];
	start_all_closed();
	int c = open_from(1, 0);
	send_str(c, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	take(c, SIZE_MAX, 0);
	psd_http_expire(&f->l, at(PSD_HTTP_IDLE_TIMEOUT_NS));
	size_t n = psd_http_render(&f->l, text, sizeof(text));
	assert_true(n < sizeof(text));
	assert_int_equal(sample(text, "portsyncd_http_connections_accepted_total"), 1);
	assert_int_equal(sample(text, "portsyncd_http_timeouts_total{kind=\"idle\"}"), 1);
	assert_int_equal(sample(text, "portsyncd_http_requests_total{endpoint=\"other\",code=\"404\"}"), 1);
	assert_int_equal(sample(text, "portsyncd_http_requests_total{endpoint=\"metrics\",code=\"200\"}"), 0);
	assert_int_equal(sample(text, "portsyncd_http_connections_limit{scope=\"total\"}"),
			 PSD_HTTP_CONNECTIONS_MAX);
	assert_non_null(strstr(text, "\nportsyncd_http_timeout_seconds{kind=\"linger\"} 2\n"));
	assert_null(strstr(text, "code=\"500\""));
	/* every sample's family is described */
	for (const char *line = text; *line != '\0'; line = strchr(line, '\n') + 1) {
		if (*line == '#')
			continue;
		char name[128], want[160];
		sscanf(line, "%127[a-z_]", name);
		if (strncmp(name, "portsyncd_http_", 15) != 0)
			fail_msg("sample %s", name);
		snprintf(want, sizeof(want), "# TYPE %s ", name);
		assert_non_null(strstr(text, want));
	}
	assert_int_equal(psd_http_render(&f->l, text, 100), 100); /* too small: says so */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keep_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_length_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http10, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full_evicts_oldest_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction_order_and_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_heads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render, setup, teardown),
	};
	return cmocka_run_group_tests_name("http_listener", tests, NULL, NULL);
}
