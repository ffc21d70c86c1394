/*
 * The Redis model's storage (see redis_store.h).
 *
 * Keys: one array in creation order, found through an open-addressing index over (db, name)
 * that holds position + 1 (0: empty), at most half full, without tombstones (a removal pulls
 * its probe run back).
 *
 * A key's body is one block: a header, the fields, beyond PSD_MODEL_SCAN_FIELDS of them an
 * open-addressing index over their names (position + 1, 0 empty, at most half full; below, a
 * scan finds a field), then the text: the key's name and a NUL, then per field its record: a
 * hash field's value and NUL in room to be rewritten in place, or a set member's name and NUL. A
 * hash field's name is an id in the model's dictionary of names (a port's hashes repeat a dozen
 * names a hundred thousand times). A field removed, or whose value outgrew its room and moved
 * to the end, leaves its record dead; the body is compacted once dead text is over half of it.
 *
 * Sharing: a body counts the models holding it (refs); a model writes a body only while it is
 * the only holder and copies it first otherwise (copy on write), so a snapshot costs the key
 * array and its index. The dictionary is shared likewise; names are only ever added to it, so
 * it is never copied.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "redis_store.h"

struct psd_model_field {
	uint32_t text;      /* its record's offset in the text */
	uint32_t name;      /* a hash field's name: its id in the dictionary; a member's length */
	uint32_t value_cap; /* a hash field's room for its value and NUL; 0: a set's member */
};

struct psd_model_body {
	uint32_t refs;      /* models holding it: written only while 1 */
	uint32_t count;     /* fields, or members */
	uint32_t cap;       /* room for fields */
	uint32_t text_len;  /* text bytes in use, dead ones included */
	uint32_t text_cap;
	uint32_t text_dead; /* bytes of removed and moved records, until compaction */
	/* then cap fields, index_size(cap) index slots, text_cap bytes of text */
};

struct psd_model_names {
	uint32_t refs; /* models holding it */
	uint32_t count, cap;
	char **text;   /* each name and its NUL, allocated once: never moved */
	uint32_t *len;
	uint32_t *index; /* open addressing: id + 1, 0 empty, at most half full */
	uint32_t index_cap;
};

#define NO_NAME UINT32_MAX
#define FIELDS_MIN 3u  /* a new body's room when its size is not known: a port's three fields */
#define VALUES_MIN 24u /* and their values */

static void *must(void *p)
{
	if (p == NULL)
		abort();
	return p;
}

static uint32_t text_hash(const char *s, size_t len)
{
	return (uint32_t)psd_sim_hash(0, s, len);
}

/* The dictionary's slot for (name, len): its id + 1, or the empty slot where it would go. */
static uint32_t *name_slot(const struct psd_model_names *d, const char *name, size_t len)
{
	uint32_t mask = d->index_cap - 1;
	for (uint32_t i = text_hash(name, len) & mask;; i = (i + 1) & mask) {
		uint32_t id = d->index[i];
		if (id == 0 || (d->len[id - 1] == len && memcmp(d->text[id - 1], name, len) == 0))
			return &d->index[i];
	}
}

static void names_grow(struct psd_model_names *d)
{
	d->cap = d->cap ? 2 * d->cap : 32;
	d->text = must(realloc(d->text, d->cap * sizeof(*d->text)));
	d->len = must(realloc(d->len, d->cap * sizeof(*d->len)));
	d->index_cap = 2 * d->cap;
	free(d->index);
	d->index = must(calloc(d->index_cap, sizeof(*d->index)));
	for (uint32_t id = 0; id < d->count; id++)
		*name_slot(d, d->text[id], d->len[id]) = id + 1;
}

/* The id of a hash field's name, or NO_NAME. */
static uint32_t name_find(const struct psd_model_names *d, const char *name, size_t len)
{
	if (d == NULL || d->count == 0)
		return NO_NAME;
	uint32_t id = *name_slot(d, name, len);
	return id != 0 ? id - 1 : NO_NAME;
}

