/*
 * The core's public API (core.h): memory layout, event dispatch, the order in which pull hands
 * out work, timers, logging records and the invariant check.
 *
 * Pull order: log records; a pending producer set (so a port's copy precedes anything queued
 * after its HGETALL reply); singleton work (start-up commands, markers, notifications);
 * iterated start-up work; port commands; the final exit. Commands beyond the producer set and
 * singletons wait while lim.inflight_max commands are unanswered.
 */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "port_fsm.h"
#include "psd_assert.h"

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
	return cfg->reconnect_min_ns >= PSD_RECONNECT_MIN_NS &&
	       cfg->reconnect_max_ns <= PSD_RECONNECT_MAX_NS &&
	       cfg->reconnect_min_ns <= cfg->reconnect_max_ns &&
	       cfg->redump_interval_ns >= PSD_REDUMP_INTERVAL_MIN_NS &&
	       cfg->redump_interval_ns <= PSD_REDUMP_INTERVAL_MAX_NS &&
	       cfg->redis_stall_ns >= PSD_REDIS_STALL_MIN_NS &&
	       cfg->redis_stall_ns <= PSD_REDIS_STALL_MAX_NS &&
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
	c = (struct psd_core *)p;
	memset(c, 0, sizeof(*c));
	p += align8(sizeof(*c));
	c->lim = *lim;
	c->cfg = checked;
	psd_port_table_init(&c->ports, p, lim->ports_max);
	p += align8(psd_port_table_size(lim->ports_max));
	psd_imap_init(&c->old_by_ifindex, p, lim->ports_max);
	p += align8(psd_imap_size(lim->ports_max));
	c->old_ifaces = (struct psd_old_iface *)p;
	p += align8((size_t)lim->ports_max * sizeof(struct psd_old_iface));
	c->sendq = (uint32_t *)p;

	c->phase = PH_IDLE;
	c->log_level = cfg->log_level_pinned ? cfg->log_level : PSD_LOG_NOTICE;
	c->log_output = cfg->log_output_pinned ? cfg->log_output : PSD_LOG_SYSLOG;
	c->park_head = c->park_tail = PSD_NO_PORT;
	c->recheck_due_ns = UINT64_MAX;
	c->log_poll_due_ns = UINT64_MAX;
	c->exit_deadline_ns = UINT64_MAX;
	c->redump_due_ns = UINT64_MAX;
	c->watchdog_due_ns = UINT64_MAX;
	psd_recovery_init(c);
	psd_observe_init(c);
	psd_warm_init(c);
	*ret = c;
	return 0;
}

void psd_todo(struct psd_core *c, enum psd_todo t)
{
	PSD_ASSERT(c->todo_len < PSD_TODO_RING); /* bounded by the phases: a few per step */
	c->todo[(c->todo_head + c->todo_len) % PSD_TODO_RING] = (uint8_t)t;
	c->todo_len++;
}

void psd_todo_purge_commands(struct psd_core *c)
{
	uint32_t kept = 0;
	uint8_t keep[PSD_TODO_RING];
	for (uint32_t i = 0; i < c->todo_len; i++) {
		uint8_t t = c->todo[(c->todo_head + i) % PSD_TODO_RING];
		if (!psd_todo_is_command((enum psd_todo)t))
			keep[kept++] = t;
	}
	memcpy(c->todo, keep, kept);
	c->todo_head = 0;
	c->todo_len = kept;
}

struct psd_text *psd_log_begin(struct psd_core *c, enum psd_log_level level, struct psd_text *t)
{
	if (level > c->log_level)
		return NULL;
	if (c->log_len == PSD_LOG_RING) {
		c->stats.log_dropped++; /* the oldest record gives way */
		c->log_head = (c->log_head + 1) % PSD_LOG_RING;
		c->log_len--;
	}
	struct psd_log_record *rec = &c->logs[(c->log_head + c->log_len) % PSD_LOG_RING];
	rec->level = level;
	psd_text_init(t, rec->text, sizeof(rec->text));
	return t;
}

void psd_log_end(struct psd_core *c, struct psd_text *t)
{
	PSD_ASSERT(c->log_len < PSD_LOG_RING);
	PSD_ASSERT(t->buf == c->logs[(c->log_head + c->log_len) % PSD_LOG_RING].text);
	c->log_len++;
}

