/*
 * ks-latency: link change -> STATE_DB latency, measured through Redis keyspace notifications
 * (PSUBSCRIBE __keyspace@6__:PORT_TABLE|*), with CLOCK_MONOTONIC taken as each read of the
 * subscription returns. A benchmark tool, not the daemon.
 *
 *   ks-latency idle SOCK NS CHANGES PORTS PAUSE_MS
 *     CHANGES changes on idle ports: peer p<k> up, then down, k = 0, 1, ... (mod PORTS), each by
 *     one `ip -n NS link set` (fork, exec, wait), PAUSE_MS apart. Per change: t0 before the
 *     fork, the ip command's own time (its exit, seen through a pidfd), t1 = the arrival of the
 *     keyspace notification of PORT_TABLE|Ethernet<k> whose write holds the expected
 *     netdev_oper_status (checked by HGET after t1 is taken). A netlink listener in NS times
 *     the kernel's message for Ethernet<k> with the new carrier (t_k), so that t1 - t_k is
 *     the daemon's own part and t_k - t0 the kernel's (rtnl_lock is shared by all namespaces).
 *     A change whose kernel message the listener did not see (an overrun) has no split: it is
 *     left out of the kernel and daemon figures, and counted (unseen=).
 *   ks-latency storm SOCK NS BATCH PORTS PID
 *     runs `ip -n NS -batch BATCH`, whose final state is every even peer up and every odd peer
 *     down (a pattern no earlier point of the storm shows), and waits until STATE_DB shows it
 *     (one Lua check in flight at a time, sent while the subscription is quiet). t1 = the last
 *     notification of any port received by then (a rewrite after a port's final state would
 *     only make it later). A netlink listener in NS times the kernel's last message of an
 *     Ethernet port before convergence, so that the daemon's part is told from the kernel's.
 *     The daemon PID's CPU time (schedstat ns) and wake-ups (voluntary context switches),
 *     summed over its threads, are taken over the active window: from just before `ip` is
 *     forked to the first QUIET_MS without a write after the daemon's last one (a hash write to
 *     any STATE_DB key: port entries, and whatever else the storm makes it write), which is
 *     known once END_QUIET_MS have gone by without a write after convergence.
 *   ks-latency converge SOCK PORTS [--load FILE] [--consume]
 *     waits for Redis to answer PING (t0), then sends FILE's commands (one a line, words split
 *     on spaces) in one pipeline, then polls every 2 ms (consuming APPL_DB as orchagent would,
 *     with --consume) until every port's netdev_oper_status is up in STATE_DB (t1), 60 s at most.
 *
 * Times are printed in microseconds, one `key=value` line per figure set. The tool runs at a
 * real-time priority when it may (rt=1), so that its own wake-ups do not delay its timestamps.
 */
#include <dirent.h>
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

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <hiredis.h>

#define KEY_PREFIX "__keyspace@6__:PORT_TABLE|Ethernet"
#define MS 1000000u
#define QUIET_MS 5        /* a write's work is done: the daemon's CPU is sampled */
#define END_QUIET_MS 1200 /* after convergence: no later write is waited for (the daemon's
			   * timers of a second, deferred writes of 100 ms, are) */

static const char count_up_lua[] =
	"local n = 0 for i = 0, tonumber(ARGV[1]) - 1 do "
	"if redis.call('HGET', 'PORT_TABLE|Ethernet' .. i, 'netdev_oper_status') == 'up' then "
	"n = n + 1 end end return n";
static const char final_pattern_lua[] =
	"local n = 0 for i = 0, tonumber(ARGV[1]) - 1 do "
	"local v = redis.call('HGET', 'PORT_TABLE|Ethernet' .. i, 'netdev_oper_status') "
	"if v == (i % 2 == 0 and 'up' or 'down') then n = n + 1 end end return n";
static const char mismatch_lua[] =
	"local out = {} for i = 0, tonumber(ARGV[1]) - 1 do "
	"local v = redis.call('HGET', 'PORT_TABLE|Ethernet' .. i, 'netdev_oper_status') "
	"if v ~= (i % 2 == 0 and 'up' or 'down') and #out < 8 then "
	"table.insert(out, 'Ethernet' .. i .. '=' .. tostring(v)) end end return out";
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

