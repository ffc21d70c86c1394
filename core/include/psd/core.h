/*
 * The portsyncd core: a pure state machine. Events are pushed in with the current monotonic
 * time; actions are pulled out one at a time; the core says when it next needs a timer.
 *
 * Invariants:
 *  - the core makes no system call, reads no clock, allocates nothing: its memory is one block
 *    of psd_core_size() bytes handed to psd_core_init();
 *  - event payloads are borrowed for the duration of psd_core_push();
 *  - an action's pointers stay valid until the next psd_core_push() or psd_core_pull();
 *  - at most one Redis command per port key is in flight; memory is O(ports), never O(events);
 *  - time passed in never goes backwards (asserted).
 */
#ifndef PSD_CORE_H
#define PSD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/limits.h"
#include "psd/link.h"

enum psd_db {
	PSD_DB_CONFIG,
	PSD_DB_APPL,
	PSD_DB_STATE,
	_PSD_DB_MAX,
};

/* syslog priorities, as SONiC's LOGGER table names them. */
enum psd_log_level {
	PSD_LOG_EMERG,
	PSD_LOG_ALERT,
	PSD_LOG_CRIT,
	PSD_LOG_ERROR,
	PSD_LOG_WARN,
	PSD_LOG_NOTICE,
	PSD_LOG_INFO,
	PSD_LOG_DEBUG,
	_PSD_LOG_LEVEL_MAX,
};

enum psd_log_output {
	PSD_LOG_SYSLOG,
	PSD_LOG_STDOUT,
	PSD_LOG_STDERR,
	_PSD_LOG_OUTPUT_MAX,
};

struct psd_alert_rules;

struct psd_config {
	/* Table separators and numeric ids, from database_config.json. */
	char separator[_PSD_DB_MAX][PSD_SEPARATOR_LEN_MAX + 1];
	uint32_t db_id[_PSD_DB_MAX];
	/* Reproduce the C++ daemon where it is wrong (field-bugs.md `compat` expectations). */
	bool compat;
	/* Level and output given on the command line: CONFIG_DB LOGGER does not override them. */
	bool log_level_pinned;
	enum psd_log_level log_level;
	bool log_output_pinned;
	enum psd_log_output log_output;
	/* Seed of the core's PRNG (reconnect jitter); the adapter draws it, the simulator sets it. */
	uint64_t seed;
	/* Timings, each within the range its PSD_*_MIN/MAX limit names; 0 takes the default. */
	uint64_t reconnect_min_ns;   /* first Redis reconnect delay */
	uint64_t reconnect_max_ns;   /* cap of the exponential backoff */
	uint64_t redump_interval_ns; /* least time between two netlink re-dumps */
	uint64_t watchdog_ns;        /* WATCHDOG_USEC in ns; 0: no watchdog */
	/* The event socket's receive buffer as the kernel sized it (SO_RCVBUF): after an overrun,
	 * the messages still queued are older than the loss and hold at most this many bytes.
	 * 0: unknown (the backlog ends only when the socket is read empty). */
	uint64_t nl_rcvbuf_bytes;
	uint64_t redis_stall_ns;     /* commands unanswered this long: a stall, logged */
	/* Link analytics: STATE_DB PORT_LINK_STATS|<port> and one log line per link transition. */
	bool link_stats;
	/* Ports with per-port metric series (a `port` label); 0 takes PSD_PORT_SERIES_DEFAULT. */
	uint32_t port_series_max;
	/* Wall clock minus the monotonic clock at start, so that the core can write wall-clock
	 * times (last_up, last_down) from the monotonic time it is handed. */
	int64_t realtime_offset_ns;
	/* A database unreachable this long, or a Redis command unanswered this long, makes the
	 * health failing (health_failing_ms); 0 takes the default. */
	uint64_t health_failing_ns;
	/* Alert rules (psd/alert_defs.h), borrowed: copied at init and at PSD_EV_RECONFIGURE, whose
	 * rules replace them. NULL: no rules. */
	const struct psd_alert_rules *alert_rules;
};

/* Why netlink data was lost (PSD_EV_NL_LOSS). */
enum psd_nl_loss {
	PSD_LOSS_ENOBUFS,   /* the event socket's receive buffer overran */
	PSD_LOSS_TRUNCATED, /* a datagram did not fit the receive buffer */
	PSD_LOSS_OVERRUN,   /* NLMSG_OVERRUN */
	PSD_LOSS_MALFORMED, /* a malformed datagram on the event socket */
	PSD_LOSS_DUMP_INTR, /* a dump ended with NLM_F_DUMP_INTR or an error */
	PSD_LOSS_DUMP_ENOBUFS, /* the dump socket's receive buffer overran */
	_PSD_LOSS_MAX,
};

