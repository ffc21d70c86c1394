/* Keyspace subscriptions (see watch.h). */
#include <string.h>

#include "ctx.h"
#include "outbox.h"
#include "psd_assert.h"
#include "text.h"
#include "watch.h"

static const char *const db_names[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

/* "__keyspace@<id>__:<table><sep><key>" into the next pattern of d. */
static void add_pattern(struct psd_ctx *c, struct psd_watch_db *d, enum psd_db db,
			const char *table, const char *key)
{
	struct psd_text t;
	PSD_ASSERT(d->count < PSD_WATCH_PATTERNS_MAX);
	psd_text_init(&t, d->pattern[d->count], sizeof(d->pattern[0]));
	psd_text_str(&t, "__keyspace@");
	psd_text_u64(&t, c->cfg.db_id[db]);
	psd_text_str(&t, "__:");
	psd_text_str(&t, table);
	psd_text_str(&t, c->cfg.separator[db]);
	psd_text_str(&t, key);
	PSD_ASSERT(!t.truncated); /* ids are small, separators at most 3 bytes */
	d->argv[d->count] = d->pattern[d->count];
	d->len[d->count] = t.len;
	d->count++;
}

void psd_watch_init(struct psd_ctx *c, struct psd_watch *w)
{
	memset(w, 0, sizeof(*w));
	w->rng = c->cfg.seed ^ 0x6a09e667f3bcc908ull; /* its own draws: recovery's stay as they were */
	for (int db = 0; db < _PSD_DB_MAX; db++)
		w->db[db].reconnect_due_ns = UINT64_MAX;
	add_pattern(c, &w->db[PSD_DB_APPL], PSD_DB_APPL, "PORT_TABLE", "*");
	add_pattern(c, &w->db[PSD_DB_CONFIG], PSD_DB_CONFIG, "LOGGER", "portsyncd");
	add_pattern(c, &w->db[PSD_DB_CONFIG], PSD_DB_CONFIG, "PORTSYNCD_ALERT_SILENCE", "portsyncd");
	add_pattern(c, &w->db[PSD_DB_CONFIG], PSD_DB_CONFIG, "PORT", "*");
}

void psd_watch_begin(struct psd_ctx *c, struct psd_watch *w)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (w->db[db].count == 0 || w->db[db].state != PSD_WATCH_IDLE)
			continue;
		w->db[db].state = PSD_WATCH_ASKED;
		w->emit |= 1u << db;
	}
}

/* The keyspace events the patterns need: K (keyspace channels), and the hash (h) and generic (g)
 * classes, or A, which holds both. */
static bool has(const char *flags, char flag)
{
	return memchr(flags, flag, strlen(flags)) != NULL;
}

static bool enough(const char *flags)
{
	return has(flags, 'K') && (has(flags, 'A') || (has(flags, 'h') && has(flags, 'g')));
}

static void tell_events(struct psd_ctx *c, struct psd_watch_db *d, enum psd_db db,
			bool flags_known)
{
	struct psd_text t;
	if (d->told_events)
		return;
	d->told_events = true;
	if (psd_log_begin(c, d->events ? PSD_LOG_INFO : PSD_LOG_WARN, &t) == NULL)
		return;
	psd_text_str(&t, "Redis: keyspace notifications of ");
	psd_text_str(&t, db_names[db]);
	if (d->events) {
		psd_text_str(&t, " on (notify-keyspace-events '");
		psd_text_str(&t, d->flags);
		psd_text_str(&t, "')");
	} else {
		psd_text_str(&t, flags_known ? " off (notify-keyspace-events '" :
					      " unknown (CONFIG GET notify-keyspace-events: '");
		psd_text_str(&t, d->flags);
		psd_text_str(&t, db == PSD_DB_APPL ? "'): looking APPL_DB up per link change" :
						    "'): reading CONFIG_DB's settings every second");
	}
	psd_log_end(c, &t);
}

void psd_watch_up(struct psd_ctx *c, struct psd_watch *w, enum psd_db db, bool flags_known,
		  const char *flags)
{
	struct psd_watch_db *d = &w->db[db];
	struct psd_text t;

	PSD_ASSERT(d->state == PSD_WATCH_ASKED);
	d->state = PSD_WATCH_UP;
	d->attempts = 0;
	psd_repeat_end(&d->failing);
	psd_text_init(&t, d->flags, sizeof(d->flags));
	psd_text_str(&t, flags);
	d->events = flags_known && enough(flags);
	tell_events(c, d, db, flags_known);
	if (d->events)
		w->changed |= 1u << db;
}

static uint64_t next_random(struct psd_watch *w)
{
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ull); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The databases' backoff: min * 2^attempts up to max; half of it plus a draw of the other half. */
static uint64_t backoff(struct psd_ctx *c, struct psd_watch *w, uint32_t attempts)
{
	uint64_t delay = c->cfg.reconnect_min_ns;
	for (uint32_t i = 1; i < attempts && delay < c->cfg.reconnect_max_ns; i++)
		delay *= 2;
	if (delay > c->cfg.reconnect_max_ns)
		delay = c->cfg.reconnect_max_ns;
	return delay / 2 + next_random(w) % (delay / 2 + 1);
}

