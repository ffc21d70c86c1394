/* Settings: file, environment and flags through one table of keys (see settings.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ini.h>

#include "adapters.h"
#include "settings.h"

enum kind {
	KIND_PATH,
	KIND_NAME,
	KIND_BOOL,
	KIND_COUNT,
	KIND_LEVEL,
	KIND_OUTPUT,
	KIND_ADDRESS,
};

struct key {
	const char *section;
	const char *name;
	const char *flag;
	enum kind kind;
	bool boot_only;  /* read once at start: a reload keeps the running value and says so */
	uint64_t min;    /* KIND_COUNT: the range; KIND_PATH: of the length */
	uint64_t max;
	uint64_t def;    /* the default of a count, a bool, a level or an output */
	const char *def_path;
	size_t offset;
	size_t size;
	const char *help; /* psd_settings_flag_help() adds the default */
};

#define AT(field) offsetof(struct psd_settings, field), sizeof(((struct psd_settings *)0)->field)
#define MS(ns) ((ns) / PSD_NS_PER_MS)
#define PATH_RANGE 1, PSD_PATH_MAX - 1

/* Every range and default of a core setting comes from psd/limits.h. */
static const struct key keys[] = {
	{"daemon", "db_config", "db-config", KIND_PATH, true, PATH_RANGE, 0, PSD_DEFAULT_DB_CONFIG,
	 AT(db_config), "database_config.json (not read with --namespace)"},
	{"daemon", "namespace", "namespace", KIND_NAME, true, 1, PSD_NETNS_NAME_MAX, 0, NULL, AT(netns),
	 "run for this ASIC (multi-ASIC): its database_config.json from the global one, its "
	 "netdevs from /var/run/netns/NAME (default: none)"},
	{"daemon", "db_global_config", "db-global-config", KIND_PATH, true, PATH_RANGE, 0,
	 PSD_DEFAULT_DB_GLOBAL_CONFIG, AT(db_global_config),
	 "database_global.json, read with --namespace"},
	{"daemon", "lock_dir", "lock-dir", KIND_PATH, true, PATH_RANGE, 0, PSD_DEFAULT_LOCK_DIR,
	 AT(lock_dir), "directory of the instance lock (one daemon per namespace)"},
	{"daemon", "compat", "compat", KIND_BOOL, true, 0, 1, false, NULL, AT(compat),
	 "reproduce the C++ portsyncd where it is known to be wrong"},
	{"daemon", "ports_max", "ports-max", KIND_COUNT, true, 1, PSD_PORTS_LIMIT, PSD_PORTS_DEFAULT,
	 NULL, AT(ports_max), "port table capacity"},
	{"daemon", "inflight_max", "inflight-max", KIND_COUNT, true, 1, PSD_INFLIGHT_LIMIT,
	 PSD_INFLIGHT_DEFAULT, NULL, AT(inflight_max), "Redis commands in flight"},
	{"log", "level", "log-level", KIND_LEVEL, false, 0, 0, PSD_LOG_NOTICE, NULL, AT(log_level),
	 "EMERG ALERT CRIT ERROR WARN NOTICE INFO DEBUG; pins the level (default: CONFIG_DB)"},
	{"log", "output", "log-output", KIND_OUTPUT, false, 0, 0, PSD_LOG_SYSLOG, NULL, AT(log_output),
	 "syslog, stdout or stderr; pins the output (default: CONFIG_DB, else syslog)"},
	{"redis", "reconnect_min_ms", "reconnect-min-ms", KIND_COUNT, false, MS(PSD_RECONNECT_MIN_NS),
	 MS(PSD_RECONNECT_MAX_NS), MS(PSD_RECONNECT_MIN_DEFAULT_NS), NULL, AT(reconnect_min_ms),
	 "first reconnect delay"},
	{"redis", "reconnect_max_ms", "reconnect-max-ms", KIND_COUNT, false, MS(PSD_RECONNECT_MIN_NS),
	 MS(PSD_RECONNECT_MAX_NS), MS(PSD_RECONNECT_MAX_DEFAULT_NS), NULL, AT(reconnect_max_ms),
	 "reconnect backoff cap"},
	{"redis", "stall_ms", "redis-stall-ms", KIND_COUNT, false, MS(PSD_REDIS_STALL_MIN_NS),
	 MS(PSD_REDIS_STALL_MAX_NS), MS(PSD_REDIS_STALL_DEFAULT_NS), NULL, AT(redis_stall_ms),
	 "commands unanswered this long are logged as a Redis stall"},
	{"netlink", "redump_interval_ms", "redump-interval-ms", KIND_COUNT, false,
	 MS(PSD_REDUMP_INTERVAL_MIN_NS), MS(PSD_REDUMP_INTERVAL_MAX_NS),
	 MS(PSD_REDUMP_INTERVAL_DEFAULT_NS), NULL, AT(redump_interval_ms),
	 "least time between two re-dumps after a loss"},
	{"netlink", "rcvbuf_bytes", "nl-rcvbuf-bytes", KIND_COUNT, true, PSD_NL_RCVBUF_MIN,
	 PSD_NL_RCVBUF_MAX, PSD_NL_RCVBUF_DEFAULT, NULL, AT(nl_rcvbuf_bytes),
	 "event socket receive buffer, capped by net.core.rmem_max"},
	{"capture", "record", "record", KIND_PATH, true, PATH_RANGE, 0, NULL, AT(record),
	 "write every netlink datagram received to this pcap file (LINKTYPE_NETLINK)"},
	{"capture", "replay", "replay", KIND_PATH, true, PATH_RANGE, 0, NULL, AT(replay),
	 "feed this pcap capture instead of the live netlink sockets"},
	{"capture", "replay_recorded_time", "replay-recorded-time", KIND_BOOL, true, 0, 1, false, NULL,
	 AT(replay_recorded_time), "replay at the capture's pace (default: full speed)"},
	{"capture", "replay_lockstep", "replay-lockstep", KIND_BOOL, true, 0, 1, false, NULL,
	 AT(replay_lockstep),
	 "feed the next datagram once Redis has answered everything (as the simulator does)"},
	{"metrics", "enabled", "metrics", KIND_BOOL, true, 0, 1, true, NULL, AT(metrics),
	 "serve /metrics and /health over HTTP"},
	{"metrics", "address", "metrics-address", KIND_ADDRESS, true, 1, PSD_ADDRESS_LEN_MAX, 0,
	 PSD_METRICS_ADDRESS_DEFAULT, AT(metrics_address),
	 "listen address (other than loopback only with metrics-allow-remote)"},
	{"metrics", "port", "metrics-port", KIND_COUNT, true, 1, 65535, PSD_METRICS_PORT_DEFAULT, NULL,
	 AT(metrics_port), "listen port"},
	{"metrics", "allow_remote", "metrics-allow-remote", KIND_BOOL, true, 0, 1, false, NULL,
	 AT(metrics_allow_remote), "allow a metrics address that is not loopback"},
	{"metrics", "health_failing_ms", "health-failing-ms", KIND_COUNT, true, 100, 3600000,
	 MS(PSD_HEALTH_DB_DOWN_DEFAULT_NS), NULL, AT(health_failing_ms),
	 "a database unreachable this long makes /health failing"},
	{"links", "stats", "link-stats", KIND_BOOL, true, 0, 1, true, NULL, AT(link_stats),
	 "STATE_DB PORT_LINK_STATS and a log line per link change (off with compat)"},
	{"alerts", "rules", "alert-rules", KIND_PATH, false, PATH_RANGE, 0, NULL, AT(alert_rules),
	 "alert rule file ([alert NAME] sections, docs/alerts.md) on top of the shipped rules "
	 "(default: the shipped rules only)"},
};