/* The id of a hash field's name, added when absent. */
static uint32_t name_add(struct psd_store *st, const char *name, size_t len)
{
	uint32_t id = name_find(st->names, name, len);
	if (id != NO_NAME)
		return id;
	if (st->names == NULL) {
		st->names = must(calloc(1, sizeof(*st->names)));
		st->names->refs = 1;
	}
	struct psd_model_names *d = st->names;
	if (d->count == d->cap)
		names_grow(d);
	d->text[d->count] = must(malloc(len + 1));
	memcpy(d->text[d->count], name, len);
	d->text[d->count][len] = '\0';
	d->len[d->count] = (uint32_t)len;
	*name_slot(d, name, len) = d->count + 1;
	return d->count++;
}

static void names_release(struct psd_model_names *d)
{
	if (d == NULL || --d->refs > 0)
		return;
	for (uint32_t id = 0; id < d->count; id++)
		free(d->text[id]);
	free(d->text);
	free(d->len);
	free(d->index);
	free(d);
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

static uint32_t record_size(const struct psd_model_field *f)
{
	return f->value_cap != 0 ? f->value_cap : f->name + 1;
}

const char *psd_store_key_name(const struct psd_model_key *k)
{
	return text_of(k->body);
}

size_t psd_store_fields(const struct psd_model_key *k)
{
	return k->body->count;
}

static const char *name_of(const struct psd_store *st, const struct psd_model_body *b, size_t at)
{
	const struct psd_model_field *f = &fields_of(b)[at];
	return f->value_cap != 0 ? st->names->text[f->name] : text_of(b) + f->text;
}

const char *psd_store_name(const struct psd_store *st, const struct psd_model_key *k, size_t at)
{
	return name_of(st, k->body, at);
}

const char *psd_store_value(const struct psd_model_key *k, size_t at)
{
	const struct psd_model_field *f = &fields_of(k->body)[at];
	return f->value_cap != 0 ? text_of(k->body) + f->text : NULL;
}

static void index_field(const struct psd_store *st, struct psd_model_body *b, size_t pos)
{
	uint32_t mask = index_size(b->cap) - 1, *index = index_of(b);
	const struct psd_model_field *f = &fields_of(b)[pos];
	uint32_t len = f->value_cap != 0 ? st->names->len[f->name] : f->name;
	uint32_t i = text_hash(name_of(st, b, pos), len) & mask;
	while (index[i] != 0)
		i = (i + 1) & mask;
	index[i] = (uint32_t)pos + 1;
}

/* Builds the field index again (a body beyond scanning, after a move or a removal). */
static void reindex_fields(const struct psd_store *st, struct psd_model_body *b)
{
	if (index_size(b->cap) == 0)
		return;
	memset(index_of(b), 0, index_size(b->cap) * sizeof(uint32_t));
	for (size_t i = 0; i < b->count; i++)
		index_field(st, b, i);
}

/* Whether field f of b is named name: a hash field by its id, a member by its bytes. */
static bool named(const struct psd_model_body *b, const struct psd_model_field *f, uint32_t id,
		  const char *name, size_t len)
{
	if (f->value_cap != 0)
		return f->name == id;
	return f->name == len && memcmp(text_of(b) + f->text, name, len) == 0;
}

/* The position of the field named name (id: the name's in the dictionary), or PSD_STORE_NONE. */
static size_t field_at(const struct psd_model_body *b, uint32_t id, const char *name, size_t len)
{
	const struct psd_model_field *f = fields_of(b);
	uint32_t mask = index_size(b->cap) - 1, *index = index_of(b);
	if (index_size(b->cap) == 0) {
		for (size_t i = 0; i < b->count; i++)
			if (named(b, &f[i], id, name, len))
				return i;
		return PSD_STORE_NONE;
	}
	for (uint32_t i = text_hash(name, len) & mask; index[i] != 0; i = (i + 1) & mask)
		if (named(b, &f[index[i] - 1], id, name, len))
			return index[i] - 1;
	return PSD_STORE_NONE;
}

size_t psd_store_field(const struct psd_store *st, const struct psd_model_key *k, const char *name,
		       size_t len)
{
	return field_at(k->body, name_find(st->names, name, len), name, len);
}

/* A body for the key's name with room for `fields` fields and `text` bytes of records. */
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

void psd_store_hold(struct psd_model_key *k)
{
	k->body->refs++;
}

void psd_store_drop(struct psd_model_key *k)
{
	release(k->body);
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

/* Room in k's (owned) body for `fields` more fields and `text` more bytes: it grows (and may
 * move), doubling. */
static struct psd_model_body *room(const struct psd_store *st, struct psd_model_key *k,
				   uint32_t fields, uint32_t text)
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
		reindex_fields(st, b);
	return b;
}

/* Rewrites the text without its dead records, once they are over half of it. */
static void compact(struct psd_model_body *b, uint32_t key_len)
{
	if (b->text_dead <= b->text_len / 2)
		return;
	char *text = text_of(b), *fresh = must(malloc(b->text_len - b->text_dead));
	uint32_t at = key_len + 1;
	memcpy(fresh, text, at);
	for (uint32_t i = 0; i < b->count; i++) {
		struct psd_model_field *f = &fields_of(b)[i];
		memcpy(fresh + at, text + f->text, record_size(f));
		f->text = at;
		at += record_size(f);
	}
	memcpy(text, fresh, at);
	free(fresh);
	b->text_len = at;
	b->text_dead = 0;
}

/* Frees a record: given back when it is last, else dead until compaction. */
static void drop_text(struct psd_model_body *b, const struct psd_model_field *f)
{
	if (f->text + record_size(f) == b->text_len)
		b->text_len -= record_size(f);
	else
		b->text_dead += record_size(f);
}

/* Room for a value: its bytes and NUL, rounded up to 8, so that the values portsyncd writes
 * (up, down, an MTU, a time) are rewritten in place. */
uint32_t psd_store_value_room(size_t vlen)
{
	return ((uint32_t)vlen + 8) & ~7u;
}

/* Appends a record (room() made the room): a value in value_cap bytes, or a member's name;
 * id: the name's in the dictionary, or NO_NAME. */
static struct psd_model_field record(struct psd_store *st, struct psd_model_body *b, uint32_t id,
				     const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct psd_model_field f = {.text = b->text_len};
	const char *bytes = value != NULL ? value : name;
	size_t len = value != NULL ? vlen : nlen;
	memcpy(text_of(b) + f.text, bytes, len);
	text_of(b)[f.text + len] = '\0';
	if (value != NULL)
		f.name = id != NO_NAME ? id : name_add(st, name, nlen);
	else
		f.name = (uint32_t)nlen;
	f.value_cap = value != NULL ? psd_store_value_room(vlen) : 0;
	b->text_len += record_size(&f);
	return f;
}

int psd_store_put(struct psd_store *st, struct psd_model_key *k, const char *name, size_t nlen,
		  const char *value, size_t vlen)
{
	uint32_t id = name_find(st->names, name, nlen);
	size_t at = field_at(k->body, id, name, nlen);
	if (at != PSD_STORE_NONE && value == NULL)
		return 0; /* a member already there */
	struct psd_model_body *b = own(k);
	struct psd_model_field *f = at != PSD_STORE_NONE ? &fields_of(b)[at] : NULL;
	if (f != NULL && vlen < f->value_cap) { /* rewritten in place */
		memcpy(text_of(b) + f->text, value, vlen);
		text_of(b)[f->text + vlen] = '\0';
		return 0;
	}
	b = room(st, k, f == NULL, value != NULL ? psd_store_value_room(vlen) : (uint32_t)nlen + 1);
	if (f != NULL) { /* outgrew its room: moved to the end */
		f = &fields_of(b)[at];
		drop_text(b, f);
		*f = record(st, b, id, name, nlen, value, vlen);
		compact(b, k->key_len);
		return 0;
	}
	fields_of(b)[b->count] = record(st, b, id, name, nlen, value, vlen);
	if (index_size(b->cap) > 0)
		index_field(st, b, b->count);
	b->count++;
	return 1;
}

void psd_store_remove_field(struct psd_store *st, struct psd_model_key *k, size_t at)
{
	struct psd_model_body *b = own(k);
	drop_text(b, &fields_of(b)[at]);
	fields_of(b)[at] = fields_of(b)[--b->count];
	reindex_fields(st, b);
	compact(b, k->key_len);
}

static bool same(const struct psd_model_key *k, uint32_t h, uint32_t db, const char *key,
		 size_t len)
{
	return k->key_hash == h && k->db == db && k->key_len == len &&
	       memcmp(psd_store_key_name(k), key, len) == 0;
}

/* The index slot holding (db, key), or the empty slot where it would go. */
static size_t slot_of(const struct psd_store *st, uint32_t h, uint32_t db, const char *key,
		      size_t len)
{
	size_t mask = st->index_cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask)
		if (st->index[i] == 0 || same(&st->keys[st->index[i] - 1], h, db, key, len))
			return i;
}

