/*
 * Formatting of what psd_core_pull() hands out. Every Redis command of the daemon is spelled
 * here, once, with the keys and field orders of the contract (§1, §2.3, §4). The argv points
 * into the core (scratch slots, port entries, the pending config copy) and stays valid until
 * the next push or pull.
 */
#include <string.h>

#include "ctx.h"
#include "emit.h"
#include "outbox.h"
#include "port_stats.h"
#include "psd/lit.h"
#include "psd_assert.h"
#include "work.h"

/* Our producer "set" script: same KEYS/ARGV meaning as swss-common's ProducerStateTable set.
 * KEYS = [channel, key set, staging key x N]; ARGV = ["G", key, f1, v1, ... fN, vN]. */
static const char producer_set_lua[] =
	"local added = redis.call('SADD', KEYS[2], ARGV[2])\n"
	"for i = 3, #KEYS do\n"
	"  redis.call('HSET', KEYS[i], ARGV[2*i-3], ARGV[2*i-2])\n"
	"end\n"
	"if added > 0 then\n"
	"  redis.call('PUBLISH', KEYS[1], ARGV[1])\n"
	"end\n";

enum scratch_slot {
	SLOT_KEY,
	SLOT_KEY2,
	SLOT_NUM,
	SLOT_NUM2,
	SLOT_CHANNEL,
};

static void arg(struct psd_ctx *c, uint32_t i, const char *s, size_t len)
{
	PSD_ASSERT(i < sizeof(c->out.argv) / sizeof(c->out.argv[0]));
	c->out.argv[i] = s;
	c->out.argv_len[i] = len;
}

static void lit(struct psd_ctx *c, uint32_t i, const char *s)
{
	arg(c, i, s, strlen(s));
}

/* The replies a command of each kind may have besides an error (its verb's, as Redis answers
 * it): any other type means the server is not answering our commands. */
static uint32_t expect_of(enum psd_tag_kind kind)
{
	const uint32_t integer = PSD_EXPECT(PSD_REPLY_INTEGER), array = PSD_EXPECT(PSD_REPLY_ARRAY);
	const uint32_t string = PSD_EXPECT(PSD_REPLY_STRING), nil = PSD_EXPECT(PSD_REPLY_NIL);

	switch (kind) {
	case TAG_LOG_LEVEL: /* HGET */
	case TAG_LOG_OUTPUT:
	case TAG_POLL_LEVEL:
	case TAG_POLL_OUTPUT:
	case TAG_SWITCH_TYPE:
	case TAG_WARM_SYSTEM:
	case TAG_WARM_SWSS:
	case TAG_RESTORE_GET:
	case TAG_VERIFY_STATE:
	case TAG_WARM_TIMER:
	case TAG_WARM_COUNT:
		return string | nil;
	case TAG_SCRIPT_LOAD: /* the script's SHA1 */
	case TAG_VERIFY_SCRIPT:
	case TAG_INFO:
		return string;
	case TAG_CONFIG_SET: /* EVALSHA of the producer script, which returns nothing */
	case TAG_CONFIG_DONE:
	case TAG_INIT_DONE:
		return nil;
	case TAG_KEYS: /* KEYS, HGETALL */
	case TAG_CONFIG_GET:
	case TAG_ALERT_SILENCE:
	case TAG_ALERT_SWEEP:
	case TAG_WARM_KEYS:
	case TAG_WARM_ENTRY:
	case TAG_APPL_KEYS:
		return array;
	case TAG_LOG_SET: /* HSET, HDEL, DEL, EXISTS, HEXISTS */
	case TAG_RESTORE_SET:
	case TAG_REWRITE:
	case TAG_PRUNE:
	case TAG_LOOKUP:
	case TAG_WRITE:
	case TAG_DELETE:
	case TAG_VERIFY_APPL:
	case TAG_VERIFY_STAGED:
	case TAG_SEEN_APPL:
	case TAG_SEEN_STAGED:
	case TAG_LINK_STATS:
	case TAG_ALERT_SYNC:
	case TAG_ALERT_RETIRE:
	case TAG_WARM_STATE:
		return integer;
	}
	PSD_UNREACHABLE();
}

