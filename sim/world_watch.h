/*
 * The world's keyspace subscriptions (world_watch.c): what the core asked to watch, whether the
 * world confirmed it, and the notifications queued for it. They know nothing of the world around
 * them: each change that the core must be told of comes back as the event that tells it, which
 * the world (world.c) hands to the core.
 */
#ifndef PSD_WORLD_WATCH_H
#define PSD_WORLD_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/core.h"

#define PSD_WORLD_NOTE_KEY 31 /* a note's key up to this long is kept in the note (56 bytes) */

/* A keyspace notification published by the model, not yet handed to the core. */
struct psd_world_note {
	uint32_t db; /* enum psd_db */
	uint32_t key_len;
	const char *event;
	char *long_key; /* a key longer than PSD_WORLD_NOTE_KEY (else NULL: in key) */
	char key[PSD_WORLD_NOTE_KEY + 1];
};

/* By default nothing is confirmed and the core does as without notifications; a simulation
 * confirms with psd_world_watch_up() (world.h). */
struct psd_world_subs {
	bool asked[3];
	bool up[3];
	uint32_t db_id[3];
	uint32_t count[3];
	char pattern[3][3][64];
	const char *flags;        /* notify-keyspace-events the world says ("AKE" if NULL) */
	bool flags_unknown;       /* CONFIG GET refused */
	bool hold;                /* notifications wait (psd_world_notes_deliver) */
	bool ahead;               /* a command's notifications come before its reply */
	struct psd_world_note *notes; /* queued: notes[head] to notes[head + len - 1], oldest first */
	size_t head, len, cap;
	uint64_t published, delivered, lost;
};

/* The Redis model's notify hook (redis_model.h), its ctx the subscriptions: a write to a key a
 * confirmed subscription's patterns match is queued. */
void psd_world_subs_published(void *ctx, uint32_t db_id, const char *key, size_t len,
			      const char *event);
void psd_world_subs_asked(struct psd_world_subs *s, enum psd_db db, uint32_t db_id,
			  uint32_t count, const char *const *patterns, const size_t *len);
/* The subscription of db confirmed (as asked), or lost with its queued notifications: false when
 * nothing changed, else *ev is the event that tells the core. */
bool psd_world_subs_up(struct psd_world_subs *s, enum psd_db db, struct psd_event *ev);
bool psd_world_subs_down(struct psd_world_subs *s, enum psd_db db, struct psd_event *ev);
/* The oldest queued notification taken off into *n, and the event that tells it (*ev, its key in
 * *n: keep n until the event is handed over, then free n->long_key); false when none is queued
 * or they are held. */
bool psd_world_subs_next(struct psd_world_subs *s, struct psd_world_note *n, struct psd_event *ev);
void psd_world_subs_free(struct psd_world_subs *s);

#endif
