/*
 * The Redis server's side of every connection, played with the fuzzer's bytes against the real
 * core (through the one driver) and the real connection code (lib/redis_conn.c: hiredis's reader,
 * the reply objects and limits, the matching of replies to commands). Each command the core sends
 * is formatted into its connection's output and kept here with its tag and expectation; the
 * input then chooses, step by step: the honest answer (the simulator's Redis model executes the
 * command, the reply is encoded as RESP and fed back, in one piece or a few bytes at a time), raw
 * bytes, a reply of a type the command cannot have, a reply to nothing, a connection the server
 * closes, a reconnect answered +OK or refused (NOAUTH, out of range, LOADING), link messages, time.
 *
 * Checked after every step: the core's own invariants; every reply the core is handed answers
 * the oldest command of its connection and has a type that command can have (a wrong-typed reply
 * is never an acknowledgement); the commands the core counts in flight are exactly those the live
 * connections hold; nothing here aborts on what a server sends.
 */
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "driver.h"
#include "fuzz.h"
#include "nl_build.h"
#include "redis_conn.h"
#include "redis_model.h"

#define SENT_MAX 4096u /* commands kept per connection; the core's in-flight limit is lower */

struct sent {
	uint64_t tag;
	uint32_t expect;
	uint32_t argc;
	char **argv;
	size_t *len;
};

struct harness {
	struct psd_core *core;
	void *core_mem;
	struct psd_driver driver;
	struct psd_model model;
	struct psd_rconn conn[_PSD_DB_MAX];
	struct sent sent[_PSD_DB_MAX][SENT_MAX]; /* a ring per connection */
	uint32_t sent_head[_PSD_DB_MAX], sent_len[_PSD_DB_MAX];
	uint32_t db_id[_PSD_DB_MAX];
	uint64_t now, deadline;
	uint32_t dump_seq;
	bool listening, exited;
	struct psd_sink sink; /* checks each event, then pushes it into the driver */
};

static void forget(struct sent *s)
{
	for (uint32_t i = 0; i < s->argc; i++)
		free(s->argv[i]);
	free(s->argv);
	free(s->len);
}

static void forget_all(struct harness *h, enum psd_db db)
{
	for (; h->sent_len[db] > 0; h->sent_len[db]--) {
		forget(&h->sent[db][h->sent_head[db]]);
		h->sent_head[db] = (h->sent_head[db] + 1) % SENT_MAX;
	}
}

/* Every reply the core gets answers its connection's oldest command with a type it can have. */
static void checked_push(void *ctx, const struct psd_event *ev)
{
	struct harness *h = ctx;
	if (ev->type == PSD_EV_DB_REPLY) {
		enum psd_db db = (enum psd_db)((ev->u.reply.tag >> 48) & 0xffu);
		FZ_CHECK(db < _PSD_DB_MAX && h->sent_len[db] > 0);
		struct sent *s = &h->sent[db][h->sent_head[db]];
		FZ_CHECK(s->tag == ev->u.reply.tag);
		FZ_CHECK(ev->u.reply.type == PSD_REPLY_ERROR ||
			 (s->expect & PSD_EXPECT(ev->u.reply.type)) != 0);
		forget(s);
		h->sent_head[db] = (h->sent_head[db] + 1) % SENT_MAX;
		h->sent_len[db]--;
	}
	if (ev->type == PSD_EV_DB_DOWN)
		forget_all(h, ev->u.down.db); /* the core forgets them too: sent again later */
	psd_driver_push(&h->driver, ev);
}

static uint64_t now(void *ctx)
{
	return ((struct harness *)ctx)->now;
}

