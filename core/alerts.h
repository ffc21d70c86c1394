/*
 * The alert module's state (core/alerts.c): the rules in force, one alert machine per rule and
 * subject, the history of the daemon's signals, the CONFIG_DB silences and the STATE_DB
 * PORTSYNCD_ALERT entries to write or remove. Only the module's parts (alert_parts.h) write it;
 * core/engine.c calls it.
 *
 * Invariants (psd_alerts_check):
 *  - daemon rules have their alert at the rule's index; per-port alerts live in the pool, each
 *    reachable from its hash bucket exactly once, and the pool's used count is what the buckets
 *    hold; no two alerts share a rule, port index and port name;
 *  - an alert is on the sync queue at most once, and then not in flight; the queue holds exactly
 *    the alerts marked queued;
 *  - published means firing and neither silenced nor inhibited;
 *  - silences are at most PSD_ALERT_SILENCES_MAX, each naming a rule in force;
 *  - quiet (no evaluation due) only while every alert is inactive, no silence, subject, STATE_DB
 *    work or port change within the flap window is kept, and the samples have been alike for the
 *    longest window: the evaluations skipped would each have changed nothing, and the first
 *    event after them takes their samples as they would have been (psd_alerts_wake).
 */
#ifndef PSD_ALERTS_CORE_H
#define PSD_ALERTS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/alerts.h"
#include "psd/limits.h"

#define PSD_ALERT_INSTANCES (PSD_ALERT_RULES_MAX + PSD_ALERT_SUBJECTS_MAX)
#define PSD_ALERT_BUCKETS (2u * PSD_ALERT_SUBJECTS_MAX) /* hash buckets of per-port alerts */
#define PSD_ALERT_HISTORY (PSD_ALERT_WINDOW_MAX_S + 1u) /* samples: one per evaluation */
#define PSD_ALERT_NONE UINT32_MAX
#define PSD_ALERT_KEY_LEN_MAX 64u /* PORTSYNCD_ALERT|<rule>|<subject> */
/* STATE_DB entries of alerts a reload removed, waiting for their DEL; more are left (logged) */
#define PSD_ALERT_RETIRED_MAX 256u

struct psd_alert {
	uint16_t rule;
	uint8_t cs;               /* the machine's state (alert_fsm.rl) */
	uint8_t state;            /* enum psd_alert_state, as the machine's work said */
	bool used;
	bool holds;               /* the condition held at the last evaluation */
	bool silenced;
	bool inhibited;
	bool published;           /* wanted in STATE_DB: firing and not held */
	bool in_db;               /* STATE_DB holds its entry (as acknowledged) */
	bool queued;              /* on the sync queue */
	bool sent;                /* an HSET or DEL in flight */
	bool sent_set;            /* ... and it was an HSET */
	uint16_t gen;             /* +1 each time the slot is freed: a late reply is told apart */
	uint8_t port_len;
	uint32_t port;            /* port index, or PSD_ALERT_NONE for the daemon */
	char port_name[PSD_IFNAME_LEN_MAX + 1];
	uint32_t next;            /* hash chain, or the free list */
	uint32_t seen_tick;       /* the evaluation that last looked at it */
	int64_t value;            /* thousandths */
	int64_t fired_value;      /* the value when it fired: its STATE_DB entry */
	uint64_t since_ns;        /* in this state since */
	uint64_t fired_ns;
	uint64_t cond_since_ns;   /* 0: the condition does not hold */
	uint64_t false_since_ns;  /* 0: the condition holds (or the alert is not firing) */
};

struct psd_alert_silence {
	uint16_t rule;
	uint8_t port_len;         /* 0: every subject of the rule */
	bool expired;             /* said once in the log */
	char port[PSD_IFNAME_LEN_MAX + 1];
	uint64_t until_unix_s;
};

struct psd_alert_sample {
	uint64_t tick;            /* now / PSD_ALERT_EVAL_NS; 0: empty */
	uint64_t v[PSD_SIG_DAEMON_COUNT];
	uint64_t hist[PSD_HIST_BUCKETS + 1];
};

/* A STATE_DB entry to remove whose alert is gone (a rule removed or changed by a reload). */
struct psd_alert_retired {
	char key[PSD_ALERT_KEY_LEN_MAX + 1];
	uint8_t len;
};

