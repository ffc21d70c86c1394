/*
 * Resilience tests: Redis outages (writes kept and replayed, backoff with jitter, a Redis that
 * comes back empty gets the whole state again, an interrupted start-up runs again), netlink loss
 * (re-dump, sweep of ports gone meanwhile, rate limit, interrupted dumps), the watchdog, and
 * run-time reconfiguration.
 */
#include <errno.h>

#include "unit.h"

#include "psd/metrics.h"

#define SEC 1000000000ull
#define MS 1000000ull

/* Fires timers until the core asks to connect db; returns the time that took. */
static uint64_t until_connect(struct psd_world *w, enum psd_db db)
{
	uint64_t start = w->now;
	unsigned before = w->connects[db];
	for (int guard = 0; w->connects[db] == before; guard++) {
		assert_true(guard < 100);
		psd_world_tick(w);
	}
	return w->now - start;
}

/* Fires timers until a new dump is requested. */
static void until_dump(struct psd_world *w, uint32_t seq)
{
	for (int guard = 0; w->dump_seq == seq; guard++) {
		assert_true(guard < 100);
		psd_world_tick(w);
	}
}

static void test_outage_keeps_and_replays_writes(void **state)
{
	struct psd_world *w = running_world(2);
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, UP);  /* look-up in flight when Redis drops */
	psd_world_redis_down(w);
	assert_int_equal(w->held_count, 0);
	size_t sent = w->trace_count;
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	assert_int_equal(w->trace_count, sent); /* nothing goes to a database that is down */
	w->hold = false;
	psd_world_redis_up(w);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
	assert_int_equal(psd_core_stats(w->core)->redis_disconnects, 3);
	assert_true(psd_core_stats(w->core)->commands_replayed >= 1);
	assert_true(psd_world_traced(w, "0 EXISTS PORT_TABLE:PortConfigDone"));
	assert_true(psd_world_logged(w, "STATE_DB kept its data"));
	assert_int_equal(psd_core_stats(w->core)->redis_data_lost, 0);
	psd_world_free(w);
}

/* Ten minutes without Redis and an event every second: bounded queues, then convergence. */
static void test_long_outage_is_bounded(void **state)
{
	struct psd_world *w = running_world(2);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_redis_down(w);
	for (int s = 0; s < 600; s++) {
		psd_world_new_link(w, s % 2 ? "Ethernet0" : "Ethernet4", 10 + s % 2,
			       s % 3 ? UP : UP_RUNNING);
		unsigned before[3] = {w->connects[0], w->connects[1], w->connects[2]};
		psd_world_advance(w, SEC);
		for (int db = 0; db < 3; db++)
			if (w->connects[db] != before[db])
				psd_world_db_down(w, (enum psd_db)db); /* the attempt fails */
	}
	assert_true(psd_core_stats(w->core)->redis_connect_failures > 100);
	assert_int_equal(psd_core_ports_in_use(w->core), 2); /* memory follows ports, not events */
	psd_world_redis_up(w);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");  /* s = 599 */
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");  /* s = 598 */
	psd_world_free(w);
}

static void test_backoff_grows_capped_with_jitter(void **state)
{
	struct psd_world *w = running_world(1);
	uint64_t prev_delay = 0;
	psd_world_db_down(w, PSD_DB_STATE);
	for (int attempt = 1; attempt <= 12; attempt++) {
		uint64_t delay = until_connect(w, PSD_DB_STATE);
		uint64_t full = PSD_RECONNECT_MIN_DEFAULT_NS << (attempt - 1);
		if (full > PSD_RECONNECT_MAX_DEFAULT_NS)
			full = PSD_RECONNECT_MAX_DEFAULT_NS;
		assert_true(delay >= full / 2 && delay <= full); /* equal jitter */
		if (attempt <= 4)
			assert_true(delay > prev_delay / 2);
		prev_delay = delay;
		psd_world_db_down(w, PSD_DB_STATE); /* the attempt failed */
	}
	assert_int_equal(psd_core_stats(w->core)->redis_connect_failures, 12);
	psd_world_db_up(w, PSD_DB_STATE);
	psd_world_settle(w);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	psd_world_free(w);
}

