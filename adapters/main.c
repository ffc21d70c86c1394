/*
 * portsyncd: options, the sd-event loop, and the dispatch of core actions to the adapters.
 * After every event the core is drained: each action it hands out is carried out at once,
 * then the timer is re-armed for the core's next deadline. Fatal start-up errors (no database
 * config, Redis unreachable, netlink refused) print one line naming what is missing and exit 1.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "adapters.h"

#define PSD_VERSION "0.1.0"
#define PSD_DEFAULT_DB_CONFIG "/var/run/redis/sonic-db/database_config.json"

struct psd_daemon {
	sd_event *loop;
	sd_event_source *timer;
	struct psd_core *core;
	void *core_mem;
	struct psd_redis *redis;
	struct psd_netlink *netlink;
	bool draining;
	bool failed;
};

struct options {
	const char *db_config;
	struct psd_config cfg;
	struct psd_limits lim;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void push_ifaces(struct psd_daemon *d)
{
	struct if_nameindex *list = if_nameindex();
	struct psd_iface *ifaces = NULL;
	size_t n = 0;

	while (list != NULL && list[n].if_index != 0 && list[n].if_name != NULL)
		n++;
	if (n > 0 && (ifaces = calloc(n, sizeof(*ifaces))) == NULL)
		n = 0;
	for (size_t i = 0; i < n; i++)
		ifaces[i] = (struct psd_iface){(int32_t)list[i].if_index, list[i].if_name};
	struct psd_event ev = {.type = PSD_EV_IFACES};
	ev.u.ifaces.ifaces = ifaces;
	ev.u.ifaces.count = n;
	psd_daemon_push(d, &ev);
	free(ifaces);
	if (list != NULL)
		if_freenameindex(list);
}

static void dispatch(struct psd_daemon *d, const struct psd_action *a)
{
	switch (a->type) {
	case PSD_ACT_DB_COMMAND:
		psd_redis_command(d->redis, a->u.cmd.db, a->u.cmd.tag, a->u.cmd.argc, a->u.cmd.argv,
				  a->u.cmd.argv_len);
		return;
	case PSD_ACT_LOG:
		psd_log(a->u.log.level, "%s", a->u.log.text);
		return;
	case PSD_ACT_LOG_CONFIG:
		psd_log_setup(a->u.log_config.level, a->u.log_config.output);
		return;
	case PSD_ACT_NL_DUMP:
		if (psd_netlink_dump(d->netlink, a->u.dump.seq) < 0)
			psd_daemon_fail(d, "netlink: cannot send the RTM_GETLINK dump request");
		return;
	case PSD_ACT_NL_LISTEN:
		psd_netlink_listen(d->netlink);
		return;
	case PSD_ACT_LIST_IFACES:
		push_ifaces(d);
		return;
	case PSD_ACT_LINK_DOWN:
		psd_netlink_link_down(d->netlink, a->u.link_down.ifindex, a->u.link_down.name);
		return;
	case PSD_ACT_NOTIFY:
		sd_notify(0, a->u.notify.text);
		return;
	case PSD_ACT_EXIT:
		sd_event_exit(d->loop, a->u.exit.status);
		return;
	}
}

static void arm_timer(struct psd_daemon *d)
{
	uint64_t deadline = psd_core_next_deadline(d->core);
	if (deadline == UINT64_MAX) {
		sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(d->timer, deadline / 1000 + 1);
	sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
}

static void drain(struct psd_daemon *d)
{
	struct psd_action a;
	d->draining = true;
	while (psd_core_pull(d->core, &a))
		dispatch(d, &a);
	d->draining = false;
	arm_timer(d);
}

void psd_daemon_push(struct psd_daemon *d, const struct psd_event *ev)
{
	int r = psd_core_push(d->core, now_ns(), ev);
	if (r < 0)
		psd_log(PSD_LOG_ERROR, "core refused event %d (a bug)", (int)ev->type);
	if (!d->draining)
		drain(d);
}

void psd_daemon_flush(struct psd_daemon *d)
{
	psd_redis_flush(d->redis);
}

void psd_daemon_fail(struct psd_daemon *d, const char *what)
{
	fprintf(stderr, "portsyncd: %s\n", what);
	psd_log(PSD_LOG_ERROR, "%s", what);
	d->failed = true;
	sd_event_exit(d->loop, 1);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct psd_event ev = {.type = PSD_EV_TIMER};
	psd_daemon_push(userdata, &ev);
	psd_daemon_flush(userdata);
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct psd_event ev = {.type = PSD_EV_SHUTDOWN};
	psd_daemon_push(userdata, &ev);
	psd_daemon_flush(userdata);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: portsyncd [OPTION]...\n"
		"Mirror front-panel netdevs into SONiC's Redis (APPL_DB and STATE_DB PORT_TABLE).\n"
		"\n"
		"  --db-config PATH     database_config.json (default %s)\n"
		"  --log-level LEVEL    EMERG ALERT CRIT ERROR WARN NOTICE INFO DEBUG; pins the level\n"
		"                       (default: CONFIG_DB LOGGER|portsyncd, else NOTICE)\n"
		"  --log-output OUTPUT  syslog, stdout or stderr; pins the output\n"
		"  --compat             reproduce the C++ portsyncd where it is known to be wrong\n"
		"  --ports-max N        port table capacity (default %u, 1 to %u)\n"
		"  --inflight-max N     Redis commands in flight (default %u, 1 to %u)\n"
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n",
		PSD_DEFAULT_DB_CONFIG, PSD_PORTS_DEFAULT, PSD_PORTS_LIMIT, PSD_INFLIGHT_DEFAULT,
		PSD_INFLIGHT_LIMIT);
}

static int parse_count(const char *opt, const char *s, uint32_t max, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v == 0 || v > max) {
		fprintf(stderr, "portsyncd: %s '%s': expected a whole number from 1 to %u\n", opt, s,
			max);
		return -1;
	}
	*ret = (uint32_t)v;
	return 0;
}

static void upper(char *dst, size_t size, const char *src)
{
	size_t i = 0;
	for (; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = '\0';
}

/* 0: run; 1: exit 0 (help, version); -1: exit 2 (bad usage, message printed). */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_DB_CONFIG = 256, OPT_LOG_LEVEL, OPT_LOG_OUTPUT, OPT_COMPAT, OPT_PORTS_MAX,
	       OPT_INFLIGHT_MAX };
	static const struct option longopts[] = {
		{"db-config", required_argument, NULL, OPT_DB_CONFIG},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"log-output", required_argument, NULL, OPT_LOG_OUTPUT},
		{"compat", no_argument, NULL, OPT_COMPAT},
		{"ports-max", required_argument, NULL, OPT_PORTS_MAX},
		{"inflight-max", required_argument, NULL, OPT_INFLIGHT_MAX},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	char word[16];
	int c;

	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("portsyncd %s\n", PSD_VERSION);
			return 1;
		case OPT_DB_CONFIG:
			o->db_config = optarg;
			break;
		case OPT_LOG_LEVEL:
			upper(word, sizeof(word), optarg);
			if (psd_log_level_parse(word, strlen(word), &o->cfg.log_level) < 0) {
				fprintf(stderr, "portsyncd: --log-level '%s': expected EMERG, ALERT, "
						"CRIT, ERROR, WARN, NOTICE, INFO or DEBUG\n", optarg);
				return -1;
			}
			o->cfg.log_level_pinned = true;
			break;
		case OPT_LOG_OUTPUT:
			upper(word, sizeof(word), optarg);
			if (psd_log_output_parse(word, strlen(word), &o->cfg.log_output) < 0) {
				fprintf(stderr, "portsyncd: --log-output '%s': expected syslog, stdout "
						"or stderr\n", optarg);
				return -1;
			}
			o->cfg.log_output_pinned = true;
			break;
		case OPT_COMPAT:
			o->cfg.compat = true;
			break;
		case OPT_PORTS_MAX:
			if (parse_count("--ports-max", optarg, PSD_PORTS_LIMIT, &o->lim.ports_max) < 0)
				return -1;
			break;
		case OPT_INFLIGHT_MAX:
			if (parse_count("--inflight-max", optarg, PSD_INFLIGHT_LIMIT,
					&o->lim.inflight_max) < 0)
				return -1;
			break;
		default:
			fprintf(stderr, "Try 'portsyncd --help' for more information.\n");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "portsyncd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int setup(struct psd_daemon *d, const struct options *o)
{
	struct psd_db_endpoint ep[_PSD_DB_MAX];
	struct psd_config cfg = o->cfg;
	char err[512];
	sigset_t mask;

	if (psd_dbconfig_load(o->db_config, ep, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: cannot read the database config: %s\n", err);
		return -1;
	}
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		memcpy(cfg.separator[db], ep[db].separator, sizeof(cfg.separator[db]));
		cfg.db_id[db] = ep[db].id;
	}
	d->core_mem = calloc(1, psd_core_size(&o->lim)); /* zero-filled, as the core asks */
	if (d->core_mem == NULL || psd_core_init(&d->core, d->core_mem, &o->lim, &cfg) < 0) {
		fprintf(stderr, "portsyncd: cannot allocate the core for %u ports\n",
			o->lim.ports_max);
		return -1;
	}
	if (sd_event_new(&d->loop) < 0) {
		fprintf(stderr, "portsyncd: cannot create the event loop\n");
		return -1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (sd_event_add_signal(d->loop, NULL, SIGTERM, on_signal, d) < 0 ||
	    sd_event_add_signal(d->loop, NULL, SIGINT, on_signal, d) < 0 ||
	    sd_event_add_time(d->loop, &d->timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_timer, d) < 0) {
		fprintf(stderr, "portsyncd: cannot set up signals and timers\n");
		return -1;
	}
	d->netlink = psd_netlink_open(d->loop, d, err, sizeof(err));
	if (d->netlink == NULL) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	d->redis = psd_redis_open(d->loop, d, ep, err, sizeof(err));
	if (d->redis == NULL) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	return 0;
}

static void teardown(struct psd_daemon *d)
{
	d->redis = psd_redis_close(d->redis);
	d->netlink = psd_netlink_close(d->netlink);
	d->timer = sd_event_source_disable_unref(d->timer);
	d->loop = sd_event_unref(d->loop);
	free(d->core_mem);
}

int main(int argc, char **argv)
{
	struct options o = {
		.db_config = PSD_DEFAULT_DB_CONFIG,
		.lim = {.ports_max = PSD_PORTS_DEFAULT, .inflight_max = PSD_INFLIGHT_DEFAULT},
	};
	struct psd_daemon d = {0};
	int r = parse_options(argc, argv, &o);

	if (r != 0)
		return r > 0 ? 0 : 2;
	psd_log_setup(o.cfg.log_level_pinned ? o.cfg.log_level : PSD_LOG_NOTICE,
		      o.cfg.log_output_pinned ? o.cfg.log_output : PSD_LOG_SYSLOG);
	if (setup(&d, &o) < 0) {
		teardown(&d);
		return 1;
	}
	struct psd_event start = {.type = PSD_EV_START};
	psd_daemon_push(&d, &start);
	psd_daemon_flush(&d);
	r = d.failed ? 1 : sd_event_loop(d.loop);
	teardown(&d);
	return r < 0 ? 1 : r;
}
