/* The deterministic world (see world.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "hash.h"
#include "world.h"

static void world_fail(const char *what)
{
	fprintf(stderr, "world: %s\n", what);
	abort();
}

static void free_reply(struct psd_world_reply *q)
{
	free(q->copy);
}

uint32_t psd_world_db_id(const struct psd_world *w, enum psd_db db)
{
	return w->cfg.db_id[db];
}

void psd_world_config(struct psd_world *w)
{
	memset(&w->cfg, 0, sizeof(w->cfg));
	strcpy(w->cfg.separator[PSD_DB_CONFIG], "|");
	strcpy(w->cfg.separator[PSD_DB_APPL], ":");
	strcpy(w->cfg.separator[PSD_DB_STATE], "|");
	w->cfg.db_id[PSD_DB_CONFIG] = PSD_WORLD_CONFIG;
	w->cfg.db_id[PSD_DB_APPL] = PSD_WORLD_APPL;
	w->cfg.db_id[PSD_DB_STATE] = PSD_WORLD_STATE;
	w->cfg.log_level_pinned = true;
	w->cfg.log_level = PSD_LOG_DEBUG;
	w->lim.ports_max = 64;
	w->lim.inflight_max = 64;
}

struct psd_world *psd_world_new(void)
{
	struct psd_world *w = calloc(1, sizeof(*w));
	if (w == NULL)
		world_fail("out of memory");
	psd_model_init(&w->m);
	psd_world_config(w);
	w->m.notify = psd_world_subs_published; /* the model's writes, to the subscriptions */
	w->m.notify_ctx = &w->subs;
	w->now = 1000;
	return w;
}

static size_t append(char *line, size_t n, size_t size, const char *s, size_t len)
{
	size_t take = len < size - 1 - n ? len : size - 1 - n;
	memcpy(line + n, s, take);
	return n + take;
}

void psd_world_trace(struct psd_world *w, uint32_t db, uint32_t argc,
			       const char *const *argv, const size_t *len)
{
	char line[1024];
	size_t n = 0;
	line[n++] = (char)('0' + db % 10); /* SONiC's database numbers are single digits */
	for (uint32_t i = 0; i < argc && n < sizeof(line) - 2; i++) {
		n = append(line, n, sizeof(line), " ", 1);
		n = append(line, n, sizeof(line), argv[i], len[i] < 60 ? len[i] : 60); /* scripts: the head */
	}
	line[n] = '\0';
	w->trace_hash = psd_sim_hash(w->trace_hash, line, n); /* chained over every command */
	char *slot = w->recent[w->recent_total++ % 16];
	size_t keep = n < sizeof(w->recent[0]) ? n : sizeof(w->recent[0]) - 1;
	memcpy(slot, line, keep);
	slot[keep] = '\0';
	if (w->echo)
		fprintf(stderr, "%12.3f cmd %s\n", (double)w->now / 1e9, line);
	if (w->trace_count == PSD_WORLD_TRACE_MAX) {
		w->trace_dropped++; /* the first PSD_WORLD_TRACE_MAX commands are kept */
		return;
	}
	w->trace[w->trace_count++] = strdup(line);
}

static struct psd_world_reply *reply_at(const struct psd_world *w, size_t i)
{
	return &w->replies[(w->reply_head + i) & (w->reply_cap - 1)];
}

static void queue_reply(struct psd_world *w, uint64_t tag, uint32_t expect,
			const struct psd_reply *src);

void psd_world_queue_reply(struct psd_world *w, uint64_t tag, const struct psd_reply *src)
{
	queue_reply(w, tag, UINT32_MAX, src);
}

/* len bytes of s and a NUL, at dst (NULL: allocated) */
static char *copy_text(char *dst, const char *s, size_t len)
{
	if (dst == NULL && (dst = malloc(len + 1)) == NULL)
		world_fail("out of memory");
	memcpy(dst, s, len);
	dst[len] = '\0';
	return dst;
}

