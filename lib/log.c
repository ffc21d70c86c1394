/*
 * Log output (log.h): syslog (LOG_USER, the program name or the set ident, and the pid, as
 * glibc's syslog(3) writes them) or one line per record on stdout or stderr, the level name
 * right-aligned in 6 columns. Level and output change at run time when CONFIG_DB LOGGER|portsyncd
 * changes. An instance of a multi-ASIC switch names its namespace in its ident (portsyncd@asic0),
 * in syslog and at the start of each line.
 *
 * Each record is formatted for the output once, then queued: a byte area of PSD_LOG_QUEUE_BYTES
 * holding, from head to tail, each record's length (2 bytes) and text; records leave from the
 * head as the output takes them, up to PSD_LOG_WRITE_RECORDS in one write (head_written: a
 * stream took part of the head one), arrive at the tail, and the area is compacted when a record
 * does not fit after the tail. With a watcher, a record waits for the end of the loop turn
 * (PSD_LOG_WAIT_TURN), so a storm's lines go out a turn's worth at a time. Invariants:
 * records <= PSD_LOG_QUEUE_RECORDS; tail - head <= PSD_LOG_QUEUE_BYTES; nothing is written out
 * of order; a record that finds no room is dropped, never one already queued.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "log_sink.h"

#define LEN_BYTES sizeof(uint16_t) /* before each record's text */
#define SYSLOG_FACILITY_USER 8     /* LOG_USER */
#define TEXT_CUT ((int)PSD_LOG_TEXT_MAX - 1) /* a record's text, at most */

static struct {
	enum psd_log_level level;
	enum psd_log_output output;
	char ident[96]; /* "": the program name, as upstream */
	char syslog_path[108];
	struct psd_log_sink sink;
	bool sink_open;
	char bytes[PSD_LOG_QUEUE_BYTES];
	size_t head, tail;
	size_t head_written;
	uint32_t records;
	enum psd_log_wait waiting;
	uint64_t dropped;        /* since the start */
	uint64_t dropped_unsaid; /* not yet in a summary line */
	void (*changed)(void *ctx);
	void *ctx;
	enum psd_log_wait told_wait; /* what changed() was last told */
	int told_fd;
} lg = {.level = PSD_LOG_NOTICE, .output = PSD_LOG_SYSLOG, .syslog_path = PSD_LOG_SYSLOG_PATH,
	.told_fd = -1};

