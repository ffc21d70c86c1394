/*
 * The daemon's event loop (lib/loop.c) and systemd's notifications (lib/notify.c): a turn
 * dispatches what is ready by priority, then its end-of-turn callbacks; timers fire in deadline
 * order and never early, a timer moved later too; a source removed or changed during a turn is
 * not dispatched for what was ready before; signals come through the signalfd; exit stops the
 * dispatch at once. The notification socket's address (path or abstract), WATCHDOG_USEC and
 * WATCHDOG_PID, the STATUS= line with a namespace, and datagrams as a listener receives them.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

#include "loop.h"
#include "notify.h"

#define HANG_GUARD_S 20

struct seen {
	struct psd_loop *loop;
	char order[32]; /* one letter per callback, in the order they ran */
	size_t n;
	uint64_t at_ns[8];
	struct psd_loop_source *remove; /* removed by the callback that runs first */
	int exit_after;                 /* callbacks before psd_loop_exit(); 0: never */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct seen seen;

static void note(char c)
{
	if (seen.n < 8)
		seen.at_ns[seen.n] = mono_ns();
	seen.order[seen.n++] = c;
	if (seen.remove != NULL) {
		psd_loop_remove(seen.remove);
		seen.remove = NULL;
	}
	if (seen.exit_after != 0 && (int)seen.n == seen.exit_after)
		psd_loop_exit(seen.loop, 7);
}

static void cb_a(void *ctx, uint32_t revents) { note('a'); }
static void cb_b(void *ctx, uint32_t revents) { note('b'); }
static void cb_c(void *ctx, uint32_t revents) { note('c'); }
static void cb_d(void *ctx, uint32_t revents) { note('d'); }

static struct psd_loop *fresh(int exit_after)
{
	memset(&seen, 0, sizeof(seen));
	seen.loop = psd_loop_new();
	assert_non_null(seen.loop);
	seen.exit_after = exit_after;
	return seen.loop;
}

