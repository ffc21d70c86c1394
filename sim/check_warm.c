/*
 * Checker: a warm start.
 *
 *  - warm-path: the `state` values sent to WARM_RESTART_TABLE|portsyncd in one daemon run follow
 *    an edge of the warm-restart machine each (core/warm_fsm.rl; a state sent again after an
 *    outage is its self-loop);
 *  - warm-no-churn: from a warm start's `initialized` to its `reconciled` (unless Redis lost or
 *    replaced its data meanwhile), a STATE_DB HSET or HDEL of a port key that this run has not
 *    written yet changes the key: nothing already right is written;
 *  - warm-exact: when a warm start's `reconciled` lands and the daemon has been told all the
 *    kernel did, STATE_DB holds no entry for a netdev that is gone or renamed, and every port
 *    entry it holds is the kernel's state; a port the core may not have heard of since the last
 *    clean dump (a message about it lost, a dump that lost or skipped it) is left out.
 *
 * For --warm-bench it also counts the STATE_DB writes sent for ports that did not change while
 * the daemon was down (struct psd_check_warm's changed and unchanged_writes).
 */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "commands.h"
#include "sim.h"

/* The warm-restart machine's edges between written states (warm_fsm.rl), "" the start. */
static bool warm_edge(const char *from, const char *to)
{
	static const char *const edges[][2] = {
		{"", "initialized"},           {"", "disabled"},
		{"initialized", "initialized"}, {"initialized", "restored"},
		{"initialized", "failed"},     {"restored", "restored"},
		{"restored", "replayed"},      {"replayed", "replayed"},
		{"replayed", "reconciled"},    {"reconciled", "reconciled"},
		{"disabled", "disabled"},      {"failed", "failed"},
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if (strcmp(edges[i][0], from) == 0 && strcmp(edges[i][1], to) == 0)
			return true;
	return false;
}

static void check_warm_state(struct psd_sim *s, uint32_t argc, const char *const *argv,
			     const size_t *len)
{
	struct psd_check_warm *cw = &s->o.warm;
	char to[16];
	if (argc != 4 || !psd_sim_arg_is(argv[1], len[1], "WARM_RESTART_TABLE|portsyncd") ||
	    !psd_sim_arg_is(argv[2], len[2], "state") || len[3] >= sizeof(to))
		return;
	memcpy(to, argv[3], len[3]);
	to[len[3]] = '\0';
	if (!warm_edge(cw->state, to)) {
		char edge[40];
		snprintf(edge, sizeof(edge), "%s -> %s", cw->state[0] ? cw->state : "start", to);
		psd_sim_violate(&s->o, PSD_INV_WARM_PATH, "no such transition:", edge, strlen(edge));
	}
	if (strcmp(to, "initialized") == 0 && cw->state[0] == '\0')
		cw->window = true; /* until reconciled, or until Redis loses what it held */
	memcpy(cw->state, to, sizeof(to));
	cw->exact_due = strcmp(to, "reconciled") == 0 && cw->window;
	if (strcmp(to, "reconciled") == 0 || strcmp(to, "failed") == 0 ||
	    strcmp(to, "disabled") == 0)
		cw->window = false;
}

void psd_check_warm_sent(struct psd_sim *s, uint32_t db, uint32_t argc,
			 const char *const *argv, const size_t *len)
{
	struct psd_check_warm *cw = &s->o.warm;
	if (db == PSD_WORLD_STATE && argc > 0 && psd_sim_arg_is(argv[0], len[0], "HSET"))
		check_warm_state(s, argc, argv, len);
	if (cw->changed != NULL && db == PSD_WORLD_STATE && argc >= 2 &&
	    (psd_sim_arg_is(argv[0], len[0], "HSET") || psd_sim_arg_is(argv[0], len[0], "HDEL") ||
	     psd_sim_arg_is(argv[0], len[0], "DEL"))) {
		bool other = false;
		uint32_t p = psd_sim_port_of(s->nports, argv[1], len[1], &other);
		cw->unchanged_writes += p != UINT32_MAX && !other && !cw->changed[p];
	}
}

/* A warm start's write to a port key this run has not written yet must change it. */
static void check_warm_churn(struct psd_sim *s, uint32_t argc, const char *const *argv,
			     const size_t *len)
{
	struct psd_check_warm *cw = &s->o.warm;
	bool renamed = false, changes = false;
	char key[64], field[32];
	uint32_t i;
	if (argc < 2 || len[1] >= sizeof(key))
		return;
	i = psd_sim_port_of(s->nports, argv[1], len[1], &renamed);
	if (i == UINT32_MAX || renamed)
		return;
	bool hset = psd_sim_arg_is(argv[0], len[0], "HSET");
	bool hdel = psd_sim_arg_is(argv[0], len[0], "HDEL");
	if (!hset && !hdel)
		return;
	bool first = !cw->written[i];
	cw->written[i] = true;
	if (!cw->window || !first)
		return; /* a command sent again after an outage may find its first run done */
	memcpy(key, argv[1], len[1]);
	key[len[1]] = '\0';
	for (uint32_t a = 2; a < argc && !changes; a += hset ? 2 : 1) {
		if (len[a] >= sizeof(field))
			return;
		memcpy(field, argv[a], len[a]);
		field[len[a]] = '\0';
		const char *had = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, field);
		changes = hset ? (a + 1 >= argc || had == NULL || strlen(had) != len[a + 1] ||
				  memcmp(had, argv[a + 1], len[a + 1]) != 0) :
				 had != NULL;
	}
	if (!changes)
		psd_sim_violate(&s->o, PSD_INV_WARM_NO_CHURN,
				"a warm start wrote what STATE_DB already held:", argv[1], len[1]);
}

