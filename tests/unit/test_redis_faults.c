/*
 * How the core takes every way a Redis refuses, forgets or stalls, through the simulator's
 * Redis model: WRONGTYPE keys (named, skipped), LOADING (a wait, never an empty database),
 * refusals with any error text (Redis's own words in the log).
 */
#include "unit.h"

#define SEC 1000000000ull
#define MS 1000000ull

/* A CONFIG_DB PORT|x of another type: named with Redis's error, skipped; start-up completes. */
static void test_wrongtype_port_is_named_and_skipped(void **state)
{
	struct psd_world *w = psd_world_new();
	configure_port(w, "Ethernet0");
	psd_model_put_other(&w->m, CONFIG, "PORT|Ethernet4");
	psd_model_put_other(&w->m, CONFIG, "LOGGER|portsyncd");
	psd_world_start(w);
	assert_true(w->listening);
	assert_true(psd_world_logged(w, "CONFIG_DB PORT|Ethernet4: Redis answered 'WRONGTYPE "
					"Operation against a key holding the wrong kind of value'; "
					"port not copied to APPL_DB"));
	assert_true(psd_world_logged(w, "CONFIG_DB LOGGER|portsyncd: Redis answered 'WRONGTYPE"));
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "1");
	assert_false(psd_model_exists(&w->m, APPL, "_PORT_TABLE:Ethernet4"));
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_true(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortInitDone")); /* not waiting */
	psd_world_free(w);
}

/* A Redis still loading its data at start-up: a wait with Redis's own error, then a start-up. */
static void test_loading_at_startup_is_a_wait(void **state)
{
	struct psd_world *w = psd_world_new();
	configure_port(w, "Ethernet0");
	w->m.loading = true;
	psd_world_start(w);
	assert_false(w->listening);
	assert_true(psd_world_logged(w, "Redis refused a start-up command with 'LOADING Redis is "
					"loading the dataset in memory': trying again in 1000 ms"));
	w->m.loading = false;
	psd_world_tick(w);
	assert_true(w->listening);
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "1");
	psd_world_free(w);
}

/* A Redis that comes back LOADING its AOF is not an empty one: the check of what it kept runs
 * again until Redis answers, and nothing is copied again. */
static void test_loading_after_outage_is_not_empty(void **state)
{
	struct psd_world *w = running_world(2);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_redis_down(w);
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING);
	w->m.loading = true;
	w->m.run_id++; /* restarted, reading its AOF */
	size_t copies = psd_world_trace_count(w, "4 HGETALL");
	psd_world_redis_up(w);
	assert_true(psd_world_logged(w, "Redis refused the check of what it kept with 'LOADING"));
	assert_false(psd_world_logged(w, "APPL_DB was emptied"));
	assert_string_equal(psd_world_state(w, "Ethernet4"), "absent"); /* nothing goes yet */
	psd_world_tick(w); /* still loading: asked again */
	w->m.loading = false;
	for (int i = 0; i < 3 && !psd_world_logged(w, "Redis: recovered"); i++)
		psd_world_tick(w);
	/* the restart seen while Redis loaded is not forgotten by the verification that follows */
	assert_true(psd_world_logged(w, "STATE_DB's server restarted (new run_id), its data may "
					"be an older snapshot: rewriting every port; APPL_DB kept"));
	assert_int_equal(psd_world_trace_count(w, "4 HGETALL"), copies);
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
	psd_world_free(w);
}

static const char *refuse_busy(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			       const size_t *len)
{
	return "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
	       "SHUTDOWN NOSAVE.";
}

static const char *refuse_script_load(void *ctx, uint32_t db, uint32_t argc,
				      const char *const *argv, const size_t *len)
{
	return argc > 0 && strcmp(argv[0], "SCRIPT") == 0 ?
		       "LOADING Redis is loading the dataset in memory" :
		       NULL;
}

/* A verification whose first reply is a refusal and whose other replies come after the pause a
 * refusal waits (a slow Redis): the verification still runs again once it is complete, and port
 * writes go on; they used to wait for good, no timer left to run it again. */
