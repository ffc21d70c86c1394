/*
 * nl-inject: sends one RTM_NEWLINK for NAME (IFF_UP|IFF_RUNNING, mtu 9100) as a unicast
 * datagram from this process to netlink port PORTID, as a misbehaving local process would.
 * Test tool: the daemon must drop it, since only the kernel (port id 0) speaks for links.
 * Usage: nl-inject PORTID NAME
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

int main(int argc, char **argv)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
		uint8_t attrs[64];
	} m;
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	size_t len = strlen(argc > 2 ? argv[2] : "") + 1;
	uint32_t mtu = 9100;

	if (argc != 3 || len > IFNAMSIZ) {
		fprintf(stderr, "usage: nl-inject PORTID NAME\n");
		return 2;
	}
	to.nl_pid = (uint32_t)strtoul(argv[1], NULL, 10);
	memset(&m, 0, sizeof(m));
	m.ifi.ifi_index = 4242;
	m.ifi.ifi_flags = IFF_UP | IFF_RUNNING;
	struct rtattr *a = (struct rtattr *)m.attrs;
	a->rta_type = IFLA_IFNAME;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), argv[2], len);
	struct rtattr *b = (struct rtattr *)(m.attrs + RTA_ALIGN(a->rta_len));
	b->rta_type = IFLA_MTU;
	b->rta_len = RTA_LENGTH(sizeof(mtu));
	memcpy(RTA_DATA(b), &mtu, sizeof(mtu));
	m.h.nlmsg_type = RTM_NEWLINK;
	m.h.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(m.ifi)) + RTA_ALIGN(a->rta_len) + b->rta_len);
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0 || sendto(fd, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("nl-inject");
		return 1;
	}
	return 0;
}
