/*
 * Alerts (core/alert_fsm.rl, core/alerts.c): every transition of the machine's table; `for` and
 * `keep_firing_for` at their edges, with the log line, the STATE_DB entry and the metric each
 * transition brings; a silence and an inhibition begun in each state hold the actions and never
 * the machine; the per-port subject and silence limits; a reload that keeps an unchanged rule's
 * alerts; the sweep of an earlier run's entries; an alert following its port to a new index.
 */
#include <errno.h>

#include "unit.h"

#include "alert_fsm.h"
#include "alert_watch.h"
#include "psd/alert_defs.h"
#include "psd/metrics.h"

#define S 1000000000ull
#define KEY "PORTSYNCD_ALERT|flap|Ethernet0"
#define SILENCES "PORTSYNCD_ALERT_SILENCE|portsyncd"
#define KEY_OF(rule, subject) "PORTSYNCD_ALERT|" rule "|" subject

static struct psd_alert_rules rules;
static char text[1 << 20];

static void rules_clear(void)
{
	memset(&rules, 0, sizeof(rules));
}

static uint32_t add_rule(const char *name, enum psd_alert_signal sig, enum psd_alert_condition cond,
			 int64_t threshold, uint32_t window_s, uint32_t for_s, uint32_t keep_s)
{
	struct psd_alert_rule *r = &rules.rule[rules.count];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->signal = sig;
	r->condition = cond;
	r->threshold = threshold;
	r->window_s = window_s;
	r->for_s = for_s;
	r->keep_firing_for_s = keep_s;
	r->severity = PSD_SEV_WARNING;
	r->per_port = psd_alert_signals[sig].per_port;
	r->inhibited_by = UINT32_MAX;
	snprintf(r->summary, sizeof(r->summary), "%s fired", name);
	return rules.count++;
}

/* A running world with Ethernet0 and Ethernet4 configured and present, at second `at`. */
static struct psd_world *world(uint64_t at)
{
	struct psd_world *w = psd_world_new();
	w->cfg.seed = 42;
	w->cfg.alert_rules = &rules;
	configure_port(w, "Ethernet0");
	configure_port(w, "Ethernet4");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_new_link(w, "Ethernet4", 11, UP_RUNNING);
	psd_world_dump_done(w);
	psd_world_advance(w, at * S - w->now);
	return w;
}

/* Second by second up to `at` (each second an evaluation). */
static void to_second(struct psd_world *w, uint64_t at)
{
	while (w->now < at * S)
		psd_world_advance(w, (w->now / S + 1) * S - w->now);
}

static void flap(struct psd_world *w, const char *port, int32_t ifindex, int times)
{
	for (int i = 0; i < times; i++)
		psd_world_new_link(w, port, ifindex, i % 2 == 0 ? UP : UP_RUNNING);
}

static struct psd_alert_view alert(struct psd_world *w, uint32_t rule, const char *subject)
{
	struct psd_alert_view v;
	psd_alert_find(w->core, rule, subject, &v);
	return v;
}

static const char *render(struct psd_world *w)
{
	struct psd_metrics_info info = {
		.version = "t",
		.start_time_unix_ns = 0,
		.now_ns = w->now,
	};
	assert_true(psd_metrics_render(w->core, &info, text, sizeof(text)) < sizeof(text));
	return text;
}

