/*
 * Warm restart: the machine of warm_fsm.rl driving a start, as swss-common's warmRestartAssist
 * does for other daemons, with the end of initial update of a link mirror.
 *
 * A warm start (restore_count found) reads what STATE_DB holds before any link message is
 * applied (initialized): KEYS PORT_TABLE|*, then HGETALL of each entry with a port's name,
 * CONFIG_DB WARM_RESTART|swss portsyncd_timer and APPL_DB's PortConfigDone count. An entry with
 * our four fields exactly as the daemon writes them marks its port `stored_known`; one with any
 * of them marks it `restored` (the daemon may own it). Link messages then flow (restored): a
 * NEWLINK equal to what STATE_DB holds writes nothing (links.c), any other is written. The end of
 * initial update is the NLMSG_DONE of the first complete link dump (an interrupted or overrun dump
 * is replaced by a new one: resync.c); it moves the machine to replayed and starts the hold time.
 * When the hold is over it asks the engine (PSD_WANT_RECONCILE_RESTORED) to have links.c delete
 * the entries of restored ports whose netdev is gone (our fields only, by HDEL: the mechanism of a
 * restarted Redis's reconciliation), and writes PortConfigDone again when CONFIG_DB lost ports
 * while the daemon was down; once every port command is acknowledged the machine is reconciled
 * and the restore marks are cleared. A cold start goes to disabled. WARM_RESTART_TABLE|portsyncd
 * `state` follows the machine (not with --compat: the C++ daemon never writes it).
 *
 * Faults: a lost Redis connection or a refused start-up during the restore drops its replies (an
 * older epoch): the read runs again from nothing; a read Redis refuses runs again after
 * PSD_REFUSED_RETRY_NS; after the restore, a Redis that came back emptied or restarted forgets the
 * stored values (every port is written); an overrun during the first dump only delays the end of
 * initial update; SIGTERM leaves restore_count raised, so the next start is warm again.
 *
 * Invariants: at most PSD_WARM_STATE_QUEUE state writes wait; restore replies are awaited only in
 * initialized; the hold is armed only in replayed; `stored_known` implies `restored`.
 */
#include <string.h>

#include "ctx.h"
#include "emit.h"
#include "outbox.h"
#include "port_stats.h"
#include "warm.h"
#include "names.h"
#include "port_fsm.h"
#include "psd_assert.h"
#include "work.h"

void psd_warm_init(struct psd_ctx *c, struct psd_warm *w)
{
	memset(w, 0, sizeof(*w));
	w->cs = (int16_t)psd_warm_fsm_start();
	w->state = PSD_WARM_UNKNOWN;
	w->config_done_count = -1;
	w->hold_due_ns = UINT64_MAX;
	w->retry_due_ns = UINT64_MAX;
}

void psd_warm_begin(struct psd_ctx *c, struct psd_warm *w)
{
	w->started_ns = c->now_ns;
}

enum psd_warm_state psd_warm_current(const struct psd_ctx *c, const struct psd_warm *w)
{
	return (enum psd_warm_state)w->state;
}

static void queue_state(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{
	if (c->cfg.compat)
		return; /* the C++ daemon never writes `state` */
	uint8_t s = (uint8_t)psd_warm_current(c, w);
	if (w->states_len > 0 &&
	    w->states[(w->states_head + w->states_len - 1) % PSD_WARM_STATE_QUEUE] == s)
		return; /* the same state is waiting to go: one write says it */
	/* consecutive states differ, and a start passes through at most five */
	PSD_ASSERT(w->states_len < PSD_WARM_STATE_QUEUE);
	w->states[(w->states_head + w->states_len) % PSD_WARM_STATE_QUEUE] = s;
	w->states_len++;
}

static void forget(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++)
		c->ports.ports[i].stored_known = false;
}

