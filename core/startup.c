/*
 * The start-up sequence of contract §1, in its order: logger link, switch type, warm-start
 * decision and restore_count, dump request, CONFIG_DB PORT|* (copied to APPL_DB on a cold
 * start, then PortConfigDone), the APPL_DB prune, and the old-interface bring-down.
 *
 * Invariants: one phase at a time; a phase ends only when every reply it asked for has come;
 * nothing is written to STATE_DB PORT_TABLE before the daemon listens to netlink. A start-up
 * interrupted by a lost Redis connection runs again from the start once every connection is
 * back, keeping the warm/cold decision and restore_count it had already written.
 *
 * Where we differ from the C++ daemon (docs/compatibility.md), cfg.compat restores it:
 *  - a pre-existing Ethernet* netdev is "old" only when APPL_DB was flushed before the start
 *    (no PortConfigDone in either form: the cold swss start of FB-03) and its port was not
 *    found in APPL_DB by the prune (FB-04, FB-05); compat: every pre-existing Ethernet* netdev
 *    is old;
 *  - a corrupt restore_count is an error and a cold start, not an exit;
 *  - a warm start that finds no PortConfigDone in APPL_DB (Redis lost it) copies CONFIG_DB
 *    again, keeping the warm start's other choices (no prune, no old interfaces);
 *  - a CONFIG_DB port that vanished between KEYS and HGETALL is skipped, not written empty;
 *  - Redis's error replies are handled where they arrive: WRONGTYPE names the key and Redis's
 *    error, and the key is skipped (a port) or taken as absent (a setting); any other error
 *    (LOADING, BUSY, OOM, MISCONF) runs the refused work again after a pause, with Redis's
 *    error in the log.
 */
#include <string.h>

#include "ctx.h"
#include "emit.h"
#include "outbox.h"
#include "port_stats.h"
#include "startup.h"
#include "startup_parts.h"
#include "names.h"
#include "port_fsm.h"
#include "psd_assert.h"
#include "work.h"

static void enter(struct psd_ctx *c, struct psd_startup *su, enum psd_phase phase, unsigned replies)
{
	su->phase = phase;
	su->replies_awaited = replies;
}

void psd_startup_begin(struct psd_ctx *c, struct psd_startup *su)
{
	psd_todo(c, TODO_HGET_LOG_LEVEL);
	psd_todo(c, TODO_HGET_LOG_OUTPUT);
	psd_todo(c, TODO_SCRIPT_LOAD);
	psd_todo(c, TODO_INFO_CONFIG);
	psd_todo(c, TODO_INFO_APPL);
	psd_todo(c, TODO_INFO_STATE);
	enter(c, su, PH_LOGGER, 6);
}

/* Copies a short string reply into dst; false for nil, non-strings and over-long values. */
static void after_logger(struct psd_ctx *c, struct psd_startup *su)
{
	psd_todo(c, TODO_HGET_SWITCH_TYPE);
	enter(c, su, PH_SWITCH_TYPE, 1);
}

static void restore_set(struct psd_ctx *c, struct psd_startup *su)
{
	su->restore_decided = true;
	psd_todo(c, TODO_HSET_RESTORE);
	enter(c, su, PH_RESTORE_SET, 1);
}

static void on_restore_count(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r)
{
	uint64_t n;
	struct psd_text t;

	if (r->type != PSD_REPLY_STRING || r->str.len == 0) {
		psd_log_line(c, PSD_LOG_WARN, "portsyncd restore_count not found in stateDB "
					      "WARM_RESTART_TABLE table, fall back to cold start", "");
		su->warm = false;
		su->restore_count = 0;
	} else if (psd_dec_to_u64(r->str.ptr, r->str.len, &n) < 0 || n == UINT64_MAX) {
		if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
			psd_text_str(&t, "STATE_DB WARM_RESTART_TABLE|portsyncd restore_count '");
			psd_text_escaped(&t, r->str.ptr, r->str.len);
			psd_text_str(&t, "' is not a count, fall back to cold start");
			psd_log_end(c, &t);
		}
		su->warm = false;
		su->restore_count = 0;
	} else {
		su->warm = true;
		su->restore_count = n + 1;
		if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
			psd_text_str(&t, "portsyncd doing warm start, restore count ");
			psd_text_u64(&t, su->restore_count);
			psd_log_end(c, &t);
		}
	}
	restore_set(c, su);
}

