/* One Redis connection's protocol, without I/O (see redis_conn.h). */
#include "redis_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/read.h>

#include "psd_assert.h"

/* What a command written and not yet answered is. */
enum pending_kind {
	PENDING_COMMAND,   /* the core's: tag and expect */
	PENDING_SELECT,    /* a data connection's own SELECT */
	PENDING_KS_FLAGS,  /* a subscription's CONFIG GET notify-keyspace-events */
	PENDING_SUBSCRIBE, /* a subscription's PSUBSCRIBE for db: one confirmation per pattern */
};

struct psd_rconn_pending {
	uint64_t tag;
	uint32_t expect;
	uint8_t kind;     /* enum pending_kind */
	uint8_t db;       /* PENDING_SUBSCRIBE */
	uint32_t confirm; /* PENDING_SUBSCRIBE: confirmations still to come */
};

/* A reply object, built by hiredis's reader through our functions (reply_functions). */
struct psd_rconn_object {
	int type; /* REDIS_REPLY_* */
	long long integer;
	char *str;
	size_t len;
	size_t elements;
	struct psd_rconn_object **element;
};

static const char *const db_label[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

/* --- reply objects, with our limits ---------------------------------------------------------- */

static void free_object(void *p)
{
	struct psd_rconn_object *o = p;
	if (o == NULL)
		return;
	for (size_t i = 0; o->element != NULL && i < o->elements; i++)
		free_object(o->element[i]);
	free(o->element);
	free(o->str);
	free(o);
}

/* Counts an object against the reply's limits; false (the reply is refused) past one. */
static bool within_limits(struct psd_rconn *c, size_t bytes)
{
	if (c->over_limit)
		return false;
	c->reply_bytes += bytes + sizeof(struct psd_rconn_object);
	if (c->reply_bytes <= c->reply_max)
		return true;
	c->over_limit = true;
	snprintf(c->error, sizeof(c->error), "a reply of more than %zu bytes", c->reply_max);
	return false;
}

static void *new_object(const redisReadTask *task, int type)
{
	struct psd_rconn_object *o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->type = type;
	if (task->parent != NULL) {
		struct psd_rconn_object *parent = task->parent->obj;
		PSD_ASSERT(parent->type == REDIS_REPLY_ARRAY && (size_t)task->idx < parent->elements);
		parent->element[task->idx] = o;
	}
	return o;
}

static void *create_string(const redisReadTask *task, char *str, size_t len)
{
	if (!within_limits(task->privdata, len))
		return NULL;
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, str, len);
	copy[len] = '\0';
	struct psd_rconn_object *o = new_object(task, task->type);
	if (o == NULL) {
		free(copy);
		return NULL;
	}
	o->str = copy;
	o->len = len;
	return o;
}

static void *create_array(const redisReadTask *task, int elements)
{
	struct psd_rconn *c = task->privdata;
	if (elements > 0 && (uint32_t)elements > PSD_RCONN_ELEMENTS_MAX) {
		c->over_limit = true;
		snprintf(c->error, sizeof(c->error), "an array of %d elements (at most %u)", elements,
			 (unsigned)PSD_RCONN_ELEMENTS_MAX);
		return NULL;
	}
	if (!within_limits(c, (size_t)(elements > 0 ? elements : 0) * sizeof(void *)))
		return NULL;
	struct psd_rconn_object **element = NULL;
	if (elements > 0 && (element = calloc((size_t)elements, sizeof(*element))) == NULL)
		return NULL;
	struct psd_rconn_object *o = new_object(task, REDIS_REPLY_ARRAY);
	if (o == NULL) {
		free(element);
		return NULL;
	}
	o->element = element;
	o->elements = elements > 0 ? (size_t)elements : 0;
	return o;
}

static void *create_integer(const redisReadTask *task, long long value)
{
	if (!within_limits(task->privdata, 0))
		return NULL;
	struct psd_rconn_object *o = new_object(task, REDIS_REPLY_INTEGER);
	if (o != NULL)
		o->integer = value;
	return o;
}

static void *create_nil(const redisReadTask *task)
{
	if (!within_limits(task->privdata, 0))
		return NULL;
	return new_object(task, REDIS_REPLY_NIL);
}

static redisReplyObjectFunctions reply_functions = {
	create_string, create_array, create_integer, create_nil, free_object,
};

