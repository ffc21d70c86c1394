/*
 * The metrics listener's decisions, without a socket: the table of connections and its limits,
 * each connection's state machine (bytes in, response bytes out, the time handed in, deadlines
 * out), the counters and the log lines. adapters/http.c does the sockets and calls this for
 * every accept, read, write and timer; the unit tests and fuzz/fuzz_http.c drive the same code
 * with scripted clients. Pure: no system call, no clock, no allocation (`make lint` checks).
 *
 * A connection is READING (idle, or a request in progress), WRITING (one response going out;
 * the next pipelined request waits in the input buffer, so answers leave in request order) or
 * LINGERING (its last response written and the write side shut: the client's end is awaited so
 * closing does not reset the connection under the response). Invariants (psd_http_check):
 *  - at most PSD_HTTP_CONNECTIONS_MAX connections, at most PSD_HTTP_PER_ADDRESS_MAX from one
 *    client address; a connection over a limit makes room by evicting the oldest lingering
 *    connection, else the one reading (idle, or a request in progress) for the longest, or,
 *    when every one is writing a response (never evicted), is refused at once;
 *  - every open connection has a deadline: idle, header (the whole request, body included),
 *    write (the whole response) or linger; past it, psd_http_expire closes it;
 *  - response bodies held for clients total at most PSD_HTTP_OUTPUT_BYTES_MAX;
 *  - every connection accepted is open or counted once as closed, by cause;
 *  - time handed in never goes backwards.
 */
#ifndef PSD_HTTP_LISTENER_H
#define PSD_HTTP_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_request.h"
#include "psd/core.h" /* enum psd_log_level */

#define PSD_HTTP_CONNECTIONS_MAX 64u       /* connections open at once */
#define PSD_HTTP_PER_ADDRESS_MAX 32u       /* of them from one client address */
#define PSD_HTTP_IDLE_TIMEOUT_NS (5000ull * 1000000ull)   /* open with no request in progress */
#define PSD_HTTP_HEADER_TIMEOUT_NS (5000ull * 1000000ull) /* first byte to complete request */
#define PSD_HTTP_WRITE_TIMEOUT_NS (10000ull * 1000000ull) /* response ready to fully written */
#define PSD_HTTP_LINGER_NS (2000ull * 1000000ull)         /* last response to the client's end */
#define PSD_HTTP_METRICS_BYTES_MAX (4u << 20)  /* one /metrics body; more is a 500 */
#define PSD_HTTP_OUTPUT_BYTES_MAX (16u << 20)  /* bodies held for all clients; more is a 503 */
#define PSD_HTTP_SMALL_BYTES 1024u     /* per connection: a response head and a small body */
#define PSD_HTTP_SMALL_BODY_MAX 640u   /* a body copied there (errors, /health) */
#define PSD_HTTP_ADDR_LEN 16u          /* a client address: IPv6, or IPv4 mapped into it */
#define PSD_HTTP_LOG_REPEAT_NS (60000ull * 1000000ull) /* a repeated condition: a line a minute */

enum psd_http_want {
	PSD_HTTP_WANT_READ = 1u,     /* read into psd_http_read_space when readable */
	PSD_HTTP_WANT_WRITE = 2u,    /* write psd_http_output when writable */
	PSD_HTTP_WANT_SHUTDOWN = 4u, /* shut the write side now (returned once, as lingering starts) */
};

enum psd_http_phase {
	PSD_HTTP_FREE,
	PSD_HTTP_READING,
	PSD_HTTP_WRITING,
	PSD_HTTP_LINGERING,
};

enum psd_http_refusal {
	PSD_HTTP_REFUSED_CONNECTIONS, /* the table full, no connection evictable */
	PSD_HTTP_REFUSED_PER_ADDRESS, /* the client's address at its limit, none of its evictable */
	PSD_HTTP_REFUSED_FDS,         /* the process out of file descriptors (accepted and closed) */
	_PSD_HTTP_REFUSED_MAX,
};

enum psd_http_evicted {
	PSD_HTTP_EVICTED_LINGERING,
	PSD_HTTP_EVICTED_IDLE,
	PSD_HTTP_EVICTED_READING, /* a request in progress (the slowest, being the oldest) */
	_PSD_HTTP_EVICTED_MAX,
};

enum psd_http_timeout {
	PSD_HTTP_TIMEOUT_IDLE,
	PSD_HTTP_TIMEOUT_HEADER,
	PSD_HTTP_TIMEOUT_WRITE,
	PSD_HTTP_TIMEOUT_LINGER,
	_PSD_HTTP_TIMEOUT_MAX,
};

enum psd_http_close_cause {
	PSD_HTTP_CLOSED_CLIENT,    /* the client closed (or closed with a request unfinished) */
	PSD_HTTP_CLOSED_ERROR,     /* the socket failed (reset, broken pipe) */
	PSD_HTTP_CLOSED_COMPLETED, /* after its last response, the client's end seen */
	PSD_HTTP_CLOSED_TIMEOUT,
	PSD_HTTP_CLOSED_EVICTED,
	PSD_HTTP_CLOSED_SHUTDOWN,  /* the listener closed with the daemon */
	_PSD_HTTP_CLOSED_MAX,
};

/* What the owner serves for GET or HEAD of /metrics or /health. */
struct psd_http_answer {
	enum psd_http_status status; /* 200, or 503 for /health failing */
	const char *type;            /* Content-Type */
	const char *data;
	size_t len;
	void *owner;    /* handed to release() once written; NULL: copied at once, len at most
			 * PSD_HTTP_SMALL_BODY_MAX */
	bool too_large; /* the body would exceed the size_max asked: nothing kept */
};

