/*
 * The outbox: singleton work and log records waiting for pull, and the reply helpers every
 * module reads Redis's answers with (see outbox.h for the invariants).
 */
#include <errno.h>
#include <string.h>

#include "ctx.h"
#include "outbox.h"
#include "psd_assert.h"

void psd_todo(struct psd_ctx *c, enum psd_todo t)
{
	struct psd_outbox *o = &c->out;
	PSD_ASSERT(o->todo_len < PSD_TODO_RING); /* bounded by the phases: a few per step */
	o->todo[(o->todo_head + o->todo_len) % PSD_TODO_RING] = (uint8_t)t;
	o->todo_len++;
}

bool psd_todo_is_command(enum psd_todo t)
{
	switch (t) {
	case TODO_NL_DUMP:
	case TODO_NL_LISTEN:
	case TODO_LIST_IFACES:
	case TODO_LOG_CONFIG:
	case TODO_NOTIFY_READY:
	case TODO_NOTIFY_STATUS:
	case TODO_NOTIFY_HEALTH:
	case TODO_NOTIFY_STOPPING:
	case TODO_NOTIFY_WATCHDOG:
		return false;
	default:
		return true;
	}
}

void psd_todo_cancel(struct psd_ctx *c, enum psd_todo t)
{
	struct psd_outbox *o = &c->out;
	uint32_t kept = 0;
	uint8_t keep[PSD_TODO_RING];
	for (uint32_t i = 0; i < o->todo_len; i++) {
		uint8_t q = o->todo[(o->todo_head + i) % PSD_TODO_RING];
		if (q != (uint8_t)t)
			keep[kept++] = q;
	}
	memcpy(o->todo, keep, kept);
	o->todo_head = 0;
	o->todo_len = kept;
}

bool psd_todo_is_verification(enum psd_todo t)
{
	switch (t) {
	case TODO_VERIFY_SCRIPT:
	case TODO_VERIFY_STATE:
	case TODO_VERIFY_APPL:
	case TODO_VERIFY_STAGED:
	case TODO_INFO_CONFIG:
	case TODO_INFO_APPL:
	case TODO_INFO_STATE:
		return true;
	default:
		return false;
	}
}

void psd_todo_purge_commands(struct psd_ctx *c)
{
	struct psd_outbox *o = &c->out;
	uint32_t kept = 0;
	uint8_t keep[PSD_TODO_RING];
	for (uint32_t i = 0; i < o->todo_len; i++) {
		uint8_t t = o->todo[(o->todo_head + i) % PSD_TODO_RING];
		if (!psd_todo_is_command((enum psd_todo)t))
			keep[kept++] = t;
	}
	memcpy(o->todo, keep, kept);
	o->todo_head = 0;
	o->todo_len = kept;
}

bool psd_todo_take(struct psd_ctx *c, bool commands_ok, bool verifying, bool listen_ok,
		   enum psd_todo *ret)
{
	struct psd_outbox *o = &c->out;
	for (uint32_t i = 0; i < o->todo_len; i++) {
		enum psd_todo t = (enum psd_todo)o->todo[(o->todo_head + i) % PSD_TODO_RING];
		bool command = psd_todo_is_command(t);
		if ((command && (!commands_ok || (verifying && !psd_todo_is_verification(t)))) ||
		    (!listen_ok && (t == TODO_NL_LISTEN || t == TODO_NOTIFY_READY)))
			continue;
		for (uint32_t k = i; k > 0; k--) /* close the gap; the ring holds a few entries */
			o->todo[(o->todo_head + k) % PSD_TODO_RING] =
				o->todo[(o->todo_head + k - 1) % PSD_TODO_RING];
		o->todo_head = (o->todo_head + 1) % PSD_TODO_RING;
		o->todo_len--;
		*ret = t;
		return true;
	}
	return false;
}

struct psd_text *psd_log_begin(struct psd_ctx *c, enum psd_log_level level, struct psd_text *t)
{
	struct psd_outbox *o = &c->out;
	if (level > o->log_level)
		return NULL;
	if (o->log_len == PSD_LOG_RING) {
		c->stats.log_dropped++; /* the oldest record gives way */
		o->log_head = (o->log_head + 1) % PSD_LOG_RING;
		o->log_len--;
	}
	struct psd_log_record *rec = &o->logs[(o->log_head + o->log_len) % PSD_LOG_RING];
	rec->level = level;
	psd_text_init(t, rec->text, sizeof(rec->text));
	return t;
}

void psd_log_end(struct psd_ctx *c, struct psd_text *t)
{
	struct psd_outbox *o = &c->out;
	PSD_ASSERT(o->log_len < PSD_LOG_RING);
	PSD_ASSERT(t->buf == o->logs[(o->log_head + o->log_len) % PSD_LOG_RING].text);
	o->log_len++;
}

void psd_log_line(struct psd_ctx *c, enum psd_log_level level, const char *a, const char *b)
{
	struct psd_text t;
	if (psd_log_begin(c, level, &t) == NULL)
		return;
	psd_text_str(&t, a);
	psd_text_str(&t, b);
	psd_log_end(c, &t);
}

bool psd_log_take(struct psd_ctx *c, struct psd_action *ret)
{
	struct psd_outbox *o = &c->out;
	if (o->log_len == 0 && c->stats.log_dropped > o->log_dropped_reported) {
		struct psd_text t; /* said once the ring has room: how many records it lost */
		uint64_t n = c->stats.log_dropped - o->log_dropped_reported;
		o->log_dropped_reported = c->stats.log_dropped;
		if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
			psd_text_str(&t, "log: ");
			psd_text_u64(&t, n);
			psd_text_str(&t, " records lost (more than PSD_LOG_RING, 64, between two "
					 "pulls); lost in all: ");
			psd_text_u64(&t, c->stats.log_dropped);
			psd_log_end(c, &t);
		}
	}
	if (o->log_len == 0)
		return false;
	const struct psd_log_record *rec = &o->logs[o->log_head];
	memset(ret, 0, sizeof(*ret));
	ret->type = PSD_ACT_LOG;
	ret->u.log.level = rec->level;
	ret->u.log.text = rec->text;
	o->log_head = (o->log_head + 1) % PSD_LOG_RING;
	o->log_len--;
	return true;
}

void psd_log_refusal(struct psd_ctx *c, const char *what, const struct psd_reply *r)
{
	struct psd_outbox *o = &c->out;
	struct psd_text t;
	if (c->now_ns < o->refused_log_ns) { /* the same refusal every second: one line a minute */
		o->refused_repeats++;
		c->stats.log_suppressed++;
		return;
	}
	o->refused_log_ns = c->now_ns + PSD_LOG_REPEAT_NS;
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
	if (o->refused_repeats > 0) {
		psd_text_str(&t, " (");
		psd_text_u64(&t, o->refused_repeats);
		psd_text_str(&t, " more refusals in the last minute)");
		o->refused_repeats = 0;
	}
	psd_log_end(c, &t);
}

void psd_log_refusal_reset(struct psd_ctx *c)
{
	c->out.refused_log_ns = 0;
	c->out.refused_repeats = 0;
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

bool psd_reply_run_id(const struct psd_reply *r, char kept[PSD_RUN_ID_LEN + 1])
{
	static const char field[] = "run_id:";
	const size_t flen = sizeof(field) - 1;

	if (r->type != PSD_REPLY_STRING)
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
