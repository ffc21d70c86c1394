/*
 * What the metrics and the link analytics count: called by the engine before each event and after
 * each pull, and by links.c where a port's state changes. Nothing here decides what the daemon
 * writes to PORT_TABLE; it only observes, with the time handed in.
 *
 *  - ack latency: from the push of the link message that first changed a port's desired state to
 *    the acknowledgement of the STATE_DB command that carried it (write or delete); a change made
 *    while a command is in flight starts the next command's latency;
 *  - write round trip: from the pull of a STATE_DB port command to its reply;
 *  - Redis outages: per database, the time between a lost connection and the next one;
 *  - link analytics (cfg.link_stats): per port oper changes, last up and down, the time in the
 *    current state and changes per flap window, written to STATE_DB PORT_LINK_STATS|<port> with at
 *    most one write per port in flight (the newest values go next), PSD_LINK_STATS_DELAY_NS after
 *    the first change queued and after the port commands queued; one log line per link
 *    transition.
 *
 * Invariants: the link stats queue holds exactly the ports with stats_queued, each once; a
 * port leaves it when its netdev goes; memory is fixed per port.
 */
#include <string.h>

#include "engine.h"
#include "names.h"
#include "psd/metrics.h"
#include "psd_assert.h"

void psd_observe_init(struct psd_core *c)
{
	c->stats_head = c->stats_tail = PSD_NO_PORT;
	c->stats_due_ns = UINT64_MAX;
}

void psd_histogram_observe(struct psd_histogram *h, uint64_t ns)
{
	uint32_t i = 0;
	while (i < PSD_HIST_BUCKETS && ns > psd_hist_bounds_ns[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_ns += ns;
}

static void stats_unlink(struct psd_core *c, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (!p->stats_queued)
		return;
	if (p->stats_prev != PSD_NO_PORT)
		c->ports.ports[p->stats_prev].stats_next = p->stats_next;
	else
		c->stats_head = p->stats_next;
	if (p->stats_next != PSD_NO_PORT)
		c->ports.ports[p->stats_next].stats_prev = p->stats_prev;
	else
		c->stats_tail = p->stats_prev;
	p->stats_queued = false;
	c->stats_len--;
	if (c->stats_len == 0)
		c->stats_due_ns = UINT64_MAX; /* the next change waits its delay again */
}

static void stats_queue(struct psd_core *c, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	p->stats_dirty = true;
	if (p->stats_queued || p->stats_sent)
		return; /* the newest values go when the write in flight is answered */
	if (c->stats_len == 0 && c->stats_due_ns == UINT64_MAX)
		c->stats_due_ns = c->now_ns + PSD_LINK_STATS_DELAY_NS;
	p->stats_queued = true;
	p->stats_next = PSD_NO_PORT;
	p->stats_prev = c->stats_tail;
	if (c->stats_tail != PSD_NO_PORT)
		c->ports.ports[c->stats_tail].stats_next = idx;
	else
		c->stats_head = idx;
	c->stats_tail = idx;
	c->stats_len++;
}

/* A connection was lost: link stats writes in flight are lost with their replies (whose epoch is
 * now old); they go again once Redis is back. */
static void stats_requeue_sent(struct psd_core *c)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (!p->used || !p->stats_sent)
			continue;
		p->stats_sent = false;
		if (p->present)
			stats_queue(c, i);
	}
}

static void observe_reply(struct psd_core *c, const struct psd_reply *r)
{
	enum psd_db db = PSD_TAG_DB(r->tag);
	enum psd_tag_kind kind = PSD_TAG_KIND(r->tag);
	uint32_t idx = PSD_TAG_INDEX(r->tag);

	if (db >= _PSD_DB_MAX)
		return;
	if (r->type == PSD_REPLY_ERROR)
		c->stats.db_replies_error[db]++;
	else
		c->stats.db_replies_ok[db]++;
	if ((kind != TAG_WRITE && kind != TAG_DELETE) || idx >= c->ports.high_water)
		return;
	struct psd_port *p = &c->ports.ports[idx];
	if (!p->used || !p->sent || r->type == PSD_REPLY_ERROR)
		return; /* a refused command is sent again: its latency goes on */
	psd_histogram_observe(&c->stats.write_rtt, c->now_ns - p->sent_ns);
	if (p->sent_change) {
		p->sent_change = false;
		psd_histogram_observe(&c->stats.ack_latency, c->now_ns - p->sent_change_ns);
	}
}

