/* The engine's side of the keyspace subscriptions: engine_watch.c. */
#ifndef PSD_ENGINE_WATCH_H
#define PSD_ENGINE_WATCH_H

#include "engine_state.h"

/* A subscription event (-EINVAL when the core cannot take it). */
int psd_engine_watch_event(struct psd_core *c, const struct psd_event *ev);
/* Tells the modules which databases are watched now. */
void psd_engine_watch_changes(struct psd_core *c);

#endif
