/*
 * The soak (--virtual-days D, docs/simulator.md): the swarm's seed and rates, run in rounds until
 * D days of virtual time have passed. A round is --steps steps of faults and workload (every
 * fault kind the seed enabled), then the world heals and must converge within
 * PSD_SIM_CONVERGE_NS, then an hour of quiet: the daemon's timers fire (alerts each second
 * evaluated once a minute here, LOGGER polls, re-checks) with nothing changing. Every invariant
 * is checked as in the swarm, after every step and at every healing; memory must stay flat (the
 * memory-bounded check, and the peak RSS printed). It prints the rounds, the events, the wall
 * time, the peak RSS and the trace hash.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "oracle.h"
#include "sim.h"

#define QUIET_NS (3600ull * PSD_SIM_S)  /* the quiet after each round */
#define QUIET_TICK_NS (60ull * PSD_SIM_S)

static int report(struct psd_sim *s, uint64_t rounds, uint64_t virtual_ns, double secs)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	uint64_t nfaults = 0;
	for (int f = 0; f < _PSD_FAULT_MAX; f++)
		nfaults += s->f.hits[f];
	printf("psd-sim: faults:");
	for (int f = 0; f < _PSD_FAULT_MAX; f++)
		printf(" %s %" PRIu64, psd_sim_fault_names[f], s->f.hits[f]);
	uint64_t events = s->w->events - s->k.datagrams + s->k.messages;
	printf("\npsd-sim: soak ok: %.1f virtual days in %" PRIu64 " rounds, %" PRIu64
	       " events (%" PRIu64 " netlink messages), %" PRIu64 " faults, wall %.1f s, max RSS %ld "
	       "KiB, trace hash %016" PRIx64 "\n", (double)virtual_ns / (86400.0 * PSD_SIM_S), rounds,
	       events, s->k.messages, nfaults, secs, ru.ru_maxrss, s->w->trace_hash);
	return 0;
}

int psd_sim_run_soak(struct psd_sim *s, const struct psd_sim_options *opt, uint32_t enabled)
{
	struct timespec t0, t1;
	const uint64_t days_ns = (uint64_t)opt->virtual_days * 86400ull * PSD_SIM_S;
	uint64_t rounds = 0;
	psd_sim_draw_rates(s, opt, enabled);
	s->w->hooks.timer = psd_check_alerts_hook;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	psd_sim_config_ports(s);
	psd_world_start(s->w);
	const uint64_t start = s->w->now;
	for (uint32_t i = 0; i < s->nports; i++) /* SAI creates the host interfaces */
		psd_kernel_create(&s->k, i);
	while (s->w->now - start < days_ns) {
		for (uint32_t n = 0; n < opt->steps && !s->o.failed; n++)
			psd_sim_step(s);
		const char *why = "not converged";
		if (!s->o.failed && psd_sim_heal(s, &why) == UINT64_MAX)
			return psd_sim_fail(s, PSD_INV_CONVERGED, why);
		for (uint64_t q = 0; q < QUIET_NS && !s->o.failed; q += QUIET_TICK_NS) {
			psd_world_advance(s->w, QUIET_TICK_NS);
			psd_kernel_deliver(&s->k, s->w, PSD_KERNEL_QUEUE_MAX);
			psd_sim_serve_dump(s);
			psd_check_step(s);
		}
		if (s->o.failed)
			return psd_sim_fail_violated(s);
		rounds++;
	}
	psd_core_check(s->w->core);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int status = report(s, rounds, s->w->now - start, secs);
	psd_sim_free(s);
	return status;
}