/* Timers fire in deadline order, none before its deadline, each once (one-shot). */
static void timers_in_order(void **state)
{
	struct psd_loop *l = fresh(3);
	struct psd_loop_source t[3];
	uint64_t now = mono_ns();
	psd_loop_timer(l, &t[0], PSD_LOOP_PRIORITY_NORMAL, cb_a, NULL);
	psd_loop_timer(l, &t[1], PSD_LOOP_PRIORITY_NORMAL, cb_b, NULL);
	psd_loop_timer(l, &t[2], PSD_LOOP_PRIORITY_NORMAL, cb_c, NULL);
	psd_loop_timer_at(&t[0], now + 30000000);
	psd_loop_timer_at(&t[1], now + 10000000);
	psd_loop_timer_at(&t[2], now + 20000000);
	assert_int_equal(psd_loop_run(l), 7);
	assert_string_equal(seen.order, "bca");
	assert_true(seen.at_ns[0] >= now + 10000000);
	assert_true(seen.at_ns[1] >= now + 20000000);
	assert_true(seen.at_ns[2] >= now + 30000000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(t[i].deadline_ns, UINT64_MAX);
	psd_loop_free(l);
}

static struct psd_loop_source *moved;
static uint64_t moved_to_ns;

static void move_timer(void *ctx, uint32_t revents)
{
	psd_loop_timer_at(moved, moved_to_ns);
}

/* A timer moved later while the timerfd is armed for its old deadline, close by: the timerfd
 * goes off then to no timer, and the timer fires at its new deadline, once. */
static void timer_moved_later(void **state)
{
	struct psd_loop *l = fresh(1);
	struct psd_loop_source t, d;
	uint64_t now = mono_ns();
	psd_loop_timer(l, &t, PSD_LOOP_PRIORITY_NORMAL, cb_a, NULL);
	psd_loop_defer(l, &d, move_timer, NULL);
	psd_loop_timer_at(&t, now + 1000000);
	moved = &t;
	moved_to_ns = now + 5000000;
	psd_loop_defer_set(&d, PSD_DEFER_ONCE); /* at the end of the first turn */
	assert_int_equal(psd_loop_run(l), 7);
	assert_string_equal(seen.order, "a");
	assert_true(seen.at_ns[0] >= now + 5000000);
	assert_int_equal(t.deadline_ns, UINT64_MAX);
	psd_loop_free(l);
}

/* Ready together: by priority, then the end-of-turn callback, once. */
static void priorities_then_end_of_turn(void **state)
{
	struct psd_loop *l = fresh(3);
	struct psd_loop_source io[2], d;
	int p[2][2];
	assert_int_equal(pipe(p[0]), 0);
	assert_int_equal(pipe(p[1]), 0);
	assert_int_equal(write(p[0][1], "x", 1), 1);
	assert_int_equal(write(p[1][1], "x", 1), 1);
	psd_loop_io(l, &io[0], p[0][0], PSD_LOOP_PRIORITY_LAST, cb_a, NULL);
	psd_loop_io(l, &io[1], p[1][0], PSD_LOOP_PRIORITY_FIRST, cb_b, NULL);
	psd_loop_defer(l, &d, cb_d, NULL);
	assert_int_equal(psd_loop_io_events(&io[0], EPOLLIN), 0);
	assert_int_equal(psd_loop_io_events(&io[1], EPOLLIN), 0);
	psd_loop_defer_set(&d, PSD_DEFER_ONCE);
	assert_int_equal(psd_loop_run(l), 7);
	assert_string_equal(seen.order, "bad");
	assert_int_equal(d.defer, PSD_DEFER_OFF);
	for (int i = 0; i < 2; i++) {
		psd_loop_remove(&io[i]);
		close(p[i][0]);
		close(p[i][1]);
	}
	psd_loop_free(l);
}

/* A source removed by a callback of the same turn is not dispatched; one whose events are
 * turned off is not either; exit stops the rest of the turn. */
static void removed_during_a_turn(void **state)
{
	struct psd_loop *l = fresh(2);
	struct psd_loop_source io[3], d;
	int p[3][2];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pipe(p[i]), 0);
		assert_int_equal(write(p[i][1], "x", 1), 1);
	}
	psd_loop_io(l, &io[0], p[0][0], PSD_LOOP_PRIORITY_FIRST, cb_a, NULL);
	psd_loop_io(l, &io[1], p[1][0], PSD_LOOP_PRIORITY_NORMAL, cb_b, NULL);
	psd_loop_io(l, &io[2], p[2][0], PSD_LOOP_PRIORITY_LAST, cb_c, NULL);
	psd_loop_defer(l, &d, cb_d, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(psd_loop_io_events(&io[i], EPOLLIN), 0);
	psd_loop_defer_set(&d, PSD_DEFER_EACH_TURN);
	seen.remove = &io[1];
	/* the first turn: a removes b, c runs and exits: d never runs */
	assert_int_equal(psd_loop_run(l), 7);
	assert_string_equal(seen.order, "ac");
	assert_null(io[1].loop);
	for (int i = 0; i < 3; i++) {
		psd_loop_remove(&io[i]);
		close(p[i][0]);
		close(p[i][1]);
	}
	psd_loop_free(l);
}

static void on_usr1(void *ctx, const struct signalfd_siginfo *si)
{
	assert_int_equal(si->ssi_signo, SIGUSR1);
	assert_int_equal(si->ssi_pid, (uint32_t)getpid());
	psd_loop_exit(ctx, 3);
}

/* A blocked signal comes through the loop. */
static void signal_through_the_loop(void **state)
{
	struct psd_loop *l = fresh(0);
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	assert_int_equal(psd_loop_signal(l, SIGUSR1, on_usr1, l), 0);
	kill(getpid(), SIGUSR1);
	assert_int_equal(psd_loop_run(l), 3);
	sigprocmask(SIG_SETMASK, &old, NULL);
	psd_loop_free(l);
}

