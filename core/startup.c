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

#include "engine.h"
#include "names.h"
#include "port_fsm.h"
#include "psd_assert.h"

static void enter(struct psd_core *c, enum psd_phase phase, unsigned replies)
{
	c->startup.phase = phase;
	c->startup.replies_awaited = replies;
}

void psd_startup_begin(struct psd_core *c)
{
	psd_todo(c, TODO_HGET_LOG_LEVEL);
	psd_todo(c, TODO_HGET_LOG_OUTPUT);
	psd_todo(c, TODO_SCRIPT_LOAD);
	psd_todo(c, TODO_INFO_CONFIG);
	psd_todo(c, TODO_INFO_APPL);
	psd_todo(c, TODO_INFO_STATE);
	enter(c, PH_LOGGER, 6);
}

/* Copies a short string reply into dst; false for nil, non-strings and over-long values. */
static bool reply_text(const struct psd_reply *r, char *dst, size_t size)
{
	if (r->type != PSD_REPLY_STRING || r->str.len >= size)
		return false;
	memcpy(dst, r->str.ptr, r->str.len);
	dst[r->str.len] = '\0';
	return true;
}

static void log_bad_value(struct psd_core *c, const char *what, const struct psd_reply *r,
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
static bool logger_field(struct psd_core *c, const struct psd_reply *r, bool level)
{
	char text[PSD_DB_VALUE_LEN_MAX + 1];
	const char *fallback = level ? "NOTICE" : "SYSLOG";
	bool present = r->type == PSD_REPLY_STRING;
	bool found = reply_text(r, text, sizeof(text)) && memchr(r->str.ptr, '\0', r->str.len) == NULL;
	int v = level ? PSD_LOG_NOTICE : PSD_LOG_SYSLOG;
	uint64_t *bad = &c->startup.log_bad_hash[level ? 0 : 1];

	if (present && (!found || parse_setting(level, text, &v) < 0)) {
		if (*bad != value_hash(r))
			log_bad_value(c, level ? "CONFIG_DB LOGGER|portsyncd LOGLEVEL" :
						 "CONFIG_DB LOGGER|portsyncd LOGOUTPUT", r, fallback);
		*bad = value_hash(r);
		found = false;
	} else {
		*bad = 0;
	}
	if (c->startup.phase < PH_RUNNING) { /* kept for the HSET that fills a missing field */
		char *keep = level ? c->startup.log_level_text : c->startup.log_output_text;
		memcpy(keep, found ? text : fallback, strlen(found ? text : fallback) + 1);
		*(level ? &c->startup.log_level_found : &c->startup.log_output_found) = present;
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

void psd_startup_logger_reply(struct psd_core *c, const struct psd_reply *r)
{
	bool level = PSD_TAG_KIND(r->tag) == TAG_POLL_LEVEL;
	if (level)
		c->startup.log_poll_inflight = false;
	if (r->type == PSD_REPLY_ERROR) {
		c->stats.db_errors++;
		return;
	}
	if (logger_field(c, r, level)) {
		psd_todo(c, TODO_LOG_CONFIG);
		psd_log_line(c, PSD_LOG_NOTICE, "log settings changed to ",
			     level ? psd_log_level_name(c->out.log_level) :
				     psd_log_output_name(c->out.log_output));
	}
}

static void after_logger(struct psd_core *c)
{
	psd_todo(c, TODO_HGET_SWITCH_TYPE);
	enter(c, PH_SWITCH_TYPE, 1);
}

static void restore_set(struct psd_core *c)
{
	c->startup.restore_decided = true;
	psd_todo(c, TODO_HSET_RESTORE);
	enter(c, PH_RESTORE_SET, 1);
}

static void on_restore_count(struct psd_core *c, const struct psd_reply *r)
{
	uint64_t n;
	struct psd_text t;

	if (r->type != PSD_REPLY_STRING || r->str.len == 0) {
		psd_log_line(c, PSD_LOG_WARN, "portsyncd restore_count not found in stateDB "
					      "WARM_RESTART_TABLE table, fall back to cold start", "");
		c->startup.warm = false;
		c->startup.restore_count = 0;
	} else if (psd_dec_to_u64(r->str.ptr, r->str.len, &n) < 0 || n == UINT64_MAX) {
		if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
			psd_text_str(&t, "STATE_DB WARM_RESTART_TABLE|portsyncd restore_count '");
			psd_text_escaped(&t, r->str.ptr, r->str.len);
			psd_text_str(&t, "' is not a count, fall back to cold start");
			psd_log_end(c, &t);
		}
		c->startup.warm = false;
		c->startup.restore_count = 0;
	} else {
		c->startup.warm = true;
		c->startup.restore_count = n + 1;
		if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
			psd_text_str(&t, "portsyncd doing warm start, restore count ");
			psd_text_u64(&t, c->startup.restore_count);
			psd_log_end(c, &t);
		}
	}
	restore_set(c);
}

static void add_config_port(struct psd_core *c, const struct psd_str *key)
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
		c->startup.config_overflow++; /* said once, with the count, when KEYS is done */
		return;
	}
	struct psd_port *p = &c->ports.ports[idx];
	p->configured = true;
	p->in_portset = true;
	p->fsm_state = (int16_t)psd_port_fsm_start();
	p->name_class = (uint8_t)psd_name_classify(name, len);
	c->startup.config_ports++;
	c->ports.portset_count++;
}