/* --- the connection ---------------------------------------------------------------------------- */

static int push_pending(struct psd_rconn *c, struct psd_rconn_pending p)
{
	if (c->pending_len == c->pending_cap) {
		uint32_t cap = c->pending_cap != 0 ? 2 * c->pending_cap : 16;
		struct psd_rconn_pending *ring = malloc(cap * sizeof(*ring));
		if (ring == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < c->pending_len; i++)
			ring[i] = c->pending[(c->pending_head + i) % c->pending_cap];
		free(c->pending);
		c->pending = ring;
		c->pending_cap = cap;
		c->pending_head = 0;
	}
	c->pending[(c->pending_head + c->pending_len) % c->pending_cap] = p;
	c->pending_len++;
	return 0;
}

static int out_reserve(struct psd_rconn *c, size_t more)
{
	if (c->out_sent > 0 && c->out_sent == c->out_len)
		c->out_sent = c->out_len = 0;
	if (c->out_len + more <= c->out_cap)
		return 0;
	if (c->out_sent > 0) { /* what was written makes room first */
		memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
		c->out_len -= c->out_sent;
		c->out_sent = 0;
		if (c->out_len + more <= c->out_cap)
			return 0;
	}
	size_t cap = c->out_cap != 0 ? c->out_cap : 4096;
	while (cap < c->out_len + more)
		cap *= 2;
	char *out = realloc(c->out, cap);
	if (out == NULL)
		return -ENOMEM;
	c->out = out;
	c->out_cap = cap;
	return 0;
}

/* The bytes out_append adds beyond an element's own: '$' or '*', a size_t's 20 digits, CRLF, and
 * the CRLF after the bytes. */
#define RESP_FRAME_MAX 25u

/* Appends "$<len>\r\n<bytes>\r\n" or "*<n>\r\n" (bytes NULL: a count), its digits without
 * printf: a storm formats nine of these per port write. */
static void out_append(struct psd_rconn *c, char kind, size_t n, const char *bytes)
{
	char digits[20], *out = c->out + c->out_len;
	size_t d = 0;
	for (size_t v = n; d == 0 || v != 0; v /= 10)
		digits[d++] = (char)('0' + v % 10);
	*out++ = kind;
	while (d > 0)
		*out++ = digits[--d];
	*out++ = '\r';
	*out++ = '\n';
	if (bytes != NULL) {
		memcpy(out, bytes, n);
		out += n;
		*out++ = '\r';
		*out++ = '\n';
	}
	c->out_len = (size_t)(out - c->out);
}

/* Formats argv as a RESP array and queues what its reply must be. */
static int queue_command(struct psd_rconn *c, struct psd_rconn_pending p, uint32_t argc,
			 const char *const *argv, const size_t *argv_len)
{
	size_t bytes = RESP_FRAME_MAX;
	for (uint32_t i = 0; i < argc; i++)
		bytes += argv_len[i] + RESP_FRAME_MAX;
	if (c->out_len - c->out_sent + bytes > PSD_RCONN_OUT_MAX) {
		snprintf(c->error, sizeof(c->error), "more than %u bytes of commands unwritten",
			 (unsigned)PSD_RCONN_OUT_MAX);
		return -ENOBUFS;
	}
	if (c->pending_len >= PSD_RCONN_PENDING_MAX) {
		snprintf(c->error, sizeof(c->error), "more than %u commands unanswered",
			 (unsigned)PSD_RCONN_PENDING_MAX);
		return -ENOBUFS;
	}
	if (out_reserve(c, bytes) < 0 || push_pending(c, p) < 0) {
		snprintf(c->error, sizeof(c->error), "out of memory");
		return -ENOMEM;
	}
	out_append(c, '*', argc, NULL);
	for (uint32_t i = 0; i < argc; i++)
		out_append(c, '$', argv_len[i], argv[i]);
	return 0;
}

static int init(struct psd_rconn *c, enum psd_rconn_role role)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->reply_max = PSD_RCONN_REPLY_MAX;
	redisReader *r = redisReaderCreateWithFunctions(&reply_functions);
	if (r == NULL)
		return -ENOMEM;
	r->privdata = c;
	c->reader = r;
	return 0;
}

