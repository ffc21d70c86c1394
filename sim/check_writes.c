/*
 * Checker: the commands the core sends follow from what it was told.
 *
 *  - state-needs-appl: a STATE_DB PORT_TABLE|<port> write lands only while APPL_DB has
 *    PORT_TABLE:<port> (the port is consumed);
 *  - no-old-ifindex: no STATE_DB write or delete for a port while the only netdev of that name
 *    the core has heard of is one it declared old (forced down) at its start;
 *  - no-false-delete: a STATE_DB entry is deleted only after the core was told, since the port's
 *    last write was sent, that its netdev went away (DELLINK, a rename, a dump without it);
 *  - init-done-once: PortInitDone is written at most once per daemon start and Redis lifetime.
 *
 * It follows every message the kernel hands the core (psd_check_writes_seen), every netdev the
 * core has brought down, and every dump handed over without a port.
 */
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "checks.h"
#include "commands.h"
#include "sim.h"

void psd_check_writes_sent(struct psd_sim *s, uint32_t db, uint32_t argc,
			   const char *const *argv, const size_t *len)
{
	struct psd_check_writes *cw = &s->o.writes;
	bool hset = psd_sim_arg_is(argv[0], len[0], "HSET");
	bool del = psd_sim_arg_is(argv[0], len[0], "DEL") || psd_sim_arg_is(argv[0], len[0], "HDEL");
	bool renamed = false;
	if (db != PSD_WORLD_STATE || !(hset || del) || argc < 2)
		return;
	uint32_t i = psd_sim_port_of(s->nports, argv[1], len[1], &renamed);
	if (i == UINT32_MAX || renamed)
		return;
	if (!cw->fresh[i])
		psd_sim_violate(&s->o, PSD_INV_NO_OLD_IFINDEX,
				"STATE_DB changed by an old interface's message:", argv[1], len[1]);
	if (del && !cw->told_gone[i])
		psd_sim_violate(&s->o, PSD_INV_NO_FALSE_DELETE,
				"deleted, though the core was told of no deletion:", argv[1], len[1]);
	if (hset)
		cw->told_gone[i] = false;
}

void psd_check_state_needs_appl(struct psd_sim *s, uint32_t argc, const char *const *argv,
				const size_t *len)
{
	static const char state[] = "PORT_TABLE|";
	const size_t n = sizeof(state) - 1;
	char appl[64];
	if (argc < 2 || !psd_sim_arg_is(argv[0], len[0], "HSET") || len[1] <= n || len[1] >= 60 ||
	    memcmp(argv[1], state, n) != 0)
		return;
	memcpy(appl, "PORT_TABLE:", n); /* as long as "PORT_TABLE|" */
	memcpy(appl + n, argv[1] + n, len[1] - n);
	appl[len[1]] = '\0';
	if (!psd_model_exists(&s->w->m, PSD_WORLD_APPL, appl))
		psd_sim_violate(&s->o, PSD_INV_STATE_NEEDS_APPL, "STATE_DB written without APPL_DB", appl,
				strlen(appl));
}

static bool names_init_done(uint32_t argc, const char *const *argv, const size_t *len)
{
	for (uint32_t a = 1; a < argc; a++)
		if (psd_sim_arg_is(argv[a], len[a], "_PORT_TABLE:PortInitDone") ||
		    psd_sim_arg_is(argv[a], len[a], "PORT_TABLE:PortInitDone"))
			return true;
	return false;
}

void psd_check_init_done_once(struct psd_sim *s, uint32_t db, uint32_t argc,
			      const char *const *argv, const size_t *len)
{
	if (db == PSD_WORLD_APPL && psd_sim_cmd_writes(argv, len) &&
	    names_init_done(argc, argv, len) && ++s->o.writes.init_done_writes > 1)
		psd_sim_violate(&s->o, PSD_INV_INIT_DONE_ONCE, "PortInitDone written twice", "", 0);
}

/* From now on the netdev must not move STATE_DB. */
void psd_check_writes_link_down(struct psd_sim *s, uint32_t port, int32_t ifindex)
{
	struct psd_check_writes *cw = &s->o.writes;
	cw->old_ifindex[port] = ifindex;
	cw->old_renamed[port] = s->k.ports[port].renamed;
	if (!cw->old_renamed[port]) /* Ethernet<i>x never has a STATE_DB entry */
		cw->fresh[port] = false;
}

void psd_check_writes_seen(struct psd_sim *s, const struct psd_kernel_msg *msg)
{
	struct psd_check_writes *cw = &s->o.writes;
	if (msg->family != AF_BRIDGE && (msg->type == RTM_DELLINK || msg->renamed))
		cw->told_gone[msg->port] = true; /* leaving a bridge is no deletion (FB-11) */
	if (msg->ifindex == cw->old_ifindex[msg->port]) {
		if (msg->renamed == cw->old_renamed[msg->port]) {
			if (msg->dump) /* the core cannot count it: for the dump, the port is missing */
				cw->told_gone[msg->port] = true;
			return;
		}
		cw->old_ifindex[msg->port] = 0; /* renamed: no leftover any more */
	}
	if (!msg->renamed)
		cw->fresh[msg->port] = true;
}

void psd_check_writes_dump_missing(struct psd_sim *s, uint32_t port)
{
	s->o.writes.told_gone[port] = true;
}
