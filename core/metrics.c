/*
 * The Prometheus text exposition (format 0.0.4) of the core's counters (view layer, view.h).
 * Pure: it reads the shared leaves and, through their accessors, the modules, and writes into
 * the caller's buffer; health is view.c's verdict. Every family has
 * # HELP and # TYPE, names follow Prometheus (portsyncd_ prefix, _total counters, base units) and
 * label values come from fixed sets, or are the names of the ports with per-port series (at most
 * cfg.port_series_max, taken by port_stats.c), so the text grows with them and stops there; one
 * walk of the port table computes the port gauges, one more per per-port family.
 * docs/metrics.md explains each family.
 */
#include <string.h>

#include "alerts.h"
#include "ctx.h"
#include "histogram.h"
#include "links.h"
#include "names.h"
#include "outbox.h"
#include "port_stats.h"
#include "psd/metrics.h"
#include "recovery.h"
#include "resync.h"
#include "startup.h"
#include "view.h"
#include "warm.h"
#include "watch.h"

static const char *const db_labels[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

/* --- exposition ------------------------------------------------------------------------- */

static void family(struct psd_text *t, const char *name, const char *type, const char *help)
{
	psd_text_str(t, "# HELP ");
	psd_text_str(t, name);
	psd_text_str(t, " ");
	psd_text_str(t, help);
	psd_text_str(t, "\n# TYPE ");
	psd_text_str(t, name);
	psd_text_str(t, " ");
	psd_text_str(t, type);
	psd_text_str(t, "\n");
}

/* name{label="value"} and the space before the value; label NULL: no labels. */
static void series(struct psd_text *t, const char *name, const char *label, const char *value)
{
	psd_text_str(t, name);
	if (label != NULL) {
		psd_text_str(t, "{");
		psd_text_str(t, label);
		psd_text_str(t, "=\"");
		psd_text_str(t, value);
		psd_text_str(t, "\"}");
	}
	psd_text_str(t, " ");
}

/* name{label="value"} v */
static void sample(struct psd_text *t, const char *name, const char *label, const char *value,
		   uint64_t v)
{
	series(t, name, label, value);
	psd_text_u64(t, v);
	psd_text_str(t, "\n");
}

static void single(struct psd_text *t, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	family(t, name, type, help);
	sample(t, name, NULL, NULL, v);
}

/* Seconds of ns in decimal, without trailing zeros: 2500000 -> 0.0025. */
static void seconds(struct psd_text *t, uint64_t ns)
{
	char frac[12];
	psd_text_u64(t, ns / 1000000000u);
	uint64_t rest = ns % 1000000000u;
	if (rest == 0)
		return;
	psd_u64_to_dec(1000000000u + rest, frac); /* "1" and nine digits */
	size_t n = 10;
	while (frac[n - 1] == '0')
		n--;
	frac[0] = '.';
	psd_text_mem(t, frac, n);
}

static void seconds_sample(struct psd_text *t, const char *name, const char *label,
			   const char *value, uint64_t ns)
{
	series(t, name, label, value);
	seconds(t, ns);
	psd_text_str(t, "\n");
}

static void histogram(struct psd_text *t, const char *name, const char *help,
		      const struct psd_histogram *h)
{
	uint64_t cumulative = 0;
	family(t, name, "histogram", help);
	for (uint32_t i = 0; i <= PSD_HIST_BUCKETS; i++) {
		cumulative += h->bucket[i];
		psd_text_str(t, name);
		psd_text_str(t, "_bucket{le=\"");
		if (i < PSD_HIST_BUCKETS)
			seconds(t, psd_hist_bounds_ns[i]);
		else
			psd_text_str(t, "+Inf");
		psd_text_str(t, "\"} ");
		psd_text_u64(t, cumulative);
		psd_text_str(t, "\n");
	}
	psd_text_str(t, name);
	psd_text_str(t, "_sum ");
	seconds(t, h->sum_ns);
	psd_text_str(t, "\n");
	psd_text_str(t, name);
	psd_text_str(t, "_count ");
	psd_text_u64(t, h->count);
	psd_text_str(t, "\n");
}

static void per_db(struct psd_text *t, const char *name, const char *type, const char *help,
		   const uint64_t v[_PSD_DB_MAX])
{
	family(t, name, type, help);
	for (int db = 0; db < _PSD_DB_MAX; db++)
		sample(t, name, "db", db_labels[db], v[db]);
}

struct port_counts {
	uint64_t present, oper_up, admin_up, flapping, from_messages;
};

static void count_ports(const struct psd_ctx *c, uint64_t now_ns, struct port_counts *n)
{
	const struct psd_port *ports = c->ports.ports;
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &ports[i];
		if (!p->used || !p->present || p->name_class != PSD_NAME_PORT)
			continue;
		n->present++;
		n->oper_up += p->oper_up;
		n->admin_up += p->admin_up;
		n->from_messages += p->link_known && !p->carrier_known;
		if (p->oper_changes > PSD_FLAP_ABOVE && psd_port_flapping(p, now_ns))
			n->flapping++;
	}
}

