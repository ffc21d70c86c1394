/*
 * Redis connections as state: which databases are up, when to try again, what was lost.
 *
 * A lost connection is an event, never an exit. The core keeps every port's desired state,
 * requeues the commands that were in flight on that connection, sends nothing to a database
 * that is down, and asks the adapter to reconnect after a capped exponential backoff with equal
 * jitter: delay = min(max, min * 2^attempt); wait delay/2 plus a draw from 0 to delay/2.
 *
 * Once every connection is back, a running daemon verifies Redis before it writes again: it
 * loads the producer script again (a restarted Redis forgets scripts), and asks whether STATE_DB
 * still holds restore_count and APPL_DB still holds PortConfigDone. A Redis that came back empty
 * gets the daemon's whole state rewritten: restore_count, every port's STATE_DB entry and, after
 * a cold start, the APPL_DB port entries, PortConfigDone and PortInitDone. A start-up that was
 * interrupted starts again, keeping decisions already taken. A command of the start-up or of a
 * re-copy that Redis refuses (an error reply: MISCONF, OOM, LOADING) makes that work run again
 * after PSD_REFUSED_RETRY_NS, with the connections kept.
 *
 * Invariants: no command goes to a database that is down; inflight equals the sum of
 * inflight_db; memory does not grow with the length of an outage.
 */
#include <string.h>

#include "engine.h"
#include "psd_assert.h"

static const char *const db_names[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

static uint64_t next_random(struct psd_core *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void psd_recovery_init(struct psd_core *c)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		c->db_up[db] = true; /* the adapter connects before PSD_EV_START */
		c->db_connect_due_ns[db] = UINT64_MAX;
	}
	c->rng = c->cfg.seed;
	c->refused_retry_ns = UINT64_MAX;
}

bool psd_all_up(const struct psd_core *c)
{
	return c->db_up[PSD_DB_CONFIG] && c->db_up[PSD_DB_APPL] && c->db_up[PSD_DB_STATE];
}

static uint64_t backoff(struct psd_core *c, enum psd_db db)
{
	uint64_t delay = c->cfg.reconnect_min_ns;
	for (uint32_t i = 1; i < c->db_attempts[db] && delay < c->cfg.reconnect_max_ns; i++)
		delay *= 2;
	if (delay > c->cfg.reconnect_max_ns)
		delay = c->cfg.reconnect_max_ns;
	return delay / 2 + next_random(c) % (delay / 2 + 1);
}

static void schedule_connect(struct psd_core *c, enum psd_db db)
{
	struct psd_text t;
	uint64_t wait = backoff(c, db);
	c->db_connecting[db] = false;
	c->db_connect_due_ns[db] = c->now_ns + wait;
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
		psd_text_str(&t, "Redis: ");
		psd_text_str(&t, db_names[db]);
		psd_text_str(&t, " reconnect attempt ");
		psd_text_u64(&t, c->db_attempts[db]);
		psd_text_str(&t, " in ");
		psd_text_u64(&t, wait / PSD_NS_PER_MS);
		psd_text_str(&t, " ms");
		psd_log_end(c, &t);
	}
}


void psd_recovery_down(struct psd_core *c, enum psd_db db)
{
	if (c->db_up[db]) {
		c->db_up[db] = false;
		c->stats.redis_disconnects++;
		psd_log_line(c, PSD_LOG_ERROR, "Redis: lost the connection to ", db_names[db]);
		PSD_ASSERT(c->inflight >= c->inflight_db[db]);
		c->inflight -= c->inflight_db[db];
		c->inflight_db[db] = 0;
		if (c->inflight == 0)
			psd_stall_end(c, "the connection was lost");
		c->outage = true;
		c->epoch++;
		psd_links_replay(c, db);
		/* queued singleton commands are dropped; what they were for is redone on recovery */
		psd_todo_purge_commands(c);
		if (c->phase < PH_RUNNING && c->phase != PH_IDLE) {
			c->startup_restart = true;
			c->copy.pending = false;
			c->refused_retry_ns = UINT64_MAX; /* the reconnect starts it again */
		}
		c->log_poll_inflight = false;
		if (c->init_done_sent && !c->init_done_acked)
			c->init_done_sent = false; /* sent again once Redis is back */
		c->verify_awaited = 0; /* the verification starts over after this outage */
		c->verify_retry = false;
		c->recopy = false;     /* so does a re-copy of CONFIG_DB */
		if (c->phase >= PH_RUNNING)
			psd_todo(c, TODO_NOTIFY_STATUS);
	} else {
		c->stats.redis_connect_failures++;
	}
	c->db_attempts[db]++;
	schedule_connect(c, db);
}