void psd_log_line(struct psd_core *c, enum psd_log_level level, const char *a, const char *b)
{
	struct psd_text t;
	if (psd_log_begin(c, level, &t) == NULL)
		return;
	psd_text_str(&t, a);
	psd_text_str(&t, b);
	psd_log_end(c, &t);
}

bool psd_reply_error_is(const struct psd_reply *r, const char *code)
{
	size_t n = strlen(code);
	return r->type == PSD_REPLY_ERROR && r->str.len >= n && memcmp(r->str.ptr, code, n) == 0 &&
	       (r->str.len == n || r->str.ptr[n] == ' ');
}

void psd_text_reply_error(struct psd_text *t, const struct psd_reply *r)
{
	psd_text_str(t, "'");
	psd_text_escaped(t, r->str.ptr, r->type == PSD_REPLY_ERROR ? r->str.len : 0);
	psd_text_str(t, "'");
}

/* What the warm-restart module asks for (warm.h). */
static void warm_requests(struct psd_core *c, unsigned req)
{
	if (req & PSD_WARM_REQ_RECONCILE)
		psd_links_reconcile_absent(c, true);
	if (req & PSD_WARM_REQ_CONFIG_DONE) {
		c->config_written = c->config_ports;
		psd_todo(c, TODO_CONFIG_DONE);
	}
}

static void warm(struct psd_core *c, enum psd_warm_sym sym)
{
	enum psd_warm_state was = psd_warm_current(c);
	warm_requests(c, psd_warm_event(c, sym));
	if (c->warm && psd_warm_current(c) != was)
		psd_todo(c, TODO_NOTIFY_STATUS); /* STATUS= says where a warm restart is */
}

/* The start-up replies that decide warm or cold are the machine's first inputs. */
static void warm_decision(struct psd_core *c, enum psd_phase before)
{
	if (before == PH_WARM_ENABLE && c->phase == PH_RESTORE_GET)
		warm(c, PSD_WS_ENABLED);
	else if (before == PH_WARM_ENABLE && c->phase == PH_RESTORE_SET)
		warm(c, PSD_WS_NOT_ENABLED);
	else if (before == PH_RESTORE_GET && c->phase == PH_RESTORE_SET)
		warm(c, c->warm ? PSD_WS_COUNT : PSD_WS_NO_COUNT);
}

static uint64_t redis_losses(const struct psd_core *c)
{
	return c->stats.redis_data_lost + c->stats.redis_restarts;
}

static uint64_t nl_losses(const struct psd_core *c)
{
	uint64_t n = 0;
	for (int i = 0; i < _PSD_LOSS_MAX; i++)
		n += c->stats.nl_losses[i];
	return n;
}

static void on_reply(struct psd_core *c, const struct psd_reply *r)
{
	enum psd_phase before = c->phase;
	uint64_t lost = redis_losses(c);

	enum psd_db db = PSD_TAG_DB(r->tag);
	PSD_ASSERT(db < _PSD_DB_MAX && c->inflight_db[db] > 0);
	c->inflight--;
	c->inflight_db[db]--;
	c->last_reply_ns = c->now_ns;
	psd_stall_end(c, "Redis answers again");
	if (!psd_tag_is_port_command(PSD_TAG_KIND(r->tag)) && PSD_TAG_EPOCH(r->tag) != c->epoch)
		return; /* a singleton from before an outage: recovery redid its work */
	switch (PSD_TAG_KIND(r->tag)) {
	case TAG_VERIFY_SCRIPT:
	case TAG_VERIFY_STATE:
	case TAG_VERIFY_APPL:
	case TAG_VERIFY_STAGED:
		psd_recovery_reply(c, r);
		if (redis_losses(c) != lost)
			warm(c, PSD_WS_REDIS_LOST);
		return;
	case TAG_INFO:
		if (c->phase >= PH_RUNNING)
			psd_recovery_reply(c, r);
		else
			psd_startup_reply(c, r);
		if (redis_losses(c) != lost)
			warm(c, PSD_WS_REDIS_LOST);
		return;
	case TAG_WARM_KEYS:
	case TAG_WARM_ENTRY:
	case TAG_WARM_TIMER:
	case TAG_WARM_COUNT:
	case TAG_WARM_STATE:
		warm_requests(c, psd_warm_reply(c, r));
		return;
	case TAG_REWRITE:
		c->stats.db_errors += r->type == PSD_REPLY_ERROR;
		return;
	case TAG_POLL_LEVEL:
	case TAG_POLL_OUTPUT:
		psd_logger_reply(c, r);
		return;
	case TAG_LOOKUP:
	case TAG_WRITE:
	case TAG_DELETE:
	case TAG_INIT_DONE:
		psd_links_reply(c, r);
		return;
	case TAG_LINK_STATS:
		psd_link_stats_reply(c, r);
		return;
	case TAG_CONFIG_SET:
		if (r->type == PSD_REPLY_ERROR) {
			c->stats.db_errors++;
			psd_log_line(c, PSD_LOG_ERROR, "APPL_DB producer set failed for ",
				     c->ports.ports[PSD_TAG_INDEX(r->tag)].name);
			psd_recovery_refused(c, r);
		}
		return;
	default:
		psd_startup_reply(c, r);
		warm_decision(c, before);
		return;
	}
}

