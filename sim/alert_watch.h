/*
 * The simulator's view of the core's alerts (core/alerts.c): after every step it reads each alert
 * that is not inactive and keeps, per rule and subject, since when it has seen the condition hold
 * and the state it was in, so that
 *  - the chaos invariant `alert-held-for` holds: no alert goes firing unless the simulator saw
 *    its condition hold, at every evaluation, for the rule's `for`;
 *  - every transition is hashed into the alert trace (the same seed gives the same hash) and
 *    handed to an optional callback (the alert scenario's checks).
 * Memory: two tables of PSD_ALERT_WATCH_SLOTS entries, the alerts seen now and before; a step
 * costs O(alerts not inactive).
 */
#ifndef PSD_ALERT_WATCH_H
#define PSD_ALERT_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "psd/alert_defs.h"
#include "world.h"

#define PSD_ALERT_WATCH_SLOTS (4u * (PSD_ALERT_RULES_MAX + PSD_ALERT_SUBJECTS_MAX))

struct psd_alert_seen {
	bool used;
	uint32_t rule;
	char subject[PSD_IFNAME_LEN_MAX + 1];
	bool holding;
	uint64_t holding_since_ns; /* the evaluation the simulator first saw it hold */
	enum psd_alert_state state;
};

struct psd_alert_table {
	struct psd_alert_seen *e;   /* PSD_ALERT_WATCH_SLOTS, open addressing */
	uint32_t *filled;           /* the slots in use, to clear and walk them alone */
	uint32_t count;
};

struct psd_alert_watch {
	struct psd_alert_table t[2];
	struct psd_alert_table *now, *before;
	uint64_t trace_hash;
	uint64_t transitions;
	/* a transition: rule, subject, from, to, the view; NULL: none */
	void (*on_transition)(void *ctx, const struct psd_alert_view *v, enum psd_alert_state from);
	void *ctx;
	/* the rules the oracle holds the core to (NULL: those the core runs) */
	const struct psd_alert_rules *reference;
	char why[200]; /* the violation, "" while none */
};

void psd_alert_watch_init(struct psd_alert_watch *aw);
void psd_alert_watch_free(struct psd_alert_watch *aw);
/* Reads the core's alerts after a step; false with aw->why set on a violation. */
bool psd_alert_watch_step(struct psd_alert_watch *aw, struct psd_world *w);
/* The daemon restarted: its alerts start afresh. */
void psd_alert_watch_reset(struct psd_alert_watch *aw);
/* The alert of rule for subject ("daemon" or a port) as the core shows it now; state inactive
 * (and false) when it keeps none. */
bool psd_alert_find(const struct psd_core *core, uint32_t rule, const char *subject,
		    struct psd_alert_view *ret);

#endif