static void command(struct psd_ctx *c, struct psd_action *ret, enum psd_db db, uint64_t tag,
		    uint32_t argc)
{
	ret->type = PSD_ACT_DB_COMMAND;
	ret->u.cmd.db = db;
	ret->u.cmd.tag = tag | ((uint64_t)db << 48); /* the engine adds its epoch */
	ret->u.cmd.expect = expect_of(PSD_TAG_KIND(tag));
	ret->u.cmd.argc = argc;
	ret->u.cmd.argv = c->out.argv;
	ret->u.cmd.argv_len = c->out.argv_len;
}

void psd_emit_argv(struct psd_ctx *c, struct psd_action *ret, enum psd_db db, uint64_t tag,
		   uint32_t argc, const char *const *argv, const size_t *argv_len)
{
	command(c, ret, db, tag, argc);
	ret->u.cmd.argv = argv;
	ret->u.cmd.argv_len = argv_len;
}

size_t psd_table_key(struct psd_ctx *c, unsigned slot, enum psd_db db, const char *table,
		     const char *name, size_t name_len)
{
	struct psd_text t;
	PSD_ASSERT(slot < sizeof(c->out.scratch) / sizeof(c->out.scratch[0]));
	psd_text_init(&t, c->out.scratch[slot], sizeof(c->out.scratch[slot]));
	psd_text_str(&t, table);
	psd_text_str(&t, c->cfg.separator[db]);
	psd_text_mem(&t, name, name_len);
	PSD_ASSERT(!t.truncated); /* table names are ours and names are at most 15 bytes */
	return t.len;
}

static void hget(struct psd_ctx *c, struct psd_action *ret, enum psd_db db, const char *table,
		 const char *name, const char *field, uint64_t tag)
{
	size_t n = psd_table_key(c, SLOT_KEY, db, table, name, strlen(name));
	lit(c, 0, "HGET");
	arg(c, 1, c->out.scratch[SLOT_KEY], n);
	lit(c, 2, field);
	command(c, ret, db, tag, 3);
}

static size_t number(struct psd_ctx *c, unsigned slot, uint64_t v)
{
	return psd_u64_to_dec(v, c->out.scratch[slot]);
}

/* EVALSHA <set> <N+2> PORT_TABLE_CHANNEL@<id> PORT_TABLE_KEY_SET _PORT_TABLE:K x N G K f v ... */
static void producer_set(struct psd_ctx *c, struct psd_action *ret, const char *sha,
			 const char *key,
			 size_t key_len, const struct psd_str *field, const struct psd_str *value,
			 uint32_t pairs, uint64_t tag)
{
	struct psd_text ch;
	uint32_t i = 0;
	size_t staging_len = psd_table_key(c, SLOT_KEY2, PSD_DB_APPL, "_PORT_TABLE", key, key_len);

	PSD_ASSERT(pairs <= PSD_PORT_FIELDS_MAX);
	psd_text_init(&ch, c->out.scratch[SLOT_CHANNEL], sizeof(c->out.scratch[SLOT_CHANNEL]));
	psd_text_str(&ch, "PORT_TABLE_CHANNEL@");
	psd_text_u64(&ch, c->cfg.db_id[PSD_DB_APPL]);

	lit(c, i++, "EVALSHA");
	arg(c, i++, sha, 40);
	arg(c, i++, c->out.scratch[SLOT_NUM], number(c, SLOT_NUM, (uint64_t)pairs + 2));
	arg(c, i++, ch.buf, ch.len);
	lit(c, i++, "PORT_TABLE_KEY_SET");
	for (uint32_t k = 0; k < pairs; k++)
		arg(c, i++, c->out.scratch[SLOT_KEY2], staging_len);
	lit(c, i++, "G");
	arg(c, i++, key, key_len);
	for (uint32_t k = 0; k < pairs; k++) {
		arg(c, i++, field[k].ptr, field[k].len);
		arg(c, i++, value[k].ptr, value[k].len);
	}
	command(c, ret, PSD_DB_APPL, tag, i);
}