/* Every (state, symbol) pair of the table: the state reached and the work done. */
static void test_machine_table(void **state)
{
	unsigned work;
	int start = psd_alert_fsm_start();
	int pending = psd_alert_fsm_step(start, PSD_AS_HOLDS, &work);
	int firing = psd_alert_fsm_step(start, PSD_AS_HELD, &work);
	int resolved = psd_alert_fsm_step(firing, PSD_AS_CLEARED, &work);
	assert_true(start >= 0 && pending >= 0 && firing >= 0 && resolved >= 0);
	assert_true(start != pending && start != firing && start != resolved && pending != firing &&
		    pending != resolved && firing != resolved);
	const struct {
		int from;
		enum psd_alert_sym sym;
		int to;
		unsigned work;
	} table[] = {
		{start, PSD_AS_HOLDS, pending, PSD_AW_PENDING},
		{start, PSD_AS_HELD, firing, PSD_AW_FIRING},
		{start, PSD_AS_FALSE, start, 0},
		{start, PSD_AS_CLEARED, start, 0},
		{pending, PSD_AS_HOLDS, pending, 0},
		{pending, PSD_AS_HELD, firing, PSD_AW_FIRING},
		{pending, PSD_AS_FALSE, start, PSD_AW_INACTIVE},
		{pending, PSD_AS_CLEARED, start, PSD_AW_INACTIVE},
		{firing, PSD_AS_HOLDS, firing, 0},
		{firing, PSD_AS_HELD, firing, 0},
		{firing, PSD_AS_FALSE, firing, 0},
		{firing, PSD_AS_CLEARED, resolved, PSD_AW_RESOLVED},
		{resolved, PSD_AS_HOLDS, pending, PSD_AW_PENDING},
		{resolved, PSD_AS_HELD, firing, PSD_AW_FIRING},
		{resolved, PSD_AS_FALSE, start, PSD_AW_INACTIVE},
		{resolved, PSD_AS_CLEARED, start, PSD_AW_INACTIVE},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		work = 0xffu;
		assert_int_equal(psd_alert_fsm_step(table[i].from, table[i].sym, &work), table[i].to);
		assert_int_equal(work, table[i].work);
	}
	assert_int_equal(psd_alert_fsm_step(start, (enum psd_alert_sym)'x', &work), -1);
}

/* A per-port rule, `for` 2 s and keep_firing_for 3 s: pending at the first evaluation after the
 * flaps, firing exactly 2 s later (not 1 s), resolved exactly 3 s after the condition went false
 * (the second of the flaps left the 10 s window), then inactive; each transition logged once in
 * the fixed format, the STATE_DB entry there only while firing, the metric following. */
static void test_for_and_keep_edges(void **state)
{
	rules_clear();
	uint32_t r = add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 1000, 10, 2, 3);
	struct psd_world *w = world(100);
	flap(w, "Ethernet0", 10, 2); /* 100.x s: two changes, above 1 */
	flap(w, "Ethernet4", 11, 1); /* one change: not above 1 */
	to_second(w, 101);
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_PENDING);
	assert_int_equal(alert(w, r, "Ethernet4").state, PSD_ALERT_INACTIVE);
	assert_true(psd_world_logged(w, "alert rule=flap subject=Ethernet0 state=inactive->pending "
					"severity=warning value=2 threshold=1 held=no summary=\"flap fired\""));
	to_second(w, 102); /* for - 1 s */
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_PENDING);
	assert_false(psd_model_exists(&w->m, STATE, KEY));
	to_second(w, 103); /* for */
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_FIRING);
	assert_true(psd_world_logged(w, "alert rule=flap subject=Ethernet0 state=pending->firing "
					"severity=warning value=2 threshold=1 held=no"));
	assert_true(psd_model_exists(&w->m, STATE, KEY));
	assert_string_equal(psd_model_hget(&w->m, STATE, KEY, "state"), "firing");
	assert_string_equal(psd_model_hget(&w->m, STATE, KEY, "rule"), "flap");
	assert_string_equal(psd_model_hget(&w->m, STATE, KEY, "subject"), "Ethernet0");
	assert_string_equal(psd_model_hget(&w->m, STATE, KEY, "value"), "2");
	assert_string_equal(psd_model_hget(&w->m, STATE, KEY, "threshold"), "1");
	assert_string_equal(psd_model_hget(&w->m, STATE, KEY, "since"), "103");
	assert_non_null(strstr(render(w), "portsyncd_alert_state{rule=\"flap\",subject=\"Ethernet0\","
					  "state=\"firing\",severity=\"warning\",held=\"no\"} 1\n"));
	assert_non_null(strstr(text, "portsyncd_alert_condition_ports{rule=\"flap\"} 1\n"));
	to_second(w, 110); /* 100.x s is 10 s ago or less: still in the 10 s window */
	assert_true(alert(w, r, "Ethernet0").holds);
	to_second(w, 111); /* the second of the flaps left the window: false from here */
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_FIRING);
	assert_false(alert(w, r, "Ethernet0").holds);
	to_second(w, 113); /* keep_firing_for - 1 s */
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_FIRING);
	to_second(w, 114);
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_RESOLVED);
	assert_true(psd_world_logged(w, "alert rule=flap subject=Ethernet0 state=firing->resolved "
					"severity=warning value=0 threshold=1 held=no"));
	assert_false(psd_model_exists(&w->m, STATE, KEY));
	to_second(w, 115);
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_INACTIVE);
	assert_null(strstr(render(w), "subject=\"Ethernet0\""));
	assert_non_null(strstr(text, "portsyncd_alert_transitions_total 4\n"));
	psd_core_check(w->core);
	psd_world_free(w);
}

