/*
 * The STATE_DB side of the alerts (a part of the alert module, alert_parts.h): the queue of
 * alerts whose PORTSYNCD_ALERT|<rule>|<subject> entry is to be written (HSET while published,
 * DEL once not), one command in flight per alert; the entries of alerts a reload removed
 * (retired, PSD_ALERT_RETIRED_MAX, loud when more); the silence poll; and, once at start, the
 * sweep of the entries an earlier run left. A refused command goes again at the next
 * evaluation, never in a loop; a lost connection requeues what was in flight.
 *
 * Invariant: an alert is on the queue at most once, and then has nothing in flight.
 */
#include <string.h>

#include "alert_parts.h"
#include "emit.h"
#include "outbox.h"
#include "psd_assert.h"
#include "work.h"

#define LIT SIZE_MAX /* put()'s length of a NUL-terminated argument */

void psd_alert_sync_queue(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	if (x->queued || x->sent)
		return; /* the reply requeues it when STATE_DB still differs */
	PSD_ASSERT(a->sync_len < PSD_ALERT_INSTANCES);
	a->sync[(a->sync_head + a->sync_len) % PSD_ALERT_INSTANCES] = i;
	a->sync_len++;
	x->queued = true;
}

static void key_of(const struct psd_ctx *c, const struct psd_alerts *a, const struct psd_alert *x,
		   char *buf, size_t size,
		   size_t *len)
{
	struct psd_text t;
	size_t n;
	const char *subject = psd_alert_subject(x, &n);
	psd_text_init(&t, buf, size);
	psd_text_str(&t, ALERT_TABLE);
	psd_text_str(&t, c->cfg.separator[PSD_DB_STATE]);
	psd_text_str(&t, a->rules.rule[x->rule].name);
	psd_text_str(&t, c->cfg.separator[PSD_DB_STATE]);
	psd_text_mem(&t, subject, n);
	PSD_ASSERT(!t.truncated); /* 15 + 3 + 31 + 3 + 15 at most */
	*len = t.len;
}

/* An alert whose rule is gone: its STATE_DB entry (if any) is removed through the retired list. */
void psd_alert_retire(struct psd_ctx *c, struct psd_alerts *a, struct psd_alert *x)
{
	if (!x->in_db && !x->sent)
		return;
	if (a->retired_len == PSD_ALERT_RETIRED_MAX) {
		psd_log_line(c, PSD_LOG_ERROR, "alert: STATE_DB entry left behind by a reload "
			     "(PSD_ALERT_RETIRED_MAX, 256, removals waiting): ", a->rules.rule[x->rule].name);
		return;
	}
	size_t len;
	struct psd_alert_retired *e = &a->retired[a->retired_len++];
	key_of(c, a, x, e->key, sizeof(e->key), &len);
	e->len = (uint8_t)len;
}

static void command(struct psd_ctx *c, struct psd_alerts *a, struct psd_action *ret, enum psd_db db,
		    uint64_t tag,
		    uint32_t argc)
{
	psd_emit_argv(c, ret, db, tag, argc, a->argv, a->argv_len);
}

/* Appends an argument to the command being built; it stays valid until the next pull. */
static void put(struct psd_alerts *a, uint32_t *n, const char *s, size_t len)
{
	PSD_ASSERT(*n < sizeof(a->argv) / sizeof(a->argv[0]));
	a->argv[*n] = s;
	a->argv_len[(*n)++] = len != LIT ? len : strlen(s);
}

static void put_num(struct psd_alerts *a, uint32_t *n, unsigned slot, int64_t v, unsigned digits)
{
	struct psd_text t;
	psd_text_init(&t, a->num[slot], sizeof(a->num[slot]));
	psd_alert_text_fixed(&t, v, digits);
	put(a, n, a->num[slot], t.len);
}

static void emit_sync(struct psd_ctx *c, struct psd_alerts *a, uint32_t i, struct psd_action *ret)
{
	struct psd_alert *x = &a->inst[i];
	const struct psd_alert_rule *r = &a->rules.rule[x->rule];
	uint32_t n = 0;
	size_t key_len, subject_len;
	const char *subject = psd_alert_subject(x, &subject_len);
	char threshold[48];
	struct psd_text t;

	key_of(c, a, x, a->key, sizeof(a->key), &key_len);
	x->sent = true;
	x->sent_set = x->published;
	uint64_t tag = PSD_TAG(TAG_ALERT_SYNC, (uint32_t)x->gen << TAG_GEN_SHIFT | i);
	if (!x->published) {
		put(a, &n, "DEL", LIT);
		put(a, &n, a->key, key_len);
		command(c, a, ret, PSD_DB_STATE, tag, n);
		return;
	}
	psd_text_init(&t, threshold, sizeof(threshold));
	psd_alert_text_threshold(&t, r);
	memcpy(a->num[3], threshold, t.len);
	put(a, &n, "HSET", LIT);
	put(a, &n, a->key, key_len);
	put(a, &n, "rule", LIT);
	put(a, &n, r->name, LIT);
	put(a, &n, "subject", LIT);
	put(a, &n, subject, subject_len);
	put(a, &n, "state", LIT);
	put(a, &n, "firing", LIT);
	put(a, &n, "severity", LIT);
	put(a, &n, psd_alert_severity_names[r->severity], LIT);
	put(a, &n, "since", LIT);
	put_num(a, &n, 0, (int64_t)psd_alert_wall_s(c, a, x->fired_ns), 0);
	put(a, &n, "value", LIT);
	put_num(a, &n, 1, x->fired_value, 3);
	put(a, &n, "threshold", LIT);
	put(a, &n, a->num[3], t.len);
	put(a, &n, "summary", LIT);
	put(a, &n, r->summary, LIT);
	command(c, a, ret, PSD_DB_STATE, tag, n);
}

