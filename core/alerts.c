/*
 * Alerts: every PSD_ALERT_EVAL_NS the engine has each rule evaluated, with the time handed in.
 * A daemon rule reads one of the daemon's signals (a counter or gauge of the metrics, or a rate
 * or p99 over a window of the history sampled here at each evaluation); a per-port rule reads a
 * port's oper changes in a window (link analytics), for every port that changed in the flap
 * window and every port that already has an alert. Each (rule, subject) has an alert machine
 * (alert_fsm.rl) fed one symbol per evaluation; its transitions are logged in one fixed format
 *
 *   alert rule=<rule> subject=<daemon|port> state=<from>-><to> severity=<s> value=<v>
 *         threshold=<t> held=<no|silenced|inhibited> summary="<text>"
 *
 * and a firing alert that is neither silenced nor inhibited has a STATE_DB entry
 * PORTSYNCD_ALERT|<rule>|<subject> (rule, subject, state, severity, since, value, threshold,
 * summary), removed once it resolves or is held. Silences come from CONFIG_DB
 * PORTSYNCD_ALERT_SILENCE|portsyncd (field <rule> or <rule>|<port>, value: until, Unix seconds),
 * polled as LOGGER|portsyncd is; an alert is inhibited while the rule named by its rule's
 * inhibited_by is pending or firing. Held alerts are still evaluated; their actions wait. At start,
 * the entries an earlier run left (it stopped while they fired) are removed.
 *
 * Invariants: see alerts.h. Memory is fixed: PSD_ALERT_SUBJECTS_MAX per-port alerts at once
 * (a refusal is counted and logged), PSD_ALERT_HISTORY samples, PSD_ALERT_SILENCES_MAX silences.
 */
#include <errno.h>
#include <string.h>

#include "alert_fsm.h"
#include "alerts.h"
#include "engine.h"
#include "names.h"
#include "psd/metrics.h"
#include "psd_assert.h"

#define SILENCE_TABLE "PORTSYNCD_ALERT_SILENCE"
#define ALERT_TABLE "PORTSYNCD_ALERT"
#define NS_PER_S 1000000000ull
#define TAG_GEN_SHIFT 16u /* tag index: generation above, alert index below */

/* --- rules ---------------------------------------------------------------------------------- */

