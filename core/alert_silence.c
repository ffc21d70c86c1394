/*
 * The CONFIG_DB silences (a part of the alert module, alert_parts.h): PORTSYNCD_ALERT_SILENCE|
 * portsyncd, field <rule> or <rule>|<port>, value: until, Unix seconds; polled as LOGGER|portsyncd
 * is. A reply replaces the set; a change is seen once (by the reply's hash): a silence new or
 * changed is logged, a field that names no rule in force or cannot be read is left out, logged
 * the first time it is seen and counted after that; an expired silence is said once.
 *
 * Invariant: at most PSD_ALERT_SILENCES_MAX silences, each naming a rule in force.
 */
#include <string.h>

#include "alert_parts.h"
#include "outbox.h"
#include "psd_assert.h"

uint64_t psd_alert_wall_s(const struct psd_ctx *c, const struct psd_alerts *a, uint64_t mono_ns)
{
	int64_t wall = (int64_t)mono_ns + c->cfg.realtime_offset_ns;
	return wall > 0 ? (uint64_t)wall / NS_PER_S : 0;
}

bool psd_alert_silenced(const struct psd_ctx *c, const struct psd_alerts *a,
			const struct psd_alert *x)
{
	for (uint32_t k = 0; k < a->silence_count; k++) {
		const struct psd_alert_silence *s = &a->silence[k];
		if (s->rule == x->rule && !s->expired &&
		    (s->port_len == 0 ||
		     (s->port_len == x->port_len && memcmp(s->port, x->port_name, s->port_len) == 0)))
			return true;
	}
	return false;
}

/* Silences whose time is over are said once, then no longer match; the next end is due. */
bool psd_alert_expire_silences(struct psd_ctx *c, struct psd_alerts *a)
{
	uint64_t now_s = psd_alert_wall_s(c, a, c->now_ns);
	bool ended = false;
	for (uint32_t k = 0; k < a->silence_count; k++) {
		struct psd_alert_silence *s = &a->silence[k];
		if (!s->expired && s->until_unix_s > now_s) {
			/* the first whole second of monotonic time at which its wall time is over */
			int64_t mono = (int64_t)(s->until_unix_s * NS_PER_S) - c->cfg.realtime_offset_ns;
			psd_alert_due(a, psd_alert_next_second(a, mono > 0 ? (uint64_t)mono : 0));
			continue;
		}
		if (s->expired)
			continue;
		s->expired = ended = true;
		struct psd_text t;
		if (psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
			continue;
		psd_text_str(&t, "alert silence rule=");
		psd_text_str(&t, a->rules.rule[s->rule].name);
		psd_text_str(&t, " subject=");
		psd_text_mem(&t, s->port_len > 0 ? s->port : "*", s->port_len > 0 ? s->port_len : 1);
		psd_text_str(&t, " until=");
		psd_text_u64(&t, s->until_unix_s);
		psd_text_str(&t, " expired");
		psd_log_end(c, &t);
	}
	return ended;
}

static uint64_t hash_reply(const struct psd_reply *r)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t e = 0; e < r->element_count; e++) {
		for (size_t k = 0; k < r->elements[e].len; k++)
			h = (h ^ (uint8_t)r->elements[e].ptr[k]) * 0x100000001b3ull;
		h = (h ^ 0xffu) * 0x100000001b3ull; /* element boundary */
	}
	return h | 1u; /* 0 means: none seen yet */
}

static void log_silence_entry(struct psd_ctx *c, struct psd_alerts *a, const struct psd_str *field,
			      const struct psd_str *value, const char *verdict)
{
	struct psd_text t;
	if (psd_log_begin(c, verdict[0] == 'a' ? PSD_LOG_NOTICE : PSD_LOG_WARN, &t) == NULL)
		return;
	psd_text_str(&t, "alert silence CONFIG_DB " SILENCE_TABLE "|portsyncd field '");
	psd_text_escaped(&t, field->ptr, field->len);
	psd_text_str(&t, "' until '");
	psd_text_escaped(&t, value->ptr, value->len);
	psd_text_str(&t, "': ");
	psd_text_str(&t, verdict);
	psd_log_end(c, &t);
}

/* One field of the silence hash: "<rule>" or "<rule>|<port>" = Unix seconds. */
static const char *silence_parse(struct psd_ctx *c, struct psd_alerts *a,
				 const struct psd_str *field,
				 const struct psd_str *value, struct psd_alert_silence *s)
{
	char rule[PSD_ALERT_NAME_LEN_MAX + 1];
	size_t rule_len = 0;
	while (rule_len < field->len && field->ptr[rule_len] != '|')
		rule_len++;
	size_t port_len = rule_len < field->len ? field->len - rule_len - 1 : 0;
	if (rule_len == 0 || rule_len > PSD_ALERT_NAME_LEN_MAX)
		return "refused: not a rule name (expected <rule> or <rule>|<port>)";
	memcpy(rule, field->ptr, rule_len);
	rule[rule_len] = '\0';
	int r = -1;
	for (uint32_t k = 0; k < a->rules.count && r < 0; k++)
		if (strcmp(a->rules.rule[k].name, rule) == 0)
			r = (int)k;
	if (r < 0)
		return "refused: no such rule";
	if (rule_len < field->len &&
	    (port_len == 0 || port_len > PSD_IFNAME_LEN_MAX || !a->rules.rule[r].per_port))
		return "refused: a port is 1 to 15 bytes, for a per-port rule only";
	uint64_t until;
	if (psd_dec_to_u64(value->ptr, value->len, &until) < 0)
		return "refused: until is Unix seconds (whole number)";
	s->rule = (uint16_t)r;
	s->port_len = (uint8_t)port_len;
	memcpy(s->port, field->ptr + rule_len + 1, port_len);
	s->until_unix_s = until;
	s->expired = until <= psd_alert_wall_s(c, a, c->now_ns);
	return s->expired ? "accepted, already over" : "accepted";
}

