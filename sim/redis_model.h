/*
 * An in-memory model of the Redis commands the core sends, with Redis's semantics: hashes and
 * sets per database, HSET merging, HDEL, empty hashes removed, KEYS with a trailing '*', and the
 * producer "set" script executed natively (SADD, HSET per pair, PUBLISH when newly added).
 * psd_model_consume() pops PORT_TABLE_KEY_SET the way orchagent's consumer does. Test and
 * simulation code only: it allocates freely; keys are found through a hash index, so 100K-port
 * worlds stay fast (KEYS still scans, as Redis does), and a key's name, fields and values are one
 * block, shared with the snapshots taken since it was last written (copy on write), so a SAVE
 * copies the key list, not the data.
 *
 * Besides hashes and sets, a key may hold another type (string, list, zset, stream: kept as an
 * opaque "other"): hash commands on it, and on a set, answer WRONGTYPE as Redis does. While
 * `loading` is set every command answers LOADING, as a Redis still reading its AOF or RDB does.
 */
#ifndef PSD_REDIS_MODEL_H
#define PSD_REDIS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/core.h"
#include "redis_store.h"

#define PSD_MODEL_SHA "5e1ac7e0a0e1f2b3c4d5e6f708192a3b4c5d6e7f"

struct psd_model {
	struct psd_store store; /* the keys, their fields and values (redis_store.h) */
	uint64_t publishes;      /* PUBLISH calls made by the producer script */
	bool loading;            /* every command answers -LOADING */
	uint64_t run_id;         /* INFO server's run_id (as 40 hex digits); a restart changes it */
	char last_channel[64];
	/* keyspace notifications: each write, as Redis publishes it (hset, hdel, del, sadd, set);
	 * NULL: none */
	void (*notify)(void *ctx, uint32_t db, const char *key, size_t key_len, const char *event);
	void *notify_ctx;
	/* reply storage for the last command, valid until the next call */
	struct psd_str *elements;
	size_t elements_cap;
	char *reply_text;
};

void psd_model_init(struct psd_model *m);
void psd_model_free(struct psd_model *m);
/* Executes argv on database db; fills *ret (borrowing model storage). */
void psd_model_exec(struct psd_model *m, uint32_t db, uint32_t argc, const char *const *argv,
		    const size_t *argv_len, struct psd_reply *ret);
/* Test helpers: db ids are Redis numbers (0 APPL, 4 CONFIG, 6 STATE in SONiC's layout). */
void psd_model_hset(struct psd_model *m, uint32_t db, const char *key, const char *field,
		    const char *value);
/* The value, valid until the key is next written or removed; NULL when absent. */
const char *psd_model_hget(const struct psd_model *m, uint32_t db, const char *key,
			   const char *field);
/* Deletes every key of db starting with prefix ("" for FLUSHDB); returns how many. */
size_t psd_model_del_matching(struct psd_model *m, uint32_t db, const char *prefix);
/* dst (uninitialised) becomes a copy of src's data: an RDB snapshot. Either may be written
 * afterwards; the other keeps its data. */
void psd_model_copy(struct psd_model *dst, const struct psd_model *src);
/* Redis restarts from snapshot (NULL: empty): m's data is replaced, the snapshot is consumed
 * (freed), and the run_id changes. */
void psd_model_restart(struct psd_model *m, struct psd_model *snapshot);
/* A key of another type than hash or set (SET key value, RPUSH, ZADD, XADD). */
void psd_model_put_other(struct psd_model *m, uint32_t db, const char *key);
#define PSD_MODEL_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define PSD_MODEL_LOADING "LOADING Redis is loading the dataset in memory"
bool psd_model_exists(const struct psd_model *m, uint32_t db, const char *key);
bool psd_model_sismember(const struct psd_model *m, uint32_t db, const char *key,
			 const char *member);
/* orchagent's pop of APPL_DB (db) PORT_TABLE_KEY_SET into PORT_TABLE:<k>; returns keys popped. */
size_t psd_model_consume(struct psd_model *m, uint32_t db);

/* The keys the model holds, in every database. */
static inline size_t psd_model_key_count(const struct psd_model *m)
{
	return m->store.count;
}

#endif
