/* database_config.json (jansson and our reader): any bytes, no crash, and an accepted file
 * names a socket and a separator within their limits for every database. The same bytes as
 * database_global.json (named fuzz/database_global.json, so includes are found from the
 * tree's root): a namespace found names an include below the global file's directory,
 * within the path limit; a refusal says why. */
#include "adapters.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psd_db_endpoint ep[_PSD_DB_MAX];
	char err[600], path[256];

	if (psd_dbconfig_global_parse("fuzz/database_global.json", (const char *)data, size, "asic0", path,
				      sizeof(path), err, sizeof(err)) < 0)
		FZ_CHECK(strlen(err) > 0);
	else
		FZ_CHECK(strncmp(path, "fuzz/", 5) == 0 && strlen(path) < sizeof(path));
	if (psd_dbconfig_parse("fuzz.json", (const char *)data, size, ep, err, sizeof(err)) < 0) {
		FZ_CHECK(strlen(err) > 0);
		return 0;
	}
	for (int db = 0; db < _PSD_DB_MAX; db++) {
		FZ_CHECK(strlen(ep[db].unix_socket) > 0 && strlen(ep[db].unix_socket) < PSD_UNIX_PATH_MAX);
		FZ_CHECK(strlen(ep[db].separator) > 0 && strlen(ep[db].separator) <= PSD_SEPARATOR_LEN_MAX);
	}
	return 0;
}