static uint64_t hash_pair(const struct psd_str *field, const struct psd_str *value)
{
	struct psd_reply one = {.elements = field, .element_count = 1};
	struct psd_reply two = {.elements = value, .element_count = 1};
	return hash_reply(&one) * 31u ^ hash_reply(&two);
}

static bool seen_before(const uint64_t *set, uint32_t n, uint64_t h)
{
	for (uint32_t k = 0; k < n; k++)
		if (set[k] == h)
			return true;
	return false;
}

static bool same_silence(const struct psd_alert_silence *x, const struct psd_alert_silence *y)
{
	return x->rule == y->rule && x->port_len == y->port_len && x->until_unix_s == y->until_unix_s &&
	       memcmp(x->port, y->port, x->port_len) == 0;
}

/* A refused field is logged once (remembered by its field and value while the hash holds it,
 * PSD_ALERT_SILENCE_REFUSALS_KEPT of them); the others are counted, said in one line once a
 * minute at most. */
static void refused(struct psd_ctx *c, struct psd_alerts *a, const struct psd_str *field,
		    const struct psd_str *value, const char *verdict, uint64_t *kept,
		    uint32_t *kept_len, uint32_t *quiet)
{
	uint64_t h = hash_pair(field, value);
	a->silence_refused++;
	bool known = seen_before(a->refused_kept, a->refused_kept_len, h);
	if (!known && *kept_len < PSD_ALERT_SILENCE_REFUSALS_KEPT)
		log_silence_entry(c, a, field, value, verdict);
	else
		(*quiet)++;
	if (*kept_len < PSD_ALERT_SILENCE_REFUSALS_KEPT && !seen_before(kept, *kept_len, h))
		kept[(*kept_len)++] = h;
}

static void say_quiet(struct psd_ctx *c, struct psd_alerts *a, uint32_t quiet)
{
	struct psd_text t;
	enum psd_repeat_say say = psd_repeat_note(&a->refused_repeat, c->now_ns);
	if (say == PSD_REPEAT_QUIET || psd_log_begin(c, PSD_LOG_WARN, &t) == NULL)
		return;
	psd_text_str(&t, "alert silence CONFIG_DB " SILENCE_TABLE "|portsyncd: ");
	psd_text_u64(&t, say == PSD_REPEAT_FIRST ? quiet : psd_repeat_untold(&a->refused_repeat));
	psd_text_str(&t, say == PSD_REPEAT_FIRST ? " refused fields not logged (each is logged once; "
						   "all are counted in "
						   "portsyncd_alert_silence_fields_refused_total)" :
						   " more changes of the hash with refused fields not "
						   "logged again");
	psd_log_end(c, &t);
}

void psd_alert_silence_reply(struct psd_ctx *c, struct psd_alerts *a, const struct psd_reply *r)
{
	struct psd_alert_silence before[PSD_ALERT_SILENCES_MAX];
	uint64_t kept[PSD_ALERT_SILENCE_REFUSALS_KEPT];
	uint32_t kept_len = 0, quiet = 0, before_count = a->silence_count;
	a->silence_inflight = false;
	if (r->type != PSD_REPLY_ARRAY) {
		if (r->type == PSD_REPLY_ERROR)
			a->sync_errors++;
		if (a->silences_watched) /* refused: read again later, as if polled */
			a->silence_due_ns = c->now_ns + PSD_ALERT_SILENCE_POLL_NS;
		return; /* asked again at the next poll */
	}
	uint64_t h = hash_reply(r);
	if (h == a->silence_hash)
		return;
	a->silence_hash = h;
	a->dirty = true; /* what is held may change: every alert at the next evaluation */
	memcpy(before, a->silence, before_count * sizeof(before[0]));
	a->silence_count = 0;
	for (size_t e = 0; e + 1 < r->element_count; e += 2) {
		struct psd_alert_silence s = {0};
		const struct psd_str *field = &r->elements[e], *value = &r->elements[e + 1];
		const char *verdict = a->silence_count == PSD_ALERT_SILENCES_MAX ?
					      "refused: more than PSD_ALERT_SILENCES_MAX (64) silences" :
					      silence_parse(c, a, field, value, &s);
		if (verdict[0] != 'a') {
			refused(c, a, field, value, verdict, kept, &kept_len, &quiet);
			continue;
		}
		bool known = false; /* an accepted silence is said when it is new or changed */
		for (uint32_t k = 0; k < before_count && !known; k++)
			known = same_silence(&before[k], &s) && before[k].expired == s.expired;
		if (!known)
			log_silence_entry(c, a, field, value, verdict);
		a->silence[a->silence_count++] = s;
	}
	memcpy(a->refused_kept, kept, kept_len * sizeof(kept[0]));
	a->refused_kept_len = kept_len;
	if (quiet > 0)
		say_quiet(c, a, quiet);
	if (r->element_count == 0)
		psd_log_line(c, PSD_LOG_NOTICE, "alert silence: none in CONFIG_DB", "");
}
