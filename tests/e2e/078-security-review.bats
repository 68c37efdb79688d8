#!/usr/bin/env bats
# Probes from an attacker's review of the flags and build features of issue
# 16's session (--sysctl with another container's network, --cache-from's
# inline cache, ps's dead husks): each failed before its fix.
load run-helpers

setup() { build_setup; }
teardown() { lifecycle_teardown; }

@test "sysctl: net.* is refused in the host's network namespace reached through --network container:" {
        # a private network namespace of the test's own plays the host's
        run unshare -n sh -c '
                before=$(cat /proc/sys/net/ipv4/ip_default_ttl)
                "$BOX" run -d --network host --name hostnet busybox sleep 60 >/dev/null || exit 9
                "$BOX" run --rm --network container:hostnet --sysctl net.ipv4.ip_default_ttl=99 busybox true
                echo "status=$?"
                echo "ttl=$(cat /proc/sys/net/ipv4/ip_default_ttl) before=$before"
                "$BOX" rm -f hostnet >/dev/null'
        echo "$output"
        [[ "$output" == *"status=125"* ]]
        [[ "$output" == *"not allowed in the host's network namespace"* ]]
        [[ "$output" == *"ttl=64 before=64"* ]]
}

@test "sysctl: net.* still reaches a container whose network namespace is another container's own" {
        box run -d --network none --name owner busybox sleep 60 >/dev/null
        run box run --rm --network container:owner --sysctl net.ipv4.ip_default_ttl=99 busybox \
                cat /proc/sys/net/ipv4/ip_default_ttl
        [ "$status" -eq 0 ]
        [ "$output" = 99 ]
        [ "$(box exec owner cat /proc/sys/net/ipv4/ip_default_ttl)" = 99 ]
}

# craft_cache TAR TAG [CLAIMS]: TAG's inline cache claims in the docker
# archive TAR, printed or replaced by the JSON CLAIMS
craft_cache() { python3 "$BATS_TEST_DIRNAME/cache-claims.py" "$@"; }

@test "cache: --cache-from seeds only the steps its build looks up, not claims for other builds" {
        printf 'FROM busybox\nRUN echo good > /f\n' > "$CTX/Dockerfile.good"
        printf 'FROM busybox\nRUN echo evil > /f\n' > "$CTX/Dockerfile.evil"
        printf 'FROM busybox\nRUN echo other > /o\n' > "$CTX/Dockerfile.other"
        # the key of the victim's step, as anyone can compute it
        box build --network none -q -f "$CTX/Dockerfile.good" --cache-to type=inline -t good:1 "$CTX" >/dev/null
        box build --network none -q -f "$CTX/Dockerfile.evil" --cache-to type=inline -t evil:1 "$CTX" >/dev/null
        box save -o "$BOX_TEST_TMP/good.tar" good:1
        good_key=$(craft_cache "$BOX_TEST_TMP/good.tar" good:1 |
                python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["key"])')
        [[ "$good_key" == sha256:* ]]
        box save -o "$BOX_TEST_TMP/evil.tar" busybox evil:1
        # the hostile image claims the victim's step as its own evil layer
        craft_cache "$BOX_TEST_TMP/evil.tar" evil:1 \
                "[{\"key\": \"$good_key\", \"layer\": 1, \"created\": \"2020-01-01T00:00:00Z\"}]"
        export BOX_ROOT="$BOX_TEST_TMP/shared"
        box load -q -i "$BOX_TEST_TMP/evil.tar" >/dev/null
        # one build names the hostile image as its cache source ...
        run box build --network none -q -f "$CTX/Dockerfile.other" --cache-from evil:1 "$CTX"
        [ "$status" -eq 0 ]
        # ... another build on the same store does not, and runs its own step
        run box build --network none --progress plain -f "$CTX/Dockerfile.good" -t victim "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" != *"RUN echo good > /f"$'\n'"  CACHED"* ]]
        [ "$(box run --rm --network none victim cat /f)" = good ]
}

@test "cache: a step the --cache-from image really ran is still reused" {
        printf 'FROM busybox\nRUN cat /proc/sys/kernel/random/uuid > /stamp\nRUN echo two > /two\n' > "$CTX/Dockerfile"
        box build --network none -q --cache-to type=inline -t src:1 "$CTX" >/dev/null
        stamp=$(box run --rm --network none src:1 cat /stamp)
        box save -o "$BOX_TEST_TMP/src.tar" busybox src:1
        export BOX_ROOT="$BOX_TEST_TMP/fresh"
        box load -q -i "$BOX_TEST_TMP/src.tar" >/dev/null
        run box build --network none --progress plain --cache-from src:1 -t again "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"RUN echo two > /two"$'\n'"  CACHED"* ]]
        [ "$(box run --rm --network none again cat /stamp)" = "$stamp" ]
        # and once reused, the store keeps it (BuildKit's local cache does)
        run box build --network none --progress plain -t third "$CTX"
        [[ "$output" == *"random/uuid > /stamp"$'\n'"  CACHED"* ]]
}