int psd_errorf(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

static void tell(void)
{
	int fd;
	enum psd_log_wait w = psd_log_waiting(&fd);
	if (lg.changed != NULL && (w != lg.told_wait || fd != lg.told_fd)) {
		lg.told_wait = w;
		lg.told_fd = fd;
		lg.changed(lg.ctx);
	}
}

/* The sink closed (the watcher told first: it stops watching a descriptor before it closes). */
static void close_sink(void)
{
	if (!lg.sink_open)
		return;
	lg.waiting = PSD_LOG_IDLE;
	lg.sink_open = false;
	tell();
	psd_sink_close(&lg.sink);
}

static void write_queue(bool *ret_refused);

static void drop_queue(void)
{
	lg.dropped += lg.records;
	lg.dropped_unsaid += lg.records;
	lg.head = lg.tail = lg.head_written = 0;
	lg.records = 0;
}

void psd_log_ident(const char *name)
{
	snprintf(lg.ident, sizeof(lg.ident), "%s", name);
}

void psd_log_syslog_path(const char *path)
{
	snprintf(lg.syslog_path, sizeof(lg.syslog_path), "%s", path);
	if (lg.output == PSD_LOG_SYSLOG)
		close_sink();
}

void psd_log_setup(enum psd_log_level level, enum psd_log_output output)
{
	bool refused = false;
	lg.level = level;
	if (output == lg.output)
		return;
	if (lg.records > 0)
		write_queue(&refused); /* what the old output takes now; the rest cannot wait for it */
	drop_queue();
	close_sink();
	lg.output = output;
}

/* The record as the output shows it: syslog's "<PRI>Mmm dd hh:mm:ss IDENT[PID]: " then ":- "
 * and the text, as upstream; or "IDENT  LEVEL: text\n". */
static size_t format(char *out, size_t size, enum psd_log_level level, const char *text)
{
	int n;
	if (lg.output == PSD_LOG_SYSLOG) {
		char stamp[32];
		struct tm tm;
		time_t now = time(NULL);
		strftime(stamp, sizeof(stamp), "%h %e %T", localtime_r(&now, &tm));
		n = snprintf(out, size, "<%d>%s %s[%d]: :- %.*s", SYSLOG_FACILITY_USER | (int)level,
			     stamp, lg.ident[0] != '\0' ? lg.ident : program_invocation_short_name,
			     (int)getpid(), TEXT_CUT, text);
	} else {
		n = snprintf(out, size, "%s%s%6s: %.*s\n", lg.ident, lg.ident[0] != '\0' ? " " : "",
			     psd_log_level_name(level), TEXT_CUT, text);
	}
	if (n < 0)
		return 0;
	if ((size_t)n >= size) { /* cut: a line still ends with its newline */
		n = (int)size - 1;
		if (lg.output != PSD_LOG_SYSLOG)
			out[n - 1] = '\n';
	}
	return (size_t)n;
}

static void enqueue(const char *text, size_t len)
{
	if (lg.records == PSD_LOG_QUEUE_RECORDS ||
	    lg.tail - lg.head + LEN_BYTES + len > PSD_LOG_QUEUE_BYTES) {
		lg.dropped++;
		lg.dropped_unsaid++;
		return;
	}
	if (lg.tail + LEN_BYTES + len > PSD_LOG_QUEUE_BYTES) { /* compact: the head moves to 0 */
		memmove(lg.bytes, lg.bytes + lg.head, lg.tail - lg.head);
		lg.tail -= lg.head;
		lg.head = 0;
	}
	uint16_t n = (uint16_t)len;
	memcpy(lg.bytes + lg.tail, &n, LEN_BYTES);
	memcpy(lg.bytes + lg.tail + LEN_BYTES, text, len);
	lg.tail += LEN_BYTES + len;
	lg.records++;
}

static void pop(void)
{
	uint16_t len;
	memcpy(&len, lg.bytes + lg.head, LEN_BYTES);
	lg.head += LEN_BYTES + len;
	lg.head_written = 0;
	if (--lg.records == 0)
		lg.head = lg.tail = 0;
}

/* The records from the head, as many as one write carries (the head's from what is unwritten):
 * PSD_LOG_WRITE_RECORDS whole records of PIPE_BUF bytes at most together, so that a pipe takes
 * them in one piece no other writer's bytes can split, as it does one record. */
static unsigned gather(struct iovec *iov)
{
	size_t at = lg.head, bytes = 0;
	unsigned n = 0;
	for (; n < lg.records && n < PSD_LOG_WRITE_RECORDS; n++) {
		uint16_t len;
		memcpy(&len, lg.bytes + at, LEN_BYTES);
		size_t skip = n == 0 ? lg.head_written : 0;
		if (n > 0 && bytes + len > PIPE_BUF)
			break;
		iov[n] = (struct iovec){lg.bytes + at + LEN_BYTES + skip, len - skip};
		bytes += len - skip;
		at += LEN_BYTES + len;
	}
	return n;
}

/* n bytes from the head were written: the whole records popped, the rest of a part noted. */
static void written(size_t n)
{
	while (n > 0 && lg.records > 0) {
		uint16_t len;
		memcpy(&len, lg.bytes + lg.head, LEN_BYTES);
		size_t rest = len - lg.head_written;
		if (n < rest) {
			lg.head_written += n;
			return;
		}
		n -= rest;
		pop();
	}
}

/* Writes from the head until the queue is empty or the output takes no more. syslog gone away
 * is connected again once per call; refused, it waits PSD_LOG_RETRY_NS. */
static void write_queue(bool *ret_refused)
{
	struct iovec iov[PSD_LOG_WRITE_RECORDS];
	bool reconnected = false;
	lg.waiting = PSD_LOG_IDLE;
	while (lg.records > 0) {
		if (!lg.sink_open) {
			psd_sink_open(&lg.sink, lg.output, lg.syslog_path);
			lg.sink_open = true;
		}
		ssize_t n = psd_sink_write(&lg.sink, iov, gather(iov));
		if (n == -ECONNRESET && !reconnected) {
			reconnected = true;
			close_sink(); /* its watcher told first */
			continue;
		}
		if (n == -EAGAIN || n == -ENOTCONN || n == -ECONNRESET) {
			lg.waiting = n == -EAGAIN ? PSD_LOG_WAIT_WRITABLE : PSD_LOG_WAIT_RETRY;
			return;
		}
		if (n < 0) { /* the head record cannot be written: counted, and the next one tried */
			*ret_refused = true;
			lg.dropped++;
			lg.dropped_unsaid++;
			pop();
			continue;
		}
		written((size_t)n);
	}
}

/* Records that found the queue full, or that the output refused: said once it has drained. */
static void summarise_drops(void)
{
	char line[PSD_LOG_TEXT_MAX + 200], text[200];
	snprintf(text, sizeof(text), "log output %s did not keep up: %llu log records dropped "
		 "(queue of %u records, %u bytes)", psd_log_output_name(lg.output),
		 (unsigned long long)lg.dropped_unsaid, PSD_LOG_QUEUE_RECORDS, PSD_LOG_QUEUE_BYTES);
	lg.dropped_unsaid = 0;
	enqueue(line, format(line, sizeof(line), PSD_LOG_WARN, text));
}

void psd_log_flush(void)
{
	bool refused = false;
	write_queue(&refused);
	if (lg.records == 0 && lg.dropped_unsaid > 0 && !refused) {
		summarise_drops();
		write_queue(&refused);
	}
	tell();
}

void psd_log(enum psd_log_level level, const char *fmt, ...)
{
	char text[PSD_LOG_TEXT_MAX];
	va_list ap;

	if (level > lg.level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	psd_log_text(level, text);
}

void psd_log_text(enum psd_log_level level, const char *text)
{
	char line[PSD_LOG_TEXT_MAX + 200];

	if (level > lg.level)
		return;
	enqueue(line, format(line, sizeof(line), level, text));
	/* without a watcher, written now; with one, at the end of the loop turn (PSD_LOG_WAIT_TURN:
	 * the turn's records in one write), or when the output is ready again; a full write's worth
	 * at once (a long turn never fills the queue); an error at once, with what queued before
	 * it, so that it is out should the daemon end before the turn does */
	if (lg.changed == NULL || (lg.waiting == PSD_LOG_IDLE &&
				   (level <= PSD_LOG_ERROR || lg.records >= PSD_LOG_WRITE_RECORDS)))
		psd_log_flush();
	else
		tell();
}

int psd_checked(int r, const char *what)
{
	if (r < 0)
		psd_log(PSD_LOG_ERROR, "%s failed: %s", what, strerror(-r));
	return r;
}

enum psd_log_wait psd_log_waiting(int *ret_fd)
{
	*ret_fd = lg.sink_open ? lg.sink.fd : -1;
	if (lg.records == 0 || (lg.waiting == PSD_LOG_WAIT_WRITABLE && *ret_fd < 0))
		return PSD_LOG_IDLE;
	return lg.waiting == PSD_LOG_IDLE ? PSD_LOG_WAIT_TURN : lg.waiting;
}

void psd_log_watch(void (*changed)(void *ctx), void *ctx)
{
	lg.changed = changed;
	lg.ctx = ctx;
	lg.told_wait = PSD_LOG_IDLE;
	lg.told_fd = -1;
	if (changed != NULL)
		changed(ctx);
}

uint64_t psd_log_dropped(void)
{
	return lg.dropped;
}

void psd_log_drain(int timeout_ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		psd_log_flush();
		int fd;
		enum psd_log_wait w = psd_log_waiting(&fd);
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
					  (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (w == PSD_LOG_IDLE || left <= 0)
			break;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		poll(&p, w == PSD_LOG_WAIT_WRITABLE ? 1 : 0, (int)left);
	}
	drop_queue();
}
