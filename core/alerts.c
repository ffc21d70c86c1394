/*
 * Alerts (the module's entry points; its parts are listed in alert_parts.h): the rules are
 * evaluated on whole seconds (PSD_ALERT_EVAL_NS) with the time handed in, but only when an
 * evaluation may change something: after an event changed a watched signal or a port's oper
 * changes (psd_alerts_note, at the next whole second), or when a deadline that time alone brings
 * falls due (an alert's for or keep_firing_for, a resolved alert leaving, a window losing a
 * second or passing a sample, a silence's end). An idle daemon has no alert deadline. A daemon
 * rule reads one of the daemon's signals (a counter or gauge of the metrics, or a rate or p99
 * over a window of the history sampled when it changed); a per-port rule reads a port's oper
 * changes in a window (link analytics), for the ports whose changes are new (ctx.alertq) and the
 * alerts already kept that are due. Each (rule, subject) has an alert machine (alert_fsm.rl) fed
 * one symbol per evaluation; a firing alert that is neither silenced nor inhibited has a STATE_DB
 * entry PORTSYNCD_ALERT|<rule>|<subject>, removed once it resolves or is held. An alert is
 * inhibited while the rule named by its rule's inhibited_by is pending or firing. Held alerts
 * are still evaluated; their actions wait. docs/alerts.md says where the instants differ from a
 * 1 s tick (nowhere in what is decided).
 *
 * Here: the rules (validated whole: a refused file changes nothing), init and reload (rules
 * unchanged keep their alerts), the evaluation's entry point, the reply dispatch, the views
 * and the invariants.
 *
 * Invariants: see alerts.h. Memory is fixed: PSD_ALERT_SUBJECTS_MAX per-port alerts at once
 * (a refusal is counted and logged), PSD_ALERT_HISTORY samples, PSD_ALERT_SILENCES_MAX silences.
 */
#include <errno.h>
#include <string.h>

#include "alert_fsm.h"
#include "alert_parts.h"
#include "alerts.h"
#include "port_stats.h"
#include "psd_assert.h"
#include "work.h"

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
	if (r->per_port && r->window_s > s->window_max_s)
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