static void begin_cursor(struct psd_core *c, enum psd_phase phase)
{
	c->startup.cursor = 0;
	c->startup.cursor_replies = 0;
	enter(c, phase, 0);
}

static void start_listening(struct psd_core *c)
{
	psd_todo(c, TODO_NL_LISTEN);
	psd_todo(c, TODO_NOTIFY_READY);
	psd_todo(c, TODO_NOTIFY_STATUS);
	enter(c, PH_RUNNING, 0);
	c->startup.log_poll_due_ns = c->now_ns + PSD_LOGGER_POLL_NS;
	c->startup.wants |= PSD_WANT_LISTENING;
	psd_log_line(c, PSD_LOG_NOTICE, "Listen to link messages...", "");
}

static void after_prune(struct psd_core *c)
{
	if (c->startup.dpu) {
		start_listening(c);
		return;
	}
	psd_todo(c, TODO_LIST_IFACES);
	enter(c, PH_IFACES, 0);
}

static void on_keys(struct psd_core *c, const struct psd_reply *r)
{
	if (r->type == PSD_REPLY_ARRAY)
		for (size_t i = 0; i < r->element_count; i++)
			add_config_port(c, &r->elements[i]);
}

/* More configured ports than the port table holds: copying some of them would announce a
 * PortConfigDone that leaves the others out for good, so none is copied; the daemon says so once
 * and exits 1 (systemd's restart finds it again until ports_max is raised). */
static void refuse_overflow(struct psd_core *c)
{
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_CRIT, &t) != NULL) {
		psd_text_str(&t, "CONFIG_DB has ");
		psd_text_u64(&t, (uint64_t)c->startup.config_ports + c->startup.config_overflow);
		psd_text_str(&t, " ports; the port table holds ");
		psd_text_u64(&t, c->lim.ports_max);
		psd_text_str(&t, " (ports_max): raise ports_max (--ports-max, or [daemon] ports_max) "
				 "above the port count; no port copied, no PortConfigDone; exiting");
		psd_log_end(c, &t);
	}
	c->startup.phase = PH_STOPPING;
	c->startup.wants |= PSD_WANT_EXIT;
	psd_todo(c, TODO_NOTIFY_STOPPING);
}

static void after_keys(struct psd_core *c)
{
	if (!c->startup.appl_decided) { /* what the first run found decides which netdevs are leftovers */
		c->startup.appl_decided = true;
		c->startup.appl_kept_first = c->startup.appl_kept;
	}
	if (c->startup.config_overflow > 0 && !c->cfg.compat) {
		refuse_overflow(c);
		return;
	}
	if (c->startup.config_ports == 0)
		psd_log_line(c, PSD_LOG_NOTICE, "ConfigDB does not have port information, however "
						"ports can be added later on, continuing...", "");
	if (c->startup.warm && (c->startup.appl_kept || c->cfg.compat)) {
		start_listening(c); /* warm: no APPL_DB writes, no prune, no old interfaces */
		return;
	}
	if (c->startup.warm) /* field: a warm start over an emptied APPL_DB would keep nothing */
		psd_log_line(c, PSD_LOG_WARN, "warm start, but APPL_DB has no PortConfigDone: "
					      "copying CONFIG_DB again", "");
	begin_cursor(c, PH_CONFIG_COPY);
	if (c->ports.high_water == 0) {
		psd_todo(c, TODO_CONFIG_DONE);
		enter(c, PH_CONFIG_DONE, 1);
	}
}

