#!/usr/bin/env python3
"""A hostile OCI registry and token server for tests/registry.t, on
127.0.0.1 only: answers that a registry or token server under someone
else's control could send, each of which `matrixc update` must refuse (or
handle without being fooled).

The first component of the repository name is the scenario: `update` with
the base 127.0.0.1:PORT/mismatch/debian:x meets the registry of scenario
"mismatch". The token endpoint is /token/SCENARIO; its token is
"good-token" unless the scenario says otherwise. Scenarios:

  leak        the 401 carries a Docker-Content-Digest (of other bytes);
              with the token, HEAD answers 200 without one and GET serves
              BODY: the digest must be BODY's, not the 401's
  mismatch    HEAD without a digest; GET serves BODY with a well-formed
              Docker-Content-Digest of other bytes
  twodigests  HEAD answers two Docker-Content-Digest headers that differ
  list        one WWW-Authenticate line holding a Basic challenge, then
              the Bearer one (RFC 9110's list form)
  bigtoken    the token endpoint answers a token of 100,000 characters
  bigchallenge  a 401 whose WWW-Authenticate is 40,000 bytes long
  redirect    with the token, HEAD answers 307 to the same path on
              "localhost" instead of "127.0.0.1" (another host name for
              libcurl), where it answers 200 with the digest of BODY: the
              token must not follow the redirect

Every request is logged as "METHOD HOST PATH AUTHORIZATION" to --log.
"""
import argparse
import hashlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

BODY = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [],
    "annotations": {"hostile": "yes"},
}).encode()
DIGEST = "sha256:" + hashlib.sha256(BODY).hexdigest()
OTHER = "sha256:" + hashlib.sha256(b"other bytes").hexdigest()
TOKEN = "good-token"
MEDIA = ("Content-Type", "application/vnd.oci.image.index.v1+json")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log(self):
        with open(self.server.log_path, "a") as f:
            f.write("%s %s %s %s\n" % (self.command,
                                       self.headers.get("Host", "-"),
                                       self.path,
                                       self.headers.get("Authorization", "-")))

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def challenge(self, scenario, extra=()):
        realm = "http://127.0.0.1:%d/token/%s" % (self.server.server_port,
                                                 scenario)
        value = 'Bearer realm="%s",service="hostile"' % realm
        if scenario == "list":
            value = 'Basic realm="hostile, really", ' + value
        if scenario == "bigchallenge":
            value += ',padding="%s"' % ("x" * 40000)
        self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                    [("WWW-Authenticate", value)] + list(extra))

    def token(self, scenario):
        token = TOKEN
        if scenario == "bigtoken":
            token = "t" * 100000
        self.answer(200, json.dumps({"token": token}).encode(),
                    [("Content-Type", "application/json")])

    def manifest(self, scenario):
        authorized = self.headers.get("Authorization") == "Bearer " + TOKEN
        if scenario == "redirect" and \
                self.headers.get("Host", "").startswith("localhost:"):
            return self.answer(200, BODY, [MEDIA,
                                           ("Docker-Content-Digest", DIGEST)])
        if scenario in ("leak", "list", "bigtoken", "bigchallenge",
                        "redirect") and not authorized:
            return self.challenge(scenario,
                                  [("Docker-Content-Digest", OTHER)])
        if scenario == "redirect":
            where = "http://localhost:%d%s" % (self.server.server_port,
                                               self.path)
            return self.answer(307, b"", [("Location", where)])
        if scenario == "twodigests":
            return self.answer(200, BODY, [MEDIA,
                                           ("Docker-Content-Digest", DIGEST),
                                           ("Docker-Content-Digest", OTHER)])
        if scenario == "mismatch" and self.command == "GET":
            return self.answer(200, BODY, [MEDIA,
                                           ("Docker-Content-Digest", OTHER)])
        if scenario in ("leak", "mismatch") and self.command == "HEAD":
            return self.answer(200, b"", [MEDIA])
        self.answer(200, BODY, [MEDIA])

    def handle_any(self):
        self.log()
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "token":
            return self.token(parts[1])
        # /v2/<scenario>/<name...>/manifests/<ref>
        if len(parts) >= 5 and parts[0] == "v2" and parts[-2] == "manifests":
            return self.manifest(parts[1])
        self.answer(404, b"not found")

    do_GET = handle_any
    do_HEAD = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.log_path = args.log
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_port)
    os.rename(args.port_file + ".tmp", args.port_file)
    print(DIGEST, file=sys.stderr)
    srv.serve_forever()


if __name__ == "__main__":
    main()
