/*
 * The world's keyspace subscriptions: the Redis model publishes every write it executes
 * (redis_model.h's notify hook); a write to a key a confirmed subscription's patterns match is
 * queued as a notification and handed to the core after the reply of the command that made it
 * (psd_world_deliver_one), or when a simulation delivers them; a simulation may hold them (late),
 * deliver them before a reply (ahead of the write they describe, as another connection's bytes
 * can be), or drop the subscription with them (lost with their connection). What the core is to
 * be told comes back as its event, which world.c pushes (world_watch.h).
 *
 * The queue is a FIFO: notes[head] is the oldest, the room before it is reused once it is as
 * large as what is queued; a note keeps a short key in itself (a long one allocated), so
 * publishing and delivering copy no more than the key's bytes.
 *
 * Invariants: a note is queued only for a database whose subscription is up; a dropped
 * subscription leaves no note of its database queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world_watch.h"

/* Whether the channel prefix + key matches pattern: the same bytes, or up to a trailing '*'. */
static bool matches(const char *pattern, const char *prefix, size_t plen, const char *key,
		    size_t len)
{
	size_t n = strlen(pattern);
	bool glob = n > 0 && pattern[n - 1] == '*';
	n -= glob;
	if (glob ? plen + len < n : plen + len != n)
		return false;
	size_t head = n < plen ? n : plen;
	return memcmp(pattern, prefix, head) == 0 && memcmp(pattern + head, key, n - head) == 0;
}

/* The slot at the queue's end, made room for: the consumed front reused, or the queue grown. */
static struct psd_world_note *queue_end(struct psd_world_subs *s)
{
	if (s->head + s->len == s->cap) {
		if (s->head > 0 && s->head >= s->len) {
			memmove(s->notes, s->notes + s->head, s->len * sizeof(*s->notes));
			s->head = 0;
		} else {
			s->cap = s->cap != 0 ? 2 * s->cap : 64;
			s->notes = realloc(s->notes, s->cap * sizeof(*s->notes));
			if (s->notes == NULL)
				abort();
		}
	}
	return &s->notes[s->head + s->len++];
}

void psd_world_subs_published(void *ctx, uint32_t db_id, const char *key, size_t len,
			      const char *event)
{
	struct psd_world_subs *s = ctx;
	char prefix[32];
	size_t plen = 0;

	for (uint32_t db = 0; db < 3; db++) {
		if (!s->up[db] || s->db_id[db] != db_id)
			continue;
		if (plen == 0)
			plen = (size_t)snprintf(prefix, sizeof(prefix), "__keyspace@%u__:", db_id);
		bool hit = false;
		for (uint32_t i = 0; i < s->count[db]; i++)
			hit = hit || matches(s->pattern[db][i], prefix, plen, key, len);
		if (!hit)
			continue;
		struct psd_world_note *n = queue_end(s);
		*n = (struct psd_world_note){.db = db, .key_len = (uint32_t)len, .event = event};
		if (len > PSD_WORLD_NOTE_KEY)
			n->long_key = strndup(key, len);
		else
			memcpy(n->key, key, len);
		s->published++;
	}
}

void psd_world_subs_asked(struct psd_world_subs *s, enum psd_db db, uint32_t db_id,
			  uint32_t count, const char *const *patterns, const size_t *len)
{
	s->asked[db] = true;
	s->db_id[db] = db_id;
	s->count[db] = count < 3 ? count : 3;
	for (uint32_t i = 0; i < s->count[db]; i++)
		snprintf(s->pattern[db][i], sizeof(s->pattern[db][i]), "%.*s", (int)len[i],
			 patterns[i]);
}

bool psd_world_subs_up(struct psd_world_subs *s, enum psd_db db, struct psd_event *ev)
{
	if (!s->asked[db] || s->up[db])
		return false;
	s->asked[db] = false;
	s->up[db] = true;
	*ev = (struct psd_event){.type = PSD_EV_WATCH_UP};
	ev->u.watch_up.db = db;
	ev->u.watch_up.flags_known = !s->flags_unknown;
	snprintf(ev->u.watch_up.flags, sizeof(ev->u.watch_up.flags), "%s",
		 s->flags_unknown ? "ERR unknown command 'CONFIG'" : s->flags != NULL ? s->flags : "AKE");
	return true;
}

bool psd_world_subs_down(struct psd_world_subs *s, enum psd_db db, struct psd_event *ev)
{
	size_t kept = 0;
	if (!s->up[db] && !s->asked[db])
		return false;
	s->up[db] = s->asked[db] = false;
	for (size_t i = s->head; i < s->head + s->len; i++) {
		if (s->notes[i].db == db) {
			free(s->notes[i].long_key);
			s->lost++;
		} else {
			s->notes[s->head + kept++] = s->notes[i];
		}
	}
	s->len = kept;
	*ev = (struct psd_event){.type = PSD_EV_WATCH_DOWN};
	ev->u.down.db = db;
	ev->u.down.cause = PSD_DOWN_LOST;
	snprintf(ev->u.down.detail, sizeof(ev->u.down.detail), "closed by the server");
	return true;
}

bool psd_world_subs_next(struct psd_world_subs *s, struct psd_world_note *n, struct psd_event *ev)
{
	if (s->hold || s->len == 0)
		return false;
	*n = s->notes[s->head]; /* a copy: handing the event over may queue more */
	s->head++;
	if (--s->len == 0)
		s->head = 0;
	*ev = (struct psd_event){.type = PSD_EV_KEYSPACE};
	ev->u.keyspace.db = (enum psd_db)n->db;
	ev->u.keyspace.key = (struct psd_str){n->long_key != NULL ? n->long_key : n->key, n->key_len};
	ev->u.keyspace.event = (struct psd_str){n->event, strlen(n->event)};
	s->delivered++;
	return true;
}

void psd_world_subs_free(struct psd_world_subs *s)
{
	for (size_t i = s->head; i < s->head + s->len; i++)
		free(s->notes[i].long_key);
	free(s->notes);
	s->notes = NULL;
	s->head = s->len = s->cap = 0;
}