int psd_rconn_init(struct psd_rconn *c, enum psd_db db, uint32_t db_id, bool report_up)
{
	char id[12];
	const char *argv[2] = {"SELECT", id};
	size_t argv_len[2] = {6, (size_t)snprintf(id, sizeof(id), "%u", db_id)};
	struct psd_rconn_pending select = {.kind = PENDING_SELECT};

	if (init(c, PSD_RCONN_DATA) < 0)
		return -ENOMEM;
	c->db = db;
	c->db_id = db_id;
	c->report_up = report_up;
	c->state = PSD_RCONN_SELECTING;
	if (queue_command(c, select, 2, argv, argv_len) < 0) {
		psd_rconn_free(c);
		return -ENOMEM;
	}
	return 0;
}

int psd_rconn_init_watch(struct psd_rconn *c)
{
	static const char *const argv[3] = {"CONFIG", "GET", "notify-keyspace-events"};
	static const size_t argv_len[3] = {6, 3, 22};
	struct psd_rconn_pending flags = {.kind = PENDING_KS_FLAGS};

	if (init(c, PSD_RCONN_WATCH) < 0)
		return -ENOMEM;
	c->state = PSD_RCONN_UP;
	if (queue_command(c, flags, 3, argv, argv_len) < 0) { /* before any PSUBSCRIBE: only
	                                                        * subscribing is allowed after one */
		psd_rconn_free(c);
		return -ENOMEM;
	}
	return 0;
}

int psd_rconn_watch(struct psd_rconn *c, enum psd_db db, uint32_t db_id, uint32_t count,
		    const char *const *patterns, const size_t *len)
{
	const char *argv[PSD_RCONN_PATTERNS_MAX + 1] = {"PSUBSCRIBE"};
	size_t argv_len[PSD_RCONN_PATTERNS_MAX + 1] = {10};
	struct psd_rconn_pending sub = {.kind = PENDING_SUBSCRIBE, .db = (uint8_t)db,
					.confirm = count};

	PSD_ASSERT(c->role == PSD_RCONN_WATCH && count > 0 && count <= PSD_RCONN_PATTERNS_MAX);
	if (c->state == PSD_RCONN_CLOSED)
		return -EPIPE;
	for (uint32_t i = 0; i < count; i++) {
		argv[i + 1] = patterns[i];
		argv_len[i + 1] = len[i];
	}
	c->watch_id[db] = db_id;
	c->watching |= 1u << db;
	return queue_command(c, sub, count + 1, argv, argv_len);
}

void psd_rconn_free(struct psd_rconn *c)
{
	if (c->reader != NULL)
		redisReaderFree(c->reader);
	free(c->pending);
	free(c->out);
	free(c->elements);
	memset(c, 0, sizeof(*c));
	c->state = PSD_RCONN_CLOSED;
}

/* Done for: nothing more is taken or sent; the core hears it down (once): a data connection's
 * database, or every database a subscription connection watches. */
static void close_down(struct psd_rconn *c, const struct psd_sink *s, enum psd_db_down_cause cause,
		       const char *detail)
{
	struct psd_event ev = {.type = c->role == PSD_RCONN_DATA ? PSD_EV_DB_DOWN :
								   PSD_EV_WATCH_DOWN};
	if (c->state == PSD_RCONN_CLOSED)
		return;
	c->state = PSD_RCONN_CLOSED;
	c->pending_len = 0;
	c->out_len = c->out_sent = 0;
	if (detail != c->error)
		snprintf(c->error, sizeof(c->error), "%s", detail);
	ev.u.down.cause = cause;
	snprintf(ev.u.down.detail, sizeof(ev.u.down.detail), "%s", c->error);
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		bool gone = c->role == PSD_RCONN_DATA ? db == (int)c->db :
							(c->watching & (1u << db)) != 0;
		if (!gone)
			continue;
		ev.u.down.db = (enum psd_db)db;
		s->push(s->ctx, &ev);
	}
}

int psd_rconn_command(struct psd_rconn *c, uint64_t tag, uint32_t expect, uint32_t argc,
		      const char *const *argv, const size_t *argv_len)
{
	struct psd_rconn_pending command = {.tag = tag, .expect = expect,
					    .kind = PENDING_COMMAND};
	PSD_ASSERT(c->role == PSD_RCONN_DATA);
	if (c->state == PSD_RCONN_CLOSED)
		return -EPIPE;
	return queue_command(c, command, argc, argv, argv_len);
}

