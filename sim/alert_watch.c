/* The simulator's alert watch (alert_watch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_watch.h"

struct step_ctx {
	struct psd_alert_watch *aw;
	const struct psd_alert_rules *rules;
	uint64_t eval_ns; /* the evaluation this step's alerts come from */
	bool failed;
};

static uint32_t slot_of(uint32_t rule, const char *subject, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ rule;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)subject[i]) * 0x100000001b3ull;
	return (uint32_t)(h % PSD_ALERT_WATCH_SLOTS);
}

static struct psd_alert_seen *find(struct psd_alert_table *tab, uint32_t rule, const char *subject,
				   size_t len, bool add)
{
	struct psd_alert_seen *t = tab->e;
	for (uint32_t i = slot_of(rule, subject, len), n = 0; n < PSD_ALERT_WATCH_SLOTS;
	     i = (i + 1) % PSD_ALERT_WATCH_SLOTS, n++) {
		struct psd_alert_seen *e = &t[i];
		if (!e->used) {
			if (!add)
				return NULL;
			e->used = true;
			tab->filled[tab->count++] = i;
			e->rule = rule;
			memcpy(e->subject, subject, len);
			e->subject[len] = '\0';
			return e;
		}
		if (e->rule == rule && strlen(e->subject) == len && memcmp(e->subject, subject, len) == 0)
			return e;
	}
	return NULL;
}

void psd_alert_watch_init(struct psd_alert_watch *aw)
{
	memset(aw, 0, sizeof(*aw));
	for (int k = 0; k < 2; k++) {
		aw->t[k].e = calloc(PSD_ALERT_WATCH_SLOTS, sizeof(*aw->t[k].e));
		aw->t[k].filled = calloc(PSD_ALERT_WATCH_SLOTS, sizeof(*aw->t[k].filled));
		if (aw->t[k].e == NULL || aw->t[k].filled == NULL)
			abort();
	}
	aw->now = &aw->t[0];
	aw->before = &aw->t[1];
	aw->trace_hash = 0xcbf29ce484222325ull;
}

void psd_alert_watch_free(struct psd_alert_watch *aw)
{
	for (int k = 0; k < 2; k++) {
		free(aw->t[k].e);
		free(aw->t[k].filled);
	}
}

static void clear(struct psd_alert_table *tab)
{
	for (uint32_t k = 0; k < tab->count; k++)
		tab->e[tab->filled[k]].used = false;
	tab->count = 0;
}

void psd_alert_watch_reset(struct psd_alert_watch *aw)
{
	clear(aw->before);
}

static void hash_in(struct psd_alert_watch *aw, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aw->trace_hash = (aw->trace_hash ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
}

static void on_view(void *ctx, const struct psd_alert_view *v)
{
	struct step_ctx *sc = ctx;
	struct psd_alert_watch *aw = sc->aw;
	const struct psd_alert_rule *r = &sc->rules->rule[v->rule];
	const struct psd_alert_seen *prev = find(aw->before, v->rule, v->subject, v->subject_len, false);
	struct psd_alert_seen *e = find(aw->now, v->rule, v->subject, v->subject_len, true);
	enum psd_alert_state from = prev != NULL ? prev->state : PSD_ALERT_INACTIVE;
	if (e == NULL)
		abort(); /* the table holds four times the core's alerts */
	e->state = v->state;
	e->holding = v->holds;
	e->holding_since_ns = !v->holds ? 0 : prev != NULL && prev->holding ? prev->holding_since_ns :
									     sc->eval_ns;
	if (from == v->state)
		return;
	aw->transitions++;
	hash_in(aw, &v->rule, sizeof(v->rule));
	hash_in(aw, v->subject, v->subject_len);
	hash_in(aw, &v->state, sizeof(v->state));
	hash_in(aw, &sc->eval_ns, sizeof(sc->eval_ns));
	if (v->state == PSD_ALERT_FIRING && r->for_s > 0 &&
	    (!v->holds || e->holding_since_ns + r->for_s * 1000000000ull > sc->eval_ns) &&
	    !sc->failed) {
		snprintf(aw->why, sizeof(aw->why), "alert %s of %.*s fired at %llu ms, its condition "
			 "seen holding since %llu ms, for %us", r->name, (int)v->subject_len, v->subject,
			 (unsigned long long)(sc->eval_ns / 1000000u),
			 (unsigned long long)(e->holding_since_ns / 1000000u), r->for_s);
		sc->failed = true;
	}
	if (aw->on_transition != NULL)
		aw->on_transition(aw->ctx, v, from);
}

bool psd_alert_watch_step(struct psd_alert_watch *aw, struct psd_world *w)
{
	struct step_ctx sc = {aw, aw->reference != NULL ? aw->reference : psd_core_alert_rules(w->core),
			      w->now / PSD_ALERT_EVAL_NS * PSD_ALERT_EVAL_NS, false};
	psd_core_alerts_each(w->core, on_view, &sc);
	/* alerts gone inactive since the last step: a transition too */
	for (uint32_t k = 0; k < aw->before->count; k++) {
		const struct psd_alert_seen *b = &aw->before->e[aw->before->filled[k]];
		if (b->state == PSD_ALERT_INACTIVE ||
		    find(aw->now, b->rule, b->subject, strlen(b->subject), false) != NULL)
			continue;
		enum psd_alert_state inactive = PSD_ALERT_INACTIVE;
		aw->transitions++;
		hash_in(aw, &b->rule, sizeof(b->rule));
		hash_in(aw, b->subject, strlen(b->subject));
		hash_in(aw, &inactive, sizeof(inactive));
		hash_in(aw, &sc.eval_ns, sizeof(sc.eval_ns));
	}
	struct psd_alert_table *t = aw->before;
	aw->before = aw->now;
	aw->now = t;
	clear(aw->now);
	return !sc.failed;
}

struct find_ctx {
	uint32_t rule;
	const char *subject;
	struct psd_alert_view *v;
	bool found;
};

static void find_one(void *ctx, const struct psd_alert_view *v)
{
	struct find_ctx *f = ctx;
	if (v->rule == f->rule && v->subject_len == strlen(f->subject) &&
	    memcmp(v->subject, f->subject, v->subject_len) == 0) {
		*f->v = *v;
		f->found = true;
	}
}

bool psd_alert_find(const struct psd_core *core, uint32_t rule, const char *subject,
		    struct psd_alert_view *ret)
{
	struct find_ctx f = {rule, subject, ret, false};
	memset(ret, 0, sizeof(*ret));
	ret->state = PSD_ALERT_INACTIVE;
	psd_core_alerts_each(core, find_one, &f);
	return f.found;
}
