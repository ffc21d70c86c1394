/*
 * Log output and error messages, shared by the daemon, the simulator and the fuzzers: syslog or
 * one line per record on stdout or stderr, and psd_errorf for "return psd_errorf(...)".
 */
#ifndef PSD_LOG_H
#define PSD_LOG_H

#include <stddef.h>

#include "psd/core.h"

/* Formats a message into err and returns -1. */
int psd_errorf(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The syslog ident, also printed before stdout and stderr lines; the program name until set. */
void psd_log_ident(const char *name);
void psd_log_setup(enum psd_log_level level, enum psd_log_output output);
void psd_log(enum psd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* r, the result of an sd-event call (0 or more, or -errno); below 0 it is logged as an ERROR
 * naming what failed. For "if (psd_checked(...) < 0)" and for calls whose failure is only told. */
int psd_checked(int r, const char *what);

#endif