static void command(void *ctx, enum psd_db db, uint64_t tag, uint32_t expect, uint32_t argc,
		    const char *const *argv, const size_t *argv_len)
{
	struct harness *h = ctx;
	if (h->conn[db].state == PSD_RCONN_CLOSED)
		return;
	if (psd_rconn_command(&h->conn[db], tag, expect, argc, argv, argv_len) < 0) {
		psd_rconn_lost(&h->conn[db], &h->sink, h->conn[db].error);
		return;
	}
	size_t out;
	psd_rconn_output(&h->conn[db], &out);
	psd_rconn_written(&h->conn[db], out); /* the server has it */
	FZ_CHECK(h->sent_len[db] < SENT_MAX);
	struct sent *s = &h->sent[db][(h->sent_head[db] + h->sent_len[db]++) % SENT_MAX];
	*s = (struct sent){tag, expect, argc, calloc(argc, sizeof(char *)),
			   calloc(argc, sizeof(size_t))};
	for (uint32_t i = 0; i < argc; i++) {
		s->argv[i] = malloc(argv_len[i] + 1);
		memcpy(s->argv[i], argv[i], argv_len[i]);
		s->argv[i][argv_len[i]] = '\0';
		s->len[i] = argv_len[i];
	}
}

static void ignore_log(void *ctx, enum psd_log_level level, const char *text)
{
}

static void ignore_log_config(void *ctx, enum psd_log_level level, enum psd_log_output output)
{
}

static int nl_dump(void *ctx, uint32_t seq)
{
	((struct harness *)ctx)->dump_seq = seq;
	return 0;
}

static void nl_listen(void *ctx)
{
	((struct harness *)ctx)->listening = true;
}

static size_t list_ifaces(void *ctx, const struct psd_iface **ret)
{
	*ret = NULL;
	return 0;
}

static void link_down(void *ctx, int32_t ifindex, const char *name)
{
}

static void notify(void *ctx, const char *text)
{
}

static void leave(void *ctx, int status, const char *reason)
{
	((struct harness *)ctx)->exited = true;
}

static int db_connect(void *ctx, enum psd_db db, char *detail, size_t size)
{
	struct harness *h = ctx;
	psd_rconn_free(&h->conn[db]);
	forget_all(h, db);
	FZ_CHECK(psd_rconn_init(&h->conn[db], db, h->db_id[db], true) == 0);
	size_t out;
	psd_rconn_output(&h->conn[db], &out);
	psd_rconn_written(&h->conn[db], out);
	return 0;
}

static int watch(void *ctx, enum psd_db db, uint32_t db_id, uint32_t count,
		 const char *const *patterns, const size_t *len, char *detail, size_t size)
{
	return 0; /* never confirmed: the core does as without keyspace notifications */
}

static void arm_timer(void *ctx, uint64_t deadline_ns, uint64_t accuracy_ns)
{
	((struct harness *)ctx)->deadline = deadline_ns;
}

static const struct psd_driver_ops ops = {
	.now = now,
	.command = command,
	.log = ignore_log,
	.log_config = ignore_log_config,
	.nl_dump = nl_dump,
	.nl_listen = nl_listen,
	.list_ifaces = list_ifaces,
	.link_down = link_down,
	.notify = notify,
	.exit = leave,
	.db_connect = db_connect,
	.arm_timer = arm_timer,
	.watch = watch,
};

/* --- what the server says -------------------------------------------------------------------- */

static size_t encode(const struct psd_reply *r, char *buf, size_t size)
{
	size_t n = 0;
	switch (r->type) {
	case PSD_REPLY_NIL:
		return (size_t)snprintf(buf, size, "$-1\r\n");
	case PSD_REPLY_INTEGER:
		return (size_t)snprintf(buf, size, ":%lld\r\n", (long long)r->integer);
	case PSD_REPLY_ERROR:
		return (size_t)snprintf(buf, size, "-%.*s\r\n", (int)r->str.len, r->str.ptr);
	case PSD_REPLY_STRING:
		return (size_t)snprintf(buf, size, "$%zu\r\n%.*s\r\n", r->str.len, (int)r->str.len,
					r->str.ptr);
	case PSD_REPLY_ARRAY:
		n = (size_t)snprintf(buf, size, "*%zu\r\n", r->element_count);
		for (size_t i = 0; i < r->element_count && n < size; i++)
			n += (size_t)snprintf(buf + n, size - n, "$%zu\r\n%.*s\r\n",
					      r->elements[i].len, (int)r->elements[i].len,
					      r->elements[i].ptr);
		return n < size ? n : size;
	}
	return 0;
}