static void add_config_port(struct psd_ctx *c, struct psd_startup *su, const struct psd_str *key)
{
	size_t prefix = 4 + strlen(c->cfg.separator[PSD_DB_CONFIG]); /* "PORT" + separator */
	const char *name = key->ptr + prefix;
	size_t len = key->len - prefix;
	struct psd_text t;
	uint32_t idx;

	if (key->len <= prefix || psd_name_classify(name, len) == PSD_NAME_INVALID) {
		c->stats.config_refused++;
		if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
			psd_text_str(&t, "CONFIG_DB key '");
			psd_text_escaped(&t, key->ptr, key->len);
			psd_text_str(&t, "' does not name a valid interface (1 to 15 printable bytes "
					 "without '/', ':' or spaces); port skipped");
			psd_log_end(c, &t);
		}
		return;
	}
	idx = psd_port_find(&c->ports, name, len);
	if (idx != PSD_NO_PORT && c->ports.ports[idx].configured)
		return;
	if (idx == PSD_NO_PORT) /* else a warm restore's entry (warm.c): configured now */
		idx = psd_port_add(&c->ports, name, len);
	if (idx == PSD_NO_PORT) {
		c->stats.ports_refused++;
		su->config_overflow++; /* said once, with the count, when KEYS is done */
		return;
	}
	struct psd_port *p = &c->ports.ports[idx];
	p->configured = true;
	p->in_portset = true;
	p->fsm_state = (int16_t)psd_port_fsm_start();
	p->name_class = (uint8_t)psd_name_classify(name, len);
	su->config_ports++;
	c->ports.portset_count++;
}

static void begin_cursor(struct psd_ctx *c, struct psd_startup *su, enum psd_phase phase)
{
	su->cursor = 0;
	su->cursor_replies = 0;
	enter(c, su, phase, 0);
}

static void start_listening(struct psd_ctx *c, struct psd_startup *su)
{
	psd_todo(c, TODO_NL_LISTEN);
	psd_todo(c, TODO_NOTIFY_READY);
	psd_todo(c, TODO_NOTIFY_STATUS);
	enter(c, su, PH_RUNNING, 0);
	su->log_poll_due_ns = c->now_ns + PSD_LOGGER_POLL_NS;
	su->wants |= PSD_WANT_LISTENING;
	psd_log_line(c, PSD_LOG_NOTICE, "Listen to link messages...", "");
}

static void after_prune(struct psd_ctx *c, struct psd_startup *su)
{
	if (su->dpu) {
		start_listening(c, su);
		return;
	}
	psd_todo(c, TODO_LIST_IFACES);
	enter(c, su, PH_IFACES, 0);
}

static void on_keys(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r)
{
	if (r->type == PSD_REPLY_ARRAY)
		for (size_t i = 0; i < r->element_count; i++)
			add_config_port(c, su, &r->elements[i]);
}

/* More configured ports than the port table holds: copying some of them would announce a
 * PortConfigDone that leaves the others out for good, so none is copied; the daemon says so once
 * and exits 1 (systemd's restart finds it again until ports_max is raised). */
static void refuse_overflow(struct psd_ctx *c, struct psd_startup *su)
{
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_CRIT, &t) != NULL) {
		psd_text_str(&t, "CONFIG_DB has ");
		psd_text_u64(&t, (uint64_t)su->config_ports + su->config_overflow);
		psd_text_str(&t, " ports; the port table holds ");
		psd_text_u64(&t, c->lim.ports_max);
		psd_text_str(&t, " (ports_max): raise ports_max (--ports-max, or [daemon] ports_max) "
				 "above the port count; no port copied, no PortConfigDone; exiting");
		psd_log_end(c, &t);
	}
	su->phase = PH_STOPPING;
	su->wants |= PSD_WANT_EXIT;
	psd_todo(c, TODO_NOTIFY_STOPPING);
}

