/*
 * The core's read side of the public API (core.h, metrics.h): counters, accessors, and the view
 * layer's entries (metrics, health, status), each filling a struct psd_view from the engine's
 * state, and the invariants' check. The engine's other half (engine.c) takes events and hands out
 * actions; this half only reads.
 */
#include "engine_state.h"
#include "engine_view.h"
#include "psd/metrics.h"
#include "psd_assert.h"
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

/* The invariants of the engine's own state (engine.c's file-top comment), then each module's. */
void psd_core_check(const struct psd_core *c)
{
	PSD_ASSERT(c->inflight == c->inflight_db[0] + c->inflight_db[1] + c->inflight_db[2]);
	PSD_ASSERT(c->lazy == c->lazy_db[0] + c->lazy_db[1] + c->lazy_db[2]);
	for (int db = 0; db < _PSD_DB_MAX; db++)
		PSD_ASSERT(c->lazy_db[db] <= c->inflight_db[db]);
	for (int db = 0; db < _PSD_DB_MAX; db++)
		PSD_ASSERT(c->recovery.db_up[db] || c->inflight_db[db] == 0);
	PSD_ASSERT(c->ctx.out.todo_len <= PSD_TODO_RING);
	PSD_ASSERT(c->ctx.out.log_len <= PSD_LOG_RING);
	PSD_ASSERT(c->startup.wants == 0 && c->recovery.wants == 0 && c->resync.wants == 0);
	psd_startup_check(&c->ctx, &c->startup);
	psd_recovery_check(&c->ctx, &c->recovery);
	psd_resync_check(&c->ctx, &c->resync);
	psd_links_check(&c->ctx, &c->links);
	psd_observe_check(&c->ctx);
	psd_warm_check(&c->ctx, &c->warm);
	psd_alerts_check(&c->ctx, &c->alerts);
	psd_watch_check(&c->ctx, &c->watch);
}
