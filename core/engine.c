/*
 * The core's public API (core.h) and its only dispatcher. An event goes to the module it concerns;
 * what that module then needs of another it records in its `wants`, and dispatch() carries it out
 * until no module wants anything more. No module calls another.
 *
 * Pull order: log records; connection requests; a pending producer set (so a port's copy precedes
 * anything queued after its HGETALL reply); a warm-restart state write (a warm start's
 * `initialized` is its first STATE_DB write, ahead of restore_count); singleton work (start-up
 * commands, markers, notifications); the warm restore's reads; iterated start-up work; port
 * commands; link stats; the final exit. Commands beyond the producer set and singletons wait while lim.inflight_max commands are unanswered.
 *
 * Invariants (psd_core_check, with each module's own check): inflight equals the sum of
 * inflight_db; no command is in flight on a database that is down; dispatch ends with every
 * module's wants empty.
 */
#include <errno.h>
#include <string.h>

#include "engine_state.h"
#include "engine_health.h"
#include "engine_view.h"
#include "engine_watch.h"
#include "links_appl.h"
#include "outbox.h"
#include "port_fsm.h"
#include "port_stats.h"
#include "psd_assert.h"
#include "startup_logger.h"
#include "view.h"
#include "work.h"

/* Rare paths: kept out of line, so that their stack locals (handed by address) put no stack
 * protector check on the path of every link message. */
#define COLD __attribute__((cold, noinline))

static size_t align8(size_t n)
{
	return (n + 7u) & ~(size_t)7u;
}

/* Fills defaults for zero timings; false when one is out of its range. */
static bool timings_valid(struct psd_config *cfg)
{
	if (cfg->reconnect_min_ns == 0)
		cfg->reconnect_min_ns = PSD_RECONNECT_MIN_DEFAULT_NS;
	if (cfg->reconnect_max_ns == 0)
		cfg->reconnect_max_ns = PSD_RECONNECT_MAX_DEFAULT_NS;
	if (cfg->redump_interval_ns == 0)
		cfg->redump_interval_ns = PSD_REDUMP_INTERVAL_DEFAULT_NS;
	if (cfg->redis_stall_ns == 0)
		cfg->redis_stall_ns = PSD_REDIS_STALL_DEFAULT_NS;
	if (cfg->health_failing_ns == 0)
		cfg->health_failing_ns = PSD_HEALTH_FAILING_DEFAULT_NS;
	return cfg->reconnect_min_ns >= PSD_RECONNECT_MIN_NS &&
	       cfg->reconnect_max_ns <= PSD_RECONNECT_MAX_NS &&
	       cfg->reconnect_min_ns <= cfg->reconnect_max_ns &&
	       cfg->redump_interval_ns >= PSD_REDUMP_INTERVAL_MIN_NS &&
	       cfg->redump_interval_ns <= PSD_REDUMP_INTERVAL_MAX_NS &&
	       cfg->redis_stall_ns >= PSD_REDIS_STALL_MIN_NS &&
	       cfg->redis_stall_ns <= PSD_REDIS_STALL_MAX_NS &&
	       cfg->health_failing_ns >= PSD_HEALTH_FAILING_MIN_NS &&
	       cfg->health_failing_ns <= PSD_HEALTH_FAILING_MAX_NS &&
	       (cfg->watchdog_ns == 0 || cfg->watchdog_ns >= PSD_WATCHDOG_MIN_NS);
}

static bool limits_valid(const struct psd_limits *lim)
{
	return lim->ports_max > 0 && lim->ports_max <= PSD_PORTS_LIMIT && lim->inflight_max > 0 &&
	       lim->inflight_max <= PSD_INFLIGHT_LIMIT;
}

size_t psd_core_size(const struct psd_limits *lim)
{
	if (!limits_valid(lim))
		return 0;
	return align8(sizeof(struct psd_core)) + align8(psd_port_table_size(lim->ports_max)) +
	       align8(psd_imap_size(lim->ports_max)) +
	       align8((size_t)lim->ports_max * sizeof(struct psd_old_iface)) +
	       align8((size_t)lim->ports_max * sizeof(uint32_t));
}

