#!/usr/bin/python3
"""Images whose layers are written by GNU tar or by Python's tarfile, as people write them.

Each layer is a tar of a directory tree made by builders.sh (mktree: the base tree; the
second tree holds what changed, with whiteouts as literal `.wh.NAME` and `.wh..wh..opq`
files). This script wraps the layers in an OCI image (config + manifest, written here) and
pushes it with the distribution API (monolithic blob upload, manifest PUT), so the registry
holds exactly the bytes written, with nothing re-compressed on the way.

Usage:
  tarimages.py push REGISTRY-URL REPO:TAG CMD-JSON LAYER...   LAYER: a tar, .tar.gz or .tar.zst
  tarimages.py tarfile STYLE TREE OUT.tar                      STYLE: dot | root | absolute
    dot       tarfile.add(TREE, arcname='.'):  './', './bin', ... (as `tar -C TREE .` writes)
    root      tarfile.add(TREE, arcname='/'):  an entry named '/' for the root itself, then
              'bin', 'bin/busybox', ... (tarfile strips the leading '/' from the children)
    absolute  every name with a leading '/': '/bin', '/bin/busybox', '/data/.wh.old.txt';
              hard links name their target absolutely too ('/data/hard1'); no root entry
"""
import gzip
import hashlib
import json
import os
import platform
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = {
    "tar": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
        "s390x": "s390x", "riscv64": "riscv64"}


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def uncompressed(data):
    if data[:2] == b"\x1f\x8b":
        return "gzip", gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        import subprocess
        out = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True)
        return "zstd", out.stdout
    return "tar", data


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        sys.exit("tarimages: %s %s: HTTP %d: %s" % (method, url, e.code, body[:400]))


def upload(base, repo, data):
    d = digest(data)
    if blob_exists(base, repo, d):
        return d
    _, headers, _ = request("POST", "%s/v2/%s/blobs/uploads/" % (base, repo), data=b"")
    loc = headers.get("Location") or headers.get("location")
    if not loc:
        sys.exit("tarimages: the registry gave no upload location for %s" % repo)
    loc = urllib.parse.urljoin(base + "/", loc)
    sep = "&" if "?" in loc else "?"
    request("PUT", "%s%sdigest=%s" % (loc, sep, d), data=data,
            headers={"Content-Type": "application/octet-stream"})
    return d


def blob_exists(base, repo, d):
    req = urllib.request.Request("%s/v2/%s/blobs/%s" % (base, repo, d), method="HEAD")
    try:
        with urllib.request.urlopen(req):
            return True
    except urllib.error.HTTPError:
        return False


def push(base, ref, cmd, layers):
    repo, tag = ref.rsplit(":", 1)
    descs, diff_ids = [], []
    for path in layers:
        with open(path, "rb") as f:
            blob = f.read()
        kind, raw = uncompressed(blob)
        diff_ids.append(digest(raw))
        descs.append({"mediaType": MT_LAYER[kind], "digest": upload(base, repo, blob),
                      "size": len(blob)})
    config = {
        "architecture": ARCH.get(platform.machine(), platform.machine()),
        "os": "linux",
        "config": {"Cmd": json.loads(cmd), "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "tarimages.py: %s" % p} for p in layers],
    }
    cblob = json.dumps(config, sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": upload(base, repo, cblob),
                   "size": len(cblob)},
        "layers": descs,
    }
    mblob = json.dumps(manifest, sort_keys=True).encode()
    request("PUT", "%s/v2/%s/manifests/%s" % (base, repo, tag), data=mblob,
            headers={"Content-Type": MT_MANIFEST})
    print("%s %s" % (ref, digest(mblob)))


def write_tarfile(style, tree, out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        if style == "dot":
            t.add(tree, arcname=".")
        elif style == "root":
            t.add(tree, arcname="/")
        elif style == "absolute":
            def absolute(ti):
                ti.name = "/" + ti.name.lstrip("/")
                if ti.islnk():
                    ti.linkname = "/" + ti.linkname.lstrip("/")
                return ti
            # the root's children one by one: no entry for the root itself, so that this
            # style tests the leading '/' alone (hard links are found across the calls)
            for name in sorted(os.listdir(tree)):
                t.add(os.path.join(tree, name), arcname=name, filter=absolute)
        else:
            sys.exit("tarimages: unknown tarfile style %r (dot, root, absolute)" % style)


def main():
    a = sys.argv[1:]
    if len(a) >= 5 and a[0] == "push":
        push(a[1].rstrip("/"), a[2], a[3], a[4:])
    elif len(a) == 4 and a[0] == "tarfile":
        write_tarfile(a[1], a[2], a[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