/* A copy of n elements and their text in one block (*block, to free). */
static const struct psd_str *copy_elements(void **block, const struct psd_str *src, size_t n)
{
	size_t text = 0;
	for (size_t i = 0; i < n; i++)
		text += src[i].len + 1;
	struct psd_str *e = malloc((n + 1) * sizeof(*e) + text);
	if (e == NULL)
		world_fail("out of memory");
	char *at = (char *)(e + n + 1);
	for (size_t i = 0; i < n; i++) {
		e[i] = (struct psd_str){copy_text(at, src[i].ptr, src[i].len), src[i].len};
		at += src[i].len + 1;
	}
	e[n] = (struct psd_str){NULL, 0};
	*block = e;
	return e;
}

static void queue_reply(struct psd_world *w, uint64_t tag, uint32_t expect,
			const struct psd_reply *src)
{
	if (w->reply_count == w->reply_cap) { /* a ring of a power of two: unroll into twice the room */
		size_t cap = w->reply_cap ? 2 * w->reply_cap : 256;
		struct psd_world_reply *ring = malloc(cap * sizeof(*ring));
		if (ring == NULL)
			world_fail("out of memory");
		for (size_t i = 0; i < w->reply_count; i++)
			ring[i] = *reply_at(w, i);
		free(w->replies);
		w->replies = ring;
		w->reply_cap = cap;
		w->reply_head = 0;
	}
	struct psd_world_reply *q = reply_at(w, w->reply_count++);
	*q = (struct psd_world_reply){.r = *src, .expect = expect};
	q->r.tag = tag;
	if (src->type == PSD_REPLY_STRING || src->type == PSD_REPLY_ERROR) {
		q->copy = copy_text(NULL, src->str.ptr, src->str.len);
		q->r.str.ptr = q->copy;
	}
	if (src->type == PSD_REPLY_ARRAY)
		q->r.elements = copy_elements(&q->copy, src->elements, src->element_count);
}

/* A reply of a type a command expecting `expect` cannot have: an integer where a status, a bulk
 * string or an array is expected, else a status. */
static const struct psd_reply *wrong_type(uint32_t expect, struct psd_reply *r)
{
	*r = (struct psd_reply){.type = PSD_REPLY_INTEGER, .integer = 1};
	if (expect & PSD_EXPECT(PSD_REPLY_INTEGER))
		*r = (struct psd_reply){.type = PSD_REPLY_STRING, .str = {"OK", 2}};
	if (expect & PSD_EXPECT(PSD_REPLY_STRING))
		*r = (struct psd_reply){.type = PSD_REPLY_ARRAY};
	return r;
}

void psd_world_exec(struct psd_world *w, uint32_t db, uint64_t tag, uint32_t expect,
		    uint32_t argc, const char *const *argv, const size_t *len)
{
	struct psd_reply r;
	/* a refusal first: a refused command executes nothing the invariants should see */
	const char *err = w->hooks.refuse != NULL ? w->hooks.refuse(w->hooks.ctx, db, argc, argv, len) :
						    NULL;
	if (err != NULL) {
		r = (struct psd_reply){.type = PSD_REPLY_ERROR, .str = {err, strlen(err)}};
		queue_reply(w, tag, expect, &r);
		return;
	}
	if (w->hooks.wrong_reply != NULL && w->hooks.wrong_reply(w->hooks.ctx, db, argc, argv, len)) {
		queue_reply(w, tag, expect, wrong_type(expect, &r));
		return;
	}
	if (w->hooks.command != NULL && !w->hooks.command(w->hooks.ctx, db, argc, argv, len)) {
		static const char oom[] = "OOM command not allowed when used memory > 'maxmemory'.";
		r = (struct psd_reply){.type = PSD_REPLY_ERROR, .str = {oom, sizeof(oom) - 1}};
		queue_reply(w, tag, expect, &r);
		return;
	}
	psd_model_exec(&w->m, db, argc, argv, len, &r);
	/* the model answers as Redis does: with a reply its command can have */
	if (r.type != PSD_REPLY_ERROR && (expect & PSD_EXPECT(r.type)) == 0)
		world_fail("the Redis model answered a command with a type it cannot have");
	queue_reply(w, tag, expect, &r);
}

