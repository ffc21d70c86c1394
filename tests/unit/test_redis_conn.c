/*
 * The Redis connection's protocol (lib/redis_conn.c) against a server that says what it likes:
 * the SELECT's outcomes, replies matched to their commands in order whatever the chunking, and
 * every way a server can break the stream (a reply to no command, a reply of a type its command
 * cannot have, an array holding an integer, bytes that are not RESP, a reply past a limit):
 * each closes the connection and is reported down with what was wrong, never taken as an answer.
 * A subscription connection: the server's notify-keyspace-events asked first, a database up once
 * its patterns are confirmed, notifications handed on with the key and the event, and a
 * notification of what was never watched taken for the violation it is.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "redis_conn.h"

#define EVENTS_MAX 16

/* What the connection pushed. */
struct seen {
	struct psd_event ev[EVENTS_MAX];
	int64_t integer[EVENTS_MAX];
	char text[EVENTS_MAX][64];
	size_t count;
};

static void record(void *ctx, const struct psd_event *ev)
{
	struct seen *s = ctx;
	assert_true(s->count < EVENTS_MAX);
	s->ev[s->count] = *ev;
	if (ev->type == PSD_EV_DB_REPLY && ev->u.reply.type == PSD_REPLY_STRING)
		snprintf(s->text[s->count], sizeof(s->text[0]), "%.*s", (int)ev->u.reply.str.len,
			 ev->u.reply.str.ptr);
	if (ev->type == PSD_EV_KEYSPACE)
		snprintf(s->text[s->count], sizeof(s->text[0]), "%.*s %.*s",
			 (int)ev->u.keyspace.key.len, ev->u.keyspace.key.ptr,
			 (int)ev->u.keyspace.event.len, ev->u.keyspace.event.ptr);
	if (ev->type == PSD_EV_DB_REPLY && ev->u.reply.type == PSD_REPLY_ARRAY)
		snprintf(s->text[s->count], sizeof(s->text[0]), "%zu:%.*s",
			 ev->u.reply.element_count,
			 ev->u.reply.element_count > 0 ? (int)ev->u.reply.elements[0].len : 0,
			 ev->u.reply.element_count > 0 ? ev->u.reply.elements[0].ptr : "");
	s->count++;
}

struct fixture {
	struct psd_rconn c;
	struct seen seen;
	struct psd_sink sink;
};

static const uint32_t integer = PSD_EXPECT(PSD_REPLY_INTEGER);
static const uint32_t array = PSD_EXPECT(PSD_REPLY_ARRAY);

static void open_conn(struct fixture *f, bool report_up)
{
	memset(f, 0, sizeof(*f));
	f->sink = (struct psd_sink){record, &f->seen};
	assert_int_equal(psd_rconn_init(&f->c, PSD_DB_STATE, 6, report_up), 0);
	size_t len;
	const char *out = psd_rconn_output(&f->c, &len);
	assert_int_equal(len, strlen("*2\r\n$6\r\nSELECT\r\n$1\r\n6\r\n"));
	assert_memory_equal(out, "*2\r\n$6\r\nSELECT\r\n$1\r\n6\r\n", len);
	psd_rconn_written(&f->c, len);
}

static void server_says(struct fixture *f, const char *bytes)
{
	psd_rconn_feed(&f->c, bytes, strlen(bytes));
	psd_rconn_take(&f->c, &f->sink);
}

static void send_command(struct fixture *f, uint64_t tag, uint32_t expect, const char *verb)
{
	const char *argv[2] = {verb, "PORT_TABLE|Ethernet0"};
	const size_t len[2] = {strlen(verb), strlen(argv[1])};
	assert_int_equal(psd_rconn_command(&f->c, tag, expect, 2, argv, len), 0);
}

