/*
 * Port synchronisation state chart. States:
 *   idle     nothing in flight; STATE_DB holds the last state written (or nothing)
 *   lookup   EXISTS APPL_DB PORT_TABLE:<name> in flight
 *   writing  HSET STATE_DB PORT_TABLE|<name> in flight
 *   deleting DEL STATE_DB PORT_TABLE|<name> in flight
 *   parked   the netdev is present but APPL_DB lacks the port (it is looked up again when APPL_DB
 *            is said to change, or at the re-check timer), or Redis refused the STATE_DB command
 *            (an error reply: OOM, LOADING ...) and it goes again at the re-check timer
 * Where the engine knows whether APPL_DB holds the port (its keyspace subscription, watch.c),
 * a new link is written ('W') or parked ('M') without a look-up, and so is the newer state of a
 * port whose write was acknowledged ('w', 'm').
 * Actions only record work bits; the engine does the work. `writing` and `deleting` have the
 * same transitions (a STATE_DB command in flight), so Ragel minimises them into one state; the
 * engine's per-port op says which command it is.
 */
#include <errno.h>

#include "port_fsm.h"

/* Ragel emits tables that a small machine may not use. */
#pragma GCC diagnostic ignored "-Wunused-const-variable"

%%{
	machine psd_port;
	alphtype unsigned char;

	action do_lookup { work |= PSD_PW_LOOKUP; }
	action do_write { work |= PSD_PW_WRITE; }
	action do_delete { work |= PSD_PW_DELETE; }
	action do_dirty { work |= PSD_PW_DIRTY; }
	action do_park { work |= PSD_PW_PARK; }
	action do_unpark { work |= PSD_PW_UNPARK; }
	action do_settle { work |= PSD_PW_SETTLE; }
	action do_forget { work |= PSD_PW_FORGET; }

	main := (
		start: (
			'N' @do_lookup -> lookup |
			'W' @do_write -> writing |
			'M' @do_park -> parked |
			'D' @do_delete -> deleting
		),
		lookup: (
			[NWMD] @do_dirty -> lookup |
			'F' @do_write -> writing |
			'X' @do_park -> parked |
			'Z' @do_forget @do_settle -> start |
			'G' @do_delete -> deleting
		),
		writing: (
			[NWMD] @do_dirty -> writing |
			'c' @do_settle -> start |
			'n' @do_lookup -> lookup |
			'w' @do_write -> writing |
			'm' @do_park -> parked |
			'd' @do_delete -> deleting |
			'e' @do_park -> parked
		),
		deleting: (
			[NWMD] @do_dirty -> deleting |
			'c' @do_settle -> start |
			'n' @do_lookup -> lookup |
			'w' @do_write -> writing |
			'm' @do_park -> parked |
			'd' @do_delete -> deleting |
			'e' @do_park -> parked
		),
		parked: (
			[NR] @do_unpark @do_lookup -> lookup |
			'W' @do_unpark @do_write -> writing |
			'M' -> parked |
			'D' @do_unpark @do_delete -> deleting
		)
	);
}%%

%% write data nofinal noentry;

int psd_port_fsm_start(void)
{
	return psd_port_start;
}

int psd_port_fsm_step(int cs, enum psd_port_sym sym, unsigned *ret_work)
{
	const unsigned char sym_byte = (unsigned char)sym;
	const unsigned char *p = &sym_byte;
	const unsigned char *pe = p + 1;
	unsigned work = 0;

	%% write exec;
	if (p != pe || cs == psd_port_error)
		return -EINVAL; /* no transition from the state the port was in */
	*ret_work = work;
	return cs;
}
