/*
 * HTTP/1.1 request heads (RFC 9110, RFC 9112), read in place. Strict where leniency lets a
 * request be read two ways (whitespace before a header's colon, folded lines, control bytes,
 * a Content-Length that is not one number, Content-Length beside Transfer-Encoding, Host
 * missing or repeated): each is a 400, and the connection closes after it. The request line is
 * METHOD SP TARGET SP HTTP/D.D; any 1.x is answered as 1.1, another major version is a 505.
 */
#include <string.h>

#include "http_request.h"

static const struct {
	unsigned code;
	const char *reason;
} statuses[_PSD_HTTP_STATUS_MAX] = {
	[PSD_HTTP_200] = {200, "OK"},
	[PSD_HTTP_400] = {400, "Bad Request"},
	[PSD_HTTP_404] = {404, "Not Found"},
	[PSD_HTTP_405] = {405, "Method Not Allowed"},
	[PSD_HTTP_411] = {411, "Length Required"},
	[PSD_HTTP_413] = {413, "Content Too Large"},
	[PSD_HTTP_414] = {414, "URI Too Long"},
	[PSD_HTTP_431] = {431, "Request Header Fields Too Large"},
	[PSD_HTTP_500] = {500, "Internal Server Error"},
	[PSD_HTTP_503] = {503, "Service Unavailable"},
	[PSD_HTTP_505] = {505, "HTTP Version Not Supported"},
};

unsigned psd_http_status_code(enum psd_http_status s)
{
	return (unsigned)s < _PSD_HTTP_STATUS_MAX ? statuses[s].code : 500;
}

const char *psd_http_status_reason(enum psd_http_status s)
{
	return (unsigned)s < _PSD_HTTP_STATUS_MAX ? statuses[s].reason : "Internal Server Error";
}

size_t psd_http_head_end(const char *bytes, size_t len, enum psd_http_status *ret_refusal)
{
	const char *first = memchr(bytes, '\n', len);
	size_t line = first != NULL ? (size_t)(first - bytes) + 1 : len;
	size_t end = 0;

	*ret_refusal = PSD_HTTP_200;
	if (line > PSD_HTTP_REQUEST_LINE_MAX) {
		*ret_refusal = PSD_HTTP_414;
		return 0;
	}
	/* the head ends at a line end followed by an empty line (LF, or CR LF) */
	for (const char *p = first; p != NULL && end == 0;) {
		size_t at = (size_t)(p - bytes) + 1;
		if (at < len && bytes[at] == '\n')
			end = at + 1;
		else if (at + 1 < len && bytes[at] == '\r' && bytes[at + 1] == '\n')
			end = at + 2;
		else
			p = at < len ? memchr(bytes + at, '\n', len - at) : NULL;
	}
	if (end > PSD_HTTP_REQUEST_BYTES_MAX || (end == 0 && len >= PSD_HTTP_REQUEST_BYTES_MAX)) {
		*ret_refusal = PSD_HTTP_431;
		return 0;
	}
	return end;
}

/* RFC 9110 §5.6.2: the characters of a token (methods, header names). */
static bool is_tchar(unsigned char c)
{
	static const char marks[] = "!#$%&'*+-.^_`|~";
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && memchr(marks, c, sizeof(marks) - 1) != NULL);
}

static bool is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

static bool same_ci(const char *s, size_t n, const char *lower)
{
	size_t m = strlen(lower);
	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
		if (c != lower[i])
			return false;
	}
	return true;
}

/* One line of the head without its line end; false when the head has none left. */
struct cursor {
	const char *p, *end;
};

static bool next_line(struct cursor *c, const char **ret, size_t *ret_len)
{
	const char *lf = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (lf == NULL)
		return false;
	*ret = c->p;
	*ret_len = (size_t)(lf - c->p);
	if (*ret_len > 0 && lf[-1] == '\r')
		(*ret_len)--;
	c->p = lf + 1;
	return true;
}

/* The path of an origin-form or absolute-form target, without its query. */
static enum psd_http_endpoint endpoint_of(const char *t, size_t n)
{
	size_t skip = same_ci(t, n < 7 ? n : 7, "http://") ? 7 : same_ci(t, n < 8 ? n : 8, "https://") ? 8 : 0;
	if (skip > 0) { /* absolute-form: the path starts after the authority */
		const char *slash = memchr(t + skip, '/', n - skip);
		if (slash == NULL)
			return PSD_HTTP_EP_OTHER;
		n -= (size_t)(slash - t);
		t = slash;
	}
	const char *query = memchr(t, '?', n);
	if (query != NULL)
		n = (size_t)(query - t);
	if (n == 8 && memcmp(t, "/metrics", 8) == 0)
		return PSD_HTTP_EP_METRICS;
	if (n == 7 && memcmp(t, "/health", 7) == 0)
		return PSD_HTTP_EP_HEALTH;
	return PSD_HTTP_EP_OTHER;
}

