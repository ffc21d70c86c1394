/*
 * Metrics (core/metrics.c, core/observe.c): histogram buckets, the exposition's form, the
 * latency the core observes with the time handed in, health verdicts, and the link analytics
 * written to PORT_LINK_STATS.
 */
#include "unit.h"

#include "histogram.h"
#include "psd/metrics.h"

#define UP_RUNNING (IFF_UP | IFF_RUNNING | IFF_LOWER_UP | 0x1000u | 0x2u)
#define UP (IFF_UP | 0x1000u | 0x2u)
#define MS 1000000ull

static char text[1 << 16];

static struct psd_world *running(bool link_stats)
{
	struct psd_world *w = psd_world_new();
	psd_model_hset(&w->m, CONFIG, "PORT|Ethernet0", "admin_status", "up");
	psd_model_hset(&w->m, CONFIG, "PORT|Ethernet0", "lanes", "0");
	w->cfg.link_stats = link_stats;
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	return w;
}

static const char *render(struct psd_world *w)
{
	struct psd_metrics_info info = {
		.version = "1.2.3",
		.start_time_unix_ns = 1500000000ull * 1000000000ull + 250000000ull,
		.now_ns = w->now,
		.log_output_dropped = 7,
	};
	size_t n = psd_metrics_render(w->core, &info, text, sizeof(text));
	assert_true(n < sizeof(text));
	return text;
}

/* The value of an exact sample line "name{labels} v". */
static uint64_t value(const char *t, const char *sample)
{
	char want[160];
	snprintf(want, sizeof(want), "\n%s ", sample);
	const char *at = strstr(t, want);
	if (at == NULL)
		fail_msg("no sample %s", sample);
	return strtoull(at + strlen(want), NULL, 10);
}

static void test_histogram_buckets(void **state)
{
	struct psd_histogram h = {0};
	psd_histogram_observe(&h, 10000);      /* le 0.00001: bounds are inclusive */
	psd_histogram_observe(&h, 10001);      /* le 0.00002 */
	psd_histogram_observe(&h, 400000);     /* le 0.0004 */
	psd_histogram_observe(&h, 10000000001ull); /* +Inf */
	assert_int_equal(h.bucket[0], 1);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[10], 1);
	assert_int_equal(psd_hist_bounds_ns[10], 400000);
	assert_int_equal(h.bucket[PSD_HIST_BUCKETS], 1);
	assert_int_equal(h.count, 4);
	assert_int_equal(h.sum_ns, 10000 + 10001 + 400000 + 10000000001ull);
	for (unsigned i = 1; i < PSD_HIST_BUCKETS; i++)
		assert_true(psd_hist_bounds_ns[i] > psd_hist_bounds_ns[i - 1]);
	assert_int_equal(psd_hist_bounds_ns[0], 10000);
	assert_int_equal(psd_hist_bounds_ns[PSD_HIST_BUCKETS - 1], 10000000000ull);
}

/* Every sample belongs to a family announced with # HELP and # TYPE just before it; names have
 * the prefix; counters end in _total; a short buffer is reported. */
