/*
 * Per-port link history (a leaf library): what observe.c exports, the alerts evaluate and links.c
 * records as it applies a link message, with the time handed in. It decides nothing that is
 * written to PORT_TABLE.
 *
 *  - the start of a port's ack latency (the first change not yet sent);
 *  - oper changes: the kernel's own count where the message carries it (IFLA_CARRIER_CHANGES,
 *    and IFLA_CARRIER_UP_COUNT / _DOWN_COUNT), as deltas from the first sight of the netdev, so
 *    that changes the daemon never received (an overrun, a pause, a re-dump) are counted all the
 *    same; the first sight is the baseline (a restart never counts the kernel's history), and a
 *    count that goes backwards or belongs to another ifindex (a netdev created again under the
 *    same name) is a new baseline. Without the kernel's count, each change seen in a message;
 *  - last up and down, time in the current state, and a ring of changes per second (the flap
 *    windows), counted at the second the daemon learns of them; since when it flaps;
 *  - one log line per link transition, at most PSD_LINK_LINES_PER_MIN a minute per port: the
 *    others are counted and, once the minute from the port's first line is over, said in one
 *    summary line;
 *  - the link stats queue: ports whose PORT_LINK_STATS is to be written, each once, the first
 *    PSD_LINK_STATS_DELAY_NS after the queue was empty;
 *  - the alert queue: ports with changes the alerts have not evaluated yet, each once;
 *  - the census: present ports, and which have per-port metric series (cfg.port_series_max,
 *    taken at first sight or at a later change once one is free, given back when it goes).
 *
 * Invariants: each queue holds exactly the ports marked on it, each once; a port leaves both
 * when its netdev goes; census.series counts the ports with has_series, at most the limit;
 * memory is fixed per port.
 */
#include <string.h>

#include "ctx.h"
#include "names.h"
#include "outbox.h"
#include "port_stats.h"
#include "psd_assert.h"

#define S_NS 1000000000ull