static void after_keys(struct psd_ctx *c, struct psd_startup *su)
{
	if (!su->appl_decided) { /* what the first run found decides which netdevs are leftovers */
		su->appl_decided = true;
		su->appl_kept_first = su->appl_kept;
	}
	if (su->config_overflow > 0 && !c->cfg.compat) {
		refuse_overflow(c, su);
		return;
	}
	if (su->config_ports == 0)
		psd_log_line(c, PSD_LOG_NOTICE, "ConfigDB does not have port information, however "
						"ports can be added later on, continuing...", "");
	if (su->warm && (su->appl_kept || c->cfg.compat)) {
		start_listening(c, su); /* warm: no APPL_DB writes, no prune, no old interfaces */
		return;
	}
	if (su->warm) /* field: a warm start over an emptied APPL_DB would keep nothing */
		psd_log_line(c, PSD_LOG_WARN, "warm start, but APPL_DB has no PortConfigDone: "
					      "copying CONFIG_DB again", "");
	begin_cursor(c, su, PH_CONFIG_COPY);
	if (c->ports.high_water == 0) {
		psd_todo(c, TODO_CONFIG_DONE);
		enter(c, su, PH_CONFIG_DONE, 1);
	}
}

/* Keeps an HGETALL reply for the producer set; false (and a log line) when it cannot be. */
static bool keep_config(struct psd_ctx *c, struct psd_startup *su, uint32_t port,
			const struct psd_reply *r)
{
	struct psd_config_copy *cp = &su->copy;
	const struct psd_port *p = &c->ports.ports[port];
	const char *why = NULL;

	PSD_ASSERT(!cp->pending);
	cp->port = port;
	cp->pairs = 0;
	cp->used = 0;
	if (r->type != PSD_REPLY_ARRAY || r->element_count % 2 != 0)
		why = "is not a hash";
	else if (r->element_count == 0)
		why = "vanished between KEYS and HGETALL";
	else if (r->element_count / 2 > PSD_PORT_FIELDS_MAX)
		why = "has more fields than PSD_PORT_FIELDS_MAX (64)";
	for (size_t i = 0; why == NULL && i < r->element_count; i += 2) {
		const struct psd_str *f = &r->elements[i];
		const struct psd_str *v = &r->elements[i + 1];
		const char *at = memchr(f->ptr, '@', f->len); /* field names are cut at '@' */
		size_t flen = at != NULL ? (size_t)(at - f->ptr) : f->len;
		if (cp->used + flen + v->len > sizeof(cp->bytes)) {
			why = "is larger than PSD_PORT_CONFIG_BYTES_MAX (16384 bytes)";
			break;
		}
		memcpy(cp->bytes + cp->used, f->ptr, flen);
		cp->field[cp->pairs] = (struct psd_str){cp->bytes + cp->used, flen};
		cp->used += flen;
		memcpy(cp->bytes + cp->used, v->ptr, v->len);
		cp->value[cp->pairs] = (struct psd_str){cp->bytes + cp->used, v->len};
		cp->used += v->len;
		cp->pairs++;
	}
	if (why != NULL) {
		c->stats.config_refused++;
		psd_log_line(c, PSD_LOG_ERROR, "CONFIG_DB port not copied to APPL_DB: ", p->name);
		psd_log_line(c, PSD_LOG_ERROR, "  reason: the hash ", why);
		return false;
	}
	cp->pending = true;
	return true;
}

