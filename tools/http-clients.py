#!/usr/bin/env python3
"""Clients that misbehave, for the metrics listener's integration tests, and a recorder of what
real clients send (tools/record-http-corpus.sh).

  http-clients.py hold PORT COUNT SECONDS [SOURCE]
      COUNT idle connections (no byte sent) held for SECONDS; one the server closes is opened
      again REOPEN_S later. Prints "held COUNT: N connects, M closed by the server".
  http-clients.py slowloris PORT COUNT SECONDS INTERVAL
      COUNT connections each sending a request head a byte every INTERVAL seconds, never
      finishing it; one the server closes is opened again REOPEN_S later. Prints the same line.
  http-clients.py pipeline PORT TARGET...
      one connection, one write holding a GET of each TARGET; prints each response's status,
      Content-Type and Content-Length on a line, in the order read.
  http-clients.py noread PORT COUNT SECONDS
      COUNT connections with a small receive buffer, each sending one GET /metrics, nothing
      read for SECONDS; then prints for each "closed by the server after B bytes" or "still
      open after B bytes".
  http-clients.py record PORT PREFIX SECONDS
      accepts connections on 127.0.0.1:PORT for SECONDS, writes each request head received to
      PREFIX-N.bin and answers it with a small exposition.

Every mode runs inside the test's network namespace (ip netns exec) against 127.0.0.1.
"""
import selectors
import socket
import sys
import time

HEAD = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n"
REOPEN_S = 0.2  # a connection the server closed is opened again this much later


def connect(port, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        s.bind((source, 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    return s


def held(port, count, seconds, source=None, interval=None):
    """Keeps count connections open (dripping HEAD when interval is set) for seconds."""
    sel = selectors.DefaultSelector()
    conns = {}
    reopen = []
    stats = {"connects": 0, "closed": 0}

    def open_one(offset):
        s = connect(port, source)
        stats["connects"] += 1
        conns[s] = {"sent": 0, "next": time.monotonic() + offset}
        sel.register(s, selectors.EVENT_READ)

    for i in range(count):
        open_one((interval or 0) * i / count)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:  # closed by the server (or refused): open another
                sel.unregister(s)
                s.close()
                del conns[s]
                stats["closed"] += 1
                reopen.append(time.monotonic() + REOPEN_S)
        while reopen and reopen[0] <= time.monotonic():
            reopen.pop(0)
            open_one(0)
        if interval is None:
            continue
        now = time.monotonic()
        for s, st in list(conns.items()):
            if now >= st["next"] and st["sent"] < len(HEAD):
                try:
                    s.send(HEAD[st["sent"]:st["sent"] + 1])
                    st["sent"] += 1
                except OSError:
                    pass  # seen as closed on the next read
                st["next"] = now + interval
    for s in conns:
        s.close()
    print("held %d: %d connects, %d closed by the server" % (count, stats["connects"],
                                                             stats["closed"]))


def pipeline(port, targets):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"".join(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % t.encode()
                       for t in targets))
    buf = b""
    for _ in targets:
        while b"\r\n\r\n" not in buf:
            data = s.recv(65536)
            if not data:
                print("closed before every response came")
                return 1
            buf += data
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:])
        length = int(fields["Content-Length"])
        while len(buf) < length:
            data = s.recv(65536)
            if not data:
                print("closed in the middle of a body")
                return 1
            buf += data
        buf = buf[length:]
        print(lines[0].split(" ")[1], fields["Content-Type"], length)
    s.close()
    return 0


def noread(port, count, seconds):
    conns = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        conns.append(s)
    time.sleep(seconds)
    for s in conns:
        got = 0
        s.settimeout(2)
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    print("closed by the server after %d bytes" % got)
                    break
                got += len(data)
        except ConnectionResetError:
            print("closed by the server after %d bytes" % got)
        except socket.timeout:
            print("still open after %d bytes" % got)
        s.close()
    return 0


def record(port, prefix, seconds):
    body = b"# HELP up 1 when up\n# TYPE up gauge\nup 1\n"
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    srv.settimeout(0.2)
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        c.settimeout(2)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        with open("%s-%d.bin" % (prefix, n), "wb") as f:
            f.write(data)
        n += 1
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        c.close()
    print("recorded %d requests" % n)
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, port = argv[1], int(argv[2])
    if mode == "hold" and len(argv) in (5, 6):
        held(port, int(argv[3]), float(argv[4]), argv[5] if len(argv) == 6 else None)
        return 0
    if mode == "slowloris" and len(argv) == 6:
        held(port, int(argv[3]), float(argv[4]), interval=float(argv[5]))
        return 0
    if mode == "pipeline" and len(argv) > 3:
        return pipeline(port, argv[3:])
    if mode == "noread" and len(argv) == 5:
        return noread(port, int(argv[3]), float(argv[4]))
    if mode == "record" and len(argv) == 5:
        return record(port, argv[3], float(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