void psd_linkq_init(struct psd_linkq *q)
{
	q->head = q->tail = PSD_NO_PORT;
	q->due_ns = UINT64_MAX;
	q->lines_due_ns = UINT64_MAX;
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

void psd_alertq_init(struct psd_alertq *q)
{
	q->head = q->tail = PSD_NO_PORT;
}

void psd_alertq_push(struct psd_ctx *c, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (p->alertq_queued)
		return;
	p->alertq_queued = true;
	p->alertq_next = PSD_NO_PORT;
	p->alertq_prev = c->alertq.tail;
	if (c->alertq.tail != PSD_NO_PORT)
		c->ports.ports[c->alertq.tail].alertq_next = idx;
	else
		c->alertq.head = idx;
	c->alertq.tail = idx;
	c->alertq.len++;
}

void psd_alertq_unlink(struct psd_ctx *c, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (!p->alertq_queued)
		return;
	if (p->alertq_prev != PSD_NO_PORT)
		c->ports.ports[p->alertq_prev].alertq_next = p->alertq_next;
	else
		c->alertq.head = p->alertq_next;
	if (p->alertq_next != PSD_NO_PORT)
		c->ports.ports[p->alertq_next].alertq_prev = p->alertq_prev;
	else
		c->alertq.tail = p->alertq_prev;
	p->alertq_queued = false;
	c->alertq.len--;
}

void psd_port_note_change(struct psd_ctx *c, struct psd_port *p)
{
	if (!p->change_pending) {
		p->change_pending = true;
		p->change_ns = c->now_ns;
	}
}

/* Flap ring: bucket s % PSD_FLAP_RING counts the changes learnt in second s, for the
 * PSD_FLAP_RING seconds up to flap_second. */
uint32_t psd_port_changes_in(const struct psd_port *p, uint64_t now_ns, uint32_t window_s)
{
	uint64_t now_s = now_ns / S_NS, newest = p->flap_second;
	uint64_t from = now_s > window_s ? now_s - window_s : 0;
	uint64_t oldest = newest + 1 >= PSD_FLAP_RING ? newest + 1 - PSD_FLAP_RING : 0;
	uint32_t n = 0;
	for (uint64_t s = from > oldest ? from : oldest; s <= newest && s <= now_s; s++)
		n += p->flaps[s % PSD_FLAP_RING];
	return n;
}

void psd_port_changes_by_window(const struct psd_port *p, uint64_t now_ns,
				uint32_t ret[PSD_FLAP_WINDOW_MAX_S + 1])
{
	uint64_t now_s = now_ns / S_NS, newest = p->flap_second;
	uint32_t n = 0;
	ret[0] = 0;
	/* window w holds the buckets from now_s - w to now_s: each a bucket more than the last */
	for (uint32_t w = 0; w <= PSD_FLAP_WINDOW_MAX_S; w++) {
		uint64_t s = now_s - w;
		if (w <= now_s && s <= newest && newest - s < PSD_FLAP_RING)
			n += p->flaps[s % PSD_FLAP_RING];
		if (w > 0)
			ret[w] = n;
	}
}

uint64_t psd_port_window_drops_at(const struct psd_port *p, uint64_t now_ns, uint32_t window_s)
{
	uint64_t now_s = now_ns / S_NS, newest = p->flap_second;
	uint64_t from = now_s > window_s ? now_s - window_s : 0;
	uint64_t oldest = newest + 1 >= PSD_FLAP_RING ? newest + 1 - PSD_FLAP_RING : 0;
	for (uint64_t s = from > oldest ? from : oldest; s <= newest && s <= now_s; s++)
		if (p->flaps[s % PSD_FLAP_RING] != 0)
			return (s + window_s + 1) * S_NS; /* the first second it is out of the window */
	return UINT64_MAX;
}

bool psd_port_flapping(const struct psd_port *p, uint64_t now_ns)
{
	return psd_port_changes_in(p, now_ns, PSD_FLAP_WINDOW_S) > PSD_FLAP_ABOVE;
}

/* n changes learnt now: into the ring, and since when the port flaps. */
static void count_flaps(struct psd_port *p, uint64_t now_ns, uint32_t n)
{
	uint32_t s = (uint32_t)(now_ns / S_NS);
	bool was_flapping = psd_port_flapping(p, now_ns);
	if (s >= p->flap_second + PSD_FLAP_RING)
		memset(p->flaps, 0, sizeof(p->flaps));
	else
		for (uint32_t k = p->flap_second + 1; k <= s; k++)
			p->flaps[k % PSD_FLAP_RING] = 0;
	p->flap_second = s;
	uint32_t b = p->flaps[s % PSD_FLAP_RING] + n;
	p->flaps[s % PSD_FLAP_RING] = (uint16_t)(b < PSD_FLAP_BUCKET_MAX ? b : PSD_FLAP_BUCKET_MAX);
	if (!was_flapping && psd_port_flapping(p, now_ns))
		p->flap_since_ns = now_ns;
}

/* The lines of p's minute not logged, said in one line; the next line starts a new minute. */
static void lines_summary(struct psd_ctx *c, struct psd_port *p)
{
	struct psd_text t;
	uint32_t n = p->lines_suppressed;
	p->lines_suppressed = 0;
	p->lines = 0;
	p->lines_from_ns = 0;
	if (n == 0 || psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
		return;
	psd_text_str(&t, "link: ");
	psd_text_u64(&t, n);
	psd_text_str(&t, " transition lines of ");
	psd_text_mem(&t, p->name, p->name_len);
	psd_text_str(&t, " suppressed in the last minute (at most ");
	psd_text_u64(&t, PSD_LINK_LINES_PER_MIN);
	psd_text_str(&t, " a minute a port)");
	psd_log_end(c, &t);
}

/* A transition line is due for p: true when it may be logged, false when it is suppressed. */
static bool line_allowed(struct psd_ctx *c, struct psd_port *p)
{
	if (p->lines > 0 && c->now_ns - p->lines_from_ns >= PSD_LOG_REPEAT_NS)
		lines_summary(c, p); /* its minute is over */
	if (p->lines == 0)
		p->lines_from_ns = c->now_ns;
	if (p->lines < PSD_LINK_LINES_PER_MIN) {
		p->lines++;
		return true;
	}
	p->lines_suppressed++;
	c->stats.log_suppressed++;
	if (p->lines_from_ns + PSD_LOG_REPEAT_NS < c->linkq.lines_due_ns)
		c->linkq.lines_due_ns = p->lines_from_ns + PSD_LOG_REPEAT_NS;
	return false;
}

void psd_port_lines_timer(struct psd_ctx *c)
{
	uint64_t next = UINT64_MAX;
	if (c->now_ns < c->linkq.lines_due_ns)
		return;
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (!p->used || p->lines_suppressed == 0)
			continue;
		uint64_t end = p->lines_from_ns + PSD_LOG_REPEAT_NS;
		if (c->now_ns >= end)
			lines_summary(c, p);
		else if (end < next)
			next = end;
	}
	c->linkq.lines_due_ns = next;
}

static void log_transition(struct psd_ctx *c, struct psd_port *p, const char *cause,
			   const char *from, const char *to)
{
	struct psd_text t;
	if (!line_allowed(c, p) || psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
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

/* The changes the kernel counted since the port's last message (0 for a new baseline); false
 * when the message carries no count (the change is then counted from the message). */
static bool kernel_count(struct psd_port *p, const struct psd_link *l, bool was_known,
			 uint32_t *changes)
{
	*changes = 0;
	if (l == NULL || !l->has_carrier_changes) {
		p->carrier_known = p->carrier_updown = false;
		return false;
	}
	bool same = was_known && p->carrier_known && p->carrier_ifindex == l->ifindex &&
		    l->carrier_changes >= p->carrier_changes;
	if (same)
		*changes = l->carrier_changes - p->carrier_changes;
	p->carrier_known = true;
	p->carrier_ifindex = l->ifindex;
	p->carrier_changes = l->carrier_changes;
	if (l->has_carrier_up_down) {
		p->carrier_updown = true;
		p->carrier_up = l->carrier_up;
		p->carrier_down = l->carrier_down;
	} else if (!same) {
		p->carrier_updown = false;
		p->carrier_up = p->carrier_down = 0;
	}
	return true;
}

/* A first sight takes a per-port series if one is free; one that finds none is said once, then
 * counted (summarised once a minute while it goes on). */
static void take_series(struct psd_ctx *c, struct psd_port *p, bool first)
{
	uint32_t max = c->cfg.port_series_max != 0 ? c->cfg.port_series_max : PSD_PORT_SERIES_DEFAULT;
	struct psd_text t;
	if (p->has_series || p->name_class != PSD_NAME_PORT)
		return;
	if (c->census.series < max) {
		p->has_series = true;
		c->census.series++;
		return;
	}
	if (!first)
		return;
	c->stats.port_series_refused++;
	enum psd_repeat_say say = psd_repeat_note(&c->census.refused, c->now_ns);
	if (say == PSD_REPEAT_QUIET || psd_log_begin(c, PSD_LOG_WARN, &t) == NULL)
		return;
	if (say == PSD_REPEAT_FIRST) {
		psd_text_str(&t, "metrics: no per-port series for ");
		psd_text_mem(&t, p->name, p->name_len);
		psd_text_str(&t, ": port_series_max (");
		psd_text_u64(&t, max);
		psd_text_str(&t, ") ports have them; more are counted in "
				 "portsyncd_port_series_refused_total");
	} else {
		psd_text_str(&t, "metrics: ports without per-port series since the last line: ");
		psd_text_u64(&t, psd_repeat_untold(&c->census.refused));
		psd_text_str(&t, ", the last ");
		psd_text_mem(&t, p->name, p->name_len);
	}
	psd_log_end(c, &t);
}

/* The oper changes a message shows (kernel count or the message itself) are counted. */
static uint32_t count_changes(struct psd_ctx *c, uint32_t idx, bool was_known, bool oper_up,
			      const struct psd_link *l)
{
	struct psd_port *p = &c->ports.ports[idx];
	bool flipped = was_known && p->oper_up != oper_up;
	uint32_t n;
	if (!was_known)
		p->oper_changes = 0; /* a netdev seen for the first time: its changes from now */
	if (!kernel_count(p, l, was_known, &n)) {
		n = flipped;
		c->stats.oper_changes_messages += n;
		if (!was_known)
			p->carrier_changes = p->carrier_up = p->carrier_down = 0;
		p->carrier_changes += n;
	}
	if (!p->carrier_updown) { /* up and down from what the messages show */
		p->carrier_up += flipped && oper_up;
		p->carrier_down += flipped && !oper_up;
	}
	if (n == 0)
		return 0;
	p->oper_changes += n;
	c->stats.oper_changes += n;
	count_flaps(p, c->now_ns, n);
	if (p->name_class == PSD_NAME_PORT)
		psd_alertq_push(c, idx);
	return n;
}

void psd_port_note_link(struct psd_ctx *c, uint32_t idx, const char *cause, bool oper_up,
			bool admin_up, const struct psd_link *l)
{
	struct psd_port *p = &c->ports.ports[idx];
	bool was_known = p->link_known && p->present;
	uint32_t n = count_changes(c, idx, was_known, oper_up, l);

	if (was_known && p->oper_up == oper_up) {
		if (n > 0 && c->cfg.link_stats && p->name_class == PSD_NAME_PORT)
			psd_linkq_push(c, idx); /* changes lost in between: the counts moved */
		return;
	}
	p->since_ns = c->now_ns;
	if (was_known || oper_up) { /* a first sight says nothing of when it went down */
		if (oper_up)
			p->last_up_ns = c->now_ns;
		else
			p->last_down_ns = c->now_ns;
	}
	p->link_known = true;
	if (p->name_class == PSD_NAME_PORT && !was_known)
		c->census.present++;
	take_series(c, p, !was_known);
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
	bool was_known = p->link_known && p->present;
	if (c->cfg.link_stats && was_known && p->name_class == PSD_NAME_PORT)
		log_transition(c, p, cause, p->oper_up ? "up" : "down", "absent");
	lines_summary(c, p); /* its lines suppressed are said before it goes */
	if (was_known && p->name_class == PSD_NAME_PORT) {
		PSD_ASSERT(c->census.present > 0);
		c->census.present--;
		if (c->census.present <= c->census.series)
			psd_repeat_end(&c->census.refused);
	}
	if (p->has_series) {
		p->has_series = false;
		c->census.series--;
	}
	if (was_known && p->name_class == PSD_NAME_PORT)
		c->alertq.gone = true; /* its alerts, if any, see it gone at the next evaluation */
	psd_alertq_unlink(c, idx);
	p->link_known = false;
	p->flap_since_ns = 0;
	psd_linkq_unlink(c, idx);
	p->stats_dirty = false;
}