int psd_core_init(struct psd_core **ret, void *mem, const struct psd_limits *lim,
		  const struct psd_config *cfg)
{
	uint8_t *p = mem;
	struct psd_core *c;
	struct psd_config checked = *cfg;

	if (!limits_valid(lim) || ((uintptr_t)mem & 7u) != 0 || !timings_valid(&checked))
		return -EINVAL;
	for (int db = 0; db < _PSD_DB_MAX; db++)
		if (strnlen(cfg->separator[db], PSD_SEPARATOR_LEN_MAX + 1) > PSD_SEPARATOR_LEN_MAX)
			return -EINVAL;
	c = (struct psd_core *)p; /* zero-filled by the caller: pages never used stay unmapped */
	p += align8(sizeof(*c));
	c->ctx.lim = *lim;
	c->ctx.cfg = checked;
	psd_port_table_init(&c->ctx.ports, p, lim->ports_max);
	p += align8(psd_port_table_size(lim->ports_max));
	psd_imap_init(&c->ctx.old.by_ifindex, p, lim->ports_max);
	p += align8(psd_imap_size(lim->ports_max));
	c->ctx.old.ifaces = (struct psd_old_iface *)p;
	p += align8((size_t)lim->ports_max * sizeof(struct psd_old_iface));

	c->ctx.out.log_level = cfg->log_level_pinned ? cfg->log_level : PSD_LOG_NOTICE;
	c->ctx.out.log_output = cfg->log_output_pinned ? cfg->log_output : PSD_LOG_SYSLOG;
	c->startup.phase = PH_IDLE;
	c->startup.log_poll_due_ns = UINT64_MAX;
	c->exit_deadline_ns = UINT64_MAX;
	c->watchdog_due_ns = UINT64_MAX;
	c->refused_retry_ns = UINT64_MAX;
	psd_links_init(&c->ctx, &c->links, (uint32_t *)p);
	psd_resync_init(&c->ctx, &c->resync);
	psd_recovery_init(&c->ctx, &c->recovery);
	psd_observe_init(&c->ctx);
	psd_warm_init(&c->ctx, &c->warm);
	psd_watch_init(&c->ctx, &c->watch);
	c->ctx.cfg.alert_rules = NULL; /* borrowed: alerts.c keeps its own copy */
	if (psd_alerts_init(&c->ctx, &c->alerts, cfg->alert_rules) < 0)
		return -EINVAL;
	struct psd_view v = psd_engine_view(c);
	c->health_said = psd_view_health_causes(&v, 0); /* a start: said once it changes */
	*ret = c;
	return 0;
}

static void stall_check(struct psd_core *c)
{
	struct psd_text t;
	uint64_t waited = psd_redis_waited(c->inflight, psd_engine_waiting_since(c), c->ctx.now_ns);
	if (c->stalled || !psd_redis_stalled(&c->ctx.cfg, waited))
		return;
	c->stalled = true;
	c->stall_since_ns = psd_engine_waiting_since(c);
	c->ctx.stats.redis_stalls++;
	psd_todo(&c->ctx, TODO_NOTIFY_STATUS);
	if (psd_log_begin(&c->ctx, PSD_LOG_WARN, &t) == NULL)
		return;
	psd_text_str(&t, "Redis: stalled, no reply for ");
	psd_text_u64(&t, (c->ctx.now_ns - c->stall_since_ns) / PSD_NS_PER_MS);
	psd_text_str(&t, " ms with ");
	psd_text_u64(&t, c->inflight);
	psd_text_str(&t, " commands unanswered (redis_stall_ms ");
	psd_text_u64(&t, c->ctx.cfg.redis_stall_ns / PSD_NS_PER_MS);
	psd_text_str(&t, ")");
	psd_log_end(&c->ctx, &t);
}

/* Ends a Redis stall (logged with how, STATUS= updated); nothing when Redis was not stalled. */
static void stall_end(struct psd_core *c, const char *how)
{
	struct psd_text t;
	if (!c->stalled)
		return;
	c->stalled = false;
	psd_todo(&c->ctx, TODO_NOTIFY_STATUS);
	if (psd_log_begin(&c->ctx, PSD_LOG_NOTICE, &t) == NULL)
		return;
	psd_text_str(&t, "Redis: stall over after ");
	psd_text_u64(&t, (c->ctx.now_ns - c->stall_since_ns) / PSD_NS_PER_MS);
	psd_text_str(&t, " ms: ");
	psd_text_str(&t, how);
	psd_log_end(&c->ctx, &t);
}

/* Port commands and link stats go only to a Redis known to hold what they build on. */
static bool may_send(const struct psd_core *c)
{
	return c->recovery.all_up && !psd_recovery_verifying(&c->ctx, &c->recovery) &&
	       c->inflight < c->ctx.lim.inflight_max;
}

/* A warm start applies no link message before its restore is complete. */
static bool may_listen(const struct psd_core *c)
{
	return c->warm.state != PSD_WARM_UNKNOWN && c->warm.state != PSD_WARM_INITIALIZED;
}

/* The warm-restart module has reads, state writes or an ending reconciliation to see to. */
static bool warm_busy(const struct psd_core *c)
{
	return c->warm.state == PSD_WARM_INITIALIZED || c->warm.states_len > 0 ||
	       c->warm.reconciling;
}

/* PortInitDone only while start-up is over, APPL_DB holds the ports and Redis is not in doubt. */
static bool may_announce(const struct psd_core *c)
{
	return c->startup.phase == PH_RUNNING && !c->startup.recopy && !c->recovery.outage &&
	       !psd_recovery_verifying(&c->ctx, &c->recovery);
}

/* Start-up is over and the daemon is not stopping: link messages are applied, losses resynced. */
static bool running(const struct psd_core *c)
{
	return c->startup.phase == PH_RUNNING;
}

/* What the warm-restart machine is told of the other modules with each input. */
static struct psd_warm_given warm_given(const struct psd_core *c)
{
	return (struct psd_warm_given){
		.warm = c->startup.warm,
		.appl_kept = c->startup.appl_kept,
		.config_overflow = c->startup.config_overflow != 0,
		.config_ports = c->startup.config_ports,
		.idle = c->links.sendq_len == 0 && c->inflight == 0 && c->recovery.all_up,
		.epoch = c->epoch,
	};
}

COLD static void warm_event(struct psd_core *c, enum psd_warm_sym sym)
{
	struct psd_warm_given g = warm_given(c);
	psd_warm_event(&c->ctx, &c->warm, &g, sym);
}

