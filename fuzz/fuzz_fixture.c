/* Fixtures, the files that replay field bugs: any bytes, no crash. A fixture that parses runs
 * through the world in both modes (no step may make the world refuse an event); a refused one
 * names its line. Captures have their own target (fuzz_capture.c). */
#include "fixture.h"
#include "fuzz.h"
#include "psd/lit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[600];
	struct psd_fixture *f = psd_fixture_parse("fuzz.fixture", (const char *)data, size, why,
						  sizeof(why));
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
