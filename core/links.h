/*
 * Link messages to STATE_DB (links.c). A module: its state is struct psd_links (and the port
 * records' desired state, queue and re-check fields), changed only by links.c; it is called only
 * by the engine.
 */
#ifndef PSD_LINKS_H
#define PSD_LINKS_H

#include "psd/core.h"

struct psd_ctx;

/* What a datagram means for the resynchronisation, beyond its links: for the engine to hand to
 * resync.c. */
struct psd_nl_verdict {
	uint32_t losses;     /* bit per enum psd_nl_loss */
	bool dump_tainted;   /* a dump message was flagged or malformed */
	bool dump_done;      /* the dump ended ... */
	bool dump_failed;    /* ... with an error, or interrupted */
};

#define PSD_SENDQ_SLOTS_MIN 64u /* the send queue's first size */

struct psd_links {
	bool saw_datagram;
	bool init_done_sent;
	bool init_done_acked;
	bool init_done_retry;  /* Redis refused PortInitDone: sent again at the next re-check */
	/* the send queue: a ring of sendq_cap slots, PSD_SENDQ_SLOTS_MIN at first, doubled when full
	 * up to the port table's capacity (the core's block reserves that many) */
	bool lookup_refused;   /* the look-up being answered was refused: a park is a refusal's */
	uint32_t *sendq;
	uint32_t sendq_head;
	uint32_t sendq_len;
	uint32_t sendq_cap;
	uint32_t park_head;
	uint32_t park_tail;
	uint32_t parked;
	uint64_t recheck_due_ns;
	uint64_t recheck_interval_ns; /* PSD_APPL_RECHECK_FIRST_NS, doubling to PSD_APPL_RECHECK_NS */
	uint64_t missing_summary_ns;  /* next summary of ports still missing in APPL_DB */
	uint64_t table_full_log_ns;   /* when "port table full" may be logged again */
	uint64_t refused_log_ns;      /* when a refused STATE_DB command may be logged again */
	const char *link_cause;       /* what the link message being handled is, for the event log */
	uint32_t parked_refused;      /* parked ports waiting to retry a refused STATE_DB command */
	uint32_t urgent;              /* ports with a command in flight and a newer state behind it:
	                               * their replies are waited on (psd_core_replies_wanted) */
	/* what APPL_DB holds, from its keyspace subscription (links_appl.c) */
	bool appl_watched;            /* the subscription is up and publishes PORT_TABLE's events */
	bool appl_known;              /* ... and its full read is in: the ports' appl states hold */
	bool appl_read_due;           /* the full read is to go out */
	bool appl_read_sent;
	bool appl_read_wait;          /* refused: due again at the re-check timer */
	uint32_t notify_gen;          /* notifications of PORT_TABLE taken */
	uint32_t read_gen;            /* notify_gen when the full read went out */
};

void psd_links_init(struct psd_ctx *c, struct psd_links *lk, uint32_t *sendq);
/* gen: the resync generation the ports seen are marked with; dump_seq: the sequence a dump's
 * messages must carry (resync.c's). */
struct psd_nl_verdict psd_links_datagram(struct psd_ctx *c, struct psd_links *lk, uint32_t gen,
					 uint32_t dump_seq, const uint8_t *bytes, size_t len,
					 bool from_dump);
/* may_count: a port APPL_DB has that PortConfigDone did not count may be counted now (a cold
 * start's start-up is over and APPL_DB is not being copied again). */
void psd_links_reply(struct psd_ctx *c, struct psd_links *lk, bool may_count,
		     const struct psd_reply *r);
void psd_links_timer(struct psd_ctx *c, struct psd_links *lk);
bool psd_links_pull(struct psd_ctx *c, struct psd_links *lk, bool may_send, struct psd_action *ret);
/* PortInitDone, if every configured port is written and announcing is allowed now. */
void psd_links_check_init_done(struct psd_ctx *c, struct psd_links *lk, bool may_announce);
/* PortInitDone is due again (APPL_DB was copied again). */
void psd_links_announce_again(struct psd_ctx *c, struct psd_links *lk);
/* A connection was lost: its port commands go again; an unacknowledged PortInitDone too. */
void psd_links_outage(struct psd_ctx *c, struct psd_links *lk, enum psd_db db);
/* Re-evaluates every known port as if its netdev had just been reported (a rewrite). */
void psd_links_rewrite_all(struct psd_ctx *c, struct psd_links *lk);
/* APPL_DB was found emptied: a write decided on an earlier look-up and still waiting to go looks
 * the port up again first. */
void psd_links_appl_lost(struct psd_ctx *c, struct psd_links *lk);
/* Removes our fields from the entries of ports without a netdev: configured ones (a restarted
 * Redis may hold them from an older snapshot) and ones a warm restore found in STATE_DB; with
 * restored_only, the latter alone (a warm restart's reconciliation). */
void psd_links_reconcile_absent(struct psd_ctx *c, struct psd_links *lk, bool restored_only);
/* A complete dump of generation gen: a present port it did not report is gone; with reconcile,
 * configured ports without a netdev lose our fields. */
void psd_links_sweep(struct psd_ctx *c, struct psd_links *lk, uint32_t gen, bool reconcile);
/* APPL_DB's keyspace subscription turned watched (a full read of PORT_TABLE follows, then a
 * link change of a port known there is written at once) or not (what was known is dropped: a
 * look-up per link change, the re-check timer for ports APPL_DB lacks). */
void psd_links_appl_watched(struct psd_ctx *c, struct psd_links *lk, bool watched);
/* APPL_DB said PORT_TABLE<sep>name changed: what was known of it is dropped, and a port parked
 * for want of it is looked up now. */
void psd_links_appl_notified(struct psd_ctx *c, struct psd_links *lk, const struct psd_str *name);
/* links_appl.c: the full read of PORT_TABLE, when due (asked before the port commands it
 * decides); its reply. */
bool psd_links_appl_pull(struct psd_ctx *c, struct psd_links *lk, struct psd_action *ret);
void psd_links_appl_reply(struct psd_ctx *c, struct psd_links *lk, const struct psd_reply *r);
/* Ports whose latest state Redis has not acknowledged. */
uint32_t psd_links_unacked(const struct psd_ctx *c, const struct psd_links *lk);
/* Accessors: port commands queued, ports parked for APPL_DB, PortInitDone sent. */
uint32_t psd_links_queued(const struct psd_links *lk);
uint32_t psd_links_parked(const struct psd_links *lk);
bool psd_links_init_done(const struct psd_links *lk);
void psd_links_check(const struct psd_ctx *c, const struct psd_links *lk);

#endif
