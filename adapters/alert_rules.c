/*
 * The alert rule file (alert_rules.h): parsed with inih over the shipped rules' text and then the
 * file's, line by line so that every error names its line. Keys of a section [alert NAME]:
 * metric, condition, threshold (or low and high), window, for, keep_firing_for, severity,
 * per_port, inhibited_by, summary, enabled. Invariants: what psd_alert_rules_load returns passes
 * the core's own check (psd_core_init refuses nothing it gives); a rule is named once in a text
 * (a file's rule named like a shipped one replaces it); no chain of inhibited_by comes back to
 * where it started (the alerts of a cycle would hold each other for ever).
 *
 * Section headers are read here, not by inih (which tells only of keys): every header opens its
 * rule, so a header without keys, a repeated one and one without a name are each refused with
 * their line. A header is a line whose first character after blanks is '['; it reaches inih
 * unindented, so inih never takes it for the continuation of a value.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "adapters.h"
#include "alert_rules.h"
#include "psd/limits.h"

#define THRESHOLD_DIGITS_MAX 18 /* significant digits of a number kept: 10^18 fits in 64 bits */
#define CYCLE_TEXT_MAX 512      /* of "a -> b -> a" in a message (a longer cycle ends in "...") */

const char psd_alert_rules_default_text[] =
	"[alert redis_unreachable]\n"
	"metric = portsyncd_redis_up\n"
	"condition = below\n"
	"threshold = 1\n"
	"for = 10s\n"
	"severity = critical\n"
	"summary = A Redis database has been unreachable for more than 10 s\n"
	"\n"
	"[alert port_flapping]\n"
	"metric = port_oper_changes\n"
	"per_port = true\n"
	"condition = above\n"
	"threshold = 4\n"
	"window = 30s\n"
	"for = 5s\n"
	"keep_firing_for = 20s\n"
	"severity = warning\n"
	"inhibited_by = redis_unreachable\n"
	"summary = The port's link changed more than 4 times in 30 s\n"
	"\n"
	"[alert netlink_messages_lost]\n"
	"metric = portsyncd_netlink_losses_total\n"
	"condition = rate\n"
	"threshold = 0\n"
	"window = 60s\n"
	"keep_firing_for = 60s\n"
	"severity = warning\n"
	"summary = Netlink messages were lost: a re-dump follows each loss\n"
	"\n"
	"[alert write_backlog_growing]\n"
	"metric = portsyncd_writes_pending\n"
	"condition = rate\n"
	"threshold = 10\n"
	"window = 30s\n"
	"for = 30s\n"
	"severity = warning\n"
	"summary = Port writes waiting for Redis grew by more than 10 a second for 30 s\n"
	"\n"
	"[alert redumps_repeating]\n"
	"metric = portsyncd_netlink_redumps_total\n"
	"condition = rate\n"
	"threshold = 0.01\n"
	"window = 300s\n"
	"keep_firing_for = 60s\n"
	"severity = warning\n"
	"summary = More than 3 netlink re-dumps in 5 minutes\n"
	"\n"
	"[alert latency_p99_slo]\n"
	"metric = portsyncd_link_ack_latency_p99_seconds\n"
	"condition = above\n"
	"threshold = 0.01\n"
	"window = 300s\n"
	"for = 300s\n"
	"severity = warning\n"
	"summary = p99 link change to STATE_DB acknowledgement above the 10 ms objective\n";

/* What a section set, before the checks that span keys. */
struct draft {
	struct psd_alert_rule r;
	const char *path;          /* of the text that defined it: "(shipped rules)" or the file */
	int text_seq;              /* which text defined it: 1 the shipped rules, 2 the file */
	int line;                  /* of the section's header */
	int inhibit_line;          /* of its inhibited_by */
	bool has_metric, has_condition, has_threshold, has_low, has_high, has_window, has_per_port;
	bool disabled;
	char inhibited_by[PSD_ALERT_NAME_LEN_MAX + 1];
};

struct parse {
	const char *path;
	const char *text;
	size_t at;
	int line;
	struct draft *drafts;
	uint32_t count;
	int text_seq;          /* the text being read: 1 the shipped rules, 2 the file */
	struct draft *current; /* the rule of the section being read; NULL: none */
	char *err;
	size_t err_size;
	bool failed;
};