/* A Redis reply, borrowed. Arrays hold bulk strings only (KEYS, HGETALL). */
enum psd_reply_type {
	PSD_REPLY_NIL,
	PSD_REPLY_INTEGER,
	PSD_REPLY_STRING, /* bulk or status */
	PSD_REPLY_ARRAY,
	PSD_REPLY_ERROR,
};

struct psd_str {
	const char *ptr;
	size_t len;
};

/* The bit of a reply type in a command's expect mask (struct psd_action). */
#define PSD_EXPECT(type) (1u << (type))

struct psd_reply {
	uint64_t tag; /* the tag of the command it answers */
	enum psd_reply_type type;
	int64_t integer;
	struct psd_str str;
	const struct psd_str *elements;
	size_t element_count;
};

/* Why a connection is down (PSD_EV_DB_DOWN). */
enum psd_db_down_cause {
	PSD_DOWN_LOST,     /* the server closed it, or the socket failed */
	PSD_DOWN_CONNECT,  /* an attempt to connect failed */
	PSD_DOWN_REFUSED,  /* the server refused its set-up (SELECT); detail: Redis's error */
	PSD_DOWN_AUTH,     /* ... asking for a password (NOAUTH, WRONGPASS) */
	PSD_DOWN_NO_DB,    /* ... the database number is out of the server's range */
	PSD_DOWN_PROTOCOL, /* the server said what was never asked (a reply with no command pending,
	                    * of a type its command cannot have, not RESP): what it acknowledged may
	                    * not have been done */
	_PSD_DOWN_MAX,
};

#define PSD_DB_DETAIL_MAX 159u /* bytes of the detail of a lost connection */

struct psd_iface {
	int32_t ifindex;
	const char *name;
};

enum psd_event_type {
	PSD_EV_START,       /* the adapters are connected: begin start-up */
	PSD_EV_NL_DATAGRAM, /* one datagram from the event socket or the dump socket */
	PSD_EV_DB_REPLY,
	PSD_EV_IFACES,      /* answer to PSD_ACT_LIST_IFACES: the netdevs that exist now */
	PSD_EV_TIMER,       /* psd_core_next_deadline() has passed */
	PSD_EV_SHUTDOWN,    /* SIGTERM or SIGINT */
	PSD_EV_DB_UP,       /* a connection is (re)established and has SELECTed its database */
	PSD_EV_DB_DOWN,     /* a connection was lost, or a PSD_ACT_DB_CONNECT attempt failed */
	PSD_EV_NL_LOSS,     /* the adapter saw netlink data lost (ENOBUFS, MSG_TRUNC) */
	PSD_EV_RECONFIGURE, /* new run-time settings (SIGHUP) */
	PSD_EV_NL_DRAINED,  /* the event socket was read until empty (EAGAIN) */
	PSD_EV_WATCH_UP,    /* a database's keyspace subscription is confirmed (u.watch_up) */
	PSD_EV_WATCH_DOWN,  /* ... is gone, or could not be made (u.down) */
	PSD_EV_KEYSPACE,    /* a keyspace notification (u.keyspace) */
};

#define PSD_KEYSPACE_FLAGS_MAX 31u /* bytes of notify-keyspace-events kept */

struct psd_event {
	enum psd_event_type type;
	union {
		struct {
			const uint8_t *bytes;
			size_t len;
			uint32_t sender_pid; /* sockaddr_nl.nl_pid: 0 for the kernel */
			bool from_dump;      /* read from the dump socket */
		} nl;
		struct psd_reply reply;
		struct {
			const struct psd_iface *ifaces;
			size_t count;
		} ifaces;
		enum psd_db db; /* PSD_EV_DB_UP */
		struct {
			enum psd_db db; /* first: the same as u.db */
			enum psd_db_down_cause cause;
			char detail[PSD_DB_DETAIL_MAX + 1]; /* what the adapter saw; "" if nothing */
		} down; /* PSD_EV_DB_DOWN, PSD_EV_WATCH_DOWN */
		struct {
			enum psd_db db;
			bool flags_known; /* the server said its notify-keyspace-events */
			char flags[PSD_KEYSPACE_FLAGS_MAX + 1]; /* e.g. "AKE" (or what refused it) */
		} watch_up;
		struct {
			enum psd_db db;
			struct psd_str key;   /* the key, without "__keyspace@<id>__:" */
			struct psd_str event; /* what happened to it: hset, del, expired ... */
		} keyspace;
		enum psd_nl_loss loss;
		const struct psd_config *cfg; /* only run-time settings are taken */
	} u;
};

