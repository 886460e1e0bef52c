#!/usr/bin/python3
"""A slow upload target for the push tests: a TEST DOUBLE of a registry's upload side that
takes in blob bodies slowly (1 KiB every 50 ms), so that a test can act while a layer is
being pushed. It answers GET /v2/, says it has no blob (HEAD 404), starts upload sessions
(POST 202 with a Location), takes blobs (PUT, slowly, 201) and manifests (PUT, 201). It
keeps nothing. The real registries of the world cannot be made slow; this stands in for
them only in the test of a push whose client goes away.

Binds to 127.0.0.1 only.   Usage: slow-upload-registry.py PORT
"""
import http.server
import sys
import time
import uuid

PORT = int(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("slow-upload-registry: " + fmt % args + "\n")
        sys.stderr.flush()

    def reply(self, code, headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.reply(200 if self.path == "/v2/" else 404)

    def do_HEAD(self):
        self.reply(404)

    def do_POST(self):
        repo = self.path[len("/v2/"):].split("/blobs/uploads/")[0]
        self.reply(202, {"Location": "/v2/%s/blobs/uploads/%s" % (repo, uuid.uuid4().hex)})

    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        if self.headers.get("Expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        slow = "/blobs/uploads/" in self.path
        got = 0
        try:
            while got < n:
                b = self.rfile.read(min(1024, n - got))
                if not b:
                    return
                got += len(b)
                if slow:
                    time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            return
        self.reply(201)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