bool psd_run_id_changed(struct psd_core *c, enum psd_db db, const struct psd_reply *r)
{
	static const char field[] = "run_id:";
	const size_t flen = sizeof(field) - 1;
	char *kept = c->run_id[db];

	if (r->type != PSD_REPLY_STRING || (unsigned)db >= _PSD_DB_MAX)
		return false;
	for (size_t i = 0; i + flen + PSD_RUN_ID_LEN <= r->str.len; i++) {
		if ((i > 0 && r->str.ptr[i - 1] != '\n') || memcmp(r->str.ptr + i, field, flen) != 0)
			continue;
		const char *id = r->str.ptr + i + flen;
		bool changed = kept[0] != '\0' && memcmp(kept, id, PSD_RUN_ID_LEN) != 0;
		memcpy(kept, id, PSD_RUN_ID_LEN);
		kept[PSD_RUN_ID_LEN] = '\0';
		return changed;
	}
	return false;
}

static void begin_verify(struct psd_core *c)
{
	c->verify_awaited = 7; /* verify_restarted stays until a verification completes: a restart
	                        * seen by one that was refused (LOADING) or cut short still counts */
	c->verify_state_lost = false;
	c->verify_appl_found = false;
	c->verify_refused = false;
	c->verify_retry = false;
	psd_todo(c, TODO_VERIFY_SCRIPT);
	psd_todo(c, TODO_VERIFY_STATE);
	psd_todo(c, TODO_VERIFY_APPL);
	psd_todo(c, TODO_VERIFY_STAGED);
	psd_todo(c, TODO_INFO_CONFIG);
	psd_todo(c, TODO_INFO_APPL);
	psd_todo(c, TODO_INFO_STATE);
}

void psd_recovery_up(struct psd_core *c, enum psd_db db)
{
	c->db_up[db] = true;
	c->db_connecting[db] = false;
	c->db_attempts[db] = 0;
	c->db_connect_due_ns[db] = UINT64_MAX;
	psd_log_line(c, PSD_LOG_NOTICE, "Redis: connected again to ", db_names[db]);
	if (!psd_all_up(c) || !c->outage)
		return;
	c->outage = false;
	c->last_reply_ns = c->now_ns;
	if (c->startup_restart) {
		c->startup_restart = false;
		psd_startup_restart(c);
	} else if (c->phase >= PH_RUNNING) {
		begin_verify(c);
	}
}

static void verified(struct psd_core *c)
{
	struct psd_text t;
	bool appl_lost = !c->verify_appl_found;

	if (c->verify_refused) { /* LOADING and the like: Redis cannot say yet; ask again */
		c->verify_retry = true;
		return;
	}
	bool state_restarted = (c->verify_restarted & (1u << PSD_DB_STATE)) != 0;
	c->verify_restarted = 0;
	if (c->verify_state_lost) {
		c->stats.redis_data_lost++;
		psd_todo(c, TODO_RESTORE_REWRITE);
		psd_links_rewrite_all(c);
	} else if (state_restarted) {
		/* a restarted server kept what its last snapshot or AOF held, which may be older than
		 * what we wrote: every port we own is written again, deleted ones deleted again */
		c->stats.redis_restarts++;
		psd_todo(c, TODO_RESTORE_REWRITE);
		psd_links_rewrite_all(c);
		if (c->reconciled) /* the netdevs are known: absent means gone */
			psd_links_reconcile_absent(c, false);
		else /* not yet (a warm start's first dump): that dump reconciles */
			c->restart_reconcile = true;
	}
	if (appl_lost) { /* a warm start's APPL_DB is gone too: nothing is left to keep */
		c->stats.redis_data_lost++;
		psd_recovery_recopy(c);
	}
	if (psd_log_begin(c, c->verify_state_lost || appl_lost ? PSD_LOG_WARN : PSD_LOG_NOTICE,
			  &t) != NULL) {
		psd_text_str(&t, "Redis: recovered; ");
		psd_text_str(&t, c->verify_state_lost ? "STATE_DB was emptied, rewriting every port" :
				 state_restarted ? "STATE_DB's server restarted (new run_id), its data "
						   "may be an older snapshot: rewriting every port" :
						   "STATE_DB kept its data");
		psd_text_str(&t, appl_lost ? "; APPL_DB was emptied, copying CONFIG_DB again"
					   : "; APPL_DB kept its data");
		psd_log_end(c, &t);
	}
	c->refused_log_ns = 0;
	c->refused_repeats = 0;
	psd_links_check_init_done(c);
	psd_todo(c, TODO_NOTIFY_STATUS);
}

