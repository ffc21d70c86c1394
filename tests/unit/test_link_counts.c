/*
 * Link counts (core/port_stats.c): oper changes taken from the kernel's carrier counts as deltas
 * from the first sight (a baseline; a count that goes backwards or a new ifindex starts a new
 * one; a restart never counts the kernel's history), changes counted from messages where the
 * kernel gives no count (and said so), the one definition of flapping in the gauge and
 * PORT_LINK_STATS, the per-port series and their limit, and the per-port limit of transition
 * lines.
 */
#include "unit.h"

#include "psd/metrics.h"

#define S 1000000000ull

static char text[1 << 20];

static const char *render(struct psd_world *w)
{
	struct psd_metrics_info info = {.version = "t", .now_ns = w->now};
	assert_true(psd_metrics_render(w->core, &info, text, sizeof(text)) < sizeof(text));
	return text;
}

/* The value of the sample line "sample v", or -1 when there is none. */
static long long value(const char *t, const char *sample)
{
	char want[200];
	snprintf(want, sizeof(want), "\n%s ", sample);
	const char *at = strstr(t, want);
	return at == NULL ? -1 : strtoll(at + strlen(want), NULL, 10);
}

static const char *stats(struct psd_world *w, const char *field)
{
	const char *v = psd_model_hget(&w->m, STATE, "PORT_LINK_STATS|Ethernet0", field);
	return v != NULL ? v : "(none)";
}

/* Ethernet0 configured and consumed, at second `at`, its first sight not yet made. */
static struct psd_world *world(uint64_t at)
{
	struct psd_world *w = psd_world_new();
	w->cfg.seed = 42;
	w->cfg.link_stats = true;
	configure_port(w, "Ethernet0");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	psd_world_advance(w, at * S - w->now);
	return w;
}

static void settle_stats(struct psd_world *w)
{
	psd_world_advance(w, 200 * 1000000ull); /* PORT_LINK_STATS goes 100 ms after a change */
}

/* The first sight is the baseline: a netdev whose carrier changed 1000 times before counts none;
 * each later message counts the kernel's delta, the changes lost in between included. */
static void test_kernel_deltas(void **state)
{
	struct psd_world *w = world(100);
	psd_world_carrier_link(w, "Ethernet0", 10, UP_RUNNING, 1000, 500, 500);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "0");
	assert_string_equal(stats(w, "counted_by"), "kernel");
	/* down, then up, down, up lost (an overrun): the kernel counted 4, the message shows 1 */
	psd_world_carrier_link(w, "Ethernet0", 10, UP, 1004, 502, 502);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "4");
	assert_string_equal(stats(w, "flaps_in_window"), "4");
	/* a message with the same state but the count moved (changes never seen): counted too */
	psd_world_carrier_link(w, "Ethernet0", 10, UP, 1006, 503, 503);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "6");
	assert_string_equal(stats(w, "window_seconds"), "30");
	assert_non_null(stats(w, "flapping_since"));
	assert_true(strcmp(stats(w, "flapping_since"), "(none)") != 0); /* 6 > 4 in 30 s */
	render(w);
	assert_int_equal(value(text, "portsyncd_link_oper_changes_total"), 6);
	assert_int_equal(value(text, "portsyncd_ports_flapping"), 1);
	assert_int_equal(value(text, "portsyncd_ports_counted_from_messages"), 0);
	/* the per-port series are the kernel's own counts, as node_exporter's */
	assert_int_equal(value(text, "portsyncd_port_carrier_changes_total{port=\"Ethernet0\"}"),
			 1006);
	assert_int_equal(value(text, "portsyncd_port_carrier_up_changes_total{port=\"Ethernet0\"}"),
			 503);
	assert_int_equal(value(text, "portsyncd_port_carrier_down_changes_total{port=\"Ethernet0\"}"),
			 503);
	assert_int_equal(value(text, "portsyncd_port_oper_up{port=\"Ethernet0\"}"), 0);
	assert_int_equal(value(text, "portsyncd_port_admin_up{port=\"Ethernet0\"}"), 1);
	assert_int_equal(value(text, "portsyncd_port_flapping_since_seconds{port=\"Ethernet0\"}"),
			 100);
	/* 31 s later the window is empty: no longer flapping; the totals stay */
	psd_world_advance(w, 31 * S);
	render(w);
	assert_int_equal(value(text, "portsyncd_ports_flapping"), 0);
	assert_int_equal(value(text, "portsyncd_port_flapping_since_seconds{port=\"Ethernet0\"}"), -1);
	assert_int_equal(value(text, "portsyncd_link_oper_changes_total"), 6);
	psd_core_check(w->core);
	psd_world_free(w);
}

/* A count that goes backwards, or another ifindex under the name, is a netdev created again: a
 * new baseline, nothing counted for the jump. */
static void test_new_baselines(void **state)
{
	struct psd_world *w = world(100);
	psd_world_carrier_link(w, "Ethernet0", 10, UP_RUNNING, 50, 25, 25);
	psd_world_carrier_link(w, "Ethernet0", 10, UP, 51, 25, 26);
	psd_world_carrier_link(w, "Ethernet0", 10, UP_RUNNING, 3, 2, 1); /* backwards */
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "1");
	psd_world_carrier_link(w, "Ethernet0", 10, UP, 4, 2, 2);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "2");
	psd_world_carrier_link(w, "Ethernet0", 77, UP_RUNNING, 90, 45, 45); /* a new netdev */
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "2");
	psd_world_carrier_link(w, "Ethernet0", 77, UP, 91, 45, 46);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "3");
	/* gone and back: the first sight of the new netdev is its baseline */
	psd_world_del_link(w, "Ethernet0", 77);
	psd_world_carrier_link(w, "Ethernet0", 78, UP_RUNNING, 700, 350, 350);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "0");
	psd_core_check(w->core);
	psd_world_free(w);
}