/* Starts the read from nothing: what an earlier, interrupted read found may have changed. */
static void begin_restore(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		if (!p->used || !p->restored)
			continue;
		p->restored = false;
		p->stored_known = false;
		if (!p->configured && !p->present && p->fsm_state == psd_port_fsm_start() &&
		    !p->queued && !p->sent)
			psd_port_remove(&c->ports, i);
	}
	w->keys_wanted = true;
	w->keys_done = false;
	w->timer_wanted = true;
	w->count_wanted = true;
	w->refused = false;
	w->awaited = 0;
	w->cursor = 0;
	w->entries = 0;
	w->overflow = 0;
	w->retry_due_ns = UINT64_MAX;
	w->epoch = g->epoch;
}

static void log_ms(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		   const char *a, uint64_t ns, const char *b)
{
	struct psd_text t;
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
		return;
	psd_text_str(&t, a);
	psd_text_u64(&t, ns / PSD_NS_PER_MS);
	psd_text_str(&t, b);
	psd_log_end(c, &t);
}

static void step(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		 enum psd_warm_sym sym);

/* PortConfigDone counted the ports of the last cold start; CONFIG_DB lost some since (or gained):
 * written again with CONFIG_DB's count. Not when this start copied CONFIG_DB itself (APPL_DB had
 * lost it: that copy wrote the right count). */
static void correct_count(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{
	struct psd_text t;

	if (!g->appl_kept || w->config_done_count < 0 || g->config_overflow ||
	    (uint64_t)w->config_done_count == g->config_ports)
		return;
	for (uint32_t i = 0; i < c->ports.high_water; i++)
		if (c->ports.ports[i].used && c->ports.ports[i].configured)
			psd_port_count_in(&c->ports, &c->ports.ports[i]);
	psd_todo(c, TODO_CONFIG_DONE);
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) == NULL)
		return;
	psd_text_str(&t, "warm restart: PortConfigDone counts ");
	psd_text_i64(&t, w->config_done_count);
	psd_text_str(&t, " ports, CONFIG_DB has ");
	psd_text_u64(&t, g->config_ports);
	psd_text_str(&t, ": count written again");
	psd_log_end(c, &t);
}

static void reconcile(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{

	if (c->cfg.compat)
		return; /* the C++ daemon reconciles nothing */
	w->wants |= PSD_WANT_RECONCILE_RESTORED;
	correct_count(c, w, g);
	if (psd_warm_current(c, w) == PSD_WARM_REPLAYED)
		w->reconciling = true;
}

static void done(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		struct psd_port *p = &c->ports.ports[i];
		p->restored = false;
		p->stored_known = false;
	}
	w->reconciling = false;
	w->reconciled_ns = c->now_ns;
	log_ms(c, w, g, "warm restart: reconciled ", c->now_ns - w->started_ns, " ms after start");
}

static void work(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		 unsigned bits)
{

	if (bits & PSD_WW_STATE)
		queue_state(c, w, g);
	if (bits & PSD_WW_FORGET)
		forget(c, w, g);
	if (bits & PSD_WW_DONE)
		done(c, w, g);
	if (bits & PSD_WW_RECONCILE)
		reconcile(c, w, g);
	if (bits & PSD_WW_RESTORE) {
		if (c->cfg.compat) { /* nothing is read: the C++ daemon writes every port */
			step(c, w, g, PSD_WS_RESTORED);
			return;
		}
		begin_restore(c, w, g);
	}
	if (bits & PSD_WW_HOLD) {
		if (w->hold_ns == 0) {
			step(c, w, g, PSD_WS_HOLD_OVER);
			return;
		}
		w->hold_due_ns = c->now_ns + w->hold_ns;
		log_ms(c, w, g, "warm restart: end of initial update; holding ", w->hold_ns,
		       " ms (portsyncd_timer) before reconciling");
	}
}

static void step(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		 enum psd_warm_sym sym)
{
	unsigned bits = 0;
	enum psd_warm_state from = psd_warm_current(c, w);
	int next = psd_warm_fsm_step(w->cs, sym, &bits);

	PSD_ASSERT(next >= 0); /* every symbol the engine makes has a transition */
	w->cs = (int16_t)next;
	w->state = (uint8_t)psd_warm_fsm_state(next);
	if (psd_warm_current(c, w) != from) {
		psd_log_line(c, PSD_LOG_NOTICE, "warm restart: ",
			     psd_warm_state_name(psd_warm_current(c, w)));
		if (g->warm)
			psd_todo(c, TODO_NOTIFY_STATUS); /* STATUS= says where a warm restart is */
	}
	work(c, w, g, bits);
}