static void marker(struct psd_ctx *c, struct psd_action *ret, const char *sha, const char *key,
		   const char *field, uint64_t v, uint64_t tag)
{
	struct psd_str f = {field, strlen(field)};
	struct psd_str val = {c->out.scratch[SLOT_NUM2], number(c, SLOT_NUM2, v)};
	producer_set(c, ret, sha, key, strlen(key), &f, &val, 1, tag);
}

static void simple(struct psd_action *ret, enum psd_action_type type)
{
	memset(ret, 0, sizeof(*ret));
	ret->type = type;
}

/* The single-field reads of start-up and of the LOGGER poll. */
static const struct {
	enum psd_db db;
	const char *table;
	const char *name;
	const char *field;
	enum psd_tag_kind tag;
} hgets[] = {
	[TODO_HGET_LOG_LEVEL] = {PSD_DB_CONFIG, "LOGGER", "portsyncd", "LOGLEVEL", TAG_LOG_LEVEL},
	[TODO_HGET_LOG_OUTPUT] = {PSD_DB_CONFIG, "LOGGER", "portsyncd", "LOGOUTPUT", TAG_LOG_OUTPUT},
	[TODO_POLL_LOG_LEVEL] = {PSD_DB_CONFIG, "LOGGER", "portsyncd", "LOGLEVEL", TAG_POLL_LEVEL},
	[TODO_POLL_LOG_OUTPUT] = {PSD_DB_CONFIG, "LOGGER", "portsyncd", "LOGOUTPUT", TAG_POLL_OUTPUT},
	[TODO_HGET_SWITCH_TYPE] = {PSD_DB_CONFIG, "DEVICE_METADATA", "localhost", "switch_type",
				   TAG_SWITCH_TYPE},
	[TODO_HGET_WARM_SYSTEM] = {PSD_DB_STATE, "WARM_RESTART_ENABLE_TABLE", "system", "enable",
				   TAG_WARM_SYSTEM},
	[TODO_HGET_WARM_SWSS] = {PSD_DB_STATE, "WARM_RESTART_ENABLE_TABLE", "swss", "enable",
				 TAG_WARM_SWSS},
	[TODO_HGET_RESTORE] = {PSD_DB_STATE, "WARM_RESTART_TABLE", "portsyncd", "restore_count",
			       TAG_RESTORE_GET},
	[TODO_VERIFY_STATE] = {PSD_DB_STATE, "WARM_RESTART_TABLE", "portsyncd", "restore_count",
			       TAG_VERIFY_STATE},
};

/* "<verb> <table><sep><name>": the commands that take one key and nothing else. */
static void keyed(struct psd_ctx *c, struct psd_action *ret, enum psd_db db, const char *verb,
		  const char *table, const char *name, size_t name_len, uint64_t tag)
{
	size_t n = psd_table_key(c, SLOT_KEY, db, table, name, name_len);
	lit(c, 0, verb);
	arg(c, 1, c->out.scratch[SLOT_KEY], n);
	command(c, ret, db, tag, 2);
}

void psd_emit_appl_keys(struct psd_ctx *c, struct psd_action *ret)
{
	keyed(c, ret, PSD_DB_APPL, "KEYS", "PORT_TABLE", "*", 1, PSD_TAG(TAG_APPL_KEYS, 0));
}

static void exists(struct psd_ctx *c, struct psd_action *ret, const char *table,
		   const char *name, enum psd_tag_kind tag)
{
	keyed(c, ret, PSD_DB_APPL, "EXISTS", table, name, __builtin_strlen(name), PSD_TAG(tag, 0));
}

