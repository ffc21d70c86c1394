/*
 * portsyncd: options, the sd-event loop, and the dispatch of core actions to the adapters.
 * After every event the core is drained: each action it hands out is carried out at once,
 * then the timer is re-armed for the core's next deadline. Fatal start-up errors (no database
 * config, Redis unreachable, netlink refused) print one line naming what is missing and exit 1.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "adapters.h"
#include "settings.h"

#define PSD_VERSION "0.2.0"
#define PSD_FLAGS_MAX 64                /* flag occurrences kept for a SIGHUP reload */
#define PSD_HEAP_SLACK_BYTES (32 * 1024) /* free heap kept before it goes back to the system */

struct psd_daemon {
	sd_event *loop;
	sd_event_source *timer;
	struct psd_core *core;
	void *core_mem;
	struct psd_redis *redis;
	struct psd_netlink *netlink;
	struct psd_netns netns; /* --namespace: the ASIC's netdevs */
	bool draining;
	/* what a SIGHUP reload starts from again: the file, the environment, these flags */
	const char *config_file;
	bool config_file_required;
	int flag_count;
	int flag_index[PSD_FLAGS_MAX];
	const char *flag_value[PSD_FLAGS_MAX];
	struct psd_settings settings;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void push_ifaces(struct psd_daemon *d)
{
	char err[300];
	struct if_nameindex *list = NULL;
	struct psd_iface *ifaces = NULL;
	size_t n = 0;