/* Since when the oldest unanswered command has waited, at the latest. */
static uint64_t waiting_since(const struct psd_core *c)
{
	return c->last_reply_ns > c->inflight_since_ns ? c->last_reply_ns : c->inflight_since_ns;
}

static bool healthy(const struct psd_core *c)
{
	/* commands unanswered for PSD_STALL_NS on live connections: something is wedged */
	return c->inflight == 0 || c->now_ns - waiting_since(c) < PSD_STALL_NS;
}

static void stall_check(struct psd_core *c)
{
	struct psd_text t;
	if (c->stalled || c->inflight == 0 || c->now_ns - waiting_since(c) < c->cfg.redis_stall_ns)
		return;
	c->stalled = true;
	c->stall_since_ns = waiting_since(c);
	c->stats.redis_stalls++;
	psd_todo(c, TODO_NOTIFY_STATUS);
	if (psd_log_begin(c, PSD_LOG_WARN, &t) == NULL)
		return;
	psd_text_str(&t, "Redis: stalled, no reply for ");
	psd_text_u64(&t, (c->now_ns - c->stall_since_ns) / PSD_NS_PER_MS);
	psd_text_str(&t, " ms with ");
	psd_text_u64(&t, c->inflight);
	psd_text_str(&t, " commands unanswered (redis_stall_ms ");
	psd_text_u64(&t, c->cfg.redis_stall_ns / PSD_NS_PER_MS);
	psd_text_str(&t, ")");
	psd_log_end(c, &t);
}

void psd_stall_end(struct psd_core *c, const char *how)
{
	struct psd_text t;
	if (!c->stalled)
		return;
	c->stalled = false;
	psd_todo(c, TODO_NOTIFY_STATUS);
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
		return;
	psd_text_str(&t, "Redis: stall over after ");
	psd_text_u64(&t, (c->now_ns - c->stall_since_ns) / PSD_NS_PER_MS);
	psd_text_str(&t, " ms: ");
	psd_text_str(&t, how);
	psd_log_end(c, &t);
}

bool psd_tag_is_port_command(enum psd_tag_kind kind)
{
	/* a port's commands survive other connections' outages: lost ones are replayed */
	return kind == TAG_LOOKUP || kind == TAG_WRITE || kind == TAG_DELETE;
}

static void on_timer(struct psd_core *c)
{
	stall_check(c);
	psd_recovery_timer(c);
	psd_resync_timer(c);
	if (c->now_ns >= c->watchdog_due_ns) {
		c->watchdog_due_ns = c->now_ns + c->cfg.watchdog_ns / 2;
		if (healthy(c))
			psd_todo(c, TODO_NOTIFY_WATCHDOG);
		else
			psd_log_line(c, PSD_LOG_ERROR, "Redis has not answered for 30 s "
						       "(PSD_STALL_NS): watchdog not fed", "");
	}
	psd_links_timer(c);
	warm_requests(c, psd_warm_timer(c));
	if (c->phase == PH_RUNNING && c->now_ns >= c->log_poll_due_ns) {
		c->log_poll_due_ns = c->now_ns + PSD_LOGGER_POLL_NS;
		if (!c->log_poll_inflight && psd_all_up(c)) {
			c->log_poll_inflight = true;
			psd_todo(c, TODO_POLL_LOG_LEVEL);
			psd_todo(c, TODO_POLL_LOG_OUTPUT);
		}
	}
}

static int push(struct psd_core *c, uint64_t now_ns, const struct psd_event *ev);

