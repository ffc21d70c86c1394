/*
 * In-memory Redis model (see redis_model.h): the commands, with Redis's semantics, over the
 * storage of redis_store.c; the test helpers; SAVE and restart; orchagent's consumer.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "psd/lit.h"
#include "redis_model.h"
#include "redis_store.h"

static char *dup_mem(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d == NULL)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void psd_model_init(struct psd_model *m)
{
	memset(m, 0, sizeof(*m));
}

void psd_model_free(struct psd_model *m)
{
	psd_store_free(&m->store);
	free(m->elements);
	free(m->reply_text);
	memset(m, 0, sizeof(*m));
}

static struct psd_model_key *find(const struct psd_model *m, uint32_t db, const char *key,
				  size_t len)
{
	return psd_store_find(&m->store, db, key, len);
}

static struct psd_model_key *create(struct psd_model *m, uint32_t db, const char *key, size_t len,
				    bool is_set)
{
	return psd_store_create(&m->store, db, key, len, is_set, 0, 0);
}

static const char *key_name(const struct psd_model_key *k)
{
	return psd_store_key_name(k);
}

static void reply_int(struct psd_reply *r, int64_t v)
{
	r->type = PSD_REPLY_INTEGER;
	r->integer = v;
}

static void reply_str(struct psd_model *m, struct psd_reply *r, const char *s)
{
	free(m->reply_text);
	m->reply_text = dup_mem(s, strlen(s));
	r->type = PSD_REPLY_STRING;
	r->str = (struct psd_str){m->reply_text, strlen(s)};
}

static void reply_array(struct psd_model *m, struct psd_reply *r, size_t n)
{
	if (n > m->elements_cap) {
		m->elements_cap = n;
		m->elements = realloc(m->elements, n * sizeof(*m->elements));
		if (m->elements == NULL)
			abort();
	}
	r->type = PSD_REPLY_ARRAY;
	r->elements = m->elements;
	r->element_count = n;
}

static void notify(struct psd_model *m, uint32_t db, const char *key, size_t len,
		   const char *event)
{
	if (m->notify != NULL)
		m->notify(m->notify_ctx, db, key, len, event);
}

static bool is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static void producer_set(struct psd_model *m, uint32_t db, uint32_t argc, const char *const *argv,
			 const size_t *len, struct psd_reply *r)
{
	/* EVALSHA sha numkeys channel keyset staging... G key f v ... */
	uint32_t numkeys = (uint32_t)strtoul(argv[2], NULL, 10);
	const char *const *keys = argv + 3;
	const size_t *klen = len + 3;
	const char *const *args = argv + 3 + numkeys;
	const size_t *alen = len + 3 + numkeys;
	struct psd_model_key *set = create(m, db, keys[1], klen[1], true);
	int added = psd_store_put(&m->store, set, args[1], alen[1], NULL, 0);

	if (added)
		notify(m, db, keys[1], klen[1], "sadd");
	for (uint32_t i = 2; i < numkeys; i++) {
		struct psd_model_key *h = create(m, db, keys[i], klen[i], false);
		psd_store_put(&m->store, h, args[2 * i - 2], alen[2 * i - 2], args[2 * i - 1],
			      alen[2 * i - 1]);
		notify(m, db, keys[i], klen[i], "hset");
	}
	if (added) {
		m->publishes++;
		size_t n = klen[0] < sizeof(m->last_channel) - 1 ? klen[0] : sizeof(m->last_channel) - 1;
		memcpy(m->last_channel, keys[0], n);
		m->last_channel[n] = '\0';
	}
	r->type = PSD_REPLY_NIL;
	(void)argc;
}

static void reply_error(struct psd_reply *r, const char *text)
{
	r->type = PSD_REPLY_ERROR;
	r->str = (struct psd_str){text, strlen(text)};
}

void psd_model_copy(struct psd_model *dst, const struct psd_model *src)
{
	psd_model_init(dst);
	psd_store_copy(&dst->store, &src->store);
	dst->run_id = src->run_id;
}