static int fail(struct parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse *p, int line, const char *fmt, ...)
{
	char why[400];
	va_list ap;
	if (p->failed)
		return 0; /* the first error is the one told */
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->err_size, "%s:%d: %s", p->path, line, why);
	p->failed = true;
	return 0;
}

static void open_section(struct parse *p, const char *header);

/* fgets over the text, counting lines; a line that opens a section opens its rule. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t n = 0;
	if (p->text[p->at] == '\0')
		return NULL;
	while (p->text[p->at] != '\0' && n + 1 < (size_t)num) {
		char ch = p->text[p->at++];
		str[n++] = ch;
		if (ch == '\n')
			break;
	}
	str[n] = '\0';
	p->line++;
	size_t lead = p->line == 1 && strncmp(str, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* a BOM */
	lead += strspn(str + lead, " \t");
	if (str[lead] == '[') {
		memmove(str, str + lead, n - lead + 1);
		open_section(p, str);
	}
	return str;
}

static const char *signal_list(void)
{
	static char list[1024];
	size_t n = 0;
	for (unsigned i = 0; i < _PSD_SIG_MAX; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i > 0 ? ", " : "",
				      psd_alert_signals[i].name);
	return list;
}

/* A number as Prometheus writes one (1000, -0.5, 1e9, 2.5e-3), exact to the thousandth and
 * within PSD_ALERT_THRESHOLD_MAX thousandths, in thousandths. The digits are kept as an integer
 * m and a power of ten: value = m * 10^(pow10 - 3). */
static int parse_milli(const char *s, int64_t *ret)
{
	const char *q = s;
	bool neg = *q == '-', point = false;
	uint64_t m = 0;
	int pow10 = 3, digits = 0, significant = 0;

	q += *q == '-' || *q == '+';
	for (; (*q >= '0' && *q <= '9') || (*q == '.' && !point); q++) {
		if (*q == '.') {
			point = true;
			continue;
		}
		digits++;
		if (significant == THRESHOLD_DIGITS_MAX) { /* past what the range can hold exactly */
			if (*q != '0')
				return -ERANGE;
			pow10 += !point; /* a zero before the point multiplies; after it, nothing */
			continue;
		}
		m = m * 10 + (uint64_t)(*q - '0');
		significant += m != 0;
		pow10 -= point;
	}
	if (digits == 0)
		return -EINVAL;
	if (*q == 'e' || *q == 'E') {
		bool neg_exp = *++q == '-';
		int e = 0, e_digits = 0;
		q += *q == '-' || *q == '+';
		for (; *q >= '0' && *q <= '9'; q++, e_digits++)
			if ((e = e * 10 + (*q - '0')) > 9999)
				return -ERANGE;
		if (e_digits == 0)
			return -EINVAL;
		pow10 += neg_exp ? -e : e;
	}
	if (*q != '\0')
		return -EINVAL;
	for (; m != 0 && m % 10 == 0; m /= 10)
		pow10++;
	if (m != 0 && pow10 < 0)
		return -EINVAL; /* more than 3 decimals */
	for (; m != 0 && pow10 > 0; pow10--) {
		if (m > (uint64_t)PSD_ALERT_THRESHOLD_MAX / 10)
			return -ERANGE;
		m *= 10;
	}
	if (m > (uint64_t)PSD_ALERT_THRESHOLD_MAX)
		return -ERANGE;
	*ret = neg ? -(int64_t)m : (int64_t)m;
	return 0;
}

/* A duration: a whole number with s, m or h (Prometheus's units), or 0. */
static int parse_duration(const char *s, uint32_t max_s, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return -EINVAL;
	unsigned long long scale = strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60 :
				   strcmp(end, "h") == 0 ? 3600 : (*end == '\0' && v == 0) ? 1 : 0;
	if (scale == 0 || v > max_s / scale)
		return -EINVAL;
	*ret = (uint32_t)(v * scale);
	return 0;
}

static int parse_bool(const char *s, bool *ret)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "1") == 0)
		*ret = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "0") == 0)
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