int psd_core_push(struct psd_core *c, uint64_t now_ns, const struct psd_event *ev)
{
	bool dumped = c->reconciled;
	uint64_t losses = nl_losses(c);
	int r = push(c, now_ns, ev);

	if (!dumped && c->reconciled) /* the first complete link dump: end of initial update */
		warm(c, PSD_WS_DUMP_DONE);
	else if (nl_losses(c) != losses && !c->reconciled)
		warm(c, PSD_WS_OVERRUN);
	warm_requests(c, psd_warm_settle(c));
	return r;
}

static int push(struct psd_core *c, uint64_t now_ns, const struct psd_event *ev)
{
	PSD_ASSERT(now_ns >= c->now_ns); /* time never goes backwards */
	c->now_ns = now_ns;
	psd_observe_event(c, ev);
	switch (ev->type) {
	case PSD_EV_START:
		if (c->phase != PH_IDLE)
			return -EINVAL;
		c->last_reply_ns = now_ns;
		if (c->cfg.watchdog_ns != 0)
			c->watchdog_due_ns = now_ns;
		psd_startup_begin(c);
		psd_warm_begin(c);
		return 0;
	case PSD_EV_DB_UP:
	case PSD_EV_DB_DOWN:
		if ((unsigned)ev->u.db >= _PSD_DB_MAX ||
		    (ev->type == PSD_EV_DB_UP && c->db_up[ev->u.db]))
			return -EINVAL;
		if (ev->type == PSD_EV_DB_UP)
			psd_recovery_up(c, ev->u.db);
		else
			psd_recovery_down(c, ev->u.db);
		if (ev->type == PSD_EV_DB_DOWN)
			warm(c, PSD_WS_REDIS_DOWN);
		else if (psd_all_up(c))
			warm(c, PSD_WS_REDIS_UP);
		return 0;
	case PSD_EV_NL_LOSS:
		if ((unsigned)ev->u.loss >= _PSD_LOSS_MAX)
			return -EINVAL;
		if ((ev->u.loss == PSD_LOSS_DUMP_INTR || ev->u.loss == PSD_LOSS_DUMP_ENOBUFS) &&
		    c->dump_active) {
			/* the dump request failed, or the dump lost datagrams: no event backlog to
			 * discard, a dump to ask again */
			c->stats.nl_losses[ev->u.loss] += ev->u.loss == PSD_LOSS_DUMP_ENOBUFS;
			psd_resync_dump_done(c, true);
		} else if (c->phase == PH_RUNNING)
			psd_resync_loss(c, ev->u.loss);
		return 0;
	case PSD_EV_RECONFIGURE: {
		struct psd_config next = *ev->u.cfg;
		if (!timings_valid(&next))
			return -EINVAL;
		psd_log_line(c, PSD_LOG_NOTICE, "configuration reloaded", "");
		c->cfg.reconnect_min_ns = next.reconnect_min_ns;
		c->cfg.reconnect_max_ns = next.reconnect_max_ns;
		c->cfg.redump_interval_ns = next.redump_interval_ns;
		c->cfg.redis_stall_ns = next.redis_stall_ns;
		c->cfg.log_level_pinned = next.log_level_pinned;
		c->cfg.log_output_pinned = next.log_output_pinned;
		if (next.log_level_pinned)
			c->log_level = next.log_level;
		if (next.log_output_pinned)
			c->log_output = next.log_output;
		psd_todo(c, TODO_LOG_CONFIG);
		return 0;
	}
	case PSD_EV_NL_DATAGRAM:
		if (c->phase != PH_RUNNING && c->phase != PH_STOPPING)
			return -EINVAL;
		if (ev->u.nl.sender_pid != 0) {
			c->stats.nl_foreign_sender++;
			psd_log_line(c, PSD_LOG_WARN, "netlink: datagram not from the kernel ignored", "");
			return 0;
		}
		if (c->phase == PH_RUNNING && (ev->u.nl.from_dump || !psd_resync_stale(c, ev->u.nl.len)))
			psd_links_datagram(c, ev->u.nl.bytes, ev->u.nl.len, ev->u.nl.from_dump);
		return 0;
	case PSD_EV_NL_DRAINED:
		psd_resync_drained(c);
		return 0;
	case PSD_EV_DB_REPLY:
		if (c->inflight == 0)
			return -EINVAL;
		on_reply(c, &ev->u.reply);
		return 0;
	case PSD_EV_IFACES:
		if (c->phase != PH_IFACES || c->old_emitted != 0 || c->old_count != 0)
			return -EINVAL;
		psd_startup_ifaces(c, ev->u.ifaces.ifaces, ev->u.ifaces.count);
		return 0;
	case PSD_EV_TIMER:
		on_timer(c);
		return 0;
	case PSD_EV_SHUTDOWN:
		if (c->phase >= PH_STOPPING)
			return 0;
		c->phase = PH_STOPPING;
		c->exit_deadline_ns = now_ns + PSD_SHUTDOWN_FLUSH_NS;
		psd_todo(c, TODO_NOTIFY_STOPPING);
		psd_log_line(c, PSD_LOG_NOTICE, "stopping: flushing pending writes", "");
		warm(c, PSD_WS_SHUTDOWN);
		return 0;
	}
	return -EINVAL;
}