static bool summary_valid(const char *s)
{
	size_t n = strnlen(s, PSD_ALERT_SUMMARY_LEN_MAX + 1);
	if (n > PSD_ALERT_SUMMARY_LEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static bool threshold_valid(int64_t v)
{
	return v >= -PSD_ALERT_THRESHOLD_MAX && v <= PSD_ALERT_THRESHOLD_MAX;
}

/* The parser (adapters/alert_rules.c) says which rule and why; this only refuses what would
 * break the core's assumptions. */
static bool rule_valid(const struct psd_alert_rules *rules, uint32_t i)
{
	const struct psd_alert_rule *r = &rules->rule[i];
	if ((unsigned)r->signal >= _PSD_SIG_MAX || (unsigned)r->condition >= _PSD_COND_MAX ||
	    (unsigned)r->severity >= _PSD_SEV_MAX)
		return false;
	const struct psd_alert_signal_info *s = &psd_alert_signals[r->signal];
	bool windowed = s->needs_window || r->condition == PSD_COND_RATE;
	if (!psd_alert_name_valid(r->name) || !summary_valid(r->summary) ||
	    r->per_port != s->per_port || !threshold_valid(r->threshold) ||
	    !threshold_valid(r->low) || !threshold_valid(r->high) || r->low > r->high ||
	    r->for_s > PSD_ALERT_FOR_MAX_S || r->keep_firing_for_s > PSD_ALERT_FOR_MAX_S)
		return false;
	if (windowed ? (r->window_s == 0 || r->window_s > PSD_ALERT_WINDOW_MAX_S) : r->window_s != 0)
		return false;
	if (s->needs_window && r->condition == PSD_COND_RATE)
		return false;
	if (r->per_port && (r->window_s > s->window_max_s ||
			    r->window_s % (PSD_FLAP_BUCKET_NS / NS_PER_S) != 0))
		return false;
	if (r->inhibited_by != PSD_ALERT_NONE &&
	    (r->inhibited_by >= rules->count || r->inhibited_by == i ||
	     rules->rule[r->inhibited_by].per_port))
		return false;
	for (uint32_t k = 0; k < i; k++)
		if (strcmp(rules->rule[k].name, r->name) == 0)
			return false;
	return true;
}

static bool rules_valid(const struct psd_alert_rules *rules)
{
	if (rules->count > PSD_ALERT_RULES_MAX)
		return false;
	for (uint32_t i = 0; i < rules->count; i++)
		if (!rule_valid(rules, i))
			return false;
	return true;
}

static void pool_reset(struct psd_alerts *a)
{
	memset(a->bucket, 0, sizeof(a->bucket));
	a->free_head = PSD_ALERT_NONE;
	a->pool_high = PSD_ALERT_RULES_MAX;
	a->pool_used = 0;
}

static uint32_t buckets_of(const struct psd_alert_rule *r)
{
	return r->window_s / (uint32_t)(PSD_FLAP_BUCKET_NS / NS_PER_S);
}

/* a before b in a port's evaluation: `above` first, by window, then by threshold */
static bool port_rule_before(const struct psd_alert_rule *a, const struct psd_alert_rule *b)
{
	bool above_a = a->condition == PSD_COND_ABOVE, above_b = b->condition == PSD_COND_ABOVE;
	if (above_a != above_b)
		return above_a;
	if (!above_a)
		return false; /* the others keep their order */
	if (buckets_of(a) != buckets_of(b))
		return buckets_of(a) < buckets_of(b);
	return a->threshold < b->threshold;
}

static void order_port_rules(struct psd_alerts *a)
{
	uint32_t n = 0;
	for (uint32_t r = 0; r < a->rules.count; r++) {
		if (!a->rules.rule[r].per_port)
			continue;
		uint32_t at = n++; /* insertion sort, stable: a load or reload of 1024 rules at most */
		while (at > 0 &&
		       port_rule_before(&a->rules.rule[r], &a->rules.rule[a->port_order[at - 1]])) {
			a->port_order[at] = a->port_order[at - 1];
			at--;
		}
		a->port_order[at] = (uint16_t)r;
	}
	uint32_t i = 0;
	for (uint32_t k = 0; k <= PSD_FLAP_BUCKETS + 1; k++) {
		while (i < n && a->rules.rule[a->port_order[i]].condition == PSD_COND_ABOVE &&
		       buckets_of(&a->rules.rule[a->port_order[i]]) < k)
			i++;
		a->above_from[k] = i;
	}
	a->other_from = i;
}

static void take_rules(struct psd_alerts *a, const struct psd_alert_rules *rules)
{
	a->rules.count = rules != NULL ? rules->count : 0;
	if (a->rules.count > 0)
		memcpy(a->rules.rule, rules->rule, a->rules.count * sizeof(rules->rule[0]));
	a->per_port_rules = 0;
	for (uint32_t i = 0; i < a->rules.count; i++)
		a->per_port_rules += a->rules.rule[i].per_port;
	order_port_rules(a);
}

static void daemon_alert_init(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	uint16_t gen = x->gen;
	memset(x, 0, sizeof(*x));
	x->gen = gen;
	x->rule = (uint16_t)i;
	x->cs = (uint8_t)psd_alert_fsm_start();
	x->port = PSD_ALERT_NONE;
	x->used = !a->rules.rule[i].per_port;
}

int psd_alerts_init(struct psd_core *c, const struct psd_alert_rules *rules)
{
	struct psd_alerts *a = &c->alerts;
	if (rules != NULL && !rules_valid(rules))
		return -EINVAL;
	take_rules(a, rules);
	pool_reset(a);
	for (uint32_t i = 0; i < a->rules.count; i++)
		daemon_alert_init(a, i);
	a->due_ns = a->rules.count > 0 ? 0 : UINT64_MAX;
	a->silence_due_ns = 0;
	return 0;
}

/* --- text ----------------------------------------------------------------------------------- */

/* v / 10^digits in decimal, without trailing zeros: 1500 (3) -> 1.5. */
static void text_fixed(struct psd_text *t, int64_t v, unsigned digits)
{
	uint64_t scale = 1, mag;
	char frac[24];
	for (unsigned i = 0; i < digits; i++)
		scale *= 10;
	if (v < 0)
		psd_text_str(t, "-");
	mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	psd_text_u64(t, mag / scale);
	if (mag % scale == 0)
		return;
	size_t n = psd_u64_to_dec(scale + mag % scale, frac); /* "1" and the digits */
	while (frac[n - 1] == '0')
		n--;
	frac[0] = '.';
	psd_text_mem(t, frac, n);
}

static void text_threshold(struct psd_text *t, const struct psd_alert_rule *r)
{
	if (r->condition == PSD_COND_INSIDE || r->condition == PSD_COND_OUTSIDE) {
		text_fixed(t, r->low, 3);
		psd_text_str(t, "..");
		text_fixed(t, r->high, 3);
		return;
	}
	text_fixed(t, r->threshold, 3);
}

static enum psd_log_level severity_level(enum psd_alert_severity s)
{
	return s == PSD_SEV_CRITICAL ? PSD_LOG_CRIT : s == PSD_SEV_WARNING ? PSD_LOG_WARN :
									    PSD_LOG_NOTICE;
}

static void log_alert(struct psd_core *c, const struct psd_alert *x, enum psd_alert_state from,
		      enum psd_log_level level)
{
	const struct psd_alert_rule *r = &c->alerts.rules.rule[x->rule];
	struct psd_text t;
	size_t len;
	const char *subject = psd_alert_subject(x, &len);

	if (psd_log_begin(c, level, &t) == NULL)
		return;
	psd_text_str(&t, "alert rule=");
	psd_text_str(&t, r->name);
	psd_text_str(&t, " subject=");
	psd_text_mem(&t, subject, len);
	psd_text_str(&t, " state=");
	psd_text_str(&t, psd_alert_state_names[from]);
	psd_text_str(&t, "->");
	psd_text_str(&t, psd_alert_state_names[x->state]);
	psd_text_str(&t, " severity=");
	psd_text_str(&t, psd_alert_severity_names[r->severity]);
	psd_text_str(&t, " value=");
	text_fixed(&t, x->value, 3);
	psd_text_str(&t, " threshold=");
	text_threshold(&t, r);
	psd_text_str(&t, " held=");
	psd_text_str(&t, psd_alert_held(x));
	psd_text_str(&t, " summary=\"");
	psd_text_str(&t, r->summary);
	psd_text_str(&t, "\"");
	psd_log_end(c, &t);
}

/* --- the pool of per-port alerts ------------------------------------------------------------ */

static uint32_t bucket_of(uint32_t rule, uint32_t port)
{
	uint64_t h = ((uint64_t)rule << 32 | port) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 40) & (PSD_ALERT_BUCKETS - 1u);
}

static uint32_t pool_find(const struct psd_alerts *a, uint32_t rule, uint32_t port,
			  const char *name, size_t len)
{
	for (uint32_t i = a->bucket[bucket_of(rule, port)]; i != 0; i = a->inst[i - 1].next) {
		const struct psd_alert *x = &a->inst[i - 1];
		if (x->rule == rule && x->port == port && x->port_len == len &&
		    memcmp(x->port_name, name, len) == 0)
			return i - 1;
	}
	return PSD_ALERT_NONE;
}

static uint32_t pool_add(struct psd_core *c, uint32_t rule, uint32_t port, const char *name,
			 size_t len)
{
	struct psd_alerts *a = &c->alerts;
	uint32_t i;
	if (a->free_head != PSD_ALERT_NONE) {
		i = a->free_head;
		a->free_head = a->inst[i].next;
	} else if (a->pool_high < PSD_ALERT_INSTANCES) {
		i = a->pool_high++;
	} else {
		a->refused++;
		if (c->now_ns >= a->refused_log_ns) {
			a->refused_log_ns = c->now_ns + PSD_LOG_REPEAT_NS;
			psd_log_line(c, PSD_LOG_ERROR, "alert: a per-port alert not tracked: "
				     "PSD_ALERT_SUBJECTS_MAX (4096) alerts are active (refused in all: see "
				     "portsyncd_alert_subjects_refused_total)", "");
		}
		return PSD_ALERT_NONE;
	}
	struct psd_alert *x = &a->inst[i];
	uint16_t gen = x->gen;
	memset(x, 0, sizeof(*x));
	x->gen = gen;
	x->used = true;
	x->rule = (uint16_t)rule;
	x->cs = (uint8_t)psd_alert_fsm_start();
	x->port = port;
	x->port_len = (uint8_t)len;
	memcpy(x->port_name, name, len);
	uint32_t b = bucket_of(rule, port);
	x->next = a->bucket[b];
	a->bucket[b] = i + 1;
	a->pool_used++;
	return i;
}

static void pool_free(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	uint32_t *link = &a->bucket[bucket_of(x->rule, x->port)];
	while (*link != i + 1)
		link = &a->inst[*link - 1].next;
	*link = x->next;
	x->used = false;
	x->gen++;
	x->next = a->free_head;
	a->free_head = i;
	a->pool_used--;
}

/* A per-port alert that is inactive and has nothing in STATE_DB nor in flight goes back. */
static void maybe_free(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	if (i >= PSD_ALERT_RULES_MAX && x->used && x->state == PSD_ALERT_INACTIVE && !x->holds &&
	    !x->in_db && !x->sent && !x->queued)
		pool_free(a, i);
}

/* --- evaluation ----------------------------------------------------------------------------- */

static void sync_queue(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	if (x->queued || x->sent)
		return; /* the reply requeues it when STATE_DB still differs */
	PSD_ASSERT(a->sync_len < PSD_ALERT_INSTANCES);
	a->sync[(a->sync_head + a->sync_len) % PSD_ALERT_INSTANCES] = i;
	a->sync_len++;
	x->queued = true;
}

static uint64_t wall_s(const struct psd_core *c, uint64_t mono_ns)
{
	int64_t wall = (int64_t)mono_ns + c->cfg.realtime_offset_ns;
	return wall > 0 ? (uint64_t)wall / NS_PER_S : 0;
}

static bool silenced(const struct psd_core *c, const struct psd_alert *x)
{
	const struct psd_alerts *a = &c->alerts;
	for (uint32_t k = 0; k < a->silence_count; k++) {
		const struct psd_alert_silence *s = &a->silence[k];
		if (s->rule == x->rule && !s->expired &&
		    (s->port_len == 0 ||
		     (s->port_len == x->port_len && memcmp(s->port, x->port_name, s->port_len) == 0)))
			return true;
	}
	return false;
}

static bool inhibited(const struct psd_alerts *a, const struct psd_alert_rule *r)
{
	if (r->inhibited_by == PSD_ALERT_NONE)
		return false;
	const struct psd_alert *src = &a->inst[r->inhibited_by];
	return src->state == PSD_ALERT_PENDING || src->state == PSD_ALERT_FIRING;
}

static bool condition(const struct psd_alert_rule *r, int64_t v)
{
	switch (r->condition) {
	case PSD_COND_ABOVE:
	case PSD_COND_RATE:
		return v > r->threshold;
	case PSD_COND_BELOW:
		return v < r->threshold;
	case PSD_COND_INSIDE:
		return v >= r->low && v <= r->high;
	case PSD_COND_OUTSIDE:
		return v < r->low || v > r->high;
	case PSD_COND_EQUALS:
		return v == r->threshold;
	case _PSD_COND_MAX:
		break;
	}
	return false;
}

/* One evaluation of alert i at time t: the machine's step and its actions. */
static void evaluate(struct psd_core *c, uint32_t i, bool holds, int64_t value, uint64_t t)
{
	struct psd_alerts *a = &c->alerts;
	struct psd_alert *x = &a->inst[i];
	const struct psd_alert_rule *r = &a->rules.rule[x->rule];
	enum psd_alert_sym sym;
	unsigned work = 0;

	x->seen_tick = (uint32_t)a->tick;
	x->value = value;
	if (holds) {
		if (!x->holds)
			x->cond_since_ns = t;
		x->false_since_ns = 0;
		sym = t - x->cond_since_ns >= r->for_s * NS_PER_S ? PSD_AS_HELD : PSD_AS_HOLDS;
	} else {
		if (x->holds || x->false_since_ns == 0)
			x->false_since_ns = t;
		sym = t - x->false_since_ns >= r->keep_firing_for_s * NS_PER_S ? PSD_AS_CLEARED :
										 PSD_AS_FALSE;
	}
	x->holds = holds;
	int cs = psd_alert_fsm_step(x->cs, sym, &work);
	PSD_ASSERT(cs >= 0); /* every symbol has a transition from every state */
	x->cs = (uint8_t)cs;

	bool was_silenced = x->silenced, was_inhibited = x->inhibited, was_published = x->published;
	x->silenced = silenced(c, x);
	x->inhibited = inhibited(a, r);
	bool held = x->silenced || x->inhibited;

	enum psd_alert_state from = (enum psd_alert_state)x->state;
	if (work != 0) {
		x->state = (uint8_t)(work & PSD_AW_PENDING  ? PSD_ALERT_PENDING :
				     work & PSD_AW_FIRING   ? PSD_ALERT_FIRING :
				     work & PSD_AW_RESOLVED ? PSD_ALERT_RESOLVED :
							      PSD_ALERT_INACTIVE);
		x->since_ns = t;
		a->transitions++;
		if (work & PSD_AW_FIRING) {
			x->fired_ns = t;
			x->fired_value = value;
		}
	}
	x->published = x->state == PSD_ALERT_FIRING && !held;
	if (work != 0) {
		/* a held transition is still said, at DEBUG: its actions wait */
		enum psd_log_level level = held ? PSD_LOG_DEBUG :
					   work & PSD_AW_FIRING ? severity_level(r->severity) :
					   work & PSD_AW_RESOLVED ? PSD_LOG_NOTICE :
								    PSD_LOG_INFO;
		log_alert(c, x, from, level);
	} else if (x->state == PSD_ALERT_FIRING && x->published != was_published) {
		/* a silence or an inhibition began or ended: the held actions run now */
		log_alert(c, x, from, x->published ? severity_level(r->severity) : PSD_LOG_NOTICE);
	} else if (x->silenced != was_silenced || x->inhibited != was_inhibited) {
		log_alert(c, x, from, PSD_LOG_DEBUG);
	}
	if (x->published != x->in_db || (x->published && (work & PSD_AW_FIRING)))
		sync_queue(a, i);
	maybe_free(a, i);
}

static void sample_now(const struct psd_core *c, struct psd_alert_sample *s)
{
	const struct psd_stats *st = &c->stats;
	uint64_t up = 1, disconnects = 0, losses = 0;
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		up &= c->recovery.db_up[db];
		disconnects += st->db_disconnects[db];
	}
	for (int l = 0; l < _PSD_LOSS_MAX; l++)
		losses += st->nl_losses[l];
	s->v[PSD_SIG_REDIS_UP] = up;
	s->v[PSD_SIG_REDIS_IN_FLIGHT] = c->inflight;
	s->v[PSD_SIG_REDIS_ERRORS] = st->db_errors;
	s->v[PSD_SIG_REDIS_DISCONNECTS] = disconnects;
	s->v[PSD_SIG_WRITES_PENDING] = c->links.sendq_len;
	s->v[PSD_SIG_MISSING_IN_APPL] = c->links.parked;
	s->v[PSD_SIG_NL_LOSSES] = losses;
	s->v[PSD_SIG_NL_REDUMPS] = st->resyncs;
	s->v[PSD_SIG_RESYNC_PENDING] =
		c->resync.redump_wanted || c->resync.backlog_stale ||
		(c->resync.dump_active && st->resyncs > 0);
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

static bool daemon_value(const struct psd_alerts *a, const struct psd_alert_rule *r,
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

/* Silences whose time is over are said once, then no longer match. */
static void expire_silences(struct psd_core *c)
{
	struct psd_alerts *a = &c->alerts;
	uint64_t now_s = wall_s(c, c->now_ns);
	for (uint32_t k = 0; k < a->silence_count; k++) {
		struct psd_alert_silence *s = &a->silence[k];
		if (s->expired || s->until_unix_s > now_s)
			continue;
		s->expired = true;
		struct psd_text t;
		if (psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
			continue;
		psd_text_str(&t, "alert silence rule=");
		psd_text_str(&t, a->rules.rule[s->rule].name);
		psd_text_str(&t, " subject=");
		psd_text_mem(&t, s->port_len > 0 ? s->port : "*", s->port_len > 0 ? s->port_len : 1);
		psd_text_str(&t, " until=");
		psd_text_u64(&t, s->until_unix_s);
		psd_text_str(&t, " expired");
		psd_log_end(c, &t);
	}
}

/* Rule r for port idx with `changes` in its window: false when its condition does not hold;
 * else a new alert is kept and evaluated, unless one is kept already (evaluated before). */
static bool start_port_alert(struct psd_core *c, uint32_t r, uint32_t idx, uint32_t changes,
			     uint64_t t)
{
	struct psd_alerts *a = &c->alerts;
	const struct psd_port *p = &c->ports.ports[idx];
	int64_t v = (int64_t)changes * 1000;
	if (!condition(&a->rules.rule[r], v))
		return false;
	if (pool_find(a, r, idx, p->name, p->name_len) == PSD_ALERT_NONE) {
		uint32_t i = pool_add(c, r, idx, p->name, p->name_len);
		if (i != PSD_ALERT_NONE)
			evaluate(c, i, true, v, t);
	}
	return true;
}

/* Per-port rules for port p: its changes in each window a rule uses. */
static void evaluate_port(struct psd_core *c, uint32_t idx, uint64_t t)
{
	struct psd_alerts *a = &c->alerts;
	const struct psd_port *p = &c->ports.ports[idx];
	uint32_t changes[PSD_FLAP_BUCKETS + 1];
	for (uint32_t k = 1; k <= PSD_FLAP_BUCKETS; k++)
		changes[k] = psd_port_changes_in(p, t, k);
	for (uint32_t k = 1; k <= PSD_FLAP_BUCKETS; k++) /* `above`: the prefix that holds */
		for (uint32_t o = a->above_from[k]; o < a->above_from[k + 1]; o++)
			if (!start_port_alert(c, a->port_order[o], idx, changes[k], t))
				break;
	for (uint32_t o = a->other_from; o < a->per_port_rules; o++) {
		uint32_t r = a->port_order[o];
		start_port_alert(c, r, idx, changes[buckets_of(&a->rules.rule[r])], t);
	}
}

static bool port_recent(const struct psd_port *p, uint64_t t)
{
	return p->used && p->present && p->name_class == PSD_NAME_PORT &&
	       (uint64_t)p->flap_epoch + PSD_FLAP_BUCKETS > t / PSD_FLAP_BUCKET_NS &&
	       psd_port_changes_in(p, t, PSD_FLAP_BUCKETS) > 0;
}

void psd_alerts_timer(struct psd_core *c)
{
	struct psd_alerts *a = &c->alerts;
	if (c->now_ns < a->due_ns || a->rules.count == 0)
		return;
	a->tick = c->now_ns / PSD_ALERT_EVAL_NS;
	a->due_ns = (a->tick + 1) * PSD_ALERT_EVAL_NS;
	uint64_t t = a->tick * PSD_ALERT_EVAL_NS; /* evaluations happen on the tick */
	struct psd_alert_sample *now = &a->history[a->tick % PSD_ALERT_HISTORY];
	sample_now(c, now);
	now->tick = a->tick;
	if (a->retired_retry) { /* a refused DEL of a retired entry goes again */
		a->retired_retry = false;
		a->retired_sent = false;
	}
	expire_silences(c);

	for (uint32_t r = 0; r < a->rules.count; r++) {
		const struct psd_alert_rule *rule = &a->rules.rule[r];
		int64_t v = 0;
		if (rule->per_port)
			continue;
		bool known = daemon_value(a, rule, now, &v);
		evaluate(c, r, known && condition(rule, v), v, t);
	}
	if (a->per_port_rules == 0)
		return;
	/* alerts already kept: their port may be quiet (the window slides) or gone */
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++) {
		struct psd_alert *x = &a->inst[i];
		if (!x->used)
			continue;
		const struct psd_port *p = x->port < c->ports.high_water ? &c->ports.ports[x->port] :
									      NULL;
		if (p != NULL && p->used && p->present && p->name_len == x->port_len &&
		    memcmp(p->name, x->port_name, x->port_len) == 0) {
			int64_t v = (int64_t)psd_port_changes_in(p, t, buckets_of(&a->rules.rule[x->rule])) *
				    1000;
			evaluate(c, i, condition(&a->rules.rule[x->rule], v), v, t);
		} else {
			evaluate(c, i, false, 0, t); /* the port is gone: nothing holds for it */
		}
	}
	for (uint32_t idx = 0; idx < c->ports.high_water; idx++)
		if (port_recent(&c->ports.ports[idx], t))
			evaluate_port(c, idx, t);
}

uint64_t psd_alerts_deadline(const struct psd_core *c)
{
	const struct psd_alerts *a = &c->alerts;
	uint64_t d = a->due_ns;
	bool up = true; /* the poll waits for Redis, as every command: no deadline meanwhile */
	for (int db = 0; db < _PSD_DB_MAX; db++)
		up &= c->recovery.db_up[db];
	if (a->rules.count > 0 && c->startup.phase == PH_RUNNING && up && !a->silence_inflight &&
	    a->silence_due_ns < d)
		d = a->silence_due_ns;
	return d;
}

/* --- reload --------------------------------------------------------------------------------- */

static bool same_rule(const struct psd_alert_rule *x, const struct psd_alert_rule *y)
{
	return memcmp(x, y, sizeof(*x)) == 0;
}

static void key_of(const struct psd_core *c, const struct psd_alert *x, char *buf, size_t size,
		   size_t *len)
{
	struct psd_text t;
	size_t n;
	const char *subject = psd_alert_subject(x, &n);
	psd_text_init(&t, buf, size);
	psd_text_str(&t, ALERT_TABLE);
	psd_text_str(&t, c->cfg.separator[PSD_DB_STATE]);
	psd_text_str(&t, c->alerts.rules.rule[x->rule].name);
	psd_text_str(&t, c->cfg.separator[PSD_DB_STATE]);
	psd_text_mem(&t, subject, n);
	PSD_ASSERT(!t.truncated); /* 15 + 3 + 31 + 3 + 15 at most */
	*len = t.len;
}

/* An alert whose rule is gone: its STATE_DB entry (if any) is removed through the retired list. */
static void retire(struct psd_core *c, struct psd_alert *x)
{
	struct psd_alerts *a = &c->alerts;
	if (!x->in_db && !x->sent)
		return;
	if (a->retired_len == PSD_ALERT_RETIRED_MAX) {
		psd_log_line(c, PSD_LOG_ERROR, "alert: STATE_DB entry left behind by a reload "
			     "(PSD_ALERT_RETIRED_MAX, 256, removals waiting): ", a->rules.rule[x->rule].name);
		return;
	}
	size_t len;
	struct psd_alert_retired *e = &a->retired[a->retired_len++];
	key_of(c, x, e->key, sizeof(e->key), &len);
	e->len = (uint8_t)len;
}

int psd_alerts_reload(struct psd_core *c, const struct psd_alert_rules *rules)
{
	struct psd_alerts *a = &c->alerts;
	static const struct psd_alert_rules none; /* read only */
	uint32_t map[PSD_ALERT_RULES_MAX]; /* old rule -> new rule, or PSD_ALERT_NONE */
	struct psd_alert *daemon = a->reload_old;
	if (rules == NULL)
		rules = &none;
	if (!rules_valid(rules))
		return -EINVAL;
	for (uint32_t r = 0; r < a->rules.count; r++) {
		map[r] = PSD_ALERT_NONE;
		for (uint32_t n = 0; n < rules->count; n++)
			if (same_rule(&a->rules.rule[r], &rules->rule[n]))
				map[r] = n;
	}
	/* alerts of removed or changed rules go, with their entries; the others follow their rule */
	uint32_t old_count = a->rules.count;
	if (old_count > 0)
		memcpy(daemon, a->inst, old_count * sizeof(daemon[0]));
	for (uint32_t i = 0; i < old_count; i++)
		if (daemon[i].used && map[i] == PSD_ALERT_NONE)
			retire(c, &daemon[i]);
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++) {
		struct psd_alert *x = &a->inst[i];
		if (!x->used)
			continue;
		if (map[x->rule] == PSD_ALERT_NONE) {
			retire(c, x);
			x->queued = false;
			x->sent = false;
		}
	}
	/* the sync queue is rebuilt from scratch below */
	a->sync_len = 0;
	a->sync_head = 0;
	/* per-port alerts are rehashed under their new rule index */
	struct psd_alert keep;
	uint32_t pool_high = a->pool_high;
	take_rules(a, rules);
	memset(a->bucket, 0, sizeof(a->bucket));
	a->free_head = PSD_ALERT_NONE;
	a->pool_used = 0;
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < pool_high; i++) {
		struct psd_alert *x = &a->inst[i];
		bool alive = x->used && map[x->rule] != PSD_ALERT_NONE;
		x->queued = false;
		if (!alive) {
			x->used = false;
			x->gen++;
			x->next = a->free_head;
			a->free_head = i;
			continue;
		}
		keep = *x;
		keep.rule = (uint16_t)map[x->rule];
		*x = keep;
		uint32_t b = bucket_of(x->rule, x->port);
		x->next = a->bucket[b];
		a->bucket[b] = i + 1;
		a->pool_used++;
	}
	a->pool_high = pool_high;
	for (uint32_t n = 0; n < a->rules.count; n++) {
		daemon_alert_init(a, n);
		for (uint32_t r = 0; r < old_count; r++) {
			if (map[r] != n || !daemon[r].used)
				continue;
			uint16_t gen = a->inst[n].gen;
			a->inst[n] = daemon[r];
			a->inst[n].gen = gen;
			a->inst[n].rule = (uint16_t)n;
			a->inst[n].sent = false; /* a reply to the old index is ignored: sent again */
		}
	}
	for (uint32_t i = 0; i < a->rules.count; i++)
		if (a->inst[i].used && a->inst[i].published != a->inst[i].in_db)
			sync_queue(a, i);
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++)
		if (a->inst[i].used && (a->inst[i].published != a->inst[i].in_db || a->inst[i].sent))
			sync_queue(a, i);
	/* silences name rules by index: they are read again at the next poll */
	a->silence_count = 0;
	a->silence_hash = 0;
	a->due_ns = a->rules.count > 0 ? c->now_ns : UINT64_MAX;
	return 0;
}

