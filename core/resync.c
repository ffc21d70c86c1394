/*
 * Netlink loss is a state, not a log line. When link messages may have been lost (ENOBUFS,
 * MSG_TRUNC, NLMSG_OVERRUN, a malformed datagram, a dump that ended interrupted) the core asks
 * for a new dump of every link, under a new generation, at most once per redump_interval_ns.
 * Live events keep being applied meanwhile, and mark the ports they name as seen. When the dump
 * completes, a port whose netdev was present but which neither the dump nor a live event
 * mentioned is gone: it is deleted, as if its DELLINK had arrived. A loss during a dump abandons
 * it (the lost datagram may have been one of its own, or its end): it cannot sweep, and the next
 * dump, under a new sequence number, replaces it; its remaining datagrams are ignored.
 *
 * The first complete dump after a cold start also reconciles: a configured port that has no
 * netdev (and no leftover one, FB-03) loses our four fields, by HDEL (`state` is the
 * "netdev exists" marker, FB-24), since a previous run may have left them behind for a netdev
 * deleted or renamed while no daemon listened (FB-12, FB-25). Fields other daemons wrote before
 * the netdev appeared (supported_speeds, host_tx_ready) stay.
 *
 * An overrun (ENOBUFS) loses the newest messages, not the oldest: the kernel drops what arrives
 * while the receive queue is full and reports ENOBUFS once, and the queue still holds everything
 * older than the loss. That backlog must not override the re-dump (a port whose DELLINK was lost
 * would be re-created by its older NEWLINKs), so it is discarded, counted, until the event socket
 * has been read empty or cfg.nl_rcvbuf_bytes of it have gone by (the queue never holds more);
 * only then is the re-dump requested, and every message after it is newer than the loss.
 *
 * Invariants: at most one dump is outstanding; no dump is requested while a stale backlog is
 * being discarded; dumps are at least redump_interval_ns apart;
 * only a dump that completed without interruption sweeps.
 */
#include "engine.h"
#include "port_fsm.h"
#include "psd_assert.h"

static const char *const loss_names[_PSD_LOSS_MAX] = {
	[PSD_LOSS_ENOBUFS] = "receive buffer overrun (ENOBUFS)",
	[PSD_LOSS_TRUNCATED] = "datagram truncated",
	[PSD_LOSS_OVERRUN] = "NLMSG_OVERRUN",
	[PSD_LOSS_MALFORMED] = "malformed datagram",
	[PSD_LOSS_DUMP_INTR] = "dump interrupted",
	[PSD_LOSS_DUMP_ENOBUFS] = "dump socket receive buffer overrun (ENOBUFS)",
};

void psd_resync_dump_request(struct psd_core *c)
{
	PSD_ASSERT(!c->dump_active);
	c->dump_seq++;
	c->resync_gen++;
	c->dump_active = true;
	c->redump_wanted = false;
	c->redump_due_ns = UINT64_MAX;
	c->last_dump_ns = c->now_ns;
	psd_todo(c, TODO_NL_DUMP);
}

static void maybe_redump(struct psd_core *c)
{
	if (!c->redump_wanted || c->dump_active || c->backlog_stale || c->phase != PH_RUNNING)
		return;
	uint64_t earliest = c->last_dump_ns + c->cfg.redump_interval_ns;
	if (c->now_ns >= earliest) {
		c->stats.resyncs++;
		psd_log_line(c, PSD_LOG_NOTICE, "netlink: re-dumping every link to resynchronise", "");
		psd_resync_dump_request(c);
	} else {
		c->redump_due_ns = earliest; /* rate limit: wait for the interval */
	}
}

void psd_resync_loss(struct psd_core *c, enum psd_nl_loss why)
{
	PSD_ASSERT((unsigned)why < _PSD_LOSS_MAX);
	c->stats.nl_losses[why]++;
	if (c->dump_active) {
		c->dump_active = false;
		c->dump_tainted = false;
	}
	if (!c->redump_wanted)
		psd_log_line(c, PSD_LOG_ERROR, "netlink: link messages may be lost: ", loss_names[why]);
	if (why == PSD_LOSS_ENOBUFS) { /* what is queued now is older than the loss */
		c->backlog_stale = true;
		c->stale_bytes_left = c->cfg.nl_rcvbuf_bytes != 0 ? c->cfg.nl_rcvbuf_bytes : UINT64_MAX;
	}
	c->redump_wanted = true;
	maybe_redump(c);
}

void psd_resync_dump_done(struct psd_core *c, bool interrupted)
{
	if (!c->dump_active)
		return;
	c->dump_active = false;
	if (interrupted) {
		psd_resync_loss(c, PSD_LOSS_DUMP_INTR);
		return;
	}
	bool reconcile = (!c->reconciled && !c->warm) || c->restart_reconcile;
	c->reconciled = true;
	c->restart_reconcile = false;
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (reconcile && p->used && p->configured && !p->present && !p->old_netdev &&
		    p->fsm_state == psd_port_fsm_start()) {
			p->reconciling = true;
			psd_links_gone(c, i);
		}
		if (p->used && p->present && p->seen_gen != c->resync_gen) {
			c->stats.resync_deleted++;
			psd_log_line(c, PSD_LOG_NOTICE, "netlink: resync found gone: ", p->name);
			psd_links_gone(c, i);
		}
	}
	maybe_redump(c);
}

static void end_backlog(struct psd_core *c)
{
	struct psd_text t;
	c->backlog_stale = false;
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
		psd_text_str(&t, "netlink: ");
		psd_text_u64(&t, c->stale_datagrams);
		psd_text_str(&t, " datagrams queued before the overrun discarded");
		psd_log_end(c, &t);
	}
	c->stale_datagrams = 0;
	maybe_redump(c);
}

bool psd_resync_stale(struct psd_core *c, size_t len)
{
	if (!c->backlog_stale)
		return false;
	c->stats.nl_stale_datagrams++;
	c->stats.nl_stale_bytes += len;
	c->stale_datagrams++;
	if (len >= c->stale_bytes_left) /* the queue held no more than this: the rest is newer */
		end_backlog(c);
	else
		c->stale_bytes_left -= len;
	return true;
}

void psd_resync_drained(struct psd_core *c)
{
	if (c->backlog_stale)
		end_backlog(c);
}

void psd_resync_timer(struct psd_core *c)
{
	if (c->now_ns >= c->redump_due_ns) {
		c->redump_due_ns = UINT64_MAX;
		maybe_redump(c);
	}
}