void psd_warm_event(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		    enum psd_warm_sym sym)
{
	if (sym == PSD_WS_DUMP_DONE) {
		if (w->eoiu)
			return; /* only the first complete dump ends the initial update */
		w->eoiu = true;
	}
	if (sym == PSD_WS_OVERRUN && w->eoiu)
		return; /* a loss after the initial update is the resync's alone */
	step(c, w, g, sym);
}

/* "<table><sep><name>": the name, when key is a STATE_DB PORT_TABLE key of a port's name. */
static bool port_key(const struct psd_ctx *c, const struct psd_warm *w, const struct psd_str *key,
		     struct psd_str *ret)
{
	size_t prefix = 10 + strlen(c->cfg.separator[PSD_DB_STATE]); /* "PORT_TABLE" + sep */
	if (key->len <= prefix || key->len - prefix > PSD_IFNAME_LEN_MAX)
		return false;
	ret->ptr = key->ptr + prefix;
	ret->len = key->len - prefix;
	return psd_name_classify(ret->ptr, ret->len) == PSD_NAME_PORT;
}

static void on_keys(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		    const struct psd_reply *r)
{
	struct psd_str name;

	for (size_t i = 0; r->type == PSD_REPLY_ARRAY && i < r->element_count; i++) {
		if (!port_key(c, w, &r->elements[i], &name))
			continue; /* not a port's name: never ours */
		uint32_t idx = psd_port_find(&c->ports, name.ptr, name.len);
		if (idx == PSD_NO_PORT) {
			idx = psd_port_add(&c->ports, name.ptr, name.len);
			if (idx == PSD_NO_PORT) {
				w->overflow++;
				c->stats.ports_refused++;
				continue;
			}
			c->ports.ports[idx].name_class = PSD_NAME_PORT;
			c->ports.ports[idx].fsm_state = (int16_t)psd_port_fsm_start();
		}
		c->ports.ports[idx].restored = true;
	}
	w->keys_done = true;
	w->cursor = 0;
}

static bool field_is(const struct psd_str *s, const char *lit)
{
	return psd_str_is(s, lit);
}

/* An HGETALL of a restored port: what it holds of our fields. */
static void on_entry(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		     const struct psd_reply *r)
{
	uint32_t idx = PSD_TAG_INDEX(r->tag);
	struct psd_port *p = &c->ports.ports[idx];
	bool ok = false, oper = false, admin = false, mtu = false, ours = false;
	uint64_t v = 0;

	PSD_ASSERT(idx < c->ports.high_water && p->used && p->restored);
	for (size_t i = 0; r->type == PSD_REPLY_ARRAY && i + 1 < r->element_count; i += 2) {
		const struct psd_str *f = &r->elements[i], *val = &r->elements[i + 1];
		if (field_is(f, "state")) {
			ours = true;
			ok = field_is(val, "ok");
		} else if (field_is(f, "netdev_oper_status")) {
			ours = true;
			oper = field_is(val, "up") || field_is(val, "down");
			p->stored_oper_up = field_is(val, "up");
		} else if (field_is(f, "admin_status")) {
			ours = true;
			admin = field_is(val, "up") || field_is(val, "down");
			p->stored_admin_up = field_is(val, "up");
		} else if (field_is(f, "mtu")) {
			ours = true;
			mtu = psd_dec_to_u64(val->ptr, val->len, &v) == 0 && v <= UINT32_MAX;
			p->stored_mtu = (uint32_t)v;
		}
	}
	p->restored = ours; /* other daemons' fields alone (host_tx_ready): not ours to delete */
	p->stored_known = ok && oper && admin && mtu;
	w->entries += ours;
	if (!ours && !p->configured && !p->present && p->fsm_state == psd_port_fsm_start() &&
	    !p->queued && !p->sent)
		psd_port_remove(&c->ports, idx);
}

