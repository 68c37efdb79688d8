#!/usr/bin/env python3
"""Mutated arguments through the box binary (meant for out/asan/box): the
values parsed by commands' own code rather than the shared parsers that
fuzz-flags reaches in-process: ls/ps/images --filter, --format templates
over real objects, logs --since/--until/--tail, tag and pull names, run
flags that a created container keeps (--restart, --health-*, -p, --mount).

  fuzz-args.py BOX SECONDS OUTDIR [SEED]

Uses a store of its own under OUTDIR with the busybox fixture
($BOX_FIXTURES/busybox.tar, default out/fixtures, imported) and one created
container.  A command must exit 0, 1 or 125 within 30 s with no sanitizer
report; anything else is written to OUTDIR/findings.txt.  Pulls go to a
proxy that refuses connections, so no name reaches the network.
"""
import os, random, shutil, subprocess, sys, time

TEMPLATES = [
    ("images", "--filter", "{}"), ("images", "--format", "{}"), ("ps", "-a", "--filter", "{}"),
    ("ps", "-a", "--format", "{}"), ("volume", "ls", "--filter", "{}"),
    ("network", "ls", "--filter", "{}"), ("network", "ls", "--format", "{}"),
    ("inspect", "--format", "{}", "fz"), ("image", "inspect", "--format", "{}", "busybox"),
    ("logs", "--since", "{}", "fz"), ("logs", "--until", "{}", "fz"), ("logs", "--tail", "{}", "fz"),
    ("tag", "busybox", "{}"), ("pull", "-q", "{}"), ("history", "{}"),
    ("image", "prune", "-f", "--filter", "{}"), ("container", "prune", "-f", "--filter", "{}"),
    ("create", "--restart", "{}", "busybox"), ("create", "--health-cmd", "true",
                                               "--health-interval", "{}", "busybox"),
    ("create", "-p", "{}", "busybox"), ("create", "--mount", "{}", "busybox"),
    ("create", "-v", "{}", "busybox"), ("create", "--ulimit", "{}", "busybox"),
    ("create", "--device", "{}", "busybox"), ("create", "--cpus", "{}", "busybox"),
    ("create", "--memory", "{}", "busybox"), ("create", "--stop-signal", "{}", "busybox"),
    ("create", "--add-host", "{}", "busybox"), ("create", "--sysctl", "{}", "busybox"),
    ("create", "--log-opt", "{}", "busybox"), ("create", "--cgroup-parent", "{}", "busybox"),
    ("stop", "-t", "{}", "fz"), ("kill", "-s", "{}", "fz"), ("update", "--memory", "{}", "fz"),
    ("commit", "--change", "{}", "fz"), ("import", "--change", "{}", "/dev/null"),
]
SEEDS = ["dangling=true", "label=a=b", "reference=busy*", "before=busybox", "since=busybox",
         "until=10m", "status=exited", "name=fz", "ancestor=busybox", "id=abc", "exited=0",
         "health=none", "driver=bridge", "type=custom", "scope=local", "label!=x",
         "{{.ID}}", "table {{.Names}}\t{{.Status}}", "{{json .}}", "{{range .Mounts}}{{.}}{{end}}",
         "{{index .Config.Labels \"a\"}}", "json", "10m", "1700000000.5", "2024-01-02T03:04:05Z",
         "all", "5", "busybox:1", "localhost:5000/a/b:c@sha256:" + "0" * 64, "a" * 300,
         "on-failure:3", "unless-stopped", "1m30s", "80", "127.0.0.1:8080:80/udp", "[::1]::53",
         "type=bind,src=/tmp,dst=/x,readonly", "type=tmpfs,dst=/t,tmpfs-size=1m", "vol:/d:ro",
         "nofile=10:20", "/dev/null:/dev/x:rwm", "1.5", "512m", "SIGRTMIN+3", "h:1.2.3.4",
         "net.ipv4.ip_forward=1", "max-size=1m", "box.slice", "10", "KILL",
         "CMD [\"x\"]", "ENV A=b", "EXPOSE 80/tcp", "HEALTHCHECK --interval=1s CMD true"]
