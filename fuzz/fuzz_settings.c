/* The settings file parser (libinih and our key table): any bytes, no crash, and a refused
 * file leaves the settings as they were; a reload to an accepted one keeps every boot-only
 * setting. */
#include "fuzz.h"
#include "settings.h"

static void ignore(void *ctx, const char *name, const char *was, const char *now)
{
	FZ_CHECK(strcmp(was, now) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psd_settings s, before;
	char err[600];
	char *text = malloc(size + 1); /* fmemopen reads from a buffer it may write */
	FILE *in = text != NULL ? fmemopen(memcpy(text, data, size), size, "r") : NULL;

	if (in == NULL) {
		free(text);
		return 0;
	}
	psd_settings_defaults(&s);
	before = s;
	if (psd_settings_stream(&s, in, "fuzz.conf", err, sizeof(err)) < 0) {
		FZ_CHECK(memcmp(&s, &before, sizeof(s)) == 0);
		FZ_CHECK(strlen(err) > 0);
	} else {
		FZ_CHECK(s.ports_max >= 1 && s.ports_max <= PSD_PORTS_LIMIT);
		FZ_CHECK(s.nl_rcvbuf_bytes >= PSD_NL_RCVBUF_MIN);
		/* a reload to these settings changes the reloadable ones and only those */
		struct psd_settings cur = before;
		int ignored = psd_settings_reload(&cur, &s, ignore, NULL);
		FZ_CHECK(ignored >= 0);
		FZ_CHECK(cur.ports_max == before.ports_max);
		FZ_CHECK(strcmp(cur.db_config, before.db_config) == 0);
		FZ_CHECK(strcmp(cur.replay, before.replay) == 0);
		FZ_CHECK(cur.log_level == s.log_level);
		FZ_CHECK(cur.redump_interval_ms == s.redump_interval_ms);
		FZ_CHECK(psd_settings_reload(&cur, &s, ignore, NULL) == ignored);
	}
	fclose(in);
	free(text);
	return 0;
}
