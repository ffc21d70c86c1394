/*
 * Link messages to STATE_DB: the decision chain of contract §2.3, the port machine's work
 * (port_fsm.rl), the per-key send queue, the APPL_DB re-check list and PortInitDone.
 *
 * Invariants:
 *  - a port is on the send queue at most once and has at most one command in flight;
 *  - a parked port is on the re-check list exactly while its machine is in `parked`;
 *  - PortInitDone goes out at most once, after the STATE_DB write of the last configured port
 *    has been acknowledged and after at least one netlink datagram;
 *  - a STATE_DB command Redis refuses (an error reply) is not lost: the port is parked and its
 *    latest state written at the next re-check; a refused PortInitDone is sent again then too.
 *
 * Where we differ from the C++ daemon (docs/compatibility.md), cfg.compat restores it:
 *  - FB-14: a NEWLINK whose port is not in APPL_DB yet is parked and looked up again every
 *    PSD_APPL_RECHECK_NS (the first time after PSD_APPL_RECHECK_FIRST_NS, then twice as long
 *    each time up to it), not dropped for good (port names only; sub-interfaces and
 *    PortChannels can never be in PORT_TABLE);
 *  - FB-25: a NEWLINK that gives a known ifindex a new name deletes the old name's entry, and
 *    so does one whose new name is not ours at all (foo, eth1, Vlan5), or a DELLINK under it;
 *  - FB-11: only the bridge's DELLINK (AF_BRIDGE, master set) means "left the bridge"; a
 *    netdev deleted while enslaved also carries its master, in an AF_UNSPEC DELLINK, and is
 *    deleted (compat: every DELLINK with a master is ignored, so the entry stays forever);
 *  - FB-07 / FB-08: after a cold start, PortConfigDone's count follows the ports: a port found in
 *    APPL_DB that it did not count (a breakout, a port added to an empty CONFIG_DB) raises it
 *    and PortConfigDone is written again (compat: the count of the start stays);
 *  - FB-03: the DELLINK of an old interface retires its ifindex from the old set, and so does a
 *    message that shows it under another name (renamed);
 *  - a warm restart writes nothing for a link state STATE_DB already held at start (warm.c
 *    marks those ports stored_known until reconciled; compat: never marked).
 */
#include <string.h>

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "ctx.h"
#include "emit.h"
#include "links.h"
#include "links_parts.h"
#include "names.h"
#include "outbox.h"
#include "port_fsm.h"
#include "port_stats.h"
#include "psd_assert.h"
#include "work.h"

static void gone(struct psd_ctx *c, struct psd_links *lk, uint32_t idx);
static enum psd_port_sym ack_symbol(const struct psd_ctx *c, const struct psd_links *lk,
				    const struct psd_port *p);

void psd_links_init(struct psd_ctx *c, struct psd_links *lk, uint32_t *sendq)
{
	lk->sendq = sendq;
	lk->sendq_cap = c->ports.capacity < PSD_SENDQ_SLOTS_MIN ? c->ports.capacity : PSD_SENDQ_SLOTS_MIN;
	lk->park_head = lk->park_tail = PSD_NO_PORT;
	lk->recheck_due_ns = UINT64_MAX;
}

/* A full send queue doubles (at most to the port table's capacity): the ports from its head to
 * the end of the old ring move to the end of the new one, the order kept. */
static void sendq_grow(const struct psd_ctx *c, struct psd_links *lk)
{
	uint32_t cap = lk->sendq_cap;
	uint32_t grown = cap > c->ports.capacity / 2 ? c->ports.capacity : 2 * cap;
	PSD_ASSERT(lk->sendq_len == cap && grown > cap);
	if (lk->sendq_head != 0) {
		uint32_t tail = cap - lk->sendq_head;
		memmove(&lk->sendq[grown - tail], &lk->sendq[lk->sendq_head], tail * sizeof(uint32_t));
		lk->sendq_head = grown - tail;
	}
	lk->sendq_cap = grown;
}

static void sendq_push(struct psd_ctx *c, struct psd_links *lk, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (p->queued)
		return;
	PSD_ASSERT(lk->sendq_len < c->ports.capacity);
	if (lk->sendq_len == lk->sendq_cap)
		sendq_grow(c, lk);
	lk->sendq[(lk->sendq_head + lk->sendq_len) % lk->sendq_cap] = idx;
	lk->sendq_len++;
	p->queued = true;
}

/* Whether the re-check timer has work: a parked port it retries, or PortInitDone refused. */
static bool recheck_needed(const struct psd_links *lk)
{
	return lk->init_done_retry || lk->parked_refused > 0 || lk->appl_read_wait ||
	       (lk->parked > 0 && !lk->appl_known);
}

