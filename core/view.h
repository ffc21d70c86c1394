/*
 * The view layer: what the daemon shows of the core, above the modules and beside the engine.
 * metrics.c renders the Prometheus exposition; view.c decides health (the one policy behind
 * /health, the portsyncd_health family and STATUS=) and writes the status text.
 *
 * A view reads the modules only through their accessors (declared in each module's header),
 * never their fields, and changes nothing. The engine hands it what it reads as a struct
 * psd_view: const pointers to the shared leaves and to each module's state, and the engine's own
 * figures (commands in flight, since when the oldest has waited, a stall said).
 */
#ifndef PSD_VIEW_H
#define PSD_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/core.h"
#include "psd/health.h"

struct psd_ctx;
struct psd_startup;
struct psd_recovery;
struct psd_resync;
struct psd_links;
struct psd_warm;
struct psd_alerts;
struct psd_watch;

struct psd_view {
	const struct psd_ctx *ctx;
	const struct psd_startup *startup;
	const struct psd_recovery *recovery;
	const struct psd_resync *resync;
	const struct psd_links *links;
	const struct psd_warm *warm;
	const struct psd_alerts *alerts;
	const struct psd_watch *watch;
	uint32_t inflight;          /* Redis commands unanswered (the engine's) */
	uint64_t waiting_since_ns;  /* since when the oldest unanswered command has waited */
	bool stalled;               /* a stall said (redis_stall_ms): STATUS= tells it */
};

/* How long Redis has left a command unanswered at now_ns (the oldest, since the last reply); 0
 * with none unanswered. */
static inline uint64_t psd_redis_waited(uint32_t inflight, uint64_t waiting_since_ns,
					uint64_t now_ns)
{
	return inflight > 0 && now_ns > waiting_since_ns ? now_ns - waiting_since_ns : 0;
}

/* Redis has stalled: a command unanswered for cfg.redis_stall_ns. The one definition of
 * "stalled": the engine logs it and says it in STATUS=, health is degraded from then and failing
 * from cfg.health_failing_ns; past PSD_STALL_NS the watchdog stops being fed. */
static inline bool psd_redis_stalled(const struct psd_config *cfg, uint64_t waited_ns)
{
	return waited_ns > 0 && waited_ns >= cfg->redis_stall_ns;
}

/* How long db has been unreachable at now_ns; 0 while it is up. */
uint64_t psd_view_db_down_for(const struct psd_ctx *c, enum psd_db db, uint64_t now_ns);
enum psd_health psd_view_health(const struct psd_view *v, uint64_t now_ns, char *why,
				size_t size);
/* What the health verdict and its reasons are made of at now_ns, a bit per cause (a database
 * unreachable, past the limit, Redis stalled, past the limit, a re-dump pending, starting,
 * stopping): the health
 * line changes exactly when they do, and its figures of milliseconds. */
uint32_t psd_view_health_causes(const struct psd_view *v, uint64_t now_ns);
/* When the causes next change with time alone (a database or a stall
 * reaching its limit, Redis stalling);
 * UINT64_MAX: not while nothing happens. */
uint64_t psd_view_health_deadline(const struct psd_view *v, uint64_t now_ns);
size_t psd_view_status(const struct psd_view *v, char *buf, size_t size);
/* The exposition (metrics.c; struct psd_metrics_info: psd/metrics.h). */
struct psd_metrics_info;
size_t psd_view_metrics(const struct psd_view *v, const struct psd_metrics_info *info, char *buf,
			size_t size);

#endif