COLD static void warm_reply(struct psd_core *c, const struct psd_reply *r)
{
	struct psd_warm_given g = warm_given(c);
	psd_warm_reply(&c->ctx, &c->warm, &g, r);
}

COLD static void warm_settle(struct psd_core *c)
{
	struct psd_warm_given g = warm_given(c);
	psd_warm_settle(&c->ctx, &c->warm, &g);
}

COLD static void warm_timer(struct psd_core *c)
{
	struct psd_warm_given g = warm_given(c);
	psd_warm_timer(&c->ctx, &c->warm, &g);
}

COLD static bool warm_pull(struct psd_core *c, bool may_send_more, struct psd_action *ret)
{
	struct psd_warm_given g = warm_given(c);
	return psd_warm_pull(&c->ctx, &c->warm, &g, may_send_more, ret);
}

/* A connection was lost: its commands in flight are gone with it. */
static void on_outage(struct psd_core *c, enum psd_db db)
{
	PSD_ASSERT(c->inflight >= c->inflight_db[db] && c->lazy >= c->lazy_db[db]);
	c->inflight -= c->inflight_db[db];
	c->inflight_db[db] = 0;
	c->lazy -= c->lazy_db[db];
	c->lazy_db[db] = 0;
	if (c->inflight == 0)
		stall_end(c, "the connection was lost");
	c->epoch++;
	psd_links_outage(&c->ctx, &c->links, db);
	/* queued singleton commands are dropped; what they were for is redone on recovery */
	psd_todo_purge_commands(&c->ctx);
	if (c->startup.phase < PH_RUNNING && c->startup.phase != PH_IDLE)
		c->refused_retry_ns = UINT64_MAX; /* the reconnect starts it again */
	psd_startup_outage(&c->ctx, &c->startup);
	psd_alerts_db_down(&c->ctx, &c->alerts); /* alerts */
	if (c->startup.phase >= PH_RUNNING)
		psd_todo(&c->ctx, TODO_NOTIFY_STATUS);
}

/* Refused or awaited work runs again: a start-up, a verification or a re-copy. */
static void on_retry_due(struct psd_core *c)
{
	if (c->ctx.now_ns < c->refused_retry_ns)
		return;
	c->refused_retry_ns = UINT64_MAX;
	if (!c->recovery.all_up || c->recovery.outage)
		return; /* the reconnect starts the work again */
	if (c->startup.phase == PH_REFUSED)
		psd_startup_restart(&c->ctx, &c->startup);
	else if (c->recovery.verify_retry)
		psd_recovery_verify(&c->ctx, &c->recovery);
	else if (c->startup.recopy) {
		c->config_settle_from_ns = 0;
		psd_startup_recopy(&c->ctx, &c->startup);
	}
}

/* Carries out one module's requests. db: the database of the event being handled, if any. */
static void carry_out(struct psd_core *c, uint32_t w, enum psd_db db)
{
	if (w & PSD_WANT_OUTAGE) {
		on_outage(c, db);
		warm_event(c, PSD_WS_REDIS_DOWN);
	}
	if (w & PSD_WANT_RECONNECTED) {
		c->last_reply_ns = c->ctx.now_ns;
		if (!psd_startup_resume(&c->ctx, &c->startup) && c->startup.phase >= PH_RUNNING)
			psd_recovery_verify(&c->ctx, &c->recovery);
		warm_event(c, PSD_WS_REDIS_UP);
	}
	if (w & PSD_WANT_REFUSED) {
		c->epoch++; /* replies still due belong to the abandoned attempt */
		psd_todo_purge_commands(&c->ctx);
	}
	if (w & PSD_WANT_RETRY)
		c->refused_retry_ns = c->ctx.now_ns + PSD_REFUSED_RETRY_NS;
	if (w & PSD_WANT_FATAL && c->startup.phase < PH_STOPPING) {
		psd_startup_stop(&c->ctx, &c->startup);
		psd_todo(&c->ctx, TODO_NOTIFY_STOPPING);
	}
	if (w & (PSD_WANT_EXIT | PSD_WANT_FATAL)) {
		c->exit_status = 1;
		c->exit_deadline_ns = c->ctx.now_ns;
	}
	if (w & PSD_WANT_DUMP)
		psd_resync_first_dump(&c->ctx, &c->resync);
	if (w & PSD_WANT_LISTENING)
		psd_resync_listening(&c->ctx, &c->resync, running(c));
	if (w & PSD_WANT_REWRITE_ALL) {
		psd_links_rewrite_all(&c->ctx, &c->links);
		warm_event(c, PSD_WS_REDIS_LOST); /* what a warm restart read may be gone */
	}
	if (w & PSD_WANT_RECONCILE) {
		if (c->resync.reconciled) /* the netdevs are known: absent means gone */
			psd_links_reconcile_absent(&c->ctx, &c->links, false);
		else /* not yet (a warm start's first dump): that dump reconciles */
			psd_resync_reconcile_next(&c->ctx, &c->resync);
	}
	if (w & PSD_WANT_RECOPY) {
		psd_startup_recopy(&c->ctx, &c->startup);
		psd_links_appl_lost(&c->ctx, &c->links);
	}
	if (w & PSD_WANT_ANNOUNCE_AGAIN)
		psd_links_announce_again(&c->ctx, &c->links);
	if (w & PSD_WANT_SWEEP)
		psd_links_sweep(&c->ctx, &c->links, c->resync.gen, c->resync.sweep_reconcile);
	if (w & PSD_WANT_RECONCILE_RESTORED)
		psd_links_reconcile_absent(&c->ctx, &c->links, true);
}