void psd_links_arm_recheck(struct psd_ctx *c, struct psd_links *lk)
{
	if (lk->recheck_due_ns != UINT64_MAX || !recheck_needed(lk))
		return;
	if (lk->recheck_interval_ns < PSD_APPL_RECHECK_FIRST_NS)
		lk->recheck_interval_ns = PSD_APPL_RECHECK_FIRST_NS;
	lk->recheck_due_ns = c->now_ns + lk->recheck_interval_ns;
}

static void park(struct psd_ctx *c, struct psd_links *lk, uint32_t idx, bool refused)
{
	struct psd_port *p = &c->ports.ports[idx];
	PSD_ASSERT(!p->parked);
	p->parked = true;
	p->park_refused = refused;
	lk->parked_refused += refused;
	p->park_next = PSD_NO_PORT;
	p->park_prev = lk->park_tail;
	if (lk->park_tail != PSD_NO_PORT)
		c->ports.ports[lk->park_tail].park_next = idx;
	else
		lk->park_head = idx;
	lk->park_tail = idx;
	lk->parked++;
	psd_links_arm_recheck(c, lk);
}

static void unpark(struct psd_ctx *c, struct psd_links *lk, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	PSD_ASSERT(p->parked);
	if (p->park_prev != PSD_NO_PORT)
		c->ports.ports[p->park_prev].park_next = p->park_next;
	else
		lk->park_head = p->park_next;
	if (p->park_next != PSD_NO_PORT)
		c->ports.ports[p->park_next].park_prev = p->park_prev;
	else
		lk->park_tail = p->park_prev;
	p->parked = false;
	p->park_prev = p->park_next = PSD_NO_PORT;
	lk->parked--;
	lk->parked_refused -= p->park_refused;
	p->park_refused = false;
	if (!recheck_needed(lk)) {
		lk->recheck_due_ns = UINT64_MAX;
		lk->recheck_interval_ns = 0; /* the next missing port is looked up soon again */
	}
}

/* Forgets a port that holds nothing: not configured, no netdev, nothing queued. */
static void release_if_idle(struct psd_ctx *c, struct psd_links *lk, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	/* a live port netdev stays known, so that a rename of its ifindex can be recognised;
	 * sub-interfaces and PortChannels are never written, so they are not kept */
	if (p->configured || p->queued || p->sent || p->parked)
		return;
	if (p->present && p->name_class == PSD_NAME_PORT)
		return;
	if (p->ifindex != 0 && psd_imap_get(&c->ports.by_ifindex, p->ifindex) == idx)
		psd_imap_del(&c->ports.by_ifindex, p->ifindex);
	psd_port_remove(&c->ports, idx);
}

static void log_port(struct psd_ctx *c, struct psd_links *lk, enum psd_log_level level,
		     const char *a,
		     const struct psd_port *p, const char *b)
{
	struct psd_text t;
	if (psd_log_begin(c, level, &t) == NULL)
		return;
	psd_text_str(&t, a);
	psd_text_mem(&t, p->name, p->name_len);
	psd_text_str(&t, b);
	psd_log_end(c, &t);
}

static bool is_missing(enum psd_port_sym sym)
{
	return sym == PSD_PS_MISSING || sym == PSD_PS_NEW_MISSING || sym == PSD_PS_ACK_MISSING;
}

void psd_links_step(struct psd_ctx *c, struct psd_links *lk, uint32_t idx, enum psd_port_sym sym)
{
	struct psd_port *p = &c->ports.ports[idx];
	unsigned work = 0;
	int next = psd_port_fsm_step(p->fsm_state, sym, &work);

	PSD_ASSERT(next >= 0); /* every symbol the engine makes has a transition */
	p->fsm_state = (int16_t)next;
	if (work & PSD_PW_DIRTY) {
		lk->urgent += p->sent && !p->dirty;
		p->dirty = true;
	}
	if (work & PSD_PW_UNPARK)
		unpark(c, lk, idx);
	if (work & (PSD_PW_LOOKUP | PSD_PW_WRITE | PSD_PW_DELETE)) {
		p->op = (work & PSD_PW_LOOKUP)  ? PSD_OP_LOOKUP :
			(work & PSD_PW_WRITE) ? PSD_OP_WRITE :
						PSD_OP_DELETE;
		p->dirty = false;
		sendq_push(c, lk, idx);
	}
	if (work & PSD_PW_PARK) {
		park(c, lk, idx, sym == PSD_PS_FAILED || lk->lookup_refused);
		if (is_missing(sym) && !p->missing_logged) { /* once; then a summary a minute */
			p->missing_logged = true;
			log_port(c, lk, PSD_LOG_NOTICE, "Cannot find ", p, " in port table; will look again");
			if (lk->missing_summary_ns == 0)
				lk->missing_summary_ns = c->now_ns + PSD_LOG_REPEAT_NS;
		} else if (is_missing(sym)) {
			c->stats.log_suppressed++;
		}
	}
	if (sym == PSD_PS_FOUND || sym == PSD_PS_NEW_KNOWN || sym == PSD_PS_ACK_KNOWN)
		p->missing_logged = false;
	if (work & PSD_PW_FORGET)
		log_port(c, lk, PSD_LOG_INFO, "Cannot find ", p, " in port table");
	if (work & PSD_PW_SETTLE) {
		p->op = PSD_OP_NONE;
		release_if_idle(c, lk, idx);
	}
}

