/*
 * Checker: the world heals.
 *
 *  - reconnected: Redis back from an outage, the daemon is connected to every database within
 *    PSD_SIM_RECONNECT_NS of virtual time (the reconnect backoff cap plus the timer's slack);
 *  - converged: once the faults stop, STATE_DB equals the kernel for every port (oper, admin,
 *    MTU), and no entry remains for a deleted or renamed netdev; scenario_swarm.c asks within
 *    PSD_SIM_CONVERGE_NS of virtual time.
 */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "sim.h"

void psd_check_reconnected(struct psd_sim *s, uint64_t back_ns)
{
	if (s->w->now - back_ns > PSD_SIM_RECONNECT_NS) {
		char took[64];
		snprintf(took, sizeof(took), "%llu ms after Redis was back",
			 (unsigned long long)((s->w->now - back_ns) / PSD_SIM_MS));
		psd_sim_violate(&s->o, PSD_INV_RECONNECTED, "reconnected", took, strlen(took));
	}
}

const char *psd_check_converged(struct psd_sim *s)
{
	static char why[160];
	char key[48];
	for (uint32_t i = 0; i < s->nports; i++) {
		const struct psd_kernel_port *p = &s->k.ports[i];
		snprintf(key, sizeof(key), "PORT_TABLE|Ethernet%u", i);
		if (p->ifindex == 0 || p->renamed) {
			if (psd_model_exists(&s->w->m, PSD_WORLD_STATE, key)) {
				snprintf(why, sizeof(why), "%s exists but its netdev is %s", key,
					 p->renamed ? "renamed" : "deleted");
				return why;
			}
			continue;
		}
		const char *oper = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "netdev_oper_status");
		const char *admin = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "admin_status");
		const char *mtu = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "mtu");
		char want_mtu[16];
		snprintf(want_mtu, sizeof(want_mtu), "%u", p->mtu);
		const char *want_oper = p->up && p->carrier ? "up" : "down";
		const char *want_admin = p->up ? "up" : "down";
		if (oper == NULL || admin == NULL || mtu == NULL || strcmp(oper, want_oper) != 0 ||
		    strcmp(admin, want_admin) != 0 || strcmp(mtu, want_mtu) != 0) {
			snprintf(why, sizeof(why), "%s is {%s %s %s}, the kernel says {%s %s %s}", key,
				 oper ? oper : "-", admin ? admin : "-", mtu ? mtu : "-", want_oper,
				 want_admin, want_mtu);
			return why;
		}
	}
	return NULL;
}
