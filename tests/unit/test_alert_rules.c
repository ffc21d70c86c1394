/*
 * The alert rule file (adapters/alert_rules.c): chains of inhibited_by that come back (a rule
 * inhibited by itself, two, three, through a shipped rule) refused naming the cycle, the file
 * and the line; a rule named twice, a header without a name, a header without keys and keys
 * outside a section refused with their line; every key accepted at both ends of its documented
 * range (docs/alerts.md) and refused one step beyond. The rules as Prometheus and Alertmanager
 * get them: the shipped flap rule is the one definition of flapping (psd/limits.h); a per-port
 * rule prints over the per-port series, so Prometheus's alert carries the port; every
 * inhibited_by prints as an inhibit rule.
 */
#include <errno.h>
#include <unistd.h>

#include "unit.h"

#include "alert_rules.h"
#include "psd/alert_defs.h"

#define RULE_A "[alert a]\nmetric = portsyncd_writes_pending\ncondition = above\n"
#define DAEMON_RULE(name, inhibitor)                                                             \
	"[alert " name "]\nmetric = portsyncd_writes_pending\ncondition = above\nthreshold = 1\n" \
	"inhibited_by = " inhibitor "\n"

static struct psd_alert_rules rules;
static char err[600];
static char text[PSD_ALERT_FILE_BYTES_MAX + 2];

static int parse(const char *t)
{
	err[0] = '\0';
	return psd_alert_rules_parse(&rules, "rules.conf", t, err, sizeof(err));
}

static void refused(const char *t, const char *why)
{
	if (parse(t) == 0)
		fail_msg("accepted, expected '%s':\n%s", why, t);
	if (strstr(err, why) == NULL)
		fail_msg("refused with '%s', expected '%s'", err, why);
}

static void accepted(const char *t)
{
	if (parse(t) != 0)
		fail_msg("refused: %s\n%s", err, t);
}

/* RULE_A with one more line, then refused with why or (why NULL) accepted */
static void rule_a_with(const char *line, const char *why)
{
	snprintf(text, sizeof(text), RULE_A "%s\n", line);
	if (why != NULL)
		refused(text, why);
	else
		accepted(text);
}

static const struct psd_alert_rule *find(const char *name)
{
	for (uint32_t i = 0; i < rules.count; i++)
		if (strcmp(rules.rule[i].name, name) == 0)
			return &rules.rule[i];
	fail_msg("no rule %s", name);
	return NULL;
}

static void inhibited_by_itself(void **state)
{
	refused(DAEMON_RULE("a", "a"),
		"rules.conf:5: [alert a] inhibited_by: a cycle a -> a: its alerts would hold each "
		"other for ever");
}

static void cycle_of_two(void **state)
{
	refused(DAEMON_RULE("a", "b") "\n" DAEMON_RULE("b", "a"),
		"rules.conf:5: [alert a] inhibited_by: a cycle a -> b -> a");
}

static void cycle_of_three_behind_a_chain(void **state)
{
	/* d leads into the cycle without being in it: the cycle is told from where it closes */
	refused(DAEMON_RULE("d", "a") "\n" DAEMON_RULE("a", "b") "\n" DAEMON_RULE("b", "c") "\n"
		DAEMON_RULE("c", "a"),
		"rules.conf:11: [alert a] inhibited_by: a cycle a -> b -> c -> a");
}

static void cycle_through_a_shipped_rule(void **state)
{
	refused("[alert redis_unreachable]\nmetric = portsyncd_redis_up\ncondition = below\n"
		"threshold = 1\ninhibited_by = x\n\n" DAEMON_RULE("x", "redis_unreachable"),
		"rules.conf:5: [alert redis_unreachable] inhibited_by: a cycle redis_unreachable -> "
		"x -> redis_unreachable");
}

