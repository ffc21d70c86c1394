/*
 * Keyspace subscriptions (watch.c): what the daemon must learn from Redis comes from keyspace
 * notifications, as swss-common's SubscriberStateTable learns it, not from polls. A module: its
 * state is struct psd_watch, changed only by watch.c; it is called only by the engine.
 *
 * Two databases are watched, each through its Redis instance's subscription connection (the
 * adapter shares one per instance):
 *   APPL_DB    PORT_TABLE<sep>*: whether a port exists, so a link change costs one round trip
 *              (links.c keeps what is known per port, verified by a full read at each subscribe);
 *   CONFIG_DB  LOGGER<sep>portsyncd, PORTSYNCD_ALERT_SILENCE<sep>portsyncd, PORT<sep>*: the log
 *              settings, the silences, a CONFIG_DB written again after Redis came back empty.
 * A database is "watched" once its patterns are confirmed and the server publishes the keyspace
 * events they need (notify-keyspace-events with K and the hash and generic classes: SONiC's
 * "AKE"). Until then, and for a server that publishes none (said once in the log and in the
 * metrics), the daemon does as it would without: a look-up per link change, the polls.
 *
 * A lost subscription connection is connected again with the same capped, jittered backoff as
 * the databases; the time it was away, notifications may have been missed, so what it watches is
 * read again in full once it is back (the engine hands that on as each database turns watched).
 *
 * Invariants: a database is watched only while its subscription is up; a reconnect is pending
 * only while it is down; the patterns fit PSD_WATCH_PATTERN_LEN_MAX.
 */
#ifndef PSD_WATCH_H
#define PSD_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "psd/core.h"
#include "repeat.h"

struct psd_ctx;

#define PSD_WATCH_PATTERNS_MAX 3u     /* channel patterns of one database */
#define PSD_WATCH_PATTERN_LEN_MAX 63u /* bytes of one pattern */

enum psd_watch_state {
	PSD_WATCH_IDLE,       /* not asked (before start-up, or a database not watched) */
	PSD_WATCH_ASKED,      /* a subscription asked for, not yet confirmed */
	PSD_WATCH_DOWN,       /* lost or failed: asked again at reconnect_due_ns */
	PSD_WATCH_UP,         /* confirmed */
};

/* What a keyspace notification is about. */
enum psd_watch_subject {
	PSD_WS_OTHER,         /* nothing of ours */
	PSD_WS_APPL_PORT,     /* APPL_DB PORT_TABLE<sep><name>: *ret_name */
	PSD_WS_LOGGER,        /* CONFIG_DB LOGGER<sep>portsyncd */
	PSD_WS_SILENCES,      /* CONFIG_DB PORTSYNCD_ALERT_SILENCE<sep>portsyncd */
	PSD_WS_CONFIG_PORT,   /* CONFIG_DB PORT<sep><name> */
};

struct psd_watch_db {
	enum psd_watch_state state;
	bool events;                /* UP and the server publishes what the patterns need */
	bool told_events;           /* whether it does was logged, for this subscription */
	uint32_t attempts;
	uint64_t reconnect_due_ns;
	uint64_t down_since_ns;
	struct psd_repeat failing;
	uint32_t count;             /* patterns */
	char pattern[PSD_WATCH_PATTERNS_MAX][PSD_WATCH_PATTERN_LEN_MAX + 1];
	const char *argv[PSD_WATCH_PATTERNS_MAX];
	size_t len[PSD_WATCH_PATTERNS_MAX];
	char flags[PSD_KEYSPACE_FLAGS_MAX + 1]; /* what the server said it publishes */
};

struct psd_watch {
	struct psd_watch_db db[_PSD_DB_MAX];
	uint32_t emit;              /* bit per database: PSD_ACT_WATCH to hand out */
	uint32_t changed;           /* bit per database whose watched-ness changed: for the engine */
	uint64_t rng;
};

void psd_watch_init(struct psd_ctx *c, struct psd_watch *w);
/* Start-up begins: both databases are asked for. */
void psd_watch_begin(struct psd_ctx *c, struct psd_watch *w);
void psd_watch_up(struct psd_ctx *c, struct psd_watch *w, enum psd_db db, bool flags_known,
		  const char *flags);
void psd_watch_down(struct psd_ctx *c, struct psd_watch *w, enum psd_db db,
		    enum psd_db_down_cause cause, const char *detail);
/* What a notification of key in db is about; for PSD_WS_APPL_PORT, the port's name. */
enum psd_watch_subject psd_watch_subject(struct psd_ctx *c, struct psd_watch *w, enum psd_db db,
					 const struct psd_str *key, struct psd_str *ret_name);
void psd_watch_timer(struct psd_ctx *c, struct psd_watch *w);
bool psd_watch_pull(struct psd_ctx *c, struct psd_watch *w, struct psd_action *ret);
uint64_t psd_watch_deadline(const struct psd_watch *w);
/* The databases whose watched-ness changed since the last call (bit per database). */
uint32_t psd_watch_take_changed(struct psd_watch *w);
/* Accessor: db is watched (notifications of what it holds are coming). */
bool psd_watch_active(const struct psd_watch *w, enum psd_db db);
void psd_watch_check(const struct psd_ctx *c, const struct psd_watch *w);

#endif