static void test_same_seed_same_schedule(void **state)
{
	uint64_t delays[2][6];
	for (int run = 0; run < 2; run++) {
		struct psd_world *w = running_world(1);
		for (int i = 0; i < 6; i++) {
			psd_world_db_down(w, PSD_DB_CONFIG);
			delays[run][i] = until_connect(w, PSD_DB_CONFIG);
		}
		psd_world_free(w);
	}
	assert_memory_equal(delays[0], delays[1], sizeof(delays[0]));
}

static void test_redis_back_empty_gets_everything(void **state)
{
	struct psd_world *w = running_world(2);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_new_link(w, "Ethernet4", 11, UP);
	assert_true(psd_core_port_init_done(w->core));
	psd_world_redis_down(w);
	psd_model_free(&w->m); /* restarted without persistence */
	psd_model_init(&w->m);
	configure_port(w, "Ethernet0"); /* CONFIG_DB is loaded again from config_db.json */
	configure_port(w, "Ethernet4");
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING); /* a change during the outage */
	psd_world_redis_up(w);
	assert_true(psd_world_logged(w, "STATE_DB was emptied"));
	assert_string_equal(psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd",
					   "restore_count"), "0");
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:Ethernet0", "lanes"), "0");
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "2");
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortInitDone", "lanes"), "0");
	/* the look-ups wait for orchagent to consume the rewritten entries, then write */
	psd_model_consume(&w->m, APPL);
	psd_world_advance(w, SEC);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
	assert_int_equal(psd_core_stats(w->core)->redis_data_lost, 2);
	psd_world_free(w);
}

static void test_outage_during_startup_restarts_it(void **state)
{
	struct psd_world *w = psd_world_new();
	configure_port(w, "Ethernet0");
	psd_model_hset(&w->m, STATE, "WARM_RESTART_ENABLE_TABLE|swss", "enable", "true");
	psd_model_hset(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd", "restore_count", "5");
	assert_true(psd_world_init_core(w));
	struct psd_event ev = {.type = PSD_EV_START};
	psd_world_push(w, &ev);
	/* let start-up run until restore_count is written, then lose Redis before KEYS answers */
	while (!psd_world_traced(w, "4 KEYS PORT|*"))
		assert_true(psd_world_deliver_one(w));
	psd_world_redis_down(w);
	assert_false(w->listening);
	psd_world_redis_up(w);
	assert_true(w->listening);
	assert_true(psd_world_logged(w, "start-up interrupted"));
	/* the warm decision is kept: restore_count is 6, not 7 */
	assert_string_equal(psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd",
					   "restore_count"), "6");
	assert_int_equal(psd_world_trace_count(w, "6 HGET WARM_RESTART_TABLE|portsyncd restore_count"), 1);
	psd_world_free(w);
}

/* One database drops during start-up while the others answer: the late replies of the
 * interrupted phase must not leak into the start-up that runs again. */
static void test_partial_outage_during_startup(void **state)
{
	for (int cut = 1; cut < 12; cut++) {
		struct psd_world *w = psd_world_new();
		configure_port(w, "Ethernet0");
		assert_true(psd_world_init_core(w));
		struct psd_event ev = {.type = PSD_EV_START};
		psd_world_push(w, &ev);
		for (int i = 0; i < cut && psd_world_deliver_one(w); i++)
			;
		psd_world_db_down(w, PSD_DB_CONFIG);
		psd_world_settle(w); /* APPL_DB and STATE_DB keep answering */
		for (int guard = 0; !w->connect_pending[PSD_DB_CONFIG]; guard++) {
			assert_true(guard < 64);
			psd_world_tick(w);
		}
		psd_world_db_up(w, PSD_DB_CONFIG);
		psd_world_settle(w);
		assert_true(w->listening);
		psd_world_dump_done(w);
		psd_model_consume(&w->m, APPL);
		psd_world_new_link(w, "Ethernet0", 10, UP);
		assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
		assert_string_equal(psd_model_hget(&w->m, APPL, "PORT_TABLE:PortConfigDone", "count"),
				    "1");
		psd_world_free(w);
	}
}

static void push_type(struct psd_world *w, enum psd_event_type type)
{
	struct psd_event ev = {.type = type};
	if (type == PSD_EV_NL_LOSS)
		ev.u.loss = PSD_LOSS_ENOBUFS;
	psd_world_push(w, &ev);
	psd_world_settle(w);
}