/* Nothing changing, the evaluations stop once the samples have been alike for the longest
 * window (the rate rule's 40 s): the core asks for no wake-up for them. The first event after
 * takes their samples as they were: a Redis outage then fires `for` later, as if every second
 * had been evaluated, and a rate reads its window from them. An event that changes nothing the
 * rules read leaves them quiet. */
static void test_quiet_while_nothing_changes(void **state)
{
	rules_clear();
	uint32_t down = add_rule("down", PSD_SIG_REDIS_UP, PSD_COND_BELOW, 1000, 0, 2, 0);
	uint32_t disc = add_rule("disc", PSD_SIG_REDIS_DISCONNECTS, PSD_COND_RATE, 0, 40, 0, 0);
	struct psd_world *w = world(100);
	psd_world_watch_up(w, PSD_DB_CONFIG); /* silences and LOGGER watched: no poll */
	psd_world_watch_up(w, PSD_DB_APPL);
	psd_world_settle(w);
	to_second(w, 140);
	assert_int_equal(psd_core_next_deadline(w->core), UINT64_MAX); /* quiet */
	psd_world_advance(w, 500 * S); /* 640 s: nothing wakes the core for alerts */
	psd_world_new_link(w, "Eth9", 99, UP); /* no port: nothing the rules read */
	assert_int_equal(psd_core_next_deadline(w->core), UINT64_MAX);
	assert_int_equal(alert(w, down, "daemon").state, PSD_ALERT_INACTIVE);
	w->now = 700 * S + S / 2;
	psd_world_redis_down(w); /* the wake-up: 600 skipped evaluations taken as they were */
	to_second(w, 701);
	assert_int_equal(alert(w, down, "daemon").state, PSD_ALERT_PENDING);
	assert_int_equal(alert(w, disc, "daemon").state, PSD_ALERT_FIRING);
	assert_int_equal(alert(w, disc, "daemon").value, 75); /* 3 in the 40 s before 701 s */
	to_second(w, 703);
	assert_int_equal(alert(w, down, "daemon").state, PSD_ALERT_FIRING);
	psd_core_check(w->core);
	psd_world_free(w);
}

/* for 0 fires at the first evaluation that sees the condition; keep_firing_for 0 resolves at
 * the first that does not; a daemon rule's subject is "daemon". */
static void test_zero_durations_daemon_rule(void **state)
{
	rules_clear();
	uint32_t r = add_rule("changes", PSD_SIG_OPER_CHANGES, PSD_COND_RATE, 0, 2, 0, 0);
	struct psd_world *w = world(100);
	flap(w, "Ethernet0", 10, 1);
	to_second(w, 101);
	assert_int_equal(alert(w, r, "daemon").state, PSD_ALERT_FIRING);
	assert_true(psd_world_logged(w, "alert rule=changes subject=daemon state=inactive->firing"));
	assert_true(psd_model_exists(&w->m, STATE, "PORTSYNCD_ALERT|changes|daemon"));
	to_second(w, 102); /* rate over 2 s: the change of 100.x s is still in it */
	assert_int_equal(alert(w, r, "daemon").state, PSD_ALERT_FIRING);
	to_second(w, 103);
	assert_int_equal(alert(w, r, "daemon").state, PSD_ALERT_RESOLVED);
	assert_false(psd_model_exists(&w->m, STATE, "PORTSYNCD_ALERT|changes|daemon"));
	psd_world_free(w);
}

/* The states of one rule's alert for Ethernet0 at each evaluation from second 100 to 116, with
 * its actions held from `from` to `to` (a silence or an inhibition); entries[i]: the STATE_DB
 * entry existed after the evaluation of second 100 + i. */
struct timeline {
	enum psd_alert_state states[17];
	bool entries[17];
	bool held[17];
};

enum hold { HOLD_NONE, HOLD_SILENCE, HOLD_INHIBIT };

