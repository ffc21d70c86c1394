/* In-memory Redis model (see redis_model.h). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hash.h"
#include "psd/lit.h"
#include "redis_model.h"

static char *dup_mem(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d == NULL)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

#define VALUE_CAP_MIN 16u /* the fields portsyncd writes fit: rewrites need no allocation */

static char *dup_value(const char *s, size_t n, uint32_t *cap)
{
	*cap = (uint32_t)(n + 1 > VALUE_CAP_MIN ? n + 1 : VALUE_CAP_MIN);
	char *d = malloc(*cap);
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

static void free_key(struct psd_model_key *k)
{
	for (size_t i = 0; i < k->count; i++) {
		free(k->fields[i].name);
		free(k->fields[i].value);
	}
	free(k->fields);
	free(k->field_index);
	free(k->key);
}

void psd_model_free(struct psd_model *m)
{
	for (size_t i = 0; i < m->count; i++)
		free_key(&m->keys[i]);
	free(m->keys);
	free(m->index);
	free(m->elements);
	free(m->reply_text);
	memset(m, 0, sizeof(*m));
}

static uint32_t key_hash(uint32_t db, const char *key, size_t len)
{
	return (uint32_t)psd_sim_hash(db, key, len);
}

static bool same(const struct psd_model_key *k, uint32_t h, uint32_t db, const char *key,
		 size_t len)
{
	return k->key_hash == h && k->db == db && k->key_len == len &&
	       memcmp(k->key, key, len) == 0;
}

/* The index slot holding (db, key), or the empty slot where it would go. */
static size_t slot_of(const struct psd_model *m, uint32_t db, const char *key, size_t len)
{
	size_t mask = m->index_cap - 1;
	uint32_t h = key_hash(db, key, len);
	for (size_t i = h & mask;; i = (i + 1) & mask)
		if (m->index[i] == 0 || same(&m->keys[m->index[i] - 1], h, db, key, len))
			return i;
}

static size_t slot_of_key(const struct psd_model *m, const struct psd_model_key *k)
{
	return slot_of(m, k->db, k->key, k->key_len);
}

static void reindex(struct psd_model *m)
{
	free(m->index);
	m->index = calloc(m->index_cap, sizeof(*m->index));
	if (m->index == NULL)
		abort();
	for (size_t k = 0; k < m->count; k++) {
		const struct psd_model_key *e = &m->keys[k];
		m->index[slot_of_key(m, e)] = (uint32_t)k + 1;
	}
}

static struct psd_model_key *find(const struct psd_model *m, uint32_t db, const char *key,
				  size_t len)
{
	if (m->index_cap == 0)
		return NULL;
	uint32_t at = m->index[slot_of(m, db, key, len)];
	return at != 0 ? &m->keys[at - 1] : NULL;
}

static struct psd_model_key *create(struct psd_model *m, uint32_t db, const char *key, size_t len,
				    bool is_set)
{
	struct psd_model_key *k = find(m, db, key, len);
	if (k != NULL)
		return k;
	if (m->count == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->keys = realloc(m->keys, m->cap * sizeof(*m->keys));
		if (m->keys == NULL)
			abort();
		m->index_cap = 4 * m->cap;
		reindex(m);
	}
	k = &m->keys[m->count++];
	memset(k, 0, sizeof(*k));
	k->db = db;
	k->key = dup_mem(key, len);
	k->key_len = (uint32_t)len;
	k->key_hash = key_hash(db, key, len);
	k->is_set = is_set;
	m->index[slot_of(m, db, key, len)] = (uint32_t)m->count;
	return k;
}

/* Frees index slot hole and pulls later entries of its probe run back (no tombstones). */
static void unindex(struct psd_model *m, size_t hole)
{
	size_t mask = m->index_cap - 1;
	m->index[hole] = 0;
	for (size_t i = (hole + 1) & mask; m->index[i] != 0; i = (i + 1) & mask) {
		const struct psd_model_key *e = &m->keys[m->index[i] - 1];
		size_t home = e->key_hash & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->index[hole] = m->index[i];
			m->index[i] = 0;
			hole = i;
		}
	}
}

static void remove_key(struct psd_model *m, struct psd_model_key *k)
{
	size_t pos = (size_t)(k - m->keys), last = m->count - 1;
	unindex(m, slot_of_key(m, k));
	free_key(k);
	if (pos != last) { /* the last key moves into the gap; repoint its slot */
		const struct psd_model_key *e = &m->keys[last];
		m->index[slot_of_key(m, e)] = (uint32_t)pos + 1;
		m->keys[pos] = m->keys[last];
	}
	m->count--;
}

static struct psd_model_field *field_of(struct psd_model_key *k, const char *name, size_t len)
{
	uint32_t h = key_hash(0, name, len);
	if (k->field_index != NULL) {
		size_t mask = k->field_index_cap - 1;
		for (size_t i = h & mask; k->field_index[i] != 0; i = (i + 1) & mask) {
			struct psd_model_field *f = &k->fields[k->field_index[i] - 1];
			if (f->hash == h && f->len == len && memcmp(f->name, name, len) == 0)
				return f;
		}
		return NULL;
	}
	for (size_t i = 0; i < k->count; i++)
		if (k->fields[i].hash == h && k->fields[i].len == len &&
		    memcmp(k->fields[i].name, name, len) == 0)
			return &k->fields[i];
	return NULL;
}

