/*
 * The core's state: one struct, the one allocation the public API hands out. Only the engine's
 * objects (engine.c, engine_api.c, engine_watch.c, engine_health.c, engine_view.c) include this
 * header: every other object sees only its own state and the context.
 *
 *   engine.c    the public API and the only dispatcher: it hands each event to the module it
 *               concerns, with the context and that module's sub-struct, then carries out what
 *               modules ask of each other (their `wants`); it owns the commands in flight, the
 *               epoch, stalls, the watchdog and the exit;
 *   view        metrics.c, view.c: the exposition, health and the status text, reading the
 *               modules through their accessors from a struct psd_view the engine fills;
 *   modules     startup.c, recovery.c, resync.c, links.c, observe.c, warm.c, and alerts.c with
 *               its parts (alert_parts.h): each owns its sub-struct, checks its invariants, and
 *               calls only the leaves;
 *   leaves      ctx.h (the context), outbox.c (todo and log rings, action storage), emit.c
 *               (command formatting), port_table.c, port_stats.c, histogram.c, port_fsm, names,
 *               nl_accept, nl_walk, text.c, alert_names.c, alert_fsm, warm_fsm.
 *
 * core/layers lists them; core/README.md draws the path of a link message, a Redis reply and a
 * timer through them.
 */
#ifndef PSD_ENGINE_STATE_H
#define PSD_ENGINE_STATE_H

#include "alerts.h"
#include "ctx.h"
#include "emit.h"
#include "links.h"
#include "observe.h"
#include "outbox.h"
#include "port_stats.h"
#include "port_table.h"
#include "psd/core.h"
#include "recovery.h"
#include "resync.h"
#include "startup.h"
#include "text.h"
#include "warm.h"
#include "view.h"
#include "watch.h"
#include "work.h"

struct psd_core {
	struct psd_ctx ctx; /* the shared leaves, handed to every module (ctx.h) */

	/* modules */
	struct psd_startup startup;
	struct psd_recovery recovery;
	struct psd_resync resync;
	struct psd_links links;
	struct psd_warm warm;
	struct psd_alerts alerts;
	struct psd_watch watch;

	/* the engine's own: commands in flight, stalls, the watchdog, the exit */
	uint32_t inflight;
	uint32_t inflight_db[_PSD_DB_MAX];
	/* replies nothing waits on (port writes, link stats) may be taken lazily, while link
	 * messages come densely: they ride along with the next wake-up (psd_core_replies_wanted) */
	uint32_t lazy;
	uint32_t lazy_db[_PSD_DB_MAX];
	uint64_t last_datagram_ns;  /* the event socket's last datagram */
	bool dense;                 /* ... came within PSD_ACK_LAZY_NS of the one before */
	uint16_t epoch;             /* +1 per lost connection or refused start-up; singleton replies
	                             * of older epochs are ignored (their work is redone) */
	uint64_t last_reply_ns;
	uint64_t inflight_since_ns; /* when the count of unanswered commands last rose from 0 */
	bool stalled;               /* unanswered for cfg.redis_stall_ns: logged, in STATUS= */
	uint64_t stall_since_ns;
	uint64_t refused_retry_ns;  /* when refused (or awaited) work runs again */
	uint64_t watchdog_due_ns;
	uint64_t exit_deadline_ns;
	uint64_t config_settle_from_ns; /* the first CONFIG_DB port written while a re-copy waits */
	bool exit_emitted;
	int exit_status;
	/* the health line said last (STATUS=health: ...): its causes and verdict (view.h) */
	uint32_t health_said;
	enum psd_health verdict_said;
	bool health_queued;         /* TODO_NOTIFY_HEALTH waits for pull */
};

#endif
