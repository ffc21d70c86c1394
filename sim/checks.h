/*
 * The simulator's checkers (oracle.h says which invariant each holds): their entry points, which
 * oracle.c's dispatch, the faults and the scenarios call. A checker calls only the record of the
 * first violation (violation.h), never the dispatch.
 */
#ifndef PSD_SIM_CHECKS_H
#define PSD_SIM_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

struct psd_sim;

/* check_writes.c */
void psd_check_writes_sent(struct psd_sim *s, uint32_t db, uint32_t argc,
			   const char *const *argv, const size_t *len);
void psd_check_state_needs_appl(struct psd_sim *s, uint32_t argc, const char *const *argv,
				const size_t *len);
void psd_check_init_done_once(struct psd_sim *s, uint32_t db, uint32_t argc,
			      const char *const *argv, const size_t *len);
/* The kernel brought port's netdev (ifindex) down at the core's request. */
void psd_check_writes_link_down(struct psd_sim *s, uint32_t port, int32_t ifindex);
void psd_check_writes_seen(struct psd_sim *s, const struct psd_kernel_msg *msg);
void psd_check_writes_dump_missing(struct psd_sim *s, uint32_t port);

/* check_warm.c */
void psd_check_warm_sent(struct psd_sim *s, uint32_t db, uint32_t argc,
			 const char *const *argv, const size_t *len);
void psd_check_warm_command(struct psd_sim *s, uint32_t argc, const char *const *argv,
			    const size_t *len); /* a STATE_DB command */

/* check_step.c */
void psd_check_step(struct psd_sim *s);   /* after every step: memory-bounded, alert-held-for */
void psd_check_alerts(struct psd_sim *s); /* alert-held-for alone */
void psd_check_alerts_hook(void *ctx);     /* the same, as the world's timer hook */

/* check_replies.c */
/* Redis answers this command, unexecuted, with a type it cannot have. */
void psd_check_wrong_reply(struct psd_sim *s, uint32_t db, uint32_t argc,
			   const char *const *argv, const size_t *len);
void psd_check_replies_sent(struct psd_sim *s, uint32_t db, uint32_t argc,
			    const char *const *argv, const size_t *len);
void psd_check_replies_reset(struct psd_sim *s); /* a new core */
void psd_check_wrong_acks(struct psd_sim *s);     /* the world healed: every one sent again */

/* check_liveness.c */
/* Redis came back at back_ns and the daemon has now reconnected to every database. */
void psd_check_reconnected(struct psd_sim *s, uint64_t back_ns);
/* STATE_DB equals the kernel for every port: NULL, or what differs. */
const char *psd_check_converged(struct psd_sim *s);

#endif