	if (psd_netns_enter(&d->netns, err, sizeof(err)) == 0) { /* the ASIC's interfaces */
		list = if_nameindex();
		if (psd_netns_leave(&d->netns, err, sizeof(err)) < 0)
			psd_log(PSD_LOG_ERROR, "%s", err);
	} else {
		psd_log(PSD_LOG_ERROR, "%s", err);
	}

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
		if (psd_netlink_dump(d->netlink, a->u.dump.seq) < 0) {
			struct psd_event ev = {.type = PSD_EV_NL_LOSS};
			ev.u.loss = PSD_LOSS_DUMP_INTR; /* the core asks again after its interval */
			psd_daemon_push(d, &ev);
		}
		return;
	case PSD_ACT_NL_LISTEN:
		psd_netlink_listen(d->netlink);
		return;
	case PSD_ACT_LIST_IFACES:
		if (d->settings.replay[0] != '\0') { /* a replay's kernel is the capture's, not ours */
			struct psd_event ev = {.type = PSD_EV_IFACES};
			psd_daemon_push(d, &ev);
			return;
		}
		push_ifaces(d);
		return;
	case PSD_ACT_LINK_DOWN:
		psd_netlink_link_down(d->netlink, a->u.link_down.ifindex, a->u.link_down.name);
		return;
	case PSD_ACT_NOTIFY:
		if (d->settings.netns[0] != '\0' && strncmp(a->u.notify.text, "STATUS=", 7) == 0)
			sd_notifyf(0, "STATUS=%s: %s", d->settings.netns, a->u.notify.text + 7);
		else
			sd_notify(0, a->u.notify.text);
		return;
	case PSD_ACT_EXIT:
		sd_event_exit(d->loop, a->u.exit.status);
		return;
	case PSD_ACT_DB_CONNECT:
		psd_redis_connect(d->redis, a->u.db);
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
	fprintf(f, "Usage: portsyncd [OPTION]...\n"
		   "Mirror front-panel netdevs into SONiC's Redis (APPL_DB and STATE_DB PORT_TABLE).\n"
		   "Settings come from the file, then PORTSYNCD_<SECTION>_<KEY>, then these flags.\n\n"
		   "  -c, --config FILE      settings file (default %s; optional)\n"
		   "  -n NAME                the same as --namespace NAME\n",
		PSD_DEFAULT_CONFIG_FILE);
	for (int i = 0; i < psd_settings_flag_count(); i++)
		fprintf(f, "  --%-20s %s\n", psd_settings_flag_name(i), psd_settings_flag_help(i));
	fprintf(f, "  -h, --help             print this help and exit\n"
		   "  -V, --version          print the version and exit\n");
}

/* Settings from scratch: defaults, the file, the environment, the flags given at start. */
static int load_settings(const struct psd_daemon *d, struct psd_settings *s, char *err,
			 size_t size)
{
	psd_settings_defaults(s);
	if (psd_settings_file(s, d->config_file, d->config_file_required, err, size) < 0 ||
	    psd_settings_env(s, err, size) < 0)
		return -1;
	for (int i = 0; i < d->flag_count; i++)
		if (psd_settings_flag(s, d->flag_index[i], d->flag_value[i], err, size) < 0)
			return -1;
	if (s->reconnect_min_ms > s->reconnect_max_ms) {
		snprintf(err, size, "reconnect_min_ms (%llu) must not exceed reconnect_max_ms (%llu)",
			 (unsigned long long)s->reconnect_min_ms,
			 (unsigned long long)s->reconnect_max_ms);
		return -1;
	}
	return 0;
}

/* 0: run; 1: exit 0 (help, version); -1: exit 2 (bad usage, message printed). */
static int parse_options(int argc, char **argv, struct psd_daemon *d)
{
	static struct option longopts[64];
	int n = 0, c, index;

	for (int i = 0; i < psd_settings_flag_count(); i++) {
		bool is_bool = psd_settings_flag_is_bool(i);
		longopts[n++] = (struct option){psd_settings_flag_name(i),
						is_bool ? optional_argument : required_argument,
						NULL, 256 + i};
	}
	longopts[n++] = (struct option){"config", required_argument, NULL, 'c'};
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n++] = (struct option){"version", no_argument, NULL, 'V'};
	longopts[n] = (struct option){0};
	d->config_file = PSD_DEFAULT_CONFIG_FILE;
	while ((c = getopt_long(argc, argv, "hVc:n:", longopts, &index)) != -1) {
		if (c == 'n') /* -n NAME: --namespace NAME, as swss's daemons take it */
			c = 256 + psd_settings_flag_find("namespace");
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("portsyncd %s\n", PSD_VERSION);
			return 1;
		case 'c':
			d->config_file = optarg;
			d->config_file_required = true;
			break;
		case '?':
			fprintf(stderr, "Try 'portsyncd --help' for more information.\n");
			return -1;
		default: {
			char err[600];
			struct psd_settings probe;
			if (d->flag_count == PSD_FLAGS_MAX) {
				fprintf(stderr, "portsyncd: more than %d flags\n", PSD_FLAGS_MAX);
				return -1;
			}
			psd_settings_defaults(&probe); /* reject a bad value now, with its flag */
			if (psd_settings_flag(&probe, c - 256, optarg != NULL ? optarg : "true", err,
					      sizeof(err)) < 0) {
				fprintf(stderr, "portsyncd: %s\n", err);
				return -1;
			}
			d->flag_index[d->flag_count] = c - 256;
			d->flag_value[d->flag_count++] = optarg != NULL ? optarg : "true";
			break;
		}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "portsyncd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* SIGHUP: the settings again from the file, the environment and the start-up flags. */
static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct psd_daemon *d = userdata;
	struct psd_settings next;
	struct psd_config cfg = {0};
	struct psd_limits lim;
	char err[600];

	if (load_settings(d, &next, err, sizeof(err)) < 0) {
		psd_log(PSD_LOG_ERROR, "SIGHUP: keeping the current configuration: %s", err);
		return 0;
	}
	if (next.netns[0] != '\0' && strcmp(next.netns, d->settings.netns) == 0)
		strcpy(next.db_config, d->settings.db_config); /* found through the global file */
	if (strcmp(next.db_config, d->settings.db_config) != 0 ||
	    strcmp(next.netns, d->settings.netns) != 0 ||
	    next.ports_max != d->settings.ports_max ||
	    next.inflight_max != d->settings.inflight_max || next.compat != d->settings.compat ||
	    next.nl_rcvbuf_bytes != d->settings.nl_rcvbuf_bytes ||
	    strcmp(next.record, d->settings.record) != 0 ||
	    strcmp(next.replay, d->settings.replay) != 0 ||
	    next.replay_recorded_time != d->settings.replay_recorded_time)
		psd_log(PSD_LOG_WARN, "SIGHUP: db_config, namespace, ports_max, inflight_max, compat, "
				      "rcvbuf_bytes and the capture settings take effect at the next "
				      "start");
	psd_settings_to_core(&next, &cfg, &lim);
	struct psd_event ev = {.type = PSD_EV_RECONFIGURE};
	ev.u.cfg = &cfg;
	psd_daemon_push(d, &ev);
	psd_daemon_flush(d);
	d->settings = next;
	return 0;
}

/* Multi-ASIC: the namespace's database config through the global one, its netns, its name in
 * the log ident. */
static int open_namespace(struct psd_daemon *d, char *err, size_t size)
{
	char ident[sizeof("portsyncd@") + PSD_NETNS_NAME_MAX];
	const char *ns = d->settings.netns;

	if (psd_dbconfig_global(d->settings.db_global_config, ns, d->settings.db_config,
				sizeof(d->settings.db_config), err, size) < 0)
		return -1;
	if (psd_netns_open(&d->netns, ns, err, size) < 0)
		return -1;
	snprintf(ident, sizeof(ident), "portsyncd@%s", ns);
	psd_log_ident(ident);
	psd_log(PSD_LOG_NOTICE, "namespace %s: netdevs from /var/run/netns/%s, databases from %s",
		ns, ns, d->settings.db_config);
	return 0;
}

static int setup(struct psd_daemon *d)
{
	struct psd_db_endpoint ep[_PSD_DB_MAX];
	struct psd_config cfg = {0};
	struct psd_limits lim;
	char err[600];
	sigset_t mask;

	if (load_settings(d, &d->settings, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: bad configuration: %s\n", err);
		return -1;
	}
	psd_settings_to_core(&d->settings, &cfg, &lim);
	psd_log_setup(cfg.log_level_pinned ? cfg.log_level : PSD_LOG_NOTICE,
		      cfg.log_output_pinned ? cfg.log_output : PSD_LOG_SYSLOG);
	if (d->settings.netns[0] != '\0' && open_namespace(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	if (psd_dbconfig_load(d->settings.db_config, ep, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: cannot read the database config: %s\n", err);
		return -1;
	}
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		memcpy(cfg.separator[db], ep[db].separator, sizeof(cfg.separator[db]));
		cfg.db_id[db] = ep[db].id;
	}
	uint64_t watchdog_usec = 0;
	if (sd_watchdog_enabled(0, &watchdog_usec) > 0)
		cfg.watchdog_ns = watchdog_usec * 1000;
	if (getrandom(&cfg.seed, sizeof(cfg.seed), GRND_NONBLOCK) != sizeof(cfg.seed))
		cfg.seed = now_ns() ^ (uint64_t)getpid(); /* jitter only: any seed will do */
	d->core_mem = calloc(1, psd_core_size(&lim)); /* zero-filled, as the core asks */
	if (d->core_mem == NULL || psd_core_init(&d->core, d->core_mem, &lim, &cfg) < 0) {
		fprintf(stderr, "portsyncd: cannot allocate the core for %u ports\n", lim.ports_max);
		return -1;
	}
	if (sd_event_new(&d->loop) < 0) {
		fprintf(stderr, "portsyncd: cannot create the event loop\n");
		return -1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (sd_event_add_signal(d->loop, NULL, SIGTERM, on_signal, d) < 0 ||
	    sd_event_add_signal(d->loop, NULL, SIGINT, on_signal, d) < 0 ||
	    sd_event_add_signal(d->loop, NULL, SIGHUP, on_reload, d) < 0 ||
	    sd_event_add_time(d->loop, &d->timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_timer, d) < 0) {
		fprintf(stderr, "portsyncd: cannot set up signals and timers\n");
		return -1;
	}
	struct psd_netlink_options nl = {
		.rcvbuf_bytes = (int)d->settings.nl_rcvbuf_bytes,
		.record_path = d->settings.record,
		.replay_path = d->settings.replay,
		.replay_recorded_time = d->settings.replay_recorded_time,
	};
	if (psd_netns_enter(&d->netns, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	d->netlink = psd_netlink_open(d->loop, d, &nl, err, sizeof(err));
	if (psd_netns_leave(&d->netns, err, sizeof(err)) < 0) { /* Redis and the rest: here */
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
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
	psd_netns_close(&d->netns);
	free(d->core_mem);
}

int main(int argc, char **argv)
{
	struct psd_daemon d = {.netns = {.target = -1, .home = -1}};
	int r = parse_options(argc, argv, &d);

	if (r != 0)
		return r > 0 ? 0 : 2;
	/* a small, steady footprint: give freed heap back instead of keeping 128 KiB of slack */
	mallopt(M_TOP_PAD, PSD_HEAP_SLACK_BYTES);
	mallopt(M_TRIM_THRESHOLD, PSD_HEAP_SLACK_BYTES);
	if (setup(&d) < 0) {
		teardown(&d);
		return 1;
	}
	struct psd_event start = {.type = PSD_EV_START};
	psd_daemon_push(&d, &start);
	psd_daemon_flush(&d);
	r = sd_event_loop(d.loop);
	teardown(&d);
	return r < 0 ? 1 : r;
}
