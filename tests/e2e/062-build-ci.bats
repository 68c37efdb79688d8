#!/usr/bin/env bats
# What CI pipelines pass to box build beyond the Dockerfile, in BuildKit's
# syntax: -o/--output (the final stage's files into a directory or a tar, the
# image as a docker or OCI archive), --cache-to type=inline/--cache-from,
# --metadata-file, --no-cache-filter, attestations off, --ssh.
load helpers

setup() {
        build_setup
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox AS build
RUN mkdir -p /out && echo artifact > /out/app.bin && echo gone > /out/tmp.o
RUN rm /out/tmp.o && ln -s / /out/hostroot && ln -s /etc/shadow /out/shadow
FROM scratch AS export
COPY --from=build /out/ /
FROM busybox AS final
RUN rm /bin/vi && echo final > /final
EOF2
}
teardown() {
        [ -z "${SSH_AGENT_PID:-}" ] || kill "$SSH_AGENT_PID" 2>/dev/null || true
        box_teardown_store
}

@test "-o DIR writes the target stage's files, whiteouts applied, symlinks as symlinks" {
        run box build -q --target export -o "$BOX_TEST_TMP/out" "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        [ "$(cat "$BOX_TEST_TMP/out/app.bin")" = artifact ]
        [ ! -e "$BOX_TEST_TMP/out/tmp.o" ]
        # the image's symlinks stay links in the output, never followed
        [ "$(readlink "$BOX_TEST_TMP/out/hostroot")" = / ]
        [ "$(readlink "$BOX_TEST_TMP/out/shadow")" = /etc/shadow ]
        [ "$(ls "$BOX_TEST_TMP/out" | sort | tr '\n' ' ')" = "app.bin hostroot shadow " ]
        # the last stage, flattened: a file deleted by a later layer is absent
        box build -q -o "type=local,dest=$BOX_TEST_TMP/final" "$CTX" >/dev/null
        [ "$(cat "$BOX_TEST_TMP/final/final")" = final ]
        [ -x "$BOX_TEST_TMP/final/bin/busybox" ]
        [ ! -e "$BOX_TEST_TMP/final/bin/vi" ]
}

@test "-o - writes only a tar to stdout; type=tar,dest= the same to a file" {
        box build -q --target export -o - "$CTX" >"$BOX_TEST_TMP/a.tar"
        # nothing but the archive on stdout: no image id
        run tar -tf "$BOX_TEST_TMP/a.tar"
        [ "$status" -eq 0 ]
        [[ "$output" == *"app.bin"* ]]
        [[ "$output" != *"tmp.o"* ]]
        run box build -q --target export -o "type=tar,dest=$BOX_TEST_TMP/b.tar" "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256: ]]
        cmp "$BOX_TEST_TMP/a.tar" "$BOX_TEST_TMP/b.tar"
        # a stage with no layer at all is an empty archive
        printf 'FROM scratch\nLABEL a=b\n' > "$CTX/Dockerfile.empty"
        box build -q -f "$CTX/Dockerfile.empty" -o - "$CTX" >"$BOX_TEST_TMP/e.tar"
        [ -z "$(tar -tf "$BOX_TEST_TMP/e.tar")" ]
}

@test "type=docker and type=oci write the image as archives that load elsewhere" {
        box build -q -o "type=docker,dest=$BOX_TEST_TMP/d.tar,name=exported:1" "$CTX" >/dev/null
        box build -q -o "type=oci,dest=$BOX_TEST_TMP/o.tar" "$CTX" >/dev/null
        # name= tags it in the store too
        box image inspect exported:1 >/dev/null
        # another store (the test's own keeps its network, which its
        # teardown prunes)
        other() { BOX_ROOT="$BOX_TEST_TMP/other" "$BOX" "$@"; }
        run other load -i "$BOX_TEST_TMP/d.tar"
        [ "$status" -eq 0 ]
        [[ "$output" == *"exported:1"* ]]
        [ "$(other run --rm --network none exported:1 cat /final)" = final ]
        run other load -i "$BOX_TEST_TMP/o.tar"
        [ "$status" -eq 0 ]
        if command -v skopeo >/dev/null; then
                skopeo inspect "oci-archive:$BOX_TEST_TMP/o.tar" >/dev/null
        fi
}

