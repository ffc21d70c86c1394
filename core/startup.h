/*
 * The start-up sequence (startup.c): the start-up module's entry points, which only the engine
 * calls; its state: startup_state.h.
 */
#ifndef PSD_STARTUP_H
#define PSD_STARTUP_H

#include "startup_state.h"

void psd_startup_begin(struct psd_ctx *c, struct psd_startup *su);
void psd_startup_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r);
/* The reply to a producer set (start-up copy or re-copy). */
void psd_startup_copy_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r);
void psd_startup_ifaces(struct psd_ctx *c, struct psd_startup *su, const struct psd_iface *ifaces,
			size_t count);
bool psd_startup_pull(struct psd_ctx *c, struct psd_startup *su, bool may_send,
		      struct psd_action *ret);
/* A connection was lost. */
void psd_startup_outage(struct psd_ctx *c, struct psd_startup *su);
/* Every connection is back: true when an interrupted start-up starts again. */
bool psd_startup_resume(struct psd_ctx *c, struct psd_startup *su);
/* Runs start-up again from its first command (after a refusal's pause). */
void psd_startup_restart(struct psd_ctx *c, struct psd_startup *su);
/* Copies CONFIG_DB to APPL_DB again: Redis lost the port entries. */
void psd_startup_recopy(struct psd_ctx *c, struct psd_startup *su);
void psd_startup_stop(struct psd_ctx *c, struct psd_startup *su);
void psd_startup_exited(struct psd_ctx *c, struct psd_startup *su);
/* Accessors (the view layer's): the phase, a warm start, the configured ports. */
enum psd_phase psd_startup_phase(const struct psd_startup *su);
bool psd_startup_warm(const struct psd_startup *su);
uint32_t psd_startup_config_ports(const struct psd_startup *su);
void psd_startup_check(const struct psd_ctx *c, const struct psd_startup *su);

#endif