/* The slot holding key k (no comparison: positions are unique). */
static size_t slot_of_key(const struct psd_store *st, const struct psd_model_key *k)
{
	size_t mask = st->index_cap - 1, pos = (size_t)(k - st->keys) + 1;
	size_t i = k->key_hash & mask;
	while (st->index[i] != pos)
		i = (i + 1) & mask;
	return i;
}

/* Places every key again in an index of index_cap slots. */
static void reindex(struct psd_store *st)
{
	size_t mask = st->index_cap - 1;
	free(st->index);
	st->index = must(calloc(st->index_cap, sizeof(*st->index)));
	for (size_t k = 0; k < st->count; k++) {
		size_t i = st->keys[k].key_hash & mask;
		while (st->index[i] != 0)
			i = (i + 1) & mask;
		st->index[i] = (uint32_t)k + 1;
	}
}

struct psd_model_key *psd_store_find(const struct psd_store *st, uint32_t db, const char *key,
				     size_t len)
{
	if (st->index_cap == 0)
		return NULL;
	uint32_t at = st->index[slot_of(st, (uint32_t)psd_sim_hash(db, key, len), db, key, len)];
	return at != 0 ? &st->keys[at - 1] : NULL;
}

struct psd_model_key *psd_store_create(struct psd_store *st, uint32_t db, const char *key,
				       size_t len, bool is_set, uint32_t fields, uint32_t text)
{
	struct psd_model_key *k = psd_store_find(st, db, key, len);
	if (k != NULL)
		return k;
	if (st->count == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		st->keys = must(realloc(st->keys, st->cap * sizeof(*st->keys)));
	}
	if (2 * (st->count + 1) > st->index_cap) {
		st->index_cap = st->index_cap ? 2 * st->index_cap : 128;
		reindex(st);
	}
	if (fields == 0 && text == 0) {
		fields = FIELDS_MIN;
		text = VALUES_MIN;
	}
	uint32_t h = (uint32_t)psd_sim_hash(db, key, len);
	k = &st->keys[st->count++];
	*k = (struct psd_model_key){.db = db, .key_len = (uint32_t)len, .key_hash = h,
				    .is_set = is_set, .body = body_new(key, len, fields, text)};
	st->index[slot_of(st, h, db, key, len)] = (uint32_t)st->count;
	return k;
}