static void test_exposition_form(void **state)
{
	struct psd_world *w = running(true);
	const char *t = render(w);
	char family[128] = "";
	char type[16] = "";
	unsigned families = 0;
	for (const char *line = t; *line != '\0';) {
		const char *end = strchr(line, '\n');
		assert_non_null(end);
		char l[256];
		size_t n = (size_t)(end - line) < sizeof(l) - 1 ? (size_t)(end - line) : sizeof(l) - 1;
		memcpy(l, line, n);
		l[n] = '\0';
		if (strncmp(l, "# HELP ", 7) == 0) {
			sscanf(l + 7, "%127s", family);
			families++;
		} else if (strncmp(l, "# TYPE ", 7) == 0) {
			char name[128];
			sscanf(l + 7, "%127s %15s", name, type);
			assert_string_equal(name, family);
			if (strcmp(type, "counter") == 0)
				assert_non_null(strstr(family, "_total"));
		} else {
			assert_int_equal(strncmp(l, "portsyncd_", 10), 0);
			assert_int_equal(strncmp(l, family, strlen(family)), 0);
		}
		line = end + 1;
	}
	assert_true(families >= 40);
	assert_non_null(strstr(t, "\nportsyncd_build_info{version=\"1.2.3\"} 1\n"));
	assert_non_null(strstr(t, "\nportsyncd_start_time_seconds 1500000000.25\n"));
	/* the adapter's count, handed in: the log output's drops */
	assert_int_equal(value(t, "portsyncd_log_output_dropped_total"), 7);
	assert_non_null(strstr(t, "portsyncd_link_ack_latency_seconds_bucket{le=\"0.00001\"} "));
	assert_non_null(strstr(t, "portsyncd_link_ack_latency_seconds_bucket{le=\"0.0025\"} "));
	assert_non_null(strstr(t, "portsyncd_link_ack_latency_seconds_bucket{le=\"10\"} "));
	struct psd_metrics_info info = {
		.version = "1.2.3",
		.start_time_unix_ns = 0,
		.now_ns = w->now,
	};
	assert_int_equal(psd_metrics_render(w->core, &info, text, 100), 100);
	psd_world_free(w);
}

/* The latency runs from the push of the first message that changed the port to the push of the
 * acknowledgement of the write that carried it (each NEWLINK looks the port up in APPL_DB first,
 * as upstream does; a second change meanwhile goes in the same write). */
static void test_ack_latency(void **state)
{
	struct psd_world *w = running(false);
	psd_world_new_link(w, "Ethernet0", 10, UP); /* found in APPL_DB: later changes are writes */
	psd_world_settle(w);
	const char *t = render(w);
	uint64_t before = value(t, "portsyncd_link_ack_latency_seconds_count");
	uint64_t newlinks = value(t, "portsyncd_netlink_messages_total{type=\"newlink\"}");
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_advance(w, 30000); /* 30 us later: a change while the look-up is held */
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_advance(w, 270000); /* the write is acknowledged 300 us after the first message */
	psd_world_release(w);
	psd_world_settle(w);
	t = render(w);
	assert_int_equal(value(t, "portsyncd_netlink_messages_total{type=\"newlink\"}") - newlinks, 2);
	assert_int_equal(value(t, "portsyncd_link_ack_latency_seconds_count") - before, 1);
	assert_int_equal(value(t, "portsyncd_link_ack_latency_seconds_bucket{le=\"0.0002\"}"), before);
	assert_int_equal(value(t, "portsyncd_link_ack_latency_seconds_bucket{le=\"0.0003\"}"),
			 before + 1);
	assert_true(value(t, "portsyncd_redis_commands_total{db=\"STATE_DB\"}") >= 2);
	assert_int_equal(value(t, "portsyncd_ports_present"), 1);
	assert_int_equal(value(t, "portsyncd_ports_oper_up"), 0);
	assert_int_equal(value(t, "portsyncd_ports_admin_up"), 1);
	psd_world_free(w);
}

static void test_health(void **state)
{
	struct psd_world *w = running(false);
	char why[PSD_HEALTH_REASON_MAX];
	assert_int_equal(psd_core_health(w->core, w->now, why, sizeof(why)), PSD_HEALTH_OK);
	assert_string_equal(why, "");
	psd_world_db_down(w, PSD_DB_STATE);
	assert_int_equal(psd_core_health(w->core, w->now + 100 * MS, why, sizeof(why)),
			 PSD_HEALTH_DEGRADED);
	assert_string_equal(why, "STATE_DB unreachable for 100 ms");
	assert_int_equal(psd_core_health(w->core, w->now + PSD_HEALTH_FAILING_DEFAULT_NS, why,
					 sizeof(why)),
			 PSD_HEALTH_FAILING);
	assert_non_null(strstr(why, "(past the limit)"));
	const char *t = render(w);
	assert_int_equal(value(t, "portsyncd_redis_up{db=\"STATE_DB\"}"), 0);
	assert_int_equal(value(t, "portsyncd_redis_disconnects_total{db=\"STATE_DB\"}"), 1);
	psd_world_free(w);
}

