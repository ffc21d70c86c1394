/*
 * Netlink loss and re-dumps (resync.c). A module: its state is struct psd_resync, changed only by
 * resync.c; it is called only by the engine.
 */
#ifndef PSD_RESYNC_H
#define PSD_RESYNC_H

#include "psd/core.h"

struct psd_ctx;

struct psd_resync {
	uint32_t gen;               /* generation of the current (or last) dump */
	uint32_t dump_seq;          /* sequence number of the current (or last) dump request */
	bool dump_active;           /* a dump was requested and its DONE has not come */
	bool dump_tainted;          /* the current dump lost or flagged a message: no sweep */
	bool redump_wanted;         /* data was lost: a new dump is needed */
	bool backlog_stale;         /* an overrun: what the event socket still holds predates the
	                             * loss; discarded until read empty, then the re-dump */
	uint64_t stale_bytes_left;  /* of that backlog at most (cfg.nl_rcvbuf_bytes) */
	uint64_t stale_datagrams;   /* discarded in the current backlog */
	uint64_t last_dump_ns;
	uint64_t redump_due_ns;
	bool reconciled;            /* the first complete dump cleared stale STATE_DB entries */
	bool restart_reconcile;     /* a restarted Redis: the next complete dump reconciles */
	bool sweep_reconcile;       /* the sweep asked for reconciles configured absent ports */
	uint32_t wants;             /* enum psd_want: for the engine to carry out */
};

void psd_resync_init(struct psd_ctx *c, struct psd_resync *rs);
void psd_resync_loss(struct psd_ctx *c, struct psd_resync *rs, bool running, enum psd_nl_loss why);
/* The start-up dump, unless a dump is out. */
void psd_resync_first_dump(struct psd_ctx *c, struct psd_resync *rs);
/* Start-up is over: a dump that could not be sent meanwhile is asked again. */
void psd_resync_listening(struct psd_ctx *c, struct psd_resync *rs, bool running);
/* A message of the current dump was flagged (NLM_F_DUMP_INTR) or malformed. */
void psd_resync_taint(struct psd_ctx *c, struct psd_resync *rs);
void psd_resync_dump_done(struct psd_ctx *c, struct psd_resync *rs, bool running, bool warm_start,
			  bool interrupted);
/* A restarted STATE_DB: the next complete dump reconciles, as a cold start's first does. */
void psd_resync_reconcile_next(struct psd_ctx *c, struct psd_resync *rs);
void psd_resync_timer(struct psd_ctx *c, struct psd_resync *rs, bool running);
/* An event-socket datagram: true when it is part of a stale backlog and must be discarded. */
bool psd_resync_stale(struct psd_ctx *c, struct psd_resync *rs, bool running, size_t len);
/* The event socket was read empty: a stale backlog has ended. */
void psd_resync_drained(struct psd_ctx *c, struct psd_resync *rs, bool running);
/* A netlink re-dump is due or under way after a loss ("resync pending" in health, the metrics
 * and the alerts' signal). */
bool psd_resync_pending(const struct psd_ctx *c, const struct psd_resync *rs);
/* A re-dump is wanted or running (STATUS= says "netlink resync"). */
bool psd_resync_redumping(const struct psd_resync *rs);
void psd_resync_check(const struct psd_ctx *c, const struct psd_resync *rs);

#endif
