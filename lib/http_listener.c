/*
 * The metrics listener's table of connections and each connection's state machine
 * (http_listener.h says what it decides and its invariants). Every entry point takes the time
 * and first sends the log summaries that are due, so no timer is needed for them.
 */
#include <string.h>

#include "http_listener.h"
#include "http_response.h"
#include "psd_assert.h"
#include "text.h"

static const char text_plain[] = "text/plain; charset=utf-8";

static const struct {
	enum psd_log_level level;
	const char *what;
} conditions[_PSD_HTTP_COND_MAX] = {
	[PSD_HTTP_COND_REFUSED] = {PSD_LOG_WARN, "connection refused"},
	[PSD_HTTP_COND_EVICTED] = {PSD_LOG_WARN, "connection evicted to make room"},
	[PSD_HTTP_COND_IDLE] = {PSD_LOG_INFO, "idle connection closed"},
	[PSD_HTTP_COND_HEADER] = {PSD_LOG_WARN, "request not complete in time, connection closed"},
	[PSD_HTTP_COND_WRITE] = {PSD_LOG_WARN, "response not taken in time, connection closed"},
	[PSD_HTTP_COND_OUTPUT] = {PSD_LOG_ERROR, "metrics not served"},
};

static void set_time(struct psd_http_listener *l, struct psd_http_time now)
{
	PSD_ASSERT(now.mono_ns >= l->now.mono_ns);
	l->now = now;
}

/* "http: <what>[: <detail>]" for a condition. */
static void log_line(struct psd_http_listener *l, enum psd_http_condition c, const char *detail)
{
	char line[PSD_LOG_LINE_MAX];
	struct psd_text t;

	psd_text_init(&t, line, sizeof(line));
	psd_text_str(&t, "http: ");
	psd_text_str(&t, conditions[c].what);
	if (detail != NULL) {
		psd_text_str(&t, ": ");
		psd_text_str(&t, detail);
	}
	l->ops.log(l->ctx, conditions[c].level, line);
}

/* Logged when it has not been for a minute; otherwise counted for the summary. */
static void occurred(struct psd_http_listener *l, enum psd_http_condition c, const char *detail)
{
	struct psd_http_repeat *r = &l->repeat[c];
	if (l->now.mono_ns < r->next_ns) {
		r->suppressed++;
		return;
	}
	log_line(l, c, detail);
	r->next_ns = l->now.mono_ns + PSD_HTTP_LOG_REPEAT_NS;
}

/* The count of each condition counted in a minute that is over, in a line of its own; the next
 * occurrence within a minute of it is counted again. */
static void summaries(struct psd_http_listener *l)
{
	for (int c = 0; c < _PSD_HTTP_COND_MAX; c++) {
		struct psd_http_repeat *r = &l->repeat[c];
		if (r->suppressed == 0 || l->now.mono_ns < r->next_ns)
			continue;
		char detail[64];
		struct psd_text t;
		psd_text_init(&t, detail, sizeof(detail));
		psd_text_u64(&t, r->suppressed);
		psd_text_str(&t, " more in the last minute");
		log_line(l, (enum psd_http_condition)c, detail);
		r->suppressed = 0;
		r->next_ns = l->now.mono_ns + PSD_HTTP_LOG_REPEAT_NS;
	}
}

static void enter(struct psd_http_listener *l, struct psd_http_time now)
{
	set_time(l, now);
	summaries(l);
}

void psd_http_init(struct psd_http_listener *l, const struct psd_http_ops *ops, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->ops = *ops;
	l->ctx = ctx;
}

/* --- closing and deadlines -------------------------------------------------------------- */

static void drop_body(struct psd_http_listener *l, struct psd_http_conn *c)
{
	if (c->body_owner != NULL)
		l->ops.release(l->ctx, c->body_owner);
	l->output_bytes -= c->body_len;
	c->body = NULL;
	c->body_owner = NULL;
	c->body_len = c->body_off = 0;
}

