#!/usr/bin/env python3
"""Rewrites a capture written by portsyncd --record as tcpdump would have written it on an
nlmon interface: microsecond timestamps, packet type PACKET_KERNEL (7) and no address in the
cooked header (so no port id and no dump-socket flag), and, between the kernel's datagrams, what
nlmon sees besides: requests programs sent to the kernel (PACKET_USER, NLM_F_REQUEST), the
kernel's acknowledgements, and packets of another netlink family. A test tool.
Usage: pcap-as-nlmon.py IN.pcap OUT.pcap"""
import struct
import sys

PACKET_USER, PACKET_KERNEL = 6, 7
ARPHRD_NETLINK = 824
NETLINK_ROUTE, NETLINK_GENERIC = 0, 16
RTM_NEWLINK, RTM_GETLINK, NLMSG_ERROR = 16, 18, 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300


def cooked(pkttype, proto):
    return struct.pack(">HHH8sH", pkttype, ARPHRD_NETLINK, 0, b"", proto)


def nlmsg(mtype, flags, seq, pid, payload):
    return struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq, pid) + payload


def extras(i):
    ifi_up = struct.pack("=BxHiII", 0, 0, 3, 1, 1)  # ip link set dev (ifindex 3) up
    link_set = nlmsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 1000 + i, 4242, ifi_up)
    ack = nlmsg(NLMSG_ERROR, 0, 1000 + i, 4242, struct.pack("=i", 0) + link_set[:16])
    dump = nlmsg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 2000 + i, 4242, struct.pack("=B3x", 0))
    genl = nlmsg(0x10, NLM_F_REQUEST, 3000 + i, 4242, b"\x03\x01\x00\x00")
    return [cooked(PACKET_USER, NETLINK_ROUTE) + link_set,
            cooked(PACKET_KERNEL, NETLINK_ROUTE) + ack,
            cooked(PACKET_USER, NETLINK_ROUTE) + dump,
            cooked(PACKET_USER, NETLINK_GENERIC) + genl]


def main(src, dst):
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B23C4D, "expected a nanosecond pcap written by portsyncd --record"
    linktype = struct.unpack("<I", data[20:24])[0]
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)]
    off, i = 24, 0
    while off < len(data):
        sec, nsec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        body = data[off + 16 + 16:off + 16 + incl]
        off += 16 + incl
        usec = nsec // 1000
        packets = (extras(i) if i % 5 == 0 else []) + [cooked(PACKET_KERNEL, NETLINK_ROUTE) + body]
        for p in packets:
            out.append(struct.pack("<IIII", sec, usec, len(p), len(p)) + p)
        i += 1
    open(dst, "wb").write(b"".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:3])