/* Rounds of requests one event may cause (an outage's reconnect restarts start-up, which asks
 * for a dump ...). */
#define PSD_DISPATCH_ROUNDS_MAX 8u

static uint32_t wanted(const struct psd_core *c)
{
	return c->startup.wants | c->recovery.wants | c->resync.wants | c->warm.wants;
}

/* Takes every module's requests and carries them out, until none is left; then PortInitDone
 * if it is due. */
static void dispatch(struct psd_core *c, enum psd_db db)
{
	uint32_t w;
	for (unsigned round = 0; (w = wanted(c)) != 0; round++) {
		/* requests answer each other a few times at most: more is a loop, a bug */
		PSD_ASSERT(round < PSD_DISPATCH_ROUNDS_MAX);
		c->startup.wants = c->recovery.wants = c->resync.wants = c->warm.wants = 0;
		carry_out(c, w, db);
	}
	if (!c->links.init_done_sent && may_announce(c))
		psd_links_check_init_done(&c->ctx, &c->links, true);
}

static bool is_port_command(enum psd_tag_kind kind)
{
	/* a port's commands survive other connections' outages: lost ones are replayed; so does
	 * PortInitDone, sent again only when APPL_DB's connection loses it (links.c) */
	return kind == TAG_LOOKUP || kind == TAG_WRITE || kind == TAG_DELETE || kind == TAG_INIT_DONE;
}

/* The start-up replies that decide warm or cold are the warm-restart machine's first inputs. */
static void warm_decision(struct psd_core *c, enum psd_phase before)
{
	enum psd_phase now = c->startup.phase;
	if (before == PH_WARM_ENABLE && now == PH_RESTORE_GET)
		warm_event(c, PSD_WS_ENABLED);
	else if (before == PH_WARM_ENABLE && now == PH_RESTORE_SET)
		warm_event(c, PSD_WS_NOT_ENABLED);
	else if (before == PH_RESTORE_GET && now == PH_RESTORE_SET)
		warm_event(c, c->startup.warm ? PSD_WS_COUNT : PSD_WS_NO_COUNT);
}

/* A reply nothing waits on: a port's STATE_DB command (unless a newer state waits behind it,
 * links.c's `urgent`) or its link stats. */
static bool lazy_kind(enum psd_tag_kind kind)
{
	return kind == TAG_WRITE || kind == TAG_DELETE || kind == TAG_LINK_STATS;
}

static void on_reply(struct psd_core *c, const struct psd_reply *r)
{
	enum psd_db db = PSD_TAG_DB(r->tag);
	enum psd_phase before = c->startup.phase;
	PSD_ASSERT(db < _PSD_DB_MAX && c->inflight_db[db] > 0);
	c->inflight--;
	c->inflight_db[db]--;
	if (lazy_kind(PSD_TAG_KIND(r->tag))) {
		PSD_ASSERT(c->lazy_db[db] > 0);
		c->lazy--;
		c->lazy_db[db]--;
	}
	c->last_reply_ns = c->ctx.now_ns;
	stall_end(c, "Redis answers again");
	if (!is_port_command(PSD_TAG_KIND(r->tag)) && PSD_TAG_EPOCH(r->tag) != c->epoch)
		return; /* a singleton from before an outage: recovery redid its work */
	switch (PSD_TAG_KIND(r->tag)) {
	case TAG_VERIFY_SCRIPT:
	case TAG_VERIFY_STATE:
	case TAG_VERIFY_APPL:
	case TAG_VERIFY_STAGED:
		psd_recovery_reply(&c->ctx, &c->recovery, r);
		return;
	case TAG_INFO: /* the run_id is recovery's; a start-up phase also counts the reply */
		psd_recovery_reply(&c->ctx, &c->recovery, r);
		if (c->startup.phase < PH_RUNNING)
			psd_startup_reply(&c->ctx, &c->startup, r);
		return;
	case TAG_REWRITE:
		c->ctx.stats.db_errors += r->type == PSD_REPLY_ERROR;
		return;
	case TAG_POLL_LEVEL:
	case TAG_POLL_OUTPUT:
		psd_startup_logger_reply(&c->ctx, &c->startup, r);
		return;
	case TAG_APPL_KEYS:
		psd_links_appl_reply(&c->ctx, &c->links, r);
		return;
	case TAG_LOOKUP:
	case TAG_WRITE:
	case TAG_DELETE:
	case TAG_INIT_DONE:
		psd_links_reply(&c->ctx, &c->links,
				!c->startup.warm && !c->startup.recopy && running(c), r);
		return;
	case TAG_LINK_STATS:
		psd_link_stats_reply(&c->ctx, r);
		return;
	case TAG_ALERT_SYNC: /* alerts */
	case TAG_ALERT_RETIRE:
	case TAG_ALERT_SILENCE:
	case TAG_ALERT_SWEEP:
		psd_alerts_reply(&c->ctx, &c->alerts, r);
		return;
	case TAG_CONFIG_SET:
		psd_startup_copy_reply(&c->ctx, &c->startup, r);
		return;
	case TAG_WARM_KEYS:
	case TAG_WARM_ENTRY:
	case TAG_WARM_TIMER:
	case TAG_WARM_COUNT:
	case TAG_WARM_STATE:
		warm_reply(c, r);
		return;
	default:
		psd_startup_reply(&c->ctx, &c->startup, r);
		warm_decision(c, before);
		return;
	}
}

