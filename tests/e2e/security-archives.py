#!/usr/bin/env python3
"""Hostile archives, layouts and servers for 073-security-archives.bats.

usage: security-archives.py COMMAND ARGS...
  names DIR                 print the entries of DIR as Python bytes, sorted,
                            with ' -> TARGET' for symlinks
  layout DIR [options]      rewrite the OCI layout DIR (from box save
                            --format oci-dir) after changing its first image:
      --diff-id D           the config's first diff_id
      --layer-from DIR2     the first layer's blob and descriptor, from DIR2
      --layer-size-delta N  add N to the first layer descriptor's size
      --manifest-size-delta N  add N to index.json's manifest size
      --config-deep N       add a value nested N arrays deep to the config
  bomb OUT SIZE             a gzip tar holding one file of SIZE zero bytes
  sparse OUT                a tar holding a GNU sparse file of 1 TiB
  entries OUT N             a tar of N small files
  uu IN OUT                 IN uuencoded
  hostile OUTDIR OUTSIDE    tars that try to leave their layer or archive:
                            wh-dotdot.tar, dir-symlink-file.tar (a symlink
                            to OUTSIDE replacing a directory, then a file
                            beneath it), escape-archive.tar (a docker-archive
                            whose manifest.json names ../ paths)
  inject STORE NAME DIFF_ID  add image NAME to box's store STORE by hand: the
                            first image's manifest with its config's first
                            diff_id replaced (what a store written by an
                            older box after an attack could hold)
  redirect PORTFILE CERT KEY FILE HTTP_URL
                            an https server: GET /a.tar serves FILE,
                            /tohttps redirects to /a.tar, /tohttp to HTTP_URL
  drip PORTFILE FILE RATE   an http server sending FILE at RATE bytes/s
Servers listen on 127.0.0.1, write their port to PORTFILE and exit after
60 s.
"""
import binascii
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import ssl
import sys
import tarfile
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def names(d):
    out = []
    for n in sorted(os.listdir(os.fsencode(d))):
        p = os.path.join(os.fsencode(d), n)
        if os.path.islink(p):
            out.append("%r -> %r" % (n, os.readlink(p)))
        else:
            out.append(repr(n))
    print("\n".join(out))


def blob_path(d, digest):
    return os.path.join(d, "blobs", "sha256", digest.split(":", 1)[1])


def put_blob(d, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(d, digest), "wb") as f:
        f.write(data)
    return digest


def first_manifest(d):
    idx = json.load(open(os.path.join(d, "index.json")))
    desc = idx["manifests"][0]
    m = json.load(open(blob_path(d, desc["digest"])))
    return idx, desc, m


def layout(d, args):
    opts = dict(zip(args[::2], args[1::2]))
    idx, desc, m = first_manifest(d)
    c = json.load(open(blob_path(d, m["config"]["digest"])))
    if "--layer-from" in opts:
        _, _, m2 = first_manifest(opts["--layer-from"])
        src = blob_path(opts["--layer-from"], m2["layers"][0]["digest"])
        shutil.copyfile(src, blob_path(d, m2["layers"][0]["digest"]))
        m["layers"][0] = m2["layers"][0]
    if "--diff-id" in opts:
        c["rootfs"]["diff_ids"][0] = opts["--diff-id"]
    if "--config-deep" in opts:
        v = 1
        for _ in range(int(opts["--config-deep"])):
            v = [v]
        c["x-deep"] = v
    cb = json.dumps(c).encode()
    m["config"]["digest"] = put_blob(d, cb)
    m["config"]["size"] = len(cb)
    if "--layer-size-delta" in opts:
        m["layers"][0]["size"] += int(opts["--layer-size-delta"])
    mb = json.dumps(m).encode()
    desc["digest"] = put_blob(d, mb)
    desc["size"] = len(mb)
    if "--manifest-size-delta" in opts:
        desc["size"] += int(opts["--manifest-size-delta"])
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(idx, f)


def bomb(out, size):
    class Zeros:
        left = size

        def read(self, n=-1):
            n = self.left if n < 0 else min(n, self.left)
            self.left -= n
            return bytes(n)

    with gzip.open(out, "wb", compresslevel=9) as g:
        with tarfile.open(fileobj=g, mode="w|", format=tarfile.PAX_FORMAT) as t:
            info = tarfile.TarInfo("zeros")
            info.size = size
            t.addfile(info, Zeros())


def header(name, typ, size, link=b""):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"00000000000\0"
    h[148:156] = b" " * 8
    h[156:157] = typ
    h[157:157 + len(link)] = link
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(b):
    return b + bytes((512 - len(b) % 512) % 512)


