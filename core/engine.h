/*
 * The core's private state, shared by its modules:
 *   startup.c  the start-up sequence of contract §1 (one phase at a time, replies awaited);
 *   links.c    the per-message decision chain of §2.3 and the port machine's work;
 *   emit.c     formatting of the commands and records that psd_core_pull() hands out;
 *   engine.c   the public API: init, push, pull, deadlines, invariants.
 * Invariants are in core.h; psd_core_check() asserts them.
 */
#ifndef PSD_ENGINE_H
#define PSD_ENGINE_H

#include "port_table.h"
#include "psd/core.h"
#include "text.h"
#include "warm.h"

enum psd_phase {
	PH_IDLE,          /* waiting for PSD_EV_START */
	PH_LOGGER,        /* HGET LOGGER|portsyncd LOGLEVEL/LOGOUTPUT, SCRIPT LOAD */
	PH_LOGGER_SET,    /* HSET LOGGER|portsyncd (a field was missing) */
	PH_SWITCH_TYPE,   /* HGET DEVICE_METADATA|localhost switch_type */
	PH_WARM_ENABLE,   /* HGET WARM_RESTART_ENABLE_TABLE|system and |swss enable */
	PH_RESTORE_GET,   /* HGET WARM_RESTART_TABLE|portsyncd restore_count */
	PH_RESTORE_SET,   /* HSET WARM_RESTART_TABLE|portsyncd restore_count */
	PH_KEYS,          /* KEYS PORT|* */
	PH_CONFIG_COPY,   /* HGETALL PORT|<name> and producer sets (cold) */
	PH_CONFIG_DONE,   /* producer set PortConfigDone (cold) */
	PH_PRUNE,         /* HEXISTS PORT_TABLE:<name> admin_status (cold) */
	PH_IFACES,        /* waiting for PSD_EV_IFACES; then old netdevs go down */
	PH_REFUSED,       /* Redis refused a start-up command: start again after a pause */
	PH_RUNNING,
	PH_STOPPING,
	PH_EXITED,
};

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
	TAG_WARM_KEYS,       /* warm restore (warm.c): KEYS STATE_DB PORT_TABLE|* */
	TAG_WARM_ENTRY,      /* ... HGETALL STATE_DB PORT_TABLE|<name>, index = port */
	TAG_WARM_TIMER,      /* ... HGET CONFIG_DB WARM_RESTART|swss portsyncd_timer */
	TAG_WARM_COUNT,      /* ... HGET APPL_DB PORT_TABLE:PortConfigDone count */
	TAG_WARM_STATE,      /* HSET STATE_DB WARM_RESTART_TABLE|portsyncd state <state> */
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

#define PSD_TODO_RING 32u

struct psd_log_record {
	enum psd_log_level level;
	char text[PSD_LOG_LINE_MAX];
};

struct psd_old_iface {
	int32_t ifindex;
	char name[PSD_IFNAME_LEN_MAX + 1];
};

/* A CONFIG_DB port hash waiting to be written through the producer script. */
struct psd_config_copy {
	bool pending;
	uint32_t port;
	uint32_t pairs;
	struct psd_str field[PSD_PORT_FIELDS_MAX];
	struct psd_str value[PSD_PORT_FIELDS_MAX];
	size_t used;
	char bytes[PSD_PORT_CONFIG_BYTES_MAX];
};

struct psd_core {
	struct psd_limits lim;
	struct psd_config cfg;
	struct psd_stats stats;
	uint64_t now_ns;
	enum psd_phase phase;
	unsigned replies_awaited; /* replies the current start-up phase still waits for */

	/* logger */
	enum psd_log_level log_level;
	enum psd_log_output log_output;
	char log_level_text[PSD_DB_VALUE_LEN_MAX + 1];
	char log_output_text[PSD_DB_VALUE_LEN_MAX + 1];
	bool log_level_found;
	bool log_output_found;
	bool log_poll_inflight;
	uint64_t log_bad_hash[2];  /* LOGLEVEL, LOGOUTPUT: the bad value last logged, 0: none */
	uint64_t log_poll_due_ns;