static void assert_down(const struct fixture *f, enum psd_db_down_cause cause, const char *says)
{
	const struct psd_event *last = &f->seen.ev[f->seen.count - 1];
	assert_int_equal(last->type, PSD_EV_DB_DOWN);
	assert_int_equal(last->u.down.db, PSD_DB_STATE);
	assert_int_equal(last->u.down.cause, cause);
	if (strstr(last->u.down.detail, says) == NULL)
		fail_msg("detail '%s' does not say '%s'", last->u.down.detail, says);
	assert_int_equal(f->c.state, PSD_RCONN_CLOSED);
}

/* The first connection is up in the core already: its SELECT's success is not reported; a
 * reconnect's is. */
static void test_select_ok(void **state)
{
	struct fixture f;
	open_conn(&f, false);
	server_says(&f, "+OK\r\n");
	assert_int_equal(f.c.state, PSD_RCONN_UP);
	assert_int_equal(f.seen.count, 0);
	psd_rconn_free(&f.c);
	open_conn(&f, true);
	server_says(&f, "+OK\r\n");
	assert_int_equal(f.seen.count, 1);
	assert_int_equal(f.seen.ev[0].type, PSD_EV_DB_UP);
	assert_int_equal(f.seen.ev[0].u.db, PSD_DB_STATE);
	psd_rconn_free(&f.c);
}

