#!/usr/bin/env python3
"""A Redis proxy that misbehaves on cue, for the integration tests.

Listens on a unix socket and relays each client connection to the real server's socket. Until
told otherwise it relays faithfully; signals change what it does:

  SIGUSR1  the next time the server sends something to a connection that selected database
           INJECT_DB (an argument; any connection if none), "+OK\\r\\n" is written to that
           client first: a reply no command asked for (one injection per signal);
  SIGUSR2  lying on/off: while on, each command a client sends is answered ":1\\r\\n" at once
           and never reaches the server (an integer, whatever the command);
  SIGTERM  closes everything and exits.

Commands are counted by parsing what clients send (RESP arrays of bulk strings, or inline
commands), so a lie answers each command exactly once. Every connection and every injection is
logged to stdout, one line each. Usage: redis-proxy.py LISTEN_PATH SERVER_PATH [INJECT_DB]
"""
import os
import selectors
import signal
import socket
import sys

LISTEN, SERVER = sys.argv[1], sys.argv[2]
INJECT_DB = sys.argv[3] if len(sys.argv) > 3 else None
state = {"inject": 0, "lie": False}


def commands_in(buf):
    """How many complete commands buf holds, and the bytes they take."""
    count, pos = 0, 0
    while pos < len(buf):
        if buf[pos:pos + 1] != b"*":  # an inline command: one line
            end = buf.find(b"\r\n", pos)
            if end < 0:
                break
            pos, count = end + 2, count + 1
            continue
        end = buf.find(b"\r\n", pos)
        if end < 0:
            break
        n, p, complete = int(buf[pos + 1:end]), end + 2, True
        for _ in range(n):
            e = buf.find(b"\r\n", p)
            if e < 0:
                complete = False
                break
            length = int(buf[p + 1:e])
            p = e + 2 + length + 2
            if p > len(buf):
                complete = False
                break
        if not complete:
            break
        pos, count = p, count + 1
    return count, pos


class Pair:
    def __init__(self, client, sel):
        self.client = client
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.connect(SERVER)
        self.pending = b""
        self.first = b""  # what the client said first: its SELECT, on a data connection
        self.sel = sel
        sel.register(client, selectors.EVENT_READ, self.from_client)
        sel.register(self.server, selectors.EVENT_READ, self.from_server)

    def close(self):
        for s in (self.client, self.server):
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()

    def targeted(self):
        if INJECT_DB is None:
            return True
        want = b"SELECT\r\n$%d\r\n%s\r\n" % (len(INJECT_DB), INJECT_DB.encode())
        return want in self.first

    def from_client(self):
        data = self.client.recv(65536)
        if not data:
            self.close()
            return
        if len(self.first) < 64:
            self.first += data[:64]
        if not state["lie"]:
            self.server.sendall(data)
            return
        self.pending += data
        count, used = commands_in(self.pending)
        self.pending = self.pending[used:]
        if count:
            self.client.sendall(b":1\r\n" * count)
            print("lied to %d commands" % count, flush=True)

    def from_server(self):
        data = self.server.recv(65536)
        if not data:
            self.close()
            return
        if state["inject"] > 0 and self.targeted():
            state["inject"] -= 1
            data = b"+OK\r\n" + data
            print("injected a stray reply", flush=True)
        self.client.sendall(data)


def main():
    sel = selectors.DefaultSelector()
    if os.path.exists(LISTEN):
        os.unlink(LISTEN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(LISTEN)
    listener.listen(64)
    pairs = []

    def accept():
        client, _ = listener.accept()
        try:
            pairs.append(Pair(client, sel))
        except OSError as e:  # the server is away: the client sees its connection closed
            client.close()
            print("server away: %s" % e, flush=True)
            return
        print("connection %d" % len(pairs), flush=True)

    sel.register(listener, selectors.EVENT_READ, accept)
    signal.signal(signal.SIGUSR1, lambda *_: state.update(inject=state["inject"] + 1))
    signal.signal(signal.SIGUSR2, lambda *_: state.update(lie=not state["lie"]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            try:
                key.data()
            except OSError:
                pass


if __name__ == "__main__":
    main()