@test "bad --output values: one line naming the value, 125, nothing written" {
        for bad in type=foo dest=x type=local type=local,dest=- "type=tar,dest=$BOX_TEST_TMP/x,zzz=1" \
                type=image,push=maybe type=tar,dest=x,push=true; do
                run box build -q -o "$bad" "$CTX"
                [ "$status" -eq 125 ]
                [[ "${lines[0]}" == "box: error: --output: "* ]]
        done
        [ ! -e "$BOX_TEST_TMP/x" ]
        run box build -q -o "$BOX_TEST_TMP/a" -o "$BOX_TEST_TMP/b" "$CTX"
        [ "$status" -eq 125 ]
        [ ! -e "$BOX_TEST_TMP/a" ]
        [ ! -e "$BOX_TEST_TMP/b" ]
}

@test "Docker's legacy flags CI scripts still pass are accepted: --compress, --disable-content-trust, --rm, --force-rm" {
        run box build --compress --disable-content-trust --rm --force-rm=true --network none \
                --target final -t legacy "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm legacy cat /final)" = final ]
        # and nothing of a step is left behind
        [ -z "$(ls "$BOX_ROOT/containers")" ]
}

@test "builder prune: dangling records and cache mounts, -a everything, until=; system prune takes the dangling ones" {
        mkdir -p "$BOX_TEST_TMP/cm"
        printf 'FROM busybox\nRUN --mount=type=cache,target=/c echo x > /c/f && echo y > /y\n' \
                > "$BOX_TEST_TMP/cm/Dockerfile"
        box build -q --network none -t cm "$BOX_TEST_TMP/cm" >/dev/null
        [ -n "$(ls "$BOX_ROOT/buildcache/mounts")" ]
        [[ "$(box system df | grep '^Build Cache')" =~ ^Build\ Cache\ +2\ +0\  ]]
        # nothing older than a day: nothing goes
        run box builder prune -f --filter until=24h
        [ "$status" -eq 0 ]
        [[ "$output" == *"Deleted build cache objects: 0"* ]]
        # without -a: the cache mount goes, the step's record stays and hits
        run box builder prune -f
        [ "$status" -eq 0 ]
        [ -z "$(ls "$BOX_ROOT/buildcache/mounts")" ]
        run box build --network none -t cm "$BOX_TEST_TMP/cm"
        [[ "$output" == *CACHED* ]]
        # the prompt: "n" keeps everything
        run sh -c "echo n | $BOX builder prune -a"
        [[ "$output" == *"WARNING! This will remove all build cache."* ]]
        [ -n "$(ls "$BOX_ROOT/buildcache/steps")" ]
        run box builder prune -af
        [ "$status" -eq 0 ]
        [ -z "$(ls "$BOX_ROOT/buildcache/steps")" ]
        run box build --network none -t cm "$BOX_TEST_TMP/cm"
        [[ "$output" != *CACHED* ]]
        [ "$(box run --rm cm cat /y)" = y ]
        # a record whose layer was collected is dangling: system prune takes it
        box rmi cm >/dev/null
        box image prune -f >/dev/null
        [ -n "$(ls "$BOX_ROOT/buildcache/steps")" ]
        box system prune -f >/dev/null
        [ -z "$(ls "$BOX_ROOT/buildcache/steps")" ]
        run box builder prune --filter type=regular
        [ "$status" -eq 125 ]
        run box builder prune --keep-storage 1g
        [ "$status" -eq 125 ]
        [ "$(box builder build -q --network none "$BOX_TEST_TMP/cm" | cut -c1-7)" = sha256: ]
}

@test "--metadata-file writes buildx's digests and names; attestations only off" {
        run box build -q --target final --metadata-file "$BOX_TEST_TMP/md.json" -t md:1 -t md:2 "$CTX"
        [ "$status" -eq 0 ]
        id=$output
        python3 - "$BOX_TEST_TMP/md.json" "$id" "$(box image inspect -f '{{.Id}}' md:1)" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["containerimage.config.digest"] == sys.argv[2] == sys.argv[3], m
d = m["containerimage.descriptor"]
assert d["digest"] == m["containerimage.digest"] and d["size"] > 0, m
assert d["mediaType"].endswith("manifest.v1+json"), m
assert m["image.name"] == "docker.io/library/md:1,docker.io/library/md:2", m
PY
        box build -q --provenance=false --sbom=false --attest type=provenance,disabled=true "$CTX" >/dev/null
        for bad in --provenance=true --provenance=mode=max --sbom=true "--attest type=sbom"; do
                run box build -q $bad "$CTX"
                [ "$status" -eq 125 ]
                [[ "${lines[0]}" == *"box attaches no"* ]]
        done
}

