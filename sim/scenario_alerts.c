/*
 * --alerts: the shipped alert rules through three seeded flap storms (docs/simulator.md), each
 * inside one 10 s slot: a quarter of the ports change 5 to 10 times, the others at most 4.
 * port_flapping must fire for exactly the flapping ports, each at the virtual second the rule
 * predicts (the first evaluation after its fifth change, plus `for`), with a STATE_DB entry, and
 * resolve `keep_firing_for` after the second at which its window holds no more than 4 of them,
 * its entry removed. In the second storm
 * one flapping port is silenced until a second between its firing and the check: held, then
 * written. In the third Redis is down: every per-port alert fires inhibited, and the entries
 * appear once Redis is back. Every step also holds alert-held-for (check_step.c). It prints the
 * alert trace hash (every transition with its virtual time).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "sim.h"

struct alert_run {
	struct psd_sim *s;
	const struct psd_alert_rules *rules;
	uint32_t flap;          /* the shipped per-port flap rule */
	uint64_t *fired;        /* per port: when its flap alert last went firing (0: not) */
	uint64_t *resolved;
	uint64_t *resolve_at;   /* per port: when the rule says its alert resolves (0: never) */
	unsigned failures;
};

static uint32_t rule_named(const struct psd_alert_rules *r, const char *name)
{
	for (uint32_t i = 0; i < r->count; i++)
		if (strcmp(r->rule[i].name, name) == 0)
			return i;
	fprintf(stderr, "psd-sim: no shipped rule %s\n", name);
	exit(2);
}

static void on_alert_transition(void *ctx, const struct psd_alert_view *v,
				enum psd_alert_state from)
{
	struct alert_run *ar = ctx;
	unsigned port;
	char name[PSD_IFNAME_LEN_MAX + 1];
	if (v->rule != ar->flap || v->subject_len > PSD_IFNAME_LEN_MAX)
		return;
	memcpy(name, v->subject, v->subject_len);
	name[v->subject_len] = '\0';
	if (sscanf(name, "Ethernet%u", &port) != 1 || port >= ar->s->nports)
		return;
	uint64_t at = ar->s->w->now / PSD_ALERT_EVAL_NS * PSD_ALERT_EVAL_NS;
	if (v->state == PSD_ALERT_FIRING)
		ar->fired[port] = at;
	if (v->state == PSD_ALERT_RESOLVED)
		ar->resolved[port] = at;
}