/* At the flush deadline: counts the ports whose latest state Redis has not acknowledged and
 * names the first PSD_LOST_NAMED of them; returns the count. */
static uint32_t log_lost(struct psd_core *c)
{
	struct psd_text t;
	uint32_t lost = 0;

	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		lost += p->used && (p->queued || p->sent);
	}
	c->stats.writes_lost += lost;
	if (lost == 0 || psd_log_begin(c, PSD_LOG_ERROR, &t) == NULL)
		return lost;
	psd_text_str(&t, "stopping with writes still pending: ");
	psd_text_u64(&t, lost);
	psd_text_str(&t, " port states not written to Redis (");
	for (uint32_t i = 0, named = 0; i < c->ports.high_water && named < PSD_LOST_NAMED; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		if (!p->used || !(p->queued || p->sent))
			continue;
		psd_text_str(&t, named++ > 0 ? ", " : "");
		psd_text_mem(&t, p->name, p->name_len);
	}
	psd_text_str(&t, lost > PSD_LOST_NAMED ? ", ...)" : ")");
	psd_text_str(&t, psd_all_up(c) ? "" : "; Redis is down");
	psd_log_end(c, &t);
	return lost;
}

static bool pull_exit(struct psd_core *c, struct psd_action *ret)
{
	if (c->phase != PH_STOPPING || c->exit_emitted)
		return false;
	bool flushed = c->inflight == 0 && c->sendq_len == 0;
	if (!flushed && c->now_ns < c->exit_deadline_ns)
		return false;
	uint32_t lost = flushed ? 0 : log_lost(c);
	c->exit_emitted = true;
	c->phase = PH_EXITED;
	memset(ret, 0, sizeof(*ret));
	ret->type = PSD_ACT_EXIT;
	ret->u.exit.status = lost > 0 ? PSD_EXIT_WRITES_LOST : c->exit_status;
	return true;
}

/* The oldest singleton that can go now: commands wait while a database is down. */
static bool pull_todo(struct psd_core *c, struct psd_action *ret)
{
	bool up = psd_all_up(c);
	for (uint32_t i = 0; i < c->todo_len; i++) {
		uint32_t at = (c->todo_head + i) % PSD_TODO_RING;
		enum psd_todo t = (enum psd_todo)c->todo[at];
		if (!up && psd_todo_is_command(t))
			continue;
		if (t == TODO_NL_LISTEN && !psd_warm_may_listen(c))
			continue; /* a warm start applies no link message before its restore */
		for (uint32_t k = i; k > 0; k--) /* close the gap; the ring holds a few entries */
			c->todo[(c->todo_head + k) % PSD_TODO_RING] =
				c->todo[(c->todo_head + k - 1) % PSD_TODO_RING];
		c->todo_head = (c->todo_head + 1) % PSD_TODO_RING;
		c->todo_len--;
		psd_emit_todo(c, t, ret);
		return true;
	}
	return false;
}