/* --- STATE_DB entries and the silence poll -------------------------------------------------- */

static void command(struct psd_core *c, struct psd_action *ret, enum psd_db db, uint64_t tag,
		    uint32_t argc)
{
	psd_emit_argv(c, ret, db, tag, argc, c->alerts.argv, c->alerts.argv_len);
}

#define LIT SIZE_MAX /* put()'s length of a NUL-terminated argument */

/* Appends an argument to the command being built; it stays valid until the next pull. */
static void put(struct psd_alerts *a, uint32_t *n, const char *s, size_t len)
{
	PSD_ASSERT(*n < sizeof(a->argv) / sizeof(a->argv[0]));
	a->argv[*n] = s;
	a->argv_len[(*n)++] = len != LIT ? len : strlen(s);
}

static void put_num(struct psd_alerts *a, uint32_t *n, unsigned slot, int64_t v, unsigned digits)
{
	struct psd_text t;
	psd_text_init(&t, a->num[slot], sizeof(a->num[slot]));
	text_fixed(&t, v, digits);
	put(a, n, a->num[slot], t.len);
}

static void emit_sync(struct psd_core *c, uint32_t i, struct psd_action *ret)
{
	struct psd_alerts *a = &c->alerts;
	struct psd_alert *x = &a->inst[i];
	const struct psd_alert_rule *r = &a->rules.rule[x->rule];
	uint32_t n = 0;
	size_t key_len, subject_len;
	const char *subject = psd_alert_subject(x, &subject_len);
	char threshold[48];
	struct psd_text t;

	key_of(c, x, a->key, sizeof(a->key), &key_len);
	x->sent = true;
	x->sent_set = x->published;
	uint64_t tag = PSD_TAG(TAG_ALERT_SYNC, (uint32_t)x->gen << TAG_GEN_SHIFT | i);
	if (!x->published) {
		put(a, &n, "DEL", LIT);
		put(a, &n, a->key, key_len);
		command(c, ret, PSD_DB_STATE, tag, n);
		return;
	}
	psd_text_init(&t, threshold, sizeof(threshold));
	text_threshold(&t, r);
	memcpy(a->num[3], threshold, t.len);
	put(a, &n, "HSET", LIT);
	put(a, &n, a->key, key_len);
	put(a, &n, "rule", LIT);
	put(a, &n, r->name, LIT);
	put(a, &n, "subject", LIT);
	put(a, &n, subject, subject_len);
	put(a, &n, "state", LIT);
	put(a, &n, "firing", LIT);
	put(a, &n, "severity", LIT);
	put(a, &n, psd_alert_severity_names[r->severity], LIT);
	put(a, &n, "since", LIT);
	put_num(a, &n, 0, (int64_t)wall_s(c, x->fired_ns), 0);
	put(a, &n, "value", LIT);
	put_num(a, &n, 1, x->fired_value, 3);
	put(a, &n, "threshold", LIT);
	put(a, &n, a->num[3], t.len);
	put(a, &n, "summary", LIT);
	put(a, &n, r->summary, LIT);
	command(c, ret, PSD_DB_STATE, tag, n);
}