static void chains_without_cycle(void **state)
{
	accepted(DAEMON_RULE("a", "b") "\n" DAEMON_RULE("b", "c") "\n" DAEMON_RULE("c",
										  "redis_unreachable"));
	assert_string_equal(rules.rule[find("a")->inhibited_by].name, "b");
	assert_string_equal(rules.rule[find("c")->inhibited_by].name, "redis_unreachable");
	refused(DAEMON_RULE("a", "port_flapping"),
		"rules.conf:5: [alert a] inhibited_by 'port_flapping': expected a rule in force that "
		"is not per port");
	/* a shipped rule's inhibitor disabled or made per port: the file's line is told */
	refused("\n[alert redis_unreachable]\nenabled = false\n",
		"rules.conf:2: [alert redis_unreachable] enabled = false: rule port_flapping "
		"((shipped rules):18) is inhibited_by it");
	refused("[alert redis_unreachable]\nmetric = port_oper_changes\nper_port = true\n"
		"condition = above\nthreshold = 1\nwindow = 10s\n",
		"rules.conf:1: [alert redis_unreachable] per_port: rule port_flapping");
}

static void named_twice(void **state)
{
	refused(RULE_A "threshold = 1\n\n" RULE_A "threshold = 2\n",
		"rules.conf:6: [alert a]: rule a is defined twice (first at line 1); each name once");
	/* a shipped rule is replaced once; twice in the file is twice */
	accepted("[alert latency_p99_slo]\nenabled = false\n");
	refused("[alert latency_p99_slo]\nenabled = false\n[alert latency_p99_slo]\n"
		"enabled = false\n",
		"rules.conf:3: [alert latency_p99_slo]: rule latency_p99_slo is defined twice "
		"(first at line 1)");
	/* a header repeated right after itself, indented, with no key between */
	refused(RULE_A "threshold = 1\n  [alert a]\n", "rules.conf:5: [alert a]: rule a is defined "
		"twice");
}

static void header_without_name_or_keys(void **state)
{
	refused("[alert]\n", "rules.conf:1: [alert]: the rule has no name; expected [alert NAME]");
	refused(RULE_A "threshold = 1\n[alert ]\n", "rules.conf:5: [alert ]: the rule has no name");
	refused("[alert lonely]\n", "rules.conf:1: [alert lonely] metric missing");
	refused("metric = portsyncd_writes_pending\n",
		"rules.conf:1: metric = portsyncd_writes_pending: outside an [alert NAME] section");
	refused("[rules]\nmetric = x\n", "rules.conf:1: [rules]: not a rule section");
}

static void threshold_range(void **state)
{
	static const char *const keys[] = {"threshold", "low", "high"};
	char line[64];
	for (int k = 0; k < 3; k++) {
		const char *cond = k == 0 ? "above" : "inside";
		const char *other = k == 0 ? "" : k == 1 ? "high = 1000000000\n" : "low = -1e9\n";
		static const char *const good[] = {"-1000000000", "1000000000", "1e9", "-1E+9",
						   "999999999.999", "0.001", "1e-3", "10e-4", "+2.5"};
		static const char *const bad[] = {"1000000000.001", "-1000000000.001", "1.000000001e9",
						  "1e10", "0.0001", "1e-4", "1.2345", "1e", "e9", ".",
						  "inf", "nan", "0x10", "1,5", ""};
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			snprintf(text, sizeof(text),
				 "[alert a]\nmetric = portsyncd_writes_pending\ncondition = %s\n%s%s = %s\n",
				 cond, other, keys[k], good[i]);
			accepted(text); /* low never above high = 10^9, high never below low = -10^9 */
		}
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(text, sizeof(text),
				 "[alert a]\nmetric = portsyncd_writes_pending\ncondition = %s\n%s%s = %s\n",
				 cond, other, keys[k], bad[i]);
			snprintf(line, sizeof(line), "[alert a] %s '%s': expected a number from", keys[k],
				 bad[i]);
			refused(text, line);
		}
	}
	rule_a_with("threshold = 1e9", NULL);
	assert_int_equal(find("a")->threshold, PSD_ALERT_THRESHOLD_MAX);
	rule_a_with("threshold = -2.5e-2", NULL);
	assert_int_equal(find("a")->threshold, -25);
	rule_a_with("threshold = 0.0000000000000000000000000000001e31", NULL);
	assert_int_equal(find("a")->threshold, 1000);
}