/* One command as redis-server's MONITOR prints it, without the time and client. */
static void log_command(FILE *out, uint32_t db, uint32_t argc, const char *const *argv,
			const size_t *len)
{
	fprintf(out, "%u", db);
	for (uint32_t i = 0; i < argc; i++) {
		fputs(" \"", out);
		for (size_t k = 0; k < len[i]; k++) {
			unsigned char ch = (unsigned char)argv[i][k];
			switch (ch) {
			case '\\': fputs("\\\\", out); break;
			case '"': fputs("\\\"", out); break;
			case '\n': fputs("\\n", out); break;
			case '\r': fputs("\\r", out); break;
			case '\t': fputs("\\t", out); break;
			case '\a': fputs("\\a", out); break;
			case '\b': fputs("\\b", out); break;
			default:
				if (ch >= 0x20 && ch < 0x7f)
					fputc(ch, out);
				else
					fprintf(out, "\\x%02x", ch);
			}
		}
		fputc('"', out);
	}
	fputc('\n', out);
}

static void world_command(void *ctx, enum psd_db which, uint64_t tag, uint32_t expect,
			  uint32_t argc, const char *const *argv, const size_t *argv_len)
{
	struct psd_world *w = ctx;
	uint32_t db = psd_world_db_id(w, which);
	psd_world_trace(w, db, argc, argv, argv_len);
	if (w->command_log != NULL)
		log_command(w->command_log, db, argc, argv, argv_len);
	if (w->hooks.sent != NULL)
		w->hooks.sent(w->hooks.ctx, db, argc, argv, argv_len);
	if (!w->hold) {
		psd_world_exec(w, db, tag, expect, argc, argv, argv_len);
		return;
	}
	if (!(w->held_count < PSD_WORLD_HELD_MAX))
		world_fail("w->held_count < PSD_WORLD_HELD_MAX");
	struct psd_world_cmd *h = &w->held[w->held_count++];
	h->db = db;
	h->tag = tag;
	h->expect = expect;
	h->argc = argc;
	h->argv = calloc(h->argc, sizeof(char *));
	h->len = calloc(h->argc, sizeof(size_t));
	for (uint32_t i = 0; i < h->argc; i++) {
		h->argv[i] = malloc(argv_len[i] + 1);
		memcpy(h->argv[i], argv[i], argv_len[i]);
		h->argv[i][argv_len[i]] = '\0';
		h->len[i] = argv_len[i];
	}
}

static uint64_t world_now(void *ctx)
{
	const struct psd_world *w = ctx;
	return w->now;
}

static void world_log(void *ctx, enum psd_log_level level, const char *text)
{
	struct psd_world *w = ctx;
	(void)level;
	if (w->echo)
		fprintf(stderr, "%12.3f log %s\n", (double)w->now / 1e9, text);
	if (w->log_count < 256)
		snprintf(w->logs[w->log_count++], 256, "%s", text);
}

static void world_log_config(void *ctx, enum psd_log_level level, enum psd_log_output output)
{
	(void)ctx, (void)level, (void)output;
}

static int world_nl_dump(void *ctx, uint32_t seq)
{
	struct psd_world *w = ctx;
	w->dump_seq = seq;
	return 0;
}

static void world_nl_listen(void *ctx)
{
	struct psd_world *w = ctx;
	w->listening = true;
}

static size_t world_list_ifaces(void *ctx, const struct psd_iface **ret)
{
	struct psd_world *w = ctx;
	if (w->hooks.list_ifaces != NULL)
		return w->hooks.list_ifaces(w->hooks.ctx, ret);
	*ret = w->ifaces;
	return w->iface_count;
}

static void world_link_down(void *ctx, int32_t ifindex, const char *name)
{
	struct psd_world *w = ctx;
	(void)name;
	if (w->down_count < 64) /* the first 64 are kept */
		w->downs[w->down_count++] = ifindex;
	if (w->hooks.link_down != NULL)
		w->hooks.link_down(w->hooks.ctx, ifindex);
}

static void world_notify(void *ctx, const char *text)
{
	struct psd_world *w = ctx;
	if (strcmp(text, "WATCHDOG=1") == 0) {
		w->watchdogs++;
		return;
	}
	if (w->notify_count < 16) /* the first sixteen are kept */
		snprintf(w->notify[w->notify_count++], 160, "%s", text);
}

