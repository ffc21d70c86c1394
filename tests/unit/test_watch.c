/*
 * Keyspace subscriptions, through the simulator's Redis model (which publishes its writes): a
 * port APPL_DB is known to hold is written without a look-up, one it lacks is never written and
 * is looked up again the moment APPL_DB says it changed; a notification lost with its connection
 * is made up for by the full read at the next subscribe; a notification that overtakes the reply
 * of a look-up sent before it wins; a Redis that publishes nothing makes the daemon look up per
 * change as before; LOGGER and a CONFIG_DB written again after an empty restart come from
 * notifications, not polls; an idle daemon with everything watched has no deadline at all.
 */
#include "unit.h"

#define SEC 1000000000ull
#define MS 1000000ull

/* A running world whose CONFIG_DB and APPL_DB are watched, APPL_DB's full read taken. */
static struct psd_world *watched_world(int ports)
{
	struct psd_world *w = running_world(ports);
	assert_true(w->subs.asked[PSD_DB_APPL] && w->subs.asked[PSD_DB_CONFIG]);
	psd_world_watch_up(w, PSD_DB_CONFIG);
	psd_world_watch_up(w, PSD_DB_APPL);
	psd_world_settle(w);
	assert_int_equal(psd_core_stats(w->core)->appl_reads, 1);
	return w;
}

static size_t lookups(const struct psd_world *w, const char *port)
{
	char line[64];
	snprintf(line, sizeof(line), "0 EXISTS PORT_TABLE:%s", port);
	return psd_world_trace_count(w, line);
}

static void appl_del(struct psd_world *w, const char *port)
{
	char key[64];
	const char *argv[2] = {"DEL", key};
	size_t len[2] = {3, (size_t)snprintf(key, sizeof(key), "PORT_TABLE:%s", port)};
	struct psd_reply r;
	psd_model_exec(&w->m, APPL, 2, argv, len, &r);
}

static void test_known_port_written_without_lookup(void **state)
{
	struct psd_world *w = watched_world(2);
	size_t before = lookups(w, "Ethernet0");
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	assert_int_equal(lookups(w, "Ethernet0"), before);
	assert_true(psd_core_stats(w->core)->appl_known_writes >= 2);
	assert_true(psd_world_logged(w, "keyspace notifications of APPL_DB on"));
	psd_world_free(w);
}

/* Removed from APPL_DB: no more writes; put back by orchagent: written at once, no timer. */
static void test_removed_port_not_written_until_back(void **state)
{
	struct psd_world *w = watched_world(2);
	psd_world_new_link(w, "Ethernet4", 11, UP);
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");
	appl_del(w, "Ethernet4");
	psd_world_notes_deliver(w);
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING);
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100"); /* not written */
	assert_true(psd_world_logged(w, "Cannot find Ethernet4 in port table"));
	psd_world_new_link(w, "Ethernet4", 11, UP);
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING);
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");
	psd_model_hset(&w->m, APPL, "PORT_TABLE:Ethernet4", "lanes", "4"); /* orchagent again */
	psd_world_notes_deliver(w);
	psd_world_settle(w);
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
	psd_world_free(w);
}

/* While the subscription is down, what happens is not told; the full read at the next subscribe
 * catches up: a port deleted meanwhile is known absent and parked without a look-up. */
static void test_lost_notifications_made_up_by_the_read(void **state)
{
	struct psd_world *w = watched_world(2);
	psd_world_new_link(w, "Ethernet4", 11, UP);
	psd_world_watch_down(w, PSD_DB_APPL);
	appl_del(w, "Ethernet4"); /* published to nobody */
	for (int guard = 0; guard < 64 && !w->subs.asked[PSD_DB_APPL]; guard++)
		psd_world_tick(w);
	psd_world_watch_up(w, PSD_DB_APPL);
	psd_world_settle(w);
	assert_int_equal(psd_core_stats(w->core)->appl_reads, 2);
	size_t before = lookups(w, "Ethernet4");
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING);
	assert_int_equal(lookups(w, "Ethernet4"), before); /* known absent: no look-up */
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");
	psd_world_free(w);
}

/* A look-up answered "there" after a notification that it changed: the answer is not kept, so
 * the next change looks it up again (and finds it gone). */
