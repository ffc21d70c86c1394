/*
 * The log output (lib/log.c, lib/log_sink.c) on each kind of descriptor stderr can be, and on
 * syslog: a pipe and a terminal nobody reads, and a stream socket, never block a record's call;
 * the records that find the queue full are dropped and counted, the ones queued come out whole
 * and in order once the reader reads, then one line says how many were dropped. The pipe's
 * shared description keeps its flags (the output is its own description). A regular file and
 * /dev/null take everything; a closed stderr drops and counts. syslog gets glibc's format (ident
 * and pid), is queued while its socket is full, and is connected again when syslogd restarts,
 * at once or, when it is not there yet, after PSD_LOG_RETRY_NS. With a watcher, records wait for
 * the flush at the end of the loop turn and go out together (a write's worth, or an ERROR, at
 * once, with those before it).
 *
 * stderr is swapped for the descriptor under test while records are logged, and put back
 * before anything is asserted (cmocka reports on it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "unit.h"

#include "log.h"

#define HANG_GUARD_S 60 /* a record's call that blocked would stop the test here */
#define RECORDS 5000

static int saved_stderr = -1;
static int changes;

static void count_changes(void *ctx)
{
	changes++;
}

/* Records go to fd from now on (a sink opened anew). */
static void stderr_to(int fd)
{
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	psd_log_setup(PSD_LOG_INFO, PSD_LOG_STDOUT);
	psd_log_setup(PSD_LOG_INFO, PSD_LOG_STDERR);
}

static void stderr_back(void)
{
	psd_log_setup(PSD_LOG_INFO, PSD_LOG_STDOUT); /* the test's sink closed */
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
}

