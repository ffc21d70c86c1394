/*
 * One alert's evaluation (a part of the alert module, alert_parts.h): its condition against the
 * value read, its machine (alert_fsm.rl) stepped one symbol, silences and inhibition applied, the
 * transition logged in the one fixed format
 *
 *   alert rule=<rule> subject=<daemon|port> state=<from>-><to> severity=<s> value=<v>
 *         threshold=<t> held=<no|silenced|inhibited> summary="<text>"
 *
 * and the STATE_DB entry queued when what Redis should hold changed; a port's per-port rules in
 * the order psd_alerts keeps (`above` ones by window and threshold: those that hold a prefix).
 *
 * Invariant: published means firing and neither silenced nor inhibited; an alert whose
 * published state differs from what STATE_DB holds is on the sync queue.
 */
#include <string.h>

#include "alert_fsm.h"
#include "alert_parts.h"
#include "names.h"
#include "outbox.h"
#include "port_stats.h"
#include "psd_assert.h"

static enum psd_log_level severity_level(enum psd_alert_severity s)
{
	return s == PSD_SEV_CRITICAL ? PSD_LOG_CRIT : s == PSD_SEV_WARNING ? PSD_LOG_WARN :
									    PSD_LOG_NOTICE;
}

static void log_alert(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert *x,
		      enum psd_alert_state from,
		      enum psd_log_level level)
{
	const struct psd_alert_rule *r = &a->rules.rule[x->rule];
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
	psd_alert_text_fixed(&t, x->value, 3);
	psd_text_str(&t, " threshold=");
	psd_alert_text_threshold(&t, r);
	psd_text_str(&t, " held=");
	psd_text_str(&t, psd_alert_held(x));
	psd_text_str(&t, " summary=\"");
	psd_text_str(&t, r->summary);
	psd_text_str(&t, "\"");
	psd_log_end(c, &t);
}

static bool inhibited(const struct psd_alerts *a, const struct psd_alert_rule *r)
{
	if (r->inhibited_by == PSD_ALERT_NONE)
		return false;
	const struct psd_alert *src = &a->inst[r->inhibited_by];
	return src->state == PSD_ALERT_PENDING || src->state == PSD_ALERT_FIRING;
}

bool psd_alert_condition(const struct psd_alert_rule *r, int64_t v)
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
void psd_alert_evaluate(struct psd_ctx *c, struct psd_alerts *a, uint32_t i, bool holds,
			int64_t value, uint64_t t)
{
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
	x->silenced = psd_alert_silenced(c, a, x);
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
		log_alert(c, a, x, from, level);
	} else if (x->state == PSD_ALERT_FIRING && x->published != was_published) {
		/* a silence or an inhibition began or ended: the held actions run now */
		log_alert(c, a, x, from, x->published ? severity_level(r->severity) : PSD_LOG_NOTICE);
	} else if (x->silenced != was_silenced || x->inhibited != was_inhibited) {
		log_alert(c, a, x, from, PSD_LOG_DEBUG);
	}
	if (x->published != x->in_db || (x->published && (work & PSD_AW_FIRING)))
		psd_alert_sync_queue(a, i);
	/* when time alone moves it: `for` runs out, keep_firing_for runs out, resolved leaves */
	x->due_ns = UINT64_MAX;
	if (x->state == PSD_ALERT_RESOLVED)
		x->due_ns = t + PSD_ALERT_EVAL_NS;
	else if (holds && x->state == PSD_ALERT_PENDING)
		x->due_ns = x->cond_since_ns + r->for_s * NS_PER_S;
	else if (!holds && x->state == PSD_ALERT_FIRING)
		x->due_ns = x->false_since_ns + r->keep_firing_for_s * NS_PER_S;
	psd_alert_due(a, x->due_ns);
	psd_alert_maybe_free(a, i);
}

static void evaluate_kept(struct psd_ctx *c, struct psd_alerts *a, uint32_t i, uint64_t t);

/* Rule r for port idx with `changes` in its window: false when its condition does not hold;
 * else a new alert is kept and evaluated, unless one is kept already: evaluated before, or
 * (kept for a netdev of the same name at another index, not looked at this time) taken over
 * and evaluated now. */