static void world_exit(void *ctx, int status, const char *reason)
{
	struct psd_world *w = ctx;
	w->exited = true;
	w->exit_status = status;
}

static int world_db_connect(void *ctx, enum psd_db db, char *detail, size_t detail_size)
{
	struct psd_world *w = ctx;
	w->connects[db]++;
	w->connect_pending[db] = true;
	return 0;
}

static int world_watch(void *ctx, enum psd_db db, uint32_t db_id, uint32_t count,
		       const char *const *patterns, const size_t *len, char *detail, size_t size)
{
	struct psd_world *w = ctx;
	w->watches[db]++; /* answered (or not) by the simulation: psd_world_watch_up */
	psd_world_subs_asked(&w->subs, db, db_id, count, patterns, len);
	return 0;
}

static void world_arm_timer(void *ctx, uint64_t deadline_ns, uint64_t accuracy_ns)
{
	struct psd_world *w = ctx;
	w->timer_due_ns = deadline_ns;
	w->timer_accuracy_ns = accuracy_ns;
}

static const struct psd_driver_ops world_ops = {
	.now = world_now,
	.command = world_command,
	.log = world_log,
	.log_config = world_log_config,
	.nl_dump = world_nl_dump,
	.nl_listen = world_nl_listen,
	.list_ifaces = world_list_ifaces,
	.link_down = world_link_down,
	.notify = world_notify,
	.exit = world_exit,
	.db_connect = world_db_connect,
	.arm_timer = world_arm_timer,
	.watch = world_watch,
};

void psd_world_push(struct psd_world *w, const struct psd_event *ev)
{
	psd_driver_push(&w->driver, ev);
	if (w->driver.refused != 0)
		world_fail("the core refused an event");
	w->events++;
	if (w->check_every <= 1 || ++w->drains % w->check_every == 0)
		psd_core_check(w->core);
}

void psd_world_watch_up(struct psd_world *w, enum psd_db db)
{
	struct psd_event ev;
	if (psd_world_subs_up(&w->subs, db, &ev))
		psd_world_push(w, &ev);
}

void psd_world_watch_down(struct psd_world *w, enum psd_db db)
{
	struct psd_event ev;
	if (psd_world_subs_down(&w->subs, db, &ev))
		psd_world_push(w, &ev);
}

void psd_world_notes_deliver(struct psd_world *w)
{
	struct psd_world_note n;
	struct psd_event ev;
	/* one at a time from the front: delivering one may make the core send commands the
	 * model executes at once, queueing more behind */
	while (psd_world_subs_next(&w->subs, &n, &ev)) {
		psd_world_push(w, &ev);
		free(n.long_key);
	}
}

static unsigned tag_db(uint64_t tag);

/* Delivers the oldest queued reply; false when none is queued. */
bool psd_world_deliver_one(struct psd_world *w)
{
	if (w->reply_count == 0)
		return false;
	struct psd_world_reply q = *reply_at(w, 0);
	w->reply_head = (w->reply_head + 1) & (w->reply_cap - 1);
	w->reply_count--;
	if (w->subs.ahead) /* another connection's bytes may come first */
		psd_world_notes_deliver(w);
	if (q.r.type != PSD_REPLY_ERROR && (q.expect & PSD_EXPECT(q.r.type)) == 0) {
		/* as the adapter judges it: the stream is out of step, the connection dropped */
		free_reply(&q);
		w->protocol_drops++;
		psd_world_db_drop(w, (enum psd_db)tag_db(q.r.tag), PSD_DOWN_PROTOCOL,
				  "a reply its command cannot have: the stream is out of step");
		psd_world_notes_deliver(w);
		return true;
	}
	struct psd_event ev = {.type = PSD_EV_DB_REPLY};
	ev.u.reply = q.r;
	psd_world_push(w, &ev);
	free_reply(&q);
	psd_world_notes_deliver(w); /* what the command published comes after its reply */
	return true;
}

/* Delivers queued replies until none is left. */
void psd_world_settle(struct psd_world *w)
{
	while (psd_world_deliver_one(w))
		;
}

