/*
 * Health and the status text (view layer, view.h). Health is decided here alone: a database
 * unreachable (degraded, failing past cfg.health_failing_ns), Redis stalled (psd_redis_stalled,
 * the engine's definition: degraded, failing once a command has waited cfg.health_failing_ns), a
 * re-dump pending after a loss, starting or stopping (degraded); the reasons are joined with
 * "; " in that order. The status text is STATUS='s line.
 *
 * Invariant: nothing here writes the core; the modules are read through their accessors.
 */
#include "view.h"

#include "ctx.h"
#include "links.h"
#include "outbox.h"
#include "recovery.h"
#include "resync.h"
#include "startup.h"
#include "text.h"
#include "warm.h"

static const char *const db_names[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

static const char *const health_names[_PSD_HEALTH_MAX] = {"ok", "degraded", "failing"};

const char *psd_health_name(enum psd_health h)
{
	return (unsigned)h < _PSD_HEALTH_MAX ? health_names[h] : "?";
}

static void reason(struct psd_text *t, const char *a, const char *b)
{
	if (t->len > 0)
		psd_text_str(t, "; ");
	psd_text_str(t, a);
	psd_text_str(t, b);
}

uint64_t psd_view_db_down_for(const struct psd_ctx *c, enum psd_db db, uint64_t now_ns)
{
	const struct psd_stats *s = &c->stats;
	return s->db_down[db] && now_ns > s->db_down_since_ns[db] ? now_ns - s->db_down_since_ns[db] :
								    0;
}

/* h made at least degraded */
static enum psd_health degraded(enum psd_health h)
{
	return h == PSD_HEALTH_OK ? PSD_HEALTH_DEGRADED : h;
}

/* Redis stalled (psd_redis_stalled): degraded, failing once a command has waited limit. */
static enum psd_health stall_health(const struct psd_view *v, enum psd_health h, uint64_t limit,
				    uint64_t now_ns, struct psd_text *t)
{
	const struct psd_config *cfg = &v->ctx->cfg;
	uint64_t waited = psd_redis_waited(v->inflight, v->waiting_since_ns, now_ns);
	if (!psd_redis_stalled(cfg, waited))
		return h;
	reason(t, "Redis has not answered for ", "");
	psd_text_u64(t, waited / PSD_NS_PER_MS);
	psd_text_str(t, " ms with ");
	psd_text_u64(t, v->inflight);
	psd_text_str(t, v->inflight == 1 ? " command unanswered" : " commands unanswered");
	if (waited < limit) {
		psd_text_str(t, " (redis_stall_ms ");
		psd_text_u64(t, cfg->redis_stall_ns / PSD_NS_PER_MS);
		psd_text_str(t, ")");
		return degraded(h);
	}
	psd_text_str(t, " (past health_failing_ms ");
	psd_text_u64(t, limit / PSD_NS_PER_MS);
	psd_text_str(t, ")");
	return PSD_HEALTH_FAILING;
}

/* What health is made of, a bit each: a database unreachable, past the limit; Redis stalled, past
 * the limit; a re-dump pending; starting; stopping. */
#define CAUSE_DOWN(db) (1u << (db))
#define CAUSE_PAST(db) (1u << (_PSD_DB_MAX + (db)))
#define CAUSE_STALLED (1u << (2 * _PSD_DB_MAX))
#define CAUSE_STALL_PAST (CAUSE_STALLED << 1)
#define CAUSE_RESYNC (CAUSE_STALLED << 2)
#define CAUSE_STARTING (CAUSE_STALLED << 3)
#define CAUSE_STOPPING (CAUSE_STALLED << 4)

static uint64_t failing_limit(const struct psd_ctx *c)
{
	return c->cfg.health_failing_ns != 0 ? c->cfg.health_failing_ns :
					       PSD_HEALTH_FAILING_DEFAULT_NS;
}

/* Unreachable: not up, and counted down (one still connecting for the first time is not). */
static bool db_down(const struct psd_view *v, enum psd_db db)
{
	return !psd_recovery_db_up(v->recovery, db) && v->ctx->stats.db_down[db];
}

uint32_t psd_view_health_causes(const struct psd_view *v, uint64_t now_ns)
{
	const struct psd_ctx *c = v->ctx;
	enum psd_phase phase = psd_startup_phase(v->startup);
	uint64_t waited = psd_redis_waited(v->inflight, v->waiting_since_ns, now_ns);
	uint32_t causes = 0;

	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (!db_down(v, (enum psd_db)db))
			continue;
		causes |= CAUSE_DOWN(db);
		if (psd_view_db_down_for(c, (enum psd_db)db, now_ns) >= failing_limit(c))
			causes |= CAUSE_PAST(db);
	}
	if (psd_redis_stalled(&c->cfg, waited))
		causes |= waited >= failing_limit(c) ? CAUSE_STALLED | CAUSE_STALL_PAST : CAUSE_STALLED;
	if (psd_resync_pending(c, v->resync))
		causes |= CAUSE_RESYNC;
	if (phase != PH_RUNNING)
		causes |= phase < PH_RUNNING ? CAUSE_STARTING : CAUSE_STOPPING;
	return causes;
}