@test "devices: a --device-cgroup-rule of type a grants its numbers and access only, on v1 as on v2" {
        box run -d --name dev --device-cgroup-rule 'a 10:237 r' busybox sleep 60 >/dev/null
        id=$(box inspect -f '{{.Id}}' dev)
        list=/sys/fs/cgroup/devices/box/$id/devices.list
        [ -f "$list" ] || skip "no v1 devices controller"
        run cat "$list"
        # v1 reads any "a" line as everything
        [[ "$output" != *"a *:* rwm"* ]]
        [[ "$output" == *"b 10:237 r"* ]]
        [[ "$output" == *"c 10:237 r"* ]]
        [[ "$output" != *"b 8:"* ]]
        # and what it grants: read, not write
        run box run --rm --cap-add MKNOD --device-cgroup-rule 'a 10:237 r' busybox sh -c \
                'mknod /tmp/lc c 10 237 && (exec 3</tmp/lc && echo read-ok); (exec 3<>/tmp/lc && echo write-ok); :'
        [[ "$output" == *read-ok* ]]
        [[ "$output" != *write-ok* ]]
}

@test "ssh: a RUN step reaches the --ssh agent but cannot change its socket on the host" {
        command -v ssh-agent >/dev/null || skip "ssh-agent not installed"
        build_boxtest
        cp "$BOXTEST" "$CTX/boxtest"
        eval "$(ssh-agent -s)" >/dev/null
        before=$(stat -c '%a %u %g' "$SSH_AUTH_SOCK")
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox
RUN --mount=type=ssh --mount=type=bind,source=boxtest,target=/boxtest \
    chmod 777 "$SSH_AUTH_SOCK"; chown 1234:1234 "$SSH_AUTH_SOCK"; touch -d 2001-01-01 "$SSH_AUTH_SOCK"; \
    /boxtest connect "$SSH_AUTH_SOCK"
EOF2
        run box build --no-cache --network none --progress plain --ssh default "$CTX"
        after=$(stat -c '%a %u %g' "$SSH_AUTH_SOCK")
        kill "$SSH_AGENT_PID"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"connect /run/buildkit/ssh_agent.0: ok"* ]]
        [ "$after" = "$before" ]
}

@test "outputs: --iidfile and --metadata-file /dev/stdout write through it, never rename over the link" {
        # /dev/stdout as a link of the test's own (the host's is the same link)
        ln -s /proc/self/fd/1 "$BOX_TEST_TMP/stdout"
        printf 'FROM busybox\n' > "$CTX/Dockerfile"
        run box build -q --iidfile "$BOX_TEST_TMP/stdout" "$CTX"
        [ "$status" -eq 0 ]
        [ -L "$BOX_TEST_TMP/stdout" ]
        # the id twice: the file's (no newline), then box's own line
        [[ "$output" == sha256:*sha256:* ]]
        run box build -q --metadata-file "$BOX_TEST_TMP/stdout" "$CTX"
        [ "$status" -eq 0 ]
        [ -L "$BOX_TEST_TMP/stdout" ]
        [[ "$output" == *'"containerimage.config.digest"'* ]]
        # a regular file is still replaced whole
        echo old > "$BOX_TEST_TMP/iid"
        box build -q --iidfile "$BOX_TEST_TMP/iid" "$CTX" >/dev/null
        [[ "$(cat "$BOX_TEST_TMP/iid")" == sha256:* ]]
}

