/*
 * The per-port Redis synchronisation machine (state chart in port_fsm.rl).
 *
 * A port key has at most one command in flight: a look-up of APPL_DB PORT_TABLE:<name>, a
 * STATE_DB HSET, or a STATE_DB DEL. Netlink events that arrive meanwhile only mark the port
 * dirty; the reply then carries the latest desired state forward. The engine classifies every
 * input into one symbol (using the port's desired state and dirty bit) and performs the work
 * the step returns. A symbol with no transition is a bug in the engine.
 */
#ifndef PSD_PORT_FSM_H
#define PSD_PORT_FSM_H

enum psd_port_sym {
	PSD_PS_NEW = 'N',         /* accepted RTM_NEWLINK */
	PSD_PS_NEW_KNOWN = 'W',   /* ... of a port APPL_DB is known to hold: no look-up */
	PSD_PS_NEW_MISSING = 'M', /* ... of a port APPL_DB is known to lack: parked, no look-up */
	PSD_PS_DEL = 'D',         /* accepted RTM_DELLINK */
	PSD_PS_FOUND = 'F',       /* look-up: APPL_DB has the port, netdev present */
	PSD_PS_MISSING = 'X',     /* look-up: APPL_DB lacks the port; re-check later */
	PSD_PS_DROP = 'Z',        /* look-up: APPL_DB lacks the port; compat: forget it */
	PSD_PS_GONE = 'G',        /* look-up answered, but the netdev was deleted meanwhile */
	PSD_PS_ACK_CLEAN = 'c',   /* write acknowledged, nothing newer */
	PSD_PS_ACK_PRESENT = 'n', /* write acknowledged, a newer NEWLINK is waiting */
	PSD_PS_ACK_ABSENT = 'd',  /* write acknowledged, a newer DELLINK is waiting */
	PSD_PS_ACK_KNOWN = 'w',   /* ... a newer NEWLINK of a port APPL_DB is known to hold */
	PSD_PS_ACK_MISSING = 'm', /* ... a newer NEWLINK of a port APPL_DB is known to lack */
	PSD_PS_RECHECK = 'R',     /* re-check timer for a parked port */
	PSD_PS_FAILED = 'e',      /* the STATE_DB command was answered with an error: retry later */
};

enum psd_port_work {
	PSD_PW_LOOKUP = 1u << 0,  /* queue EXISTS APPL_DB PORT_TABLE:<name> */
	PSD_PW_WRITE = 1u << 1,   /* queue HSET STATE_DB PORT_TABLE|<name> (latest state) */
	PSD_PW_DELETE = 1u << 2,  /* queue DEL STATE_DB PORT_TABLE|<name> */
	PSD_PW_DIRTY = 1u << 3,   /* a newer state waits behind the command in flight */
	PSD_PW_PARK = 1u << 4,    /* put on the re-check list */
	PSD_PW_UNPARK = 1u << 5,  /* take off the re-check list */
	PSD_PW_SETTLE = 1u << 6,  /* nothing in flight any more */
	PSD_PW_FORGET = 1u << 7,  /* compat: the event is dropped for good */
};

int psd_port_fsm_start(void);
/* The new state, or -EINVAL when sym has no transition from cs. *ret_work: enum psd_port_work
 * bits. */
int psd_port_fsm_step(int cs, enum psd_port_sym sym, unsigned *ret_work);

#endif