/* A todo that is a Redis command; false for the others. */
static bool todo_command(struct psd_ctx *c, enum psd_todo t, const struct psd_todo_args *args,
			 struct psd_action *ret)
{
	switch (t) {
	case TODO_HSET_LOGGER: {
		size_t n = psd_table_key(c, SLOT_KEY, PSD_DB_CONFIG, "LOGGER", PSD_LIT("portsyncd"));
		uint32_t argc = 2;
		lit(c, 0, "HSET");
		arg(c, 1, c->out.scratch[SLOT_KEY], n);
		if (args->log_level_text != NULL) { /* only missing fields: a present value stays */
			lit(c, argc++, "LOGLEVEL");
			lit(c, argc++, args->log_level_text);
		}
		if (args->log_output_text != NULL) {
			lit(c, argc++, "LOGOUTPUT");
			lit(c, argc++, args->log_output_text);
		}
		command(c, ret, PSD_DB_CONFIG, PSD_TAG(TAG_LOG_SET, 0), argc);
		return true;
	}
	case TODO_SCRIPT_LOAD:
	case TODO_VERIFY_SCRIPT:
		lit(c, 0, "SCRIPT");
		lit(c, 1, "LOAD");
		arg(c, 2, producer_set_lua, sizeof(producer_set_lua) - 1);
		command(c, ret, PSD_DB_APPL,
			PSD_TAG(t == TODO_SCRIPT_LOAD ? TAG_SCRIPT_LOAD : TAG_VERIFY_SCRIPT, 0), 3);
		return true;
	case TODO_VERIFY_APPL:
		exists(c, ret, "PORT_TABLE", "PortConfigDone", TAG_VERIFY_APPL);
		return true;
	case TODO_VERIFY_STAGED:
		exists(c, ret, "_PORT_TABLE", "PortConfigDone", TAG_VERIFY_STAGED);
		return true;
	case TODO_SEEN_APPL:
		exists(c, ret, "PORT_TABLE", "PortConfigDone", TAG_SEEN_APPL);
		return true;
	case TODO_SEEN_STAGED:
		exists(c, ret, "_PORT_TABLE", "PortConfigDone", TAG_SEEN_STAGED);
		return true;
	case TODO_HSET_RESTORE:
	case TODO_RESTORE_REWRITE: {
		size_t n = psd_table_key(c, SLOT_KEY, PSD_DB_STATE, "WARM_RESTART_TABLE",
					 PSD_LIT("portsyncd"));
		lit(c, 0, "HSET");
		arg(c, 1, c->out.scratch[SLOT_KEY], n);
		lit(c, 2, "restore_count");
		arg(c, 3, c->out.scratch[SLOT_NUM], number(c, SLOT_NUM, args->restore_count));
		command(c, ret, PSD_DB_STATE,
			PSD_TAG(t == TODO_HSET_RESTORE ? TAG_RESTORE_SET : TAG_REWRITE, 0), 4);
		return true;
	}
	case TODO_KEYS_PORT: {
		size_t n = psd_table_key(c, SLOT_KEY, PSD_DB_CONFIG, "PORT", PSD_LIT("*"));
		lit(c, 0, "KEYS");
		arg(c, 1, c->out.scratch[SLOT_KEY], n);
		command(c, ret, PSD_DB_CONFIG, PSD_TAG(TAG_KEYS, 0), 2);
		return true;
	}
	case TODO_INFO_CONFIG:
	case TODO_INFO_APPL:
	case TODO_INFO_STATE: {
		enum psd_db db = (enum psd_db)(t - TODO_INFO_CONFIG);
		lit(c, 0, "INFO");
		lit(c, 1, "server");
		command(c, ret, db, PSD_TAG(TAG_INFO, db), 2);
		return true;
	}
	case TODO_CONFIG_DONE:
		marker(c, ret, args->script_sha, "PortConfigDone", "count", c->ports.config_counted,
		       PSD_TAG(TAG_CONFIG_DONE, 0));
		return true;
	case TODO_INIT_DONE:
		marker(c, ret, args->script_sha, "PortInitDone", "lanes", 0, PSD_TAG(TAG_INIT_DONE, 0));
		return true;
	default:
		return false;
	}
}