/* The per-port families, node_exporter's way: one series per port with a `port` label, for the
 * ports that have one (port_stats.c hands them out up to cfg.port_series_max). */
enum port_family {
	PF_OPER_UP,
	PF_ADMIN_UP,
	PF_CHANGES,
	PF_UP,
	PF_DOWN,
	PF_LAST_CHANGE,
	PF_FLAPPING_SINCE,
	_PF_MAX,
};

static const struct {
	const char *name, *type, *help;
} port_family_info[_PF_MAX] = {
	[PF_OPER_UP] = {"portsyncd_port_oper_up", "gauge", "1 while the port's link is up (oper)."},
	[PF_ADMIN_UP] = {"portsyncd_port_admin_up", "gauge", "1 while the port is admin up."},
	[PF_CHANGES] = {"portsyncd_port_carrier_changes_total", "counter",
			"The port's carrier changes as the kernel counts them (IFLA_CARRIER_CHANGES), "
			"or, where it does not, the oper changes seen since the daemon first saw it."},
	[PF_UP] = {"portsyncd_port_carrier_up_changes_total", "counter",
		   "The port's carrier changes to up (IFLA_CARRIER_UP_COUNT, or seen)."},
	[PF_DOWN] = {"portsyncd_port_carrier_down_changes_total", "counter",
		     "The port's carrier changes to down (IFLA_CARRIER_DOWN_COUNT, or seen)."},
	[PF_LAST_CHANGE] = {"portsyncd_port_last_change_seconds", "gauge",
			    "When the port entered its current oper state (or appeared), Unix seconds."},
	[PF_FLAPPING_SINCE] = {"portsyncd_port_flapping_since_seconds", "gauge",
			       "Ports flapping now (" PSD_FLAP_TEXT "): since when, Unix seconds."},
};

static uint64_t wall_ns(const struct psd_ctx *c, uint64_t mono_ns)
{
	int64_t wall = (int64_t)mono_ns + c->cfg.realtime_offset_ns;
	return wall > 0 ? (uint64_t)wall : 0;
}

/* One port's sample of family f. */
static void port_value(const struct psd_ctx *c, const struct psd_port *p, enum port_family f,
		       struct psd_text *t)
{
	switch (f) {
	case PF_OPER_UP:
		psd_text_u64(t, p->oper_up);
		return;
	case PF_ADMIN_UP:
		psd_text_u64(t, p->admin_up);
		return;
	case PF_CHANGES:
		psd_text_u64(t, p->carrier_changes);
		return;
	case PF_UP:
		psd_text_u64(t, p->carrier_up);
		return;
	case PF_DOWN:
		psd_text_u64(t, p->carrier_down);
		return;
	case PF_LAST_CHANGE:
		seconds(t, wall_ns(c, p->since_ns));
		return;
	case PF_FLAPPING_SINCE:
		seconds(t, wall_ns(c, p->flap_since_ns));
		return;
	case _PF_MAX:
		break;
	}
}

