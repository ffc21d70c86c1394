/*
 * The daemon around the core: each adapter turns I/O into core events and core actions into
 * I/O, and decides nothing. main.c owns the loop and the core; the adapters own their sockets.
 */
#ifndef PSD_ADAPTERS_H
#define PSD_ADAPTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "driver.h" /* lib/ */
#include "log.h"
#include "loop.h"
#include "psd/core.h"
#include "psd/health.h"

#define PSD_UNIX_PATH_MAX 108u
#define PSD_DBCONFIG_BYTES_MAX (1024u * 1024u) /* database_config.json: SONiC's are a few KiB */

struct psd_db_endpoint {
	char unix_socket[PSD_UNIX_PATH_MAX];
	uint32_t id;
	char separator[PSD_SEPARATOR_LEN_MAX + 1];
};

/* dbconfig.c: database_config.json. 0, or -1 with a message naming file and field in err. */
int psd_dbconfig_load(const char *path, struct psd_db_endpoint ret[_PSD_DB_MAX], char *err,
		      size_t err_size);

/* Multi-ASIC: the database_config.json of namespace netns, from database_global.json as
 * swss-common's SonicDBConfig::initializeGlobalConfig reads it (INCLUDES[].namespace, and
 * INCLUDES[].include relative to the global file's directory). 0 with a readable path in
 * ret_path; -1 with a message naming the namespace, the file and the field. */
int psd_dbconfig_global(const char *global_path, const char *netns, char *ret_path,
			size_t ret_size, char *err, size_t err_size);
/* The same from bytes in memory (the fuzzer's entry); name stands for the global file. */
int psd_dbconfig_global_parse(const char *name, const char *text, size_t len, const char *netns,
			      char *ret_path, size_t ret_size, char *err, size_t err_size);

/* The same from bytes in memory; name stands for the file in messages. */
int psd_dbconfig_parse(const char *name, const char *text, size_t len,
		       struct psd_db_endpoint ret[_PSD_DB_MAX], char *err, size_t err_size);

/* redis.c: the sockets of one connection per database, on the loop (lib/redis_conn.h judges
 * what they say); everything they learn goes to the driver. */
struct psd_redis;
/* NULL with a message in err when a connection cannot be made. */
struct psd_redis *psd_redis_open(struct psd_loop *loop, struct psd_driver *d,
				 const struct psd_db_endpoint ep[_PSD_DB_MAX], char *err,
				 size_t err_size);
void psd_redis_command(struct psd_redis *r, enum psd_db db, uint64_t tag, uint32_t expect,
		       uint32_t argc, const char *const *argv, const size_t *argv_len);
/* Connects db again: -1 when that failed at once (what failed in detail); else PSD_EV_DB_UP or
 * PSD_EV_DB_DOWN reaches the driver once the SELECT is answered. */
int psd_redis_connect(struct psd_redis *r, enum psd_db db, char *detail, size_t size);
/* Watches db's keyspace (PSD_ACT_WATCH) on its instance's subscription connection: -1 when that
 * connection cannot be made (what failed in detail); else PSD_EV_WATCH_UP or PSD_EV_WATCH_DOWN
 * reaches the driver. */
int psd_redis_watch(struct psd_redis *r, enum psd_db db, uint32_t db_id, uint32_t count,
		    const char *const *patterns, const size_t *len, char *detail, size_t size);
/* Whether the core waits on a reply: the sockets are read as soon as one comes, or else only
 * when psd_redis_collect() is called. */
void psd_redis_replies_wanted(struct psd_redis *r, bool wanted);
/* Takes the replies that have come in on sockets not read as they come. */
void psd_redis_collect(struct psd_redis *r);
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
struct psd_netlink *psd_netlink_open(struct psd_loop *loop, struct psd_driver *d,
				     const struct psd_netlink_options *o, char *err,
				     size_t err_size);
int psd_netlink_dump(struct psd_netlink *n, uint32_t seq);
/* The event socket's receive buffer as the kernel sized it, in bytes (0 when replaying). */
uint64_t psd_netlink_rcvbuf(const struct psd_netlink *n);
int psd_netlink_listen(struct psd_netlink *n);
int psd_netlink_link_down(struct psd_netlink *n, int32_t ifindex, const char *name);
struct psd_netlink *psd_netlink_close(struct psd_netlink *n);

/* netns.c: multi-ASIC. Sockets made between enter and leave belong to the namespace. */
struct psd_netns {
	int target; /* /var/run/netns/NAME, -1: none */
	int home;   /* the namespace we started in, -1: already inside the target */
	char name[65];
};
/* Opens /var/run/netns/NAME; 0, or -1 with a message naming it. */
int psd_netns_open(struct psd_netns *ns, const char *name, char *err, size_t err_size);
/* setns() into the target and back; no-ops when none was opened or we run inside it. */
int psd_netns_enter(struct psd_netns *ns, char *err, size_t err_size);
int psd_netns_leave(struct psd_netns *ns, char *err, size_t err_size);
void psd_netns_close(struct psd_netns *ns);
/* log_watch.c: the log output (lib/log.h) watched on the loop while records wait for it. NULL
 * with a message in err. Closing drains the output for at most PSD_LOG_DRAIN_MS. */
struct psd_log_watch;
struct psd_log_watch *psd_log_watch_open(struct psd_loop *loop, char *err, size_t size);
struct psd_log_watch *psd_log_watch_close(struct psd_log_watch *w);

/* lock.c: one instance per namespace. A lock file under dir named by netns ("": by the network
 * namespace the process runs in), flock'ed for the process's life; 0 with the fd kept open in
 * *ret_fd, or -1 with a message in err naming the holder ("another portsyncd (pid N) holds
 * PATH") or what failed. */
int psd_instance_lock(const char *dir, const char *netns, int *ret_fd, char *err, size_t size);

/* http.c: GET and HEAD of /metrics and /health on loopback (lib/http_listener.c decides, http.c
 * does the sockets); what it serves comes from its owner's callbacks. */
struct psd_http;
struct psd_http_options {
	const char *address; /* IPv4 or IPv6 literal */
	uint16_t port;
	/* The metrics text into buf, NUL-terminated: its length, or size when it did not fit. */
	size_t (*render_metrics)(void *ctx, char *buf, size_t size);
	/* The health verdict now, and why ("" when ok) into why. */
	enum psd_health (*health)(void *ctx, char *why, size_t size);
	void *ctx;
};
/* NULL with a message in err (a bad address, a port in use). */
struct psd_http *psd_http_open(struct psd_loop *loop, const struct psd_http_options *o, char *err,
			       size_t err_size);
struct psd_http *psd_http_close(struct psd_http *h);

#endif
