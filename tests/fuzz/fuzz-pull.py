#!/usr/bin/env python3
"""A hostile registry that mutates what it serves, for `box pull` under
ASan+UBSan (out/asan/box): the whole client path a registry feeds, from
the HTTP headers (WWW-Authenticate challenges, token bodies, Link headers,
Content-Type, Docker-Content-Digest) through the manifest, index, config
and tags/list JSON to what the store then reads back (`image inspect`,
`history`).  Digests are recomputed after each mutation, so a mutated
config or manifest gets past the digest check to its parser.

  fuzz-pull.py BOX SECONDS OUTDIR [SEED]

Runs pulls for SECONDS, each against one mutated image, in a store of its
own under OUTDIR.  A pull must exit 0 or 125 within 60 s and leave no
sanitizer report; any other outcome is saved as OUTDIR/finding-N.json (the
case: every body and header served, replayable with --replay FILE).
Prints the number of pulls and findings; exits 1 when there are findings.
"""
import base64, copy, gzip, hashlib, io, json, os, random, shutil, subprocess, sys, tarfile
import threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer_tar():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = b"hello from a registry\n"
        ti = tarfile.TarInfo("hello")
        ti.size, ti.mode, ti.mtime = len(data), 0o755, 0
        t.addfile(ti, io.BytesIO(data))
    return raw.getvalue()


TAR = layer_tar()
LAYER = gzip.compress(TAR, mtime=0)

CONFIG = {
    "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05.123456789Z",
    "author": "fuzz",
    "config": {"Cmd": ["/hello"], "Entrypoint": None, "Env": ["PATH=/bin", "A=b"],
               "User": "1000:1000", "WorkingDir": "/w", "Labels": {"a": "b"},
               "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
               "StopSignal": "SIGTERM", "OnBuild": ["RUN true"],
               "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30000000000,
                               "Timeout": 1000000000, "Retries": 3, "StartPeriod": 0}},
    "rootfs": {"type": "layers", "diff_ids": [sha(TAR)]},
    "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "COPY hello /",
                 "comment": "c"}, {"created_by": "CMD", "empty_layer": True}],
}

# values a mutation puts anywhere in a JSON document
ODD = [None, True, False, 0, -1, 1 << 31, 1 << 63, -(1 << 63), 1 << 64, 1e308, -0.0, 1.5,
       "", "x", "\u0000", "\ud800", "\u00e9\u2028", "%s%n", "../../etc/passwd", "a" * 5000,
       "sha256:", "sha256:" + "0" * 64, "sha512:" + "f" * 128, "2024-13-45T25:61:61Z",
       "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+14:00", "\x1b[2J",
       [], {}, [[[[[[[[[[]]]]]]]]]], {"a": {"b": {"c": {}}}}, ["x"] * 300,
       {"k" + str(i): "v" for i in range(100)}]
KEYS = ["mediaType", "digest", "size", "annotations", "urls", "platform", "os", "architecture",
        "variant", "os.version", "os.features", "features", "config", "layers", "manifests",
        "subject", "artifactType", "schemaVersion", "Env", "Cmd", "Entrypoint", "Labels",
        "ExposedPorts", "Volumes", "User", "WorkingDir", "StopSignal", "Healthcheck",
        "Interval", "Test", "history", "created", "created_by", "empty_layer", "diff_ids",
        "rootfs", "type", "token", "access_token", "expires_in", "issued_at", "tags", "name",
        "errors", "code", "message"]