/* Reads what rd has into buf (appending at *len), without waiting. */
static void read_all(int rd, char *buf, size_t size, size_t *len)
{
	ssize_t n;
	while (*len + 1 < size && (n = read(rd, buf + *len, size - 1 - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
}

/* Logs RECORDS numbered records into a descriptor nobody reads, then reads it all while the
 * output is flushed; checks the numbered lines are whole and in increasing order, that with the
 * dropped ones they make RECORDS, then the summary of the dropped. (A terminal may find room
 * while nobody reads, as the kernel moves its buffer on: records after a drop may be written.) */
static void stopped_reader(int wr, int rd, const char *kind)
{
	static char got[4 << 20];
	size_t len = 0;
	uint64_t dropped0 = psd_log_dropped();
	int fd;

	stderr_to(wr);
	for (int i = 0; i < RECORDS; i++)
		psd_log(PSD_LOG_NOTICE, "record %d of the storm, long enough to fill a pipe soon %080d",
			i, 0);
	enum psd_log_wait waiting = psd_log_waiting(&fd);
	uint64_t dropped = psd_log_dropped() - dropped0;
	fcntl(rd, F_SETFL, O_NONBLOCK);
	for (int rounds = 0; rounds < 100000 && psd_log_waiting(&fd) != PSD_LOG_IDLE; rounds++) {
		read_all(rd, got, sizeof(got), &len);
		psd_log_flush();
	}
	read_all(rd, got, sizeof(got), &len);
	enum psd_log_wait after = psd_log_waiting(&fd);
	stderr_back();

	if (waiting != PSD_LOG_WAIT_WRITABLE)
		fail_msg("%s: the full output is not waited for (%d)", kind, waiting);
	if (dropped == 0)
		fail_msg("%s: nothing dropped", kind);
	assert_int_equal(after, PSD_LOG_IDLE);
	int k = 0, last = -1, number;
	char want[128];
	const char *line = got;
	for (; sscanf(line, "NOTICE: record %d of the storm", &number) == 1; k++) {
		if (number <= last)
			fail_msg("%s: record %d after record %d", kind, number, last);
		last = number;
		line = strchr(line, '\n');
		assert_non_null(line);
		line++;
	}
	if ((uint64_t)k + dropped != RECORDS)
		fail_msg("%s: %d records written, %llu dropped, of %d; then '%.300s'", kind, k,
			 (unsigned long long)dropped, RECORDS, line);
	snprintf(want, sizeof(want), "  WARN: log output STDERR did not keep up: %llu log records "
		 "dropped", (unsigned long long)dropped);
	if (strncmp(line, want, strlen(want)) != 0)
		fail_msg("%s: after record %d: '%.200s'", kind, last, line);
}

static void pipe_nobody_reads(void **state)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	int shared_flags = fcntl(p[1], F_GETFL);
	stopped_reader(p[1], p[0], "pipe");
	/* the description shared with whoever else writes the pipe was left as it was */
	assert_int_equal(fcntl(p[1], F_GETFL), shared_flags);
	assert_int_equal(shared_flags & O_NONBLOCK, 0);
	close(p[0]);
	close(p[1]);
}

static void stream_socket_nobody_reads(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	stopped_reader(sv[1], sv[0], "socket");
	assert_int_equal(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0);
	close(sv[0]);
	close(sv[1]);
}

static void terminal_nobody_reads(void **state)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	struct termios t;
	tcgetattr(slave, &t);
	t.c_oflag &= ~(tcflag_t)OPOST; /* lines as written, no \r added */
	tcsetattr(slave, TCSANOW, &t);
	stopped_reader(slave, master, "terminal");
	close(slave);
	close(master);
}

static void regular_file_and_dev_null(void **state)
{
	char path[] = "/tmp/psd-log.XXXXXX";
	int fd = mkstemp(path);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	uint64_t dropped0 = psd_log_dropped();
	int wfd;
	assert_true(fd >= 0 && null >= 0);
	stderr_to(fd);
	for (int i = 0; i < RECORDS; i++)
		psd_log(PSD_LOG_INFO, "file record %d", i);
	enum psd_log_wait w_file = psd_log_waiting(&wfd);
	stderr_back();
	stderr_to(null);
	for (int i = 0; i < RECORDS; i++)
		psd_log(PSD_LOG_INFO, "null record %d", i);
	enum psd_log_wait w_null = psd_log_waiting(&wfd);
	stderr_back();
	assert_int_equal(w_file, PSD_LOG_IDLE);
	assert_int_equal(w_null, PSD_LOG_IDLE);
	assert_int_equal(psd_log_dropped(), dropped0);
	FILE *in = fopen(path, "r");
	char line[128];
	int n = 0;
	while (fgets(line, sizeof(line), in) != NULL)
		n += strstr(line, "file record") != NULL;
	fclose(in);
	assert_int_equal(n, RECORDS);
	unlink(path);
	close(fd);
	close(null);
}

static void closed_stderr_drops(void **state)
{
	uint64_t dropped0 = psd_log_dropped();
	int fd;
	saved_stderr = dup(STDERR_FILENO);
	close(STDERR_FILENO);
	psd_log_setup(PSD_LOG_INFO, PSD_LOG_STDOUT);
	psd_log_setup(PSD_LOG_INFO, PSD_LOG_STDERR);
	for (int i = 0; i < 10; i++)
		psd_log(PSD_LOG_INFO, "into nothing %d", i);
	enum psd_log_wait w = psd_log_waiting(&fd);
	stderr_back();
	assert_int_equal(w, PSD_LOG_IDLE);
	assert_int_equal(psd_log_dropped() - dropped0, 10);
}

/* A syslog server: a datagram socket bound at path. */
static int syslogd(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

static ssize_t datagram(int s, char *buf, size_t size)
{
	ssize_t n = recv(s, buf, size - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Reads the server's datagrams: "datagram N" ones must come as next, next + 1 ...; buf keeps the
 * last one. */
static void numbered_datagrams(int s, char *buf, size_t size, int *next)
{
	char got[2048];
	while (datagram(s, got, sizeof(got)) > 0) {
		snprintf(buf, size, "%s", got);
		const char *d = strstr(buf, ":- datagram ");
		if (d != NULL) {
			assert_int_equal(atoi(d + 12), *next);
			(*next)++;
		}
	}
}

static void syslog_format_queue_and_restart(void **state)
{
	char path[64], buf[2048], want[128];
	int fd;
	snprintf(path, sizeof(path), "/tmp/psd-syslog.%d", (int)getpid());
	int s = syslogd(path);
	psd_log_syslog_path(path);
	psd_log_ident("portsyncd@t");
	psd_log_setup(PSD_LOG_INFO, PSD_LOG_SYSLOG);
	psd_log(PSD_LOG_NOTICE, "hello %d", 7);
	assert_true(datagram(s, buf, sizeof(buf)) > 0);
	/* <PRI>Mmm dd hh:mm:ss IDENT[PID]: :- text, PRI = LOG_USER (8) | NOTICE (5) */
	snprintf(want, sizeof(want), " portsyncd@t[%d]: :- hello 7", (int)getpid());
	assert_memory_equal(buf, "<13>", 4);
	assert_int_equal(strlen(buf), 4 + 15 + strlen(want));
	assert_string_equal(buf + 4 + 15, want);
	assert_true(buf[7] == ' ' && buf[10] == ' ' && buf[13] == ':' && buf[16] == ':');

	/* the server does not read: its queue fills, records wait, then are dropped */
	uint64_t dropped0 = psd_log_dropped();
	for (int i = 0; i < RECORDS; i++)
		psd_log(PSD_LOG_INFO, "datagram %d", i);
	assert_int_equal(psd_log_waiting(&fd), PSD_LOG_WAIT_WRITABLE);
	uint64_t dropped = psd_log_dropped() - dropped0;
	assert_true(dropped > 0);
	int next = 0;
	for (int rounds = 0; rounds < 100000 && psd_log_waiting(&fd) != PSD_LOG_IDLE; rounds++) {
		numbered_datagrams(s, buf, sizeof(buf), &next);
		psd_log_flush();
	}
	numbered_datagrams(s, buf, sizeof(buf), &next);
	assert_int_equal((uint64_t)next + dropped, RECORDS);
	snprintf(want, sizeof(want), ":- log output SYSLOG did not keep up: %llu log records dropped",
		 (unsigned long long)dropped);
	assert_non_null(strstr(buf, want));
	assert_memory_equal(buf, "<12>", 4); /* WARN */

	/* syslogd restarts: the next record finds the peer gone and connects again at once */
	close(s);
	s = syslogd(path);
	psd_log(PSD_LOG_NOTICE, "after a restart");
	assert_true(datagram(s, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ":- after a restart"));

	/* syslogd gone and not back yet: records wait, a retry after PSD_LOG_RETRY_NS finds it */
	close(s);
	unlink(path);
	changes = 0;
	psd_log_watch(count_changes, NULL);
	psd_log(PSD_LOG_NOTICE, "while away");
	assert_int_equal(psd_log_waiting(&fd), PSD_LOG_WAIT_TURN); /* a watcher flushes at its end */
	psd_log_flush();
	assert_int_equal(psd_log_waiting(&fd), PSD_LOG_WAIT_RETRY);
	assert_true(changes >= 2); /* once at the watch, once for the retry */
	s = syslogd(path);
	psd_log_flush(); /* too early: still waiting */
	assert_int_equal(psd_log_waiting(&fd), PSD_LOG_WAIT_RETRY);
	usleep(PSD_LOG_RETRY_NS / 1000 + 100000);
	psd_log_flush();
	assert_int_equal(psd_log_waiting(&fd), PSD_LOG_IDLE);
	assert_true(datagram(s, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ":- while away"));
	psd_log_watch(NULL, NULL);

	/* a new output: what the old one did not take is dropped, counted */
	close(s);
	s = syslogd(path);
	for (int i = 0; i < RECORDS; i++)
		psd_log(PSD_LOG_INFO, "more %d", i);
	uint64_t before_switch = psd_log_dropped();
	assert_int_equal(psd_log_waiting(&fd), PSD_LOG_WAIT_WRITABLE);
	psd_log_setup(PSD_LOG_INFO, PSD_LOG_STDOUT);
	assert_true(psd_log_dropped() > before_switch);
	assert_int_equal(psd_log_waiting(&fd), PSD_LOG_IDLE);
	close(s);
	unlink(path);
}

/* With a watcher: records wait for psd_log_flush (the end of the loop turn), then come out
 * whole and in order; a write's worth (PSD_LOG_WRITE_RECORDS) goes at once, and so does an
 * ERROR, with what queued before it. */
static void watched_records_wait_for_the_turn(void **state)
{
	enum { FEW = PSD_LOG_WRITE_RECORDS - 1, ALL = FEW + PSD_LOG_WRITE_RECORDS };
	static char got[1 << 16];
	size_t len = 0;
	int fds[2], fd;
	assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	psd_log_ident(""); /* lines without a name before them */
	stderr_to(fds[1]);
	psd_log_flush(); /* what earlier tests left (the summary of their drops) goes first */
	read_all(fds[0], got, sizeof(got), &len);
	len = 0;
	changes = 0;
	psd_log_watch(count_changes, NULL);
	for (int i = 0; i < FEW; i++)
		psd_log(PSD_LOG_NOTICE, "turn record %d", i);
	enum psd_log_wait queued = psd_log_waiting(&fd);
	read_all(fds[0], got, sizeof(got), &len);
	size_t before_flush = len;
	psd_log_flush();
	enum psd_log_wait flushed = psd_log_waiting(&fd);
	for (int i = FEW; i < ALL; i++)
		psd_log(PSD_LOG_NOTICE, "turn record %d", i);
	enum psd_log_wait full = psd_log_waiting(&fd);
	read_all(fds[0], got, sizeof(got), &len);
	size_t turn_len = len;
	psd_log(PSD_LOG_NOTICE, "waits");
	psd_log(PSD_LOG_ERROR, "at once");
	read_all(fds[0], got, sizeof(got), &len);
	enum psd_log_wait after_error = psd_log_waiting(&fd);
	psd_log_watch(NULL, NULL);
	stderr_back();
	close(fds[0]);
	close(fds[1]);

	assert_int_equal(queued, PSD_LOG_WAIT_TURN);
	assert_int_equal(before_flush, 0);
	assert_int_equal(flushed, PSD_LOG_IDLE);
	assert_int_equal(full, PSD_LOG_IDLE); /* a write's worth went without waiting */
	assert_true(changes >= 2); /* records wait for the turn, then none */
	const char *line = got;
	for (int i = 0; i < ALL; i++) {
		char want[64];
		snprintf(want, sizeof(want), "NOTICE: turn record %d\n", i);
		assert_memory_equal(line, want, strlen(want));
		line += strlen(want);
	}
	assert_int_equal((size_t)(line - got), turn_len);
	assert_string_equal(line, "NOTICE: waits\n ERROR: at once\n");
	assert_int_equal(after_error, PSD_LOG_IDLE);
}

static int guard(void **state)
{
	alarm(HANG_GUARD_S);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(pipe_nobody_reads, guard),
		cmocka_unit_test_setup(stream_socket_nobody_reads, guard),
		cmocka_unit_test_setup(terminal_nobody_reads, guard),
		cmocka_unit_test_setup(regular_file_and_dev_null, guard),
		cmocka_unit_test_setup(closed_stderr_drops, guard),
		cmocka_unit_test_setup(syslog_format_queue_and_restart, guard),
		cmocka_unit_test_setup(watched_records_wait_for_the_turn, guard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