/* A todo that is an action of its own (netlink, the log configuration, sd_notify); false for
 * the others. */
static bool todo_action(struct psd_ctx *c, enum psd_todo t, const struct psd_todo_args *args,
			struct psd_action *ret)
{
	switch (t) {
	case TODO_NL_DUMP:
		simple(ret, PSD_ACT_NL_DUMP);
		ret->u.dump.seq = args->dump_seq;
		return true;
	case TODO_NL_LISTEN:
		simple(ret, PSD_ACT_NL_LISTEN);
		return true;
	case TODO_LIST_IFACES:
		simple(ret, PSD_ACT_LIST_IFACES);
		return true;
	case TODO_LOG_CONFIG:
		simple(ret, PSD_ACT_LOG_CONFIG);
		ret->u.log_config.level = c->out.log_level;
		ret->u.log_config.output = c->out.log_output;
		return true;
	case TODO_NOTIFY_READY:
		simple(ret, PSD_ACT_NOTIFY);
		ret->u.notify.text = "READY=1";
		return true;
	case TODO_NOTIFY_STATUS:
	case TODO_NOTIFY_HEALTH: {
		struct psd_text st;
		psd_text_init(&st, c->out.status, sizeof(c->out.status));
		psd_text_str(&st, "STATUS=");
		psd_text_str(&st, args->status);
		simple(ret, PSD_ACT_NOTIFY);
		ret->u.notify.text = c->out.status;
		return true;
	}
	case TODO_NOTIFY_STOPPING:
		simple(ret, PSD_ACT_NOTIFY);
		ret->u.notify.text = "STOPPING=1";
		return true;
	case TODO_NOTIFY_WATCHDOG:
		simple(ret, PSD_ACT_NOTIFY);
		ret->u.notify.text = "WATCHDOG=1";
		return true;
	default:
		return false;
	}
}

void psd_emit_todo(struct psd_ctx *c, enum psd_todo t, const struct psd_todo_args *args,
		   struct psd_action *ret)
{
	if ((size_t)t < sizeof(hgets) / sizeof(hgets[0]) && hgets[t].table != NULL) {
		hget(c, ret, hgets[t].db, hgets[t].table, hgets[t].name, hgets[t].field,
		     PSD_TAG(hgets[t].tag, 0));
		return;
	}
	if (!todo_command(c, t, args, ret) && !todo_action(c, t, args, ret))
		PSD_UNREACHABLE(); /* the HGETs are served by hgets[] above */
}

void psd_emit_config_get(struct psd_ctx *c, uint32_t port, struct psd_action *ret)
{
	const struct psd_port *p = &c->ports.ports[port];
	size_t n = psd_table_key(c, SLOT_KEY, PSD_DB_CONFIG, "PORT", p->name, p->name_len);
	lit(c, 0, "HGETALL");
	arg(c, 1, c->out.scratch[SLOT_KEY], n);
	command(c, ret, PSD_DB_CONFIG, PSD_TAG(TAG_CONFIG_GET, port), 2);
}

void psd_emit_config_set(struct psd_ctx *c, uint32_t port, const struct psd_str *field,
			 const struct psd_str *value, uint32_t pairs, const char *sha,
			 struct psd_action *ret)
{
	const struct psd_port *p = &c->ports.ports[port];
	producer_set(c, ret, sha, p->name, p->name_len, field, value, pairs,
		     PSD_TAG(TAG_CONFIG_SET, port));
}