/* A header: its rule is opened (a shipped one named again is defined anew), or refused. */
static void open_section(struct parse *p, const char *header)
{
	const char *close = strchr(header, ']');
	char section[PSD_ALERT_NAME_LEN_MAX + 32];
	p->current = NULL;
	if (close == NULL)
		return; /* not a header to inih either: it says so */
	snprintf(section, sizeof(section), "%.*s", (int)(close - header - 1), header + 1);
	if (strcmp(section, "alert") == 0 || strcmp(section, "alert ") == 0) {
		fail(p, p->line, "[%s]: the rule has no name; expected [alert NAME]", section);
		return;
	}
	if (strncmp(section, "alert ", 6) != 0) {
		fail(p, p->line, "[%s]: not a rule section; expected [alert NAME]", section);
		return;
	}
	const char *name = section + 6;
	if (!psd_alert_name_valid(name)) {
		fail(p, p->line, "[%s]: rule name '%s': expected 1 to %u of a-z, 0-9 and _, "
		     "starting with a letter", section, name, PSD_ALERT_NAME_LEN_MAX);
		return;
	}
	struct draft *d = NULL;
	for (uint32_t i = 0; i < p->count && d == NULL; i++)
		if (strcmp(p->drafts[i].r.name, name) == 0)
			d = &p->drafts[i];
	if (d != NULL && d->text_seq == p->text_seq) {
		fail(p, p->line, "[%s]: rule %s is defined twice (first at line %d); each name once",
		     section, name, d->line);
		return;
	}
	if (d == NULL && p->count == PSD_ALERT_RULES_MAX) {
		fail(p, p->line, "[%s]: more than %u rules (PSD_ALERT_RULES_MAX), the shipped "
		     "ones included", section, PSD_ALERT_RULES_MAX);
		return;
	}
	if (d == NULL)
		d = &p->drafts[p->count++];
	/* a new rule, or a shipped one the file defines anew: it keeps its place */
	memset(d, 0, sizeof(*d));
	d->r.severity = PSD_SEV_WARNING; /* the default */
	memcpy(d->r.name, name, strlen(name) + 1); /* valid: at most PSD_ALERT_NAME_LEN_MAX */
	d->path = p->path;
	d->text_seq = p->text_seq;
	d->line = p->line;
	p->current = d;
}

