/*
 * The pool of per-port alerts (a part of the alert module, alert_parts.h): PSD_ALERT_SUBJECTS_MAX
 * entries after the daemon alerts' PSD_ALERT_RULES_MAX, a free list, and an open hash by (rule,
 * port name) whose chains run through the entries. A port with no alert costs nothing. An alert's
 * identity is its rule and subject (the port's name, as its STATE_DB key): a netdev of that name
 * at another index of the port table takes the alert over (alert_eval.c).
 *
 * Invariants: every used entry is reachable from its bucket exactly once; one entry per (rule,
 * name); pool_used is what the buckets hold; a full pool refuses a new alert (counted, logged
 * once a minute), never evicts.
 */
#include <string.h>

#include "alert_parts.h"
#include "alert_fsm.h"
#include "outbox.h"
#include "psd_assert.h"

void psd_alert_pool_reset(struct psd_alerts *a)
{
	memset(a->bucket, 0, sizeof(a->bucket));
	a->free_head = PSD_ALERT_NONE;
	a->pool_high = PSD_ALERT_RULES_MAX;
	a->pool_used = 0;
}

uint32_t psd_alert_bucket_of(uint32_t rule, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ rule;
	for (size_t k = 0; k < len; k++)
		h = (h ^ (uint8_t)name[k]) * 0x100000001b3ull;
	h *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 40) & (PSD_ALERT_BUCKETS - 1u);
}

uint32_t psd_alert_pool_find(const struct psd_alerts *a, uint32_t rule, const char *name,
			     size_t len)
{
	for (uint32_t i = a->bucket[psd_alert_bucket_of(rule, name, len)]; i != 0;
	     i = a->inst[i - 1].next) {
		const struct psd_alert *x = &a->inst[i - 1];
		if (x->rule == rule && x->port_len == len && memcmp(x->port_name, name, len) == 0)
			return i - 1;
	}
	return PSD_ALERT_NONE;
}

uint32_t psd_alert_pool_add(struct psd_ctx *c, struct psd_alerts *a, uint32_t rule, uint32_t port,
			    const char *name,
			    size_t len)
{
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
	uint32_t b = psd_alert_bucket_of(rule, name, len);
	x->next = a->bucket[b];
	a->bucket[b] = i + 1;
	a->pool_used++;
	return i;
}

static void pool_free(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	uint32_t *link = &a->bucket[psd_alert_bucket_of(x->rule, x->port_name, x->port_len)];
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
void psd_alert_maybe_free(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	if (i >= PSD_ALERT_RULES_MAX && x->used && x->state == PSD_ALERT_INACTIVE && !x->holds &&
	    !x->in_db && !x->sent && !x->queued)
		pool_free(a, i);
}

uint32_t psd_alert_buckets_of(const struct psd_alert_rule *r)
{
	return r->window_s; /* the flap ring's buckets are seconds */
}