bool psd_alerts_pull(struct psd_core *c, struct psd_action *ret)
{
	struct psd_alerts *a = &c->alerts;
	if (c->startup.phase != PH_RUNNING || a->rules.count == 0)
		return false;
	if (!a->silence_inflight && c->now_ns >= a->silence_due_ns) {
		size_t n = psd_table_key(c, 0, PSD_DB_CONFIG, SILENCE_TABLE, "portsyncd", 9);
		a->silence_inflight = true;
		a->silence_due_ns = c->now_ns + PSD_ALERT_SILENCE_POLL_NS;
		uint32_t argc = 0;
		memcpy(a->key, c->scratch[0], n);
		put(a, &argc, "HGETALL", LIT);
		put(a, &argc, a->key, n);
		command(c, ret, PSD_DB_CONFIG, PSD_TAG(TAG_ALERT_SILENCE, 0), argc);
		return true;
	}
	if (!a->swept && !a->sweep_inflight) {
		uint32_t argc = 0;
		size_t n = psd_table_key(c, 0, PSD_DB_STATE, ALERT_TABLE, "*", 1);
		a->sweep_inflight = true;
		memcpy(a->key, c->scratch[0], n);
		put(a, &argc, "KEYS", LIT);
		put(a, &argc, a->key, n);
		command(c, ret, PSD_DB_STATE, PSD_TAG(TAG_ALERT_SWEEP, 0), argc);
		return true;
	}
	if (a->retired_len > 0 && !a->retired_sent) {
		const struct psd_alert_retired *e = &a->retired[a->retired_len - 1];
		uint32_t argc = 0;
		a->retired_sent = true;
		put(a, &argc, "DEL", LIT);
		put(a, &argc, e->key, e->len);
		command(c, ret, PSD_DB_STATE, PSD_TAG(TAG_ALERT_RETIRE, 0), argc);
		return true;
	}
	while (a->sync_len > 0) {
		uint32_t i = a->sync[a->sync_head];
		a->sync_head = (a->sync_head + 1) % PSD_ALERT_INSTANCES;
		a->sync_len--;
		struct psd_alert *x = &a->inst[i];
		x->queued = false;
		if (x->used && (x->published || x->in_db)) {
			emit_sync(c, i, ret);
			return true;
		}
		maybe_free(a, i);
	}
	return false;
}

