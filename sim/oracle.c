/*
 * The oracle's dispatch (oracle.h): its state made and freed, and what happens in the world
 * passed on to the checkers in a fixed order (which decides which of two violations of one event
 * is reported). The checkers record a violation, and the scenarios report it, in violation.c.
 */
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "sim.h"

bool psd_sim_oracle_init(struct psd_sim *s)
{
	struct psd_check_writes *cw = &s->o.writes;
	uint32_t ports = s->nports;
	cw->fresh = calloc(ports, sizeof(*cw->fresh));
	cw->told_gone = calloc(ports, sizeof(*cw->told_gone));
	cw->old_ifindex = calloc(ports, sizeof(*cw->old_ifindex));
	cw->old_renamed = calloc(ports, sizeof(*cw->old_renamed));
	s->o.warm.written = calloc(ports, sizeof(*s->o.warm.written));
	s->o.replies.unacked = calloc(2 * (size_t)ports, sizeof(*s->o.replies.unacked));
	if (cw->fresh == NULL || cw->told_gone == NULL || cw->old_ifindex == NULL ||
	    cw->old_renamed == NULL || s->o.warm.written == NULL || s->o.replies.unacked == NULL)
		return false;
	memset(cw->fresh, 1, ports * sizeof(*cw->fresh));
	psd_alert_watch_init(&s->o.aw);
	return true;
}

void psd_sim_oracle_free(struct psd_sim *s)
{
	psd_alert_watch_free(&s->o.aw);
	free(s->o.writes.fresh);
	free(s->o.writes.told_gone);
	free(s->o.writes.old_ifindex);
	free(s->o.writes.old_renamed);
	free(s->o.warm.written);
	free(s->o.replies.unacked);
}

/* Every command Redis executes: the invariants on what lands. */
void psd_sim_oracle_command(struct psd_sim *s, uint32_t db, uint32_t argc,
			    const char *const *argv, const size_t *len)
{
	if (db == PSD_WORLD_STATE) {
		psd_check_state_needs_appl(s, argc, argv, len);
		psd_check_warm_command(s, argc, argv, len);
	}
	psd_check_init_done_once(s, db, argc, argv, len);
}

/* Every command the core sends: what it asks Redis to write must follow from what it was told. */
void psd_sim_oracle_sent(struct psd_sim *s, uint32_t db, uint32_t argc, const char *const *argv,
			 const size_t *len)
{
	psd_check_warm_sent(s, db, argc, argv, len);
	psd_check_writes_sent(s, db, argc, argv, len);
	psd_check_replies_sent(s, db, argc, argv, len);
}

void psd_sim_oracle_seen(struct psd_sim *s, const struct psd_kernel_msg *msg)
{
	psd_check_writes_seen(s, msg);
}

void psd_sim_oracle_dump_missing(struct psd_sim *s, uint32_t port)
{
	psd_check_writes_dump_missing(s, port);
}

void psd_sim_oracle_link_down(struct psd_sim *s, uint32_t port, int32_t ifindex)
{
	psd_check_writes_link_down(s, port, ifindex);
}

void psd_sim_oracle_redis_restart(struct psd_sim *s, bool data_lost)
{
	s->o.warm.window = false; /* a restarted server: the daemon writes every port again */
	if (data_lost)
		s->o.writes.init_done_writes = 0;
}

void psd_sim_oracle_new_core(struct psd_sim *s)
{
	for (uint32_t i = 0; i < s->nports; i++) {
		s->o.writes.old_ifindex[i] = 0;
		s->o.writes.fresh[i] = true;
		s->o.warm.written[i] = false;
	}
	s->o.warm.state[0] = '\0';
}

void psd_sim_oracle_daemon_restart(struct psd_sim *s)
{
	psd_sim_oracle_new_core(s);
	psd_alert_watch_reset(&s->o.aw); /* the new core's alerts start afresh */
	psd_check_replies_reset(s);
	s->o.writes.init_done_writes = 0;
	s->o.warm.window = false; /* opened by the state initialized */
}

void psd_sim_oracle_protocol_drop(struct psd_sim *s)
{
	s->o.warm.window = false; /* the core writes every port again: no churn to find */
}
