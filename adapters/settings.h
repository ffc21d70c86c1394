/*
 * Daemon settings from a configuration file, PORTSYNCD_* environment variables and command-line
 * flags, in increasing precedence. One table describes every key (section, name, flag, range,
 * default, whether a reload may change it); errors name the source (file and line, variable, or
 * flag), the key, the value and what is allowed. Ranges and defaults of what the core uses come
 * from psd/limits.h.
 */
#ifndef PSD_SETTINGS_H
#define PSD_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "psd/core.h"

#define PSD_PATH_MAX 4096
#define PSD_DEFAULT_CONFIG_FILE "/etc/sonic/portsyncd.conf"
#define PSD_DEFAULT_DB_CONFIG "/var/run/redis/sonic-db/database_config.json"
#define PSD_DEFAULT_DB_GLOBAL_CONFIG "/var/run/redis/sonic-db/database_global.json"
#define PSD_DEFAULT_LOCK_DIR "/run/portsyncd"
#define PSD_NETNS_NAME_MAX 64u /* a namespace name, as under /var/run/netns */
#define PSD_NL_RCVBUF_DEFAULT (16u * 1024 * 1024) /* as upstream: SO_RCVBUF 16 MiB */
#define PSD_NL_RCVBUF_MIN 4096u
#define PSD_NL_RCVBUF_MAX (1024u * 1024 * 1024)
#define PSD_METRICS_ADDRESS_DEFAULT "127.0.0.1"
#define PSD_METRICS_PORT_DEFAULT 9808u /* docs/metrics.md says why this port */
#define PSD_ADDRESS_LEN_MAX 63u

struct psd_settings {
	char db_config[PSD_PATH_MAX];
	char db_global_config[PSD_PATH_MAX];
	char netns[PSD_NETNS_NAME_MAX + 1]; /* "": the default namespace (one instance per host) */
	char lock_dir[PSD_PATH_MAX];        /* the instance lock's directory */
	bool compat;
	uint32_t ports_max;
	uint32_t inflight_max;
	bool log_level_set;
	enum psd_log_level log_level;
	bool log_output_set;
	enum psd_log_output log_output;
	uint64_t reconnect_min_ms;
	uint64_t reconnect_max_ms;
	uint64_t redump_interval_ms;
	uint64_t redis_stall_ms;
	uint64_t nl_rcvbuf_bytes;
	char record[PSD_PATH_MAX];  /* "": no capture */
	char replay[PSD_PATH_MAX];  /* "": the live sockets */
	bool replay_recorded_time;
	bool replay_lockstep;       /* the next datagram once Redis has answered every command */
	bool metrics;               /* serve /metrics and /health */
	char metrics_address[PSD_ADDRESS_LEN_MAX + 1];
	uint64_t metrics_port;
	bool metrics_allow_remote;  /* a non-loopback address must be asked for */
	uint64_t health_failing_ms; /* a database unreachable this long: /health is failing */
	bool link_stats;            /* PORT_LINK_STATS and the link event log (not with compat) */
	char alert_rules[PSD_PATH_MAX]; /* "": the shipped alert rules only */
};

void psd_settings_defaults(struct psd_settings *s);
/* 0; -1 with a message in err. A missing file is an error only when required. */
int psd_settings_file(struct psd_settings *s, const char *path, bool required, char *err,
		      size_t err_size);
/* The same from an open stream; path names it in messages. */
int psd_settings_stream(struct psd_settings *s, FILE *in, const char *path, char *err,
			size_t err_size);
int psd_settings_env(struct psd_settings *s, char *err, size_t err_size);
/* A command-line flag's value for table entry index. */
int psd_settings_flag(struct psd_settings *s, int index, const char *value, char *err,
		      size_t err_size);
/* The flags, for getopt_long: count and the i-th flag name. */
int psd_settings_flag_count(void);
const char *psd_settings_flag_name(int index);
const char *psd_settings_flag_help(int index);
int psd_settings_flag_find(const char *flag); /* the table entry of a flag, or -1 */
bool psd_settings_flag_is_bool(int index); /* its value may be left out: --flag means true */
/* SIGHUP: the reloadable settings of next replace those of cur. A setting read only at start
 * (the database config, table sizes, compat, the netlink buffer, capture and replay) keeps its
 * running value; each that next changes is reported to ignored (name, running value, new value).
 * Returns how many were ignored. */
typedef void psd_settings_ignored_fn(void *ctx, const char *name, const char *was,
				     const char *now);
int psd_settings_reload(struct psd_settings *cur, const struct psd_settings *next,
			psd_settings_ignored_fn *ignored, void *ctx);
/* Checks that span keys (reconnect range, a remote metrics address); 0, or -1 with err. */
int psd_settings_check(const struct psd_settings *s, char *err, size_t err_size);
/* The core's view of the settings. */
void psd_settings_to_core(const struct psd_settings *s, struct psd_config *cfg,
			  struct psd_limits *lim);

#endif