const char *psd_rconn_output(const struct psd_rconn *c, size_t *ret_len)
{
	*ret_len = c->state == PSD_RCONN_CLOSED || c->out == NULL ? 0 : c->out_len - c->out_sent;
	return *ret_len > 0 ? c->out + c->out_sent : "";
}

void psd_rconn_written(struct psd_rconn *c, size_t n)
{
	PSD_ASSERT(n <= c->out_len - c->out_sent);
	c->out_sent += n;
	if (c->out_sent == c->out_len && c->out_cap > PSD_RCONN_OUT_KEEP) {
		free(c->out); /* a burst's buffer, all written: the next command starts small */
		c->out = NULL;
		c->out_cap = c->out_len = c->out_sent = 0;
	}
}

uint32_t psd_rconn_pending(const struct psd_rconn *c)
{
	return c->pending_len;
}

void psd_rconn_feed(struct psd_rconn *c, const char *bytes, size_t len)
{
	if (c->state != PSD_RCONN_CLOSED) /* a failure (no memory) is the reader's error: taken next */
		redisReaderFeed(c->reader, bytes, len);
}

/* A short description of a reply, for the log: "+OK", ":1", "$5", "*3", "-ERR ...". */
static void describe(const struct psd_rconn_object *o, char *buf, size_t size)
{
	switch (o->type) {
	case REDIS_REPLY_STATUS:
		snprintf(buf, size, "+%.40s", o->str);
		return;
	case REDIS_REPLY_ERROR:
		snprintf(buf, size, "-%.60s", o->str);
		return;
	case REDIS_REPLY_INTEGER:
		snprintf(buf, size, ":%lld", o->integer);
		return;
	case REDIS_REPLY_STRING:
		snprintf(buf, size, "a bulk string of %zu bytes", o->len);
		return;
	case REDIS_REPLY_ARRAY:
		snprintf(buf, size, "an array of %zu elements", o->elements);
		return;
	default:
		snprintf(buf, size, "nil");
		return;
	}
}

static bool is_string(const struct psd_rconn_object *o)
{
	return o != NULL && (o->type == REDIS_REPLY_STRING || o->type == REDIS_REPLY_STATUS);
}

/* The reply as the core takes it; false when it has a shape no command of ours can have (an
 * array holding anything but strings). */
static bool convert(struct psd_rconn *c, const struct psd_rconn_object *o, struct psd_reply *ret)
{
	switch (o->type) {
	case REDIS_REPLY_NIL:
		ret->type = PSD_REPLY_NIL;
		return true;
	case REDIS_REPLY_INTEGER:
		ret->type = PSD_REPLY_INTEGER;
		ret->integer = o->integer;
		return true;
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		ret->type = o->type == REDIS_REPLY_ERROR ? PSD_REPLY_ERROR : PSD_REPLY_STRING;
		ret->str = (struct psd_str){o->str, o->len};
		return true;
	case REDIS_REPLY_ARRAY:
		break;
	default:
		return false;
	}
	if (o->elements > c->elements_cap) {
		struct psd_str *e = realloc(c->elements, o->elements * sizeof(*e));
		if (e == NULL)
			return false;
		c->elements = e;
		c->elements_cap = o->elements;
	}
	for (size_t i = 0; i < o->elements; i++) {
		if (!is_string(o->element[i]))
			return false;
		c->elements[i] = (struct psd_str){o->element[i]->str, o->element[i]->len};
	}
	ret->type = PSD_REPLY_ARRAY;
	ret->elements = c->elements;
	ret->element_count = o->elements;
	return true;
}

static enum psd_db_down_cause refusal_cause(const char *error)
{
	if (strncmp(error, "NOAUTH", 6) == 0 || strncmp(error, "WRONGPASS", 9) == 0)
		return PSD_DOWN_AUTH;
	return strstr(error, "out of range") != NULL ? PSD_DOWN_NO_DB : PSD_DOWN_REFUSED;
}