static void close_conn(struct psd_http_listener *l, uint32_t slot, enum psd_http_close_cause why)
{
	struct psd_http_conn *c = &l->conn[slot];
	PSD_ASSERT(c->phase != PSD_HTTP_FREE);
	drop_body(l, c);
	c->phase = PSD_HTTP_FREE;
	l->open--;
	l->stats.closed[why]++;
	l->ops.closed(l->ctx, slot);
}

static uint64_t deadline_of(const struct psd_http_conn *c)
{
	switch (c->phase) {
	case PSD_HTTP_READING:
		return c->since_ns + (c->in_request ? PSD_HTTP_HEADER_TIMEOUT_NS : PSD_HTTP_IDLE_TIMEOUT_NS);
	case PSD_HTTP_WRITING:
		return c->since_ns + PSD_HTTP_WRITE_TIMEOUT_NS;
	case PSD_HTTP_LINGERING:
		return c->since_ns + PSD_HTTP_LINGER_NS;
	default:
		return UINT64_MAX;
	}
}

static enum psd_http_timeout timeout_kind(const struct psd_http_conn *c)
{
	if (c->phase == PSD_HTTP_WRITING)
		return PSD_HTTP_TIMEOUT_WRITE;
	if (c->phase == PSD_HTTP_LINGERING)
		return PSD_HTTP_TIMEOUT_LINGER;
	return c->in_request ? PSD_HTTP_TIMEOUT_HEADER : PSD_HTTP_TIMEOUT_IDLE;
}

uint64_t psd_http_next_deadline(const struct psd_http_listener *l)
{
	uint64_t next = UINT64_MAX;
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++) {
		uint64_t d = deadline_of(&l->conn[i]);
		if (d < next)
			next = d;
	}
	return next;
}

void psd_http_expire(struct psd_http_listener *l, struct psd_http_time now)
{
	static const enum psd_http_condition logged_as[_PSD_HTTP_TIMEOUT_MAX] = {
		[PSD_HTTP_TIMEOUT_IDLE] = PSD_HTTP_COND_IDLE,
		[PSD_HTTP_TIMEOUT_HEADER] = PSD_HTTP_COND_HEADER,
		[PSD_HTTP_TIMEOUT_WRITE] = PSD_HTTP_COND_WRITE,
		[PSD_HTTP_TIMEOUT_LINGER] = _PSD_HTTP_COND_MAX, /* the client's end not seen: not news */
	};
	enter(l, now);
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++) {
		struct psd_http_conn *c = &l->conn[i];
		if (c->phase == PSD_HTTP_FREE || deadline_of(c) > now.mono_ns)
			continue;
		enum psd_http_timeout kind = timeout_kind(c);
		l->stats.timeouts[kind]++;
		if (logged_as[kind] != _PSD_HTTP_COND_MAX)
			occurred(l, logged_as[kind], NULL);
		close_conn(l, i, PSD_HTTP_CLOSED_TIMEOUT);
	}
}

void psd_http_close_all(struct psd_http_listener *l)
{
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++)
		if (l->conn[i].phase != PSD_HTTP_FREE)
			close_conn(l, i, PSD_HTTP_CLOSED_SHUTDOWN);
}

/* --- admission ---------------------------------------------------------------------------- */

/* Two client addresses, compared as two words (the invariant check compares every pair). */
static bool same_addr(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return x[0] == y[0] && x[1] == y[1];
}

/* Which connection gives way, among those from addr (NULL: all): the oldest lingering, else the
 * one reading (idle or a request in progress) for the longest, so a connection just accepted,
 * its request still on the way, outlives an old idle one and a slow request; -1 when every one
 * is writing a response. */
