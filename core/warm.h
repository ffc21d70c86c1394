/*
 * Warm restart (warm.c): the warm-restart machine's instance, the restore of what STATE_DB holds,
 * the hold time and the end of reconciliation. A module: its state is struct psd_warm, changed only
 * by warm.c (and the port records' restore fields, port_table.h); it is called only by the engine,
 * and what it needs of another module it records in its `wants`.
 */
#ifndef PSD_WARM_H
#define PSD_WARM_H

#include <stdbool.h>
#include <stdint.h>

#include "psd/core.h"
#include "warm_fsm.h"
#include "work.h"

struct psd_ctx;

#define PSD_WARM_STATE_QUEUE 8u  /* state writes waiting for Redis; a step queues at most one */
#define PSD_WARM_TIMER_MAX_S 9999u /* portsyncd_timer's range, as swss-common reads <app>_timer */

/* Owned and written by warm.c only. */
struct psd_warm {
	int16_t cs;               /* warm_fsm.rl state */
	uint8_t state;            /* enum psd_warm_state: the named state cs is */
	bool eoiu;                /* the first complete link dump has ended (end of initial update) */
	bool keys_wanted;         /* KEYS STATE_DB PORT_TABLE|* to send */
	bool keys_done;           /* its reply came: one HMGET per restored port follows */
	bool timer_wanted;        /* HGET CONFIG_DB WARM_RESTART|swss portsyncd_timer to send */
	bool count_wanted;        /* HGET APPL_DB PORT_TABLE:PortConfigDone count to send */
	bool reconciling;         /* reconciliation asked: reconciled once port commands drain */
	bool refused;             /* Redis refused part of the read: all of it again at retry_due_ns */
	uint32_t awaited;         /* restore replies outstanding */
	uint16_t epoch;           /* the core's epoch when the read began: replies of older ones are
	                           * dropped, so a new epoch starts the read again */
	uint32_t cursor;          /* next port index for the per-port read */
	uint32_t entries;         /* STATE_DB entries restored (with our fields) */
	uint32_t overflow;        /* STATE_DB entries the port table could not hold */
	int64_t config_done_count; /* APPL_DB PortConfigDone's count at restore; -1: none */
	uint64_t hold_ns;         /* portsyncd_timer; 0: no hold */
	uint64_t hold_due_ns;     /* UINT64_MAX: not armed */
	uint64_t retry_due_ns;    /* the refused read runs again; UINT64_MAX: not armed */
	uint64_t started_ns;      /* PSD_EV_START */
	uint64_t reconciled_ns;   /* when reconciled (or disabled) was reached; 0: not yet */
	uint8_t states[PSD_WARM_STATE_QUEUE]; /* enum psd_warm_state to write, oldest first */
	uint32_t states_head;
	uint32_t states_len;
	uint32_t wants;           /* enum psd_want: for the engine to carry out */
};

/* What the engine hands the machine with each input: other modules' facts, read at the call. */
struct psd_warm_given {
	bool warm;                /* start-up decided a warm start (startup.c) */
	bool appl_kept;           /* APPL_DB held PortConfigDone at start (startup.c) */
	bool config_overflow;     /* CONFIG_DB held ports the port table could not (startup.c) */
	uint32_t config_ports;    /* configured ports in the table (startup.c) */
	bool idle;                /* every database up, no port command queued or in flight */
	uint16_t epoch;           /* the engine's: +1 per lost connection or refused start-up */
};

void psd_warm_init(struct psd_ctx *c, struct psd_warm *w);
/* PSD_EV_START: the time the restart is measured from. */
void psd_warm_begin(struct psd_ctx *c, struct psd_warm *w);
/* An input of the machine (warm_fsm.h). */
void psd_warm_event(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		    enum psd_warm_sym sym);
/* A reply to one of the module's commands (TAG_WARM_*). */
void psd_warm_reply(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		    const struct psd_reply *r);
/* After every event: reconciliation ends when its commands are acknowledged; a restore whose
 * replies an outage or a refused start-up dropped (a new epoch) runs again. */
void psd_warm_settle(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g);
void psd_warm_timer(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g);
uint64_t psd_warm_deadline(const struct psd_ctx *c, const struct psd_warm *w);
/* The restore's reads and the state writes: commands, handed out only while every database is
 * up; the per-port reads only when may_send (the in-flight limit). */
bool psd_warm_pull(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		   bool may_send, struct psd_action *ret);
enum psd_warm_state psd_warm_current(const struct psd_ctx *c, const struct psd_warm *w);
void psd_warm_check(const struct psd_ctx *c, const struct psd_warm *w);

#endif