#define KEY_COUNT (int)(sizeof(keys) / sizeof(keys[0]))

/* A count, bool or enum into its field, whatever the field's width. */
static void store(struct psd_settings *s, const struct key *k, uint64_t v)
{
	char *field = (char *)s + k->offset;
	switch (k->size) {
	case sizeof(uint8_t): {
		uint8_t u = (uint8_t)v;
		memcpy(field, &u, sizeof(u));
		return;
	}
	case sizeof(uint32_t): {
		uint32_t u = (uint32_t)v;
		memcpy(field, &u, sizeof(u));
		return;
	}
	case sizeof(uint64_t):
		memcpy(field, &v, sizeof(v));
		return;
	}
	abort(); /* a field of a width the table does not know: a bug in the table */
}

/* The same back. */
static uint64_t load(const struct psd_settings *s, const struct key *k)
{
	const char *field = (const char *)s + k->offset;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;

	switch (k->size) {
	case sizeof(uint8_t):
		memcpy(&u8, field, sizeof(u8));
		return u8;
	case sizeof(uint32_t):
		memcpy(&u32, field, sizeof(u32));
		return u32;
	case sizeof(uint64_t):
		memcpy(&u64, field, sizeof(u64));
		return u64;
	}
	abort();
}

void psd_settings_defaults(struct psd_settings *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < KEY_COUNT; i++) {
		if (keys[i].kind != KIND_PATH && keys[i].kind != KIND_NAME &&
		    keys[i].kind != KIND_ADDRESS)
			store(s, &keys[i], keys[i].def);
		else if (keys[i].def_path != NULL)
			snprintf((char *)s + keys[i].offset, keys[i].size, "%s", keys[i].def_path);
	}
}