static int victim(const struct psd_http_listener *l, const uint8_t *addr,
		  enum psd_http_evicted *ret_kind)
{
	int best = -1;
	bool best_lingering = false;
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++) {
		const struct psd_http_conn *c = &l->conn[i];
		bool lingering = c->phase == PSD_HTTP_LINGERING;
		if (!lingering && c->phase != PSD_HTTP_READING)
			continue;
		if (addr != NULL && !same_addr(c->addr, addr))
			continue;
		if (best < 0 || (lingering && !best_lingering) ||
		    (lingering == best_lingering && c->since_ns < l->conn[best].since_ns)) {
			best = (int)i;
			best_lingering = lingering;
		}
	}
	if (best >= 0)
		*ret_kind = best_lingering         ? PSD_HTTP_EVICTED_LINGERING :
			    l->conn[best].in_request ? PSD_HTTP_EVICTED_READING :
						       PSD_HTTP_EVICTED_IDLE;
	return best;
}

/* An address for a log line: dotted IPv4 when mapped, else eight hex groups. */
static void addr_text(struct psd_text *t, const uint8_t a[PSD_HTTP_ADDR_LEN])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const char hex[] = "0123456789abcdef";
	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		for (int i = 12; i < 16; i++) {
			psd_text_u64(t, a[i]);
			if (i < 15)
				psd_text_str(t, ".");
		}
		return;
	}
	for (int i = 0; i < 16; i += 2) {
		char g[5] = {hex[a[i] >> 4], hex[a[i] & 15], hex[a[i + 1] >> 4], hex[a[i + 1] & 15], 0};
		psd_text_str(t, g);
		if (i < 14)
			psd_text_str(t, ":");
	}
}

static void refuse(struct psd_http_listener *l, enum psd_http_refusal why, const uint8_t *addr)
{
	static const char *const because[_PSD_HTTP_REFUSED_MAX] = {
		[PSD_HTTP_REFUSED_CONNECTIONS] = " (PSD_HTTP_CONNECTIONS_MAX connections open, all "
						 "writing responses)",
		[PSD_HTTP_REFUSED_PER_ADDRESS] = " (PSD_HTTP_PER_ADDRESS_MAX connections from it, all "
						 "writing responses)",
		[PSD_HTTP_REFUSED_FDS] = " (the process is out of file descriptors)",
	};
	char detail[160];
	struct psd_text t;

	l->stats.refused[why]++;
	psd_text_init(&t, detail, sizeof(detail));
	psd_text_str(&t, "from ");
	if (addr != NULL)
		addr_text(&t, addr);
	else
		psd_text_str(&t, "a client");
	psd_text_str(&t, because[why]);
	occurred(l, PSD_HTTP_COND_REFUSED, detail);
}

void psd_http_refuse_fds(struct psd_http_listener *l, struct psd_http_time now)
{
	enter(l, now);
	refuse(l, PSD_HTTP_REFUSED_FDS, NULL);
}

static uint32_t count_from(const struct psd_http_listener *l, const uint8_t *addr)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++)
		n += l->conn[i].phase != PSD_HTTP_FREE && same_addr(l->conn[i].addr, addr);
	return n;
}

/* Room for one more connection from addr: true, or false when it is refused (counted). */
static bool make_room(struct psd_http_listener *l, const uint8_t *addr)
{
	bool address_full = count_from(l, addr) >= PSD_HTTP_PER_ADDRESS_MAX;
	if (!address_full && l->open < PSD_HTTP_CONNECTIONS_MAX)
		return true;
	enum psd_http_evicted kind;
	int v = victim(l, address_full ? addr : NULL, &kind);
	if (v < 0) {
		refuse(l, address_full ? PSD_HTTP_REFUSED_PER_ADDRESS : PSD_HTTP_REFUSED_CONNECTIONS,
		       addr);
		return false;
	}
	l->stats.evicted[kind]++;
	occurred(l, PSD_HTTP_COND_EVICTED,
		 address_full ? "PSD_HTTP_PER_ADDRESS_MAX reached" : "PSD_HTTP_CONNECTIONS_MAX reached");
	close_conn(l, (uint32_t)v, PSD_HTTP_CLOSED_EVICTED);
	return true;
}

