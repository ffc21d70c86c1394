/*
 * The alert module's entry points (core/alerts.c), which core/engine.c calls: rules taken and
 * reloaded, evaluation when due, the STATE_DB entries and the silence poll pulled, replies and
 * outages handed in, the views. Its state and invariants: alert_state.h.
 */
#ifndef PSD_ALERTS_CORE_H
#define PSD_ALERTS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_state.h"

struct psd_ctx;
struct psd_action;
struct psd_reply;

/* Validates and takes rules (NULL: none); -EINVAL when one is out of range. */
int psd_alerts_init(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_rules *rules);
/* A reload: rules unchanged by name and definition keep their alerts; the others start afresh
 * (their STATE_DB entries are removed). -EINVAL and nothing changed when one is out of range. */
int psd_alerts_reload(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_rules *rules);
/* Evaluates the rules when due (c->now_ns): the daemon rules, the per-port alerts due or whose
 * port changed, and the ports that changed. */
void psd_alerts_timer(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_given *g);
/* After each event: a change an alert reads asks for an evaluation at the next whole second. */
void psd_alerts_note(const struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_given *g);
/* The next evaluation (or silence poll): UINT64_MAX when nothing is pending, firing, draining or
 * changed. redis_up: every database is up (the silence poll waits for it). */
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
	uint64_t silence_refused;
	uint64_t evaluations;
	uint64_t port_looks;
};
void psd_alerts_counts(const struct psd_alerts *a, struct psd_alert_counts *ret);
/* Per rule, the ports whose per-port condition holds now (holding[rules.count]). */
void psd_alerts_holding(const struct psd_alerts *a, uint32_t *holding);
#endif