static void test_refused_verification_slower_than_its_pause(void **state)
{
	struct psd_world *w = running_world(1);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_redis_down(w);
	for (int i = 0; i < 64 && !(w->connect_pending[0] && w->connect_pending[1] &&
				    w->connect_pending[2]); i++)
		psd_world_tick(w);
	w->hold = true;
	for (int db = 0; db < _PSD_DB_MAX; db++)
		psd_world_db_up(w, (enum psd_db)db);
	w->hooks.refuse = refuse_script_load;
	assert_true(psd_world_release_one(w, "SCRIPT")); /* the verification loads it again */
	w->hooks.refuse = NULL;
	psd_world_advance(w, PSD_REFUSED_RETRY_NS + 500 * PSD_NS_PER_MS); /* the pause is over */
	psd_world_release(w); /* ... before the rest of the verification is answered */
	for (int t = 0; t < 10; t++)
		psd_world_advance(w, PSD_REFUSED_RETRY_NS);
	psd_world_new_link(w, "Ethernet0", 10, DOWN);
	for (int t = 0; t < 10; t++)
		psd_world_advance(w, PSD_REFUSED_RETRY_NS);
	assert_true(psd_world_logged(w, "Redis: recovered"));
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down down 9100");
	psd_world_free(w);
}

/* Any error text: the start-up retries with Redis's words in the log. */
static void test_any_refusal_names_redis_error(void **state)
{
	struct psd_world *w = psd_world_new();
	configure_port(w, "Ethernet0");
	w->hooks.refuse = refuse_busy;
	psd_world_start(w);
	assert_true(psd_world_logged(w, "with 'BUSY Redis is busy running a script."));
	w->hooks.refuse = NULL;
	psd_world_tick(w);
	assert_true(w->listening);
	psd_world_free(w);
}

static bool notified_part(const struct psd_world *w, const char *part)
{
	for (size_t i = 0; i < w->notify_count; i++)
		if (strstr(w->notify[i], part) != NULL)
			return true;
	return false;
}

/* A Redis that stops answering (SIGSTOP): logged once the limit passes, in STATUS=, and its end
 * logged; an idle spell before the command is not counted as a stall. */
static void test_stall_logged_and_shown(void **state)
{
	struct psd_world *w = psd_world_new();
	w->cfg.redis_stall_ns = 2 * SEC;
	configure_port(w, "Ethernet0");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	psd_world_advance(w, 60 * SEC); /* idle: nothing unanswered */
	w->log_count = 0;
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING); /* with the LOGGER poll: 3 commands */
	psd_world_advance(w, 1900 * MS);
	assert_false(psd_world_logged(w, "Redis: stalled"));
	uint64_t sent = w->now - 1900 * MS;
	while (!psd_world_logged(w, "Redis: stalled") && w->now < sent + 3 * SEC)
		psd_world_tick(w);
	assert_int_equal(w->now, sent + 2 * SEC); /* the core's deadline is the limit */
	assert_true(psd_world_logged(w, "Redis: stalled, no reply for 2000 ms with 3 commands "
					"unanswered (redis_stall_ms 2000)"));
	assert_true(notified_part(w, "Redis stalled, not answering"));
	assert_int_equal(psd_core_stats(w->core)->redis_stalls, 1);
	psd_world_advance(w, 4 * SEC);
	psd_world_release(w);
	assert_true(psd_world_logged(w, "Redis: stall over after 6000 ms: Redis answers again"));
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	psd_world_free(w);
}

/* The health line goes out when health changes, not on a timer: degraded when Redis goes away,
 * failing at the moment the limit passes (a deadline of the core's own), ok once Redis is back;
 * each new verdict logged. */