static bool is_loopback(const char *address)
{
	struct in_addr v4;
	struct in6_addr v6;
	if (inet_pton(AF_INET, address, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, address, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

int psd_settings_check(const struct psd_settings *s, char *err, size_t err_size)
{
	if (s->reconnect_min_ms > s->reconnect_max_ms)
		return psd_errorf(err, err_size,
				  "reconnect_min_ms (%llu) must not exceed reconnect_max_ms (%llu)",
				  (unsigned long long)s->reconnect_min_ms,
				  (unsigned long long)s->reconnect_max_ms);
	if (s->metrics && !s->metrics_allow_remote && !is_loopback(s->metrics_address))
		return psd_errorf(err, err_size,
				  "metrics address '%s' is not loopback: set metrics.allow_remote "
				  "(--metrics-allow-remote) to serve metrics beyond this host",
				  s->metrics_address);
	return 0;
}

static void upper(char *dst, size_t size, const char *src)
{
	size_t i = 0;
	for (; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = '\0';
}

/* A namespace name: a file name under /var/run/netns, and a word in logs and STATUS=. */
static bool is_name(const char *value, size_t max)
{
	size_t len = strlen(value);
	if (len == 0 || len > max || value[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)value[i]) && strchr("._-", value[i]) == NULL)
			return false;
	return true;
}

/* Stores value into the key's field; -1 with "key 'value': allowed" in err. */
static int apply(struct psd_settings *s, const struct key *k, const char *value, char *err,
		 size_t size)
{
	char word[16];
	char *field = (char *)s + k->offset;
	char *end;

	switch (k->kind) {
	case KIND_PATH:
		if (value[0] == '\0' || strlen(value) > k->max)
			return psd_errorf(err, size, "%s '%s': expected a path of 1 to %llu bytes", k->name,
				    value, (unsigned long long)k->max);
		strcpy(field, value);
		return 0;
	case KIND_NAME:
		if (!is_name(value, k->max))
			return psd_errorf(err, size, "%s '%s': expected a name of 1 to %llu letters, "
					       "digits, '.', '_' or '-', not starting with '.'", k->name,
				    value, (unsigned long long)k->max);
		strcpy(field, value);
		return 0;
	case KIND_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0)
			store(s, k, true);
		else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
			 strcmp(value, "no") == 0)
			store(s, k, false);
		else
			return psd_errorf(err, size, "%s '%s': expected true or false", k->name, value);
		return 0;
	case KIND_COUNT: {
		errno = 0;
		unsigned long long v = strtoull(value, &end, 10);
		if (errno != 0 || value[0] == '\0' || value[0] == '-' || *end != '\0' || v < k->min ||
		    v > k->max)
			return psd_errorf(err, size, "%s '%s': expected a whole number from %llu to %llu",
				    k->name, value, (unsigned long long)k->min,
				    (unsigned long long)k->max);
		store(s, k, v);
		return 0;
	}
	case KIND_LEVEL:
		upper(word, sizeof(word), value);
		if (psd_log_level_parse(word, strlen(word), &s->log_level) < 0)
			return psd_errorf(err, size, "%s '%s': expected EMERG, ALERT, CRIT, ERROR, WARN, "
					       "NOTICE, INFO or DEBUG", k->name, value);
		s->log_level_set = true;
		return 0;
	case KIND_OUTPUT:
		upper(word, sizeof(word), value);
		if (psd_log_output_parse(word, strlen(word), &s->log_output) < 0)
			return psd_errorf(err, size, "%s '%s': expected syslog, stdout or stderr", k->name,
				    value);
		s->log_output_set = true;
		return 0;
	case KIND_ADDRESS: {
		unsigned char probe[sizeof(struct in6_addr)];
		if (strlen(value) > k->max || (inet_pton(AF_INET, value, probe) != 1 &&
					       inet_pton(AF_INET6, value, probe) != 1))
			return psd_errorf(err, size, "%s '%s': expected an IPv4 or IPv6 address "
					       "(127.0.0.1, ::1)", k->name, value);
		strcpy(field, value);
		return 0;
	}
	}
	return psd_errorf(err, size, "%s: unknown kind", k->name);
}

struct file_ctx {
	struct psd_settings *s;
	char *err;
	size_t err_size;
	bool failed;
};

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct file_ctx *f = user;
	for (int i = 0; i < KEY_COUNT; i++) {
		if (strcmp(keys[i].section, section) != 0 || strcmp(keys[i].name, name) != 0)
			continue;
		if (apply(f->s, &keys[i], value, f->err, f->err_size) < 0) {
			f->failed = true;
			return 0;
		}
		return 1;
	}
	f->failed = true;
	psd_errorf(f->err, f->err_size, "unknown key '%s' in section [%s]; see docs/configuration.md",
	     name, section);
	return 0;
}