# swap_during_build FLAG MOUNT NAME: a build given FLAG (naming a file or
# socket NAME in a directory of another user's) whose second step mounts
# MOUNT; while its first step runs, NAME becomes a link to a host secret
swap_during_build() {
        local flag=$1 mount=$2 name=$3
        # the first step holds the build until the swap is done: FIFOs of
        # the context, bound into it (no timing)
        rm -f "$CTX/ready" "$CTX/go"
        mkfifo "$CTX/ready" "$CTX/go"
        printf 'FROM busybox\nRUN --mount=type=bind,target=/ctx sh -c "echo x > /ctx/ready; cat /ctx/go"\nRUN %s cat /run/m 2>&1; true\n' "$mount" > "$CTX/Dockerfile"
        box build --no-cache --network none --progress plain "$flag" "$CTX" > "$BOX_TEST_TMP/out" 2>&1 &
        local pid=$!
        timeout 120 cat "$CTX/ready" >/dev/null
        mv "$name" "$name.old"
        ln -s "$BOX_TEST_TMP/host-secret" "$name"
        echo go > "$CTX/go"
        wait "$pid" && status=0 || status=$?
        output=$(cat "$BOX_TEST_TMP/out")
        echo "$output"
}

@test "secrets: a --secret or --ssh name swapped for a link during the build binds nothing" {
        echo TOP-SECRET > "$BOX_TEST_TMP/host-secret"
        mkdir "$BOX_TEST_TMP/user"
        echo token > "$BOX_TEST_TMP/user/npmrc"
        swap_during_build "--secret=id=npm,src=$BOX_TEST_TMP/user/npmrc" \
                "--mount=type=secret,id=npm,target=/run/m" "$BOX_TEST_TMP/user/npmrc"
        [[ "$output" != *TOP-SECRET* ]]
        [ "$status" -eq 125 ]
        [[ "$output" == *"replaced since it was checked"* ]]
        rm "$BOX_TEST_TMP/user/npmrc"
        mv "$BOX_TEST_TMP/user/npmrc.old" "$BOX_TEST_TMP/user/npmrc"
        swap_during_build "--secret=id=npm,src=$BOX_TEST_TMP/user/npmrc" \
                "--mount=type=secret,id=npm,env=M sh -c 'echo \$M > /run/m';" "$BOX_TEST_TMP/user/npmrc"
        [[ "$output" != *TOP-SECRET* ]]
        [ "$status" -eq 125 ]
        [[ "$output" == *"replaced since it was checked"* ]]
        python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(60)' \
                "$BOX_TEST_TMP/user/agent" &
        local agent=$!
        wait_for 50 test -S "$BOX_TEST_TMP/user/agent"
        swap_during_build "--ssh=default=$BOX_TEST_TMP/user/agent" \
                "--mount=type=ssh,target=/run/m" "$BOX_TEST_TMP/user/agent"
        kill "$agent"
        [[ "$output" != *TOP-SECRET* ]]
        [ "$status" -eq 125 ]
        [[ "$output" == *"replaced since it was checked"* ]]
}

@test "build: a Dockerfile's RUN --network=host needs --allow network.host, as BuildKit's entitlement" {
        printf 'FROM busybox\nRUN --network=host cat /proc/net/dev\n' > "$CTX/Dockerfile"
        # a network namespace of the test's own plays the host's, with a link to see
        run unshare -n sh -c '
                ip link add hatkseen type veth peer name hatkpeer || exit 9
                "$BOX" build --no-cache --progress plain --network none "$1"; echo "status=$?"
                "$BOX" build --no-cache --progress plain --network none --allow network.host "$1"; echo "status=$?"' \
                sh "$CTX"
        echo "$output"
        [[ "$output" == *"status=125"*"status=0"* ]]
        [[ "$output" == *"RUN --network=host needs --allow network.host"* ]]
        # the step saw the host's links only when allowed: once
        [ "$(grep -c hatkseen <<<"$output")" -eq 1 ]
        # the user's own --network host gives every step the host's network
        run box build --no-cache --progress plain --network host "$CTX"
        [ "$status" -eq 0 ]
        run box build -q --allow nosuch "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid --allow 'nosuch'"* ]]
}

