#!/bin/sh
# Records the fuzz seed corpora from a real kernel: veth netdevs in a namespace created, brought
# up, flapped, enslaved to and released from a bridge (AF_BRIDGE messages), renamed and deleted,
# plus a full RTM_GETLINK dump ending in NLMSG_DONE; each datagram becomes one corpus file.
# Usage (root): tools/record-corpus.sh   (needs build/nl-record)
set -eu
cd "$(dirname "$0")/.."
NS=psdcorpus$$
T=$(mktemp -d)
trap 'ip netns del $NS 2>/dev/null; rm -rf $T' EXIT
ip netns add $NS
ip -n $NS link set lo up
ip netns exec $NS build/nl-record "$T/events.bin" > "$T/rec.out" &
REC=$!
sleep 0.3
for i in 0 4; do ip -n $NS link add Ethernet$i type veth peer name peer$i; done
ip -n $NS link set Ethernet0 up
ip -n $NS link set peer0 up
ip -n $NS link set Ethernet0 mtu 9100
ip -n $NS link add br0 type bridge
ip -n $NS link set Ethernet4 master br0
ip -n $NS link set Ethernet4 nomaster
ip -n $NS link set Ethernet4 name Ethernet4x
ip -n $NS link del Ethernet4x
sleep 0.3
kill -INT $REC
wait $REC || true
ip netns exec $NS build/nl-record "$T/dump.bin" --dump > "$T/dump.out" &
REC=$!
sleep 0.5
kill -INT $REC
wait $REC || true
split_records() { # split_records FILE DIR PREFIX: one file per length-prefixed datagram
	i=0
	off=0
	size=$(stat -c %s "$1")
	while [ $off -lt "$size" ]; do
		len=$(od -An -tu4 -j $off -N4 "$1" | tr -d ' ')
		dd if="$1" of="$2/$3-$(printf %03d $i)" bs=1 skip=$((off + 4)) count="$len" status=none
		off=$((off + 4 + len))
		i=$((i + 1))
	done
}
for t in netlink roundtrip; do
	mkdir -p fuzz/corpus/$t
	split_records "$T/events.bin" fuzz/corpus/$t event
	split_records "$T/dump.bin" fuzz/corpus/$t dump
done
echo "corpus: $(ls fuzz/corpus/netlink | wc -l) datagrams"