static void run_timeline(enum hold how, uint64_t from, uint64_t to, struct timeline *t)
{
	rules_clear();
	uint32_t src = add_rule("missing", PSD_SIG_MISSING_IN_APPL, PSD_COND_ABOVE, 0, 0, 0, 0);
	uint32_t r = add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 1000, 10, 2, 3);
	rules.rule[r].inhibited_by = src;
	struct psd_world *w = world(100);
	char until[32];
	flap(w, "Ethernet0", 10, 2);
	for (uint64_t s = 100; s <= 116; s++) {
		to_second(w, s);
		struct psd_alert_view v = alert(w, r, "Ethernet0");
		t->states[s - 100] = v.state;
		t->held[s - 100] = v.silenced || v.inhibited;
		t->entries[s - 100] = psd_model_exists(&w->m, STATE, KEY);
		psd_core_check(w->core);
		/* after this second's evaluation: the hold begins or ends */
		if (how == HOLD_SILENCE && s == from) { /* read at the next poll: in force from s + 2 */
			snprintf(until, sizeof(until), "%llu", (unsigned long long)to);
			psd_model_hset(&w->m, CONFIG, SILENCES, "flap|Ethernet0", until);
		}
		if (how == HOLD_INHIBIT && s == from) /* a netdev APPL_DB lacks: missing fires */
			psd_world_new_link(w, "Ethernet8", 12, UP_RUNNING);
		if (how == HOLD_INHIBIT && s + 1 == to)
			psd_world_del_link(w, "Ethernet8", 12);
	}
	psd_world_free(w);
}

/* Holds begun while the baseline's alert is inactive (100), pending (101), firing (103) and
 * about to resolve (112): at every second the machine's state is the baseline's; the alert is
 * shown held exactly while the hold is in force, and has no STATE_DB entry then; after it, the
 * entry is the baseline's again (a firing alert gets it). Each state is seen held in some run. */
static void check_holds(enum hold how)
{
	struct timeline base = {0}, held;
	bool held_in[_PSD_ALERT_STATE_MAX] = {false};
	run_timeline(HOLD_NONE, 0, 0, &base);
	assert_int_equal(base.states[0], PSD_ALERT_INACTIVE);
	assert_int_equal(base.states[1], PSD_ALERT_PENDING);
	assert_int_equal(base.states[3], PSD_ALERT_FIRING);
	assert_int_equal(base.states[14], PSD_ALERT_RESOLVED);
	assert_int_equal(base.states[15], PSD_ALERT_INACTIVE);
	assert_true(base.entries[3] && base.entries[13] && !base.entries[14]);
	const uint64_t starts[] = {100, 101, 103, 112};
	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		uint64_t from = starts[k], to = from + 5;
		memset(&held, 0, sizeof(held));
		run_timeline(how, from, to, &held);
		for (uint64_t s = 100; s <= 116; s++) {
			uint64_t i = s - 100;
			bool in_force = s >= from + (how == HOLD_SILENCE ? 2 : 1) && s < to;
			assert_int_equal(held.states[i], base.states[i]);
			if (held.states[i] == PSD_ALERT_INACTIVE)
				continue; /* no alert is kept: nothing is shown or held */
			assert_int_equal(held.held[i], in_force);
			held_in[held.states[i]] |= in_force;
			if (in_force)
				assert_false(held.entries[i]);
			else
				assert_int_equal(held.entries[i], base.entries[i]);
		}
	}
	assert_true(held_in[PSD_ALERT_PENDING] && held_in[PSD_ALERT_FIRING] &&
		    held_in[PSD_ALERT_RESOLVED]);
}

static void test_silence_in_every_state(void **state)
{
	check_holds(HOLD_SILENCE);
}

static void test_inhibition_in_every_state(void **state)
{
	check_holds(HOLD_INHIBIT);
}

/* More per-port alerts than PSD_ALERT_SUBJECTS_MAX: the others are refused, counted, logged once,
 * and the alerts kept work as before. */
static void test_subject_limit(void **state)
{
	char name[16];
	rules_clear();
	add_rule("flap_a", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 0);
	add_rule("flap_b", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 0);
	struct psd_world *w = psd_world_new();
	w->cfg.seed = 42;
	w->cfg.alert_rules = &rules;
	w->lim.ports_max = 8192;
	w->check_every = 4096;
	w->cfg.log_level = PSD_LOG_ERROR; /* the world keeps the first 256 lines: errors only */
	psd_world_start(w);
	psd_world_dump_done(w);
	psd_world_advance(w, 100 * S - w->now);
	const uint32_t ports = PSD_ALERT_SUBJECTS_MAX / 2 + 3; /* 2 alerts each: 6 too many */
	for (uint32_t i = 0; i < ports; i++) {
		snprintf(name, sizeof(name), "Ethernet%u", i);
		psd_world_new_link(w, name, (int32_t)(100 + i), UP_RUNNING);
		psd_world_new_link(w, name, (int32_t)(100 + i), UP);
	}
	to_second(w, 101);
	assert_non_null(strstr(render(w), "portsyncd_alert_subjects_refused_total 6\n"));
	assert_true(psd_world_logged(w, "PSD_ALERT_SUBJECTS_MAX (4096)"));
	assert_int_equal(alert(w, 0, "Ethernet0").state, PSD_ALERT_FIRING);
	psd_core_check(w->core);
	psd_world_free(w);
}

