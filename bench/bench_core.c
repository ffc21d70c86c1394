/*
 * Core throughput on recorded kernel datagrams: each message goes the whole way through the
 * core (walk, grammar, decision chain, port machine, APPL_DB look-up, STATE_DB write), with an
 * in-process responder answering every command at once. Prints messages per second.
 * With SERIES, link analytics are on (as in the daemon: PORT_LINK_STATS, the transition lines,
 * the per-port counts) and SERIES ports at most have per-port metric series (port_series_max):
 * make bench compares the instructions per message with a series for every port and for one.
 * Usage: bench_core FIXTURE [MESSAGES [SERIES]]   (default 2,000,000 messages, no analytics)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "psd/core.h"

#define RING 8192

struct bench {
	struct psd_core *core;
	uint64_t now;
	struct psd_reply replies[RING];
	size_t head, count;
	uint64_t messages;
	uint64_t writes;
};

static const struct psd_str keys[] = {
	{"PORT|Ethernet0", 14},  {"PORT|Ethernet4", 14},  {"PORT|Ethernet8", 14},
	{"PORT|Ethernet12", 15}, {"PORT|Ethernet16", 15}, {"PORT|Ethernet20", 15},
	{"PORT|Ethernet24", 15}, {"PORT|Ethernet28", 15},
};
static const struct psd_str port_hash[] = {{"lanes", 5}, {"0", 1}, {"admin_status", 12}, {"up", 2}};
static const char sha[] = "0123456789012345678901234567890123456789";

static void answer(struct bench *b, const struct psd_action *a)
{
	struct psd_reply r = {.tag = a->u.cmd.tag, .type = PSD_REPLY_INTEGER, .integer = 1};
	const char *cmd = a->u.cmd.argv[0];
	if (strcmp(cmd, "HGET") == 0 || strcmp(cmd, "EVALSHA") == 0) {
		r.type = PSD_REPLY_NIL;
	} else if (strcmp(cmd, "SCRIPT") == 0) {
		r.type = PSD_REPLY_STRING;
		r.str = (struct psd_str){sha, 40};
	} else if (strcmp(cmd, "KEYS") == 0) {
		r.type = PSD_REPLY_ARRAY;
		r.elements = keys;
		r.element_count = sizeof(keys) / sizeof(keys[0]);
	} else if (strcmp(cmd, "HGETALL") == 0) {
		r.type = PSD_REPLY_ARRAY;
		r.elements = port_hash;
		r.element_count = 4;
	} else if (strcmp(cmd, "HEXISTS") == 0) {
		r.integer = 0;
	} else if (strcmp(cmd, "HSET") == 0) {
		b->writes++;
	}
	if (b->count == RING)
		abort();
	b->replies[(b->head + b->count++) % RING] = r;
}

static void run(struct bench *b, const struct psd_event *ev);

static void drain(struct bench *b)
{
	struct psd_action a;
	while (psd_core_pull(b->core, &a)) {
		if (a.type == PSD_ACT_DB_COMMAND) {
			answer(b, &a);
		} else if (a.type == PSD_ACT_LIST_IFACES) {
			struct psd_event ev = {.type = PSD_EV_IFACES};
			run(b, &ev);
		}
	}
	while (b->count > 0) {
		struct psd_event ev = {.type = PSD_EV_DB_REPLY};
		ev.u.reply = b->replies[b->head];
		b->head = (b->head + 1) % RING;
		b->count--;
		if (psd_core_push(b->core, ++b->now, &ev) < 0)
			abort();
		drain(b);
	}
}

static void run(struct bench *b, const struct psd_event *ev)
{
	if (psd_core_push(b->core, ++b->now, ev) < 0)
		abort();
	drain(b);
}

struct fixture {
	uint8_t *bytes;
	size_t len;
};

static struct fixture load(const char *path)
{
	struct fixture f = {0};
	FILE *in = fopen(path, "rb");
	if (in == NULL) {
		perror(path);
		exit(1);
	}
	fseek(in, 0, SEEK_END);
	f.len = (size_t)ftell(in);
	rewind(in);
	f.bytes = malloc(f.len);
	if (f.bytes == NULL || fread(f.bytes, 1, f.len, in) != f.len) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	fclose(in);
	return f;
}

int main(int argc, char **argv)
{
	struct psd_limits lim = {.ports_max = 1024, .inflight_max = 4096};
	struct psd_config cfg = {.separator = {"|", ":", "|"}, .db_id = {4, 0, 6},
				 .log_level_pinned = true, .log_level = PSD_LOG_NOTICE};
	static struct bench b;
	uint64_t target = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;
	if (argc > 3) {
		cfg.link_stats = true;
		cfg.port_series_max = (uint32_t)strtoul(argv[3], NULL, 10);
	}
	struct timespec t0, t1;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_core FIXTURE [MESSAGES [SERIES]]\n");
		return 2;
	}
	struct fixture f = load(argv[1]);
	void *mem = calloc(1, psd_core_size(&lim));
	if (mem == NULL || psd_core_init(&b.core, mem, &lim, &cfg) < 0)
		return 1;
	struct psd_event start = {.type = PSD_EV_START};
	run(&b, &start);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (b.messages < target) {
		for (size_t off = 0; off + 4 <= f.len && b.messages < target;) {
			uint32_t len;
			memcpy(&len, f.bytes + off, 4);
			struct psd_event ev = {.type = PSD_EV_NL_DATAGRAM};
			ev.u.nl.bytes = f.bytes + off + 4;
			ev.u.nl.len = len;
			run(&b, &ev);
			b.messages++; /* one link message per datagram in a live capture */
			off += 4 + len;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	const struct psd_stats *st = psd_core_stats(b.core);
	if (st->nl_links != b.messages) {
		fprintf(stderr, "bench_core: %llu messages pushed but %llu parsed\n",
			(unsigned long long)b.messages, (unsigned long long)st->nl_links);
		return 1;
	}
	printf("core: %llu messages (%llu STATE_DB writes) in %.3f s: %.0f messages/s, %.0f ns/message\n",
	       (unsigned long long)b.messages, (unsigned long long)b.writes, secs,
	       (double)b.messages / secs, secs * 1e9 / (double)b.messages);
	free(mem);
	free(f.bytes);
	return 0;
}
