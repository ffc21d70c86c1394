/*
 * The Prometheus text exposition (format 0.0.4) of the core's counters, and the health verdict
 * (psd/metrics.h). Pure: it reads the core and writes into the caller's buffer. Every family has
 * # HELP and # TYPE, names follow Prometheus (portsyncd_ prefix, _total counters, base units) and
 * label values come from fixed sets: there is no per-port series, so the text has the same size
 * for 10 ports and for 100K, and one walk of the port table computes the port gauges.
 * docs/metrics.md explains each family.
 */
#include <string.h>

#include "engine.h"
#include "names.h"
#include "psd/metrics.h"

const uint64_t psd_hist_bounds_ns[PSD_HIST_BUCKETS] = {
	10000,      20000,      30000,      40000,      50000,      75000,     100000,
	150000,     200000,     300000,     400000,     500000,     750000,    1000000,
	2500000,    5000000,    10000000,   25000000,   50000000,   100000000, 250000000,
	500000000,  1000000000, 2500000000, 5000000000, 10000000000,
};

static const char *const db_labels[_PSD_DB_MAX] = {"CONFIG_DB", "APPL_DB", "STATE_DB"};

static const char *const health_names[_PSD_HEALTH_MAX] = {"ok", "degraded", "failing"};

void psd_histogram_observe(struct psd_histogram *h, uint64_t ns)
{
	uint32_t i = 0;
	while (i < PSD_HIST_BUCKETS && ns > psd_hist_bounds_ns[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_ns += ns;
}

const char *psd_health_name(enum psd_health h)
{
	return (unsigned)h < _PSD_HEALTH_MAX ? health_names[h] : "?";
}

static uint64_t db_down_for(const struct psd_core *c, enum psd_db db, uint64_t now_ns)
{
	const struct psd_stats *s = &c->stats;
	return s->db_down[db] && now_ns > s->db_down_since_ns[db] ? now_ns - s->db_down_since_ns[db] :
								    0;
}

static void reason(struct psd_text *t, const char *a, const char *b)
{
	if (t->len > 0)
		psd_text_str(t, "; ");
	psd_text_str(t, a);
	psd_text_str(t, b);
}

enum psd_health psd_core_health(const struct psd_core *c, uint64_t now_ns, char *why, size_t size)
{
	uint64_t limit = c->cfg.health_db_down_ns != 0 ? c->cfg.health_db_down_ns :
							 PSD_HEALTH_DB_DOWN_DEFAULT_NS;
	enum psd_health h = PSD_HEALTH_OK;
	struct psd_text t;

	psd_text_init(&t, why, size);
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		if (c->recovery.db_up[db] || !c->stats.db_down[db])
			continue; /* up, or still connecting for the first time */
		uint64_t down = db_down_for(c, (enum psd_db)db, now_ns);
		if (down >= limit)
			h = PSD_HEALTH_FAILING;
		else if (h == PSD_HEALTH_OK)
			h = PSD_HEALTH_DEGRADED;
		reason(&t, db_labels[db], " unreachable for ");
		psd_text_u64(&t, down / PSD_NS_PER_MS);
		psd_text_str(&t, down >= limit ? " ms (past the limit)" : " ms");
	}
	if (c->inflight > 0 && now_ns - c->last_reply_ns >= PSD_STALL_NS) {
		h = PSD_HEALTH_FAILING;
		reason(&t, "Redis has not answered for ", "");
		psd_text_u64(&t, (now_ns - c->last_reply_ns) / PSD_NS_PER_MS);
		psd_text_str(&t, " ms (loop stalled)");
	}
	if (c->resync.redump_wanted || c->resync.backlog_stale || (c->resync.dump_active && c->stats.resyncs > 0)) {
		if (h == PSD_HEALTH_OK)
			h = PSD_HEALTH_DEGRADED;
		reason(&t, "netlink re-dump pending after a loss", "");
	}
	if (c->startup.phase < PH_RUNNING) {
		if (h == PSD_HEALTH_OK)
			h = PSD_HEALTH_DEGRADED;
		reason(&t, "starting", "");
	} else if (c->startup.phase > PH_RUNNING) {
		if (h == PSD_HEALTH_OK)
			h = PSD_HEALTH_DEGRADED;
		reason(&t, "stopping", "");
	}
	return h;
}

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
	uint64_t present, oper_up, admin_up, flapping;
};