enum psd_action_type {
	PSD_ACT_DB_COMMAND,  /* send argv to db; answer with PSD_EV_DB_REPLY carrying tag */
	PSD_ACT_LOG,         /* a log record */
	PSD_ACT_LOG_CONFIG,  /* apply a log level and output */
	PSD_ACT_NL_DUMP,     /* send RTM_GETLINK dump with seq on the dump socket */
	PSD_ACT_NL_LISTEN,   /* start reading the netlink sockets */
	PSD_ACT_LIST_IFACES, /* enumerate netdevs (if_nameindex) and push PSD_EV_IFACES */
	PSD_ACT_LINK_DOWN,   /* clear IFF_UP on ifindex through netlink */
	PSD_ACT_NOTIFY,      /* an sd_notify state string */
	PSD_ACT_EXIT,        /* leave the loop with this status */
	PSD_ACT_DB_CONNECT,  /* (re)connect db; answer with PSD_EV_DB_UP or PSD_EV_DB_DOWN */
	PSD_ACT_WATCH,       /* subscribe to db's keyspace notifications matching u.watch's patterns,
	                      * on its Redis instance's subscription connection (made if there is
	                      * none); answer with PSD_EV_WATCH_UP or PSD_EV_WATCH_DOWN */
};

#define PSD_ARGV_MAX (2u * PSD_PORT_FIELDS_MAX + 8u)

struct psd_action {
	enum psd_action_type type;
	union {
		struct {
			enum psd_db db;
			uint64_t tag;
			uint32_t expect; /* PSD_EXPECT() of each reply type it may be answered with; an
			                  * error reply always may (Redis refused it); any other is a
			                  * violation of the protocol by the server */
			uint32_t argc;
			const char *const *argv;
			const size_t *argv_len;
		} cmd;
		struct {
			enum psd_log_level level;
			const char *text;
		} log;
		struct {
			enum psd_log_level level;
			enum psd_log_output output;
		} log_config;
		struct {
			uint32_t seq;
		} dump;
		struct {
			int32_t ifindex;
			const char *name;
		} link_down;
		struct {
			const char *text;
		} notify;
		struct {
			int status;
			const char *reason; /* why, when the daemon cannot go on; "" otherwise */
		} exit;
		struct {
			enum psd_db db;
			uint32_t db_id;
			uint32_t count;
			const char *const *patterns;
			const size_t *len;
		} watch;
		enum psd_db db;
	} u;
};

/* A latency histogram: counts per bucket (not cumulative) of psd_hist_bounds_ns, then +Inf. */
struct psd_histogram {
	uint64_t bucket[PSD_HIST_BUCKETS + 1];
	uint64_t count;
	uint64_t sum_ns;
};

/* Netlink messages by type (nlmsg_type), for the metrics. */
enum psd_nl_type {
	PSD_NLT_NEWLINK,
	PSD_NLT_DELLINK,
	PSD_NLT_DONE,
	PSD_NLT_ERROR,
	PSD_NLT_OVERRUN,
	PSD_NLT_OTHER,
	_PSD_NLT_MAX,
};

