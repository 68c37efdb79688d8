#!/usr/bin/env python3
"""A hostile registry on 127.0.0.1 for tests/e2e/015-attack-registry.bats.

  attack-registry.py PORTFILE MODE

serves one image, x/img:tag (a layer with one file, /hello), bent by MODE:
  good          as it should be
  notjson       the config blob is not JSON (its digest is right)
  bigsize       the layer's descriptor claims 2^62 bytes
  negsize       the layer's descriptor claims -1 bytes
  badlayer      the layer's bytes do not match its digest
  truncated     every GET of the layer ends after half its body
  baddiffid     the config's diff_id is not the layer's
  dotdigest     the layer's digest is sha256:../../../../etc/passwd
  hugeconfig    the config descriptor claims 2^40 bytes
  bigmanifest   the manifest is 64 MiB of JSON whitespace
  emptymanifest the manifest is an empty body (fuzz-pull: read from no buffer)
  realmsteal    Bearer auth; the manifest is redirected to "storage" (the
                same server named localhost), which answers 401 with a
                realm of its own: credentials sent there are written to
                PORTFILE.stolen
  escrealm      Bearer auth whose realm holds a terminal escape sequence
  fasthealth    the config's health check runs every 0.5 ms (no CLI or
                Dockerfile allows that, an image may say anything)
The layer is $ATTACK_LAYER (a tar) when set.
Writes the port it listens on to PORTFILE, then serves until killed.
"""
import gzip, hashlib, io, json, os, sys, tarfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[2]


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer_tar():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = b"hello from a registry\n"
        ti = tarfile.TarInfo("hello")
        ti.size, ti.mode, ti.mtime = len(data), 0o644, 0
        t.addfile(ti, io.BytesIO(data))
    return raw.getvalue()


TAR = open(os.environ["ATTACK_LAYER"], "rb").read() if os.environ.get("ATTACK_LAYER") else layer_tar()
LAYER = gzip.compress(TAR, mtime=0)
CONFIG = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"Cmd": ["/hello"]} if MODE != "fasthealth" else {
        "Cmd": ["sleep", "60"],
        "Healthcheck": {"Test": ["CMD-SHELL", "echo ok"], "Interval": 500000}},
    "rootfs": {"type": "layers",
               "diff_ids": [sha(b"other" if MODE == "baddiffid" else TAR)]},
}).encode()
if MODE == "notjson":
    CONFIG = b"this is not JSON\x00\xff"
BLOBS = {sha(LAYER): LAYER, sha(CONFIG): CONFIG}
layer_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
              "digest": sha(LAYER), "size": len(LAYER)}
if MODE == "bigsize":
    layer_desc["size"] = 1 << 62
if MODE == "negsize":
    layer_desc["size"] = -1
if MODE == "dotdigest":
    layer_desc["digest"] = "sha256:../../../../etc/passwd"
config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": sha(CONFIG), "size": len(CONFIG)}
if MODE == "hugeconfig":
    config_desc["size"] = 1 << 40
MANIFEST = json.dumps({"schemaVersion": 2,
                       "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": config_desc, "layers": [layer_desc]}).encode()
if MODE == "bigmanifest":
    MANIFEST = MANIFEST[:-1] + b" " * (64 << 20) + b"}"
if MODE == "emptymanifest":
    MANIFEST = b""


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json", length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def realm(self, host, path):
        port = self.server.server_address[1]
        self.send_response(401)
        self.send_header("WWW-Authenticate",
                         f'Bearer realm="http://{host}:{port}{path}",service="reg"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        p = self.path
        if MODE == "escrealm" and not p.startswith("/token"):
            return self.realm("127.0.0.1", "/token\x1b]0;owned\x07\x1b[2J")
        if MODE == "realmsteal":
            host = self.headers.get("Host", "").split(":")[0]
            auth = self.headers.get("Authorization", "")
            if host == "localhost":  # the storage a redirect leads to
                if p.startswith("/steal"):
                    with open(sys.argv[1] + ".stolen", "a") as f:
                        f.write(auth + "\n")
                    return self.send(200, b'{"token":"stolen"}')
                return self.realm("localhost", "/steal")
            if p.startswith("/token"):
                return self.send(200, b'{"token":"good"}')
            if auth != "Bearer good":
                return self.realm("127.0.0.1", "/token")
            if p.startswith("/v2/x/img/manifests/"):
                port = self.server.server_address[1]
                self.send_response(307)
                self.send_header("Location", f"http://localhost:{port}/storage{p}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if p == "/v2/":
            return self.send(200, b"{}")
        if p in ("/v2/x/img/manifests/tag", "/v2/x/img/manifests/" + sha(MANIFEST)):
            return self.send(200, MANIFEST, "application/vnd.oci.image.manifest.v1+json")
        if p.startswith("/v2/x/img/blobs/"):
            d = p[len("/v2/x/img/blobs/"):]
            b = BLOBS.get(d)
            if b is None:
                return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"no"}]}')
            if b is LAYER and MODE == "badlayer":
                b = bytes(x ^ 1 for x in b)
            if b is LAYER and MODE == "truncated":
                self.send_response(200)
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b[: len(b) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            return self.send(200, b, "application/octet-stream")
        self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}')

    do_HEAD = do_GET


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
