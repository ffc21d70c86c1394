/*
 * Per-port link history and the link stats queue (port_stats.c): a leaf library.
 */
#ifndef PSD_PORT_STATS_H
#define PSD_PORT_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "port_table.h"

struct psd_ctx;

/* Ports whose STATE_DB PORT_LINK_STATS is to be written, linked through the port records. */
struct psd_linkq {
	uint32_t head;
	uint32_t tail;
	uint32_t len;
	uint64_t due_ns; /* the queue goes out from then (PSD_LINK_STATS_DELAY_NS) */
};

void psd_linkq_init(struct psd_linkq *q);
void psd_linkq_push(struct psd_ctx *c, uint32_t idx);
void psd_linkq_unlink(struct psd_ctx *c, uint32_t idx);
/* A connection was lost: writes in flight go again once Redis is back. */
void psd_linkq_requeue_sent(struct psd_ctx *c);

/* A port's desired state is about to change: the start of its ack latency. */
void psd_port_note_change(struct psd_ctx *c, struct psd_port *p);
/* A present port's new link state (before it is stored in p). */
void psd_port_note_link(struct psd_ctx *c, uint32_t idx, const char *cause, bool oper_up,
			bool admin_up);
/* A port's netdev is gone. */
void psd_port_note_gone(struct psd_ctx *c, uint32_t idx, const char *cause);
/* Link changes in the flap window ending at now. */
uint32_t psd_port_flaps(const struct psd_port *p, uint64_t now_ns);
/* Oper changes of p in the last `buckets` flap buckets (PSD_FLAP_BUCKET_NS each) up to now. */
uint32_t psd_port_changes_in(const struct psd_port *p, uint64_t now_ns, uint32_t buckets);

#endif
