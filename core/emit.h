/*
 * Formatting of the commands and records psd_core_pull() hands out (emit.c): a leaf library. It
 * reads the state it formats and writes only the argument storage behind the action and the
 * in-flight counts of the command it hands out.
 */
#ifndef PSD_EMIT_H
#define PSD_EMIT_H

#include "psd/core.h"
#include "work.h"

struct psd_core;

void psd_emit_todo(struct psd_core *c, enum psd_todo t, struct psd_action *ret);
void psd_emit_config_get(struct psd_core *c, uint32_t port, struct psd_action *ret);
void psd_emit_config_set(struct psd_core *c, struct psd_action *ret);
void psd_emit_prune(struct psd_core *c, uint32_t port, struct psd_action *ret);
void psd_emit_port_op(struct psd_core *c, uint32_t port, struct psd_action *ret);
void psd_emit_link_stats(struct psd_core *c, uint32_t port, struct psd_action *ret);
/* A command whose arguments the caller keeps (valid until the next pull). */
void psd_emit_argv(struct psd_core *c, struct psd_action *ret, enum psd_db db, uint64_t tag,
		   uint32_t argc, const char *const *argv, const size_t *argv_len);
/* A warm restart command (TAG_WARM_*); port for TAG_WARM_ENTRY, state for TAG_WARM_STATE. */
void psd_emit_warm(struct psd_core *c, enum psd_tag_kind kind, uint32_t port, const char *state,
		   struct psd_action *ret);
/* Builds "<table><sep><name>" for db into a scratch slot; returns its length. */
size_t psd_table_key(struct psd_core *c, unsigned slot, enum psd_db db, const char *table,
		     const char *name, size_t name_len);

#endif
