#!/usr/bin/env python3
"""Writes the seed corpus of the redis fuzz target (fuzz/fuzz_redis.c) from real traffic.

A private redis-server is started and asked, over a raw socket, what the daemon asks of Redis
(SELECT, HSET, HGETALL, KEYS, EXISTS, HGET, INFO server, SCRIPT LOAD, EVALSHA, CONFIG GET
notify-keyspace-events, PSUBSCRIBE, a keyspace notification); the bytes it answers are recorded
as they came. Each seed is a program of the harness: honest answers from the simulator's model
(start-up, link changes, time) with, at chosen points, one recorded server reply fed raw,
dripped, or where no command waits for it. Usage: tools/redis-corpus.py [OUT_DIR]
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

OUT = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/redis"
# harness operations (fuzz_redis.c step()): each step is a database byte, then an op byte
ANSWER, DRIP, CANNED, RAW, CLOSE, LINK, TIME, CONSUME, ALL = 0, 2, 3, 4, 5, 6, 7, 8, 9
CONFIG, APPL, STATE = 0, 1, 2


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def record(sock_path):
    """The server's raw answers to the daemon's kinds of commands, in order."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    sub = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sub.connect(sock_path)
    got = {}

    def ask(name, *args, conn=s):
        conn.sendall(resp(*args))
        time.sleep(0.05)
        got[name] = conn.recv(1 << 20)

    ask("select", "SELECT", "6")
    ask("hset", "HSET", "PORT_TABLE|Ethernet0", "state", "ok", "mtu", "9100")
    ask("hgetall", "HGETALL", "PORT_TABLE|Ethernet0")
    ask("keys", "KEYS", "PORT_TABLE|*")
    ask("exists", "EXISTS", "PORT_TABLE|Ethernet0")
    ask("hget_nil", "HGET", "LOGGER|portsyncd", "LOGLEVEL")
    ask("info", "INFO", "server")
    ask("script", "SCRIPT", "LOAD", "return nil")
    ask("evalsha_missing", "EVALSHA", "0" * 40, "0")
    ask("config_get", "CONFIG", "GET", "notify-keyspace-events", conn=sub)
    ask("psubscribe", "PSUBSCRIBE", "__keyspace@6__:PORT_TABLE|*", conn=sub)
    s.sendall(resp("HSET", "PORT_TABLE|Ethernet4", "state", "ok"))
    time.sleep(0.05)
    s.recv(1 << 16)
    got["pmessage"] = sub.recv(1 << 16)
    return got


def program(*steps):
    return bytes(b for step in steps for b in step)


def seeds(replies):
    startup = [(CONFIG, ALL)] * 6 + [(APPL, CONSUME), (STATE, ALL)]
    flaps = []
    for bits in (0x0C, 0x00, 0x1C, 0x4C, 0x01):  # up, down, another port, a dump, a delete
        flaps += [(STATE, LINK, bits), (STATE, ALL)]
    flaps += [(STATE, TIME, 60), (STATE, ALL)]
    yield "honest", program(*startup, *flaps)
    yield "honest-dripping", program(*[(db, DRIP, 1) for db in (0, 1, 2) for _ in range(30)],
                                     *flaps)
    for name, raw in sorted(replies.items()):
        raw = raw[:255]
        for db in (CONFIG, APPL, STATE):
            # a real reply where a command waits for another kind, or none waits at all
            yield "%s-db%d-midway" % (name, db), program(*startup, (db, RAW, len(raw)),
                                                         tuple(raw), *flaps)
            yield "%s-db%d-first" % (name, db), program((db, RAW, len(raw)), tuple(raw),
                                                        *startup)
    for canned in range(20):
        yield "canned-%02d" % canned, program(*startup, (STATE, LINK, 0x0C),
                                              (STATE, CANNED, canned, 3), *flaps)
    yield "server-closes", program(*startup, (APPL, CLOSE), (STATE, LINK, 0x0C),
                                   (APPL, TIME, 50), (APPL, ALL), *flaps)


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "redis.sock")
        server = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", path,
                                   "--save", "", "--appendonly", "no",
                                   "--notify-keyspace-events", "AKE"],
                                  stdout=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if os.path.exists(path):
                    break
                time.sleep(0.05)
            replies = record(path)
        finally:
            server.terminate()
            server.wait()
    count = 0
    for name, data in seeds(replies):
        with open(os.path.join(OUT, "seed-" + name), "wb") as f:
            f.write(data)
        count += 1
    print("redis corpus: %d seeds in %s" % (count, OUT))


if __name__ == "__main__":
    main()
