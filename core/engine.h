/*
 * The core's private state, shared by its modules:
 *   startup.c  the start-up sequence of contract §1 (one phase at a time, replies awaited);
 *   links.c    the per-message decision chain of §2.3 and the port machine's work;
 *   emit.c     formatting of the commands and records that psd_core_pull() hands out;
 *   engine.c   the public API: init, push, pull, deadlines, invariants.
 * Invariants are in core.h; psd_core_check() asserts them.
 */
#ifndef PSD_ENGINE_H
#define PSD_ENGINE_H

#include "port_table.h"
#include "psd/core.h"
#include "text.h"

enum psd_phase {
	PH_IDLE,          /* waiting for PSD_EV_START */
	PH_LOGGER,        /* HGET LOGGER|portsyncd LOGLEVEL/LOGOUTPUT, SCRIPT LOAD */
	PH_LOGGER_SET,    /* HSET LOGGER|portsyncd (a field was missing) */
	PH_SWITCH_TYPE,   /* HGET DEVICE_METADATA|localhost switch_type */
	PH_WARM_ENABLE,   /* HGET WARM_RESTART_ENABLE_TABLE|system and |swss enable */
	PH_RESTORE_GET,   /* HGET WARM_RESTART_TABLE|portsyncd restore_count */
	PH_RESTORE_SET,   /* HSET WARM_RESTART_TABLE|portsyncd restore_count */
	PH_KEYS,          /* KEYS PORT|* */
	PH_CONFIG_COPY,   /* HGETALL PORT|<name> and producer sets (cold) */
	PH_CONFIG_DONE,   /* producer set PortConfigDone (cold) */
	PH_PRUNE,         /* HEXISTS PORT_TABLE:<name> admin_status (cold) */
	PH_IFACES,        /* waiting for PSD_EV_IFACES; then old netdevs go down */
	PH_RUNNING,
	PH_STOPPING,
	PH_EXITED,
};

/* Tags: the kind of command in the top byte, a port index or sub-kind below. */
enum psd_tag_kind {
	TAG_LOG_LEVEL = 1,
	TAG_LOG_OUTPUT,
	TAG_LOG_SET,
	TAG_SCRIPT_LOAD,
	TAG_SWITCH_TYPE,
	TAG_WARM_SYSTEM,
	TAG_WARM_SWSS,
	TAG_RESTORE_GET,
	TAG_RESTORE_SET,
	TAG_KEYS,
	TAG_CONFIG_GET,   /* HGETALL PORT|<name>, index = port */
	TAG_CONFIG_SET,   /* producer set of a port, index = port */
	TAG_CONFIG_DONE,
	TAG_PRUNE,        /* index = port */
	TAG_LOOKUP,       /* index = port */
	TAG_WRITE,        /* index = port */
	TAG_DELETE,       /* index = port */
	TAG_INIT_DONE,
	TAG_POLL_LEVEL,
	TAG_POLL_OUTPUT,
};

#define PSD_TAG(kind, index) (((uint64_t)(kind) << 56) | (uint64_t)(index))
#define PSD_TAG_KIND(tag) ((enum psd_tag_kind)((tag) >> 56))
#define PSD_TAG_INDEX(tag) ((uint32_t)(tag))

/* Singleton work queued for pull: start-up commands and daemon actions. */
enum psd_todo {
	TODO_HGET_LOG_LEVEL,
	TODO_HGET_LOG_OUTPUT,
	TODO_HSET_LOGGER,
	TODO_SCRIPT_LOAD,
	TODO_HGET_SWITCH_TYPE,
	TODO_HGET_WARM_SYSTEM,
	TODO_HGET_WARM_SWSS,
	TODO_HGET_RESTORE,
	TODO_HSET_RESTORE,
	TODO_KEYS_PORT,
	TODO_CONFIG_DONE,
	TODO_INIT_DONE,
	TODO_POLL_LOG_LEVEL,
	TODO_POLL_LOG_OUTPUT,
	TODO_NL_DUMP,
	TODO_NL_LISTEN,
	TODO_LIST_IFACES,
	TODO_LOG_CONFIG,
	TODO_NOTIFY_READY,
	TODO_NOTIFY_STATUS,
	TODO_NOTIFY_STOPPING,
};

#define PSD_TODO_RING 32u

struct psd_log_record {
	enum psd_log_level level;
	char text[PSD_LOG_LINE_MAX];
};

struct psd_old_iface {
	int32_t ifindex;
	char name[PSD_IFNAME_LEN_MAX + 1];
};

/* A CONFIG_DB port hash waiting to be written through the producer script. */
struct psd_config_copy {
	bool pending;
	uint32_t port;
	uint32_t pairs;
	struct psd_str field[PSD_PORT_FIELDS_MAX];
	struct psd_str value[PSD_PORT_FIELDS_MAX];
	size_t used;
	char bytes[PSD_PORT_CONFIG_BYTES_MAX];
};

