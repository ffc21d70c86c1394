/*
 * Formatting of the commands and records psd_core_pull() hands out (emit.c): a leaf library. It
 * reads the shared leaves and what its caller hands it, and writes only the storage behind the
 * action (the outbox's). The engine counts the command in flight and stamps its epoch.
 */
#ifndef PSD_EMIT_H
#define PSD_EMIT_H

#include "psd/core.h"
#include "work.h"

struct psd_ctx;

/* What a todo's command carries beyond the shared leaves: other modules' values, handed by the
 * engine. */
struct psd_todo_args {
	const char *script_sha;      /* the producer script's SHA1, 40 hex digits (startup.c) */
	const char *log_level_text;  /* LOGLEVEL to set in LOGGER|portsyncd; NULL: it is there */
	const char *log_output_text; /* LOGOUTPUT likewise */
	uint64_t restore_count;      /* WARM_RESTART_TABLE|portsyncd restore_count (startup.c) */
	uint32_t dump_seq;           /* the dump request's sequence (resync.c) */
	const char *status;          /* the STATUS= text: for TODO_NOTIFY_STATUS and _HEALTH only */
};

void psd_emit_todo(struct psd_ctx *c, enum psd_todo t, const struct psd_todo_args *args,
		   struct psd_action *ret);
void psd_emit_config_get(struct psd_ctx *c, uint32_t port, struct psd_action *ret);
/* The producer set of a port's CONFIG_DB hash (pairs field/value pairs), through script sha. */
void psd_emit_config_set(struct psd_ctx *c, uint32_t port, const struct psd_str *field,
			 const struct psd_str *value, uint32_t pairs, const char *sha,
			 struct psd_action *ret);
void psd_emit_prune(struct psd_ctx *c, uint32_t port, struct psd_action *ret);
void psd_emit_port_op(struct psd_ctx *c, uint32_t port, struct psd_action *ret);
void psd_emit_link_stats(struct psd_ctx *c, uint32_t port, struct psd_action *ret);
/* A command whose arguments the caller keeps (valid until the next pull). */
void psd_emit_argv(struct psd_ctx *c, struct psd_action *ret, enum psd_db db, uint64_t tag,
		   uint32_t argc, const char *const *argv, const size_t *argv_len);
/* A warm restart command (TAG_WARM_*); port for TAG_WARM_ENTRY, state for TAG_WARM_STATE. */
void psd_emit_warm(struct psd_ctx *c, enum psd_tag_kind kind, uint32_t port, const char *state,
		   struct psd_action *ret);
/* KEYS APPL_DB PORT_TABLE<sep>*: every port APPL_DB holds (TAG_APPL_KEYS). */
void psd_emit_appl_keys(struct psd_ctx *c, struct psd_action *ret);
/* Builds "<table><sep><name>" for db into a scratch slot; returns its length. */
size_t psd_table_key(struct psd_ctx *c, unsigned slot, enum psd_db db, const char *table,
		     const char *name, size_t name_len);

#endif