/* ENOBUFS, then the adapter reads the event socket empty (nothing was queued before the loss). */
static void overrun(struct psd_world *w)
{
	push_type(w, PSD_EV_NL_LOSS);
	push_type(w, PSD_EV_NL_DRAINED);
}

/* Ethernet0 and Ethernet4 up, then, past the re-dump interval, an overrun: a re-dump is asked. */
static struct psd_world *two_ports_redumping(void)
{
	struct psd_world *w = running_world(2);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_new_link(w, "Ethernet4", 11, UP);
	w->now += 2 * SEC;
	overrun(w);
	return w;
}

/* The dump reply: the given ports present, then DONE with flags. */
static void dump_reply(struct psd_world *w, const char *const *names, int count, uint16_t done_flags)
{
	uint8_t buf[4096];
	size_t off = 0;
	for (int i = 0; i < count; i++) {
		struct psd_nl_link_spec s = {.type = RTM_NEWLINK, .name = names[i], .ifindex = 10 + i,
					     .flags = UP_RUNNING, .mtu = 9100, .seq = w->dump_seq,
					     .nlflags = NLM_F_MULTI};
		off = psd_nl_build_link(buf, sizeof(buf), off, &s);
	}
	off = psd_nl_build_done(buf, sizeof(buf), off, w->dump_seq, done_flags);
	psd_world_datagram(w, buf, off, true);
}

static void test_overrun_resync_sweeps_gone_ports(void **state)
{
	struct psd_world *w = running_world(3);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_new_link(w, "Ethernet4", 11, UP);
	psd_world_new_link(w, "Ethernet8", 12, UP);
	uint32_t seq = w->dump_seq;
	w->now += 2 * SEC; /* past the re-dump interval since the start-up dump */
	overrun(w); /* meanwhile: Ethernet0 came up, Ethernet8 was deleted */
	assert_int_equal(w->dump_seq, seq + 1);
	assert_true(psd_world_logged(w, "receive buffer overrun (ENOBUFS)"));
	const char *present[] = {"Ethernet0", "Ethernet4"};
	dump_reply(w, present, 2, 0);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet8"), "absent");
	assert_int_equal(psd_core_stats(w->core)->resync_deleted, 1);
	assert_int_equal(psd_core_stats(w->core)->nl_losses[PSD_LOSS_ENOBUFS], 1);
	psd_world_free(w);
}

/* Linux keeps what the receive queue held when it overflowed and loses what came after: the
 * backlog read after ENOBUFS is older than the loss and must not override the re-dump. Here
 * Ethernet8's DELLINK was lost; its older NEWLINKs are still queued. */
static void test_overrun_backlog_is_older_than_the_dump(void **state)
{
	struct psd_world *w = running_world(3);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_new_link(w, "Ethernet4", 11, UP);
	psd_world_new_link(w, "Ethernet8", 12, UP);
	uint32_t seq = w->dump_seq;
	w->now += 2 * SEC;
	push_type(w, PSD_EV_NL_LOSS);
	assert_int_equal(w->dump_seq, seq); /* no dump while the backlog is read */
	size_t writes = psd_world_trace_count(w, "6 HSET PORT_TABLE|");
	psd_world_new_link(w, "Ethernet8", 12, UP_RUNNING); /* the backlog: discarded */
	psd_world_new_link(w, "Ethernet0", 10, 0);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|"), writes);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	push_type(w, PSD_EV_NL_DRAINED);
	assert_int_equal(w->dump_seq, seq + 1);
	assert_true(psd_world_logged(w, "2 datagrams queued before the overrun discarded"));
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING); /* newer than the loss: applied */
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
	const char *present[] = {"Ethernet0", "Ethernet4"};
	dump_reply(w, present, 2, 0);
	assert_string_equal(psd_world_state(w, "Ethernet8"), "absent");
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_int_equal(psd_core_stats(w->core)->nl_stale_datagrams, 2);
	/* a second overrun during the re-dump's wait: the backlog is discarded again */
	w->now += 2 * SEC;
	push_type(w, PSD_EV_NL_LOSS);
	psd_world_new_link(w, "Ethernet8", 12, UP_RUNNING);
	assert_string_equal(psd_world_state(w, "Ethernet8"), "absent");
	push_type(w, PSD_EV_NL_DRAINED);
	assert_int_equal(w->dump_seq, seq + 2);
	psd_world_free(w);
}