/* A reload: the unchanged rule's alert goes on firing with its entry; the changed rule's alert
 * starts afresh and its entry is removed. A rule out of range is refused and nothing changes. */
static void test_reload(void **state)
{
	rules_clear();
	add_rule("keep", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 30);
	add_rule("change", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 30);
	struct psd_world *w = world(100);
	flap(w, "Ethernet0", 10, 1);
	to_second(w, 101);
	assert_true(psd_model_exists(&w->m, STATE, "PORTSYNCD_ALERT|keep|Ethernet0"));
	assert_true(psd_model_exists(&w->m, STATE, "PORTSYNCD_ALERT|change|Ethernet0"));
	rules.rule[1].threshold = 5000;
	struct psd_config cfg = w->cfg;
	struct psd_event ev = {.type = PSD_EV_RECONFIGURE, .u.cfg = &cfg};
	psd_world_push(w, &ev);
	psd_world_settle(w);
	to_second(w, 102);
	assert_int_equal(alert(w, 0, "Ethernet0").state, PSD_ALERT_FIRING);
	assert_true(psd_model_exists(&w->m, STATE, "PORTSYNCD_ALERT|keep|Ethernet0"));
	assert_false(psd_model_exists(&w->m, STATE, "PORTSYNCD_ALERT|change|Ethernet0"));
	rules.rule[1].window_s = PSD_FLAP_WINDOW_MAX_S + 1; /* longer than the flap ring */
	assert_int_equal(psd_core_push(w->core, w->now, &ev), -EINVAL);
	assert_int_equal(alert(w, 0, "Ethernet0").state, PSD_ALERT_FIRING);
	psd_core_check(w->core);
	psd_world_free(w);
}

/* Per-port rules of every condition and several windows, in any order in the file: exactly those
 * whose condition holds for a port with two changes fire (the `above` ones are taken by window
 * and threshold, the prefix that holds; the others one by one). */
static void test_port_rules_of_every_kind(void **state)
{
	rules_clear();
	uint32_t a5 = add_rule("above5", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 5000, 10, 0, 0);
	uint32_t a1 = add_rule("above1", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 1000, 10, 0, 0);
	uint32_t a0w = add_rule("above0_20s", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 20, 0, 0);
	uint32_t a2w = add_rule("above2_60s", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 2000, 60, 0,
				0);
	uint32_t eq2 = add_rule("equals2", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_EQUALS, 2000, 10, 0, 0);
	uint32_t eq3 = add_rule("equals3", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_EQUALS, 3000, 10, 0, 0);
	uint32_t in = add_rule("inside", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_INSIDE, 0, 10, 0, 0);
	rules.rule[in].low = 1000;
	rules.rule[in].high = 2000;
	uint32_t out = add_rule("outside", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_OUTSIDE, 0, 10, 0, 0);
	rules.rule[out].low = 0;
	rules.rule[out].high = 1000;
	struct psd_world *w = world(100);
	flap(w, "Ethernet0", 10, 2);
	to_second(w, 101);
	const struct {
		uint32_t rule;
		bool fires;
	} want[] = {{a5, false}, {a1, true}, {a0w, true}, {a2w, false},
		    {eq2, true},  {eq3, false}, {in, true},  {out, true}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(alert(w, want[i].rule, "Ethernet0").state,
				 want[i].fires ? PSD_ALERT_FIRING : PSD_ALERT_INACTIVE);
	psd_core_check(w->core);
	psd_world_free(w);
}

/* Entries an earlier run left in STATE_DB (it stopped while they fired) are removed at start;
 * the running alerts' own entries stay. */
static void test_sweep_of_an_earlier_run(void **state)
{
	rules_clear();
	add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 30);
	struct psd_world *w = psd_world_new();
	w->cfg.seed = 42;
	w->cfg.alert_rules = &rules;
	configure_port(w, "Ethernet0");
	psd_model_hset(&w->m, STATE, "PORTSYNCD_ALERT|gone_rule|daemon", "state", "firing");
	psd_model_hset(&w->m, STATE, "PORTSYNCD_ALERT|flap|Ethernet9", "state", "firing");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_dump_done(w);
	psd_world_advance(w, 100 * S - w->now);
	flap(w, "Ethernet0", 10, 1);
	to_second(w, 102);
	assert_false(psd_model_exists(&w->m, STATE, "PORTSYNCD_ALERT|gone_rule|daemon"));
	assert_false(psd_model_exists(&w->m, STATE, "PORTSYNCD_ALERT|flap|Ethernet9"));
	assert_true(psd_model_exists(&w->m, STATE, KEY_OF("flap", "Ethernet0")));
	psd_core_check(w->core);
	psd_world_free(w);
}

