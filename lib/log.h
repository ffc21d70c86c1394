/*
 * Log output and error messages, shared by the daemon, the simulator and the tools: syslog or
 * one line per record on stdout or stderr, and psd_errorf for "return psd_errorf(...)".
 *
 * No output ever blocks the caller. A record goes through a bounded queue (PSD_LOG_QUEUE_RECORDS
 * records, PSD_LOG_QUEUE_BYTES bytes) that is written without blocking; while the output does
 * not take more, records wait, and a record that finds the queue full is dropped and counted.
 * Once the queue has drained, one line says how many were dropped. A program with an event loop
 * watches the output through psd_log_watch and psd_log_waiting and calls psd_log_flush at the
 * end of the loop turn in which records came and when the output may take more: what a turn
 * logs goes out in writes of PSD_LOG_WRITE_RECORDS records and PIPE_BUF bytes at most (one
 * sendmmsg to syslog), a write's worth as soon as it is there, an ERROR or worse at once. One
 * without a loop has each record's call write what the output takes.
 */
#ifndef PSD_LOG_H
#define PSD_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "log_sink.h"
#include "psd/core.h"

#define PSD_LOG_QUEUE_RECORDS 1024u          /* records waiting for the output, at most */
#define PSD_LOG_QUEUE_BYTES (128u * 1024)    /* bytes of records waiting, at most */
#define PSD_LOG_TEXT_MAX 1024u               /* a record's text; a longer one is cut */
#define PSD_LOG_DRAIN_MS 1000                /* at exit, the longest wait for the output */
#define PSD_LOG_SYSLOG_PATH "/dev/log"

/* Formats a message into err and returns -1. */
int psd_errorf(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The syslog ident, also printed before stdout and stderr lines; the program name until set. */
void psd_log_ident(const char *name);
/* The level and the output. A new output is opened at its first record; what waited for the
 * old one and it does not take at once is dropped, counted. */
void psd_log_setup(enum psd_log_level level, enum psd_log_output output);
void psd_log(enum psd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* psd_log(level, "%s", text) without the formatting pass. */
void psd_log_text(enum psd_log_level level, const char *text);
/* r, the result of an event loop call (0 or more, or -errno); below 0 it is logged as an ERROR
 * naming what failed. For "if (psd_checked(...) < 0)" and for calls whose failure is only told. */
int psd_checked(int r, const char *what);

/* What queued records wait for. */
enum psd_log_wait {
	PSD_LOG_IDLE,           /* nothing queued, or nothing a wait would help */
	PSD_LOG_WAIT_WRITABLE,  /* the descriptor *ret_fd to be writable */
	PSD_LOG_WAIT_RETRY,     /* syslog unreachable: psd_log_flush once PSD_LOG_RETRY_NS passed */
	PSD_LOG_WAIT_TURN,      /* records the output may take: psd_log_flush at the end of the
				 * loop turn (a watcher's records are written together then) */
};
enum psd_log_wait psd_log_waiting(int *ret_fd);
/* changed(ctx) is called whenever psd_log_waiting's answer may have changed, and always before
 * a descriptor it named is closed; once now. NULL: no watcher (each record's call writes). */
void psd_log_watch(void (*changed)(void *ctx), void *ctx);
/* Writes what the output takes now, without blocking. */
void psd_log_flush(void);
/* At exit: waits at most timeout_ms for the output to take what is queued; the rest is dropped. */
void psd_log_drain(int timeout_ms);
/* Records dropped since the start: the queue was full, or the output refused them. */
uint64_t psd_log_dropped(void);
/* The socket syslog records go to: PSD_LOG_SYSLOG_PATH unless a test binds its own. */
void psd_log_syslog_path(const char *path);

#endif