static void window_range(void **state)
{
	static const char *const rate = "[alert a]\nmetric = portsyncd_writes_pending\n"
					"condition = rate\nthreshold = 1\nwindow = %s\n";
	static const char *const per_port = "[alert a]\nmetric = port_oper_changes\nper_port = true\n"
					    "condition = above\nthreshold = 1\nwindow = %s\n";
	static const char *const good[] = {"1s", "600s", "10m"};
	static const char *const bad[] = {"0s", "0", "601s", "11m", "1h", "-1s", "1"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), rate, good[i]);
		accepted(text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), rate, bad[i]);
		refused(text, "expected a duration from 1s to 600s (PSD_ALERT_WINDOW_MAX_S)");
	}
	static const char *const pp_good[] = {"1s", "60s", "1m", "15s"};
	static const char *const pp_bad[] = {"61s", "70s", "2m", "10m"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), per_port, pp_good[i]);
		accepted(text);
		snprintf(text, sizeof(text), per_port, pp_bad[i]);
		refused(text, "expected 1s to 60s for port_oper_changes");
	}
}

static void for_range(void **state)
{
	static const char *const keys[] = {"for", "keep_firing_for"};
	static const char *const good[] = {"0", "0s", "86400s", "1440m", "24h"};
	static const char *const bad[] = {"86401s", "1441m", "25h", "-1s", "10x", "1.5s"};
	char line[64];
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			snprintf(line, sizeof(line), "threshold = 1\n%s = %s", keys[k], good[i]);
			rule_a_with(line, NULL);
		}
		assert_int_equal(k == 0 ? find("a")->for_s : find("a")->keep_firing_for_s, 86400);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(line, sizeof(line), "threshold = 1\n%s = %s", keys[k], bad[i]);
			rule_a_with(line, "expected a duration from 0s to 86400s (PSD_ALERT_FOR_MAX_S)");
		}
	}
}

static void summary_and_name_lengths(void **state)
{
	char line[PSD_ALERT_SUMMARY_LEN_MAX + 32];
	int n = snprintf(line, sizeof(line), "threshold = 1\nsummary = ");
	memset(line + n, 'x', PSD_ALERT_SUMMARY_LEN_MAX);
	line[n + PSD_ALERT_SUMMARY_LEN_MAX] = '\0';
	rule_a_with(line, NULL);
	assert_int_equal(strlen(find("a")->summary), PSD_ALERT_SUMMARY_LEN_MAX);
	strcat(line, "x");
	rule_a_with(line, "summary: expected at most 127 printable ASCII characters");
	rule_a_with("threshold = 1\nsummary = a \"quote\"", "summary: expected at most 127");

	char name[PSD_ALERT_NAME_LEN_MAX + 2];
	memset(name, 'n', PSD_ALERT_NAME_LEN_MAX);
	name[PSD_ALERT_NAME_LEN_MAX] = '\0';
	snprintf(text, sizeof(text), "[alert %s]\nmetric = portsyncd_redis_up\ncondition = below\n"
		 "threshold = 1\n", name);
	accepted(text);
	strcat(name, "n");
	snprintf(text, sizeof(text), "[alert %s]\nmetric = portsyncd_redis_up\n", name);
	refused(text, "expected 1 to 31 of a-z, 0-9 and _, starting with a letter");
	refused("[alert 9lives]\nmetric = portsyncd_redis_up\n", "rule name '9lives'");
	refused("[alert Upper]\nmetric = portsyncd_redis_up\n", "rule name 'Upper'");
}

static void enums_and_booleans(void **state)
{
	static const char *const severity[] = {"critical", "warning", "info"};
	char line[64];
	for (int i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "threshold = 1\nseverity = %s", severity[i]);
		rule_a_with(line, NULL);
		assert_int_equal(find("a")->severity, (enum psd_alert_severity)i);
	}
	rule_a_with("threshold = 1\nseverity = fatal", "severity 'fatal': expected critical, warning");
	rule_a_with("threshold = 1\nenabled = true", NULL);
	rule_a_with("threshold = 1\nenabled = maybe", "enabled 'maybe': expected true or false");
	rule_a_with("threshold = 1\nenabled = false", NULL);
	for (uint32_t i = 0; i < rules.count; i++)
		assert_string_not_equal(rules.rule[i].name, "a");
	rule_a_with("threshold = 1\nper_port = false", NULL);
	rule_a_with("threshold = 1\nper_port = 2", "per_port '2': expected true or false");
}

