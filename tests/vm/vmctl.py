#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The host side of src/vm/proto.h, small, for tests/vm/guest-smoke.sh.

  vmctl.py config KEY=VALUE...        the config file (proto.h's format) on stdout
  vmctl.py modules MODDIR NAME...     the .ko files for NAMEs and what they need, in load order
  vmctl.py client SOCK STEP...        talk to the guest on the control socket: print each frame
                                      as a line, run the STEPs in order, then wait for session
                                      0's EXIT (or FAILED) and for the guest to go away

Steps: wait:TYPE:SESSION  signal:SESSION:SIG  resize:SESSION:ROWS:COLS  exec:SESSION:FILE
       stdin:SESSION:TEXT (Python escapes)  eof:SESSION  sleep:SECONDS  raw:HEX
       port:SOCKET:TEXT (connect to another chardev socket, send TEXT, close it)
The frame lines: "STARTED 0 123", "EXIT 1 5", "FAILED 3 127 'message'", "STDOUT 1 b'x\\n'"
(output frames past 200 bytes as "STDOUT 1 <N bytes>"); at the end "BYTES STDOUT 1 N" for each
session's output. With $T0 (seconds since the epoch, when QEMU was started) the EXIT of
session 0 also prints "ELAPSED seconds".
"""
import os
import socket
import struct
import sys
import threading
import time

SIGNAL, RESIZE, EXEC, STDIN, STDIN_EOF = 1, 2, 3, 4, 5
STARTED, FAILED, STDOUT, STDERR, EXIT, LOG = 16, 17, 18, 19, 20, 21
NAMES = {SIGNAL: "SIGNAL", RESIZE: "RESIZE", EXEC: "EXEC", STDIN: "STDIN",
         STDIN_EOF: "STDIN_EOF", STARTED: "STARTED", FAILED: "FAILED", STDOUT: "STDOUT",
         STDERR: "STDERR", EXIT: "EXIT", LOG: "LOG"}
BY_NAME = {v: k for k, v in NAMES.items()}


def escape(value: bytes) -> bytes:
    out = bytearray()
    for c in value:
        if c == 0x5C:
            out += b"\\\\"
        elif c == 0x0A:
            out += b"\\n"
        elif c < 0x20 or c == 0x7F:
            out += b"\\x%02x" % c
        else:
            out.append(c)
    return bytes(out)


def config(items):
    out = bytearray()
    for item in items:
        key, _, value = item.partition("=")
        out += key.encode() + b"=" + escape(os.fsencode(value)) + b"\n"
    return bytes(out)


def modules(moddir, names):
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            path, _, rest = line.partition(":")
            deps[path] = rest.split()
    by_name = {}
    for path in deps:
        base = os.path.basename(path).split(".ko")[0].replace("-", "_")
        by_name[base] = path
    builtin = set()
    try:
        with open(os.path.join(moddir, "modules.builtin")) as f:
            for line in f:
                builtin.add(os.path.basename(line.strip()).split(".ko")[0].replace("-", "_"))
    except FileNotFoundError:
        pass
    order = []

    def visit(path):
        if path in order:
            return
        for d in deps[path]:
            visit(d)
        order.append(path)

    for n in names:
        n = n.replace("-", "_")
        if n in by_name:
            visit(by_name[n])
        elif n not in builtin:
            sys.exit("vmctl: no module %s in %s" % (n, moddir))
    for path in order:
        print(os.path.join(moddir, path))


def frame(type_, session, payload=b""):
    return struct.pack(">B3xII", type_, len(payload) + 4, session) + payload


class Client:
    """The host's end of the control channel: connected to path, or sock as it is."""

    def __init__(self, path=None, sock=None):
        deadline = time.time() + 60
        while sock is None:
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(path)
            except OSError:
                sock.close()
                sock = None
                if time.time() > deadline:
                    raise
                time.sleep(0.02)
        self.sock = sock
        self.frames = []
        self.cond = threading.Condition()
        self.closed = False
        self.t0 = float(os.environ["T0"]) if os.environ.get("T0") else None
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.cond:
                    self.closed = True
                    self.cond.notify_all()
                return
            buf += data
            while len(buf) >= 8:
                type_, n = struct.unpack(">B3xI", buf[:8])
                if len(buf) < 8 + n:
                    break
                session = struct.unpack(">I", buf[8:12])[0]
                payload = buf[12:8 + n]
                buf = buf[8 + n:]
                self.show(type_, session, payload)
                with self.cond:
                    self.frames.append((type_, session, payload))
                    self.cond.notify_all()

    def show(self, type_, session, p):
        name = NAMES.get(type_, str(type_))
        if type_ in (STARTED, EXIT) and len(p) == 4:
            line = "%s %d %d" % (name, session, struct.unpack(">I", p)[0])
        elif type_ == FAILED and len(p) >= 4:
            line = "%s %d %d %r" % (name, session, struct.unpack(">I", p[:4])[0],
                                    p[4:].decode(errors="replace"))
        elif type_ == LOG:
            line = "%s %d %r" % (name, session, p.decode(errors="replace"))
        elif type_ in (STDOUT, STDERR) and len(p) > 200:
            line = "%s %d <%d bytes>" % (name, session, len(p))
        else:
            line = "%s %d %r" % (name, session, p)
        print(line, flush=True)
        if type_ == EXIT and session == 0 and self.t0 is not None:
            print("ELAPSED %.3f" % (time.time() - self.t0), flush=True)

    def wait(self, type_, session, timeout=120):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for t, s, _ in self.frames:
                    if t == type_ and s == session:
                        return True
                if self.closed or time.time() > deadline:
                    return False
                self.cond.wait(deadline - time.time())

    def wait_end(self, timeout=120):
        """None when session 0 ended and the guest went away, else what went wrong."""
        deadline = time.time() + timeout
        with self.cond:
            while True:
                if any(s == 0 and t in (EXIT, FAILED) for t, s, _ in self.frames):
                    break
                if self.closed:
                    return "ENDED without EXIT or FAILED for session 0"
                if time.time() > deadline:
                    return "TIMEOUT waiting for the end of session 0"
                self.cond.wait(deadline - time.time())
            # the guest powers off: QEMU's end closes the socket
            while not self.closed:
                if time.time() > deadline:
                    return "TIMEOUT waiting for the guest to go"
                self.cond.wait(deadline - time.time())
        return None

    def send(self, data):
        self.sock.sendall(data)


def run_steps(c, steps):
    """Run the STEPs (see the top) on the client c; exit 1 when a wait fails."""
    for step in steps:
        kind, _, rest = step.partition(":")
        args = rest.split(":") if rest else []
        if kind == "wait":
            if not c.wait(BY_NAME[args[0]], int(args[1])):
                print("TIMEOUT or END waiting for %s %s" % (args[0], args[1]), flush=True)
                sys.exit(1)
        elif kind == "signal":
            c.send(frame(SIGNAL, int(args[0]), struct.pack(">I", int(args[1]))))
        elif kind == "resize":
            c.send(frame(RESIZE, int(args[0]), struct.pack(">HH", int(args[1]), int(args[2]))))
        elif kind == "exec":
            with open(args[1], "rb") as f:
                c.send(frame(EXEC, int(args[0]), f.read()))
        elif kind == "stdin":
            text = rest.partition(":")[2]
            c.send(frame(STDIN, int(args[0]), text.encode().decode("unicode_escape").encode()))
        elif kind == "eof":
            c.send(frame(STDIN_EOF, int(args[0])))
        elif kind == "sleep":
            time.sleep(float(args[0]))
        elif kind == "raw":
            c.send(bytes.fromhex(args[0]))
        elif kind == "port":
            text = rest.partition(":")[2]
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as p:
                p.connect(args[0])
                p.sendall(text.encode().decode("unicode_escape").encode())
        else:
            sys.exit("vmctl: unknown step %s" % step)


def print_totals(c):
    totals = {}
    for t, s, p in c.frames:
        if t in (STDOUT, STDERR):
            totals[(t, s)] = totals.get((t, s), 0) + len(p)
    for (t, s), n in sorted(totals.items()):
        print("BYTES %s %d %d" % (NAMES[t], s, n), flush=True)


def client(path, steps):
    c = Client(path)
    run_steps(c, steps)
    problem = c.wait_end()
    print_totals(c)
    if problem:
        print(problem, flush=True)
        sys.exit(1)
    print("CLOSED", flush=True)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "config":
        sys.stdout.buffer.write(config(sys.argv[2:]))
    elif cmd == "modules":
        modules(sys.argv[2], sys.argv[3:])
    elif cmd == "client":
        client(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
