/*
 * Time to render /metrics with a large port table: the simulator's world starts the core with
 * PORTS configured ports (default 100,000), reports every netdev, flaps a tenth of them, then
 * renders the exposition ROUNDS times. Prints the median, best and worst render time, the text's
 * size, the core's memory and the process's RSS. With RULES (0 for the baseline), the core runs
 * that many per-port alert rules (port_oper_changes above 0 .. RULES - 1 in 60 s: the low ones
 * hold for every flapping port, so the alert pool fills up) and the time of a second of the core
 * (evaluation included) and the RSS are printed instead, then, once the flaps left every window,
 * a minute of an idle core driven as the daemon's loop drives it (a timer only at the core's
 * deadlines): the alert evaluations in it (none is the goal) and its time.
 * Usage: bench_metrics [PORTS] [ROUNDS] [RULES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/if.h>

#include "port_table.h"
#include "psd/alert_defs.h"
#include "psd/metrics.h"
#include "world.h"

#define UP_RUNNING (IFF_UP | IFF_RUNNING | IFF_LOWER_UP)

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static long rss_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return v;
}

static uint64_t evaluations(struct psd_world *w)
{
	static char text[4u << 20];
	static const char ev[] = "\nportsyncd_alert_evaluations_total ";
	struct psd_metrics_info info = {.version = "bench", .now_ns = w->now};
	psd_metrics_render(w->core, &info, text, sizeof(text));
	const char *at = strstr(text, ev);
	return at != NULL ? strtoull(at + sizeof(ev) - 1, NULL, 10) : UINT64_MAX;
}

/* Timers at the core's deadlines only (a microsecond late, as sd-event fires them) until t. */
static unsigned follow_deadlines(struct psd_world *w, uint64_t t)
{
	unsigned wakeups = 0;
	while (w->now < t) {
		uint64_t due = psd_core_next_deadline(w->core);
		uint64_t at = due != UINT64_MAX && due + 1000 < t ? due + 1000 : t;
		psd_world_advance(w, at > w->now ? at - w->now : 1000);
		wakeups++;
	}
	return wakeups;
}

static void idle_minute(struct psd_world *w)
{
	follow_deadlines(w, w->now + 130 * PSD_ALERT_EVAL_NS); /* every window drains */
	uint64_t before = evaluations(w), t0 = mono_ns();
	unsigned wakeups = follow_deadlines(w, w->now + 60 * PSD_ALERT_EVAL_NS);
	uint64_t took = mono_ns() - t0;
	printf("bench_metrics: alerts: idle minute: %llu alert evaluations (goal 0), %u timer "
	       "wake-ups (the CONFIG_DB polls), %.3f ms of the core\n",
	       (unsigned long long)(evaluations(w) - before), wakeups, took / 1e6);
}

/* NRULES per-port rules: port_oper_changes above 0 .. NRULES - 1 in 60 s. */
static void make_rules(struct psd_alert_rules *rules, int64_t nrules)
{
	for (uint32_t i = 0; (int64_t)i < nrules; i++) {
		struct psd_alert_rule *r = &rules->rule[i];
		snprintf(r->name, sizeof(r->name), "flap_%u", i);
		r->signal = PSD_SIG_PORT_OPER_CHANGES;
		r->condition = PSD_COND_ABOVE;
		r->threshold = (int64_t)i * 1000;
		r->window_s = 60;
		r->per_port = true;
		r->severity = PSD_SEV_WARNING;
		r->inhibited_by = UINT32_MAX;
	}
	rules->count = nrules > 0 ? (uint32_t)nrules : 0;
}

/* The core with PORTS configured ports, every netdev reported, a tenth of them flapped. */
static void start_ports(struct psd_world *w, uint32_t ports)
{
	char key[32], name[32], lanes[16];
	w->lim.ports_max = 2 * ports + 16;
	w->lim.inflight_max = 4096;
	w->cfg.log_level = PSD_LOG_WARN;
	w->cfg.link_stats = true;
	w->check_every = ports;
	for (uint32_t i = 0; i < ports; i++) {
		snprintf(key, sizeof(key), "PORT|Ethernet%u", i);
		snprintf(lanes, sizeof(lanes), "%u", i);
		psd_model_hset(&w->m, PSD_WORLD_CONFIG, key, "admin_status", "up");
		psd_model_hset(&w->m, PSD_WORLD_CONFIG, key, "lanes", lanes);
	}
	psd_world_start(w);
	psd_model_consume(&w->m, PSD_WORLD_APPL);
	psd_world_dump_done(w);
	for (uint32_t i = 0; i < ports; i++) {
		snprintf(name, sizeof(name), "Ethernet%u", i);
		psd_world_new_link(w, name, (int32_t)i + 10, UP_RUNNING);
	}
	for (int r = 0; r < 8; r++) { /* a tenth of the ports flap: the flap gauge has work to do */
		psd_world_advance(w, 1000000);
		for (uint32_t i = 0; i < ports; i += 10) {
			snprintf(name, sizeof(name), "Ethernet%u", i);
			psd_world_new_link(w, name, (int32_t)i + 10, r % 2 == 0 ? IFF_UP : UP_RUNNING);
		}
	}
	psd_world_settle(w);
}