/* PSD_ALERT_RULES_MAX, the shipped ones included: the file may add the rest, not one more */
static void rule_count_limit(void **state)
{
	uint32_t shipped;
	accepted("");
	shipped = rules.count;
	size_t n = 0;
	for (uint32_t i = 0; i < PSD_ALERT_RULES_MAX - shipped; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "[alert r%u]\nmetric = portsyncd_redis_up\ncondition = below\n"
				      "threshold = 1\n", i);
	accepted(text);
	assert_int_equal(rules.count, PSD_ALERT_RULES_MAX);
	snprintf(text + n, sizeof(text) - n, "[alert one_more]\nmetric = portsyncd_redis_up\n");
	refused(text, "[alert one_more]: more than 1024 rules (PSD_ALERT_RULES_MAX)");
}

/* PSD_ALERT_FILE_BYTES_MAX: a file of that size is read, one byte more is refused */
static void file_size_limit(void **state)
{
	char path[] = "/tmp/psd-rules.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(text, '\n', PSD_ALERT_FILE_BYTES_MAX + 1);
	memcpy(text, RULE_A "threshold = 1\n", strlen(RULE_A "threshold = 1\n"));
	assert_int_equal(write(fd, text, PSD_ALERT_FILE_BYTES_MAX), PSD_ALERT_FILE_BYTES_MAX);
	assert_int_equal(psd_alert_rules_load(&rules, path, err, sizeof(err)), 0);
	assert_int_equal(write(fd, "\n", 1), 1);
	assert_int_equal(psd_alert_rules_load(&rules, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than PSD_ALERT_FILE_BYTES_MAX (1 MiB)"));
	close(fd);
	unlink(path);
}

/* A refused text changes nothing: the rules given stay as they were. */
static void refusal_keeps_the_rules(void **state)
{
	accepted(RULE_A "threshold = 7\n");
	struct psd_alert_rules before = rules;
	refused(DAEMON_RULE("a", "a"), "a cycle a -> a");
	assert_memory_equal(&before, &rules, sizeof(rules));
}

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

static void shipped_flap_rule_is_the_definition(void **state)
{
	accepted("");
	const struct psd_alert_rule *r = find("port_flapping");
	assert_int_equal(r->threshold, PSD_FLAP_ABOVE * 1000);
	assert_int_equal(r->window_s, PSD_FLAP_WINDOW_S);
	assert_int_equal(r->for_s, PSD_FLAP_FOR_S);
	assert_int_equal(r->keep_firing_for_s, PSD_FLAP_KEEP_S);
	assert_int_equal(r->condition, PSD_COND_ABOVE);
	assert_true(r->per_port);
}

static void per_port_rules_print_per_port(void **state)
{
	accepted("[alert band]\nmetric = port_oper_changes\nper_port = true\ncondition = inside\n"
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

static void inhibit_rules_printed(void **state)
{
	accepted(DAEMON_RULE("quiet", "netlink_messages_lost"));
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
	accepted("[alert port_flapping]\nenabled = false\n");
	y = printed(true);
	assert_non_null(strstr(y, "inhibit_rules:\n  []\n"));
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inhibited_by_itself),
		cmocka_unit_test(cycle_of_two),
		cmocka_unit_test(cycle_of_three_behind_a_chain),
		cmocka_unit_test(cycle_through_a_shipped_rule),
		cmocka_unit_test(chains_without_cycle),
		cmocka_unit_test(named_twice),
		cmocka_unit_test(header_without_name_or_keys),
		cmocka_unit_test(threshold_range),
		cmocka_unit_test(window_range),
		cmocka_unit_test(for_range),
		cmocka_unit_test(summary_and_name_lengths),
		cmocka_unit_test(enums_and_booleans),
		cmocka_unit_test(rule_count_limit),
		cmocka_unit_test(file_size_limit),
		cmocka_unit_test(refusal_keeps_the_rules),
		cmocka_unit_test(shipped_flap_rule_is_the_definition),
		cmocka_unit_test(per_port_rules_print_per_port),
		cmocka_unit_test(inhibit_rules_printed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