	/* start-up decisions */
	char script_sha[41];
	bool dpu;
	bool warm_enabled;
	bool warm;
	bool appl_kept;           /* APPL_DB held PortConfigDone at start: it was not flushed */
	bool appl_decided;        /* a start-up run has found appl_kept ... */
	bool appl_kept_first;     /* ... and this is what it found: it decides what is old */
	uint64_t restore_count;
	uint32_t config_ports;    /* configured ports in the table */
	uint32_t config_written;  /* ports written to APPL_DB: PortConfigDone's count */
	uint32_t cursor;          /* next port index for HGETALL or prune */
	uint32_t cursor_replies;  /* HGETALL or prune replies outstanding */
	struct psd_old_iface *old_ifaces;
	uint32_t old_count;
	uint32_t old_emitted;
	struct psd_imap old_by_ifindex; /* ifindex -> index in old_ifaces */

	/* Redis connections (recovery.c) */
	bool db_up[_PSD_DB_MAX];
	bool db_connecting[_PSD_DB_MAX];
	uint32_t db_attempts[_PSD_DB_MAX];
	uint64_t db_connect_due_ns[_PSD_DB_MAX];
	uint32_t db_connect_emit;   /* bit per database: PSD_ACT_DB_CONNECT to hand out */
	uint32_t inflight_db[_PSD_DB_MAX];
	bool outage;                /* a connection was lost since the last full recovery */
	uint16_t epoch;             /* +1 per lost connection; singleton replies of older epochs
	                             * are ignored (their work is redone on recovery) */
	unsigned verify_awaited;    /* verification replies outstanding after a reconnect */
	bool verify_state_lost;
	bool verify_appl_found;
	char run_id[_PSD_DB_MAX][PSD_RUN_ID_LEN + 1]; /* of the server behind each connection */
	uint32_t verify_restarted;  /* bit per database whose server's run_id changed */
	bool restart_reconcile;     /* a restarted Redis: the first complete dump reconciles */
	bool config_awaited;        /* a re-copy found CONFIG_DB empty: it is asked again */
	bool verify_refused;        /* Redis answered a verification with an error (LOADING) */
	bool verify_retry;          /* ... so the verification runs again after a pause */
	bool recopy;                /* rewriting APPL_DB port entries after Redis lost them */
	bool startup_restart;       /* start-up was interrupted: run it again once reconnected */
	bool reconciled;            /* the first complete dump cleared stale STATE_DB entries */
	bool recopy_refused;        /* Redis refused part of a re-copy: do it again after a pause */
	uint64_t refused_retry_ns;  /* when refused start-up or re-copy work runs again */
	bool restore_decided;       /* warm or cold decided, restore_count chosen */
	uint64_t rng;
	uint64_t last_reply_ns;
	uint64_t inflight_since_ns; /* when the count of unanswered commands last rose from 0 */
	bool stalled;               /* unanswered for cfg.redis_stall_ns: logged, in STATUS= */
	uint64_t stall_since_ns;

	/* netlink resynchronisation (resync.c) */
	uint32_t resync_gen;        /* generation of the current (or last) dump */
	bool dump_active;           /* a dump was requested and its DONE has not come */
	bool dump_tainted;          /* the current dump had a malformed datagram: no sweep */
	bool redump_wanted;         /* data was lost: a new dump is needed */
	bool backlog_stale;         /* an overrun: what the event socket still holds predates the
	                             * loss; discarded until read empty, then the re-dump */
	uint64_t stale_bytes_left;  /* of that backlog at most (cfg.nl_rcvbuf_bytes) */
	uint64_t stale_datagrams;   /* discarded in the current backlog */
	uint64_t last_dump_ns;
	uint64_t redump_due_ns;

	/* systemd watchdog */
	uint64_t watchdog_due_ns;

	/* running */
	uint32_t dump_seq;
	bool saw_datagram;
	bool init_done_sent;
	bool init_done_acked;
	bool init_done_retry;  /* Redis refused PortInitDone: sent again at the next re-check */
	uint32_t portset_count;
	uint64_t exit_deadline_ns;
	bool exit_emitted;