def pax(records):
    body = b""
    for k, v in records:
        rec = b" %s=%s\n" % (k, v)
        n = len(rec) + 1
        while n != len(rec) + len(str(n)):
            n = len(rec) + len(str(n))
        body += str(n).encode() + rec
    return header(b"PaxHeaders/x", b"x", len(body)) + pad(body)


def sparse(out):
    # GNU sparse 1.0 in pax: 1 TiB apparent, one byte of data at the end
    tib = 1 << 40
    data = pax([(b"GNU.sparse.major", b"1"), (b"GNU.sparse.minor", b"0"),
                (b"GNU.sparse.name", b"huge"),
                (b"GNU.sparse.realsize", str(tib).encode())])
    smap = pad(b"1\n%d\n1\n" % (tib - 1))
    data += header(b"GNUSparseFile.0/huge", b"0", len(smap) + 1)
    data += smap + pad(b"x")
    data += bytes(1024)
    open(out, "wb").write(data)


def entries(out, n):
    with tarfile.open(out, "w") as t:
        for i in range(n):
            info = tarfile.TarInfo("f%d" % i)
            info.size = 1
            t.addfile(info, io.BytesIO(b"x"))


def uu(src, out):
    data = open(src, "rb").read()
    lines = [b"begin 644 layer.tar\n"]
    for i in range(0, len(data), 45):
        lines.append(binascii.b2a_uu(data[i:i + 45], backtick=True))
    lines.append(b"`\nend\n")
    open(out, "wb").write(b"".join(lines))


def hostile(outdir, outside):
    os.makedirs(outdir, exist_ok=True)

    def write(name, members):
        with tarfile.open(os.path.join(outdir, name), "w") as t:
            for info, data in members:
                t.addfile(info, io.BytesIO(data) if data is not None else None)

    def entry(name, typ=tarfile.REGTYPE, data=b"", link=""):
        info = tarfile.TarInfo(name)
        info.type = typ
        info.size = len(data) if typ == tarfile.REGTYPE else 0
        info.linkname = link
        return info, data if typ == tarfile.REGTYPE else None

    write("wh-dotdot.tar", [entry("a/.wh.."), entry("f", data=b"x")])
    write("dir-symlink-file.tar", [
        entry("a", tarfile.DIRTYPE),
        entry("a", tarfile.SYMTYPE, link=outside),
        entry(outside.lstrip("/"), tarfile.DIRTYPE),
        entry("a/f", data=b"owned"),
    ])
    manifest = json.dumps([{"Config": "../../cfg.json", "RepoTags": ["x:1"],
                            "Layers": ["../../../layer.tar"]}]).encode()
    write("escape-archive.tar", [entry("manifest.json", data=manifest)])


def serve(portfile, handler, tls=None):
    srv = HTTPServer(("127.0.0.1", 0), handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.timeout = 1
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    deadline = time.time() + 60
    while time.time() < deadline:
        srv.handle_request()


def inject(store, name, diff_id):
    idx = json.load(open(os.path.join(store, "index.json")))
    desc = dict(idx["manifests"][0])
    m = json.load(open(blob_path(store, desc["digest"])))
    c = json.load(open(blob_path(store, m["config"]["digest"])))
    c["rootfs"]["diff_ids"][0] = diff_id
    cb = json.dumps(c).encode()
    m["config"]["digest"] = put_blob(store, cb)
    m["config"]["size"] = len(cb)
    mb = json.dumps(m).encode()
    desc["digest"] = put_blob(store, mb)
    desc["size"] = len(mb)
    desc["annotations"] = {"org.opencontainers.image.ref.name": name}
    idx["manifests"].append(desc)
    with open(os.path.join(store, "index.json"), "w") as f:
        json.dump(idx, f)


def redirect(portfile, cert, key, path, http_url):
    data = open(path, "rb").read()

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/a.tar":
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(302)
            self.send_header("Location",
                             http_url if self.path == "/tohttp" else "/a.tar")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    serve(portfile, H, (cert, key))


def drip(portfile, path, rate):
    data = open(path, "rb").read()

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            chunk = max(1, rate // 10)
            try:
                for i in range(0, len(data), chunk):
                    self.wfile.write(data[i:i + chunk])
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

        def log_message(self, *a):
            pass

    serve(portfile, H)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "names":
        names(args[0])
    elif cmd == "layout":
        layout(args[0], args[1:])
    elif cmd == "bomb":
        bomb(args[0], int(args[1]))
    elif cmd == "sparse":
        sparse(args[0])
    elif cmd == "entries":
        entries(args[0], int(args[1]))
    elif cmd == "uu":
        uu(args[0], args[1])
    elif cmd == "hostile":
        hostile(*args)
    elif cmd == "inject":
        inject(*args)
    elif cmd == "redirect":
        redirect(*args)
    elif cmd == "drip":
        drip(args[0], args[1], int(args[2]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
