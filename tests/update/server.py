#!/usr/bin/env python3
"""A python.org downloads API double for tests/update.t, on 127.0.0.1 only.

The release list is built from shared/data/cpython-source-checksums.tsv:
every CPython release there, with its real name and its real ftp path.
Release files point back at this server, which serves a small, real,
deterministic Python-X.Y.Z.tar.xz (and .tgz) for every version, with the
sha256, md5 and size of those bytes.

The first segment of every path is a scenario: flags joined by '+', and
anything after a '.' is a tag that keeps counters of separate tests apart
("flaky.3"). `--source http://127.0.0.1:PORT/nosha+tgz` thus selects a
behaviour per run without restarting the server. Flags:

  ok        normal answers
  slow      the release list answers after 5 s (client timeout)
  flaky     the first request to each path answers 500
  e500      the release list always answers 500
  e404      the release list answers 404
  files404  the release file list answers 404
  tar404    every tarball answers 404
  truncated the release list announces more bytes than it sends
  badjson   the release list is not JSON
  shape     the release list is a JSON object without "objects"
  shape2    a release in the list has no "name"
  objects   both lists come wrapped as {"meta": ..., "objects": [...]}
  nosource  release files have no source tarball
  tgz       release files have a .tgz source only
  nosha     release files have no sha256_sum (md5 and size only)
  badsha    release files have a wrong sha256_sum
  badsize   release files have a wrong filesize
  bigtar    tarballs carry extra bytes beyond the published size
  slowtar   tarballs trickle out over about 3 s (progress on a terminal)
  redirect  the release list redirects to itself forever
  nochecksum release files publish no sha256_sum, no md5_sum and no size
  creds     release file URLs carry "user:secret@"; tarballs then answer
            401 to a request without that user's Authorization header
  hugelist  the release list announces a Content-Length of 1 TB, then
            sends nothing for 5 s
  hugetar   tarballs announce a Content-Length of 1 TB, then send nothing
            for 5 s

Requests without a User-Agent starting with "matrixc/" get 403. Every
request is logged, one line each, as "PATH\tUSER-AGENT" to --log.
"""
import argparse
import base64
import hashlib
import io
import json
import lzma
import sys
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def load_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            version, url, sha = line.rstrip("\n").split("\t")
            ftp = urlsplit(url).path  # /ftp/python/3.13.5/Python-3.13.5.tar.xz
            rows.append((version, ftp.rsplit("/", 1)[0], sha))
    return rows