static bool pull_one(struct psd_core *c, struct psd_action *ret)
{
	if (c->log_len == 0 && c->stats.log_dropped > c->log_dropped_reported) {
		struct psd_text t; /* said once the ring has room: how many records it lost */
		uint64_t n = c->stats.log_dropped - c->log_dropped_reported;
		c->log_dropped_reported = c->stats.log_dropped;
		if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
			psd_text_str(&t, "log: ");
			psd_text_u64(&t, n);
			psd_text_str(&t, " records lost (more than PSD_LOG_RING, 64, between two "
					 "pulls); lost in all: ");
			psd_text_u64(&t, c->stats.log_dropped);
			psd_log_end(c, &t);
		}
	}
	if (c->log_len > 0) {
		const struct psd_log_record *rec = &c->logs[c->log_head];
		memset(ret, 0, sizeof(*ret));
		ret->type = PSD_ACT_LOG;
		ret->u.log.level = rec->level;
		ret->u.log.text = rec->text;
		c->log_head = (c->log_head + 1) % PSD_LOG_RING;
		c->log_len--;
		return true;
	}
	if (psd_recovery_pull(c, ret))
		return true;
	if (c->copy.pending && psd_all_up(c)) {
		psd_emit_config_set(c, ret);
		c->copy.pending = false;
		return true;
	}
	if (pull_todo(c, ret))
		return true;
	if (psd_all_up(c) && psd_warm_pull(c, ret))
		return true;
	if (psd_all_up(c) && psd_startup_pull(c, ret))
		return true;
	if (psd_links_pull(c, ret))
		return true;
	if (psd_link_stats_pull(c, ret))
		return true;
	return pull_exit(c, ret);
}

bool psd_core_pull(struct psd_core *c, struct psd_action *ret)
{
	if (!pull_one(c, ret))
		return false;
	psd_observe_action(c, ret);
	return true;
}

uint64_t psd_core_next_deadline(const struct psd_core *c)
{
	uint64_t d = c->recheck_due_ns;
	uint64_t r = psd_recovery_deadline(c);
	if (r < d)
		d = r;
	if (c->redump_due_ns < d)
		d = c->redump_due_ns;
	if (c->refused_retry_ns < d)
		d = c->refused_retry_ns;
	if (psd_warm_deadline(c) < d)
		d = psd_warm_deadline(c);
	if (c->watchdog_due_ns < d)
		d = c->watchdog_due_ns;
	if (c->phase == PH_RUNNING && c->log_poll_due_ns < d)
		d = c->log_poll_due_ns;
	if (c->inflight > 0 && !c->stalled && waiting_since(c) + c->cfg.redis_stall_ns < d)
		d = waiting_since(c) + c->cfg.redis_stall_ns;
	/* once due, link stats go with the next pull; a deadline then would only spin the loop */
	if (c->phase == PH_RUNNING && c->stats_len > 0 && c->stats_due_ns > c->now_ns &&
	    c->stats_due_ns < d)
		d = c->stats_due_ns;
	if (c->phase == PH_STOPPING && c->exit_deadline_ns < d)
		d = c->exit_deadline_ns;
	return d;
}

void psd_core_check(const struct psd_core *c)
{
	uint32_t queued = 0, parked = 0, portset = 0, configured = 0;

	psd_warm_check(c);
	PSD_ASSERT(c->sendq_len <= c->ports.capacity);
	PSD_ASSERT(c->inflight == c->inflight_db[0] + c->inflight_db[1] + c->inflight_db[2]);
	for (int db = 0; db < _PSD_DB_MAX; db++)
		PSD_ASSERT(c->db_up[db] || c->inflight_db[db] == 0);
	PSD_ASSERT(c->todo_len <= PSD_TODO_RING);
	PSD_ASSERT(c->log_len <= PSD_LOG_RING);
	PSD_ASSERT(c->ports.high_water <= c->ports.capacity);
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		if (!p->used)
			continue;
		PSD_ASSERT(psd_port_find(&c->ports, p->name, p->name_len) == i);
		PSD_ASSERT(!(p->queued && p->sent));
		PSD_ASSERT(!p->parked || (!p->queued && !p->sent));
		if (p->ifindex != 0)
			PSD_ASSERT(psd_imap_get(&c->ports.by_ifindex, p->ifindex) == i);
		queued += p->queued;
		parked += p->parked;
		portset += p->in_portset;
		configured += p->configured;
		if (p->in_portset)
			PSD_ASSERT(p->configured);
	}
	PSD_ASSERT(queued == c->sendq_len);
	PSD_ASSERT(parked == c->parked);
	PSD_ASSERT(portset == c->portset_count);
	PSD_ASSERT(configured == c->config_ports);
	uint32_t stats_queued = 0;
	for (uint32_t i = c->stats_head; i != PSD_NO_PORT; i = c->ports.ports[i].stats_next) {
		PSD_ASSERT(c->ports.ports[i].used && c->ports.ports[i].stats_queued);
		PSD_ASSERT(++stats_queued <= c->stats_len);
	}
	PSD_ASSERT(stats_queued == c->stats_len);
	PSD_ASSERT((c->parked == 0 && !c->init_done_retry) || c->recheck_due_ns != UINT64_MAX);
	for (uint32_t n = 0, i = c->park_head; i != PSD_NO_PORT; i = c->ports.ports[i].park_next) {
		PSD_ASSERT(c->ports.ports[i].parked);
		PSD_ASSERT(++n <= c->parked);
	}
}