/* a before b in a port's evaluation: `above` first, by window, then by threshold */
static bool port_rule_before(const struct psd_alert_rule *a, const struct psd_alert_rule *b)
{
	bool above_a = a->condition == PSD_COND_ABOVE, above_b = b->condition == PSD_COND_ABOVE;
	if (above_a != above_b)
		return above_a;
	if (!above_a)
		return false; /* the others keep their order */
	if (psd_alert_buckets_of(a) != psd_alert_buckets_of(b))
		return psd_alert_buckets_of(a) < psd_alert_buckets_of(b);
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
	for (uint32_t k = 0; k <= PSD_FLAP_WINDOW_MAX_S + 1; k++) {
		while (i < n && a->rules.rule[a->port_order[i]].condition == PSD_COND_ABOVE &&
		       psd_alert_buckets_of(&a->rules.rule[a->port_order[i]]) < k)
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
	a->port_window_max = 0;
	a->watched = 0;
	for (uint32_t i = 0; i < a->rules.count; i++) {
		const struct psd_alert_rule *r = &a->rules.rule[i];
		a->per_port_rules += r->per_port;
		if (r->per_port && r->window_s > a->port_window_max)
			a->port_window_max = r->window_s;
		if (!r->per_port)
			a->watched |= 1u << r->signal;
	}
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

int psd_alerts_init(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_rules *rules)
{
	if (rules != NULL && !rules_valid(rules))
		return -EINVAL;
	take_rules(a, rules);
	psd_alert_pool_reset(a);
	for (uint32_t i = 0; i < a->rules.count; i++)
		daemon_alert_init(a, i);
	a->due_ns = UINT64_MAX;
	a->change_due_ns = UINT64_MAX;
	a->dirty = true; /* the first evaluation: as soon as start-up is over */
	a->silence_due_ns = 0;
	return 0;
}

/* The daemon rules, each evaluated; their window deadlines. True when one changed state (the
 * alerts it inhibits are to be evaluated again). */
static bool evaluate_daemon(struct psd_ctx *c, struct psd_alerts *a,
			    const struct psd_alert_sample *now, uint64_t t)
{
	bool moved = false;
	for (uint32_t r = 0; r < a->rules.count; r++) {
		const struct psd_alert_rule *rule = &a->rules.rule[r];
		int64_t v = 0;
		if (rule->per_port)
			continue;
		uint8_t before = a->inst[r].state;
		bool known = psd_alert_daemon_value(a, rule, now, &v);
		psd_alert_evaluate(c, a, r, known && psd_alert_condition(rule, v), v, t);
		psd_alert_due(a, psd_alert_window_due(a, rule, now));
		moved |= a->inst[r].state != before;
	}
	return moved;
}

/* An evaluation at the whole second t: the daemon's signals sampled (into the history when one
 * changed), every daemon rule, the per-port alerts due (or all of them, when rules, silences or
 * an inhibiting alert changed), then the ports whose changes are new. */
void psd_alerts_timer(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_given *g)
{
	struct psd_alert_sample now;
	if (a->rules.count == 0 || (c->now_ns < a->due_ns && c->now_ns < a->change_due_ns))
		return;
	a->change_due_ns = UINT64_MAX;
	a->tick = c->now_ns / PSD_ALERT_EVAL_NS;
	a->evaluations++;
	if (!a->evaluated)
		a->first_tick = a->tick;
	a->evaluated = true;
	uint64_t t = a->tick * PSD_ALERT_EVAL_NS; /* evaluations happen on the second */
	a->due_ns = UINT64_MAX;
	psd_alert_sample_now(c, g, &now);
	now.tick = a->tick;
	if (psd_alert_sample_differs(a, &now))
		psd_alert_history_add(a, &now);
	a->sweep_wait = false; /* a refused sweep goes again */
	if (a->retired_retry) { /* a refused DEL of a retired entry goes again */
		a->retired_retry = false;
		a->retired_sent = false;
	}
	bool all = psd_alert_expire_silences(c, a) || a->dirty;
	a->dirty = false;
	all |= evaluate_daemon(c, a, &now, t);
	if (a->per_port_rules == 0) {
		c->alertq.gone = false;
		while (c->alertq.head != PSD_NO_PORT)
			psd_alertq_unlink(c, c->alertq.head);
		return;
	}
	psd_alert_evaluate_pool(c, a, all || c->alertq.gone, t);
	c->alertq.gone = false;
	for (uint32_t n = c->alertq.len; n > 0; n--) { /* ports queued again go at the next */
		uint32_t idx = c->alertq.head;
		psd_alertq_unlink(c, idx);
		psd_alert_evaluate_port(c, a, idx, t);
	}
	if (c->alertq.len > 0)
		psd_alert_due(a, t + PSD_ALERT_EVAL_NS);
}

/* After every event: whatever it changed that an alert reads (a port's changes, a watched
 * signal, the rules or silences) asks for an evaluation at the next whole second. */
void psd_alerts_note(const struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_given *g)
{
	struct psd_alert_sample now;
	if (a->rules.count == 0 || a->change_due_ns != UINT64_MAX)
		return; /* none, or one asked for already */
	bool changed = c->alertq.len > 0 || c->alertq.gone || a->dirty || !a->evaluated;
	if (!changed && a->watched != 0) {
		psd_alert_sample_now(c, g, &now);
		changed = psd_alert_sample_differs(a, &now);
	}
	if (changed)
		a->change_due_ns = psd_alert_next_second(a, c->now_ns);
}

uint64_t psd_alerts_deadline(const struct psd_ctx *c, const struct psd_alerts *a, bool redis_up)
{
	if (a->rules.count == 0)
		return UINT64_MAX;
	uint64_t d = a->due_ns < a->change_due_ns ? a->due_ns : a->change_due_ns;
	/* the poll waits for Redis, as every command: no deadline meanwhile */
	if (redis_up && !a->silence_inflight && a->silence_due_ns < d)
		d = a->silence_due_ns;
	return d;
}

void psd_alerts_silences_watched(struct psd_ctx *c, struct psd_alerts *a, bool watched)
{
	a->silences_watched = watched;
	a->silence_due_ns = watched ? c->now_ns : c->now_ns + PSD_ALERT_SILENCE_POLL_NS;
}

void psd_alerts_silences_changed(struct psd_ctx *c, struct psd_alerts *a)
{
	a->silence_due_ns = c->now_ns;
}

static bool same_rule(const struct psd_alert_rule *x, const struct psd_alert_rule *y)
{
	return memcmp(x, y, sizeof(*x)) == 0;
}

/* Retires the alerts of rules a reload removes or changes (map[old rule] is PSD_ALERT_NONE), their
 * STATE_DB entries with them; the daemon alerts as they were are copied to reload_old. */
static void retire_unmapped(struct psd_ctx *c, struct psd_alerts *a, const uint32_t *map)
{
	struct psd_alert *daemon = a->reload_old;
	uint32_t old_count = a->rules.count;
	if (old_count > 0)
		memcpy(daemon, a->inst, old_count * sizeof(daemon[0]));
	for (uint32_t i = 0; i < old_count; i++)
		if (daemon[i].used && map[i] == PSD_ALERT_NONE)
			psd_alert_retire(c, a, &daemon[i]);
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++) {
		struct psd_alert *x = &a->inst[i];
		if (!x->used)
			continue;
		if (map[x->rule] == PSD_ALERT_NONE) {
			psd_alert_retire(c, a, x);
			x->queued = false;
			x->sent = false;
		}
	}
}

/* The per-port alerts that live on, rehashed under their new rule index; the others freed. */
static void rehash_pool(struct psd_alerts *a, const uint32_t *map, uint32_t pool_high)
{
	struct psd_alert keep;
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
		uint32_t b = psd_alert_bucket_of(x->rule, x->port_name, x->port_len);
		x->next = a->bucket[b];
		a->bucket[b] = i + 1;
		a->pool_used++;
	}
	a->pool_high = pool_high;
}

