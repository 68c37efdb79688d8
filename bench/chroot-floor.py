#!/usr/bin/env python3
"""bench/chroot-floor.py: the floor of a real build, issue 16's "the same RUN
commands in a plain chroot".

    chroot-floor.py DOCKERFILE_JSON CONTEXT BASE_ROOTFS WORKDIR CACHEDIR prepare|run

DOCKERFILE_JSON is `box dockerfile parse --format json` of the example.
`prepare` (untimed) makes WORKDIR/sN, a plain copy of BASE_ROOTFS, for each
stage FROM the base (a stage FROM an earlier stage goes on in that stage's
directory; FROM scratch is an empty one).  `run` (timed) then does what the
Dockerfile's file steps do, in order, with nothing around them: COPY with
`cp`, WORKDIR with `mkdir`, and each RUN as `/bin/sh -c` in a `chroot` of the
stage's directory, with the ENV so far, the host's /dev, a /proc, the host's
resolv.conf and network, and RUN --mount=type=cache targets bound to
CACHEDIR/<target> (kept between rounds, as box's and podman's cache mounts
are).  No overlay, no sandbox, no layer: what is left is the commands' own
time.  Run it inside `unshare -m -p -f` so the mounts vanish with it.

A RUN step of box has its syncs answered without syncing (run_spec.no_sync:
a crashed build is thrown away, and box syncs the layer once); a plain
chroot does not, and dpkg's fsync of every unpacked file made the floor
2.3x slower than box's whole build on this host's busy disk.  So the floor
runs with DPKG_FORCE=unsafe-io, dpkg's own switch for the same thing
(BENCH_FLOOR_SYNC=1: without it).
Only what the examples use is handled (one base image; USER after the last
RUN is ignored); anything else fails loudly rather than measuring something
else.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def stages(doc):
    out = []
    for ins in doc["instructions"]:
        if ins["name"] == "from":
            args = ins["args"]
            name = args[2].lower() if len(args) == 3 and args[1].lower() == "as" else None
            out.append({"from": args[0], "name": name, "steps": []})
        elif ins["name"] != "arg" or out:
            out[-1]["steps"].append(ins)
    return out


def stage_dirs(st, work):
    """index -> directory; a stage FROM an earlier one shares its directory"""
    dirs, by_name = [], {}
    for i, s in enumerate(st):
        src = s["from"].lower()
        if src in by_name:
            d = dirs[by_name[src]]
        else:
            d = os.path.join(work, "s%d" % i)
        dirs.append(d)
        if s["name"]:
            by_name[s["name"]] = i
    return dirs, by_name


def prepare(st, work, base):
    os.makedirs(work, exist_ok=True)
    dirs, by_name = stage_dirs(st, work)
    for i, s in enumerate(st):
        if s["from"].lower() in by_name or os.path.exists(dirs[i]):
            continue
        if s["from"] == "scratch":
            os.makedirs(dirs[i])
        else:
            subprocess.run(["cp", "-a", base, dirs[i]], check=True)


def inside(root, cwd, path):
    p = path if path.startswith("/") else os.path.join(cwd, path)
    return os.path.join(root, os.path.normpath(p).lstrip("/"))


def run(st, work, ctx, cache):
    dirs, by_name = stage_dirs(st, work)
    ends = []  # each stage's ENV and WORKDIR at its end, for a stage FROM it
    for i, s in enumerate(st):
        root = dirs[i]
        env, cwd = {"PATH": PATH, "HOME": "/root"}, "/"
        if os.environ.get("BENCH_FLOOR_SYNC") != "1":
            env["DPKG_FORCE"] = "unsafe-io"
        if s["from"].lower() in by_name and by_name[s["from"].lower()] < i:
            env, cwd = dict(ends[by_name[s["from"].lower()]][0]), ends[by_name[s["from"].lower()]][1]
        for ins in s["steps"]:
            n, a = ins["name"], ins["args"]
            if n == "env":
                env.update({k: v for k, v in ins["pairs"]})
            elif n == "workdir":
                cwd = os.path.normpath(os.path.join(cwd, a[0]))
                os.makedirs(inside(root, "/", cwd), exist_ok=True)
            elif n in ("copy", "add"):
                src_root = ctx
                for f in ins["flags"]:
                    if f.startswith("--from="):
                        src_root = dirs[by_name[f[7:].lower()]]
                srcs, dst = a[:-1], inside(root, cwd, a[-1])
                if a[-1].endswith("/") or len(srcs) > 1:
                    os.makedirs(dst, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                for src in srcs:
                    subprocess.run(["cp", "-a", os.path.join(src_root, src.lstrip("/")), dst], check=True)
            elif n == "run":
                if ins["json"] or ins["heredocs"]:
                    sys.exit("chroot-floor: exec-form or heredoc RUN not handled")
                binds = []
                for f in ins["flags"]:
                    if not f.startswith("--mount="):
                        sys.exit("chroot-floor: RUN flag %s not handled" % f)
                    opts = dict(o.split("=", 1) if "=" in o else (o, "") for o in f[8:].split(","))
                    if opts.get("type") != "cache":
                        sys.exit("chroot-floor: RUN %s not handled" % f)
                    src = os.path.join(cache, opts["target"].strip("/").replace("/", "_"))
                    os.makedirs(src, exist_ok=True)
                    binds.append((src, inside(root, "/", opts["target"])))
                for d in ("proc", "dev", "etc"):
                    os.makedirs(os.path.join(root, d), exist_ok=True)
                shutil.copyfile("/etc/resolv.conf", os.path.join(root, "etc/resolv.conf"))
                mounts = ["mount -t proc proc %s/proc" % shlex.quote(root),
                          "mount --rbind /dev %s/dev" % shlex.quote(root)]
                for src, dst in binds:
                    os.makedirs(dst, exist_ok=True)
                    mounts.append("mount --bind %s %s" % (shlex.quote(src), shlex.quote(dst)))
                umounts = ["umount -R %s" % shlex.quote(m.split()[-1]) for m in reversed(mounts)]
                inner = "cd %s && %s" % (shlex.quote(cwd), a[0])
                script = " && ".join(mounts) + " && env -i %s chroot %s /bin/sh -c %s; r=$?; %s; exit $r" % (
                    " ".join(shlex.quote("%s=%s" % kv) for kv in env.items()),
                    shlex.quote(root), shlex.quote(inner), "; ".join(umounts))
                subprocess.run(["sh", "-c", script], check=True, stdin=subprocess.DEVNULL)
            elif n == "user":
                if any(x["name"] == "run" for x in s["steps"][s["steps"].index(ins):]):
                    sys.exit("chroot-floor: RUN after USER not handled")
        ends.append((env, cwd))


def main():
    doc_path, ctx, base, work, cache, what = sys.argv[1:7]
    with open(doc_path) as f:
        st = stages(json.load(f))
    if what == "prepare":
        prepare(st, work, base)
    else:
        run(st, work, ctx, cache)


main()