static void count_ethernet9(void *ctx, const struct psd_alert_view *v)
{
	unsigned *n = ctx;
	*n += v->subject_len == 9 && memcmp(v->subject, "Ethernet9", 9) == 0;
}

/* A port the table forgets (its netdev gone, not configured) and adds again at another index
 * while its alert still fires: one alert for the rule and the name, which follows the port, and
 * its entry stays while it fires (two alerts of one subject shared one entry, and the old one's
 * resolution deleted it under the new one). */
static void test_alert_follows_its_port(void **state)
{
	rules_clear();
	add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 30);
	struct psd_world *w = world(100);
	psd_world_new_link(w, "Ethernet9", 20, UP_RUNNING);
	flap(w, "Ethernet9", 20, 1);
	to_second(w, 101);
	assert_int_equal(alert(w, 0, "Ethernet9").state, PSD_ALERT_FIRING);
	psd_world_del_link(w, "Ethernet9", 20);
	psd_world_new_link(w, "Ethernet7", 21, UP_RUNNING); /* takes the index the name had */
	to_second(w, 110);
	psd_world_new_link(w, "Ethernet9", 22, UP_RUNNING);
	flap(w, "Ethernet9", 22, 1);
	for (uint64_t t = 111; t <= 135; t++) {
		to_second(w, t);
		unsigned n = 0;
		psd_core_alerts_each(w->core, count_ethernet9, &n);
		assert_int_equal(n, 1);
		assert_int_equal(alert(w, 0, "Ethernet9").state, PSD_ALERT_FIRING);
		assert_true(psd_model_exists(&w->m, STATE, KEY_OF("flap", "Ethernet9")));
	}
	psd_core_check(w->core);
	psd_world_free(w);
}

/* More silences than PSD_ALERT_SILENCES_MAX: the first 64 are taken, each other one refused and
 * said; a bad field is refused with why. */
static void test_silence_limit(void **state)
{
	char field[32];
	rules_clear();
	add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 30);
	struct psd_world *w = world(100);
	psd_model_hset(&w->m, CONFIG, SILENCES, "nope", "1");
	to_second(w, 102);
	assert_true(psd_world_logged(w, "field 'nope' until '1': refused: no such rule"));
	for (unsigned i = 0; i < PSD_ALERT_SILENCES_MAX + 1; i++) {
		snprintf(field, sizeof(field), "flap|Ethernet%u", 100 + i);
		psd_model_hset(&w->m, CONFIG, SILENCES, field, "4000000000");
	}
	to_second(w, 104);
	assert_non_null(strstr(render(w), "portsyncd_alert_silences_active 64\n"));
	assert_true(psd_world_logged(w, "refused: more than PSD_ALERT_SILENCES_MAX (64) silences"));
	psd_world_free(w);
}

struct subject_count {
	uint32_t rule;
	const char *subject;
	unsigned n;
};

static void count_subject(void *ctx, const struct psd_alert_view *v)
{
	struct subject_count *sc = ctx;
	sc->n += v->rule == sc->rule && v->subject_len == strlen(sc->subject) &&
		 memcmp(v->subject, sc->subject, v->subject_len) == 0;
}

static unsigned alerts_of(struct psd_world *w, uint32_t rule, const char *subject)
{
	struct subject_count sc = {rule, subject, 0};
	psd_core_alerts_each(w->core, count_subject, &sc);
	return sc.n;
}

/* An alert is its rule and subject: a netdev renamed to Ethernet0x flaps, its alert fires and
 * the netdev is renamed back (Ethernet0x's entry of the port table goes); a new netdev named
 * Ethernet0x (at another index) flapping meanwhile keeps one alert and one STATE_DB entry. The
 * alert follows the new netdev, so the first one's keep_firing_for running out neither resolves
 * it nor removes its entry. */