/* A datagram's messages go to links.c; what they say of the dump and of losses, to resync.c. */
static void on_datagram(struct psd_core *c, const uint8_t *bytes, size_t len, bool from_dump)
{
	if (!from_dump) { /* a storm: acknowledgements ride along with its next messages */
		c->dense = c->ctx.now_ns - c->last_datagram_ns < PSD_ACK_LAZY_NS;
		c->last_datagram_ns = c->ctx.now_ns;
	}
	struct psd_nl_verdict v = psd_links_datagram(&c->ctx, &c->links, c->resync.gen,
						     c->resync.dump_seq, bytes, len, from_dump);
	if (v.dump_tainted)
		psd_resync_taint(&c->ctx, &c->resync);
	for (unsigned why = 0; v.losses != 0 && why < _PSD_LOSS_MAX; why++)
		if (v.losses & (1u << why))
			psd_resync_loss(&c->ctx, &c->resync, running(c), (enum psd_nl_loss)why);
	bool first = !c->resync.reconciled;
	if (v.dump_done)
		psd_resync_dump_done(&c->ctx, &c->resync, running(c), c->startup.warm, v.dump_failed);
	if (first && c->resync.reconciled) /* the first complete dump: end of initial update */
		warm_event(c, PSD_WS_DUMP_DONE);
	else if (first && (v.losses != 0 || (v.dump_done && v.dump_failed)))
		warm_event(c, PSD_WS_OVERRUN); /* a new dump will end it */
}

/* The signals the alerts read that other modules own. */
static struct psd_alert_given alert_given(const struct psd_core *c)
{
	return (struct psd_alert_given){
		.redis_up = psd_recovery_dbs_up(&c->recovery),
		.in_flight = c->inflight,
		.writes_pending = c->links.sendq_len,
		.missing_in_appl = c->links.parked,
		.resync_pending = psd_resync_pending(&c->ctx, &c->resync),
	};
}

/* The alerts' evaluation, when due. */
COLD static void alerts_timer(struct psd_core *c)
{
	const struct psd_alert_given g = alert_given(c);
	psd_alerts_timer(&c->ctx, &c->alerts, &g);
}

static void on_timer(struct psd_core *c)
{
	stall_check(c);
	on_retry_due(c);
	psd_recovery_timer(&c->ctx, &c->recovery);
	psd_watch_timer(&c->ctx, &c->watch);
	psd_resync_timer(&c->ctx, &c->resync, running(c));
	if (c->ctx.now_ns >= c->watchdog_due_ns) {
		c->watchdog_due_ns = c->ctx.now_ns + c->ctx.cfg.watchdog_ns / 2;
		if (psd_redis_waited(c->inflight, psd_engine_waiting_since(c), c->ctx.now_ns) <
		    PSD_STALL_NS)
			psd_todo(&c->ctx, TODO_NOTIFY_WATCHDOG);
		else
			psd_log_line(&c->ctx, PSD_LOG_ERROR, "Redis has not answered for 30 s "
						       "(PSD_STALL_NS): watchdog not fed", "");
	}
	if (c->startup.phase == PH_RUNNING)
		alerts_timer(c); /* before the links' re-checks change what they read */
	psd_links_timer(&c->ctx, &c->links);
	psd_port_lines_timer(&c->ctx);
	psd_startup_timer(&c->ctx, &c->startup, c->recovery.all_up);
	warm_timer(c);
}

static int on_start(struct psd_core *c)
{
	if (c->startup.phase != PH_IDLE)
		return -EINVAL;
	c->last_reply_ns = c->ctx.now_ns;
	if (c->ctx.cfg.watchdog_ns != 0)
		c->watchdog_due_ns = c->ctx.now_ns;
	psd_startup_begin(&c->ctx, &c->startup);
	psd_watch_begin(&c->ctx, &c->watch);
	psd_warm_begin(&c->ctx, &c->warm);
	return 0;
}

static int on_db_up_down(struct psd_core *c, const struct psd_event *ev)
{
	if ((unsigned)ev->u.db >= _PSD_DB_MAX ||
	    (ev->type == PSD_EV_DB_DOWN && (unsigned)ev->u.down.cause >= _PSD_DOWN_MAX) ||
	    (ev->type == PSD_EV_DB_UP && c->recovery.db_up[ev->u.db]))
		return -EINVAL;
	if (ev->type == PSD_EV_DB_UP)
		psd_recovery_up(&c->ctx, &c->recovery, ev->u.db);
	else
		psd_recovery_down(&c->ctx, &c->recovery, ev->u.down.db, ev->u.down.cause,
				  ev->u.down.detail);
	return 0;
}

static int on_nl_loss(struct psd_core *c, enum psd_nl_loss loss)
{
	if ((unsigned)loss >= _PSD_LOSS_MAX)
		return -EINVAL;
	if ((loss == PSD_LOSS_DUMP_INTR || loss == PSD_LOSS_DUMP_ENOBUFS) && c->resync.dump_active) {
		/* the dump request failed, or the dump lost datagrams: no event backlog to
		 * discard, a dump to ask again */
		c->ctx.stats.nl_losses[loss] += loss == PSD_LOSS_DUMP_ENOBUFS;
		psd_resync_dump_done(&c->ctx, &c->resync, running(c), c->startup.warm, true);
	} else if (c->startup.phase == PH_RUNNING)
		psd_resync_loss(&c->ctx, &c->resync, running(c), loss);
	if (!c->resync.reconciled)
		warm_event(c, PSD_WS_OVERRUN); /* the first dump is still to come */
	return 0;
}