void psd_recovery_reply(struct psd_core *c, const struct psd_reply *r)
{
	enum psd_tag_kind kind = PSD_TAG_KIND(r->tag);
	if (c->verify_awaited == 0)
		return; /* a reply to a verification an outage cancelled cannot come: connection gone */
	if (r->type == PSD_REPLY_ERROR) {
		c->stats.db_errors++;
		if (!c->verify_refused) /* one line per verification, whatever the count */
			psd_recovery_retry_later(c, "the check of what it kept", r);
		c->verify_refused = true;
	}
	switch (kind) {
	case TAG_VERIFY_STATE:
		c->verify_state_lost = r->type == PSD_REPLY_NIL;
		break;
	case TAG_VERIFY_APPL:
	case TAG_VERIFY_STAGED:
		c->verify_appl_found |= r->type == PSD_REPLY_INTEGER && r->integer > 0;
		break;
	case TAG_INFO:
		if (psd_run_id_changed(c, (enum psd_db)PSD_TAG_INDEX(r->tag), r))
			c->verify_restarted |= 1u << PSD_TAG_INDEX(r->tag);
		break;
	default:
		break; /* the script's SHA is the same text's SHA: nothing to keep */
	}
	if (--c->verify_awaited == 0)
		verified(c);
}

void psd_recovery_recopy(struct psd_core *c)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++)
		c->ports.ports[i].counted = false; /* counted again as they are copied */
	c->recopy = true;
	c->recopy_refused = false;
	c->cursor = 0;
	c->cursor_replies = 0;
	c->config_written = 0;
}

void psd_recovery_refused(struct psd_core *c, const struct psd_reply *r)
{
	if (c->phase >= PH_RUNNING) {
		c->recopy_refused = c->recopy_refused || c->recopy;
		return; /* the re-copy's end schedules it again */
	}
	if (c->phase == PH_REFUSED || c->phase == PH_IDLE)
		return;
	c->epoch++; /* replies still due belong to the abandoned attempt */
	psd_todo_purge_commands(c);
	c->copy.pending = false;
	c->phase = PH_REFUSED;
	psd_recovery_retry_later(c, "a start-up command", r);
}

void psd_recovery_retry_later(struct psd_core *c, const char *what, const struct psd_reply *r)
{
	struct psd_text t;
	c->refused_retry_ns = c->now_ns + PSD_REFUSED_RETRY_NS;
	if (c->now_ns < c->refused_log_ns) { /* the same refusal every second: one line a minute */
		c->refused_repeats++;
		c->stats.log_suppressed++;
		return;
	}
	c->refused_log_ns = c->now_ns + PSD_LOG_REPEAT_NS;
	if (psd_log_begin(c, PSD_LOG_ERROR, &t) == NULL)
		return;
	psd_text_str(&t, "Redis refused ");
	psd_text_str(&t, what);
	if (r != NULL && r->type == PSD_REPLY_ERROR) {
		psd_text_str(&t, " with ");
		psd_text_reply_error(&t, r);
	}
	psd_text_str(&t, ": trying again in ");
	psd_text_u64(&t, PSD_REFUSED_RETRY_NS / PSD_NS_PER_MS);
	psd_text_str(&t, " ms");
	if (c->refused_repeats > 0) {
		psd_text_str(&t, " (");
		psd_text_u64(&t, c->refused_repeats);
		psd_text_str(&t, " more refusals in the last minute)");
		c->refused_repeats = 0;
	}
	psd_log_end(c, &t);
}

static void refused_timer(struct psd_core *c)
{
	if (c->now_ns < c->refused_retry_ns)
		return;
	c->refused_retry_ns = UINT64_MAX;
	if (!psd_all_up(c) || c->outage)
		return; /* the reconnect starts the work again */
	if (c->phase == PH_REFUSED)
		psd_startup_restart(c);
	else if (c->verify_retry)
		begin_verify(c);
	else if (c->recopy)
		psd_recovery_recopy(c);
}

void psd_recovery_timer(struct psd_core *c)
{
	refused_timer(c);
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (c->db_up[db] || c->db_connecting[db] || c->now_ns < c->db_connect_due_ns[db])
			continue;
		c->db_connecting[db] = true;
		c->db_connect_due_ns[db] = UINT64_MAX;
		c->db_connect_emit |= 1u << db;
	}
}

bool psd_recovery_pull(struct psd_core *c, struct psd_action *ret)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (!(c->db_connect_emit & (1u << db)))
			continue;
		c->db_connect_emit &= ~(1u << db);
		ret->type = PSD_ACT_DB_CONNECT;
		ret->u.db = (enum psd_db)db;
		return true;
	}
	return false;
}

uint64_t psd_recovery_deadline(const struct psd_core *c)
{
	uint64_t d = UINT64_MAX;
	for (int db = 0; db < _PSD_DB_MAX; db++)
		if (c->db_connect_due_ns[db] < d)
			d = c->db_connect_due_ns[db];
	return d;
}
