#!/usr/bin/env python3
"""Run a command on a real pseudo-terminal and drive it like a user would.

usage: ptydrive.py [--rows R --cols C] COMMAND [ARG...] < SCRIPT

SCRIPT has one step per line:
  expect TEXT     wait (up to 20 s) until TEXT has appeared in the output since the last
                  expect (\\r \\n \\xNN escapes allowed)
  send TEXT       type TEXT (same escapes)
  resize R C      change the terminal's size (the command gets SIGWINCH)
  sleep SECONDS
The command's output goes to stdout; the exit line "[exit N]" follows. Exits 3 when an
expect times out (printing what was seen), 4 when the command does not end in 20 s.
"""
import codecs
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

args = sys.argv[1:]
rows, cols = 24, 80
while args and args[0] in ("--rows", "--cols"):
    if args[0] == "--rows":
        rows = int(args[1])
    else:
        cols = int(args[1])
    args = args[2:]
steps = [l.rstrip("\n") for l in sys.stdin if l.strip()]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)


def set_size(r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))


set_size(rows, cols)
out = b""
mark = 0
alive = True


def read_some(timeout):
    global out, alive
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return
    try:
        data = os.read(fd, 65536)
    except OSError:
        data = b""
    if not data:
        alive = False
    out += data


def unescape(s):
    return codecs.decode(s, "unicode_escape").encode("latin-1")


for step in steps:
    verb, _, arg = step.partition(" ")
    if verb == "expect":
        want = unescape(arg)
        end = time.time() + 20
        while want not in out[mark:]:
            if time.time() > end or not alive:
                sys.stdout.write(out.decode(errors="replace"))
                print("\n[timeout waiting for %r]" % arg)
                os.kill(pid, signal.SIGKILL)
                sys.exit(3)
            read_some(0.1)
        mark = out.index(want, mark) + len(want)
    elif verb == "send":
        os.write(fd, unescape(arg))
    elif verb == "resize":
        r, c = arg.split()
        set_size(int(r), int(c))
        os.kill(pid, signal.SIGWINCH)
    elif verb == "sleep":
        end = time.time() + float(arg)
        while time.time() < end:
            read_some(max(0, end - time.time()))
    else:
        sys.exit("ptydrive.py: unknown step %r" % step)

end = time.time() + 20
while alive and time.time() < end:
    read_some(0.2)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        read_some(0.1)
        break
else:
    if alive:
        sys.stdout.write(out.decode(errors="replace"))
        print("\n[the command did not end]")
        os.kill(pid, signal.SIGKILL)
        sys.exit(4)
    done, st = os.waitpid(pid, 0)
if not done:
    _, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("\n[exit %d]" % os.waitstatus_to_exitcode(st))
