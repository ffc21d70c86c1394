/*
 * Named limits of the core. Every table, queue, name and nesting depth the core handles has one
 * here; the core enforces each where data enters and asserts it where data is used.
 * Run-time sizes (ports, in-flight writes) live in struct psd_limits and are fixed at init.
 */
#ifndef PSD_LIMITS_H
#define PSD_LIMITS_H

#include <stdint.h>

#define PSD_IFNAME_LEN_MAX 15u          /* IFNAMSIZ - 1: longest interface name */
#define PSD_KIND_LEN_MAX 31u            /* longest IFLA_INFO_KIND we keep */
#define PSD_ADDR_LEN_MAX 32u            /* longest IFLA_ADDRESS we keep */
#define PSD_NL_NEST_DEPTH_MAX 1u        /* attribute nesting the walker descends into */
#define PSD_NL_ATTRS_MAX 512u           /* attributes per link message before it is malformed */

#define PSD_PORTS_DEFAULT 4096u         /* default port-table capacity */
#define PSD_PORTS_LIMIT (1u << 20)      /* largest port table psd_limits may ask for */
#define PSD_INFLIGHT_DEFAULT 4096u      /* default Redis commands in flight */
#define PSD_INFLIGHT_LIMIT (1u << 20)

#define PSD_PORT_FIELDS_MAX 64u         /* field/value pairs copied per CONFIG_DB port */
#define PSD_PORT_CONFIG_BYTES_MAX 16384u /* bytes of one CONFIG_DB port hash (names+values) */
#define PSD_DB_KEY_LEN_MAX 64u          /* longest Redis key the core builds */
#define PSD_DB_VALUE_LEN_MAX 64u        /* longest CONFIG_DB scalar the core reads (levels, flags) */
#define PSD_RUN_ID_LEN 40u              /* Redis's run_id: 40 hex digits */
#define PSD_SEPARATOR_LEN_MAX 3u        /* longest table separator in database_config.json */

#define PSD_LOG_RING 64u                /* log records buffered between two pulls */
#define PSD_LOG_LINE_MAX 240u           /* bytes of one log record */
#define PSD_LOG_REPEAT_NS (60000ull * 1000000ull) /* a repeated condition: one summary per this */

#define PSD_NS_PER_MS 1000000ull
#define PSD_REFUSED_RETRY_NS (1000ull * PSD_NS_PER_MS)  /* pause after Redis refused start-up work */
#define PSD_APPL_RECHECK_NS (1000ull * PSD_NS_PER_MS)   /* re-look-up of ports missing in APPL_DB */
/* The first re-look-up after ports go missing comes sooner (orchagent consumes a port within
 * milliseconds of its producer set), then the interval doubles up to PSD_APPL_RECHECK_NS. */
#define PSD_APPL_RECHECK_FIRST_NS (16ull * PSD_NS_PER_MS)
#define PSD_APPL_RECHECK_BATCH 1024u                    /* re-look-ups per recheck tick */
#define PSD_LOGGER_POLL_NS (1000ull * PSD_NS_PER_MS)    /* CONFIG_DB LOGGER|portsyncd poll */
/* A CONFIG_DB written again after Redis came back empty (its keyspace watched): copied once
 * the writes of its ports pause this long, at most PSD_CONFIG_SETTLE_MAX_NS after the first. */
#define PSD_CONFIG_SETTLE_NS (50ull * PSD_NS_PER_MS)
#define PSD_CONFIG_SETTLE_MAX_NS (200ull * PSD_NS_PER_MS)
#define PSD_SHUTDOWN_FLUSH_NS (2000ull * PSD_NS_PER_MS) /* longest wait for writes at shutdown */
#define PSD_LOST_NAMED 4u               /* ports named in the log when writes are lost at exit */
/* While link messages come within this of each other, the acknowledgements of port writes are
 * taken when the daemon wakes for the next message, not with a wake-up of their own; this long
 * after the last message they are taken at the latest. */
