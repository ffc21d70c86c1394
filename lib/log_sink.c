/*
 * The log output's descriptor, written without blocking whatever it is (log_sink.h).
 *
 * stdout and stderr are inherited, and their file description is shared with whoever started
 * the daemon: setting O_NONBLOCK on it would change it for them too. So:
 *   - a pipe, a FIFO or a terminal (or /dev/null) is opened again through /proc/self/fd/N with
 *     O_NONBLOCK: a new description of the same pipe or device, ours alone. A pipe's writes of
 *     at most PIPE_BUF bytes stay whole; a line is never that long. If it cannot be opened
 *     again (a FIFO whose reader is gone), the inherited descriptor is written only when
 *     poll(2) says it is writable, and then no more than is sure to fit;
 *   - a socket (systemd's journal stream) is written with send(MSG_DONTWAIT): no flag changes;
 *   - a regular file or a block device is written as it is: a disk write does not wait on a
 *     reader (the description's O_APPEND, if any, is kept);
 *   - a closed descriptor takes nothing: each record is counted as dropped.
 * syslog is our own AF_UNIX datagram socket connected to /dev/log, non-blocking, each record one
 * datagram as glibc's syslog(3) sends it. When syslogd restarts, the socket's peer is gone: the
 * write says so (-ECONNRESET) and the caller opens the sink again, which connects anew; a
 * connection refused leaves the sink unreachable until PSD_LOG_RETRY_NS has passed. The sink
 * never closes a descriptor by itself: its caller tells whoever watches it first.
 * One call writes several records in one system call: writev(2) on a descriptor, sendmsg(2) on a
 * stream socket, sendmmsg(2) of a datagram each to syslog.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log_sink.h"

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int syslog_connect(struct psd_log_sink *s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->syslog_path);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd >= 0 && connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->retry_ns = monotonic_ns() + PSD_LOG_RETRY_NS;
	return -1;
}

/* stdout or stderr as its kind asks (above). */
static void open_inherited(struct psd_log_sink *s, int fd)
{
	struct stat st;
	char proc[32];
	s->fd = fd;
	s->kind = PSD_SINK_FD;
	if (fstat(fd, &st) < 0) {
		s->fd = -1; /* closed: nothing is written */
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		s->kind = PSD_SINK_SOCKET;
		return;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return; /* a regular file, a block device */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int own = open(proc, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (own >= 0) {
		s->fd = own;
		s->owned = true;
		return;
	}
	s->kind = PSD_SINK_POLLED;
	s->chunk = S_ISFIFO(st.st_mode) ? PIPE_BUF : PSD_SINK_TTY_ROOM;
}

void psd_sink_open(struct psd_log_sink *s, enum psd_log_output output, const char *syslog_path)
{
	*s = (struct psd_log_sink){.output = output, .fd = -1, .syslog_path = syslog_path};
	switch (output) {
	case PSD_LOG_SYSLOG:
		s->kind = PSD_SINK_SYSLOG;
		s->owned = true;
		syslog_connect(s);
		return;
	case PSD_LOG_STDOUT:
		open_inherited(s, STDOUT_FILENO);
		return;
	case PSD_LOG_STDERR:
	case _PSD_LOG_OUTPUT_MAX:
		open_inherited(s, STDERR_FILENO);
		return;
	}
}

/* Each record one datagram, as many as the socket takes in one sendmmsg. */
static ssize_t syslog_send(struct psd_log_sink *s, const struct iovec *iov, unsigned count)
{
	struct mmsghdr mm[PSD_LOG_WRITE_RECORDS];
	ssize_t taken = 0;
	if (s->fd < 0)
		return monotonic_ns() < s->retry_ns ? -ENOTCONN : -ECONNRESET;
	for (unsigned i = 0; i < count; i++)
		mm[i].msg_hdr = (struct msghdr){.msg_iov = (struct iovec *)&iov[i], .msg_iovlen = 1};
	int sent = sendmmsg(s->fd, mm, count, MSG_DONTWAIT | MSG_NOSIGNAL);
	for (int i = 0; i < sent; i++)
		taken += (ssize_t)iov[i].iov_len;
	if (sent > 0)
		return taken; /* an error after the first is said again by the next call */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -EAGAIN;
	if (errno == ECONNREFUSED || errno == ENOTCONN || errno == ECONNRESET || errno == EPIPE ||
	    errno == ENOENT)
		return -ECONNRESET; /* syslogd went away */
	return -errno;
}

ssize_t psd_sink_write(struct psd_log_sink *s, const struct iovec *iov, unsigned count)
{
	struct pollfd p = {.fd = s->fd, .events = POLLOUT};
	struct msghdr mh = {.msg_iov = (struct iovec *)iov, .msg_iovlen = count};
	ssize_t n;
	switch (s->kind) {
	case PSD_SINK_SYSLOG:
		return syslog_send(s, iov, count);
	case PSD_SINK_SOCKET:
		n = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case PSD_SINK_POLLED: /* only what is sure to fit: part of the first record at most */
		if (poll(&p, 1, 0) == 0)
			return -EAGAIN;
		n = write(s->fd, iov[0].iov_base, iov[0].iov_len < s->chunk ? iov[0].iov_len : s->chunk);
		break;
	case PSD_SINK_FD:
	default:
		n = s->fd >= 0 ? writev(s->fd, iov, (int)count) : (errno = EBADF, -1);
		break;
	}
	if (n >= 0)
		return n;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

void psd_sink_close(struct psd_log_sink *s)
{
	if (s->owned && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->owned = false;
}