/* threshold, low or high. */
static int set_number(struct parse *p, struct draft *d, const char *section, const char *key,
		      const char *value)
{
	int64_t v;
	if (parse_milli(value, &v) < 0)
		return fail(p, p->line, "[%s] %s '%s': expected a number from -1000000000 to "
			    "1000000000 with at most 3 decimals", section, key, value);
	if (key[0] == 't') {
		d->r.threshold = v;
		d->has_threshold = true;
	} else if (key[0] == 'l') {
		d->r.low = v;
		d->has_low = true;
	} else {
		d->r.high = v;
		d->has_high = true;
	}
	return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	struct draft *d = p->current;
	struct psd_alert_rule *r;
	int i;

	if (d == NULL) /* before any header, or under a refused one (already told) */
		return fail(p, p->line, "%s = %s: outside an [alert NAME] section", key, value);
	r = &d->r;
	if (strcmp(key, "metric") == 0) {
		if ((i = psd_alert_signal_find(value)) < 0)
			return fail(p, p->line, "[%s] metric '%s': expected one of %s", section, value,
				    signal_list());
		r->signal = (enum psd_alert_signal)i;
		d->has_metric = true;
	} else if (strcmp(key, "condition") == 0) {
		if ((i = psd_alert_name_find(psd_alert_condition_names, _PSD_COND_MAX, value)) < 0)
			return fail(p, p->line, "[%s] condition '%s': expected above, below, inside, "
				    "outside, equals or rate", section, value);
		r->condition = (enum psd_alert_condition)i;
		d->has_condition = true;
	} else if (strcmp(key, "threshold") == 0 || strcmp(key, "low") == 0 ||
		   strcmp(key, "high") == 0) {
		return set_number(p, d, section, key, value);
	} else if (strcmp(key, "window") == 0) {
		if (parse_duration(value, PSD_ALERT_WINDOW_MAX_S, &r->window_s) < 0 || r->window_s == 0)
			return fail(p, p->line, "[%s] window '%s': expected a duration from 1s to %us "
				    "(PSD_ALERT_WINDOW_MAX_S), as 30s, 5m", section, value,
				    PSD_ALERT_WINDOW_MAX_S);
		d->has_window = true;
	} else if (strcmp(key, "for") == 0 || strcmp(key, "keep_firing_for") == 0) {
		uint32_t *field = key[0] == 'f' ? &r->for_s : &r->keep_firing_for_s;
		if (parse_duration(value, PSD_ALERT_FOR_MAX_S, field) < 0)
			return fail(p, p->line, "[%s] %s '%s': expected a duration from 0s to %us "
				    "(PSD_ALERT_FOR_MAX_S), as 0, 10s, 5m, 1h", section, key, value,
				    PSD_ALERT_FOR_MAX_S);
	} else if (strcmp(key, "severity") == 0) {
		if ((i = psd_alert_name_find(psd_alert_severity_names, _PSD_SEV_MAX, value)) < 0)
			return fail(p, p->line, "[%s] severity '%s': expected critical, warning or info",
				    section, value);
		r->severity = (enum psd_alert_severity)i;
	} else if (strcmp(key, "per_port") == 0 || strcmp(key, "enabled") == 0) {
		bool b;
		if (parse_bool(value, &b) < 0)
			return fail(p, p->line, "[%s] %s '%s': expected true or false", section, key,
				    value);
		if (key[0] == 'p') {
			r->per_port = b;
			d->has_per_port = true;
		} else {
			d->disabled = !b;
		}
	} else if (strcmp(key, "summary") == 0) {
		size_t n = strlen(value);
		bool ok = n <= PSD_ALERT_SUMMARY_LEN_MAX;
		for (size_t k = 0; k < n && ok; k++)
			ok = value[k] >= ' ' && value[k] <= '~' && value[k] != '"' && value[k] != '\\';
		if (!ok)
			return fail(p, p->line, "[%s] summary: expected at most %u printable ASCII "
				    "characters without '\"' or '\\'", section, PSD_ALERT_SUMMARY_LEN_MAX);
		memcpy(r->summary, value, n + 1);
	} else if (strcmp(key, "inhibited_by") == 0) {
		if (!psd_alert_name_valid(value))
			return fail(p, p->line, "[%s] inhibited_by '%s': expected a rule name", section,
				    value);
		snprintf(d->inhibited_by, sizeof(d->inhibited_by), "%s", value);
		d->inhibit_line = p->line;
	} else {
		return fail(p, p->line, "[%s] unknown key '%s': expected metric, condition, threshold, "
			    "low, high, window, for, keep_firing_for, severity, per_port, "
			    "inhibited_by, summary or enabled", section, key);
	}
	return 1;
}

