/*
 * The simulator's oracle: the named invariants a run must hold, the checkers that hold it to
 * them, and the report of the first violation (with the command line that reproduces the run).
 * The invariants' names, the checkers' state and that record and report are violation.h's, below
 * the checkers and the dispatch: they call it, it calls neither.
 *
 * One checker per concern, each in its own file, each saying at its top what it checks (their
 * entry points: checks.h):
 *   check_writes.c    the commands the core sends follow from what it was told (state-needs-appl,
 *                     no-old-ifindex, no-false-delete, init-done-once)
 *   check_warm.c      a warm start (warm-path, warm-no-churn, warm-exact)
 *   check_step.c      after every step (memory-bounded, alert-held-for)
 *   check_liveness.c  the world heals (reconnected, converged)
 *   check_replies.c   a hostile Redis's replies (no-wrong-ack)
 * core-structure is the core's own psd_core_check(), which the world runs (world.h).
 *
 * What happens in the world reaches the checkers through oracle.c, in a fixed order: every
 * command Redis executes and every command the core sends, every message (and every dump entry
 * missing) the kernel hands the core, every netdev the core brings down (assembly.c wires the
 * world's hooks here), and the news of faults and scenarios (Redis restarted, a new core started).
 * The scenarios call the per-step checks (check_step.c) after every step and the liveness checks
 * when the world heals. The first violation is the one reported (psd_sim_fail).
 *
 * A new invariant: its PSD_INV_ name (violation.h) and its name in violation.c's table
 * (docs/simulator.md says what it means), its state in struct psd_sim_oracle (violation.h), its
 * checker file, and its calls from oracle.c's dispatchers (or, for a check after every step, from
 * psd_check_step()).
 */
#ifndef PSD_SIM_ORACLE_H
#define PSD_SIM_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"
#include "kernel.h"
#include "violation.h"

struct psd_sim;

/* oracle.c */
bool psd_sim_oracle_init(struct psd_sim *s); /* false: out of memory */
void psd_sim_oracle_free(struct psd_sim *s);
/* The world's hooks: Redis executes a command; the core sent one. */
void psd_sim_oracle_command(struct psd_sim *s, uint32_t db, uint32_t argc,
			    const char *const *argv, const size_t *len);
void psd_sim_oracle_sent(struct psd_sim *s, uint32_t db, uint32_t argc, const char *const *argv,
			 const size_t *len);
/* The kernel model's hooks: a message handed to the core, a dump handed over without port, a
 * netdev (port's, ifindex) brought down at the core's request. */
void psd_sim_oracle_seen(struct psd_sim *s, const struct psd_kernel_msg *msg);
void psd_sim_oracle_dump_missing(struct psd_sim *s, uint32_t port);
void psd_sim_oracle_link_down(struct psd_sim *s, uint32_t port, int32_t ifindex);
/* Redis restarted: data_lost when it came back empty or onto an older snapshot. */
void psd_sim_oracle_redis_restart(struct psd_sim *s, bool data_lost);
/* A new core starts: it decides anew which netdevs are old; this run has written nothing. */
void psd_sim_oracle_new_core(struct psd_sim *s);
/* The daemon restarted: a new core, and its alerts and announcements start afresh. */
void psd_sim_oracle_daemon_restart(struct psd_sim *s);
/* A connection dropped for a reply that broke the protocol: the core treats what the server
 * acknowledged as suspect and writes every port again, as after a restart. */
void psd_sim_oracle_protocol_drop(struct psd_sim *s);

#endif