def tarball(version, ext):
    """A small real source tarball, the same bytes on every run."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
        data = ("fake CPython %s source for matrixc tests\n" % version).encode()
        info = tarfile.TarInfo("Python-%s/README" % version)
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        t.addfile(info, io.BytesIO(data))
    if ext == ".tar.xz":
        return lzma.compress(raw.getvalue(), preset=6)
    import gzip
    return gzip.compress(raw.getvalue(), mtime=0)


def wrap(flags, items):
    """The older Tastypie shape that some mirrors still serve."""
    if "objects" in flags:
        return {"meta": {"total_count": len(items)}, "objects": items}
    return items


class State:
    def __init__(self, rows, log):
        self.rows = rows
        self.by_id = {100 + i: r for i, r in enumerate(rows)}
        self.log = log
        self.lock = threading.Lock()
        self.seen = {}
        self.cache = {}

    def first_time(self, key):
        with self.lock:
            n = self.seen.get(key, 0)
            self.seen[key] = n + 1
            return n == 0

    def blob(self, version, ext):
        with self.lock:
            if (version, ext) not in self.cache:
                self.cache[(version, ext)] = tarball(version, ext)
            return self.cache[(version, ext)]


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-pyorg/1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype="application/json", length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        ua = self.headers.get("User-Agent", "")
        with st.lock:
            st.log.write("%s\t%s\n" % (self.path, ua))
            st.log.flush()
        parts = urlsplit(self.path)
        segs = parts.path.split("/", 2)
        if len(segs) < 3:
            return self.send(404, b"not found\n", "text/plain")
        scenario, rest = segs[1], "/" + segs[2]
        flags = set(scenario.split(".")[0].split("+"))
        base = "http://%s:%d/%s" % (self.server.server_address[0],
                                    self.server.server_address[1], scenario)
        if not ua.startswith("matrixc/"):
            return self.send(403, b"forbidden\n", "text/plain")
        self.authorized = self.headers.get("Authorization", "") == \
            "Basic " + base64.b64encode(b"user:secret").decode()
        if "flaky" in flags and st.first_time((scenario, self.path)):
            return self.send(500, b"try again\n", "text/plain")
        query = parse_qs(parts.query)
        if rest == "/api/v2/downloads/release/":
            return self.releases(flags, base)
        if rest == "/api/v2/downloads/release_file/":
            return self.files(flags, base, query.get("release", [""])[0])
        if rest.startswith("/ftp/python/"):
            return self.tar(flags, rest)
        return self.send(404, b"not found\n", "text/plain")

    def releases(self, flags, base):
        if "slow" in flags:
            time.sleep(5)
        if "e500" in flags:
            return self.send(500, b"internal error\n", "text/plain")
        if "e404" in flags:
            return self.send(404, b"not found\n", "text/plain")
        if "redirect" in flags:
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "badjson" in flags:
            return self.send(200, b'[{"name": "Python 3.13.5", "slug": ')
        if "hugelist" in flags:
            return self.announce_huge()
        if "shape" in flags:
            return self.send(200, b'{"meta": {"total_count": 0}}')
        out = []
        for rid, (version, _, _) in sorted(self.server.state.by_id.items()):
            pre = any(c in version for c in "abr")
            out.append({
                "name": "Python " + version,
                "slug": "python-" + version.replace(".", ""),
                "version": 3 if version.startswith("3") else 2,
                "is_published": True,
                "is_latest": False,
                "pre_release": pre,
                "resource_uri": "%s/api/v2/downloads/release/%d/" % (base, rid),
            })
        # other products share the endpoint and must be skipped
        out.append({"name": "Python install manager 25.0", "slug": "pymanager-250",
                    "version": 100, "is_published": True, "pre_release": False,
                    "resource_uri": base + "/api/v2/downloads/release/9000/"})
        out.append({"name": "Python 3.13.99", "slug": "python-31399", "version": 3,
                    "is_published": False, "pre_release": False,
                    "resource_uri": base + "/api/v2/downloads/release/9001/"})
        if "shape2" in flags:
            del out[3]["name"]
        body = json.dumps(wrap(flags, out), indent=1).encode()
        if "truncated" in flags:
            self.send(200, body[: len(body) // 2], length=len(body))
            self.wfile.flush()
            self.close_connection = True
            return
        return self.send(200, body)

    def files(self, flags, base, rid):
        st = self.server.state
        if "files404" in flags:
            return self.send(404, b"not found\n", "text/plain")
        if not rid.isdigit() or int(rid) not in st.by_id:
            return self.send(200, b"[]")
        version, ftpdir, _ = st.by_id[int(rid)]
        release = "%s/api/v2/downloads/release/%s/" % (base, rid)
        if "creds" in flags:
            base = base.replace("http://", "http://user:secret@", 1)
        out = [{
            "name": "Windows installer (64-bit)", "os": base + "/api/v2/downloads/os/1/",
            "release": release, "is_source": False,
            "url": "%s%s/python-%s-amd64.exe" % (base, ftpdir, version),
            "sha256_sum": "0" * 64, "md5_sum": "0" * 32, "filesize": 1,
        }]
        exts = [".tgz"] if "tgz" in flags else [".tar.xz", ".tgz"]
        if "nosource" in flags:
            exts = []
        for ext in exts:
            blob = st.blob(version, ext)
            f = {
                "name": "Gzipped source tarball" if ext == ".tgz" else "XZ compressed source tarball",
                "os": base + "/api/v2/downloads/os/3/", "release": release,
                "is_source": True,
                "url": "%s%s/Python-%s%s" % (base, ftpdir, version, ext),
                "sha256_sum": hashlib.sha256(blob).hexdigest(),
                "md5_sum": hashlib.md5(blob).hexdigest(),
                "filesize": len(blob),
                "gpg_signature_file": "", "sigstore_bundle_file": "",
            }
            if "nosha" in flags:
                f["sha256_sum"] = ""
            if "badsha" in flags:
                f["sha256_sum"] = hashlib.sha256(b"not this").hexdigest()
            if "badsize" in flags:
                f["filesize"] = len(blob) + 7
            if "nochecksum" in flags:
                f["sha256_sum"] = f["md5_sum"] = ""
                f["filesize"] = None
            out.append(f)
        return self.send(200, json.dumps(wrap(flags, out), indent=1).encode())

    def tar(self, flags, rest):
        if "tar404" in flags:
            return self.send(404, b"not found\n", "text/plain")
        if "creds" in flags and not self.authorized:
            return self.send(401, b"who are you\n", "text/plain")
        if "hugetar" in flags:
            return self.announce_huge()
        name = rest.rsplit("/", 1)[1]
        for ext in (".tar.xz", ".tgz"):
            if name.startswith("Python-") and name.endswith(ext):
                blob = self.server.state.blob(name[7:-len(ext)], ext)
                if "bigtar" in flags:
                    blob += b"\0" * 4096
                if "slowtar" in flags:
                    return self.trickle(blob)
                return self.send(200, blob, "application/octet-stream")
        return self.send(404, b"not found\n", "text/plain")


    def announce_huge(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(10 ** 12))
        self.end_headers()
        self.wfile.flush()
        time.sleep(5)
        self.close_connection = True

    def trickle(self, blob):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(blob)))
        self.end_headers()
        step = len(blob) // 8 + 1
        for i in range(0, len(blob), step):
            self.wfile.write(blob[i:i + step])
            self.wfile.flush()
            time.sleep(0.4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tsv", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    log = open(args.log, "a", encoding="utf-8")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(load_tsv(args.tsv), log)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