/* Counters an operator (and the tests) can read. */
struct psd_stats {
	uint64_t nl_datagrams;
	uint64_t nl_messages;
	uint64_t nl_links;
	uint64_t nl_malformed[_PSD_NLE_MAX];
	uint64_t nl_foreign_sender; /* datagrams not from the kernel */
	uint64_t nl_bad_seq;        /* event or dump message with an unexpected sequence */
	uint64_t nl_ignored_types;
	uint64_t nl_overruns;
	uint64_t names_invalid;
	uint64_t msgs_filtered;     /* not Ethernet/PortChannel, team, enslaved DELLINK */
	uint64_t msgs_old_ifindex;
	uint64_t renames;
	uint64_t appl_lookups;
	uint64_t appl_missing;
	uint64_t appl_known_writes; /* link changes written without a look-up (APPL_DB known) */
	uint64_t appl_reads;        /* full reads of APPL_DB PORT_TABLE (each subscribe) */
	uint64_t keyspace_notifications[_PSD_DB_MAX]; /* of what the daemon watches */
	uint64_t watch_losses;      /* keyspace subscriptions lost */
	uint64_t state_writes;
	uint64_t state_deletes;
	uint64_t producer_sets;
	uint64_t db_errors;
	uint64_t ports_refused;     /* port table full */
	uint64_t config_refused;    /* CONFIG_DB port too large or malformed */
	uint64_t log_dropped;       /* records the log ring lost (reported in a later record) */
	uint64_t log_suppressed;    /* repeated lines summarised instead of logged */
	uint64_t redis_disconnects;
	uint64_t redis_connect_failures;
	uint64_t redis_data_lost;   /* reconnects that found a database emptied */
	uint64_t commands_replayed; /* port commands lost with a connection and sent again */
	uint64_t redis_restarts;    /* reconnects that found a restarted server (new run_id) */
	uint64_t redis_stalls;      /* times Redis left commands unanswered for redis_stall_ns */
	uint64_t writes_lost;       /* port states not written when the shutdown bound ran out */
	uint64_t nl_losses[_PSD_LOSS_MAX];
	uint64_t resyncs;           /* netlink re-dumps requested */
	uint64_t resync_deleted;    /* ports found gone by a completed re-dump */
	uint64_t warm_unchanged;    /* warm restart: link states STATE_DB already held, not written */
	uint64_t warm_stale_deleted; /* warm restart: entries of netdevs gone while down, deleted */
	uint64_t nl_stale_datagrams; /* queued before an overrun: discarded, the re-dump rules */
	uint64_t nl_stale_bytes;
	/* metrics (core/observe.c; docs/metrics.md) */
	uint64_t nl_types[_PSD_NLT_MAX];   /* messages by type, bad sequence included */
	uint64_t links_applied;            /* link messages that set a port's desired state */
	uint64_t db_commands[_PSD_DB_MAX]; /* commands sent */
	uint64_t db_replies_ok[_PSD_DB_MAX];
	uint64_t db_replies_error[_PSD_DB_MAX];
	uint64_t db_disconnects[_PSD_DB_MAX];
	uint64_t db_reconnects[_PSD_DB_MAX]; /* connections made again after a loss */
	uint64_t db_down_ns[_PSD_DB_MAX];    /* unreachable, over outages that ended */
	uint64_t db_down_since_ns[_PSD_DB_MAX];
	bool db_down[_PSD_DB_MAX];           /* an outage is open since db_down_since_ns */
	uint64_t oper_changes;               /* oper up <-> down of present ports */
	uint64_t link_stats_writes;          /* PORT_LINK_STATS writes acknowledged */
	uint64_t oper_changes_messages;      /* ... of them counted from messages (no kernel count) */
	uint64_t port_series_refused;        /* ports first seen with the per-port series all taken */
	struct psd_histogram ack_latency;    /* link message pushed -> its STATE_DB write acked */
	struct psd_histogram write_rtt;      /* STATE_DB write sent -> acked */
};

struct psd_core;

size_t psd_core_size(const struct psd_limits *lim);
/* 0, or -EINVAL for limits out of range. mem is psd_core_size() zero-filled bytes (calloc),
 * aligned for uint64_t; pages the core never touches stay unmapped. */
int psd_core_init(struct psd_core **ret, void *mem, const struct psd_limits *lim,
		  const struct psd_config *cfg);
/* 0, or -EINVAL for an event the core cannot take now (a bug in the caller). */
int psd_core_push(struct psd_core *c, uint64_t now_ns, const struct psd_event *ev);
bool psd_core_pull(struct psd_core *c, struct psd_action *ret);
uint64_t psd_core_next_deadline(const struct psd_core *c); /* UINT64_MAX: none */
void psd_core_check(const struct psd_core *c);            /* asserts every invariant */
const struct psd_stats *psd_core_stats(const struct psd_core *c);

/* One-line summary for STATUS=: ports, pending writes, phase. */
size_t psd_core_status(const struct psd_core *c, char *buf, size_t size);
bool psd_core_port_init_done(const struct psd_core *c);
/* Redis commands sent and not yet answered. */
uint32_t psd_core_inflight(const struct psd_core *c);
/* Whether the core waits on a reply now: while it does not, replies may wait until the executor
 * wakes for something else (lib/driver.h); a deadline (psd_core_next_deadline) bounds that. */
bool psd_core_replies_wanted(const struct psd_core *c);
uint32_t psd_core_ports_in_use(const struct psd_core *c);

const char *psd_log_level_name(enum psd_log_level l);
const char *psd_log_output_name(enum psd_log_output o);
/* 0 and *ret set, or -EINVAL. Names as in CONFIG_DB: EMERG..DEBUG, SYSLOG|STDOUT|STDERR. */
int psd_log_level_parse(const char *s, size_t len, enum psd_log_level *ret);
int psd_log_output_parse(const char *s, size_t len, enum psd_log_output *ret);

#endif