static void free_cmd(struct psd_world_cmd *h)
{
	for (uint32_t k = 0; k < h->argc; k++)
		free(h->argv[k]);
	free(h->argv);
	free(h->len);
}

/* Executes the commands held in flight, in order, then settles. */
void psd_world_release(struct psd_world *w)
{
	size_t n = w->held_count;
	w->hold = false;
	for (size_t i = 0; i < n; i++) {
		struct psd_world_cmd *h = &w->held[i];
		psd_world_exec(w, h->db, h->tag, h->expect, h->argc, (const char *const *)h->argv, h->len);
		free_cmd(h);
	}
	w->held_count = 0;
	psd_world_settle(w);
}

bool psd_world_release_one(struct psd_world *w, const char *command)
{
	for (size_t i = 0; i < w->held_count; i++) {
		struct psd_world_cmd h = w->held[i];
		if (strcmp(h.argv[0], command) != 0)
			continue;
		memmove(&w->held[i], &w->held[i + 1], (w->held_count - i - 1) * sizeof(h));
		w->held_count--;
		psd_world_exec(w, h.db, h.tag, h.expect, h.argc, (const char *const *)h.argv, h.len);
		free_cmd(&h);
		psd_world_settle(w);
		return true;
	}
	return false;
}

static unsigned tag_db(uint64_t tag)
{
	return (unsigned)((tag >> 48) & 0xffu);
}

void psd_world_db_down(struct psd_world *w, enum psd_db db)
{
	psd_world_db_drop(w, db, PSD_DOWN_LOST, "");
}

/* A connection drops: its commands in flight and their unread replies are lost. */
void psd_world_db_drop(struct psd_world *w, enum psd_db db, enum psd_db_down_cause cause,
		       const char *detail)
{
	size_t kept = 0;
	for (size_t i = 0; i < w->held_count; i++) {
		if (tag_db(w->held[i].tag) != db) {
			w->held[kept++] = w->held[i];
			continue;
		}
		free_cmd(&w->held[i]);
	}
	w->held_count = kept;
	kept = 0;
	for (size_t i = 0; i < w->reply_count; i++) {
		struct psd_world_reply *q = reply_at(w, i);
		if (tag_db(q->r.tag) != db)
			*reply_at(w, kept++) = *q;
		else
			free_reply(q);
	}
	w->reply_count = kept;
	w->connect_pending[db] = false;
	w->down[db] = true;
	struct psd_event ev = {.type = PSD_EV_DB_DOWN};
	ev.u.down.db = db;
	ev.u.down.cause = cause;
	snprintf(ev.u.down.detail, sizeof(ev.u.down.detail), "%s", detail);
	psd_world_push(w, &ev);
}

bool psd_world_stray_reply(struct psd_world *w, enum psd_db db)
{
	if (w->down[db] || w->connect_pending[db])
		return false;
	for (size_t i = 0; i < w->held_count; i++)
		if (tag_db(w->held[i].tag) == db)
			return false;
	for (size_t i = 0; i < w->reply_count; i++)
		if (tag_db(reply_at(w, i)->r.tag) == db)
			return false;
	w->protocol_drops++;
	psd_world_db_drop(w, db, PSD_DOWN_PROTOCOL, "a reply with no command pending (+OK)");
	return true;
}

void psd_world_accept_connects(struct psd_world *w)
{
	for (int db = 0; db < 3; db++)
		if (w->connect_pending[db])
			psd_world_db_up(w, (enum psd_db)db);
	psd_world_settle(w);
}

void psd_world_db_up(struct psd_world *w, enum psd_db db)
{
	struct psd_event ev = {.type = PSD_EV_DB_UP};
	w->connect_pending[db] = false;
	w->down[db] = false;
	ev.u.db = db;
	psd_world_push(w, &ev);
}

/* Every connection drops (one Redis for all databases). */
void psd_world_redis_down(struct psd_world *w)
{
	psd_world_db_down(w, PSD_DB_CONFIG);
	psd_world_db_down(w, PSD_DB_APPL);
	psd_world_db_down(w, PSD_DB_STATE);
}