/* The key a start-up command's tag stands for, for log lines. */
static const char *tag_key(enum psd_tag_kind kind)
{
	switch (kind) {
	case TAG_LOG_LEVEL:
	case TAG_LOG_OUTPUT:
	case TAG_LOG_SET:
		return "CONFIG_DB LOGGER|portsyncd";
	case TAG_SWITCH_TYPE:
		return "CONFIG_DB DEVICE_METADATA|localhost";
	case TAG_WARM_SYSTEM:
		return "STATE_DB WARM_RESTART_ENABLE_TABLE|system";
	case TAG_WARM_SWSS:
		return "STATE_DB WARM_RESTART_ENABLE_TABLE|swss";
	case TAG_RESTORE_GET:
	case TAG_RESTORE_SET:
		return "STATE_DB WARM_RESTART_TABLE|portsyncd";
	case TAG_CONFIG_DONE:
		return "APPL_DB PortConfigDone";
	default:
		return "a start-up key";
	}
}

/* WRONGTYPE: the key holds another type than the command's; Redis will say so every time. */
static void log_wrongtype(struct psd_ctx *c, struct psd_startup *su, const char *key,
			  const char *name,
			  const struct psd_reply *r, const char *then)
{
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_ERROR, &t) == NULL)
		return;
	psd_text_str(&t, key);
	psd_text_str(&t, name);
	psd_text_str(&t, ": Redis answered ");
	psd_text_reply_error(&t, r);
	psd_text_str(&t, then);
	psd_log_end(c, &t);
}

/* A Redis that came back empty may get its CONFIG_DB later (a config reload writes it after the
 * restart): a re-copy that finds none of the configured ports announces nothing and asks again
 * every PSD_REFUSED_RETRY_NS, saying so once. */
static void awaiting_config(struct psd_ctx *c, struct psd_startup *su)
{
	struct psd_text t;
	if (!su->config_watched)
		su->wants |= PSD_WANT_RETRY; /* the re-copy again; watched: when CONFIG_DB changes */
	if (su->config_awaited)
		return;
	su->config_awaited = true;
	if (psd_log_begin(c, PSD_LOG_WARN, &t) == NULL)
		return;
	psd_text_str(&t, "CONFIG_DB has none of the ");
	psd_text_u64(&t, su->config_ports);
	psd_text_str(&t, " configured ports after Redis came back empty: no PortConfigDone; "
			 "looking again ");
	if (su->config_watched) {
		psd_text_str(&t, "when CONFIG_DB's PORT table is written");
	} else {
		psd_text_str(&t, "every ");
		psd_text_u64(&t, PSD_REFUSED_RETRY_NS / PSD_NS_PER_MS);
		psd_text_str(&t, " ms until they arrive");
	}
	psd_log_end(c, &t);
}

static void on_config_get(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r)
{
	uint32_t port = PSD_TAG_INDEX(r->tag);
	struct psd_port *p = &c->ports.ports[port];
	bool refused = r->type == PSD_REPLY_ERROR && !psd_reply_error_is(r, "WRONGTYPE");

	PSD_ASSERT(su->cursor_replies > 0);
	su->cursor_replies--;
	if (r->type == PSD_REPLY_ERROR)
		c->stats.db_errors++;
	if (refused) {
		/* a re-copy's refusal: the whole copy runs again (start-up's never gets here) */
	} else if (su->recopy && r->type == PSD_REPLY_ARRAY && r->element_count == 0) {
		/* not (yet) in a CONFIG_DB that came back empty: counted below, not logged per port */
	} else if (r->type == PSD_REPLY_ERROR) {
		c->stats.config_refused++;
		log_wrongtype(c, su, "CONFIG_DB PORT|", p->name, r, "; port not copied to APPL_DB");
		if (!su->recopy)
			psd_port_leave_portset(&c->ports, p);
	} else if (keep_config(c, su, port, r)) {
		psd_port_count_in(&c->ports, p);
		c->stats.producer_sets++;
	} else if (!su->recopy) {
		psd_port_leave_portset(&c->ports, p); /* not in APPL_DB: PortInitDone must not wait for it */
	}
	if (su->cursor == c->ports.high_water && su->cursor_replies == 0) {
		if (su->recopy && c->ports.config_counted == 0 && su->config_ports > 0 && !su->recopy_refused) {
			awaiting_config(c, su); /* no PortConfigDone for an empty CONFIG_DB: ask again */
			return;
		}
		if (su->recopy && su->config_awaited) {
			su->config_awaited = false;
			psd_log_line(c, PSD_LOG_NOTICE, "CONFIG_DB has its ports again: copying them to "
							"APPL_DB", "");
		}
		psd_todo(c, TODO_CONFIG_DONE);
		if (!su->recopy)
			enter(c, su, PH_CONFIG_DONE, 1);
	}
}