static void count_ports(const struct psd_core *c, uint64_t now_ns, struct port_counts *n)
{
	const struct psd_port *ports = c->ports.ports;
	for (uint32_t i = 0; i < c->ports.high_water; i++) {
		const struct psd_port *p = &ports[i];
		if (!p->used || !p->present || p->name_class != PSD_NAME_PORT)
			continue;
		n->present++;
		n->oper_up += p->oper_up;
		n->admin_up += p->admin_up;
		if (p->oper_changes >= PSD_FLAP_THRESHOLD &&
		    psd_port_flaps(p, now_ns) >= PSD_FLAP_THRESHOLD)
			n->flapping++;
	}
}

static void metrics_alert(const struct psd_alerts *a, const struct psd_alert *x,
			  struct psd_text *t)
{
	size_t n;
	const char *subject = psd_alert_subject(x, &n);
	const struct psd_alert_rule *r = &a->rules.rule[x->rule];
	psd_text_str(t, "portsyncd_alert_state{rule=\"");
	psd_text_str(t, r->name);
	psd_text_str(t, "\",subject=\"");
	psd_text_mem(t, subject, n);
	psd_text_str(t, "\",state=\"");
	psd_text_str(t, psd_alert_state_names[x->state]);
	psd_text_str(t, "\",severity=\"");
	psd_text_str(t, psd_alert_severity_names[r->severity]);
	psd_text_str(t, "\",held=\"");
	psd_text_str(t, psd_alert_held(x));
	psd_text_str(t, "\"} 1\n");
}

/* The alert families (docs/alerts.md): read from alerts.c's state, which only it writes. */
static void alert_families(const struct psd_core *c, struct psd_text *t)
{
	const struct psd_alerts *a = &c->alerts;
	uint32_t holding[PSD_ALERT_RULES_MAX];
	uint32_t active = 0;

	family(t, "portsyncd_alert_rules", "gauge", "Alert rules in force.");
	psd_text_str(t, "portsyncd_alert_rules ");
	psd_text_u64(t, a->rules.count);
	psd_text_str(t, "\n");
	family(t, "portsyncd_alert_state", "gauge",
		       "1 for each alert that is not inactive: its rule, subject (daemon or a port), "
		       "state (pending, firing, resolved), severity and whether its actions are held "
		       "(silenced, inhibited).");
	for (uint32_t i = 0; i < a->rules.count; i++)
		if (a->inst[i].used && a->inst[i].state != PSD_ALERT_INACTIVE)
			metrics_alert(a, &a->inst[i], t);
	memset(holding, 0, a->rules.count * sizeof(holding[0]));
	for (uint32_t i = PSD_ALERT_RULES_MAX; i < a->pool_high; i++) {
		const struct psd_alert *x = &a->inst[i];
		if (!x->used)
			continue;
		holding[x->rule] += x->holds;
		if (x->state != PSD_ALERT_INACTIVE)
			metrics_alert(a, x, t);
	}
	family(t, "portsyncd_alert_condition_ports", "gauge",
		       "Ports whose condition of a per-port rule holds now (what the Prometheus "
		       "rules printed by --print-prometheus-rules watch).");
	for (uint32_t r = 0; r < a->rules.count; r++) {
		if (!a->rules.rule[r].per_port)
			continue;
		psd_text_str(t, "portsyncd_alert_condition_ports{rule=\"");
		psd_text_str(t, a->rules.rule[r].name);
		psd_text_str(t, "\"} ");
		psd_text_u64(t, holding[r]);
		psd_text_str(t, "\n");
	}
	for (uint32_t k = 0; k < a->silence_count; k++)
		active += !a->silence[k].expired;
	family(t, "portsyncd_alert_silences_active", "gauge",
		       "CONFIG_DB silences in force.");
	psd_text_str(t, "portsyncd_alert_silences_active ");
	psd_text_u64(t, active);
	psd_text_str(t, "\n");
	family(t, "portsyncd_alert_transitions_total", "counter",
		       "Alert state transitions, all rules and subjects.");
	psd_text_str(t, "portsyncd_alert_transitions_total ");
	psd_text_u64(t, a->transitions);
	psd_text_str(t, "\n");
	family(t, "portsyncd_alert_subjects_refused_total", "counter",
		       "Per-port alerts not tracked because PSD_ALERT_SUBJECTS_MAX were active.");
	psd_text_str(t, "portsyncd_alert_subjects_refused_total ");
	psd_text_u64(t, a->refused);
	psd_text_str(t, "\n");
}