/* The subscription: keyspace notifications of the hash writes to STATE_DB's keys that match
 * PATTERN. The server's setting is kept when it publishes them already (SONiC's AKE, as the
 * bench's redis-server runs): narrowing it would take from the daemons the APPL_DB and CONFIG_DB
 * notifications they watch; otherwise K and h are added to what it has. */
static redisContext *subscribe(const char *sock, redisContext *cmd, const char *pattern)
{
	redisReply *cur = command(cmd, "CONFIG GET notify-keyspace-events");
	const char *v = cur->type == REDIS_REPLY_ARRAY && cur->elements == 2 &&
				cur->element[1]->type == REDIS_REPLY_STRING
			? cur->element[1]->str
			: "";
	if (strchr(v, 'K') == NULL || (strchr(v, 'h') == NULL && strchr(v, 'A') == NULL))
		freeReplyObject(command(cmd, "CONFIG SET notify-keyspace-events %sKh", v));
	freeReplyObject(cur);
	redisContext *sub = connect_unix(sock);
	freeReplyObject(command(sub, "PSUBSCRIBE __keyspace@6__:%s", pattern));
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
 * any, keeps the time they were read as the last port write's (T_PORT); if any notification
 * came, that time is also the last write's (T_ANY). */
static void count_writes(redisContext *sub, long *writes, uint64_t *t_port, uint64_t *t_any)
{
	uint64_t t = now_ns();
	read_socket(sub);
	for (int p; (p = next_notification(sub)) != -1;) {
		*t_any = t;
		if (p >= 0) {
			(*writes)++;
			*t_port = t;
		}
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

/* A netlink socket inside the namespace NS, bound to GROUPS (RTMGRP_LINK: a listener; 0: for
 * requests). */
static int netlink_in(const char *ns, unsigned groups)
{
	char path[256];
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0)
		die("cannot enter the namespace");
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (groups ? SOCK_NONBLOCK : 0),
			NETLINK_ROUTE);
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
				    ((ifi->ifi_flags & IFF_LOWER_UP) != 0) == want_up)
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

/* A read of the subscription during a change of PORT: true once the port's write holds WANT
 * (checked by HGET after the read's time was taken); other ports' writes are strays. */
struct idle_run {
	redisContext *cmd, *sub;
	int nl;
	long writes, stray;
};

static bool idle_notifications(struct idle_run *r, int port, const char *want, bool done)
{
	bool got = false;
	read_socket(r->sub);
	for (int p; (p = next_notification(r->sub)) != -1;) {
		if (p != port) {
			r->stray++;
			continue;
		}
		r->writes++;
		if (done || got)
			continue;
		redisReply *rep =
			command(r->cmd, "HGET PORT_TABLE|Ethernet%d netdev_oper_status", port);
		got = rep->type == REDIS_REPLY_STRING && strcmp(rep->str, want) == 0;
		freeReplyObject(rep);
	}
	return got;
}

/* One change's times, ns; t_k = 0: the listener did not see its kernel message. */
struct change_times {
	uint64_t t0, t_ip, t_k, t1;
};

/* Peer p<PORT> set up or down by `ip`, until the port's write with the new state is seen. */
static void idle_change(struct idle_run *r, const char *ns, int port, bool up,
			struct change_times *ct)
{
	const char *want = up ? "up" : "down";
	char peer[32], name[32];
	snprintf(peer, sizeof(peer), "p%d", port);
	snprintf(name, sizeof(name), "Ethernet%d", port);
	netlink_saw(r->nl, name, false); /* anything left from the pause */
	char *argv[] = {"ip", "-n", (char *)ns, "link", "set", peer, (char *)want, NULL};

	*ct = (struct change_times){.t0 = now_ns()};
	pid_t pid = spawn(argv);
	int pfd = pidfd_of(pid);
	bool done = false;
	while (!done || ct->t_ip == 0) {
		struct pollfd fds[3] = {{r->sub->fd, POLLIN, 0}, {r->nl, POLLIN, 0}, {pfd, POLLIN, 0}};
		int n = poll(fds, ct->t_ip == 0 ? 3 : 2, 20000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "ks-latency: p%d %s: ", port, want);
			die("no notification within 20 s");
		}
		uint64_t t = now_ns();
		if (ct->t_ip == 0 && (fds[2].revents & POLLIN)) {
			ct->t_ip = t;
			reap(pid);
			close(pfd);
		}
		if ((fds[1].revents & POLLIN) && netlink_saw(r->nl, name, up) && ct->t_k == 0)
			ct->t_k = t;
		if ((fds[0].revents & POLLIN) && idle_notifications(r, port, want, done)) {
			ct->t1 = t;
			done = true;
		}
	}
}

