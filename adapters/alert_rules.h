/*
 * Alert rules from an INI file (sections [alert NAME]) on top of the rules that ship with the
 * daemon (psd_alert_rules_default_text, the same format), and the same rules printed as a
 * Prometheus rules file. Every error names the file, the line, the key, the value and what is
 * allowed; a file with an error changes nothing. docs/alerts.md describes the keys and the
 * shipped rules.
 */
#ifndef PSD_ALERT_RULES_H
#define PSD_ALERT_RULES_H

#include <stddef.h>
#include <stdio.h>

#include "psd/alert_defs.h"

#define PSD_ALERT_FILE_BYTES_MAX (1024u * 1024u) /* a rule file larger than this is refused */

extern const char psd_alert_rules_default_text[];

/* The shipped rules, then those of path ("": none). A file's rule named like a shipped one
 * replaces it; `enabled = false` removes it. 0, or -1 with err. */
int psd_alert_rules_load(struct psd_alert_rules *rules, const char *path, char *err, size_t size);
/* The same from a rule file's text (NUL-terminated); name says where it came from in errors. */
int psd_alert_rules_parse(struct psd_alert_rules *rules, const char *name, const char *text,
			  char *err, size_t size);
/* The rules as a Prometheus rules file (YAML) over the families of /metrics. */
void psd_alert_rules_print_prometheus(const struct psd_alert_rules *rules, FILE *out);
/* Their inhibited_by as Alertmanager's inhibit_rules (YAML). */
void psd_alert_rules_print_inhibit(const struct psd_alert_rules *rules, FILE *out);

#endif
