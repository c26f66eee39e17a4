#!/usr/bin/env python3
"""An anonymous token server for a real docker-registry, on 127.0.0.1.

distribution's `auth: token:` checks that a Bearer token is a JWT signed
by a key whose certificate is in its rootcertbundle, issued by its issuer
for its service, and that its "access" claim covers the request. This
server hands such a token to anyone, for whatever scope is asked (what
Docker Hub does for public pulls), signing with the openssl command line
(RS256), so that no Python package beyond the standard library is needed.
The certificate travels in the JWT header's x5c chain.

  GET /token?service=S&scope=repository:NAME:pull[,push]...
  -> {"token": JWT, "access_token": JWT, "expires_in": 300}

Every request is logged as "PATH" to --log.
"""
import argparse
import base64
import json
import os
import subprocess
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def access_of(scopes):
    """repository:debian:pull,push -> {"type", "name", "actions"}"""
    out = []
    for s in scopes:
        kind, _, rest = s.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind and name:
            out.append({"type": kind, "name": name,
                        "actions": [a for a in actions.split(",") if a]})
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        with open(self.server.args.log, "a") as f:
            f.write(self.path + "\n")
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        if url.path != "/token" or q.get("service") != [self.server.args.service]:
            body = b"unknown service"
            self.send_response(400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        token = self.server.sign(access_of(q.get("scope", [])))
        body = json.dumps({"token": token, "access_token": token,
                           "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    def sign(self, access):
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "x5c": [self.cert_b64]}
        claims = {"iss": self.args.issuer, "sub": "", "aud": self.args.service,
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": "%d-%d" % (now, os.getpid()), "access": access}
        signing = (b64url(json.dumps(header).encode()) + "." +
                   b64url(json.dumps(claims).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign",
                              self.args.key], input=signing.encode(),
                             capture_output=True, check=True).stdout
        return signing + "." + b64url(sig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform",
                          "DER"], capture_output=True, check=True).stdout
    srv = Server(("127.0.0.1", 0), Handler)
    srv.args = args
    srv.cert_b64 = base64.b64encode(der).decode()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_port)
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