static void log_link(struct psd_ctx *c, struct psd_links *lk, const struct psd_link *l)
{
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_INFO, &t) == NULL)
		return;
	psd_text_str(&t, "nlmsg type:");
	psd_text_u64(&t, l->msg_type);
	psd_text_str(&t, " key:");
	psd_text_str(&t, l->name);
	psd_text_str(&t, " admin:");
	psd_text_u64(&t, (l->flags & IFF_UP) != 0);
	psd_text_str(&t, " oper:");
	psd_text_u64(&t, (l->flags & IFF_RUNNING) != 0);
	psd_text_str(&t, " addr:");
	psd_text_mac(&t, l->addr, l->addr_len);
	psd_text_str(&t, " ifindex:");
	psd_text_i64(&t, l->ifindex);
	psd_text_str(&t, " master:");
	psd_text_u64(&t, l->master);
	if (l->has_kind) {
		psd_text_str(&t, " type:");
		psd_text_escaped(&t, l->kind, l->kind_len);
	}
	psd_text_str(&t, " flags:");
	psd_text_u64(&t, l->flags);
	psd_log_end(c, &t);
}

static uint32_t port_for(struct psd_ctx *c, struct psd_links *lk, const struct psd_link *l,
			 enum psd_name_class cls)
{
	uint32_t idx = psd_port_find(&c->ports, l->name, l->name_len);
	if (idx != PSD_NO_PORT)
		return idx;
	idx = psd_port_add(&c->ports, l->name, l->name_len);
	if (idx == PSD_NO_PORT) {
		c->stats.ports_refused++;
		if (c->now_ns >= lk->table_full_log_ns) { /* a line a minute, with the count */
			struct psd_text t;
			lk->table_full_log_ns = c->now_ns + PSD_LOG_REPEAT_NS;
			if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
				psd_text_str(&t, "port table full (raise ports_max); dropped event for ");
				psd_text_str(&t, l->name);
				psd_text_str(&t, "; events dropped so: ");
				psd_text_u64(&t, c->stats.ports_refused);
				psd_log_end(c, &t);
			}
		} else {
			c->stats.log_suppressed++;
		}
		return PSD_NO_PORT;
	}
	c->ports.ports[idx].name_class = (uint8_t)cls;
	c->ports.ports[idx].fsm_state = (int16_t)psd_port_fsm_start();
	return idx;
}

/* FB-25: the ifindex had another name; that name's netdev is gone. */
static void retire_renamed(struct psd_ctx *c, struct psd_links *lk, const struct psd_link *l,
			   uint32_t idx)
{
	uint32_t other = psd_imap_get(&c->ports.by_ifindex, l->ifindex);
	if (other == PSD_NO_PORT || other == idx)
		return;
	struct psd_port *o = &c->ports.ports[other];
	struct psd_text t;
	c->stats.renames++;
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
		psd_text_str(&t, "ifindex ");
		psd_text_i64(&t, l->ifindex);
		psd_text_str(&t, " renamed from ");
		psd_text_mem(&t, o->name, o->name_len);
		psd_text_str(&t, " to ");
		psd_text_str(&t, l->name);
		psd_log_end(c, &t);
	}
	gone(c, lk, other);
}

static void track_ifindex(struct psd_ctx *c, struct psd_links *lk, struct psd_port *p, uint32_t idx,
			  int32_t ifindex)
{
	if (p->ifindex == ifindex)
		return;
	if (p->ifindex != 0 && psd_imap_get(&c->ports.by_ifindex, p->ifindex) == idx)
		psd_imap_del(&c->ports.by_ifindex, p->ifindex);
	p->ifindex = ifindex;
	if (ifindex == 0)
		return;
	uint32_t other = psd_imap_get(&c->ports.by_ifindex, ifindex);
	if (other != PSD_NO_PORT)
		c->ports.ports[other].ifindex = 0; /* compat: the old name keeps its entry */
	if (psd_imap_put(&c->ports.by_ifindex, ifindex, idx) < 0)
		p->ifindex = 0; /* cannot happen: the map holds as many entries as the table */
}

static enum psd_db op_db(enum psd_port_op op)
{
	return op == PSD_OP_LOOKUP ? PSD_DB_APPL : PSD_DB_STATE;
}

