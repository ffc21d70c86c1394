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
 *   out        the outbox: the todo and log rings, and the storage behind a pulled action.
 *
 * Anything a module owns travels only as an explicit argument, never through this struct.
 */
#ifndef PSD_CTX_H
#define PSD_CTX_H

#include "outbox.h"
#include "port_stats.h"
#include "port_table.h"
#include "psd/core.h"

struct psd_ctx {
	struct psd_limits lim;
	struct psd_config cfg;
	struct psd_stats stats;
	uint64_t now_ns;
	struct psd_port_table ports;
	struct psd_old_set old;
	struct psd_linkq linkq;
	struct psd_outbox out;
};

#endif