static void on_prune(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r)
{
	struct psd_port *p = &c->ports.ports[PSD_TAG_INDEX(r->tag)];

	PSD_ASSERT(su->cursor_replies > 0);
	su->cursor_replies--;
	if (r->type == PSD_REPLY_INTEGER && r->integer == 1) {
		p->pruned = true;
		psd_port_leave_portset(&c->ports, p);
	}
	if (su->cursor == c->ports.high_water && su->cursor_replies == 0)
		after_prune(c, su);
}

/* Redis refused a start-up command (LOADING, BUSY, OOM, MISCONF): this run is abandoned and starts
 * again after PSD_REFUSED_RETRY_NS. A re-copy's refusal runs the whole re-copy again at its end. */
static void refused(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r,
		    const char *what)
{
	if (su->phase >= PH_RUNNING) {
		su->recopy_refused = su->recopy_refused || su->recopy;
		return;
	}
	if (su->phase == PH_REFUSED || su->phase == PH_IDLE)
		return;
	su->copy.pending = false;
	su->phase = PH_REFUSED;
	psd_log_refusal(c, what, r);
	su->wants |= PSD_WANT_REFUSED | PSD_WANT_RETRY;
}

static bool reply_is(const struct psd_reply *r, const char *lit)
{
	return r->type == PSD_REPLY_STRING && psd_str_is(&r->str, lit);
}

static void phase_done(struct psd_ctx *c, struct psd_startup *su)
{
	switch (su->phase) {
	case PH_LOGGER:
		psd_todo(c, TODO_LOG_CONFIG);
		if (!su->log_level_found || !su->log_output_found) {
			psd_todo(c, TODO_HSET_LOGGER);
			enter(c, su, PH_LOGGER_SET, 1);
		} else {
			after_logger(c, su);
		}
		return;
	case PH_LOGGER_SET:
		after_logger(c, su);
		return;
	case PH_SWITCH_TYPE:
		if (su->restore_decided) { /* a restarted start-up: write the same decision again */
			restore_set(c, su);
			return;
		}
		psd_todo(c, TODO_HGET_WARM_SYSTEM);
		psd_todo(c, TODO_HGET_WARM_SWSS);
		enter(c, su, PH_WARM_ENABLE, 2);
		return;
	case PH_WARM_ENABLE:
		if (su->warm_enabled) {
			psd_todo(c, TODO_HGET_RESTORE);
			enter(c, su, PH_RESTORE_GET, 1);
		} else {
			su->restore_count = 0;
			restore_set(c, su);
		}
		return;
	case PH_RESTORE_SET:
		su->wants |= PSD_WANT_DUMP;
		psd_todo(c, TODO_KEYS_PORT);
		psd_log_line(c, PSD_LOG_NOTICE, "Getting port configuration from ConfigDB...", "");
		su->appl_kept = false;
		if (c->cfg.compat) {
			enter(c, su, PH_KEYS, 1);
			return;
		}
		psd_todo(c, TODO_SEEN_APPL);
		psd_todo(c, TODO_SEEN_STAGED);
		enter(c, su, PH_KEYS, 3);
		return;
	case PH_KEYS:
		after_keys(c, su);
		return;
	case PH_CONFIG_DONE:
		if (su->warm) { /* the re-copy of a warm start: still no prune, no old interfaces */
			start_listening(c, su);
			return;
		}
		begin_cursor(c, su, PH_PRUNE);
		if (c->ports.high_water == 0)
			after_prune(c, su);
		return;
	default:
		PSD_UNREACHABLE();
	}
}

