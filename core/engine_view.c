/*
 * What the view layer reads of the core (a dispatcher object, core/layers): struct psd_view
 * filled from the engine's state (a pointer to each module's, which the view reads through
 * that module's accessors), and since when the oldest
 * unanswered command has waited, the one figure stall detection and health share. Reads
 * only.
 */
#include "engine_view.h"

/* Since when the oldest unanswered command has waited, at the latest. */
uint64_t psd_engine_waiting_since(const struct psd_core *c)
{
	return c->last_reply_ns > c->inflight_since_ns ? c->last_reply_ns : c->inflight_since_ns;
}

/* What the view layer reads (view.h): the shared leaves, each module's state, the engine's own
 * figures. */
struct psd_view psd_engine_view(const struct psd_core *c)
{
	return (struct psd_view){
		.ctx = &c->ctx,
		.startup = &c->startup,
		.recovery = &c->recovery,
		.resync = &c->resync,
		.links = &c->links,
		.warm = &c->warm,
		.alerts = &c->alerts,
		.watch = &c->watch,
		.inflight = c->inflight,
		.waiting_since_ns = psd_engine_waiting_since(c),
		.stalled = c->stalled,
	};
}
