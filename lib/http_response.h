/*
 * What the listener writes: a response head (status line, Date, Content-Type, Content-Length,
 * Connection, Allow) and the small bodies it makes itself (errors, the /health JSON). Pure and
 * bounded: everything goes into the caller's buffer through psd_text, truncation is reported.
 */
#ifndef PSD_HTTP_RESPONSE_H
#define PSD_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_request.h"

#define PSD_HTTP_DATE_LEN 29u /* "Sun, 06 Nov 1994 08:49:37 GMT" */

struct psd_http_head {
	enum psd_http_status status;
	const char *type;      /* Content-Type */
	uint64_t body_bytes;   /* Content-Length (also for HEAD, which sends no body) */
	uint64_t unix_s;       /* Date */
	bool close;            /* Connection: close */
	bool keep_alive_10;    /* Connection: keep-alive (an HTTP/1.0 client asked to keep it) */
};

/* The head into buf; its length, or 0 when it did not fit size bytes. */
size_t psd_http_head_format(const struct psd_http_head *h, char *buf, size_t size);

/* IMF-fixdate (RFC 9110 §5.6.7) of a Unix time, PSD_HTTP_DATE_LEN bytes and a NUL into buf. */
void psd_http_date(uint64_t unix_s, char buf[PSD_HTTP_DATE_LEN + 1]);

/* {"status":"<status>","reason":"<why, JSON-escaped>"} and a newline; its length (truncated to
 * fit size, still valid JSON). */
size_t psd_http_health_json(const char *status, const char *why, char *buf, size_t size);

#endif