/* The pause after a change: later writes of the same change are counted, not timed. */
static void idle_pause(struct idle_run *r, int port, int pause_ms)
{
	uint64_t end = now_ns() + (uint64_t)pause_ms * MS;
	for (uint64_t t; (t = now_ns()) < end;) {
		struct pollfd fd = {r->sub->fd, POLLIN, 0};
		if (poll(&fd, 1, (int)((end - t) / MS) + 1) > 0) {
			read_socket(r->sub);
			for (int p; (p = next_notification(r->sub)) != -1;)
				p == port ? r->writes++ : r->stray++;
		}
	}
}

static int idle(const char *sock, const char *ns, int changes, int ports, int pause_ms)
{
	struct idle_run r = {.cmd = connect_unix(sock)};
	freeReplyObject(command(r.cmd, "SELECT 6"));
	r.sub = subscribe(sock, r.cmd, "PORT_TABLE|*");
	r.nl = netlink_in(ns, RTMGRP_LINK);
	int64_t *lat = calloc((size_t)changes, sizeof(*lat));
	int64_t *ip_cmd = calloc((size_t)changes, sizeof(*ip_cmd));
	int64_t *after = calloc((size_t)changes, sizeof(*after));
	int64_t *kernel = calloc((size_t)changes, sizeof(*kernel));
	int64_t *daemon = calloc((size_t)changes, sizeof(*daemon));
	size_t seen = 0;
	if (lat == NULL || ip_cmd == NULL || after == NULL || kernel == NULL || daemon == NULL)
		die("out of memory");

	for (int i = 0; i < changes; i++) {
		int port = (i / 2) % ports;
		struct change_times ct;
		idle_change(&r, ns, port, i % 2 == 0, &ct);
		lat[i] = (int64_t)(ct.t1 - ct.t0);
		ip_cmd[i] = (int64_t)(ct.t_ip - ct.t0);
		after[i] = (int64_t)ct.t1 - (int64_t)ct.t_ip;
		if (ct.t_k != 0) {
			kernel[seen] = (int64_t)(ct.t_k - ct.t0);
			daemon[seen++] = (int64_t)ct.t1 - (int64_t)ct.t_k;
		}
		if (ct.t1 - ct.t0 > 50 * MS) /* an outlier, named */
			fprintf(stderr,
				"ks-latency: change %d (p%d %s) took %.1f ms: ip %.1f ms, kernel message "
				"%.1f ms%s\n",
				i, port, i % 2 == 0 ? "up" : "down", lat[i] / 1e6, ip_cmd[i] / 1e6,
				ct.t_k != 0 ? (ct.t_k - ct.t0) / 1e6 : 0.0,
				ct.t_k != 0 ? "" : " (not seen)");
		idle_pause(&r, port, pause_ms);
	}
	printf("idle: rt=%d changes=%d writes=%ld other_writes=%ld unseen=%zu", rt, changes,
	       r.writes, r.stray, (size_t)changes - seen);
	print_stats("latency", lat, (size_t)changes);
	print_stats("ip_cmd", ip_cmd, (size_t)changes);
	print_stats("after_ip", after, (size_t)changes);
	if (seen > 0) { /* none seen: no split, and the bench names the missing figure */
		print_stats("kernel", kernel, seen);
		print_stats("daemon", daemon, seen);
	}
	printf("\n");
	return 0;
}

/* A process's CPU time (the first field of each thread's schedstat, ns) and wake-ups (its
 * threads' voluntary context switches), at t. */
