/*
 * Where log lines are written (log.c's output), without ever blocking: stdout or stderr as
 * whatever kind of file it is, or syslog's datagram socket. log.h includes it for the retry
 * interval and the records a write carries; its functions are log.c's alone.
 */
#ifndef PSD_LOG_SINK_H
#define PSD_LOG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "psd/core.h"

#define PSD_LOG_RETRY_NS 1000000000ull /* syslog unreachable: the next attempt after */
#define PSD_LOG_WRITE_RECORDS 64u      /* records one write carries, at most */

enum psd_sink_kind {
	PSD_SINK_FD,     /* write(2) on a descriptor that never blocks: our own O_NONBLOCK
			  * description of a pipe, FIFO or terminal, or a regular file */
	PSD_SINK_SOCKET, /* send(2) with MSG_DONTWAIT: a socket (the journal's stream) */
	PSD_SINK_POLLED, /* a pipe or terminal we could not reopen: write(2) only what poll(2) says
			  * fits (PIPE_BUF for a pipe, PSD_SINK_TTY_ROOM for a terminal) */
	PSD_SINK_SYSLOG, /* our datagram socket to syslog, non-blocking; -1 while unreachable */
};

struct psd_log_sink {
	enum psd_log_output output;
	enum psd_sink_kind kind;
	int fd;              /* -1: none (a closed stdout or stderr, syslog unreachable) */
	bool owned;          /* ours to close */
	size_t chunk;        /* PSD_SINK_POLLED: the most one write may carry */
	uint64_t retry_ns;   /* syslog unreachable: no new attempt before this (CLOCK_MONOTONIC) */
	const char *syslog_path;
};

#define PSD_SINK_TTY_ROOM 256u /* a terminal that polls writable takes at least this */

/* Opens the sink of output (its descriptor is looked at, reopened or connected now). */
void psd_sink_open(struct psd_log_sink *s, enum psd_log_output output, const char *syslog_path);
/* Writes the count records of iov, in order, in one system call (a write, a sendmsg, a
 * sendmmsg of a datagram each; a polled descriptor takes part of the first record only): the
 * bytes taken (a stream may stop inside a record; a syslog datagram goes all or nothing), or,
 * when the first record is not taken, -EAGAIN (wait for the descriptor to be writable),
 * -ECONNRESET (syslog's peer is gone or the retry time has come: close the sink and open it
 * again), -ENOTCONN (syslog unreachable: try again once PSD_LOG_RETRY_NS has passed) or another
 * -errno (the first record cannot be written). Never blocks. count <= PSD_LOG_WRITE_RECORDS. */
ssize_t psd_sink_write(struct psd_log_sink *s, const struct iovec *iov, unsigned count);
void psd_sink_close(struct psd_log_sink *s);

#endif
