/* What the view layer reads of the core: engine_view.c. */
#ifndef PSD_ENGINE_VIEW_H
#define PSD_ENGINE_VIEW_H

#include "engine_state.h"
#include "view.h"

/* Since when the oldest unanswered command has waited, at the latest. */
uint64_t psd_engine_waiting_since(const struct psd_core *c);
/* The view of the core the view layer reads (metrics, health, status). */
struct psd_view psd_engine_view(const struct psd_core *c);

#endif
