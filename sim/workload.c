/*
 * The workload: a switch's normal life as the simulator drives it. CONFIG_DB holds
 * PORT|Ethernet<i> for every port, as SONiC's minigraph writes it; the kernel's netdevs change one
 * at a time: carrier flaps, admin up and down, MTU changes, and, at this seed's rates (per 1000
 * changes), the netdev faults: deletes (a later change creates the netdev again), renames and
 * bridge enslaves and releases.
 */
#include <stdio.h>

#include "sim.h"

void psd_sim_config_ports(struct psd_sim *s)
{
	char key[32], lanes[16];
	for (uint32_t i = 0; i < s->nports; i++) {
		snprintf(key, sizeof(key), "PORT|Ethernet%u", i);
		snprintf(lanes, sizeof(lanes), "%u", i);
		psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, key, "admin_status", "up");
		psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, key, "mtu", "9100");
		psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, key, "lanes", lanes);
	}
}

void psd_sim_kernel_change(struct psd_sim *s)
{
	uint32_t i = psd_sim_below(s, s->nports);
	struct psd_kernel_port *p = &s->k.ports[i];
	if (p->ifindex == 0) {
		psd_kernel_create(&s->k, i);
		return;
	}
	const unsigned *rate = s->f.rate;
	unsigned what = psd_sim_below(s, 1000);
	unsigned del = rate[PSD_FAULT_DELETE], ren = del + rate[PSD_FAULT_RENAME];
	unsigned ens = ren + rate[PSD_FAULT_ENSLAVE];
	if (what < del) {
		psd_kernel_delete(&s->k, i);
		s->f.hits[PSD_FAULT_DELETE]++;
	} else if (what < ren) {
		psd_kernel_rename(&s->k, i);
		s->f.hits[PSD_FAULT_RENAME]++;
	} else if (what < ens) {
		psd_kernel_enslave(&s->k, i);
		s->f.hits[PSD_FAULT_ENSLAVE]++;
	} else if (what < 600) {
		psd_kernel_set(&s->k, i, p->up, !p->carrier, p->mtu);
	} else if (what < 900) {
		psd_kernel_set(&s->k, i, !p->up, p->carrier, p->mtu);
	} else {
		psd_kernel_set(&s->k, i, p->up, p->carrier, 1500 + psd_sim_below(s, 8000));
	}
}
