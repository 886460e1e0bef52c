#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The host side of `ross-init --krun --channel-dir DIR`, for tests/vm/guest-krun.sh: what
Ross's krun shim is to ross-init under libkrun, with unix sockets where libkrun would join
vsock ports to them (src/vm/proto.h).

  krunctl.py DIR [--stdin TEXT] [--tty] [STEP...] -- COMMAND...

Listens on DIR/ctl.sock, out.sock, err.sock and in.sock, starts COMMAND (which runs
ross-init), takes the connections ross-init makes, runs the STEPs (vmctl.py's) on the control
channel, and waits for session 0's EXIT (or FAILED), the channel's end and COMMAND's exit.
--stdin: TEXT (Python escapes) is written on in.sock, which is then closed (at once
without it). --tty: a pty stands for the shim's, which libkrun makes the guest's console:
COMMAND's stdin is its other side, whose path is in $KRUN_TTY. Prints each frame as vmctl.py
does, then "BYTES ...", "OUT <bytes>" and "ERR <bytes>" (what came on out.sock and err.sock,
as Python literals), "TTY <bytes>" (what came on the pty), "CONNECTED <names>" (the sockets
ross-init connected to) and "STATUS N" (COMMAND's exit status, 128+N for a signal N).
COMMAND's own stdout and stderr (ross-init's console) go to DIR/console.log. Exits 1 when
something did not come.
"""
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmctl  # noqa: E402

TIMEOUT = 30


class Listener:
    """One unix socket, its one connection and (for out and err) what came on it."""

    def __init__(self, path, stdin_text=None):
        self.path = path
        self.closing = False
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(TIMEOUT)
        self.conn = None
        self.data = b""
        self.done = threading.Event()
        self.stdin_text = stdin_text

    def accept(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return None
        if self.closing:
            conn.close()
            return None
        conn.settimeout(None)
        self.conn = conn
        return conn

    def close(self):
        """Stop waiting for ross-init (a connection of our own wakes the accept)."""
        self.closing = True
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(self.path)
        except OSError:
            pass

    def collect(self):
        if self.accept():
            while True:
                chunk = self.conn.recv(65536)
                if not chunk:
                    break
                self.data += chunk
        self.done.set()

    def feed(self):
        if self.accept():
            if self.stdin_text:
                self.conn.sendall(self.stdin_text)
            self.conn.close()
        self.done.set()


def read_pty(fd, out):
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""  # EIO: nobody has the other side open any more
        if not chunk:
            return
        out.append(chunk)


def main():
    args = sys.argv[1:]
    if "--" not in args or not args:
        sys.exit(__doc__)
    at = args.index("--")
    opts, command = args[:at], args[at + 1:]
    d = opts.pop(0)
    stdin_text = None
    if opts[:1] == ["--stdin"]:
        stdin_text = opts[1].encode().decode("unicode_escape").encode()
        opts = opts[2:]
    tty = opts[:1] == ["--tty"]
    if tty:
        opts = opts[1:]
    steps = opts

    ctl = Listener(os.path.join(d, "ctl.sock"))
    out = Listener(os.path.join(d, "out.sock"))
    err = Listener(os.path.join(d, "err.sock"))
    inp = Listener(os.path.join(d, "in.sock"), stdin_text)
    for fn in (out.collect, err.collect, inp.feed):
        threading.Thread(target=fn, daemon=True).start()

    stdin = subprocess.DEVNULL
    env = dict(os.environ)
    tty_out = []
    if tty:
        master, stdin = os.openpty()
        env["KRUN_TTY"] = os.ttyname(stdin)
        reader = threading.Thread(target=read_pty, args=(master, tty_out), daemon=True)
        reader.start()
    with open(os.path.join(d, "console.log"), "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=log, stdin=stdin, env=env)
    if tty:
        os.close(stdin)
    problem = None
    conn = ctl.accept()
    if conn is None:
        problem = "ross-init did not connect to ctl.sock"
    else:
        c = vmctl.Client(sock=conn)
        vmctl.run_steps(c, steps)
        problem = c.wait_end(TIMEOUT)
    try:
        status = proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
        problem = problem or "COMMAND did not exit"
    # the sockets nobody connected to end here
    for lst in (out, err, inp):
        if not lst.done.wait(0.2) and lst.conn is None:
            lst.close()
        lst.done.wait(5)
    if conn is not None:
        vmctl.print_totals(c)
    print("OUT %r" % out.data, flush=True)
    print("ERR %r" % err.data, flush=True)
    if tty:
        reader.join(5)
        print("TTY %r" % b"".join(tty_out), flush=True)
    names = [n for n, lst in (("ctl", ctl), ("out", out), ("err", err), ("in", inp))
             if lst.conn is not None]
    print("CONNECTED %s" % " ".join(names), flush=True)
    print("STATUS %d" % (status if status >= 0 else 128 - status), flush=True)
    if problem:
        print(problem, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
