#!/usr/bin/env python3
"""Seeds for the http fuzz target (fuzz/fuzz_http.c): programs in its input language, from the
request heads real clients sent (recorded by tools/record-http-corpus.sh) and from the hostile
patterns the listener is built against.

  http-corpus.py RECORDED_DIR OUT_DIR

RECORDED_DIR holds <client>-<n>.bin request heads; OUT_DIR receives one seed file per pattern.
The language (fuzz_http.c, step()): an opcode byte, a slot byte, then the opcode's arguments.
"""
import os
import struct
import sys

OPEN, WHOLE, SPLIT, REST, RAW, END, FAIL, TIME, READN, READALL, BODY, MISC = range(12)
# fuzz_http.c's templates, by index
GET_METRICS, GET_HEALTH, HEAD_METRICS, NOT_FOUND, POST_BODY, HTTP10_KEEP, BLANK_FIRST, LF_ONLY, \
    CURL, WGET, PROMETHEUS, CLOSE, HTTP10, CHUNKED, HTTP2, NO_HOST = range(16)
# fuzz_http.c's body_sizes, by index
BODY_0, BODY_64, BODY_3000, BODY_70000, BODY_MAX, BODY_OVER = range(6)


def op(code, slot=0, *args):
    return bytes([code, slot]) + bytes(args)


def raw(slot, data):
    """data in RAW steps of at most 255 bytes."""
    out = b""
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += op(RAW, slot, len(chunk)) + chunk
    return out


def time_passes(tenths):
    out = b""
    while tenths > 0:
        out += op(TIME, 0, min(tenths, 255))
        tenths -= 255
    return out


def read(slot, n=None):
    if n is None:
        return op(READALL, slot) + struct.pack(">I", 0)
    return op(READN, slot) + struct.pack(">I", n)


def recorded(heads):
    """Each recorded head sent on a connection of its own, read, the connection left idle; a
    Prometheus scrape again after its interval (the idle timeout closed the first)."""
    seeds = {}
    for name, head in heads.items():
        prog = op(OPEN, 0) + raw(0, head) + read(0)
        if name.startswith("prom"):
            prog += time_passes(150) + op(OPEN, 0) + raw(0, head) + read(0)
        seeds["recorded-" + name] = prog + time_passes(60)
    return seeds


def hostile():
    seeds = {}
    seeds["pipelined"] = (op(OPEN, 0) + op(WHOLE, 0, GET_METRICS) + op(WHOLE, 0, NOT_FOUND) +
                          op(WHOLE, 0, HEAD_METRICS) + op(WHOLE, 0, GET_HEALTH) + read(0))
    seeds["slowloris"] = (op(OPEN, 0) + op(OPEN, 1) + op(SPLIT, 0, PROMETHEUS, 5) +
                          time_passes(20) + op(SPLIT, 1, GET_HEALTH, 30) + time_passes(20) +
                          op(REST, 1) + read(1) + time_passes(40) + op(REST, 0))
    seeds["idle-flood"] = (b"".join(op(OPEN, i % 4) for i in range(70)) +
                           op(WHOLE, 3, CURL) + read(3) + time_passes(60))
    seeds["never-read"] = (op(BODY, 0, BODY_70000) + op(OPEN, 0) + op(WHOLE, 0, GET_METRICS) +
                           read(0, 1000) + time_passes(120) + op(OPEN, 0) +
                           op(WHOLE, 0, GET_HEALTH) + read(0))
    seeds["output-budget"] = (op(BODY, 0, BODY_MAX) +
                              b"".join(op(OPEN, i) + op(WHOLE, i, GET_METRICS) for i in range(5)) +
                              b"".join(read(i) for i in range(5)) + op(BODY, 0, BODY_OVER) +
                              op(WHOLE, 0, GET_METRICS) + read(0))
    seeds["bodies-and-errors"] = (op(OPEN, 0) + op(WHOLE, 0, POST_BODY) + op(WHOLE, 0, LF_ONLY) +
                                  op(WHOLE, 0, BLANK_FIRST) + op(WHOLE, 0, CHUNKED) + read(0) +
                                  op(END, 0) + op(OPEN, 1) + op(WHOLE, 1, HTTP2) + read(1) +
                                  op(OPEN, 2) + op(WHOLE, 2, NO_HOST) + read(2))
    seeds["head-too-large"] = (op(OPEN, 0) + raw(0, b"GET /metrics HTTP/1.1\r\n" +
                                                  b"X-Filler: " + b"a" * 8300) + read(0))
    seeds["line-too-long"] = op(OPEN, 0) + raw(0, b"GET /" + b"m" * 2100) + read(0)
    seeds["close-and-linger"] = (op(OPEN, 0) + op(WHOLE, 0, HTTP10) + read(0) + op(END, 0) +
                                 op(OPEN, 1) + op(WHOLE, 1, CLOSE) + read(1) + time_passes(30) +
                                 op(OPEN, 2) + op(WHOLE, 2, HTTP10_KEEP) + read(2) + op(FAIL, 2))
    seeds["failing-and-no-fds"] = (op(MISC, 1) + op(MISC, 0) + op(OPEN, 0) +
                                   op(WHOLE, 0, GET_HEALTH) + read(0) + op(MISC, 0) +
                                   op(WHOLE, 0, WGET) + read(0))
    return seeds


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    heads = {}
    for f in sorted(os.listdir(argv[1])):
        if f.endswith(".bin"):
            with open(os.path.join(argv[1], f), "rb") as h:
                heads[f[:-4]] = h.read()
    if not heads:
        print("http-corpus: no recorded heads in %s" % argv[1], file=sys.stderr)
        return 1
    os.makedirs(argv[2], exist_ok=True)
    seeds = recorded(heads)
    seeds.update(hostile())
    for name, prog in sorted(seeds.items()):
        with open(os.path.join(argv[2], name), "wb") as f:
            f.write(prog)
    print("http-corpus: %d seeds (%d recorded) in %s" % (len(seeds), len(heads), argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
