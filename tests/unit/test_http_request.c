/*
 * Request heads and response heads of the metrics listener (lib/http_request.c,
 * lib/http_response.c): where a head ends and when it is too long, what curl, wget and
 * Prometheus actually send (recorded), each malformation and the status it gets, dates and the
 * /health JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_request.h"
#include "http_response.h"

static struct psd_http_request parse(const char *head)
{
	struct psd_http_request r;
	enum psd_http_status refusal;
	size_t end = psd_http_head_end(head, strlen(head), &refusal);
	if (end != strlen(head))
		fail_msg("head end %zu, expected %zu (refusal %u)", end, strlen(head),
			 psd_http_status_code(refusal));
	psd_http_request_parse(head, end, &r);
	return r;
}

static unsigned status_of(const char *head)
{
	return psd_http_status_code(parse(head).status);
}

static void test_head_end(void **state)
{
	enum psd_http_status refusal;
	static const char crlf[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET";
	static const char lf[] = "GET / HTTP/1.1\nHost: a\n\nnext";
	assert_int_equal(psd_http_head_end(crlf, strlen(crlf), &refusal), strlen(crlf) - 3);
	assert_int_equal(psd_http_head_end(lf, strlen(lf), &refusal), strlen(lf) - 4);
	/* every cut short of the empty line asks for more, without a refusal */
	for (size_t n = 0; n < strlen(crlf) - 3; n++) {
		assert_int_equal(psd_http_head_end(crlf, n, &refusal), 0);
		assert_int_equal(refusal, PSD_HTTP_200);
	}
	/* a bare CR is no line end */
	static const char cr[] = "GET / HTTP/1.1\rHost: a\r\r";
	assert_int_equal(psd_http_head_end(cr, strlen(cr), &refusal), 0);
}

static void test_head_limits(void **state)
{
	static char buf[PSD_HTTP_REQUEST_BYTES_MAX + 16];
	enum psd_http_status refusal;

	/* a request line of exactly the limit, its LF included, is taken */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	memcpy(buf + PSD_HTTP_REQUEST_LINE_MAX - 11, " HTTP/1.1\r\n\r\n", 13);
	assert_int_equal(psd_http_head_end(buf, PSD_HTTP_REQUEST_LINE_MAX + 2, &refusal),
			 PSD_HTTP_REQUEST_LINE_MAX + 2);
	/* one byte more in the line: 414, as soon as the line is over the limit */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	assert_int_equal(psd_http_head_end(buf, PSD_HTTP_REQUEST_LINE_MAX, &refusal), 0);
	assert_int_equal(refusal, PSD_HTTP_200);
	assert_int_equal(psd_http_head_end(buf, PSD_HTTP_REQUEST_LINE_MAX + 1, &refusal), 0);
	assert_int_equal(refusal, PSD_HTTP_414);
	/* headers that fill the buffer without the empty line: 431 */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "GET / HTTP/1.1\r\n", 16);
	for (size_t i = 56; i + 2 < sizeof(buf); i += 40) /* header lines of 40 bytes */
		memcpy(buf + i, "\r\n", 2);
	assert_int_equal(psd_http_head_end(buf, PSD_HTTP_REQUEST_BYTES_MAX - 1, &refusal), 0);
	assert_int_equal(refusal, PSD_HTTP_200);
	assert_int_equal(psd_http_head_end(buf, PSD_HTTP_REQUEST_BYTES_MAX, &refusal), 0);
	assert_int_equal(refusal, PSD_HTTP_431);
	/* an end just past the limit is refused too, not taken */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "GET / HTTP/1.1\r\n", 16);
	memcpy(buf + PSD_HTTP_REQUEST_BYTES_MAX - 2, "\r\n\r\n", 4);
	assert_int_equal(psd_http_head_end(buf, PSD_HTTP_REQUEST_BYTES_MAX + 2, &refusal), 0);
	assert_int_equal(refusal, PSD_HTTP_431);
}

/* The heads curl 7.88, wget 1.21 and Prometheus 2.42 sent (tools/record-http-corpus.sh). */
static void test_recorded_clients(void **state)
{
	static const struct {
		const char *head;
		enum psd_http_endpoint endpoint;
		bool head_only, keep_alive;
	} recorded[] = {
		{"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:19901\r\nUser-Agent: curl/7.88.1\r\n"
		 "Accept: */*\r\n\r\n", PSD_HTTP_EP_METRICS, false, true},
		{"HEAD /health HTTP/1.1\r\nHost: 127.0.0.1:19901\r\nUser-Agent: curl/7.88.1\r\n"
		 "Accept: */*\r\n\r\n", PSD_HTTP_EP_HEALTH, true, true},
		{"GET /health HTTP/1.0\r\nHost: 127.0.0.1:19901\r\nUser-Agent: curl/7.88.1\r\n"
		 "Accept: */*\r\n\r\n", PSD_HTTP_EP_HEALTH, false, false},
		{"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:19902\r\nUser-Agent: Wget/1.21.3\r\n"
		 "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: Keep-Alive\r\n\r\n",
		 PSD_HTTP_EP_METRICS, false, true},
		{"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:19903\r\nUser-Agent: Prometheus/2.42.0+ds\r\n"
		 "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		 "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
		 "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 1\r\n\r\n",
		 PSD_HTTP_EP_METRICS, false, true},
	};
	for (size_t i = 0; i < sizeof(recorded) / sizeof(recorded[0]); i++) {
		struct psd_http_request r = parse(recorded[i].head);
		assert_int_equal(r.status, PSD_HTTP_200);
		assert_int_equal(r.endpoint, recorded[i].endpoint);
		assert_int_equal(r.head, recorded[i].head_only);
		assert_int_equal(r.keep_alive, recorded[i].keep_alive);
		assert_int_equal(r.body_bytes, 0);
	}
}

