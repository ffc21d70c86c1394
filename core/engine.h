/*
 * What engine.c, the core's dispatcher (engine_state.h), gives the read side of the API
 * (engine_api.c): the view of the core and the oldest unanswered command. Only the engine's
 * objects include it.
 */
#ifndef PSD_ENGINE_H
#define PSD_ENGINE_H

#include "engine_state.h"

/* What the view layer reads of the core (engine.c). */
struct psd_view psd_engine_view(const struct psd_core *c);
/* Since when the oldest unanswered command has waited, at the latest (engine.c). */
uint64_t psd_engine_waiting_since(const struct psd_core *c);

#endif
