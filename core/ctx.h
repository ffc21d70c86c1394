/*
 * What the engine hands every module beside its own state: the shared leaves. One struct, owned
 * by the engine (the first member of struct psd_core) and passed by pointer to each module call.
 *
 *   lim, cfg   the limits and settings: read-only after init (the engine applies a reload);
 *   stats      the counters: each module counts its own (psd/core.h says which);
 *   now_ns     the time handed in with the event being handled;
 *   ports      the port table: each port field has one owning module (port_table.h says which);
 *   old        the old interfaces start-up brings down (startup.c writes it, links.c reads it);
 *   linkq      the link stats queue (port_stats.c, observe.c);
 *   alertq     the ports whose changes the alerts have not looked at (port_stats.c, alerts.c);
 *   census     present ports and those with per-port metric series (port_stats.c);
 *   out        the outbox: the todo and log rings, and the storage behind a pulled action.
 *
 * Anything a module owns travels only as an explicit argument, never through this struct. The
 * state of the shared leaves is defined here, their functions beside them: the outbox's in
 * outbox.c, the queues' and the census's in port_stats.c; no leaf header is included for it.
 */
#ifndef PSD_CTX_H
#define PSD_CTX_H

#include "port_table.h"
#include "psd/core.h"
#include "repeat.h"

#define PSD_TODO_RING 32u

struct psd_log_record {
	enum psd_log_level level;
	char text[PSD_LOG_LINE_MAX];
};

struct psd_outbox {
	uint8_t todo[PSD_TODO_RING];
	uint32_t todo_head;
	uint32_t todo_len;
	struct psd_log_record logs[PSD_LOG_RING];
	uint32_t log_head;
	uint32_t log_len;
	uint64_t log_dropped_reported; /* stats.log_dropped already said in a log record */
	enum psd_log_level log_level;  /* records below it are not made */
	enum psd_log_output log_output;
	uint64_t refused_repeats;      /* refusals not logged since the last line (one a minute) */
	uint64_t refused_log_ns;       /* when a refusal may be logged again */
	/* storage behind the action handed out by the last pull (emit.c) */
	const char *argv[3u * PSD_PORT_FIELDS_MAX + 8u];
	size_t argv_len[3u * PSD_PORT_FIELDS_MAX + 8u];
	char scratch[8][PSD_DB_KEY_LEN_MAX + 1];
	char status[256];              /* a STATUS= line: the status text or the health line */
};

/* Ports whose STATE_DB PORT_LINK_STATS is to be written, linked through the port records. */
struct psd_linkq {
	uint32_t head;
	uint32_t tail;
	uint32_t len;
	uint64_t due_ns; /* the queue goes out from then (PSD_LINK_STATS_DELAY_NS) */
	uint64_t lines_due_ns; /* a port's suppressed transition lines are summarised then */
};

/* Ports whose oper changes the alerts have not evaluated yet, each once, linked through the port
 * records; gone: a port with changes went away since (its alerts are to be evaluated). */
struct psd_alertq {
	uint32_t head;
	uint32_t tail;
	uint32_t len;
	bool gone;
};

/* Present front-panel ports, and those of them with per-port metric series. */
struct psd_port_census {
	uint32_t present;
	uint32_t series;
	struct psd_repeat refused; /* first sights refused a series while they are all taken */
};

struct psd_ctx {
	struct psd_limits lim;
	struct psd_config cfg;
	struct psd_stats stats;
	uint64_t now_ns;
	struct psd_port_table ports;
	struct psd_old_set old;
	struct psd_linkq linkq;
	struct psd_alertq alertq;
	struct psd_port_census census;
	struct psd_outbox out;
};

#endif
