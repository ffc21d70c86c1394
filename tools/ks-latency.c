/*
 * ks-latency: link change -> STATE_DB latency, measured through Redis keyspace notifications
 * (PSUBSCRIBE __keyspace@6__:PORT_TABLE|*), with CLOCK_MONOTONIC taken as each read of the
 * subscription returns. A benchmark tool, not the daemon.
 *
 *   ks-latency idle SOCK NS CHANGES PORTS PAUSE_MS
 *     CHANGES changes on idle ports: peer p<k> up, then down, k = 0, 1, ... (mod PORTS), each by
 *     one `ip -n NS link set` (fork, exec, wait), PAUSE_MS apart. Per change: t0 before the
 *     fork, the floor = the `ip` command's exit (seen through a pidfd), t1 = the arrival of the
 *     keyspace notification of PORT_TABLE|Ethernet<k> whose write holds the expected
 *     netdev_oper_status (checked by HGET after t1 is taken). A netlink listener in NS times
 *     the kernel's message for Ethernet<k> with the new carrier (t_k), so that t1 - t_k is
 *     the daemon's own part and t_k - t0 the kernel's (rtnl_lock is shared by all namespaces).
 *   ks-latency storm SOCK NS BATCH PORTS
 *     runs `ip -n NS -batch BATCH`, whose final state is every even peer up and every odd peer
 *     down (a pattern no earlier point of the storm shows), and waits until STATE_DB shows it
 *     (one Lua check in flight at a time, sent while the subscription is quiet). t1 = the last
 *     notification of any port received by then (a rewrite after a port's final state would
 *     only make it later). A netlink listener in NS times the kernel's last message of an
 *     Ethernet port before convergence, so that the daemon's part is told from the kernel's.
 *   ks-latency converge SOCK PORTS [--load FILE] [--consume]
 *     waits for Redis to answer PING (t0), then sends FILE's commands (one a line, words split
 *     on spaces) in one pipeline, then polls every 2 ms (consuming APPL_DB as orchagent would,
 *     with --consume) until every port's netdev_oper_status is up in STATE_DB (t1), 60 s at most.
 *
 * Times are printed in microseconds, one `key=value` line per figure set. The tool runs at a
 * real-time priority when it may (rt=1), so that its own wake-ups do not delay its timestamps.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <hiredis.h>

#define KEY_PREFIX "__keyspace@6__:PORT_TABLE|Ethernet"
#define LOWER_UP 0x10000 /* IFF_LOWER_UP of linux/if.h, which clashes with net/if.h */

static const char count_up_lua[] =
	"local n = 0 for i = 0, tonumber(ARGV[1]) - 1 do "
	"if redis.call('HGET', 'PORT_TABLE|Ethernet' .. i, 'netdev_oper_status') == 'up' then "
	"n = n + 1 end end return n";
static const char final_pattern_lua[] =
	"local n = 0 for i = 0, tonumber(ARGV[1]) - 1 do "
	"local v = redis.call('HGET', 'PORT_TABLE|Ethernet' .. i, 'netdev_oper_status') "
	"if v == (i % 2 == 0 and 'up' or 'down') then n = n + 1 end end return n";
static const char consume_lua[] =
	"local ks = redis.call('SPOP', KEYS[1], ARGV[1]) for _, k in ipairs(ks) do "
	"local fv = redis.call('HGETALL', '_PORT_TABLE:' .. k) for i = 1, #fv, 2 do "
	"redis.call('HSET', 'PORT_TABLE:' .. k, fv[i], fv[i+1]) end "
	"redis.call('DEL', '_PORT_TABLE:' .. k) end return #ks";

static bool rt; /* running at a real-time priority */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "ks-latency: %s\n", what);
	exit(1);
}

static redisContext *connect_unix(const char *sock)
{
	redisContext *c = redisConnectUnix(sock);
	if (c == NULL || c->err)
		die(c ? c->errstr : "out of memory");
	return c;
}

