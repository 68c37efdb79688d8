#!/usr/bin/env python3
"""Tools of the 11x-registry tests, talking only to 127.0.0.1.

  index REG REPO TAG SRC_TAG   push an index: SRC_TAG's manifest as
                               linux/amd64, a copy with an arm64 config as
                               linux/arm64/v8
  proxy PORT REG               forward to REG; the first GET of each blob
                               is cut after half its body (logs Range asks)
  authproxy PORT REG           forward to REG behind Basic auth (any
                               credentials); blob GETs are redirected to
                               http://localhost:PORT/storage/..., which logs
                               whether credentials came along
  fake PORT MODE               a bad registry: html (manifests are a web
                               page), 429 (rate limited), 500 (always fails)
"""
import hashlib, http.client, json, socket, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DOCKER_M = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_L = "application/vnd.docker.distribution.manifest.list.v2+json"
ACCEPT = ", ".join([DOCKER_M, DOCKER_L, "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.oci.image.index.v1+json"])


def req(reg, method, path, body=None, headers=None):
    c = http.client.HTTPConnection(reg)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    return r, r.read()


def put_blob(reg, repo, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    r, _ = req(reg, "POST", f"/v2/{repo}/blobs/uploads/")
    loc = r.getheader("Location")
    loc += ("&" if "?" in loc else "?") + "digest=" + d
    if loc.startswith("http"):
        loc = "/" + loc.split("/", 3)[3]
    r, b = req(reg, "PUT", loc, data, {"Content-Type": "application/octet-stream"})
    assert r.status == 201, (r.status, b)
    return d


def put_manifest(reg, repo, ref, data, mt):
    r, b = req(reg, "PUT", f"/v2/{repo}/manifests/{ref}", data, {"Content-Type": mt})
    assert r.status == 201, (r.status, b)
    return "sha256:" + hashlib.sha256(data).hexdigest()


def index(reg, repo, tag, src):
    r, mbytes = req(reg, "GET", f"/v2/{repo}/manifests/{src}", headers={"Accept": ACCEPT})
    m = json.loads(mbytes)
    mdigest = "sha256:" + hashlib.sha256(mbytes).hexdigest()
    _, cfg = req(reg, "GET", f"/v2/{repo}/blobs/{m['config']['digest']}")
    c = json.loads(cfg)
    c["architecture"], c["variant"] = "arm64", "v8"
    c.setdefault("config", {}).setdefault("Labels", {})
    c["config"]["Labels"] = dict(c["config"]["Labels"] or {}, arch="arm64")
    cb = json.dumps(c).encode()
    m2 = dict(m, config=dict(m["config"], digest=put_blob(reg, repo, cb), size=len(cb)))
    m2b = json.dumps(m2).encode()
    d2 = put_manifest(reg, repo, "arm64", m2b, m["mediaType"])
    lst = {"schemaVersion": 2, "mediaType": DOCKER_L, "manifests": [
        {"mediaType": m["mediaType"], "digest": d2, "size": len(m2b),
         "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"mediaType": m["mediaType"], "digest": mdigest, "size": len(mbytes),
         "platform": {"os": "linux", "architecture": "amd64"}}]}
    print(put_manifest(reg, repo, tag, json.dumps(lst).encode(), DOCKER_L))


def proxy(port, reg):
    cut = set()

    class P(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_one(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            hdrs = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            if self.headers.get("Range"):
                print("range", self.path, self.headers["Range"], flush=True)
            r, data = req(reg, self.command, self.path, body, hdrs)
            first_blob = self.command == "GET" and "/blobs/sha256:" in self.path \
                and self.path not in cut and len(data) > 4096
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.end_headers()
            if first_blob:
                cut.add(self.path)
                print("cut", self.path, len(data) // 2, flush=True)
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(data)

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = handle_one

    ThreadingHTTPServer(("127.0.0.1", port), P).serve_forever()


def authproxy(port, reg):
    class A(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_one(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            auth = self.headers.get("Authorization")
            path = self.path
            if path.startswith("/storage/"):
                print("storage", "auth" if auth else "noauth", flush=True)
                path = path[len("/storage"):]
            elif not auth:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="authproxy"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            elif self.command == "GET" and "/blobs/sha256:" in path:
                self.send_response(307)
                self.send_header("Location", f"http://localhost:{port}/storage{path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            hdrs = {k: v for k, v in self.headers.items()
                    if k.lower() not in ("host", "authorization")}
            r, data = req(reg, self.command, path, body, hdrs)
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = handle_one

    ThreadingHTTPServer(("127.0.0.1", port), A).serve_forever()


def fake(port, mode):
    class F(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, status, ctype, body, extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/v2/":
                return self.reply(200, "application/json", b"{}")
            if mode == "html":
                return self.reply(200, "text/html", b"<html><body>Welcome!</body></html>")
            if mode == "tags" and self.path.startswith("/v2/bad/names/tags/list"):
                return self.reply(200, "application/json", b'{"name":"bad/names","tags":["ok","../../x"]}')
            if mode == "tags" and self.path.startswith("/v2/loop/forever/tags/list"):
                return self.reply(200, "application/json", b'{"name":"loop/forever","tags":["a"]}',
                                  [("Link", '</v2/loop/forever/tags/list?last=a&n=1>; rel="next"')])
            if mode == "429":
                return self.reply(429, "application/json",
                                  b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                                  [("Retry-After", "120")])
            print("get", self.path, flush=True)
            return self.reply(500, "text/plain", b"oops")

    ThreadingHTTPServer(("127.0.0.1", port), F).serve_forever()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "index":
        index(*sys.argv[2:6])
    elif cmd == "proxy":
        proxy(int(sys.argv[2]), sys.argv[3])
    elif cmd == "authproxy":
        authproxy(int(sys.argv[2]), sys.argv[3])
    elif cmd == "fake":
        fake(int(sys.argv[2]), sys.argv[3])