int psd_settings_stream(struct psd_settings *s, FILE *in, const char *path, char *err,
			size_t err_size)
{
	struct psd_settings next = *s;
	char why[512] = "";
	struct file_ctx f = {&next, why, sizeof(why), false};
	int line = ini_parse_file(in, on_ini, &f);

	if (line != 0)
		return psd_errorf(err, err_size, "%s:%d: %s", path, line,
			    f.failed ? why : "not an INI line ([section] or key = value)");
	*s = next;
	return 0;
}

int psd_settings_file(struct psd_settings *s, const char *path, bool required, char *err,
		      size_t err_size)
{
	FILE *in = fopen(path, "r");
	int r;

	if (in == NULL) {
		if (!required && errno == ENOENT)
			return 0;
		return psd_errorf(err, err_size, "%s: %s", path, strerror(errno));
	}
	r = psd_settings_stream(s, in, path, err, err_size);
	fclose(in);
	return r;
}

int psd_settings_env(struct psd_settings *s, char *err, size_t err_size)
{
	char var[96], why[512];
	for (int i = 0; i < KEY_COUNT; i++) {
		snprintf(var, sizeof(var), "PORTSYNCD_%s_%s", keys[i].section, keys[i].name);
		upper(var, sizeof(var), var);
		const char *value = getenv(var);
		if (value != NULL && apply(s, &keys[i], value, why, sizeof(why)) < 0)
			return psd_errorf(err, err_size, "environment %s: %s", var, why);
	}
	return 0;
}

int psd_settings_flag(struct psd_settings *s, int index, const char *value, char *err,
		      size_t err_size)
{
	char why[512];
	if (index < 0 || index >= KEY_COUNT)
		return psd_errorf(err, err_size, "no such setting");
	if (apply(s, &keys[index], value, why, sizeof(why)) < 0)
		return psd_errorf(err, err_size, "--%s%s", keys[index].flag, why + strlen(keys[index].name));
	return 0;
}

int psd_settings_flag_count(void)
{
	return KEY_COUNT;
}

const char *psd_settings_flag_name(int index)
{
	return keys[index].flag;
}

bool psd_settings_flag_is_bool(int index)
{
	return keys[index].kind == KIND_BOOL;
}

