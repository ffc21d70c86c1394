/*
 * Redis adapter: one hiredis async connection per database (CONFIG_DB, APPL_DB, STATE_DB), each
 * SELECTing its id first, driven by sd-event (hiredis 0.14 has no sd-event adapter, so the five
 * ev hooks are implemented here). Commands are appended as the core emits them and written by
 * psd_redis_flush() once per loop turn, so the commands of one turn share one write (pipelined);
 * EPOLLOUT is armed only when a write could not finish. Replies go back to the core in order with
 * the tag they were sent with. A lost connection is reported to the core (PSD_EV_DB_DOWN); the
 * core decides when to connect again (PSD_ACT_DB_CONNECT), and a connection whose SELECT
 * succeeded is reported up (PSD_EV_DB_UP).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "adapters.h"

struct psd_redis_conn {
	struct psd_redis *owner;
	enum psd_db db;
	redisAsyncContext *ac;
	sd_event_source *io;
	uint32_t events;
	bool write_pending; /* hiredis has output buffered */
	bool reconnecting;  /* a PSD_ACT_DB_CONNECT attempt: report the SELECT's outcome */
	bool refused;       /* Redis refused the SELECT: our close is reported as a lost connection */
	bool selected;      /* a SELECT of this database has succeeded once */
	struct psd_db_endpoint ep;
};

struct psd_redis {
	struct psd_daemon *daemon;
	sd_event *loop;
	struct psd_redis_conn conn[_PSD_DB_MAX];
	struct psd_str *elements; /* reused for array replies */
	size_t elements_cap;
};

static const char *const db_label[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

static void update_io(struct psd_redis_conn *c, uint32_t add, uint32_t del)
{
	uint32_t events = (c->events | add) & ~del;
	if (c->io == NULL || events == c->events)
		return;
	c->events = events;
	if (psd_checked(sd_event_source_set_io_events(c->io, events), "Redis: watch the socket") >= 0)
		psd_checked(sd_event_source_set_enabled(c->io, events != 0 ? SD_EVENT_ON : SD_EVENT_OFF),
			    "Redis: watch the socket");
}

static void ev_add_read(void *p)
{
	update_io(p, EPOLLIN, 0);
}

static void ev_del_read(void *p)
{
	update_io(p, 0, EPOLLIN);
}

static void ev_add_write(void *p)
{
	struct psd_redis_conn *c = p;
	c->write_pending = true; /* written by psd_redis_flush() at the end of this turn */
}

static void ev_del_write(void *p)
{
	struct psd_redis_conn *c = p;
	c->write_pending = false;
	update_io(c, 0, EPOLLOUT);
}

static void ev_cleanup(void *p)
{
	struct psd_redis_conn *c = p;
	c->io = sd_event_source_disable_unref(c->io);
	c->events = 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct psd_redis_conn *c = userdata;
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		redisAsyncHandleRead(c->ac);
	/* the context may be gone now (disconnect): ev_cleanup cleared c->io */
	if (c->io != NULL && (revents & EPOLLOUT))
		redisAsyncHandleWrite(c->ac);
	psd_daemon_flush(c->owner->daemon);
	return 0;
}

static void report(struct psd_redis_conn *c, enum psd_event_type type)
{
	struct psd_event ev = {.type = type};
	ev.u.db = c->db;
	psd_daemon_push(c->owner->daemon, &ev);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct psd_redis_conn *c = ac->ev.data;
	c->ac = NULL;
	if (status == REDIS_OK && !c->refused)
		return; /* our own close (shutdown) */
	if (!c->refused)
		psd_log(PSD_LOG_ERROR, "Redis: %s connection lost: %s", db_label[c->db],
			ac->errstr != NULL && ac->errstr[0] != '\0' ? ac->errstr :
								      "closed by the server");
	c->refused = false;
	c->reconnecting = false;
	report(c, PSD_EV_DB_DOWN);
}

static bool to_str(const redisReply *r, struct psd_str *ret)
{
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)
		return false;
	ret->ptr = r->str;
	ret->len = r->len;
	return true;
}

