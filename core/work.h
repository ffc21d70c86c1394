/*
 * The core's shared vocabulary: what a Redis command's tag says (its kind, database, epoch and
 * port), the singleton work the outbox queues, and the requests a module hands the engine.
 *
 * A module never calls another: it records in its own `wants` what it needs done elsewhere, and
 * the engine, the only dispatcher, takes those requests after each call and carries them out.
 */
#ifndef PSD_WORK_H
#define PSD_WORK_H

#include <stdint.h>

/* Tags: the kind of command in the top byte, a port index or sub-kind below. */
enum psd_tag_kind {
	TAG_LOG_LEVEL = 1,
	TAG_LOG_OUTPUT,
	TAG_LOG_SET,
	TAG_SCRIPT_LOAD,
	TAG_SWITCH_TYPE,
	TAG_WARM_SYSTEM,
	TAG_WARM_SWSS,
	TAG_RESTORE_GET,
	TAG_RESTORE_SET,
	TAG_KEYS,
	TAG_CONFIG_GET,   /* HGETALL PORT|<name>, index = port */
	TAG_CONFIG_SET,   /* producer set of a port, index = port */
	TAG_CONFIG_DONE,
	TAG_PRUNE,        /* index = port */
	TAG_LOOKUP,       /* index = port */
	TAG_WRITE,        /* index = port */
	TAG_DELETE,       /* index = port */
	TAG_INIT_DONE,
	TAG_POLL_LEVEL,
	TAG_POLL_OUTPUT,
	TAG_VERIFY_SCRIPT,   /* after a reconnect: SCRIPT LOAD again (a restarted Redis forgot it) */
	TAG_VERIFY_STATE,    /* after a reconnect: does STATE_DB still hold restore_count? */
	TAG_VERIFY_APPL,     /* after a reconnect: does APPL_DB still hold PortConfigDone? */
	TAG_VERIFY_STAGED,   /* ... or its producer (not yet consumed) form */
	TAG_REWRITE,         /* restore_count written again after a Redis lost it */
	TAG_SEEN_APPL,       /* start-up (field): did APPL_DB hold PortConfigDone before our copy? */
	TAG_SEEN_STAGED,     /* ... or its producer form */
	TAG_INFO,            /* INFO server: the server's run_id, index = database */
	TAG_LINK_STATS,      /* HSET PORT_LINK_STATS|<name>, index = port (observe.c) */
	/* alerts.c */
	TAG_ALERT_SYNC,      /* HSET or DEL STATE_DB PORTSYNCD_ALERT|<rule>|<subject> */
	TAG_ALERT_RETIRE,    /* DEL of an entry whose rule a reload removed */
	TAG_ALERT_SILENCE,   /* HGETALL CONFIG_DB PORTSYNCD_ALERT_SILENCE|portsyncd */
	TAG_ALERT_SWEEP,     /* KEYS STATE_DB PORTSYNCD_ALERT|*: what an earlier run left */
	TAG_WARM_KEYS,       /* warm restore (warm.c): KEYS STATE_DB PORT_TABLE|* */
	TAG_WARM_ENTRY,      /* ... HGETALL STATE_DB PORT_TABLE|<name>, index = port */
	TAG_WARM_TIMER,      /* ... HGET CONFIG_DB WARM_RESTART|swss portsyncd_timer */
	TAG_WARM_COUNT,      /* ... HGET APPL_DB PORT_TABLE:PortConfigDone count */
	TAG_WARM_STATE,      /* HSET STATE_DB WARM_RESTART_TABLE|portsyncd state <state> */
	TAG_APPL_KEYS,       /* KEYS APPL_DB PORT_TABLE:*: what APPL_DB holds (links_appl.c) */
};

/* Tags: the kind in the top byte, the database below it, the epoch below that, and a port index
 * or zero at the bottom. */