static void test_connection_and_targets(void **state)
{
	assert_false(parse("GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
	assert_false(parse("GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: te, CLOSE\r\n\r\n").keep_alive);
	assert_true(parse("GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
	assert_true(parse("GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").http10);
	/* 1.x answered as 1.1 */
	assert_true(parse("GET /metrics HTTP/1.2\r\nHost: a\r\n\r\n").keep_alive);
	assert_int_equal(parse("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\n\r\n").endpoint,
			 PSD_HTTP_EP_METRICS);
	assert_int_equal(parse("GET http://127.0.0.1:9808/health HTTP/1.1\r\nHost: a\r\n\r\n").endpoint,
			 PSD_HTTP_EP_HEALTH);
	assert_int_equal(parse("GET HTTP://h HTTP/1.1\r\nHost: a\r\n\r\n").endpoint, PSD_HTTP_EP_OTHER);
	assert_int_equal(status_of("GET /metrics/ HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	assert_int_equal(status_of("GET /METRICS HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	assert_int_equal(status_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	/* other methods: 405, the body skipped and the connection kept */
	struct psd_http_request r = parse("POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
	assert_int_equal(psd_http_status_code(r.status), 405);
	assert_int_equal(r.body_bytes, 5);
	assert_true(r.keep_alive);
	assert_int_equal(status_of("get /metrics HTTP/1.1\r\nHost: a\r\n\r\n"), 405);
	assert_int_equal(status_of("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 405);
	/* a GET with a small body: served, the body skipped */
	r = parse("GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
	assert_int_equal(r.status, PSD_HTTP_200);
	assert_int_equal(r.body_bytes, 3);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *head;
		unsigned status;
	} cases[] = {
		{"GET /metrics\r\n\r\n", 400},                         /* HTTP/0.9 */
		{"GET  /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 400},    /* two spaces */
		{"GET /metrics HTTP/1.1 \r\nHost: a\r\n\r\n", 400},    /* trailing space */
		{"GET /metrics http/1.1\r\nHost: a\r\n\r\n", 400},
		{"GET /metrics HTTP/11\r\nHost: a\r\n\r\n", 400},
		{"GET /metrics HTTP/1.10\r\nHost: a\r\n\r\n", 400},
		{"G@T /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"GET /met\x01rics HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n", 400},    /* space before the colon */
		{"GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},  /* a bare CR in a value */
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\n\r\n", 400},                /* 1.1 without Host */
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"GET /metrics HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n", 400},
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
		{"POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 411},
		{"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n", 413},
		{"GET /metrics HTTP/2.0\r\nHost: a\r\n\r\n", 505},
		{"GET /metrics HTTP/0.9\r\nHost: a\r\n\r\n", 505},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct psd_http_request r = parse(cases[i].head);
		if (psd_http_status_code(r.status) != cases[i].status)
			fail_msg("case %zu: %u, expected %u", i, psd_http_status_code(r.status),
				 cases[i].status);
		/* a refused request closes its connection and leaves no body to skip */
		assert_false(r.keep_alive);
		assert_int_equal(r.body_bytes, 0);
	}
	/* a body at the skip limit is still skipped */
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n").body_bytes,
			 PSD_HTTP_BODY_SKIP_MAX);
}

static void test_dates(void **state)
{
	char d[PSD_HTTP_DATE_LEN + 1];
	psd_http_date(0, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	psd_http_date(784111777, d); /* RFC 9110's example */
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	psd_http_date(1709164800, d); /* a leap day */
	assert_string_equal(d, "Thu, 29 Feb 2024 00:00:00 GMT");
	psd_http_date(4102444799u, d);
	assert_string_equal(d, "Thu, 31 Dec 2099 23:59:59 GMT");
}

static void test_heads(void **state)
{
	char buf[512];
	struct psd_http_head h = {.status = PSD_HTTP_405, .type = "text/plain", .body_bytes = 12,
				  .unix_s = 784111777, .close = false};
	size_t n = psd_http_head_format(&h, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "HTTP/1.1 405 Method Not Allowed\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT"
				 "\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
				 "Allow: GET, HEAD\r\n\r\n");
	h = (struct psd_http_head){.status = PSD_HTTP_200, .type = "t", .keep_alive_10 = true};
	psd_http_head_format(&h, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\r\nConnection: keep-alive\r\n\r\n"));
	h.close = true;
	psd_http_head_format(&h, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\r\nConnection: close\r\n\r\n"));
	/* a buffer too small: 0, never a cut head */
	assert_int_equal(psd_http_head_format(&h, buf, 40), 0);
}

static void test_health_json(void **state)
{
	char buf[64];
	size_t n = psd_http_health_json("degraded", "a \"quoted\"\\ reason\n", buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "{\"status\":\"degraded\",\"reason\":\"a \\\"quoted\\\"\\\\ reason \"}\n");
	/* a long reason is cut whole escapes at a time, the JSON still closed */
	char why[200];
	memset(why, '"', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	n = psd_http_health_json("ok", why, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	assert_string_equal(buf + n - 3, "\"}\n");
	assert_int_not_equal(buf[n - 4], '\\'); /* never a dangling escape before the quote */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_end),
		cmocka_unit_test(test_head_limits),
		cmocka_unit_test(test_recorded_clients),
		cmocka_unit_test(test_connection_and_targets),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_heads),
		cmocka_unit_test(test_health_json),
	};
	return cmocka_run_group_tests_name("http_request", tests, NULL, NULL);
}