static void test_health_line_when_it_changes(void **state)
{
	struct psd_world *w = running_world(1);
	assert_true(notified_part(w, "STATUS=health: ok"));
	uint64_t t0 = w->now;
	w->notify_count = 0;
	psd_world_redis_down(w);
	assert_true(notified_part(w, "STATUS=health: degraded: CONFIG_DB unreachable for 0 ms; "
				     "APPL_DB unreachable for 0 ms; STATE_DB unreachable for 0 ms"));
	assert_true(psd_world_logged(w, "health: degraded: CONFIG_DB unreachable for 0 ms"));
	while (!notified_part(w, "STATUS=health: failing") && w->now < t0 + 20 * SEC) {
		w->notify_count = 0;
		psd_world_tick(w);
	}
	assert_int_equal(w->now, t0 + PSD_HEALTH_FAILING_DEFAULT_NS);
	assert_true(psd_world_logged(w, "health: failing: CONFIG_DB unreachable for 10000 ms (past "
					"the limit)"));
	w->notify_count = 0;
	psd_world_redis_up(w);
	assert_true(notified_part(w, "STATUS=health: ok"));
	assert_true(psd_world_logged(w, "health: ok"));
	psd_world_free(w);
}

/* Redis restarts from a snapshot older than our last writes (SAVE, changes, kill -9, restart):
 * the new run_id tells; every port is written again and a port deleted since is deleted again. */
static void test_restart_onto_stale_snapshot(void **state)
{
	struct psd_world *w = running_world(3); /* Ethernet0, 4, 8 */
	struct psd_model snap;
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_new_link(w, "Ethernet8", 12, UP_RUNNING);
	psd_model_copy(&snap, &w->m);
	psd_world_new_link(w, "Ethernet0", 10, DOWN);       /* after the snapshot */
	psd_world_new_link(w, "Ethernet4", 11, UP);
	psd_world_del_link(w, "Ethernet8", 12);
	psd_world_redis_down(w);
	psd_model_restart(&w->m, &snap);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100"); /* stale */
	psd_world_redis_up(w);
	assert_true(psd_world_logged(w, "STATE_DB's server restarted (new run_id)"));
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down down 9100");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet8"), "absent");
	assert_int_equal(psd_core_stats(w->core)->redis_restarts, 1);
	psd_world_free(w);
}

/* A restart onto older data before the first complete dump: a port not heard of yet may still
 * have its netdev, so its entry waits for the dump, which then removes it if it is gone. */
static void test_stale_restart_waits_for_first_dump(void **state)
{
	struct psd_world *w = psd_world_new();
	struct psd_model snap;
	configure_port(w, "Ethernet0");
	configure_port(w, "Ethernet4");
	psd_model_hset(&w->m, STATE, "PORT_TABLE|Ethernet4", "state", "ok"); /* a stale entry */
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_model_copy(&snap, &w->m);
	psd_world_redis_down(w);
	psd_model_restart(&w->m, &snap);
	psd_world_redis_up(w);
	assert_true(psd_world_logged(w, "STATE_DB's server restarted"));
	assert_true(psd_model_exists(&w->m, STATE, "PORT_TABLE|Ethernet4")); /* not yet */
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_dump_done(w); /* Ethernet4 has no netdev */
	assert_false(psd_model_exists(&w->m, STATE, "PORT_TABLE|Ethernet4"));
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	psd_world_free(w);
}

/* Redis restarts empty and CONFIG_DB is loaded 2 s later (a config reload): no PortConfigDone
 * for an empty CONFIG_DB; the copy is asked again until the ports are there. */
static void test_empty_restart_config_later(void **state)
{
	struct psd_world *w = running_world(2);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING);
	psd_world_redis_down(w);
	psd_model_restart(&w->m, NULL);
	psd_world_redis_up(w);
	assert_true(psd_world_logged(w, "CONFIG_DB has none of the 2 configured ports after Redis "
					"came back empty"));
	assert_false(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortConfigDone"));
	psd_world_advance(w, 1 * SEC);
	psd_world_advance(w, 1 * SEC);
	assert_false(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortConfigDone"));
	configure_port(w, "Ethernet0");
	configure_port(w, "Ethernet4");
	psd_world_advance(w, 1 * SEC);
	assert_true(psd_world_logged(w, "CONFIG_DB has its ports again"));
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "2");
	psd_model_consume(&w->m, APPL);
	for (int i = 0; i < 3; i++)
		psd_world_advance(w, 1 * SEC); /* the parked ports are looked up again */
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
	assert_true(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortInitDone") ||
		    psd_model_exists(&w->m, APPL, "PORT_TABLE:PortInitDone"));
	psd_world_free(w);
}

