/*
 * The alert module's parts (alerts.c and the alert_*.c beside it): one module, one state (struct
 * psd_alerts, alert_state.h), made of objects by job. This header is theirs alone: what one part
 * calls of another. core/layers lists them as the parts of the module alerts. The parts call
 * downwards only: alerts.c, the entry points, calls the others, and none calls it; alert_eval.c
 * calls the sync, the silences, the pool and the texts; alert_sync.c the silences' clock and the
 * texts; the pool, the history, the silences and the texts call no other part.
 *
 *   alerts.c         the rules (validation, order), init, reload, the evaluation's entry point
 *                    (psd_alerts_timer), the reply dispatch, the views, the invariants
 *   alert_eval.c     one alert's evaluation: its machine stepped, its transition logged
 *   alert_text.c     numbers and thresholds in decimal, for the log line and the entry
 *   alert_pool.c     the pool of per-port alerts and its hash by (rule, port)
 *   alert_history.c  the samples of the daemon's signals, one per evaluation, and the values
 *                    (rates, p99) a daemon rule reads from them
 *   alert_silence.c  the CONFIG_DB silences: their reply parsed, expiry, whether one holds
 *   alert_sync.c     the STATE_DB PORTSYNCD_ALERT entries (queue, HSET/DEL, retired entries),
 *                    the silence poll and the start-up sweep of an earlier run's entries
 */
#ifndef PSD_ALERT_PARTS_H
#define PSD_ALERT_PARTS_H

#include "alert_state.h"
#include "ctx.h"
#include "text.h"

#define SILENCE_TABLE "PORTSYNCD_ALERT_SILENCE"
#define ALERT_TABLE "PORTSYNCD_ALERT"
#define NS_PER_S 1000000000ull
#define TAG_GEN_SHIFT 16u /* tag index: generation above, alert index below */

/* alert_text.c: numbers in decimal */
/* v / 10^digits in decimal, without trailing zeros: 1500 (3) -> 1.5. */
void psd_alert_text_fixed(struct psd_text *t, int64_t v, unsigned digits);
/* A rule's threshold: the value, or low..high (thousandths). */
void psd_alert_text_threshold(struct psd_text *t, const struct psd_alert_rule *r);

/* alert_eval.c: evaluation: one alert's machine stepped, its transition logged */
bool psd_alert_condition(const struct psd_alert_rule *r, int64_t v);
void psd_alert_evaluate(struct psd_ctx *c, struct psd_alerts *a, uint32_t i, bool holds,
			int64_t value, uint64_t t);
void psd_alert_evaluate_port(struct psd_ctx *c, struct psd_alerts *a, uint32_t idx, uint64_t t);
void psd_alert_evaluate_pool(struct psd_ctx *c, struct psd_alerts *a, bool all, uint64_t t);

/* alert_pool.c: the subject pool and its hash */
void psd_alert_pool_reset(struct psd_alerts *a);
uint32_t psd_alert_bucket_of(uint32_t rule, const char *name, size_t len);
/* The one alert of rule for the port named name (whatever its index), or PSD_ALERT_NONE. */
uint32_t psd_alert_pool_find(const struct psd_alerts *a, uint32_t rule, const char *name,
			     size_t len);
uint32_t psd_alert_pool_add(struct psd_ctx *c, struct psd_alerts *a, uint32_t rule, uint32_t port,
			    const char *name,
			    size_t len);
void psd_alert_maybe_free(struct psd_alerts *a, uint32_t i);
/* The flap ring buckets a per-port rule reads: its window's seconds. */
uint32_t psd_alert_buckets_of(const struct psd_alert_rule *r);

/* alert_history.c: the history of the daemon's signals */
void psd_alert_sample_now(const struct psd_ctx *c, const struct psd_alert_given *g,
			  struct psd_alert_sample *s);
bool psd_alert_sample_differs(const struct psd_alerts *a, const struct psd_alert_sample *s);
void psd_alert_history_add(struct psd_alerts *a, const struct psd_alert_sample *s);
bool psd_alert_daemon_value(const struct psd_alerts *a, const struct psd_alert_rule *r,
			    const struct psd_alert_sample *now, int64_t *ret);
/* When the rule's window value may change with time alone, or UINT64_MAX. */
uint64_t psd_alert_window_due(const struct psd_alerts *a, const struct psd_alert_rule *r,
			      const struct psd_alert_sample *now);

/* alert_silence.c: the CONFIG_DB silences */
uint64_t psd_alert_wall_s(const struct psd_ctx *c, const struct psd_alerts *a, uint64_t mono_ns);
bool psd_alert_silenced(const struct psd_ctx *c, const struct psd_alerts *a,
			const struct psd_alert *x);
/* Silences over are said once and no longer match (true when one ended); the next end is due. */
bool psd_alert_expire_silences(struct psd_ctx *c, struct psd_alerts *a);
void psd_alert_silence_reply(struct psd_ctx *c, struct psd_alerts *a, const struct psd_reply *r);

/* alert_sync.c: the STATE_DB entries, the silence poll and the sweep */
void psd_alert_sync_queue(struct psd_alerts *a, uint32_t i);
/* psd_alerts_pull and psd_alerts_db_down (alerts.h) */
bool psd_alert_sync_pull(struct psd_ctx *c, struct psd_alerts *a, struct psd_action *ret);
void psd_alert_sync_db_down(struct psd_ctx *c, struct psd_alerts *a);
void psd_alert_retire(struct psd_ctx *c, struct psd_alerts *a, struct psd_alert *x);
void psd_alert_sweep_reply(struct psd_ctx *c, struct psd_alerts *a, const struct psd_reply *r);


#endif
