/*
 * Link messages to STATE_DB (links.c): the links module's entry points, which only the engine
 * calls; its state: links_state.h.
 */
#ifndef PSD_LINKS_H
#define PSD_LINKS_H

#include "links_state.h"

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
/* Ports whose latest state Redis has not acknowledged. */
uint32_t psd_links_unacked(const struct psd_ctx *c, const struct psd_links *lk);
/* Accessors: port commands queued, ports parked for APPL_DB, PortInitDone sent. */
uint32_t psd_links_queued(const struct psd_links *lk);
uint32_t psd_links_parked(const struct psd_links *lk);
bool psd_links_init_done(const struct psd_links *lk);
void psd_links_check(const struct psd_ctx *c, const struct psd_links *lk);

#endif
