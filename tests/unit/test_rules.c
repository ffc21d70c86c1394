/*
 * The rules as Prometheus and Alertmanager get them (adapters/alert_rules.c): the shipped flap
 * rule is the one definition of flapping (psd/limits.h); a per-port rule prints over the per-port
 * series, so Prometheus's alert carries the port; every inhibited_by prints as an inhibit rule.
 */
#include "unit.h"

#include "alert_rules.h"
#include "psd/alerts.h"

static struct psd_alert_rules rules;

static char *printed(bool inhibit)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	if (inhibit)
		psd_alert_rules_print_inhibit(&rules, out);
	else
		psd_alert_rules_print_prometheus(&rules, out);
	fclose(out);
	return buf;
}

static const struct psd_alert_rule *named(const char *name)
{
	for (uint32_t i = 0; i < rules.count; i++)
		if (strcmp(rules.rule[i].name, name) == 0)
			return &rules.rule[i];
	fail_msg("no rule %s", name);
	return NULL;
}

static void load(const char *text)
{
	char err[400];
	if (psd_alert_rules_parse(&rules, "t.conf", text, err, sizeof(err)) < 0)
		fail_msg("%s", err);
}

static void test_shipped_flap_rule_is_the_definition(void **state)
{
	load(NULL);
	const struct psd_alert_rule *r = named("port_flapping");
	assert_int_equal(r->threshold, PSD_FLAP_ABOVE * 1000);
	assert_int_equal(r->window_s, PSD_FLAP_WINDOW_S);
	assert_int_equal(r->for_s, PSD_FLAP_FOR_S);
	assert_int_equal(r->keep_firing_for_s, PSD_FLAP_KEEP_S);
	assert_int_equal(r->condition, PSD_COND_ABOVE);
	assert_true(r->per_port);
}

static void test_per_port_rules_print_per_port(void **state)
{
	load("[alert band]\nmetric = port_oper_changes\nper_port = true\ncondition = inside\n"
	     "low = 2\nhigh = 3\nwindow = 7s\n");
	char *y = printed(false);
	assert_non_null(strstr(y, "      - alert: port_flapping\n        expr: '"
				  "(portsyncd_port_carrier_changes_total - "
				  "portsyncd_port_carrier_changes_total offset 30s) > 4'\n"
				  "        for: 5s\n        keep_firing_for: 20s\n"));
	assert_non_null(strstr(y, "expr: '((portsyncd_port_carrier_changes_total - "
				  "portsyncd_port_carrier_changes_total offset 7s)) >= 2 and "
				  "((portsyncd_port_carrier_changes_total - "
				  "portsyncd_port_carrier_changes_total offset 7s)) <= 3'"));
	assert_null(strstr(y, "portsyncd_alert_condition_ports"));
	free(y);
}

static void test_inhibit_rules(void **state)
{
	load("[alert quiet]\nmetric = portsyncd_writes_pending\ncondition = above\nthreshold = 1\n"
	     "inhibited_by = netlink_messages_lost\n");
	char *y = printed(true);
	assert_string_equal(y, "# portsyncd's inhibitions for Alertmanager's configuration "
			       "(portsyncd --print-alertmanager-inhibit-rules): each rule's "
			       "inhibited_by.\n"
			       "inhibit_rules:\n"
			       "  - source_matchers: ['alertname=\"redis_unreachable\"']\n"
			       "    target_matchers: ['alertname=\"port_flapping\"']\n"
			       "    equal: [instance, job]\n"
			       "  - source_matchers: ['alertname=\"netlink_messages_lost\"']\n"
			       "    target_matchers: ['alertname=\"quiet\"']\n"
			       "    equal: [instance, job]\n");
	free(y);
	load("[alert port_flapping]\nenabled = false\n");
	y = printed(true);
	assert_non_null(strstr(y, "inhibit_rules:\n  []\n"));
	free(y);
}

/* A per-port window is any whole number of seconds up to the flap ring's 60. */
static void test_per_port_window_limit(void **state)
{
	char err[400];
	assert_int_equal(psd_alert_rules_parse(&rules, "t.conf", "[alert a]\nmetric = port_oper_changes\n"
					       "per_port = true\ncondition = above\nthreshold = 3\n"
					       "window = 61s\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:1: [alert a] window 61s: expected 1s to 60s"));
	load("[alert a]\nmetric = port_oper_changes\nper_port = true\ncondition = above\n"
	     "threshold = 3\nwindow = 15s\n");
	assert_int_equal(named("a")->window_s, 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_flap_rule_is_the_definition),
		cmocka_unit_test(test_per_port_rules_print_per_port),
		cmocka_unit_test(test_inhibit_rules),
		cmocka_unit_test(test_per_port_window_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
