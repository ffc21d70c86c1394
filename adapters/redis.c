/*
 * Redis adapter: the sockets of one connection per database (CONFIG_DB, APPL_DB, STATE_DB) on
 * the daemon's loop (lib/loop.h). Everything a connection says is judged by lib/redis_conn.c, which pushes
 * what it means into the driver; this file only moves bytes:
 *
 *  - commands are appended as the core emits them and written at the end of the loop turn (one
 *    end-of-turn callback), so one turn's commands share one write per connection; what the
 *    socket cannot take waits for EPOLLOUT. Nothing here blocks: the sockets are non-blocking and
 *    a connection's unwritten output is bounded (PSD_RCONN_OUT_MAX);
 *  - replies are read when the core waits on them (psd_redis_replies_wanted: EPOLLIN on, set
 *    at the end of the turn for the core's last wish in it), and otherwise whenever the loop
 *    wakes for something else (psd_redis_collect); a connection is always watched for the
 *    peer closing it (EPOLLRDHUP), so a Redis that goes away is noticed at once, with or
 *    without commands in flight;
 *  - a connection that fails, closes, or says what was never asked is closed and reported down
 *    (PSD_EV_DB_DOWN, with the cause and what was wrong); the core decides when to connect again
 *    (PSD_ACT_DB_CONNECT) and is told up once the SELECT succeeds.
 *
 * Keyspace notifications come on a subscription connection per Redis instance (the databases
 * on one unix socket share one), made when the core first asks to watch one of its databases
 * (PSD_ACT_WATCH); a lost one is reported down for each database it watched.
 *
 * The connections of the start are made by psd_redis_open() before the core starts; connecting
 * is synchronous (a unix socket connects at once or not at all).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "adapters.h"
#include "psd_assert.h"
#include "redis_conn.h"

#define PSD_REDIS_READ_CHUNK (64u * 1024) /* bytes read from a socket per recv() */

struct psd_redis_conn {
	struct psd_redis *owner;
	enum psd_db db;
	int fd;                 /* -1: no socket */
	struct psd_loop_source io; /* watching fd while there is one */
	struct psd_rconn proto;
	struct psd_db_endpoint ep;
};

struct psd_redis {
	struct psd_loop *loop;
	struct psd_sink sink;   /* the driver */
	struct psd_loop_source flush; /* the end of a loop turn: write what the turn queued */
	bool replies_wanted;
	struct psd_redis_conn conn[_PSD_DB_MAX]; /* a data connection per database */
	struct psd_redis_conn sub[_PSD_DB_MAX];  /* a subscription connection per instance */
	char buf[PSD_REDIS_READ_CHUNK];
};

static const char *const db_label[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

static void watch(struct psd_redis_conn *c)
{
	uint32_t events = EPOLLRDHUP;
	size_t unwritten;
	if (c->fd < 0)
		return;
	if (c->owner->replies_wanted || c->proto.state == PSD_RCONN_SELECTING ||
	    c->proto.role == PSD_RCONN_WATCH) /* notifications are what it is for */
		events |= EPOLLIN;
	psd_rconn_output(&c->proto, &unwritten);
	if (unwritten > 0)
		events |= EPOLLOUT;
	psd_checked(psd_loop_io_events(&c->io, events), "Redis: watch the socket");
}

static void close_socket(struct psd_redis_conn *c)
{
	psd_loop_remove(&c->io);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* The connection ended (what was wrong is in proto.error, or why): reported once, closed. */
static void lost(struct psd_redis_conn *c, const char *why)
{
	psd_rconn_lost(&c->proto, &c->owner->sink, why);
	close_socket(c);
}

/* Writes what is queued; what the socket does not take waits for EPOLLOUT. */
static void write_out(struct psd_redis_conn *c)
{
	size_t len;
	const char *out = psd_rconn_output(&c->proto, &len);
	while (c->fd >= 0 && len > 0) {
		ssize_t n = send(c->fd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			lost(c, strerror(errno));
			return;
		}
		psd_rconn_written(&c->proto, (size_t)n);
		out = psd_rconn_output(&c->proto, &len);
	}
	watch(c);
}

/* Reads until the socket is empty, each chunk judged (and pushed to the core) as it comes. */
static void read_in(struct psd_redis_conn *c)
{
	struct psd_redis *rd = c->owner;
	while (c->fd >= 0) {
		ssize_t n = recv(c->fd, rd->buf, sizeof(rd->buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			lost(c, n == 0 ? "closed by the server" : strerror(errno));
			return;
		}
		psd_rconn_feed(&c->proto, rd->buf, (size_t)n);
		if (psd_rconn_take(&c->proto, &rd->sink) == PSD_RCONN_CLOSED) {
			close_socket(c);
			return;
		}
	}
}

static void on_io(void *ctx, uint32_t revents)
{
	struct psd_redis_conn *c = ctx;
	if (revents & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		read_in(c); /* what came before the end is taken first */
	if (c->fd >= 0 && (revents & EPOLLOUT))
		write_out(c);
	watch(c);
}

static void on_flush(void *ctx, uint32_t revents)
{
	struct psd_redis *rd = ctx;
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		write_out(&rd->conn[db]);
		write_out(&rd->sub[db]);
	}
}

static void schedule_flush(struct psd_redis *rd)
{
	psd_loop_defer_set(&rd->flush, PSD_DEFER_ONCE);
}

/* A socket connected to c's endpoint, watched on the loop, and its protocol started (init
 * returns < 0 when it cannot be); -1 with what failed in detail. */
static int open_socket(struct psd_redis_conn *c, int (*init)(struct psd_redis_conn *c),
		       char *detail, size_t size)
{
	struct psd_redis *rd = c->owner;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->ep.unix_socket);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(detail, size, "cannot connect to %s: %s", c->ep.unix_socket,
			 strerror(errno == EAGAIN ? ECONNREFUSED : errno));
		close_socket(c);
		return -1;
	}
	psd_rconn_free(&c->proto);
	psd_loop_io(rd->loop, &c->io, c->fd, PSD_LOOP_PRIORITY_NORMAL, on_io, c);
	if (init(c) < 0 || psd_loop_io_events(&c->io, EPOLLRDHUP) < 0) {
		snprintf(detail, size, "%s: out of memory", c->ep.unix_socket);
		close_socket(c);
		return -1;
	}
	watch(c);
	schedule_flush(rd);
	return 0;
}

static int init_first(struct psd_redis_conn *c)
{
	return psd_rconn_init(&c->proto, c->db, c->ep.id, false);
}

static int init_again(struct psd_redis_conn *c)
{
	return psd_rconn_init(&c->proto, c->db, c->ep.id, true);
}

static int init_watch(struct psd_redis_conn *c)
{
	return psd_rconn_init_watch(&c->proto);
}

struct psd_redis *psd_redis_open(struct psd_loop *loop, struct psd_driver *d,
				 const struct psd_db_endpoint ep[_PSD_DB_MAX], char *err,
				 size_t err_size)
{
	struct psd_redis *rd = calloc(1, sizeof(*rd));
	char detail[200];
	if (rd == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	rd->loop = loop;
	rd->sink = psd_driver_sink(d);
	rd->replies_wanted = true;
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		rd->conn[db] = (struct psd_redis_conn){.owner = rd, .db = (enum psd_db)db, .fd = -1,
						       .ep = ep[db]};
		rd->conn[db].proto.state = PSD_RCONN_CLOSED;
		rd->sub[db] = (struct psd_redis_conn){.owner = rd, .fd = -1};
		rd->sub[db].proto.state = PSD_RCONN_CLOSED;
	}
	psd_loop_defer(loop, &rd->flush, on_flush, rd);
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (open_socket(&rd->conn[db], init_first, detail, sizeof(detail)) < 0) {
			snprintf(err, err_size, "cannot connect to Redis for %s: %s",
				 db_label[db], detail);
			return psd_redis_close(rd);
		}
	}
	return rd;
}

