#!/usr/bin/env python3
"""A misbehaving OCI registry for tests/registry.t, on 127.0.0.1 only.

The first component of the repository name is the scenario, so one server
serves every case: `update` with the base 127.0.0.1:PORT/e500/debian:x
meets a registry that answers 500. Scenarios:

  ok         HEAD answers 200 with the digest of BODY
  nodigest   HEAD answers 200 without Docker-Content-Digest; GET serves BODY
             (the client hashes it: the digest is sha256 of BODY)
  e500       every manifest request answers 500
  e404       every manifest request answers 404
  badjson    401 with a Bearer challenge whose token endpoint answers
             something that is not JSON
  truncated  HEAD without a digest; GET announces more bytes than it sends
  baddigest  HEAD answers a malformed Docker-Content-Digest
  bearer     401 with a challenge (realm on this server, quoted service
             and scope with a comma inside the quotes) unless the request
             carries `Authorization: Bearer good-token`, which the token
             endpoint gives for that service and scope only

Every request is logged as "METHOD PATH AUTHORIZATION" to --log.
"""
import argparse
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BODY = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [],
}).encode()
DIGEST = "sha256:" + hashlib.sha256(BODY).hexdigest()
SERVICE = "fault test"
TOKEN = "good-token"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log(self):
        with open(self.server.log_path, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path,
                                    self.headers.get("Authorization", "-")))

    def answer(self, status, body=b"", headers=(), length=None):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length",
                         str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def challenge(self, scenario, repo):
        realm = "http://127.0.0.1:%d/token/%s" % (self.server.server_port,
                                                 scenario)
        scope = "repository:%s:pull,push" % repo
        value = 'Bearer realm="%s",service="%s",scope="%s"' % (
            realm, SERVICE, scope)
        self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                    [("WWW-Authenticate", value),
                     ("Content-Type", "application/json")])

    def token(self, scenario, query):
        if scenario == "badjson":
            return self.answer(200, b"{this is not json",
                               [("Content-Type", "application/json")])
        q = parse_qs(query)
        want_scope = None
        if q.get("service") == [SERVICE]:
            want_scope = q.get("scope", [""])[0]
        if not want_scope or not want_scope.endswith(":pull,push"):
            return self.answer(400, b"bad service or scope")
        self.answer(200, json.dumps({"access_token": TOKEN}).encode(),
                    [("Content-Type", "application/json")])

    def manifest(self, scenario, repo):
        if scenario == "e500":
            return self.answer(500, b"oops")
        if scenario == "e404":
            return self.answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        if scenario == "badjson":
            return self.challenge(scenario, repo)
        if scenario == "bearer" and \
                self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.challenge(scenario, repo)
        media = [("Content-Type", "application/vnd.oci.image.index.v1+json")]
        if scenario == "baddigest":
            return self.answer(200, BODY, media +
                               [("Docker-Content-Digest", "sha256:zz")])
        if scenario in ("nodigest", "truncated"):
            if self.command == "HEAD":
                return self.answer(200, b"", media, length=len(BODY))
            if scenario == "truncated":
                self.answer(200, BODY[:10], media, length=len(BODY) + 100)
                self.close_connection = True
                return None
            return self.answer(200, BODY, media)
        self.answer(200, BODY, media + [("Docker-Content-Digest", DIGEST)])

    def handle_any(self):
        self.log()
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "token":
            return self.token(parts[1], url.query)
        # /v2/<scenario>/<name...>/manifests/<ref>
        if len(parts) >= 5 and parts[0] == "v2" and parts[-2] == "manifests":
            return self.manifest(parts[1], "/".join(parts[1:-2]))
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
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    print(DIGEST, file=sys.stderr)
    srv.serve_forever()


if __name__ == "__main__":
    main()
