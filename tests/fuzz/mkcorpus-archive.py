#!/usr/bin/env python3
"""Writes the seed corpus of fuzz-archive (tests/fuzz/corpus-archive): small
layer tarballs (plain, gzip, zstd, xz, bzip2; ustar, pax and GNU formats;
symlinks, hard links, whiteouts, an opaque directory, devices, FIFOs,
xattrs, non-ASCII and long names, escape attempts) and whole image
archives (docker-archive, oci-archive, an OCI layout, a legacy
<id>/layer.tar one).  Deterministic: same bytes on every run.

    python3 tests/fuzz/mkcorpus-archive.py tests/fuzz/corpus-archive
"""
import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile

MTIME = 1700000000


def trim(data):
    """Drops tarfile's record padding: keep the two zero blocks that end it."""
    end = len(data)
    while end >= 512 and data[end - 512:end] == bytes(512):
        end -= 512
    return data[:end] + bytes(1024)


def tar(entries, fmt=tarfile.PAX_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt, encoding="utf-8") as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.mtime = e.get("mtime", MTIME)
            ti.mode = e.get("mode", 0o644)
            ti.uid = e.get("uid", 0)
            ti.gid = e.get("gid", 0)
            ti.type = e.get("type", tarfile.REGTYPE)
            ti.linkname = e.get("link", "")
            ti.devmajor, ti.devminor = e.get("dev", (0, 0))
            if "pax" in e:
                ti.pax_headers = e["pax"]
            data = e.get("data", b"")
            ti.size = len(data) if ti.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
            t.addfile(ti, io.BytesIO(data) if ti.size else None)
    return trim(out.getvalue())


def d(name, **kw):
    return dict(name=name, type=tarfile.DIRTYPE, mode=0o755, **kw)


def f(name, data=b"", **kw):
    return dict(name=name, data=data, **kw)


LAYER = [
    d("a"),
    f("a/f", b"hello\n"),
    dict(name="a/s", type=tarfile.SYMTYPE, link="f"),
    dict(name="a/h", type=tarfile.LNKTYPE, link="a/f"),
    f("a/.wh.gone"),
    d("b"),
    f("b/.wh..wh..opq"),
    dict(name="b/fifo", type=tarfile.FIFOTYPE),
    dict(name="b/null", type=tarfile.CHRTYPE, dev=(1, 3)),
    d("\u00e9"),
    f("\u00e9/\u00fc\u00f1\u00ee.txt", "\u00e9\n".encode()),
    dict(name="\u00e9/link", type=tarfile.SYMTYPE, link="\u00fc\u00f1\u00ee.txt"),
    f("x/" + "long" * 40, b"long name\n", pax={"SCHILY.xattr.user.k": "v"}),
    f("c/setuid", b"#!/bin/sh\n", mode=0o4755, uid=1000, gid=1000),
    f("c/nanos", b"", pax={"mtime": "1700000000.123456789"}),
]

ESCAPES = [
    f("/abs", b"x"),
    dict(name="up", type=tarfile.SYMTYPE, link="../../.."),
    f("up/through-symlink", b"x"),
    dict(name="root", type=tarfile.SYMTYPE, link="/"),
    f("root/through-absolute", b"x"),
    f(".wh.up", b""),
    f(".wh...", b""),
    f("d/../../x", b"x"),
    dict(name="hl", type=tarfile.LNKTYPE, link="up/etc/passwd"),
    dict(name="hl2", type=tarfile.LNKTYPE, link="../../etc/passwd"),
    f("../escape", b"x"),
]

REPLACE = [
    d("t"),
    f("p", b"file first"),
    d("p"),
    f("p/q", b"inside"),
    dict(name="p", type=tarfile.SYMTYPE, link="/t"),
    f("p/r", b"through the new symlink"),
    d("dir"),
    f("dir", b"a file over a directory"),
    dict(name="dir", type=tarfile.LNKTYPE, link="t/r"),
]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def image(layer_tar, compress=lambda b: gzip.compress(b, mtime=0)):
    blob = compress(layer_tar) if compress else layer_tar
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer_tar)]},
        "history": [{"created_by": "ADD x /"}],
    }, sort_keys=True, separators=(",", ":")).encode()
    return blob, config


def docker_archive(layer_tar):
    _, config = image(layer_tar, None)
    manifest = json.dumps([{
        "Config": sha(config) + ".json",
        "RepoTags": ["example.com/fuzz:1", "fuzz:latest"],
        "Layers": ["0" * 64 + "/layer.tar"],
    }]).encode()
    return tar([
        d("0" * 64),
        f("0" * 64 + "/VERSION", b"1.0"),
        f("0" * 64 + "/layer.tar", layer_tar),
        f(sha(config) + ".json", config),
        f("repositories", b'{"fuzz":{"latest":"' + b"0" * 64 + b'"}}'),
        f("manifest.json", manifest),
    ], tarfile.USTAR_FORMAT)


def oci_entries(layer_tar):
    blob, config = image(layer_tar)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + sha(blob), "size": len(blob)}],
    }, sort_keys=True, separators=(",", ":")).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "sha256:" + sha(manifest), "size": len(manifest),
                       "annotations": {"org.opencontainers.image.ref.name": "fuzz:1",
                                       "io.containerd.image.name": "docker.io/library/fuzz:1"},
                       "platform": {"architecture": "amd64", "os": "linux"}}],
    }).encode()
    return [
        f("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
        d("blobs"), d("blobs/sha256"),
        f("blobs/sha256/" + sha(blob), blob),
        f("blobs/sha256/" + sha(config), config),
        f("blobs/sha256/" + sha(manifest), manifest),
        f("index.json", index),
    ]


def main(out):
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    small = tar([d("a"), f("a/f", b"hi\n"), dict(name="a/s", type=tarfile.SYMTYPE, link="f")])
    layer = tar(LAYER)
    seeds = {
        "layer.tar": layer,
        "layer-ustar.tar": tar(LAYER[:8], tarfile.USTAR_FORMAT),
        "layer-gnu.tar": tar(LAYER[:5] + LAYER[12:13], tarfile.GNU_FORMAT),
        "layer.tar.gz": gzip.compress(layer, mtime=0),
        "layer.tar.xz": lzma.compress(small),
        "layer.tar.bz2": bz2.compress(small),
        "escapes.tar": tar(ESCAPES),
        "replace.tar": tar(REPLACE),
        "empty.tar": bytes(1024),
        "docker-archive.tar": docker_archive(small),
        "docker-archive.tar.gz": gzip.compress(docker_archive(small), mtime=0),
        "oci-archive.tar": tar(oci_entries(small), tarfile.USTAR_FORMAT),
        "oci-layout-fifo.tar": tar(oci_entries(small)[:4] + [
            dict(name="index.json", type=tarfile.FIFOTYPE),
        ], tarfile.USTAR_FORMAT),
        "oci-layout-links.tar": tar(oci_entries(small)[:4] + [
            dict(name="index.json", type=tarfile.SYMTYPE, link="../../../../etc/hostname"),
            dict(name="blobs/sha256/" + "1" * 64, type=tarfile.SYMTYPE, link="/etc/passwd"),
        ], tarfile.USTAR_FORMAT),
    }
    try:
        seeds["layer.tar.zst"] = subprocess.run(["zstd", "-q", "-c", "-19"], input=layer,
                                                stdout=subprocess.PIPE, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        print("zstd not found: no zstd seed", file=sys.stderr)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(data)
    total = sum(len(v) for v in seeds.values())
    print(f"{len(seeds)} seeds, {total} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus-archive")
