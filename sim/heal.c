/*
 * The world heals, as every scenario of faults ends (the swarm, its --warm-bench restart, each
 * round of the soak): the faults stop (psd_sim_faults_stop), and every 500 ms of virtual time the
 * kernel's queue is delivered, dumps are served, orchagent consumes APPL_DB and its notifications
 * are told, SAI creates the host interfaces again, the connections and subscriptions come back,
 * and the alerts are read. Convergence (check_liveness.c) is asked at 0.5, 1, 2, 4 ... s and at
 * PSD_SIM_CONVERGE_NS; once converged, every port command answered with a wrong type must have
 * been sent again (check_replies.c).
 */
#include "oracle.h"
#include "sim.h"

uint64_t psd_sim_heal(struct psd_sim *s, const char **why)
{
	const uint64_t tick = 500 * PSD_SIM_MS;
	psd_sim_faults_stop(s);
	uint64_t next_check = tick;
	for (uint64_t t = tick; t <= PSD_SIM_CONVERGE_NS; t += tick) {
		psd_kernel_deliver(&s->k, s->w, PSD_KERNEL_QUEUE_MAX);
		psd_sim_serve_dump(s);
		psd_model_consume(&s->w->m, PSD_WORLD_APPL);
		psd_world_notes_deliver(s->w); /* orchagent's writes are told now, not at a reply */
		psd_sim_sai_recreate(s);
		psd_world_advance(s->w, tick);
		psd_world_accept_connects(s->w);
		psd_sim_watch_clock(s);
		psd_sim_serve_dump(s);
		psd_check_alerts(s);
		if (t < next_check && t < PSD_SIM_CONVERGE_NS)
			continue;
		next_check = 2 * t; /* O(ports) each: checked at 0.5, 1, 2, 4 ... s and at the bound */
		*why = psd_check_converged(s);
		if (*why == NULL) {
			psd_check_wrong_acks(s);
			return t;
		}
	}
	return UINT64_MAX;
}