/* A few evaluations with the flaps in the window, timed; the alerts kept; an idle minute. */
static int alert_figures(struct psd_world *w, uint32_t ports, int64_t nrules)
{
	uint64_t worst = 0, sum = 0;
	for (int s = 0; s < 5; s++) {
		uint64_t t0 = mono_ns();
		psd_world_advance(w, PSD_ALERT_EVAL_NS);
		uint64_t d = mono_ns() - t0;
		sum += d;
		worst = d > worst ? d : worst;
	}
	long rss = rss_kib(); /* before the text's buffer */
	char *text = malloc(64u << 20);
	struct psd_metrics_info info = {
		.version = "bench",
		.start_time_unix_ns = 0,
		.now_ns = w->now,
	};
	if (text == NULL || psd_metrics_render(w->core, &info, text, 64u << 20) >= 64u << 20)
		return 1;
	static const char rf[] = "\nportsyncd_alert_subjects_refused_total ";
	const char *refused = strstr(text, rf);
	unsigned long kept = 0;
	for (const char *p = text; (p = strstr(p, "\nportsyncd_alert_state{")) != NULL; p++)
		kept++;
	printf("bench_metrics: alerts: %u ports, %lld per-port rules: evaluation %.3f ms per "
	       "second (mean of 5; worst %.3f ms), %lu alerts kept (PSD_ALERT_SUBJECTS_MAX %u), "
	       "%ld refused; RSS %ld KiB\n", ports, (long long)nrules, sum / 5 / 1e6, worst / 1e6, kept,
	       PSD_ALERT_SUBJECTS_MAX,
	       refused != NULL ? strtol(refused + sizeof(rf) - 1, NULL, 10) : -1, rss);
	free(text);
	idle_minute(w);
	return 0;
}

/* ROUNDS renders of the whole text, timed. */
static int render_figures(struct psd_world *w, uint32_t ports, unsigned rounds)
{
	size_t size = 1 << 20;
	char *buf = malloc(size);
	uint64_t *took = calloc(rounds, sizeof(*took));
	size_t len = 0;
	if (buf == NULL || took == NULL)
		return 1;
	for (unsigned r = 0; r < rounds; r++) {
		struct psd_metrics_info info = {
			.version = "bench",
			.start_time_unix_ns = 0,
			.now_ns = w->now,
		};
		uint64_t t0 = mono_ns();
		len = psd_metrics_render(w->core, &info, buf, size);
		took[r] = mono_ns() - t0;
	}
	qsort(took, rounds, sizeof(*took), cmp_u64);
	static const char fl[] = "\nportsyncd_ports_flapping ", pr[] = "\nportsyncd_ports_present ";
	const char *flapping = strstr(buf, fl);
	const char *present = strstr(buf, pr);
	printf("bench_metrics: %u ports (present %ld, flapping %ld): render %.3f ms median, %.3f ms "
	       "best, %.3f ms worst of %u; %zu bytes of text; core %zu bytes (%zu per port entry); RSS %ld KiB\n",
	       ports, present != NULL ? strtol(present + sizeof(pr) - 1, NULL, 10) : -1,
	       flapping != NULL ? strtol(flapping + sizeof(fl) - 1, NULL, 10) : -1, took[rounds / 2] / 1e6,
	       took[0] / 1e6, took[rounds - 1] / 1e6, rounds, len, psd_core_size(&w->lim),
	       sizeof(struct psd_port), rss_kib());
	free(buf);
	free(took);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t ports = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 101;
	/* RULES given (0 too): the alert figures instead of the render's */
	int64_t nrules = argc > 3 ? (int64_t)strtoul(argv[3], NULL, 10) : -1;
	static struct psd_alert_rules rules;

	if (nrules > (int64_t)PSD_ALERT_RULES_MAX)
		return 2;
	make_rules(&rules, nrules);
	struct psd_world *w = psd_world_new();
	w->cfg.alert_rules = &rules;
	start_ports(w, ports);
	int rc = nrules >= 0 ? alert_figures(w, ports, nrules) : render_figures(w, ports, rounds);
	psd_world_free(w);
	return rc;
}
