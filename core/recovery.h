/*
 * Redis connections (recovery.c): which databases are up, the reconnect backoff, and the check of
 * what a Redis that came back still holds. A module: its state is struct psd_recovery, changed
 * only by recovery.c; it is called only by the engine.
 */
#ifndef PSD_RECOVERY_H
#define PSD_RECOVERY_H

#include "psd/core.h"
#include "repeat.h"

struct psd_ctx;

#define PSD_FATAL_TEXT_MAX 240u /* bytes of why the daemon cannot go on (stderr at exit) */

struct psd_recovery {
	bool db_up[_PSD_DB_MAX];
	bool all_up;                /* every db_up */
	bool db_connecting[_PSD_DB_MAX];
	uint32_t db_attempts[_PSD_DB_MAX];
	uint64_t db_connect_due_ns[_PSD_DB_MAX];
	uint32_t db_connect_emit;   /* bit per database: PSD_ACT_DB_CONNECT to hand out */
	bool outage;                /* a connection was lost since the last full recovery */
	unsigned verify_awaited;    /* verification replies outstanding after a reconnect */
	bool verify_state_lost;
	bool verify_appl_found;
	bool verify_refused;        /* Redis answered a verification with an error (LOADING) */
	bool verify_retry;          /* ... so the verification runs again after a pause */
	uint32_t verify_restarted;  /* bit per database whose server's run_id changed */
	char run_id[_PSD_DB_MAX][PSD_RUN_ID_LEN + 1]; /* of the server behind each connection */
	uint64_t rng;
	uint64_t down_since_ns[_PSD_DB_MAX];
	struct psd_repeat failing[_PSD_DB_MAX]; /* attempts to connect that failed since the loss */
	char failing_why[_PSD_DB_MAX][64];      /* ... the same way as this: a new way is logged */
	bool suspect;               /* a connection broke the protocol: what it acknowledged may not
	                             * be done, so the next verification rewrites everything */
	char fatal[PSD_FATAL_TEXT_MAX]; /* why the daemon cannot go on; "" while it can */
	uint32_t wants;             /* enum psd_want: for the engine to carry out */
};

void psd_recovery_init(struct psd_ctx *c, struct psd_recovery *rec);
void psd_recovery_up(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db);
/* A connection is down: lost, an attempt failed, or its set-up refused, with what the adapter
 * saw (detail). A database that asks for a password or does not exist, before it ever answered,
 * is fatal: the daemon exits 1 naming it (PSD_WANT_FATAL, the reason in fatal). */
void psd_recovery_down(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db,
		       enum psd_db_down_cause cause, const char *detail);
/* Why the daemon cannot go on ("" while it can). */
const char *psd_recovery_fatal(const struct psd_recovery *rec);
/* A verification reply, or an INFO server reply (start-up's too: its run_id is kept). */
void psd_recovery_reply(struct psd_ctx *c, struct psd_recovery *rec, const struct psd_reply *r);
/* Checks what Redis kept after an outage (again, after a refusal's pause). */
void psd_recovery_verify(struct psd_ctx *c, struct psd_recovery *rec);
/* True while Redis is being checked after an outage: port commands wait. */
bool psd_recovery_verifying(const struct psd_ctx *c, const struct psd_recovery *rec);
void psd_recovery_timer(struct psd_ctx *c, struct psd_recovery *rec);
bool psd_recovery_pull(struct psd_ctx *c, struct psd_recovery *rec, struct psd_action *ret);
uint64_t psd_recovery_deadline(const struct psd_ctx *c, const struct psd_recovery *rec);
/* Every database is up (each connection, whatever its verification). */
bool psd_recovery_dbs_up(const struct psd_recovery *rec);
/* Accessors: one database connected; every one connected and verified. */
bool psd_recovery_db_up(const struct psd_recovery *rec, enum psd_db db);
bool psd_recovery_all_up(const struct psd_recovery *rec);
void psd_recovery_check(const struct psd_ctx *c, const struct psd_recovery *rec);

#endif
