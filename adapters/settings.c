/* Settings: file, environment and flags through one table of keys (see settings.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	 "database_config.json (default " PSD_DEFAULT_DB_CONFIG "; not read with --namespace)"},
	{"daemon", "namespace", "namespace", KIND_NAME, 1, PSD_NETNS_NAME_MAX, AT(netns),
	 "run for this ASIC (multi-ASIC): its database_config.json from the global one, its "
	 "netdevs from /var/run/netns/NAME (default: none)"},
	{"daemon", "db_global_config", "db-global-config", KIND_PATH, 1, PSD_PATH_MAX - 1,
	 AT(db_global_config),
	 "database_global.json, read with --namespace (default " PSD_DEFAULT_DB_GLOBAL_CONFIG ")"},
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
	 AT(reconnect_min_ms), "first reconnect delay (default 100)"},
	{"redis", "reconnect_max_ms", "reconnect-max-ms", KIND_COUNT, 10, 600000,
	 AT(reconnect_max_ms), "reconnect backoff cap (default 5000)"},
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
};

#define KEY_COUNT (int)(sizeof(keys) / sizeof(keys[0]))

void psd_settings_defaults(struct psd_settings *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->db_config, PSD_DEFAULT_DB_CONFIG);
	strcpy(s->db_global_config, PSD_DEFAULT_DB_GLOBAL_CONFIG);
	s->ports_max = PSD_PORTS_DEFAULT;
	s->inflight_max = PSD_INFLIGHT_DEFAULT;
	s->log_level = PSD_LOG_NOTICE;
	s->log_output = PSD_LOG_SYSLOG;
	s->reconnect_min_ms = PSD_RECONNECT_MIN_DEFAULT_NS / PSD_NS_PER_MS;
	s->reconnect_max_ms = PSD_RECONNECT_MAX_DEFAULT_NS / PSD_NS_PER_MS;
	s->redump_interval_ms = PSD_REDUMP_INTERVAL_DEFAULT_NS / PSD_NS_PER_MS;
	s->nl_rcvbuf_bytes = PSD_NL_RCVBUF_DEFAULT;
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
	lim->ports_max = s->ports_max;
	lim->inflight_max = s->inflight_max;
}
