/*
 * The history of the daemon's signals (a part of the alert module, alert_parts.h): one sample per
 * evaluation, PSD_ALERT_HISTORY of them in a ring, so a daemon rule reads a counter's rate or the
 * ack latency's p99 over its window from two samples.
 *
 * Invariant: a sample's tick says which evaluation took it (0: none yet); a window reaches back
 * no further than the oldest sample kept.
 */
#include <string.h>

#include "alert_parts.h"
#include "psd/metrics.h"

void psd_alert_sample_now(const struct psd_ctx *c, const struct psd_alert_given *g,
			  struct psd_alert_sample *s)
{
	const struct psd_stats *st = &c->stats;
	uint64_t disconnects = 0, losses = 0;
	for (int db = 0; db < _PSD_DB_MAX; db++)
		disconnects += st->db_disconnects[db];
	for (int l = 0; l < _PSD_LOSS_MAX; l++)
		losses += st->nl_losses[l];
	s->v[PSD_SIG_REDIS_UP] = g->redis_up;
	s->v[PSD_SIG_REDIS_IN_FLIGHT] = g->in_flight;
	s->v[PSD_SIG_REDIS_ERRORS] = st->db_errors;
	s->v[PSD_SIG_REDIS_DISCONNECTS] = disconnects;
	s->v[PSD_SIG_WRITES_PENDING] = g->writes_pending;
	s->v[PSD_SIG_MISSING_IN_APPL] = g->missing_in_appl;
	s->v[PSD_SIG_NL_LOSSES] = losses;
	s->v[PSD_SIG_NL_REDUMPS] = st->resyncs;
	s->v[PSD_SIG_RESYNC_PENDING] = g->resync_pending;
	s->v[PSD_SIG_OPER_CHANGES] = st->oper_changes;
	s->v[PSD_SIG_LOG_DROPPED] = st->log_dropped;
	s->v[PSD_SIG_ACK_P99] = 0; /* from hist, over the window */
	memcpy(s->hist, st->ack_latency.bucket, sizeof(s->hist));
}

/* The oldest sample of the history no older than window_s before the current one, or NULL when
 * there is none older than the current one. */
static const struct psd_alert_sample *window_start(const struct psd_alerts *a, uint32_t window_s)
{
	uint64_t from = a->tick > window_s ? a->tick - window_s : 1;
	for (uint64_t k = from; k < a->tick; k++) {
		const struct psd_alert_sample *s = &a->history[k % PSD_ALERT_HISTORY];
		if (s->tick == k)
			return s;
	}
	return NULL;
}

/* The 0.99 quantile, in thousandths of a second, of the latencies observed between two samples,
 * interpolated within its bucket as histogram_quantile() does; false when none were observed. */
static bool p99(const struct psd_alert_sample *old, const struct psd_alert_sample *now,
		int64_t *ret)
{
	uint64_t total = 0, seen = 0;
	for (uint32_t b = 0; b <= PSD_HIST_BUCKETS; b++)
		total += now->hist[b] - old->hist[b];
	if (total == 0)
		return false;
	uint64_t rank_x100 = total * 99; /* rank * 100 */
	for (uint32_t b = 0; b <= PSD_HIST_BUCKETS; b++) {
		uint64_t n = now->hist[b] - old->hist[b];
		if ((seen + n) * 100 < rank_x100) {
			seen += n;
			continue;
		}
		if (b == PSD_HIST_BUCKETS) { /* +Inf: the highest finite bound, as Prometheus says */
			*ret = (int64_t)(psd_hist_bounds_ns[PSD_HIST_BUCKETS - 1] / PSD_NS_PER_MS);
			return true;
		}
		uint64_t lo = b == 0 ? 0 : psd_hist_bounds_ns[b - 1], hi = psd_hist_bounds_ns[b];
		/* lo + (hi - lo) * (rank - seen) / n, in ns, then thousandths of a second (ms) */
		uint64_t ns = lo + (hi - lo) * (rank_x100 - seen * 100) / (n * 100);
		*ret = (int64_t)(ns / PSD_NS_PER_MS);
		return true;
	}
	return false;
}

bool psd_alert_daemon_value(const struct psd_alerts *a, const struct psd_alert_rule *r,
			    const struct psd_alert_sample *now, int64_t *ret)
{
	if (r->signal == PSD_SIG_ACK_P99) {
		const struct psd_alert_sample *old = window_start(a, r->window_s);
		return old != NULL && p99(old, now, ret);
	}
	if (r->condition != PSD_COND_RATE) {
		*ret = (int64_t)now->v[r->signal] * 1000;
		return true;
	}
	const struct psd_alert_sample *old = window_start(a, r->window_s);
	if (old == NULL)
		return false; /* a rate needs two samples, as rate() does */
	int64_t delta = (int64_t)now->v[r->signal] - (int64_t)old->v[r->signal];
	*ret = delta * 1000 / (int64_t)(now->tick - old->tick);
	return true;
}
