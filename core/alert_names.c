/*
 * The names of alert signals, conditions, severities and states, and the check of a rule's
 * name (psd/alert_defs.h): a leaf library, shared by the core's alerts and metrics and by the rule
 * file's parser. Read-only tables; no state.
 */
#include <string.h>

#include "psd/alert_defs.h"
#include "psd/limits.h"

const struct psd_alert_signal_info psd_alert_signals[_PSD_SIG_MAX] = {
	[PSD_SIG_REDIS_UP] = {"portsyncd_redis_up", "1 when every database is connected", false,
			      false, false, 0, "min without (db) (portsyncd_redis_up)", NULL},
	[PSD_SIG_REDIS_IN_FLIGHT] = {"portsyncd_redis_commands_in_flight", "commands", false, false,
				     false, 0, "portsyncd_redis_commands_in_flight",
				     "deriv(portsyncd_redis_commands_in_flight[%w])"},
	[PSD_SIG_REDIS_ERRORS] = {"portsyncd_redis_errors_total", "commands", true, false, false, 0,
				  "portsyncd_redis_errors_total",
				  "rate(portsyncd_redis_errors_total[%w])"},
	[PSD_SIG_REDIS_DISCONNECTS] = {"portsyncd_redis_disconnects_total", "connections lost", true,
				       false, false, 0,
				       "sum without (db) (portsyncd_redis_disconnects_total)",
				       "sum without (db) (rate(portsyncd_redis_disconnects_total[%w]))"},
	[PSD_SIG_WRITES_PENDING] = {"portsyncd_writes_pending", "port commands", false, false, false,
				    0, "portsyncd_writes_pending",
				    "deriv(portsyncd_writes_pending[%w])"},
	[PSD_SIG_MISSING_IN_APPL] = {"portsyncd_ports_missing_in_appl_db", "ports", false, false,
				     false, 0, "portsyncd_ports_missing_in_appl_db",
				     "deriv(portsyncd_ports_missing_in_appl_db[%w])"},
	[PSD_SIG_NL_LOSSES] = {"portsyncd_netlink_losses_total", "losses", true, false, false, 0,
			       "sum without (cause) (portsyncd_netlink_losses_total)",
			       "sum without (cause) (rate(portsyncd_netlink_losses_total[%w]))"},
	[PSD_SIG_NL_REDUMPS] = {"portsyncd_netlink_redumps_total", "re-dumps", true, false, false, 0,
				"portsyncd_netlink_redumps_total",
				"rate(portsyncd_netlink_redumps_total[%w])"},
	[PSD_SIG_RESYNC_PENDING] = {"portsyncd_netlink_resync_pending", "1 while a re-dump is due",
				    false, false, false, 0, "portsyncd_netlink_resync_pending",
				    "deriv(portsyncd_netlink_resync_pending[%w])"},
	[PSD_SIG_OPER_CHANGES] = {"portsyncd_link_oper_changes_total", "oper changes", true, false,
				  false, 0, "portsyncd_link_oper_changes_total",
				  "rate(portsyncd_link_oper_changes_total[%w])"},
	[PSD_SIG_LOG_DROPPED] = {"portsyncd_log_records_dropped_total", "log records", true, false,
				 false, 0, "portsyncd_log_records_dropped_total",
				 "rate(portsyncd_log_records_dropped_total[%w])"},
	[PSD_SIG_ACK_P99] = {"portsyncd_link_ack_latency_p99_seconds", "seconds", false, false, true,
			     PSD_ALERT_WINDOW_MAX_S,
			     "histogram_quantile(0.99, "
			     "rate(portsyncd_link_ack_latency_seconds_bucket[%w]))",
			     NULL},
	[PSD_SIG_PORT_OPER_CHANGES] = {"port_oper_changes", "oper changes of the port", false, true,
				       true, PSD_FLAP_WINDOW_MAX_S, NULL, NULL},
};

const char *const psd_alert_condition_names[_PSD_COND_MAX] = {"above",   "below",  "inside",
							     "outside", "equals", "rate"};
const char *const psd_alert_severity_names[_PSD_SEV_MAX] = {"critical", "warning", "info"};
const char *const psd_alert_state_names[_PSD_ALERT_STATE_MAX] = {"inactive", "pending", "firing",
								 "resolved"};

int psd_alert_name_find(const char *const *names, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int psd_alert_signal_find(const char *s)
{
	for (unsigned i = 0; i < _PSD_SIG_MAX; i++)
		if (strcmp(psd_alert_signals[i].name, s) == 0)
			return (int)i;
	return -1;
}

bool psd_alert_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PSD_ALERT_NAME_LEN_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}