/* SIGHUP: new timings, log settings and alert rules; nothing changes when one is refused. */
COLD static int on_reconfigure(struct psd_core *c, const struct psd_config *cfg)
{
	struct psd_config next = *cfg;
	if (!timings_valid(&next) || psd_alerts_reload(&c->ctx, &c->alerts, next.alert_rules) < 0)
		return -EINVAL;
	psd_log_line(&c->ctx, PSD_LOG_NOTICE, "configuration reloaded", "");
	c->ctx.cfg.reconnect_min_ns = next.reconnect_min_ns;
	c->ctx.cfg.reconnect_max_ns = next.reconnect_max_ns;
	c->ctx.cfg.redump_interval_ns = next.redump_interval_ns;
	c->ctx.cfg.redis_stall_ns = next.redis_stall_ns;
	c->ctx.cfg.health_failing_ns = next.health_failing_ns;
	c->ctx.cfg.log_level_pinned = next.log_level_pinned;
	c->ctx.cfg.log_output_pinned = next.log_output_pinned;
	if (next.log_level_pinned)
		c->ctx.out.log_level = next.log_level;
	if (next.log_output_pinned)
		c->ctx.out.log_output = next.log_output;
	psd_todo(&c->ctx, TODO_LOG_CONFIG);
	return 0;
}

static int on_shutdown(struct psd_core *c)
{
	if (c->startup.phase >= PH_STOPPING)
		return 0;
	psd_startup_stop(&c->ctx, &c->startup);
	c->exit_deadline_ns = c->ctx.now_ns + PSD_SHUTDOWN_FLUSH_NS;
	psd_todo(&c->ctx, TODO_NOTIFY_STOPPING);
	psd_log_line(&c->ctx, PSD_LOG_NOTICE, "stopping: flushing pending writes", "");
	warm_event(c, PSD_WS_SHUTDOWN);
	return 0;
}

static int on_event(struct psd_core *c, const struct psd_event *ev)
{
	switch (ev->type) {
	case PSD_EV_START:
		return on_start(c);
	case PSD_EV_DB_UP:
	case PSD_EV_DB_DOWN:
		return on_db_up_down(c, ev);
	case PSD_EV_NL_LOSS:
		return on_nl_loss(c, ev->u.loss);
	case PSD_EV_RECONFIGURE:
		return on_reconfigure(c, ev->u.cfg);
	case PSD_EV_NL_DATAGRAM:
		if (c->startup.phase != PH_RUNNING && c->startup.phase != PH_STOPPING)
			return -EINVAL;
		if (ev->u.nl.sender_pid != 0) {
			c->ctx.stats.nl_foreign_sender++;
			psd_log_line(&c->ctx, PSD_LOG_WARN, "netlink: datagram not from the kernel ignored",
				     "");
			return 0;
		}
		if (c->startup.phase == PH_RUNNING &&
		    (ev->u.nl.from_dump ||
		     !psd_resync_stale(&c->ctx, &c->resync, running(c), ev->u.nl.len)))
			on_datagram(c, ev->u.nl.bytes, ev->u.nl.len, ev->u.nl.from_dump);
		return 0;
	case PSD_EV_NL_DRAINED:
		psd_resync_drained(&c->ctx, &c->resync, running(c));
		return 0;
	case PSD_EV_DB_REPLY:
		if (c->inflight == 0)
			return -EINVAL;
		on_reply(c, &ev->u.reply);
		return 0;
	case PSD_EV_IFACES:
		if (c->startup.phase != PH_IFACES || c->startup.old_emitted != 0 ||
		    c->ctx.old.count != 0)
			return -EINVAL;
		psd_startup_ifaces(&c->ctx, &c->startup, ev->u.ifaces.ifaces, ev->u.ifaces.count);
		return 0;
	case PSD_EV_TIMER:
		on_timer(c);
		return 0;
	case PSD_EV_SHUTDOWN:
		return on_shutdown(c);
	case PSD_EV_WATCH_UP:
	case PSD_EV_WATCH_DOWN:
	case PSD_EV_KEYSPACE:
		return psd_engine_watch_event(c, ev);
	}
	return -EINVAL;
}

/* A reply with a command in flight, or the loss of a connection the engine knew up. */
static bool observe_known(const struct psd_core *c, const struct psd_event *ev)
{
	if (ev->type == PSD_EV_DB_REPLY)
		return c->inflight > 0;
	return ev->type == PSD_EV_DB_DOWN && (unsigned)ev->u.db < _PSD_DB_MAX &&
	       c->recovery.db_up[ev->u.db];
}

