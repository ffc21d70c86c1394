/*
 * The report of a failed run (sim.h): the invariant violated and why, the last commands the core
 * sent, and the command line that reproduces the run.
 */
#include <stdio.h>

#include "sim.h"

static void print_recent(const struct psd_world *w)
{
	printf("psd-sim: last commands:\n");
	uint64_t from = w->recent_total > 16 ? w->recent_total - 16 : 0;
	for (uint64_t i = from; i < w->recent_total; i++)
		printf("  %s\n", w->recent[i % 16]);
}

int psd_sim_fail(struct psd_sim *s, enum psd_sim_invariant inv, const char *what)
{
	printf("psd-sim: FAILED: invariant %s: %s\n", psd_sim_invariant_name(inv), what);
	print_recent(s->w);
	printf("psd-sim: reproduce with: %s\n", s->reproduce);
	return 1;
}

int psd_sim_fail_violated(struct psd_sim *s)
{
	return psd_sim_fail(s, s->o.violated, s->o.why);
}
