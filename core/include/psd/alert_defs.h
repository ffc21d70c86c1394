/*
 * Alert rules: what the core evaluates (core/alerts.c) and what the adapter parses from the rule
 * file (adapters/alert_rules.c). A rule names a signal the daemon keeps, a condition on it, how
 * long the condition must hold before the alert fires (for) and how long it must stay false
 * before it resolves (keep_firing_for). A per-port rule has one alert per port; a daemon rule
 * one in all. Values and thresholds are integers in thousandths of the signal's unit (a
 * threshold of 0.5 is 500), so evaluation is exact and the same on every host.
 *
 * Names of signals, conditions and severities, and every limit on rules, live here: the parser
 * and the core share one table of each.
 */
#ifndef PSD_ALERT_DEFS_H
#define PSD_ALERT_DEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/core.h"

#define PSD_ALERT_RULES_MAX 1024u        /* rules, the shipped ones included */
#define PSD_ALERT_SUBJECTS_MAX 4096u     /* per-port alerts not inactive at once, all rules */
#define PSD_ALERT_NAME_LEN_MAX 31u       /* [a-z0-9_], starting with a letter */
#define PSD_ALERT_SUMMARY_LEN_MAX 127u   /* printable ASCII, no '"' or '\\' */
/* Evaluations fall on whole multiples of this, and only when something may have changed:
 * a signal a rule watches, a port's changes, a for, keep_firing_for or window deadline */
#define PSD_ALERT_EVAL_NS (1000ull * PSD_NS_PER_MS)
#define PSD_ALERT_WINDOW_MAX_S 600u      /* longest window of a rate or a quantile */
#define PSD_ALERT_FOR_MAX_S 86400u       /* longest for and keep_firing_for */
#define PSD_ALERT_SILENCES_MAX 64u       /* CONFIG_DB silences kept; more are refused, logged */
#define PSD_ALERT_THRESHOLD_MAX 1000000000000ll /* |threshold| in thousandths: 10^9 units */
#define PSD_ALERT_SILENCE_POLL_NS PSD_ALERT_EVAL_NS /* CONFIG_DB PORTSYNCD_ALERT_SILENCE poll */

/* The signals a rule can watch: every one a family of /metrics (or derived from one), so that
 * the same rule can be printed for Prometheus. */
enum psd_alert_signal {
	PSD_SIG_REDIS_UP,            /* min over databases of portsyncd_redis_up */
	PSD_SIG_REDIS_IN_FLIGHT,     /* portsyncd_redis_commands_in_flight */
	PSD_SIG_REDIS_ERRORS,        /* portsyncd_redis_errors_total */
	PSD_SIG_REDIS_DISCONNECTS,   /* sum of portsyncd_redis_disconnects_total */
	PSD_SIG_WRITES_PENDING,      /* portsyncd_writes_pending */
	PSD_SIG_MISSING_IN_APPL,     /* portsyncd_ports_missing_in_appl_db */
	PSD_SIG_NL_LOSSES,           /* sum of portsyncd_netlink_losses_total */
	PSD_SIG_NL_REDUMPS,          /* portsyncd_netlink_redumps_total */
	PSD_SIG_RESYNC_PENDING,      /* portsyncd_netlink_resync_pending */
	PSD_SIG_OPER_CHANGES,        /* portsyncd_link_oper_changes_total */
	PSD_SIG_LOG_DROPPED,         /* portsyncd_log_records_dropped_total */
	PSD_SIG_ACK_P99,             /* p99 of portsyncd_link_ack_latency_seconds over the window */
	PSD_SIG_PORT_OPER_CHANGES,   /* per port: oper changes in the window (link analytics) */
	_PSD_SIG_MAX,
};

/* Signals sampled into the history at an evaluation when one changed (all but the per-port
 * one; PSD_SIG_ACK_P99's sample is the histogram's count, its buckets beside it). */
#define PSD_SIG_DAEMON_COUNT ((unsigned)PSD_SIG_PORT_OPER_CHANGES)