void psd_links_outage(struct psd_ctx *c, struct psd_links *lk, enum psd_db db)
{
	if (db == PSD_DB_APPL && lk->appl_read_sent) { /* the full read goes again */
		lk->appl_read_sent = false;
		lk->appl_read_due = true;
	}
	if (db == PSD_DB_APPL && lk->init_done_sent && !lk->init_done_acked)
		lk->init_done_sent = false; /* lost with APPL_DB's connection: sent again once back */
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (!p->used || !p->sent || op_db((enum psd_port_op)p->op) != db)
			continue;
		lk->urgent -= p->dirty;
		p->sent = false; /* the command is idempotent: send it again once reconnected */
		p->sent_once = p->sent_once || p->op != PSD_OP_LOOKUP; /* it may have landed */
		c->stats.commands_replayed++;
		sendq_push(c, lk, i);
	}
}

void psd_links_rewrite_all(struct psd_ctx *c, struct psd_links *lk)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (p->used && p->present && p->name_class == PSD_NAME_PORT &&
		    p->fsm_state == psd_port_fsm_start())
			psd_links_step(c, lk, i, psd_links_new_sym(c, lk, p, false));
	}
}

void psd_links_appl_lost(struct psd_ctx *c, struct psd_links *lk)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (p->used && p->queued && p->op == PSD_OP_WRITE && p->present)
			psd_links_step(c, lk, i, PSD_PS_ACK_PRESENT); /* a look-up, then the write */
	}
}

/* An entry STATE_DB may hold for a port without a netdev, left by an earlier run: a configured
 * port's (unless restored_only), or one a warm restore found and nothing has touched since. */
static bool stale_entry(const struct psd_port *p, bool restored_only)
{
	bool restored = p->restored && !p->sent_once;
	return p->used && (restored || (p->configured && !restored_only)) && !p->present &&
	       !p->old_netdev && p->fsm_state == psd_port_fsm_start();
}

void psd_links_reconcile_absent(struct psd_ctx *c, struct psd_links *lk, bool restored_only)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (stale_entry(p, restored_only)) {
			c->stats.warm_stale_deleted += p->restored && !p->sent_once;
			p->reconciling = true; /* our fields only, as at a cold start's first dump */
			gone(c, lk, i);
		}
	}
}

/* Treats a port as deleted (DELLINK, resync sweep, rename). */
static void gone(struct psd_ctx *c, struct psd_links *lk, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (p->present)
		psd_port_note_change(c, p);
	psd_port_note_gone(c, idx, lk->link_cause);
	p->present = false;
	if (p->ifindex != 0 && psd_imap_get(&c->ports.by_ifindex, p->ifindex) == idx)
		psd_imap_del(&c->ports.by_ifindex, p->ifindex);
	p->ifindex = 0;
	psd_links_step(c, lk, idx, PSD_PS_DEL);
}

/* A message for an ifindex start-up found left over (FB-03). Field: once that netdev is renamed it
 * is no leftover any more (a leftover is deleted, never renamed into a port): it is forgotten from
 * the old set and its messages count again. */
static bool is_old_iface(struct psd_ctx *c, struct psd_links *lk, const struct psd_link *l)
{
	uint32_t old = psd_imap_get(&c->old.by_ifindex, l->ifindex);
	if (old == PSD_NO_PORT)
		return false;
	const char *was = c->old.ifaces[old].name;
	if (c->cfg.compat || (strlen(was) == l->name_len && memcmp(was, l->name, l->name_len) == 0))
		return true;
	psd_imap_del(&c->old.by_ifindex, l->ifindex);
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
		psd_text_str(&t, "old interface ");
		psd_text_str(&t, was);
		psd_text_str(&t, " renamed to ");
		psd_text_mem(&t, l->name, l->name_len);
		psd_text_str(&t, ": no longer ignored");
		psd_log_end(c, &t);
	}
	return false;
}

/* Warm restart (warm.c): the entry STATE_DB held at start is this state, and nothing was sent
 * for the port since; writing it again would be churn. */
static bool stored_same(const struct psd_port *p)
{
	return p->stored_known && !p->sent_once && p->present &&
	       p->stored_admin_up == p->admin_up && p->stored_oper_up == p->oper_up &&
	       p->stored_mtu == p->mtu;
}

static bool already_stored(const struct psd_port *p)
{
	return stored_same(p) && p->fsm_state == psd_port_fsm_start() && !p->queued && !p->sent;
}