static void port_family(const struct psd_ctx *c, enum port_family f, uint64_t now,
			struct psd_text *t)
{
	const char *name = port_family_info[f].name;
	size_t name_len = strlen(name);
	family(t, name, port_family_info[f].type, port_family_info[f].help);
	/* the walk ends at the last port with a series: at most port_series_max are found */
	uint32_t left = c->census.series;
	for (uint32_t i = 0; i < c->ports.high_water && left > 0; i++) {
		const struct psd_port *p = &c->ports.ports[i];
		if (!p->used || !p->has_series)
			continue;
		left--;
		if (!p->present)
			continue;
		if (f == PF_FLAPPING_SINCE && (p->flap_since_ns == 0 || !psd_port_flapping(p, now)))
			continue;
		psd_text_mem(t, name, name_len);
		psd_text_mem(t, "{port=\"", 7);
		psd_text_mem(t, p->name, p->name_len);
		psd_text_mem(t, "\"} ", 3);
		port_value(c, p, f, t);
		psd_text_mem(t, "\n", 1);
	}
}

struct alert_lines {
	struct psd_text *t;
	const struct psd_alert_rules *rules;
};

/* portsyncd_alert_state's line of one alert (psd_alerts_each calls it for each not inactive) */
static void alert_line(void *arg, const struct psd_alert_view *x)
{
	const struct alert_lines *l = arg;
	struct psd_text *t = l->t;
	const struct psd_alert_rule *r = &l->rules->rule[x->rule];
	psd_text_str(t, "portsyncd_alert_state{rule=\"");
	psd_text_str(t, r->name);
	psd_text_str(t, "\",subject=\"");
	psd_text_mem(t, x->subject, x->subject_len);
	psd_text_str(t, "\",state=\"");
	psd_text_str(t, psd_alert_state_names[x->state]);
	psd_text_str(t, "\",severity=\"");
	psd_text_str(t, psd_alert_severity_names[r->severity]);
	psd_text_str(t, "\",held=\"");
	psd_text_str(t, x->silenced ? "silenced" : x->inhibited ? "inhibited" : "no");
	psd_text_str(t, "\"} 1\n");
}

/* The alert families (docs/alerts.md), through alerts.c's accessors. */
static void alert_families(const struct psd_view *v, struct psd_text *t)
{
	const struct psd_alert_rules *rules = psd_alerts_rules(v->alerts);
	struct alert_lines lines = {t, rules};
	uint32_t holding[PSD_ALERT_RULES_MAX];
	struct psd_alert_counts n;

	psd_alerts_counts(v->alerts, &n);
	family(t, "portsyncd_alert_rules", "gauge", "Alert rules in force.");
	psd_text_str(t, "portsyncd_alert_rules ");
	psd_text_u64(t, n.rules);
	psd_text_str(t, "\n");
	family(t, "portsyncd_alert_state", "gauge",
		       "1 for each alert that is not inactive: its rule, subject (daemon or a port), "
		       "state (pending, firing, resolved), severity and whether its actions are held "
		       "(silenced, inhibited).");
	psd_alerts_each(v->alerts, alert_line, &lines);
	psd_alerts_holding(v->alerts, holding);
	family(t, "portsyncd_alert_condition_ports", "gauge",
		       "Ports whose condition of a per-port rule holds now (what the Prometheus "
		       "rules printed by --print-prometheus-rules watch).");
	for (uint32_t r = 0; r < rules->count; r++) {
		if (!rules->rule[r].per_port)
			continue;
		psd_text_str(t, "portsyncd_alert_condition_ports{rule=\"");
		psd_text_str(t, rules->rule[r].name);
		psd_text_str(t, "\"} ");
		psd_text_u64(t, holding[r]);
		psd_text_str(t, "\n");
	}
	family(t, "portsyncd_alert_silences_active", "gauge",
		       "CONFIG_DB silences in force.");
	psd_text_str(t, "portsyncd_alert_silences_active ");
	psd_text_u64(t, n.silences_active);
	psd_text_str(t, "\n");
	family(t, "portsyncd_alert_transitions_total", "counter",
		       "Alert state transitions, all rules and subjects.");
	psd_text_str(t, "portsyncd_alert_transitions_total ");
	psd_text_u64(t, n.transitions);
	psd_text_str(t, "\n");
	family(t, "portsyncd_alert_subjects_refused_total", "counter",
		       "Per-port alerts not tracked because PSD_ALERT_SUBJECTS_MAX were active.");
	psd_text_str(t, "portsyncd_alert_subjects_refused_total ");
	psd_text_u64(t, n.refused);
	psd_text_str(t, "\n");
	single(t, "portsyncd_alert_evaluations_total", "counter",
	       "Alert evaluations: each on a whole second when a watched signal or a port changed, "
	       "or a for, keep_firing_for or window deadline came.", n.evaluations);
	single(t, "portsyncd_alert_port_evaluations_total", "counter",
	       "Per-port alerts and ports evaluated, all evaluations (the evaluations' cost).",
	       n.port_looks);
	single(t, "portsyncd_alert_silence_fields_refused_total", "counter",
	       "CONFIG_DB silence fields refused, each time a changed hash was read (each logged "
	       "once).", n.silence_refused);
}

