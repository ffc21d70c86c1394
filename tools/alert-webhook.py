#!/usr/bin/env python3
"""The receiving end of Alertmanager's webhook, for the integration tests.

Listens on ADDRESS:PORT; each POST's body (Alertmanager's JSON: status, alerts with their labels
and annotations), with "received_at" (the Unix time it came, in seconds) added, is appended to LOG
as one line, and answered 200. Anything that is not a JSON
object is answered 400 and logged as "bad: ...". Runs until killed. Usage:
alert-webhook.py ADDRESS PORT LOG
"""
import http.server
import json
import sys
import time

ADDRESS, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
BODY_MAX = 1 << 20


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(length, BODY_MAX))
        received_at = time.time()
        try:
            doc = json.loads(body)
            ok = isinstance(doc, dict)
            if ok:
                doc["received_at"] = received_at
        except ValueError:
            ok = False
        with open(LOG, "a", encoding="utf-8") as out:
            out.write((json.dumps(doc, sort_keys=True) if ok else "bad: %r" % body[:200]) + "\n")
        self.send_response(200 if ok else 400)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer((ADDRESS, PORT), Hook).serve_forever()
