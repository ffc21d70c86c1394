/*
 * The core's read side of the public API (core.h, metrics.h): counters, accessors, and the view
 * layer's entries (metrics, health, status), each filling a struct psd_view from the engine's
 * state. The engine's other half (engine.c) takes events and hands out actions; this half only
 * reads.
 */
#include "engine.h"
#include "view.h"

const struct psd_stats *psd_core_stats(const struct psd_core *c)
{
	return &c->ctx.stats;
}

bool psd_core_port_init_done(const struct psd_core *c)
{
	return c->links.init_done_sent;
}

uint32_t psd_core_inflight(const struct psd_core *c)
{
	return c->inflight;
}

bool psd_core_replies_wanted(const struct psd_core *c)
{
	if (c->inflight == 0)
		return false;
	if (c->inflight > c->lazy || c->links.urgent > 0 || c->ctx.ports.portset_count > 0 ||
	    c->startup.phase != PH_RUNNING || c->inflight >= c->ctx.lim.inflight_max)
		return true; /* a reply something waits on */
	return psd_engine_lazy_until(c) <= c->ctx.now_ns;
}

uint32_t psd_core_ports_in_use(const struct psd_core *c)
{
	return psd_port_count(&c->ctx.ports);
}

const struct psd_alert_rules *psd_core_alert_rules(const struct psd_core *c)
{
	return psd_alerts_rules(&c->alerts);
}

void psd_core_alerts_each(const struct psd_core *c,
			  void (*fn)(void *ctx, const struct psd_alert_view *v), void *ctx)
{
	psd_alerts_each(&c->alerts, fn, ctx);
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

enum psd_health psd_core_health(const struct psd_core *c, uint64_t now_ns, char *why, size_t size)
{
	struct psd_view v = psd_engine_view(c);
	return psd_view_health(&v, now_ns, why, size);
}

size_t psd_core_status(const struct psd_core *c, char *buf, size_t size)
{
	struct psd_view v = psd_engine_view(c);
	return psd_view_status(&v, buf, size);
}

size_t psd_metrics_render(const struct psd_core *c, const struct psd_metrics_info *info, char *buf,
			  size_t size)
{
	struct psd_view v = psd_engine_view(c);
	return psd_view_metrics(&v, info, buf, size);
}
