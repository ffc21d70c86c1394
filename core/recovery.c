/*
 * Redis connections as state: which databases are up, when to try again, what was lost.
 *
 * A lost connection is an event, never an exit: this module marks the database down, asks the
 * engine to carry out the outage (PSD_WANT_OUTAGE: the commands in flight on it are requeued by
 * links.c, start-up notes it must run again), and asks the adapter to reconnect after a capped
 * exponential backoff with equal jitter: delay = min(max, min * 2^attempt); wait delay/2 plus a
 * draw from 0 to delay/2.
 *
 * Once every connection is back (PSD_WANT_RECONNECTED), a running daemon verifies Redis before it
 * writes again: it loads the producer script again (a restarted Redis forgets scripts), and asks
 * whether STATE_DB still holds restore_count and APPL_DB still holds PortConfigDone, and which
 * server answers (run_id). What it finds it hands to the engine as wants: a Redis that came back
 * empty gets every port's STATE_DB entry rewritten and, after a cold start, the APPL_DB port
 * entries copied again; a restarted one (new run_id) gets the rewrite and a reconciliation. A
 * verification Redis refuses (LOADING) runs again after PSD_REFUSED_RETRY_NS.
 *
 * Invariants: all_up is the conjunction of db_up; a database that is up has no reconnect pending;
 * memory does not grow with the length of an outage.
 */
#include <string.h>

#include "ctx.h"
#include "outbox.h"
#include "recovery.h"
#include "psd_assert.h"
#include "work.h"

static const char *const db_names[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

static uint64_t next_random(struct psd_ctx *c, struct psd_recovery *rec)
{
	uint64_t z = (rec->rng += 0x9e3779b97f4a7c15ull); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void psd_recovery_init(struct psd_ctx *c, struct psd_recovery *rec)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		rec->db_up[db] = true; /* the adapter connects before PSD_EV_START */
		rec->db_connect_due_ns[db] = UINT64_MAX;
	}
	rec->all_up = true;
	rec->rng = c->cfg.seed;
}

static void set_up(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db, bool up)
{
	rec->db_up[db] = up;
	rec->all_up = rec->db_up[PSD_DB_CONFIG] && rec->db_up[PSD_DB_APPL] &&
			     rec->db_up[PSD_DB_STATE];
}

bool psd_recovery_verifying(const struct psd_ctx *c, const struct psd_recovery *rec)
{
	return rec->verify_awaited > 0 || rec->verify_retry;
}

static uint64_t backoff(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db)
{
	uint64_t delay = c->cfg.reconnect_min_ns;
	for (uint32_t i = 1; i < rec->db_attempts[db] && delay < c->cfg.reconnect_max_ns; i++)
		delay *= 2;
	if (delay > c->cfg.reconnect_max_ns)
		delay = c->cfg.reconnect_max_ns;
	return delay / 2 + next_random(c, rec) % (delay / 2 + 1);
}

static void schedule_connect(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db)
{
	rec->db_connecting[db] = false;
	rec->db_connect_due_ns[db] = c->now_ns + backoff(c, rec, db);
}

static const char *cause_text(enum psd_db_down_cause cause)
{
	switch (cause) {
	case PSD_DOWN_AUTH:
		return "asks for a password (SONiC's Redis has none): ";
	case PSD_DOWN_NO_DB:
		return "has no such database: ";
	case PSD_DOWN_PROTOCOL:
		return "broke the protocol, connection dropped (every port is written again once it "
		       "is back): ";
	default:
		return "";
	}
}

/* Before a database ever answered, a password asked or a database number out of range is the
 * configuration's fault: no retry can mend it. */
static bool fatal(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db,
		  enum psd_db_down_cause cause, const char *detail)
{
	if ((cause != PSD_DOWN_AUTH && cause != PSD_DOWN_NO_DB) ||
	    c->stats.db_replies_ok[db] + c->stats.db_replies_error[db] > 0 || rec->fatal[0])
		return false;
	struct psd_text t;
	psd_text_init(&t, rec->fatal, sizeof(rec->fatal));
	psd_text_str(&t, detail);
	if (cause == PSD_DOWN_NO_DB) {
		psd_text_str(&t, " (DATABASES.");
		psd_text_str(&t, db_names[db]);
		psd_text_str(&t, ".id in the database config); exiting");
	} else {
		psd_text_str(&t, ": Redis asks for a password for ");
		psd_text_str(&t, db_names[db]);
		psd_text_str(&t, ", and SONiC's Redis has none (does the database config name the "
				 "right Redis?); exiting");
	}
	psd_log_line(c, PSD_LOG_CRIT, rec->fatal, "");
	rec->wants |= PSD_WANT_FATAL;
	return true;
}