/* More configured ports than ports_max: no partial copy, no PortConfigDone; said once with the
 * count, and the daemon exits 1. */
static void test_ports_max_overflow_refused(void **state)
{
	struct psd_world *w = psd_world_new();
	char name[16];
	w->lim.ports_max = 8;
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i);
		configure_port(w, name);
	}
	psd_world_start(w);
	assert_true(w->exited);
	assert_int_equal(w->exit_status, 1);
	assert_true(psd_world_logged(w, "CONFIG_DB has 20 ports; the port table holds 8 (ports_max)"));
	assert_int_equal(psd_world_trace_count(w, "0 EVALSHA"), 0);
	size_t lines = 0;
	for (size_t i = 0; i < w->log_count; i++)
		lines += strstr(w->logs[i], "port table") != NULL;
	assert_int_equal(lines, 1);
	psd_world_free(w);
}

/* A netdev named like a port that APPL_DB never gets: one line, then a summary a minute, not a
 * line per re-check. An invalid LOGGER value: one line per distinct value, never overwritten. */
static void test_repeated_conditions_log_once(void **state)
{
	struct psd_world *w = psd_world_new();
	w->cfg.log_level = PSD_LOG_NOTICE; /* what an operator sees */
	configure_port(w, "Ethernet0");
	psd_model_hset(&w->m, CONFIG, "LOGGER|portsyncd", "LOGLEVEL", "LOUD");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	psd_world_new_link(w, "Ethernet99", 99, UP);
	w->log_count = 0;
	for (int i = 0; i < 130; i++)
		psd_world_advance(w, 1 * SEC);
	size_t missing = 0, summaries = 0, bad = 0;
	for (size_t i = 0; i < w->log_count; i++) {
		missing += strstr(w->logs[i], "Cannot find Ethernet99") != NULL;
		summaries += strstr(w->logs[i], "still not in APPL_DB PORT_TABLE: 1 ports, the first "
						"Ethernet99") != NULL;
		bad += strstr(w->logs[i], "LOGLEVEL: value 'LOUD' is not valid") != NULL;
	}
	assert_int_equal(missing, 0); /* logged once, before the count started */
	assert_int_equal(summaries, 2);
	assert_int_equal(bad, 0);
	assert_string_equal(psd_model_hget(&w->m, CONFIG, "LOGGER|portsyncd", "LOGLEVEL"), "LOUD");
	psd_model_hset(&w->m, CONFIG, "LOGGER|portsyncd", "LOGLEVEL", "LOUDER");
	psd_world_advance(w, 2 * SEC);
	assert_true(psd_world_logged(w, "LOGLEVEL: value 'LOUDER' is not valid"));
	psd_world_free(w);
}

/* Lines holding part since the last call, and the world's log emptied (it keeps 256). */
static size_t take_lines(struct psd_world *w, const char *part)
{
	size_t n = 0;
	for (size_t i = 0; i < w->log_count; i++)
		n += strstr(w->logs[i], part) != NULL;
	return n;
}

/* Answers each pending connect with a failure of this cause. */
static void fail_connects(struct psd_world *w, enum psd_db_down_cause cause, const char *detail)
{
	for (int db = 0; db < 3; db++) {
		if (!w->connect_pending[db])
			continue;
		w->connect_pending[db] = false;
		struct psd_event ev = {.type = PSD_EV_DB_DOWN};
		ev.u.down.db = (enum psd_db)db;
		ev.u.down.cause = cause;
		snprintf(ev.u.down.detail, sizeof(ev.u.down.detail), "%s", detail);
		psd_world_push(w, &ev);
	}
}

struct said {
	size_t first, summaries;
};