int psd_core_push(struct psd_core *c, uint64_t now_ns, const struct psd_event *ev)
{
	PSD_ASSERT(now_ns >= c->ctx.now_ns); /* time never goes backwards */
	c->ctx.now_ns = now_ns;
	if (ev->type == PSD_EV_DB_REPLY || ev->type == PSD_EV_DB_UP || ev->type == PSD_EV_DB_DOWN)
		psd_observe_event(&c->ctx, ev, observe_known(c, ev)); /* the others count nothing */
	int r = on_event(c, ev);
	enum psd_db db = ev->type == PSD_EV_DB_UP || ev->type == PSD_EV_DB_DOWN ? ev->u.db :
										   PSD_DB_CONFIG;
	if (c->watch.changed != 0) /* a database watched or not any more */
		psd_engine_watch_changes(c);
	if (wanted(c) != 0 || !c->links.init_done_sent)
		dispatch(c, db);
	if (warm_busy(c)) {
		warm_settle(c);
		if (wanted(c) != 0)
			dispatch(c, db);
	}
	const struct psd_view view = psd_engine_view(c); /* after the event: what health says now */
	psd_engine_health_watch(c, &view);
	if (running(c)) { /* what the event changed that alerts read: an evaluation is due */
		const struct psd_alert_given g = alert_given(c);
		psd_alerts_note(&c->ctx, &c->alerts, &g);
	}
	return r;
}

/* At the flush deadline: counts the ports whose latest state Redis has not acknowledged and
 * names the first PSD_LOST_NAMED of them; returns the count. */
static uint32_t log_lost(struct psd_core *c)
{
	struct psd_text t;
	uint32_t lost = psd_links_unacked(&c->ctx, &c->links);

	c->ctx.stats.writes_lost += lost;
	if (lost == 0 || psd_log_begin(&c->ctx, PSD_LOG_ERROR, &t) == NULL)
		return lost;
	psd_text_str(&t, "stopping with writes still pending: ");
	psd_text_u64(&t, lost);
	psd_text_str(&t, " port states not written to Redis (");
	for (uint32_t i = 0, named = 0; i < c->ctx.ports.high_water && named < PSD_LOST_NAMED; i++) {
		const struct psd_port *p = &c->ctx.ports.ports[i];
		if (!p->used || !(p->queued || p->sent))
			continue;
		psd_text_str(&t, named++ > 0 ? ", " : "");
		psd_text_mem(&t, p->name, p->name_len);
	}
	psd_text_str(&t, lost > PSD_LOST_NAMED ? ", ...)" : ")");
	psd_text_str(&t, c->recovery.all_up ? "" : "; Redis is down");
	psd_log_end(&c->ctx, &t);
	return lost;
}

static bool pull_exit(struct psd_core *c, struct psd_action *ret)
{
	if (c->startup.phase != PH_STOPPING || c->exit_emitted)
		return false;
	bool flushed = c->inflight == 0 && c->links.sendq_len == 0;
	if (!flushed && c->ctx.now_ns < c->exit_deadline_ns)
		return false;
	uint32_t lost = flushed ? 0 : log_lost(c);
	c->exit_emitted = true;
	psd_startup_exited(&c->ctx, &c->startup);
	memset(ret, 0, sizeof(*ret));
	ret->type = PSD_ACT_EXIT;
	ret->u.exit.status = lost > 0 ? PSD_EXIT_WRITES_LOST : c->exit_status;
	ret->u.exit.reason = psd_recovery_fatal(&c->recovery);
	return true;
}

/* A todo's command or notification, with what it carries of the modules. */
COLD static void emit_todo(struct psd_core *c, enum psd_todo t, struct psd_action *ret)
{
	char line[sizeof(c->ctx.out.status) - 8];
	const struct psd_todo_args args = {
		.script_sha = c->startup.script_sha,
		.log_level_text = c->startup.log_level_found ? NULL : c->startup.log_level_text,
		.log_output_text = c->startup.log_output_found ? NULL : c->startup.log_output_text,
		.restore_count = c->startup.restore_count,
		.dump_seq = c->resync.dump_seq,
		.status = line,
	};
	if (t == TODO_NOTIFY_STATUS) {
		struct psd_view v = psd_engine_view(c);
		psd_view_status(&v, line, sizeof(line));
	}
	if (t == TODO_NOTIFY_HEALTH) {
		struct psd_view v = psd_engine_view(c);
		psd_engine_health_line(&v, c->ctx.now_ns, line, sizeof(line));
		c->health_queued = false;
	}
	psd_emit_todo(&c->ctx, t, &args, ret);
}