static void test_notification_ahead_of_reply(void **state)
{
	struct psd_world *w = watched_world(2);
	psd_model_hset(&w->m, APPL, "PORT_TABLE:Ethernet0", "speed", "100000"); /* unknown now */
	psd_world_notes_deliver(w);
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING); /* its EXISTS held */
	assert_int_equal(w->held_count, 1);
	psd_world_exec(w, w->held[0].db, w->held[0].tag, w->held[0].expect, w->held[0].argc,
		       (const char *const *)w->held[0].argv, w->held[0].len); /* answers 1 */
	for (uint32_t k = 0; k < w->held[0].argc; k++)
		free(w->held[0].argv[k]);
	free(w->held[0].argv);
	free(w->held[0].len);
	w->held_count = 0;
	w->hold = false;
	appl_del(w, "Ethernet0");
	psd_world_notes_deliver(w); /* the DEL's notification before the EXISTS reply */
	psd_world_settle(w);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100"); /* it was there */
	size_t before = lookups(w, "Ethernet0");
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_int_equal(lookups(w, "Ethernet0"), before + 1); /* not taken as there */
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100"); /* gone: parked */
	psd_world_free(w);
}

/* A Redis that publishes no keyspace events: said once, and every change is looked up. */
static void test_no_keyspace_events(void **state)
{
	struct psd_world *w = running_world(2);
	w->subs.flags = "";
	psd_world_watch_up(w, PSD_DB_CONFIG);
	psd_world_watch_up(w, PSD_DB_APPL);
	psd_world_settle(w);
	assert_true(psd_world_logged(w, "keyspace notifications of APPL_DB off"));
	assert_int_equal(psd_core_stats(w->core)->appl_reads, 0);
	size_t before = lookups(w, "Ethernet0");
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_int_equal(lookups(w, "Ethernet0"), before + 2);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	psd_world_free(w);
}

/* LOGGER is read when CONFIG_DB says it changed, and never polled while watched. */
static void test_logger_on_notification(void **state)
{
	struct psd_world *w = watched_world(1);
	size_t polls = psd_world_trace_count(w, "4 HGET LOGGER|portsyncd LOGLEVEL");
	psd_world_advance(w, 5 * SEC);
	assert_int_equal(psd_world_trace_count(w, "4 HGET LOGGER|portsyncd LOGLEVEL"), polls);
	psd_model_hset(&w->m, CONFIG, "LOGGER|portsyncd", "LOGOUTPUT", "STDERR");
	psd_world_notes_deliver(w);
	psd_world_settle(w);
	assert_int_equal(psd_world_trace_count(w, "4 HGET LOGGER|portsyncd LOGOUTPUT"),
			 psd_world_trace_count(w, "4 HGET LOGGER|portsyncd LOGLEVEL"));
	assert_true(psd_world_trace_count(w, "4 HGET LOGGER|portsyncd LOGLEVEL") > polls);
	psd_world_free(w);
}

/* Nothing polled: with both databases watched and nothing pending, no deadline is left. */
static void test_idle_has_no_deadline(void **state)
{
	struct psd_world *w = watched_world(2);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	for (int i = 0; i < 4 && psd_core_next_deadline(w->core) != UINT64_MAX; i++)
		psd_world_tick(w); /* the link stats write, its delay */
	assert_int_equal(psd_core_next_deadline(w->core), UINT64_MAX);
	psd_world_free(w);
}

/* Redis back empty, its CONFIG_DB written later: copied again once the writes pause, without
 * waiting for a poll. */
static void test_config_written_after_empty_restart(void **state)
{
	struct psd_world *w = watched_world(2);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_redis_down(w);
	psd_world_watch_down(w, PSD_DB_CONFIG);
	psd_world_watch_down(w, PSD_DB_APPL);
	psd_model_restart(&w->m, NULL); /* empty, notifications kept */
	psd_world_redis_up(w);
	for (int guard = 0; guard < 64 && !(w->subs.asked[0] && w->subs.asked[1]); guard++)
		psd_world_tick(w);
	psd_world_watch_up(w, PSD_DB_CONFIG);
	psd_world_watch_up(w, PSD_DB_APPL);
	psd_world_settle(w);
	assert_true(psd_world_logged(w, "CONFIG_DB has none of the 2 configured ports"));
	assert_false(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortConfigDone"));
	configure_port(w, "Ethernet0"); /* a config reload */
	configure_port(w, "Ethernet4");
	psd_world_notes_deliver(w);
	psd_world_advance(w, PSD_CONFIG_SETTLE_NS);
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "2");
	psd_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_port_written_without_lookup),
		cmocka_unit_test(test_removed_port_not_written_until_back),
		cmocka_unit_test(test_lost_notifications_made_up_by_the_read),
		cmocka_unit_test(test_notification_ahead_of_reply),
		cmocka_unit_test(test_no_keyspace_events),
		cmocka_unit_test(test_logger_on_notification),
		cmocka_unit_test(test_idle_has_no_deadline),
		cmocka_unit_test(test_config_written_after_empty_restart),
	};
	return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
