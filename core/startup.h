/*
 * Start-up (startup.c): the sequence of contract §1, the CONFIG_DB copy and its re-copy, and the
 * CONFIG_DB LOGGER|portsyncd watch. A module: its state is struct psd_startup, changed only by
 * startup.c; it is called only by the engine.
 */
#ifndef PSD_STARTUP_H
#define PSD_STARTUP_H

#include "psd/core.h"
#include "port_table.h"

struct psd_ctx;

enum psd_phase {
	PH_IDLE,          /* waiting for PSD_EV_START */
	PH_LOGGER,        /* HGET LOGGER|portsyncd LOGLEVEL/LOGOUTPUT, SCRIPT LOAD */
	PH_LOGGER_SET,    /* HSET LOGGER|portsyncd (a field was missing) */
	PH_SWITCH_TYPE,   /* HGET DEVICE_METADATA|localhost switch_type */
	PH_WARM_ENABLE,   /* HGET WARM_RESTART_ENABLE_TABLE|system and |swss enable */
	PH_RESTORE_GET,   /* HGET WARM_RESTART_TABLE|portsyncd restore_count */
	PH_RESTORE_SET,   /* HSET WARM_RESTART_TABLE|portsyncd restore_count */
	PH_KEYS,          /* KEYS PORT|* */
	PH_CONFIG_COPY,   /* HGETALL PORT|<name> and producer sets (cold) */
	PH_CONFIG_DONE,   /* producer set PortConfigDone (cold) */
	PH_PRUNE,         /* HEXISTS PORT_TABLE:<name> admin_status (cold) */
	PH_IFACES,        /* waiting for PSD_EV_IFACES; then old netdevs go down */
	PH_REFUSED,       /* Redis refused a start-up command: start again after a pause */
	PH_RUNNING,
	PH_STOPPING,
	PH_EXITED,
};

/* A CONFIG_DB port hash waiting to be written through the producer script. */
struct psd_config_copy {
	bool pending;
	uint32_t port;
	uint32_t pairs;
	struct psd_str field[PSD_PORT_FIELDS_MAX];
	struct psd_str value[PSD_PORT_FIELDS_MAX];
	size_t used;
	char bytes[PSD_PORT_CONFIG_BYTES_MAX];
};

struct psd_startup {
	enum psd_phase phase;
	unsigned replies_awaited; /* replies the current phase still waits for */
	uint32_t wants;           /* enum psd_want: for the engine to carry out */

	/* CONFIG_DB LOGGER|portsyncd */
	char log_level_text[PSD_DB_VALUE_LEN_MAX + 1];
	char log_output_text[PSD_DB_VALUE_LEN_MAX + 1];
	bool log_level_found;
	bool log_output_found;
	bool log_poll_inflight;
	bool log_reread;          /* CONFIG_DB said it changed while a read was in flight */
	uint64_t log_bad_hash[2]; /* LOGLEVEL, LOGOUTPUT: the bad value last logged, 0: none */
	uint64_t log_poll_due_ns;

	/* decisions */
	char script_sha[41];
	bool dpu;
	bool warm_enabled;
	bool warm;
	bool restore_decided;     /* warm or cold decided, restore_count chosen */
	uint64_t restore_count;
	bool appl_kept;           /* APPL_DB held PortConfigDone at start: it was not flushed */
	bool appl_decided;        /* a start-up run has found appl_kept ... */
	bool appl_kept_first;     /* ... and this is what it found: it decides what is old */

	/* the CONFIG_DB copy */
	uint32_t config_ports;    /* configured ports in the table */
	uint32_t config_overflow; /* CONFIG_DB ports the port table could not hold */
	uint32_t cursor;          /* next port index for HGETALL or prune */
	uint32_t cursor_replies;  /* HGETALL or prune replies outstanding */
	struct psd_config_copy copy; /* a producer set built from an HGETALL reply */
	bool recopy;              /* rewriting APPL_DB port entries after Redis lost them */
	bool recopy_refused;      /* Redis refused part of a re-copy: all of it again after a pause */
	bool config_awaited;      /* a re-copy found CONFIG_DB empty: it is asked again */
	bool config_watched;      /* CONFIG_DB's keyspace is watched: no poll, notifications say */
	bool restart_due;         /* start-up was interrupted: run again once reconnected */
	uint32_t old_emitted;     /* old interfaces brought down so far */
};

void psd_startup_begin(struct psd_ctx *c, struct psd_startup *su);
void psd_startup_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r);
/* The reply to a producer set (start-up copy or re-copy). */
void psd_startup_copy_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r);
void psd_startup_logger_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r);
void psd_startup_ifaces(struct psd_ctx *c, struct psd_startup *su, const struct psd_iface *ifaces,
			size_t count);
void psd_startup_timer(struct psd_ctx *c, struct psd_startup *su, bool redis_up);
/* CONFIG_DB's keyspace turned watched (LOGGER|portsyncd is read once, then on notifications;
 * an awaited CONFIG_DB is asked again now, then when its ports are written) or not (the poll
 * every second again). */
void psd_startup_config_watched(struct psd_ctx *c, struct psd_startup *su, bool watched);
/* CONFIG_DB said LOGGER|portsyncd changed: read again now. */
void psd_startup_logger_changed(struct psd_ctx *c, struct psd_startup *su);
/* When LOGGER|portsyncd is polled next (UINT64_MAX: not, it is watched). */
uint64_t psd_startup_deadline(const struct psd_startup *su);
bool psd_startup_pull(struct psd_ctx *c, struct psd_startup *su, bool may_send,
		      struct psd_action *ret);
/* A connection was lost. */
void psd_startup_outage(struct psd_ctx *c, struct psd_startup *su);
/* Every connection is back: true when an interrupted start-up starts again. */
bool psd_startup_resume(struct psd_ctx *c, struct psd_startup *su);
/* Runs start-up again from its first command (after a refusal's pause). */
void psd_startup_restart(struct psd_ctx *c, struct psd_startup *su);
/* Copies CONFIG_DB to APPL_DB again: Redis lost the port entries. */
void psd_startup_recopy(struct psd_ctx *c, struct psd_startup *su);
void psd_startup_stop(struct psd_ctx *c, struct psd_startup *su);
void psd_startup_exited(struct psd_ctx *c, struct psd_startup *su);
/* Accessors (the view layer's): the phase, a warm start, the configured ports. */
enum psd_phase psd_startup_phase(const struct psd_startup *su);
bool psd_startup_warm(const struct psd_startup *su);
uint32_t psd_startup_config_ports(const struct psd_startup *su);
void psd_startup_check(const struct psd_ctx *c, const struct psd_startup *su);

#endif