/* The checks that span keys, on one section. */
static int finish(struct parse *p, struct draft *d)
{
	struct psd_alert_rule *r = &d->r;
	const char *n = r->name;
	if (!d->has_metric)
		return fail(p, d->line, "[alert %s] metric missing: expected one of %s", n,
			    signal_list());
	const struct psd_alert_signal_info *s = &psd_alert_signals[r->signal];
	if (!d->has_condition)
		return fail(p, d->line, "[alert %s] condition missing: expected above, below, "
			    "inside, outside, equals or rate", n);
	if (r->per_port != s->per_port)
		return fail(p, d->line, "[alert %s] per_port '%s': metric %s is %s", n,
			    r->per_port ? "true" : "false", s->name,
			    s->per_port ? "per port: set per_port = true" :
					  "the daemon's: per_port = true needs port_oper_changes");
	bool range = r->condition == PSD_COND_INSIDE || r->condition == PSD_COND_OUTSIDE;
	if (range && (!d->has_low || !d->has_high || d->has_threshold))
		return fail(p, d->line, "[alert %s] condition %s: expected low and high (no "
			    "threshold)", n, psd_alert_condition_names[r->condition]);
	if (range && r->low > r->high)
		return fail(p, d->line, "[alert %s] low must not exceed high", n);
	if (!range && (!d->has_threshold || d->has_low || d->has_high))
		return fail(p, d->line, "[alert %s] condition %s: expected threshold (no low or high)",
			    n, psd_alert_condition_names[r->condition]);
	if (s->needs_window && r->condition == PSD_COND_RATE)
		return fail(p, d->line, "[alert %s] condition rate: expected above, below, inside, "
			    "outside or equals for %s (a value over a window already)", n, s->name);
	bool windowed = s->needs_window || r->condition == PSD_COND_RATE;
	if (windowed && !d->has_window)
		return fail(p, d->line, "[alert %s] window missing: %s needs one, as 30s", n,
			    r->condition == PSD_COND_RATE ? "condition rate" : s->name);
	if (!windowed && d->has_window)
		return fail(p, d->line, "[alert %s] window: only for condition rate, %s and %s", n,
			    psd_alert_signals[PSD_SIG_ACK_P99].name,
			    psd_alert_signals[PSD_SIG_PORT_OPER_CHANGES].name);
	if (r->per_port && (r->window_s > s->window_max_s ||
			    r->window_s % (uint32_t)(PSD_FLAP_BUCKET_NS / 1000000000ull) != 0))
		return fail(p, d->line, "[alert %s] window %us: expected 10s, 20s ... %us for %s "
			    "(the link analytics' flap buckets)", n, r->window_s, s->window_max_s,
			    s->name);
	/* per-port rules look only at ports that changed: a condition true at 0 could not hold */
	if (r->per_port && ((r->condition == PSD_COND_BELOW && r->threshold > 0) ||
			    (r->condition == PSD_COND_EQUALS && r->threshold == 0) ||
			    (r->condition == PSD_COND_INSIDE && r->low <= 0) ||
			    (r->condition == PSD_COND_OUTSIDE && r->low > 0)))
		return fail(p, d->line, "[alert %s] condition %s: a per-port condition must be false "
			    "for a port with no change (0)", n, psd_alert_condition_names[r->condition]);
	r->inhibited_by = UINT32_MAX;
	return 1;
}

/* inhibited_by names a daemon rule in force. When a later text made it otherwise (a file that
 * disables or redefines the shipped rule a shipped rule names), the later text is told. */
static int resolve_inhibit(struct parse *p, struct psd_alert_rules *rules, const struct draft *d,
			   struct psd_alert_rule *r)
{
	if (d->inhibited_by[0] == '\0')
		return 1;
	for (uint32_t k = 0; k < rules->count; k++) {
		if (strcmp(rules->rule[k].name, d->inhibited_by) == 0 && !rules->rule[k].per_port) {
			r->inhibited_by = k;
			return 1;
		}
	}
	for (uint32_t i = 0; i < p->count; i++) {
		const struct draft *t = &p->drafts[i];
		if (strcmp(t->r.name, d->inhibited_by) != 0 || t->text_seq <= d->text_seq)
			continue;
		p->path = t->path;
		return fail(p, t->line, "[alert %s] %s: rule %s (%s:%d) is inhibited_by it, and an "
			    "inhibitor is a daemon rule in force", t->r.name,
			    t->disabled ? "enabled = false" : "per_port", r->name, d->path,
			    d->inhibit_line);
	}
	return fail(p, d->inhibit_line, "[alert %s] inhibited_by '%s': expected a rule in force "
		    "that is not per port", r->name, d->inhibited_by);
}

/* Each rule names at most one inhibitor, so a chain either ends or comes back: walked from each
 * rule not yet seen, a chain that meets its own walk has a cycle, told from where it closes.
 * seen[]: 0 not yet, 1 on the current walk, 2 done. ret_first: the cycle's first rule. */
static bool find_cycle(const struct psd_alert_rules *rules, uint8_t *seen, uint32_t *ret_first)
{
	for (uint32_t i = 0; i < rules->count; i++) {
		uint32_t j = i;
		for (; j != UINT32_MAX && seen[j] == 0; j = rules->rule[j].inhibited_by)
			seen[j] = 1;
		if (j != UINT32_MAX && seen[j] == 1) {
			*ret_first = j;
			return true;
		}
		for (uint32_t k = i; k != UINT32_MAX && seen[k] == 1; k = rules->rule[k].inhibited_by)
			seen[k] = 2;
	}
	return false;
}