CHALLENGES = [
    'Bearer realm="http://{h}/token",service="reg",scope="repository:x/img:pull"',
    'Bearer realm="http://{h}/token"', 'Bearer realm=http://{h}/token,service=reg',
    'Bearer realm="http://{h}/token",service="a\\"b\\\\",scope=""', 'Bearer', 'Bearer ',
    'Bearer realm=', 'Bearer realm="', 'Bearer ,,,,realm="http://{h}/token",,',
    'Basic realm="x"', 'Bearer realm="ftp://{h}/token"', 'Bearer realm="http://{h}/token?a=b&c"',
    'Bearer realm="http://{h}/tok\nen"', 'Bearer realm="/relative"', 'Digest realm="x"',
    'Bearer realm="http://{h}/token", Basic realm="x"', 'Bearer scope="' + "s" * 9000 + '"',
    'bearer REALM="http://{h}/token"',
]
LINKS = ['</v2/x/img/tags/list?last=b&n=1>; rel="next"', '<>; rel="next"', '<', 'rel="next"',
         '</v2/x/img/tags/list?last=' + "z" * 3000 + '>; rel="next"',
         '<http://evil.invalid/v2/x/img/tags/list>; rel="next"', '<//x>; rel=next', ';;;<',
         '</v2/x/img/tags/list?n=1>; rel="prev", </v2/x/img/tags/list?last=c>; rel="next"']
CTYPES = ["application/vnd.oci.image.manifest.v1+json",
          "application/vnd.docker.distribution.manifest.v2+json",
          "application/vnd.oci.image.index.v1+json",
          "application/vnd.docker.distribution.manifest.list.v2+json",
          "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/json",
          "text/html", "", "application/vnd.oci.image.manifest.v1+json; charset=utf-8",
          "application/vnd.oci.image.manifest.v1+json\x00"]


def mutate_json(rng, doc, rounds):
    """Replaces, removes or adds values at random places of DOC."""
    for _ in range(rounds):
        nodes = []

        def walk(n, depth):
            if depth > 12:
                return
            if isinstance(n, dict):
                nodes.append(n)
                for v in n.values():
                    walk(v, depth + 1)
            elif isinstance(n, list):
                nodes.append(n)
                for v in n:
                    walk(v, depth + 1)

        walk(doc, 0)
        if not nodes:
            return rng.choice(ODD)
        n = rng.choice(nodes)
        op = rng.random()
        val = copy.deepcopy(rng.choice(ODD + [copy.deepcopy(rng.choice(nodes))]))
        if isinstance(n, dict):
            if n and op < 0.5:
                n[rng.choice(list(n))] = val
            elif n and op < 0.7:
                del n[rng.choice(list(n))]
            else:
                n[rng.choice(KEYS)] = val
        else:
            if n and op < 0.5:
                n[rng.randrange(len(n))] = val
            elif n and op < 0.7:
                del n[rng.randrange(len(n))]
            else:
                n.insert(rng.randrange(len(n) + 1), val)
    return doc


def mutate_bytes(rng, b):
    b = bytearray(b)
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        i = rng.randrange(len(b) + 1)
        if op < 0.3 and b:
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif op < 0.5:
            b[i:i] = bytes(rng.choice([b"\x00", b"\xff", b"\\u0000", b'"', b"{", b"[", b"9" * 30,
                                       b"\\ud800", b"e999", b"-", b"\xc3"]))
        elif op < 0.7:
            del b[i:i + rng.randint(1, 16)]
        else:
            b = b[:i]
    return bytes(b)


def dumps(rng, doc):
    s = json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    return mutate_bytes(rng, s) if rng.random() < 0.15 else s


