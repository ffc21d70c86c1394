/* Fixtures and captures, the two files an operator hands the tools: any bytes, no crash.
 * The first byte picks the reader. Fixture text: parsed; a fixture that parses runs through the
 * world in both modes (no step may make the world refuse an event). Capture bytes: every record
 * is read until the end or a clear error, and a record never claims more bytes than the file. */
#include "fixture.h"
#include "fuzz.h"
#include "pcap.h"
#include "psd/lit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[600];
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		struct psd_fixture *f = psd_fixture_parse("fuzz.fixture", (const char *)data + 1,
							  size - 1, why, sizeof(why));
		if (f == NULL) {
			FZ_CHECK(strncmp(why, PSD_LIT("fuzz.fixture:")) == 0);
			return 0;
		}
		FILE *out = fopen("/dev/null", "w");
		FZ_CHECK(out != NULL);
		psd_fixture_run(f, false, out, NULL);
		psd_fixture_run(f, true, out, NULL);
		fclose(out);
		psd_fixture_free(f);
		return 0;
	}
	struct psd_pcap_reader *r = psd_pcap_open_memory("fuzz.pcap", data + 1, size - 1, why,
							 sizeof(why));
	if (r == NULL) {
		FZ_CHECK(strlen(why) > 0);
		return 0;
	}
	struct psd_pcap_record rec;
	int got;
	while ((got = psd_pcap_next(r, &rec, why, sizeof(why))) > 0)
		FZ_CHECK(rec.len <= size);
	FZ_CHECK(got == 0 || strncmp(why, PSD_LIT("capture fuzz.pcap: record ")) == 0);
	psd_pcap_close(r);
	return 0;
}