static void alert_check(struct alert_run *ar, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void alert_check(struct alert_run *ar, bool ok, const char *fmt, ...)
{
	va_list ap;
	if (ok)
		return;
	ar->failures++;
	printf("psd-sim: alerts: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Up to virtual time t, stopping at every evaluation on the way. */
static void alert_advance(struct psd_sim *s, uint64_t t)
{
	while (s->w->now < t) {
		uint64_t next = (s->w->now / PSD_ALERT_EVAL_NS + 1) * PSD_ALERT_EVAL_NS;
		psd_world_advance(s->w, (next < t ? next : t) - s->w->now);
		if (!s->f.redis_up)
			psd_world_refuse_connects(s->w);
		psd_sim_serve_dump(s);
		psd_check_alerts(s);
	}
}

struct flap_event {
	uint64_t t;
	uint32_t port, seq;
};

static int flap_cmp(const void *a, const void *b)
{
	const struct flap_event *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

#define STORM_SLOT_NS (10 * PSD_SIM_S) /* a storm's changes fall within one such slot */

/* A seeded flap storm inside one 10 s slot b: a quarter of the ports (one at least, and
 * must_flap) change 5 to 10 times, the others 0 to 4 times (the flap rule wants more than 4 in
 * 30 s). Sets predicted[i] to when the rule must fire for port i (0: never) and resolve_at[i] to
 * when it resolves: keep_firing_for after the second at which the window has lost all but
 * `threshold` of the changes (the window holds the seconds from now - window to now). Returns
 * the slot. */
static uint64_t flap_storm(struct alert_run *ar, uint64_t *predicted, uint32_t must_flap)
{
	struct psd_sim *s = ar->s;
	const struct psd_alert_rule *r = &ar->rules->rule[ar->flap];
	uint64_t bucket_ns = STORM_SLOT_NS;
	uint64_t b = s->w->now / bucket_ns + 2;
	uint64_t t0 = b * bucket_ns + 500 * PSD_SIM_MS;
	uint32_t threshold = (uint32_t)(r->threshold / 1000);
	struct flap_event *ev = calloc((size_t)s->nports * 10, sizeof(*ev));
	uint32_t n = 0, flapping = 0;
	if (ev == NULL)
		exit(1);
	for (uint32_t i = 0; i < s->nports; i++) {
		bool storm = psd_sim_below(s, 4) == 0 || i == must_flap ||
			     (i + 1 == s->nports && flapping == 0);
		uint32_t changes = storm ? threshold + 1 + psd_sim_below(s, 6) : psd_sim_below(s, threshold + 1);
		flapping += storm;
		for (uint32_t k = 0; k < changes; k++)
			ev[n++] = (struct flap_event){t0 + psd_sim_below(s, 80) * 100 * PSD_SIM_MS, i, n};
	}
	qsort(ev, n, sizeof(*ev), flap_cmp);
	uint32_t *seen = calloc(s->nports, sizeof(*seen));
	if (seen == NULL)
		exit(1);
	memset(predicted, 0, s->nports * sizeof(*predicted));
	for (uint32_t k = 0; k < n; k++) {
		alert_advance(s, ev[k].t);
		struct psd_kernel_port *p = &s->k.ports[ev[k].port];
		psd_kernel_set(&s->k, ev[k].port, p->up, !p->carrier, p->mtu);
		psd_kernel_deliver(&s->k, s->w, s->k.qlen);
		/* the (threshold + 1)th change: seen at the next evaluation, firing `for` later */
		if (++seen[ev[k].port] == threshold + 1)
			predicted[ev[k].port] = (ev[k].t / PSD_SIM_S + 1) * PSD_SIM_S + r->for_s * PSD_SIM_S;
	}
	memset(ar->resolve_at, 0, s->nports * sizeof(*ar->resolve_at));
	memset(seen, 0, s->nports * sizeof(*seen));
	for (uint32_t k = n; k-- > 0;) { /* the (changes - threshold)th change: threshold after it */
		uint32_t i = ev[k].port;
		if (predicted[i] != 0 && ++seen[i] == threshold + 1)
			ar->resolve_at[i] = (ev[k].t / PSD_SIM_S + r->window_s + 1 +
					     r->keep_firing_for_s) * PSD_SIM_S;
	}
	free(seen);
	free(ev);
	return b;
}

static bool entry_exists(struct psd_sim *s, uint32_t port)
{
	char key[64];
	snprintf(key, sizeof(key), "PORTSYNCD_ALERT|port_flapping|Ethernet%u", port);
	return psd_model_exists(&s->w->m, PSD_WORLD_STATE, key);
}

struct held_look {
	struct psd_alert_view v;
	bool found;
};

static struct held_look flap_alert(struct alert_run *ar, uint32_t port)
{
	struct held_look l;
	char subject[24];
	snprintf(subject, sizeof(subject), "Ethernet%u", port);
	l.found = psd_alert_find(ar->s->w->core, ar->flap, subject, &l.v);
	return l;
}

/* Each phase: a storm; the flap rule fires for exactly the flapping ports, each at the predicted
 * time, and resolves keep_firing_for after the storm's bucket left the window. */
static void storm_phase(struct alert_run *ar, const char *phase, uint64_t *predicted,
			uint32_t silenced, uint64_t silence_until, bool outage)
{
	struct psd_sim *s = ar->s;
	const struct psd_alert_rule *r = &ar->rules->rule[ar->flap];
	memset(ar->fired, 0, s->nports * sizeof(*ar->fired));
	memset(ar->resolved, 0, s->nports * sizeof(*ar->resolved));
	uint64_t b = flap_storm(ar, predicted, silenced);
	if (silenced != UINT32_MAX) { /* firing, silenced: its actions held */
		alert_advance(s, predicted[silenced] + PSD_SIM_S);
		struct held_look l = flap_alert(ar, silenced);
		alert_check(ar, predicted[silenced] + PSD_SIM_S < silence_until && l.found &&
				    l.v.state == PSD_ALERT_FIRING && l.v.silenced && !l.v.published &&
				    !entry_exists(s, silenced),
			    "%s: Ethernet%u firing but not held by its silence", phase, silenced);
	}
	uint64_t window_end = b * STORM_SLOT_NS + r->window_s * PSD_SIM_S;
	uint64_t resolve_last = 0;
	for (uint32_t i = 0; i < s->nports; i++)
		resolve_last = ar->resolve_at[i] > resolve_last ? ar->resolve_at[i] : resolve_last;
	/* while every alert fires: entries exactly for the flapping ports not held */
	alert_advance(s, window_end - 2 * PSD_SIM_S);
	for (uint32_t i = 0; i < s->nports; i++) {
		struct held_look l = flap_alert(ar, i);
		alert_check(ar, ar->fired[i] == predicted[i], "%s: Ethernet%u fired at %llu ms, the rule "
			    "predicts %llu ms", phase, i, (unsigned long long)(ar->fired[i] / PSD_SIM_MS),
			    (unsigned long long)(predicted[i] / PSD_SIM_MS));
		bool held = (i == silenced && s->w->now < silence_until) || outage;
		alert_check(ar, entry_exists(s, i) == (predicted[i] != 0 && !held),
			    "%s: Ethernet%u STATE_DB entry %s", phase, i,
			    entry_exists(s, i) ? "present" : "absent");
		if (predicted[i] != 0)
			alert_check(ar, l.found && l.v.state == PSD_ALERT_FIRING &&
					    l.v.silenced == (i == silenced && s->w->now < silence_until) &&
					    l.v.inhibited == outage,
				    "%s: Ethernet%u is not firing %s", phase, i,
				    outage ? "inhibited" : i == silenced ? "silenced" : "");
	}
	if (outage) { /* Redis back: the inhibition ends, the held entries are written */
		psd_world_redis_up(s->w);
		s->f.redis_up = true;
		alert_advance(s, s->w->now + 3 * PSD_SIM_S);
		for (uint32_t i = 0; i < s->nports; i++)
			alert_check(ar, entry_exists(s, i) == (predicted[i] != 0),
				    "%s: Ethernet%u entry after Redis came back", phase, i);
	}
	alert_advance(s, resolve_last + 2 * PSD_SIM_S);
	for (uint32_t i = 0; i < s->nports; i++) {
		alert_check(ar, ar->resolved[i] == ar->resolve_at[i],
			    "%s: Ethernet%u resolved at %llu ms, the rule predicts %llu ms", phase, i,
			    (unsigned long long)(ar->resolved[i] / PSD_SIM_MS),
			    (unsigned long long)(ar->resolve_at[i] / PSD_SIM_MS));
		alert_check(ar, !entry_exists(s, i), "%s: Ethernet%u entry left after resolving", phase,
			    i);
	}
}

int psd_sim_run_alerts(struct psd_sim *s, const char *seed_text)
{
	struct alert_run ar = {.s = s, .rules = s->o.aw.reference};
	uint64_t *predicted = calloc(s->nports, sizeof(*predicted));
	ar.fired = calloc(s->nports, sizeof(*ar.fired));
	ar.resolved = calloc(s->nports, sizeof(*ar.resolved));
	ar.resolve_at = calloc(s->nports, sizeof(*ar.resolve_at));
	if (predicted == NULL || ar.fired == NULL || ar.resolved == NULL || ar.resolve_at == NULL)
		return 1;
	ar.flap = rule_named(ar.rules, "port_flapping");
	s->o.aw.on_transition = on_alert_transition;
	s->o.aw.ctx = &ar;
	psd_sim_config_ports(s);
	psd_world_start(s->w);
	for (uint32_t i = 0; i < s->nports; i++) {
		psd_kernel_create(&s->k, i);
		psd_kernel_set(&s->k, i, true, true, 9100); /* admin up: carrier changes are oper ones */
	}
	psd_kernel_deliver(&s->k, s->w, s->k.qlen);
	psd_sim_serve_dump(s);
	psd_model_consume(&s->w->m, PSD_WORLD_APPL);
	/* the ports' first oper change (down to up) leaves the flap window before the storm */
	alert_advance(s, s->w->now + PSD_FLAP_WINDOW_S * PSD_SIM_S);

	storm_phase(&ar, "storm", predicted, UINT32_MAX, 0, false);

	/* a silence of one flapping port (of the next storm's draw: written before it) that ends
	 * while its alert fires: held, then its actions run */
	uint32_t p = psd_sim_below(s, s->nports);
	/* the next storm's slot b is two from now's; it fires by b * 10 s + 15 s and the check of
	 * the entries is at b * 10 s + 28 s: the silence ends between */
	uint64_t until_s = (s->w->now / STORM_SLOT_NS + 2) * (STORM_SLOT_NS / PSD_SIM_S) + 20;
	char field[48], until[24];
	snprintf(field, sizeof(field), "port_flapping|Ethernet%u", p);
	snprintf(until, sizeof(until), "%llu", (unsigned long long)until_s);
	psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, "PORTSYNCD_ALERT_SILENCE|portsyncd", field, until);
	storm_phase(&ar, "silence", predicted, p, until_s * PSD_SIM_S, false);

	/* Redis unreachable: every per-port alert is inhibited while redis_unreachable holds */
	psd_world_redis_down(s->w);
	s->f.redis_up = false;
	storm_phase(&ar, "outage", predicted, UINT32_MAX, 0, true);

	printf("psd-sim: alerts: seed %s, %u ports: %s, %llu alert transitions, alert trace hash "
	       "%016llx\n", seed_text, s->nports, ar.failures == 0 && !s->o.failed ? "ok" : "FAILED",
	       (unsigned long long)s->o.aw.transitions, (unsigned long long)s->o.aw.trace_hash);
	free(predicted);
	free(ar.fired);
	free(ar.resolved);
	free(ar.resolve_at);
	if (s->o.failed)
		return psd_sim_fail_violated(s);
	return ar.failures == 0 ? 0 : 1;
}

