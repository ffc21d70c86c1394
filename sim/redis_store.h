/*
 * The Redis model's storage (redis_store.c), for redis_model.c alone: keys found by (db, name)
 * and kept in creation order (a removal moves the last key into its gap, so KEYS answers in that
 * order); a key's fields (a set's members) and values in one block, its body, shared with the
 * snapshots taken since it was last written (copy on write); the names of hash fields kept once,
 * in a dictionary the model shares with its snapshots.
 *
 * A field is found by its position in its key (PSD_STORE_NONE: none). A key pointer is valid
 * until the next key is created or removed; a member's name and a value until their key is next
 * written or removed; a hash field's name as long as the model.
 */
#ifndef PSD_REDIS_STORE_H
#define PSD_REDIS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


#define PSD_MODEL_SCAN_FIELDS 16u /* hashes this small are scanned, larger ones indexed */

struct psd_model_body;  /* redis_store.c */
struct psd_model_names; /* redis_store.c */

struct psd_model_key {
	uint32_t db;
	uint32_t key_len;
	uint32_t key_hash; /* of (db, key): compared first, and the index slot's home */
	bool is_set;
	bool is_other; /* a string, list, zset or stream: hash commands answer WRONGTYPE */
	struct psd_model_body *body; /* its text starts with the key's name */
};

/* The keys and their index; a snapshot has its own, sharing the bodies and the dictionary. */
struct psd_store {
	struct psd_model_key *keys; /* in creation order; a removal moves the last key into its gap */
	size_t count;
	size_t cap;
	uint32_t *index;   /* open addressing over (db, key): key position + 1; 0 is empty */
	size_t index_cap;  /* a power of two, at least twice count */
	struct psd_model_names *names; /* hash fields' names, shared with snapshots */
};

#define PSD_STORE_NONE SIZE_MAX

struct psd_model_key *psd_store_find(const struct psd_store *st, uint32_t db, const char *key,
				     size_t len);
/* The key, created when absent with room for `fields` fields and `text` bytes of values (0, 0:
 * room for a port's three fields). */
struct psd_model_key *psd_store_create(struct psd_store *st, uint32_t db, const char *key,
				       size_t len, bool is_set, uint32_t fields, uint32_t text);
void psd_store_remove(struct psd_store *st, struct psd_model_key *k);
const char *psd_store_key_name(const struct psd_model_key *k);
size_t psd_store_fields(const struct psd_model_key *k);
size_t psd_store_field(const struct psd_store *st, const struct psd_model_key *k, const char *name,
		       size_t len);
const char *psd_store_name(const struct psd_store *st, const struct psd_model_key *k, size_t at);
const char *psd_store_value(const struct psd_model_key *k, size_t at); /* NULL: a member */
/* Adds or replaces a field (value NULL: adds a set's member); 1 when it is new. */
int psd_store_put(struct psd_store *st, struct psd_model_key *k, const char *name, size_t nlen,
		  const char *value, size_t vlen);
/* Removes the field at `at`: the last one moves into its place. */
void psd_store_remove_field(struct psd_store *st, struct psd_model_key *k, size_t at);
uint32_t psd_store_value_room(size_t vlen); /* the text a value takes */
/* k, a copy of a key, holds its body too (the key may be removed meanwhile), until dropped. */
void psd_store_hold(struct psd_model_key *k);
void psd_store_drop(struct psd_model_key *k);
void psd_store_copy(struct psd_store *dst, const struct psd_store *src);
void psd_store_free(struct psd_store *st);

#endif