static void render(const struct psd_core *c, const struct psd_metrics_info *info,
		   struct psd_text *t)
{
	static const char *const type_labels[_PSD_NLT_MAX] = {"newlink", "dellink", "done",
							      "error",   "overrun", "other"};
	static const char *const loss_labels[_PSD_LOSS_MAX] = {
		"enobufs", "truncated", "overrun", "malformed", "dump_interrupted", "dump_enobufs"};
	const struct psd_stats *s = &c->stats;
	uint64_t now = info->now_ns;
	uint64_t v[_PSD_DB_MAX];
	struct port_counts ports = {0};
	uint64_t malformed = 0;
	char why[PSD_HEALTH_REASON_MAX];

	family(t, "portsyncd_build_info", "gauge", "Always 1; the version of the daemon as a label.");
	sample(t, "portsyncd_build_info", "version", info->version, 1);
	family(t, "portsyncd_start_time_seconds", "gauge",
	       "Start time of the daemon since the Unix epoch, in seconds.");
	seconds_sample(t, "portsyncd_start_time_seconds", NULL, NULL, info->start_time_unix_ns);

	/* netlink */
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
	       c->resync.redump_wanted || c->resync.backlog_stale || (c->resync.dump_active && s->resyncs > 0));
	single(t, "portsyncd_port_renames_total", "counter",
	       "Netdevs renamed under a known ifindex (the old name's entry is deleted).", s->renames);

	/* Redis */
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
			       s->db_down_ns[db] + db_down_for(c, (enum psd_db)db, now));
	for (int db = 0; db < _PSD_DB_MAX; db++)
		v[db] = c->recovery.db_up[db];
	per_db(t, "portsyncd_redis_up", "gauge", "1 while the database is connected.", v);
	single(t, "portsyncd_redis_commands_in_flight", "gauge",
	       "Redis commands sent and not yet answered.", c->inflight);
	single(t, "portsyncd_redis_errors_total", "counter",
	       "Commands Redis refused or whose reply was wrong (each is retried or reported).",
	       s->db_errors);

	/* writes */
	family(t, "portsyncd_state_writes_total", "counter",
	       "STATE_DB PORT_TABLE commands acknowledged, by operation.");
	sample(t, "portsyncd_state_writes_total", "op", "set", s->state_writes);
	sample(t, "portsyncd_state_writes_total", "op", "delete", s->state_deletes);
	single(t, "portsyncd_writes_pending", "gauge",
	       "Port commands queued and not yet sent (coalesced: one per port at most).",
	       c->links.sendq_len);
	family(t, "portsyncd_appl_lookups_total", "counter",
	       "APPL_DB PORT_TABLE look-ups, by outcome.");
	sample(t, "portsyncd_appl_lookups_total", "outcome", "found",
	       s->appl_lookups - (s->appl_missing < s->appl_lookups ? s->appl_missing : s->appl_lookups));
	sample(t, "portsyncd_appl_lookups_total", "outcome", "missing", s->appl_missing);
	single(t, "portsyncd_config_ports_refused_total", "counter",
	       "CONFIG_DB ports too large or malformed to copy.", s->config_refused);
	single(t, "portsyncd_log_records_dropped_total", "counter",
	       "Log records dropped because the core's log ring was full.", s->log_dropped);
	single(t, "portsyncd_log_output_dropped_total", "counter",
	       "Log records dropped because the log output did not take them: its queue was full "
	       "or it refused them.", info->log_output_dropped);

	/* ports */
	count_ports(c, now, &ports);
	single(t, "portsyncd_ports_configured", "gauge", "Ports in CONFIG_DB PORT at start-up.",
	       c->startup.config_ports);
	single(t, "portsyncd_ports_present", "gauge", "Port netdevs that exist.", ports.present);
	single(t, "portsyncd_ports_oper_up", "gauge", "Present ports whose link is up.",
	       ports.oper_up);
	single(t, "portsyncd_ports_admin_up", "gauge", "Present ports that are admin up.",
	       ports.admin_up);
	single(t, "portsyncd_ports_missing_in_appl_db", "gauge",
	       "Ports waiting for their APPL_DB PORT_TABLE entry (looked up again every second).",
	       c->links.parked);
	single(t, "portsyncd_ports_flapping", "gauge",
	       "Present ports with at least 6 oper changes in the last 60 s.", ports.flapping);
	single(t, "portsyncd_port_table_capacity", "gauge", "Entries the port table can hold.",
	       c->lim.ports_max);
	single(t, "portsyncd_port_init_done", "gauge", "1 once PortInitDone has been written.",
	       c->links.init_done_sent);
	family(t, "portsyncd_warm_restart_state", "gauge",
	       "1 for the warm-restart machine's state (swss-common names), 0 for the others.");
	for (int i = 0; i < _PSD_WARM_STATE_MAX; i++)
		sample(t, "portsyncd_warm_restart_state", "state",
		       psd_warm_state_name((enum psd_warm_state)i), c->warm.state == i);
	single(t, "portsyncd_warm_restart_unchanged_total", "counter",
	       "Link states a warm restart found STATE_DB already holding: not written.",
	       s->warm_unchanged);
	single(t, "portsyncd_warm_restart_stale_deleted_total", "counter",
	       "STATE_DB entries a warm restart found stale (netdev gone while down): deleted.",
	       s->warm_stale_deleted);
	single(t, "portsyncd_link_oper_changes_total", "counter",
	       "Oper status changes (up to down or down to up) of present ports.", s->oper_changes);
	single(t, "portsyncd_link_stats_writes_total", "counter",
	       "STATE_DB PORT_LINK_STATS writes acknowledged.", s->link_stats_writes);

	/* health */
	enum psd_health h = psd_core_health(c, now, why, sizeof(why));
	family(t, "portsyncd_health", "gauge", "1 for the health /health reports, 0 for the others.");
	for (int i = 0; i < _PSD_HEALTH_MAX; i++)
		sample(t, "portsyncd_health", "status", health_names[i], i == (int)h);

	/* latency */
	histogram(t, "portsyncd_link_ack_latency_seconds",
		  "From the link message that changed a port to Redis acknowledging the STATE_DB "
		  "write that carried the change.",
		  &s->ack_latency);
	histogram(t, "portsyncd_redis_write_rtt_seconds",
		  "Round trip of a STATE_DB port write: sent to acknowledged.", &s->write_rtt);

	alert_families(c, t);
}

