/*
 * The alert module's state (struct psd_alerts; its entry points: alerts.h): the rules in force, one alert machine per rule and
 * subject, the history of the daemon's signals, the CONFIG_DB silences and the STATE_DB
 * PORTSYNCD_ALERT entries to write or remove. Only the module's parts (alert_parts.h) write it;
 * core/engine.c holds it and calls the module through alerts.h. A header of types and two short
 * accessors: no part of the module calls back into alerts.c through it.
 *
 * Invariants (psd_alerts_check):
 *  - daemon rules have their alert at the rule's index; per-port alerts live in the pool, each
 *    reachable from its hash bucket exactly once, and the pool's used count is what the buckets
 *    hold; no two alerts share a rule and a subject (a port's name): an alert follows its port
 *    to the index the table gives the name when it adds it again;
 *  - an alert is on the sync queue at most once, and then not in flight; the queue holds exactly
 *    the alerts marked queued;
 *  - published means firing and neither silenced nor inhibited;
 *  - silences are at most PSD_ALERT_SILENCES_MAX, each naming a rule in force.
 */
#ifndef PSD_ALERT_STATE_H
#define PSD_ALERT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/alert_defs.h"
#include "psd/limits.h"
#include "repeat.h"

#define PSD_ALERT_INSTANCES (PSD_ALERT_RULES_MAX + PSD_ALERT_SUBJECTS_MAX)
#define PSD_ALERT_BUCKETS (2u * PSD_ALERT_SUBJECTS_MAX) /* hash buckets of per-port alerts */
#define PSD_ALERT_HISTORY (PSD_ALERT_WINDOW_MAX_S + 1u) /* samples: one per evaluation */
#define PSD_ALERT_NONE UINT32_MAX
#define PSD_ALERT_KEY_LEN_MAX 64u /* PORTSYNCD_ALERT|<rule>|<subject> */
/* Refused silence fields remembered as logged; more are counted without a line of their own */
#define PSD_ALERT_SILENCE_REFUSALS_KEPT 16u
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
	uint64_t due_ns;          /* when time alone may change its evaluation; UINT64_MAX: never */
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
	uint64_t tick;            /* now / PSD_ALERT_EVAL_NS of the evaluation that took it */
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
	 * (in seconds) and threshold, so that those that hold are a prefix of their window's
	 * run (above_from[k] .. above_from[k + 1]); then the others (from other_from) */
	uint16_t port_order[PSD_ALERT_RULES_MAX];
	uint32_t above_from[PSD_FLAP_WINDOW_MAX_S + 2];
	uint32_t other_from;
	uint32_t port_window_max; /* the longest window of a per-port rule, seconds */
	uint32_t watched;         /* bit per daemon signal a daemon rule reads */
	bool evaluated;           /* an evaluation ran: tick and first_tick are set */
	uint64_t tick;            /* the last evaluation's tick */
	uint64_t first_tick;      /* the first evaluation's tick: a window reaches back no further */
	/* the next evaluation time alone asks for (an alert's for, keep_firing_for, a window, a
	 * silence's end, a refused command to send again), UINT64_MAX: none; changes ask for one
	 * at the next whole second besides (psd_alerts_deadline) */
	uint64_t due_ns;
	uint64_t change_due_ns;   /* the whole second after a change was noted; UINT64_MAX: none */
	bool dirty;               /* rules, silences or held states changed: evaluate every alert */
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
	/* the samples, oldest first from hist_head: one per evaluation that found a watched signal
	 * changed, so that every window's start is the latest sample at or before it */
	struct psd_alert_sample history[PSD_ALERT_HISTORY];
	uint32_t hist_head, hist_len;
	struct psd_alert_silence silence[PSD_ALERT_SILENCES_MAX];
	uint32_t silence_count;
	uint64_t silence_hash;    /* of the last silence reply: a change is logged once */
	/* refused silence fields logged (field and value hashed) that the hash still holds */
	uint64_t refused_kept[PSD_ALERT_SILENCE_REFUSALS_KEPT];
	uint32_t refused_kept_len;
	struct psd_repeat refused_repeat; /* replies whose refusals were counted, not logged */
	uint64_t silence_refused; /* refused silence fields, each time a changed hash is read */
	uint64_t evaluations;     /* evaluations run */
	uint64_t port_looks;      /* per-port alerts and ports evaluated, all evaluations */
	bool silence_inflight;
	/* entries an earlier run left in STATE_DB: swept once at start (KEYS, then a DEL each) */
	bool swept;
	bool sweep_inflight;
	bool sweep_wait;          /* the sweep was refused: asked again at the next evaluation */
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

/* The whole second from which an evaluation may run: the next after now and after the last. */
static inline uint64_t psd_alert_next_second(const struct psd_alerts *a, uint64_t now_ns)
{
	uint64_t s = (now_ns + PSD_ALERT_EVAL_NS - 1) / PSD_ALERT_EVAL_NS; /* now, or the next */
	if (a->evaluated && s <= a->tick)
		s = a->tick + 1;
	return s * PSD_ALERT_EVAL_NS;
}

/* Time alone asks for an evaluation at due_ns (the earliest asked is kept). */
static inline void psd_alert_due(struct psd_alerts *a, uint64_t due_ns)
{
	if (due_ns < a->due_ns)
		a->due_ns = due_ns;
}

#endif