@test "--no-cache-filter STAGE runs that stage's steps again, the rest from the cache" {
        box build -q --target export "$CTX" >/dev/null
        run box build --progress plain --target export --no-cache-filter export "$CTX"
        [ "$status" -eq 0 ]
        # the build stage's steps are cached, export's COPY ran again
        [[ "$output" == *"RUN rm /out/tmp.o"*$'\n'"  CACHED"* ]]
        [[ "$output" == *"COPY --from=build /out/ /"$'\n'"  DONE"* ]]
        run box build --progress plain --target export "$CTX"
        [[ "$output" == *"COPY --from=build /out/ /"$'\n'"  CACHED"* ]]
}

@test "--cache-to type=inline and --cache-from: a fresh store reuses an image's steps" {
        printf 'FROM busybox\nRUN cat /proc/sys/kernel/random/uuid > /stamp\nCOPY f /f\nENV A=1\nRUN echo two > /two\n' \
                > "$CTX/Dockerfile.ic"
        echo f > "$CTX/f"
        box build --network none -q -f "$CTX/Dockerfile.ic" --cache-to type=inline -t ic:1 "$CTX" >/dev/null
        stamp=$(box run --rm --network none ic:1 cat /stamp)
        box save -o "$BOX_TEST_TMP/ic.tar" busybox ic:1
        # a CI runner's empty store: the image loaded (or pulled), its steps not run again
        export BOX_ROOT="$BOX_TEST_TMP/fresh"
        box load -q -i "$BOX_TEST_TMP/ic.tar" >/dev/null
        run box build --network none --progress plain -f "$CTX/Dockerfile.ic" --cache-from ic:1 -t ic:2 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"cat /proc/sys/kernel/random/uuid > /stamp"$'\n'"  CACHED"* ]]
        [[ "$output" == *"RUN echo two > /two"$'\n'"  CACHED"* ]]
        [ "$(box run --rm --network none ic:2 cat /stamp)" = "$stamp" ]
        # BuildKit's build-arg spelling writes the keys too; without
        # --cache-from a third store runs every step
        export BOX_ROOT="$BOX_TEST_TMP/third"
        box load -q -i "$BOX_TEST_TMP/ic.tar" >/dev/null
        run box build --network none --progress plain -f "$CTX/Dockerfile.ic" --build-arg BUILDKIT_INLINE_CACHE=1 -t ic:3 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" != *"cat /proc/sys/kernel/random/uuid > /stamp"$'\n'"  CACHED"* ]]
        [ "$(box run --rm --network none ic:3 cat /stamp)" != "$stamp" ]
        box save -o "$BOX_TEST_TMP/ic3.tar" ic:3
        export BOX_ROOT="$BOX_TEST_TMP/fourth"
        box load -q -i "$BOX_TEST_TMP/ic.tar" >/dev/null
        box load -q -i "$BOX_TEST_TMP/ic3.tar" >/dev/null
        run box build --network none --progress plain -f "$CTX/Dockerfile.ic" --cache-from type=registry,ref=ic:3 "$CTX"
        [[ "$output" == *"cat /proc/sys/kernel/random/uuid > /stamp"$'\n'"  CACHED"* ]]
}

@test "cache sources box cannot read are warnings, as BuildKit's, and the build goes on" {
        run box build -q --target final --pull=never --cache-from nosuch:1 --cache-from type=gha \
                --cache-to type=registry,ref=x,mode=max "$CTX"
        [ "$status" -eq 0 ]
        [[ "${lines[-1]}" =~ ^sha256: ]]
        [[ "$output" == *"box: warning: --cache-from 'nosuch:1': "* ]]
        [[ "$output" == *"box: warning: cache option 'type=gha' ignored"* ]]
        [[ "$output" == *"box: warning: cache option 'type=registry,ref=x,mode=max' ignored"* ]]
}

