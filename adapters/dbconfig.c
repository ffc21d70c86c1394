/*
 * Reader of SONiC's database_config.json: for CONFIG_DB, APPL_DB and STATE_DB, the numeric id,
 * the table separator and the unix socket of the instance that holds it. Every error names the
 * file and the JSON path of the field at fault. There is no TCP fallback, as upstream.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "adapters.h"

static const char *const db_names[_PSD_DB_MAX] = {
	[PSD_DB_CONFIG] = "CONFIG_DB",
	[PSD_DB_APPL] = "APPL_DB",
	[PSD_DB_STATE] = "STATE_DB",
};


static int load_db(const char *path, json_t *root, enum psd_db db, struct psd_db_endpoint *ep,
		   char *err, size_t size)
{
	const char *name = db_names[db];
	json_t *dbj = json_object_get(json_object_get(root, "DATABASES"), name);
	json_t *id, *sep, *inst, *sock;
	const char *inst_name;

	if (!json_is_object(dbj))
		return psd_errorf(err, size, "%s: DATABASES.%s is missing", path, name);
	id = json_object_get(dbj, "id");
	if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) > 65535)
		return psd_errorf(err, size, "%s: DATABASES.%s.id must be an integer from 0 to 65535", path,
			    name);
	sep = json_object_get(dbj, "separator");
	if (!json_is_string(sep) || json_string_length(sep) == 0 ||
	    json_string_length(sep) > PSD_SEPARATOR_LEN_MAX)
		return psd_errorf(err, size, "%s: DATABASES.%s.separator must be a string of 1 to %u bytes",
			    path, name, PSD_SEPARATOR_LEN_MAX);
	inst = json_object_get(dbj, "instance");
	if (!json_is_string(inst))
		return psd_errorf(err, size, "%s: DATABASES.%s.instance must be a string", path, name);
	inst_name = json_string_value(inst);
	sock = json_object_get(json_object_get(json_object_get(root, "INSTANCES"), inst_name),
			       "unix_socket_path");
	if (!json_is_string(sock) || json_string_length(sock) == 0 ||
	    json_string_length(sock) >= PSD_UNIX_PATH_MAX)
		return psd_errorf(err, size,
			    "%s: INSTANCES.%s.unix_socket_path must be a path of 1 to %u bytes "
			    "(needed by %s)",
			    path, inst_name, PSD_UNIX_PATH_MAX - 1, name);
	ep->id = (uint32_t)json_integer_value(id);
	memcpy(ep->separator, json_string_value(sep), json_string_length(sep) + 1);
	memcpy(ep->unix_socket, json_string_value(sock), json_string_length(sock) + 1);
	return 0;
}

static int parse_root(const char *path, json_t *root, const json_error_t *jerr,
		      struct psd_db_endpoint ret[_PSD_DB_MAX], char *err, size_t err_size)
{
	struct psd_db_endpoint ep[_PSD_DB_MAX];
	int r = 0;

	if (root == NULL && jerr->line < 1)
		return psd_errorf(err, err_size, "%s", jerr->text); /* jansson names the file */
	if (root == NULL)
		return psd_errorf(err, err_size, "%s: line %d, column %d: %s", path, jerr->line,
				  jerr->column, jerr->text);
	for (int db = 0; db < _PSD_DB_MAX && r == 0; db++)
		r = load_db(path, root, (enum psd_db)db, &ep[db], err, err_size);
	json_decref(root);
	if (r == 0)
		memcpy(ret, ep, sizeof(ep));
	return r;
}

int psd_dbconfig_load(const char *path, struct psd_db_endpoint ret[_PSD_DB_MAX], char *err,
		      size_t err_size)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	return parse_root(path, root, &jerr, ret, err, err_size);
}

int psd_dbconfig_parse(const char *name, const char *text, size_t len,
		       struct psd_db_endpoint ret[_PSD_DB_MAX], char *err, size_t err_size)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	return parse_root(name, root, &jerr, ret, err, err_size);
}