static void handle_link(struct psd_ctx *c, struct psd_links *lk, const struct psd_link *l,
			uint32_t gen)
{
	enum psd_name_class cls = psd_name_classify(l->name, l->name_len);
	bool del = l->msg_type == RTM_DELLINK;
	uint32_t idx;

	if ((cls == PSD_NAME_INVALID || cls == PSD_NAME_OTHER) && !c->cfg.compat && l->ifindex != 0)
		retire_renamed(c, lk, l, PSD_NO_PORT); /* a port's netdev renamed away from port names */
	if (cls == PSD_NAME_INVALID) {
		c->stats.names_invalid++;
		struct psd_text t;
		if (psd_log_begin(c, PSD_LOG_WARN, &t) != NULL) {
			psd_text_str(&t, "netlink: invalid interface name '");
			psd_text_escaped(&t, l->name, l->name_len);
			psd_text_str(&t, "' ignored");
			psd_log_end(c, &t);
		}
		return;
	}
	if (cls == PSD_NAME_OTHER) {
		c->stats.msgs_filtered++;
		return;
	}
	log_link(c, lk, l);
	if ((l->has_kind && psd_kind_classify(l->kind, l->kind_len) == PSD_KIND_TEAM) ||
	    (del && l->master != 0 && (l->family == PSD_AF_BRIDGE || c->cfg.compat))) {
		c->stats.msgs_filtered++;
		return;
	}
	if (l->ifindex != 0 && is_old_iface(c, lk, l)) {
		c->stats.msgs_old_ifindex++;
		psd_log_line(c, PSD_LOG_INFO, "Ignoring message for old interface ", l->name);
		if (del && !c->cfg.compat)
			psd_imap_del(&c->old.by_ifindex, l->ifindex);
		return;
	}
	idx = port_for(c, lk, l, cls);
	if (idx == PSD_NO_PORT)
		return;
	struct psd_port *p = &c->ports.ports[idx];
	c->stats.links_applied++;
	p->seen_gen = gen;
	p->old_netdev = false; /* a netdev of this name that is not the leftover: the name is its */
	p->reconciling = false; /* a real message: a DELLINK deletes the whole entry, as upstream */
	if (del) {
		gone(c, lk, idx);
		return;
	}
	if (!c->cfg.compat && l->ifindex != 0)
		retire_renamed(c, lk, l, idx);
	track_ifindex(c, lk, p, idx, l->ifindex);
	psd_port_note_change(c, p);
	psd_port_note_link(c, idx, lk->link_cause, (l->flags & IFF_RUNNING) != 0,
			   (l->flags & IFF_UP) != 0, l);
	p->present = true;
	p->admin_up = (l->flags & IFF_UP) != 0;
	p->oper_up = (l->flags & IFF_RUNNING) != 0;
	p->mtu = l->mtu;
	if (p->stored_known && already_stored(p)) {
		c->stats.warm_unchanged++; /* a warm restart: STATE_DB holds this already */
		psd_port_leave_portset(&c->ports, p);
		return;
	}
	c->stats.appl_known_writes += psd_links_new_sym(c, lk, p, false) == PSD_PS_NEW_KNOWN;
	psd_links_step(c, lk, idx, psd_links_new_sym(c, lk, p, false));
}

static void log_malformed(struct psd_ctx *c, struct psd_links *lk, int err, bool from_dump,
			  struct psd_nl_verdict *v)
{
	struct psd_text t;
	c->stats.nl_malformed[-err]++;
	if (psd_log_begin(c, PSD_LOG_ERROR, &t) == NULL)
		return;
	psd_text_str(&t, from_dump ? "netlink dump socket: " : "netlink event socket: ");
	psd_text_str(&t, "malformed message (");
	psd_text_str(&t, psd_nl_error_name((enum psd_nl_error)-err));
	psd_text_str(&t, "); rest of the datagram dropped");
	psd_log_end(c, &t);
	if (from_dump)
		v->dump_tainted = true;
	else
		v->losses |= 1u << PSD_LOSS_MALFORMED;
}

static enum psd_nl_type nl_type(const struct psd_nl_msg *m)
{
	switch (m->kind) {
	case PSD_NLMSG_LINK:
		return m->type == RTM_DELLINK ? PSD_NLT_DELLINK : PSD_NLT_NEWLINK;
	case PSD_NLMSG_DONE:
		return PSD_NLT_DONE;
	case PSD_NLMSG_ERROR:
		return PSD_NLT_ERROR;
	case PSD_NLMSG_OVERRUN:
		return PSD_NLT_OVERRUN;
	default:
		return PSD_NLT_OTHER;
	}
}