struct proc_sample {
	uint64_t cpu_ns, wakeups, t;
};

static uint64_t read_field(const char *path, const char *label)
{
	FILE *f = fopen(path, "r");
	char line[256];
	uint64_t v = 0;
	if (f == NULL)
		die("cannot read the daemon's /proc files");
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, label, strlen(label)) == 0) {
			v = strtoull(line + strlen(label), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void sample_proc(int pid, struct proc_sample *ret)
{
	char path[300];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (d == NULL)
		die("the daemon is gone");
	struct proc_sample s = {0};
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid, e->d_name);
		s.cpu_ns += read_field(path, "");
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid, e->d_name);
		s.wakeups += read_field(path, "voluntary_ctxt_switches:");
	}
	closedir(d);
	s.t = now_ns();
	*ret = s;
}

/* The storm as it is watched: the daemon's writes (t_last: of a port, t_write: of any STATE_DB
 * key), the kernel's port messages, the daemon's samples. */
struct storm_run {
	const char *sock;
	redisContext *cmd, *sub;
	int nl, req, pid, checks, pokes, kernel_lagging;
	long writes, port_msgs, overruns;
	uint64_t t_start, t_ret, t_last, t_write, t_kernel, t_activity, t_poke;
	struct proc_sample first, last; /* last: QUIET_MS after the latest write */
	bool unsampled;                 /* a write since the last sample */
};

static void storm_read_writes(struct storm_run *s)
{
	uint64_t before = s->t_write;
	count_writes(s->sub, &s->writes, &s->t_last, &s->t_write);
	s->unsampled |= s->t_write != before;
}

/* The poll timeout: until the next sample is due, at most LIMIT_MS. */
static int storm_timeout(const struct storm_run *s, int limit_ms)
{
	if (!s->unsampled)
		return limit_ms;
	uint64_t due = s->t_write + QUIET_MS * MS, t = now_ns();
	int ms = t >= due ? 0 : (int)((due - t + MS - 1) / MS);
	return ms < limit_ms ? ms : limit_ms;
}

static void storm_sample_if_quiet(struct storm_run *s)
{
	if (s->unsampled && now_ns() >= s->t_write + QUIET_MS * MS) {
		sample_proc(s->pid, &s->last);
		s->unsampled = false;
	}
}

/* The reply of a final-state check: true if every port is in its final state. */
static bool storm_check_reply(struct storm_run *s, int ports, bool *in_flight)
{
	void *v = NULL;
	read_socket(s->cmd);
	if (redisGetReplyFromReader(s->cmd, &v) != REDIS_OK)
		die(s->cmd->errstr);
	if (v == NULL)
		return false;
	redisReply *r = v;
	if (r->type != REDIS_REPLY_INTEGER)
		die("check: integer reply expected");
	bool converged = r->integer == ports;
	*in_flight = false;
	freeReplyObject(r);
	return converged;
}

static void storm_send_check(struct storm_run *s, int ports)
{
	redisAppendCommand(s->cmd, "EVAL %s 0 %d", final_pattern_lua, ports);
	for (int wdone = 0; !wdone;)
		if (redisBufferWrite(s->cmd, &wdone) != REDIS_OK)
			die(s->cmd->errstr);
	s->checks++;
}

/* Sends a link request (a dump, or the link IFINDEX alone) on FD and reads its answers until
 * NLMSG_DONE, or the one answer; ON_LINK (if any) sees each link message. */
static void link_request(int fd, int ifindex, void (*on_link)(const struct nlmsghdr *, void *),
			 void *arg)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {{NLMSG_LENGTH(sizeof(struct ifinfomsg)), RTM_GETLINK,
		  NLM_F_REQUEST | (ifindex == 0 ? NLM_F_DUMP : 0), 1, 0},
		 {.ifi_family = AF_UNSPEC, .ifi_index = ifindex}};
	static uint8_t buf[1 << 16];
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		die("link request");
	for (bool done = false; !done;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("link request: no answer");
		done = ifindex != 0;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			done |= h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR;
			if (h->nlmsg_type == RTM_NEWLINK && on_link != NULL)
				on_link(h, arg);
		}
	}
}

