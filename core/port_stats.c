/*
 * Per-port link history (a leaf library): what observe.c exports and links.c records as it applies
 * a link message, with the time handed in. It decides nothing that is written to PORT_TABLE.
 *
 *  - the start of a port's ack latency (the first change not yet sent);
 *  - oper changes, last up and down, time in the current state, and a ring of changes per
 *    PSD_FLAP_BUCKET_NS (the flap window), one log line per link transition;
 *  - the link stats queue: ports whose PORT_LINK_STATS is to be written, each once, the first
 *    PSD_LINK_STATS_DELAY_NS after the queue was empty.
 *
 * Invariants: the queue holds exactly the ports with stats_queued, each once; a port leaves it
 * when its netdev goes; memory is fixed per port.
 */
#include <string.h>

#include "ctx.h"
#include "names.h"
#include "psd_assert.h"

void psd_linkq_init(struct psd_linkq *q)
{
	q->head = q->tail = PSD_NO_PORT;
	q->due_ns = UINT64_MAX;
}

void psd_linkq_unlink(struct psd_ctx *c, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (!p->stats_queued)
		return;
	if (p->stats_prev != PSD_NO_PORT)
		c->ports.ports[p->stats_prev].stats_next = p->stats_next;
	else
		c->linkq.head = p->stats_next;
	if (p->stats_next != PSD_NO_PORT)
		c->ports.ports[p->stats_next].stats_prev = p->stats_prev;
	else
		c->linkq.tail = p->stats_prev;
	p->stats_queued = false;
	c->linkq.len--;
	if (c->linkq.len == 0)
		c->linkq.due_ns = UINT64_MAX; /* the next change waits its delay again */
}

void psd_linkq_push(struct psd_ctx *c, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	p->stats_dirty = true;
	if (p->stats_queued || p->stats_sent)
		return; /* the newest values go when the write in flight is answered */
	if (c->linkq.len == 0 && c->linkq.due_ns == UINT64_MAX)
		c->linkq.due_ns = c->now_ns + PSD_LINK_STATS_DELAY_NS;
	p->stats_queued = true;
	p->stats_next = PSD_NO_PORT;
	p->stats_prev = c->linkq.tail;
	if (c->linkq.tail != PSD_NO_PORT)
		c->ports.ports[c->linkq.tail].stats_next = idx;
	else
		c->linkq.head = idx;
	c->linkq.tail = idx;
	c->linkq.len++;
}

/* A connection was lost: link stats writes in flight are lost with their replies (whose epoch is
 * now old); they go again once Redis is back. */
void psd_linkq_requeue_sent(struct psd_ctx *c)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (!p->used || !p->stats_sent)
			continue;
		p->stats_sent = false;
		if (p->present)
			psd_linkq_push(c, i);
	}
}

void psd_port_note_change(struct psd_ctx *c, struct psd_port *p)
{
	if (!p->change_pending) {
		p->change_pending = true;
		p->change_ns = c->now_ns;
	}
}

/* Flap ring: bucket k counts the changes of epoch e with e % PSD_FLAP_BUCKETS == k, for the
 * PSD_FLAP_BUCKETS epochs up to flap_epoch. */
uint32_t psd_port_changes_in(const struct psd_port *p, uint64_t now_ns, uint32_t buckets)
{
	uint64_t now_epoch = now_ns / PSD_FLAP_BUCKET_NS;
	uint32_t n = 0;
	for (uint32_t k = 0; k < PSD_FLAP_BUCKETS && k <= p->flap_epoch; k++) {
		uint64_t e = (uint64_t)p->flap_epoch - k; /* the epoch bucket e % BUCKETS holds */
		if (e + buckets > now_epoch)
			n += p->flaps[e % PSD_FLAP_BUCKETS];
	}
	return n;
}

uint32_t psd_port_flaps(const struct psd_port *p, uint64_t now_ns)
{
	return psd_port_changes_in(p, now_ns, PSD_FLAP_BUCKETS);
}

static void count_flap(struct psd_port *p, uint64_t now_ns)
{
	uint32_t e = (uint32_t)(now_ns / PSD_FLAP_BUCKET_NS);
	if (e >= p->flap_epoch + PSD_FLAP_BUCKETS)
		memset(p->flaps, 0, sizeof(p->flaps));
	else
		for (uint32_t k = p->flap_epoch + 1; k <= e; k++)
			p->flaps[k % PSD_FLAP_BUCKETS] = 0;
	p->flap_epoch = e;
	if (p->flaps[e % PSD_FLAP_BUCKETS] < UINT16_MAX)
		p->flaps[e % PSD_FLAP_BUCKETS]++;
}

static void log_transition(struct psd_ctx *c, const struct psd_port *p, const char *cause,
			   const char *from,
			   const char *to)
{
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
		return;
	psd_text_str(&t, "link port=");
	psd_text_mem(&t, p->name, p->name_len);
	psd_text_str(&t, " oper=");
	psd_text_str(&t, from);
	psd_text_str(&t, "->");
	psd_text_str(&t, to);
	psd_text_str(&t, " admin=");
	psd_text_str(&t, !p->present ? "absent" : p->admin_up ? "up" : "down");
	psd_text_str(&t, " cause=");
	psd_text_str(&t, cause != NULL ? cause : "resync");
	psd_text_str(&t, " changes=");
	psd_text_u64(&t, p->oper_changes);
	psd_log_end(c, &t);
}

void psd_port_note_link(struct psd_ctx *c, uint32_t idx, const char *cause, bool oper_up,
			bool admin_up)
{
	struct psd_port *p = &c->ports.ports[idx];
	bool was_known = p->link_known && p->present;

	if (was_known && p->oper_up == oper_up)
		return;
	if (was_known) {
		p->oper_changes++;
		c->stats.oper_changes++;
		count_flap(p, c->now_ns);
	}
	p->since_ns = c->now_ns;
	if (was_known || oper_up) { /* a first sight says nothing of when it went down */
		if (oper_up)
			p->last_up_ns = c->now_ns;
		else
			p->last_down_ns = c->now_ns;
	}
	p->link_known = true;
	if (!c->cfg.link_stats || p->name_class != PSD_NAME_PORT)
		return;
	p->admin_up = admin_up; /* for the log line; links.c stores the same right after */
	p->present = true;
	log_transition(c, p, cause, was_known ? (p->oper_up ? "up" : "down") : "absent",
		       oper_up ? "up" : "down");
	psd_linkq_push(c, idx);
}

void psd_port_note_gone(struct psd_ctx *c, uint32_t idx, const char *cause)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (c->cfg.link_stats && p->link_known && p->present && p->name_class == PSD_NAME_PORT)
		log_transition(c, p, cause, p->oper_up ? "up" : "down", "absent");
	p->link_known = false;
	psd_linkq_unlink(c, idx);
	p->stats_dirty = false;
}