static void log_down(struct psd_ctx *c, struct psd_watch_db *d, enum psd_db db, bool was_up,
		     const char *detail)
{
	struct psd_text t;
	enum psd_repeat_say say = was_up ? PSD_REPEAT_FIRST : psd_repeat_note(&d->failing, c->now_ns);
	if (say == PSD_REPEAT_QUIET) {
		c->stats.log_suppressed++;
		return;
	}
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
		return;
	psd_text_str(&t, "Redis: keyspace subscription of ");
	psd_text_str(&t, db_names[db]);
	psd_text_str(&t, was_up ? " lost: " : say == PSD_REPEAT_SUMMARY ? " still failing: " :
									   " failed: ");
	psd_text_str(&t, detail[0] != '\0' ? detail : "closed");
	if (say == PSD_REPEAT_SUMMARY) {
		psd_text_str(&t, " (");
		psd_text_u64(&t, psd_repeat_untold(&d->failing));
		psd_text_str(&t, " more attempts)");
	}
	psd_text_str(&t, d->events || was_up ? "; read again in full once it is back" :
					      "; trying again with backoff");
	psd_log_end(c, &t);
}

void psd_watch_down(struct psd_ctx *c, struct psd_watch *w, enum psd_db db,
		    enum psd_db_down_cause cause, const char *detail)
{
	struct psd_watch_db *d = &w->db[db];
	bool was_up = d->state == PSD_WATCH_UP;

	if (d->state == PSD_WATCH_IDLE || d->state == PSD_WATCH_DOWN)
		return; /* not asked, or told already (one connection, several databases) */
	c->stats.watch_losses += was_up;
	if (d->events)
		w->changed |= 1u << db;
	d->events = false;
	d->told_events = false;
	d->state = PSD_WATCH_DOWN;
	if (was_up)
		d->down_since_ns = c->now_ns;
	d->attempts++;
	d->reconnect_due_ns = c->now_ns + backoff(c, w, d->attempts);
	log_down(c, d, db, was_up, detail);
	(void)cause; /* said by the detail; a subscription has nothing to rewrite */
}

/* key starts with <table><sep>: the rest, else false. */
static bool in_table(struct psd_ctx *c, enum psd_db db, const struct psd_str *key,
		     const char *table, struct psd_str *ret_rest)
{
	size_t t = strlen(table), s = strlen(c->cfg.separator[db]);
	if (key->len < t + s || memcmp(key->ptr, table, t) != 0 ||
	    memcmp(key->ptr + t, c->cfg.separator[db], s) != 0)
		return false;
	*ret_rest = (struct psd_str){key->ptr + t + s, key->len - t - s};
	return true;
}

enum psd_watch_subject psd_watch_subject(struct psd_ctx *c, struct psd_watch *w, enum psd_db db,
					 const struct psd_str *key, struct psd_str *ret_name)
{
	struct psd_str rest;
	if ((unsigned)db >= _PSD_DB_MAX || w->db[db].state != PSD_WATCH_UP)
		return PSD_WS_OTHER;
	c->stats.keyspace_notifications[db]++;
	if (db == PSD_DB_APPL && in_table(c, db, key, "PORT_TABLE", ret_name))
		return PSD_WS_APPL_PORT;
	if (db != PSD_DB_CONFIG)
		return PSD_WS_OTHER;
	if (in_table(c, db, key, "LOGGER", &rest) && psd_str_is(&rest, "portsyncd"))
		return PSD_WS_LOGGER;
	if (in_table(c, db, key, "PORTSYNCD_ALERT_SILENCE", &rest) && psd_str_is(&rest, "portsyncd"))
		return PSD_WS_SILENCES;
	if (in_table(c, db, key, "PORT", ret_name))
		return PSD_WS_CONFIG_PORT;
	return PSD_WS_OTHER;
}

void psd_watch_timer(struct psd_ctx *c, struct psd_watch *w)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		struct psd_watch_db *d = &w->db[db];
		if (d->state != PSD_WATCH_DOWN || c->now_ns < d->reconnect_due_ns)
			continue;
		d->state = PSD_WATCH_ASKED;
		d->reconnect_due_ns = UINT64_MAX;
		w->emit |= 1u << db;
	}
}

bool psd_watch_pull(struct psd_ctx *c, struct psd_watch *w, struct psd_action *ret)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (!(w->emit & (1u << db)))
			continue;
		w->emit &= ~(1u << db);
		memset(ret, 0, sizeof(*ret));
		ret->type = PSD_ACT_WATCH;
		ret->u.watch.db = (enum psd_db)db;
		ret->u.watch.db_id = c->cfg.db_id[db];
		ret->u.watch.count = w->db[db].count;
		ret->u.watch.patterns = w->db[db].argv;
		ret->u.watch.len = w->db[db].len;
		return true;
	}
	return false;
}

uint64_t psd_watch_deadline(const struct psd_watch *w)
{
	uint64_t d = UINT64_MAX;
	for (int db = 0; db < _PSD_DB_MAX; db++)
		if (w->db[db].reconnect_due_ns < d)
			d = w->db[db].reconnect_due_ns;
	return d;
}

uint32_t psd_watch_take_changed(struct psd_watch *w)
{
	uint32_t changed = w->changed;
	w->changed = 0;
	return changed;
}

bool psd_watch_active(const struct psd_watch *w, enum psd_db db)
{
	return w->db[db].state == PSD_WATCH_UP && w->db[db].events;
}

void psd_watch_check(const struct psd_ctx *c, const struct psd_watch *w)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		const struct psd_watch_db *d = &w->db[db];
		PSD_ASSERT(!d->events || d->state == PSD_WATCH_UP);
		PSD_ASSERT((d->state == PSD_WATCH_DOWN) == (d->reconnect_due_ns != UINT64_MAX));
		PSD_ASSERT(d->count <= PSD_WATCH_PATTERNS_MAX);
		PSD_ASSERT(!(w->emit & (1u << db)) || d->state == PSD_WATCH_ASKED);
	}
	(void)c;
}