static bool pull_one(struct psd_core *c, struct psd_action *ret)
{
	enum psd_todo t;
	if ((c->ctx.out.log_len > 0 || c->ctx.stats.log_dropped > c->ctx.out.log_dropped_reported) &&
	    psd_log_take(&c->ctx, ret))
		return true;
	if (c->watch.emit != 0 && psd_watch_pull(&c->ctx, &c->watch, ret))
		return true;
	if (c->recovery.db_connect_emit != 0 && psd_recovery_pull(&c->ctx, &c->recovery, ret))
		return true;
	if (c->startup.copy.pending && c->recovery.all_up) {
		const struct psd_config_copy *cp = &c->startup.copy;
		psd_emit_config_set(&c->ctx, cp->port, cp->field, cp->value, cp->pairs,
				    c->startup.script_sha, ret);
		c->startup.copy.pending = false;
		return true;
	}
	if (c->recovery.all_up && c->warm.states_len > 0 && warm_pull(c, true, ret))
		return true; /* a new state first: STATE_DB never shows the last run's */
	if (psd_todo_take(&c->ctx, c->recovery.all_up,
			  psd_recovery_verifying(&c->ctx, &c->recovery), may_listen(c), &t)) {
		emit_todo(c, t, ret);
		return true;
	}
	if (c->recovery.all_up && warm_busy(c) &&
	    warm_pull(c, c->inflight < c->ctx.lim.inflight_max, ret))
		return true;
	/* start-up's iterated work: the old interfaces, the copy and the prune, a re-copy */
	if (c->recovery.all_up && (!running(c) || c->startup.recopy) &&
	    psd_startup_pull(&c->ctx, &c->startup, c->inflight < c->ctx.lim.inflight_max, ret))
		return true;
	if (c->links.sendq_len > 0 || c->links.appl_read_due)
		return (may_send(c) && psd_links_appl_pull(&c->ctx, &c->links, ret)) ||
		       psd_links_pull(&c->ctx, &c->links, may_send(c), ret) ||
		       (c->startup.phase == PH_STOPPING && pull_exit(c, ret));
	if (c->ctx.linkq.head != PSD_NO_PORT &&
	    psd_link_stats_pull(&c->ctx, may_send(c) && c->startup.phase == PH_RUNNING, ret))
		return true;
	if (c->recovery.all_up && c->inflight < c->ctx.lim.inflight_max && running(c) &&
	    psd_alerts_pull(&c->ctx, &c->alerts, ret))
		return true; /* alerts */
	return c->startup.phase == PH_STOPPING && pull_exit(c, ret);
}

/* A command handed out: in flight until its reply, on its database, under this epoch. */
static void count_sent(struct psd_core *c, struct psd_action *ret)
{
	enum psd_db db = ret->u.cmd.db;
	PSD_ASSERT(c->recovery.db_up[db]); /* nothing is sent to a database that is down */
	ret->u.cmd.tag |= (uint64_t)c->epoch << 32;
	if (c->inflight++ == 0)
		c->inflight_since_ns = c->ctx.now_ns; /* a stall is measured from here or the last reply */
	c->inflight_db[db]++;
	if (lazy_kind(PSD_TAG_KIND(ret->u.cmd.tag))) {
		c->lazy++;
		c->lazy_db[db]++;
	}
}

bool psd_core_pull(struct psd_core *c, struct psd_action *ret)
{
	if (!pull_one(c, ret))
		return false;
	if (ret->type == PSD_ACT_DB_COMMAND)
		count_sent(c, ret);
	psd_observe_action(&c->ctx, ret);
	if (wanted(c) != 0) /* the last old interface brought down ends start-up */
		dispatch(c, PSD_DB_CONFIG);
	return true;
}

/* Until when replies nothing waits on may wait for the next wake-up (0: not now). */
static uint64_t lazy_until(const struct psd_core *c)
{
	return c->dense ? c->last_datagram_ns + PSD_ACK_LAZY_NS : 0;
}

bool psd_core_replies_wanted(const struct psd_core *c)
{
	if (c->inflight == 0)
		return false;
	if (c->inflight > c->lazy || c->links.urgent > 0 || c->ctx.ports.portset_count > 0 ||
	    c->startup.phase != PH_RUNNING || c->inflight >= c->ctx.lim.inflight_max)
		return true; /* a reply something waits on */
	return lazy_until(c) <= c->ctx.now_ns;
}

uint64_t psd_core_next_deadline(const struct psd_core *c)
{
	uint64_t d = c->links.recheck_due_ns;
	uint64_t r = psd_recovery_deadline(&c->ctx, &c->recovery);
	if (r < d)
		d = r;
	if (c->resync.redump_due_ns < d)
		d = c->resync.redump_due_ns;
	if (c->refused_retry_ns < d)
		d = c->refused_retry_ns;
	if (psd_warm_deadline(&c->ctx, &c->warm) < d)
		d = psd_warm_deadline(&c->ctx, &c->warm);
	if (c->watchdog_due_ns < d)
		d = c->watchdog_due_ns;
	if (psd_startup_deadline(&c->startup) < d)
		d = psd_startup_deadline(&c->startup);
	if (psd_watch_deadline(&c->watch) < d)
		d = psd_watch_deadline(&c->watch);
	if (c->ctx.linkq.lines_due_ns < d)
		d = c->ctx.linkq.lines_due_ns; /* suppressed transition lines summarised */
	uint64_t stall = psd_engine_waiting_since(c) + c->ctx.cfg.redis_stall_ns;
	if (c->inflight > 0 && !c->stalled && stall < d)
		d = stall;
	if (c->startup.phase == PH_RUNNING && psd_observe_deadline(&c->ctx) < d)
		d = psd_observe_deadline(&c->ctx);
	if (running(c)) {
		uint64_t a = psd_alerts_deadline(&c->ctx, &c->alerts, psd_recovery_dbs_up(&c->recovery));
		d = a < d ? a : d;
	}
	if (c->startup.phase == PH_STOPPING && c->exit_deadline_ns < d)
		d = c->exit_deadline_ns;
	if (c->inflight > 0 && !psd_core_replies_wanted(c) && lazy_until(c) < d)
		d = lazy_until(c); /* replies left lazily are taken then at the latest */
	struct psd_view v = psd_engine_view(c);
	uint64_t h = psd_view_health_deadline(&v, c->ctx.now_ns); /* the health line changes */
	return h < d ? h : d;
}

