/*
 * The first violation, recorded and reported (violation.h).
 */
#include <stdio.h>

#include "sim.h"

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

void psd_sim_violate(struct psd_sim *s, enum psd_sim_invariant inv, const char *what,
		     const char *key, size_t key_len)
{
	if (s->o.failed)
		return; /* the first violation is the one reported */
	s->o.failed = true;
	s->o.violated = inv;
	snprintf(s->o.why, sizeof(s->o.why), "%s %.*s", what, (int)key_len, key);
}

static void print_recent(const struct psd_world *w)
{
	printf("psd-sim: last commands:\n");
	uint64_t from = w->recent_total > 16 ? w->recent_total - 16 : 0;
	for (uint64_t i = from; i < w->recent_total; i++)
		printf("  %s\n", w->recent[i % 16]);
}

int psd_sim_fail(struct psd_sim *s, enum psd_sim_invariant inv, const char *what)
{
	printf("psd-sim: FAILED: invariant %s: %s\n", invariant_names[inv], what);
	print_recent(s->w);
	printf("psd-sim: reproduce with: %s\n", s->reproduce);
	return 1;
}

int psd_sim_fail_violated(struct psd_sim *s)
{
	return psd_sim_fail(s, s->o.violated, s->o.why);
}