void psd_model_restart(struct psd_model *m, struct psd_model *snapshot)
{
	uint64_t run_id = m->run_id + 1;
	void (*hook)(void *, uint32_t, const char *, size_t, const char *) = m->notify;
	void *hook_ctx = m->notify_ctx;
	psd_model_free(m);
	if (snapshot != NULL)
		*m = *snapshot; /* the snapshot's storage moves in */
	else
		psd_model_init(m);
	if (snapshot != NULL)
		memset(snapshot, 0, sizeof(*snapshot));
	m->run_id = run_id;
	m->notify = hook; /* the same server's publishing, whatever data it restarted with */
	m->notify_ctx = hook_ctx;
}

void psd_model_put_other(struct psd_model *m, uint32_t db, const char *key)
{
	struct psd_model_key *k = find(m, db, key, strlen(key));
	if (k != NULL)
		psd_store_remove(&m->store, k);
	create(m, db, key, strlen(key), false)->is_other = true;
	notify(m, db, key, strlen(key), "set");
}

/* One command's execution: the database, the arguments, the key argv[1] names (NULL: none, or
 * absent), the reply to fill. */
struct exec {
	struct psd_model *m;
	uint32_t db;
	uint32_t argc;
	const char *const *argv;
	const size_t *len;
	struct psd_model_key *k;
	struct psd_reply *r;
};

/* Reads: HGET, HGETALL, EXISTS, HEXISTS, KEYS. */
static void exec_hget(struct exec *x)
{
	size_t at = x->k != NULL ? psd_store_field(&x->m->store, x->k, x->argv[2], x->len[2]) : PSD_STORE_NONE;
	if (at == PSD_STORE_NONE)
		x->r->type = PSD_REPLY_NIL;
	else
		reply_str(x->m, x->r, psd_store_value(x->k, at));
}

static void exec_hgetall(struct exec *x)
{
	size_t n = x->k != NULL ? psd_store_fields(x->k) : 0;
	reply_array(x->m, x->r, 2 * n);
	for (size_t i = 0; i < n; i++) {
		const char *name = psd_store_name(&x->m->store, x->k, i), *value = psd_store_value(x->k, i);
		x->m->elements[2 * i] = (struct psd_str){name, strlen(name)};
		x->m->elements[2 * i + 1] = (struct psd_str){value, strlen(value)};
	}
}

static void exec_exists(struct exec *x)
{
	reply_int(x->r, x->k != NULL);
}

static void exec_hexists(struct exec *x)
{
	reply_int(x->r, x->k != NULL &&
			       psd_store_field(&x->m->store, x->k, x->argv[2], x->len[2]) != PSD_STORE_NONE);
}

/* KEYS with at most a trailing '*' */
static void exec_keys(struct exec *x)
{
	const struct psd_model *m = x->m;
	const char *pattern = x->argv[1];
	size_t plen = x->len[1] > 0 && pattern[x->len[1] - 1] == '*' ? x->len[1] - 1 : x->len[1];
	size_t n = 0;
	for (size_t i = 0; i < m->store.count; i++)
		n += m->store.keys[i].db == x->db && strncmp(key_name(&m->store.keys[i]), pattern, plen) == 0;
	reply_array(x->m, x->r, n);
	n = 0;
	for (size_t i = 0; i < m->store.count; i++)
		if (m->store.keys[i].db == x->db && strncmp(key_name(&m->store.keys[i]), pattern, plen) == 0)
			x->m->elements[n++] = (struct psd_str){key_name(&m->store.keys[i]), m->store.keys[i].key_len};
}

/* Writes: HSET, HDEL, DEL, each published as Redis does. */
static void exec_hset(struct exec *x)
{
	int64_t added = 0;
	uint32_t text = 0;
	for (uint32_t i = 2; i + 1 < x->argc; i += 2) /* a new key's room for its fields */
		text += psd_store_value_room(x->len[i + 1]);
	struct psd_model_key *k =
		psd_store_create(&x->m->store, x->db, x->argv[1], x->len[1], false, (x->argc - 2) / 2, text);
	for (uint32_t i = 2; i + 1 < x->argc; i += 2)
		added += psd_store_put(&x->m->store, k, x->argv[i], x->len[i], x->argv[i + 1], x->len[i + 1]);
	notify(x->m, x->db, x->argv[1], x->len[1], "hset");
	reply_int(x->r, added);
}

