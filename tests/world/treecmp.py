#!/usr/bin/python3
"""Compare two unpacked root filesystems entry by entry.

Per entry: type, mode (incl. setuid/setgid/sticky), owner, size, content hash, link
target, nlink, xattrs, device numbers, and the mtime of non-directories.

Usage: treecmp.py EXPECTED ACTUAL [--allow NAME=REASON ...]
  --allow extra-essential-dirs   ACTUAL may have /dev /proc /sys /tmp /run /etc /var
                                  /var/tmp /root that EXPECTED lacks (the flat rootfs adds them)
  --allow overlay-nlink          nlink may be higher in ACTUAL (overlayfs reports the lower
                                  inode's count when a link to it was whited out above)
Prints one line per difference; exits 1 if there is any not allowed.
"""
import hashlib
import os
import stat
import sys

ESSENTIAL = {"dev", "proc", "sys", "tmp", "run", "etc", "var", "var/tmp", "root"}


def xattrs(path):
    out = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return out
    for n in names:
        if n.startswith("trusted.overlay."):
            continue
        try:
            out[n] = os.getxattr(path, n, follow_symlinks=False)
        except OSError:
            pass
    return out


def describe(root):
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            e = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode),
                 "uid": st.st_uid, "gid": st.st_gid, "xattrs": xattrs(full)}
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                e.update(size=st.st_size, sha256=h.hexdigest(), nlink=st.st_nlink,
                         mtime=int(st.st_mtime))
            elif stat.S_ISLNK(st.st_mode):
                e.update(target=os.readlink(full), mtime=int(st.st_mtime))
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                e.update(rdev=(os.major(st.st_rdev), os.minor(st.st_rdev)),
                         mtime=int(st.st_mtime))
            elif stat.S_ISFIFO(st.st_mode):
                e.update(mtime=int(st.st_mtime))
            entries[os.fsencode(rel)] = e
    return entries


def main():
    args = sys.argv[1:]
    allow = set()
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--allow":
            allow.add(args[i + 1].split("=")[0])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    expected, actual = describe(rest[0]), describe(rest[1])
    bad = allowed = 0

    def report(msg, ok):
        nonlocal bad, allowed
        print(("allowed: " if ok else "DIFF: ") + msg)
        if ok:
            allowed += 1
        else:
            bad += 1

    for path in sorted(set(expected) | set(actual)):
        p = path.decode("utf-8", "backslashreplace")
        if path not in actual:
            report("missing in actual: %s" % p, False)
            continue
        if path not in expected:
            ok = ("extra-essential-dirs" in allow and p in ESSENTIAL and
                  actual[path]["type"] == stat.S_IFDIR)
            report("only in actual: %s" % p, ok)
            continue
        e, a = expected[path], actual[path]
        for k in sorted(set(e) | set(a)):
            if e.get(k) == a.get(k):
                continue
            ok = k == "nlink" and "overlay-nlink" in allow and a.get(k, 0) > e.get(k, 0)
            report("%s: %s expected %r, actual %r" % (p, k, e.get(k), a.get(k)), ok)
    print("%d entries compared, %d differences, %d allowed" % (len(expected), bad, allowed))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
