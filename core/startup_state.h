/*
 * The start-up module's state (startup.c and its parts, startup_parts.h): its phase, the
 * CONFIG_DB copy and LOGGER|portsyncd, changed only by the module. Its entry points: startup.h
 * (startup.c) and startup_logger.h (startup_logger.c), which only the engine calls.
 */
#ifndef PSD_STARTUP_STATE_H
#define PSD_STARTUP_STATE_H

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

#endif
