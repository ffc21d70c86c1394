/*
 * psd-sim's command line: the options, the reproducer line every failure prints, the fatal
 * signals that print it too, and the dispatch to a scenario (sim.h lists the modules) or to a
 * fixture (fixture.h).
 *
 * Usage: psd-sim --seed S [--ports N] [--steps M] [--storm R] [--faults swarm|none|F,F...]
 *                [--canary drop-loss|early-fire] [--warm-bench] [--verbose]
 *        psd-sim --seed S --virtual-days D [--ports N] [--steps M] [--faults ...]
 *        psd-sim --seed S --alerts [--ports N]
 *        psd-sim --fixture F [--commands FILE]
 *
 * A bad command line prints the usage and exits 2; a failed invariant exits 1 after printing the
 * invariant, the last commands and the line that reproduces the run; a fatal signal prints that
 * line and the process dies of the signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "sim.h"

#ifndef PSD_COMMIT
#define PSD_COMMIT "unknown"
#endif

static char reproduce_line[512];

static int usage(void)
{
	fprintf(stderr, "usage: psd-sim --fixture FILE [--commands FILE]\n"
			"       psd-sim --seed S [--ports N] [--steps M] [--storm R] "
			"[--faults swarm|none|F,F...] [--canary drop-loss|early-fire] [--warm-bench] [--verbose]\n"
			"       psd-sim --seed S --virtual-days D [--ports N] [--steps M] [--faults ...]\n"
			"       psd-sim --seed S --alerts [--ports N]\n"
			"faults: overrun outage wipe delete rename enslave slow oom dump-truncated "
			"dump-interrupted restart-warm restart-cold restart-swss refuse wrongtype "
			"restart-stale restart-empty-late loading stall maxclients stray-reply wrong-reply "
			"notify-late notify-lost notify-ahead\n");
	return 2;
}

/* The core's assertions trap (SIGILL on x86, SIGTRAP elsewhere), the world's abort, a wild
 * pointer faults: say how to reproduce, then die of the same signal. */