/* Netlink: datagrams, messages and what became of them, losses and re-dumps. */
static void netlink_families(const struct psd_view *v, struct psd_text *t)
{
	static const char *const type_labels[_PSD_NLT_MAX] = {"newlink", "dellink", "done",
							      "error",   "overrun", "other"};
	static const char *const loss_labels[_PSD_LOSS_MAX] = {
		"enobufs", "truncated", "overrun", "malformed", "dump_interrupted", "dump_enobufs"};
	const struct psd_stats *s = &v->ctx->stats;
	uint64_t malformed = 0;

	family(t, "portsyncd_netlink_datagrams_total", "counter",
	       "Netlink datagrams received, by outcome: handled, foreign_sender (not the kernel), "
	       "stale (queued before an overrun, the re-dump rules).");
	sample(t, "portsyncd_netlink_datagrams_total", "outcome", "handled", s->nl_datagrams);
	sample(t, "portsyncd_netlink_datagrams_total", "outcome", "foreign_sender",
	       s->nl_foreign_sender);
	sample(t, "portsyncd_netlink_datagrams_total", "outcome", "stale", s->nl_stale_datagrams);
	family(t, "portsyncd_netlink_messages_total", "counter",
	       "Netlink messages in handled datagrams, by nlmsg type.");
	for (int i = 0; i < _PSD_NLT_MAX; i++)
		sample(t, "portsyncd_netlink_messages_total", "type", type_labels[i], s->nl_types[i]);
	for (int i = 1; i < _PSD_NLE_MAX; i++)
		malformed += s->nl_malformed[i];
	family(t, "portsyncd_netlink_message_outcomes_total", "counter",
	       "Netlink messages by what became of them: applied to a port, or ignored and why.");
	sample(t, "portsyncd_netlink_message_outcomes_total", "outcome", "applied",
	       s->links_applied);
	sample(t, "portsyncd_netlink_message_outcomes_total", "outcome", "ignored_invalid_name",
	       s->names_invalid);
	sample(t, "portsyncd_netlink_message_outcomes_total", "outcome", "ignored_filtered",
	       s->msgs_filtered);
	sample(t, "portsyncd_netlink_message_outcomes_total", "outcome", "ignored_old_interface",
	       s->msgs_old_ifindex);
	sample(t, "portsyncd_netlink_message_outcomes_total", "outcome", "ignored_bad_sequence",
	       s->nl_bad_seq);
	sample(t, "portsyncd_netlink_message_outcomes_total", "outcome", "ignored_other_type",
	       s->nl_ignored_types);
	sample(t, "portsyncd_netlink_message_outcomes_total", "outcome", "refused_table_full",
	       s->ports_refused);
	sample(t, "portsyncd_netlink_message_outcomes_total", "outcome", "malformed", malformed);
	family(t, "portsyncd_netlink_malformed_total", "counter",
	       "Malformed netlink messages, by what was wrong.");
	for (int i = 1; i < _PSD_NLE_MAX; i++)
		sample(t, "portsyncd_netlink_malformed_total", "reason",
		       psd_nl_error_name((enum psd_nl_error)i), s->nl_malformed[i]);
	family(t, "portsyncd_netlink_losses_total", "counter",
	       "Netlink data lost, by cause; each loss leads to a re-dump.");
	for (int i = 0; i < _PSD_LOSS_MAX; i++)
		sample(t, "portsyncd_netlink_losses_total", "cause", loss_labels[i], s->nl_losses[i]);
	single(t, "portsyncd_netlink_redumps_total", "counter",
	       "Netlink link re-dumps requested after a loss.", s->resyncs);
	single(t, "portsyncd_netlink_redump_removed_ports_total", "counter",
	       "Ports a completed re-dump found gone (their DELLINK was lost).", s->resync_deleted);
	single(t, "portsyncd_netlink_stale_bytes_total", "counter",
	       "Bytes of stale datagrams discarded after an overrun.", s->nl_stale_bytes);
	single(t, "portsyncd_netlink_resync_pending", "gauge",
	       "1 while a re-dump after a loss is wanted or running.",
	       psd_resync_pending(v->ctx, v->resync));
	single(t, "portsyncd_port_renames_total", "counter",
	       "Netdevs renamed under a known ifindex (the old name's entry is deleted).", s->renames);
}