/* A reply of the re-copy of CONFIG_DB to APPL_DB (after APPL_DB lost it). */
static void recopy_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r,
			 enum psd_tag_kind kind)
{
	if (r->type == PSD_REPLY_ERROR && !psd_reply_error_is(r, "WRONGTYPE")) {
		if (!su->recopy_refused) { /* one line per attempt, with Redis's error */
			struct psd_text t;
			if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
				psd_text_str(&t, "Redis refused part of the CONFIG_DB copy with ");
				psd_text_reply_error(&t, r);
				psd_log_end(c, &t);
			}
		}
		su->recopy_refused = true;
	}
	if (kind == TAG_CONFIG_GET) {
		on_config_get(c, su, r);
		return;
	}
	if (su->recopy_refused) { /* some of it was refused: all of it again after a pause */
		su->recopy_refused = false;
		psd_log_refusal(c, "part of the CONFIG_DB copy", r);
		su->wants |= PSD_WANT_RETRY;
		return;
	}
	su->recopy = false; /* APPL_DB holds the port entries and PortConfigDone again */
	su->wants |= PSD_WANT_ANNOUNCE_AGAIN; /* sent before, or lost with the outage */
}

/* A start-up reply that is not an error (or a WRONGTYPE taken as absent): what it says is
 * kept; false when it ends nothing the phase counts (its handler saw to the phase). */
static bool phase_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r,
			enum psd_tag_kind kind)
{
	switch (kind) {
	case TAG_LOG_LEVEL:
	case TAG_LOG_OUTPUT:
		psd_startup_logger_field(c, su, r, kind == TAG_LOG_LEVEL);
		return true;
	case TAG_SCRIPT_LOAD:
		if (!psd_startup_reply_text(r, su->script_sha, sizeof(su->script_sha)) ||
		    strlen(su->script_sha) != 40)
			memset(su->script_sha, '0', 40); /* EVALSHA will fail loudly: NOSCRIPT */
		return true;
	case TAG_SWITCH_TYPE:
		su->dpu = reply_is(r, "dpu");
		return true;
	case TAG_WARM_SYSTEM:
	case TAG_WARM_SWSS:
		su->warm_enabled = su->warm_enabled || reply_is(r, "true");
		return true;
	case TAG_RESTORE_GET:
		on_restore_count(c, su, r);
		return false;
	case TAG_KEYS:
		on_keys(c, su, r);
		return true;
	case TAG_SEEN_APPL:
	case TAG_SEEN_STAGED:
		su->appl_kept = su->appl_kept || (r->type == PSD_REPLY_INTEGER && r->integer > 0);
		return true;
	case TAG_CONFIG_GET:
		on_config_get(c, su, r);
		return false;
	case TAG_PRUNE:
		on_prune(c, su, r);
		return false;
	case TAG_INFO: /* its run_id is recovery.c's */
	case TAG_LOG_SET:
	case TAG_RESTORE_SET:
	case TAG_CONFIG_DONE:
		return true;
	default:
		PSD_UNREACHABLE();
	}
}

void psd_startup_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r)
{
	enum psd_tag_kind kind = PSD_TAG_KIND(r->tag);

	if (su->recopy && (kind == TAG_CONFIG_GET || kind == TAG_CONFIG_DONE)) {
		recopy_reply(c, su, r, kind);
		return;
	}
	if (su->phase >= PH_RUNNING)
		return; /* cannot happen: start-up replies of an earlier epoch are dropped */

	struct psd_reply nil = {.tag = r->tag, .type = PSD_REPLY_NIL};
	if (r->type == PSD_REPLY_ERROR && kind == TAG_CONFIG_GET &&
	    psd_reply_error_is(r, "WRONGTYPE")) {
		on_config_get(c, su, r); /* named and skipped; the copy goes on */
		return;
	}
	if (r->type == PSD_REPLY_ERROR && psd_reply_error_is(r, "WRONGTYPE")) {
		c->stats.db_errors++;
		if (kind == TAG_PRUNE)
			log_wrongtype(c, su, "APPL_DB PORT_TABLE:",
				      c->ports.ports[PSD_TAG_INDEX(r->tag)].name, r, "; taken as absent");
		else
			log_wrongtype(c, su, tag_key(kind), "", r, "; taken as absent");
		r = &nil;
	} else if (r->type == PSD_REPLY_ERROR) {
		c->stats.db_errors++;
		refused(c, su, r, "a start-up command");
		return;
	}
	if (!phase_reply(c, su, r, kind))
		return;
	PSD_ASSERT(su->replies_awaited > 0);
	if (--su->replies_awaited == 0)
		phase_done(c, su);
}

