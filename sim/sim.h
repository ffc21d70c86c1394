/*
 * psd-sim: the real core in a deterministic world, driven from one seed (docs/simulator.md).
 *
 * A simulation is one struct psd_sim: the world (world.h: the core, the Redis model, the event
 * loop), the kernel model (kernel.h), the PRNG that draws the workload and the faults (prng.h),
 * the faults' state (faults.h) and the oracle's (violation.h). This header holds it and declares
 * the modules' entry points; its only code is the PRNG's draw (psd_sim_below), so any module may
 * use it without tying itself to the modules above. The modules, by job:
 *   assembly.c         the simulation built from the options, the world's hooks wired
 *   prng.c             the PRNG; commands.h: reading the core's commands
 *   workload.c         a switch's normal life: CONFIG_DB as minigraph writes it, kernel changes
 *   fault_schedule.c, fault_inject.c   the faults (faults.h)
 *   oracle.c, check_*.c, violation.c   the invariants (oracle.h)
 *   report.c           a failed run's report
 *   heal.c             the faults stop and the world heals: convergence asked (every scenario
 *                      of faults ends so)
 *   scenario_swarm.c   the default run: steps of workload and faults, flap storms, healing,
 *                      convergence, the summary
 *   scenario_warm_bench.c   --warm-bench: one measured warm restart after convergence
 *   scenario_alerts.c  --alerts: seeded flap storms against the shipped alert rules
 *   scenario_soak.c    --virtual-days: rounds of the swarm, each healed, over days of virtual time
 *   sim_main.c         the command line (and --fixture, which runs fixture.c instead)
 *
 * A new scenario: a scenario_<name>.c with its file-top comment, its entry point declared here,
 * its option in sim_main.c (and in the reproducer line it prints), and its line in
 * docs/simulator.md; it drives the world through the workload, the faults and the oracle, and
 * reports through psd_sim_fail().
 *
 * Invariant: every random choice comes from s->prng (or from the core's own seed), in the same
 * order for the same options, so the same command line gives the same run and trace hash.
 */
#ifndef PSD_SIM_H
#define PSD_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "faults.h"
#include "kernel.h"
#include "prng.h"
#include "violation.h"
#include "world.h"

#define PSD_SIM_PORTS_MAX 200000u
#define PSD_SIM_STEPS_MAX 100000000u
#define PSD_SIM_STORM_MAX 1000u
#define PSD_SIM_DAYS_MAX 3650u
#define PSD_SIM_CONVERGE_NS (60ull * 1000000000ull) /* liveness bound, virtual time */
#define PSD_SIM_CHECK_ALL_PORTS 4096u /* up to this many ports, the core is checked every step */
#define PSD_SIM_CHECK_SPAN 1u         /* beyond: ports checked per step, amortised */
#define PSD_SIM_INFLIGHT_MAX 4000u    /* below PSD_WORLD_HELD_MAX: singletons fit beside */
#define PSD_SIM_MS 1000000ull
#define PSD_SIM_S 1000000000ull
/* The event loop fires a timer late by up to its slack plus this (scheduling, other sources). */
#define PSD_SIM_LOOP_LATE_NS (2ull * PSD_SIM_MS)
/* Redis back from an outage: the daemon is connected to every database within this. */
#define PSD_SIM_RECONNECT_NS (300ull * PSD_SIM_MS)
#define PSD_SIM_STALL_NS (6000ull * PSD_SIM_MS) /* a stall: beyond the core's 5 s default limit */

/* What the command line asks for. */
struct psd_sim_options {
	const char *seed_text; /* a number, or a 40-hex commit hash */
	const char *faults;    /* swarm, none, or a list of fault names */
	uint32_t ports, steps, storm;
	uint32_t virtual_days;  /* --virtual-days: the soak's length (0: no soak) */
	bool verbose, alerts, warm_bench;
	bool canary_drop_loss;  /* the kernel hides overruns from the core */
	bool canary_early_fire; /* the core's rules fire a second before their `for` */
};

struct psd_sim {
	uint64_t seed;        /* from the seed text (psd_sim_init) */
	struct psd_prng prng; /* the workload's and the faults' draws */
	struct psd_world *w;
	struct psd_kernel k;
	uint32_t nports;
	const char *reproduce; /* the command line that reproduces this run */
	struct psd_sim_faults f;
	struct psd_sim_oracle o;
};

/* A draw of the workload's and the faults' PRNG in [0, n). */
static inline uint32_t psd_sim_below(struct psd_sim *s, uint32_t n)
{
	return psd_prng_below(&s->prng, n);
}

/* assembly.c */
/* Builds the simulation; 0, or the exit status of a failure it has reported. */
int psd_sim_init(struct psd_sim *s, const struct psd_sim_options *opt, uint32_t enabled_faults,
		 const char *reproduce);
void psd_sim_free(struct psd_sim *s);

/* workload.c */
void psd_sim_config_ports(struct psd_sim *s); /* CONFIG_DB PORT|Ethernet<i> for every port */
/* report.c: prints the failure, the last commands and the reproducer; returns the exit status
 * (1). */
int psd_sim_fail(struct psd_sim *s, enum psd_sim_invariant inv, const char *what);
int psd_sim_fail_violated(struct psd_sim *s); /* the violation recorded */
void psd_sim_kernel_change(struct psd_sim *s); /* one change of one netdev, netdev faults drawn */

/* heal.c: the faults stop and the world heals: the virtual time convergence took, or UINT64_MAX
 * with *why saying what differs. */
uint64_t psd_sim_heal(struct psd_sim *s, const char **why);

/* scenario_swarm.c */
int psd_sim_run_swarm(struct psd_sim *s, const struct psd_sim_options *opt,
		      uint32_t enabled_faults);

/* scenario_warm_bench.c: 0 once converged again (*ret_took: how long that took), or the exit
 * status of a reported failure */
int psd_sim_run_warm_bench(struct psd_sim *s, uint64_t *ret_took);

/* scenario_swarm.c: one step of the swarm (a fault or a piece of workload, the per-step checks);
 * the seed's rates drawn and printed */
void psd_sim_step(struct psd_sim *s);
void psd_sim_draw_rates(struct psd_sim *s, const struct psd_sim_options *opt, uint32_t enabled);

/* scenario_soak.c */
int psd_sim_run_soak(struct psd_sim *s, const struct psd_sim_options *opt, uint32_t enabled);

/* scenario_alerts.c */
int psd_sim_run_alerts(struct psd_sim *s, const char *seed_text);

#endif
