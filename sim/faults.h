/*
 * The simulator's faults: what can go wrong in a switch's life, when it goes wrong, and what it
 * does to the world. Only faults a correct daemon recovers from are injected; after the fault
 * phase psd_sim_faults_stop() heals the world and the oracle requires convergence.
 *
 *   fault_schedule.c  which fault fires when: the rates each seed draws (swarm testing), the
 *                     per-step draw, the slow clock of Redis's bad day, the stop
 *   fault_inject.c    what each fault does to the kernel, Redis and the daemon
 *
 * Netdev faults (delete, rename, enslave) are drawn per kernel change (workload.c); dump faults
 * per dump served (fault_inject.c); every other fault per step (fault_schedule.c).
 *
 * A new fault kind: its PSD_FAULT_ name here and its name in fault_schedule.c's table (the
 * command line's --faults takes it, docs/simulator.md says what it does), its rate drawn last in
 * psd_sim_faults_draw() (so the rates drawn before it, and their seeds' runs, stay as they were
 * up to it), its place in psd_sim_fault_step()'s order, and its injection in fault_inject.c.
 */
#ifndef PSD_SIM_FAULTS_H
#define PSD_SIM_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "redis_model.h"

enum psd_sim_fault {
	PSD_FAULT_OVERRUN,
	PSD_FAULT_OUTAGE,
	PSD_FAULT_WIPE,
	PSD_FAULT_DELETE,
	PSD_FAULT_RENAME,
	PSD_FAULT_ENSLAVE,
	PSD_FAULT_SLOW,
	PSD_FAULT_OOM,
	PSD_FAULT_DUMP_TRUNCATED,
	PSD_FAULT_DUMP_INTERRUPTED,
	PSD_FAULT_RESTART_WARM,
	PSD_FAULT_RESTART_COLD,
	PSD_FAULT_RESTART_SWSS,
	PSD_FAULT_REFUSE,     /* Redis refuses every command with one of its real errors */
	PSD_FAULT_WRONGTYPE,  /* CONFIG_DB holds a PORT|x and LOGGER|portsyncd of another type */
	PSD_FAULT_STALE,      /* (of outages) Redis restarts from an older snapshot */
	PSD_FAULT_EMPTY_LATE, /* (of outages) Redis restarts empty; CONFIG_DB is loaded steps later */
	PSD_FAULT_LOADING,    /* Redis restarts with its data, answering LOADING for a while */
	PSD_FAULT_STALL,      /* Redis stops answering for longer than the stall limit */
	PSD_FAULT_MAXCLIENTS, /* (of outages) Redis is back but refuses the connections for a while */
	PSD_FAULT_STRAY_REPLY, /* a reply with no command pending on a connection: dropped */
	PSD_FAULT_WRONG_REPLY, /* a command answered, unexecuted, with a type it cannot have */
	PSD_FAULT_NOTIFY_LATE,  /* keyspace notifications held, then delivered */
	PSD_FAULT_NOTIFY_LOST,  /* a subscription's connection drops with its notifications */
	PSD_FAULT_NOTIFY_AHEAD, /* notifications delivered before the reply of the write they tell */
	_PSD_FAULT_MAX,
};

extern const char *const psd_sim_fault_names[_PSD_FAULT_MAX];

/* The faults' state: this seed's rates, what fired, and the conditions still in force. */
struct psd_sim_faults {
	bool on;                       /* some fault is enabled (dump faults are drawn only then) */
	unsigned rate[_PSD_FAULT_MAX]; /* per 1000 steps (kernel faults: per 1000 changes) */
	unsigned rate_consume;         /* orchagent consumes APPL_DB, per 1000 steps */
	uint64_t hits[_PSD_FAULT_MAX]; /* how often each fired */
	bool redis_up;
	bool refuse_writes;            /* OOM: Redis answers writes with an error */
	const char *refuse_error;      /* `refuse`: every command is answered with this error */
	struct psd_model snapshot;     /* the last SAVE, for a restart onto older data */
	bool has_snapshot;
	uint32_t config_late;     /* steps until CONFIG_DB is loaded again (restart-empty-late) */
	uint32_t loading_left;    /* steps Redis still answers LOADING */
	uint32_t maxclients_left; /* steps Redis still refuses connections though it is back */
	bool sai_pending;         /* a cold swss restart's netdevs are still the old ones */
	bool warm_dump_fault;     /* the first dump after a warm start is interrupted */
	bool wrong_reply_due;     /* the next command (wrong_reply_state: STATE_DB port command)
	                           * is answered with a type it cannot have */
	bool wrong_reply_state;
	bool watch; /* this seed confirms the core's keyspace subscriptions */
};

struct psd_sim;

/* fault_schedule.c */
/* "swarm" (every fault), "none", or a comma-separated list of fault names: the enabled set. */
bool psd_sim_faults_parse(const char *text, uint32_t *ret);
void psd_sim_faults_draw(struct psd_sim *s); /* this seed's rates */
bool psd_sim_fault_step(struct psd_sim *s);  /* this step's fault; false when none fired */
void psd_sim_redis_clock(struct psd_sim *s); /* the slow parts of Redis's bad day, per step */
void psd_sim_faults_stop(struct psd_sim *s); /* every fault ends; Redis back and answering */

/* fault_inject.c */
void psd_sim_overrun(struct psd_sim *s);
void psd_sim_redis_fault(struct psd_sim *s, bool wipe); /* down, or back up when down */
void psd_sim_loading_fault(struct psd_sim *s);
void psd_sim_stall_fault(struct psd_sim *s);
void psd_sim_wrongtype_fault(struct psd_sim *s);
void psd_sim_slow_fault(struct psd_sim *s);
void psd_sim_oom_fault(struct psd_sim *s);
void psd_sim_refuse_fault(struct psd_sim *s);
void psd_sim_stray_reply_fault(struct psd_sim *s);
void psd_sim_wrong_reply_fault(struct psd_sim *s);
void psd_sim_notify_fault(struct psd_sim *s, enum psd_sim_fault kind);
/* The subscriptions the core asked for are confirmed while Redis is up (this seed watches). */
void psd_sim_watch_clock(struct psd_sim *s);
/* The world's hook: whether this command is the one answered with a wrong type. */
bool psd_sim_wrong_reply(struct psd_sim *s, uint32_t db, uint32_t argc, const char *const *argv,
			 const size_t *len);
void psd_sim_daemon_restart(struct psd_sim *s, enum psd_sim_fault kind);
void psd_sim_sai_recreate(struct psd_sim *s);
/* Answers the dump the core asked for, if any, with this seed's dump faults. */
void psd_sim_serve_dump(struct psd_sim *s);
void psd_sim_forget_snapshot(struct psd_sim *s);

#endif
