#!/usr/bin/python3
"""Hand-made hostile layer tars for the unpack tests, and decompression bombs.

Usage: mktars.py DIR    writes one NAME.tar (or NAME.tar.gz) per case into DIR.
       mktars.py bomb --registry URL --name REPO --size BYTES [--byte 0|a|...] [--random]
                        builds a one-file image (a file of SIZE bytes, all BYTE) and pushes it
                        as REPO:latest; the layer is made by streaming, never held (or written)
                        uncompressed. --random: incompressible data instead, as a plain tar.
"""
import argparse
import gzip
import hashlib
import io
import json
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


def d(name, mode=0o755, **kw):
    return (entry(name, tarfile.DIRTYPE, mode=mode, **kw), None)


def sym(name, target):
    return (entry(name, tarfile.SYMTYPE, mode=0o777, linkname=target), None)


def hard(name, target):
    return (entry(name, tarfile.LNKTYPE, linkname=target), None)


def bomb_layer(name, size, byte, random_data=False):
    """A layer of one file: (blob, diff id, media type). gzip'd by repeating one gzip member
    of CHUNK bytes (members may be concatenated, RFC 1952): 20 GiB of zeros take seconds."""
    chunk_size = 64 << 20
    ti = entry(name)
    ti.size = size
    header = ti.tobuf(tarfile.PAX_FORMAT)  # a size past 8 GiB needs a PAX record
    pad = (512 - size % 512) % 512
    trailer = bytes(pad + 1024)
    h = hashlib.sha256(header)
    if random_data:
        data = os.urandom(size)
        h.update(data)
        h.update(trailer)
        return header + data + trailer, "sha256:" + h.hexdigest(), \
            "application/vnd.oci.image.layer.v1.tar"
    out = io.BytesIO()
    out.write(gzip.compress(header, mtime=0))
    chunk = bytes([byte]) * chunk_size
    member = gzip.compress(chunk, compresslevel=9, mtime=0)
    left = size
    while left >= chunk_size:
        out.write(member)
        h.update(chunk)
        left -= chunk_size
    if left:
        out.write(gzip.compress(chunk[:left], compresslevel=9, mtime=0))
        h.update(chunk[:left])
    out.write(gzip.compress(trailer, mtime=0))
    h.update(trailer)
    return out.getvalue(), "sha256:" + h.hexdigest(), \
        "application/vnd.oci.image.layer.v1.tar+gzip"


def push_bomb(argv):
    ap = argparse.ArgumentParser(prog="mktars.py bomb")
    ap.add_argument("--registry", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--byte", default="0", help="0 or one character")
    ap.add_argument("--file", default="bomb", help="the file's name in the layer")
    ap.add_argument("--random", action="store_true")
    a = ap.parse_args(argv)
    byte = 0 if a.byte == "0" else ord(a.byte)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import mkimages  # the registry client and media types of the test images

    blob, diff_id, mt = bomb_layer(a.file, a.size, byte, a.random)
    config = json.dumps({
        "created": "2000-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": mkimages.MT["oci_manifest"],
        "config": {"mediaType": mkimages.MT["oci_config"], "digest": mkimages.sha(config),
                   "size": len(config)},
        "layers": [{"mediaType": mt, "digest": mkimages.sha(blob), "size": len(blob)}],
    }, sort_keys=True).encode()
    reg = mkimages.Registry(a.registry)
    reg.push_blob(a.name, mkimages.sha(blob), blob)
    reg.push_blob(a.name, mkimages.sha(config), config)
    reg.push_manifest(a.name, "latest", mkimages.MT["oci_manifest"], manifest)
    print("pushed %s:latest %s (layer %d bytes, %d uncompressed)" % (
        a.name, mkimages.sha(manifest), len(blob), a.size))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "bomb":
        return push_bomb(sys.argv[2:])
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    p = lambda n: os.path.join(out, n)

    write(p("dotdot.tar"), [f("ok"), f("../escape")])
    write(p("dotdot-deep.tar"), [d("a"), f("a/../../escape")])
    write(p("absolute.tar"), [f("ok"), f("/abs-escape")])
    # the root entry, as Python's tarfile (add("/", ...)) and GNU tar (-C dir .) write it,
    # mode and owner that must not reach the target's own directory; leading slashes
    root_meta = dict(mode=0o700, uid=4321, gid=4321)
    write(p("root-slash.tar"), [d("/", **root_meta), d("/etc"), f("/etc/passwd", b"root\n"),
                                f("//etc//group", b"group\n"), f("///top")])
    write(p("root-dot-slash.tar"), [d("./", **root_meta), d("./etc"),
                                    f("./etc/passwd", b"root\n"), f("./top")])
    # tarfile writes a directory "." as "./": patch the name to a bare "."
    raw = bytearray(entry("./", tarfile.DIRTYPE, **root_meta).tobuf(tarfile.USTAR_FORMAT))
    raw[0:100] = b".".ljust(100, b"\0")
    raw[148:156] = b" " * 8
    raw[148:156] = b"%06o\0 " % sum(raw)
    rest = write(p("root-dot.tar"), [f("top")])
    with open(p("root-dot.tar"), "wb") as fh:
        fh.write(bytes(raw) + rest)
    write(p("root-file.tar"), [f("/", b"not a directory\n")])
    write(p("dotdot-inside.tar"), [d("a"), f("a/../b", b"b\n"), f("/c/./d/../e", b"e\n")])
    write(p("dotdot-absolute.tar"), [f("ok"), f("/../escape")])
    write(p("hardlink-absolute-ok.tar"), [d("/etc"), f("/etc/passwd", b"root\n"),
                                          hard("/etc/passwd-link", "/etc/passwd"),
                                          hard("h", "//etc/./passwd")])
    write(p("hardlink-dotdot-absolute.tar"), [f("ok"), hard("h", "/../etc/passwd")])
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
    # the same with absolute names, as some builders write them
    write(p("upper-absolute.tar"), [(entry("/.wh.gone"), b""), d("/opq"), f("/opq/new"),
                                    (entry("/opq/.wh..wh..opq"), b""),
                                    (entry("/keep/.wh.a"), b"")])


if __name__ == "__main__":
    main()