static void exec_hdel(struct exec *x)
{
	int64_t removed = 0;
	for (uint32_t i = 2; x->k != NULL && i < x->argc; i++) {
		size_t at = psd_store_field(&x->m->store, x->k, x->argv[i], x->len[i]);
		if (at != PSD_STORE_NONE) {
			psd_store_remove_field(&x->m->store, x->k, at);
			removed++;
		}
	}
	if (removed > 0)
		notify(x->m, x->db, x->argv[1], x->len[1], "hdel");
	if (x->k != NULL && psd_store_fields(x->k) == 0) { /* Redis keeps no empty hash */
		psd_store_remove(&x->m->store, x->k);
		notify(x->m, x->db, x->argv[1], x->len[1], "del");
	}
	reply_int(x->r, removed);
}

static void exec_del(struct exec *x)
{
	reply_int(x->r, x->k != NULL);
	if (x->k != NULL) {
		psd_store_remove(&x->m->store, x->k);
		notify(x->m, x->db, x->argv[1], x->len[1], "del");
	}
}

/* The server: INFO (its run_id), SCRIPT LOAD, EVALSHA of the producer script. */
static void exec_info(struct exec *x)
{
	char text[128];
	snprintf(text, sizeof(text), "# Server\r\nredis_version:7.0.15\r\nrun_id:%024x%016llx\r\n",
		 0u, (unsigned long long)x->m->run_id);
	reply_str(x->m, x->r, text);
}

static void exec_script(struct exec *x)
{
	reply_str(x->m, x->r, PSD_MODEL_SHA);
}

static void exec_evalsha(struct exec *x)
{
	if (!is(x->argv[1], x->len[1], PSD_MODEL_SHA)) {
		x->r->type = PSD_REPLY_ERROR;
		x->r->str = (struct psd_str){"NOSCRIPT No matching script.", 28};
		return;
	}
	producer_set(x->m, x->db, x->argc, x->argv, x->len, x->r);
}

static const struct {
	const char *name;
	bool keyed; /* argv[1] names a key, looked up before the command runs */
	bool hash;  /* a hash command: WRONGTYPE on a key of another type */
	void (*run)(struct exec *x);
} commands[] = {
	{"HGET", true, true, exec_hget},       {"HSET", true, true, exec_hset},
	{"HGETALL", true, true, exec_hgetall}, {"KEYS", false, false, exec_keys},
	{"EXISTS", true, false, exec_exists},  {"HEXISTS", true, true, exec_hexists},
	{"HDEL", true, true, exec_hdel},       {"DEL", true, false, exec_del},
	{"INFO", false, false, exec_info},     {"SCRIPT", false, false, exec_script},
	{"EVALSHA", false, false, exec_evalsha},
};

void psd_model_exec(struct psd_model *m, uint32_t db, uint32_t argc, const char *const *argv,
		    const size_t *len, struct psd_reply *r)
{
	struct exec x = {m, db, argc, argv, len, NULL, r};
	size_t c = 0;
	while (c < sizeof(commands) / sizeof(commands[0]) && !is(argv[0], len[0], commands[c].name))
		c++;
	memset(r, 0, sizeof(*r));
	if (m->loading) {
		reply_error(r, PSD_MODEL_LOADING);
		return;
	}
	if (c == sizeof(commands) / sizeof(commands[0])) {
		r->type = PSD_REPLY_ERROR;
		r->str = (struct psd_str){"ERR unknown command", 19};
		return;
	}
	if (commands[c].keyed && argc > 1)
		x.k = find(m, db, argv[1], len[1]);
	if (commands[c].hash && x.k != NULL && (x.k->is_other || x.k->is_set)) {
		reply_error(r, PSD_MODEL_WRONGTYPE);
		return;
	}
	commands[c].run(&x);
}