static void observe_db(struct psd_core *c, enum psd_db db, bool up)
{
	struct psd_stats *s = &c->stats;
	if (db >= _PSD_DB_MAX)
		return;
	if (up) {
		if (s->db_down[db]) {
			s->db_down[db] = false;
			s->db_down_ns[db] += c->now_ns - s->db_down_since_ns[db];
			s->db_reconnects[db]++;
		}
		return;
	}
	if (c->db_up[db]) {
		s->db_disconnects[db]++;
		stats_requeue_sent(c); /* the epoch changes: replies in flight will be ignored */
	}
	if (!s->db_down[db]) {
		s->db_down[db] = true;
		s->db_down_since_ns[db] = c->now_ns;
	}
}

void psd_observe_event(struct psd_core *c, const struct psd_event *ev)
{
	switch (ev->type) {
	case PSD_EV_DB_REPLY:
		if (c->inflight > 0)
			observe_reply(c, &ev->u.reply);
		return;
	case PSD_EV_DB_UP:
		observe_db(c, ev->u.db, true);
		return;
	case PSD_EV_DB_DOWN:
		observe_db(c, ev->u.db, false);
		return;
	default:
		return;
	}
}

void psd_observe_action(struct psd_core *c, const struct psd_action *a)
{
	if (a->type != PSD_ACT_DB_COMMAND)
		return;
	c->stats.db_commands[a->u.cmd.db]++;
	enum psd_tag_kind kind = PSD_TAG_KIND(a->u.cmd.tag);
	if (kind != TAG_WRITE && kind != TAG_DELETE)
		return;
	struct psd_port *p = &c->ports.ports[PSD_TAG_INDEX(a->u.cmd.tag)];
	p->sent_ns = c->now_ns;
	if (p->change_pending) { /* else a replay of the command lost: the same change goes again */
		p->change_pending = false;
		p->sent_change = true;
		p->sent_change_ns = p->change_ns;
	}
}

void psd_observe_change(struct psd_core *c, struct psd_port *p)
{
	if (!p->change_pending) {
		p->change_pending = true;
		p->change_ns = c->now_ns;
	}
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

static void log_transition(struct psd_core *c, const struct psd_port *p, const char *from,
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
	psd_text_str(&t, c->link_cause != NULL ? c->link_cause : "resync");
	psd_text_str(&t, " changes=");
	psd_text_u64(&t, p->oper_changes);
	psd_log_end(c, &t);
}

void psd_observe_link(struct psd_core *c, uint32_t idx, bool oper_up, bool admin_up)
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
	log_transition(c, p, was_known ? (p->oper_up ? "up" : "down") : "absent",
		       oper_up ? "up" : "down");
	stats_queue(c, idx);
}

void psd_observe_gone(struct psd_core *c, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (c->cfg.link_stats && p->link_known && p->present && p->name_class == PSD_NAME_PORT)
		log_transition(c, p, p->oper_up ? "up" : "down", "absent");
	p->link_known = false;
	stats_unlink(c, idx);
	p->stats_dirty = false;
}

bool psd_link_stats_pull(struct psd_core *c, struct psd_action *ret)
{
	if (c->stats_head == PSD_NO_PORT || c->now_ns < c->stats_due_ns || c->phase != PH_RUNNING ||
	    c->sendq_len > 0 ||
	    c->inflight >= c->lim.inflight_max || !psd_all_up(c) || c->verify_awaited > 0)
		return false;
	uint32_t idx = c->stats_head;
	struct psd_port *p = &c->ports.ports[idx];
	PSD_ASSERT(p->used && p->stats_queued && !p->stats_sent);
	stats_unlink(c, idx);
	p->stats_dirty = false;
	p->stats_sent = true;
	psd_emit_link_stats(c, idx, ret);
	return true;
}

void psd_link_stats_reply(struct psd_core *c, const struct psd_reply *r)
{
	uint32_t idx = PSD_TAG_INDEX(r->tag);
	if (idx >= c->ports.high_water)
		return;
	struct psd_port *p = &c->ports.ports[idx];
	if (!p->used || !p->stats_sent)
		return; /* the port went and its slot was taken again */
	p->stats_sent = false;
	if (r->type == PSD_REPLY_ERROR) {
		c->stats.db_errors++; /* no retry loop: the port's next change writes it again */
		return;
	}
	c->stats.link_stats_writes++;
	if (p->stats_dirty && p->present)
		stats_queue(c, idx);
}
