/*
 * What the metrics and the link analytics count: called by the engine before each event and after
 * each pull; links.c records each port's link history through port_stats.c, and this module writes
 * it to STATE_DB. Nothing here decides what the daemon writes to PORT_TABLE; it only observes,
 * with the time handed in.
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
 *    transition, at most PSD_LINK_LINES_PER_MIN a minute per port (port_stats.c).
 *
 * Invariants: the link stats queue holds exactly the ports with stats_queued, each once; a
 * port leaves it when its netdev goes; memory is fixed per port; a port's transition lines are
 * suppressed only past the limit, with a summary due by the end of its minute.
 */
#include <string.h>

#include "ctx.h"
#include "emit.h"
#include "histogram.h"
#include "names.h"
#include "observe.h"
#include "port_stats.h"
#include "psd_assert.h"
#include "work.h"

void psd_observe_init(struct psd_ctx *c)
{
	psd_linkq_init(&c->linkq);
	psd_alertq_init(&c->alertq);
}

static void observe_reply(struct psd_ctx *c, const struct psd_reply *r)
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

static void observe_db(struct psd_ctx *c, enum psd_db db, bool up, bool was_up)
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
	if (was_up) {
		s->db_disconnects[db]++;
		psd_linkq_requeue_sent(c); /* the epoch changes: replies in flight will be ignored */
	}
	if (!s->db_down[db]) {
		s->db_down[db] = true;
		s->db_down_since_ns[db] = c->now_ns;
	}
}

void psd_observe_event(struct psd_ctx *c, const struct psd_event *ev, bool known)
{
	switch (ev->type) {
	case PSD_EV_DB_REPLY:
		if (known)
			observe_reply(c, &ev->u.reply);
		return;
	case PSD_EV_DB_UP:
		observe_db(c, ev->u.db, true, known);
		return;
	case PSD_EV_DB_DOWN:
		observe_db(c, ev->u.db, false, known);
		return;
	default:
		return;
	}
}

void psd_observe_action(struct psd_ctx *c, const struct psd_action *a)
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

bool psd_link_stats_pull(struct psd_ctx *c, bool may_send, struct psd_action *ret)
{
	if (c->linkq.head == PSD_NO_PORT || c->now_ns < c->linkq.due_ns || !may_send)
		return false;
	uint32_t idx = c->linkq.head;
	struct psd_port *p = &c->ports.ports[idx];
	PSD_ASSERT(p->used && p->stats_queued && !p->stats_sent);
	psd_linkq_unlink(c, idx);
	p->stats_dirty = false;
	p->stats_sent = true;
	psd_emit_link_stats(c, idx, ret);
	return true;
}

void psd_link_stats_reply(struct psd_ctx *c, const struct psd_reply *r)
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
		psd_linkq_push(c, idx);
}

uint64_t psd_observe_deadline(const struct psd_ctx *c)
{
	/* once due, link stats go with the next pull; a deadline then would only spin the loop */
	return c->linkq.len > 0 && c->linkq.due_ns > c->now_ns ? c->linkq.due_ns : UINT64_MAX;
}

void psd_observe_check(const struct psd_ctx *c)
{
	uint32_t queued = 0;
	for (uint32_t i = c->linkq.head; i != PSD_NO_PORT; i = c->ports.ports[i].stats_next) {
		PSD_ASSERT(c->ports.ports[i].used && c->ports.ports[i].stats_queued);
		PSD_ASSERT(++queued <= c->linkq.len);
	}
	PSD_ASSERT(queued == c->linkq.len);
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		/* lines are suppressed only past the limit, and summarised when their minute ends */
		PSD_ASSERT(p->lines <= PSD_LINK_LINES_PER_MIN);
		PSD_ASSERT(!p->used || p->lines_suppressed == 0 ||
			   (p->lines == PSD_LINK_LINES_PER_MIN &&
			    c->linkq.lines_due_ns <= p->lines_from_ns + PSD_LOG_REPEAT_NS));
	}
	queued = 0;
	for (uint32_t i = c->alertq.head; i != PSD_NO_PORT; i = c->ports.ports[i].alertq_next) {
		PSD_ASSERT(c->ports.ports[i].used && c->ports.ports[i].alertq_queued);
		PSD_ASSERT(++queued <= c->alertq.len);
	}
	PSD_ASSERT(queued == c->alertq.len);
	PSD_ASSERT(c->census.series <= c->census.present);
	PSD_ASSERT(c->census.series <= (c->cfg.port_series_max != 0 ? c->cfg.port_series_max :
								       PSD_PORT_SERIES_DEFAULT));
}