#define PSD_TAG(kind, index) (((uint64_t)(kind) << 56) | (uint64_t)(index))
#define PSD_TAG_KIND(tag) ((enum psd_tag_kind)((tag) >> 56))
#define PSD_TAG_DB(tag) ((enum psd_db)(((tag) >> 48) & 0xffu))
#define PSD_TAG_EPOCH(tag) ((uint16_t)((tag) >> 32))
#define PSD_TAG_INDEX(tag) ((uint32_t)(tag))

/* Singleton work queued for pull: start-up commands and daemon actions. */
enum psd_todo {
	TODO_HGET_LOG_LEVEL,
	TODO_HGET_LOG_OUTPUT,
	TODO_HSET_LOGGER,
	TODO_SCRIPT_LOAD,
	TODO_HGET_SWITCH_TYPE,
	TODO_HGET_WARM_SYSTEM,
	TODO_HGET_WARM_SWSS,
	TODO_HGET_RESTORE,
	TODO_HSET_RESTORE,
	TODO_KEYS_PORT,
	TODO_CONFIG_DONE,
	TODO_INIT_DONE,
	TODO_POLL_LOG_LEVEL,
	TODO_POLL_LOG_OUTPUT,
	TODO_NL_DUMP,
	TODO_NL_LISTEN,
	TODO_LIST_IFACES,
	TODO_LOG_CONFIG,
	TODO_NOTIFY_READY,
	TODO_NOTIFY_STATUS,
	TODO_NOTIFY_HEALTH,   /* STATUS=health: <verdict>[: <why>] */
	TODO_NOTIFY_STOPPING,
	TODO_NOTIFY_WATCHDOG,
	TODO_VERIFY_SCRIPT,
	TODO_VERIFY_STATE,
	TODO_VERIFY_APPL,
	TODO_VERIFY_STAGED,
	TODO_RESTORE_REWRITE, /* HSET restore_count again after STATE_DB lost it */
	TODO_SEEN_APPL,
	TODO_SEEN_STAGED,
	TODO_INFO_CONFIG,     /* INFO server on each connection: who answers (run_id) */
	TODO_INFO_APPL,
	TODO_INFO_STATE,
};

/* What a module asks the engine to do; a bit each, collected in the module's `wants`. */
enum psd_want {
	PSD_WANT_DUMP = 1u << 0,          /* start-up: the first dump of every link, unless one is out */
	PSD_WANT_LISTENING = 1u << 1,     /* start-up is over: link messages are applied from now */
	PSD_WANT_REFUSED = 1u << 2,       /* start-up: Redis refused a command: this run is abandoned */
	PSD_WANT_RETRY = 1u << 3,         /* refused (or awaited) work runs again in PSD_REFUSED_RETRY_NS */
	PSD_WANT_EXIT = 1u << 4,          /* start-up cannot go on: stop now, exit status 1 */
	PSD_WANT_ANNOUNCE_AGAIN = 1u << 5, /* APPL_DB re-copied: PortInitDone is due again */
	PSD_WANT_OUTAGE = 1u << 6,        /* recovery: a connection was lost */
	PSD_WANT_RECONNECTED = 1u << 7,   /* recovery: every connection is back after an outage */
	PSD_WANT_REWRITE_ALL = 1u << 8,   /* recovery: STATE_DB lost or may hold old data: rewrite */
	PSD_WANT_RECONCILE = 1u << 9,     /* recovery: ... and configured ports without a netdev go */
	PSD_WANT_RECOPY = 1u << 10,       /* recovery: APPL_DB lost the port entries: copy again */
	PSD_WANT_SWEEP = 1u << 11,        /* resync: a complete dump: ports it did not report are gone */
	PSD_WANT_RECONCILE_RESTORED = 1u << 12, /* warm: the entries STATE_DB held for ports whose
	                                         * netdev is gone lose our fields */
	PSD_WANT_FATAL = 1u << 13,        /* recovery: a database cannot be used: stop now, exit 1 */
};

#endif