uint64_t psd_view_health_deadline(const struct psd_view *v, uint64_t now_ns)
{
	const struct psd_ctx *c = v->ctx;
	uint32_t causes = psd_view_health_causes(v, now_ns);
	uint64_t d = UINT64_MAX;

	for (int db = 0; db < _PSD_DB_MAX; db++) {
		uint64_t past = c->stats.db_down_since_ns[db] + failing_limit(c);
		if ((causes & CAUSE_DOWN(db)) && !(causes & CAUSE_PAST(db)) && past < d)
			d = past;
	}
	if (v->inflight > 0 && !(causes & CAUSE_STALL_PAST)) {
		uint64_t next = v->waiting_since_ns +
				((causes & CAUSE_STALLED) ? failing_limit(c) : c->cfg.redis_stall_ns);
		d = next < d ? next : d;
	}
	return d;
}

enum psd_health psd_view_health(const struct psd_view *v, uint64_t now_ns, char *why, size_t size)
{
	const struct psd_ctx *c = v->ctx;
	uint64_t limit = failing_limit(c);
	enum psd_health h = PSD_HEALTH_OK;
	enum psd_phase phase = psd_startup_phase(v->startup);
	struct psd_text t;

	psd_text_init(&t, why, size);
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (!db_down(v, (enum psd_db)db))
			continue;
		uint64_t down = psd_view_db_down_for(c, (enum psd_db)db, now_ns);
		h = down >= limit ? PSD_HEALTH_FAILING : degraded(h);
		reason(&t, db_names[db], " unreachable for ");
		psd_text_u64(&t, down / PSD_NS_PER_MS);
		psd_text_str(&t, down >= limit ? " ms (past the limit)" : " ms");
	}
	h = stall_health(v, h, limit, now_ns, &t);
	if (psd_resync_pending(c, v->resync)) {
		h = degraded(h);
		reason(&t, "netlink re-dump pending after a loss", "");
	}
	if (phase != PH_RUNNING) {
		h = degraded(h);
		reason(&t, phase < PH_RUNNING ? "starting" : "stopping", "");
	}
	return h;
}

static const char *const phase_names[] = {
	[PH_IDLE] = "idle",         [PH_LOGGER] = "starting",      [PH_LOGGER_SET] = "starting",
	[PH_SWITCH_TYPE] = "starting", [PH_WARM_ENABLE] = "starting", [PH_RESTORE_GET] = "starting",
	[PH_RESTORE_SET] = "starting", [PH_KEYS] = "reading-config", [PH_CONFIG_COPY] = "copying-config",
	[PH_CONFIG_DONE] = "copying-config", [PH_PRUNE] = "pruning", [PH_IFACES] = "old-interfaces",
	[PH_REFUSED] = "refused-retrying",
	[PH_RUNNING] = "running",   [PH_STOPPING] = "stopping",    [PH_EXITED] = "exited",
};

size_t psd_view_status(const struct psd_view *v, char *buf, size_t size)
{
	const struct psd_ctx *c = v->ctx;
	bool warm = psd_startup_warm(v->startup);
	struct psd_text t;

	psd_text_init(&t, buf, size);
	psd_text_str(&t, phase_names[psd_startup_phase(v->startup)]);
	psd_text_str(&t, warm ? " (warm)" : " (cold)");
	psd_text_str(&t, "; ports ");
	psd_text_u64(&t, psd_port_count(&c->ports));
	psd_text_str(&t, ", configured ");
	psd_text_u64(&t, psd_startup_config_ports(v->startup));
	psd_text_str(&t, ", awaited ");
	psd_text_u64(&t, c->ports.portset_count);
	psd_text_str(&t, ", pending writes ");
	psd_text_u64(&t, (uint64_t)psd_links_queued(v->links) + v->inflight);
	psd_text_str(&t, ", missing in APPL_DB ");
	psd_text_u64(&t, psd_links_parked(v->links));
	psd_text_str(&t, !psd_recovery_all_up(v->recovery) ? "; Redis down, reconnecting" :
			 v->stalled ? "; Redis stalled, not answering" :
				      "; Redis up");
	if (psd_resync_redumping(v->resync))
		psd_text_str(&t, "; netlink resync");
	psd_text_str(&t, psd_links_init_done(v->links) ? "; PortInitDone sent" : "");
	if (warm) {
		psd_text_str(&t, "; warm restart ");
		psd_text_str(&t, psd_warm_state_name(psd_warm_current(c, v->warm)));
	}
	return t.len;
}