/* Converts a hiredis reply; arrays must hold strings only. */
static void convert(struct psd_redis *rd, const redisReply *r, struct psd_reply *ret)
{
	switch (r->type) {
	case REDIS_REPLY_NIL:
		ret->type = PSD_REPLY_NIL;
		return;
	case REDIS_REPLY_INTEGER:
		ret->type = PSD_REPLY_INTEGER;
		ret->integer = r->integer;
		return;
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		ret->type = PSD_REPLY_STRING;
		to_str(r, &ret->str);
		return;
	case REDIS_REPLY_ERROR:
		ret->type = PSD_REPLY_ERROR;
		ret->str = (struct psd_str){r->str, r->len};
		return;
	case REDIS_REPLY_ARRAY:
		if (r->elements > rd->elements_cap) {
			size_t cap = r->elements < 64 ? 64 : r->elements;
			struct psd_str *e = realloc(rd->elements, cap * sizeof(*e));
			if (e == NULL) {
				ret->type = PSD_REPLY_ERROR;
				ret->str = (struct psd_str){"out of memory", 13};
				return;
			}
			rd->elements = e;
			rd->elements_cap = cap;
		}
		for (size_t i = 0; i < r->elements; i++) {
			if (!to_str(r->element[i], &rd->elements[i])) {
				ret->type = PSD_REPLY_ERROR;
				ret->str = (struct psd_str){"array element is not a string", 29};
				return;
			}
		}
		ret->type = PSD_REPLY_ARRAY;
		ret->elements = rd->elements;
		ret->element_count = r->elements;
		return;
	}
	ret->type = PSD_REPLY_ERROR;
	ret->str = (struct psd_str){"unexpected reply type", 21};
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct psd_redis_conn *c = ac->ev.data;
	struct psd_event ev = {.type = PSD_EV_DB_REPLY};

	if (reply == NULL)
		return; /* the connection is going away; on_disconnect reports it */
	ev.u.reply.tag = (uint64_t)(uintptr_t)privdata;
	convert(c->owner, reply, &ev.u.reply);
	psd_daemon_push(c->owner->daemon, &ev);
}

static void on_select(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct psd_redis_conn *c = ac->ev.data;
	const redisReply *r = reply;
	if (r == NULL)
		return; /* the connection went away: on_disconnect reports it */
	if (r->type == REDIS_REPLY_ERROR) {
		/* a database id the server does not have is the configuration's fault: at start-up,
		 * no retry can mend it */
		if (!c->selected && strstr(r->str, "out of range") != NULL) {
			fprintf(stderr,
				"portsyncd: Redis refused SELECT %u for %s: %s (DATABASES.%s.id in "
				"the database config)\n",
				(unsigned)(uintptr_t)privdata, db_label[c->db], r->str,
				db_label[c->db]);
			psd_log(PSD_LOG_ERROR, "Redis refused SELECT %u for %s: %s; exiting",
				(unsigned)(uintptr_t)privdata, db_label[c->db], r->str);
			sd_event_exit(c->owner->loop, 1);
			return;
		}
		psd_log(PSD_LOG_ERROR, "Redis refused SELECT %u for %s: %s; connection closed, "
				       "reconnecting",
			(unsigned)(uintptr_t)privdata, db_label[c->db], r->str);
		c->refused = true;        /* the close below is reported: the core reconnects */
		redisAsyncDisconnect(ac); /* (a refusing server may close it first: same report) */
		return;
	}
	c->selected = true;
	if (c->reconnecting) {
		c->reconnecting = false;
		report(c, PSD_EV_DB_UP);
	}
}

static int open_conn(struct psd_redis *rd, enum psd_db db, const struct psd_db_endpoint *ep,
		     char *err, size_t err_size)
{
	struct psd_redis_conn *c = &rd->conn[db];
	char id[12];
	const char *argv[2] = {"SELECT", id};

	c->owner = rd;
	c->db = db;
	c->ep = *ep;
	c->events = 0;
	c->write_pending = false;
	c->refused = false;
	c->ac = redisAsyncConnectUnix(ep->unix_socket);
	if (c->ac == NULL || c->ac->err) {
		snprintf(err, err_size, "cannot connect to Redis for %s at unix socket %s: %s",
			 db_label[db], ep->unix_socket, c->ac != NULL ? c->ac->errstr : "no memory");
		if (c->ac != NULL)
			redisAsyncFree(c->ac);
		c->ac = NULL;
		return -1;
	}
	if (sd_event_add_io(rd->loop, &c->io, c->ac->c.fd, 0, on_io, c) < 0 ||
	    sd_event_source_set_enabled(c->io, SD_EVENT_OFF) < 0) {
		snprintf(err, err_size, "cannot watch the %s connection", db_label[db]);
		return -1;
	}
	c->ac->ev.data = c;
	c->ac->ev.addRead = ev_add_read;
	c->ac->ev.delRead = ev_del_read;
	c->ac->ev.addWrite = ev_add_write;
	c->ac->ev.delWrite = ev_del_write;
	c->ac->ev.cleanup = ev_cleanup;
	redisAsyncSetDisconnectCallback(c->ac, on_disconnect);
	snprintf(id, sizeof(id), "%u", ep->id);
	if (redisAsyncCommandArgv(c->ac, on_select, (void *)(uintptr_t)ep->id, 2, argv, NULL) !=
	    REDIS_OK) {
		snprintf(err, err_size, "cannot send SELECT %u to %s", ep->id, db_label[db]);
		return -1;
	}
	return 0;
}