struct psd_nl_verdict psd_links_datagram(struct psd_ctx *c, struct psd_links *lk, uint32_t gen,
					 uint32_t dump_seq, const uint8_t *bytes, size_t len,
					 bool from_dump)
{
	struct psd_nl_verdict v = {0};
	struct psd_nl_cursor cur;
	struct psd_nl_msg m;
	struct psd_link link;
	int r;

	c->stats.nl_datagrams++;
	lk->saw_datagram = true;
	psd_nl_cursor_init(&cur, bytes, len);
	while ((r = psd_nl_cursor_next(&cur, &m)) > 0) {
		c->stats.nl_messages++;
		c->stats.nl_types[nl_type(&m)]++;
		lk->link_cause = from_dump ? "dump" : "event";
		if (from_dump && m.seq != dump_seq) {
			c->stats.nl_bad_seq++; /* not an answer to our dump */
			continue;
		}
		if (from_dump && (m.flags & NLM_F_DUMP_INTR) != 0)
			v.dump_tainted = true; /* links changed while the kernel dumped them */
		switch (m.kind) {
		case PSD_NLMSG_LINK:
			r = psd_nl_parse_link(&m, &link);
			if (r < 0) {
				log_malformed(c, lk, r, from_dump, &v);
				continue;
			}
			c->stats.nl_links++;
			handle_link(c, lk, &link, gen);
			break;
		case PSD_NLMSG_OVERRUN:
			c->stats.nl_overruns++;
			v.losses |= 1u << PSD_LOSS_OVERRUN;
			break;
		case PSD_NLMSG_ERROR:
			if (m.error != 0 && from_dump) {
				psd_log_line(c, PSD_LOG_ERROR, "netlink dump request failed", "");
				v.dump_done = v.dump_failed = true;
			}
			break;
		case PSD_NLMSG_DONE:
			if (from_dump) { /* a DONE that carries an error ends a dump cut short */
				v.dump_done = true;
				v.dump_failed = v.dump_failed || m.error != 0;
			}
			break;
		case PSD_NLMSG_IGNORED:
			c->stats.nl_ignored_types++;
			break;
		}
	}
	lk->link_cause = NULL;
	if (r < 0)
		log_malformed(c, lk, r, from_dump, &v);
	return v;
}

void psd_links_check_init_done(struct psd_ctx *c, struct psd_links *lk, bool may_announce)
{
	if (!may_announce || lk->init_done_sent || lk->init_done_retry ||
	    c->ports.portset_count != 0 || !lk->saw_datagram)
		return;
	lk->init_done_sent = true;
	lk->init_done_acked = false;
	psd_todo(c, TODO_INIT_DONE);
	psd_log_line(c, PSD_LOG_NOTICE, "PortInitDone", "");
}

static enum psd_port_sym lookup_symbol(struct psd_ctx *c, struct psd_links *lk, struct psd_port *p,
				       const struct psd_reply *r)
{
	if (!p->present)
		return PSD_PS_GONE;
	if (r->type == PSD_REPLY_INTEGER && r->integer > 0)
		return PSD_PS_FOUND;
	c->stats.appl_missing++;
	if (r->type == PSD_REPLY_ERROR) {
		c->stats.db_errors++;
		log_port(c, lk, PSD_LOG_ERROR, "APPL_DB look-up failed for ", p, "");
	}
	if (c->cfg.compat || p->name_class != PSD_NAME_PORT)
		return PSD_PS_DROP;
	return PSD_PS_MISSING;
}

/* FB-07 / FB-08: a port APPL_DB has, which PortConfigDone did not count yet. */
static void count_port(struct psd_ctx *c, struct psd_links *lk, struct psd_port *p, bool may_count)
{
	if (c->cfg.compat || !may_count || p->counted || p->name_class != PSD_NAME_PORT)
		return;
	psd_port_count_in(&c->ports, p);
	psd_todo(c, TODO_CONFIG_DONE);
	log_port(c, lk, PSD_LOG_NOTICE, "PortConfigDone counts ", p, " too");
}

static enum psd_port_sym ack_symbol(const struct psd_ctx *c, const struct psd_links *lk,
				    const struct psd_port *p)
{
	if (!p->dirty)
		return PSD_PS_ACK_CLEAN;
	return p->present ? psd_links_new_sym(c, lk, p, true) : PSD_PS_ACK_ABSENT;
}