static void feed(struct harness *h, enum psd_db db, const char *bytes, size_t len, size_t chunk)
{
	for (size_t at = 0; at < len && h->conn[db].state != PSD_RCONN_CLOSED; at += chunk) {
		psd_rconn_feed(&h->conn[db], bytes + at, len - at < chunk ? len - at : chunk);
		psd_rconn_take(&h->conn[db], &h->sink);
	}
}

/* The oldest command of db, executed by the model, its reply fed back in chunks. */
static void answer(struct harness *h, enum psd_db db, size_t chunk)
{
	static char buf[1u << 20];
	struct psd_reply r;
	if (h->conn[db].state == PSD_RCONN_SELECTING) { /* a reconnect's SELECT */
		feed(h, db, "+OK\r\n", 5, chunk);
		return;
	}
	if (h->sent_len[db] == 0 || h->conn[db].state != PSD_RCONN_UP)
		return;
	struct sent *s = &h->sent[db][h->sent_head[db]];
	psd_model_exec(&h->model, h->db_id[db], s->argc, (const char *const *)s->argv, s->len, &r);
	feed(h, db, buf, encode(&r, buf, sizeof(buf)), chunk);
}

static const char *const hostile[] = {
	"+OK\r\n", ":1\r\n", ":0\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n", "$2\r\nok\r\n",
	"*2\r\n$1\r\na\r\n:1\r\n", "*1\r\n*1\r\n$1\r\nx\r\n", "-ERR wrong\r\n",
	"-NOAUTH Authentication required.\r\n", "-LOADING Redis is loading\r\n",
	"-ERR DB index is out of range\r\n", "?\r\n", "$5\r\nab", "*3\r\n$1\r\na\r\n",
	"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", ":abc\r\n",
	"$99999999999999999999\r\n", "*4194305\r\n",
};

static void link_message(struct harness *h, struct fz *f)
{
	static const char *const names[] = {"Ethernet0", "Ethernet4", "Ethernet8", "eth0"};
	uint8_t buf[512];
	uint8_t bits = fz_u8(f);
	struct psd_nl_link_spec s = {
		.type = bits & 1 ? RTM_DELLINK : RTM_NEWLINK,
		.ifindex = 1 + bits % 8,
		.flags = (bits & 4 ? IFF_UP : 0) | (bits & 8 ? IFF_RUNNING : 0),
		.name = names[(bits >> 4) % 4],
		.mtu = 9100,
	};
	bool dump = bits & 64;
	size_t len = psd_nl_build_link(buf, sizeof(buf), 0, &s);
	if (dump) {
		struct psd_nl_link_spec d = s;
		d.seq = h->dump_seq;
		len = psd_nl_build_link(buf, sizeof(buf), 0, &d);
		len = psd_nl_build_done(buf, sizeof(buf), len, h->dump_seq, 0);
	}
	struct psd_event ev = {.type = PSD_EV_NL_DATAGRAM};
	ev.u.nl.bytes = buf;
	ev.u.nl.len = len;
	ev.u.nl.from_dump = dump;
	psd_driver_push(&h->driver, &ev);
}

