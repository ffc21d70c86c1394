/*
 * The default scenario, a fault swarm (docs/simulator.md): SAI creates every host interface at
 * start; each step then brings Redis's slow conditions one step on and draws either a fault
 * (fault_schedule.c) or a piece of workload: orchagent consuming APPL_DB (and SAI creating the
 * host interfaces again after a cold swss start), a kernel change, a delivery of queued messages
 * to the daemon, or time passing. --storm R then flaps every port R times. Then the faults stop
 * and the world heals (heal.c): STATE_DB must equal the kernel within PSD_SIM_CONVERGE_NS
 * (--warm-bench then runs its warm restart and converges again). Every step ends with the oracle's per-step checks.
 *
 * It prints the seed and its rates first, and at the end the fault counts and one line with the
 * events run, the virtual convergence time, simulated events per second (wall clock), the peak
 * RSS, the trace hash and the alert transitions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "oracle.h"
#include "sim.h"

void psd_sim_step(struct psd_sim *s)
{
	psd_sim_redis_clock(s);
	if (!psd_sim_fault_step(s)) {
		unsigned what = psd_sim_below(s, 1000);
		if (what < s->f.rate_consume) {
			psd_model_consume(&s->w->m, PSD_WORLD_APPL);
			if (psd_sim_below(s, 4) == 0)
				psd_sim_sai_recreate(s);
		} else if (what < 700) {
			psd_sim_kernel_change(s);
		} else if (what < 950) {
			psd_kernel_deliver(&s->k, s->w, 1 + psd_sim_below(s, 32));
		} else {
			psd_world_advance(s->w, psd_sim_below(s, 500) * PSD_SIM_MS);
		}
	}
	psd_sim_serve_dump(s);
	if (!s->f.redis_up)
		psd_world_refuse_connects(s->w);
	else /* a connection dropped alone (a reply that broke the protocol) comes back */
		psd_world_accept_connects(s->w);
	psd_sim_watch_clock(s);
	psd_check_step(s);
}

/* Every port flaps once, delivered in socket-sized batches, then settles. */
static void storm_round(struct psd_sim *s)
{
	for (uint32_t i = 0; i < s->nports; i++) {
		struct psd_kernel_port *p = &s->k.ports[i];
		if (p->ifindex != 0)
			psd_kernel_set(&s->k, i, p->up, !p->carrier, p->mtu);
		if (s->k.qlen >= s->k.capacity / 2) /* the daemon keeps up */
			psd_kernel_deliver(&s->k, s->w, s->k.qlen);
	}
	psd_kernel_deliver(&s->k, s->w, s->k.qlen);
	psd_world_advance(s->w, 10 * PSD_SIM_MS);
	psd_sim_serve_dump(s);
	psd_check_step(s);
}

/* This seed's rates, the disabled faults' zeroed, and the line that shows them. */
void psd_sim_draw_rates(struct psd_sim *s, const struct psd_sim_options *opt, uint32_t enabled)
{
	psd_sim_faults_draw(s);
	for (int f = 0; f < _PSD_FAULT_MAX; f++) {
		if (!(enabled & (1u << f)))
			s->f.rate[f] = 0;
		else if (opt->virtual_days > 0 && s->f.rate[f] == 0)
			s->f.rate[f] = 1; /* the soak runs every fault kind it is given */
	}
	s->f.redis_up = true;
	printf("psd-sim: seed %s (%#" PRIx64 "), %u ports, %u steps, storm %u; rates:",
	       opt->seed_text, s->seed, opt->ports, opt->steps, opt->storm);
	for (int f = 0; f < _PSD_FAULT_MAX; f++)
		printf(" %s %u", psd_sim_fault_names[f], s->f.rate[f]);
	printf(", consume %u, receive queue %u\n", s->f.rate_consume, s->k.capacity);
}

static void print_summary(struct psd_sim *s, uint64_t took, double secs)
{
	uint64_t nfaults = 0;
	for (int f = 0; f < _PSD_FAULT_MAX; f++)
		nfaults += s->f.hits[f];
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("psd-sim: faults:");
	for (int f = 0; f < _PSD_FAULT_MAX; f++)
		printf(" %s %" PRIu64, psd_sim_fault_names[f], s->f.hits[f]);
	/* every netlink message the core parsed, and every other event it handled */
	uint64_t events = s->w->events - s->k.datagrams + s->k.messages;
	printf("\npsd-sim: ok: %" PRIu64 " events (%" PRIu64 " netlink messages), %" PRIu64
	       " faults, converged in %llu ms virtual, %.0f simulated events/s, max RSS %ld "
	       "KiB, trace hash %016" PRIx64 ", %" PRIu64 " alert transitions, %" PRIu64
	       " keyspace notifications (%" PRIu64 " lost)\n", events,
	       s->k.messages, nfaults, (unsigned long long)(took / PSD_SIM_MS),
	       (double)events / secs, ru.ru_maxrss, s->w->trace_hash, s->o.aw.transitions,
	       s->w->subs.published, s->w->subs.lost);
}

int psd_sim_run_swarm(struct psd_sim *s, const struct psd_sim_options *opt,
		      uint32_t enabled_faults)
{
	struct timespec t0, t1;
	psd_sim_draw_rates(s, opt, enabled_faults);
	s->w->hooks.timer = psd_check_alerts_hook;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	psd_sim_config_ports(s);
	psd_world_start(s->w);
	for (uint32_t i = 0; i < s->nports; i++) /* SAI creates the host interfaces */
		psd_kernel_create(&s->k, i);
	for (uint32_t n = 0; n < opt->steps && !s->o.failed; n++)
		psd_sim_step(s);
	for (uint32_t n = 0; n < opt->storm && !s->o.failed; n++)
		storm_round(s);
	if (s->o.failed)
		return psd_sim_fail_violated(s);
	const char *why = "not converged";
	uint64_t took = psd_sim_heal(s, &why);
	if (s->o.failed)
		return psd_sim_fail_violated(s);
	if (took == UINT64_MAX)
		return psd_sim_fail(s, PSD_INV_CONVERGED, why);
	if (opt->warm_bench) {
		int status = psd_sim_run_warm_bench(s, &took);
		if (status != 0)
			return status;
	}
	psd_core_check(s->w->core);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_summary(s, took, secs);
	psd_sim_free(s);
	return 0;
}