#define PSD_ACK_LAZY_NS (1ull * PSD_NS_PER_MS)
#define PSD_EXIT_WRITES_LOST 3          /* exit status when shutdown lost writes */

/* Ranges of the timings in struct psd_config (0 there takes the default). */
/* Redis is on a unix socket: an attempt costs microseconds, so the backoff is capped low enough
 * that a Redis back from an outage is found within a quarter second, and attempts stay at four a
 * second per database while it is away. */
#define PSD_RECONNECT_MIN_DEFAULT_NS (20ull * PSD_NS_PER_MS)
#define PSD_RECONNECT_MAX_DEFAULT_NS (250ull * PSD_NS_PER_MS)
#define PSD_RECONNECT_MIN_NS (10ull * PSD_NS_PER_MS)      /* lowest first delay */
#define PSD_RECONNECT_MAX_NS (600000ull * PSD_NS_PER_MS)  /* highest backoff cap: 10 min */
#define PSD_REDUMP_INTERVAL_DEFAULT_NS (1000ull * PSD_NS_PER_MS)
#define PSD_REDUMP_INTERVAL_MIN_NS (10ull * PSD_NS_PER_MS)
#define PSD_REDUMP_INTERVAL_MAX_NS (600000ull * PSD_NS_PER_MS)
#define PSD_WATCHDOG_MIN_NS (100ull * PSD_NS_PER_MS)
/* Commands unanswered this long (a SIGSTOPped, swapping or blocked Redis): logged as a stall, and
 * shown in STATUS=, until Redis answers again (redis_stall_ms). */
#define PSD_REDIS_STALL_DEFAULT_NS (5000ull * PSD_NS_PER_MS)
#define PSD_REDIS_STALL_MIN_NS (100ull * PSD_NS_PER_MS)
#define PSD_REDIS_STALL_MAX_NS (600000ull * PSD_NS_PER_MS)
/* A Redis command unanswered this long on a live connection: the loop is not healthy and the
 * watchdog stops being fed, so systemd restarts the daemon. */
#define PSD_STALL_NS (30000ull * PSD_NS_PER_MS)

/* Metrics and health (core/observe.c, core/metrics.c; docs/metrics.md). */
#define PSD_HIST_BUCKETS 26u            /* latency histogram buckets, 10 us .. 10 s, and +Inf */
/* /health says failing once a database has been unreachable this long (settable) */
#define PSD_HEALTH_DB_DOWN_DEFAULT_NS (10000ull * PSD_NS_PER_MS)
#define PSD_HEALTH_DB_DOWN_MIN_NS (100ull * PSD_NS_PER_MS)
#define PSD_HEALTH_DB_DOWN_MAX_NS (3600000ull * PSD_NS_PER_MS)
#define PSD_HEALTH_REASON_MAX 200u      /* bytes of /health's reason text */

/* Link analytics (STATE_DB PORT_LINK_STATS|<port>): oper changes per port are counted in a ring
 * of PSD_FLAP_BUCKETS buckets of PSD_FLAP_BUCKET_NS each, so the window is their product. */
#define PSD_FLAP_BUCKETS 6u
#define PSD_FLAP_BUCKET_NS (10000ull * PSD_NS_PER_MS)
#define PSD_FLAP_WINDOW_S 60u           /* PSD_FLAP_BUCKETS * PSD_FLAP_BUCKET_NS, in seconds */
#define PSD_FLAP_THRESHOLD 6u           /* oper changes in the window that make a port flapping */
/* PORT_LINK_STATS writes wait this long after the first change queued, so the changes of a
 * flapping port (and of a storm) coalesce into one write per port and stay off the main path */
#define PSD_LINK_STATS_DELAY_NS (100ull * PSD_NS_PER_MS)

struct psd_limits {
	uint32_t ports_max;    /* port table capacity: configured ports plus live netdevs */
	uint32_t inflight_max; /* Redis commands sent and not yet answered */
};

#endif
