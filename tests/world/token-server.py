#!/usr/bin/python3
"""A Docker-Hub-style token server for the tests' token-auth registry.

GET /token?service=S&scope=repository:NAME:ACTIONS issues an RS256 JWT the distribution
registry accepts (x5c header chained to its rootcertbundle). Anonymous callers get pull
only; a caller with the right Basic credentials gets what it asks for (pull, push); wrong
credentials get 401. Binds to 127.0.0.1 only.

Usage: token-server.py PORT KEY.pem CERT.pem ISSUER USER:PASSWORD
"""
import base64
import http.server
import json
import sys
import time
import urllib.parse
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    port, key_path, cert_path, issuer, userpass = sys.argv[1:6]
    user, password = userpass.split(":", 1)
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(cert_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    def sign(claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + b64url(sig)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            sys.stderr.write("token-server: " + fmt % args + "\n")

        def reply(self, code, obj, extra=None):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            if u.path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND"}]})
            q = urllib.parse.parse_qs(u.query)
            authed = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    u_, p_ = base64.b64decode(auth[6:]).decode().split(":", 1)
                except Exception:
                    u_, p_ = "", ""
                if (u_, p_) != (user, password):
                    return self.reply(401, {"details": "incorrect username or password"},
                                      {"WWW-Authenticate": 'Basic realm="ross-test"'})
                authed = u_
            access = []
            for scope in q.get("scope", []):
                for one in scope.split(" "):
                    parts = one.split(":")
                    if len(parts) < 3 or parts[0] != "repository":
                        continue
                    name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
                    allowed = [a for a in actions if a == "pull" or (authed and a == "push")]
                    access.append({"type": "repository", "name": name, "actions": allowed})
            now = int(time.time())
            claims = {"iss": issuer, "sub": authed or "", "aud": q.get("service", [""])[0],
                      "exp": now + 300, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                      "access": access}
            tok = sign(claims)
            self.reply(200, {"token": tok, "access_token": tok, "expires_in": 300,
                             "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})

    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


if __name__ == "__main__":
    main()