/* The backlog is never longer than the receive buffer: past that many bytes, what is read is
 * newer than the loss, even if the socket is never read empty (a storm that does not stop). */
static void test_overrun_backlog_ends_at_the_buffer_size(void **state)
{
	struct psd_world *w = psd_world_new();
	w->cfg.nl_rcvbuf_bytes = 40; /* each link message here is longer */
	configure_port(w, "Ethernet0");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	uint32_t seq = w->dump_seq;
	w->now += 2 * SEC;
	push_type(w, PSD_EV_NL_LOSS);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_int_equal(w->dump_seq, seq + 1);
	assert_int_equal(psd_core_stats(w->core)->nl_stale_datagrams, 1);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "absent");
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	psd_world_free(w);
}

/* Linux ends a dump it cannot finish (a link too large for the datagram) with NLMSG_DONE whose
 * payload is the negative errno: the links after it were never sent, so such a dump cannot
 * prove a port gone. */
static void test_dump_done_with_an_error_does_not_sweep(void **state)
{
	struct psd_world *w = two_ports_redumping();
	uint8_t buf[4096];
	size_t off = 0;
	struct psd_nl_link_spec s = {.type = RTM_NEWLINK, .name = "Ethernet0", .ifindex = 10,
				     .flags = UP, .mtu = 9100, .seq = w->dump_seq,
				     .nlflags = NLM_F_MULTI};
	off = psd_nl_build_link(buf, sizeof(buf), off, &s);
	size_t done = off;
	off = psd_nl_build_done(buf, sizeof(buf), off, w->dump_seq, 0);
	int32_t err = -EMSGSIZE; /* Ethernet4 was not dumped */
	memcpy(buf + done + sizeof(struct nlmsghdr), &err, sizeof(err));
	psd_world_datagram(w, buf, off, true);
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");
	assert_int_equal(psd_core_stats(w->core)->resync_deleted, 0);
	psd_world_free(w);
}

static void test_redump_rate_limit_and_interrupted_dump(void **state)
{
	struct psd_world *w = running_world(1);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	w->now += 2 * SEC;
	overrun(w);
	uint32_t seq = w->dump_seq;
	const char *present[] = {"Ethernet0"};
	dump_reply(w, present, 1, NLM_F_DUMP_INTR); /* interrupted: no sweep, dump again... */
	assert_int_equal(w->dump_seq, seq);         /* ...but not before the interval */
	assert_int_equal(psd_core_stats(w->core)->nl_losses[PSD_LOSS_DUMP_INTR], 1);
	until_dump(w, seq);
	assert_int_equal(w->dump_seq, seq + 1);
	overrun(w); /* a loss during a dump: one more dump after it */
	dump_reply(w, present, 1, 0);
	until_dump(w, seq + 1);
	assert_int_equal(w->dump_seq, seq + 2);
	dump_reply(w, present, 1, 0);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_int_equal(psd_core_stats(w->core)->resyncs, 3);
	psd_world_free(w);
}

static void test_stale_and_malformed_dumps_do_not_sweep(void **state)
{
	struct psd_world *w = two_ports_redumping();
	/* a malformed datagram in the dump: the dump cannot prove a port is gone */
	uint8_t bad[8] = {0xff};
	psd_world_datagram(w, bad, sizeof(bad), true);
	const char *present[] = {"Ethernet0"};
	dump_reply(w, present, 1, 0);
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");
	psd_world_free(w);
}

/* A datagram lost during a dump (MSG_TRUNC), or an overrun of the dump socket, may have been one
 * of the dump's own: that dump cannot prove a port is gone; it is abandoned and another one
 * replaces it (no event backlog to discard: the socket's empty read is not awaited). */