struct psd_redis *psd_redis_open(sd_event *loop, struct psd_daemon *d,
				 const struct psd_db_endpoint ep[_PSD_DB_MAX], char *err,
				 size_t err_size)
{
	struct psd_redis *rd = calloc(1, sizeof(*rd));
	if (rd == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	rd->daemon = d;
	rd->loop = loop;
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (open_conn(rd, (enum psd_db)db, &ep[db], err, err_size) < 0)
			return psd_redis_close(rd);
	}
	return rd;
}

int psd_redis_connect(struct psd_redis *rd, enum psd_db db)
{
	struct psd_redis_conn *c = &rd->conn[db];
	char err[256];

	if (c->ac != NULL) /* cannot happen: the core asks only for a database it knows is down */
		return 0;
	c->io = sd_event_source_disable_unref(c->io);
	if (open_conn(rd, db, &c->ep, err, sizeof(err)) < 0) {
		psd_log(PSD_LOG_WARN, "Redis: %s", err);
		if (c->ac != NULL) {
			redisAsyncContext *ac = c->ac;
			c->ac = NULL;
			ac->onDisconnect = NULL;
			redisAsyncFree(ac);
		}
		return -1; /* the driver reports the database down */
	}
	c->reconnecting = true;
	return 0;
}

void psd_redis_command(struct psd_redis *rd, enum psd_db db, uint64_t tag, uint32_t argc,
		       const char *const *argv, const size_t *argv_len)
{
	struct psd_redis_conn *c = &rd->conn[db];
	if (c->ac == NULL)
		return; /* already reported as a lost connection */
	if (redisAsyncCommandArgv(c->ac, on_reply, (void *)(uintptr_t)tag, (int)argc,
				  (const char **)argv, argv_len) == REDIS_OK)
		return;
	/* hiredis refused it (no memory, or the connection is closing): the core gets the error
	 * reply its command will never have, and retries as it does for any refused command */
	static const char why[] = "command not sent: hiredis refused it";
	struct psd_event ev = {.type = PSD_EV_DB_REPLY};
	psd_log(PSD_LOG_ERROR, "Redis: %s: %s", db_label[db], why);
	ev.u.reply.tag = tag;
	ev.u.reply.type = PSD_REPLY_ERROR;
	ev.u.reply.str = (struct psd_str){why, sizeof(why) - 1};
	psd_daemon_push(rd->daemon, &ev);
}

bool psd_redis_busy(const struct psd_redis *rd)
{
	for (int db = 0; db < _PSD_DB_MAX; db++)
		if (rd->conn[db].ac != NULL && rd->conn[db].ac->replies.head != NULL)
			return true;
	return false;
}

void psd_redis_flush(struct psd_redis *rd)
{
	for (int db = 0; rd != NULL && db < _PSD_DB_MAX; db++) {
		struct psd_redis_conn *c = &rd->conn[db];
		if (!c->write_pending || c->ac == NULL)
			continue;
		redisAsyncHandleWrite(c->ac);
		if (c->ac != NULL && c->write_pending)
			update_io(c, EPOLLOUT, 0); /* the socket is full: finish when writable */
	}
}

struct psd_redis *psd_redis_close(struct psd_redis *rd)
{
	if (rd == NULL)
		return NULL;
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		struct psd_redis_conn *c = &rd->conn[db];
		if (c->ac != NULL) {
			redisAsyncContext *ac = c->ac;
			c->ac = NULL;
			ac->onDisconnect = NULL;
			redisAsyncFree(ac);
		}
		c->io = sd_event_source_disable_unref(c->io);
	}
	free(rd->elements);
	free(rd);
	return NULL;
}