/* Advances time to the deadline the driver armed and fires the timer. */
void psd_world_tick(struct psd_world *w)
{
	uint64_t d = w->timer_due_ns;
	if (!(d != UINT64_MAX))
		world_fail("d != UINT64_MAX");
	if (w->hooks.timer_late != NULL) /* the loop fires it late, within its slack */
		d += w->hooks.timer_late(w->hooks.ctx, w->timer_accuracy_ns);
	if (d > w->now)
		w->now = d;
	struct psd_event ev = {.type = PSD_EV_TIMER};
	psd_world_push(w, &ev);
	psd_world_settle(w);
	if (w->hooks.timer != NULL)
		w->hooks.timer(w->hooks.ctx);
}

/* Reconnects every database as soon as the core asks, and settles. */
void psd_world_redis_up(struct psd_world *w)
{
	for (int guard = 0; guard < 64; guard++) {
		if (w->connect_pending[0] && w->connect_pending[1] && w->connect_pending[2])
			break;
		psd_world_tick(w);
	}
	for (int db = 0; db < 3; db++) {
		if (!w->connect_pending[db])
			world_fail("the core did not ask to reconnect");
		psd_world_db_up(w, (enum psd_db)db);
	}
	psd_world_settle(w);
}

/* Answers every pending connect with a failure: Redis is still away. */
void psd_world_refuse_connects(struct psd_world *w)
{
	for (int db = 0; db < 3; db++)
		if (w->connect_pending[db])
			psd_world_db_down(w, (enum psd_db)db);
}

void psd_world_add_iface(struct psd_world *w, int32_t ifindex, const char *name)
{
	w->ifaces[w->iface_count++] = (struct psd_iface){ifindex, name};
}

/* A new core with the world's limits and settings, driven by the world; false when the core
 * refuses them. */
bool psd_world_init_core(struct psd_world *w)
{
	free(w->mem);
	w->mem = calloc(1, psd_core_size(&w->lim));
	if (w->mem == NULL || psd_core_init(&w->core, w->mem, &w->lim, &w->cfg) < 0)
		return false;
	psd_driver_init(&w->driver, w->core, &world_ops, w);
	return true;
}

/* Starts the core and runs start-up to the end. */
void psd_world_start(struct psd_world *w)
{
	if (!psd_world_init_core(w))
		world_fail("psd_core_init refused the world's limits");
	struct psd_event ev = {.type = PSD_EV_START};
	psd_world_push(w, &ev);
	psd_world_settle(w);
}

void psd_world_datagram(struct psd_world *w, const uint8_t *buf, size_t len, bool dump)
{
	struct psd_event ev = {.type = PSD_EV_NL_DATAGRAM};
	ev.u.nl.bytes = buf;
	ev.u.nl.len = len;
	ev.u.nl.from_dump = dump;
	psd_world_push(w, &ev);
	psd_world_settle(w);
}

/* One link message in its own datagram. flags: IFF_*; kind may be NULL. */
void psd_world_link(struct psd_world *w, uint16_t type, const char *name, int32_t ifindex,
			      uint32_t flags, uint32_t mtu, uint32_t master, const char *kind)
{
	uint8_t buf[512];
	struct psd_nl_link_spec s = {
		.type = type, .name = name, .ifindex = ifindex, .flags = flags, .mtu = mtu,
		.master = master, .kind = kind,
	};
	size_t len = psd_nl_build_link(buf, sizeof(buf), 0, &s);
	if (!(len > 0))
		world_fail("len > 0");
	psd_world_datagram(w, buf, len, false);
}

void psd_world_carrier_link(struct psd_world *w, const char *name, int32_t ifindex,
			    uint32_t flags, uint32_t changes, uint32_t up, uint32_t down)
{
	uint8_t buf[512];
	struct psd_nl_link_spec s = {
		.type = RTM_NEWLINK, .name = name, .ifindex = ifindex, .flags = flags, .mtu = 9100,
		.carrier = true, .carrier_changes = changes, .carrier_up = up, .carrier_down = down,
	};
	size_t len = psd_nl_build_link(buf, sizeof(buf), 0, &s);
	if (!(len > 0))
		world_fail("len > 0");
	psd_world_datagram(w, buf, len, false);
}