	/* queues */
	struct psd_port_table ports;
	uint32_t *sendq;
	uint32_t sendq_head;
	uint32_t sendq_len;
	uint32_t inflight;
	uint32_t park_head;
	uint32_t park_tail;
	uint32_t parked;
	uint64_t recheck_due_ns;
	uint64_t recheck_interval_ns; /* PSD_APPL_RECHECK_FIRST_NS, doubling to PSD_APPL_RECHECK_NS */
	uint8_t todo[PSD_TODO_RING];
	uint32_t todo_head;
	uint32_t todo_len;
	struct psd_log_record logs[PSD_LOG_RING];
	uint64_t log_dropped_reported; /* stats.log_dropped already said in a log record */
	uint64_t missing_summary_ns;   /* next summary of ports still missing in APPL_DB */
	uint64_t refused_repeats;      /* refusals not logged since the last line (one a minute) */
	uint64_t refused_log_ns;       /* when a refusal may be logged again */
	uint64_t table_full_log_ns;    /* when "port table full" may be logged again */
	uint32_t config_overflow;      /* CONFIG_DB ports the port table could not hold */
	int exit_status;
	uint32_t log_head;
	uint32_t log_len;

	/* link analytics queue: ports whose PORT_LINK_STATS is to be written (observe.c) */
	uint32_t stats_head;
	uint32_t stats_tail;
	uint32_t stats_len;
	uint64_t stats_due_ns;  /* the queue goes out from then (PSD_LINK_STATS_DELAY_NS) */
	const char *link_cause; /* what the link message being handled is, for the event log */

	/* warm restart (warm.c) */
	struct psd_warm warm_restart;

	/* a producer set waiting to go out, built from an HGETALL reply */
	struct psd_config_copy copy;

	/* storage behind the action handed out by the last pull */
	const char *argv[3u * PSD_PORT_FIELDS_MAX + 8u];
	size_t argv_len[3u * PSD_PORT_FIELDS_MAX + 8u];
	char scratch[8][PSD_DB_KEY_LEN_MAX + 1];
	char status[160];
};

/* engine.c */
void psd_todo(struct psd_core *c, enum psd_todo t);
bool psd_tag_is_port_command(enum psd_tag_kind kind);
/* Drops the queued singletons that are Redis commands (an outage makes them stale). */
void psd_todo_purge_commands(struct psd_core *c);
/* A log record being built, or NULL when level is below the current threshold. */
struct psd_text *psd_log_begin(struct psd_core *c, enum psd_log_level level, struct psd_text *t);
void psd_log_end(struct psd_core *c, struct psd_text *t);
void psd_log_line(struct psd_core *c, enum psd_log_level level, const char *a, const char *b);

/* Ends a Redis stall (logged with how, STATUS= updated); nothing when Redis was not stalled. */
void psd_stall_end(struct psd_core *c, const char *how);

/* Keeps the run_id of an INFO server reply for db; true when it differs from the one kept. */
bool psd_run_id_changed(struct psd_core *c, enum psd_db db, const struct psd_reply *r);

/* startup.c */
void psd_startup_begin(struct psd_core *c);
void psd_startup_reply(struct psd_core *c, const struct psd_reply *r);
void psd_startup_ifaces(struct psd_core *c, const struct psd_iface *ifaces, size_t count);
bool psd_startup_pull(struct psd_core *c, struct psd_action *ret);
void psd_logger_reply(struct psd_core *c, const struct psd_reply *r);

/* recovery.c: Redis connections, backoff, verification after a reconnect */
void psd_recovery_init(struct psd_core *c);
void psd_recovery_up(struct psd_core *c, enum psd_db db);
void psd_recovery_down(struct psd_core *c, enum psd_db db);
void psd_recovery_reply(struct psd_core *c, const struct psd_reply *r);
void psd_recovery_timer(struct psd_core *c);
bool psd_recovery_pull(struct psd_core *c, struct psd_action *ret);
uint64_t psd_recovery_deadline(const struct psd_core *c);
bool psd_all_up(const struct psd_core *c);
bool psd_todo_is_command(enum psd_todo t);

/* resync.c: netlink loss and re-dumps */
void psd_resync_loss(struct psd_core *c, enum psd_nl_loss why);
void psd_resync_dump_request(struct psd_core *c);
void psd_resync_dump_done(struct psd_core *c, bool interrupted);
void psd_resync_timer(struct psd_core *c);
/* An event-socket datagram: true when it is part of a stale backlog and must be discarded. */
bool psd_resync_stale(struct psd_core *c, size_t len);
/* The event socket was read empty: a stale backlog has ended. */
void psd_resync_drained(struct psd_core *c);

