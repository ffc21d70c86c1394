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

void psd_resync_init(struct psd_core *c)
{
	c->resync.redump_due_ns = UINT64_MAX;
}

static void dump_request(struct psd_core *c)
{
	PSD_ASSERT(!c->resync.dump_active);
	c->resync.dump_seq++;
	c->resync.dump_tainted = false;
	c->resync.gen++;
	c->resync.dump_active = true;
	c->resync.redump_wanted = false;
	c->resync.redump_due_ns = UINT64_MAX;
	c->resync.last_dump_ns = c->now_ns;
	psd_todo(c, TODO_NL_DUMP);
}

static void maybe_redump(struct psd_core *c)
{
	if (!c->resync.redump_wanted || c->resync.dump_active || c->resync.backlog_stale || c->startup.phase != PH_RUNNING)
		return;
	uint64_t earliest = c->resync.last_dump_ns + c->cfg.redump_interval_ns;
	if (c->now_ns >= earliest) {
		c->stats.resyncs++;
		psd_log_line(c, PSD_LOG_NOTICE, "netlink: re-dumping every link to resynchronise", "");
		dump_request(c);
	} else {
		c->resync.redump_due_ns = earliest; /* rate limit: wait for the interval */
	}
}

void psd_resync_loss(struct psd_core *c, enum psd_nl_loss why)
{
	PSD_ASSERT((unsigned)why < _PSD_LOSS_MAX);
	c->stats.nl_losses[why]++;
	if (c->resync.dump_active) {
		c->resync.dump_active = false;
		c->resync.dump_tainted = false;
	}
	if (!c->resync.redump_wanted)
		psd_log_line(c, PSD_LOG_ERROR, "netlink: link messages may be lost: ", loss_names[why]);
	if (why == PSD_LOSS_ENOBUFS) { /* what is queued now is older than the loss */
		c->resync.backlog_stale = true;
		c->resync.stale_bytes_left = c->cfg.nl_rcvbuf_bytes != 0 ? c->cfg.nl_rcvbuf_bytes : UINT64_MAX;
	}
	c->resync.redump_wanted = true;
	maybe_redump(c);
}

void psd_resync_first_dump(struct psd_core *c)
{
	if (!c->resync.dump_active)
		dump_request(c);
}

void psd_resync_listening(struct psd_core *c)
{
	if (c->resync.redump_wanted && !c->resync.dump_active)
		psd_resync_loss(c, PSD_LOSS_DUMP_INTR); /* the start-up dump could not be sent */
}

void psd_resync_taint(struct psd_core *c)
{
	if (c->resync.dump_active) /* an abandoned dump's last datagrams say nothing */
		c->resync.dump_tainted = true;
}

void psd_resync_reconcile_next(struct psd_core *c)
{
	c->resync.restart_reconcile = true;
}

void psd_resync_dump_done(struct psd_core *c, bool interrupted)
{
	if (!c->resync.dump_active)
		return;
	c->resync.dump_active = false;
	interrupted = interrupted || c->resync.dump_tainted;
	c->resync.dump_tainted = false;
	if (interrupted) {
		psd_resync_loss(c, PSD_LOSS_DUMP_INTR);
		return;
	}
	c->resync.sweep_reconcile = (!c->resync.reconciled && !c->startup.warm) ||
				    c->resync.restart_reconcile;
	c->resync.reconciled = true;
	c->resync.restart_reconcile = false;
	c->resync.wants |= PSD_WANT_SWEEP;
	maybe_redump(c);
}

static void end_backlog(struct psd_core *c)
{
	struct psd_text t;
	c->resync.backlog_stale = false;
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
		psd_text_str(&t, "netlink: ");
		psd_text_u64(&t, c->resync.stale_datagrams);
		psd_text_str(&t, " datagrams queued before the overrun discarded");
		psd_log_end(c, &t);
	}
	c->resync.stale_datagrams = 0;
	maybe_redump(c);
}

bool psd_resync_stale(struct psd_core *c, size_t len)
{
	if (!c->resync.backlog_stale)
		return false;
	c->stats.nl_stale_datagrams++;
	c->stats.nl_stale_bytes += len;
	c->resync.stale_datagrams++;
	if (len >= c->resync.stale_bytes_left) /* the queue held no more than this: the rest is newer */
		end_backlog(c);
	else
		c->resync.stale_bytes_left -= len;
	return true;
}

void psd_resync_drained(struct psd_core *c)
{
	if (c->resync.backlog_stale)
		end_backlog(c);
}

void psd_resync_timer(struct psd_core *c)
{
	if (c->now_ns >= c->resync.redump_due_ns) {
		c->resync.redump_due_ns = UINT64_MAX;
		maybe_redump(c);
	}
}

void psd_resync_check(const struct psd_core *c)
{
	PSD_ASSERT(!(c->resync.dump_active && c->resync.backlog_stale)); /* no dump over a backlog */
	PSD_ASSERT(!c->resync.dump_active || c->resync.redump_due_ns == UINT64_MAX);
	PSD_ASSERT(c->resync.dump_active || !c->resync.dump_tainted);
}
