/* The engine's part that says health: engine_health.c. */
#ifndef PSD_ENGINE_HEALTH_H
#define PSD_ENGINE_HEALTH_H

#include "engine_state.h"

/* "health: <verdict>[: <why>]" at now_ns into buf, and the verdict. */
enum psd_health psd_engine_health_line(const struct psd_view *v, uint64_t now_ns, char *buf,
				       size_t size);
/* After every event: the health line queued (and a new verdict logged) when its causes
 * changed. The engine hands in its view (psd_engine_view). */
void psd_engine_health_watch(struct psd_core *c, const struct psd_view *v);

#endif
