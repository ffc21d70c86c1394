/*
 * The fault schedule: which fault fires when (faults.h). Each seed draws its own rates (swarm
 * testing: every seed a different world, not the same world with different dice); each step
 * then draws at most one fault from them, in a fixed order; Redis's slow conditions (a load that
 * ends, CONFIG_DB arriving late, client slots freeing up, a SAVE now and then) advance once a
 * step; psd_sim_faults_stop() ends them all for the liveness phase.
 *
 * Invariant: the draws happen in the same order for the same seed and options (prng.h): rates
 * are drawn in psd_sim_faults_draw()'s order, and a disabled fault's rate is drawn, then zeroed.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

const char *const psd_sim_fault_names[_PSD_FAULT_MAX] = {
	"overrun", "outage", "wipe", "delete", "rename", "enslave", "slow", "oom",
	"dump-truncated", "dump-interrupted", "restart-warm", "restart-cold", "restart-swss",
	"refuse", "wrongtype", "restart-stale", "restart-empty-late", "loading", "stall",
	"maxclients", "stray-reply", "wrong-reply", "notify-late", "notify-lost", "notify-ahead",
};

bool psd_sim_faults_parse(const char *text, uint32_t *ret)
{
	if (strcmp(text, "swarm") == 0) {
		*ret = (1u << _PSD_FAULT_MAX) - 1;
		return true;
	}
	*ret = 0;
	if (strcmp(text, "none") == 0)
		return true;
	for (const char *c = text; *c != '\0';) {
		size_t n = strcspn(c, ",");
		int f = 0;
		while (f < _PSD_FAULT_MAX && !(strlen(psd_sim_fault_names[f]) == n &&
					       strncmp(c, psd_sim_fault_names[f], n) == 0))
			f++;
		if (f == _PSD_FAULT_MAX)
			return false;
		*ret |= 1u << f;
		c += n + (c[n] == ',');
	}
	return true;
}

void psd_sim_faults_draw(struct psd_sim *s)
{
	unsigned *rate = s->f.rate;
	rate[PSD_FAULT_OVERRUN] = psd_sim_below(s, 20);
	s->k.capacity = 16 + psd_sim_below(s, 1024); /* the receive queue, in messages */
	rate[PSD_FAULT_OUTAGE] = psd_sim_below(s, 10);
	rate[PSD_FAULT_WIPE] = psd_sim_below(s, 3); /* of ten outages */
	rate[PSD_FAULT_SLOW] = psd_sim_below(s, 6);
	rate[PSD_FAULT_OOM] = psd_sim_below(s, 4);
	rate[PSD_FAULT_RESTART_WARM] = psd_sim_below(s, 2);
	rate[PSD_FAULT_RESTART_COLD] = psd_sim_below(s, 2);
	rate[PSD_FAULT_RESTART_SWSS] = psd_sim_below(s, 2);
	rate[PSD_FAULT_DELETE] = psd_sim_below(s, 50);
	rate[PSD_FAULT_RENAME] = psd_sim_below(s, 20);
	rate[PSD_FAULT_ENSLAVE] = psd_sim_below(s, 30);
	rate[PSD_FAULT_DUMP_TRUNCATED] = psd_sim_below(s, 300); /* of 1000 dumps */
	rate[PSD_FAULT_DUMP_INTERRUPTED] = psd_sim_below(s, 300);
	s->f.rate_consume = 5 + psd_sim_below(s, 100);
	rate[PSD_FAULT_REFUSE] = psd_sim_below(s, 4);
	rate[PSD_FAULT_WRONGTYPE] = psd_sim_below(s, 3);
	rate[PSD_FAULT_STALE] = psd_sim_below(s, 5);      /* of ten outages that keep data */
	rate[PSD_FAULT_EMPTY_LATE] = psd_sim_below(s, 6); /* of ten wipes */
	rate[PSD_FAULT_LOADING] = psd_sim_below(s, 3);
	rate[PSD_FAULT_STALL] = psd_sim_below(s, 2);
	rate[PSD_FAULT_MAXCLIENTS] = psd_sim_below(s, 4); /* of ten outages */
	rate[PSD_FAULT_STRAY_REPLY] = psd_sim_below(s, 3);
	rate[PSD_FAULT_WRONG_REPLY] = psd_sim_below(s, 4);
	s->f.watch = psd_sim_below(s, 2) == 0; /* half the seeds run with keyspace subscriptions */
	rate[PSD_FAULT_NOTIFY_LATE] = s->f.watch ? psd_sim_below(s, 20) : 0;
	rate[PSD_FAULT_NOTIFY_LOST] = s->f.watch ? psd_sim_below(s, 6) : 0;
	rate[PSD_FAULT_NOTIFY_AHEAD] = s->f.watch ? psd_sim_below(s, 20) : 0;
}

