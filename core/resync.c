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
#include "ctx.h"
#include "outbox.h"
#include "resync.h"
#include "port_fsm.h"
#include "psd_assert.h"
#include "work.h"

static const char *const loss_names[_PSD_LOSS_MAX] = {
	[PSD_LOSS_ENOBUFS] = "receive buffer overrun (ENOBUFS)",
	[PSD_LOSS_TRUNCATED] = "datagram truncated",
	[PSD_LOSS_OVERRUN] = "NLMSG_OVERRUN",
	[PSD_LOSS_MALFORMED] = "malformed datagram",
	[PSD_LOSS_DUMP_INTR] = "dump interrupted",
	[PSD_LOSS_DUMP_ENOBUFS] = "dump socket receive buffer overrun (ENOBUFS)",
};

void psd_resync_init(struct psd_ctx *c, struct psd_resync *rs)
{
	rs->redump_due_ns = UINT64_MAX;
}

static void dump_request(struct psd_ctx *c, struct psd_resync *rs)
{
	PSD_ASSERT(!rs->dump_active);
	rs->dump_seq++;
	rs->dump_tainted = false;
	rs->gen++;
	rs->dump_active = true;
	rs->redump_wanted = false;
	rs->redump_due_ns = UINT64_MAX;
	rs->last_dump_ns = c->now_ns;
	psd_todo(c, TODO_NL_DUMP);
}

static void maybe_redump(struct psd_ctx *c, struct psd_resync *rs, bool running)
{
	if (!rs->redump_wanted || rs->dump_active || rs->backlog_stale || !running)
		return;
	uint64_t earliest = rs->last_dump_ns + c->cfg.redump_interval_ns;
	if (c->now_ns >= earliest) {
		c->stats.resyncs++;
		psd_log_line(c, PSD_LOG_NOTICE, "netlink: re-dumping every link to resynchronise", "");
		dump_request(c, rs);
	} else {
		rs->redump_due_ns = earliest; /* rate limit: wait for the interval */
	}
}

void psd_resync_loss(struct psd_ctx *c, struct psd_resync *rs, bool running, enum psd_nl_loss why)
{
	PSD_ASSERT((unsigned)why < _PSD_LOSS_MAX);
	c->stats.nl_losses[why]++;
	if (rs->dump_active) {
		rs->dump_active = false;
		rs->dump_tainted = false;
	}
	if (!rs->redump_wanted)
		psd_log_line(c, PSD_LOG_ERROR, "netlink: link messages may be lost: ", loss_names[why]);
	if (why == PSD_LOSS_ENOBUFS) { /* what is queued now is older than the loss */
		rs->backlog_stale = true;
		rs->stale_bytes_left = c->cfg.nl_rcvbuf_bytes != 0 ? c->cfg.nl_rcvbuf_bytes : UINT64_MAX;
	}
	rs->redump_wanted = true;
	maybe_redump(c, rs, running);
}

void psd_resync_first_dump(struct psd_ctx *c, struct psd_resync *rs)
{
	if (!rs->dump_active)
		dump_request(c, rs);
}

void psd_resync_listening(struct psd_ctx *c, struct psd_resync *rs, bool running)
{
	if (rs->redump_wanted && !rs->dump_active)
		psd_resync_loss(c, rs, running, PSD_LOSS_DUMP_INTR); /* the start-up dump could not be sent */
}

void psd_resync_taint(struct psd_ctx *c, struct psd_resync *rs)
{
	if (rs->dump_active) /* an abandoned dump's last datagrams say nothing */
		rs->dump_tainted = true;
}

void psd_resync_reconcile_next(struct psd_ctx *c, struct psd_resync *rs)
{
	rs->restart_reconcile = true;
}

void psd_resync_dump_done(struct psd_ctx *c, struct psd_resync *rs, bool running, bool warm_start,
			  bool interrupted)
{
	if (!rs->dump_active)
		return;
	rs->dump_active = false;
	interrupted = interrupted || rs->dump_tainted;
	rs->dump_tainted = false;
	if (interrupted) {
		psd_resync_loss(c, rs, running, PSD_LOSS_DUMP_INTR);
		return;
	}
	rs->sweep_reconcile = (!rs->reconciled && !warm_start) ||
				    rs->restart_reconcile;
	rs->reconciled = true;
	rs->restart_reconcile = false;
	rs->wants |= PSD_WANT_SWEEP;
	maybe_redump(c, rs, running);
}

static void end_backlog(struct psd_ctx *c, struct psd_resync *rs, bool running)
{
	struct psd_text t;
	rs->backlog_stale = false;
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
		psd_text_str(&t, "netlink: ");
		psd_text_u64(&t, rs->stale_datagrams);
		psd_text_str(&t, " datagrams queued before the overrun discarded");
		psd_log_end(c, &t);
	}
	rs->stale_datagrams = 0;
	maybe_redump(c, rs, running);
}

bool psd_resync_stale(struct psd_ctx *c, struct psd_resync *rs, bool running, size_t len)
{
	if (!rs->backlog_stale)
		return false;
	c->stats.nl_stale_datagrams++;
	c->stats.nl_stale_bytes += len;
	rs->stale_datagrams++;
	if (len >= rs->stale_bytes_left) /* the queue held no more than this: the rest is newer */
		end_backlog(c, rs, running);
	else
		rs->stale_bytes_left -= len;
	return true;
}

void psd_resync_drained(struct psd_ctx *c, struct psd_resync *rs, bool running)
{
	if (rs->backlog_stale)
		end_backlog(c, rs, running);
}

void psd_resync_timer(struct psd_ctx *c, struct psd_resync *rs, bool running)
{
	if (c->now_ns >= rs->redump_due_ns) {
		rs->redump_due_ns = UINT64_MAX;
		maybe_redump(c, rs, running);
	}
}

bool psd_resync_pending(const struct psd_ctx *c, const struct psd_resync *rs)
{
	return rs->redump_wanted || rs->backlog_stale || (rs->dump_active && c->stats.resyncs > 0);
}

bool psd_resync_redumping(const struct psd_resync *rs)
{
	return rs->redump_wanted || rs->dump_active;
}

void psd_resync_check(const struct psd_ctx *c, const struct psd_resync *rs)
{
	PSD_ASSERT(!(rs->dump_active && rs->backlog_stale)); /* no dump over a backlog */
	PSD_ASSERT(!rs->dump_active || rs->redump_due_ns == UINT64_MAX);
	PSD_ASSERT(rs->dump_active || !rs->dump_tainted);
}