PIECES = ["=", ",", ":", "/", "{{", "}}", "(", ")", "|", ".", "$", "-", "+", "..", "%", "\\",
          "\t", "\n", " ", "\"", "'", "`", "\x1b", "\xff", "\u00e9", "9" * 25, "-1", "0",
          "sha256:", "@", "*", "[", "]", "!", "label=", "until=", "reference="]


def mutate(rng, s):
    for _ in range(rng.randint(1, 5)):
        op = rng.random()
        i = rng.randrange(len(s) + 1)
        if op < 0.35:
            s = s[:i] + rng.choice(PIECES) + s[i:]
        elif op < 0.55:
            s = s[:i] + s[i + rng.randint(1, 6):]
        elif op < 0.7 and s:
            j = rng.randrange(len(s))
            s = s[:j] + chr(rng.randrange(1, 256)) + s[j + 1:]
        elif op < 0.85:
            s = s[:i] + rng.choice(SEEDS) + s[i:]
        else:
            s = s * rng.randint(2, 4)
    return s


def main():
    box, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else time.time_ns())
    root = os.path.join(out, "store")
    reports = os.path.join(out, "reports")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(reports, exist_ok=True)
    env = dict(os.environ, BOX_ROOT=root + "/root", BOX_RUNROOT=root + "/run",
               BOX_NETWORK_PREFIX=os.environ.get("BOX_NETWORK_PREFIX", "bfz"),
               XDG_CONFIG_HOME=root + "/config", BOX_PULL_TIMEOUT="3",
               https_proxy="http://127.0.0.1:1", http_proxy="http://127.0.0.1:1",
               HTTPS_PROXY="http://127.0.0.1:1", ALL_PROXY="http://127.0.0.1:1",
               ASAN_OPTIONS="log_path=" + os.path.join(reports, "asan"),
               UBSAN_OPTIONS="print_stacktrace=1:log_path=" + os.path.join(reports, "ubsan"))
    fixtures = os.environ.get("BOX_FIXTURES", "out/fixtures")
    subprocess.run([box, "import", os.path.join(fixtures, "busybox.tar"), "busybox"], env=env,
                   check=True, capture_output=True)
    subprocess.run([box, "create", "--name", "fz", "--network", "none", "busybox", "true"],
                   env=env, check=True, capture_output=True)
    end = time.time() + seconds
    n = found = 0
    stats = {}
    with open(os.path.join(out, "findings.txt"), "a") as log:
        while time.time() < end:
            t = rng.choice(TEMPLATES)
            v = mutate(rng, rng.choice(SEEDS))
            argv = [box] + [v if a == "{}" else a for a in t]
            if t[0] == "create":
                argv[2:2] = ["--network", "none"]
                argv.append("true")
            for f in os.listdir(reports):
                os.unlink(os.path.join(reports, f))
            try:
                p = subprocess.run(argv, env=env, capture_output=True, timeout=30,
                                   stdin=subprocess.DEVNULL)
                rc = p.returncode
                err = p.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                rc, err = "timeout", ""
            n += 1
            stats[rc] = stats.get(rc, 0) + 1
            bad = os.listdir(reports) or rc not in (0, 1, 125) or "runtime error" in err
            if bad:
                found += 1
                texts = "".join(open(os.path.join(reports, f), errors="replace").read()
                                for f in os.listdir(reports))
                log.write(f"=== {argv!r}: exit {rc}\n{err}\n{texts}\n")
                log.flush()
                print(f"finding: {argv!r}: exit {rc}", flush=True)
            if t[:2] == ("container", "prune"):
                subprocess.run([box, "create", "--name", "fz", "--network", "none", "busybox",
                                "true"], env=env, capture_output=True)
            if t[0] == "create" and rc == 0:
                subprocess.run([box, "rm", "-f", p.stdout.decode().strip()], env=env,
                               capture_output=True)
    subprocess.run([box, "rm", "-f", "fz"], env=env, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
    print(f"{n} commands ({', '.join(f'exit {k}: {v}' for k, v in sorted(stats.items(), key=str))}), "
          f"{found} findings")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