/* A refused SELECT names its cause and Redis's own words. */
static void test_select_refused(void **state)
{
	static const struct {
		const char *says;
		enum psd_db_down_cause cause;
		const char *named;
	} cases[] = {
		{"-NOAUTH Authentication required.\r\n", PSD_DOWN_AUTH, "NOAUTH Authentication"},
		{"-WRONGPASS invalid username-password pair\r\n", PSD_DOWN_AUTH, "WRONGPASS inv"},
		{"-ERR DB index is out of range\r\n", PSD_DOWN_NO_DB, "ERR DB index is out of range"},
		{"-LOADING Redis is loading the dataset in memory\r\n", PSD_DOWN_REFUSED, "LOADING"},
		{"-ERR max number of clients reached\r\n", PSD_DOWN_REFUSED, "max number of clients"},
		{":1\r\n", PSD_DOWN_PROTOCOL, "answered with :1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f;
		open_conn(&f, true);
		server_says(&f, cases[i].says);
		assert_int_equal(f.seen.count, 1);
		assert_down(&f, cases[i].cause, "SELECT 6 for STATE_DB");
		assert_down(&f, cases[i].cause, cases[i].named);
		psd_rconn_free(&f.c);
	}
}

/* Pipelined replies, in any chunking, a byte at a time included, answer their commands in order;
 * an error reply is an answer (Redis refused the command), not a violation. */
static void test_replies_in_order_whatever_the_chunks(void **state)
{
	static const char stream[] = "+OK\r\n:1\r\n*4\r\n$5\r\nstate\r\n$2\r\nok\r\n$3\r\nmtu\r\n"
				     "$4\r\n9100\r\n-OOM no memory\r\n:0\r\n";
	for (size_t chunk = 1; chunk <= sizeof(stream); chunk++) {
		struct fixture f;
		open_conn(&f, false);
		send_command(&f, 11, integer, "HSET");
		send_command(&f, 12, array, "HGETALL");
		send_command(&f, 13, integer, "HSET");
		send_command(&f, 14, integer, "DEL");
		for (size_t at = 0; at < sizeof(stream) - 1; at += chunk) {
			size_t n = sizeof(stream) - 1 - at < chunk ? sizeof(stream) - 1 - at : chunk;
			psd_rconn_feed(&f.c, stream + at, n);
			psd_rconn_take(&f.c, &f.sink);
		}
		assert_int_equal(f.seen.count, 4);
		assert_int_equal(f.seen.ev[0].u.reply.tag, 11);
		assert_int_equal(f.seen.ev[0].u.reply.integer, 1);
		assert_int_equal(f.seen.ev[1].u.reply.tag, 12);
		assert_string_equal(f.seen.text[1], "4:state");
		assert_int_equal(f.seen.ev[2].u.reply.type, PSD_REPLY_ERROR);
		assert_int_equal(f.seen.ev[3].u.reply.tag, 14);
		assert_int_equal(f.c.state, PSD_RCONN_UP);
		assert_int_equal(psd_rconn_pending(&f.c), 0);
		psd_rconn_free(&f.c);
	}
}

/* A proxy that writes a reply into the stream: no command pending for it. */
static void test_reply_with_no_command_pending(void **state)
{
	struct fixture f;
	open_conn(&f, false);
	send_command(&f, 11, integer, "HSET");
	server_says(&f, "+OK\r\n:1\r\n+OK\r\n");
	assert_int_equal(f.seen.count, 2);
	assert_int_equal(f.seen.ev[0].type, PSD_EV_DB_REPLY);
	assert_down(&f, PSD_DOWN_PROTOCOL, "a reply with no command pending (+OK)");
	/* closed: nothing more is taken or sent */
	server_says(&f, ":1\r\n");
	assert_int_equal(f.seen.count, 2);
	assert_int_equal(psd_rconn_command(&f.c, 12, integer, 0, NULL, NULL), -EPIPE);
	psd_rconn_free(&f.c);
}

/* Replies of types their commands cannot have are never acknowledgements. */
static void test_wrong_types_are_violations(void **state)
{
	static const struct {
		uint32_t expect;
		const char *says;
		const char *named;
	} cases[] = {
		{PSD_EXPECT(PSD_REPLY_INTEGER), "+OK\r\n", "(+OK)"},
		{PSD_EXPECT(PSD_REPLY_INTEGER), "$2\r\nok\r\n", "a bulk string of 2 bytes"},
		{PSD_EXPECT(PSD_REPLY_INTEGER), "*0\r\n", "an array of 0 elements"},
		{PSD_EXPECT(PSD_REPLY_INTEGER), "$-1\r\n", "nil"},
		{PSD_EXPECT(PSD_REPLY_ARRAY), ":3\r\n", "(:3)"},
		{PSD_EXPECT(PSD_REPLY_ARRAY), "*2\r\n$1\r\na\r\n:1\r\n", "an array of 2 elements"},
		{PSD_EXPECT(PSD_REPLY_ARRAY), "*1\r\n*0\r\n", "an array of 1 elements"},
		{PSD_EXPECT(PSD_REPLY_NIL), ":0\r\n", "(:0)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f;
		open_conn(&f, false);
		send_command(&f, 11, cases[i].expect, "X");
		server_says(&f, "+OK\r\n");
		server_says(&f, cases[i].says);
		assert_int_equal(f.seen.count, 1);
		assert_down(&f, PSD_DOWN_PROTOCOL, cases[i].named);
		psd_rconn_free(&f.c);
	}
}

/* Bytes that are not RESP, and replies past the limits. */
static void test_not_resp_and_limits(void **state)
{
	struct fixture f;
	open_conn(&f, false);
	server_says(&f, "?what\r\n");
	assert_down(&f, PSD_DOWN_PROTOCOL, "not RESP");
	psd_rconn_free(&f.c);

	open_conn(&f, false);
	server_says(&f, "+OK\r\n");
	send_command(&f, 11, array, "KEYS");
	server_says(&f, "*99999999\r\n");
	assert_down(&f, PSD_DOWN_PROTOCOL, "an array of 99999999 elements");
	psd_rconn_free(&f.c);

	/* a bulk string that drips in past the limit (lowered here: the real one is 64 MiB) */
	open_conn(&f, false);
	f.c.reply_max = 1u << 20;
	server_says(&f, "+OK\r\n");
	send_command(&f, 11, array, "KEYS");
	server_says(&f, "$2000000\r\n");
	static char filler[64u * 1024];
	memset(filler, 'x', sizeof(filler));
	for (unsigned k = 0; f.c.state != PSD_RCONN_CLOSED && k <= 32; k++) {
		psd_rconn_feed(&f.c, filler, sizeof(filler));
		psd_rconn_take(&f.c, &f.sink);
	}
	assert_down(&f, PSD_DOWN_PROTOCOL, "a reply of more than 1048576 bytes");
	psd_rconn_free(&f.c);

	/* many small elements count too */
	open_conn(&f, false);
	f.c.reply_max = 4096;
	server_says(&f, "+OK\r\n");
	send_command(&f, 11, array, "KEYS");
	server_says(&f, "*1000\r\n");
	for (unsigned k = 0; f.c.state != PSD_RCONN_CLOSED && k < 1000; k++)
		server_says(&f, "$1\r\nk\r\n");
	assert_down(&f, PSD_DOWN_PROTOCOL, "a reply of more than 4096 bytes");
	psd_rconn_free(&f.c);
}

/* A connection that ends while its SELECT is unanswered after a reconnect: the attempt failed;
 * once up, the connection was lost. Either is reported once. */
static void test_lost(void **state)
{
	struct fixture f;
	open_conn(&f, true);
	psd_rconn_lost(&f.c, &f.sink, "closed by the server");
	assert_down(&f, PSD_DOWN_CONNECT, "closed by the server");
	psd_rconn_lost(&f.c, &f.sink, "again");
	assert_int_equal(f.seen.count, 1);
	psd_rconn_free(&f.c);
	open_conn(&f, false);
	server_says(&f, "+OK\r\n");
	psd_rconn_lost(&f.c, &f.sink, "Connection reset by peer");
	assert_down(&f, PSD_DOWN_LOST, "Connection reset by peer");
	psd_rconn_free(&f.c);
}

/* Commands are written as RESP arrays of bulk strings, and what the socket took is taken off. */
static void test_output(void **state)
{
	struct fixture f;
	open_conn(&f, false);
	send_command(&f, 11, integer, "DEL");
	size_t len;
	const char *out = psd_rconn_output(&f.c, &len);
	static const char want[] = "*2\r\n$3\r\nDEL\r\n$20\r\nPORT_TABLE|Ethernet0\r\n";
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(out, want, len);
	psd_rconn_written(&f.c, 5);
	out = psd_rconn_output(&f.c, &len);
	assert_int_equal(len, sizeof(want) - 6);
	assert_memory_equal(out, want + 5, len);
	assert_int_equal(psd_rconn_pending(&f.c), 2); /* the SELECT and the DEL */
	psd_rconn_free(&f.c);
}

static const char flags_ake[] = "*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nAKE\r\n";

/* A subscription connection watching APPL_DB (database 0) with one pattern, confirmed. */
static void open_watch(struct fixture *f, const char *flags_reply)
{
	static const char *const pattern[] = {"__keyspace@0__:PORT_TABLE:*"};
	static const size_t len[] = {27};
	memset(f, 0, sizeof(*f));
	f->sink = (struct psd_sink){record, &f->seen};
	assert_int_equal(psd_rconn_init_watch(&f->c), 0);
	assert_int_equal(psd_rconn_watch(&f->c, PSD_DB_APPL, 0, 1, pattern, len), 0);
	size_t n;
	const char *out = psd_rconn_output(&f->c, &n);
	static const char want[] = "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$22\r\n"
				   "notify-keyspace-events\r\n*2\r\n$10\r\nPSUBSCRIBE\r\n"
				   "$27\r\n__keyspace@0__:PORT_TABLE:*\r\n";
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
	psd_rconn_written(&f->c, n);
	server_says(f, flags_reply);
	server_says(f, "*3\r\n$10\r\npsubscribe\r\n$27\r\n__keyspace@0__:PORT_TABLE:*\r\n:1\r\n");
}

static void test_watch_up_and_notified(void **state)
{
	struct fixture f;
	open_watch(&f, flags_ake);
	assert_int_equal(f.seen.count, 1);
	assert_int_equal(f.seen.ev[0].type, PSD_EV_WATCH_UP);
	assert_int_equal(f.seen.ev[0].u.watch_up.db, PSD_DB_APPL);
	assert_true(f.seen.ev[0].u.watch_up.flags_known);
	assert_string_equal(f.seen.ev[0].u.watch_up.flags, "AKE");
	server_says(&f, "*4\r\n$8\r\npmessage\r\n$27\r\n__keyspace@0__:PORT_TABLE:*\r\n"
			"$35\r\n__keyspace@0__:PORT_TABLE:Ethernet0\r\n$4\r\nhset\r\n");
	assert_int_equal(f.seen.count, 2);
	assert_int_equal(f.seen.ev[1].type, PSD_EV_KEYSPACE);
	assert_int_equal(f.seen.ev[1].u.keyspace.db, PSD_DB_APPL);
	assert_string_equal(f.seen.text[1], "PORT_TABLE:Ethernet0 hset");
	/* a database nobody watched */
	server_says(&f, "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$27\r\n__keyspace@6__:PORT_TABLE|x"
			"\r\n$3\r\ndel\r\n");
	assert_int_equal(f.seen.ev[2].type, PSD_EV_WATCH_DOWN);
	assert_int_equal(f.seen.ev[2].u.down.db, PSD_DB_APPL);
	assert_int_equal(f.seen.ev[2].u.down.cause, PSD_DOWN_PROTOCOL);
	assert_non_null(strstr(f.seen.ev[2].u.down.detail, "a notification of a database not watched"));
	psd_rconn_free(&f.c);
}

/* A server whose CONFIG is renamed or refused: the flags are unknown, the watch still comes up
 * (the core decides); one asking for a password is down. */
static void test_watch_flags_unknown_or_refused(void **state)
{
	struct fixture f;
	open_watch(&f, "-ERR unknown command 'CONFIG'\r\n");
	assert_int_equal(f.seen.ev[0].type, PSD_EV_WATCH_UP);
	assert_false(f.seen.ev[0].u.watch_up.flags_known);
	assert_non_null(strstr(f.seen.ev[0].u.watch_up.flags, "unknown command"));
	psd_rconn_free(&f.c);
	open_watch(&f, "-NOAUTH Authentication required.\r\n");
	assert_int_equal(f.seen.count, 1);
	assert_int_equal(f.seen.ev[0].type, PSD_EV_WATCH_DOWN);
	assert_int_equal(f.seen.ev[0].u.down.cause, PSD_DOWN_AUTH);
	psd_rconn_free(&f.c);
}

/* Two databases on one instance's connection: both watched, both down when it goes. */
static void test_watch_two_databases(void **state)
{
	static const char *const cfg[] = {"__keyspace@4__:LOGGER|portsyncd", "__keyspace@4__:PORT|*"};
	static const size_t cfg_len[] = {31, 21};
	struct fixture f;
	open_watch(&f, flags_ake);
	assert_int_equal(psd_rconn_watch(&f.c, PSD_DB_CONFIG, 4, 2, cfg, cfg_len), 0);
	server_says(&f, "*3\r\n$10\r\npsubscribe\r\n$31\r\n__keyspace@4__:LOGGER|portsyncd"
			"\r\n:2\r\n");
	assert_int_equal(f.seen.count, 1); /* one of two confirmations */
	server_says(&f, "+OK\r\n"); /* not a confirmation */
	assert_int_equal(f.seen.count, 3);
	assert_int_equal(f.seen.ev[1].type, PSD_EV_WATCH_DOWN);
	assert_int_equal(f.seen.ev[2].type, PSD_EV_WATCH_DOWN);
	assert_int_equal(f.seen.ev[1].u.down.db + f.seen.ev[2].u.down.db,
			 PSD_DB_CONFIG + PSD_DB_APPL);
	assert_non_null(strstr(f.seen.ev[1].u.down.detail, "an answer PSUBSCRIBE cannot have (+OK)"));
	psd_rconn_free(&f.c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_ok),
		cmocka_unit_test(test_select_refused),
		cmocka_unit_test(test_replies_in_order_whatever_the_chunks),
		cmocka_unit_test(test_reply_with_no_command_pending),
		cmocka_unit_test(test_wrong_types_are_violations),
		cmocka_unit_test(test_not_resp_and_limits),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_watch_up_and_notified),
		cmocka_unit_test(test_watch_flags_unknown_or_refused),
		cmocka_unit_test(test_watch_two_databases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