static void notify_address(void **state)
{
	struct sockaddr_un sa;
	socklen_t len;
	char long_path[sizeof(sa.sun_path) + 1];

	assert_int_equal(psd_notify_address("/run/systemd/notify", &sa, &len), 0);
	assert_string_equal(sa.sun_path, "/run/systemd/notify");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + sizeof("/run/systemd/notify"));
	assert_int_equal(psd_notify_address("@psd/notify", &sa, &len), 0);
	assert_int_equal(sa.sun_path[0], '\0');
	assert_memory_equal(sa.sun_path + 1, "psd/notify", 10);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 11);
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(psd_notify_address(long_path, &sa, &len), -1);
	assert_int_equal(psd_notify_address(NULL, &sa, &len), -1);
	assert_int_equal(psd_notify_address("", &sa, &len), -1);
	assert_int_equal(psd_notify_address("@", &sa, &len), -1);
	assert_int_equal(psd_notify_address("run/notify", &sa, &len), -1);
}

static void watchdog_from_the_environment(void **state)
{
	assert_int_equal(psd_notify_watchdog_ns("400000", NULL, 42), 400000000ull);
	assert_int_equal(psd_notify_watchdog_ns("400000", "42", 42), 400000000ull);
	assert_int_equal(psd_notify_watchdog_ns("400000", "43", 42), 0);
	assert_int_equal(psd_notify_watchdog_ns("400000", "x", 42), 0);
	assert_int_equal(psd_notify_watchdog_ns(NULL, NULL, 42), 0);
	assert_int_equal(psd_notify_watchdog_ns("0", NULL, 42), 0);
	assert_int_equal(psd_notify_watchdog_ns("-5", NULL, 42), 0);
	assert_int_equal(psd_notify_watchdog_ns("12s", NULL, 42), 0);
	assert_int_equal(psd_notify_watchdog_ns("99999999999999999999", NULL, 42), 0);
	assert_int_equal(psd_notify_watchdog_ns("18446744073709552", NULL, 42), 0);
}

static void status_names_the_namespace(void **state)
{
	char buf[64];
	assert_int_equal(psd_notify_format(buf, sizeof(buf), "", "STATUS=running"), 14);
	assert_string_equal(buf, "STATUS=running");
	psd_notify_format(buf, sizeof(buf), "asic0", "STATUS=health: ok");
	assert_string_equal(buf, "STATUS=asic0: health: ok");
	psd_notify_format(buf, sizeof(buf), "asic0", "WATCHDOG=1");
	assert_string_equal(buf, "WATCHDOG=1");
	assert_int_equal(psd_notify_format(buf, 8, "", "STATUS=running"), 7);
	assert_string_equal(buf, "STATUS=");
}

/* A datagram per notification, to a path and to an abstract name; none without the variable. */
static void datagrams_reach_the_listener(void **state)
{
	char name[64], buf[64];
	struct sockaddr_un sa;
	socklen_t len;
	for (int abstract = 0; abstract < 2; abstract++) {
		snprintf(name, sizeof(name), "%s/tmp/psd-notify-%d", abstract ? "@" : "",
			 (int)getpid());
		assert_int_equal(psd_notify_address(name, &sa, &len), 0);
		unlink(name);
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
		setenv("NOTIFY_SOCKET", name, 1);
		assert_int_equal(psd_notify("READY=1"), 0);
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		assert_int_equal(n, 7);
		assert_memory_equal(buf, "READY=1", 7);
		unsetenv("NOTIFY_SOCKET");
		assert_int_equal(psd_notify("WATCHDOG=1"), 0);
		assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
		close(fd);
		if (!abstract)
			unlink(name);
	}
	setenv("NOTIFY_SOCKET", "relative", 1);
	assert_int_equal(psd_notify("READY=1"), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static int guard(void **state)
{
	alarm(HANG_GUARD_S);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(timers_in_order, guard),
		cmocka_unit_test_setup(timer_moved_later, guard),
		cmocka_unit_test_setup(priorities_then_end_of_turn, guard),
		cmocka_unit_test_setup(removed_during_a_turn, guard),
		cmocka_unit_test_setup(signal_through_the_loop, guard),
		cmocka_unit_test(notify_address),
		cmocka_unit_test(watchdog_from_the_environment),
		cmocka_unit_test(status_names_the_namespace),
		cmocka_unit_test(datagrams_reach_the_listener),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
