/* The settings file parser (libinih and our key table): any bytes, no crash, and a refused
 * file leaves the settings as they were. */
#include "fuzz.h"
#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psd_settings s, before;
	char err[600];
	FILE *in = fmemopen((void *)data, size, "r");

	if (in == NULL)
		return 0;
	psd_settings_defaults(&s);
	before = s;
	if (psd_settings_stream(&s, in, "fuzz.conf", err, sizeof(err)) < 0) {
		FZ_CHECK(memcmp(&s, &before, sizeof(s)) == 0);
		FZ_CHECK(strlen(err) > 0);
	} else {
		FZ_CHECK(s.ports_max >= 1 && s.ports_max <= PSD_PORTS_LIMIT);
		FZ_CHECK(s.nl_rcvbuf_bytes >= PSD_NL_RCVBUF_MIN);
	}
	fclose(in);
	return 0;
}