bool psd_alert_sync_pull(struct psd_ctx *c, struct psd_alerts *a, struct psd_action *ret)
{
	if (a->rules.count == 0)
		return false;
	if (!a->silence_inflight && c->now_ns >= a->silence_due_ns) {
		size_t n = psd_table_key(c, 0, PSD_DB_CONFIG, SILENCE_TABLE, "portsyncd", 9);
		a->silence_inflight = true;
		a->silence_due_ns = a->silences_watched ? UINT64_MAX :
							  c->now_ns + PSD_ALERT_SILENCE_POLL_NS;
		uint32_t argc = 0;
		memcpy(a->key, c->out.scratch[0], n);
		put(a, &argc, "HGETALL", LIT);
		put(a, &argc, a->key, n);
		command(c, a, ret, PSD_DB_CONFIG, PSD_TAG(TAG_ALERT_SILENCE, 0), argc);
		return true;
	}
	if (!a->swept && !a->sweep_inflight && !a->sweep_wait) {
		uint32_t argc = 0;
		size_t n = psd_table_key(c, 0, PSD_DB_STATE, ALERT_TABLE, "*", 1);
		a->sweep_inflight = true;
		memcpy(a->key, c->out.scratch[0], n);
		put(a, &argc, "KEYS", LIT);
		put(a, &argc, a->key, n);
		command(c, a, ret, PSD_DB_STATE, PSD_TAG(TAG_ALERT_SWEEP, 0), argc);
		return true;
	}
	if (a->retired_len > 0 && !a->retired_sent) {
		const struct psd_alert_retired *e = &a->retired[a->retired_len - 1];
		uint32_t argc = 0;
		a->retired_sent = true;
		put(a, &argc, "DEL", LIT);
		put(a, &argc, e->key, e->len);
		command(c, a, ret, PSD_DB_STATE, PSD_TAG(TAG_ALERT_RETIRE, 0), argc);
		return true;
	}
	while (a->sync_len > 0) {
		uint32_t i = a->sync[a->sync_head];
		a->sync_head = (a->sync_head + 1) % PSD_ALERT_INSTANCES;
		a->sync_len--;
		struct psd_alert *x = &a->inst[i];
		x->queued = false;
		if (x->used && (x->published || x->in_db)) {
			emit_sync(c, a, i, ret);
			return true;
		}
		psd_alert_maybe_free(a, i);
	}
	return false;
}

/* An entry of ours in STATE_DB (in it, or being written) is kept. */
static bool entry_ours(const struct psd_ctx *c, const struct psd_alerts *a,
		       const struct psd_str *key)
{
	char k[PSD_ALERT_KEY_LEN_MAX + 1];
	size_t len;
	for (uint32_t i = 0; i < a->pool_high; i++) {
		const struct psd_alert *x = &a->inst[i];
		if (i == a->rules.count && i < PSD_ALERT_RULES_MAX) {
			i = PSD_ALERT_RULES_MAX - 1; /* no daemon alert beyond the rules */
			continue;
		}
		if (!x->used || !(x->in_db || x->sent || x->published))
			continue;
		key_of(c, a, x, k, sizeof(k), &len);
		if (len == key->len && memcmp(k, key->ptr, len) == 0)
			return true;
	}
	return false;
}

/* KEYS PORTSYNCD_ALERT|*: the entries an earlier run left (it stopped while they fired) go. */
void psd_alert_sweep_reply(struct psd_ctx *c, struct psd_alerts *a, const struct psd_reply *r)
{
	uint32_t left = 0;
	a->sweep_inflight = false;
	if (r->type != PSD_REPLY_ARRAY) {
		a->sweep_wait = true; /* refused: asked again at the next evaluation, not at once */
		return;
	}
	a->swept = true;
	for (size_t e = 0; e < r->element_count; e++) {
		const struct psd_str *key = &r->elements[e];
		if (key->len == 0 || key->len > PSD_ALERT_KEY_LEN_MAX || entry_ours(c, a, key))
			continue;
		if (a->retired_len == PSD_ALERT_RETIRED_MAX) {
			left++;
			continue;
		}
		struct psd_alert_retired *x = &a->retired[a->retired_len++];
		memcpy(x->key, key->ptr, key->len);
		x->len = (uint8_t)key->len;
	}
	if (left > 0)
		psd_log_line(c, PSD_LOG_ERROR, "alert: STATE_DB entries of an earlier run left "
			     "behind: more than PSD_ALERT_RETIRED_MAX (256) to remove", "");
}

static void requeue_sent(struct psd_alerts *a, uint32_t i)
{
	struct psd_alert *x = &a->inst[i];
	if (x->used && x->sent) {
		x->sent = false;
		psd_alert_sync_queue(a, i);
	}
}

void psd_alert_sync_db_down(struct psd_ctx *c, struct psd_alerts *a)
{
	if (a->silence_inflight) /* lost with the connection: read again once it is back */
		a->silence_due_ns = c->now_ns;
	a->silence_inflight = false;
	a->sweep_inflight = false;
	a->retired_sent = false;
	a->retired_retry = false;
	for (uint32_t i = 0; i < a->rules.count; i++)
		requeue_sent(a, i);
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++)
		requeue_sent(a, i);
}