static redisReply *command(redisContext *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (r == NULL)
		die(c->errstr);
	if (r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "ks-latency: %s\n", r->str);
		exit(1);
	}
	return r;
}

static long long command_int(redisContext *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (r == NULL)
		die(c->errstr);
	if (r->type != REDIS_REPLY_INTEGER)
		die(r->type == REDIS_REPLY_ERROR ? r->str : "integer reply expected");
	long long v = r->integer;
	freeReplyObject(r);
	return v;
}

/* The subscription: keyspace notifications of STATE_DB's PORT_TABLE. */
static redisContext *subscribe(const char *sock, redisContext *cmd)
{
	freeReplyObject(command(cmd, "CONFIG SET notify-keyspace-events Kh"));
	redisContext *sub = connect_unix(sock);
	freeReplyObject(command(sub, "PSUBSCRIBE %s", "__keyspace@6__:PORT_TABLE|*"));
	return sub;
}

/* Next notification already read: the port number, or -1 for none (-2: another key). */
static int next_notification(redisContext *sub)
{
	void *v = NULL;
	if (redisGetReplyFromReader(sub, &v) != REDIS_OK)
		die(sub->errstr);
	if (v == NULL)
		return -1;
	redisReply *r = v;
	int port = -2;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
	    strncmp(r->element[2]->str, KEY_PREFIX, strlen(KEY_PREFIX)) == 0)
		port = atoi(r->element[2]->str + strlen(KEY_PREFIX));
	freeReplyObject(r);
	return port;
}

static void read_socket(redisContext *c)
{
	if (redisBufferRead(c) != REDIS_OK)
		die(c->errstr);
}

/* Reads what the subscription has now; counts the port writes among its notifications and, if
 * any, keeps the time they were read as the last write's. */
static void count_port_writes(redisContext *sub, long *writes, uint64_t *t_last)
{
	uint64_t t = now_ns();
	read_socket(sub);
	for (int p; (p = next_notification(sub)) != -1;)
		if (p >= 0) {
			(*writes)++;
			*t_last = t;
		}
}

static int pidfd_of(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		die("pidfd_open failed");
	return fd;
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("ip failed");
}

/* A netlink listener of RTMGRP_LINK inside the namespace NS. */
static int netlink_in(const char *ns)
{
	char path[256];
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0)
		die("cannot enter the namespace");
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	int rcvbuf = 8 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("netlink socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (setns(self, CLONE_NEWNET) != 0)
		die("cannot leave the namespace");
	close(self);
	close(target);
	return fd;
}

/* Reads the netlink socket empty: true if a link message for NAME with the carrier WANT_UP
 * came. */
static bool netlink_saw(int fd, const char *name, bool want_up)
{
	static uint8_t buf[1 << 16];
	bool saw = false;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return saw; /* EAGAIN (or ENOBUFS: then the daemon's write still ends the wait) */
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != RTM_NEWLINK)
				continue;
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			int len = (int)IFLA_PAYLOAD(h);
			for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == IFLA_IFNAME && strcmp(RTA_DATA(a), name) == 0 &&
				    ((ifi->ifi_flags & LOWER_UP) != 0) == want_up)
					saw = true;
		}
	}
}

/* Reads the netlink socket empty: the number of link messages of Ethernet ports; an overrun
 * (messages lost) is counted in *overruns. */