int psd_redis_connect(struct psd_redis *rd, enum psd_db db, char *detail, size_t size)
{
	close_socket(&rd->conn[db]); /* the core asks only for a database it knows is down */
	return open_socket(&rd->conn[db], init_again, detail, size);
}

/* The subscription connection of the instance behind db: the live one on its socket, else a new
 * one in a free slot. */
static struct psd_redis_conn *instance_of(struct psd_redis *rd, enum psd_db db, char *detail,
					  size_t size)
{
	const char *path = rd->conn[db].ep.unix_socket;
	struct psd_redis_conn *free_slot = NULL;
	for (int i = 0; i < _PSD_DB_MAX; i++) {
		struct psd_redis_conn *c = &rd->sub[i];
		if (c->fd >= 0 && strcmp(c->ep.unix_socket, path) == 0)
			return c;
		if (c->fd < 0 && free_slot == NULL)
			free_slot = c;
	}
	PSD_ASSERT(free_slot != NULL); /* an instance per database at most */
	free_slot->ep = rd->conn[db].ep;
	return open_socket(free_slot, init_watch, detail, size) < 0 ? NULL : free_slot;
}

int psd_redis_watch(struct psd_redis *rd, enum psd_db db, uint32_t db_id, uint32_t count,
		    const char *const *patterns, const size_t *len, char *detail, size_t size)
{
	struct psd_redis_conn *c = instance_of(rd, db, detail, size);
	if (c == NULL)
		return -1;
	if (psd_rconn_watch(&c->proto, db, db_id, count, patterns, len) < 0) {
		snprintf(detail, size, "%s", c->proto.error);
		lost(c, c->proto.error); /* reports every database watched on it */
		return 0;
	}
	schedule_flush(rd);
	return 0;
}

void psd_redis_command(struct psd_redis *rd, enum psd_db db, uint64_t tag, uint32_t expect,
		       uint32_t argc, const char *const *argv, const size_t *argv_len)
{
	struct psd_redis_conn *c = &rd->conn[db];
	int r = psd_rconn_command(&c->proto, tag, expect, argc, argv, argv_len);
	if (r == -EPIPE)
		return; /* closed: reported down already, the core sends it again once back */
	if (r < 0) {
		lost(c, c->proto.error);
		return;
	}
	schedule_flush(rd);
}

/* Told after every event the core takes: the sockets follow at the end of the turn (the flush
 * watches each connection as it leaves it), so a wish that flips with each link message of a
 * burst costs no epoll_ctl until the turn's last answer is known. */
void psd_redis_replies_wanted(struct psd_redis *rd, bool wanted)
{
	if (rd->replies_wanted == wanted)
		return;
	rd->replies_wanted = wanted;
	schedule_flush(rd);
}

void psd_redis_collect(struct psd_redis *rd)
{
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		struct psd_redis_conn *c = &rd->conn[db];
		if (c->fd >= 0 && psd_rconn_pending(&c->proto) > 0 && !(c->io.events & EPOLLIN))
			read_in(c);
	}
}

struct psd_redis *psd_redis_close(struct psd_redis *rd)
{
	if (rd == NULL)
		return NULL;
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		close_socket(&rd->conn[db]);
		psd_rconn_free(&rd->conn[db].proto);
		close_socket(&rd->sub[db]);
		psd_rconn_free(&rd->sub[db].proto);
	}
	psd_loop_remove(&rd->flush);
	free(rd);
	return NULL;
}
