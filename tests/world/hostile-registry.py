#!/usr/bin/python3
"""A hostile registry for the bad-input tests: a TEST DOUBLE, used only where the real
registry cannot be made to misbehave. It proxies to a real registry (UPSTREAM) and
injects faults by repository name:

  drop-NAME      proxies NAME, but the first GET of each blob sends half the bytes and
                 drops the connection (a broken download, to be resumed with Range)
  garbage        answers every manifest GET with bytes that are not JSON
  huge           answers the manifest with a 5 MiB document
  unknown-type   answers a manifest with an unknown media type
  redirect-NAME  proxies NAME, but blob GETs answer 307 to the same URL on the upstream
  flaky-NAME     proxies NAME, but the first GET of each blob answers 503 (to be retried)

Binds to 127.0.0.1 only.   Usage: hostile-registry.py PORT UPSTREAM_HOST:PORT
"""
import http.client
import http.server
import json
import sys
import threading

PORT, UPSTREAM = int(sys.argv[1]), sys.argv[2]
dropped = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("hostile-registry: " + fmt % args + "\n")

    def send(self, code, body, ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def proxy(self, path):
        c = http.client.HTTPConnection(UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "range")}
        c.request(self.command, path, headers=headers)
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        if p == "/v2/" or p == "/v2":
            return self.send(200, b"{}")
        parts = p.split("/")
        if len(parts) < 5 or parts[1] != "v2":
            return self.send(404, b'{"errors":[{"code":"NOT_FOUND","message":"not found"}]}')
        repo = parts[2]
        if repo == "garbage" and parts[3] == "manifests":
            return self.send(200, b"{this is : not json,,,", 
                             "application/vnd.oci.image.manifest.v1+json")
        if repo == "huge" and parts[3] == "manifests":
            doc = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "annotations": {"pad": "x" * (5 * 1024 * 1024)}, "layers": [],
                   "config": {}}
            return self.send(200, json.dumps(doc).encode(),
                             "application/vnd.oci.image.manifest.v1+json")
        if repo == "unknown-type" and parts[3] == "manifests":
            return self.send(200, b'{"schemaVersion": 2, "mediaType": "application/vnd.example.thing+json"}',
                             "application/vnd.example.thing+json")
        upstream_path = p
        mode = None
        for prefix in ("drop-", "redirect-", "flaky-"):
            if repo.startswith(prefix):
                mode = prefix
                upstream_path = p.replace("/v2/" + repo + "/", "/v2/" + repo[len(prefix):] + "/", 1)
        if mode == "flaky-" and parts[3] == "blobs" and self.command == "GET":
            with lock:
                first = p not in dropped
                dropped.add(p)
            if first:
                return self.send(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}')
        if mode == "redirect-" and parts[3] == "blobs":
            return self.send(307, b"", extra={"Location": "http://%s%s" % (UPSTREAM, upstream_path)})
        status, headers, body = self.proxy(upstream_path)
        hdrs = {k: v for k, v in headers if k.lower() in
                ("content-type", "docker-content-digest", "content-range", "accept-ranges")}
        if (mode == "drop-" and parts[3] == "blobs" and status == 200 and
                "Range" not in self.headers and self.command == "GET"):
            with lock:
                first = p not in dropped
                dropped.add(p)
            if first:
                self.send_response(200)
                for k, v in hdrs.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
        self.send_response(status)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