/* A failed attempt: the first of a kind in full, then a line a minute with the count. */
static void log_failure(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db,
			enum psd_db_down_cause cause, const char *detail)
{
	struct psd_text t;
	char *why = rec->failing_why[db];
	if (strncmp(why, detail, sizeof(rec->failing_why[db]) - 1) != 0) {
		psd_repeat_end(&rec->failing[db]); /* failing another way: said at once */
		psd_text_init(&t, why, sizeof(rec->failing_why[db]));
		psd_text_str(&t, detail);
	}
	enum psd_repeat_say say = psd_repeat_note(&rec->failing[db], c->now_ns);
	if (say == PSD_REPEAT_QUIET) {
		c->stats.log_suppressed++;
		return;
	}
	if (psd_log_begin(c, say == PSD_REPEAT_FIRST ? PSD_LOG_WARN : PSD_LOG_NOTICE, &t) == NULL)
		return;
	psd_text_str(&t, "Redis: ");
	psd_text_str(&t, db_names[db]);
	if (say == PSD_REPEAT_SUMMARY) {
		psd_text_str(&t, " still unreachable: ");
		psd_text_u64(&t, psd_repeat_untold(&rec->failing[db]));
		psd_text_str(&t, " more attempts failed (");
	} else {
		psd_text_str(&t, " ");
	}
	psd_text_str(&t, cause_text(cause));
	psd_text_str(&t, detail[0] != '\0' ? detail : "cannot connect");
	psd_text_str(&t, say == PSD_REPEAT_SUMMARY ? ")" : "; trying again with backoff, further "
							      "failures logged once a minute");
	psd_log_end(c, &t);
}

static void log_lost(struct psd_ctx *c, enum psd_db db, enum psd_db_down_cause cause,
		     const char *detail)
{
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_ERROR, &t) == NULL)
		return;
	psd_text_str(&t, "Redis: lost the connection to ");
	psd_text_str(&t, db_names[db]);
	psd_text_str(&t, ": ");
	psd_text_str(&t, cause_text(cause));
	psd_text_str(&t, detail[0] != '\0' ? detail : "closed");
	psd_log_end(c, &t);
}

void psd_recovery_down(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db,
		       enum psd_db_down_cause cause, const char *detail)
{
	bool was_up = rec->db_up[db];
	if (was_up) {
		set_up(c, rec, db, false);
		c->stats.redis_disconnects++;
		rec->outage = true;
		rec->verify_awaited = 0; /* the verification starts over after this outage */
		rec->verify_retry = false;
		rec->wants |= PSD_WANT_OUTAGE;
		rec->down_since_ns[db] = c->now_ns;
	} else {
		c->stats.redis_connect_failures++;
	}
	rec->suspect |= cause == PSD_DOWN_PROTOCOL;
	rec->db_attempts[db]++;
	schedule_connect(c, rec, db);
	if (fatal(c, rec, db, cause, detail))
		return;
	if (was_up)
		log_lost(c, db, cause, detail);
	else
		log_failure(c, rec, db, cause, detail);
}

void psd_recovery_verify(struct psd_ctx *c, struct psd_recovery *rec)
{
	rec->verify_awaited = 7; /* verify_restarted stays until a verification completes: a restart
	                        * seen by one that was refused (LOADING) or cut short still counts */
	rec->verify_state_lost = false;
	rec->verify_appl_found = false;
	rec->verify_refused = false;
	rec->verify_retry = false;
	psd_todo(c, TODO_VERIFY_SCRIPT);
	psd_todo(c, TODO_VERIFY_STATE);
	psd_todo(c, TODO_VERIFY_APPL);
	psd_todo(c, TODO_VERIFY_STAGED);
	psd_todo(c, TODO_INFO_CONFIG);
	psd_todo(c, TODO_INFO_APPL);
	psd_todo(c, TODO_INFO_STATE);
}