static uint64_t hash_reply(const struct psd_reply *r)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t e = 0; e < r->element_count; e++) {
		for (size_t k = 0; k < r->elements[e].len; k++)
			h = (h ^ (uint8_t)r->elements[e].ptr[k]) * 0x100000001b3ull;
		h = (h ^ 0xffu) * 0x100000001b3ull; /* element boundary */
	}
	return h | 1u; /* 0 means: none seen yet */
}

static void log_silence_entry(struct psd_core *c, const struct psd_str *field,
			      const struct psd_str *value, const char *verdict)
{
	struct psd_text t;
	if (psd_log_begin(c, verdict[0] == 'a' ? PSD_LOG_NOTICE : PSD_LOG_WARN, &t) == NULL)
		return;
	psd_text_str(&t, "alert silence CONFIG_DB " SILENCE_TABLE "|portsyncd field '");
	psd_text_escaped(&t, field->ptr, field->len);
	psd_text_str(&t, "' until '");
	psd_text_escaped(&t, value->ptr, value->len);
	psd_text_str(&t, "': ");
	psd_text_str(&t, verdict);
	psd_log_end(c, &t);
}

/* One field of the silence hash: "<rule>" or "<rule>|<port>" = Unix seconds. */
static const char *silence_parse(struct psd_core *c, const struct psd_str *field,
				 const struct psd_str *value, struct psd_alert_silence *s)
{
	struct psd_alerts *a = &c->alerts;
	char rule[PSD_ALERT_NAME_LEN_MAX + 1];
	size_t rule_len = 0;
	while (rule_len < field->len && field->ptr[rule_len] != '|')
		rule_len++;
	size_t port_len = rule_len < field->len ? field->len - rule_len - 1 : 0;
	if (rule_len == 0 || rule_len > PSD_ALERT_NAME_LEN_MAX)
		return "refused: not a rule name (expected <rule> or <rule>|<port>)";
	memcpy(rule, field->ptr, rule_len);
	rule[rule_len] = '\0';
	int r = -1;
	for (uint32_t k = 0; k < a->rules.count && r < 0; k++)
		if (strcmp(a->rules.rule[k].name, rule) == 0)
			r = (int)k;
	if (r < 0)
		return "refused: no such rule";
	if (rule_len < field->len &&
	    (port_len == 0 || port_len > PSD_IFNAME_LEN_MAX || !a->rules.rule[r].per_port))
		return "refused: a port is 1 to 15 bytes, for a per-port rule only";
	uint64_t until;
	if (psd_dec_to_u64(value->ptr, value->len, &until) < 0)
		return "refused: until is Unix seconds (whole number)";
	s->rule = (uint16_t)r;
	s->port_len = (uint8_t)port_len;
	memcpy(s->port, field->ptr + rule_len + 1, port_len);
	s->until_unix_s = until;
	s->expired = until <= wall_s(c, c->now_ns);
	return s->expired ? "accepted, already over" : "accepted";
}