int psd_settings_flag_find(const char *flag)
{
	for (int i = 0; i < KEY_COUNT; i++)
		if (strcmp(keys[i].flag, flag) == 0)
			return i;
	return -1;
}

const char *psd_settings_flag_help(int index)
{
	static char help[256];
	const struct key *k = &keys[index];

	if ((k->kind == KIND_PATH || k->kind == KIND_ADDRESS) && k->def_path != NULL)
		snprintf(help, sizeof(help), "%s (default %s)", k->help, k->def_path);
	else if (k->kind == KIND_COUNT)
		snprintf(help, sizeof(help), "%s, %llu to %llu (default %llu)", k->help,
			 (unsigned long long)k->min, (unsigned long long)k->max,
			 (unsigned long long)k->def);
	else if (k->kind == KIND_BOOL && strstr(k->help, "(default") == NULL)
		snprintf(help, sizeof(help), "%s (default %s)", k->help, k->def ? "true" : "false");
	else
		snprintf(help, sizeof(help), "%s", k->help);
	return help;
}

/* A setting's value as text, for the reload report. */
static const char *show(const struct psd_settings *s, const struct key *k, char *buf, size_t size)
{
	uint64_t v;

	switch (k->kind) {
	case KIND_PATH:
	case KIND_NAME:
	case KIND_ADDRESS:
		snprintf(buf, size, "'%s'", (const char *)s + k->offset);
		return buf;
	case KIND_LEVEL:
		return psd_log_level_name(s->log_level);
	case KIND_OUTPUT:
		return psd_log_output_name(s->log_output);
	case KIND_BOOL:
	case KIND_COUNT:
		v = load(s, k);
		if (k->kind == KIND_BOOL)
			return v ? "true" : "false";
		snprintf(buf, size, "%llu", (unsigned long long)v);
		return buf;
	}
	return "?";
}

static bool same(const struct psd_settings *a, const struct psd_settings *b, const struct key *k)
{
	const char *x = (const char *)a + k->offset, *y = (const char *)b + k->offset;
	if (k->kind == KIND_PATH || k->kind == KIND_NAME || k->kind == KIND_ADDRESS)
		return strcmp(x, y) == 0;
	return memcmp(x, y, k->size) == 0;
}

int psd_settings_reload(struct psd_settings *cur, const struct psd_settings *next,
			psd_settings_ignored_fn *ignored, void *ctx)
{
	char was[PSD_PATH_MAX + 3], now[PSD_PATH_MAX + 3];
	int n = 0;

	for (int i = 0; i < KEY_COUNT; i++) {
		const struct key *k = &keys[i];
		if (same(cur, next, k))
			continue;
		if (k->boot_only) {
			ignored(ctx, k->name, show(cur, k, was, sizeof(was)),
				show(next, k, now, sizeof(now)));
			n++;
			continue;
		}
		memcpy((char *)cur + k->offset, (const char *)next + k->offset, k->size);
	}
	cur->log_level_set = next->log_level_set; /* both reloadable: what pins them follows */
	cur->log_output_set = next->log_output_set;
	return n;
}

void psd_settings_to_core(const struct psd_settings *s, struct psd_config *cfg,
			  struct psd_limits *lim)
{
	cfg->compat = s->compat;
	cfg->log_level_pinned = s->log_level_set;
	cfg->log_level = s->log_level;
	cfg->log_output_pinned = s->log_output_set;
	cfg->log_output = s->log_output;
	cfg->reconnect_min_ns = s->reconnect_min_ms * PSD_NS_PER_MS;
	cfg->reconnect_max_ns = s->reconnect_max_ms * PSD_NS_PER_MS;
	cfg->redump_interval_ns = s->redump_interval_ms * PSD_NS_PER_MS;
	cfg->redis_stall_ns = s->redis_stall_ms * PSD_NS_PER_MS;
	cfg->link_stats = s->link_stats && !s->compat; /* compat: the C++ daemon's commands only */
	cfg->health_db_down_ns = s->health_failing_ms * PSD_NS_PER_MS;
	lim->ports_max = s->ports_max;
	lim->inflight_max = s->inflight_max;
}
