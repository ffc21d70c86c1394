/*
 * floor: the least a portsyncd must do per link message, the yardstick `make bench` holds the
 * daemons to. It joins RTMGRP_LINK and sleeps in recvmmsg() on that socket alone; for each
 * RTM_NEWLINK of an Ethernet port it reads, it appends one HSET PORT_TABLE|<name> state ok
 * netdev_oper_status <up|down> admin_status <up|down> mtu <mtu> (STATE_DB, selected once), and
 * the commands of one wake-up go to Redis in one write. Replies are read without waiting, after
 * each write: those not there yet ride along with a later wake-up. No timer, no other thread,
 * no APPL_DB, no start-up work; other names and RTM_DELLINK are read and dropped. On SIGTERM or
 * SIGINT it prints what it did (floor: messages= writes= replies= errors= overruns=) and exits.
 * Usage: floor SOCK [DB]   (SOCK: Redis's unix socket; DB: STATE_DB's number, 6)
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define BATCH 16                 /* datagrams per recvmmsg */
#define DATAGRAM_MAX (32 << 10)  /* a link message is about 1.5 KiB */
#define LOWER_UP 0x10000         /* IFF_LOWER_UP of linux/if.h, which clashes with net/if.h */
#define CMD_MAX 256              /* one HSET, formatted */
#define OUT_MAX (BATCH * CMD_MAX)  /* the HSETs of one wake-up (one message a datagram) */

static volatile sig_atomic_t stop;
static unsigned long messages, writes, replies, errors, overruns;
static bool line_start = true; /* the reply stream is at the start of a reply line */

static void on_signal(int sig)
{
	stop = sig;
}

static void die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int netlink_socket(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int rcvbuf = 16 << 20; /* as the daemon's */
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("netlink");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("write to Redis");
		buf += n;
		len -= (size_t)n;
	}
}

/* Counts the reply lines in BUF: an integer reply per HSET, '-' for an error. */
static void count_replies(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (line_start)
			buf[i] == '-' ? errors++ : replies++;
		line_start = buf[i] == '\n';
	}
}

/* Reads the replies that are there, without waiting. */
static void read_replies(int fd)
{
	static char buf[1 << 16];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			die("Redis closed the connection");
		count_replies(buf, (size_t)n);
	}
}

static int redis_connect(const char *path, const char *db)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char cmd[64], reply[64];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die(path);
	int n = snprintf(cmd, sizeof(cmd), "*2\r\n$6\r\nSELECT\r\n$%zu\r\n%s\r\n", strlen(db), db);
	write_all(fd, cmd, (size_t)n);
	ssize_t r = read(fd, reply, sizeof(reply) - 1);
	if (r < 3 || memcmp(reply, "+OK", 3) != 0)
		die("SELECT");
	return fd;
}

/* One link message: its HSET appended to OUT (at most CMD_MAX bytes), or nothing. */
static size_t format_hset(const struct nlmsghdr *h, char *out)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)IFLA_PAYLOAD(h);
	const char *name = NULL;
	unsigned mtu = 0;
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) > 0 && RTA_PAYLOAD(a) <= 16 &&
		    ((const char *)RTA_DATA(a))[RTA_PAYLOAD(a) - 1] == '\0')
			name = RTA_DATA(a);
		else if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) == sizeof(mtu))
			memcpy(&mtu, RTA_DATA(a), sizeof(mtu));
	}
	if (name == NULL || strncmp(name, "Ethernet", 8) != 0)
		return 0;
	const char *oper = ifi->ifi_flags & LOWER_UP ? "up" : "down";
	const char *admin = ifi->ifi_flags & 1 /* IFF_UP */ ? "up" : "down";
	char mtu_s[16];
	int mtu_len = snprintf(mtu_s, sizeof(mtu_s), "%u", mtu);
	int n = snprintf(out, CMD_MAX,
			 "*10\r\n$4\r\nHSET\r\n$%zu\r\nPORT_TABLE|%s\r\n$5\r\nstate\r\n$2\r\nok\r\n"
			 "$18\r\nnetdev_oper_status\r\n$%zu\r\n%s\r\n$12\r\nadmin_status\r\n$%zu\r\n%s\r\n"
			 "$3\r\nmtu\r\n$%d\r\n%s\r\n",
			 strlen(name) + 11, name, strlen(oper), oper, strlen(admin), admin, mtu_len,
			 mtu_s);
	return n > 0 && n < CMD_MAX ? (size_t)n : 0;
}

/* The HSETs of the datagrams of one wake-up, written to REDIS in one write (or more, should
 * they not fit in OUT_MAX bytes); then the replies already there are read. */
static void write_datagrams(int redis, struct mmsghdr *msgs, int count)
{
	static char out[OUT_MAX];
	size_t used = 0;
	for (int i = 0; i < count; i++) {
		int left = (int)msgs[i].msg_len;
		for (struct nlmsghdr *h = msgs[i].msg_hdr.msg_iov->iov_base; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (used + CMD_MAX > sizeof(out)) {
				write_all(redis, out, used);
				used = 0;
			}
			size_t n = format_hset(h, out + used);
			messages += h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK;
			writes += n > 0;
			used += n;
		}
	}
	if (used > 0) {
		write_all(redis, out, used);
		read_replies(redis);
	}
}

int main(int argc, char **argv)
{
	static char bufs[BATCH][DATAGRAM_MAX];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: floor SOCK [DB]\n");
		return 2;
	}
	struct sigaction act = {.sa_handler = on_signal}; /* no SA_RESTART: the wait ends */
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	int redis = redis_connect(argv[1], argc == 3 ? argv[2] : "6");
	int nl = netlink_socket();
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	while (!stop) {
		int n = recvmmsg(nl, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0 && errno == ENOBUFS)
			overruns++; /* messages lost: the floor does not re-dump */
		else if (n < 0 && errno != EINTR)
			die("recvmmsg");
		else if (n > 0)
			write_datagrams(redis, msgs, n);
	}
	printf("floor: messages=%lu writes=%lu replies=%lu errors=%lu overruns=%lu\n", messages,
	       writes, replies, errors, overruns);
	return 0;
}