void psd_world_new_link(struct psd_world *w, const char *name, int32_t ifindex,
				  uint32_t flags)
{
	psd_world_link(w, RTM_NEWLINK, name, ifindex, flags, 9100, 0, NULL);
}

void psd_world_del_link(struct psd_world *w, const char *name, int32_t ifindex)
{
	psd_world_link(w, RTM_DELLINK, name, ifindex, 0, 9100, 0, NULL);
}

/* The dump reply's end, which makes every start-up complete its first netlink read. */
void psd_world_dump_done(struct psd_world *w)
{
	uint8_t buf[64];
	size_t len = psd_nl_build_done(buf, sizeof(buf), 0, w->dump_seq, 0);
	psd_world_datagram(w, buf, len, true);
}

void psd_world_advance(struct psd_world *w, uint64_t ns)
{
	w->now += ns;
	struct psd_event ev = {.type = PSD_EV_TIMER};
	psd_world_push(w, &ev);
	psd_world_settle(w);
	if (w->hooks.timer != NULL)
		w->hooks.timer(w->hooks.ctx);
}

bool psd_world_traced(const struct psd_world *w, const char *line)
{
	for (size_t i = 0; i < w->trace_count; i++)
		if (strcmp(w->trace[i], line) == 0)
			return true;
	return false;
}

size_t psd_world_trace_index(const struct psd_world *w, const char *prefix)
{
	for (size_t i = 0; i < w->trace_count; i++)
		if (strncmp(w->trace[i], prefix, strlen(prefix)) == 0)
			return i;
	return SIZE_MAX;
}

size_t psd_world_trace_count(const struct psd_world *w, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < w->trace_count; i++)
		n += strncmp(w->trace[i], prefix, strlen(prefix)) == 0;
	return n;
}

bool psd_world_logged(const struct psd_world *w, const char *part)
{
	for (size_t i = 0; i < w->log_count; i++)
		if (strstr(w->logs[i], part) != NULL)
			return true;
	return false;
}

/* Forgets every command in flight and every unread reply: the connections are gone. */
static void drop_connections(struct psd_world *w)
{
	for (size_t i = 0; i < w->held_count; i++) {
		for (uint32_t k = 0; k < w->held[i].argc; k++)
			free(w->held[i].argv[k]);
		free(w->held[i].argv);
		free(w->held[i].len);
	}
	w->held_count = 0;
	for (size_t i = 0; i < w->reply_count; i++)
		free_reply(reply_at(w, i));
	w->reply_count = 0;
	w->reply_head = 0;
}

/* The daemon exits and starts again: a new core; Redis and the kernel keep their state. */
void psd_world_restart(struct psd_world *w)
{
	drop_connections(w);
	w->hold = false;
	w->listening = false;
	w->exited = false;
	w->dump_seq = 0;
	memset(w->connect_pending, 0, sizeof(w->connect_pending));
	memset(w->down, 0, sizeof(w->down)); /* the new daemon connects before it starts */
	psd_world_start(w);
}

void psd_world_free(struct psd_world *w)
{
	for (size_t i = 0; i < w->trace_count; i++)
		free(w->trace[i]);
	drop_connections(w);
	free(w->replies);
	free(w->mem);
	psd_world_subs_free(&w->subs);
	psd_model_free(&w->m);
	free(w);
}

/* The state STATE_DB holds for a port, as "oper admin mtu", or "absent". */
const char *psd_world_state(struct psd_world *w, const char *port)
{
	static char buf[64];
	char key[64];
	snprintf(key, sizeof(key), "PORT_TABLE|%s", port);
	if (!psd_model_exists(&w->m, PSD_WORLD_STATE, key))
		return "absent";
	snprintf(buf, sizeof(buf), "%s %s %s %s", psd_model_hget(&w->m, PSD_WORLD_STATE, key, "state"),
		 psd_model_hget(&w->m, PSD_WORLD_STATE, key, "netdev_oper_status"),
		 psd_model_hget(&w->m, PSD_WORLD_STATE, key, "admin_status"),
		 psd_model_hget(&w->m, PSD_WORLD_STATE, key, "mtu"));
	return buf;
}

