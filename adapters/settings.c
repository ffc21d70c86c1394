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
	uint64_t min;
	uint64_t max;
	size_t offset;
	const char *help;
};

#define AT(field) offsetof(struct psd_settings, field)

static const struct key keys[] = {
	{"daemon", "db_config", "db-config", KIND_PATH, 1, PSD_PATH_MAX - 1, AT(db_config),
	 "database_config.json (default " PSD_DEFAULT_DB_CONFIG ")"},
	{"daemon", "compat", "compat", KIND_BOOL, 0, 1, AT(compat),
	 "reproduce the C++ portsyncd where it is known to be wrong (default false)"},
	{"daemon", "ports_max", "ports-max", KIND_COUNT, 1, PSD_PORTS_LIMIT, AT(ports_max),
	 "port table capacity (default 4096)"},
	{"daemon", "inflight_max", "inflight-max", KIND_COUNT, 1, PSD_INFLIGHT_LIMIT,
	 AT(inflight_max), "Redis commands in flight (default 4096)"},
	{"log", "level", "log-level", KIND_LEVEL, 0, 0, AT(log_level),
	 "EMERG ALERT CRIT ERROR WARN NOTICE INFO DEBUG; pins the level (default: CONFIG_DB)"},
	{"log", "output", "log-output", KIND_OUTPUT, 0, 0, AT(log_output),
	 "syslog, stdout or stderr; pins the output (default: CONFIG_DB, else syslog)"},
	{"redis", "reconnect_min_ms", "reconnect-min-ms", KIND_COUNT, 10, 600000,
	 AT(reconnect_min_ms), "first reconnect delay (default 20)"},
	{"redis", "reconnect_max_ms", "reconnect-max-ms", KIND_COUNT, 10, 600000,
	 AT(reconnect_max_ms), "reconnect backoff cap (default 250)"},
	{"netlink", "redump_interval_ms", "redump-interval-ms", KIND_COUNT, 10, 600000,
	 AT(redump_interval_ms), "least time between two re-dumps after a loss (default 1000)"},
	{"netlink", "rcvbuf_bytes", "nl-rcvbuf-bytes", KIND_COUNT, PSD_NL_RCVBUF_MIN,
	 PSD_NL_RCVBUF_MAX, AT(nl_rcvbuf_bytes),
	 "event socket receive buffer, capped by net.core.rmem_max (default 16777216)"},
	{"capture", "record", "record", KIND_PATH, 1, PSD_PATH_MAX - 1, AT(record),
	 "write every netlink datagram received to this pcap file (LINKTYPE_NETLINK)"},
	{"capture", "replay", "replay", KIND_PATH, 1, PSD_PATH_MAX - 1, AT(replay),
	 "feed this pcap capture instead of the live netlink sockets"},
	{"capture", "replay_recorded_time", "replay-recorded-time", KIND_BOOL, 0, 1,
	 AT(replay_recorded_time), "replay at the capture's pace (default: full speed)"},
	{"capture", "replay_lockstep", "replay-lockstep", KIND_BOOL, 0, 1, AT(replay_lockstep),
	 "feed the next datagram once Redis has answered everything (as the simulator does)"},
	{"metrics", "enabled", "metrics", KIND_BOOL, 0, 1, AT(metrics),
	 "serve /metrics and /health over HTTP (default true)"},
	{"metrics", "address", "metrics-address", KIND_ADDRESS, 1, PSD_ADDRESS_LEN_MAX,
	 AT(metrics_address), "listen address (default 127.0.0.1; others need metrics-allow-remote)"},
	{"metrics", "port", "metrics-port", KIND_COUNT, 1, 65535, AT(metrics_port),
	 "listen port (default 9808)"},
	{"metrics", "allow_remote", "metrics-allow-remote", KIND_BOOL, 0, 1,
	 AT(metrics_allow_remote), "allow a metrics address that is not loopback (default false)"},
	{"metrics", "health_failing_ms", "health-failing-ms", KIND_COUNT, 100, 3600000,
	 AT(health_failing_ms), "a database unreachable this long makes /health failing (default 10000)"},
	{"links", "stats", "link-stats", KIND_BOOL, 0, 1, AT(link_stats),
	 "STATE_DB PORT_LINK_STATS and a log line per link change (default true; off with compat)"},
};

#define KEY_COUNT (int)(sizeof(keys) / sizeof(keys[0]))

void psd_settings_defaults(struct psd_settings *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->db_config, PSD_DEFAULT_DB_CONFIG);
	s->ports_max = PSD_PORTS_DEFAULT;
	s->inflight_max = PSD_INFLIGHT_DEFAULT;
	s->log_level = PSD_LOG_NOTICE;
	s->log_output = PSD_LOG_SYSLOG;
	s->reconnect_min_ms = PSD_RECONNECT_MIN_DEFAULT_NS / PSD_NS_PER_MS;
	s->reconnect_max_ms = PSD_RECONNECT_MAX_DEFAULT_NS / PSD_NS_PER_MS;
	s->redump_interval_ms = PSD_REDUMP_INTERVAL_DEFAULT_NS / PSD_NS_PER_MS;
	s->nl_rcvbuf_bytes = PSD_NL_RCVBUF_DEFAULT;
	s->metrics = true;
	strcpy(s->metrics_address, PSD_METRICS_ADDRESS_DEFAULT);
	s->metrics_port = PSD_METRICS_PORT_DEFAULT;
	s->health_failing_ms = PSD_HEALTH_DB_DOWN_DEFAULT_NS / PSD_NS_PER_MS;
	s->link_stats = true;
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
	case KIND_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
			 strcmp(value, "no") == 0)
			*(bool *)field = false;
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
		if (k->offset == AT(ports_max) || k->offset == AT(inflight_max))
			*(uint32_t *)field = (uint32_t)v;
		else
			*(uint64_t *)field = v;
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

const char *psd_settings_flag_help(int index)
{
	return keys[index].help;
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
	cfg->link_stats = s->link_stats && !s->compat; /* compat: the C++ daemon's commands only */
	cfg->health_db_down_ns = s->health_failing_ms * PSD_NS_PER_MS;
	lim->ports_max = s->ports_max;
	lim->inflight_max = s->inflight_max;
}
