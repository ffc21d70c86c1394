/*
 * Metrics counters, latency histograms and the PORT_LINK_STATS writes (observe.c). A module: it
 * changes only the counters, the port records' metric fields and the link stats queue; it is
 * called only by the engine.
 */
#ifndef PSD_OBSERVE_H
#define PSD_OBSERVE_H

#include "psd/core.h"

struct psd_ctx;

void psd_observe_init(struct psd_ctx *c);
/* Before an event is handled (its time is c->now_ns). */
/* known: for a reply, a command is in flight; for a lost connection, the engine knew it up. */
void psd_observe_event(struct psd_ctx *c, const struct psd_event *ev, bool known);
/* After an action was pulled. */
void psd_observe_action(struct psd_ctx *c, const struct psd_action *a);
bool psd_link_stats_pull(struct psd_ctx *c, bool may_send, struct psd_action *ret);
void psd_link_stats_reply(struct psd_ctx *c, const struct psd_reply *r);
uint64_t psd_observe_deadline(const struct psd_ctx *c);
void psd_observe_check(const struct psd_ctx *c);

#endif