def make_case(rng):
    """One image as served: a dict of path -> (status, headers, body)."""
    cfg = copy.deepcopy(CONFIG)
    target = rng.choice(["config", "config", "manifest", "manifest", "index", "auth", "tags",
                         "headers"])
    if target == "config":
        cfg = mutate_json(rng, cfg, rng.randint(1, 6))
    config = dumps(rng, cfg) if target == "config" else json.dumps(cfg).encode()
    man = {"schemaVersion": 2, "mediaType": CTYPES[0],
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": sha(config), "size": len(config)},
           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": sha(LAYER), "size": len(LAYER)}],
           "annotations": {"org.opencontainers.image.ref.name": "tag"}}
    if target == "manifest":
        man = mutate_json(rng, man, rng.randint(1, 5))
    manifest = dumps(rng, man) if target == "manifest" else json.dumps(man).encode()
    mtype = rng.choice(CTYPES) if target in ("manifest", "headers") else CTYPES[0]
    paths = {}
    blobs = {sha(LAYER): LAYER, sha(config): config}
    top, top_type = manifest, mtype
    if target == "index" or rng.random() < 0.2:
        idx = {"schemaVersion": 2, "mediaType": CTYPES[2], "manifests": [
            {"mediaType": CTYPES[0], "digest": sha(manifest), "size": len(manifest),
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": CTYPES[0], "digest": sha(manifest), "size": len(manifest),
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": "sha256:" + "1" * 64, "size": 10,
             "platform": {"architecture": "unknown", "os": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest"}}]}
        if target == "index":
            idx = mutate_json(rng, idx, rng.randint(1, 5))
        top = dumps(rng, idx) if target == "index" else json.dumps(idx).encode()
        top_type = rng.choice(CTYPES[2:4]) if target != "headers" else rng.choice(CTYPES)
        paths["/v2/x/img/manifests/" + sha(manifest)] = (200, [("Content-Type", mtype)], manifest)
    hdrs = [("Content-Type", top_type)]
    if target == "headers" and rng.random() < 0.5:
        hdrs.append(("Docker-Content-Digest", rng.choice([sha(top), "sha256:" + "0" * 64, "",
                                                          "md5:x", "sha256:" + "g" * 64])))
    paths["/v2/x/img/manifests/tag"] = (200, hdrs, top)
    paths["/v2/x/img/manifests/" + sha(top)] = (200, hdrs, top)
    for d, b in blobs.items():
        paths["/v2/x/img/blobs/" + d] = (200, [("Content-Type", "application/octet-stream")], b)
    case = {"paths": paths, "auth": None, "tags": None}
    if target == "auth":
        tok = {"token": "t", "access_token": "t", "expires_in": 300,
               "issued_at": "2024-01-02T03:04:05Z"}
        tok = mutate_json(rng, tok, rng.randint(0, 4))
        case["auth"] = (rng.choice(CHALLENGES), dumps(rng, tok), rng.choice([200, 200, 401, 500]))
    if target == "tags":
        tags = {"name": "x/img", "tags": ["tag", "a", "b"]}
        tags = mutate_json(rng, tags, rng.randint(0, 4))
        case["tags"] = (dumps(rng, tags), rng.choice(LINKS + [None]))
    return case


class Server:
    def __init__(self):
        self.case = None
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, code, headers, body):
                try:
                    self.send_response(code)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError, UnicodeEncodeError):
                    self.close_connection = True

            def do_GET(self):
                c = outer.case
                p = self.path
                host = self.headers.get("Host", "127.0.0.1")
                if c["auth"]:
                    chal, tok, status = c["auth"]
                    if p.startswith("/token"):
                        return self.reply(status, [("Content-Type", "application/json")], tok)
                    if self.headers.get("Authorization") != "Bearer t":
                        return self.reply(401, [("WWW-Authenticate", chal.replace("{h}", host))],
                                          b'{"errors":[{"code":"UNAUTHORIZED"}]}')
                if p == "/v2/":
                    return self.reply(200, [("Content-Type", "application/json")], b"{}")
                if p.startswith("/v2/x/img/tags/list") and c["tags"]:
                    body, link = c["tags"]
                    h = [("Content-Type", "application/json")]
                    if link and "last=" not in p:
                        h.append(("Link", link))
                    return self.reply(200, h, body)
                if p in c["paths"]:
                    return self.reply(*c["paths"][p])
                self.reply(404, [("Content-Type", "application/json")],
                           b'{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}')

            do_HEAD = do_GET

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # box hung up (its limits): not a finding

        self.httpd = Quiet(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def encode_case(case):
    enc = lambda b: base64.b64encode(b).decode()
    return {"paths": {p: [s, h, enc(b)] for p, (s, h, b) in case["paths"].items()},
            "auth": case["auth"] and [case["auth"][0], enc(case["auth"][1]), case["auth"][2]],
            "tags": case["tags"] and [enc(case["tags"][0]), case["tags"][1]]}


def decode_case(d):
    dec = base64.b64decode
    return {"paths": {p: (s, [tuple(x) for x in h], dec(b)) for p, (s, h, b) in d["paths"].items()},
            "auth": d["auth"] and (d["auth"][0], dec(d["auth"][1]), d["auth"][2]),
            "tags": d["tags"] and (dec(d["tags"][0]), d["tags"][1])}


STATS = {}


def run_case(box, srv, case, out, env):
    """Pulls CASE; returns None, or why it is a finding."""
    srv.case = case
    ref = f"127.0.0.1:{srv.port}/x/img:tag"
    reports = os.path.join(out, "reports")
    shutil.rmtree(reports, ignore_errors=True)
    os.makedirs(reports)
    args = [[box, "pull", "-q", "--tls-verify=false", ref]]
    if case["tags"]:
        args = [[box, "pull", "-q", "-a", "--tls-verify=false", ref.rsplit(":", 1)[0]]]
    args += [[box, "image", "inspect", ref], [box, "history", "--no-trunc", ref],
             [box, "rmi", "-f", ref]]
    for i, a in enumerate(args):
        try:
            p = subprocess.run(a, env=env, capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            return f"{a[1]}: no exit within 60 s"
        err = p.stderr.decode("utf-8", "replace")
        if os.listdir(reports) or "runtime error" in err or "Sanitizer" in err:
            texts = [open(os.path.join(reports, f), errors="replace").read()
                     for f in os.listdir(reports)]
            return f"{a[1]}: sanitizer report:\n" + "\n".join(texts) + err
        if i == 0:
            STATS[p.returncode] = STATS.get(p.returncode, 0) + 1
        ok = (0, 125) if i == 0 else (0, 1, 125)
        if p.returncode not in ok:
            return f"{a[1]}: exit {p.returncode}: {err}"
        if i == 0 and p.returncode != 0:
            break
    return None


def main():
    if sys.argv[1:2] == ["--replay"]:
        box, path = sys.argv[2], sys.argv[3]
        out = os.path.dirname(os.path.abspath(path))
        cases = [decode_case(json.load(open(path)))]
        seconds = 1e9
    else:
        box, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
        cases = None
    os.makedirs(out, exist_ok=True)
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 and not cases else time.time_ns())
    root = os.path.join(out, "store")
    env = dict(os.environ, BOX_ROOT=root + "/root", BOX_RUNROOT=root + "/run",
               BOX_NETWORK_PREFIX=os.environ.get("BOX_NETWORK_PREFIX", "bfz"),
               XDG_CONFIG_HOME=root + "/config", BOX_PULL_TIMEOUT="20",
               ASAN_OPTIONS="log_path=" + os.path.join(out, "reports", "asan"),
               UBSAN_OPTIONS="print_stacktrace=1:log_path=" + os.path.join(out, "reports", "ubsan"))
    srv = Server()
    end = time.time() + seconds
    n = found = 0
    while time.time() < end:
        case = cases.pop() if cases is not None else make_case(rng)
        why = run_case(box, srv, case, out, env)
        n += 1
        if why:
            found += 1
            with open(os.path.join(out, f"finding-{found}.json"), "w") as f:
                json.dump(dict(encode_case(case), why=why), f)
            print(f"finding {found}: {why[:2000]}", flush=True)
        if cases is not None and not cases:
            break
        if n % 50 == 0:
            shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    print(f"{n} pulls ({', '.join(f'exit {k}: {v}' for k, v in sorted(STATS.items()))}), "
          f"{found} findings")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