@test "output: -o type=local writes no device node and no set-id bit of the image's on the host" {
        python3 - "$BOX_TEST_TMP/dev.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name, kind, major in (("disk", tarfile.BLKTYPE, 7), ("mem", tarfile.CHRTYPE, 1)):
        ti = tarfile.TarInfo(name)
        ti.type, ti.devmajor, ti.devminor, ti.mode = kind, major, 0, 0o666
        t.addfile(ti)
    for name, mode in (("rootshell", 0o4755), ("groupshell", 0o2755), ("plain", 0o755)):
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode = 10, mode
        t.addfile(ti, io.BytesIO(b"#!/bin/sh\n"))
    ti = tarfile.TarInfo("shared")
    ti.type, ti.mode = tarfile.DIRTYPE, 0o2775
    t.addfile(ti)
PY
        box import "$BOX_TEST_TMP/dev.tar" devimg >/dev/null
        printf 'FROM devimg\n' > "$CTX/Dockerfile"
        run box build -q -o "type=local,dest=$BOX_TEST_TMP/out" "$CTX"
        [ "$status" -eq 0 ]
        [ ! -e "$BOX_TEST_TMP/out/disk" ]
        [ ! -e "$BOX_TEST_TMP/out/mem" ]
        [ "$(stat -c %a "$BOX_TEST_TMP/out/rootshell")" = 755 ]
        [ "$(stat -c %a "$BOX_TEST_TMP/out/groupshell")" = 755 ]
        [ "$(stat -c %a "$BOX_TEST_TMP/out/plain")" = 755 ]
        # a directory's set-group-id bit only names the group of new files
        [ "$(stat -c %a "$BOX_TEST_TMP/out/shared")" = 2775 ]
        # the image keeps them: a tar output holds them as they are
        box build -q -o "type=tar,dest=$BOX_TEST_TMP/out.tar" "$CTX" >/dev/null
        run tar -tvf "$BOX_TEST_TMP/out.tar"
        [[ "$output" == *"brw-rw-rw-"*"disk"* ]]
        [[ "$output" == *"-rwsr-xr-x"*"rootshell"* ]]
}

@test "state: rm and prune never follow a link at containers/ID that is no transient container's" {
        # what a second writer of the store could plant: the link a foreground
        # --rm run makes, to a directory of the host's
        mkdir -p "$BOX_TEST_TMP/host/upper" "$BOX_TEST_TMP/host/work"
        echo keep > "$BOX_TEST_TMP/host/upper/f"
        echo keep > "$BOX_TEST_TMP/host/work/f"
        printf 'vol1\n' > "$BOX_TEST_TMP/host/volumes"
        box volume create vol1 >/dev/null
        id=$(printf 'c%.0s' $(seq 64))
        mkdir -p "$BOX_ROOT/containers"
        ln -s "$BOX_TEST_TMP/host" "$BOX_ROOT/containers/$id"
        run box rm "$id"
        [ "$status" -eq 0 ]
        [ ! -L "$BOX_ROOT/containers/$id" ]
        [ -f "$BOX_TEST_TMP/host/upper/f" ]
        [ -f "$BOX_TEST_TMP/host/work/f" ]
        [ "$(box volume ls -q)" = vol1 ]
        id2=$(printf 'd%.0s' $(seq 64))
        ln -s "$BOX_TEST_TMP/host" "$BOX_ROOT/containers/$id2"
        box container prune -f >/dev/null
        [ -f "$BOX_TEST_TMP/host/upper/f" ]
        [ -f "$BOX_TEST_TMP/host/work/f" ]
        box rm "$id2" >/dev/null
        [ -f "$BOX_TEST_TMP/host/upper/f" ]
        # a real foreground --rm run still cleans up after itself
        box run --rm --network none busybox true
        [ -z "$(ls "$BOX_ROOT/containers" | grep -v '^\.')" ]
}

@test "ssh: the step talks to the agent through a relay socket of its own, uid=/gid=/mode= as BuildKit's; the agent's socket never enters" {
        command -v ssh-agent >/dev/null || skip "ssh-agent not installed"
        build_boxtest
        cp "$BOXTEST" "$CTX/boxtest"
        eval "$(ssh-agent -s)" >/dev/null
        ssh-keygen -q -t ed25519 -N '' -f "$BOX_TEST_TMP/key"
        ssh-add -q "$BOX_TEST_TMP/key" 2>/dev/null
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox
RUN --mount=type=ssh --mount=type=bind,source=boxtest,target=/boxtest \
    stat -c "default %u %g %a" "$SSH_AUTH_SOCK" && /boxtest agent-ids "$SSH_AUTH_SOCK"
RUN --mount=type=ssh,mode=741,uid=100,gid=102 stat -c "given %u %g %f" "$SSH_AUTH_SOCK"
RUN --mount=type=ssh,uid=1000 --mount=type=bind,source=boxtest,target=/boxtest \
    su -s /bin/sh nobody -c '/boxtest agent-ids "$SSH_AUTH_SOCK"' || echo nobody-refused
EOF2
        run box build --no-cache --network none --progress plain --ssh default "$CTX"
        kill "$SSH_AGENT_PID"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"default 0 0 600"* ]]
        [[ "$output" == *"agent /run/buildkit/ssh_agent.0: 1 identities"* ]]
        [[ "$output" == *"given 100 102 c1e1"* ]]
        [[ "$output" == *nobody-refused* ]]
}