static void silence_reply(struct psd_core *c, const struct psd_reply *r)
{
	struct psd_alerts *a = &c->alerts;
	a->silence_inflight = false;
	if (r->type != PSD_REPLY_ARRAY) {
		if (r->type == PSD_REPLY_ERROR)
			a->sync_errors++;
		return; /* asked again at the next poll */
	}
	uint64_t h = hash_reply(r);
	if (h == a->silence_hash)
		return;
	a->silence_hash = h;
	a->silence_count = 0;
	for (size_t e = 0; e + 1 < r->element_count; e += 2) {
		struct psd_alert_silence s = {0};
		if (a->silence_count == PSD_ALERT_SILENCES_MAX) {
			log_silence_entry(c, &r->elements[e], &r->elements[e + 1],
					  "refused: more than PSD_ALERT_SILENCES_MAX (64) silences");
			continue;
		}
		const char *verdict = silence_parse(c, &r->elements[e], &r->elements[e + 1], &s);
		log_silence_entry(c, &r->elements[e], &r->elements[e + 1], verdict);
		if (verdict[0] == 'a')
			a->silence[a->silence_count++] = s;
	}
	if (r->element_count == 0)
		psd_log_line(c, PSD_LOG_NOTICE, "alert silence: none in CONFIG_DB", "");
}