struct psd_http_ops {
	/* The answer for ep, its body at most size_max bytes. */
	void (*serve)(void *ctx, enum psd_http_endpoint ep, size_t size_max,
		      struct psd_http_answer *ret);
	void (*release)(void *ctx, void *owner);
	/* The listener ended the connection in slot: close its socket. */
	void (*closed)(void *ctx, uint32_t slot);
	void (*log)(void *ctx, enum psd_log_level level, const char *text);
};

/* The time, as every call hands it in: monotonic for deadlines, Unix seconds for Date. */
struct psd_http_time {
	uint64_t mono_ns;
	uint64_t unix_s;
};

struct psd_http_span {
	const char *data;
	size_t len;
};

struct psd_http_conn {
	enum psd_http_phase phase;
	bool in_request;  /* a request's first byte came (READING): the header timeout runs */
	bool close_after; /* the response going out is the connection's last */
	bool peer_done;   /* the client's end read: what is complete is answered, then close */
	uint8_t addr[PSD_HTTP_ADDR_LEN];
	uint64_t since_ns; /* start of the phase's deadline: idle, request, response or linger */
	uint64_t body_left; /* bytes of a request body still to skip */
	uint32_t in_len;
	uint32_t out_len, out_off; /* out: head and small body */
	const char *body;          /* a body the owner keeps until release() */
	size_t body_len, body_off;
	void *body_owner;
	char in[PSD_HTTP_REQUEST_BYTES_MAX];
	char out[PSD_HTTP_SMALL_BYTES];
};

struct psd_http_stats {
	uint64_t accepted;
	uint64_t refused[_PSD_HTTP_REFUSED_MAX];
	uint64_t evicted[_PSD_HTTP_EVICTED_MAX];
	uint64_t timeouts[_PSD_HTTP_TIMEOUT_MAX];
	uint64_t closed[_PSD_HTTP_CLOSED_MAX];
	uint64_t requests[_PSD_HTTP_EP_MAX][_PSD_HTTP_STATUS_MAX];
	uint64_t response_bytes;
};

/* A condition logged once, then a line a minute with how many more there were. */
struct psd_http_repeat {
	uint64_t next_ns;
	uint64_t suppressed;
};

enum psd_http_condition {
	PSD_HTTP_COND_REFUSED,        /* any refusal */
	PSD_HTTP_COND_EVICTED,
	PSD_HTTP_COND_IDLE,           /* idle timeouts: ordinary keep-alive ends, INFO */
	PSD_HTTP_COND_HEADER,
	PSD_HTTP_COND_WRITE,
	PSD_HTTP_COND_OUTPUT,         /* the output budget or the metrics limit hit */
	_PSD_HTTP_COND_MAX,
};

struct psd_http_listener {
	struct psd_http_ops ops;
	void *ctx;
	struct psd_http_time now;
	uint32_t open;
	uint64_t output_bytes; /* bodies held, at most PSD_HTTP_OUTPUT_BYTES_MAX */
	struct psd_http_stats stats;
	struct psd_http_repeat repeat[_PSD_HTTP_COND_MAX];
	struct psd_http_conn conn[PSD_HTTP_CONNECTIONS_MAX];
};

/* l is zero-filled memory of sizeof(*l) (the caller allocates it once). */
void psd_http_init(struct psd_http_listener *l, const struct psd_http_ops *ops, void *ctx);

/* A connection accepted from addr: its slot (another connection may have been evicted for it,
 * closed() told first), or -1: refused, close it at once. */
int psd_http_accept(struct psd_http_listener *l, struct psd_http_time now,
		    const uint8_t addr[PSD_HTTP_ADDR_LEN]);
/* accept() failed for want of a file descriptor: the connection was taken and closed. */
void psd_http_refuse_fds(struct psd_http_listener *l, struct psd_http_time now);

/* Where to read the connection's next bytes: the room left in its input buffer (0: none). */
size_t psd_http_read_space(struct psd_http_listener *l, uint32_t slot, char **ret);
/* n bytes were read there (0: the client's end). Returns the connection's wants, 0 once it was
 * closed (closed() told). */
unsigned psd_http_received(struct psd_http_listener *l, uint32_t slot, struct psd_http_time now,
			   size_t n);
/* The bytes waiting to be written, in order, as up to two spans; how many spans. */
size_t psd_http_output(const struct psd_http_listener *l, uint32_t slot,
		       struct psd_http_span ret[2]);
/* n of them were written. Returns the wants, as psd_http_received does. */
unsigned psd_http_sent(struct psd_http_listener *l, uint32_t slot, struct psd_http_time now,
		       size_t n);
/* The socket failed (reset, broken pipe): the connection is closed. */
void psd_http_failed(struct psd_http_listener *l, uint32_t slot, struct psd_http_time now);
unsigned psd_http_wants(const struct psd_http_listener *l, uint32_t slot);

/* The earliest deadline of an open connection; UINT64_MAX when none (no timer is needed). */
uint64_t psd_http_next_deadline(const struct psd_http_listener *l);
/* Closes every connection whose deadline has passed, counted by timeout kind. */
void psd_http_expire(struct psd_http_listener *l, struct psd_http_time now);
/* Closes everything (the daemon stops). */
void psd_http_close_all(struct psd_http_listener *l);

/* The portsyncd_http_* families (docs/metrics.md) into buf; its length, or size when it did
 * not fit. */
size_t psd_http_render(const struct psd_http_listener *l, char *buf, size_t size);

/* Traps when an invariant above does not hold. */
void psd_http_check(const struct psd_http_listener *l);

#endif
