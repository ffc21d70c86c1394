/*
 * Time to render /metrics with a large port table: the simulator's world starts the core with
 * PORTS configured ports (default 100,000), reports every netdev, flaps a tenth of them, then
 * renders the exposition ROUNDS times. Prints the median, best and worst render time, the text's
 * size, the core's memory and the process's RSS.
 * Usage: bench_metrics [PORTS] [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/if.h>

#include "port_table.h"
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

int main(int argc, char **argv)
{
	uint32_t ports = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 101;
	struct psd_world *w = psd_world_new();
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

	size_t size = 1 << 20;
	char *buf = malloc(size);
	uint64_t *took = calloc(rounds, sizeof(*took));
	size_t len = 0;
	if (buf == NULL || took == NULL)
		return 1;
	for (unsigned r = 0; r < rounds; r++) {
		struct psd_metrics_info info = {"bench", 0, w->now};
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
	psd_world_free(w);
	return 0;
}