static void test_subject_follows_the_name(void **state)
{
	rules_clear();
	uint32_t r = add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 30);
	struct psd_world *w = world(100);
	psd_world_new_link(w, "Ethernet0x", 10, UP_RUNNING);
	flap(w, "Ethernet0x", 10, 1);
	to_second(w, 101);
	assert_int_equal(alert(w, r, "Ethernet0x").state, PSD_ALERT_FIRING);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);   /* renamed back */
	psd_world_new_link(w, "Ethernet12", 12, UP_RUNNING);  /* takes the index set free */
	psd_world_new_link(w, "Ethernet0x", 13, UP_RUNNING);  /* a new netdev of the name */
	for (uint64_t t = 102; t < 150; t += 4) {
		flap(w, "Ethernet0x", 13, 2);
		to_second(w, t);
		assert_int_equal(alerts_of(w, r, "Ethernet0x"), 1);
		assert_int_equal(alert(w, r, "Ethernet0x").state, PSD_ALERT_FIRING);
		assert_true(psd_model_exists(&w->m, STATE, KEY_OF("flap", "Ethernet0x")));
		psd_core_check(w->core);
	}
	to_second(w, 150 + 10 + 30 + 2); /* the window empties, keep_firing_for runs out */
	assert_int_equal(alert(w, r, "Ethernet0x").state, PSD_ALERT_INACTIVE);
	assert_false(psd_model_exists(&w->m, STATE, KEY_OF("flap", "Ethernet0x")));
	psd_world_free(w);
}

/* The value of the sample line "name v" of the exposition. */
static uint64_t metric(struct psd_world *w, const char *name)
{
	char want[96];
	snprintf(want, sizeof(want), "\n%s ", name);
	const char *at = strstr(render(w), want);
	assert_non_null(at);
	return strtoull(at + strlen(want), NULL, 10);
}

/* No fixed tick: an idle daemon evaluates nothing, and a flap is evaluated exactly at the
 * seconds that can change its alert: the changes seen (101), `for` (103), the second of the
 * changes leaving the window (111), keep_firing_for (114), resolved leaving (115). */
static void test_tickless_deadlines(void **state)
{
	rules_clear();
	uint32_t r = add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 1000, 10, 2, 3);
	add_rule("redis", PSD_SIG_REDIS_UP, PSD_COND_BELOW, 1000, 0, 10, 0);
	struct psd_world *w = world(100);
	uint64_t idle = metric(w, "portsyncd_alert_evaluations_total");
	to_second(w, 200);
	assert_int_equal(metric(w, "portsyncd_alert_evaluations_total"), idle);
	flap(w, "Ethernet0", 10, 2);
	uint64_t at[6] = {0}, seen = 0, before = idle;
	for (uint64_t s = 201; s <= 300; s++) {
		to_second(w, s);
		uint64_t n = metric(w, "portsyncd_alert_evaluations_total");
		if (n != before && seen < 6)
			at[seen++] = s;
		assert_true(n - before <= 1); /* one evaluation a second at most */
		before = n;
	}
	assert_int_equal(seen, 5);
	assert_int_equal(at[0], 201);
	assert_int_equal(at[1], 203);
	assert_int_equal(at[2], 211);
	assert_int_equal(at[3], 214);
	assert_int_equal(at[4], 215);
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_INACTIVE);
	/* a watched signal that changes is evaluated at the next whole second: Redis lost */
	psd_world_redis_down(w);
	psd_world_refuse_connects(w);
	to_second(w, 301);
	assert_int_equal(metric(w, "portsyncd_alert_evaluations_total"), before + 1);
	assert_int_equal(alert(w, 1, "daemon").state, PSD_ALERT_PENDING);
	psd_world_free(w);
}

/* As the daemon's loop fires them: each timer a microsecond after the core's deadline, and none
 * other. The flap alert goes pending at the first timer past 101 s, firing past 103 s, and the
 * core asks for no timer of the alerts once it is inactive again. */
