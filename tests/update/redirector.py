#!/usr/bin/env python3
"""Redirects for tests/update.t, on two ports of 127.0.0.1 (A and B).

Every request is logged to --log as "HOST PATH AUTHORIZATION" (AUTHORIZATION
is "-" when there is none). The first path segment says where to go:

  /cross/REST  302 to http://localhost:A/landed/REST (another host name)
  /port/REST   302 to http://127.0.0.1:B/landed/REST (another port)
  /same/REST   302 to /landed/REST (the same origin)
  /file/REST   302 to file:///etc/passwd (a protocol other than http(s))
  /landed/...  404 (where a redirect lands; its log line is what counts)

A registry, for base images 127.0.0.1:A/SCENARIO/debian:x:

  /v2/SCENARIO/debian/manifests/x  401 with a Bearer challenge whose realm
               is /token on A, unless the request has "Authorization:
               Bearer tok"; with it, SCENARIO as above (cross, port, same)
               to /v2/landed/debian/manifests/x
  /v2/landed/...  200 with a Docker-Content-Digest
  /token       {"token": "tok"}

The ports go to --port-file as "A B" once both listen.
"""
import argparse
import http.server
import threading

DIGEST = "sha256:" + "ab" * 32


def handler(log, ports):
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, status, headers=(), body=b""):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def redirect(self, scenario, path):
            a, b = ports
            to = {"cross": "http://localhost:%d/%s" % (a, path),
                  "port": "http://127.0.0.1:%d/%s" % (b, path),
                  "same": "/" + path,
                  "file": "file:///etc/passwd"}.get(scenario)
            if to is None:
                self.answer(404)
            else:
                self.answer(302, [("Location", to)])

        def do_GET(self):
            auth = self.headers.get("Authorization") or "-"
            with open(log, "a") as f:
                f.write("%s %s %s\n" % (self.headers.get("Host"), self.path, auth))
            parts = self.path.lstrip("/").split("/", 1)
            first, rest = parts[0], parts[1] if len(parts) > 1 else ""
            if first == "token" or first.startswith("token?"):
                self.answer(200, [("Content-Type", "application/json")],
                            b'{"token": "tok"}')
            elif first == "v2":
                scenario, _, tail = rest.partition("/")
                if scenario == "landed":
                    self.answer(200, [("Docker-Content-Digest", DIGEST)])
                elif auth != "Bearer tok":
                    realm = "http://127.0.0.1:%d/token" % ports[0]
                    self.answer(401, [("WWW-Authenticate",
                                       'Bearer realm="%s",service="t"' % realm)])
                else:
                    self.redirect(scenario, "v2/landed/" + tail)
            elif first == "landed":
                self.answer(404)
            else:
                self.redirect(first, "landed/" + rest)

        do_HEAD = do_GET
    return H


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    args = p.parse_args()
    ports = []
    servers = []
    for _ in range(2):
        s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), None)
        servers.append(s)
        ports.append(s.server_port)
    for s in servers:
        s.RequestHandlerClass = handler(args.log, ports)
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d %d\n" % tuple(ports))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    threading.Event().wait()


if __name__ == "__main__":
    main()