/* Redis stalls (commands held unanswered): ok until redis_stall_ms, degraded from then with the
 * reason, failing from health_failing_ms, ok again once Redis answers; the same in STATUS='s
 * line and the portsyncd_health family. */
static void test_health_redis_stall(void **state)
{
	struct psd_world *w = psd_world_new();
	char why[PSD_HEALTH_REASON_MAX];
	psd_model_hset(&w->m, CONFIG, "PORT|Ethernet0", "admin_status", "up");
	psd_model_hset(&w->m, CONFIG, "PORT|Ethernet0", "lanes", "0");
	w->cfg.redis_stall_ns = 500 * MS;
	w->cfg.health_failing_ns = 1500 * MS;
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	assert_int_equal(psd_core_health(w->core, w->now, why, sizeof(why)), PSD_HEALTH_OK);
	w->hold = true; /* Redis answers nothing from here */
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_true(psd_core_inflight(w->core) > 0);
	psd_world_advance(w, 499 * MS);
	assert_int_equal(psd_core_health(w->core, w->now, why, sizeof(why)), PSD_HEALTH_OK);
	assert_string_equal(why, "");
	psd_world_advance(w, 1 * MS);
	assert_int_equal(psd_core_health(w->core, w->now, why, sizeof(why)), PSD_HEALTH_DEGRADED);
	assert_string_equal(why, "Redis has not answered for 500 ms with 1 command unanswered "
				 "(redis_stall_ms 500)");
	assert_true(psd_world_logged(w, "Redis: stalled, no reply for 500 ms"));
	char status[256];
	psd_core_status(w->core, status, sizeof(status));
	assert_non_null(strstr(status, "Redis stalled, not answering"));
	assert_int_equal(value(render(w), "portsyncd_health{status=\"degraded\"}"), 1);
	psd_world_advance(w, 999 * MS);
	assert_int_equal(psd_core_health(w->core, w->now, why, sizeof(why)), PSD_HEALTH_DEGRADED);
	psd_world_advance(w, 1 * MS);
	assert_int_equal(psd_core_health(w->core, w->now, why, sizeof(why)), PSD_HEALTH_FAILING);
	/* polls went out meanwhile, unanswered too */
	assert_int_equal(strncmp(why, "Redis has not answered for 1500 ms with ", 40), 0);
	assert_non_null(strstr(why, " commands unanswered (past health_failing_ms 1500)"));
	assert_int_equal(value(render(w), "portsyncd_health{status=\"failing\"}"), 1);
	psd_world_release(w);
	psd_world_settle(w);
	assert_int_equal(psd_core_health(w->core, w->now, why, sizeof(why)), PSD_HEALTH_OK);
	assert_string_equal(why, "");
	assert_true(psd_world_logged(w, "Redis: stall over after"));
	psd_world_free(w);
}

/* PORT_LINK_STATS counts each oper change, keeps the last up and down, and the flaps in the
 * window; one log line per transition. */
