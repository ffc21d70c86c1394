/*
 * Assembly of a simulation (sim.h): the seed and its sub-seeds, the kernel model, the world and
 * its core's settings, the oracle, the alert rules; and the world's hooks wired to the modules
 * that answer them: the faults (a refused command, a reply of a wrong type), the oracle (every
 * command executed or sent, every message and missing dump entry the kernel hands over, a netdev
 * brought down), the kernel (the interface list) and the PRNG (how late the event loop fires a
 * timer). Only sim_main.c and the scenarios' ends call it: it stands above the modules it wires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_rules.h"
#include "commands.h"
#include "oracle.h"
#include "sim.h"

/* A commit hash (40 hex digits) folds its digits; anything else is a number (strtoull, base 0). */
static uint64_t parse_seed(const char *text)
{
	uint64_t seed = 0;
	if (strlen(text) == 40) { /* a commit hash: fold its hex digits */
		for (const char *c = text; *c != '\0'; c++)
			seed = seed * 31 + (uint64_t)*c;
		return seed;
	}
	return strtoull(text, NULL, 0);
}

/* Every command Redis executes: OOM refuses the writes; the oracle checks the rest. */
static bool on_command(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
		       const size_t *len)
{
	struct psd_sim *s = ctx;
	if (s->f.refuse_writes && psd_sim_cmd_writes(argv, len))
		return false;
	psd_sim_oracle_command(s, db, argc, argv, len);
	return true;
}

static void on_sent(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
		    const size_t *len)
{
	psd_sim_oracle_sent(ctx, db, argc, argv, len);
}

static const char *on_refuse(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			     const size_t *len)
{
	struct psd_sim *s = ctx;
	return s->f.refuse_error;
}

/* The core forces the netdevs it declares old down. */
static void on_link_down(void *ctx, int32_t ifindex)
{
	struct psd_sim *s = ctx;
	uint32_t port = psd_kernel_link_down(&s->k, ifindex);
	if (port != UINT32_MAX)
		psd_sim_oracle_link_down(s, port, ifindex);
}

static bool on_wrong_reply(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			   const size_t *len)
{
	return psd_sim_wrong_reply(ctx, db, argc, argv, len);
}

static uint64_t on_timer_late(void *ctx, uint64_t accuracy_ns)
{
	struct psd_sim *s = ctx;
	return (psd_prng_next(&s->prng) % (accuracy_ns + PSD_SIM_LOOP_LATE_NS + 1));
}

static size_t on_list_ifaces(void *ctx, const struct psd_iface **ret)
{
	struct psd_sim *s = ctx;
	return psd_kernel_list(&s->k, ret);
}

static void on_seen(void *ctx, const struct psd_kernel_msg *msg)
{
	psd_sim_oracle_seen(ctx, msg);
}

static void on_dump_missing(void *ctx, uint32_t port)
{
	psd_sim_oracle_dump_missing(ctx, port);
}

/* The shipped alert rules for the core and for the oracle; with the early-fire canary, the core
 * gets every `for` a second short. 0, or 2 with the error printed. */
static int load_rules(struct psd_sim *s, const struct psd_sim_options *opt)
{
	static struct psd_alert_rules rules, early;
	char err[600];
	if (psd_alert_rules_load(&rules, "", err, sizeof(err)) < 0) { /* the shipped rules */
		fprintf(stderr, "psd-sim: %s\n", err);
		return 2;
	}
	s->w->cfg.alert_rules = &rules;
	s->o.aw.reference = &rules; /* what the oracle holds the core to */
	if (opt->canary_early_fire) { /* the core is given every `for` a second short */
		early = rules;
		for (uint32_t i = 0; i < early.count; i++)
			early.rule[i].for_s -= early.rule[i].for_s > 0;
		s->w->cfg.alert_rules = &early;
	}
	return 0;
}

int psd_sim_init(struct psd_sim *s, const struct psd_sim_options *opt, uint32_t enabled_faults,
		 const char *reproduce)
{
	uint64_t sub;
	s->seed = sub = parse_seed(opt->seed_text);
	psd_prng_seed(&s->prng, &sub);
	s->nports = opt->ports;
	s->reproduce = reproduce;
	s->f.on = enabled_faults != 0;
	if (!psd_sim_oracle_init(s))
		return 1;
	psd_kernel_init(&s->k, opt->ports);
	s->k.seen = on_seen;
	s->k.hide_losses = opt->canary_drop_loss;
	s->k.dump_missing = on_dump_missing;
	s->k.seen_ctx = s;
	s->w = psd_world_new();
	s->w->hooks = (struct psd_world_hooks){s, on_command, on_sent, on_link_down, on_list_ifaces,
					       on_timer_late, on_refuse, on_wrong_reply, NULL};
	s->w->cfg.seed = psd_prng_splitmix(&sub);
	s->w->cfg.link_stats = (s->seed & 1) != 0; /* odd seeds run the link analytics too */
	s->w->cfg.log_level = opt->verbose ? PSD_LOG_DEBUG : PSD_LOG_WARN;
	s->w->echo = opt->verbose;
	s->w->lim.ports_max = 2 * opt->ports + 16;
	s->w->lim.inflight_max = PSD_SIM_INFLIGHT_MAX;
	s->w->check_every =
		opt->ports <= PSD_SIM_CHECK_ALL_PORTS ? 1 : opt->ports / PSD_SIM_CHECK_SPAN;
	return load_rules(s, opt);
}

void psd_sim_free(struct psd_sim *s)
{
	psd_sim_forget_snapshot(s);
	psd_world_free(s->w);
	psd_kernel_free(&s->k);
	psd_sim_oracle_free(s);
}