/* `reconciled` is written once every command of the reconciliation is acknowledged. When the
 * daemon has been told all the kernel did (nothing queued or held, the dump served) and Redis
 * takes writes, STATE_DB then holds no entry for a netdev that is gone or renamed, and every entry
 * it holds is the kernel's state (a port still waiting for APPL_DB may have none yet). A port
 * the kernel lost a message about since the last clean dump is left out: after `replayed` a loss
 * is the running daemon's, made up by its next re-dump, which may come after `reconciled`. */
static void check_warm_exact(struct psd_sim *s)
{
	char key[48], mtu[16];
	s->o.warm.exact_due = false;
	if (s->k.qlen > 0 || s->w->hold || s->f.refuse_writes || s->f.refuse_error != NULL ||
	    s->w->dump_seq != s->k.served_dump_seq)
		return;
	for (uint32_t i = 0; i < s->nports && !s->o.failed; i++) {
		const struct psd_kernel_port *p = &s->k.ports[i];
		if (s->k.unheard[i])
			continue;
		snprintf(key, sizeof(key), "PORT_TABLE|Ethernet%u", i);
		const char *oper = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "netdev_oper_status");
		const char *admin = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "admin_status");
		const char *m = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "mtu");
		if (oper == NULL && admin == NULL && m == NULL)
			continue;
		snprintf(mtu, sizeof(mtu), "%u", p->mtu);
		if (p->ifindex == 0 || p->renamed)
			psd_sim_violate(&s->o, PSD_INV_WARM_EXACT,
					"at reconciled, an entry for a netdev that is gone:", key,
					strlen(key));
		else if (oper == NULL || admin == NULL || m == NULL ||
			 strcmp(oper, p->up && p->carrier ? "up" : "down") != 0 ||
			 strcmp(admin, p->up ? "up" : "down") != 0 || strcmp(m, mtu) != 0)
			psd_sim_violate(&s->o, PSD_INV_WARM_EXACT, "at reconciled, an entry not the kernel's:",
					key, strlen(key));
	}
}

void psd_check_warm_command(struct psd_sim *s, uint32_t argc, const char *const *argv,
			    const size_t *len)
{
	check_warm_churn(s, argc, argv, len);
	if (s->o.warm.exact_due && argc == 4 && psd_sim_arg_is(argv[3], len[3], "reconciled"))
		check_warm_exact(s);
}