enum psd_alert_condition {
	PSD_COND_ABOVE,   /* value > threshold */
	PSD_COND_BELOW,   /* value < threshold */
	PSD_COND_INSIDE,  /* low <= value <= high */
	PSD_COND_OUTSIDE, /* value < low or value > high */
	PSD_COND_EQUALS,  /* value == threshold */
	PSD_COND_RATE,    /* change of the value per second over the window > threshold */
	_PSD_COND_MAX,
};

enum psd_alert_severity {
	PSD_SEV_CRITICAL,
	PSD_SEV_WARNING,
	PSD_SEV_INFO,
	_PSD_SEV_MAX,
};

struct psd_alert_rule {
	char name[PSD_ALERT_NAME_LEN_MAX + 1];
	enum psd_alert_signal signal;
	enum psd_alert_condition condition;
	int64_t threshold;      /* thousandths; above, below, equals, rate */
	int64_t low, high;      /* thousandths; inside, outside */
	uint32_t window_s;      /* rate, the p99 and per-port oper changes; else 0 */
	uint32_t for_s;
	uint32_t keep_firing_for_s;
	enum psd_alert_severity severity;
	bool per_port;
	uint32_t inhibited_by;  /* index of the rule whose alert inhibits this one, or UINT32_MAX */
	char summary[PSD_ALERT_SUMMARY_LEN_MAX + 1];
};

struct psd_alert_rules {
	uint32_t count;
	struct psd_alert_rule rule[PSD_ALERT_RULES_MAX];
};

struct psd_alert_signal_info {
	const char *name;       /* as written in a rule file */
	const char *unit;       /* for docs and summaries */
	bool counter;           /* only ever grows (rate is its rate()) */
	bool per_port;
	bool needs_window;      /* a window is part of the signal itself */
	uint32_t window_max_s;  /* the longest window it can take */
	/* PromQL for the value over the exported families, and for its rate of change over a
	 * window ("%w" stands for the window); NULL: none (per-port signals, or no rate) */
	const char *promql;
	const char *promql_rate;
};

extern const struct psd_alert_signal_info psd_alert_signals[_PSD_SIG_MAX];
extern const char *const psd_alert_condition_names[_PSD_COND_MAX];
extern const char *const psd_alert_severity_names[_PSD_SEV_MAX];

/* Index of name in a table of n names, or -1. */
int psd_alert_name_find(const char *const *names, unsigned n, const char *s);
int psd_alert_signal_find(const char *s);
/* A rule's name: 1 to PSD_ALERT_NAME_LEN_MAX of [a-z0-9_], starting with a letter. */
bool psd_alert_name_valid(const char *s);

/* The state of one alert, for the metrics and the simulator. */
enum psd_alert_state {
	PSD_ALERT_INACTIVE,
	PSD_ALERT_PENDING,
	PSD_ALERT_FIRING,
	PSD_ALERT_RESOLVED,
	_PSD_ALERT_STATE_MAX,
};

extern const char *const psd_alert_state_names[_PSD_ALERT_STATE_MAX];

struct psd_alert_view {
	uint32_t rule;
	const char *subject;      /* "daemon" or a port name (valid until the next push) */
	size_t subject_len;
	enum psd_alert_state state;
	bool silenced;
	bool inhibited;
	bool published;           /* its STATE_DB entry is written (firing, actions not held) */
	bool holds;               /* the condition held at the last evaluation */
	int64_t value;            /* thousandths, at the last evaluation */
	uint64_t since_ns;        /* in this state since */
	uint64_t cond_since_ns;   /* the condition has held since (when holds) */
};

struct psd_core;

/* The rules in force. */
const struct psd_alert_rules *psd_core_alert_rules(const struct psd_core *c);
/* Calls fn for every alert that is not inactive, rules in order, daemon first. */
void psd_core_alerts_each(const struct psd_core *c,
			  void (*fn)(void *ctx, const struct psd_alert_view *v), void *ctx);

#endif
