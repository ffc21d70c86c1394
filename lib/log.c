/*
 * Log output: syslog (LOG_USER, program name as ident, as upstream) or one line per record on
 * stdout or stderr, the level name right-aligned in 6 columns. Level and output change at run
 * time when CONFIG_DB LOGGER|portsyncd changes. An instance of a multi-ASIC switch names its
 * namespace in its ident (portsyncd@asic0), in syslog and at the start of each line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static enum psd_log_level current_level = PSD_LOG_NOTICE;
static enum psd_log_output current_output = PSD_LOG_SYSLOG;
static char ident[96]; /* "": the program name, as upstream */

void psd_log_ident(const char *name)
{
	snprintf(ident, sizeof(ident), "%s", name);
	openlog(ident, 0, LOG_USER); /* syslog keeps the pointer: ident is static */
}

int psd_errorf(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

void psd_log_setup(enum psd_log_level level, enum psd_log_output output)
{
	current_level = level;
	current_output = output;
}

void psd_log(enum psd_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	switch (current_output) {
	case PSD_LOG_SYSLOG:
		syslog((int)level, ":- %s", line);
		return;
	case PSD_LOG_STDOUT:
	case PSD_LOG_STDERR:
		fprintf(current_output == PSD_LOG_STDOUT ? stdout : stderr, "%s%s%6s: %s\n", ident,
			ident[0] != '\0' ? " " : "", psd_log_level_name(level), line);
		fflush(current_output == PSD_LOG_STDOUT ? stdout : stderr);
		return;
	case _PSD_LOG_OUTPUT_MAX:
		break;
	}
}

int psd_checked(int r, const char *what)
{
	if (r < 0)
		psd_log(PSD_LOG_ERROR, "%s failed: %s", what, strerror(-r));
	return r;
}
