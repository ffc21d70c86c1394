/* CONFIG_DB LOGGER|portsyncd, read at start, then watched or polled (startup_logger.c): the
 * start-up module's entry points for it, which only the engine calls. */
#ifndef PSD_STARTUP_LOGGER_H
#define PSD_STARTUP_LOGGER_H

#include "startup_state.h"

void psd_startup_logger_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r);
void psd_startup_timer(struct psd_ctx *c, struct psd_startup *su, bool redis_up);
/* CONFIG_DB's keyspace turned watched (LOGGER|portsyncd is read once, then on notifications;
 * an awaited CONFIG_DB is asked again now, then when its ports are written) or not (the poll
 * every second again). */
void psd_startup_config_watched(struct psd_ctx *c, struct psd_startup *su, bool watched);
/* CONFIG_DB said LOGGER|portsyncd changed: read again now. */
void psd_startup_logger_changed(struct psd_ctx *c, struct psd_startup *su);
/* When LOGGER|portsyncd is polled next (UINT64_MAX: not, it is watched). */
uint64_t psd_startup_deadline(const struct psd_startup *su);

#endif