size_t psd_metrics_render(const struct psd_core *c, const struct psd_metrics_info *info, char *buf,
			  size_t size)
{
	struct psd_text t;
	if (size == 0)
		return 0;
	psd_text_init(&t, buf, size);
	render(c, info, &t);
	return t.truncated ? size : t.len;
}

static const char *const phase_names[] = {
	[PH_IDLE] = "idle",         [PH_LOGGER] = "starting",      [PH_LOGGER_SET] = "starting",
	[PH_SWITCH_TYPE] = "starting", [PH_WARM_ENABLE] = "starting", [PH_RESTORE_GET] = "starting",
	[PH_RESTORE_SET] = "starting", [PH_KEYS] = "reading-config", [PH_CONFIG_COPY] = "copying-config",
	[PH_CONFIG_DONE] = "copying-config", [PH_PRUNE] = "pruning", [PH_IFACES] = "old-interfaces",
	[PH_REFUSED] = "refused-retrying",
	[PH_RUNNING] = "running",   [PH_STOPPING] = "stopping",    [PH_EXITED] = "exited",
};

size_t psd_core_status(const struct psd_core *c, char *buf, size_t size)
{
	struct psd_text t;
	psd_text_init(&t, buf, size);
	psd_text_str(&t, phase_names[c->startup.phase]);
	psd_text_str(&t, c->startup.warm ? " (warm)" : " (cold)");
	psd_text_str(&t, "; ports ");
	psd_text_u64(&t, psd_port_count(&c->ports));
	psd_text_str(&t, ", configured ");
	psd_text_u64(&t, c->startup.config_ports);
	psd_text_str(&t, ", awaited ");
	psd_text_u64(&t, c->ports.portset_count);
	psd_text_str(&t, ", pending writes ");
	psd_text_u64(&t, (uint64_t)c->links.sendq_len + c->inflight);
	psd_text_str(&t, ", missing in APPL_DB ");
	psd_text_u64(&t, c->links.parked);
	psd_text_str(&t, !c->recovery.all_up ? "; Redis down, reconnecting" :
			 c->stalled    ? "; Redis stalled, not answering" :
					 "; Redis up");
	if (c->resync.redump_wanted || c->resync.dump_active)
		psd_text_str(&t, "; netlink resync");
	psd_text_str(&t, c->links.init_done_sent ? "; PortInitDone sent" : "");
	if (c->startup.warm) {
		psd_text_str(&t, "; warm restart ");
		psd_text_str(&t, psd_warm_state_name((enum psd_warm_state)c->warm.state));
	}
	return t.len;
}

