/*
 * Checker: after every step.
 *
 *  - memory-bounded: memory follows ports, never events: the core's port table holds at most
 *    two names per port (Ethernet<i>, Ethernet<i>x) and a wrong-typed one, Redis at most 5 keys
 *    per port (7 with link analytics), plus a fixed allowance;
 *  - alert-held-for: no alert goes firing unless the simulator saw its condition hold at every
 *    evaluation for its rule's `for` (sim/alert_watch.c reads the core's alerts after every step
 *    and, in the swarm and the soak, after every firing of the core's timer).
 */
#include "checks.h"
#include "sim.h"

/* The world's timer hook in the swarm and the soak: the alerts are read after every firing of
 * the core's timer too, so that an evaluation inside a step (the ticks of a reconnect, a stall's
 * jump) is seen before the next one. */
void psd_check_alerts_hook(void *ctx)
{
	psd_check_alerts(ctx);
}

void psd_check_alerts(struct psd_sim *s)
{
	if (!psd_alert_watch_step(&s->o.aw, s->w))
		psd_sim_violate(&s->o, PSD_INV_ALERT_HELD_FOR, s->o.aw.why, "", 0);
}

void psd_check_step(struct psd_sim *s)
{
	psd_check_alerts(s);
	uint32_t in_use = psd_core_ports_in_use(s->w->core);
	if (in_use > 2 * s->nports + 1) /* each port's name, its renamed name; a wrong-typed one */
		psd_sim_violate(&s->o, PSD_INV_MEMORY_BOUNDED,
				"port table holds more entries than netdev names", "", 0);
	/* link analytics keep a PORT_LINK_STATS key per port name, its renamed name included */
	/* and a PORTSYNCD_ALERT entry per port for the shipped per-port rule */
	size_t per_port = s->w->cfg.link_stats ? 7 : 5;
	if (psd_model_key_count(&s->w->m) > per_port * (size_t)s->nports + 64)
		psd_sim_violate(&s->o, PSD_INV_MEMORY_BOUNDED, "Redis holds more keys than ports explain",
				"", 0);
}