/* Redis: commands, replies, connections. */
static void redis_families(const struct psd_view *v, uint64_t now, struct psd_text *t)
{
	const struct psd_stats *s = &v->ctx->stats;
	uint64_t up[_PSD_DB_MAX];

	per_db(t, "portsyncd_redis_commands_total", "counter", "Redis commands sent, by database.",
	       s->db_commands);
	family(t, "portsyncd_redis_replies_total", "counter",
	       "Redis replies, by database and outcome (ok, or error: Redis refused the command).");
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		psd_text_str(t, "portsyncd_redis_replies_total{db=\"");
		psd_text_str(t, db_labels[db]);
		psd_text_str(t, "\",outcome=\"ok\"} ");
		psd_text_u64(t, s->db_replies_ok[db]);
		psd_text_str(t, "\nportsyncd_redis_replies_total{db=\"");
		psd_text_str(t, db_labels[db]);
		psd_text_str(t, "\",outcome=\"error\"} ");
		psd_text_u64(t, s->db_replies_error[db]);
		psd_text_str(t, "\n");
	}
	single(t, "portsyncd_redis_commands_replayed_total", "counter",
	       "Port commands lost with a connection and sent again after the reconnect.",
	       s->commands_replayed);
	per_db(t, "portsyncd_redis_disconnects_total", "counter",
	       "Connections to Redis lost, by database.", s->db_disconnects);
	per_db(t, "portsyncd_redis_reconnects_total", "counter",
	       "Connections made again after a loss, by database.", s->db_reconnects);
	single(t, "portsyncd_redis_connect_failures_total", "counter",
	       "Connection attempts that failed.", s->redis_connect_failures);
	single(t, "portsyncd_redis_data_lost_total", "counter",
	       "Reconnects that found a database emptied (its state was written again).",
	       s->redis_data_lost);
	family(t, "portsyncd_redis_unreachable_seconds_total", "counter",
	       "Seconds each database has been unreachable since the daemon started.");
	for (int db = 0; db < _PSD_DB_MAX; db++)
		seconds_sample(t, "portsyncd_redis_unreachable_seconds_total", "db", db_labels[db],
			       s->db_down_ns[db] + psd_view_db_down_for(v->ctx, (enum psd_db)db, now));
	for (int db = 0; db < _PSD_DB_MAX; db++)
		up[db] = psd_recovery_db_up(v->recovery, (enum psd_db)db);
	per_db(t, "portsyncd_redis_up", "gauge", "1 while the database is connected.", up);
	for (int db = 0; db < _PSD_DB_MAX; db++)
		up[db] = psd_watch_active(v->watch, (enum psd_db)db);
	per_db(t, "portsyncd_redis_keyspace_watched", "gauge",
	       "1 while the database's keyspace notifications come (subscribed, and the server "
	       "publishes them); 0: the daemon asks instead (a look-up per link change, polls).", up);
	per_db(t, "portsyncd_redis_keyspace_notifications_total", "counter",
	       "Keyspace notifications taken, by database.", s->keyspace_notifications);
	single(t, "portsyncd_redis_keyspace_losses_total", "counter",
	       "Keyspace subscriptions lost (what they watch is read again in full).",
	       s->watch_losses);
	single(t, "portsyncd_redis_commands_in_flight", "gauge",
	       "Redis commands sent and not yet answered.", v->inflight);
	single(t, "portsyncd_redis_errors_total", "counter",
	       "Commands Redis refused or whose reply was wrong (each is retried or reported).",
	       s->db_errors);
}