static void on_timer_value(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
			   const struct psd_reply *r)
{
	uint64_t s = 0;
	struct psd_text t;

	w->hold_ns = 0;
	if (r->type == PSD_REPLY_NIL)
		return; /* absent: no hold, as swss-common's default for a daemon without a timer */
	if (r->type == PSD_REPLY_STRING && psd_dec_to_u64(r->str.ptr, r->str.len, &s) == 0 &&
	    s >= 1 && s <= PSD_WARM_TIMER_MAX_S) {
		w->hold_ns = s * 1000u * PSD_NS_PER_MS;
		return;
	}
	if (psd_log_begin(c, PSD_LOG_ERROR, &t) == NULL)
		return;
	psd_text_str(&t, "CONFIG_DB WARM_RESTART|swss portsyncd_timer '");
	psd_text_escaped(&t, r->str.ptr, r->type == PSD_REPLY_STRING ? r->str.len : 0);
	psd_text_str(&t, "' is not a number of seconds from 1 to 9999 (PSD_WARM_TIMER_MAX_S): no hold");
	psd_log_end(c, &t);
}

static void on_count(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		     const struct psd_reply *r)
{
	uint64_t n;
	w->config_done_count = -1;
	if (r->type == PSD_REPLY_STRING && psd_dec_to_u64(r->str.ptr, r->str.len, &n) == 0 &&
	    n <= PSD_PORTS_LIMIT)
		w->config_done_count = (int64_t)n;
}