static long netlink_ports(int fd, long *overruns)
{
	static uint8_t buf[1 << 16];
	long count = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			(*overruns)++;
			continue;
		}
		if (n < 0)
			return count;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != RTM_NEWLINK)
				continue;
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			int len = (int)IFLA_PAYLOAD(h);
			for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == IFLA_IFNAME && strncmp(RTA_DATA(a), "Ethernet", 8) == 0)
					count++;
		}
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values. */
static int64_t pct(const int64_t *v, size_t n, double p)
{
	size_t rank = (size_t)(p * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static void print_stats(const char *name, int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	printf(" %s_p50_us=%.0f %s_p99_us=%.0f %s_max_us=%.0f", name, pct(v, n, 0.50) / 1e3, name,
	       pct(v, n, 0.99) / 1e3, name, v[n - 1] / 1e3);
}

static int idle(const char *sock, const char *ns, int changes, int ports, int pause_ms)
{
	redisContext *cmd = connect_unix(sock);
	freeReplyObject(command(cmd, "SELECT 6"));
	redisContext *sub = subscribe(sock, cmd);
	int64_t *lat = calloc((size_t)changes, sizeof(*lat));
	int64_t *floor_ns = calloc((size_t)changes, sizeof(*floor_ns));
	int64_t *after = calloc((size_t)changes, sizeof(*after));
	int64_t *kernel = calloc((size_t)changes, sizeof(*kernel));
	int64_t *daemon = calloc((size_t)changes, sizeof(*daemon));
	long writes = 0, stray = 0, unseen = 0;
	int nl = netlink_in(ns);

	for (int i = 0; i < changes; i++) {
		int port = (i / 2) % ports;
		const char *want = i % 2 == 0 ? "up" : "down";
		char peer[32], name[32];
		snprintf(peer, sizeof(peer), "p%d", port);
		snprintf(name, sizeof(name), "Ethernet%d", port);
		netlink_saw(nl, name, false); /* anything left from the pause */
		char *argv[] = {"ip", "-n", (char *)ns, "link", "set", peer, (char *)want, NULL};

		uint64_t t0 = now_ns(), t_ip = 0, t1 = 0, t_k = 0;
		pid_t pid = spawn(argv);
		int pfd = pidfd_of(pid);
		bool done = false;
		while (!done || t_ip == 0) {
			struct pollfd fds[3] = {{sub->fd, POLLIN, 0}, {nl, POLLIN, 0}, {pfd, POLLIN, 0}};
			int n = poll(fds, t_ip == 0 ? 3 : 2, 20000);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fprintf(stderr, "ks-latency: change %d (p%d %s): ", i, port, want);
				die("no notification within 20 s");
			}
			uint64_t t = now_ns();
			if (t_ip == 0 && (fds[2].revents & POLLIN)) {
				t_ip = t;
				reap(pid);
				close(pfd);
			}
			if ((fds[1].revents & POLLIN) && netlink_saw(nl, name, i % 2 == 0) && t_k == 0)
				t_k = t;
			if (!(fds[0].revents & POLLIN))
				continue;
			read_socket(sub);
			for (int p; (p = next_notification(sub)) != -1;) {
				if (p != port) {
					stray++;
					continue;
				}
				writes++;
				if (done)
					continue;
				redisReply *r = command(cmd, "HGET PORT_TABLE|Ethernet%d netdev_oper_status", port);
				if (r->type == REDIS_REPLY_STRING && strcmp(r->str, want) == 0) {
					t1 = t;
					done = true;
				}
				freeReplyObject(r);
			}
		}
		if (t_k == 0) { /* not seen (overrun): the daemon's part is not known */
			unseen++;
			t_k = t1;
		}
		if (t1 - t0 > 50000000u) /* an outlier, named */
			fprintf(stderr,
				"ks-latency: change %d (p%d %s) took %.1f ms: ip %.1f ms, kernel message "
				"%.1f ms, daemon %.1f ms\n",
				i, port, want, (t1 - t0) / 1e6, (t_ip - t0) / 1e6, (t_k - t0) / 1e6,
				((int64_t)t1 - (int64_t)t_k) / 1e6);
		kernel[i] = (int64_t)(t_k - t0);
		daemon[i] = (int64_t)t1 - (int64_t)t_k;
		lat[i] = (int64_t)(t1 - t0);
		floor_ns[i] = (int64_t)(t_ip - t0);
		after[i] = (int64_t)t1 - (int64_t)t_ip;
		/* the pause: later writes of the same change are counted, not timed */
		uint64_t end = now_ns() + (uint64_t)pause_ms * 1000000u;
		for (uint64_t t; (t = now_ns()) < end;) {
			struct pollfd fd = {sub->fd, POLLIN, 0};
			if (poll(&fd, 1, (int)((end - t) / 1000000u) + 1) > 0) {
				read_socket(sub);
				for (int p; (p = next_notification(sub)) != -1;)
					p == port ? writes++ : stray++;
			}
		}
	}
	printf("idle: rt=%d changes=%d writes=%ld other_writes=%ld unseen=%ld", rt, changes, writes,
	       stray, unseen);
	print_stats("latency", lat, (size_t)changes);
	print_stats("floor", floor_ns, (size_t)changes);
	print_stats("after_ip", after, (size_t)changes);
	print_stats("kernel", kernel, (size_t)changes);
	print_stats("daemon", daemon, (size_t)changes);
	printf("\n");
	return 0;
}

static int storm(const char *sock, const char *ns, const char *batch, int ports)
{
	redisContext *cmd = connect_unix(sock);
	freeReplyObject(command(cmd, "SELECT 6"));
	redisContext *sub = subscribe(sock, cmd);
	char *argv[] = {"ip", "-n", (char *)ns, "-batch", (char *)batch, NULL};
	long writes = 0, port_msgs = 0, overruns = 0;
	uint64_t t_last = 0, t_kernel = 0;
	bool in_flight = false, converged = false, dirty = true;
	int nl = netlink_in(ns);
	int checks = 0;

	uint64_t t_start = now_ns(), t_ret = 0, t_conv = 0;
	pid_t pid = spawn(argv);
	int pfd = pidfd_of(pid);
	while (!converged) {
		struct pollfd fds[4] = {{sub->fd, POLLIN, 0}, {cmd->fd, POLLIN, 0}, {nl, POLLIN, 0},
					{pfd, POLLIN, 0}};
		int n = poll(fds, t_ret == 0 ? 4 : 3, 10000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("the storm did not converge within 10 s of quiet");
		if (t_ret == 0 && (fds[3].revents & POLLIN)) {
			t_ret = now_ns();
			reap(pid);
			close(pfd);
		}
		if (fds[2].revents & POLLIN) {
			uint64_t t = now_ns();
			long k = netlink_ports(nl, &overruns);
			if (k > 0) {
				port_msgs += k;
				t_kernel = t;
			}
		}
		bool quiet = true;
		if (fds[0].revents & POLLIN) {
			count_port_writes(sub, &writes, &t_last);
			quiet = false;
			dirty = true;
		}
		if (in_flight && (fds[1].revents & POLLIN)) {
			read_socket(cmd);
			void *v = NULL;
			if (redisGetReplyFromReader(cmd, &v) != REDIS_OK)
				die(cmd->errstr);
			if (v != NULL) {
				redisReply *r = v;
				if (r->type != REDIS_REPLY_INTEGER)
					die("check: integer reply expected");
				converged = r->integer == ports;
				in_flight = false;
				freeReplyObject(r);
			}
		}
		if (converged) {
			/* notifications published before the check ran but not read yet */
			struct pollfd fd = {sub->fd, POLLIN, 0};
			while (poll(&fd, 1, 2) > 0)
				count_port_writes(sub, &writes, &t_last);
			t_conv = t_last;
			break;
		}
		/* a check once the subscription has been quiet for 1 ms, and only if something was
		 * written since the last one */
		if (t_ret != 0 && !in_flight && dirty) {
			struct pollfd fd = {sub->fd, POLLIN, 0};
			if (quiet || poll(&fd, 1, 1) == 0) {
				redisAppendCommand(cmd, "EVAL %s 0 %d", final_pattern_lua, ports);
				int wdone = 0;
				while (!wdone)
					if (redisBufferWrite(cmd, &wdone) != REDIS_OK)
						die(cmd->errstr);
				in_flight = true;
				dirty = false;
				checks++;
			}
		}
	}
	printf("storm: rt=%d ports=%d writes=%ld checks=%d port_messages=%ld overruns=%ld ip_us=%.0f "
	       "converged_after_ip_us=%.0f converged_after_start_us=%.0f last_kernel_after_ip_us=%.0f "
	       "converged_after_kernel_us=%.0f\n",
	       rt, ports, writes, checks, port_msgs, overruns, (t_ret - t_start) / 1e3,
	       ((int64_t)t_conv - (int64_t)t_ret) / 1e3, (t_conv - t_start) / 1e3,
	       ((int64_t)t_kernel - (int64_t)t_ret) / 1e3, ((int64_t)t_conv - (int64_t)t_kernel) / 1e3);
	return 0;
}

static void load(redisContext *c, const char *file)
{
	FILE *f = fopen(file, "r");
	if (f == NULL)
		die("cannot open the load file");
	char line[4096];
	int sent = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *argv[64];
		int argc = 0;
		for (char *w = strtok(line, " \n"); w != NULL && argc < 64; w = strtok(NULL, " \n"))
			argv[argc++] = w;
		if (argc > 0) {
			redisAppendCommandArgv(c, argc, argv, NULL);
			sent++;
		}
	}
	fclose(f);
	for (int i = 0; i < sent; i++) {
		void *r;
		if (redisGetReply(c, &r) != REDIS_OK)
			die(c->errstr);
		freeReplyObject(r);
	}
}

static int converge(const char *sock, int ports, const char *load_file, bool consume)
{
	redisContext *c = NULL;
	for (;;) {
		c = redisConnectUnix(sock);
		if (c != NULL && !c->err) {
			redisReply *r = redisCommand(c, "PING");
			bool up = r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
			if (r != NULL)
				freeReplyObject(r);
			if (up)
				break;
		}
		if (c != NULL)
			redisFree(c);
		usleep(200);
	}
	uint64_t t0 = now_ns();
	if (load_file != NULL)
		load(c, load_file);
	uint64_t t_load = now_ns();
	int polls = 0;
	for (;;) {
		polls++;
		if (consume) {
			freeReplyObject(command(c, "SELECT 0"));
			command_int(c, "EVAL %s 1 PORT_TABLE_KEY_SET 1000000", consume_lua);
		}
		freeReplyObject(command(c, "SELECT 6"));
		if (command_int(c, "EVAL %s 0 %d", count_up_lua, ports) == ports)
			break;
		if (now_ns() - t0 > 60000000000u)
			die("STATE_DB did not converge within 60 s of Redis answering");
		usleep(2000);
	}
	uint64_t t1 = now_ns();
	printf("converge: ports=%d polls=%d load_us=%.0f converged_us=%.0f\n", ports, polls,
	       (t_load - t0) / 1e3, (t1 - t0) / 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The timestamps are taken as this process wakes: on a busy machine a real-time priority
	 * keeps its own scheduling delay out of the figures. `ip` and the daemon run as usual
	 * (SCHED_RESET_ON_FORK). Best effort: without the privilege, the figures say rt=0. */
	struct sched_param sp = {.sched_priority = 10};
	rt = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0;
	if (argc == 7 && strcmp(argv[1], "idle") == 0)
		return idle(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
	if (argc == 6 && strcmp(argv[1], "storm") == 0)
		return storm(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc >= 4 && strcmp(argv[1], "converge") == 0) {
		const char *file = NULL;
		bool consume = false;
		for (int i = 4; i < argc; i++) {
			if (strcmp(argv[i], "--load") == 0 && i + 1 < argc)
				file = argv[++i];
			else if (strcmp(argv[i], "--consume") == 0)
				consume = true;
			else
				die("unknown option");
		}
		return converge(argv[2], atoi(argv[3]), file, consume);
	}
	fprintf(stderr, "usage: ks-latency idle SOCK NS CHANGES PORTS PAUSE_MS\n"
			"       ks-latency storm SOCK NS BATCH PORTS\n"
			"       ks-latency converge SOCK PORTS [--load FILE] [--consume]\n");
	return 2;
}