/* Keeps an HGETALL reply for the producer set; false (and a log line) when it cannot be. */
static bool keep_config(struct psd_core *c, uint32_t port, const struct psd_reply *r)
{
	struct psd_config_copy *cp = &c->startup.copy;
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
static void log_wrongtype(struct psd_core *c, const char *key, const char *name,
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
static void awaiting_config(struct psd_core *c)
{
	struct psd_text t;
	c->startup.wants |= PSD_WANT_RETRY; /* the re-copy again */
	if (c->startup.config_awaited)
		return;
	c->startup.config_awaited = true;
	if (psd_log_begin(c, PSD_LOG_WARN, &t) == NULL)
		return;
	psd_text_str(&t, "CONFIG_DB has none of the ");
	psd_text_u64(&t, c->startup.config_ports);
	psd_text_str(&t, " configured ports after Redis came back empty: no PortConfigDone; "
			 "looking again every ");
	psd_text_u64(&t, PSD_REFUSED_RETRY_NS / PSD_NS_PER_MS);
	psd_text_str(&t, " ms until they arrive");
	psd_log_end(c, &t);
}

static void on_config_get(struct psd_core *c, const struct psd_reply *r)
{
	uint32_t port = PSD_TAG_INDEX(r->tag);
	struct psd_port *p = &c->ports.ports[port];
	bool refused = r->type == PSD_REPLY_ERROR && !psd_reply_error_is(r, "WRONGTYPE");

	PSD_ASSERT(c->startup.cursor_replies > 0);
	c->startup.cursor_replies--;
	if (r->type == PSD_REPLY_ERROR)
		c->stats.db_errors++;
	if (refused) {
		/* a re-copy's refusal: the whole copy runs again (start-up's never gets here) */
	} else if (c->startup.recopy && r->type == PSD_REPLY_ARRAY && r->element_count == 0) {
		/* not (yet) in a CONFIG_DB that came back empty: counted below, not logged per port */
	} else if (r->type == PSD_REPLY_ERROR) {
		c->stats.config_refused++;
		log_wrongtype(c, "CONFIG_DB PORT|", p->name, r, "; port not copied to APPL_DB");
		if (!c->startup.recopy)
			psd_port_leave_portset(&c->ports, p);
	} else if (keep_config(c, port, r)) {
		psd_port_count_in(&c->ports, p);
		c->stats.producer_sets++;
	} else if (!c->startup.recopy) {
		psd_port_leave_portset(&c->ports, p); /* not in APPL_DB: PortInitDone must not wait for it */
	}
	if (c->startup.cursor == c->ports.high_water && c->startup.cursor_replies == 0) {
		if (c->startup.recopy && c->ports.config_counted == 0 && c->startup.config_ports > 0 && !c->startup.recopy_refused) {
			awaiting_config(c); /* no PortConfigDone for an empty CONFIG_DB: ask again */
			return;
		}
		if (c->startup.recopy && c->startup.config_awaited) {
			c->startup.config_awaited = false;
			psd_log_line(c, PSD_LOG_NOTICE, "CONFIG_DB has its ports again: copying them to "
							"APPL_DB", "");
		}
		psd_todo(c, TODO_CONFIG_DONE);
		if (!c->startup.recopy)
			enter(c, PH_CONFIG_DONE, 1);
	}
}

static void on_prune(struct psd_core *c, const struct psd_reply *r)
{
	struct psd_port *p = &c->ports.ports[PSD_TAG_INDEX(r->tag)];

	PSD_ASSERT(c->startup.cursor_replies > 0);
	c->startup.cursor_replies--;
	if (r->type == PSD_REPLY_INTEGER && r->integer == 1) {
		p->pruned = true;
		psd_port_leave_portset(&c->ports, p);
	}
	if (c->startup.cursor == c->ports.high_water && c->startup.cursor_replies == 0)
		after_prune(c);
}

/* Redis refused a start-up command (LOADING, BUSY, OOM, MISCONF): this run is abandoned and starts
 * again after PSD_REFUSED_RETRY_NS. A re-copy's refusal runs the whole re-copy again at its end. */
static void refused(struct psd_core *c, const struct psd_reply *r, const char *what)
{
	if (c->startup.phase >= PH_RUNNING) {
		c->startup.recopy_refused = c->startup.recopy_refused || c->startup.recopy;
		return;
	}
	if (c->startup.phase == PH_REFUSED || c->startup.phase == PH_IDLE)
		return;
	c->startup.copy.pending = false;
	c->startup.phase = PH_REFUSED;
	psd_log_refusal(c, what, r);
	c->startup.wants |= PSD_WANT_REFUSED | PSD_WANT_RETRY;
}

static bool reply_is(const struct psd_reply *r, const char *lit)
{
	return r->type == PSD_REPLY_STRING && psd_str_is(&r->str, lit);
}

static void phase_done(struct psd_core *c)
{
	switch (c->startup.phase) {
	case PH_LOGGER:
		psd_todo(c, TODO_LOG_CONFIG);
		if (!c->startup.log_level_found || !c->startup.log_output_found) {
			psd_todo(c, TODO_HSET_LOGGER);
			enter(c, PH_LOGGER_SET, 1);
		} else {
			after_logger(c);
		}
		return;
	case PH_LOGGER_SET:
		after_logger(c);
		return;
	case PH_SWITCH_TYPE:
		if (c->startup.restore_decided) { /* a restarted start-up: write the same decision again */
			restore_set(c);
			return;
		}
		psd_todo(c, TODO_HGET_WARM_SYSTEM);
		psd_todo(c, TODO_HGET_WARM_SWSS);
		enter(c, PH_WARM_ENABLE, 2);
		return;
	case PH_WARM_ENABLE:
		if (c->startup.warm_enabled) {
			psd_todo(c, TODO_HGET_RESTORE);
			enter(c, PH_RESTORE_GET, 1);
		} else {
			c->startup.restore_count = 0;
			restore_set(c);
		}
		return;
	case PH_RESTORE_SET:
		c->startup.wants |= PSD_WANT_DUMP;
		psd_todo(c, TODO_KEYS_PORT);
		psd_log_line(c, PSD_LOG_NOTICE, "Getting port configuration from ConfigDB...", "");
		c->startup.appl_kept = false;
		if (c->cfg.compat) {
			enter(c, PH_KEYS, 1);
			return;
		}
		psd_todo(c, TODO_SEEN_APPL);
		psd_todo(c, TODO_SEEN_STAGED);
		enter(c, PH_KEYS, 3);
		return;
	case PH_KEYS:
		after_keys(c);
		return;
	case PH_CONFIG_DONE:
		if (c->startup.warm) { /* the re-copy of a warm start: still no prune, no old interfaces */
			start_listening(c);
			return;
		}
		begin_cursor(c, PH_PRUNE);
		if (c->ports.high_water == 0)
			after_prune(c);
		return;
	default:
		PSD_UNREACHABLE();
	}
}

void psd_startup_reply(struct psd_core *c, const struct psd_reply *r)
{
	enum psd_tag_kind kind = PSD_TAG_KIND(r->tag);

	if (c->startup.recopy && (kind == TAG_CONFIG_GET || kind == TAG_CONFIG_DONE)) {
		if (r->type == PSD_REPLY_ERROR && !psd_reply_error_is(r, "WRONGTYPE")) {
			if (!c->startup.recopy_refused) { /* one line per attempt, with Redis's error */
				struct psd_text t;
				if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
					psd_text_str(&t, "Redis refused part of the CONFIG_DB copy "
							 "with ");
					psd_text_reply_error(&t, r);
					psd_log_end(c, &t);
				}
			}
			c->startup.recopy_refused = true;
		}
		if (kind == TAG_CONFIG_GET) {
			on_config_get(c, r);
			return;
		}
		if (c->startup.recopy_refused) { /* some of it was refused: all of it again after a pause */
			c->startup.recopy_refused = false;
			psd_log_refusal(c, "part of the CONFIG_DB copy", r);
			c->startup.wants |= PSD_WANT_RETRY;
			return;
		}
		c->startup.recopy = false; /* APPL_DB holds the port entries and PortConfigDone again */
		c->startup.wants |= PSD_WANT_ANNOUNCE_AGAIN; /* sent before, or lost with the outage */
		return;
	}
	if (c->startup.phase >= PH_RUNNING)
		return; /* cannot happen: start-up replies of an earlier epoch are dropped */

	struct psd_reply nil = {.tag = r->tag, .type = PSD_REPLY_NIL};
	if (r->type == PSD_REPLY_ERROR && kind == TAG_CONFIG_GET &&
	    psd_reply_error_is(r, "WRONGTYPE")) {
		on_config_get(c, r); /* named and skipped; the copy goes on */
		return;
	}
	if (r->type == PSD_REPLY_ERROR && psd_reply_error_is(r, "WRONGTYPE")) {
		c->stats.db_errors++;
		if (kind == TAG_PRUNE)
			log_wrongtype(c, "APPL_DB PORT_TABLE:", c->ports.ports[PSD_TAG_INDEX(r->tag)].name,
				      r, "; taken as absent");
		else
			log_wrongtype(c, tag_key(kind), "", r, "; taken as absent");
		r = &nil;
	} else if (r->type == PSD_REPLY_ERROR) {
		c->stats.db_errors++;
		refused(c, r, "a start-up command");
		return;
	}
	switch (kind) {
	case TAG_LOG_LEVEL:
	case TAG_LOG_OUTPUT:
		logger_field(c, r, kind == TAG_LOG_LEVEL);
		break;
	case TAG_SCRIPT_LOAD:
		if (!reply_text(r, c->startup.script_sha, sizeof(c->startup.script_sha)) || strlen(c->startup.script_sha) != 40)
			memset(c->startup.script_sha, '0', 40); /* EVALSHA will fail loudly: NOSCRIPT */
		break;
	case TAG_SWITCH_TYPE:
		c->startup.dpu = reply_is(r, "dpu");
		break;
	case TAG_WARM_SYSTEM:
	case TAG_WARM_SWSS:
		c->startup.warm_enabled = c->startup.warm_enabled || reply_is(r, "true");
		break;
	case TAG_RESTORE_GET:
		on_restore_count(c, r);
		return;
	case TAG_KEYS:
		on_keys(c, r);
		break;
	case TAG_SEEN_APPL:
	case TAG_SEEN_STAGED:
		c->startup.appl_kept = c->startup.appl_kept || (r->type == PSD_REPLY_INTEGER && r->integer > 0);
		break;
	case TAG_CONFIG_GET:
		on_config_get(c, r);
		return;
	case TAG_PRUNE:
		on_prune(c, r);
		return;
	case TAG_INFO: /* its run_id is recovery.c's */
		break;
	case TAG_LOG_SET:
	case TAG_RESTORE_SET:
	case TAG_CONFIG_DONE:
		break;
	default:
		PSD_UNREACHABLE();
	}
	PSD_ASSERT(c->startup.replies_awaited > 0);
	if (--c->startup.replies_awaited == 0)
		phase_done(c);
}

/* field: is the port this netdev belongs to (itself, or a sub-interface's parent) not known to
 * APPL_DB? Only then is the netdev a leftover of an earlier run. */
static bool is_old(struct psd_core *c, const char *name, size_t len)
{
	if (c->cfg.compat)
		return true;
	/* not the flushed cold start of FB-03: these netdevs are the system's. A start-up run again
	 * keeps the first run's answer: a Redis restarted meanwhile (onto older data, or empty)
	 * does not make our netdevs leftovers, and our own copy does not make a flushed APPL_DB
	 * kept */
	if (c->startup.appl_kept_first)
		return false;
	uint32_t idx = psd_port_find(&c->ports, name, psd_name_parent_len(name, len));
	return idx == PSD_NO_PORT || !c->ports.ports[idx].pruned;
}

void psd_startup_ifaces(struct psd_core *c, const struct psd_iface *ifaces, size_t count)
{
	PSD_ASSERT(c->startup.phase == PH_IFACES);
	for (size_t i = 0; i < count; i++) {
		const char *name = ifaces[i].name;
		size_t len = strnlen(name, PSD_IFNAME_LEN_MAX + 1);
		enum psd_name_class cls = psd_name_classify(name, len);

		if (ifaces[i].ifindex == 0)
			break; /* if_nameindex() ends at index 0 */
		if (cls != PSD_NAME_PORT && cls != PSD_NAME_SUBIF)
			continue;
		if (!is_old(c, name, len))
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
	c->startup.old_emitted = 0;
	if (c->old.count == 0)
		start_listening(c);
}

static bool pull_old_iface(struct psd_core *c, struct psd_action *ret)
{
	struct psd_text t;
	const struct psd_old_iface *o = &c->old.ifaces[c->startup.old_emitted++];

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
	if (c->startup.old_emitted == c->old.count)
		start_listening(c);
	return true;
}

/* Start-up work that iterates: HGETALL and prune per port, old interfaces. */
bool psd_startup_pull(struct psd_core *c, bool may_send, struct psd_action *ret)
{
	if (c->startup.phase == PH_IFACES && c->startup.old_emitted < c->old.count)
		return pull_old_iface(c, ret);
	if (c->startup.phase != PH_CONFIG_COPY && c->startup.phase != PH_PRUNE && !c->startup.recopy)
		return false;
	while (c->startup.cursor < c->ports.high_water && may_send) {
		uint32_t port = c->startup.cursor++;
		if (!c->ports.ports[port].configured)
			continue;
		c->startup.cursor_replies++;
		if (c->startup.phase == PH_CONFIG_COPY || c->startup.recopy)
			psd_emit_config_get(c, port, ret);
		else
			psd_emit_prune(c, port, ret);
		return true;
	}
	return false;
}


void psd_startup_restart(struct psd_core *c)
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
	c->startup.old_emitted = 0;
	c->startup.cursor = 0;
	c->startup.cursor_replies = 0;
	psd_port_uncount_all(&c->ports);
	c->startup.copy.pending = false;
	psd_startup_begin(c);
}

void psd_startup_copy_reply(struct psd_core *c, const struct psd_reply *r)
{
	if (r->type != PSD_REPLY_ERROR)
		return;
	c->stats.db_errors++;
	psd_log_line(c, PSD_LOG_ERROR, "APPL_DB producer set failed for ",
		     c->ports.ports[PSD_TAG_INDEX(r->tag)].name);
	refused(c, r, "a start-up command");
}

void psd_startup_timer(struct psd_core *c, bool redis_up)
{
	if (c->startup.phase != PH_RUNNING || c->now_ns < c->startup.log_poll_due_ns)
		return;
	c->startup.log_poll_due_ns = c->now_ns + PSD_LOGGER_POLL_NS;
	if (!c->startup.log_poll_inflight && redis_up) {
		c->startup.log_poll_inflight = true;
		psd_todo(c, TODO_POLL_LOG_LEVEL);
		psd_todo(c, TODO_POLL_LOG_OUTPUT);
	}
}

void psd_startup_outage(struct psd_core *c)
{
	if (c->startup.phase < PH_RUNNING && c->startup.phase != PH_IDLE) {
		c->startup.restart_due = true;
		c->startup.copy.pending = false;
	}
	c->startup.log_poll_inflight = false;
	c->startup.recopy = false; /* a re-copy starts over after the verification */
}

bool psd_startup_resume(struct psd_core *c)
{
	if (!c->startup.restart_due)
		return false;
	c->startup.restart_due = false;
	psd_startup_restart(c);
	return true;
}

void psd_startup_recopy(struct psd_core *c)
{
	psd_port_uncount_all(&c->ports); /* counted again as they are copied */
	c->startup.recopy = true;
	c->startup.recopy_refused = false;
	c->startup.cursor = 0;
	c->startup.cursor_replies = 0;
}

void psd_startup_stop(struct psd_core *c)
{
	c->startup.phase = PH_STOPPING;
}

void psd_startup_exited(struct psd_core *c)
{
	c->startup.phase = PH_EXITED;
}

void psd_startup_check(const struct psd_core *c)
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
	PSD_ASSERT(configured == c->startup.config_ports);
	PSD_ASSERT(portset == c->ports.portset_count);
	PSD_ASSERT(c->startup.old_emitted <= c->old.count);
	PSD_ASSERT(c->startup.cursor <= c->ports.high_water);
	PSD_ASSERT(!c->startup.copy.pending || c->startup.copy.pairs <= PSD_PORT_FIELDS_MAX);
}