static int refuse_cycle(struct parse *p, const struct psd_alert_rules *rules,
			const struct draft *const *by_rule, uint32_t first)
{
	char cycle[CYCLE_TEXT_MAX];
	size_t n = (size_t)snprintf(cycle, sizeof(cycle), "%s", rules->rule[first].name);
	uint32_t j = first;
	do {
		j = rules->rule[j].inhibited_by;
		if (n < sizeof(cycle))
			n += (size_t)snprintf(cycle + n, sizeof(cycle) - n, " -> %s",
					      rules->rule[j].name);
	} while (j != first);
	if (n >= sizeof(cycle))
		memcpy(cycle + sizeof(cycle) - 4, "...", 4);
	p->path = by_rule[first]->path;
	return fail(p, by_rule[first]->inhibit_line, "[alert %s] inhibited_by: a cycle %s: its "
		    "alerts would hold each other for ever", rules->rule[first].name, cycle);
}

static int parse_text(struct parse *p, const char *path, const char *text)
{
	p->path = path;
	p->text = text;
	p->at = 0;
	p->line = 0;
	p->text_seq++;
	p->current = NULL;
	int line = ini_parse_stream(reader, p, on_key, p);
	if (line != 0 && !p->failed)
		fail(p, line, "not an INI line ([alert NAME] or key = value)");
	return p->failed ? -1 : 0;
}

