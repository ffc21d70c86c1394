/*
 * Reader of SONiC's database_config.json: for CONFIG_DB, APPL_DB and STATE_DB, the numeric id,
 * the table separator and the unix socket of the instance that holds it. Every error names the
 * file and the JSON path of the field at fault. There is no TCP fallback, as upstream.
 *
 * The file is opened with O_NONBLOCK (a FIFO in its place must not block start-up) and must be
 * a regular file of at most PSD_DBCONFIG_BYTES_MAX bytes; it is read whole, then parsed. Two
 * databases of one instance with one id, and separators other than printable ASCII without
 * spaces, are refused: either would have the daemon write where no consumer reads.
 *
 * On a multi-ASIC switch, database_global.json names each namespace's database_config.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "adapters.h"

static const char *const db_names[_PSD_DB_MAX] = {
	[PSD_DB_CONFIG] = "CONFIG_DB",
	[PSD_DB_APPL] = "APPL_DB",
	[PSD_DB_STATE] = "STATE_DB",
};


/* Printable ASCII other than space: a newline or a NUL would split keys where no consumer does. */
static bool separator_valid(const char *sep, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (sep[i] <= ' ' || sep[i] > '~')
			return false;
	return true;
}

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
	    json_string_length(sep) > PSD_SEPARATOR_LEN_MAX ||
	    !separator_valid(json_string_value(sep), json_string_length(sep)))
		return psd_errorf(err, size,
				  "%s: DATABASES.%s.separator must be a string of 1 to %u printable "
				  "ASCII bytes without spaces",
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

/* Two databases of one instance with one id would share one keyspace. */
static int check_ids(const char *path, json_t *root, char *err, size_t size)
{
	json_t *dbs = json_object_get(root, "DATABASES");
	const char *a_name, *b_name;
	json_t *a, *b;

	json_object_foreach (dbs, a_name, a) {
		json_t *a_id = json_object_get(a, "id"), *a_inst = json_object_get(a, "instance");
		if (!json_is_integer(a_id) || !json_is_string(a_inst))
			continue;
		json_object_foreach (dbs, b_name, b) {
			if (b == a)
				break; /* each pair once */
			json_t *b_id = json_object_get(b, "id"), *b_inst = json_object_get(b, "instance");
			if (json_is_integer(b_id) && json_is_string(b_inst) &&
			    json_integer_value(a_id) == json_integer_value(b_id) &&
			    json_equal(a_inst, b_inst))
				return psd_errorf(err, size,
						  "%s: DATABASES.%s and DATABASES.%s have the same id %lld "
						  "on instance %s",
						  path, b_name, a_name, (long long)json_integer_value(a_id),
						  json_string_value(a_inst));
		}
	}
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
	if (r == 0)
		r = check_ids(path, root, err, err_size);
	json_decref(root);
	if (r == 0)
		memcpy(ret, ep, sizeof(ep));
	return r;
}

int psd_dbconfig_load(const char *path, struct psd_db_endpoint ret[_PSD_DB_MAX], char *err,
		      size_t err_size)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int r = -1;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return psd_errorf(err, err_size, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		psd_errorf(err, err_size, "%s: %s", path, strerror(errno));
	else if (S_ISDIR(st.st_mode))
		psd_errorf(err, err_size, "%s: is a directory, not a file", path);
	else if (!S_ISREG(st.st_mode))
		psd_errorf(err, err_size, "%s: is not a regular file (a FIFO, socket or device)",
			   path);
	else if (st.st_size > (off_t)PSD_DBCONFIG_BYTES_MAX)
		psd_errorf(err, err_size, "%s: %lld bytes, larger than the %u bytes allowed", path,
			   (long long)st.st_size, PSD_DBCONFIG_BYTES_MAX);
	else if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		psd_errorf(err, err_size, "%s: out of memory", path);
	else
		r = 0;
	while (r == 0 && len <= PSD_DBCONFIG_BYTES_MAX) { /* the file may grow while read */
		ssize_t n = read(fd, text + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = psd_errorf(err, err_size, "%s: %s", path, strerror(errno));
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size)
			r = psd_errorf(err, err_size, "%s: changed while it was read", path);
	}
	close(fd);
	if (r == 0)
		r = psd_dbconfig_parse(path, text, len, ret, err, err_size);
	free(text);
	return r;
}

int psd_dbconfig_parse(const char *name, const char *text, size_t len,
		       struct psd_db_endpoint ret[_PSD_DB_MAX], char *err, size_t err_size)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	return parse_root(name, root, &jerr, ret, err, err_size);
}