static void on_fatal_signal(int sig)
{
	static const char head[] = "psd-sim: FAILED: invariant core-structure (fatal signal)\n"
				   "psd-sim: reproduce with: ";
	if (write(STDOUT_FILENO, head, sizeof(head) - 1) >= 0 &&
	    write(STDOUT_FILENO, reproduce_line, strlen(reproduce_line)) >= 0)
		(void)!write(STDOUT_FILENO, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* --fixture F: the scenario in field mode, and in compat mode when it has compat lines; with
 * --commands FILE, the field run's commands are written there as redis-server's MONITOR prints
 * them (without time and client), to compare with the daemon's. */
static int run_fixture(const char *path, const char *commands_path)
{
	static char text[1 << 20];
	char why[512];
	FILE *in = fopen(path, "r");
	if (in == NULL) {
		fprintf(stderr, "psd-sim: %s: %s\n", path, strerror(errno));
		return 2;
	}
	size_t len = fread(text, 1, sizeof(text), in);
	bool too_long = len == sizeof(text);
	fclose(in);
	if (too_long) {
		fprintf(stderr, "psd-sim: %s: longer than %zu bytes\n", path, sizeof(text) - 1);
		return 2;
	}
	struct psd_fixture *f = psd_fixture_parse(path, text, len, why, sizeof(why));
	if (f == NULL) {
		fprintf(stderr, "psd-sim: %s\n", why);
		return 2;
	}
	FILE *commands = NULL;
	if (commands_path != NULL && (commands = fopen(commands_path, "w")) == NULL) {
		fprintf(stderr, "psd-sim: %s: %s\n", commands_path, strerror(errno));
		psd_fixture_free(f);
		return 2;
	}
	unsigned failed = 0;
	for (int compat = 0; compat <= (int)psd_fixture_has_compat(f); compat++) {
		unsigned n = psd_fixture_run(f, compat, stdout, compat ? NULL : commands);
		printf("psd-sim: %s %s: %s\n", path, compat ? "compat" : "field",
		       n == 0 ? "ok" : "FAILED");
		failed += n;
	}
	psd_fixture_free(f);
	if (commands != NULL && fclose(commands) != 0) {
		fprintf(stderr, "psd-sim: %s: %s\n", commands_path, strerror(errno));
		return 2;
	}
	return failed == 0 ? 0 : 1;
}

/* false on an option it does not know or one without its value */
static bool parse_options(int argc, char **argv, struct psd_sim_options *opt)
{
	*opt = (struct psd_sim_options){.faults = "swarm", .ports = 16, .steps = 2000};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			opt->seed_text = argv[++i];
		else if (strcmp(argv[i], "--ports") == 0 && i + 1 < argc)
			opt->ports = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
			opt->steps = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--storm") == 0 && i + 1 < argc)
			opt->storm = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--faults") == 0 && i + 1 < argc)
			opt->faults = argv[++i];
		else if (strcmp(argv[i], "--verbose") == 0)
			opt->verbose = true;
		else if (strcmp(argv[i], "--alerts") == 0)
			opt->alerts = true;
		else if (strcmp(argv[i], "--warm-bench") == 0)
			opt->warm_bench = true;
		else if (strcmp(argv[i], "--virtual-days") == 0 && i + 1 < argc)
			opt->virtual_days = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--canary") == 0 && i + 1 < argc &&
			 strcmp(argv[i + 1], "drop-loss") == 0)
			opt->canary_drop_loss = ++i > 0;
		else if (strcmp(argv[i], "--canary") == 0 && i + 1 < argc &&
			 strcmp(argv[i + 1], "early-fire") == 0)
			opt->canary_early_fire = ++i > 0;
		else
			return false;
	}
	return opt->seed_text != NULL && opt->ports != 0 && opt->ports <= PSD_SIM_PORTS_MAX &&
	       opt->steps <= PSD_SIM_STEPS_MAX && opt->storm <= PSD_SIM_STORM_MAX &&
	       opt->virtual_days <= PSD_SIM_DAYS_MAX;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--fixture") == 0)
		return run_fixture(argv[2], NULL);
	if (argc == 5 && strcmp(argv[1], "--fixture") == 0 && strcmp(argv[3], "--commands") == 0)
		return run_fixture(argv[2], argv[4]);
	static struct psd_sim s; /* static: reachable to the end, whatever the exit path */
	struct psd_sim_options opt;
	if (!parse_options(argc, argv, &opt))
		return usage();
	char days[32] = "";
	if (opt.virtual_days > 0)
		snprintf(days, sizeof(days), " --virtual-days %u", opt.virtual_days);
	snprintf(reproduce_line, sizeof(reproduce_line),
		 "git checkout %s && make build/psd-sim && build/psd-sim --seed %s --ports %u "
		 "--steps %u --storm %u --faults %s%s%s%s%s", PSD_COMMIT, opt.seed_text, opt.ports,
		 opt.steps, opt.storm, opt.faults,
		 opt.canary_drop_loss ? " --canary drop-loss" :
		 opt.canary_early_fire ? " --canary early-fire" : "",
		 opt.alerts ? " --alerts" : "", opt.warm_bench ? " --warm-bench" : "", days);
	static const int fatal[] = {SIGABRT, SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE};
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], on_fatal_signal);
	uint32_t enabled = 0;
	if (!psd_sim_faults_parse(opt.faults, &enabled))
		return usage();
	int status = psd_sim_init(&s, &opt, enabled, reproduce_line);
	if (status != 0)
		return status;
	if (opt.alerts)
		return psd_sim_run_alerts(&s, opt.seed_text);
	if (opt.virtual_days > 0)
		return psd_sim_run_soak(&s, &opt, enabled);
	return psd_sim_run_swarm(&s, &opt, enabled);
}