/* STATE_DB writes and APPL_DB look-ups. */
static void write_families(const struct psd_view *v, struct psd_text *t)
{
	const struct psd_stats *s = &v->ctx->stats;

	family(t, "portsyncd_state_writes_total", "counter",
	       "STATE_DB PORT_TABLE commands acknowledged, by operation.");
	sample(t, "portsyncd_state_writes_total", "op", "set", s->state_writes);
	sample(t, "portsyncd_state_writes_total", "op", "delete", s->state_deletes);
	single(t, "portsyncd_writes_pending", "gauge",
	       "Port commands queued and not yet sent (coalesced: one per port at most).",
	       psd_links_queued(v->links));
	family(t, "portsyncd_appl_lookups_total", "counter",
	       "APPL_DB PORT_TABLE look-ups, by outcome.");
	sample(t, "portsyncd_appl_lookups_total", "outcome", "found",
	       s->appl_lookups - (s->appl_missing < s->appl_lookups ? s->appl_missing : s->appl_lookups));
	sample(t, "portsyncd_appl_lookups_total", "outcome", "missing", s->appl_missing);
	single(t, "portsyncd_appl_known_writes_total", "counter",
	       "Link changes written without a look-up: APPL_DB known to hold the port (its "
	       "keyspace watched).", s->appl_known_writes);
	single(t, "portsyncd_appl_reads_total", "counter",
	       "Full reads of APPL_DB PORT_TABLE, one at each keyspace subscription.", s->appl_reads);
	single(t, "portsyncd_config_ports_refused_total", "counter",
	       "CONFIG_DB ports too large or malformed to copy.", s->config_refused);
	single(t, "portsyncd_log_records_dropped_total", "counter",
	       "Log records dropped because the core's log ring was full.", s->log_dropped);
	single(t, "portsyncd_log_lines_suppressed_total", "counter",
	       "Lines of a repeated condition counted instead of logged (said in its summaries).",
	       s->log_suppressed);
}