/* Redis failing each attempt for `seconds` with this cause: STATE_DB's lines counted. */
static struct said failing_for(struct psd_world *w, uint64_t seconds,
			       enum psd_db_down_cause cause, const char *detail, const char *first)
{
	struct said n = {0};
	uint64_t until = w->now + seconds * SEC;
	while (w->now < until) {
		psd_world_tick(w);
		fail_connects(w, cause, detail);
		n.first += take_lines(w, first);
		n.summaries += take_lines(w, "Redis: STATE_DB still unreachable: ");
		w->log_count = 0;
	}
	return n;
}

/* Redis away for minutes, refusing connections, then asking for a password: each condition is
 * said once in full, then once a minute with the count of the attempts since, not once an
 * attempt (four a second a database). */
static void test_connect_failures_said_once_a_minute(void **state)
{
	struct psd_world *w = running_world(1);
	psd_world_redis_down(w);
	w->log_count = 0;
	struct said refused = failing_for(w, 150, PSD_DOWN_CONNECT, "Connection refused",
					  "Redis: STATE_DB Connection refused; trying again");
	assert_int_equal(refused.first, 1);
	assert_true(refused.summaries >= 2 && refused.summaries <= 3);
	struct said noauth = failing_for(w, 150, PSD_DOWN_AUTH, "NOAUTH Authentication required.",
					 "Redis: STATE_DB asks for a password");
	assert_int_equal(noauth.first, 1); /* failing another way: said at once */
	assert_true(noauth.summaries >= 2 && noauth.summaries <= 3);
	assert_true(psd_core_stats(w->core)->log_suppressed > 1000);
	psd_world_redis_up(w);
	assert_true(psd_world_logged(w, "Redis: connected again to STATE_DB"));
	psd_world_free(w);
}

/* A start-up command Redis refuses every second for minutes (LOADING): one line a minute with
 * the count of the refusals since. */
static void test_refusals_said_once_a_minute(void **state)
{
	struct psd_world *w = psd_world_new();
	configure_port(w, "Ethernet0");
	w->m.loading = true;
	psd_world_start(w);
	size_t lines = take_lines(w, "Redis refused a start-up command"), counted = 0;
	w->log_count = 0;
	for (int i = 0; i < 150; i++) {
		psd_world_advance(w, 1 * SEC);
		lines += take_lines(w, "Redis refused a start-up command");
		counted += take_lines(w, "more refusals in the last minute)");
		w->log_count = 0;
	}
	assert_true(lines >= 3 && lines <= 4); /* at 0 s, then once a minute */
	assert_true(counted >= 2 && counted <= 3);
	w->m.loading = false;
	psd_world_tick(w);
	assert_true(w->listening);
	psd_world_free(w);
}

/* Records the log ring lost between two pulls are reported once it has room. */
static void test_log_ring_drops_reported(void **state)
{
	struct psd_world *w = psd_world_new();
	char name[16];
	w->lim.ports_max = 256;
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "PORT|Bad/%d", i); /* one ERROR each, in one reply */
		psd_model_hset(&w->m, CONFIG, name, "lanes", "0");
	}
	psd_world_start(w);
	assert_true(psd_core_stats(w->core)->log_dropped > 0);
	assert_true(psd_world_logged(w, "records lost (more than PSD_LOG_RING, 64, between two pulls)"));
	psd_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrongtype_port_is_named_and_skipped),
		cmocka_unit_test(test_loading_at_startup_is_a_wait),
		cmocka_unit_test(test_loading_after_outage_is_not_empty),
		cmocka_unit_test(test_any_refusal_names_redis_error),
		cmocka_unit_test(test_refused_verification_slower_than_its_pause),
		cmocka_unit_test(test_stall_logged_and_shown),
		cmocka_unit_test(test_connect_failures_said_once_a_minute),
		cmocka_unit_test(test_refusals_said_once_a_minute),
		cmocka_unit_test(test_health_line_when_it_changes),
		cmocka_unit_test(test_restart_onto_stale_snapshot),
		cmocka_unit_test(test_stale_restart_waits_for_first_dump),
		cmocka_unit_test(test_empty_restart_config_later),
		cmocka_unit_test(test_ports_max_overflow_refused),
		cmocka_unit_test(test_repeated_conditions_log_once),
		cmocka_unit_test(test_log_ring_drops_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
