/*
 * Unit-test conveniences over sim/world.h: short database names, link flag sets, a configured
 * port and a world that has started and read its first dump.
 */
#ifndef PSD_UNIT_H
#define PSD_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "world.h"

#define APPL PSD_WORLD_APPL
#define CONFIG PSD_WORLD_CONFIG
#define STATE PSD_WORLD_STATE

#define UP (IFF_UP | 0x1000u | 0x2u)
#define UP_RUNNING (IFF_UP | IFF_RUNNING | IFF_LOWER_UP | 0x1000u | 0x2u)
#define DOWN (0x1000u | 0x2u)

/* CONFIG_DB PORT|<name>, admin up, lanes 0. */
static inline void configure_port(struct psd_world *w, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "PORT|%s", name);
	psd_model_hset(&w->m, CONFIG, key, "admin_status", "up");
	psd_model_hset(&w->m, CONFIG, key, "lanes", "0");
}

/* Ports Ethernet0, 4, 8 ... configured, start-up done, APPL_DB consumed, the first dump read. */
static inline struct psd_world *running_world(int ports)
{
	struct psd_world *w = psd_world_new();
	char name[16];
	w->cfg.seed = 42;
	for (int i = 0; i < ports; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i * 4);
		configure_port(w, name);
	}
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	return w;
}

#endif
