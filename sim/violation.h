/*
 * The oracle's state and its verdict (oracle.h): the named invariants, what each checker keeps,
 * and the first violation, recorded (psd_sim_violate; report.c reports it with the last commands
 * and the command line that reproduces the run). The checkers record here; it calls none of
 * them, nor the oracle's dispatch, and knows nothing of the simulation around the oracle.
 */
#ifndef PSD_SIM_VIOLATION_H
#define PSD_SIM_VIOLATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_watch.h"

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

/* Records a violation; the first one is kept (what, then key_len bytes of key). */
void psd_sim_violate(struct psd_sim_oracle *o, enum psd_sim_invariant inv, const char *what,
		     const char *key, size_t key_len);
/* The invariant's name, as docs/simulator.md lists it. */
const char *psd_sim_invariant_name(enum psd_sim_invariant inv);

#endif