/* A restart in the middle of flapping: the new daemon's first dump is its baseline, so neither
 * the kernel's history nor the changes the old daemon counted are counted again. */
static void test_restart_counts_no_history(void **state)
{
	struct psd_world *w = world(100);
	psd_world_carrier_link(w, "Ethernet0", 10, UP_RUNNING, 10, 5, 5);
	psd_world_carrier_link(w, "Ethernet0", 10, UP, 13, 6, 7);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "3");
	psd_world_restart(w);
	psd_model_consume(&w->m, APPL);
	psd_world_carrier_link(w, "Ethernet0", 10, UP_RUNNING, 16, 8, 8); /* the dump's view */
	psd_world_dump_done(w);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "0");
	psd_world_carrier_link(w, "Ethernet0", 10, UP, 19, 9, 10);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "3");
	render(w);
	assert_int_equal(value(text, "portsyncd_link_oper_changes_total"), 3);
	psd_world_free(w);
}

/* Without the kernel's counts each change a message shows is counted, and the metrics say so. */
static void test_message_counts(void **state)
{
	struct psd_world *w = world(100);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	for (int i = 0; i < 5; i++)
		psd_world_new_link(w, "Ethernet0", 10, i % 2 == 0 ? UP : UP_RUNNING);
	settle_stats(w);
	assert_string_equal(stats(w, "oper_changes"), "5");
	assert_string_equal(stats(w, "counted_by"), "messages");
	render(w);
	assert_int_equal(value(text, "portsyncd_ports_counted_from_messages"), 1);
	assert_int_equal(value(text, "portsyncd_port_carrier_changes_total{port=\"Ethernet0\"}"), 5);
	assert_int_equal(value(text, "portsyncd_port_carrier_up_changes_total{port=\"Ethernet0\"}"), 2);
	assert_int_equal(value(text, "portsyncd_port_carrier_down_changes_total{port=\"Ethernet0\"}"),
			 3);
	assert_int_equal(value(text, "portsyncd_ports_flapping"), 1); /* 5 > 4 in 30 s */
	psd_world_free(w);
}

/* The flap window is the last 30 s to the second: four changes at 100 s and one at 125 s make a
 * flapping port until 130 s; from 131 s the changes of 100 s are out. */
static void test_flapping_definition(void **state)
{
	struct psd_world *w = world(100);
	psd_world_carrier_link(w, "Ethernet0", 10, UP_RUNNING, 0, 0, 0);
	psd_world_carrier_link(w, "Ethernet0", 10, UP, 4, 2, 2);
	psd_world_advance(w, 25 * S);
	psd_world_carrier_link(w, "Ethernet0", 10, UP_RUNNING, 5, 3, 2);
	render(w);
	assert_int_equal(value(text, "portsyncd_ports_flapping"), 1);
	psd_world_advance(w, 130 * S - w->now);
	assert_int_equal(value(render(w), "portsyncd_ports_flapping"), 1);
	psd_world_advance(w, S);
	assert_int_equal(value(render(w), "portsyncd_ports_flapping"), 0);
	psd_world_free(w);
}

/* Per-port series up to port_series_max: the ports beyond get none, counted and logged once;
 * a series given back (its port gone) goes to the next port that changes. */
static void test_series_limit(void **state)
{
	char name[16];
	struct psd_world *w = psd_world_new();
	w->cfg.seed = 42;
	w->cfg.link_stats = true;
	w->cfg.port_series_max = 3;
	psd_world_start(w);
	psd_world_dump_done(w);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i);
		psd_world_carrier_link(w, name, 10 + i, UP_RUNNING, 1, 1, 0);
	}
	render(w);
	assert_int_equal(value(text, "portsyncd_ports_present"), 5);
	assert_int_equal(value(text, "portsyncd_ports_without_series"), 2);
	assert_int_equal(value(text, "portsyncd_port_series_refused_total"), 2);
	assert_int_equal(value(text, "portsyncd_port_oper_up{port=\"Ethernet2\"}"), 1);
	assert_int_equal(value(text, "portsyncd_port_oper_up{port=\"Ethernet3\"}"), -1);
	assert_int_equal(value(text, "portsyncd_port_oper_up{port=\"Ethernet4\"}"), -1);
	assert_true(psd_world_logged(w, "metrics: no per-port series for Ethernet3: port_series_max (3)"));
	assert_false(psd_world_logged(w, "no per-port series for Ethernet4"));
	/* the aggregate families are all there */
	assert_int_equal(value(text, "portsyncd_ports_oper_up"), 5);
	psd_world_del_link(w, "Ethernet1", 11);
	psd_world_carrier_link(w, "Ethernet4", 14, UP, 2, 1, 1);
	render(w);
	assert_int_equal(value(text, "portsyncd_port_oper_up{port=\"Ethernet4\"}"), 0);
	assert_int_equal(value(text, "portsyncd_port_oper_up{port=\"Ethernet1\"}"), -1);
	assert_int_equal(value(text, "portsyncd_ports_without_series"), 1);
	psd_core_check(w->core);
	psd_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_deltas),
		cmocka_unit_test(test_new_baselines),
		cmocka_unit_test(test_restart_counts_no_history),
		cmocka_unit_test(test_message_counts),
		cmocka_unit_test(test_flapping_definition),
		cmocka_unit_test(test_series_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