struct psd_core {
	struct psd_limits lim;
	struct psd_config cfg;
	struct psd_stats stats;
	uint64_t now_ns;
	enum psd_phase phase;
	unsigned replies_awaited; /* replies the current start-up phase still waits for */

	/* logger */
	enum psd_log_level log_level;
	enum psd_log_output log_output;
	char log_level_text[PSD_DB_VALUE_LEN_MAX + 1];
	char log_output_text[PSD_DB_VALUE_LEN_MAX + 1];
	bool log_level_found;
	bool log_output_found;
	bool log_poll_inflight;
	uint64_t log_poll_due_ns;

	/* start-up decisions */
	char script_sha[41];
	bool dpu;
	bool warm_enabled;
	bool warm;
	uint64_t restore_count;
	uint32_t config_ports;    /* configured ports in the table */
	uint32_t config_written;  /* ports written to APPL_DB: PortConfigDone's count */
	uint32_t cursor;          /* next port index for HGETALL or prune */
	uint32_t cursor_replies;  /* HGETALL or prune replies outstanding */
	struct psd_old_iface *old_ifaces;
	uint32_t old_count;
	uint32_t old_emitted;
	struct psd_imap old_by_ifindex; /* ifindex -> index in old_ifaces */

	/* running */
	uint32_t dump_seq;
	bool saw_datagram;
	bool init_done_sent;
	uint32_t portset_count;
	uint64_t exit_deadline_ns;
	bool exit_emitted;

	/* queues */
	struct psd_port_table ports;
	uint32_t *sendq;
	uint32_t sendq_head;
	uint32_t sendq_len;
	uint32_t inflight;
	uint32_t park_head;
	uint32_t park_tail;
	uint32_t parked;
	uint64_t recheck_due_ns;
	uint8_t todo[PSD_TODO_RING];
	uint32_t todo_head;
	uint32_t todo_len;
	struct psd_log_record logs[PSD_LOG_RING];
	uint32_t log_head;
	uint32_t log_len;

	/* a producer set waiting to go out, built from an HGETALL reply */
	struct psd_config_copy copy;

	/* storage behind the action handed out by the last pull */
	const char *argv[3u * PSD_PORT_FIELDS_MAX + 8u];
	size_t argv_len[3u * PSD_PORT_FIELDS_MAX + 8u];
	char scratch[8][PSD_DB_KEY_LEN_MAX + 1];
	char status[160];
};

/* engine.c */
void psd_todo(struct psd_core *c, enum psd_todo t);
/* A log record being built, or NULL when level is below the current threshold. */
struct psd_text *psd_log_begin(struct psd_core *c, enum psd_log_level level, struct psd_text *t);
void psd_log_end(struct psd_core *c, struct psd_text *t);
void psd_log_line(struct psd_core *c, enum psd_log_level level, const char *a, const char *b);

/* startup.c */
void psd_startup_begin(struct psd_core *c);
void psd_startup_reply(struct psd_core *c, const struct psd_reply *r);
void psd_startup_ifaces(struct psd_core *c, const struct psd_iface *ifaces, size_t count);
bool psd_startup_pull(struct psd_core *c, struct psd_action *ret);
void psd_logger_reply(struct psd_core *c, const struct psd_reply *r);

/* links.c */
void psd_links_datagram(struct psd_core *c, const uint8_t *bytes, size_t len, bool from_dump);
void psd_links_reply(struct psd_core *c, const struct psd_reply *r);
void psd_links_timer(struct psd_core *c);
bool psd_links_pull(struct psd_core *c, struct psd_action *ret);
void psd_links_check_init_done(struct psd_core *c);

/* emit.c */
void psd_emit_todo(struct psd_core *c, enum psd_todo t, struct psd_action *ret);
void psd_emit_config_get(struct psd_core *c, uint32_t port, struct psd_action *ret);
void psd_emit_config_set(struct psd_core *c, struct psd_action *ret);
void psd_emit_prune(struct psd_core *c, uint32_t port, struct psd_action *ret);
void psd_emit_port_op(struct psd_core *c, uint32_t port, struct psd_action *ret);
/* Builds "<table><sep><name>" for db into a scratch slot; returns its length. */
size_t psd_table_key(struct psd_core *c, unsigned slot, enum psd_db db, const char *table,
		     const char *name, size_t name_len);

static inline bool psd_str_is(const struct psd_str *s, const char *lit)
{
	size_t n = __builtin_strlen(lit);
	return s->len == n && __builtin_memcmp(s->ptr, lit, n) == 0;
}

#endif