int psd_http_accept(struct psd_http_listener *l, struct psd_http_time now,
		    const uint8_t addr[PSD_HTTP_ADDR_LEN])
{
	enter(l, now);
	if (!make_room(l, addr))
		return -1;
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++) {
		struct psd_http_conn *c = &l->conn[i];
		if (c->phase != PSD_HTTP_FREE)
			continue;
		c->phase = PSD_HTTP_READING;
		c->in_request = c->close_after = c->peer_done = false;
		memcpy(c->addr, addr, PSD_HTTP_ADDR_LEN);
		c->since_ns = now.mono_ns;
		c->body_left = 0;
		c->in_len = c->out_len = c->out_off = 0;
		l->open++;
		l->stats.accepted++;
		return (int)i;
	}
	PSD_UNREACHABLE(); /* make_room left a slot free */
}

/* --- one connection ----------------------------------------------------------------------- */

static void consume(struct psd_http_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= (uint32_t)n;
}

/* A body the listener writes itself: "<code> <reason>", and a hint for a 404. */
static size_t error_body(enum psd_http_status s, char *buf, size_t size)
{
	struct psd_text t;
	psd_text_init(&t, buf, size);
	psd_text_u64(&t, psd_http_status_code(s));
	psd_text_str(&t, " ");
	psd_text_str(&t, psd_http_status_reason(s));
	if (s == PSD_HTTP_404)
		psd_text_str(&t, ": try /metrics or /health");
	psd_text_str(&t, "\n");
	return t.len;
}

/* The owner's answer for a well-formed GET or HEAD, within the output budget. */
static void serve(struct psd_http_listener *l, const struct psd_http_request *r,
		  struct psd_http_answer *a)
{
	size_t budget = PSD_HTTP_OUTPUT_BYTES_MAX - l->output_bytes;
	size_t size_max = budget < PSD_HTTP_METRICS_BYTES_MAX ? budget : PSD_HTTP_METRICS_BYTES_MAX;

	memset(a, 0, sizeof(*a));
	l->ops.serve(l->ctx, r->endpoint, size_max, a);
	PSD_ASSERT(a->too_large ||
		   (a->owner != NULL ? a->len <= size_max : a->len <= PSD_HTTP_SMALL_BODY_MAX));
	if (!a->too_large)
		return;
	/* a render over the limit is our own text grown too large (500); one that only the
	 * bodies held for other clients leave no room for is a busy moment (503) */
	bool busy = size_max < PSD_HTTP_METRICS_BYTES_MAX;
	a->status = busy ? PSD_HTTP_503 : PSD_HTTP_500;
	a->owner = NULL;
	occurred(l, PSD_HTTP_COND_OUTPUT,
		 busy ? "PSD_HTTP_OUTPUT_BYTES_MAX held for slow clients (answered 503)" :
			"the text exceeds PSD_HTTP_METRICS_BYTES_MAX (answered 500)");
}

/* Queues the answer to one request: head and small body in out, a larger body borrowed. */
static void respond(struct psd_http_listener *l, struct psd_http_conn *c,
		    const struct psd_http_request *r)
{
	struct psd_http_answer a = {.status = r->status, .type = text_plain};
	char small[PSD_HTTP_SMALL_BODY_MAX];

	if (r->status == PSD_HTTP_200)
		serve(l, r, &a);
	if (a.status != PSD_HTTP_200 && (r->status != PSD_HTTP_200 || a.too_large)) {
		a.type = text_plain;
		a.data = small;
		a.len = error_body(a.status, small, sizeof(small));
	}
	l->stats.requests[r->endpoint][a.status]++;
	c->close_after = !r->keep_alive;
	struct psd_http_head h = {
		.status = a.status,
		.type = a.type,
		.body_bytes = a.len,
		.unix_s = l->now.unix_s,
		.close = c->close_after,
		.keep_alive_10 = r->http10 && r->keep_alive,
	};
	size_t n = psd_http_head_format(&h, c->out, sizeof(c->out));
	PSD_ASSERT(n > 0); /* our own heads always fit */
	c->out_len = (uint32_t)n;
	c->out_off = 0;
	if (r->head) {
		if (a.owner != NULL)
			l->ops.release(l->ctx, a.owner);
	} else if (a.owner == NULL) {
		PSD_ASSERT(c->out_len + a.len <= sizeof(c->out));
		memcpy(c->out + c->out_len, a.data, a.len);
		c->out_len += (uint32_t)a.len;
	} else {
		c->body = a.data;
		c->body_len = a.len;
		c->body_owner = a.owner;
		l->output_bytes += a.len;
	}
	c->phase = PSD_HTTP_WRITING;
	c->in_request = false;
	c->since_ns = l->now.mono_ns;
}

