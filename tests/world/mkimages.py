#!/usr/bin/python3
"""Build Ross's test images from Debian's busybox-static and push them to a registry.

No Docker involved: layers are tar files made here, manifests are written by hand, and
the uploader speaks the distribution API (monolithic blob upload, manifest PUT) with
Basic or Bearer auth. Output is deterministic, so digests are stable across runs.

Usage: mkimages.py --registry URL [--user U --password P] [--cacert FILE] [--only NAME...]
       mkimages.py --list
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import ssl
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request

BUSYBOX = "/bin/busybox"
EPOCH = 946684800  # 2000-01-01: fixed mtimes make fixed digests
APPLETS = ["sh", "ls", "cat", "echo", "true", "false", "sleep", "id", "env", "pwd",
           "mkdir", "rm", "touch", "stat", "head", "wc", "sha256sum", "uname", "hostname",
           "grep", "sed", "tr", "cut", "date", "cp", "mv", "ln", "chmod", "ps", "kill"]

MT = {
    "oci_manifest": "application/vnd.oci.image.manifest.v1+json",
    "oci_index": "application/vnd.oci.image.index.v1+json",
    "oci_config": "application/vnd.oci.image.config.v1+json",
    "oci_tar": "application/vnd.oci.image.layer.v1.tar",
    "oci_gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "oci_zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "docker_manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "docker_list": "application/vnd.docker.distribution.manifest.list.v2+json",
    "docker_config": "application/vnd.docker.container.image.v1+json",
    "docker_gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
}


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def tar_bytes(add):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        add(t)
    return buf.getvalue()


def entry(name, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, mtime=EPOCH, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.uname = ti.gname = ""
    ti.mtime = mtime
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def add_file(t, name, data, **kw):
    ti = entry(name, **kw)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))


def add_dir(t, name, mode=0o755, **kw):
    t.addfile(entry(name, tarfile.DIRTYPE, mode=mode, **kw))


def busybox_layer():
    with open(BUSYBOX, "rb") as f:
        bb = f.read()

    def add(t):
        for d in ["bin", "etc", "tmp", "root", "home", "var", "usr", "usr/bin"]:
            add_dir(t, d, mode=0o1777 if d == "tmp" else 0o755)
        add_file(t, "bin/busybox", bb, mode=0o755)
        for a in APPLETS:
            t.addfile(entry("bin/" + a, tarfile.SYMTYPE, mode=0o777, linkname="busybox"))
        add_file(t, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
                 b"daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                 b"app:x:1000:1000:app:/home/app:/bin/sh\n")
        add_file(t, "etc/group", b"root:x:0:\ndaemon:x:1:\napp:x:1000:\nextra:x:2000:app\n")
        add_dir(t, "home/app", uid=1000, gid=1000)
    return tar_bytes(add)


def volumes_layer():
    """Content under /home/app for an image that has it as a volume."""
    def add(t):
        add_dir(t, "home/app", mode=0o750, uid=1000, gid=1000)
        add_file(t, "home/app/hello", b"from the image\n", uid=1000, gid=1000, mode=0o640)
        add_dir(t, "home/app/sub", uid=1000, gid=1000)
        add_file(t, "home/app/sub/deep", b"deep\n", uid=1000, gid=1000)
        # a volume here must copy the image's /etc, never the host's
        add_dir(t, "srv")
        t.addfile(entry("srv/link", tarfile.SYMTYPE, mode=0o777, linkname="/etc"))
    return tar_bytes(add)


def special_layer():
    """Whiteouts, an opaque dir, and every kind of entry the unpacker must keep."""
    def add(t):
        add_dir(t, "bin")
        t.addfile(entry("bin/.wh.false"))                      # delete a file below
        add_dir(t, "etc")
        add_dir(t, "usr")
        add_dir(t, "usr/bin")
        t.addfile(entry("usr/bin/.wh..wh..opq"))                # opaque dir
        add_file(t, "usr/bin/tool", b"#!/bin/sh\necho tool\n", mode=0o755)
        add_dir(t, "data", mode=0o750, uid=1000, gid=1000, mtime=631152000)
        add_file(t, "data/owned", b"uid 1000\n", uid=1000, gid=1000, mtime=631152000)
        add_file(t, "data/setuid", b"pretend binary\n", mode=0o4755)
        add_file(t, "data/original", b"hard link target\n")
        t.addfile(entry("data/hardlink", tarfile.LNKTYPE, linkname="data/original"))
        t.addfile(entry("data/symlink", tarfile.SYMTYPE, mode=0o777, linkname="original"))
        t.addfile(entry("data/fifo", tarfile.FIFOTYPE))
        t.addfile(entry("data/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3))
        x = entry("data/xattr")
        x.pax_headers = {"SCHILY.xattr.user.ross": "test-value",
                         "SCHILY.xattr.trusted.ross": "trusted-value"}
        x.size = 6
        t.addfile(x, io.BytesIO(b"xattr\n"))
        # a file capability (cap_net_bind_service, VFS_CAP_REVISION_2): set after chown,
        # which would clear it
        cap = bytes([0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        c = entry("data/capability", mode=0o755, uid=1000, gid=1000)
        c.pax_headers = {"SCHILY.xattr.security.capability": cap.decode("latin-1")}
        c.size = 4
        t.addfile(c, io.BytesIO(b"cap\n"))
        longdir = "data/" + "d" * 60 + "/" + "e" * 60
        add_dir(t, "data/" + "d" * 60)
        add_dir(t, longdir)
        add_file(t, longdir + "/long-name-file", b"long path\n")
        add_dir(t, "replace-me")
        add_file(t, "replace-me/old", b"old\n")
    return tar_bytes(add)


SPARSE_SIZE = 8 * 1024 * 1024
SPARSE_DATA = (4 * 1024 * 1024, b"in the middle\n")


def replace_layer(sparse_format="posix"):
    """Replaces a directory with an opaque one and deletes a file below; adds an 8 MiB
    sparse file, in PAX sparse 1.0 format ("posix", written here: GNU tar puts its PID in
    the member name) or old GNU format ("gnu", typeflag S, written by GNU tar)."""
    if sparse_format == "posix":
        def add(t):
            add_dir(t, "replace-me")
            t.addfile(entry("replace-me/.wh..wh..opq"))
            add_file(t, "replace-me/new", b"new\n")
            add_dir(t, "data")
            t.addfile(entry("data/.wh.original"))
            off, data = SPARSE_DATA
            smap = ("2\n%d\n%d\n%d\n0\n" % (off, len(data), SPARSE_SIZE)).encode()
            smap += b"\0" * (-len(smap) % 512)
            ti = entry("data/GNUSparseFile.0/sparse")
            ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                              "GNU.sparse.name": "data/sparse",
                              "GNU.sparse.realsize": str(SPARSE_SIZE)}
            payload = smap + data
            ti.size = len(payload)
            t.addfile(ti, io.BytesIO(payload))
        return tar_bytes(add)
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "replace-me"))
        open(os.path.join(d, "replace-me", ".wh..wh..opq"), "w").close()
        with open(os.path.join(d, "replace-me", "new"), "w") as f:
            f.write("new\n")
        os.makedirs(os.path.join(d, "data"))
        open(os.path.join(d, "data", ".wh.original"), "w").close()
        with open(os.path.join(d, "data", "sparse"), "wb") as f:
            f.truncate(SPARSE_SIZE)
            f.seek(SPARSE_DATA[0])
            f.write(SPARSE_DATA[1])
        for root, dirs, files in os.walk(d):
            for n in dirs + files:
                os.utime(os.path.join(root, n), (EPOCH, EPOCH), follow_symlinks=False)
        os.utime(d, (EPOCH, EPOCH))
        return subprocess.run(
            ["tar", "--sparse", "--format=gnu", "--numeric-owner", "--owner=0", "--group=0",
             "--sort=name", "--mtime=@%d" % EPOCH, "-C", d, "-cf", "-", "replace-me", "data"],
            check=True, stdout=subprocess.PIPE).stdout


def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, compresslevel=6, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=raw, check=True,
                              stdout=subprocess.PIPE).stdout
    return raw


class Image:
    """A manifest, its config and its layers, ready to push."""

    def __init__(self, layers, how="gzip", docker=False, config_extra=None, arch="amd64",
                 variant=None, os_name="linux"):
        self.blobs = {}
        self.layer_descs = []
        diff_ids = []
        for raw in layers:
            blob = compress(raw, how)
            self.blobs[sha(blob)] = blob
            if docker:
                mt = MT["docker_gzip"]
            else:
                mt = {"gzip": MT["oci_gzip"], "zstd": MT["oci_zstd"], "none": MT["oci_tar"]}[how]
            self.layer_descs.append({"mediaType": mt, "digest": sha(blob), "size": len(blob)})
            diff_ids.append(sha(raw))
        config = {
            "created": "2000-01-01T00:00:00Z",
            "architecture": arch,
            "os": os_name,
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                       "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2000-01-01T00:00:00Z", "created_by": "mkimages.py"}],
        }
        if variant:
            config["variant"] = variant
        if config_extra:
            config["config"].update(config_extra)
        self.config = json.dumps(config, sort_keys=True).encode()
        self.blobs[sha(self.config)] = self.config
        manifest = {
            "schemaVersion": 2,
            "mediaType": MT["docker_manifest"] if docker else MT["oci_manifest"],
            "config": {"mediaType": MT["docker_config"] if docker else MT["oci_config"],
                       "digest": sha(self.config), "size": len(self.config)},
            "layers": self.layer_descs,
        }
        self.manifest = json.dumps(manifest, sort_keys=True).encode()
        self.manifest_type = manifest["mediaType"]
        self.platform = {"os": os_name, "architecture": arch}
        if variant:
            self.platform["variant"] = variant

    @property
    def id(self):
        return sha(self.config)

    def desc(self):
        return {"mediaType": self.manifest_type, "digest": sha(self.manifest),
                "size": len(self.manifest), "platform": self.platform}


def attestation_for(img):
    """An in-toto attestation manifest as BuildKit attaches it: platform unknown/unknown."""
    stmt = json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "subject": []}).encode()
    cfg = b"{}"
    manifest = {
        "schemaVersion": 2, "mediaType": MT["oci_manifest"],
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(cfg), "size": len(cfg)},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": sha(stmt),
                    "size": len(stmt)}],
    }
    body = json.dumps(manifest, sort_keys=True).encode()
    desc = {"mediaType": MT["oci_manifest"], "digest": sha(body), "size": len(body),
            "platform": {"os": "unknown", "architecture": "unknown"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                            "vnd.docker.reference.digest": sha(img.manifest)}}
    return {sha(stmt): stmt, sha(cfg): cfg}, body, desc


def index_of(images, docker=False, extra=()):
    entries = [i.desc() for i in images] + list(extra)
    if docker:
        for e in entries:
            e["mediaType"] = MT["docker_manifest"]
    doc = {"schemaVersion": 2, "mediaType": MT["docker_list"] if docker else MT["oci_index"],
           "manifests": entries}
    return json.dumps(doc, sort_keys=True).encode()


FULL_CONFIG = {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "GREETING=hello from ross", "EMPTY="],
    "Cmd": ["-c", "echo $GREETING"],
    "Entrypoint": ["/bin/sh"],
    "WorkingDir": "/home/app",
    "User": "app",
    "Labels": {"org.opencontainers.image.title": "busybox-full", "ross.test": "yes"},
    "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
    "StopSignal": "SIGTERM",
}


def build_all():
    """name -> (tag, documents to push). A document is (media type, bytes)."""
    bb = busybox_layer()
    out = {}

    def single(name, img):
        out[name] = {"blobs": img.blobs, "manifests": [], "top": (img.manifest_type, img.manifest),
                     "id": img.id}

    single("busybox", Image([bb]))
    single("busybox-full", Image([bb], config_extra=FULL_CONFIG))
    single("busybox-zstd", Image([bb], how="zstd"))
    single("busybox-uncompressed", Image([bb], how="none"))
    single("busybox-docker", Image([bb], docker=True))
    single("layers", Image([bb, special_layer(), replace_layer("posix")]))
    single("sparse-gnu", Image([bb, replace_layer("gnu")]))

    amd = Image([bb], arch="amd64")
    arm = Image([bb], arch="arm64", variant="v8",
                config_extra={"Labels": {"arch": "arm64"}})
    att_blobs, att_body, att_desc = attestation_for(amd)
    blobs = {**amd.blobs, **arm.blobs, **att_blobs}
    out["multiarch"] = {"blobs": blobs,
                        "manifests": [(amd.manifest_type, amd.manifest),
                                      (arm.manifest_type, arm.manifest),
                                      (MT["oci_manifest"], att_body)],
                        "top": (MT["oci_index"], index_of([amd, arm], extra=[att_desc])),
                        "id": amd.id}

    damd = Image([bb], docker=True, arch="amd64")
    darm = Image([bb], docker=True, arch="arm64", variant="v8",
                 config_extra={"Labels": {"arch": "arm64"}})
    out["multiarch-docker"] = {"blobs": {**damd.blobs, **darm.blobs},
                               "manifests": [(damd.manifest_type, damd.manifest),
                                             (darm.manifest_type, darm.manifest)],
                               "top": (MT["docker_list"], index_of([damd, darm], docker=True)),
                               "id": damd.id}

    s390 = Image([bb], arch="s390x")
    out["foreign-only"] = {"blobs": {**arm.blobs, **s390.blobs},
                           "manifests": [(arm.manifest_type, arm.manifest),
                                         (s390.manifest_type, s390.manifest)],
                           "top": (MT["oci_index"], index_of([arm, s390])),
                           "id": arm.id}
    # a config whose diff_id does not match the layer it describes
    bad = Image([bb])
    cfg = json.loads(bad.config)
    cfg["rootfs"]["diff_ids"] = [sha(b"not the layer")]
    bad.config = json.dumps(cfg, sort_keys=True).encode()
    bad.blobs = {k: v for k, v in bad.blobs.items() if not v.startswith(b"{")}
    bad.blobs[sha(bad.config)] = bad.config
    m = json.loads(bad.manifest)
    m["config"]["digest"], m["config"]["size"] = sha(bad.config), len(bad.config)
    bad.manifest = json.dumps(m, sort_keys=True).encode()
    single("bad-diffid", bad)
    # the same repository, a newer build: for "tag moves, old image kept" tests
    single("busybox-v2", Image([bb], config_extra={"Labels": {"version": "2"}}))
    # an image with a Healthcheck (a fast one: 200 ms, one retry)
    single("busybox-health", Image([bb], config_extra={"Healthcheck": {
        "Test": ["CMD-SHELL", "test -e /etc/passwd && echo image-check"],
        "Interval": 200000000, "Timeout": 2000000000, "Retries": 1}}))
    # an image with Volumes: one over content of its own (copied into the volume on first
    # use, owner and all), one over nothing
    single("busybox-volumes", Image([bb, volumes_layer()],
                                    config_extra={"Volumes": {"/home/app": {}, "/srv/empty": {}}}))
    return out


class Registry:
    def __init__(self, url, user=None, password=None, cacert=None):
        self.url = url.rstrip("/")
        self.user, self.password = user, password
        self.ctx = ssl.create_default_context(cafile=cacert) if cacert else None
        self.auth = None  # header value once known

    def _open(self, req):
        return urllib.request.urlopen(req, context=self.ctx, timeout=60)

    def _token(self, challenge, scope):
        params = dict(p.split("=", 1) for p in
                      challenge[len("Bearer "):].replace('"', "").split(","))
        q = {"service": params.get("service", ""), "scope": scope}
        req = urllib.request.Request(params["realm"] + "?" + urllib.parse.urlencode(q))
        if self.user:
            cred = base64.b64encode(("%s:%s" % (self.user, self.password)).encode()).decode()
            req.add_header("Authorization", "Basic " + cred)
        with self._open(req) as r:
            j = json.loads(r.read())
        return "Bearer " + (j.get("token") or j["access_token"])

    def request(self, method, path, data=None, headers=None, repo=None):
        url = path if path.startswith("http") else self.url + path
        for attempt in range(2):
            req = urllib.request.Request(url, data=data, method=method)
            for k, v in (headers or {}).items():
                req.add_header(k, v)
            if self.auth:
                req.add_header("Authorization", self.auth)
            try:
                with self._open(req) as r:
                    return r.status, dict(r.headers), r.read()
            except urllib.error.HTTPError as e:
                if e.code != 401 or attempt:
                    return e.code, dict(e.headers), e.read()
                ch = e.headers.get("WWW-Authenticate", "")
                if ch.startswith("Bearer"):
                    self.auth = self._token(ch, "repository:%s:pull,push" % repo)
                elif self.user:
                    cred = base64.b64encode(
                        ("%s:%s" % (self.user, self.password)).encode()).decode()
                    self.auth = "Basic " + cred
                else:
                    return e.code, dict(e.headers), e.read()
        raise RuntimeError("unreachable")

    def push_blob(self, repo, digest, data):
        st, _, _ = self.request("HEAD", "/v2/%s/blobs/%s" % (repo, digest), repo=repo)
        if st == 200:
            return
        st, h, body = self.request("POST", "/v2/%s/blobs/uploads/" % repo, data=b"", repo=repo)
        if st != 202:
            raise RuntimeError("start upload of %s: HTTP %d %s" % (digest, st, body[:200]))
        loc = h.get("Location")
        if not loc.startswith("http"):
            loc = self.url + loc
        loc += ("&" if "?" in loc else "?") + "digest=" + urllib.parse.quote(digest)
        st, _, body = self.request("PUT", loc, data=data, repo=repo,
                                   headers={"Content-Type": "application/octet-stream"})
        if st != 201:
            raise RuntimeError("upload %s: HTTP %d %s" % (digest, st, body[:200]))

    def push_manifest(self, repo, ref, media_type, body):
        st, _, resp = self.request("PUT", "/v2/%s/manifests/%s" % (repo, ref), data=body,
                                   repo=repo, headers={"Content-Type": media_type})
        if st != 201:
            raise RuntimeError("put manifest %s:%s: HTTP %d %s" % (repo, ref, st, resp[:300]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--cacert")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--repo-prefix", default="")
    ap.add_argument("--list", action="store_true", help="print name, image id, top digest")
    ap.add_argument("--from-tar", metavar="FILE",
                    help="push one single-layer image made from this tar file (for benchmarks)")
    ap.add_argument("--name", default="from-tar", help="repository for --from-tar")
    a = ap.parse_args()
    if a.from_tar:
        with open(a.from_tar, "rb") as f:
            img = Image([f.read()])
        reg = Registry(a.registry, a.user, a.password, a.cacert)
        for d, data in img.blobs.items():
            reg.push_blob(a.name, d, data)
        reg.push_manifest(a.name, "latest", img.manifest_type, img.manifest)
        print("pushed %s:latest %s (layer %d bytes)" % (a.name, sha(img.manifest),
                                                     img.layer_descs[0]["size"]))
        return
    images = build_all()
    if a.list:
        for name, img in images.items():
            print(name, img["id"], sha(img["top"][1]))
        return
    reg = Registry(a.registry, a.user, a.password, a.cacert)
    for name, img in images.items():
        if a.only and name not in a.only:
            continue
        repo = a.repo_prefix + name
        tag = "latest"
        if name == "busybox-v2":
            repo, tag = a.repo_prefix + "moving", "latest"
        for d, data in img["blobs"].items():
            reg.push_blob(repo, d, data)
        for mt, body in img["manifests"]:
            reg.push_manifest(repo, sha(body), mt, body)
        reg.push_manifest(repo, tag, img["top"][0], img["top"][1])
        print("pushed %s:%s %s" % (repo, tag, sha(img["top"][1])))


if __name__ == "__main__":
    main()
