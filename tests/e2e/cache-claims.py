#!/usr/bin/env python3
"""The inline build cache (box.cache.v0) an image of a docker archive claims.

    cache-claims.py TAR TAG           print TAG's claims (JSON)
    cache-claims.py TAR TAG CLAIMS    rewrite TAR with TAG's claims replaced
                                      by the JSON CLAIMS: a new config, and
                                      the manifest and index naming it
"""
import hashlib
import io
import json
import sys
import tarfile

path, tag = sys.argv[1], sys.argv[2]
with tarfile.open(path) as src:
    files = {m.name: src.extractfile(m).read() for m in src.getmembers() if m.isfile()}
man = json.loads(files["manifest.json"])
entry = next(e for e in man if tag in e["RepoTags"])
cfg = json.loads(files[entry["Config"]])
if len(sys.argv) < 4:
    print(json.dumps(cfg.get("box.cache.v0")))
    sys.exit(0)
old = entry["Config"].split("/")[-1]
cfg["box.cache.v0"] = json.loads(sys.argv[3])
raw = json.dumps(cfg).encode()
d = hashlib.sha256(raw).hexdigest()
files["blobs/sha256/" + d] = raw
entry["Config"] = "blobs/sha256/" + d
files["manifest.json"] = json.dumps(man).encode()
idx = json.loads(files["index.json"])
for m in idx["manifests"]:
    mf = json.loads(files["blobs/sha256/" + m["digest"].split(":")[1]])
    if mf["config"]["digest"] == "sha256:" + old:
        mf["config"].update(digest="sha256:" + d, size=len(raw))
        b = json.dumps(mf).encode()
        files["blobs/sha256/" + hashlib.sha256(b).hexdigest()] = b
        m.update(digest="sha256:" + hashlib.sha256(b).hexdigest(), size=len(b))
files["index.json"] = json.dumps(idx).encode()
with tarfile.open(path, "w") as out:
    for name, data in files.items():
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        out.addfile(ti, io.BytesIO(data))