/* Ports, PortInitDone, the warm restart, link analytics. */
static void port_families(const struct psd_view *v, uint64_t now, struct psd_text *t)
{
	const struct psd_stats *s = &v->ctx->stats;
	struct port_counts ports = {0};

	count_ports(v->ctx, now, &ports);
	single(t, "portsyncd_ports_configured", "gauge", "Ports in CONFIG_DB PORT at start-up.",
	       psd_startup_config_ports(v->startup));
	single(t, "portsyncd_ports_present", "gauge", "Port netdevs that exist.", ports.present);
	single(t, "portsyncd_ports_oper_up", "gauge", "Present ports whose link is up.",
	       ports.oper_up);
	single(t, "portsyncd_ports_admin_up", "gauge", "Present ports that are admin up.",
	       ports.admin_up);
	single(t, "portsyncd_ports_missing_in_appl_db", "gauge",
	       "Ports waiting for their APPL_DB PORT_TABLE entry (looked up again every second).",
	       psd_links_parked(v->links));
	single(t, "portsyncd_ports_flapping", "gauge",
	       "Present ports flapping: " PSD_FLAP_TEXT ".", ports.flapping);
	single(t, "portsyncd_ports_counted_from_messages", "gauge",
	       "Present ports whose oper changes are counted from messages: the kernel gives no "
	       "carrier counts for them.", ports.from_messages);
	single(t, "portsyncd_ports_without_series", "gauge",
	       "Present ports without per-port series (port_series_max reached).",
	       v->ctx->census.present - v->ctx->census.series);
	single(t, "portsyncd_port_series_refused_total", "counter",
	       "Ports first seen while every per-port series was taken (port_series_max).",
	       s->port_series_refused);
	single(t, "portsyncd_port_table_capacity", "gauge", "Entries the port table can hold.",
	       v->ctx->lim.ports_max);
	single(t, "portsyncd_port_init_done", "gauge", "1 once PortInitDone has been written.",
	       psd_links_init_done(v->links));
	family(t, "portsyncd_warm_restart_state", "gauge",
	       "1 for the warm-restart machine's state (swss-common names), 0 for the others.");
	for (int i = 0; i < _PSD_WARM_STATE_MAX; i++)
		sample(t, "portsyncd_warm_restart_state", "state",
		       psd_warm_state_name((enum psd_warm_state)i),
		       psd_warm_current(v->ctx, v->warm) == (enum psd_warm_state)i);
	single(t, "portsyncd_warm_restart_unchanged_total", "counter",
	       "Link states a warm restart found STATE_DB already holding: not written.",
	       s->warm_unchanged);
	single(t, "portsyncd_warm_restart_stale_deleted_total", "counter",
	       "STATE_DB entries a warm restart found stale (netdev gone while down): deleted.",
	       s->warm_stale_deleted);
	single(t, "portsyncd_link_oper_changes_total", "counter",
	       "Oper changes of present ports: the kernel's carrier counts, or the changes seen in "
	       "messages where it has none.", s->oper_changes);
	single(t, "portsyncd_link_stats_writes_total", "counter",
	       "STATE_DB PORT_LINK_STATS writes acknowledged.", s->link_stats_writes);
}

static void render(const struct psd_view *v, const struct psd_metrics_info *info,
		   struct psd_text *t)
{
	const struct psd_stats *s = &v->ctx->stats;
	uint64_t now = info->now_ns;
	char why[PSD_HEALTH_REASON_MAX];

	family(t, "portsyncd_build_info", "gauge", "Always 1; the version of the daemon as a label.");
	sample(t, "portsyncd_build_info", "version", info->version, 1);
	family(t, "portsyncd_start_time_seconds", "gauge",
	       "Start time of the daemon since the Unix epoch, in seconds.");
	seconds_sample(t, "portsyncd_start_time_seconds", NULL, NULL, info->start_time_unix_ns);

	netlink_families(v, t);
	redis_families(v, now, t);
	write_families(v, t);
	single(t, "portsyncd_log_output_dropped_total", "counter",
	       "Log records dropped because the log output did not take them: its queue was full "
	       "or it refused them.", info->log_output_dropped);
	port_families(v, now, t);

	/* health */
	enum psd_health h = psd_view_health(v, now, why, sizeof(why));
	family(t, "portsyncd_health", "gauge", "1 for the health /health reports, 0 for the others.");
	for (int i = 0; i < _PSD_HEALTH_MAX; i++)
		sample(t, "portsyncd_health", "status", psd_health_name((enum psd_health)i), i == (int)h);

	/* latency */
	histogram(t, "portsyncd_link_ack_latency_seconds",
		  "From the link message that changed a port to Redis acknowledging the STATE_DB "
		  "write that carried the change.",
		  &s->ack_latency);
	histogram(t, "portsyncd_redis_write_rtt_seconds",
		  "Round trip of a STATE_DB port write: sent to acknowledged.", &s->write_rtt);

	alert_families(v, t);
	for (int f = 0; f < _PF_MAX; f++)
		port_family(v->ctx, (enum port_family)f, now, t);
}

size_t psd_view_metrics(const struct psd_view *v, const struct psd_metrics_info *info, char *buf,
			  size_t size)
{
	struct psd_text t;
	if (size == 0)
		return 0;
	psd_text_init(&t, buf, size);
	render(v, info, &t);
	return t.truncated ? size : t.len;
}