/* startup.c, again */
void psd_startup_restart(struct psd_core *c);
void psd_recovery_refused(struct psd_core *c, const struct psd_reply *r);
/* Logs what Redis refused, with Redis's own error r, and runs the refused work again after
 * PSD_REFUSED_RETRY_NS. */
void psd_recovery_retry_later(struct psd_core *c, const char *what, const struct psd_reply *r);
void psd_recovery_recopy(struct psd_core *c);

/* links.c */
void psd_links_datagram(struct psd_core *c, const uint8_t *bytes, size_t len, bool from_dump);
void psd_links_reply(struct psd_core *c, const struct psd_reply *r);
void psd_links_timer(struct psd_core *c);
bool psd_links_pull(struct psd_core *c, struct psd_action *ret);
void psd_links_check_init_done(struct psd_core *c);
/* Re-evaluates every known port as if its netdev had just been reported (a rewrite). */
void psd_links_rewrite_all(struct psd_core *c);
/* Removes our fields from the entries of ports without a netdev: configured ones (a restarted
 * Redis may hold them from an older snapshot) and ones a warm restore found in STATE_DB; with
 * restored_only, the latter alone (a warm restart's reconciliation). */
void psd_links_reconcile_absent(struct psd_core *c, bool restored_only);
/* Treats a port as deleted (resync sweep, rename). */
void psd_links_gone(struct psd_core *c, uint32_t idx);
/* Requeues the port commands lost with db's connection. */
void psd_links_replay(struct psd_core *c, enum psd_db db);

/* observe.c: metrics counters, latency histograms and link analytics */
void psd_observe_init(struct psd_core *c);
/* Before an event is handled (its time is c->now_ns). */
void psd_observe_event(struct psd_core *c, const struct psd_event *ev);
/* After an action was pulled. */
void psd_observe_action(struct psd_core *c, const struct psd_action *a);
/* A port's desired state is about to change: the start of its ack latency. */
void psd_observe_change(struct psd_core *c, struct psd_port *p);
/* A present port's new link state (before it is stored in p). */
void psd_observe_link(struct psd_core *c, uint32_t idx, bool oper_up, bool admin_up);
/* A port's netdev is gone. */
void psd_observe_gone(struct psd_core *c, uint32_t idx);
bool psd_link_stats_pull(struct psd_core *c, struct psd_action *ret);
void psd_link_stats_reply(struct psd_core *c, const struct psd_reply *r);
/* Link changes in the flap window ending at now. */
uint32_t psd_port_flaps(const struct psd_port *p, uint64_t now_ns);

/* emit.c */
void psd_emit_todo(struct psd_core *c, enum psd_todo t, struct psd_action *ret);
void psd_emit_config_get(struct psd_core *c, uint32_t port, struct psd_action *ret);
void psd_emit_config_set(struct psd_core *c, struct psd_action *ret);
void psd_emit_prune(struct psd_core *c, uint32_t port, struct psd_action *ret);
void psd_emit_port_op(struct psd_core *c, uint32_t port, struct psd_action *ret);
void psd_emit_link_stats(struct psd_core *c, uint32_t port, struct psd_action *ret);
/* A warm restart command (TAG_WARM_*); port for TAG_WARM_ENTRY, state for TAG_WARM_STATE. */
void psd_emit_warm(struct psd_core *c, enum psd_tag_kind kind, uint32_t port, const char *state,
		   struct psd_action *ret);
/* Builds "<table><sep><name>" for db into a scratch slot; returns its length. */
size_t psd_table_key(struct psd_core *c, unsigned slot, enum psd_db db, const char *table,
		     const char *name, size_t name_len);

/* An error reply whose text starts with code ("WRONGTYPE", "LOADING"): Redis's error classes. */
bool psd_reply_error_is(const struct psd_reply *r, const char *code);
/* Appends Redis's error text of r, quoted and escaped. */
void psd_text_reply_error(struct psd_text *t, const struct psd_reply *r);

static inline bool psd_str_is(const struct psd_str *s, const char *lit)
{
	size_t n = __builtin_strlen(lit);
	return s->len == n && __builtin_memcmp(s->ptr, lit, n) == 0;
}

#endif
