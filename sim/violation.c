/*
 * The first violation, recorded (violation.h), and the invariants' names.
 */
#include <stdio.h>

#include "violation.h"

/* docs/simulator.md says what each one means. */
static const char *const invariant_names[_PSD_INV_MAX] = {
	[PSD_INV_CORE] = "core-structure",
	[PSD_INV_STATE_NEEDS_APPL] = "state-needs-appl",
	[PSD_INV_NO_OLD_IFINDEX] = "no-old-ifindex",
	[PSD_INV_NO_FALSE_DELETE] = "no-false-delete",
	[PSD_INV_INIT_DONE_ONCE] = "init-done-once",
	[PSD_INV_MEMORY_BOUNDED] = "memory-bounded",
	[PSD_INV_RECONNECTED] = "reconnected",
	[PSD_INV_ALERT_HELD_FOR] = "alert-held-for",
	[PSD_INV_WARM_NO_CHURN] = "warm-no-churn",
	[PSD_INV_WARM_PATH] = "warm-path",
	[PSD_INV_WARM_EXACT] = "warm-exact",
	[PSD_INV_CONVERGED] = "converged",
	[PSD_INV_NO_WRONG_ACK] = "no-wrong-ack",
};

void psd_sim_violate(struct psd_sim_oracle *o, enum psd_sim_invariant inv, const char *what,
		     const char *key, size_t key_len)
{
	if (o->failed)
		return; /* the first violation is the one reported */
	o->failed = true;
	o->violated = inv;
	snprintf(o->why, sizeof(o->why), "%s %.*s", what, (int)key_len, key);
}

const char *psd_sim_invariant_name(enum psd_sim_invariant inv)
{
	return invariant_names[inv];
}
