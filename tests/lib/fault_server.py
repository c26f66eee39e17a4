#!/usr/bin/env python3
"""The HTTP double of matrixc's network tests, with faults, on 127.0.0.1.

One server plays both services matrixc speaks to, told apart by the path:

  python.org   /SCENARIO/api/v2/downloads/release/       the release list
               /SCENARIO/api/v2/downloads/release_file/  a release's files
               /SCENARIO/ftp/python/X.Y.Z/Python-X.Y.Z.tar.xz (and .tgz)
  a registry   /v2/SCENARIO/NAME.../manifests/REF        a manifest
               /token/SCENARIO                            its token endpoint

tests/update.t uses the first, tests/registry.t both (its bases name
127.0.0.1:PORT/SCENARIO/debian:x). The release list is built from --tsv
(shared/data/cpython-source-checksums.tsv): every CPython release there,
with its real name and ftp path. Release files point back at this server,
which serves a small, real, deterministic Python-X.Y.Z.tar.xz (and .tgz)
for every version, with the sha256, md5 and size of those bytes. The
registry serves one OCI index, BODY, whose digest it prints on stderr
when it starts.

SCENARIO is flags joined by '+'; anything after a '.' is a tag that keeps
the counters of separate tests apart ("flaky.3"). `--source
http://127.0.0.1:PORT/nosha+tgz` thus selects a behaviour per run without
restarting the server.

Faults of either service, on its main document (the release list; a
manifest, or for badjson the token that a manifest's challenge sends the
client to):

  ok         normal answers
  flaky      the first request to each path answers 500
  slow       the document answers after 5 s (client timeout)
  e500       the document always answers 500
  e404       the document answers 404
  redirect   the document redirects to itself forever
  badjson    the document is not JSON (the registry: the token, which
             every manifest request without it is challenged for)
  truncated  the document announces more bytes than it sends
  hugelist   the document announces a Content-Length of 1 TB, then sends
             nothing for 5 s

python.org only:

  shape      the release list is a JSON object without "objects"
  shape2     a release in the list has no "name"
  objects    both lists come wrapped as {"meta": ..., "objects": [...]}
  files404   the release file list answers 404
  nosource   release files have no source tarball
  tgz        release files have a .tgz source only
  nosha      release files have no sha256_sum (md5 and size only)
  badsha     release files have a wrong sha256_sum
  badsize    release files have a wrong filesize
  nochecksum release files publish no sha256_sum, no md5_sum and no size
  creds      release file URLs carry "user:secret@"; tarballs then answer
             401 to a request without that user's Authorization header
  tar404     every tarball answers 404
  bigtar     tarballs carry extra bytes beyond the published size
  slowtar    tarballs trickle out over about 3 s (progress on a terminal)
  hugetar    tarballs announce a Content-Length of 1 TB, then send nothing
             for 5 s

registry only:

  nodigest   HEAD answers 200 without Docker-Content-Digest; GET serves
             BODY (the client hashes it); with truncated, that GET is cut
  baddigest  HEAD answers a malformed Docker-Content-Digest
  bearer     401 with a challenge (realm on this server, quoted service
             and scope with a comma inside the quotes) unless the request
             carries `Authorization: Bearer good-token`, which the token
             endpoint gives for that service and scope only

and, for the registry, answers that one under someone else's control
could send (each demands the token as bearer does, but mismatch and
twodigests):

  leak         the 401 carries a Docker-Content-Digest of other bytes;
               with the token, HEAD answers 200 without one and GET serves
               BODY: the digest must be BODY's, not the 401's
  mismatch     HEAD without a digest; GET serves BODY with a well-formed
               Docker-Content-Digest of other bytes
  twodigests   HEAD answers two Docker-Content-Digest headers that differ
  list         one WWW-Authenticate line holding a Basic challenge, then
               the Bearer one (RFC 9110's list form)
  bigtoken     the token endpoint answers a token of 100,000 characters
  bigchallenge the 401's WWW-Authenticate is 40,000 bytes long
  crosshost    with the token, HEAD answers 307 to the same path on
               "localhost" instead of "127.0.0.1" (another host name for
               libcurl), where it answers 200 with BODY's digest: the
               token must not follow the redirect

python.org requests without a User-Agent starting with "matrixc/" get
403. Every request is logged to --log, one line each: python.org's as
"PATH\\tUSER-AGENT", the registry's as "METHOD PATH AUTHORIZATION HOST".
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import lzma
import os
import sys
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TEXT = "text/plain"
JSON = "application/json"
BAD_JSON = b'[{"name": "Python 3.13.5", "slug": '
INDEX = "application/vnd.oci.image.index.v1+json"
BODY = json.dumps({
    "schemaVersion": 2,
    "mediaType": INDEX,
    "manifests": [],
}).encode()
DIGEST = "sha256:" + hashlib.sha256(BODY).hexdigest()
OTHER = "sha256:" + hashlib.sha256(b"other bytes").hexdigest()
SERVICE = "fault test"
TOKEN = "good-token"
# the registry flags whose manifests demand the token
CHALLENGED = {"bearer", "badjson", "leak", "list", "bigtoken",
              "bigchallenge", "crosshost"}
CREDS = "Basic " + base64.b64encode(b"user:secret").decode()


def load_tsv(path):
    rows = []
    if not path:
        return rows
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

    def write_log(self, line):
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "matrixc-fault/1"

    def log_message(self, fmt, *args):
        pass

    # --- what both services share ----------------------------------------

    def send(self, status, body=b"", ctype=TEXT, headers=(), length=None):
        """body, announced as length bytes when given; none for HEAD"""
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length",
                         str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fault(self, flags, huge="hugelist"):
        """Answer the fault flags inject into a main document (all but
        badjson and truncated, which document() applies): True if one
        was answered."""
        if "slow" in flags:
            time.sleep(5)
        if "e500" in flags:
            self.send(500, b"internal error\n")
        elif "e404" in flags:
            self.send(404, b"not found\n")
        elif "redirect" in flags:
            self.send(302, headers=[("Location", self.path)], ctype=None)
        elif huge in flags:
            self.announce_huge()
        else:
            return False
        return True

    def document(self, flags, body, ctype=JSON, headers=()):
        """Send a main document as badjson and truncated break it."""
        if "badjson" in flags:
            body = BAD_JSON
        if "truncated" in flags and self.command != "HEAD":
            self.send(200, body[: len(body) // 2], ctype, headers,
                      length=len(body))
            self.wfile.flush()
            self.close_connection = True
            return
        self.send(200, body, ctype, headers)

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

    def do_GET(self):
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        registry = parts[0] in ("v2", "token")
        st = self.server.state
        if registry:
            st.write_log("%s %s %s %s" % (
                self.command, self.path,
                self.headers.get("Authorization", "-"),
                self.headers.get("Host", "-")))
        else:
            st.write_log("%s\t%s" % (self.path,
                                     self.headers.get("User-Agent", "")))
        scenario = parts[1] if registry and len(parts) > 1 else parts[0]
        flags = set(scenario.split(".")[0].split("+"))
        if not registry and \
                not self.headers.get("User-Agent", "").startswith("matrixc/"):
            return self.send(403, b"forbidden\n")
        if "flaky" in flags and st.first_time((scenario, self.path)):
            return self.send(500, b"try again\n")
        if registry:
            return self.registry(parts, url.query, scenario, flags)
        return self.pyorg(url, scenario, flags)

    do_HEAD = do_GET

    # --- the registry ----------------------------------------------------

    def registry(self, parts, query, scenario, flags):
        if len(parts) == 2 and parts[0] == "token":
            return self.token(flags, query)
        # /v2/<scenario>/<name...>/manifests/<ref>
        if len(parts) >= 5 and parts[-2] == "manifests":
            return self.manifest(scenario, flags, "/".join(parts[1:-2]))
        return self.send(404, b"not found\n")

    def challenge(self, scenario, flags, repo):
        realm = "http://127.0.0.1:%d/token/%s" % (self.server.server_port,
                                                 scenario)
        scope = "repository:%s:pull,push" % repo
        value = 'Bearer realm="%s",service="%s",scope="%s"' % (
            realm, SERVICE, scope)
        if "list" in flags:
            value = 'Basic realm="fault, really", ' + value
        if "bigchallenge" in flags:
            value += ',padding="%s"' % ("x" * 40000)
        headers = [("WWW-Authenticate", value)]
        if "leak" in flags:
            headers.append(("Docker-Content-Digest", OTHER))
        self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', JSON, headers)

    def token(self, flags, query):
        q = parse_qs(query)
        want_scope = None
        if q.get("service") == [SERVICE]:
            want_scope = q.get("scope", [""])[0]
        if not want_scope or not want_scope.endswith(":pull,push"):
            return self.send(400, b"bad service or scope\n")
        token = "t" * 100000 if "bigtoken" in flags else TOKEN
        self.document(flags, json.dumps({"access_token": token}).encode())

    def manifest(self, scenario, flags, repo):
        if self.fault(flags):
            return None
        port = self.server.server_port
        if "crosshost" in flags and \
                self.headers.get("Host") == "localhost:%d" % port:
            return self.send(200, BODY, INDEX,
                             [("Docker-Content-Digest", DIGEST)])
        # badjson breaks the token, so the manifest must ask for one
        if flags & CHALLENGED and \
                self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.challenge(scenario, flags, repo)
        if "crosshost" in flags:
            return self.send(307, ctype=None, headers=[
                ("Location", "http://localhost:%d%s" % (port, self.path))])
        if "baddigest" in flags:
            return self.send(200, BODY, INDEX,
                             [("Docker-Content-Digest", "sha256:zz")])
        if "twodigests" in flags:
            return self.send(200, BODY, INDEX,
                             [("Docker-Content-Digest", DIGEST),
                              ("Docker-Content-Digest", OTHER)])
        if flags & {"nodigest", "truncated", "leak", "mismatch"}:
            if self.command == "HEAD":
                return self.send(200, b"", INDEX, length=len(BODY))
            if "mismatch" in flags:
                return self.send(200, BODY, INDEX,
                                 [("Docker-Content-Digest", OTHER)])
            return self.document(flags, BODY, INDEX)
        self.send(200, BODY, INDEX, [("Docker-Content-Digest", DIGEST)])

    # --- python.org ------------------------------------------------------

    def pyorg(self, url, scenario, flags):
        rest = url.path[len(scenario) + 1:]
        base = "http://%s:%d/%s" % (self.server.server_address[0],
                                    self.server.server_address[1], scenario)
        query = parse_qs(url.query)
        if rest == "/api/v2/downloads/release/":
            return self.releases(flags, base)
        if rest == "/api/v2/downloads/release_file/":
            return self.files(flags, base, query.get("release", [""])[0])
        if rest.startswith("/ftp/python/"):
            return self.tar(flags, rest)
        return self.send(404, b"not found\n")

    def releases(self, flags, base):
        if self.fault(flags):
            return None
        if "shape" in flags:
            return self.send(200, b'{"meta": {"total_count": 0}}', JSON)
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
        self.document(flags, json.dumps(wrap(flags, out), indent=1).encode())

    def files(self, flags, base, rid):
        st = self.server.state
        if "files404" in flags:
            return self.send(404, b"not found\n")
        if not rid.isdigit() or int(rid) not in st.by_id:
            return self.send(200, b"[]", JSON)
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
        return self.send(200, json.dumps(wrap(flags, out), indent=1).encode(),
                         JSON)

    def tar(self, flags, rest):
        if "tar404" in flags:
            return self.send(404, b"not found\n")
        if "creds" in flags and self.headers.get("Authorization") != CREDS:
            return self.send(401, b"who are you\n")
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
        return self.send(404, b"not found\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tsv", help="the CPython releases python.org lists")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    log = open(args.log, "a", encoding="utf-8")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(load_tsv(args.tsv), log)
    print(DIGEST, file=sys.stderr, flush=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