static void test_loss_during_dump_abandons_it(void **state)
{
	static const enum psd_nl_loss losses[] = {PSD_LOSS_TRUNCATED, PSD_LOSS_DUMP_ENOBUFS};
	for (size_t i = 0; i < sizeof(losses) / sizeof(losses[0]); i++) {
		struct psd_world *w = two_ports_redumping();
		uint32_t seq = w->dump_seq;
		struct psd_event ev = {.type = PSD_EV_NL_LOSS};
		ev.u.loss = losses[i]; /* the datagram that held Ethernet4 */
		psd_world_push(w, &ev);
		const char *present[] = {"Ethernet0"};
		dump_reply(w, present, 1, 0);
		assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");
		assert_int_equal(psd_core_stats(w->core)->resync_deleted, 0);
		until_dump(w, seq);
		const char *both[] = {"Ethernet0", "Ethernet4"};
		dump_reply(w, both, 2, 0);
		assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
		assert_int_equal(psd_core_stats(w->core)->nl_losses[losses[i]], 1);
		psd_world_free(w);
	}
}

static bool refuse_writes(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			  const size_t *len)
{
	(void)ctx, (void)db, (void)argc, (void)len;
	return strcmp(argv[0], "HSET") != 0 && strcmp(argv[0], "DEL") != 0 &&
	       strcmp(argv[0], "EVALSHA") != 0;
}

/* Redis refusing writes (MISCONF, OOM) loses nothing: port writes and PortInitDone are tried
 * again at the next re-check, once Redis accepts them. */
static void test_refused_writes_are_retried(void **state)
{
	struct psd_world *w = running_world(1);
	w->hooks.command = refuse_writes;
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	assert_true(psd_world_logged(w, "STATE_DB command refused for Ethernet0 with 'OOM command not allowed"));
	assert_string_equal(psd_world_state(w, "Ethernet0"), "absent");
	psd_world_advance(w, SEC);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "absent"); /* still refused */
	w->hooks.command = NULL;
	psd_world_advance(w, SEC);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_true(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortInitDone"));
	psd_world_free(w);
}

/* A start-up command refused runs the start-up again after a pause, connections kept. */
static void test_refused_startup_runs_again(void **state)
{
	struct psd_world *w = psd_world_new();
	configure_port(w, "Ethernet0");
	w->hooks.command = refuse_writes;
	psd_world_start(w);
	assert_true(psd_world_logged(w, "Redis refused a start-up command with 'OOM command not allowed"));
	assert_false(w->listening);
	w->hooks.command = NULL;
	psd_world_tick(w);
	assert_true(w->listening);
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "1");
	assert_int_equal(w->connects[PSD_DB_APPL], 0);
	psd_world_free(w);
}

/* After an outage, PortInitDone waits until Redis is verified (and refilled): a Redis that came
 * back empty must not see it before PortConfigDone. */
static void test_init_done_after_verification(void **state)
{
	struct psd_world *w = running_world(1);
	uint8_t buf[512];
	struct psd_nl_link_spec spec = {.type = RTM_NEWLINK, .name = "Ethernet0", .ifindex = 10,
					.flags = UP, .mtu = 9100};
	struct psd_event ev = {.type = PSD_EV_NL_DATAGRAM};
	ev.u.nl.bytes = buf;
	ev.u.nl.len = psd_nl_build_link(buf, sizeof(buf), 0, &spec);
	psd_world_push(w, &ev);
	/* replies one at a time, until PortInitDone is sent; its reply is lost with Redis */
	while (psd_world_trace_count(w, "0 EVALSHA " PSD_MODEL_SHA " 3 PORT_TABLE_CHANNEL@0 "
					"PORT_TABLE_KEY_SET _PORT_TABLE:PortInitDone") == 0)
		assert_true(psd_world_deliver_one(w));
	psd_world_redis_down(w);
	psd_model_free(&w->m);
	psd_model_init(&w->m);
	configure_port(w, "Ethernet0");
	size_t before = w->trace_count;
	w->hold = true; /* a link message arrives while the verification is under way */
	psd_world_redis_up(w);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_release(w);
	size_t config_done = SIZE_MAX, init_done = SIZE_MAX;
	for (size_t i = before; i < w->trace_count; i++) {
		if (strstr(w->trace[i], "KEY_SET _PORT_TABLE:PortConfigDone") && config_done == SIZE_MAX)
			config_done = i;
		if (strstr(w->trace[i], "KEY_SET _PORT_TABLE:PortInitDone") && init_done == SIZE_MAX)
			init_done = i;
	}
	assert_true(config_done != SIZE_MAX && init_done != SIZE_MAX);
	assert_true(config_done < init_done);
	psd_world_free(w);
}