static char *read_file(const char *path, char *err, size_t size)
{
	FILE *in = fopen(path, "r");
	if (in == NULL) {
		psd_errorf(err, size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = malloc(PSD_ALERT_FILE_BYTES_MAX + 1);
	size_t n = text != NULL ? fread(text, 1, PSD_ALERT_FILE_BYTES_MAX + 1, in) : 0;
	bool bad = ferror(in);
	fclose(in);
	if (text == NULL || bad || n > PSD_ALERT_FILE_BYTES_MAX) {
		psd_errorf(err, size, "%s: %s", path, text == NULL ? "out of memory" : bad ?
			   "read error" : "larger than PSD_ALERT_FILE_BYTES_MAX (1 MiB)");
		free(text);
		return NULL;
	}
	text[n] = '\0';
	if (strlen(text) != n) {
		psd_errorf(err, size, "%s: a NUL byte: not a text file", path);
		free(text);
		return NULL;
	}
	return text;
}

/* The drafts' own checks, then the names they refer to, then the cycles: rules in force. */
static int build(struct parse *p, struct psd_alert_rules *rules, const struct draft **by_rule,
		 uint8_t *seen)
{
	rules->count = 0;
	for (uint32_t i = 0; i < p->count; i++) {
		if (p->drafts[i].disabled)
			continue;
		p->path = p->drafts[i].path;
		if (!finish(p, &p->drafts[i]))
			return -1;
		by_rule[rules->count] = &p->drafts[i];
		rules->rule[rules->count++] = p->drafts[i].r;
	}
	for (uint32_t k = 0; k < rules->count; k++) {
		p->path = by_rule[k]->path;
		if (!resolve_inhibit(p, rules, by_rule[k], &rules->rule[k]))
			return -1;
	}
	uint32_t first;
	if (find_cycle(rules, seen, &first)) {
		refuse_cycle(p, rules, by_rule, first);
		return -1;
	}
	return 0;
}

int psd_alert_rules_parse(struct psd_alert_rules *rules, const char *name, const char *text,
			  char *err, size_t size)
{
	struct parse p = {.err = err, .err_size = size};
	struct psd_alert_rules *out = rules;
	const struct draft **by_rule = calloc(PSD_ALERT_RULES_MAX, sizeof(*by_rule));
	uint8_t *seen = calloc(PSD_ALERT_RULES_MAX, sizeof(*seen));
	int r = -1;
	p.drafts = calloc(PSD_ALERT_RULES_MAX, sizeof(*p.drafts));
	rules = malloc(sizeof(*rules)); /* built aside: a refused file changes nothing */
	if (p.drafts != NULL && rules != NULL && by_rule != NULL && seen != NULL &&
	    parse_text(&p, "(shipped rules)", psd_alert_rules_default_text) == 0 &&
	    (text == NULL || parse_text(&p, name, text) == 0) && build(&p, rules, by_rule, seen) == 0) {
		memcpy(out, rules, sizeof(*rules));
		r = 0;
	} else if (!p.failed) {
		psd_errorf(err, size, "alert rules: out of memory");
	}
	free(seen);
	free(by_rule);
	free(rules);
	free(p.drafts);
	return r;
}

int psd_alert_rules_load(struct psd_alert_rules *rules, const char *path, char *err, size_t size)
{
	if (path[0] == '\0')
		return psd_alert_rules_parse(rules, "", NULL, err, size);
	char *text = read_file(path, err, size);
	if (text == NULL)
		return -1;
	int r = psd_alert_rules_parse(rules, path, text, err, size);
	free(text);
	return r;
}

/* --- Prometheus ----------------------------------------------------------------------------- */

static void print_milli(FILE *out, int64_t v)
{
	fprintf(out, "%s%lld", v < 0 ? "-" : "", (long long)(llabs(v) / 1000));
	if (llabs(v) % 1000 != 0) {
		char frac[8];
		snprintf(frac, sizeof(frac), "%03lld", (long long)(llabs(v) % 1000));
		for (int k = 2; k > 0 && frac[k] == '0'; k--)
			frac[k] = '\0';
		fprintf(out, ".%s", frac);
	}
}

/* The expression with %w replaced by the window. */
static void print_expr(FILE *out, const char *expr, uint32_t window_s)
{
	for (const char *q = expr; *q != '\0'; q++) {
		if (q[0] == '%' && q[1] == 'w') {
			fprintf(out, "%us", window_s);
			q++;
		} else {
			fputc(*q, out);
		}
	}
}

static void print_condition(FILE *out, const struct psd_alert_rule *r)
{
	const struct psd_alert_signal_info *s = &psd_alert_signals[r->signal];
	const char *expr = r->condition == PSD_COND_RATE ? s->promql_rate : s->promql;
	if (r->per_port) {
		/* the daemon exports no per-port series: it counts the ports whose condition holds */
		fprintf(out, "portsyncd_alert_condition_ports{rule=\"%s\"} > 0", r->name);
		return;
	}
	switch (r->condition) {
	case PSD_COND_INSIDE:
	case PSD_COND_OUTSIDE:
		fputc('(', out);
		print_expr(out, expr, r->window_s);
		fputs(r->condition == PSD_COND_INSIDE ? ") >= " : ") < ", out);
		print_milli(out, r->low);
		fputs(r->condition == PSD_COND_INSIDE ? " and (" : " or (", out);
		print_expr(out, expr, r->window_s);
		fputs(r->condition == PSD_COND_INSIDE ? ") <= " : ") > ", out);
		print_milli(out, r->high);
		return;
	default:
		print_expr(out, expr, r->window_s);
		fputs(r->condition == PSD_COND_BELOW ? " < " : r->condition == PSD_COND_EQUALS ? " == " :
											   " > ",
		      out);
		print_milli(out, r->threshold);
		return;
	}
}

void psd_alert_rules_print_prometheus(const struct psd_alert_rules *rules, FILE *out)
{
	fprintf(out, "# portsyncd's alert rules over its /metrics families, as the daemon evaluates "
		     "them (portsyncd --print-prometheus-rules).\n"
		     "# inhibited_by is for Alertmanager's inhibit_rules: source matchers "
		     "alertname=<that rule>, target matchers inhibited_by=<that rule>.\n"
		     "groups:\n  - name: portsyncd\n    interval: 1s\n    rules:\n");
	for (uint32_t i = 0; i < rules->count; i++) {
		const struct psd_alert_rule *r = &rules->rule[i];
		fprintf(out, "      - alert: %s\n        expr: '", r->name);
		print_condition(out, r);
		fprintf(out, "'\n        for: %us\n        keep_firing_for: %us\n        labels:\n"
			     "          severity: %s\n",
			r->for_s, r->keep_firing_for_s, psd_alert_severity_names[r->severity]);
		if (r->inhibited_by != UINT32_MAX)
			fprintf(out, "          inhibited_by: %s\n", rules->rule[r->inhibited_by].name);
		fprintf(out, "        annotations:\n          summary: \"%s\"\n", r->summary);
	}
}