void psd_recovery_up(struct psd_ctx *c, struct psd_recovery *rec, enum psd_db db)
{
	struct psd_text t;
	/* the loss counted one attempt; each failure after it one more */
	uint64_t failed = rec->db_attempts[db] > 0 ? rec->db_attempts[db] - 1 : 0;
	set_up(c, rec, db, true);
	rec->db_connecting[db] = false;
	rec->db_attempts[db] = 0;
	rec->db_connect_due_ns[db] = UINT64_MAX;
	psd_repeat_end(&rec->failing[db]);
	rec->failing_why[db][0] = '\0';
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
		psd_text_str(&t, "Redis: connected again to ");
		psd_text_str(&t, db_names[db]);
		psd_text_str(&t, " after ");
		psd_text_u64(&t, (c->now_ns - rec->down_since_ns[db]) / PSD_NS_PER_MS);
		psd_text_str(&t, " ms (");
		psd_text_u64(&t, failed);
		psd_text_str(&t, " attempts failed)");
		psd_log_end(c, &t);
	}
	if (!rec->all_up || !rec->outage)
		return;
	rec->outage = false;
	rec->wants |= PSD_WANT_RECONNECTED;
}

static void verified(struct psd_ctx *c, struct psd_recovery *rec)
{
	struct psd_text t;
	bool appl_lost = !rec->verify_appl_found;

	if (rec->verify_refused) { /* LOADING and the like: Redis cannot say yet; ask again */
		rec->verify_retry = true; /* the pause runs from here: a slow reply after a
		                                  * refusal must not find the retry already spent */
		rec->wants |= PSD_WANT_RETRY;
		return;
	}
	/* a server that broke the protocol may have acknowledged what it never did: as a restart */
	bool state_restarted = (rec->verify_restarted & (1u << PSD_DB_STATE)) != 0 || rec->suspect;
	rec->verify_restarted = 0;
	rec->suspect = false;
	if (rec->verify_state_lost) {
		c->stats.redis_data_lost++;
		psd_todo(c, TODO_RESTORE_REWRITE);
		rec->wants |= PSD_WANT_REWRITE_ALL;
	} else if (state_restarted) {
		/* a restarted server kept what its last snapshot or AOF held, which may be older than
		 * what we wrote: every port we own is written again, deleted ones deleted again */
		c->stats.redis_restarts++;
		psd_todo(c, TODO_RESTORE_REWRITE);
		rec->wants |= PSD_WANT_REWRITE_ALL | PSD_WANT_RECONCILE;
	}
	if (appl_lost) { /* a warm start's APPL_DB is gone too: nothing is left to keep */
		c->stats.redis_data_lost++;
		/* a PortConfigDone held back by the verification counted the old copy; the new
		 * copy writes its own, and its reply is the one that ends the copy */
		psd_todo_cancel(c, TODO_CONFIG_DONE);
		rec->wants |= PSD_WANT_RECOPY;
	}
	if (psd_log_begin(c, rec->verify_state_lost || appl_lost ? PSD_LOG_WARN : PSD_LOG_NOTICE,
			  &t) != NULL) {
		psd_text_str(&t, "Redis: recovered; ");
		psd_text_str(&t, rec->verify_state_lost ? "STATE_DB was emptied, rewriting every port" :
				 state_restarted ? "STATE_DB's server restarted (new run_id), its data "
						   "may be an older snapshot: rewriting every port" :
						   "STATE_DB kept its data");
		psd_text_str(&t, appl_lost ? "; APPL_DB was emptied, copying CONFIG_DB again"
					   : "; APPL_DB kept its data");
		psd_log_end(c, &t);
	}
	psd_log_refusal_reset(c);
	psd_todo(c, TODO_NOTIFY_STATUS);
}

/* STATE_DB's server changed while start-up ran (an outage cut it short, and it runs again): what
 * it holds may be empty or older than what was written, and a warm restore's read of it is stale;
 * as a verification finding it restarted: every port written again, deleted ones deleted again. */
static void restarted_in_startup(struct psd_ctx *c, struct psd_recovery *rec)
{
	c->stats.redis_restarts++; /* restore_count: the start-up run again writes it itself */
	rec->wants |= PSD_WANT_REWRITE_ALL | PSD_WANT_RECONCILE;
	psd_log_line(c, PSD_LOG_NOTICE, "Redis: STATE_DB's server restarted (new run_id) during "
		     "start-up, its data may be empty or an older snapshot: rewriting every port", "");
}

