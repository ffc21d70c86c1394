/*
 * In-memory Redis model (see redis_model.h).
 *
 * Keys: one array in creation order (a removal moves the last key into its gap, so KEYS answers
 * in that order), found through an open-addressing index over (db, name) that holds position + 1
 * (0: empty), at most half full, without tombstones (a removal pulls its probe run back).
 *
 * A key's data is one block, its body: a header, the fields (a set's members), beyond
 * PSD_MODEL_SCAN_FIELDS of them an open-addressing index over their names (position + 1, 0
 * empty, at most half full; below, a scan finds a field), then the text: the key's name and a
 * NUL, then per field its name, a NUL, and for a hash field its value and a NUL in room to be
 * rewritten in place (a set's member has none). A field removed, or whose value outgrew its room
 * and moved to the end, leaves its text dead; the body is compacted once its dead text is over
 * half of it.
 *
 * Snapshots: a body counts the models holding it (refs); a model writes a body only while it is
 * the only holder, and copies it first otherwise (copy on write). psd_model_copy() copies the
 * key array and its index and counts one more holder per body.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hash.h"
#include "psd/lit.h"
#include "redis_model.h"

struct psd_model_field {
	uint32_t name;      /* the name's offset in the text; the value follows its NUL */
	uint32_t len;       /* of the name */
	uint32_t value_cap; /* room for the value and its NUL; 0: a set's member, no value */
};

struct psd_model_body {
	uint32_t refs;      /* models holding it: written only while 1 */
	uint32_t count;     /* fields, or members */
	uint32_t cap;       /* room for fields */
	uint32_t text_len;  /* text bytes in use, dead ones included */
	uint32_t text_cap;
	uint32_t text_dead; /* bytes of removed and moved fields, until compaction */
	/* then cap fields, index_size(cap) index slots, text_cap bytes of text */
};

struct psd_model_key {
	uint32_t db;
	uint32_t key_len;
	uint32_t key_hash; /* of (db, key): compared first, and the index slot's home */
	bool is_set;
	bool is_other; /* a string, list, zset or stream: hash commands answer WRONGTYPE */
	struct psd_model_body *body; /* its text starts with the key's name */
};

#define NONE SIZE_MAX  /* no such field */
#define FIELDS_MIN 4u  /* room in a new body: a port's hash holds three or four fields */
#define TEXT_SPARE 64u /* and text beyond the key's name */

static void *must(void *p)
{
	if (p == NULL)
		abort();
	return p;
}