/* The daemon alerts of the new rules: each takes over its old rule's alert (reload_old), if any. */
static void carry_daemon_alerts(struct psd_alerts *a, const uint32_t *map, uint32_t old_count)
{
	const struct psd_alert *daemon = a->reload_old;
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
}

int psd_alerts_reload(struct psd_ctx *c, struct psd_alerts *a, const struct psd_alert_rules *rules)
{
	static const struct psd_alert_rules none; /* read only */
	uint32_t map[PSD_ALERT_RULES_MAX]; /* old rule -> new rule, or PSD_ALERT_NONE */
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
	retire_unmapped(c, a, map);
	/* the sync queue is rebuilt from scratch below */
	a->sync_len = 0;
	a->sync_head = 0;
	uint32_t pool_high = a->pool_high;
	take_rules(a, rules);
	rehash_pool(a, map, pool_high);
	carry_daemon_alerts(a, map, old_count);
	for (uint32_t i = 0; i < a->rules.count; i++)
		if (a->inst[i].used && a->inst[i].published != a->inst[i].in_db)
			psd_alert_sync_queue(a, i);
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++)
		if (a->inst[i].used && (a->inst[i].published != a->inst[i].in_db || a->inst[i].sent))
			psd_alert_sync_queue(a, i);
	/* silences name rules by index: they are read again at the next poll */
	a->silence_count = 0;
	a->silence_hash = 0;
	a->dirty = true;
	return 0;
}

bool psd_alerts_pull(struct psd_ctx *c, struct psd_alerts *a, struct psd_action *ret)
{
	return psd_alert_sync_pull(c, a, ret);
}

void psd_alerts_db_down(struct psd_ctx *c, struct psd_alerts *a)
{
	psd_alert_sync_db_down(c, a);
}

void psd_alerts_reply(struct psd_ctx *c, struct psd_alerts *a, const struct psd_reply *r)
{
	switch (PSD_TAG_KIND(r->tag)) {
	case TAG_ALERT_SILENCE:
		psd_alert_silence_reply(c, a, r);
		return;
	case TAG_ALERT_SWEEP:
		psd_alert_sweep_reply(c, a, r);
		return;
	case TAG_ALERT_RETIRE:
		if (r->type == PSD_REPLY_ERROR) {
			/* sent again at the next evaluation: retired_sent until then */
			a->sync_errors++;
			a->retired_retry = true;
			psd_alert_due(a, psd_alert_next_second(a, c->now_ns));
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
		x->due_ns = psd_alert_next_second(a, c->now_ns);
		psd_alert_due(a, x->due_ns);
		return;
	}
	x->in_db = x->sent_set;
	if (x->published != x->in_db)
		psd_alert_sync_queue(a, i);
	psd_alert_maybe_free(a, i);
}

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

const struct psd_alert_rules *psd_alerts_rules(const struct psd_alerts *a)
{
	return &a->rules;
}

void psd_alerts_each(const struct psd_alerts *a,
		     void (*fn)(void *ctx, const struct psd_alert_view *v), void *ctx)
{
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

static void check_alert(const struct psd_alerts *a, uint32_t i, uint32_t *queued)
{
	const struct psd_alert *x = &a->inst[i];
	*queued += x->queued;
	PSD_ASSERT(!(x->queued && x->sent));
	PSD_ASSERT(!x->used || x->published == (x->state == PSD_ALERT_FIRING && !x->silenced &&
						  !x->inhibited));
}

/* O(rules + pool entries used at least once): cheap enough for every event in the simulator. */
void psd_alerts_check(const struct psd_ctx *c, const struct psd_alerts *a)
{
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
		/* reachable from its bucket, and no other alert of the same rule and port name */
		PSD_ASSERT(psd_alert_pool_find(a, x->rule, x->port_name, x->port_len) == i);
	}
	PSD_ASSERT(used == a->pool_used);
	PSD_ASSERT(queued == a->sync_len);
	for (uint32_t k = 0; k < a->sync_len; k++)
		PSD_ASSERT(a->inst[a->sync[(a->sync_head + k) % PSD_ALERT_INSTANCES]].queued);
	for (uint32_t k = 0; k < a->silence_count; k++)
		PSD_ASSERT(a->silence[k].rule < a->rules.count);
}

void psd_alerts_counts(const struct psd_alerts *a, struct psd_alert_counts *ret)
{
	ret->rules = a->rules.count;
	ret->silences_active = 0;
	for (uint32_t k = 0; k < a->silence_count; k++)
		ret->silences_active += !a->silence[k].expired;
	ret->transitions = a->transitions;
	ret->refused = a->refused;
	ret->silence_refused = a->silence_refused;
	ret->evaluations = a->evaluations;
	ret->port_looks = a->port_looks;
}

void psd_alerts_holding(const struct psd_alerts *a, uint32_t *holding)
{
	memset(holding, 0, a->rules.count * sizeof(holding[0]));
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++)
		if (a->inst[i].used)
			holding[a->inst[i].rule] += a->inst[i].holds;
}