/* The request line; PSD_HTTP_200 when it is one we answer by method and target. */
static enum psd_http_status request_line(const char *s, size_t n, struct psd_http_request *r,
					 const char **ret_method, size_t *ret_method_len)
{
	const char *sp1 = memchr(s, ' ', n);
	if (sp1 == NULL)
		return PSD_HTTP_400;
	const char *target = sp1 + 1;
	const char *sp2 = memchr(target, ' ', n - (size_t)(target - s));
	if (sp2 == NULL)
		return PSD_HTTP_400;
	const char *version = sp2 + 1;
	size_t method_len = (size_t)(sp1 - s), target_len = (size_t)(sp2 - target);
	size_t version_len = n - (size_t)(version - s);

	if (!is_token(s, method_len) || target_len == 0)
		return PSD_HTTP_400;
	for (size_t i = 0; i < target_len; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return PSD_HTTP_400;
	if (version_len != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
	    version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
		return PSD_HTTP_400;
	if (version[5] != '1')
		return PSD_HTTP_505;
	r->http10 = version[7] == '0';
	r->keep_alive = !r->http10;
	r->head = method_len == 4 && memcmp(s, "HEAD", 4) == 0;
	r->endpoint = endpoint_of(target, target_len);
	*ret_method = s;
	*ret_method_len = method_len;
	return PSD_HTTP_200;
}

/* Connection: a comma-separated list of options; close and keep-alive are ours to read. */
static void connection_options(struct psd_http_request *r, const char *v, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		while (i < n && v[i] != ',')
			i++;
		size_t end = i++;
		while (start < end && (v[start] == ' ' || v[start] == '\t'))
			start++;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (same_ci(v + start, end - start, "close"))
			r->keep_alive = false;
		else if (same_ci(v + start, end - start, "keep-alive") && r->http10)
			r->keep_alive = true;
	}
}

struct framing {
	unsigned hosts;
	bool has_length, has_transfer_encoding;
	uint64_t length;
};

/* Content-Length: one decimal number; repeated, it must repeat the same one. */
static enum psd_http_status content_length(struct framing *f, const char *v, size_t n)
{
	uint64_t x = 0;
	if (n == 0 || n > 19)
		return PSD_HTTP_400;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return PSD_HTTP_400;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (f->has_length && f->length != x)
		return PSD_HTTP_400;
	f->has_length = true;
	f->length = x;
	return PSD_HTTP_200;
}

/* One header line: NAME ":" OWS VALUE OWS, the value without control bytes but HTAB. */
static enum psd_http_status header_line(struct psd_http_request *r, struct framing *f,
					const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	if (colon == NULL || !is_token(s, (size_t)(colon - s)))
		return PSD_HTTP_400; /* folded lines and space before the colon land here too */
	size_t name_len = (size_t)(colon - s);
	const char *v = colon + 1, *end = s + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (const char *p = v; p < end; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return PSD_HTTP_400;
	size_t vn = (size_t)(end - v);
	if (same_ci(s, name_len, "host")) {
		f->hosts++;
	} else if (same_ci(s, name_len, "content-length")) {
		return content_length(f, v, vn);
	} else if (same_ci(s, name_len, "transfer-encoding")) {
		f->has_transfer_encoding = true;
	} else if (same_ci(s, name_len, "connection")) {
		connection_options(r, v, vn);
	}
	return PSD_HTTP_200;
}

/* Every status but 200, 404 and 405 leaves the stream unreadable or the client unwelcome. */
static void refuse(struct psd_http_request *r, enum psd_http_status s)
{
	r->status = s;
	r->keep_alive = false;
	r->body_bytes = 0;
}

void psd_http_request_parse(const char *head, size_t len, struct psd_http_request *ret)
{
	struct cursor c = {head, head + len};
	struct framing f = {0};
	const char *line, *method = NULL;
	size_t n, method_len = 0;
	enum psd_http_status s;

	memset(ret, 0, sizeof(*ret));
	ret->endpoint = PSD_HTTP_EP_OTHER;
	if (!next_line(&c, &line, &n)) {
		refuse(ret, PSD_HTTP_400);
		return;
	}
	if ((s = request_line(line, n, ret, &method, &method_len)) != PSD_HTTP_200) {
		ret->endpoint = PSD_HTTP_EP_OTHER;
		refuse(ret, s);
		return;
	}
	while (next_line(&c, &line, &n) && n > 0) {
		if ((s = header_line(ret, &f, line, n)) != PSD_HTTP_200) {
			refuse(ret, s);
			return;
		}
	}
	if (!ret->http10 && f.hosts != 1)
		refuse(ret, PSD_HTTP_400); /* RFC 9112 §3.2: exactly one Host in 1.1 */
	else if (f.hosts > 1 || (f.has_transfer_encoding && f.has_length))
		refuse(ret, PSD_HTTP_400);
	else if (f.has_transfer_encoding)
		refuse(ret, PSD_HTTP_411);
	else if (f.length > PSD_HTTP_BODY_SKIP_MAX)
		refuse(ret, PSD_HTTP_413);
	else if (!(method_len == 3 && memcmp(method, "GET", 3) == 0) && !ret->head)
		ret->status = PSD_HTTP_405;
	else if (ret->endpoint == PSD_HTTP_EP_OTHER)
		ret->status = PSD_HTTP_404;
	if (ret->status == PSD_HTTP_200 || ret->status == PSD_HTTP_404 || ret->status == PSD_HTTP_405)
		ret->body_bytes = f.length;
}
