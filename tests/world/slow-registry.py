#!/usr/bin/python3
"""A slow registry for the pull helper's tests: a TEST DOUBLE that proxies a real registry
(UPSTREAM) and, for repositories named slow-NAME, sends the first GET of each blob of NAME
slowly (8 KiB every 50 ms), so that a test can act while a layer is being downloaded. Every
later GET of the same blob, and everything else, goes through at full speed.

Binds to 127.0.0.1 only.   Usage: slow-registry.py PORT UPSTREAM_HOST:PORT
"""
import http.client
import http.server
import sys
import threading
import time

PORT, UPSTREAM = int(sys.argv[1]), sys.argv[2]
seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("slow-registry: " + fmt % args + "\n")
        sys.stderr.flush()

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        parts = p.split("/")
        slow = False
        if len(parts) >= 5 and parts[1] == "v2" and parts[2].startswith("slow-"):
            name = parts[2][len("slow-"):]
            if parts[3] == "blobs" and self.command == "GET":
                with lock:
                    slow = p not in seen
                    seen.add(p)
            p = p.replace("/v2/slow-" + name + "/", "/v2/" + name + "/", 1)
        c = http.client.HTTPConnection(UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "range")}
        c.request(self.command, p, headers=headers)
        r = c.getresponse()
        body = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("content-type", "docker-content-digest", "content-range",
                             "accept-ranges"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if not slow:
            self.wfile.write(body)
            return
        try:
            for i in range(0, len(body), 8192):
                self.wfile.write(body[i:i + 8192])
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