/* An entry of ours in STATE_DB (in it, or being written) is kept. */
static bool entry_ours(const struct psd_core *c, const struct psd_str *key)
{
	const struct psd_alerts *a = &c->alerts;
	char k[PSD_ALERT_KEY_LEN_MAX + 1];
	size_t len;
	for (uint32_t i = 0; i < a->pool_high; i++) {
		const struct psd_alert *x = &a->inst[i];
		if (i == a->rules.count && i < PSD_ALERT_RULES_MAX) {
			i = PSD_ALERT_RULES_MAX - 1; /* no daemon alert beyond the rules */
			continue;
		}
		if (!x->used || !(x->in_db || x->sent || x->published))
			continue;
		key_of(c, x, k, sizeof(k), &len);
		if (len == key->len && memcmp(k, key->ptr, len) == 0)
			return true;
	}
	return false;
}

/* KEYS PORTSYNCD_ALERT|*: the entries an earlier run left (it stopped while they fired) go. */
static void sweep_reply(struct psd_core *c, const struct psd_reply *r)
{
	struct psd_alerts *a = &c->alerts;
	uint32_t left = 0;
	a->sweep_inflight = false;
	if (r->type != PSD_REPLY_ARRAY)
		return; /* asked again at the next pull */
	a->swept = true;
	for (size_t e = 0; e < r->element_count; e++) {
		const struct psd_str *key = &r->elements[e];
		if (key->len == 0 || key->len > PSD_ALERT_KEY_LEN_MAX || entry_ours(c, key))
			continue;
		if (a->retired_len == PSD_ALERT_RETIRED_MAX) {
			left++;
			continue;
		}
		struct psd_alert_retired *x = &a->retired[a->retired_len++];
		memcpy(x->key, key->ptr, key->len);
		x->len = (uint8_t)key->len;
	}
	if (left > 0)
		psd_log_line(c, PSD_LOG_ERROR, "alert: STATE_DB entries of an earlier run left "
			     "behind: more than PSD_ALERT_RETIRED_MAX (256) to remove", "");
}

