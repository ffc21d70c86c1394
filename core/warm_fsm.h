/*
 * The warm-restart machine (state chart in warm_fsm.rl), driven by warm.c.
 *
 * One instance per daemon. The engine classifies every input that can move it into one symbol;
 * the step returns the work to do. Fault symbols (x X o S L) have a transition in every state. A
 * symbol with no transition is a bug in the engine.
 */
#ifndef PSD_WARM_FSM_H
#define PSD_WARM_FSM_H

enum psd_warm_sym {
	PSD_WS_ENABLED = 'E',     /* WARM_RESTART_ENABLE_TABLE read: warm restart enabled */
	PSD_WS_NOT_ENABLED = 'e', /* ... not enabled: a cold start */
	PSD_WS_COUNT = 'C',       /* restore_count read: a count (a warm start) */
	PSD_WS_NO_COUNT = 'c',    /* restore_count read: missing or not a count (cold) */
	PSD_WS_RESTORED = 'r',    /* STATE_DB PORT_TABLE, portsyncd_timer and PortConfigDone read */
	PSD_WS_RESTORE_FAILED = 'F', /* the read could not be kept (port table full) */
	PSD_WS_DUMP_DONE = 'D',   /* NLMSG_DONE of the first complete link dump after start */
	PSD_WS_HOLD_OVER = 'T',   /* the hold time (portsyncd_timer) is over, or there is none */
	PSD_WS_RECONCILE_DONE = 'K', /* reconciliation's commands are all acknowledged */
	PSD_WS_REDIS_DOWN = 'x',  /* a Redis connection was lost */
	PSD_WS_REDIS_UP = 'X',    /* every Redis connection is back */
	PSD_WS_REDIS_LOST = 'L',  /* Redis came back emptied or restarted: what it held is unknown */
	PSD_WS_OVERRUN = 'o',     /* the first dump was lost (overrun, interrupted): a new one */
	PSD_WS_SHUTDOWN = 'S',    /* SIGTERM: the next start finds restore_count and is warm */
};

enum psd_warm_work {
	PSD_WW_STATE = 1u << 0,     /* write WARM_RESTART_TABLE|portsyncd state <new state> */
	PSD_WW_RESTORE = 1u << 1,   /* (re)read STATE_DB PORT_TABLE, portsyncd_timer, PortConfigDone */
	PSD_WW_HOLD = 1u << 2,      /* arm the hold time (none: it is over at once) */
	PSD_WW_RECONCILE = 1u << 3, /* delete stale entries; correct PortConfigDone's count */
	PSD_WW_FORGET = 1u << 4,    /* what STATE_DB held is no longer known: write every port */
	PSD_WW_DONE = 1u << 5,      /* restore marks cleared: ports follow the running rules */
};

enum psd_warm_state {
	PSD_WARM_UNKNOWN,
	PSD_WARM_INITIALIZED,
	PSD_WARM_RESTORED,
	PSD_WARM_REPLAYED,
	PSD_WARM_RECONCILED,
	PSD_WARM_DISABLED,
	PSD_WARM_FAILED,
	_PSD_WARM_STATE_MAX,
};

int psd_warm_fsm_start(void);
/* The new state, or -1 when sym has no transition from cs. *ret_work: enum psd_warm_work bits. */
int psd_warm_fsm_step(int cs, enum psd_warm_sym sym, unsigned *ret_work);
/* The named state cs is; _PSD_WARM_STATE_MAX for a number that is none of them. */
enum psd_warm_state psd_warm_fsm_state(int cs);
/* swss-common's spelling of a state ("reconciled"), as written to WARM_RESTART_TABLE. */
const char *psd_warm_state_name(enum psd_warm_state s);

#endif
