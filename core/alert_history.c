/*
 * The history of the daemon's signals (a part of the alert module, alert_parts.h): a sample at
 * each evaluation that finds a watched signal changed since the last one, PSD_ALERT_HISTORY of
 * them in a ring, oldest first. Between two samples the signals held the older one's values, so
 * the value a window starts from is the latest sample at or before its start, exactly what a
 * sample taken every second would have held; a daemon rule reads a counter's rate or the ack
 * latency's p99 over its window from two samples.
 *
 * Invariants: ticks increase from the oldest sample to the newest; the ring keeps at least the
 * samples of the last PSD_ALERT_WINDOW_MAX_S seconds and the latest before them.
 */
#include <string.h>

#include "alert_parts.h"
#include "histogram.h"

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
	s->v[PSD_SIG_ACK_P99] = st->ack_latency.count; /* the buckets follow it */
	memcpy(s->hist, st->ack_latency.bucket, sizeof(s->hist));
}

static const struct psd_alert_sample *nth(const struct psd_alerts *a, uint32_t i)
{
	return &a->history[(a->hist_head + i) % PSD_ALERT_HISTORY];
}

static const struct psd_alert_sample *newest(const struct psd_alerts *a)
{
	return a->hist_len > 0 ? nth(a, a->hist_len - 1) : NULL;
}

/* A watched signal differs from the newest sample (or there is none yet). */
bool psd_alert_sample_differs(const struct psd_alerts *a, const struct psd_alert_sample *s)
{
	const struct psd_alert_sample *last = newest(a);
	if (last == NULL)
		return a->watched != 0;
	for (uint32_t k = 0; k < PSD_SIG_DAEMON_COUNT; k++)
		if ((a->watched & (1u << k)) != 0 && s->v[k] != last->v[k])
			return true;
	return false;
}

/* s, taken at a->tick, joins the history (its buckets copied here, where they are needed). */
void psd_alert_history_add(struct psd_alerts *a, const struct psd_alert_sample *s)
{
	if (a->hist_len == PSD_ALERT_HISTORY) { /* the oldest gives way */
		a->hist_head = (a->hist_head + 1) % PSD_ALERT_HISTORY;
		a->hist_len--;
	}
	struct psd_alert_sample *to = &a->history[(a->hist_head + a->hist_len) % PSD_ALERT_HISTORY];
	memcpy(to->v, s->v, sizeof(to->v));
	memcpy(to->hist, s->hist, sizeof(to->hist));
	to->tick = a->tick;
	a->hist_len++;
}

/* The index of the latest sample at or before tick, or -1 (binary search: ticks increase). */
static int64_t at_or_before(const struct psd_alerts *a, uint64_t tick)
{
	int64_t lo = 0, hi = (int64_t)a->hist_len - 1, found = -1;
	while (lo <= hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (nth(a, (uint32_t)mid)->tick <= tick) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

/* Where a window of window_s ending now starts: the tick (no earlier than the first evaluation)
 * and the sample holding the values then; NULL when the window has no length yet. */
static const struct psd_alert_sample *window_start(const struct psd_alerts *a, uint32_t window_s,
						   uint64_t *ret_tick, int64_t *ret_index)
{
	uint64_t from = a->tick > window_s ? a->tick - window_s : 0;
	if (from < a->first_tick)
		from = a->first_tick;
	int64_t i = at_or_before(a, from);
	if (from >= a->tick || i < 0)
		return NULL;
	*ret_tick = from;
	*ret_index = i;
	return nth(a, (uint32_t)i);
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
	uint64_t from;
	int64_t i;
	if (r->signal == PSD_SIG_ACK_P99) {
		const struct psd_alert_sample *old = window_start(a, r->window_s, &from, &i);
		return old != NULL && p99(old, now, ret);
	}
	if (r->condition != PSD_COND_RATE) {
		*ret = (int64_t)now->v[r->signal] * 1000;
		return true;
	}
	const struct psd_alert_sample *old = window_start(a, r->window_s, &from, &i);
	if (old == NULL)
		return false; /* a rate needs two samples, as rate() does */
	int64_t delta = (int64_t)now->v[r->signal] - (int64_t)old->v[r->signal];
	*ret = delta * 1000 / (int64_t)(a->tick - from);
	return true;
}

/* A window's value moves with time alone when its start passes a sample (the next one after the
 * start, once the window has left it behind), or, while the window reaches back to the first
 * evaluation, every second for a rate that changed (its divisor grows). */
uint64_t psd_alert_window_due(const struct psd_alerts *a, const struct psd_alert_rule *r,
			      const struct psd_alert_sample *now)
{
	uint64_t from;
	int64_t i;
	if (r->signal != PSD_SIG_ACK_P99 && r->condition != PSD_COND_RATE)
		return UINT64_MAX;
	const struct psd_alert_sample *old = window_start(a, r->window_s, &from, &i);
	if (old == NULL)
		return (a->tick + 1) * PSD_ALERT_EVAL_NS; /* the window has a length from then */
	uint64_t due = UINT64_MAX;
	if ((uint64_t)i + 1 < a->hist_len)
		due = (nth(a, (uint32_t)i + 1)->tick + r->window_s) * PSD_ALERT_EVAL_NS;
	bool young = a->tick < a->first_tick + r->window_s;
	if (young && r->condition == PSD_COND_RATE && now->v[r->signal] != old->v[r->signal])
		due = (a->tick + 1) * PSD_ALERT_EVAL_NS;
	return due;
}
