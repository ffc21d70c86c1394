/*
 * The simulator's oracle: the named invariants a run must hold, the checkers that hold it to
 * them, and the report of the first violation (with the command line that reproduces the run).
 *
 * One checker per concern, each in its own file, each saying at its top what it checks:
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
 * missing) the kernel hands the core, every netdev the core brings down (sim.c wires the world's
 * hooks here), and the news of faults and scenarios (Redis restarted, a new core started).
 * The scenarios call the per-step checks (check_step.c) after every step and the liveness checks
 * when the world heals. The first violation is the one reported (psd_sim_fail).
 *
 * A new invariant: its PSD_INV_ name and its name in oracle.c's table (docs/simulator.md says
 * what it means), its state in struct psd_sim_oracle, its checker file, and its calls from
 * oracle.c's dispatchers (or, for a check after every step, from psd_check_step()).
 */
#ifndef PSD_SIM_ORACLE_H
#define PSD_SIM_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_watch.h"
#include "kernel.h"

enum psd_sim_invariant {
	PSD_INV_CORE,            /* psd_core_check(): the core's own structure (asserts) */
	PSD_INV_STATE_NEEDS_APPL,
	PSD_INV_NO_OLD_IFINDEX,
	PSD_INV_NO_FALSE_DELETE,
	PSD_INV_INIT_DONE_ONCE,
	PSD_INV_MEMORY_BOUNDED,
	PSD_INV_RECONNECTED,     /* Redis back: every database reconnected within the bound */
	PSD_INV_ALERT_HELD_FOR,  /* no alert fires unless its condition held for its rule's `for` */
	PSD_INV_WARM_NO_CHURN,   /* a warm start writes no key whose value was already right */
	PSD_INV_WARM_PATH,       /* WARM_RESTART_TABLE|portsyncd state follows the machine */
	PSD_INV_WARM_EXACT,      /* at `reconciled`, every port entry STATE_DB holds is the kernel's */
	PSD_INV_CONVERGED,       /* liveness */
	PSD_INV_NO_WRONG_ACK,    /* a reply of a wrong type acknowledges nothing: sent again */
	_PSD_INV_MAX,
};

/* check_writes.c: what the core was told, per port, since its start. */
struct psd_check_writes {
	int32_t *old_ifindex;   /* the netdev the core declared old (forced down) at its start */
	bool *old_renamed;      /* the name it had then */
	bool *fresh;            /* the core was told of a netdev of the port that is not old */
	bool *told_gone;        /* the core was told the port's netdev went away since its last
				   STATE_DB write was sent */
	unsigned init_done_writes; /* since the last daemon start or loss of APPL_DB */
};

/* check_warm.c: the warm start under way. */
struct psd_check_warm {
	bool *written;          /* this daemon run has written the port's STATE_DB key */
	bool window;            /* a warm start that has not reconciled, over data Redis kept */
	bool exact_due;         /* its `reconciled` is on its way: STATE_DB is checked then */
	char state[16];         /* the last WARM_RESTART_TABLE state sent in this run ("": none) */
	bool *changed;          /* --warm-bench: the netdev changed while the daemon was down */
	uint64_t unchanged_writes; /* --warm-bench: STATE_DB writes sent for unchanged ports */
};

/* check_replies.c: the STATE_DB port keys whose command was answered with a wrong type and has
 * not been sent again since (two per port: Ethernet<i>, Ethernet<i>x). */
struct psd_check_replies {
	bool *unacked;
};

struct psd_sim_oracle {
	struct psd_check_writes writes;
	struct psd_check_replies replies;
	struct psd_check_warm warm;
	struct psd_alert_watch aw; /* the shipped alert rules, watched after every step */
	enum psd_sim_invariant violated;
	char why[256];
	bool failed;
};

struct psd_sim;

/* oracle.c */
bool psd_sim_oracle_init(struct psd_sim *s); /* false: out of memory */
void psd_sim_oracle_free(struct psd_sim *s);
/* Records a violation; the first one is kept (what, then key_len bytes of key). */
void psd_sim_violate(struct psd_sim *s, enum psd_sim_invariant inv, const char *what,
		     const char *key, size_t key_len);
/* Prints the failure, the last commands and the reproducer; returns the exit status (1). */
int psd_sim_fail(struct psd_sim *s, enum psd_sim_invariant inv, const char *what);
int psd_sim_fail_violated(struct psd_sim *s); /* the violation recorded */
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