void psd_alerts_reply(struct psd_core *c, const struct psd_reply *r)
{
	struct psd_alerts *a = &c->alerts;
	switch (PSD_TAG_KIND(r->tag)) {
	case TAG_ALERT_SILENCE:
		silence_reply(c, r);
		return;
	case TAG_ALERT_SWEEP:
		sweep_reply(c, r);
		return;
	case TAG_ALERT_RETIRE:
		if (r->type == PSD_REPLY_ERROR) {
			/* sent again at the next evaluation: retired_sent until then */
			a->sync_errors++;
			a->retired_retry = true;
			return;
		}
		a->retired_sent = false;
		a->retired_len--;
		return;
	default:
		break;
	}
	uint32_t i = PSD_TAG_INDEX(r->tag) & ((1u << TAG_GEN_SHIFT) - 1u);
	if (i >= PSD_ALERT_INSTANCES)
		return;
	struct psd_alert *x = &a->inst[i];
	if (!x->sent || x->gen != (uint16_t)(PSD_TAG_INDEX(r->tag) >> TAG_GEN_SHIFT))
		return; /* its alert was dropped by a reload meanwhile */
	x->sent = false;
	if (r->type == PSD_REPLY_ERROR) {
		/* sent again at its next evaluation (a second from now), not in a loop with Redis */
		a->sync_errors++;
		return;
	}
	x->in_db = x->sent_set;
	if (x->published != x->in_db)
		sync_queue(a, i);
	maybe_free(a, i);
}

static void requeue_sent(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	if (x->used && x->sent) {
		x->sent = false;
		sync_queue(a, i);
	}
}

void psd_alerts_db_down(struct psd_core *c)
{
	struct psd_alerts *a = &c->alerts;
	a->silence_inflight = false;
	a->sweep_inflight = false;
	a->retired_sent = false;
	a->retired_retry = false;
	for (uint32_t i = 0; i < a->rules.count; i++)
		requeue_sent(a, i);
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++)
		requeue_sent(a, i);
}

/* --- views ---------------------------------------------------------------------------------- */

static void view_of(const struct psd_alert *x, struct psd_alert_view *v)
{
	v->rule = x->rule;
	v->subject = psd_alert_subject(x, &v->subject_len);
	v->state = (enum psd_alert_state)x->state;
	v->silenced = x->silenced;
	v->inhibited = x->inhibited;
	v->published = x->published;
	v->holds = x->holds;
	v->value = x->value;
	v->since_ns = x->since_ns;
	v->cond_since_ns = x->cond_since_ns;
}

const struct psd_alert_rules *psd_core_alert_rules(const struct psd_core *c)
{
	return &c->alerts.rules;
}

void psd_core_alerts_each(const struct psd_core *c,
			  void (*fn)(void *ctx, const struct psd_alert_view *v), void *ctx)
{
	const struct psd_alerts *a = &c->alerts;
	struct psd_alert_view v;
	for (uint32_t i = 0; i < a->rules.count; i++) {
		if (!a->inst[i].used || a->inst[i].state == PSD_ALERT_INACTIVE)
			continue;
		view_of(&a->inst[i], &v);
		fn(ctx, &v);
	}
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++) {
		if (!a->inst[i].used || a->inst[i].state == PSD_ALERT_INACTIVE)
			continue;
		view_of(&a->inst[i], &v);
		fn(ctx, &v);
	}
}

/* --- invariants ----------------------------------------------------------------------------- */

static void check_alert(const struct psd_alerts *a, uint32_t i, uint32_t *queued)
{
	const struct psd_alert *x = &a->inst[i];
	*queued += x->queued;
	PSD_ASSERT(!(x->queued && x->sent));
	PSD_ASSERT(!x->used || x->published == (x->state == PSD_ALERT_FIRING && !x->silenced &&
						  !x->inhibited));
}

/* O(rules + pool entries used at least once): cheap enough for every event in the simulator. */
void psd_alerts_check(const struct psd_core *c)
{
	const struct psd_alerts *a = &c->alerts;
	uint32_t used = 0, queued = 0;

	PSD_ASSERT(a->rules.count <= PSD_ALERT_RULES_MAX);
	PSD_ASSERT(a->silence_count <= PSD_ALERT_SILENCES_MAX);
	PSD_ASSERT(a->sync_len <= PSD_ALERT_INSTANCES);
	PSD_ASSERT(a->retired_len <= PSD_ALERT_RETIRED_MAX);
	PSD_ASSERT(a->pool_high >= PSD_ALERT_RULES_MAX && a->pool_high <= PSD_ALERT_INSTANCES);
	for (uint32_t i = 0; i < a->rules.count; i++) {
		const struct psd_alert *x = &a->inst[i];
		PSD_ASSERT(x->used == !a->rules.rule[i].per_port);
		PSD_ASSERT(!x->used || (x->rule == i && x->port == PSD_ALERT_NONE));
		check_alert(a, i, &queued);
	}
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++) {
		const struct psd_alert *x = &a->inst[i];
		check_alert(a, i, &queued);
		if (!x->used)
			continue;
		used++;
		PSD_ASSERT(x->rule < a->rules.count && a->rules.rule[x->rule].per_port);
		/* reachable from its bucket, and no other alert of the same rule and port there */
		PSD_ASSERT(pool_find(a, x->rule, x->port, x->port_name, x->port_len) == i);
	}
	PSD_ASSERT(used == a->pool_used);
	PSD_ASSERT(queued == a->sync_len);
	for (uint32_t k = 0; k < a->sync_len; k++)
		PSD_ASSERT(a->inst[a->sync[(a->sync_head + k) % PSD_ALERT_INSTANCES]].queued);
	for (uint32_t k = 0; k < a->silence_count; k++)
		PSD_ASSERT(a->silence[k].rule < a->rules.count);
}