static void inject(struct psd_sim *s, enum psd_sim_fault f)
{
	switch (f) {
	case PSD_FAULT_OVERRUN:
		psd_sim_overrun(s);
		break;
	case PSD_FAULT_OUTAGE:
		psd_sim_redis_fault(s, psd_sim_below(s, 10) < s->f.rate[PSD_FAULT_WIPE]);
		break;
	case PSD_FAULT_SLOW:
		psd_sim_slow_fault(s);
		break;
	case PSD_FAULT_OOM:
		psd_sim_oom_fault(s);
		break;
	case PSD_FAULT_REFUSE:
		psd_sim_refuse_fault(s);
		break;
	case PSD_FAULT_WRONGTYPE:
		psd_sim_wrongtype_fault(s);
		break;
	case PSD_FAULT_LOADING:
		psd_sim_loading_fault(s);
		break;
	case PSD_FAULT_STALL:
		psd_sim_stall_fault(s);
		break;
	case PSD_FAULT_STRAY_REPLY:
		psd_sim_stray_reply_fault(s);
		break;
	case PSD_FAULT_WRONG_REPLY:
		psd_sim_wrong_reply_fault(s);
		break;
	case PSD_FAULT_NOTIFY_LATE:
	case PSD_FAULT_NOTIFY_LOST:
	case PSD_FAULT_NOTIFY_AHEAD:
		psd_sim_notify_fault(s, f);
		break;
	default:
		psd_sim_daemon_restart(s, f);
		break;
	}
}

bool psd_sim_fault_step(struct psd_sim *s)
{
	static const enum psd_sim_fault order[] = {
		PSD_FAULT_OVERRUN,      PSD_FAULT_OUTAGE,       PSD_FAULT_SLOW,
		PSD_FAULT_OOM,          PSD_FAULT_RESTART_WARM, PSD_FAULT_RESTART_COLD,
		PSD_FAULT_RESTART_SWSS, PSD_FAULT_REFUSE,       PSD_FAULT_WRONGTYPE,
		PSD_FAULT_LOADING,      PSD_FAULT_STALL,        PSD_FAULT_STRAY_REPLY,
		PSD_FAULT_WRONG_REPLY,  PSD_FAULT_NOTIFY_LATE,  PSD_FAULT_NOTIFY_LOST,
		PSD_FAULT_NOTIFY_AHEAD,
	};
	unsigned r = psd_sim_below(s, 1000), at = 0;
	for (size_t f = 0; f < sizeof(order) / sizeof(order[0]); f++) {
		at += s->f.rate[order[f]];
		if (r >= at)
			continue;
		inject(s, order[f]);
		return true;
	}
	return false;
}

void psd_sim_redis_clock(struct psd_sim *s)
{
	/* SAVE, outside the window of an swss start (APPL_DB flushed, PortConfigDone not yet
	 * consumed): a snapshot from inside it would make the next daemon take the netdevs for an
	 * earlier swss's leftovers (FB-03's rule), which no Redis fault alone can cause */
	if (s->f.redis_up && s->f.rate[PSD_FAULT_STALE] > 0 && psd_sim_below(s, 100) == 0 &&
	    !s->f.sai_pending &&
	    psd_model_exists(&s->w->m, PSD_WORLD_APPL, "PORT_TABLE:PortConfigDone")) {
		psd_sim_forget_snapshot(s);
		psd_model_copy(&s->f.snapshot, &s->w->m); /* SAVE */
		s->f.has_snapshot = true;
	}
	if (s->f.loading_left > 0 && --s->f.loading_left == 0)
		s->w->m.loading = false;
	if (s->f.config_late > 0 && --s->f.config_late == 0)
		psd_sim_config_ports(s);
	if (s->f.maxclients_left > 0 && --s->f.maxclients_left == 0 && !s->f.redis_up)
		psd_sim_redis_fault(s, false);
}

void psd_sim_faults_stop(struct psd_sim *s)
{
	s->f.maxclients_left = 0;
	if (!s->f.redis_up)
		psd_sim_redis_fault(s, false);
	s->f.refuse_writes = false;
	s->f.refuse_error = NULL;
	s->w->m.loading = false;
	s->f.loading_left = 0;
	if (s->f.config_late > 0) {
		s->f.config_late = 0;
		psd_sim_config_ports(s);
	}
	s->f.wrong_reply_due = false;
	s->w->subs.ahead = false;
	s->w->subs.hold = false;
	if (s->w->hold)
		psd_world_release(s->w);
	psd_world_notes_deliver(s->w);
	psd_sim_watch_clock(s);
}
