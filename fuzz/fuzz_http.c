/*
 * The metrics listener (lib/http_listener.c, the real code http.c drives) under connection
 * patterns decoded from the input: connections opened from a few addresses, well-formed
 * requests (those curl, wget and Prometheus send among them) whole, split or pipelined, raw
 * bytes, the client's end, socket errors, time passing (the deadlines fire as the adapter's timer
 * would), the client taking only n bytes of output, /metrics bodies of every size up to past
 * their limit, /health failing, accept out of descriptors. Checked after every step:
 *  - the listener's own invariants (the limits of the table, the output budget, counts);
 *  - no open connection is past its deadline, and none is open without one;
 *  - a connection that was only sent well-formed requests gets exactly one response per
 *    complete request, in order, with the status expected, bodies as long as they say, and no
 *    more after a response that closes it;
 *  - bodies handed to the listener are released, and never more held than the budget.
 */
#include "fuzz.h"
#include "http_listener.h"

#define FZ_SLOTS PSD_HTTP_CONNECTIONS_MAX
#define FZ_EXPECT_MAX 64u
#define FZ_HEAD_MAX 1024u
#define FZ_STEPS_MAX 2000u

enum expect {
	EXPECT_SERVED, /* 200, or 503 (/health failing, the budget spent), or 500 (too large) */
	EXPECT_404,
	EXPECT_405,
	EXPECT_400,
	EXPECT_411,
	EXPECT_505,
};

