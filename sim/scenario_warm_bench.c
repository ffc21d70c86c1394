/*
 * --warm-bench (make bench): after the swarm has converged, one measured warm restart. While the
 * daemon is down 1% of the netdevs are deleted, 1% flapped to a new carrier and 0.5% re-sized;
 * it prints the wall-clock time from the new core's start to `reconciled` and the STATE_DB writes
 * sent per unchanged port (the goal is none), then the world must converge again under every
 * invariant.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oracle.h"
#include "sim.h"

static bool warm_state_is(const struct psd_sim *s, const char *want)
{
	const char *st = psd_model_hget(&s->w->m, PSD_WORLD_STATE, "WARM_RESTART_TABLE|portsyncd",
					"state");
	return st != NULL && strcmp(st, want) == 0;
}

/* The changes made while the daemon is down: 1% deleted, 1% flapped, 0.5% re-sized. Returns how
 * many ports did not change. */
static uint32_t change_while_down(struct psd_sim *s)
{
	bool *changed = s->o.warm.changed;
	uint32_t unchanged = 0;
	for (uint32_t i = 0; i < s->nports; i++) {
		struct psd_kernel_port *p = &s->k.ports[i];
		changed[i] = p->ifindex != 0 && (i % 100 == 0 || i % 100 == 1 || i % 200 == 2);
		unchanged += !changed[i];
		if (!changed[i])
			continue;
		if (i % 100 == 0)
			psd_kernel_delete(&s->k, i);
		else if (i % 100 == 1)
			psd_kernel_set(&s->k, i, p->up, !p->carrier, p->mtu);
		else
			psd_kernel_set(&s->k, i, p->up, p->carrier, p->mtu == 9000 ? 9100 : 9000);
		s->o.writes.told_gone[i] = true;
	}
	return unchanged;
}

/* One warm restart after changes made while the daemon is down, measured; false when it did not
 * reach `reconciled`. */
static bool warm_bench(struct psd_sim *s)
{
	struct timespec t0, t1;
	psd_model_hset(&s->w->m, PSD_WORLD_STATE, "WARM_RESTART_ENABLE_TABLE|swss", "enable",
		       "true");
	uint32_t unchanged = change_while_down(s);
	psd_sim_oracle_new_core(s);
	psd_kernel_drop_queue(&s->k);
	s->o.warm.unchanged_writes = 0;
	uint64_t v0 = s->w->now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	psd_world_restart(s->w);
	for (int guard = 0; guard < 10000 && !warm_state_is(s, "reconciled") && !s->o.failed;
	     guard++) {
		psd_sim_serve_dump(s);
		psd_kernel_deliver(&s->k, s->w, PSD_KERNEL_QUEUE_MAX);
		psd_world_settle(s->w);
		if (!warm_state_is(s, "reconciled"))
			psd_world_advance(s->w, PSD_SIM_MS);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!warm_state_is(s, "reconciled"))
		return false;
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("psd-sim: warm restart: %u ports, %u changed while down: reconciled in %.1f ms wall "
	       "clock (%llu ms virtual); %" PRIu64 " writes for %u unchanged ports: %.4f writes per "
	       "unchanged port\n", s->nports, s->nports - unchanged, ms,
	       (unsigned long long)((s->w->now - v0) / PSD_SIM_MS), s->o.warm.unchanged_writes,
	       unchanged, unchanged > 0 ? (double)s->o.warm.unchanged_writes / unchanged : 0.0);
	return true;
}

int psd_sim_run_warm_bench(struct psd_sim *s, uint64_t *ret_took)
{
	const char *why = "not converged";
	uint64_t took = UINT64_MAX;
	s->o.warm.changed = calloc(s->nports, sizeof(*s->o.warm.changed));
	if (s->o.warm.changed == NULL)
		return 1;
	if (!warm_bench(s) && !s->o.failed)
		return psd_sim_fail(s, PSD_INV_CONVERGED, "the warm restart did not reach reconciled");
	if (!s->o.failed)
		took = psd_sim_heal(s, &why);
	if (s->o.failed)
		return psd_sim_fail_violated(s);
	if (took == UINT64_MAX)
		return psd_sim_fail(s, PSD_INV_CONVERGED, why);
	free(s->o.warm.changed);
	s->o.warm.changed = NULL;
	*ret_took = took;
	return 0;
}
