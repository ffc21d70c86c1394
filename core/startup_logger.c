/*
 * CONFIG_DB LOGGER|portsyncd, a part of the start-up module: its LOGLEVEL and LOGOUTPUT read at
 * start-up, then again whenever CONFIG_DB says the key changed (its keyspace watched) or, where
 * no notification comes, every PSD_LOGGER_POLL_NS; a bad value is logged once (until it
 * changes) and leaves the setting as it was; a level or output given on the command line is
 * never overridden.
 */
#include <string.h>

#include "ctx.h"
#include "outbox.h"
#include "startup_logger.h"
#include "startup_parts.h"
#include "psd_assert.h"
#include "work.h"

bool psd_startup_reply_text(const struct psd_reply *r, char *dst, size_t size)
{
	if (r->type != PSD_REPLY_STRING || r->str.len >= size)
		return false;
	memcpy(dst, r->str.ptr, r->str.len);
	dst[r->str.len] = '\0';
	return true;
}

static void log_bad_value(struct psd_ctx *c, struct psd_startup *su, const char *what,
			  const struct psd_reply *r,
			  const char *fallback)
{
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_ERROR, &t) == NULL)
		return;
	psd_text_str(&t, what);
	psd_text_str(&t, ": value '");
	psd_text_escaped(&t, r->str.ptr, r->type == PSD_REPLY_STRING ? r->str.len : 0);
	psd_text_str(&t, "' is not valid, using ");
	psd_text_str(&t, fallback);
	psd_log_end(c, &t);
}

static int parse_setting(bool level, const char *text, int *ret)
{
	enum psd_log_level l;
	enum psd_log_output o;
	int r = level ? psd_log_level_parse(text, strlen(text), &l) :
			psd_log_output_parse(text, strlen(text), &o);
	if (r == 0)
		*ret = level ? (int)l : (int)o;
	return r;
}

/* FNV-1a of a value: a bad LOGGER value is logged once, and again only when it changes. */
static uint64_t value_hash(const struct psd_reply *r)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < r->str.len; i++)
		h = (h ^ (uint8_t)r->str.ptr[i]) * 0x100000001b3ull;
	return h | 1u; /* 0 stands for "no bad value logged" */
}

/* Applies a LOGLEVEL or LOGOUTPUT reply (start-up and poll); true when the setting changed.
 * A value that is present but not valid (unknown, over-long, holding a NUL) is logged once per
 * distinct value and left in CONFIG_DB: only a missing field is filled in. */
bool psd_startup_logger_field(struct psd_ctx *c, struct psd_startup *su,
			      const struct psd_reply *r, bool level)
{
	char text[PSD_DB_VALUE_LEN_MAX + 1];
	const char *fallback = level ? "NOTICE" : "SYSLOG";
	bool present = r->type == PSD_REPLY_STRING;
	bool found = psd_startup_reply_text(r, text, sizeof(text)) &&
		     memchr(r->str.ptr, '\0', r->str.len) == NULL;
	int v = level ? PSD_LOG_NOTICE : PSD_LOG_SYSLOG;
	uint64_t *bad = &su->log_bad_hash[level ? 0 : 1];

	if (present && (!found || parse_setting(level, text, &v) < 0)) {
		if (*bad != value_hash(r))
			log_bad_value(c, su, level ? "CONFIG_DB LOGGER|portsyncd LOGLEVEL" :
						 "CONFIG_DB LOGGER|portsyncd LOGOUTPUT", r, fallback);
		*bad = value_hash(r);
		found = false;
	} else {
		*bad = 0;
	}
	if (su->phase < PH_RUNNING) { /* kept for the HSET that fills a missing field */
		char *keep = level ? su->log_level_text : su->log_output_text;
		memcpy(keep, found ? text : fallback, strlen(found ? text : fallback) + 1);
		*(level ? &su->log_level_found : &su->log_output_found) = present;
	}
	if (level ? c->cfg.log_level_pinned : c->cfg.log_output_pinned)
		return false;
	if (v == (level ? (int)c->out.log_level : (int)c->out.log_output))
		return false;
	if (level)
		c->out.log_level = (enum psd_log_level)v;
	else
		c->out.log_output = (enum psd_log_output)v;
	return true;
}

/* Reads LOGGER|portsyncd: once at a time, and once more after a read in flight when CONFIG_DB
 * says it changed meanwhile (the change may be newer than what that read finds). */
static void read_logger(struct psd_ctx *c, struct psd_startup *su)
{
	if (su->log_poll_inflight) {
		su->log_reread = true;
		return;
	}
	su->log_poll_inflight = true;
	su->log_reread = false;
	psd_todo(c, TODO_POLL_LOG_LEVEL);
	psd_todo(c, TODO_POLL_LOG_OUTPUT);
}

void psd_startup_logger_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r)
{
	bool level = PSD_TAG_KIND(r->tag) == TAG_POLL_LEVEL;
	if (!level) /* LOGOUTPUT's, the second: the read is over */
		su->log_poll_inflight = false;
	if (r->type == PSD_REPLY_ERROR) {
		c->stats.db_errors++;
		if (su->config_watched) /* refused: asked again later, as a poll would */
			su->log_poll_due_ns = c->now_ns + PSD_LOGGER_POLL_NS;
	} else if (psd_startup_logger_field(c, su, r, level)) {
		psd_todo(c, TODO_LOG_CONFIG);
		psd_log_line(c, PSD_LOG_NOTICE, "log settings changed to ",
			     level ? psd_log_level_name(c->out.log_level) :
				     psd_log_output_name(c->out.log_output));
	}
	if (!su->log_poll_inflight && su->log_reread)
		read_logger(c, su);
}

void psd_startup_timer(struct psd_ctx *c, struct psd_startup *su, bool redis_up)
{
	if (su->phase != PH_RUNNING || c->now_ns < su->log_poll_due_ns)
		return;
	if (!redis_up) { /* asked again later: the reconnect's verification comes first */
		su->log_poll_due_ns = c->now_ns + PSD_LOGGER_POLL_NS;
		return;
	}
	su->log_poll_due_ns = su->config_watched ? UINT64_MAX : c->now_ns + PSD_LOGGER_POLL_NS;
	read_logger(c, su);
}

void psd_startup_config_watched(struct psd_ctx *c, struct psd_startup *su, bool watched)
{
	su->config_watched = watched;
	/* watched: read once now (a change while it was not may be missed); else: the poll */
	su->log_poll_due_ns = watched ? UINT64_MAX : c->now_ns + PSD_LOGGER_POLL_NS;
	if (watched && su->phase == PH_RUNNING)
		read_logger(c, su);
	if (su->config_awaited && su->recopy)
		su->wants |= PSD_WANT_RETRY; /* what CONFIG_DB holds now, asked once more */
}

void psd_startup_logger_changed(struct psd_ctx *c, struct psd_startup *su)
{
	if (su->phase == PH_RUNNING)
		read_logger(c, su);
}

uint64_t psd_startup_deadline(const struct psd_startup *su)
{
	return su->phase == PH_RUNNING ? su->log_poll_due_ns : UINT64_MAX;
}