static const struct {
	const char *bytes;
	enum expect expect;
	bool head, closes;
} templates[] = {
	{"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", EXPECT_SERVED, false, false},
	{"GET /health HTTP/1.1\r\nHost: a\r\n\r\n", EXPECT_SERVED, false, false},
	{"HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n", EXPECT_SERVED, true, false},
	{"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", EXPECT_404, false, false},
	{"POST /health HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nGET /", EXPECT_405, false,
	 false},
	{"GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", EXPECT_SERVED, false, false},
	{"\r\nGET /health?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", EXPECT_SERVED, false, false},
	{"GET /metrics HTTP/1.1\nHost: a\n\n", EXPECT_SERVED, false, false},
	{"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9808\r\nUser-Agent: curl/7.88.1\r\nAccept: "
	 "*/*\r\n\r\n", EXPECT_SERVED, false, false},
	{"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9808\r\nUser-Agent: Wget/1.21.3\r\nAccept: "
	 "*/*\r\nAccept-Encoding: identity\r\nConnection: Keep-Alive\r\n\r\n", EXPECT_SERVED, false,
	 false},
	{"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9808\r\nUser-Agent: Prometheus/2.42.0+ds\r\n"
	 "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
	 "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\nAccept-Encoding: gzip\r\n"
	 "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n", EXPECT_SERVED, false, false},
	{"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", EXPECT_SERVED, false, true},
	{"GET /health HTTP/1.0\r\n\r\n", EXPECT_SERVED, false, true},
	{"GET /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	 EXPECT_411, false, true},
	{"GET /metrics HTTP/2.0\r\n\r\n", EXPECT_505, false, true},
	{"GET /metrics HTTP/1.1\r\n\r\n", EXPECT_400, false, true},
};
#define FZ_TEMPLATES (sizeof(templates) / sizeof(templates[0]))

static const size_t body_sizes[] = {0, 64, 3000, 70000, PSD_HTTP_METRICS_BYTES_MAX,
				    PSD_HTTP_METRICS_BYTES_MAX + 1};

/* What the client of one slot has sent and read. */
struct client {
	bool open;
	bool tainted; /* raw bytes sent: no order check */
	bool closing; /* a request that closes the connection was sent */
	bool ended;   /* the client's end sent: nothing more comes from it */
	uint32_t expected, answered;
	struct {
		enum expect expect;
		bool head;
	} want[FZ_EXPECT_MAX];
	const char *pending; /* the rest of a split template */
	size_t pending_len;
	/* the response being read: its head, then the body bytes still to come */
	char head[FZ_HEAD_MAX];
	size_t head_len;
	uint64_t body_left;
};

static struct {
	struct psd_http_listener l;
	struct client c[FZ_SLOTS];
	uint64_t now;
	size_t metrics_len;
	bool failing;
	uint64_t held_bytes;
	uint32_t held;
} w;

/* A /metrics body handed out: its length; the bytes are one shared buffer (never read by the
 * listener, only written out), so a 4 MiB body costs no copy. */
struct body {
	size_t len;
};

static char body_bytes[PSD_HTTP_METRICS_BYTES_MAX + 1];

static void serve(void *ctx, enum psd_http_endpoint ep, size_t size_max,
		  struct psd_http_answer *ret)
{
	static const char health[] = "{\"status\":\"ok\",\"reason\":\"\"}\n";
	FZ_CHECK(ep == PSD_HTTP_EP_METRICS || ep == PSD_HTTP_EP_HEALTH);
	FZ_CHECK(size_max <= PSD_HTTP_METRICS_BYTES_MAX);
	FZ_CHECK(size_max <= PSD_HTTP_OUTPUT_BYTES_MAX - w.held_bytes);
	if (ep == PSD_HTTP_EP_HEALTH) {
		*ret = (struct psd_http_answer){.status = w.failing ? PSD_HTTP_503 : PSD_HTTP_200,
						.type = "application/json", .data = health,
						.len = sizeof(health) - 1};
		return;
	}
	if (w.metrics_len > size_max) {
		ret->too_large = true;
		return;
	}
	struct body *b = malloc(sizeof(*b));
	FZ_CHECK(b != NULL);
	b->len = w.metrics_len;
	w.held++;
	w.held_bytes += b->len;
	*ret = (struct psd_http_answer){.status = PSD_HTTP_200, .type = "text/plain",
					.data = body_bytes, .len = b->len, .owner = b};
}

static void release(void *ctx, void *owner)
{
	struct body *b = owner;
	FZ_CHECK(w.held > 0 && w.held_bytes >= b->len);
	w.held--;
	w.held_bytes -= b->len;
	free(b);
}

static void closed(void *ctx, uint32_t slot)
{
	FZ_CHECK(slot < FZ_SLOTS && w.c[slot].open);
	w.c[slot].open = false;
}

static void log_line(void *ctx, enum psd_log_level level, const char *text)
{
	FZ_CHECK(strncmp(text, "http: ", 6) == 0 && strlen(text) < PSD_LOG_LINE_MAX);
}

static const struct psd_http_ops ops = {serve, release, closed, log_line};

static struct psd_http_time t(void)
{
	return (struct psd_http_time){.mono_ns = w.now, .unix_s = w.now / 1000000000u};
}

/* --- the client's side of one connection ------------------------------------------------ */

static unsigned status_code(const char *head)
{
	FZ_CHECK(strncmp(head, "HTTP/1.1 ", 9) == 0);
	return (unsigned)strtoul(head + 9, NULL, 10);
}

/* A whole response read: the one expected next, and nothing after one that closes. */
static void answered(struct client *c)
{
	unsigned code = status_code(c->head);
	FZ_CHECK(c->answered < c->expected);
	enum expect e = c->want[c->answered % FZ_EXPECT_MAX].expect;
	static const unsigned exact[] = {[EXPECT_404] = 404, [EXPECT_405] = 405, [EXPECT_400] = 400,
					 [EXPECT_411] = 411, [EXPECT_505] = 505};
	if (e == EXPECT_SERVED)
		FZ_CHECK(code == 200 || code == 503 || code == 500);
	else
		FZ_CHECK(code == exact[e]);
	c->answered++;
}

/* Bytes the client read: response heads parsed, bodies counted against Content-Length. */
static void client_reads(struct client *c, const char *p, size_t n)
{
	while (n > 0 && !c->tainted) {
		if (c->body_left > 0) {
			size_t k = n < c->body_left ? n : (size_t)c->body_left;
			c->body_left -= k;
			p += k;
			n -= k;
			if (c->body_left == 0)
				answered(c);
			continue;
		}
		FZ_CHECK(c->head_len < FZ_HEAD_MAX - 1);
		c->head[c->head_len++] = *p++;
		n--;
		c->head[c->head_len] = '\0';
		if (c->head_len < 4 || strcmp(c->head + c->head_len - 4, "\r\n\r\n") != 0)
			continue;
		const char *cl = strstr(c->head, "\r\nContent-Length: ");
		FZ_CHECK(cl != NULL);
		c->body_left = c->answered < c->expected && c->want[c->answered % FZ_EXPECT_MAX].head ?
				       0 :
				       strtoull(cl + 18, NULL, 10);
		c->head_len = 0;
		if (c->body_left == 0)
			answered(c);
	}
}

static void expect(struct client *c, size_t k)
{
	if (c->closing) {
		c->tainted = true; /* sent after a request that closes: never answered */
		return;
	}
	if (c->expected - c->answered >= FZ_EXPECT_MAX) {
		c->tainted = true;
		return;
	}
	c->want[c->expected % FZ_EXPECT_MAX].expect = templates[k].expect;
	c->want[c->expected % FZ_EXPECT_MAX].head = templates[k].head;
	c->expected++;
	c->closing = templates[k].closes;
}

/* The client sends bytes (0: its end) as far as the listener has room for them. */
static void client_sends(uint32_t slot, const char *p, size_t n)
{
	if (w.c[slot].ended)
		return;
	w.c[slot].ended = n == 0;
	while (w.c[slot].open) {
		char *room;
		size_t space = psd_http_read_space(&w.l, slot, &room);
		size_t k = n < space ? n : space;
		if (k == 0 && n > 0) {
			w.c[slot].tainted = true; /* the rest would wait in the socket: dropped here */
			return;
		}
		memcpy(room, p, k);
		psd_http_received(&w.l, slot, t(), k);
		p += k;
		n -= k;
		if (n == 0)
			return;
	}
}

static void client_takes(uint32_t slot, size_t budget)
{
	while (w.c[slot].open && (psd_http_wants(&w.l, slot) & PSD_HTTP_WANT_WRITE) && budget > 0) {
		struct psd_http_span span[2];
		size_t k = psd_http_output(&w.l, slot, span);
		FZ_CHECK(k > 0 && span[0].len > 0);
		size_t n = span[0].len < budget ? span[0].len : budget;
		client_reads(&w.c[slot], span[0].data, n);
		budget -= n;
		psd_http_sent(&w.l, slot, t(), n);
	}
}

/* --- checks --------------------------------------------------------------------------- */

static void check(void)
{
	psd_http_check(&w.l);
	uint32_t open = 0;
	for (uint32_t i = 0; i < FZ_SLOTS; i++) {
		const struct client *c = &w.c[i];
		const struct psd_http_conn *conn = &w.l.conn[i];
		FZ_CHECK(c->open == (conn->phase != PSD_HTTP_FREE));
		open += c->open;
		/* idle with everything read: every complete request was answered */
		if (c->open && !c->tainted && conn->phase == PSD_HTTP_READING && !conn->in_request &&
		    c->pending == NULL && c->head_len == 0 && c->body_left == 0)
			FZ_CHECK(c->answered == c->expected);
	}
	FZ_CHECK(open == w.l.open);
	FZ_CHECK(w.held <= PSD_HTTP_CONNECTIONS_MAX && w.held_bytes <= PSD_HTTP_OUTPUT_BYTES_MAX);
	FZ_CHECK(w.held_bytes == w.l.output_bytes);
	uint64_t next = psd_http_next_deadline(&w.l);
	FZ_CHECK(next > w.now);
	FZ_CHECK((next == UINT64_MAX) == (w.l.open == 0)); /* a timer exactly while one is open */
}

/* Time passes: each deadline fires at its time, as the adapter's timer does. */
static void advance(uint64_t ns)
{
	uint64_t until = w.now + ns;
	for (uint64_t next; (next = psd_http_next_deadline(&w.l)) <= until;) {
		w.now = next;
		psd_http_expire(&w.l, t());
		check();
	}
	w.now = until;
}

/* --- the program ------------------------------------------------------------------------ */

static uint32_t pick_slot(struct fz *in)
{
	return fz_u8(in) % FZ_SLOTS;
}

static void step(struct fz *in)
{
	uint8_t op = fz_u8(in);
	uint32_t s = pick_slot(in);
	struct client *c = &w.c[s];

	switch (op % 12) {
	case 0: { /* open, from one of four addresses */
		uint8_t a[PSD_HTTP_ADDR_LEN] = {[10] = 0xff, [11] = 0xff, [12] = 127};
		a[15] = (uint8_t)(s % 4);
		int slot = psd_http_accept(&w.l, t(), a);
		if (slot >= 0) {
			FZ_CHECK(!w.c[slot].open);
			w.c[slot] = (struct client){.open = true};
		}
		break;
	}
	case 1: /* a whole request */
	case 2: { /* a request split: its first part now, the rest at a later step */
		size_t k = fz_u8(in) % FZ_TEMPLATES;
		const char *b = templates[k].bytes;
		size_t n = strlen(b), cut = op % 12 == 2 ? fz_u8(in) % n : n;
		if (!c->open || c->pending != NULL)
			break;
		expect(c, k);
		client_sends(s, b, cut);
		if (cut < n) {
			c->pending = b + cut;
			c->pending_len = n - cut;
		}
		break;
	}
	case 3: /* the rest of a split request */
		if (c->open && c->pending != NULL) {
			const char *p = c->pending;
			c->pending = NULL;
			client_sends(s, p, c->pending_len);
		}
		break;
	case 4: { /* raw bytes */
		size_t n;
		const uint8_t *b = fz_bytes(in, 255, &n);
		if (c->open) {
			c->tainted = true;
			client_sends(s, (const char *)b, n);
		}
		break;
	}
	case 5: /* the client's end */
		if (c->open) {
			c->pending = NULL;
			client_sends(s, "", 0);
		}
		break;
	case 6: /* the socket fails */
		if (c->open)
			psd_http_failed(&w.l, s, t());
		break;
	case 7: /* time passes: up to 25.5 s */
		advance((uint64_t)fz_u8(in) * 100000000ull);
		break;
	case 8: /* the client reads up to n bytes (0: all) */
	case 9: {
		uint32_t n = fz_u32(in) % (1u << 23);
		if (c->open)
			client_takes(s, op % 12 == 9 || n == 0 ? SIZE_MAX : n);
		break;
	}
	case 10:
		w.metrics_len = body_sizes[fz_u8(in) % (sizeof(body_sizes) / sizeof(body_sizes[0]))];
		break;
	default:
		if (s % 2 == 0)
			w.failing = !w.failing;
		else
			psd_http_refuse_fds(&w.l, t());
		break;
	}
	check();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = {data, size};

	memset(&w, 0, sizeof(w));
	w.now = 1000000000ull;
	w.metrics_len = 64;
	psd_http_init(&w.l, &ops, NULL);
	for (uint32_t i = 0; i < FZ_STEPS_MAX && in.n > 0; i++)
		step(&in);
	/* the end: every client reads all, then everything closes and every body is let go */
	for (uint32_t i = 0; i < FZ_SLOTS; i++)
		if (w.c[i].open)
			client_takes(i, SIZE_MAX);
	check();
	psd_http_close_all(&w.l);
	FZ_CHECK(w.held == 0 && w.held_bytes == 0 && w.l.open == 0);
	return 0;
}