void psd_links_reply(struct psd_ctx *c, struct psd_links *lk, bool may_count,
		     const struct psd_reply *r)
{
	enum psd_tag_kind kind = PSD_TAG_KIND(r->tag);
	uint32_t idx = PSD_TAG_INDEX(r->tag);

	PSD_ASSERT(kind != TAG_APPL_KEYS); /* the engine hands it to psd_links_appl_reply */
	if (kind == TAG_INIT_DONE) {
		if (r->type == PSD_REPLY_ERROR) {
			c->stats.db_errors++;
			psd_log_line(c, PSD_LOG_ERROR, "PortInitDone write failed; will try again", "");
			lk->init_done_sent = false;
			lk->init_done_retry = true;
			psd_links_arm_recheck(c, lk);
			return;
		}
		lk->init_done_acked = true;
		return;
	}
	PSD_ASSERT(idx < c->ports.high_water);
	struct psd_port *p = &c->ports.ports[idx];
	PSD_ASSERT(p->used && p->sent);
	lk->urgent -= p->dirty;
	p->sent = false;
	switch (kind) {
	case TAG_LOOKUP: {
		enum psd_port_sym sym = lookup_symbol(c, lk, p, r);
		c->stats.appl_lookups++;
		if (r->type == PSD_REPLY_INTEGER)
			psd_links_appl_answered(lk, p, r->integer > 0);
		if (sym == PSD_PS_FOUND)
			count_port(c, lk, p, may_count);
		/* a refused look-up (an error) parks the port until the re-check, not until a
		 * notification that will not come: APPL_DB may hold it */
		lk->lookup_refused = r->type == PSD_REPLY_ERROR;
		psd_links_step(c, lk, idx, sym);
		lk->lookup_refused = false;
		return;
	}
	case TAG_WRITE:
	case TAG_DELETE:
		if (r->type == PSD_REPLY_ERROR) {
			c->stats.db_errors++;
			if (c->now_ns >= lk->refused_log_ns) { /* a refusing Redis: a line a minute */
				lk->refused_log_ns = c->now_ns + PSD_LOG_REPEAT_NS;
				struct psd_text t;
				if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
					psd_text_str(&t, "STATE_DB command refused for ");
					psd_text_mem(&t, p->name, p->name_len);
					psd_text_str(&t, " with ");
					psd_text_reply_error(&t, r);
					psd_text_str(&t, "; will try again (more such refusals are "
							 "counted, and logged once a minute)");
					psd_log_end(c, &t);
				}
			} else {
				c->stats.log_suppressed++;
			}
			psd_links_step(c, lk, idx, PSD_PS_FAILED);
			return;
		}
		p->sent_once = true; /* a refused one (above) changed nothing */
		if (kind == TAG_WRITE) {
			c->stats.state_writes++;
			psd_port_leave_portset(&c->ports, p);
		} else {
			c->stats.state_deletes++;
		}
		psd_links_step(c, lk, idx, ack_symbol(c, lk, p)); /* PortInitDone, if due, at the end of the event */
		return;
	default:
		PSD_UNREACHABLE();
	}
}

void psd_links_timer(struct psd_ctx *c, struct psd_links *lk)
{
	if (c->now_ns < lk->recheck_due_ns)
		return;
	lk->recheck_due_ns = UINT64_MAX;
	if (lk->parked > 0 && lk->missing_summary_ns != 0 && c->now_ns >= lk->missing_summary_ns) {
		struct psd_text t;
		lk->missing_summary_ns = c->now_ns + PSD_LOG_REPEAT_NS;
		if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
			psd_text_str(&t, "still not in APPL_DB PORT_TABLE: ");
			psd_text_u64(&t, lk->parked);
			psd_text_str(&t, " ports, the first ");
			psd_text_mem(&t, c->ports.ports[lk->park_head].name,
				     c->ports.ports[lk->park_head].name_len);
			psd_text_str(&t, "; looked up again every ");
			psd_text_u64(&t, PSD_APPL_RECHECK_NS / PSD_NS_PER_MS);
			psd_text_str(&t, " ms");
			psd_log_end(c, &t);
		}
	}
	for (uint32_t n = 0, i = lk->park_head; n < PSD_APPL_RECHECK_BATCH && i != PSD_NO_PORT; n++) {
		uint32_t next = c->ports.ports[i].park_next;
		if (psd_links_on_timer(lk, &c->ports.ports[i])) /* else a notification looks it up */
			psd_links_step(c, lk, i, PSD_PS_RECHECK);
		i = next;
	}
	lk->recheck_interval_ns = lk->recheck_interval_ns * 2 < PSD_APPL_RECHECK_NS ?
					 lk->recheck_interval_ns * 2 : PSD_APPL_RECHECK_NS;
	lk->init_done_retry = false; /* PortInitDone again, at the end of the event */
	if (lk->appl_read_wait) { /* a refused full read goes again */
		lk->appl_read_wait = false;
		lk->appl_read_due = lk->appl_watched;
	}
	psd_links_arm_recheck(c, lk);
}

/* Takes the next port off the send queue; PSD_NO_PORT when none is left. A write of what STATE_DB
 * already holds since a warm start (the netdev changed and changed back meanwhile) is settled
 * here, as if acknowledged, and never sent. */
