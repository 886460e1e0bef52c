#!/usr/bin/python3
"""Hand-made hostile layer tars for the unpack tests.

Usage: mktars.py DIR    writes one NAME.tar (or NAME.tar.gz) per case into DIR.
"""
import gzip
import io
import os
import sys
import tarfile

EPOCH = 946684800


def entry(name, kind=tarfile.REGTYPE, mode=0o644, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.mtime = EPOCH
    ti.uname = ti.gname = ""
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def write(path, entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for ti, data in entries:
            if data is not None:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return buf.getvalue()


def f(name, data=b"x\n", **kw):
    return (entry(name, **kw), data)


def d(name, **kw):
    return (entry(name, tarfile.DIRTYPE, mode=0o755, **kw), None)


def sym(name, target):
    return (entry(name, tarfile.SYMTYPE, mode=0o777, linkname=target), None)


def hard(name, target):
    return (entry(name, tarfile.LNKTYPE, linkname=target), None)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    p = lambda n: os.path.join(out, n)

    write(p("dotdot.tar"), [f("ok"), f("../escape")])
    write(p("dotdot-deep.tar"), [d("a"), f("a/../../escape")])
    write(p("absolute.tar"), [f("ok"), f("/abs-escape")])
    write(p("symlink-root.tar"), [sym("evil", "/"), f("evil/through-root")])
    write(p("symlink-dotdot.tar"), [sym("up", ".."), f("up/up/through-dotdot")])
    write(p("symlink-abs-dir.tar"), [sym("etc", "/etc"), f("etc/passwd", b"owned\n")])
    write(p("symlink-then-dir.tar"), [sym("x", "/"), d("x"), f("x/in-dir")])
    write(p("dir-then-symlink.tar"), [d("d"), f("d/f"), sym("d", "/"), f("d/after")])
    write(p("hardlink-outside.tar"), [f("ok"), hard("h", "../../etc/passwd")])
    write(p("hardlink-absolute.tar"), [f("ok"), hard("h", "/etc/passwd")])
    write(p("hardlink-symlink.tar"), [sym("s", "/etc/passwd"), hard("h", "s")])
    write(p("hardlink-missing.tar"), [hard("h", "not-in-this-layer")])
    write(p("hardlink-dir.tar"), [d("dir"), hard("h", "dir")])
    write(p("whiteout-dotdot.tar"), [(entry(".wh..."), b"")])
    write(p("whiteout-dot.tar"), [(entry(".wh.."), b"")])
    write(p("whiteout-symlink.tar"), [sym("link", "/etc"), (entry("link/.wh.passwd"), b"")])
    write(p("opaque-symlink.tar"), [sym("link", "/etc"), (entry("link/.wh..wh..opq"), b"")])
    write(p("device.tar"), [(entry("null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
                             None)])
    deep = "/".join(["a"] * 10000)
    write(p("deep.tar"), [f(deep + "/file")])
    write(p("names.tar"), [f("new\nline"), f("bad-\xff\xfe-utf8".encode("latin-1").decode(
        "utf-8", "surrogateescape")), f("tab\tand space ")])

    good = write(p("truncated-src.tar"), [f("first", b"1" * 2048), f("second", b"2" * 100000)])
    with open(p("truncated.tar"), "wb") as fh:
        fh.write(good[: 512 * 6 + 3000])  # in the middle of "second"'s data
    os.unlink(p("truncated-src.tar"))

    # a header that promises more data than follows, then nothing
    hdr = entry("big")
    hdr.size = 1 << 20
    raw = hdr.tobuf(tarfile.USTAR_FORMAT)
    with open(p("size-larger.tar"), "wb") as fh:
        fh.write(raw + b"z" * 10240)

    # a gzip bomb: 200 MB of zeros in one file, about 200 KB compressed
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as t:
            ti = entry("zeros")
            ti.size = 200 * 1024 * 1024

            class Zeros(io.RawIOBase):
                left = ti.size

                def readable(self):
                    return True

                def readinto(self, b):
                    n = min(len(b), self.left)
                    b[:n] = bytes(n)
                    self.left -= n
                    return n
            t.addfile(ti, io.BufferedReader(Zeros(), 1 << 20))
    with open(p("bomb.tar.gz"), "wb") as fh:
        fh.write(bomb.getvalue())

    # layers for the flat path: a lower one, then one that whites out and replaces
    write(p("lower.tar"), [d("keep"), f("keep/a"), d("gone"), f("gone/x"), d("opq"),
                           f("opq/old1"), f("opq/old2"), f("file-to-dir"), d("dir-to-file"),
                           f("dir-to-file/inner"), sym("link", "keep")])
    write(p("upper.tar"), [(entry(".wh.gone"), b""), d("opq"), f("opq/new"),
                           (entry("opq/.wh..wh..opq"), b""), d("file-to-dir"),
                           f("file-to-dir/now-a-dir"), f("dir-to-file", b"now a file\n"),
                           (entry("keep/.wh.missing"), b""), f("link/through-link")])


if __name__ == "__main__":
    main()
