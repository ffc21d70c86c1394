/*
 * portsyncd: options, the event loop (lib/loop.h), and the executor of the core's actions (the
 * driver's hooks, lib/driver.h): each action the core hands out is carried out by the adapter it
 * names, and the timer is re-armed for the core's next deadline (the loop fires at the deadline
 * itself, within PSD_TIMER_ACCURACY_NS). Fatal start-up errors (no database config, Redis
 * unreachable, netlink refused) print one line naming what is missing and exit 1; so does a
 * loop that can no longer wait or arm its timer (the core would stall: systemd starts it again).
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

#include "adapters.h"
#include "alert_rules.h"
#include "driver.h"
#include "notify.h"
#include "psd/metrics.h"
#include "settings.h"

#define PSD_VERSION "0.2.0"
#define PSD_FLAGS_MAX 64                /* flag occurrences kept for a SIGHUP reload */
#define PSD_HEAP_SLACK_BYTES (32 * 1024) /* free heap kept before it goes back to the system */

struct psd_daemon {
	struct psd_loop *loop;
	struct psd_loop_source timer; /* the core's next deadline */
	struct psd_log_watch *log_watch; /* the log output, watched while records wait for it */
	struct psd_core *core;
	void *core_mem;
	struct psd_redis *redis;
	struct psd_netlink *netlink;
	struct psd_driver driver;
	struct psd_http *http;
	uint64_t start_unix_ns; /* wall clock at start, for portsyncd_start_time_seconds */
	bool check_config; /* --check-config: validate the settings and the database config, exit */
	bool print_rules;  /* --print-prometheus-rules: the alert rules for Prometheus, exit */
	bool print_inhibit; /* --print-alertmanager-inhibit-rules: their inhibitions, exit */
	struct psd_alert_rules *rules; /* in force; a SIGHUP with a bad file keeps them */
	struct if_nameindex *ifnames; /* the last interface list handed to the core */
	struct psd_iface *ifaces;
	struct psd_netns netns; /* --namespace: the ASIC's netdevs */
	int lock_fd;            /* the instance lock, held for the process's life; -1: none */
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

/* The netdevs that exist now, kept until the next call (the driver's list_ifaces). */
static size_t list_ifaces(void *ctx, const struct psd_iface **ret)
{
	struct psd_daemon *d = ctx;
	char err[300];
	size_t n = 0;

	*ret = NULL;
	if (d->ifnames != NULL)
		if_freenameindex(d->ifnames);
	free(d->ifaces);
	d->ifaces = NULL;
	d->ifnames = NULL;
	if (d->settings.replay[0] != '\0') /* a replay's kernel is the capture's, not ours */
		return 0;
	if (psd_netns_enter(&d->netns, err, sizeof(err)) < 0) { /* the ASIC's interfaces */
		psd_log(PSD_LOG_ERROR, "%s", err);
		return 0;
	}
	d->ifnames = if_nameindex();
	if (d->ifnames == NULL)
		psd_log(PSD_LOG_ERROR, "cannot list the interfaces: %s", strerror(errno));
	if (psd_netns_leave(&d->netns, err, sizeof(err)) < 0)
		psd_log(PSD_LOG_ERROR, "%s", err);
	if (d->ifnames == NULL)
		return 0;
	while (d->ifnames[n].if_index != 0 && d->ifnames[n].if_name != NULL)
		n++;
	if (n > 0 && (d->ifaces = calloc(n, sizeof(*d->ifaces))) == NULL) {
		psd_log(PSD_LOG_ERROR, "cannot list the interfaces: out of memory");
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		d->ifaces[i] = (struct psd_iface){(int32_t)d->ifnames[i].if_index,
						  d->ifnames[i].if_name};
	*ret = d->ifaces;
	return n;
}

static uint64_t daemon_now(void *ctx)
{
	return now_ns();
}

static void command(void *ctx, enum psd_db db, uint64_t tag, uint32_t expect, uint32_t argc,
		    const char *const *argv, const size_t *argv_len)
{
	struct psd_daemon *d = ctx;
	psd_redis_command(d->redis, db, tag, expect, argc, argv, argv_len);
}

static void log_record(void *ctx, enum psd_log_level level, const char *text)
{
	psd_log_text(level, text);
}

static void log_config(void *ctx, enum psd_log_level level, enum psd_log_output output)
{
	psd_log_setup(level, output);
}

static int nl_dump(void *ctx, uint32_t seq)
{
	struct psd_daemon *d = ctx;
	return psd_netlink_dump(d->netlink, seq);
}

static void nl_listen(void *ctx)
{
	struct psd_daemon *d = ctx;
	psd_netlink_listen(d->netlink);
}

static void link_down(void *ctx, int32_t ifindex, const char *name)
{
	struct psd_daemon *d = ctx;
	psd_netlink_link_down(d->netlink, ifindex, name);
}

/* With --namespace, STATUS= names the ASIC first. A notification systemd does not take is
 * lost, as sd_notify(3) loses it. */
static void notify(void *ctx, const char *text)
{
	struct psd_daemon *d = ctx;
	char buf[PSD_NOTIFY_TEXT_MAX];
	psd_notify_format(buf, sizeof(buf), d->settings.netns, text);
	psd_notify(buf);
}

static void leave(void *ctx, int status, const char *reason)
{
	struct psd_daemon *d = ctx;
	if (reason[0] != '\0') /* fatal: said where an operator running it by hand looks */
		fprintf(stderr, "portsyncd: %s\n", reason);
	psd_loop_exit(d->loop, status);
}

static int db_connect(void *ctx, enum psd_db db, char *detail, size_t detail_size)
{
	struct psd_daemon *d = ctx;
	return psd_redis_connect(d->redis, db, detail, detail_size);
}

static int watch(void *ctx, enum psd_db db, uint32_t db_id, uint32_t count,
		 const char *const *patterns, const size_t *len, char *detail, size_t detail_size)
{
	struct psd_daemon *d = ctx;
	return psd_redis_watch(d->redis, db, db_id, count, patterns, len, detail, detail_size);
}

static void replies_wanted(void *ctx, bool wanted)
{
	struct psd_daemon *d = ctx;
	if (d->redis != NULL)
		psd_redis_replies_wanted(d->redis, wanted);
}

static void collect(void *ctx)
{
	struct psd_daemon *d = ctx;
	if (d->redis != NULL)
		psd_redis_collect(d->redis);
}

/* The core's deadline: the loop fires at it, never before, so the core finds it passed. */
static void arm_timer(void *ctx, uint64_t deadline_ns, uint64_t accuracy_ns)
{
	struct psd_daemon *d = ctx;
	psd_loop_timer_at(&d->timer, deadline_ns);
}

static const struct psd_driver_ops daemon_ops = {
	.now = daemon_now,
	.command = command,
	.log = log_record,
	.log_config = log_config,
	.nl_dump = nl_dump,
	.nl_listen = nl_listen,
	.list_ifaces = list_ifaces,
	.link_down = link_down,
	.notify = notify,
	.exit = leave,
	.db_connect = db_connect,
	.arm_timer = arm_timer,
	.watch = watch,
	.replies_wanted = replies_wanted,
	.collect = collect,
};

/* What the metrics listener serves and the STATUS= line reads: the core, now. */
static size_t render_metrics(void *ctx, char *buf, size_t size)
{
	struct psd_daemon *d = ctx;
	struct psd_metrics_info info = {
		.version = PSD_VERSION,
		.start_time_unix_ns = d->start_unix_ns,
		.now_ns = now_ns(),
		.log_output_dropped = psd_log_dropped(),
	};
	return psd_metrics_render(d->core, &info, buf, size);
}

static enum psd_health health(void *ctx, char *why, size_t size)
{
	struct psd_daemon *d = ctx;
	return psd_core_health(d->core, now_ns(), why, size);
}

static void on_timer(void *ctx, uint32_t revents)
{
	struct psd_event ev = {.type = PSD_EV_TIMER};
	struct psd_daemon *d = ctx;
	psd_driver_collect(&d->driver); /* replies come in meanwhile count before the deadline */
	psd_driver_push(&d->driver, &ev);
}

static void on_signal(void *ctx, const struct signalfd_siginfo *si)
{
	struct psd_event ev = {.type = PSD_EV_SHUTDOWN};
	struct psd_daemon *d = ctx;
	psd_driver_push(&d->driver, &ev);
}

/* SIGUSR1, SIGUSR2, SIGALRM: nothing of ours; logged, and the daemon lives on. */
static void on_ignored(void *ctx, const struct signalfd_siginfo *si)
{
	psd_log(PSD_LOG_NOTICE, "signal %s from pid %u ignored", sigabbrev_np((int)si->ssi_signo),
		si->ssi_pid);
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
	fprintf(f, "  --check-config         validate the settings, the alert rules and the database\n"
		   "                         config, exit 0 or 1\n"
		   "  --print-prometheus-rules  print the alert rules as a Prometheus rules file, exit\n"
		   "  --print-alertmanager-inhibit-rules  print the rules' inhibited_by as\n"
		   "                         Alertmanager's inhibit_rules, exit\n"
		   "  -h, --help             print this help and exit\n"
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
	return psd_settings_check(s, err, size);
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
	longopts[n++] = (struct option){"check-config", no_argument, NULL, 'C'};
	longopts[n++] = (struct option){"validate-config", no_argument, NULL, 'C'};
	longopts[n++] = (struct option){"print-prometheus-rules", no_argument, NULL, 'P'};
	longopts[n++] = (struct option){"print-alertmanager-inhibit-rules", no_argument, NULL, 'I'};
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
		case 'C':
			d->check_config = true;
			break;
		case 'P':
			d->print_rules = true;
			break;
		case 'I':
			d->print_inhibit = true;
			break;
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

static void log_ignored(void *ctx, const char *name, const char *was, const char *now)
{
	psd_log(PSD_LOG_WARN, "SIGHUP: ignored %s %s -> %s: it takes effect at the next start", name,
		was, now);
}

/* SIGHUP: the settings again from the file, the environment and the start-up flags; only the
 * reloadable ones change, each boot-only change is logged and ignored. */
static void on_reload(void *ctx, const struct signalfd_siginfo *si)
{
	struct psd_daemon *d = ctx;
	struct psd_settings next;
	struct psd_config cfg = {0};
	struct psd_limits lim;
	char err[600];

	if (load_settings(d, &next, err, sizeof(err)) < 0) {
		psd_log(PSD_LOG_ERROR, "SIGHUP: keeping the current configuration: %s", err);
		return;
	}
	struct psd_alert_rules *rules = malloc(sizeof(*rules));
	if (rules == NULL || psd_alert_rules_load(rules, next.alert_rules, err, sizeof(err)) < 0) {
		psd_log(PSD_LOG_ERROR, "SIGHUP: keeping the current alert rules (%u): %s",
			d->rules->count, rules == NULL ? "out of memory" : err);
		free(rules);
	} else {
		free(d->rules);
		d->rules = rules;
		psd_log(PSD_LOG_NOTICE, "SIGHUP: %u alert rules in force", d->rules->count);
	}
	if (next.netns[0] != '\0' && strcmp(next.netns, d->settings.netns) == 0)
		strcpy(next.db_config, d->settings.db_config); /* found through the global file */
	psd_settings_reload(&d->settings, &next, log_ignored, NULL);
	psd_settings_to_core(&d->settings, &cfg, &lim);
	cfg.alert_rules = d->rules;
	struct psd_event ev = {.type = PSD_EV_RECONFIGURE};
	ev.u.cfg = &cfg;
	psd_driver_push(&d->driver, &ev);
}

/* Multi-ASIC: the namespace's database config through the global one, and its netns. The
 * daemon and --check-config resolve -n here, and refuse alike. */
static int resolve_namespace(struct psd_daemon *d, char *err, size_t size)
{
	const char *ns = d->settings.netns;

	if (psd_dbconfig_global(d->settings.db_global_config, ns, d->settings.db_config,
				sizeof(d->settings.db_config), err, size) < 0)
		return -1;
	return psd_netns_open(&d->netns, ns, err, size);
}

/* Multi-ASIC: the namespace resolved, its name in the log ident. */
static int open_namespace(struct psd_daemon *d, char *err, size_t size)
{
	char ident[sizeof("portsyncd@") + PSD_NETNS_NAME_MAX];
	const char *ns = d->settings.netns;

	if (resolve_namespace(d, err, size) < 0)
		return -1;
	snprintf(ident, sizeof(ident), "portsyncd@%s", ns);
	psd_log_ident(ident);
	psd_log(PSD_LOG_NOTICE, "namespace %s: netdevs from /var/run/netns/%s, databases from %s",
		ns, ns, d->settings.db_config);
	return 0;
}

/* The settings, the alert rules, the instance lock, the log, the namespace and the database
 * config: the core's configuration, and where each database is. */
static int configure(struct psd_daemon *d, struct psd_config *cfg, struct psd_limits *lim,
		     struct psd_db_endpoint ep[_PSD_DB_MAX])
{
	char err[600];

	if (load_settings(d, &d->settings, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: bad configuration: %s\n", err);
		return -1;
	}
	psd_settings_to_core(&d->settings, cfg, lim);
	d->rules = malloc(sizeof(*d->rules));
	if (d->rules == NULL ||
	    psd_alert_rules_load(d->rules, d->settings.alert_rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: bad alert rules: %s\n", d->rules == NULL ? "out of memory" : err);
		return -1;
	}
	cfg->alert_rules = d->rules;
	if (psd_instance_lock(d->settings.lock_dir, d->settings.netns, &d->lock_fd, err,
			      sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	psd_log_setup(cfg->log_level_pinned ? cfg->log_level : PSD_LOG_NOTICE,
		      cfg->log_output_pinned ? cfg->log_output : PSD_LOG_SYSLOG);
	if (d->settings.netns[0] != '\0' && open_namespace(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	if (psd_dbconfig_load(d->settings.db_config, ep, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: cannot read the database config: %s\n", err);
		return -1;
	}
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		memcpy(cfg->separator[db], ep[db].separator, sizeof(cfg->separator[db]));
		cfg->db_id[db] = ep[db].id;
	}
	cfg->watchdog_ns = psd_notify_watchdog_ns(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"),
						  getpid());
	if (getrandom(&cfg->seed, sizeof(cfg->seed), GRND_NONBLOCK) != sizeof(cfg->seed))
		cfg->seed = now_ns() ^ (uint64_t)getpid(); /* jitter only: any seed will do */
	return 0;
}

/* The loop, its signals, the core's timer and the log output on it. */
static int open_loop(struct psd_daemon *d)
{
	static const struct {
		int signo;
		void (*fn)(void *ctx, const struct signalfd_siginfo *si);
	} signals[] = {{SIGTERM, on_signal},  {SIGINT, on_signal},   {SIGHUP, on_reload},
		       {SIGUSR1, on_ignored}, {SIGUSR2, on_ignored}, {SIGALRM, on_ignored}};
	char err[300];

	if ((d->loop = psd_loop_new()) == NULL) {
		fprintf(stderr, "portsyncd: cannot create the event loop: %s\n", strerror(errno));
		return -1;
	}
	if ((d->log_watch = psd_log_watch_open(d->loop, err, sizeof(err))) == NULL) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (psd_loop_signal(d->loop, signals[i].signo, signals[i].fn, d) < 0) {
			fprintf(stderr, "portsyncd: cannot set up signals\n");
			return -1;
		}
	psd_loop_timer(d->loop, &d->timer, PSD_LOOP_PRIORITY_NORMAL, on_timer, d);
	return 0;
}

/* The netlink sockets, made in the ASIC's namespace with --namespace. */
static int open_netlink(struct psd_daemon *d, struct psd_config *cfg)
{
	struct psd_netlink_options nl = {
		.rcvbuf_bytes = (int)d->settings.nl_rcvbuf_bytes,
		.record_path = d->settings.record,
		.replay_path = d->settings.replay,
		.replay_recorded_time = d->settings.replay_recorded_time,
		.replay_lockstep = d->settings.replay_lockstep,
	};
	char err[600];

	if (psd_netns_enter(&d->netns, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	d->netlink = psd_netlink_open(d->loop, &d->driver, &nl, err, sizeof(err));
	if (psd_netns_leave(&d->netns, err, sizeof(err)) < 0) { /* Redis and the rest: here */
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	if (d->netlink == NULL) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	cfg->nl_rcvbuf_bytes = psd_netlink_rcvbuf(d->netlink);
	return 0;
}

/* The core in its zero-filled block, the clocks it is handed, and its driver. */
static int open_core(struct psd_daemon *d, struct psd_config *cfg, const struct psd_limits *lim)
{
	struct timespec mono, wall;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	cfg->realtime_offset_ns = ((int64_t)wall.tv_sec - mono.tv_sec) * 1000000000ll +
				  (wall.tv_nsec - mono.tv_nsec);
	d->start_unix_ns = (uint64_t)wall.tv_sec * 1000000000ull + (uint64_t)wall.tv_nsec;
	d->core_mem = calloc(1, psd_core_size(lim)); /* zero-filled, as the core asks */
	if (d->core_mem == NULL || psd_core_init(&d->core, d->core_mem, lim, cfg) < 0) {
		fprintf(stderr, "portsyncd: cannot allocate the core for %u ports\n", lim->ports_max);
		return -1;
	}
	psd_driver_init(&d->driver, d->core, &daemon_ops, d);
	return 0;
}

/* --metrics: the listener, on the ASIC's loopback with --namespace, as under
 * portsyncd@.service: one per ASIC. */
static int open_http(struct psd_daemon *d)
{
	struct psd_http_options http = {
		.address = d->settings.metrics_address,
		.port = (uint16_t)d->settings.metrics_port,
		.render_metrics = render_metrics,
		.health = health,
		.ctx = d,
	};
	char err[600], back[300];

	if (psd_netns_enter(&d->netns, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	d->http = psd_http_open(d->loop, &http, err, sizeof(err));
	if (psd_netns_leave(&d->netns, back, sizeof(back)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", back);
		return -1;
	}
	if (d->http == NULL) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	return 0;
}

static int setup(struct psd_daemon *d)
{
	struct psd_db_endpoint ep[_PSD_DB_MAX];
	struct psd_config cfg = {0};
	struct psd_limits lim;
	char err[600];

	if (configure(d, &cfg, &lim, ep) < 0 || open_loop(d) < 0 || open_netlink(d, &cfg) < 0 ||
	    open_core(d, &cfg, &lim) < 0)
		return -1;
	d->redis = psd_redis_open(d->loop, &d->driver, ep, err, sizeof(err));
	if (d->redis == NULL) {
		fprintf(stderr, "portsyncd: %s\n", err);
		return -1;
	}
	return d->settings.metrics ? open_http(d) : 0;
}

/* --check-config: the settings (file, environment, flags) and the database config as the daemon
 * would read them (with -n, the namespace's, through the global file); every error names its
 * file and line or key. */
static int check_config(struct psd_daemon *d)
{
	struct psd_db_endpoint ep[_PSD_DB_MAX];
	char err[600];
	int bad = 0;

	if (load_settings(d, &d->settings, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err);
		bad = 1;
		/* the database config where the valid sources put it (their errors are printed) */
		psd_settings_defaults(&d->settings);
		psd_settings_file(&d->settings, d->config_file, false, err, sizeof(err));
		psd_settings_env(&d->settings, err, sizeof(err));
		for (int i = 0; i < d->flag_count; i++)
			psd_settings_flag(&d->settings, d->flag_index[i], d->flag_value[i], err,
					  sizeof(err));
	}
	if (d->settings.netns[0] != '\0' && resolve_namespace(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err); /* the database config is not known */
		bad = 1;
	} else if (psd_dbconfig_load(d->settings.db_config, ep, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: %s\n", err);
		bad = 1;
	}
	psd_netns_close(&d->netns);
	d->rules = malloc(sizeof(*d->rules));
	if (d->rules == NULL ||
	    psd_alert_rules_load(d->rules, d->settings.alert_rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "portsyncd: bad alert rules: %s\n", d->rules == NULL ? "out of memory" : err);
		bad = 1;
	}
	free(d->rules);
	if (bad)
		return 1;
	char ns[PSD_NETNS_NAME_MAX + PSD_PATH_MAX + 32] = "";
	if (d->settings.netns[0] != '\0')
		snprintf(ns, sizeof(ns), "namespace %s through %s, ", d->settings.netns,
			 d->settings.db_global_config);
	printf("portsyncd: configuration OK (settings %s%s, %sdatabase config %s)\n",
	       d->config_file, access(d->config_file, R_OK) == 0 ? "" : " absent: defaults", ns,
	       d->settings.db_config);
	return 0;
}

/* --print-prometheus-rules, --print-alertmanager-inhibit-rules: the rules in force (shipped, then
 * the settings' file) for Prometheus, or their inhibitions for Alertmanager */
static int print_rules(struct psd_daemon *d)
{
	char err[600];
	struct psd_alert_rules *rules = malloc(sizeof(*rules));
	int r = 1;

	if (load_settings(d, &d->settings, err, sizeof(err)) < 0)
		fprintf(stderr, "portsyncd: %s\n", err);
	else if (rules == NULL ||
		 psd_alert_rules_load(rules, d->settings.alert_rules, err, sizeof(err)) < 0)
		fprintf(stderr, "portsyncd: bad alert rules: %s\n", rules == NULL ? "out of memory" : err);
	else {
		if (d->print_inhibit)
			psd_alert_rules_print_inhibit(rules, stdout);
		else
			psd_alert_rules_print_prometheus(rules, stdout);
		r = 0;
	}
	free(rules);
	return r;
}

static void teardown(struct psd_daemon *d)
{
	d->http = psd_http_close(d->http);
	d->redis = psd_redis_close(d->redis);
	d->netlink = psd_netlink_close(d->netlink);
	d->log_watch = psd_log_watch_close(d->log_watch);
	psd_loop_remove(&d->timer);
	d->loop = psd_loop_free(d->loop);
	psd_netns_close(&d->netns);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->core_mem);
	free(d->rules);
	free(d->ifaces);
	if (d->ifnames != NULL)
		if_freenameindex(d->ifnames);
}

int main(int argc, char **argv)
{
	/* not on the stack: pages of it never written stay unbacked, and the stack stays shallow */
	static struct psd_daemon d;
	sigset_t mask;

	d.netns.target = d.netns.home = -1;
	d.lock_fd = -1;

	/* before anything else: a signal that comes during start-up waits for the loop's handler
	 * (SIGHUP, SIGUSR1 and the like would otherwise kill the daemon) */
	sigemptyset(&mask);
	for (const int *s = (const int[]){SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, 0};
	     *s != 0; s++)
		sigaddset(&mask, *s);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int r = parse_options(argc, argv, &d);

	if (r != 0)
		return r > 0 ? 0 : 2;
	if (d.check_config)
		return check_config(&d);
	if (d.print_rules || d.print_inhibit)
		return print_rules(&d);
	/* a small, steady footprint: give freed heap back instead of keeping 128 KiB of slack */
	mallopt(M_TOP_PAD, PSD_HEAP_SLACK_BYTES);
	mallopt(M_TRIM_THRESHOLD, PSD_HEAP_SLACK_BYTES);
	if (setup(&d) < 0) {
		teardown(&d);
		return 1;
	}
	struct psd_event start = {.type = PSD_EV_START};
	psd_driver_push(&d.driver, &start);
	r = psd_loop_run(d.loop);
	if (r < 0)
		fprintf(stderr, "portsyncd: the event loop failed: %s\n", strerror(-r));
	teardown(&d);
	return r < 0 ? 1 : r;
}