static uint32_t next_to_send(struct psd_ctx *c, struct psd_links *lk)
{
	while (lk->sendq_len > 0) {
		uint32_t idx = lk->sendq[lk->sendq_head];
		struct psd_port *p = &c->ports.ports[idx];
		lk->sendq_head = (lk->sendq_head + 1) % lk->sendq_cap;
		lk->sendq_len--;
		PSD_ASSERT(p->queued && !p->sent);
		p->queued = false;
		if (p->op == PSD_OP_WRITE && p->dirty && !p->present) {
			/* its netdev went while the write waited (an outage requeued it): the write
			 * would say a gone netdev is there; the delete goes instead */
			psd_links_step(c, lk, idx, ack_symbol(c, lk, p));
			continue;
		}
		if (!p->stored_known || p->op != PSD_OP_WRITE || !stored_same(p))
			return idx;
		c->stats.warm_unchanged++;
		psd_port_leave_portset(&c->ports, p);
		psd_links_step(c, lk, idx, ack_symbol(c, lk, p)); /* PortInitDone, if due, at the end of the event */
	}
	return PSD_NO_PORT;
}

bool psd_links_pull(struct psd_ctx *c, struct psd_links *lk, bool may_send, struct psd_action *ret)
{
	if (!may_send)
		return false;
	if (lk->sendq_len == 0)
		return false;
	uint32_t idx = next_to_send(c, lk);
	if (idx == PSD_NO_PORT)
		return false;
	struct psd_port *p = &c->ports.ports[idx];
	p->sent = true;
	lk->urgent += p->dirty; /* a newer state came while it was queued */
	if (p->op == PSD_OP_LOOKUP)
		psd_links_appl_asked(lk, p);
	if (p->op == PSD_OP_WRITE)
		log_port(c, lk, PSD_LOG_INFO, "Publish ", p, p->oper_up ? "(ok:up) to state db" :
								     "(ok:down) to state db");
	else if (p->op == PSD_OP_DELETE)
		log_port(c, lk, PSD_LOG_INFO, "Delete ", p, "(ok) from state db");
	psd_emit_port_op(c, idx, ret);
	return true;
}

void psd_links_announce_again(struct psd_ctx *c, struct psd_links *lk)
{
	lk->init_done_sent = false;
}

void psd_links_sweep(struct psd_ctx *c, struct psd_links *lk, uint32_t gen, bool reconcile)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (reconcile && stale_entry(p, false)) {
			p->reconciling = true;
			gone(c, lk, i);
		}
		if (p->used && p->present && p->seen_gen != gen) {
			c->stats.resync_deleted++;
			psd_log_line(c, PSD_LOG_NOTICE, "netlink: resync found gone: ", p->name);
			gone(c, lk, i);
		}
	}
}

uint32_t psd_links_unacked(const struct psd_ctx *c, const struct psd_links *lk)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		n += p->used && (p->queued || p->sent);
	}
	return n;
}

uint32_t psd_links_queued(const struct psd_links *lk)
{
	return lk->sendq_len;
}

uint32_t psd_links_parked(const struct psd_links *lk)
{
	return lk->parked;
}

bool psd_links_init_done(const struct psd_links *lk)
{
	return lk->init_done_sent;
}

void psd_links_check(const struct psd_ctx *c, const struct psd_links *lk)
{
	uint32_t queued = 0, parked = 0, refused = 0, urgent = 0;

	PSD_ASSERT(lk->sendq_len <= lk->sendq_cap && lk->sendq_cap <= c->ports.capacity);
	PSD_ASSERT(lk->sendq_head < lk->sendq_cap);
	PSD_ASSERT(c->ports.high_water <= c->ports.capacity);
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		if (!p->used)
			continue;
		PSD_ASSERT(psd_port_find(&c->ports, p->name, p->name_len) == i);
		PSD_ASSERT(!(p->queued && p->sent));
		PSD_ASSERT(!p->parked || (!p->queued && !p->sent));
		if (p->ifindex != 0)
			PSD_ASSERT(psd_imap_get(&c->ports.by_ifindex, p->ifindex) == i);
		queued += p->queued;
		parked += p->parked;
		refused += p->parked && p->park_refused;
		urgent += p->sent && p->dirty;
		PSD_ASSERT(lk->appl_known || p->appl == PSD_APPL_UNKNOWN);
	}
	PSD_ASSERT(queued == lk->sendq_len);
	PSD_ASSERT(parked == lk->parked);
	PSD_ASSERT(refused == lk->parked_refused);
	PSD_ASSERT(urgent == lk->urgent);
	PSD_ASSERT(!recheck_needed(lk) || lk->recheck_due_ns != UINT64_MAX);
	PSD_ASSERT(!lk->appl_known || lk->appl_watched);
	PSD_ASSERT(!(lk->appl_read_due && lk->appl_read_sent));
	for (uint32_t n = 0, i = lk->park_head; i != PSD_NO_PORT;
	     i = c->ports.ports[i].park_next) {
		PSD_ASSERT(c->ports.ports[i].parked);
		PSD_ASSERT(++n <= lk->parked);
	}
}