/* The SELECT's reply: up, or refused with the cause its error names. */
static void selected(struct psd_rconn *c, const struct psd_sink *s,
		     const struct psd_rconn_object *o)
{
	if (o->type == REDIS_REPLY_STATUS) {
		c->state = PSD_RCONN_UP;
		if (c->report_up) {
			struct psd_event ev = {.type = PSD_EV_DB_UP};
			ev.u.db = c->db;
			s->push(s->ctx, &ev);
		}
		return;
	}
	if (o->type != REDIS_REPLY_ERROR) {
		char what[96];
		describe(o, what, sizeof(what));
		snprintf(c->error, sizeof(c->error), "SELECT %u for %s answered with %s", c->db_id,
			 db_label[c->db], what);
		close_down(c, s, PSD_DOWN_PROTOCOL, c->error);
		return;
	}
	snprintf(c->error, sizeof(c->error), "Redis refused SELECT %u for %s: %.100s", c->db_id,
		 db_label[c->db], o->str);
	close_down(c, s, refusal_cause(o->str), c->error);
}

static void violation(struct psd_rconn *c, const struct psd_sink *s,
		      const struct psd_rconn_object *o, const char *what)
{
	char reply[96];
	describe(o, reply, sizeof(reply));
	snprintf(c->error, sizeof(c->error), "%s (%s)", what, reply);
	close_down(c, s, PSD_DOWN_PROTOCOL, c->error);
}

static bool is_text(const struct psd_rconn_object *o, const char *text)
{
	return is_string(o) && o->len == strlen(text) && memcmp(o->str, text, o->len) == 0;
}

/* A subscription's notification: ["pmessage", pattern, "__keyspace@<id>__:<key>", event]. */
static bool is_push(const struct psd_rconn_object *o)
{
	return o->type == REDIS_REPLY_ARRAY && o->elements > 0 &&
	       (is_text(o->element[0], "pmessage") || is_text(o->element[0], "message"));
}

static void notified(struct psd_rconn *c, const struct psd_sink *s,
		     const struct psd_rconn_object *o)
{
	if (o->elements != 4 || !is_text(o->element[0], "pmessage") || !is_string(o->element[2]) ||
	    !is_string(o->element[3])) {
		violation(c, s, o, "a message no subscription of ours has");
		return;
	}
	const struct psd_rconn_object *channel = o->element[2];
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		char prefix[32];
		int n = snprintf(prefix, sizeof(prefix), "__keyspace@%u__:", c->watch_id[db]);
		if (!(c->watching & (1u << db)) || channel->len < (size_t)n ||
		    memcmp(channel->str, prefix, (size_t)n) != 0)
			continue;
		struct psd_event ev = {.type = PSD_EV_KEYSPACE};
		ev.u.keyspace.db = (enum psd_db)db;
		ev.u.keyspace.key = (struct psd_str){channel->str + n, channel->len - (size_t)n};
		ev.u.keyspace.event = (struct psd_str){o->element[3]->str, o->element[3]->len};
		c->replies++;
		s->push(s->ctx, &ev);
		return;
	}
	violation(c, s, o, "a notification of a database not watched");
}

/* CONFIG GET notify-keyspace-events: ["notify-keyspace-events", flags], or an error (a renamed
 * CONFIG, an ACL): the flags are then unknown and the core decides. */
static void keyspace_flags(struct psd_rconn *c, const struct psd_sink *s,
			   const struct psd_rconn_object *o)
{
	if (o->type == REDIS_REPLY_ERROR && refusal_cause(o->str) == PSD_DOWN_AUTH) {
		snprintf(c->error, sizeof(c->error), "Redis refused a subscription: %.100s", o->str);
		close_down(c, s, PSD_DOWN_AUTH, c->error);
		return;
	}
	if (o->type == REDIS_REPLY_ERROR) {
		snprintf(c->flags, sizeof(c->flags), "%s", o->str);
		return;
	}
	if (o->type != REDIS_REPLY_ARRAY || (o->elements != 0 && o->elements != 2) ||
	    (o->elements == 2 && (!is_string(o->element[0]) || !is_string(o->element[1])))) {
		violation(c, s, o, "an answer CONFIG GET cannot have");
		return;
	}
	c->flags_known = o->elements == 2;
	snprintf(c->flags, sizeof(c->flags), "%.*s",
		 c->flags_known ? (int)o->element[1]->len : 0, c->flags_known ? o->element[1]->str : "");
}