/* field: is the port this netdev belongs to (itself, or a sub-interface's parent) not known to
 * APPL_DB? Only then is the netdev a leftover of an earlier run. */
static bool is_old(struct psd_ctx *c, struct psd_startup *su, const char *name, size_t len)
{
	if (c->cfg.compat)
		return true;
	/* not the flushed cold start of FB-03: these netdevs are the system's. A start-up run again
	 * keeps the first run's answer: a Redis restarted meanwhile (onto older data, or empty)
	 * does not make our netdevs leftovers, and our own copy does not make a flushed APPL_DB
	 * kept */
	if (su->appl_kept_first)
		return false;
	uint32_t idx = psd_port_find(&c->ports, name, psd_name_parent_len(name, len));
	return idx == PSD_NO_PORT || !c->ports.ports[idx].pruned;
}

void psd_startup_ifaces(struct psd_ctx *c, struct psd_startup *su, const struct psd_iface *ifaces,
			size_t count)
{
	PSD_ASSERT(su->phase == PH_IFACES);
	for (size_t i = 0; i < count; i++) {
		const char *name = ifaces[i].name;
		size_t len = strnlen(name, PSD_IFNAME_LEN_MAX + 1);
		enum psd_name_class cls = psd_name_classify(name, len);

		if (ifaces[i].ifindex == 0)
			break; /* if_nameindex() ends at index 0 */
		if (cls != PSD_NAME_PORT && cls != PSD_NAME_SUBIF)
			continue;
		if (!is_old(c, su, name, len))
			continue;
		if (psd_imap_put(&c->old.by_ifindex, ifaces[i].ifindex, c->old.count) < 0) {
			psd_log_line(c, PSD_LOG_ERROR, "too many old interfaces (ports_max); "
						       "not brought down: ", name);
			continue;
		}
		uint32_t port = psd_port_find(&c->ports, name, len);
		if (port != PSD_NO_PORT)
			c->ports.ports[port].old_netdev = true;
		struct psd_old_iface *o = &c->old.ifaces[c->old.count++];
		o->ifindex = ifaces[i].ifindex;
		memcpy(o->name, name, len);
		o->name[len] = '\0';
	}
	su->old_emitted = 0;
	if (c->old.count == 0)
		start_listening(c, su);
}

static bool pull_old_iface(struct psd_ctx *c, struct psd_startup *su, struct psd_action *ret)
{
	struct psd_text t;
	const struct psd_old_iface *o = &c->old.ifaces[su->old_emitted++];

	if (psd_log_begin(c, PSD_LOG_INFO, &t) != NULL) {
		psd_text_str(&t, "Bring down old interface ");
		psd_text_str(&t, o->name);
		psd_text_str(&t, "(");
		psd_text_i64(&t, o->ifindex);
		psd_text_str(&t, ")");
		psd_log_end(c, &t);
	}
	memset(ret, 0, sizeof(*ret));
	ret->type = PSD_ACT_LINK_DOWN;
	ret->u.link_down.ifindex = o->ifindex;
	ret->u.link_down.name = o->name;
	if (su->old_emitted == c->old.count)
		start_listening(c, su);
	return true;
}

