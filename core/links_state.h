/*
 * The links module's state (links.c and its parts, links_parts.h): struct psd_links (and the
 * port records' desired state, queue and re-check fields), changed only by the module. Its
 * entry points: links.h (links.c) and links_appl.h (links_appl.c), which only the engine calls.
 */
#ifndef PSD_LINKS_STATE_H
#define PSD_LINKS_STATE_H

#include "psd/core.h"

struct psd_ctx;

/* What a datagram means for the resynchronisation, beyond its links: for the engine to hand to
 * resync.c. */
struct psd_nl_verdict {
	uint32_t losses;     /* bit per enum psd_nl_loss */
	bool dump_tainted;   /* a dump message was flagged or malformed */
	bool dump_done;      /* the dump ended ... */
	bool dump_failed;    /* ... with an error, or interrupted */
};

#define PSD_SENDQ_SLOTS_MIN 64u /* the send queue's first size */

struct psd_links {
	bool saw_datagram;
	bool init_done_sent;
	bool init_done_acked;
	bool init_done_retry;  /* Redis refused PortInitDone: sent again at the next re-check */
	/* the send queue: a ring of sendq_cap slots, PSD_SENDQ_SLOTS_MIN at first, doubled when full
	 * up to the port table's capacity (the core's block reserves that many) */
	bool lookup_refused;   /* the look-up being answered was refused: a park is a refusal's */
	uint32_t *sendq;
	uint32_t sendq_head;
	uint32_t sendq_len;
	uint32_t sendq_cap;
	uint32_t park_head;
	uint32_t park_tail;
	uint32_t parked;
	uint64_t recheck_due_ns;
	uint64_t recheck_interval_ns; /* PSD_APPL_RECHECK_FIRST_NS, doubling to PSD_APPL_RECHECK_NS */
	uint64_t missing_summary_ns;  /* next summary of ports still missing in APPL_DB */
	uint64_t table_full_log_ns;   /* when "port table full" may be logged again */
	uint64_t refused_log_ns;      /* when a refused STATE_DB command may be logged again */
	const char *link_cause;       /* what the link message being handled is, for the event log */
	uint32_t parked_refused;      /* parked ports waiting to retry a refused STATE_DB command */
	uint32_t urgent;              /* ports with a command in flight and a newer state behind it:
	                               * their replies are waited on (psd_core_replies_wanted) */
	/* what APPL_DB holds, from its keyspace subscription (links_appl.c) */
	bool appl_watched;            /* the subscription is up and publishes PORT_TABLE's events */
	bool appl_known;              /* ... and its full read is in: the ports' appl states hold */
	bool appl_read_due;           /* the full read is to go out */
	bool appl_read_sent;
	bool appl_read_wait;          /* refused: due again at the re-check timer */
	uint32_t notify_gen;          /* notifications of PORT_TABLE taken */
	uint32_t read_gen;            /* notify_gen when the full read went out */
};

#endif
