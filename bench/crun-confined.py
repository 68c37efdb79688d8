#!/usr/bin/env python3
"""crun-confined.py SRC CONFIG BUNDLE: rewrite CONFIG (a config.json from
`crun spec`) so that crun confines its container as box does by default, for
bench/start.sh's like-with-like row: box's seccomp allow-list (Docker's
default profile, with the rules box's default capabilities select), box's
capabilities, masked and read-only paths, a writable root, its pids limit, a cgroup
namespace, and the three files box binds over /etc (made in BUNDLE).

The defaults are read from box's own tables in SRC (run/seccomp.c,
run/caps.c, run/rootfs.c, run/cgroup.c), so the row follows them when they
change; a table this script cannot read fails the bench rather than
measuring something else."""
import json
import os
import re
import sys

src, config, bundle = sys.argv[1:4]


def read(path):
    with open(os.path.join(src, path)) as f:
        return f.read()


def table(text, name):
    """The body of `... NAME[] = { ... };` in TEXT."""
    m = re.search(re.escape(name) + r"\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    if not m:
        sys.exit("crun-confined: no table '%s'" % name)
    return m.group(1)


def c_strings(body):
    return re.findall(r'"([^"]*)"', body)


caps_c = read("run/caps.c")
caps = re.findall(r"CAP_(\w+)", table(caps_c, "podman_default_caps"))
if not caps:
    sys.exit("crun-confined: no default capabilities in run/caps.c")

AF_ALG, AF_VSOCK = 38, 40
CLONE_NEW = {"CLONE_NEWNS": 0x20000, "CLONE_NEWUTS": 0x4000000, "CLONE_NEWIPC": 0x8000000,
             "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
             "CLONE_NEWNET": 0x40000000, "CLONE_NEWCGROUP": 0x2000000}
sc = read("run/seccomp.c")
m = re.search(r"#define NS_CLONE_FLAGS(.*?)\n\n", sc, re.S)
ns_flags = sum(CLONE_NEW[f] for f in re.findall(r"CLONE_NEW\w+", m.group(1))) if m else 0
if not ns_flags:
    sys.exit("crun-confined: no NS_CLONE_FLAGS in run/seccomp.c")


def has(cap):
    return cap == "NO_CAP" or cap[4:] in caps


rules = []
group = re.compile(r'\{((?:\s*"[^"]*")+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\}')
for names, inc, exc, x86_only, errno_ret in group.findall(table(sc, "default_groups")):
    if not has(inc) or (exc != "NO_CAP" and has(exc)):
        continue
    rule = {"names": "".join(c_strings(names)).split(), "action": "SCMP_ACT_ALLOW"}
    if errno_ret != "0":
        rule.update(action="SCMP_ACT_ERRNO", errnoRet={"ENOSYS": 38}[errno_ret])
    rules.append(rule)
if len(rules) < 5:
    sys.exit("crun-confined: run/seccomp.c's default_groups not understood")
arg = re.compile(r'\{"(\w+)",\s*(\w+),\s*\{(\d+),\s*(SCMP_CMP_\w+),\s*([^,]+),\s*(\w+)\}\}')
env = {"AF_ALG": AF_ALG, "AF_VSOCK": AF_VSOCK, "NS_CLONE_FLAGS": ns_flags}
for name, exc, idx, op, a, b in arg.findall(table(sc, "default_arg_rules")):
    if exc != "NO_CAP" and has(exc):
        continue
    cmp = {"index": int(idx), "value": eval(a, {}, env), "op": op}
    if op == "SCMP_CMP_MASKED_EQ":
        cmp["valueTwo"] = eval(b, {}, env)
    rules.append({"names": [name], "action": "SCMP_ACT_ALLOW", "args": [cmp]})

rootfs = read("run/rootfs.c")
pids = re.search(r"Podman's (\d+)", read("run/cgroup.c"))

with open(config) as f:
    c = json.load(f)
p = c["process"]
p["capabilities"] = {k: ["CAP_" + x for x in caps]
                     for k in ("bounding", "effective", "permitted")}
p["noNewPrivileges"] = False
c["root"]["readonly"] = False  # box's root is its writable overlay
lx = c["linux"]
lx["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
                 "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                 "syscalls": rules}
lx["maskedPaths"] = c_strings(table(rootfs, "masked_paths"))
lx["readonlyPaths"] = c_strings(table(rootfs, "readonly_paths"))
lx.setdefault("resources", {})["pids"] = {"limit": int(pids.group(1)) if pids else 2048}
if not any(n["type"] == "cgroup" for n in lx["namespaces"]):
    lx["namespaces"].append({"type": "cgroup"})
for name, text in (("hostname", "bench\n"), ("hosts", "127.0.0.1\tlocalhost\n"),
                   ("resolv.conf", "nameserver 127.0.0.1\n")):
    path = os.path.join(bundle, name)
    with open(path, "w") as f:
        f.write(text)
    c["mounts"].append({"destination": "/etc/" + name, "type": "bind", "source": path,
                        "options": ["rbind", "rprivate"]})
with open(config, "w") as f:
    json.dump(c, f, indent=1)