static bool start_port_alert(struct psd_ctx *c, struct psd_alerts *a, uint32_t r, uint32_t idx,
			     uint32_t changes,
			     uint64_t t)
{
	const struct psd_port *p = &c->ports.ports[idx];
	int64_t v = (int64_t)changes * 1000;
	if (!psd_alert_condition(&a->rules.rule[r], v))
		return false;
	uint32_t i = psd_alert_pool_find(a, r, p->name, p->name_len);
	if (i == PSD_ALERT_NONE) {
		i = psd_alert_pool_add(c, a, r, idx, p->name, p->name_len);
		if (i != PSD_ALERT_NONE)
			evaluate_kept(c, a, i, t);
	} else if (a->inst[i].port != idx) {
		evaluate_kept(c, a, i, t);
	}
	return true;
}

/* The present port an alert is about: the one at its index while that keeps its name, else the
 * port of that name now (a netdev gone and another of the name back at another index, or a
 * rename), which the alert follows; NULL when there is none. */
static const struct psd_port *port_of(const struct psd_ctx *c, struct psd_alert *x)
{
	const struct psd_port *p = x->port < c->ports.high_water ? &c->ports.ports[x->port] : NULL;
	if (p != NULL && p->used && p->name_len == x->port_len &&
	    memcmp(p->name, x->port_name, x->port_len) == 0)
		return p->present ? p : NULL;
	uint32_t idx = psd_port_find(&c->ports, x->port_name, x->port_len);
	if (idx == PSD_NO_PORT)
		return NULL;
	x->port = idx;
	p = &c->ports.ports[idx];
	return p->present && p->name_class == PSD_NAME_PORT ? p : NULL;
}

/* A per-port alert's evaluation: its port's changes in its rule's window (nothing holds for a
 * port that is gone), and when that count next drops. */
static void evaluate_kept(struct psd_ctx *c, struct psd_alerts *a, uint32_t i, uint64_t t)
{
	struct psd_alert *x = &a->inst[i];
	const struct psd_alert_rule *r = &a->rules.rule[x->rule];
	const struct psd_port *p = port_of(c, x);
	a->port_looks++;
	if (p == NULL) {
		psd_alert_evaluate(c, a, i, false, 0, t);
		return;
	}
	int64_t v = (int64_t)psd_port_changes_in(p, t, r->window_s) * 1000;
	psd_alert_evaluate(c, a, i, psd_alert_condition(r, v), v, t);
	if (!x->used || x->state == PSD_ALERT_INACTIVE)
		return;
	uint64_t drop = psd_port_window_drops_at(p, t, r->window_s);
	if (drop < x->due_ns)
		x->due_ns = drop;
	psd_alert_due(a, drop);
}

/* The alerts kept: each whose deadline came, whose port changed or went, or (all) every one. */
void psd_alert_evaluate_pool(struct psd_ctx *c, struct psd_alerts *a, bool all, uint64_t t)
{
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++) {
		struct psd_alert *x = &a->inst[i];
		if (!x->used)
			continue;
		const struct psd_port *p = x->port < c->ports.high_water ? &c->ports.ports[x->port] :
									      NULL;
		bool changed = p == NULL || !p->used || !p->present || p->alertq_queued;
		if (all || changed || x->due_ns <= t)
			evaluate_kept(c, a, i, t);
		else
			psd_alert_due(a, x->due_ns);
	}
}

/* Per-port rules for a port whose changes are new: every window a rule uses. While a rule that
 * is not `above` may come to hold as the window drains, the port is looked at each second. */
void psd_alert_evaluate_port(struct psd_ctx *c, struct psd_alerts *a, uint32_t idx, uint64_t t)
{
	const struct psd_port *p = &c->ports.ports[idx];
	uint32_t changes[PSD_FLAP_WINDOW_MAX_S + 1];
	if (!p->used || !p->present || p->name_class != PSD_NAME_PORT)
		return;
	a->port_looks++;
	psd_port_changes_by_window(p, t, changes);
	for (uint32_t k = 1; k <= PSD_FLAP_WINDOW_MAX_S; k++) /* `above`: the prefix that holds */
		for (uint32_t o = a->above_from[k]; o < a->above_from[k + 1]; o++)
			if (!start_port_alert(c, a, a->port_order[o], idx, changes[k], t))
				break;
	for (uint32_t o = a->other_from; o < a->per_port_rules; o++) {
		uint32_t r = a->port_order[o];
		start_port_alert(c, a, r, idx, changes[psd_alert_buckets_of(&a->rules.rule[r])], t);
	}
	if (a->other_from < a->per_port_rules && changes[a->port_window_max] > 0)
		psd_alertq_push(c, idx);
}