struct psd_alerts {
	struct psd_alert_rules rules;
	uint32_t per_port_rules;
	/* per-port rules in the order a port's evaluation takes them: the `above` ones by window
	 * (in flap buckets) and threshold, so that those that hold are a prefix of their window's
	 * run (above_from[k] .. above_from[k + 1]); then the others (from other_from) */
	uint16_t port_order[PSD_ALERT_RULES_MAX];
	uint32_t above_from[PSD_FLAP_BUCKETS + 2];
	uint32_t other_from;
	uint64_t tick;            /* the last evaluation's tick */
	uint64_t due_ns;          /* the next evaluation; UINT64_MAX: no rules, or quiet */
	uint64_t alike_since;     /* the first tick of the samples alike to the last one */
	bool quiet;               /* evaluations skipped until an event (the invariants) */
	bool woke;                /* quiet until the event being handled */
	struct psd_alert inst[PSD_ALERT_INSTANCES];
	uint32_t bucket[PSD_ALERT_BUCKETS];  /* instance index + 1; 0: empty */
	uint32_t free_head;       /* free pool entries, PSD_ALERT_NONE: none */
	uint32_t pool_high;       /* pool entries used at least once (from PSD_ALERT_RULES_MAX) */
	uint32_t pool_used;
	uint32_t sync[PSD_ALERT_INSTANCES]; /* ring of alerts whose STATE_DB entry is to sync */
	uint32_t sync_head, sync_len;
	struct psd_alert_retired retired[PSD_ALERT_RETIRED_MAX];
	uint32_t retired_len;
	bool retired_sent;        /* retired[retired_len - 1]'s DEL is in flight (or refused) */
	bool retired_retry;       /* ... refused: sent again at the next evaluation */
	struct psd_alert_sample history[PSD_ALERT_HISTORY];
	struct psd_alert_silence silence[PSD_ALERT_SILENCES_MAX];
	uint32_t silence_count;
	uint64_t silence_hash;    /* of the last silence reply: a change is logged once */
	bool silence_inflight;
	/* entries an earlier run left in STATE_DB: swept once at start (KEYS, then a DEL each) */
	bool swept;
	bool sweep_inflight;
	uint64_t silence_due_ns;  /* when the silences are read next; UINT64_MAX: watched, unasked */
	bool silences_watched;    /* CONFIG_DB's keyspace is watched: read when it says they change */
	/* counters for /metrics */
	uint64_t transitions;
	uint64_t refused;         /* per-port alerts not tracked: PSD_ALERT_SUBJECTS_MAX reached */
	uint64_t refused_log_ns;  /* when a refusal may be logged again */
	uint64_t sync_errors;     /* STATE_DB refused an alert entry (sent again) */
	struct psd_alert reload_old[PSD_ALERT_RULES_MAX]; /* a reload's copy of the daemon alerts */
	/* the action handed out by the last pull */
	const char *argv[20];
	size_t argv_len[20];
	char key[PSD_ALERT_KEY_LEN_MAX + 1];
	char num[4][32];
};

/* The daemon's signals an evaluation samples that other modules own, handed by the engine. */
struct psd_alert_given {
	bool redis_up;            /* every database is up (recovery.c) */
	uint32_t in_flight;       /* Redis commands unanswered (the engine's) */
	uint32_t writes_pending;  /* port commands queued (links.c) */
	uint32_t missing_in_appl; /* ports parked for their APPL_DB entry (links.c) */
	bool resync_pending;      /* a netlink re-dump is due or under way after a loss (resync.c) */
};

struct psd_ctx;
struct psd_action;
struct psd_reply;

/* Validates and takes rules (NULL: none); -EINVAL when one is out of range. */
int psd_alerts_init(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_rules *rules);
/* A reload: rules unchanged by name and definition keep their alerts; the others start afresh
 * (their STATE_DB entries are removed). -EINVAL and nothing changed when one is out of range. */
int psd_alerts_reload(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_rules *rules);
/* Evaluates every rule when due (c->now_ns). */
void psd_alerts_timer(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_given *g);
/* Before an event is handled: the evaluations skipped while quiet are taken as done (their
 * samples alike to the last one), and the next is due on the next tick. */
void psd_alerts_wake(struct psd_ctx *c, struct psd_alerts *a);
/* After that event: quiet again when it changed nothing the rules read (the evaluations to
 * come would take samples alike to the last). */
void psd_alerts_rest(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_given *g);
/* redis_up: every database is up (the silence poll waits for it). */
uint64_t psd_alerts_deadline(const struct psd_ctx *c, const struct psd_alerts *a, bool redis_up);
/* A STATE_DB entry or the silence poll, when one is due; the engine asks only while every
 * database is up and a command may be sent. */
bool psd_alerts_pull(struct psd_ctx *c, struct psd_alerts *a, struct psd_action *ret);
void psd_alerts_reply(struct psd_ctx *c, struct psd_alerts *a, const struct psd_reply *r);
/* CONFIG_DB's keyspace turned watched (the silences are read once now, then when it says they
 * changed) or not (read every PSD_ALERT_SILENCE_POLL_NS). */
void psd_alerts_silences_watched(struct psd_ctx *c, struct psd_alerts *a, bool watched);
/* CONFIG_DB said PORTSYNCD_ALERT_SILENCE|portsyncd changed: read again now. */
void psd_alerts_silences_changed(struct psd_ctx *c, struct psd_alerts *a);
/* A connection was lost: commands in flight are lost with their replies, and go again. */
void psd_alerts_db_down(struct psd_ctx *c, struct psd_alerts *a);
void psd_alerts_check(const struct psd_ctx *c, const struct psd_alerts *a);
/* The rules in force, and every alert not inactive (the public psd_core_alerts_each's). */
const struct psd_alert_rules *psd_alerts_rules(const struct psd_alerts *a);
void psd_alerts_each(const struct psd_alerts *a,
		     void (*fn)(void *ctx, const struct psd_alert_view *v), void *ctx);
/* The module's figures for /metrics. */
struct psd_alert_counts {
	uint32_t rules;
	uint32_t silences_active;
	uint64_t transitions;
	uint64_t refused;
};
void psd_alerts_counts(const struct psd_alerts *a, struct psd_alert_counts *ret);
/* Per rule, the ports whose per-port condition holds now (holding[rules.count]). */
void psd_alerts_holding(const struct psd_alerts *a, uint32_t *holding);
/* What an alert is about: "daemon", or its port's name. */
static inline const char *psd_alert_subject(const struct psd_alert *x, size_t *len)
{
	*len = x->port == PSD_ALERT_NONE ? 6u : x->port_len;
	return x->port == PSD_ALERT_NONE ? "daemon" : x->port_name;
}

/* Why its actions are held, as the log line and the metrics say it. */
static inline const char *psd_alert_held(const struct psd_alert *x)
{
	return x->silenced ? "silenced" : x->inhibited ? "inhibited" : "no";
}

#endif
