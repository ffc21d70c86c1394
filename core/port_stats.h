/*
 * Per-port link history, the link stats queue and the alert queue (port_stats.c): a leaf library.
 * The queues' and the census's state is part of the context (ctx.h).
 */
#ifndef PSD_PORT_STATS_H
#define PSD_PORT_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"
#include "port_table.h"

struct psd_link;

void psd_linkq_init(struct psd_linkq *q);
void psd_linkq_push(struct psd_ctx *c, uint32_t idx);
void psd_linkq_unlink(struct psd_ctx *c, uint32_t idx);
/* A connection was lost: writes in flight go again once Redis is back. */
void psd_linkq_requeue_sent(struct psd_ctx *c);

void psd_alertq_init(struct psd_alertq *q);
void psd_alertq_push(struct psd_ctx *c, uint32_t idx);
void psd_alertq_unlink(struct psd_ctx *c, uint32_t idx);

/* A port's desired state is about to change: the start of its ack latency. */
void psd_port_note_change(struct psd_ctx *c, struct psd_port *p);
/* A present port's new link state (before it is stored in p), and the kernel's carrier counts
 * the message carried (l; NULL: none). */
void psd_port_note_link(struct psd_ctx *c, uint32_t idx, const char *cause, bool oper_up,
			bool admin_up, const struct psd_link *l);
/* A port's netdev is gone. */
void psd_port_note_gone(struct psd_ctx *c, uint32_t idx, const char *cause);
/* Summarises the transition lines suppressed in each port's minute that is over (due at
 * linkq.lines_due_ns). */
void psd_port_lines_timer(struct psd_ctx *c);
/* Link changes in the flap window ending at now. */
uint32_t psd_port_flaps(const struct psd_port *p, uint64_t now_ns);
/* Oper changes of p in the last `buckets` flap buckets (PSD_FLAP_BUCKET_NS each) up to now. */
uint32_t psd_port_changes_in(const struct psd_port *p, uint64_t now_ns, uint32_t buckets);
/* Oper changes of p in the last window_s seconds (the buckets from now_s - window_s to now_s). */
uint32_t psd_port_changes_in(const struct psd_port *p, uint64_t now_ns, uint32_t window_s);
/* The changes in each window of 1 .. PSD_FLAP_WINDOW_MAX_S seconds: ret[w] (ret[0] is 0). */
void psd_port_changes_by_window(const struct psd_port *p, uint64_t now_ns,
				uint32_t ret[PSD_FLAP_WINDOW_MAX_S + 1]);
/* When the count of the window_s window next drops (a bucket leaves it), or UINT64_MAX. */
uint64_t psd_port_window_drops_at(const struct psd_port *p, uint64_t now_ns, uint32_t window_s);
/* The one definition of flapping: more than PSD_FLAP_ABOVE changes in PSD_FLAP_WINDOW_S. */
bool psd_port_flapping(const struct psd_port *p, uint64_t now_ns);

#endif
