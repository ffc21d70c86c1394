/*
 * The outbox (a leaf library): the singleton work queued for pull (start-up commands, markers,
 * notifications) and the log records the core hands out, with the log threshold and the rate
 * limit of repeated refusals; and the helpers that read Redis's replies the same way everywhere.
 * Its state, struct psd_outbox, is part of the context (ctx.h).
 *
 * Invariants: the todo ring holds at most PSD_TODO_RING entries (the phases queue a few at a
 * time); the log ring holds at most PSD_LOG_RING records, the oldest giving way (counted in
 * stats.log_dropped, said once the ring has room).
 */
#ifndef PSD_OUTBOX_H
#define PSD_OUTBOX_H

#include "ctx.h"
#include "text.h"
#include "work.h"

void psd_todo(struct psd_ctx *c, enum psd_todo t);
bool psd_todo_is_command(enum psd_todo t);
/* Drops the queued singletons that are Redis commands (an outage makes them stale). */
void psd_todo_purge_commands(struct psd_ctx *c);
/* Drops every queued singleton t. */
void psd_todo_cancel(struct psd_ctx *c, enum psd_todo t);
/* Whether a singleton is one of the commands that verify Redis after an outage. */
bool psd_todo_is_verification(enum psd_todo t);
/* Takes the oldest singleton that may go now (commands wait while a database is down, and all
 * but the verification's while Redis is verified: one queued during the outage, sent first,
 * would be what the verification finds; listening, and READY=1 after it, wait for listen_ok: a
 * warm start's restore). */
bool psd_todo_take(struct psd_ctx *c, bool commands_ok, bool verifying, bool listen_ok,
		   enum psd_todo *ret);

/* A log record being built, or NULL when level is below the current threshold. */
struct psd_text *psd_log_begin(struct psd_ctx *c, enum psd_log_level level, struct psd_text *t);
void psd_log_end(struct psd_ctx *c, struct psd_text *t);
void psd_log_line(struct psd_ctx *c, enum psd_log_level level, const char *a, const char *b);
/* Takes the oldest log record; first says how many the ring lost, if it lost any. */
bool psd_log_take(struct psd_ctx *c, struct psd_action *ret);
/* Logs that Redis refused what (with Redis's own error r, if any) and that it runs again after
 * PSD_REFUSED_RETRY_NS: one line a minute, then the count of the refusals in between. */
void psd_log_refusal(struct psd_ctx *c, const char *what, const struct psd_reply *r);
/* Redis answers again: the next refusal is logged at once. */
void psd_log_refusal_reset(struct psd_ctx *c);

/* An error reply whose text starts with code ("WRONGTYPE", "LOADING"): Redis's error classes. */
bool psd_reply_error_is(const struct psd_reply *r, const char *code);
/* Appends Redis's error text of r, quoted and escaped. */
void psd_text_reply_error(struct psd_text *t, const struct psd_reply *r);
/* Keeps the run_id of an INFO server reply in kept; true when it differs from the one kept. */
bool psd_reply_run_id(const struct psd_reply *r, char kept[PSD_RUN_ID_LEN + 1]);

static inline bool psd_str_is(const struct psd_str *s, const char *lit)
{
	size_t n = __builtin_strlen(lit);
	return s->len == n && __builtin_memcmp(s->ptr, lit, n) == 0;
}

#endif