/* Moves a READING connection on with what its input holds: skips a body, drops blank lines
 * before a request, answers a complete request (the connection is then WRITING), closes it when
 * the client's end came with nothing left to answer. False when it was closed. */
static bool advance(struct psd_http_listener *l, uint32_t slot)
{
	struct psd_http_conn *c = &l->conn[slot];
	size_t skip = c->body_left < c->in_len ? (size_t)c->body_left : c->in_len;

	if (!c->in_request && (c->in_len > 0 || c->body_left > 0)) {
		c->in_request = true; /* blank lines count: a drip of them is no keep-alive */
		c->since_ns = l->now.mono_ns;
	}
	consume(c, skip);
	c->body_left -= skip;
	if (c->body_left == 0) {
		size_t blank = 0;
		while (blank < c->in_len && (c->in[blank] == '\r' || c->in[blank] == '\n'))
			blank++;
		consume(c, blank);
	}
	enum psd_http_status refusal = PSD_HTTP_200;
	size_t end = c->body_left == 0 && c->in_len > 0 ?
			     psd_http_head_end(c->in, c->in_len, &refusal) :
			     0;
	if (end == 0 && refusal == PSD_HTTP_200) {
		if (c->peer_done) { /* nothing more will come */
			close_conn(l, slot, PSD_HTTP_CLOSED_CLIENT);
			return false;
		}
		return true;
	}
	struct psd_http_request r = {.status = refusal, .endpoint = PSD_HTTP_EP_OTHER};
	if (end > 0) {
		psd_http_request_parse(c->in, end, &r);
		consume(c, end);
		c->body_left = r.body_bytes;
	}
	respond(l, c, &r);
	return true;
}

size_t psd_http_read_space(struct psd_http_listener *l, uint32_t slot, char **ret)
{
	struct psd_http_conn *c = &l->conn[slot];
	PSD_ASSERT(slot < PSD_HTTP_CONNECTIONS_MAX && c->phase != PSD_HTTP_FREE);
	*ret = c->in + c->in_len;
	return sizeof(c->in) - c->in_len;
}

unsigned psd_http_wants(const struct psd_http_listener *l, uint32_t slot)
{
	const struct psd_http_conn *c = &l->conn[slot];
	bool room = c->in_len < sizeof(c->in) && !c->peer_done;
	switch (c->phase) {
	case PSD_HTTP_READING:
	case PSD_HTTP_LINGERING:
		return PSD_HTTP_WANT_READ;
	case PSD_HTTP_WRITING:
		return PSD_HTTP_WANT_WRITE | (room ? PSD_HTTP_WANT_READ : 0);
	default:
		return 0;
	}
}

unsigned psd_http_received(struct psd_http_listener *l, uint32_t slot, struct psd_http_time now,
			   size_t n)
{
	struct psd_http_conn *c = &l->conn[slot];

	enter(l, now);
	PSD_ASSERT(slot < PSD_HTTP_CONNECTIONS_MAX && c->phase != PSD_HTTP_FREE);
	PSD_ASSERT(n <= sizeof(c->in) - c->in_len);
	if (c->phase == PSD_HTTP_LINGERING) { /* whatever comes now is dropped */
		if (n == 0) {
			close_conn(l, slot, PSD_HTTP_CLOSED_COMPLETED);
			return 0;
		}
		return PSD_HTTP_WANT_READ;
	}
	c->in_len += (uint32_t)n;
	if (n == 0)
		c->peer_done = true;
	if (c->phase == PSD_HTTP_READING && !advance(l, slot))
		return 0;
	return psd_http_wants(l, slot);
}