void psd_emit_prune(struct psd_ctx *c, uint32_t port, struct psd_action *ret)
{
	const struct psd_port *p = &c->ports.ports[port];
	size_t n = psd_table_key(c, SLOT_KEY, PSD_DB_APPL, "PORT_TABLE", p->name, p->name_len);
	lit(c, 0, "HEXISTS");
	arg(c, 1, c->out.scratch[SLOT_KEY], n);
	lit(c, 2, "admin_status");
	command(c, ret, PSD_DB_APPL, PSD_TAG(TAG_PRUNE, port), 3);
}

void psd_emit_port_op(struct psd_ctx *c, uint32_t port, struct psd_action *ret)
{
	const struct psd_port *p = &c->ports.ports[port];
	size_t n;

	switch ((enum psd_port_op)p->op) {
	case PSD_OP_LOOKUP:
		/* EXISTS is HGETALL's "non-empty?" answer: Redis never keeps an empty hash. */
		keyed(c, ret, PSD_DB_APPL, "EXISTS", "PORT_TABLE", p->name, p->name_len,
		      PSD_TAG(TAG_LOOKUP, port));
		return;
	case PSD_OP_WRITE:
		n = psd_table_key(c, SLOT_KEY, PSD_DB_STATE, "PORT_TABLE", p->name, p->name_len);
		lit(c, 0, "HSET");
		arg(c, 1, c->out.scratch[SLOT_KEY], n);
		lit(c, 2, "state");
		lit(c, 3, "ok");
		lit(c, 4, "netdev_oper_status");
		lit(c, 5, p->oper_up ? "up" : "down");
		lit(c, 6, "admin_status");
		lit(c, 7, p->admin_up ? "up" : "down");
		lit(c, 8, "mtu");
		arg(c, 9, c->out.scratch[SLOT_NUM], number(c, SLOT_NUM, p->mtu));
		command(c, ret, PSD_DB_STATE, PSD_TAG(TAG_WRITE, port), 10);
		return;
	case PSD_OP_DELETE:
		n = psd_table_key(c, SLOT_KEY, PSD_DB_STATE, "PORT_TABLE", p->name, p->name_len);
		if (p->reconciling) { /* only what we write: other daemons' fields stay (FB-24) */
			lit(c, 0, "HDEL");
			arg(c, 1, c->out.scratch[SLOT_KEY], n);
			lit(c, 2, "state");
			lit(c, 3, "netdev_oper_status");
			lit(c, 4, "admin_status");
			lit(c, 5, "mtu");
			command(c, ret, PSD_DB_STATE, PSD_TAG(TAG_DELETE, port), 6);
			return;
		}
		keyed(c, ret, PSD_DB_STATE, "DEL", "PORT_TABLE", p->name, p->name_len,
		      PSD_TAG(TAG_DELETE, port));
		return;
	case PSD_OP_NONE:
		break;
	}
	PSD_UNREACHABLE();
}

/* Wall-clock seconds with microseconds ("1764445123.123456") of a monotonic time, into slot. */
static size_t wall_time(struct psd_ctx *c, unsigned slot, uint64_t mono_ns)
{
	int64_t wall = (int64_t)mono_ns + c->cfg.realtime_offset_ns;
	uint64_t us = wall > 0 ? (uint64_t)wall / 1000u : 0;
	char frac[8];
	struct psd_text t;

	psd_text_init(&t, c->out.scratch[slot], sizeof(c->out.scratch[slot]));
	psd_text_u64(&t, us / 1000000u);
	psd_u64_to_dec(1000000u + us % 1000000u, frac); /* "1xxxxxx": six digits, zero-padded */
	frac[0] = '.';
	psd_text_mem(&t, frac, 7);
	return t.len;
}

/* HSET PORT_LINK_STATS|<name> oper_status .. oper_changes N counted_by kernel|messages
 * flaps_in_window N window_seconds N since T [flapping_since T] [last_up T] [last_down T]: the
 * port's link analytics (docs/metrics.md). */