/* Frees index slot hole and pulls later entries of its probe run back (no tombstones). */
static void unindex(struct psd_store *st, size_t hole)
{
	size_t mask = st->index_cap - 1;
	st->index[hole] = 0;
	for (size_t i = (hole + 1) & mask; st->index[i] != 0; i = (i + 1) & mask) {
		const struct psd_model_key *e = &st->keys[st->index[i] - 1];
		size_t home = e->key_hash & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			st->index[hole] = st->index[i];
			st->index[i] = 0;
			hole = i;
		}
	}
}

void psd_store_remove(struct psd_store *st, struct psd_model_key *k)
{
	size_t pos = (size_t)(k - st->keys), last = st->count - 1;
	unindex(st, slot_of_key(st, k));
	release(k->body);
	if (pos != last) { /* the last key moves into the gap; repoint its slot */
		st->index[slot_of_key(st, &st->keys[last])] = (uint32_t)pos + 1;
		st->keys[pos] = st->keys[last];
	}
	st->count--;
}

void psd_store_copy(struct psd_store *dst, const struct psd_store *src)
{
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
	dst->names = src->names;
	if (dst->names != NULL)
		dst->names->refs++;
}

void psd_store_free(struct psd_store *st)
{
	for (size_t i = 0; i < st->count; i++)
		release(st->keys[i].body);
	free(st->keys);
	free(st->index);
	names_release(st->names);
}
