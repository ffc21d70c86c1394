#!/bin/bash
# Records what real HTTP clients send (curl GET, HEAD and HTTP/1.0; wget; Prometheus's scraper,
# run against a recorder for a few scrapes) in a network namespace of its own, and writes the
# http fuzz target's seeds from them and from the hostile patterns (tools/http-corpus.py).
# As root. Usage: record-http-corpus.sh [OUT_DIR]   (default fuzz/corpus/http)
set -u
cd "$(dirname "$0")/.." || exit 1
out=${1:-fuzz/corpus/http}
port=9808
for tool in curl wget prometheus python3 ip; do
	command -v $tool >/dev/null || { echo "record-http-corpus: $tool is not installed" >&2; exit 1; }
done
tmp=$(mktemp -d) || exit 1
ns=psd-rec$$
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" && ip -n "$ns" link set lo up || exit 1
in_ns() { ip netns exec "$ns" "$@"; }

# record NAME SECONDS CMD...: the recorder up, then CMD, its heads as NAME-<n>.bin
record() {
	local name=$1 seconds=$2
	shift 2
	in_ns python3 tools/http-clients.py record "$port" "$tmp/$name" "$seconds" > "$tmp/$name.log" &
	local rec=$!
	until in_ns ss -Hltn "sport = :$port" | grep -q .; do sleep 0.1; done
	in_ns "$@" > /dev/null 2>&1
	wait "$rec"
	cat "$tmp/$name.log"
}
url=http://127.0.0.1:$port
record curl-get 3 curl -s "$url/metrics"
record curl-head 3 curl -s -I "$url/health"
record curl-http10 3 curl -s --http1.0 "$url/health"
record wget 3 wget -q -O /dev/null "$url/metrics"
cat > "$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: portsyncd
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
record prometheus 8 timeout 6 prometheus --config.file="$tmp/prometheus.yml" \
	--storage.tsdb.path="$tmp/tsdb" --web.listen-address=127.0.0.1:19090
mkdir -p "$tmp/heads"
for f in "$tmp"/*-0.bin; do
	[ -s "$f" ] && cp "$f" "$tmp/heads/$(basename "$f" -0.bin).bin"
done
python3 tools/http-corpus.py "$tmp/heads" "$out"