/* The ports of a dump whose operstate is not the storm's final one (up for even ports). */
struct lagging {
	int ports, count;
	int *ifindex;
};

static void note_lagging(const struct nlmsghdr *h, void *arg)
{
	struct lagging *l = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)IFLA_PAYLOAD(h), port = -1, oper = -1;
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME && strncmp(RTA_DATA(a), "Ethernet", 8) == 0)
			port = atoi((const char *)RTA_DATA(a) + 8);
		else if (a->rta_type == IFLA_OPERSTATE && RTA_PAYLOAD(a) == 1)
			oper = *(const uint8_t *)RTA_DATA(a);
	}
	if (port >= 0 && port < l->ports && oper >= 0 && (oper == IF_OPER_UP) != (port % 2 == 0))
		l->ifindex[l->count++] = ifi->ifi_index;
}

/* A storm quiet after ip -batch returned, not converged: the kernel's linkwatch work, which sets
 * a port's operstate and then sends its link message, can stall for minutes on a busy machine
 * (seen on 6.x with rtnl_lock contended). A dump reads the operstates without running it; for
 * each port not yet in its final state, a request for that link alone runs the port's pending
 * work (rtnl_getlink syncs linkwatch), so the message the kernel owes goes out. A port the
 * kernel shows in its final state is left alone: if STATE_DB lacks it, the daemon does. */
static void storm_poke_kernel(struct storm_run *s, int ports)
{
	struct lagging l = {.ports = ports, .ifindex = calloc((size_t)ports, sizeof(int))};
	if (l.ifindex == NULL)
		die("out of memory");
	link_request(s->req, 0, note_lagging, &l);
	for (int i = 0; i < l.count; i++)
		link_request(s->req, l.ifindex[i], NULL, NULL);
	s->kernel_lagging = l.count;
	s->pokes += l.count;
	free(l.ifindex);
}

/* Names (on stderr) the first ports STATE_DB does not hold in their final state. */
static void storm_name_mismatches(const char *sock, int ports)
{
	redisContext *c = connect_unix(sock);
	freeReplyObject(command(c, "SELECT 6"));
	redisReply *r = command(c, "EVAL %s 0 %d", mismatch_lua, ports);
	fprintf(stderr, "ks-latency: not in their final state in STATE_DB (up for even ports):");
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		fprintf(stderr, " %s", r->element[i]->str);
	fprintf(stderr, "\n");
	freeReplyObject(r);
	redisFree(c);
}

/* Until a check finds the final state (a check once the subscription has been quiet for 1 ms,
 * and only if something was written since the last one). */
static void storm_converge(struct storm_run *s, int ports, pid_t ip, int pfd)
{
	bool in_flight = false, converged = false, dirty = true;
	s->t_activity = now_ns();
	while (!converged) {
		struct pollfd fds[4] = {{s->sub->fd, POLLIN, 0}, {s->cmd->fd, POLLIN, 0},
					{s->nl, POLLIN, 0}, {pfd, POLLIN, 0}};
		int n = poll(fds, s->t_ret == 0 ? 4 : 3, storm_timeout(s, 1000));
		if (n < 0 && errno != EINTR)
			die("poll failed");
		uint64_t t = now_ns();
		storm_sample_if_quiet(s);
		/* On a busy machine the kernel may hold ip back for long, and the carrier changes
		 * after it (the linkwatch work): after a second of quiet, the kernel is asked. */
		if (n <= 0 && s->t_ret != 0 && t - s->t_poke > 1000 * MS) {
			storm_poke_kernel(s, ports);
			s->t_poke = t;
		}
		if (n <= 0) {
			if (t - s->t_activity > (s->t_ret == 0 ? 300000 : 60000) * MS) {
				storm_name_mismatches(s->sock, ports);
				fprintf(stderr, "ks-latency: the kernel: %d ports not in their final state\n",
					s->kernel_lagging);
				die(s->t_ret == 0 ? "ip -batch and the kernel were silent for 300 s"
						  : "no convergence within 60 s of quiet after ip -batch");
			}
			continue;
		}
		s->t_activity = t;
		if (s->t_ret == 0 && (fds[3].revents & POLLIN)) {
			s->t_ret = t;
			reap(ip);
			close(pfd);
		}
		if (fds[2].revents & POLLIN) {
			long k = netlink_ports(s->nl, &s->overruns);
			s->port_msgs += k;
			if (k > 0)
				s->t_kernel = t;
		}
		bool quiet = !(fds[0].revents & POLLIN);
		if (!quiet) {
			storm_read_writes(s);
			dirty = true;
		}
		if (in_flight && (fds[1].revents & POLLIN))
			converged = storm_check_reply(s, ports, &in_flight);
		struct pollfd sub = {s->sub->fd, POLLIN, 0};
		if (!converged && s->t_ret != 0 && !in_flight && dirty &&
		    (quiet || poll(&sub, 1, 1) == 0)) {
			storm_send_check(s, ports);
			in_flight = true;
			dirty = false;
		}
	}
}

