/*
 * What APPL_DB holds of each port, as its keyspace subscription tells it (a part of the links
 * module): the contract writes a port's STATE_DB entry only while APPL_DB has it, and asking
 * (EXISTS) before each write costs a second round trip per link change. While APPL_DB is watched,
 * a port is known there or absent, and a link change is written (or parked) at once; a look-up is
 * made only for a port nothing is known of.
 *
 * Knowledge is never older than what Redis said last:
 *  - when the subscription turns watched, PORT_TABLE is read in full (KEYS); a port is taken as
 *    there or absent by that read unless a notification of it came after the read went out;
 *  - a notification of a port makes it unknown (whatever its event: hset, del, expired...), so
 *    its next change is looked up; a port parked for want of its APPL_DB entry is looked up at
 *    once (orchagent just wrote it, most likely);
 *  - a look-up's answer is kept unless a notification of the port came after it went out;
 *  - a lost subscription drops everything known, and the re-check timer looks up parked ports
 *    again, as without a subscription.
 * Notifications come on another connection than replies, so either may overtake the other;
 * the generation counters above make the order not matter.
 *
 * Invariants: appl_known implies appl_watched; a port is there or absent only while appl_known.
 */
#include <string.h>

#include "ctx.h"
#include "emit.h"
#include "links_appl.h"
#include "links_parts.h"
#include "names.h"
#include "outbox.h"
#include "psd_assert.h"
#include "text.h"

/* Drops what is known of every port. */
static void forget_all(struct psd_ctx *c, struct psd_links *lk)
{
	lk->appl_known = false;
	for (uint32_t i = 0; i < c->ports.high_water; i++)
		c->ports.ports[i].appl = PSD_APPL_UNKNOWN;
}

void psd_links_appl_watched(struct psd_ctx *c, struct psd_links *lk, bool watched)
{
	lk->appl_watched = watched;
	forget_all(c, lk);
	lk->appl_read_due = watched;
	lk->appl_read_sent = false; /* a read in flight answers for a subscription that is gone */
	lk->appl_read_wait = false;
	if (!watched && lk->parked > 0)
		psd_links_arm_recheck(c, lk); /* parked ports are looked up by the timer again */
}

/* A parked port waiting for APPL_DB is looked up now. */
static void recheck(struct psd_ctx *c, struct psd_links *lk, uint32_t idx)
{
	struct psd_port *p = &c->ports.ports[idx];
	if (p->parked && !p->park_refused)
		psd_links_step(c, lk, idx, PSD_PS_RECHECK);
}

void psd_links_appl_notified(struct psd_ctx *c, struct psd_links *lk, const struct psd_str *name)
{
	if (!lk->appl_watched || name->len == 0 || name->len > PSD_IFNAME_LEN_MAX)
		return;
	uint32_t idx = psd_port_find(&c->ports, name->ptr, name->len);
	lk->notify_gen++;
	if (idx == PSD_NO_PORT)
		return; /* no netdev seen by that name: nothing to write, nothing to know */
	struct psd_port *p = &c->ports.ports[idx];
	p->appl = PSD_APPL_UNKNOWN;
	p->appl_gen = lk->notify_gen;
	recheck(c, lk, idx);
}

bool psd_links_appl_pull(struct psd_ctx *c, struct psd_links *lk, struct psd_action *ret)
{
	if (!lk->appl_read_due)
		return false;
	lk->appl_read_due = false;
	lk->appl_read_sent = true;
	lk->read_gen = lk->notify_gen;
	c->stats.appl_reads++;
	psd_emit_appl_keys(c, ret);
	return true;
}

/* Marks the port a key names ("PORT_TABLE<sep><name>"), if it is one of ours. */
static void listed(struct psd_ctx *c, const struct psd_str *key)
{
	const char *sep = c->cfg.separator[PSD_DB_APPL];
	size_t table = strlen("PORT_TABLE"), skip = table + strlen(sep);
	if (key->len <= skip || key->len - skip > PSD_IFNAME_LEN_MAX ||
	    memcmp(key->ptr, "PORT_TABLE", table) != 0 || memcmp(key->ptr + table, sep, skip - table))
		return;
	uint32_t idx = psd_port_find(&c->ports, key->ptr + skip, key->len - skip);
	if (idx != PSD_NO_PORT)
		c->ports.ports[idx].appl_listed = true;
}

/* The full read: every port nothing was said of since it went out is there or absent. */
void psd_links_appl_reply(struct psd_ctx *c, struct psd_links *lk, const struct psd_reply *r)
{
	if (!lk->appl_read_sent)
		return; /* asked for a subscription that is gone; its successor reads again */
	lk->appl_read_sent = false;
	if (r->type != PSD_REPLY_ARRAY) { /* refused (LOADING, BUSY): asked again at the timer */
		c->stats.db_errors++;
		psd_log_refusal(c, "the read of APPL_DB PORT_TABLE", r);
		lk->appl_read_wait = true;
		psd_links_arm_recheck(c, lk);
		return;
	}
	for (size_t i = 0; i < r->element_count; i++)
		listed(c, &r->elements[i]);
	lk->appl_known = true;
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (p->used && p->appl_gen <= lk->read_gen)
			p->appl = p->appl_listed ? PSD_APPL_THERE : PSD_APPL_ABSENT;
		bool there = p->appl_listed;
		p->appl_listed = false;
		if (p->used && there && p->appl == PSD_APPL_THERE && p->parked && !p->park_refused)
			psd_links_step(c, lk, i, PSD_PS_NEW_KNOWN); /* parked for want of it: written */
	}
}
