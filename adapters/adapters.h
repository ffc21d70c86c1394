/*
 * The daemon around the core: each adapter turns I/O into core events and core actions into
 * I/O, and decides nothing. main.c owns the loop and the core; the adapters own their sockets.
 */
#ifndef PSD_ADAPTERS_H
#define PSD_ADAPTERS_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "psd/core.h"

#define PSD_UNIX_PATH_MAX 108u

struct psd_db_endpoint {
	char unix_socket[PSD_UNIX_PATH_MAX];
	uint32_t id;
	char separator[PSD_SEPARATOR_LEN_MAX + 1];
};

struct psd_daemon;

/* dbconfig.c: database_config.json. 0, or -1 with a message naming file and field in err. */
int psd_dbconfig_load(const char *path, struct psd_db_endpoint ret[_PSD_DB_MAX], char *err,
		      size_t err_size);

/* The same from bytes in memory; name stands for the file in messages. */
int psd_dbconfig_parse(const char *name, const char *text, size_t len,
		       struct psd_db_endpoint ret[_PSD_DB_MAX], char *err, size_t err_size);

/* log.c. psd_errorf formats a message into err and returns -1, for "return psd_errorf(...)". */
int psd_errorf(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void psd_log_setup(enum psd_log_level level, enum psd_log_output output);
void psd_log(enum psd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* redis.c: one async connection per database, on the loop. */
struct psd_redis;
/* NULL with a message in err when a connection cannot be made. */
struct psd_redis *psd_redis_open(sd_event *loop, struct psd_daemon *d,
				 const struct psd_db_endpoint ep[_PSD_DB_MAX], char *err,
				 size_t err_size);
void psd_redis_command(struct psd_redis *r, enum psd_db db, uint64_t tag, uint32_t argc,
		       const char *const *argv, const size_t *argv_len);
/* Tries to connect db again: -1 when that failed at once; else PSD_EV_DB_UP or PSD_EV_DB_DOWN
 * reaches the daemon once the SELECT is answered. */
int psd_redis_connect(struct psd_redis *r, enum psd_db db);
/* True while a command sent to Redis is unanswered. */
bool psd_redis_busy(const struct psd_redis *r);
/* Writes what the commands of this loop turn left in hiredis's buffers. */
void psd_redis_flush(struct psd_redis *r);
struct psd_redis *psd_redis_close(struct psd_redis *r);

/* netlink.c: the event socket (RTNLGRP_LINK), the dump socket and link requests; or a capture
 * replayed in their place. */
struct psd_netlink;
struct psd_netlink_options {
	int rcvbuf_bytes;          /* SO_RCVBUF of the sockets (the kernel caps it at rmem_max) */
	const char *record_path;   /* "" or NULL: no capture */
	const char *replay_path;   /* "" or NULL: the live sockets */
	bool replay_recorded_time; /* false: full speed */
	bool replay_lockstep;      /* each datagram once Redis has answered every command */
};
struct psd_netlink *psd_netlink_open(sd_event *loop, struct psd_daemon *d,
				     const struct psd_netlink_options *o, char *err,
				     size_t err_size);
int psd_netlink_dump(struct psd_netlink *n, uint32_t seq);
/* The event socket's receive buffer as the kernel sized it, in bytes (0 when replaying). */
uint64_t psd_netlink_rcvbuf(const struct psd_netlink *n);
int psd_netlink_listen(struct psd_netlink *n);
int psd_netlink_link_down(struct psd_netlink *n, int32_t ifindex, const char *name);
struct psd_netlink *psd_netlink_close(struct psd_netlink *n);

/* http.c: /metrics and /health (libmicrohttpd on the loop), and health in systemd's STATUS=. */
struct psd_http;
struct psd_http_options {
	bool serve;          /* false: no endpoint, only the STATUS= health line */
	const char *address; /* IPv4 or IPv6 literal */
	uint16_t port;
	const char *version; /* for portsyncd_build_info */
};
/* NULL with a message in err (a bad address, a port in use). */
struct psd_http *psd_http_open(sd_event *loop, struct psd_daemon *d,
			       const struct psd_http_options *o, char *err, size_t err_size);
struct psd_http *psd_http_close(struct psd_http *h);

/* main.c: what the adapters call back into. */
/* The core, read-only, for the metrics and health (from the loop thread only). */
const struct psd_core *psd_daemon_core(const struct psd_daemon *d);
void psd_daemon_push(struct psd_daemon *d, const struct psd_event *ev);
/* True while a command sent to Redis is unanswered. */
bool psd_daemon_busy(const struct psd_daemon *d);
/* Ends a loop turn: every event handler calls it last, so one turn's commands share a write. */
void psd_daemon_flush(struct psd_daemon *d);

#endif