static void index_field(struct psd_model_key *k, size_t pos)
{
	size_t mask = k->field_index_cap - 1, i = k->fields[pos].hash & mask;
	while (k->field_index[i] != 0)
		i = (i + 1) & mask;
	k->field_index[i] = (uint32_t)pos + 1;
}

/* Builds the index again for capacity fields, once a hash outgrows scanning. */
static void reindex_fields(struct psd_model_key *k, size_t capacity)
{
	free(k->field_index);
	k->field_index_cap = 4 * capacity;
	k->field_index = calloc(k->field_index_cap, sizeof(*k->field_index));
	if (k->field_index == NULL)
		abort();
	for (size_t i = 0; i < k->count; i++)
		index_field(k, i);
}

/* Adds or replaces; returns 1 when the field (or member) is new. */
static int put_field(struct psd_model_key *k, const char *name, size_t nlen, const char *value,
		     size_t vlen)
{
	struct psd_model_field *f = field_of(k, name, nlen);
	if (f != NULL) {
		if (value != NULL && vlen < f->value_cap) {
			memcpy(f->value, value, vlen);
			f->value[vlen] = '\0';
		} else if (value != NULL) {
			free(f->value);
			f->value = dup_value(value, vlen, &f->value_cap);
		}
		return 0;
	}
	if ((k->count & (k->count - 1)) == 0) { /* capacity doubles at each power of two */
		size_t capacity = k->count ? 2 * k->count : 1;
		k->fields = realloc(k->fields, capacity * sizeof(*k->fields));
		if (k->fields == NULL)
			abort();
		if (capacity > PSD_MODEL_SCAN_FIELDS)
			reindex_fields(k, capacity);
	}
	k->fields[k->count].name = dup_mem(name, nlen);
	k->fields[k->count].value =
		value != NULL ? dup_value(value, vlen, &k->fields[k->count].value_cap) : NULL;
	k->fields[k->count].hash = key_hash(0, name, nlen);
	k->fields[k->count].len = (uint32_t)nlen;
	if (k->field_index != NULL)
		index_field(k, k->count);
	k->count++;
	return 1;
}