/* Start-up work that iterates: HGETALL and prune per port, old interfaces. */
bool psd_startup_pull(struct psd_ctx *c, struct psd_startup *su, bool may_send,
		      struct psd_action *ret)
{
	if (su->phase == PH_IFACES && su->old_emitted < c->old.count)
		return pull_old_iface(c, su, ret);
	if (su->phase != PH_CONFIG_COPY && su->phase != PH_PRUNE && !su->recopy)
		return false;
	while (su->cursor < c->ports.high_water && may_send) {
		uint32_t port = su->cursor++;
		if (!c->ports.ports[port].configured)
			continue;
		su->cursor_replies++;
		if (su->phase == PH_CONFIG_COPY || su->recopy)
			psd_emit_config_get(c, port, ret);
		else
			psd_emit_prune(c, port, ret);
		return true;
	}
	return false;
}

void psd_startup_restart(struct psd_ctx *c, struct psd_startup *su)
{
	psd_log_line(c, PSD_LOG_NOTICE, "start-up interrupted: starting it again", "");
	for (uint32_t i = 0; i < c->old.count; i++) {
		const struct psd_old_iface *o = &c->old.ifaces[i];
		uint32_t port = psd_port_find(&c->ports, o->name, strlen(o->name));
		if (port != PSD_NO_PORT)
			c->ports.ports[port].old_netdev = false;
		psd_imap_del(&c->old.by_ifindex, o->ifindex);
	}
	c->old.count = 0;
	su->old_emitted = 0;
	su->cursor = 0;
	su->cursor_replies = 0;
	psd_port_uncount_all(&c->ports);
	su->copy.pending = false;
	psd_startup_begin(c, su);
}

void psd_startup_copy_reply(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r)
{
	if (r->type != PSD_REPLY_ERROR)
		return;
	c->stats.db_errors++;
	psd_log_line(c, PSD_LOG_ERROR, "APPL_DB producer set failed for ",
		     c->ports.ports[PSD_TAG_INDEX(r->tag)].name);
	refused(c, su, r, "a start-up command");
}

void psd_startup_outage(struct psd_ctx *c, struct psd_startup *su)
{
	if (su->phase < PH_RUNNING && su->phase != PH_IDLE) {
		su->restart_due = true;
		su->copy.pending = false;
	}
	if (su->log_poll_inflight) /* lost with the connection: read again once it is back */
		su->log_poll_due_ns = c->now_ns;
	su->log_poll_inflight = false;
	su->recopy = false; /* a re-copy starts over after the verification */
	su->cursor_replies = 0; /* the engine drops the replies of an older epoch */
}

bool psd_startup_resume(struct psd_ctx *c, struct psd_startup *su)
{
	if (!su->restart_due)
		return false;
	su->restart_due = false;
	psd_startup_restart(c, su);
	return true;
}

void psd_startup_recopy(struct psd_ctx *c, struct psd_startup *su)
{
	psd_port_uncount_all(&c->ports); /* counted again as they are copied */
	su->recopy = true;
	su->recopy_refused = false;
	su->cursor = 0; /* a pass's replies still in flight count down as they come (not reset) */
}

void psd_startup_stop(struct psd_ctx *c, struct psd_startup *su)
{
	su->phase = PH_STOPPING;
}

void psd_startup_exited(struct psd_ctx *c, struct psd_startup *su)
{
	su->phase = PH_EXITED;
}

enum psd_phase psd_startup_phase(const struct psd_startup *su)
{
	return su->phase;
}

bool psd_startup_warm(const struct psd_startup *su)
{
	return su->warm;
}

uint32_t psd_startup_config_ports(const struct psd_startup *su)
{
	return su->config_ports;
}

void psd_startup_check(const struct psd_ctx *c, const struct psd_startup *su)
{
	uint32_t configured = 0, portset = 0;
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		if (!p->used)
			continue;
		configured += p->configured;
		portset += p->in_portset;
		PSD_ASSERT(!p->in_portset || p->configured);
	}
	PSD_ASSERT(configured == su->config_ports);
	PSD_ASSERT(portset == c->ports.portset_count);
	PSD_ASSERT(su->old_emitted <= c->old.count);
	PSD_ASSERT(su->cursor <= c->ports.high_water);
	PSD_ASSERT(!su->copy.pending || su->copy.pairs <= PSD_PORT_FIELDS_MAX);
}