void psd_recovery_reply(struct psd_ctx *c, struct psd_recovery *rec, const struct psd_reply *r)
{
	enum psd_tag_kind kind = PSD_TAG_KIND(r->tag);
	uint32_t db = PSD_TAG_INDEX(r->tag);
	if (kind == TAG_INFO && rec->verify_awaited == 0) {
		/* start-up's: who answers is kept, to compare later; a start-up run again after an
		 * outage, which no verification follows, finds a restarted STATE_DB here */
		if (db < _PSD_DB_MAX && psd_reply_run_id(r, rec->run_id[db]) && db == PSD_DB_STATE)
			restarted_in_startup(c, rec);
		return;
	}
	if (rec->verify_awaited == 0)
		return; /* a reply to a verification an outage cancelled cannot come: connection gone */
	if (r->type == PSD_REPLY_ERROR) {
		c->stats.db_errors++;
		if (!rec->verify_refused) /* one line per verification, whatever the count */
			psd_log_refusal(c, "the check of what it kept", r);
		rec->verify_refused = true;
	}
	switch (kind) {
	case TAG_VERIFY_STATE:
		rec->verify_state_lost = r->type == PSD_REPLY_NIL;
		break;
	case TAG_VERIFY_APPL:
	case TAG_VERIFY_STAGED:
		rec->verify_appl_found |= r->type == PSD_REPLY_INTEGER && r->integer > 0;
		break;
	case TAG_INFO:
		if (db < _PSD_DB_MAX && psd_reply_run_id(r, rec->run_id[db]))
			rec->verify_restarted |= 1u << db;
		break;
	default:
		break; /* the script's SHA is the same text's SHA: nothing to keep */
	}
	if (--rec->verify_awaited == 0)
		verified(c, rec);
}

void psd_recovery_timer(struct psd_ctx *c, struct psd_recovery *rec)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (rec->db_up[db] || rec->db_connecting[db] || c->now_ns < rec->db_connect_due_ns[db])
			continue;
		rec->db_connecting[db] = true;
		rec->db_connect_due_ns[db] = UINT64_MAX;
		rec->db_connect_emit |= 1u << db;
	}
}

bool psd_recovery_pull(struct psd_ctx *c, struct psd_recovery *rec, struct psd_action *ret)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (!(rec->db_connect_emit & (1u << db)))
			continue;
		rec->db_connect_emit &= ~(1u << db);
		ret->type = PSD_ACT_DB_CONNECT;
		ret->u.db = (enum psd_db)db;
		return true;
	}
	return false;
}

uint64_t psd_recovery_deadline(const struct psd_ctx *c, const struct psd_recovery *rec)
{
	uint64_t d = UINT64_MAX;
	for (int db = 0; db < _PSD_DB_MAX; db++)
		if (rec->db_connect_due_ns[db] < d)
			d = rec->db_connect_due_ns[db];
	return d;
}

bool psd_recovery_dbs_up(const struct psd_recovery *rec)
{
	bool up = true;
	for (int db = 0; db < _PSD_DB_MAX; db++)
		up &= rec->db_up[db];
	return up;
}

bool psd_recovery_db_up(const struct psd_recovery *rec, enum psd_db db)
{
	return rec->db_up[db];
}

bool psd_recovery_all_up(const struct psd_recovery *rec)
{
	return rec->all_up;
}

void psd_recovery_check(const struct psd_ctx *c, const struct psd_recovery *rec)
{
	PSD_ASSERT(rec->all_up == (rec->db_up[PSD_DB_CONFIG] &&
					  rec->db_up[PSD_DB_APPL] &&
					  rec->db_up[PSD_DB_STATE]));
	PSD_ASSERT(rec->verify_awaited <= 7);
	for (int db = 0; db < _PSD_DB_MAX; db++)
		PSD_ASSERT(!rec->db_up[db] || (!rec->db_connecting[db] &&
						       rec->db_connect_due_ns[db] == UINT64_MAX));
}

const char *psd_recovery_fatal(const struct psd_recovery *rec)
{
	return rec->fatal;
}