/* Removes a field: the last one moves into its place. */
static void remove_field(struct psd_model_key *k, struct psd_model_field *f)
{
	free(f->name);
	free(f->value);
	*f = k->fields[--k->count];
	if (k->field_index != NULL)
		reindex_fields(k, k->field_index_cap / 4);
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
	int added = put_field(set, args[1], alen[1], NULL, 0);

	if (added)
		notify(m, db, keys[1], klen[1], "sadd");
	for (uint32_t i = 2; i < numkeys; i++) {
		struct psd_model_key *h = create(m, db, keys[i], klen[i], false);
		put_field(h, args[2 * i - 2], alen[2 * i - 2], args[2 * i - 1], alen[2 * i - 1]);
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
	for (size_t i = 0; i < src->count; i++) {
		const struct psd_model_key *k = &src->keys[i];
		struct psd_model_key *d = create(dst, k->db, k->key, k->key_len, k->is_set);
		d->is_other = k->is_other;
		for (size_t f = 0; f < k->count; f++)
			put_field(d, k->fields[f].name, k->fields[f].len, k->fields[f].value,
				  k->fields[f].value != NULL ? strlen(k->fields[f].value) : 0);
	}
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
		remove_key(m, k);
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
	struct psd_model_field *f = x->k != NULL ? field_of(x->k, x->argv[2], x->len[2]) : NULL;
	if (f == NULL)
		x->r->type = PSD_REPLY_NIL;
	else
		reply_str(x->m, x->r, f->value);
}

static void exec_hgetall(struct exec *x)
{
	const struct psd_model_key *k = x->k;
	size_t n = k != NULL ? k->count : 0;
	reply_array(x->m, x->r, 2 * n);
	for (size_t i = 0; i < n; i++) {
		x->m->elements[2 * i] = (struct psd_str){k->fields[i].name, strlen(k->fields[i].name)};
		x->m->elements[2 * i + 1] =
			(struct psd_str){k->fields[i].value, strlen(k->fields[i].value)};
	}
}

static void exec_exists(struct exec *x)
{
	reply_int(x->r, x->k != NULL);
}

static void exec_hexists(struct exec *x)
{
	reply_int(x->r, x->k != NULL && field_of(x->k, x->argv[2], x->len[2]) != NULL);
}

/* KEYS with at most a trailing '*' */
static void exec_keys(struct exec *x)
{
	const struct psd_model *m = x->m;
	const char *pattern = x->argv[1];
	size_t plen = x->len[1] > 0 && pattern[x->len[1] - 1] == '*' ? x->len[1] - 1 : x->len[1];
	size_t n = 0;
	for (size_t i = 0; i < m->count; i++)
		n += m->keys[i].db == x->db && strncmp(m->keys[i].key, pattern, plen) == 0;
	reply_array(x->m, x->r, n);
	n = 0;
	for (size_t i = 0; i < m->count; i++)
		if (m->keys[i].db == x->db && strncmp(m->keys[i].key, pattern, plen) == 0)
			x->m->elements[n++] = (struct psd_str){m->keys[i].key, m->keys[i].key_len};
}

/* Writes: HSET, HDEL, DEL, each published as Redis does. */
static void exec_hset(struct exec *x)
{
	int64_t added = 0;
	struct psd_model_key *k = create(x->m, x->db, x->argv[1], x->len[1], false);
	for (uint32_t i = 2; i + 1 < x->argc; i += 2)
		added += put_field(k, x->argv[i], x->len[i], x->argv[i + 1], x->len[i + 1]);
	notify(x->m, x->db, x->argv[1], x->len[1], "hset");
	reply_int(x->r, added);
}

static void exec_hdel(struct exec *x)
{
	int64_t removed = 0;
	for (uint32_t i = 2; x->k != NULL && i < x->argc; i++) {
		struct psd_model_field *f = field_of(x->k, x->argv[i], x->len[i]);
		if (f != NULL) {
			remove_field(x->k, f);
			removed++;
		}
	}
	if (removed > 0)
		notify(x->m, x->db, x->argv[1], x->len[1], "hdel");
	if (x->k != NULL && x->k->count == 0) { /* Redis keeps no empty hash */
		remove_key(x->m, x->k);
		notify(x->m, x->db, x->argv[1], x->len[1], "del");
	}
	reply_int(x->r, removed);
}

static void exec_del(struct exec *x)
{
	reply_int(x->r, x->k != NULL);
	if (x->k != NULL) {
		remove_key(x->m, x->k);
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
	bool hash; /* a hash command: WRONGTYPE on a key of another type */
	void (*run)(struct exec *x);
} commands[] = {
	{"HGET", true, exec_hget},     {"HSET", true, exec_hset},
	{"HGETALL", true, exec_hgetall}, {"KEYS", false, exec_keys},
	{"EXISTS", false, exec_exists}, {"HEXISTS", true, exec_hexists},
	{"HDEL", true, exec_hdel},     {"DEL", false, exec_del},
	{"INFO", false, exec_info},    {"SCRIPT", false, exec_script},
	{"EVALSHA", false, exec_evalsha},
};

void psd_model_exec(struct psd_model *m, uint32_t db, uint32_t argc, const char *const *argv,
		    const size_t *len, struct psd_reply *r)
{
	struct exec x = {m, db, argc, argv, len, argc > 1 ? find(m, db, argv[1], len[1]) : NULL, r};
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
	put_field(k, field, strlen(field), value, strlen(value));
	notify(m, db, key, strlen(key), "hset");
}

const char *psd_model_hget(const struct psd_model *m, uint32_t db, const char *key,
			   const char *field)
{
	struct psd_model_key *k = find(m, db, key, strlen(key));
	struct psd_model_field *f = k != NULL ? field_of(k, field, strlen(field)) : NULL;
	return f != NULL ? f->value : NULL;
}

size_t psd_model_del_matching(struct psd_model *m, uint32_t db, const char *prefix)
{
	size_t removed = 0, plen = strlen(prefix);
	for (size_t i = m->count; i-- > 0;) { /* removal moves the last key into i: go down */
		if (m->keys[i].db == db && strncmp(m->keys[i].key, prefix, plen) == 0) {
			notify(m, db, m->keys[i].key, m->keys[i].key_len, "del");
			remove_key(m, &m->keys[i]);
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
	return k != NULL && k->is_set && field_of(k, member, strlen(member)) != NULL;
}

size_t psd_model_consume(struct psd_model *m, uint32_t db)
{
	struct psd_model_key *set = find(m, db, PSD_LIT("PORT_TABLE_KEY_SET"));
	size_t popped = 0;
	char staging[128], table[128];

	if (set != NULL) { /* every member is popped: the index goes first */
		free(set->field_index);
		set->field_index = NULL;
	}
	while (set != NULL && set->count > 0) {
		char *name = set->fields[set->count - 1].name;
		set->fields[set->count - 1].name = NULL;
		set->count--;
		snprintf(staging, sizeof(staging), "_PORT_TABLE:%s", name);
		snprintf(table, sizeof(table), "PORT_TABLE:%s", name);
		struct psd_model_key *src;
		/* found again each time: a new key may move the key array */
		for (size_t i = 0; (src = find(m, db, staging, strlen(staging))) != NULL &&
				   i < src->count; i++)
			psd_model_hset(m, db, table, src->fields[i].name, src->fields[i].value);
		if (src != NULL) {
			remove_key(m, src);
			notify(m, db, staging, strlen(staging), "del");
		}
		free(name);
		popped++;
		set = find(m, db, PSD_LIT("PORT_TABLE_KEY_SET"));
	}
	if (set != NULL && set->count == 0)
		remove_key(m, set);
	return popped;
}