/* After convergence: the writes still coming, until END_QUIET_MS without one; the daemon's
 * last sample is then QUIET_MS after its last write. */
static void storm_settle(struct storm_run *s)
{
	for (;;) {
		storm_sample_if_quiet(s);
		uint64_t t = now_ns(), end = s->t_write + END_QUIET_MS * MS;
		if (t >= end && !s->unsampled)
			return;
		int limit = t >= end ? 0 : (int)((end - t) / MS) + 1;
		struct pollfd fd = {s->sub->fd, POLLIN, 0};
		if (poll(&fd, 1, storm_timeout(s, limit)) > 0)
			storm_read_writes(s);
	}
}

static int storm(const char *sock, const char *ns, const char *batch, int ports, int pid)
{
	struct storm_run s = {.sock = sock, .pid = pid, .cmd = connect_unix(sock)};
	freeReplyObject(command(s.cmd, "SELECT 6"));
	s.sub = subscribe(sock, s.cmd, "*");
	s.nl = netlink_in(ns, RTMGRP_LINK);
	s.req = netlink_in(ns, 0);
	char *argv[] = {"ip", "-n", (char *)ns, "-batch", (char *)batch, NULL};

	sample_proc(pid, &s.first);
	s.last = s.first;
	s.t_start = now_ns();
	pid_t ip = spawn(argv);
	storm_converge(&s, ports, ip, pidfd_of(ip));
	/* notifications published before the check ran but not read yet */
	for (struct pollfd fd = {s.sub->fd, POLLIN, 0}; poll(&fd, 1, 2) > 0;)
		storm_read_writes(&s);
	uint64_t t_conv = s.t_last;
	storm_settle(&s);
	if (s.port_msgs == 0)
		die("the listener saw no port message");
	printf("storm: rt=%d ports=%d writes=%ld checks=%d port_messages=%ld overruns=%ld ip_us=%.0f "
	       "converged_after_ip_us=%.0f converged_after_start_us=%.0f last_kernel_after_ip_us=%.0f "
	       "converged_after_kernel_us=%.0f last_write_after_ip_us=%.0f window_us=%.0f "
	       "cpu_ns=%" PRIu64 " wakeups=%" PRIu64 " kernel_pokes=%d\n",
	       rt, ports, s.writes, s.checks, s.port_msgs, s.overruns, (s.t_ret - s.t_start) / 1e3,
	       ((int64_t)t_conv - (int64_t)s.t_ret) / 1e3, (t_conv - s.t_start) / 1e3,
	       ((int64_t)s.t_kernel - (int64_t)s.t_ret) / 1e3,
	       ((int64_t)t_conv - (int64_t)s.t_kernel) / 1e3,
	       ((int64_t)s.t_write - (int64_t)s.t_ret) / 1e3, (s.last.t - s.first.t) / 1e3,
	       s.last.cpu_ns - s.first.cpu_ns, s.last.wakeups - s.first.wakeups, s.pokes);
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
	if (argc == 7 && strcmp(argv[1], "storm") == 0)
		return storm(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]));
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
			"       ks-latency storm SOCK NS BATCH PORTS PID\n"
			"       ks-latency converge SOCK PORTS [--load FILE] [--consume]\n");
	return 2;
}