size_t psd_http_output(const struct psd_http_listener *l, uint32_t slot,
		       struct psd_http_span ret[2])
{
	const struct psd_http_conn *c = &l->conn[slot];
	size_t n = 0;
	if (c->phase != PSD_HTTP_WRITING)
		return 0;
	if (c->out_off < c->out_len)
		ret[n++] = (struct psd_http_span){c->out + c->out_off, c->out_len - c->out_off};
	if (c->body_off < c->body_len)
		ret[n++] = (struct psd_http_span){c->body + c->body_off, c->body_len - c->body_off};
	return n;
}

unsigned psd_http_sent(struct psd_http_listener *l, uint32_t slot, struct psd_http_time now,
		       size_t n)
{
	struct psd_http_conn *c = &l->conn[slot];
	size_t head = c->out_len - c->out_off < n ? c->out_len - c->out_off : n;

	enter(l, now);
	PSD_ASSERT(slot < PSD_HTTP_CONNECTIONS_MAX && c->phase == PSD_HTTP_WRITING);
	PSD_ASSERT(n - head <= c->body_len - c->body_off);
	c->out_off += (uint32_t)head;
	c->body_off += n - head;
	l->stats.response_bytes += n;
	if (c->out_off < c->out_len || c->body_off < c->body_len)
		return psd_http_wants(l, slot);
	drop_body(l, c);
	c->since_ns = now.mono_ns;
	if (c->close_after && c->peer_done) { /* its end came already: nothing to wait for */
		close_conn(l, slot, PSD_HTTP_CLOSED_COMPLETED);
		return 0;
	}
	if (c->close_after) {
		c->phase = PSD_HTTP_LINGERING;
		c->in_len = 0; /* unread, and never to be */
		return PSD_HTTP_WANT_READ | PSD_HTTP_WANT_SHUTDOWN;
	}
	c->phase = PSD_HTTP_READING; /* idle from now, unless a request is already buffered */
	if (!advance(l, slot))
		return 0;
	return psd_http_wants(l, slot);
}

void psd_http_failed(struct psd_http_listener *l, uint32_t slot, struct psd_http_time now)
{
	enter(l, now);
	close_conn(l, slot, PSD_HTTP_CLOSED_ERROR);
}

void psd_http_check(const struct psd_http_listener *l)
{
	const uint8_t *addr[PSD_HTTP_CONNECTIONS_MAX]; /* the distinct addresses, and their counts */
	uint32_t count[PSD_HTTP_CONNECTIONS_MAX], addrs = 0, open = 0;
	uint64_t held = 0, closed = 0;
	for (uint32_t i = 0; i < PSD_HTTP_CONNECTIONS_MAX; i++) {
		const struct psd_http_conn *c = &l->conn[i];
		if (c->phase == PSD_HTTP_FREE)
			continue;
		open++;
		held += c->body_len;
		uint32_t a = 0;
		while (a < addrs && !same_addr(addr[a], c->addr))
			a++;
		if (a == addrs) {
			addr[addrs] = c->addr;
			count[addrs++] = 0;
		}
		PSD_ASSERT(++count[a] <= PSD_HTTP_PER_ADDRESS_MAX);
		PSD_ASSERT(c->in_len <= sizeof(c->in) && c->out_off <= c->out_len &&
			   c->out_len <= sizeof(c->out) && c->body_off <= c->body_len);
		PSD_ASSERT(c->phase == PSD_HTTP_WRITING || (c->body_len == 0 && c->out_len == c->out_off));
	}
	for (int i = 0; i < _PSD_HTTP_CLOSED_MAX; i++)
		closed += l->stats.closed[i];
	PSD_ASSERT(open == l->open && open <= PSD_HTTP_CONNECTIONS_MAX);
	PSD_ASSERT(held == l->output_bytes && held <= PSD_HTTP_OUTPUT_BYTES_MAX);
	PSD_ASSERT(l->stats.accepted == closed + open);
}