/* One confirmation of a PSUBSCRIBE; after its last, the database is watched. */
static void subscribed(struct psd_rconn *c, const struct psd_sink *s,
		       struct psd_rconn_pending *p, const struct psd_rconn_object *o)
{
	if (o->type == REDIS_REPLY_ERROR) {
		snprintf(c->error, sizeof(c->error), "Redis refused PSUBSCRIBE: %.100s", o->str);
		close_down(c, s, refusal_cause(o->str), c->error);
		return;
	}
	if (o->type != REDIS_REPLY_ARRAY || o->elements != 3 ||
	    !is_text(o->element[0], "psubscribe") || !is_string(o->element[1]) ||
	    o->element[2] == NULL || o->element[2]->type != REDIS_REPLY_INTEGER) {
		violation(c, s, o, "an answer PSUBSCRIBE cannot have");
		return;
	}
	if (--p->confirm > 0)
		return;
	struct psd_event ev = {.type = PSD_EV_WATCH_UP};
	ev.u.watch_up.db = (enum psd_db)p->db;
	ev.u.watch_up.flags_known = c->flags_known;
	snprintf(ev.u.watch_up.flags, sizeof(ev.u.watch_up.flags), "%s", c->flags);
	c->pending_head = (c->pending_head + 1) % c->pending_cap;
	c->pending_len--;
	s->push(s->ctx, &ev);
}

/* A core command's reply: handed over, unless its type says the stream is out of step. */
static void answered(struct psd_rconn *c, const struct psd_sink *s, struct psd_rconn_pending p,
		     const struct psd_rconn_object *o)
{
	struct psd_event ev = {.type = PSD_EV_DB_REPLY};
	ev.u.reply.tag = p.tag;
	if (!convert(c, o, &ev.u.reply) ||
	    (ev.u.reply.type != PSD_REPLY_ERROR && (p.expect & PSD_EXPECT(ev.u.reply.type)) == 0)) {
		violation(c, s, o, "a reply its command cannot have: the stream is out of step");
		return;
	}
	c->replies++;
	s->push(s->ctx, &ev);
}

/* One complete reply: to its command, a notification, or the end of the connection. */
static void take_reply(struct psd_rconn *c, const struct psd_sink *s,
		       const struct psd_rconn_object *o)
{
	if (c->role == PSD_RCONN_WATCH && is_push(o)) {
		notified(c, s, o);
		return;
	}
	if (c->pending_len == 0) {
		violation(c, s, o, "a reply with no command pending");
		return;
	}
	struct psd_rconn_pending *head = &c->pending[c->pending_head];
	if (head->kind == PENDING_SUBSCRIBE) { /* one entry, a confirmation per pattern */
		subscribed(c, s, head, o);
		return;
	}
	struct psd_rconn_pending p = *head;
	c->pending_head = (c->pending_head + 1) % c->pending_cap;
	c->pending_len--;
	switch ((enum pending_kind)p.kind) {
	case PENDING_SELECT:
		selected(c, s, o);
		return;
	case PENDING_KS_FLAGS:
		keyspace_flags(c, s, o);
		return;
	case PENDING_COMMAND:
		answered(c, s, p, o);
		return;
	case PENDING_SUBSCRIBE:
		break;
	}
	PSD_UNREACHABLE();
}

enum psd_rconn_state psd_rconn_take(struct psd_rconn *c, const struct psd_sink *s)
{
	redisReader *r = c->reader;
	while (c->state != PSD_RCONN_CLOSED) {
		void *reply = NULL;
		if (redisReaderGetReply(r, &reply) != REDIS_OK) {
			if (!c->over_limit)
				snprintf(c->error, sizeof(c->error), "not RESP: %s", r->errstr);
			close_down(c, s, PSD_DOWN_PROTOCOL, c->error);
			break;
		}
		if (reply == NULL) {
			if (r->len - r->pos > c->reply_max) {
				snprintf(c->error, sizeof(c->error), "a reply of more than %zu bytes",
					 c->reply_max);
				close_down(c, s, PSD_DOWN_PROTOCOL, c->error);
			}
			break;
		}
		c->reply_bytes = 0;
		take_reply(c, s, reply);
		free_object(reply);
	}
	return c->state;
}

void psd_rconn_lost(struct psd_rconn *c, const struct psd_sink *s, const char *why)
{
	close_down(c, s, c->state == PSD_RCONN_SELECTING && c->report_up ? PSD_DOWN_CONNECT :
									   PSD_DOWN_LOST,
		   why);
}