static void test_watchdog(void **state)
{
	struct psd_world *w = psd_world_new();
	w->cfg.watchdog_ns = 10 * SEC;
	configure_port(w, "Ethernet0");
	psd_world_start(w);
	for (int i = 0; i < 4; i++)
		psd_world_advance(w, 5 * SEC);
	assert_true(w->watchdogs >= 4);
	/* a command that never gets an answer: after PSD_STALL_NS the watchdog is not fed */
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, UP);
	unsigned fed = w->watchdogs;
	for (int i = 0; i < 8; i++)
		psd_world_advance(w, 5 * SEC);
	assert_true(w->watchdogs <= fed + 6);
	assert_true(psd_world_logged(w, "watchdog not fed"));
	psd_world_free(w);
}

static void test_reconfigure(void **state)
{
	struct psd_world *w = running_world(1);
	struct psd_config next = w->cfg;
	next.reconnect_max_ns = 1000 * MS;
	next.log_level_pinned = true;
	next.log_level = PSD_LOG_WARN;
	struct psd_event ev = {.type = PSD_EV_RECONFIGURE};
	ev.u.cfg = &next;
	psd_world_push(w, &ev);
	assert_true(psd_world_logged(w, "configuration reloaded"));
	next.reconnect_min_ns = 1; /* below PSD_RECONNECT_MIN_NS */
	assert_int_equal(psd_core_push(w->core, w->now, &ev), -EINVAL);
	next.reconnect_min_ns = 0;
	next.health_failing_ns = PSD_HEALTH_FAILING_MAX_NS + 1;
	assert_int_equal(psd_core_push(w->core, w->now, &ev), -EINVAL);
	next.health_failing_ns = 50 * MS; /* below PSD_HEALTH_FAILING_MIN_NS */
	assert_int_equal(psd_core_push(w->core, w->now, &ev), -EINVAL);
	/* a new failing limit applies at once: STATE_DB down 300 ms is failing past 200 ms */
	next.health_failing_ns = 200 * MS;
	psd_world_push(w, &ev);
	for (int i = 0; i < 8; i++)
		psd_world_db_down(w, PSD_DB_CONFIG);
	assert_true(until_connect(w, PSD_DB_CONFIG) <= 1000 * MS); /* the new cap applies */
	char why[PSD_HEALTH_REASON_MAX];
	psd_world_db_down(w, PSD_DB_STATE);
	psd_core_health(w->core, w->now + 100 * MS, why, sizeof(why));
	assert_non_null(strstr(why, "STATE_DB unreachable for 100 ms"));
	assert_null(strstr(why, "STATE_DB unreachable for 100 ms (past the limit)"));
	assert_int_equal(psd_core_health(w->core, w->now + 300 * MS, why, sizeof(why)),
			 PSD_HEALTH_FAILING);
	assert_non_null(strstr(why, "STATE_DB unreachable for 300 ms (past the limit)"));
	psd_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outage_keeps_and_replays_writes),
		cmocka_unit_test(test_long_outage_is_bounded),
		cmocka_unit_test(test_backoff_grows_capped_with_jitter),
		cmocka_unit_test(test_same_seed_same_schedule),
		cmocka_unit_test(test_redis_back_empty_gets_everything),
		cmocka_unit_test(test_outage_during_startup_restarts_it),
		cmocka_unit_test(test_partial_outage_during_startup),
		cmocka_unit_test(test_overrun_resync_sweeps_gone_ports),
		cmocka_unit_test(test_overrun_backlog_is_older_than_the_dump),
		cmocka_unit_test(test_overrun_backlog_ends_at_the_buffer_size),
		cmocka_unit_test(test_dump_done_with_an_error_does_not_sweep),
		cmocka_unit_test(test_redump_rate_limit_and_interrupted_dump),
		cmocka_unit_test(test_stale_and_malformed_dumps_do_not_sweep),
		cmocka_unit_test(test_loss_during_dump_abandons_it),
		cmocka_unit_test(test_refused_writes_are_retried),
		cmocka_unit_test(test_refused_startup_runs_again),
		cmocka_unit_test(test_init_done_after_verification),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_reconfigure),
	};
	return cmocka_run_group_tests_name("resilience", tests, NULL, NULL);
}