void psd_emit_link_stats(struct psd_ctx *c, uint32_t port, struct psd_action *ret)
{
	const struct psd_port *p = &c->ports.ports[port];
	size_t n = psd_table_key(c, SLOT_KEY, PSD_DB_STATE, "PORT_LINK_STATS", p->name, p->name_len);
	uint32_t i = 0;

	PSD_ASSERT(sizeof(c->out.scratch) / sizeof(c->out.scratch[0]) >= 8);
	lit(c, i++, "HSET");
	arg(c, i++, c->out.scratch[SLOT_KEY], n);
	lit(c, i++, "oper_status");
	lit(c, i++, p->oper_up ? "up" : "down");
	lit(c, i++, "oper_changes");
	arg(c, i++, c->out.scratch[SLOT_NUM], number(c, SLOT_NUM, p->oper_changes));
	lit(c, i++, "counted_by");
	lit(c, i++, p->carrier_known ? "kernel" : "messages");
	lit(c, i++, "flaps_in_window");
	arg(c, i++, c->out.scratch[SLOT_NUM2],
	    number(c, SLOT_NUM2, psd_port_changes_in(p, c->now_ns, PSD_FLAP_WINDOW_S)));
	lit(c, i++, "window_seconds");
	arg(c, i++, c->out.scratch[SLOT_CHANNEL], number(c, SLOT_CHANNEL, PSD_FLAP_WINDOW_S));
	lit(c, i++, "since");
	arg(c, i++, c->out.scratch[5], wall_time(c, 5, p->since_ns));
	if (p->flap_since_ns != 0 && psd_port_flapping(p, c->now_ns)) {
		lit(c, i++, "flapping_since");
		arg(c, i++, c->out.scratch[SLOT_KEY2], wall_time(c, SLOT_KEY2, p->flap_since_ns));
	}
	if (p->last_up_ns != 0) {
		lit(c, i++, "last_up");
		arg(c, i++, c->out.scratch[6], wall_time(c, 6, p->last_up_ns));
	}
	if (p->last_down_ns != 0) {
		lit(c, i++, "last_down");
		arg(c, i++, c->out.scratch[7], wall_time(c, 7, p->last_down_ns));
	}
	command(c, ret, PSD_DB_STATE, PSD_TAG(TAG_LINK_STATS, port), i);
}

void psd_emit_warm(struct psd_ctx *c, enum psd_tag_kind kind, uint32_t port, const char *state,
		   struct psd_action *ret)
{
	const struct psd_port *p = &c->ports.ports[port];
	size_t n;

	switch (kind) {
	case TAG_WARM_KEYS:
		keyed(c, ret, PSD_DB_STATE, "KEYS", "PORT_TABLE", PSD_LIT("*"), PSD_TAG(kind, 0));
		return;
	case TAG_WARM_ENTRY:
		keyed(c, ret, PSD_DB_STATE, "HGETALL", "PORT_TABLE", p->name, p->name_len,
		      PSD_TAG(kind, port));
		return;
	case TAG_WARM_TIMER:
		hget(c, ret, PSD_DB_CONFIG, "WARM_RESTART", "swss", "portsyncd_timer",
		     PSD_TAG(kind, 0));
		return;
	case TAG_WARM_COUNT:
		hget(c, ret, PSD_DB_APPL, "PORT_TABLE", "PortConfigDone", "count", PSD_TAG(kind, 0));
		return;
	case TAG_WARM_STATE:
		n = psd_table_key(c, SLOT_KEY, PSD_DB_STATE, "WARM_RESTART_TABLE",
				  PSD_LIT("portsyncd"));
		lit(c, 0, "HSET");
		arg(c, 1, c->out.scratch[SLOT_KEY], n);
		lit(c, 2, "state");
		lit(c, 3, state);
		command(c, ret, PSD_DB_STATE, PSD_TAG(kind, 0), 4);
		return;
	default:
		break;
	}
	PSD_UNREACHABLE();
}
