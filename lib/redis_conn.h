/*
 * One Redis connection's protocol, without I/O: the daemon's socket adapter (adapters/redis.c)
 * hands it the bytes it read and writes the bytes it holds; the fuzzers and the tests drive the
 * same code with bytes of their own. Everything a server can say is judged here:
 *
 *  - replies are parsed by hiredis's reader (its I/O-free half), into reply objects of our own
 *    whose sizes are capped (PSD_RCONN_ELEMENTS_MAX elements in an array, PSD_RCONN_REPLY_MAX
 *    bytes of one reply, buffered or built); hiredis caps the nesting;
 *  - each reply answers the oldest command sent; a reply with no command pending, a reply of a
 *    type its command cannot have (an integer to an HGETALL, an array to an HSET: the command's
 *    `expect`, from the core), an array holding anything but strings, or bytes that are not
 *    RESP: the connection is done for. It is closed and reported down with
 *    PSD_DOWN_PROTOCOL and what was wrong, so that the core connects again after its backoff
 *    and writes again everything the connection may have acknowledged wrongly;
 *  - the connection's own set-up, SELECT of its database, comes first: +OK reports it up
 *    (PSD_EV_DB_UP); a refusal closes it and reports it down with the cause the error names
 *    (NOAUTH and WRONGPASS: a password is asked; "out of range": no such database) and
 *    Redis's own error text.
 *
 * Events go to a sink (lib/driver.h): in the daemon the driver, the core's one entry, so nothing
 * but the driver sits between these bytes and the core; in the tests and fuzzers their own.
 *
 * Invariants: the pending queue holds the commands written and not yet answered, oldest first,
 * at most PSD_RCONN_PENDING_MAX; the output holds at most PSD_RCONN_OUT_MAX bytes not yet
 * written (a command that would pass it closes the connection, as a protocol failure of ours
 * would: the core sends it again after the reconnect); once closed, a connection takes no bytes,
 * sends none and reports nothing more.
 */
#ifndef PSD_REDIS_CONN_H
#define PSD_REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"
#include "psd/core.h"

#define PSD_RCONN_ELEMENTS_MAX (1u << 22)   /* elements of one array reply */
#define PSD_RCONN_REPLY_MAX (64u << 20)     /* bytes of one reply, read or built */
#define PSD_RCONN_OUT_MAX (64u << 20)       /* bytes of commands not yet written */
#define PSD_RCONN_PENDING_MAX (PSD_INFLIGHT_LIMIT + 8u) /* commands awaiting a reply */
#define PSD_RCONN_ERROR_MAX 160u            /* bytes of the text saying what went wrong */

/* A data connection SELECTs one database and carries the core's commands; a subscription
 * connection (one per Redis instance) asks the server's notify-keyspace-events, then
 * PSUBSCRIBEs to the keyspace channels of each database watched on it, and hands on their
 * notifications (PSD_EV_WATCH_UP once a database's patterns are confirmed, PSD_EV_KEYSPACE for
 * each notification, PSD_EV_WATCH_DOWN for each when it ends). */
enum psd_rconn_role {
	PSD_RCONN_DATA,
	PSD_RCONN_WATCH,
};

#define PSD_RCONN_PATTERNS_MAX 8u /* channel patterns one database is watched with */

enum psd_rconn_state {
	PSD_RCONN_SELECTING, /* SELECT sent, not yet answered */
	PSD_RCONN_UP,        /* SELECT answered +OK: the core's commands go out */
	PSD_RCONN_CLOSED,    /* done for: the adapter closes the socket */
};

struct psd_rconn_pending;
struct psd_rconn_object;

struct psd_rconn {
	enum psd_rconn_role role;
	enum psd_db db;
	uint32_t db_id;
	enum psd_rconn_state state;
	bool report_up;         /* a reconnect: the SELECT's success is reported (PSD_EV_DB_UP);
	                         * the first connection is up in the core from the start */
	void *reader;           /* hiredis's redisReader */
	size_t reply_max;       /* PSD_RCONN_REPLY_MAX (the tests lower it) */
	size_t reply_bytes;     /* bytes of the reply being built, against reply_max */
	bool over_limit;        /* the reply being parsed passed a limit (error says which) */
	/* written, not yet answered: a ring */
	struct psd_rconn_pending *pending;
	uint32_t pending_head, pending_len, pending_cap;
	/* commands formatted and not yet written */
	char *out;
	size_t out_len, out_sent, out_cap;
	/* a reply handed to the core, borrowed until the next one */
	struct psd_str *elements;
	size_t elements_cap;
	/* a subscription connection */
	uint32_t watching;                   /* bit per database subscribed to (or being) */
	uint32_t watch_id[_PSD_DB_MAX];      /* their Redis database numbers */
	bool flags_known;                    /* the server said its notify-keyspace-events */
	char flags[PSD_KEYSPACE_FLAGS_MAX + 1]; /* ... or why it did not */
	char error[PSD_RCONN_ERROR_MAX]; /* why the connection closed */
	uint64_t replies;                /* replies taken (tests and fuzzers) */
};

/* A new connection of db (Redis database number db_id); the SELECT goes first. 0, or -ENOMEM. */
int psd_rconn_init(struct psd_rconn *c, enum psd_db db, uint32_t db_id, bool report_up);
/* A new subscription connection: up at once (nothing to select); CONFIG GET
 * notify-keyspace-events goes first. 0, or -ENOMEM. */
int psd_rconn_init_watch(struct psd_rconn *c);
/* Watches db (Redis database db_id) on a subscription connection: PSUBSCRIBE patterns (1 to
 * PSD_RCONN_PATTERNS_MAX). 0, or as psd_rconn_command. */
int psd_rconn_watch(struct psd_rconn *c, enum psd_db db, uint32_t db_id, uint32_t count,
		    const char *const *patterns, const size_t *len);
void psd_rconn_free(struct psd_rconn *c);

/* A core command, to be written; expect as in struct psd_action. 0; -EPIPE when the connection
 * is closed; -ENOBUFS or -ENOMEM when it cannot take more (said in error): the caller ends it
 * with psd_rconn_lost(c, d, c->error). */
int psd_rconn_command(struct psd_rconn *c, uint64_t tag, uint32_t expect, uint32_t argc,
		      const char *const *argv, const size_t *argv_len);

/* What is left to write; psd_rconn_written() takes n bytes of it off. */
const char *psd_rconn_output(const struct psd_rconn *c, size_t *ret_len);
void psd_rconn_written(struct psd_rconn *c, size_t n);
/* Commands written (or to be written) and not yet answered. */
uint32_t psd_rconn_pending(const struct psd_rconn *c);

/* Bytes read from the server. Parsing waits for psd_rconn_take(). */
void psd_rconn_feed(struct psd_rconn *c, const char *bytes, size_t len);
/* Parses what was fed and pushes what it means into the sink, in order: replies
 * (PSD_EV_DB_REPLY), the SELECT's outcome (PSD_EV_DB_UP, or PSD_EV_DB_DOWN when refused), and a
 * violation (PSD_EV_DB_DOWN, PSD_DOWN_PROTOCOL). Returns the state after it. */
enum psd_rconn_state psd_rconn_take(struct psd_rconn *c, const struct psd_sink *s);
/* The server closed the connection or the socket failed: reported down (PSD_DOWN_LOST, or
 * PSD_DOWN_CONNECT while the SELECT was unanswered after a reconnect), unless already closed. */
void psd_rconn_lost(struct psd_rconn *c, const struct psd_sink *s, const char *why);

#endif