static char *dup_mem(const char *s, size_t n)
{
	char *d = must(malloc(n + 1));
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void psd_model_init(struct psd_model *m)
{
	memset(m, 0, sizeof(*m));
}

/* The field index's slots for room for cap fields: none while a scan will do. */
static uint32_t index_size(uint32_t cap)
{
	uint32_t n = 32;
	if (cap <= PSD_MODEL_SCAN_FIELDS)
		return 0;
	while (n < 2 * cap)
		n *= 2;
	return n;
}

static struct psd_model_field *fields_of(const struct psd_model_body *b)
{
	return (struct psd_model_field *)(b + 1);
}

static uint32_t *index_of(const struct psd_model_body *b)
{
	return (uint32_t *)(fields_of(b) + b->cap);
}

static char *text_of(const struct psd_model_body *b)
{
	return (char *)(index_of(b) + index_size(b->cap));
}

static size_t body_size(uint32_t cap, uint32_t text_cap)
{
	return sizeof(struct psd_model_body) + cap * sizeof(struct psd_model_field) +
	       index_size(cap) * sizeof(uint32_t) + text_cap;
}

static const char *key_name(const struct psd_model_key *k)
{
	return text_of(k->body);
}

static const char *field_name(const struct psd_model_body *b, size_t at)
{
	return text_of(b) + fields_of(b)[at].name;
}

/* NULL for a set's member */
static const char *field_value(const struct psd_model_body *b, size_t at)
{
	const struct psd_model_field *f = &fields_of(b)[at];
	return f->value_cap != 0 ? text_of(b) + f->name + f->len + 1 : NULL;
}

static uint32_t name_hash(const char *name, size_t len)
{
	return (uint32_t)psd_sim_hash(0, name, len);
}

static void index_field(struct psd_model_body *b, size_t pos)
{
	uint32_t mask = index_size(b->cap) - 1, *index = index_of(b);
	const struct psd_model_field *f = &fields_of(b)[pos];
	size_t i = name_hash(text_of(b) + f->name, f->len) & mask;
	while (index[i] != 0)
		i = (i + 1) & mask;
	index[i] = (uint32_t)pos + 1;
}

/* Builds the field index again (a body beyond scanning, after a move or a removal). */
static void reindex_fields(struct psd_model_body *b)
{
	if (index_size(b->cap) == 0)
		return;
	memset(index_of(b), 0, index_size(b->cap) * sizeof(uint32_t));
	for (size_t i = 0; i < b->count; i++)
		index_field(b, i);
}

/* A body for the key's name with room for `fields` fields and `text` bytes of their text. */
static struct psd_model_body *body_new(const char *key, size_t len, uint32_t fields, uint32_t text)
{
	uint32_t text_cap = (uint32_t)len + 1 + text, cap = fields > 0 ? fields : 1;
	struct psd_model_body *b = must(malloc(body_size(cap, text_cap)));
	*b = (struct psd_model_body){.refs = 1, .cap = cap, .text_cap = text_cap,
				     .text_len = (uint32_t)len + 1};
	memset(index_of(b), 0, index_size(cap) * sizeof(uint32_t));
	memcpy(text_of(b), key, len);
	text_of(b)[len] = '\0';
	return b;
}

static void release(struct psd_model_body *b)
{
	if (--b->refs == 0)
		free(b);
}

/* The key's body, copied first when a snapshot holds it too: the one its caller may write. */
static struct psd_model_body *own(struct psd_model_key *k)
{
	struct psd_model_body *b = k->body;
	if (b->refs == 1)
		return b;
	size_t size = body_size(b->cap, b->text_cap);
	struct psd_model_body *c = must(malloc(size));
	memcpy(c, b, size);
	c->refs = 1;
	b->refs--;
	k->body = c;
	return c;
}

void psd_model_free(struct psd_model *m)
{
	for (size_t i = 0; i < m->count; i++)
		release(m->keys[i].body);
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
	       memcmp(key_name(k), key, len) == 0;
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

/* The slot holding key k (no comparison: positions are unique). */
static size_t slot_of_key(const struct psd_model *m, const struct psd_model_key *k)
{
	size_t mask = m->index_cap - 1, pos = (size_t)(k - m->keys) + 1;
	size_t i = k->key_hash & mask;
	while (m->index[i] != pos)
		i = (i + 1) & mask;
	return i;
}

/* Places every key again in an index of index_cap slots. */
static void reindex(struct psd_model *m)
{
	size_t mask = m->index_cap - 1;
	free(m->index);
	m->index = must(calloc(m->index_cap, sizeof(*m->index)));
	for (size_t k = 0; k < m->count; k++) {
		size_t i = m->keys[k].key_hash & mask;
		while (m->index[i] != 0)
			i = (i + 1) & mask;
		m->index[i] = (uint32_t)k + 1;
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

/* The key, created when absent with room for `fields` fields and `text` bytes of their text. */
static struct psd_model_key *create_sized(struct psd_model *m, uint32_t db, const char *key,
					  size_t len, bool is_set, uint32_t fields, uint32_t text)
{
	struct psd_model_key *k = find(m, db, key, len);
	if (k != NULL)
		return k;
	if (m->count == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->keys = must(realloc(m->keys, m->cap * sizeof(*m->keys)));
	}
	if (2 * (m->count + 1) > m->index_cap) {
		m->index_cap = m->index_cap ? 2 * m->index_cap : 128;
		reindex(m);
	}
	k = &m->keys[m->count++];
	*k = (struct psd_model_key){.db = db, .key_len = (uint32_t)len,
				    .key_hash = key_hash(db, key, len), .is_set = is_set,
				    .body = body_new(key, len, fields, text)};
	m->index[slot_of(m, db, key, len)] = (uint32_t)m->count;
	return k;
}

static struct psd_model_key *create(struct psd_model *m, uint32_t db, const char *key, size_t len,
				    bool is_set)
{
	return create_sized(m, db, key, len, is_set, FIELDS_MIN, TEXT_SPARE);
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
	release(k->body);
	if (pos != last) { /* the last key moves into the gap; repoint its slot */
		m->index[slot_of_key(m, &m->keys[last])] = (uint32_t)pos + 1;
		m->keys[pos] = m->keys[last];
	}
	m->count--;
}

/* The position of the field (or member) named name, or NONE. */
static size_t field_of(const struct psd_model_body *b, const char *name, size_t len)
{
	const struct psd_model_field *f = fields_of(b);
	const char *text = text_of(b);
	uint32_t mask = index_size(b->cap) - 1, *index = index_of(b);
	if (index_size(b->cap) == 0) {
		for (size_t i = 0; i < b->count; i++)
			if (f[i].len == len && memcmp(text + f[i].name, name, len) == 0)
				return i;
		return NONE;
	}
	for (size_t i = name_hash(name, len) & mask; index[i] != 0; i = (i + 1) & mask) {
		const struct psd_model_field *e = &f[index[i] - 1];
		if (e->len == len && memcmp(text + e->name, name, len) == 0)
			return index[i] - 1;
	}
	return NONE;
}

/* Room in k's (owned) body for `fields` more fields and `text` more bytes: it grows (and may
 * move), doubling. */
static struct psd_model_body *room(struct psd_model_key *k, uint32_t fields, uint32_t text)
{
	struct psd_model_body *b = k->body;
	uint32_t cap = b->cap, text_cap = b->text_cap, old_cap = b->cap;
	while (cap < b->count + fields)
		cap *= 2;
	while (text_cap < b->text_len + text)
		text_cap *= 2;
	if (cap == b->cap && text_cap == b->text_cap)
		return b;
	size_t old_text = (size_t)(text_of(b) - (char *)b);
	b = must(realloc(b, body_size(cap, text_cap)));
	b->cap = cap;
	b->text_cap = text_cap;
	memmove(text_of(b), (char *)b + old_text, b->text_len);
	k->body = b;
	if (cap != old_cap)
		reindex_fields(b);
	return b;
}

/* Writes name, NUL, and value (NULL: none) at the end of the text (room() made the room); the
 * name's offset. */
static uint32_t append(struct psd_model_body *b, const char *name, size_t nlen, const char *value,
		       size_t vlen, uint32_t value_cap)
{
	uint32_t at = b->text_len;
	char *t = text_of(b) + at;
	memcpy(t, name, nlen);
	t[nlen] = '\0';
	if (value != NULL) {
		memcpy(t + nlen + 1, value, vlen);
		t[nlen + 1 + vlen] = '\0';
	}
	b->text_len += (uint32_t)nlen + 1 + value_cap;
	return at;
}

static uint32_t record_size(const struct psd_model_field *f)
{
	return f->len + 1 + f->value_cap;
}

/* Rewrites the text without its dead bytes, once they are over half of it. */
static void compact(struct psd_model_body *b, uint32_t key_len)
{
	if (b->text_dead <= b->text_len / 2)
		return;
	char *text = text_of(b), *fresh = must(malloc(b->text_len - b->text_dead));
	uint32_t at = key_len + 1;
	memcpy(fresh, text, at);
	for (uint32_t i = 0; i < b->count; i++) {
		struct psd_model_field *f = &fields_of(b)[i];
		memcpy(fresh + at, text + f->name, record_size(f));
		f->name = at;
		at += record_size(f);
	}
	memcpy(text, fresh, at);
	free(fresh);
	b->text_len = at;
	b->text_dead = 0;
}

/* Frees a field's text: given back when it is last, else dead until compaction. */
static void drop_text(struct psd_model_body *b, const struct psd_model_field *f)
{
	if (f->name + record_size(f) == b->text_len)
		b->text_len -= record_size(f);
	else
		b->text_dead += record_size(f);
}

/* Room for a value: its bytes and NUL, rounded up to 8, so that the values portsyncd writes
 * (up, down, an MTU, a time) are rewritten in place. */
static uint32_t value_room(size_t vlen)
{
	return ((uint32_t)vlen + 8) & ~7u;
}

/* Adds or replaces; returns 1 when the field (or member) is new. */
static int put_field(struct psd_model_key *k, const char *name, size_t nlen, const char *value,
		     size_t vlen)
{
	size_t at = field_of(k->body, name, nlen);
	if (at != NONE && value == NULL)
		return 0; /* a member already there */
	struct psd_model_body *b = own(k);
	if (at != NONE && vlen < fields_of(b)[at].value_cap) { /* rewritten in place */
		char *v = text_of(b) + fields_of(b)[at].name + nlen + 1;
		memcpy(v, value, vlen);
		v[vlen] = '\0';
		return 0;
	}
	uint32_t cap = value != NULL ? value_room(vlen) : 0;
	b = room(k, at == NONE, (uint32_t)nlen + 1 + cap);
	if (at != NONE) { /* outgrew its room: moved to the end */
		struct psd_model_field *f = &fields_of(b)[at];
		drop_text(b, f);
		f->name = append(b, name, nlen, value, vlen, cap);
		f->value_cap = cap;
		compact(b, k->key_len);
		return 0;
	}
	fields_of(b)[b->count] = (struct psd_model_field){
		.len = (uint32_t)nlen, .value_cap = cap,
		.name = append(b, name, nlen, value, vlen, cap)};
	if (index_size(b->cap) > 0)
		index_field(b, b->count);
	b->count++;
	return 1;
}

/* Removes a field: the last one moves into its place. */
static void remove_field(struct psd_model_key *k, size_t at)
{
	struct psd_model_body *b = own(k);
	drop_text(b, &fields_of(b)[at]);
	fields_of(b)[at] = fields_of(b)[--b->count];
	reindex_fields(b);
	compact(b, k->key_len);
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
	dst->count = dst->cap = src->count;
	dst->index_cap = src->index_cap;
	if (src->count > 0) { /* the same keys in the same order, each body held once more */
		dst->keys = must(malloc(src->count * sizeof(*dst->keys)));
		memcpy(dst->keys, src->keys, src->count * sizeof(*dst->keys));
		for (size_t i = 0; i < src->count; i++)
			src->keys[i].body->refs++;
	}
	if (src->index_cap > 0) {
		dst->index = must(malloc(src->index_cap * sizeof(*dst->index)));
		memcpy(dst->index, src->index, src->index_cap * sizeof(*dst->index));
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
	size_t at = x->k != NULL ? field_of(x->k->body, x->argv[2], x->len[2]) : NONE;
	if (at == NONE)
		x->r->type = PSD_REPLY_NIL;
	else
		reply_str(x->m, x->r, field_value(x->k->body, at));
}

static void exec_hgetall(struct exec *x)
{
	const struct psd_model_body *b = x->k != NULL ? x->k->body : NULL;
	size_t n = b != NULL ? b->count : 0;
	reply_array(x->m, x->r, 2 * n);
	for (size_t i = 0; i < n; i++) {
		const char *name = field_name(b, i), *value = field_value(b, i);
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
	reply_int(x->r, x->k != NULL && field_of(x->k->body, x->argv[2], x->len[2]) != NONE);
}

/* KEYS with at most a trailing '*' */
static void exec_keys(struct exec *x)
{
	const struct psd_model *m = x->m;
	const char *pattern = x->argv[1];
	size_t plen = x->len[1] > 0 && pattern[x->len[1] - 1] == '*' ? x->len[1] - 1 : x->len[1];
	size_t n = 0;
	for (size_t i = 0; i < m->count; i++)
		n += m->keys[i].db == x->db && strncmp(key_name(&m->keys[i]), pattern, plen) == 0;
	reply_array(x->m, x->r, n);
	n = 0;
	for (size_t i = 0; i < m->count; i++)
		if (m->keys[i].db == x->db && strncmp(key_name(&m->keys[i]), pattern, plen) == 0)
			x->m->elements[n++] = (struct psd_str){key_name(&m->keys[i]), m->keys[i].key_len};
}

/* Writes: HSET, HDEL, DEL, each published as Redis does. */
static void exec_hset(struct exec *x)
{
	int64_t added = 0;
	uint32_t text = 0;
	for (uint32_t i = 2; i + 1 < x->argc; i += 2) /* a new key's room for its fields */
		text += (uint32_t)x->len[i] + 1 + value_room(x->len[i + 1]);
	struct psd_model_key *k =
		create_sized(x->m, x->db, x->argv[1], x->len[1], false, (x->argc - 2) / 2, text);
	for (uint32_t i = 2; i + 1 < x->argc; i += 2)
		added += put_field(k, x->argv[i], x->len[i], x->argv[i + 1], x->len[i + 1]);
	notify(x->m, x->db, x->argv[1], x->len[1], "hset");
	reply_int(x->r, added);
}

static void exec_hdel(struct exec *x)
{
	int64_t removed = 0;
	for (uint32_t i = 2; x->k != NULL && i < x->argc; i++) {
		size_t at = field_of(x->k->body, x->argv[i], x->len[i]);
		if (at != NONE) {
			remove_field(x->k, at);
			removed++;
		}
	}
	if (removed > 0)
		notify(x->m, x->db, x->argv[1], x->len[1], "hdel");
	if (x->k != NULL && x->k->body->count == 0) { /* Redis keeps no empty hash */
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
	size_t at = k != NULL ? field_of(k->body, field, strlen(field)) : NONE;
	return at != NONE ? field_value(k->body, at) : NULL;
}

size_t psd_model_del_matching(struct psd_model *m, uint32_t db, const char *prefix)
{
	size_t removed = 0, plen = strlen(prefix);
	for (size_t i = m->count; i-- > 0;) { /* removal moves the last key into i: go down */
		if (m->keys[i].db == db && strncmp(key_name(&m->keys[i]), prefix, plen) == 0) {
			notify(m, db, key_name(&m->keys[i]), m->keys[i].key_len, "del");
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
	return k != NULL && k->is_set && field_of(k->body, member, strlen(member)) != NONE;
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
	if (src->body->count > 0) /* room for what it will hold, if it is new */
		create_sized(m, db, table, strlen(table), false, src->body->count,
			     src->body->text_len - src->key_len - 1);
	/* found again each time: a new key may move the key array */
	for (size_t i = 0; (src = find(m, db, staging, strlen(staging))) != NULL &&
			   i < src->body->count; i++)
		psd_model_hset(m, db, table, field_name(src->body, i), field_value(src->body, i));
	if (src != NULL) {
		remove_key(m, src);
		notify(m, db, staging, strlen(staging), "del");
	}
}

size_t psd_model_consume(struct psd_model *m, uint32_t db)
{
	struct psd_model_key *set = find(m, db, PSD_LIT("PORT_TABLE_KEY_SET"));
	if (set == NULL)
		return 0;
	/* every member is popped, the last first; the set goes once they all are */
	struct psd_model_body *members = set->body;
	size_t popped = members->count;
	members->refs++; /* held while keys are created and removed */
	for (size_t i = popped; i-- > 0;)
		consume_one(m, db, field_name(members, i));
	release(members);
	remove_key(m, find(m, db, PSD_LIT("PORT_TABLE_KEY_SET")));
	return popped;
}