/* The names of every namespace of the global file, for a message: "asic0, asic1". */
static void list_namespaces(json_t *includes, char *out, size_t size)
{
	size_t i, used = 0;
	json_t *inc;

	out[0] = '\0';
	json_array_foreach(includes, i, inc) {
		const char *ns = json_string_value(json_object_get(inc, "namespace"));
		if (ns == NULL || ns[0] == '\0' || used >= size)
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used > 0 ? ", " : "", ns);
	}
	if (out[0] == '\0')
		snprintf(out, size, "none");
}

static int find_include(const char *path, json_t *root, const char *netns, char *ret_path,
			size_t ret_size, char *err, size_t size)
{
	json_t *includes = json_object_get(root, "INCLUDES");
	const char *slash = strrchr(path, '/');
	int dir_len = slash != NULL ? (int)(slash - path) : 1;
	const char *dir = slash != NULL ? path : ".";
	char names[512];
	size_t i;
	json_t *inc;

	if (!json_is_array(includes))
		return psd_errorf(err, size, "%s: INCLUDES must be an array", path);
	json_array_foreach(includes, i, inc) {
		json_t *ns = json_object_get(inc, "namespace");
		if (!json_is_string(ns) || strcmp(json_string_value(ns), netns) != 0)
			continue;
		const char *rel = json_string_value(json_object_get(inc, "include"));
		if (rel == NULL || rel[0] == '\0')
			return psd_errorf(err, size, "%s: INCLUDES[%zu].include (namespace %s) must "
					  "be a path", path, i, netns);
		/* as swss-common: the include is relative to the global file's directory */
		if ((size_t)snprintf(ret_path, ret_size, "%.*s/%s", dir_len, dir, rel) >= ret_size)
			return psd_errorf(err, size, "%s: INCLUDES[%zu].include (namespace %s) is "
					  "too long", path, i, netns);
		if (access(ret_path, R_OK) != 0)
			return psd_errorf(err, size, "namespace %s: %s (INCLUDES[%zu].include of %s): %s",
					  netns, ret_path, i, path, strerror(errno));
		return 0;
	}
	list_namespaces(includes, names, sizeof(names));
	return psd_errorf(err, size, "unknown namespace '%s': not in %s (namespaces: %s)", netns,
			  path, names);
}

static int global_root(const char *global_path, json_t *root, const json_error_t *jerr,
		       const char *netns, char *ret_path, size_t ret_size, char *err,
		       size_t err_size)
{
	int r;
	if (root == NULL && jerr->line < 1)
		return psd_errorf(err, err_size, "%s", jerr->text); /* jansson names the file */
	if (root == NULL)
		return psd_errorf(err, err_size, "%s: line %d, column %d: %s", global_path,
				  jerr->line, jerr->column, jerr->text);
	r = find_include(global_path, root, netns, ret_path, ret_size, err, err_size);
	json_decref(root);
	return r;
}

int psd_dbconfig_global(const char *global_path, const char *netns, char *ret_path,
			size_t ret_size, char *err, size_t err_size)
{
	json_error_t jerr;
	json_t *root = json_load_file(global_path, JSON_REJECT_DUPLICATES, &jerr);
	return global_root(global_path, root, &jerr, netns, ret_path, ret_size, err, err_size);
}

int psd_dbconfig_global_parse(const char *name, const char *text, size_t len, const char *netns,
			      char *ret_path, size_t ret_size, char *err, size_t err_size)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	return global_root(name, root, &jerr, netns, ret_path, ret_size, err, err_size);
}
