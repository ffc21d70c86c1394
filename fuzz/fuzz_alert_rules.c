/* The alert rule file parser (adapters/alert_rules.c): any bytes, no crash; a refused file says
 * where (the file's name and a line) and leaves the rules as they were; an accepted one is taken
 * by the core as it is (psd_core_init refuses no rule the parser gives) and prints for
 * Prometheus. */
#include "alert_rules.h"
#include "fuzz.h"
#include "psd/alert_defs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct psd_alert_rules rules, before;
	char err[600];
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&rules, 0xa5, sizeof(rules));
	before = rules;
	if (psd_alert_rules_parse(&rules, "fuzz.conf", text, err, sizeof(err)) < 0) {
		FZ_CHECK(memcmp(&rules, &before, sizeof(rules)) == 0);
		FZ_CHECK(strncmp(err, "fuzz.conf:", 10) == 0 && strlen(err) > 12);
		free(text);
		return 0;
	}
	FZ_CHECK(rules.count <= PSD_ALERT_RULES_MAX);
	struct psd_limits lim = {.ports_max = 4, .inflight_max = 4};
	struct psd_config cfg = {.alert_rules = &rules};
	void *mem = calloc(1, psd_core_size(&lim));
	struct psd_core *c;
	FZ_CHECK(mem != NULL);
	FZ_CHECK(psd_core_init(&c, mem, &lim, &cfg) == 0);
	FZ_CHECK(psd_core_alert_rules(c)->count == rules.count);
	FILE *out = fopen("/dev/null", "w");
	if (out != NULL) {
		psd_alert_rules_print_prometheus(&rules, out);
		fclose(out);
	}
	free(mem);
	free(text);
	return 0;
}
