/*
 * Warm-restart state chart, with swss-common's WarmStart state names. States:
 *   unknown      start-up has not decided yet (the machine's start; never written)
 *   initialized  warm: restore_count was found and raised; STATE_DB's PORT_TABLE is being read
 *   restored     that read is complete: what STATE_DB holds is known; link messages flow
 *   replayed     the first complete link dump is applied (end of initial update); the hold
 *                time (portsyncd_timer) runs, then reconciliation's writes are in flight
 *   reconciled   every stale entry deleted, every differing one rewritten, all acknowledged
 *   disabled     a cold start (warm restart not enabled, or no restore_count)
 *   failed       the restore could not be done (more STATE_DB entries than the port table
 *                holds): every port is written as at a cold start, known stale entries deleted
 * Every state takes the fault events (Redis down, Redis up, Redis lost data, overrun, shutdown).
 * In initialized every reconnect (X) reads STATE_DB afresh, so what a restarted or emptied Redis
 * holds (L, found by the check after that reconnect) is what the read in flight finds.
 * Actions only record work bits; warm.c does the work. A symbol with no transition from a state
 * is a bug in the engine.
 */
#include "warm_fsm.h"

/* Ragel emits tables that a small machine may not use. */
#pragma GCC diagnostic ignored "-Wunused-const-variable"

%%{
	machine psd_warm;
	alphtype unsigned char;

	action do_state { work |= PSD_WW_STATE; }
	action do_restore { work |= PSD_WW_RESTORE; }
	action do_hold { work |= PSD_WW_HOLD; }
	action do_reconcile { work |= PSD_WW_RECONCILE; }
	action do_forget { work |= PSD_WW_FORGET; }
	action do_done { work |= PSD_WW_DONE; }

	# faults that change nothing in this state: the engine's recovery redoes what was lost
	quiet = [xoSL];

	main := (
		start: (
			'E' -> start |
			[ec] @do_state -> disabled |
			'C' @do_state @do_restore -> initialized |
			[xXoSL] -> start
		),
		initialized: (
			'r' @do_state -> restored |
			'F' @do_state @do_forget -> failed |
			[xoSL] -> initialized |
			'X' @do_state @do_restore -> initialized
		),
		restored: (
			'D' @do_state @do_hold -> replayed |
			[xoS] -> restored |
			'X' @do_state -> restored |
			'L' @do_forget -> restored
		),
		replayed: (
			'T' @do_reconcile -> replayed |
			'K' @do_state @do_done -> reconciled |
			[xoS] -> replayed |
			'X' @do_state -> replayed |
			'L' @do_forget -> replayed
		),
		reconciled: (
			quiet -> reconciled |
			'X' @do_state -> reconciled
		),
		disabled: (
			'D' -> disabled |
			quiet -> disabled |
			'X' @do_state -> disabled
		),
		failed: (
			'D' @do_reconcile -> failed |
			quiet -> failed |
			'X' @do_state -> failed
		)
	);
}%%

%% write data nofinal noentry;

int psd_warm_fsm_start(void)
{
	return psd_warm_start;
}

int psd_warm_fsm_step(int cs, enum psd_warm_sym sym, unsigned *ret_work)
{
	const unsigned char sym_byte = (unsigned char)sym;
	const unsigned char *p = &sym_byte;
	const unsigned char *pe = p + 1;
	unsigned work = 0;

	%% write exec;
	if (p != pe || cs == psd_warm_error)
		return -1; /* no transition from the state the machine was in */
	*ret_work = work;
	return cs;
}

/* Ragel numbers states but does not name them: each is known by a path that reaches it. */
static const char *const paths[_PSD_WARM_STATE_MAX] = {
	[PSD_WARM_UNKNOWN] = "",      [PSD_WARM_INITIALIZED] = "C", [PSD_WARM_RESTORED] = "Cr",
	[PSD_WARM_REPLAYED] = "CrD",  [PSD_WARM_RECONCILED] = "CrDK", [PSD_WARM_DISABLED] = "e",
	[PSD_WARM_FAILED] = "CF",
};

enum psd_warm_state psd_warm_fsm_state(int cs)
{
	for (int s = 0; s < _PSD_WARM_STATE_MAX; s++) {
		int at = psd_warm_start;
		unsigned work;
		for (const char *c = paths[s]; *c != '\0' && at >= 0; c++)
			at = psd_warm_fsm_step(at, (enum psd_warm_sym)*c, &work);
		if (at == cs)
			return (enum psd_warm_state)s;
	}
	return _PSD_WARM_STATE_MAX;
}

const char *psd_warm_state_name(enum psd_warm_state s)
{
	static const char *const names[_PSD_WARM_STATE_MAX] = {
		[PSD_WARM_UNKNOWN] = "unknown",       [PSD_WARM_INITIALIZED] = "initialized",
		[PSD_WARM_RESTORED] = "restored",     [PSD_WARM_REPLAYED] = "replayed",
		[PSD_WARM_RECONCILED] = "reconciled", [PSD_WARM_DISABLED] = "disabled",
		[PSD_WARM_FAILED] = "failed",
	};
	return (unsigned)s < _PSD_WARM_STATE_MAX ? names[s] : "?";
}