@test "--ssh forwards an agent socket to RUN --mount=type=ssh; required ids and key files fail clearly" {
        command -v ssh-agent >/dev/null || skip "ssh-agent not installed"
        eval "$(ssh-agent -s)" >/dev/null
        cat > "$CTX/Dockerfile.ssh" <<'EOF2'
FROM busybox
RUN --mount=type=ssh sh -c '[ -S "$SSH_AUTH_SOCK" ] && echo "agent at $SSH_AUTH_SOCK"'
RUN --mount=type=ssh,id=deploy,target=/tmp/agent,required=true [ -S /tmp/agent ]
RUN --mount=type=ssh [ ! -e /run/buildkit/ssh_agent.1 ]
EOF2
        run box build --progress plain --ssh default --ssh "deploy=$SSH_AUTH_SOCK" -f "$CTX/Dockerfile.ssh" "$CTX"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"agent at /run/buildkit/ssh_agent.0"* ]]
        # not forwarded: a required id fails naming it; an optional one has no mount
        run box build -q --no-cache --ssh default -f "$CTX/Dockerfile.ssh" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"no SSH agent 'deploy' forwarded: use --ssh deploy=SOCKET"* ]]
        # box runs no agent of its own: a key file is refused, saying what to do
        run box build -q --ssh "default=$BOX_TEST_TMP/ctx/Dockerfile.ssh" -f "$CTX/Dockerfile.ssh" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"is not an agent socket"*"ssh-add"* ]]
}

@test "attacker: an image's box.cache.v0 cannot name paths, other images' layers or bad records" {
        printf 'FROM busybox\nRUN cat /proc/sys/kernel/random/uuid > /stamp\nRUN echo two > /two\n' > "$CTX/Dockerfile.ic"
        box build --network none -q -f "$CTX/Dockerfile.ic" --cache-to type=inline -t ic:1 "$CTX" >/dev/null
        box save -o "$BOX_TEST_TMP/ic.tar" busybox ic:1
        # the image's config rewritten: every claim hostile but the last step's
        claims=$(python3 "$BATS_TEST_DIRNAME/cache-claims.py" "$BOX_TEST_TMP/ic.tar" ic:1)
        hostile=$(python3 -c '
import json, sys
steps = json.loads(sys.argv[1])
assert len(steps) == 2, steps
first, good = steps
print(json.dumps([
    {"key": "sha256:../../../../tmp/box-cache-escape", "layer": 1, "created": "x"},
    {"key": first["key"], "layer": 99, "created": first["created"]},
    {"key": first["key"], "layer": -7, "created": first["created"]},
    {"key": first["key"], "layer": 1, "created": "y" * 10000},
    "not an object", 7, None,
    good,
]))' "$claims")
        python3 "$BATS_TEST_DIRNAME/cache-claims.py" "$BOX_TEST_TMP/ic.tar" ic:1 "$hostile"
        export BOX_ROOT="$BOX_TEST_TMP/fresh"
        box load -q -i "$BOX_TEST_TMP/ic.tar" >/dev/null
        run box build --network none --progress plain -f "$CTX/Dockerfile.ic" --cache-from ic:1 "$CTX"
        [ "$status" -eq 0 ]
        # every claim on the first step was refused: it ran again
        [[ "$output" != *"random/uuid > /stamp"$'\n'"  CACHED"* ]]
        [ ! -e /tmp/box-cache-escape ]
        [ -z "$(find "$BOX_ROOT/buildcache/steps" -name '*escape*')" ]
        [ "$(ls "$BOX_ROOT/buildcache/steps" | grep -cv '^[0-9a-f]\{64\}$')" -eq 0 ]
}

@test "--shm-size and --cgroup-parent reach RUN steps, as Docker's build flags" {
        local parent=/box-build-test-$$
        printf 'FROM busybox\nRUN df -k /dev/shm | tail -1 > /shm\n' > "$CTX/Dockerfile.res"
        box build -q --no-cache --shm-size 128m --cgroup-parent "$parent" -f "$CTX/Dockerfile.res" \
                -t res "$CTX" >/dev/null
        run box run --rm --network none res cat /shm
        [[ "$output" == *" 131072 "* ]]
        # the step's cgroup was made under that parent (its container sees
        # only its own cgroup namespace): the parent is left, as Docker's
        local found=0 d
        for d in /sys/fs/cgroup/*"$parent"; do
                [ -d "$d" ] && found=1 && rmdir "$d"
        done
        [ "$found" = 1 ]
        run box build -q --shm-size lots "$CTX"
        [ "$status" -eq 125 ]
        [[ "${lines[0]}" == *"invalid --shm-size 'lots'"* ]]
        run box build -q --cgroup-parent ../x "$CTX"
        [ "$status" -eq 125 ]
}