static void step(struct harness *h, struct fz *f)
{
	enum psd_db db = (enum psd_db)(fz_u8(f) % _PSD_DB_MAX);
	size_t len;
	switch (fz_u8(f) % 10) {
	case 0: /* honest, whole */
	case 1:
		answer(h, db, SIZE_MAX);
		break;
	case 2: /* honest, dripping */
		answer(h, db, 1 + fz_u8(f) % 7);
		break;
	case 3: { /* a canned reply, right or wrong, pending or not */
		const char *s = hostile[fz_u8(f) % (sizeof(hostile) / sizeof(hostile[0]))];
		feed(h, db, s, strlen(s), 1 + fz_u8(f) % 16);
		break;
	}
	case 4: { /* raw bytes */
		const uint8_t *raw = fz_bytes(f, 64, &len);
		feed(h, db, (const char *)raw, len, SIZE_MAX);
		break;
	}
	case 5: /* the server closes the connection */
		psd_rconn_lost(&h->conn[db], &h->sink, "closed by the server");
		break;
	case 6:
		if (h->listening)
			link_message(h, f);
		break;
	case 7: { /* time passes; the timer fires when due */
		h->now += (uint64_t)(1 + fz_u8(f)) * 20000000ull;
		struct psd_event ev = {.type = PSD_EV_TIMER};
		if (h->now >= h->deadline)
			psd_driver_push(&h->driver, &ev);
		break;
	}
	case 8: /* orchagent takes what was produced */
		psd_model_consume(&h->model, h->db_id[PSD_DB_APPL]);
		break;
	case 9: /* everything pending answered honestly */
		for (int k = 0; k < _PSD_DB_MAX; k++)
			for (int guard = 0; guard < 64 && h->conn[k].state != PSD_RCONN_CLOSED &&
					    (h->sent_len[k] > 0 || h->conn[k].state == PSD_RCONN_SELECTING);
			     guard++)
				answer(h, (enum psd_db)k, SIZE_MAX);
		break;
	}
}

static void check(struct harness *h)
{
	uint32_t held = 0;
	psd_core_check(h->core);
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		FZ_CHECK(h->conn[db].state != PSD_RCONN_CLOSED || h->sent_len[db] == 0);
		held += h->sent_len[db];
	}
	FZ_CHECK(held == psd_core_inflight(h->core));
}

static void setup(struct harness *h)
{
	struct psd_limits lim = {.ports_max = 16, .inflight_max = 64};
	struct psd_config cfg = {.seed = 3, .log_level_pinned = true, .log_level = PSD_LOG_DEBUG};
	static const uint32_t ids[_PSD_DB_MAX] = {4, 0, 6};
	static const char *const sep[_PSD_DB_MAX] = {"|", ":", "|"};
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		h->db_id[db] = ids[db];
		cfg.db_id[db] = ids[db];
		strcpy(cfg.separator[db], sep[db]);
	}
	psd_model_init(&h->model);
	for (int i = 0; i < 3; i++) {
		char key[32];
		snprintf(key, sizeof(key), "PORT|Ethernet%d", i * 4);
		psd_model_hset(&h->model, 4, key, "lanes", "0");
	}
	h->core_mem = calloc(1, psd_core_size(&lim));
	FZ_CHECK(h->core_mem != NULL && psd_core_init(&h->core, h->core_mem, &lim, &cfg) == 0);
	psd_driver_init(&h->driver, h->core, &ops, h);
	h->sink = (struct psd_sink){checked_push, h};
	h->now = 1000;
	for (int db = 0; db < _PSD_DB_MAX; db++) { /* the first connections, up from the start */
		FZ_CHECK(psd_rconn_init(&h->conn[db], (enum psd_db)db, ids[db], false) == 0);
		size_t out;
		psd_rconn_output(&h->conn[db], &out);
		psd_rconn_written(&h->conn[db], out);
		feed(h, (enum psd_db)db, "+OK\r\n", 5, SIZE_MAX);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h;
	struct fz f = {data, size};

	memset(&h, 0, sizeof(h));
	setup(&h);
	struct psd_event start = {.type = PSD_EV_START};
	psd_driver_push(&h.driver, &start);
	check(&h);
	for (int steps = 0; f.n > 0 && steps < 512 && !h.exited; steps++) {
		step(&h, &f);
		check(&h);
	}
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		forget_all(&h, (enum psd_db)db);
		psd_rconn_free(&h.conn[db]);
	}
	psd_model_free(&h.model);
	free(h.core_mem);
	return 0;
}