static void test_link_stats(void **state)
{
	struct psd_world *w = running(true);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	for (int i = 0; i < 3; i++) {
		psd_world_advance(w, 1000 * MS);
		psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
		psd_world_advance(w, 1000 * MS);
		psd_world_new_link(w, "Ethernet0", 10, UP);
	}
	psd_world_settle(w);
	/* written PSD_LINK_STATS_DELAY_NS after the first change queued: not the last one yet */
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0", "oper_changes"),
			    "5");
	psd_world_advance(w, PSD_LINK_STATS_DELAY_NS);
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0", "oper_changes"),
			    "6");
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0", "oper_status"),
			    "down");
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0",
					   "flaps_in_window"), "6");
	/* the world's clock began at 1 us; realtime offset 0: times are the monotonic ones */
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0", "last_down"),
			    "6.000001");
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0", "last_up"),
			    "5.000001");
	assert_true(psd_world_logged(w, "link port=Ethernet0 oper=up->down admin=up cause=event "
					"changes=6"));
	const char *t = render(w);
	assert_int_equal(value(t, "portsyncd_link_oper_changes_total"), 6);
	assert_int_equal(value(t, "portsyncd_ports_flapping"), 1);
	/* a minute later the window is empty: no longer flapping; one more change counts alone */
	psd_world_advance(w, 61000 * MS);
	t = render(w);
	assert_int_equal(value(t, "portsyncd_ports_flapping"), 0);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_advance(w, PSD_LINK_STATS_DELAY_NS);
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0",
					   "flaps_in_window"), "1");
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0", "oper_changes"),
			    "7");
	/* PORT_TABLE keeps its four fields */
	assert_null(psd_model_hget(&w->m, STATE, "PORT_TABLE|Ethernet0", "oper_changes"));
	psd_core_check(w->core);
	psd_world_free(w);
}

static size_t logged_count(const struct psd_world *w, const char *part)
{
	size_t n = 0;
	for (size_t i = 0; i < w->log_count; i++)
		n += strstr(w->logs[i], part) != NULL;
	return n;
}

/* One port flapping at full rate: at most PSD_LINK_LINES_PER_MIN transition lines in its minute,
 * then one summary with the count of the others when the minute is over; the metrics and
 * PORT_LINK_STATS count every change; the next minute logs again. */
static void test_link_lines_rate_limited(void **state)
{
	struct psd_world *w = running(true);
	size_t lines = 0;
	psd_world_new_link(w, "Ethernet0", 10, UP); /* first sight: a line too */
	for (int i = 0; i < 1000; i++) {
		psd_world_advance(w, 1 * MS);
		psd_world_new_link(w, "Ethernet0", 10, i % 2 == 0 ? UP_RUNNING : UP);
		lines += logged_count(w, "link port=Ethernet0 oper=");
		assert_false(psd_world_logged(w, "transition lines of Ethernet0 suppressed"));
		w->log_count = 0; /* the world keeps 256 lines: counted as they come */
	}
	psd_world_settle(w);
	assert_int_equal(lines, PSD_LINK_LINES_PER_MIN);
	psd_world_advance(w, PSD_LINK_STATS_DELAY_NS);
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0", "oper_changes"),
			    "1000");
	assert_int_equal(value(render(w), "portsyncd_link_oper_changes_total"), 1000);
	/* the minute from the first line is over: one summary of the 991 lines not logged */
	psd_world_advance(w, 60000 * MS);
	assert_int_equal(logged_count(w, "transition lines of Ethernet0 suppressed"), 1);
	assert_true(psd_world_logged(w, "link: 991 transition lines of Ethernet0 suppressed in the "
					"last minute (at most 10 a minute a port)"));
	assert_true(value(render(w), "portsyncd_log_lines_suppressed_total") >= 991);
	/* a new minute: the next change is logged again */
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	assert_int_equal(logged_count(w, "link port=Ethernet0 oper="), 1);
	assert_true(psd_world_logged(w, "link port=Ethernet0 oper=down->up admin=up cause=event "
					"changes=1001"));
	psd_world_advance(w, 120000 * MS);
	assert_int_equal(logged_count(w, "transition lines of Ethernet0 suppressed"), 1);
	psd_core_check(w->core);
	psd_world_free(w);
}

/* Off (the simulator's default, and compat): no PORT_LINK_STATS command at all. */
static void test_link_stats_off(void **state)
{
	struct psd_world *w = running(false);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_settle(w);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_LINK_STATS"), 0);
	assert_false(psd_world_logged(w, "link port="));
	psd_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_exposition_form),
		cmocka_unit_test(test_ack_latency),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_health_redis_stall),
		cmocka_unit_test(test_link_stats),
		cmocka_unit_test(test_link_stats_off),
		cmocka_unit_test(test_link_lines_rate_limited),
	};
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
