/*
 * One HTTP/1.1 request head (RFC 9112): where it ends in the bytes read so far, and what it asks.
 * Pure: no allocation, no I/O; the head is read in place. The listener (http_listener.c) calls
 * it; the unit tests and the fuzzer call it directly.
 *
 * A head is the request line and the header lines up to the empty line; lines end in CRLF or a
 * bare LF (RFC 9112 §2.2 lets a recipient take either). A head that is not complete within
 * PSD_HTTP_REQUEST_BYTES_MAX bytes is refused (414 if the request line alone is longer than
 * PSD_HTTP_REQUEST_LINE_MAX, else 431), so the bytes a client can make us keep are bounded.
 */
#ifndef PSD_HTTP_REQUEST_H
#define PSD_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSD_HTTP_REQUEST_BYTES_MAX 8192u /* request line + headers (the empty line included) */
#define PSD_HTTP_REQUEST_LINE_MAX 2048u  /* the request line, its line end included */
#define PSD_HTTP_BODY_SKIP_MAX 65536u    /* a Content-Length body read and dropped; more: 413 */

enum psd_http_endpoint {
	PSD_HTTP_EP_METRICS, /* /metrics */
	PSD_HTTP_EP_HEALTH,  /* /health */
	PSD_HTTP_EP_OTHER,   /* any other target, and requests refused before the target counts */
	_PSD_HTTP_EP_MAX,
};

/* The statuses the listener answers with; a fixed set, so they can be counted per endpoint. */
enum psd_http_status {
	PSD_HTTP_200,
	PSD_HTTP_400, /* malformed request line or header, Host missing or repeated */
	PSD_HTTP_404,
	PSD_HTTP_405, /* a method other than GET and HEAD (the answer names them in Allow) */
	PSD_HTTP_411, /* Transfer-Encoding: a body of unknown length, never read as a request */
	PSD_HTTP_413, /* a Content-Length over PSD_HTTP_BODY_SKIP_MAX */
	PSD_HTTP_414, /* a request line over PSD_HTTP_REQUEST_LINE_MAX */
	PSD_HTTP_431, /* a head over PSD_HTTP_REQUEST_BYTES_MAX */
	PSD_HTTP_500, /* the metrics did not fit PSD_HTTP_METRICS_BYTES_MAX */
	PSD_HTTP_503, /* /health failing, or the output budget spent */
	PSD_HTTP_505, /* an HTTP major version other than 1 */
	_PSD_HTTP_STATUS_MAX,
};

struct psd_http_request {
	enum psd_http_status status; /* PSD_HTTP_200: well formed and for us to serve */
	enum psd_http_endpoint endpoint;
	bool head;        /* HEAD: the answer has no body */
	bool keep_alive;  /* the connection stays open after the answer */
	bool http10;      /* HTTP/1.0: keep-alive must be said in the answer */
	uint64_t body_bytes; /* Content-Length, to skip after the head */
};

/* The head's length (through its empty line) when bytes[0..len) hold a complete one. 0 when
 * they do not: *ret_refusal is PSD_HTTP_200 while more bytes may complete it, or the status to
 * refuse it with once it can no longer fit its limits (PSD_HTTP_414, PSD_HTTP_431). */
size_t psd_http_head_end(const char *bytes, size_t len, enum psd_http_status *ret_refusal);

/* Reads a complete head (as psd_http_head_end measured it) into ret. Never fails: a head that
 * is not a request we take sets ret->status to the answer it gets. */
void psd_http_request_parse(const char *head, size_t len, struct psd_http_request *ret);

/* The status code (200, 400, ...) and its reason phrase. */
unsigned psd_http_status_code(enum psd_http_status s);
const char *psd_http_status_reason(enum psd_http_status s);

#endif
