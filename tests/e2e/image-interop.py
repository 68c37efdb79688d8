#!/usr/bin/env python3
"""Variants of a one-image OCI layout for 114-image-interop.bats, after the
kinds of documents containers/image's and image-spec's test data hold.

usage: image-interop.py BASE OUT CASE...

BASE is an OCI layout holding one image (made by skopeo); each CASE is
written to OUT/CASE as a copy of BASE whose index.json names the changed
manifest, its ref.name being localhost/t/CASE:1; a CASE LABEL=REF is the
image as it is, in OUT/LABEL, with the ref.name REF.
"""
import hashlib
import json
import os
import shutil
import sys

EMPTY = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
base, out, cases = sys.argv[1], sys.argv[2], sys.argv[3:]


def blob(d, digest):
    with open(os.path.join(d, "blobs", "sha256", digest[7:]), "rb") as f:
        return f.read()


top = json.load(open(os.path.join(base, "index.json")))["manifests"][0]
MAN = json.loads(blob(base, top["digest"]))
CFG = json.loads(blob(base, MAN["config"]["digest"]))


def copy(v):
    return json.loads(json.dumps(v))


class Layout:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(out, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.copytree(base, self.dir)

    def put(self, doc):
        b = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        h = hashlib.sha256(b).hexdigest()
        with open(os.path.join(self.dir, "blobs", "sha256", h), "wb") as f:
            f.write(b)
        return {"digest": "sha256:" + h, "size": len(b)}

    def write(self, man, cfg=None, ref=None, media=None):
        man = copy(man)
        if cfg is not None:
            man["config"].update(self.put(cfg))
        d = {"mediaType": media or man.get("mediaType", "application/vnd.oci.image.manifest.v1+json")}
        d.update(self.put(man))
        d["annotations"] = {"org.opencontainers.image.ref.name": ref or "localhost/t/%s:1" % self.name}
        self.index([d])
        return d

    def index(self, manifests):
        with open(os.path.join(self.dir, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": manifests}, f)


def platforms(lay, plats, ref):
    """An index.json naming one nested index of the image for PLATS."""
    d = {"mediaType": "application/vnd.oci.image.manifest.v1+json"}
    d.update(lay.put(MAN))
    inner = [dict(d, platform=p) for p in plats]
    nested = {"mediaType": "application/vnd.oci.image.index.v1+json"}
    nested.update(lay.put({"schemaVersion": 2, "mediaType": nested["mediaType"], "manifests": inner}))
    nested["annotations"] = {"org.opencontainers.image.ref.name": ref}
    lay.index([nested])


def case(arg):
    name, _, ref = arg.partition("=")  # LABEL=REF: an image whose ref.name is REF
    lay = Layout(name)
    m, c = copy(MAN), copy(CFG)
    if name == "annotated":  # image-spec's manifest example fields
        m["annotations"] = {"org.opencontainers.image.created": "2024-01-01T00:00:00Z", "com.example.key": "v"}
        m["subject"] = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "a" * 64, "size": 7}
        m["artifactType"] = "application/vnd.example.image"
        m["layers"][0]["annotations"] = {"org.opencontainers.image.title": "rootfs"}
        lay.write(m)
    elif name == "nondistributable":
        m["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        m["layers"][0]["urls"] = ["https://example.invalid/layer"]
        lay.write(m)
    elif name == "foreign":
        m["mediaType"] = "application/vnd.docker.distribution.manifest.v2+json"
        m["config"]["mediaType"] = "application/vnd.docker.container.image.v1+json"
        m["layers"][0]["mediaType"] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
        lay.write(m)
    elif name == "layer-twice":
        m["layers"] *= 2
        c["rootfs"]["diff_ids"] *= 2
        lay.write(m, c)
    elif name == "odd-history":  # empty_layer counts that do not add up
        c["history"] = [{"created_by": "a", "empty_layer": True}, {"created_by": "b"}, {"created_by": "c"}]
        lay.write(m, c)
    elif name == "huge-label":
        c.setdefault("config", {})["Labels"] = {"big": "x" * (1 << 20)}
        lay.write(m, c)
    elif name == "nested-index":
        platforms(lay, [{"os": "linux", "architecture": "arm64", "variant": "v8"},
                        {"os": "windows", "architecture": "amd64"},
                        {"os": "linux", "architecture": "amd64"}], "localhost/t/nested:1")
    elif name == "no-platform":
        platforms(lay, [{"os": "linux", "architecture": "s390x"},
                        {"os": "linux", "architecture": "ppc64le"}], "localhost/t/none:1")
    elif name == "empty-artifact":  # image-spec's artifact guidance
        m["artifactType"] = "application/vnd.example.sbom"
        m["config"] = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY, "size": 2}
        m["layers"] = [{"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY, "size": 2}]
        lay.put(b"{}")
        lay.write(m)
    elif name == "with-referrer":  # an SBOM whose subject is the image, as oras stores it
        img = lay.write(m)
        art = copy(m)
        art["artifactType"] = "application/vnd.example.sbom"
        art["config"] = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY, "size": 2}
        art["layers"] = [{"mediaType": "application/vnd.example.sbom+json", "digest": EMPTY, "size": 2}]
        art["subject"] = {k: img[k] for k in ("mediaType", "digest", "size")}
        lay.put(b"{}")
        ad = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": art["artifactType"]}
        ad.update(lay.put(art))
        lay.index([ad, img])
    elif name == "unknown-layer":
        m["layers"][0]["mediaType"] = "application/vnd.example.layer.v1"
        lay.write(m)
    elif name == "unknown-manifest":
        m["mediaType"] = "application/vnd.example.manifest.v1+json"
        lay.write(m)
    elif name == "schema1":
        s1 = {"schemaVersion": 1, "name": "t/s1", "tag": "1", "architecture": "amd64",
              "fsLayers": [{"blobSum": m["layers"][0]["digest"]}], "history": [{"v1Compatibility": "{}"}]}
        lay.write(s1, media="application/vnd.docker.distribution.manifest.v1+prettyjws")
    elif name == "diff-id-mismatch":
        c["rootfs"]["diff_ids"] = ["sha256:" + "b" * 64]
        lay.write(m, c)
    elif ref:
        lay.write(m, ref=ref)
    else:
        sys.exit("unknown case " + name)


os.makedirs(out, exist_ok=True)
for n in cases:
    case(n)