static void test_tickless_late_timers(void **state)
{
	rules_clear();
	uint32_t r = add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 1000, 10, 2, 3);
	struct psd_world *w = world(100);
	psd_world_advance(w, 500 * 1000000ull);
	flap(w, "Ethernet0", 10, 2);
	enum psd_alert_state seen[131] = {0};
	while (w->now < 130 * S) {
		uint64_t due = psd_core_next_deadline(w->core);
		uint64_t next = due != UINT64_MAX && due + 1000 < 130 * S ? due + 1000 : 130 * S;
		psd_world_advance(w, next > w->now ? next - w->now : 1000);
		seen[w->now / S] = alert(w, r, "Ethernet0").state;
	}
	assert_int_equal(seen[101], PSD_ALERT_PENDING);
	assert_int_equal(seen[103], PSD_ALERT_FIRING);
	assert_int_equal(alert(w, r, "Ethernet0").state, PSD_ALERT_INACTIVE);
	assert_true(psd_world_logged(w, "alert rule=flap subject=Ethernet0 state=firing->resolved"));
	psd_world_free(w);
}

/* The cost of an evaluation does not grow with ports that did not change: with 300 ports and one
 * flapping, a handful of per-port evaluations in all. */
static void test_tickless_cost(void **state)
{
	char name[16];
	rules_clear();
	add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 1000, 10, 2, 3);
	struct psd_world *w = psd_world_new();
	w->cfg.seed = 42;
	w->cfg.alert_rules = &rules;
	psd_world_start(w);
	psd_world_dump_done(w);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i);
		psd_world_new_link(w, name, 10 + i, UP_RUNNING);
	}
	psd_world_advance(w, 100 * S - w->now);
	uint64_t looks = metric(w, "portsyncd_alert_port_evaluations_total");
	flap(w, "Ethernet7", 17, 4);
	to_second(w, 105);
	assert_int_equal(alert(w, 0, "Ethernet7").state, PSD_ALERT_FIRING);
	to_second(w, 130);
	assert_int_equal(alert(w, 0, "Ethernet7").state, PSD_ALERT_INACTIVE);
	assert_true(metric(w, "portsyncd_alert_port_evaluations_total") - looks <= 8);
	psd_world_free(w);
}

static unsigned logged_times(const struct psd_world *w, const char *part)
{
	unsigned n = 0;
	for (size_t i = 0; i < w->log_count; i++)
		n += strstr(w->logs[i], part) != NULL;
	return n;
}

/* A refused silence field is logged once, then counted: each later change of the hash that still
 * holds it says nothing of it; an accepted silence is said when it is new, not at each change. */
static void test_silence_refusal_logged_once(void **state)
{
	rules_clear();
	add_rule("flap", PSD_SIG_PORT_OPER_CHANGES, PSD_COND_ABOVE, 0, 10, 0, 30);
	struct psd_world *w = world(100);
	psd_model_hset(&w->m, CONFIG, SILENCES, "nope", "1");
	psd_model_hset(&w->m, CONFIG, SILENCES, "flap|Ethernet4", "4000000000");
	to_second(w, 102);
	char field[32];
	for (unsigned i = 0; i < 5; i++) { /* five more changes of the hash */
		snprintf(field, sizeof(field), "flap|Ethernet%u", 100 + i);
		psd_model_hset(&w->m, CONFIG, SILENCES, field, "4000000000");
		to_second(w, 104 + 2 * i);
	}
	assert_int_equal(logged_times(w, "field 'nope' until '1': refused: no such rule"), 1);
	assert_int_equal(logged_times(w, "field 'flap|Ethernet4' until '4000000000': accepted"), 1);
	assert_int_equal(logged_times(w, "refused fields not logged"), 1);
	assert_int_equal(metric(w, "portsyncd_alert_silence_fields_refused_total"), 6);
	psd_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_table),
		cmocka_unit_test(test_for_and_keep_edges),
		cmocka_unit_test(test_zero_durations_daemon_rule),
		cmocka_unit_test(test_quiet_while_nothing_changes),
		cmocka_unit_test(test_silence_in_every_state),
		cmocka_unit_test(test_inhibition_in_every_state),
		cmocka_unit_test(test_subject_limit),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_port_rules_of_every_kind),
		cmocka_unit_test(test_sweep_of_an_earlier_run),
		cmocka_unit_test(test_subject_follows_the_name),
		cmocka_unit_test(test_alert_follows_its_port),
		cmocka_unit_test(test_silence_limit),
		cmocka_unit_test(test_tickless_deadlines),
		cmocka_unit_test(test_tickless_late_timers),
		cmocka_unit_test(test_tickless_cost),
		cmocka_unit_test(test_silence_refusal_logged_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
