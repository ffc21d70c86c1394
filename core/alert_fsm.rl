/*
 * The alert state chart, one instance per rule and subject (the daemon, or a port). States:
 *   inactive  the condition does not hold (or the alert never fired)
 *   pending   the condition holds, for less than the rule's `for`
 *   firing    the condition has held for `for`; it stays firing until the condition has been
 *             false for `keep_firing_for`
 *   resolved  it fired and is over; the next evaluation leaves it (inactive, or pending again)
 * Inputs are what one evaluation found, classified by core/alerts.c with the time the adapter
 * handed in: the condition holds or not, and whether `for` (or `keep_firing_for`) has run out.
 * Actions only record which transition was taken; alerts.c does the work (log line, STATE_DB
 * entry, metrics). Silences and inhibition are not states: they hold the actions, never the
 * machine, so a silenced alert is still evaluated and its state still shown.
 */
#include "alert_fsm.h"

/* Ragel emits tables that a small machine may not use. */
#pragma GCC diagnostic ignored "-Wunused-const-variable"

%%{
	machine psd_alert;
	alphtype unsigned char;

	action to_pending { work |= PSD_AW_PENDING; }
	action to_firing { work |= PSD_AW_FIRING; }
	action to_resolved { work |= PSD_AW_RESOLVED; }
	action to_inactive { work |= PSD_AW_INACTIVE; }

	main := (
		start: (
			'h' @to_pending -> pending |
			'H' @to_firing -> firing |
			[fK] -> start
		),
		pending: (
			'h' -> pending |
			'H' @to_firing -> firing |
			[fK] @to_inactive -> start
		),
		firing: (
			[hHf] -> firing |
			'K' @to_resolved -> resolved
		),
		resolved: (
			'h' @to_pending -> pending |
			'H' @to_firing -> firing |
			[fK] @to_inactive -> start
		)
	);
}%%

%% write data nofinal noentry;

int psd_alert_fsm_start(void)
{
	return psd_alert_start;
}

int psd_alert_fsm_step(int cs, enum psd_alert_sym sym, unsigned *ret_work)
{
	const unsigned char sym_byte = (unsigned char)sym;
	const unsigned char *p = &sym_byte;
	const unsigned char *pe = p + 1;
	unsigned work = 0;

	%% write exec;
	if (p != pe || cs == psd_alert_error)
		return -1; /* no transition from the state the alert was in */
	*ret_work = work;
	return cs;
}