/* Moves the cursor to the next restored port; the read is over when it is at the end. */
static void progress(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{
	struct psd_text t;

	if (!w->keys_done)
		return;
	while (w->cursor < c->ports.high_water &&
	       !(c->ports.ports[w->cursor].used && c->ports.ports[w->cursor].restored))
		w->cursor++;
	if (w->cursor < c->ports.high_water || w->awaited > 0 || w->timer_wanted || w->count_wanted)
		return;
	w->keys_done = false;
	if (w->refused) { /* Redis refused part of it (LOADING): all of it again after a pause */
		w->refused = false;
		w->retry_due_ns = c->now_ns + PSD_REFUSED_RETRY_NS;
		return;
	}
	if (w->overflow > 0) {
		if (psd_log_begin(c, PSD_LOG_CRIT, &t) != NULL) {
			psd_text_str(&t, "warm restart: STATE_DB PORT_TABLE has ");
			psd_text_u64(&t, w->overflow);
			psd_text_str(&t, " more port entries than the port table holds (ports_max ");
			psd_text_u64(&t, c->lim.ports_max);
			psd_text_str(&t, "): not reconciled; every port is written");
			psd_log_end(c, &t);
		}
		step(c, w, g, PSD_WS_RESTORE_FAILED);
		return;
	}
	if (psd_log_begin(c, PSD_LOG_NOTICE, &t) != NULL) {
		psd_text_str(&t, "warm restart: STATE_DB holds ");
		psd_text_u64(&t, w->entries);
		psd_text_str(&t, " port entries");
		psd_log_end(c, &t);
	}
	step(c, w, g, PSD_WS_RESTORED);
}

void psd_warm_reply(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		    const struct psd_reply *r)
{
	enum psd_tag_kind kind = PSD_TAG_KIND(r->tag);

	if (r->type == PSD_REPLY_ERROR)
		c->stats.db_errors++;
	if (kind == TAG_WARM_STATE) {
		if (r->type == PSD_REPLY_ERROR) /* rewritten with the next state, or after an outage */
			psd_log_line(c, PSD_LOG_ERROR, "warm restart: Redis refused the state write of "
						       "STATE_DB WARM_RESTART_TABLE|portsyncd", "");
		return;
	}
	PSD_ASSERT(w->awaited > 0 && psd_warm_current(c, w) == PSD_WARM_INITIALIZED);
	w->awaited--;
	if (r->type == PSD_REPLY_ERROR && !psd_reply_error_is(r, "WRONGTYPE")) {
		if (!w->refused) {
			struct psd_text t;
			if (psd_log_begin(c, PSD_LOG_ERROR, &t) != NULL) {
				psd_text_str(&t, "warm restart: Redis refused the read of what it holds "
						 "with ");
				psd_text_reply_error(&t, r);
				psd_text_str(&t, ": reading it again in ");
				psd_text_u64(&t, PSD_REFUSED_RETRY_NS / PSD_NS_PER_MS);
				psd_text_str(&t, " ms");
				psd_log_end(c, &t);
			}
		}
		w->refused = true;
		if (kind == TAG_WARM_KEYS)
			w->keys_done = true; /* nothing to read per port; the read is redone */
		progress(c, w, g);
		return;
	}
	switch (kind) {
	case TAG_WARM_KEYS:
		on_keys(c, w, g, r);
		break;
	case TAG_WARM_ENTRY:
		on_entry(c, w, g, r);
		break;
	case TAG_WARM_TIMER:
		on_timer_value(c, w, g, r);
		break;
	case TAG_WARM_COUNT:
		on_count(c, w, g, r);
		break;
	default:
		PSD_UNREACHABLE();
	}
	progress(c, w, g);
}

void psd_warm_settle(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{
	if (psd_warm_current(c, w) == PSD_WARM_INITIALIZED && w->epoch != g->epoch)
		begin_restore(c, w, g); /* an outage or a refused start-up dropped its replies: again */
	if (w->reconciling && g->idle)
		step(c, w, g, PSD_WS_RECONCILE_DONE);
}

void psd_warm_timer(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g)
{
	if (c->now_ns >= w->retry_due_ns) {
		w->retry_due_ns = UINT64_MAX;
		begin_restore(c, w, g);
	}
	if (c->now_ns < w->hold_due_ns)
		return;
	w->hold_due_ns = UINT64_MAX;
	step(c, w, g, PSD_WS_HOLD_OVER);
}

uint64_t psd_warm_deadline(const struct psd_ctx *c, const struct psd_warm *w)
{
	return w->hold_due_ns < w->retry_due_ns ? w->hold_due_ns : w->retry_due_ns;
}

bool psd_warm_pull(struct psd_ctx *c, struct psd_warm *w, const struct psd_warm_given *g,
		   bool may_send, struct psd_action *ret)
{
	if (w->states_len > 0) {
		enum psd_warm_state s = (enum psd_warm_state)w->states[w->states_head];
		w->states_head = (w->states_head + 1) % PSD_WARM_STATE_QUEUE;
		w->states_len--;
		psd_emit_warm(c, TAG_WARM_STATE, 0, psd_warm_state_name(s), ret);
		return true;
	}
	if (psd_warm_current(c, w) != PSD_WARM_INITIALIZED)
		return false;
	if (w->keys_wanted || w->timer_wanted || w->count_wanted) {
		enum psd_tag_kind kind = w->keys_wanted ? TAG_WARM_KEYS :
					 w->timer_wanted ? TAG_WARM_TIMER : TAG_WARM_COUNT;
		*(kind == TAG_WARM_KEYS ? &w->keys_wanted :
		  kind == TAG_WARM_TIMER ? &w->timer_wanted : &w->count_wanted) = false;
		w->awaited++;
		psd_emit_warm(c, kind, 0, NULL, ret);
		return true;
	}
	if (!w->keys_done || !may_send)
		return false;
	progress(c, w, g); /* start-up may have added configured ports behind the cursor */
	if (w->cursor >= c->ports.high_water)
		return false;
	w->awaited++;
	psd_emit_warm(c, TAG_WARM_ENTRY, w->cursor++, NULL, ret);
	return true;
}

void psd_warm_check(const struct psd_ctx *c, const struct psd_warm *w)
{
	enum psd_warm_state s = psd_warm_current(c, w);

	PSD_ASSERT(s < _PSD_WARM_STATE_MAX && s == psd_warm_fsm_state(w->cs));
	PSD_ASSERT(w->states_len <= PSD_WARM_STATE_QUEUE);
	PSD_ASSERT(w->awaited == 0 || s == PSD_WARM_INITIALIZED);
	PSD_ASSERT(w->hold_due_ns == UINT64_MAX || s == PSD_WARM_REPLAYED);
	PSD_ASSERT(!w->reconciling || s == PSD_WARM_REPLAYED);
	PSD_ASSERT(w->wants == 0); /* the engine takes them after every call */
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		PSD_ASSERT(!p->stored_known || p->restored);
	}
}
