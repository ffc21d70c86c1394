/*
 * The alert machine (state chart in alert_fsm.rl): inactive -> pending -> firing -> resolved.
 * core/alerts.c classifies each evaluation of a rule for a subject into one symbol and does the
 * work the step returns. Every symbol has a transition from every state.
 */
#ifndef PSD_ALERT_FSM_H
#define PSD_ALERT_FSM_H

#include "psd/alert_defs.h"

enum psd_alert_sym {
	PSD_AS_HOLDS = 'h',     /* the condition holds, for less than `for` so far */
	PSD_AS_HELD = 'H',      /* the condition has held for `for` (at once when `for` is 0) */
	PSD_AS_FALSE = 'f',     /* the condition is false, for less than `keep_firing_for` */
	PSD_AS_CLEARED = 'K',   /* the condition has been false for `keep_firing_for` */
};

enum psd_alert_work {
	PSD_AW_PENDING = 1u << 0,  /* now pending: the condition started to hold */
	PSD_AW_FIRING = 1u << 1,   /* now firing: log, STATE_DB entry */
	PSD_AW_RESOLVED = 1u << 2, /* now resolved: log, STATE_DB entry removed */
	PSD_AW_INACTIVE = 1u << 3, /* back to inactive (from pending or resolved) */
};

int psd_alert_fsm_start(void);
/* The new state, or -1 when sym has no transition from cs. *ret_work: enum psd_alert_work bits. */
int psd_alert_fsm_step(int cs, enum psd_alert_sym sym, unsigned *ret_work);

#endif