const struct psd_stats *psd_core_stats(const struct psd_core *c)
{
	return &c->stats;
}

static const char *const phase_names[] = {
	[PH_IDLE] = "idle",         [PH_LOGGER] = "starting",      [PH_LOGGER_SET] = "starting",
	[PH_SWITCH_TYPE] = "starting", [PH_WARM_ENABLE] = "starting", [PH_RESTORE_GET] = "starting",
	[PH_RESTORE_SET] = "starting", [PH_KEYS] = "reading-config", [PH_CONFIG_COPY] = "copying-config",
	[PH_CONFIG_DONE] = "copying-config", [PH_PRUNE] = "pruning", [PH_IFACES] = "old-interfaces",
	[PH_REFUSED] = "refused-retrying",
	[PH_RUNNING] = "running",   [PH_STOPPING] = "stopping",    [PH_EXITED] = "exited",
};

size_t psd_core_status(const struct psd_core *c, char *buf, size_t size)
{
	struct psd_text t;
	psd_text_init(&t, buf, size);
	psd_text_str(&t, phase_names[c->phase]);
	psd_text_str(&t, c->warm ? " (warm)" : " (cold)");
	psd_text_str(&t, "; ports ");
	psd_text_u64(&t, psd_port_count(&c->ports));
	psd_text_str(&t, ", configured ");
	psd_text_u64(&t, c->config_ports);
	psd_text_str(&t, ", awaited ");
	psd_text_u64(&t, c->portset_count);
	psd_text_str(&t, ", pending writes ");
	psd_text_u64(&t, (uint64_t)c->sendq_len + c->inflight);
	psd_text_str(&t, ", missing in APPL_DB ");
	psd_text_u64(&t, c->parked);
	psd_text_str(&t, !psd_all_up(c) ? "; Redis down, reconnecting" :
			 c->stalled    ? "; Redis stalled, not answering" :
					 "; Redis up");
	if (c->redump_wanted || c->dump_active)
		psd_text_str(&t, "; netlink resync");
	if (c->warm) {
		psd_text_str(&t, "; warm restart ");
		psd_text_str(&t, psd_warm_state_name(psd_warm_current(c)));
	}
	psd_text_str(&t, c->init_done_sent ? "; PortInitDone sent" : "");
	return t.len;
}

bool psd_core_port_init_done(const struct psd_core *c)
{
	return c->init_done_sent;
}

uint32_t psd_core_ports_in_use(const struct psd_core *c)
{
	return psd_port_count(&c->ports);
}

static const char *const level_names[_PSD_LOG_LEVEL_MAX] = {
	"EMERG", "ALERT", "CRIT", "ERROR", "WARN", "NOTICE", "INFO", "DEBUG",
};
static const char *const output_names[_PSD_LOG_OUTPUT_MAX] = {"SYSLOG", "STDOUT", "STDERR"};

const char *psd_log_level_name(enum psd_log_level l)
{
	return (unsigned)l < _PSD_LOG_LEVEL_MAX ? level_names[l] : "?";
}

const char *psd_log_output_name(enum psd_log_output o)
{
	return (unsigned)o < _PSD_LOG_OUTPUT_MAX ? output_names[o] : "?";
}

static int lookup_name(const char *const *names, int n, const char *s, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -EINVAL;
}

int psd_log_level_parse(const char *s, size_t len, enum psd_log_level *ret)
{
	int i = lookup_name(level_names, _PSD_LOG_LEVEL_MAX, s, len);
	if (i < 0)
		return i;
	*ret = (enum psd_log_level)i;
	return 0;
}

int psd_log_output_parse(const char *s, size_t len, enum psd_log_output *ret)
{
	int i = lookup_name(output_names, _PSD_LOG_OUTPUT_MAX, s, len);
	if (i < 0)
		return i;
	*ret = (enum psd_log_output)i;
	return 0;
}