void psd_model_hset(struct psd_model *m, uint32_t db, const char *key, const char *field,
		    const char *value)
{
	struct psd_model_key *k = create(m, db, key, strlen(key), false);
	psd_store_put(&m->store, k, field, strlen(field), value, strlen(value));
	notify(m, db, key, strlen(key), "hset");
}

const char *psd_model_hget(const struct psd_model *m, uint32_t db, const char *key,
			   const char *field)
{
	struct psd_model_key *k = find(m, db, key, strlen(key));
	size_t at = k != NULL ? psd_store_field(&m->store, k, field, strlen(field)) : PSD_STORE_NONE;
	return at != PSD_STORE_NONE ? psd_store_value(k, at) : NULL;
}

size_t psd_model_del_matching(struct psd_model *m, uint32_t db, const char *prefix)
{
	size_t removed = 0, plen = strlen(prefix);
	for (size_t i = m->store.count; i-- > 0;) { /* removal moves the last key into i: go down */
		if (m->store.keys[i].db == db && strncmp(key_name(&m->store.keys[i]), prefix, plen) == 0) {
			notify(m, db, key_name(&m->store.keys[i]), m->store.keys[i].key_len, "del");
			psd_store_remove(&m->store, &m->store.keys[i]);
			removed++;
		}
	}
	return removed;
}

bool psd_model_exists(const struct psd_model *m, uint32_t db, const char *key)
{
	return find(m, db, key, strlen(key)) != NULL;
}

bool psd_model_sismember(const struct psd_model *m, uint32_t db, const char *key,
			 const char *member)
{
	struct psd_model_key *k = find(m, db, key, strlen(key));
	return k != NULL && k->is_set &&
	       psd_store_field(&m->store, k, member, strlen(member)) != PSD_STORE_NONE;
}

/* orchagent's move of one popped member: _PORT_TABLE:<name>'s fields into PORT_TABLE:<name>. */
static void consume_one(struct psd_model *m, uint32_t db, const char *name)
{
	char staging[128], table[128];
	snprintf(staging, sizeof(staging), "_PORT_TABLE:%s", name);
	snprintf(table, sizeof(table), "PORT_TABLE:%s", name);
	struct psd_model_key *src = find(m, db, staging, strlen(staging));
	if (src == NULL)
		return;
	size_t n = psd_store_fields(src), text = 0;
	for (size_t i = 0; i < n; i++) /* room for what it will hold, if it is new */
		if (psd_store_value(src, i) != NULL)
			text += psd_store_value_room(strlen(psd_store_value(src, i)));
	if (n > 0)
		psd_store_create(&m->store, db, table, strlen(table), false, (uint32_t)n, (uint32_t)text);
	/* found again each time: a new key may move the key array */
	for (size_t i = 0; (src = find(m, db, staging, strlen(staging))) != NULL &&
			   i < psd_store_fields(src); i++)
		psd_model_hset(m, db, table, psd_store_name(&m->store, src, i), psd_store_value(src, i));
	if (src != NULL) {
		psd_store_remove(&m->store, src);
		notify(m, db, staging, strlen(staging), "del");
	}
}

size_t psd_model_consume(struct psd_model *m, uint32_t db)
{
	struct psd_model_key *set = find(m, db, PSD_LIT("PORT_TABLE_KEY_SET"));
	if (set == NULL)
		return 0;
	/* every member is popped, the last first; the set goes once they all are */
	struct psd_model_key members = *set;
	size_t popped = psd_store_fields(&members);
	psd_store_hold(&members); /* its body, while keys are created and removed */
	for (size_t i = popped; i-- > 0;)
		consume_one(m, db, psd_store_name(&m->store, &members, i));
	psd_store_drop(&members);
	psd_store_remove(&m->store, find(m, db, PSD_LIT("PORT_TABLE_KEY_SET")));
	return popped;
}
