#!/usr/bin/env bats
# box build against a hostile Dockerfile and context: whatever a step leaves
# behind (symlinks, FIFOs, deep trees, huge variables) stays inside the
# image being built, and nothing blocks or crashes the builder.  Host files
# the attacks aim at are canaries under the test's temp dir.
load helpers
bats_require_minimum_version 1.5.0

setup() {
        build_setup
        T="$BOX_TEST_TMP"
}
teardown() {
        [ -z "${SRV:-}" ] || kill "$SRV" 2>/dev/null || true
        box_teardown_store
}

# ---- sources are resolved inside their own root ----

@test "COPY --from a stage resolves a symlinked source inside the stage, never on the host" {
        echo HOST-SECRET > "$T/secret"
        echo HOST-ONLY > "$T/hostonly"
        up=$(printf '../%.0s' $(seq 16))
        cat > "$CTX/Dockerfile" <<EOF
FROM busybox AS a
RUN mkdir -p $T && echo stage-file > $T/secret && ln -s $T/secret /x \
 && mkdir /d && ln -s $T/secret /d/z && ln -s $T /e && ln -s $up$T/secret /rel \
 && ln -s $T/hostonly /dangling
FROM busybox
COPY --from=a /x /stolen
COPY --from=a /d/* /w/
COPY --from=a /e/secret /parent
COPY --from=a /rel /relative
COPY --from=a /dangling /dangling
COPY --from=a /d /dir/
EOF
        run box build -t fromstage "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm fromstage cat /stolen /w/z /parent /relative
        [ "$output" = $'stage-file\nstage-file\nstage-file\nstage-file' ]
        # a link that leads nowhere inside the stage is copied as the link
        run box run --rm fromstage sh -c 'readlink /dangling; cat /dangling'
        [ "${lines[0]}" = "$T/hostonly" ]
        [[ "$output" != *HOST-ONLY* ]]
        # inside a copied directory a symlink stays a symlink
        [ "$(box run --rm fromstage readlink /dir/z)" = "$T/secret" ]
}

@test "COPY --from an image, a named context and RUN --mount from= all stay inside their root" {
        echo HOST-SECRET > "$T/secret"
        printf 'FROM busybox\nRUN mkdir -p %s && echo image-file > %s/secret && ln -s %s/secret /x\n' \
                "$T" "$T" "$T" > "$CTX/Dockerfile"
        box build -t linkimg "$CTX" >/dev/null 2>&1
        mkdir -p "$T/named$T"
        echo named-file > "$T/named$T/secret"
        ln -s "$T/secret" "$T/named/x"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
COPY --from=linkimg /x /from-image
COPY --from=extra /x /from-named
RUN --mount=type=bind,from=linkimg,source=/x,target=/m cat /m > /mounted
EOF
        run box build -t fromimg --build-context extra="$T/named" "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm fromimg cat /from-image /from-named /mounted
        [ "$output" = $'image-file\nnamed-file\nimage-file' ]
}

@test "a context 10000 directories deep fails with a clear error instead of crashing" {
        python3 - "$CTX/deep" <<'EOF'
import os, sys
os.mkdir(sys.argv[1]); os.chdir(sys.argv[1])
for _ in range(10000):
    os.mkdir("d"); os.chdir("d")
open("leaf", "w").write("x")
EOF
        printf 'FROM busybox\nCOPY deep /deep\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: COPY"*"directory tree deeper than"* ]]
        # a tree of ordinary depth still copies
        rm -rf "$CTX/deep"
        mkdir -p "$CTX/deep/a/b/c" && echo leaf > "$CTX/deep/a/b/c/f"
        run box build -t shallow "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm shallow cat /deep/a/b/c/f)" = leaf ]
}

# ---- RUN --mount=type=bind,rw ----

@test "RUN --mount=type=bind,rw: writes reach neither the context nor the image" {
        echo original > "$CTX/data"
        mkdir -p "$CTX/dir" && echo original > "$CTX/dir/f"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox AS a
RUN echo stage > /sf
FROM busybox
RUN --mount=type=bind,rw,target=/m sh -c 'echo hacked > /m/data; echo new > /m/dir/new; rm /m/dir/f; cat /m/data'
RUN --mount=type=bind,rw,source=data,target=/f sh -c 'echo hacked > /f; cat /f'
RUN --mount=type=bind,rw,from=a,target=/s sh -c 'echo hacked > /s/sf; cat /s/sf'
RUN --mount=type=bind,from=a,target=/s cat /s/sf > /after
EOF
        run box build --progress plain -t rwbind "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *hacked* ]]
        [ "$(cat "$CTX/data")" = original ]
        [ "$(cat "$CTX/dir/f")" = original ]
        [ ! -e "$CTX/dir/new" ]
        run box run --rm rwbind sh -c 'cat /after; ls /m /f /s 2>&1'
        [ "${lines[0]}" = stage ]
        [[ "$output" != *data* ]]
        [ -z "$(grep " $T" /proc/self/mounts || true)" ]
}

# ---- what the builder touches after a RUN step ----

@test "mount points a step re-pointed at a host directory are not pruned on the host" {
        mkdir -p "$T/canary/secrets" "$T/canary2/b/c" "$T/canary3"
        : > "$T/canary3/secrets"
        cat > "$CTX/Dockerfile" <<EOF
FROM busybox
RUN rm -rf /run && ln -s $T/canary /run
RUN rm -rf /run && ln -s $T/canary3 /run
RUN --mount=type=tmpfs,target=/a/b/c sh -c 'mv /a /a2 && ln -s $T/canary2 /a'
EOF
        run box build -t prune "$CTX"
        [ "$status" -eq 0 ]
        [ -d "$T/canary/secrets" ]
        [ -f "$T/canary3/secrets" ]
        [ -d "$T/canary2/b/c" ]
        # the step's own symlinks are its content
        [ "$(box run --rm prune readlink /a)" = "$T/canary2" ]
}

@test "WORKDIR and COPY destinations go through a step's symlinks inside the image only" {
        mkdir -p "$T/hostdir/exists-on-host" "$T/hostdest"
        chmod 0750 "$T/hostdest"
        echo from-context > "$CTX/f"
        cat > "$CTX/Dockerfile" <<EOF
FROM busybox
RUN ln -s $T/hostdir /app && ln -s /../../../../$T/pwn /app2 && ln -s /etc /dst \
 && ln -s $T/hostdest /dst2
WORKDIR /app/exists-on-host
WORKDIR /app2/x
COPY f /dst/passwd
COPY --chown=1:1 --chmod=4755 f /dst2/sub/x
COPY <<EOT /dst2/heredoc
text
EOT
EOF
        run box build -t wd "$CTX"
        [ "$status" -eq 0 ]
        # the directories and files are the image's own, created inside it
        run box run --rm -w / wd sh -c "test -d $T/hostdir/exists-on-host && test -d $T/pwn/x \
                && cat /etc/passwd $T/hostdest/heredoc && stat -c %u:%a $T/hostdest/sub/x"
        [ "$output" = $'from-context\ntext\n1:4755' ]
        # WORKDIR through a link made a layer: the host's directory did not count
        [ "$(box image inspect --format '{{len .RootFS.Layers}}' wd)" = 7 ]
        [ ! -e "$T/pwn" ]
        [ -z "$(ls -A "$T/hostdest")" ]
        [ "$(stat -c %a "$T/hostdest")" = 750 ]
}

@test "COPY --chown reads the image's /etc/passwd inside the image, and a FIFO there does not block" {
        printf 'hostuser:x:4242:4242::/:/bin/sh\n' > "$T/hostpasswd"
        echo f > "$CTX/f"
        cat > "$CTX/Dockerfile" <<EOF
FROM busybox
RUN rm /etc/passwd && ln -s $T/hostpasswd /etc/passwd
COPY --chown=hostuser f /f
EOF
        run timeout 60 "$BOX" build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:3: COPY"*hostuser* ]]
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN rm /etc/group && mkfifo /etc/group
COPY --chown=1:1 f /f
EOF
        run timeout 60 "$BOX" build "$CTX"
        [ "$status" -eq 0 ]
}

# ---- the Dockerfile and the other inputs of a build ----

@test "the context's Dockerfile is read inside the context: a symlink cannot name a host file" {
        printf 'FROM busybox\nLABEL leaked=host-dockerfile\n' > "$T/hostdf"
        ln -s "$T/hostdf" "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"'Dockerfile' is a symlink that leads nowhere inside the context"* ]]
        # a symlink to a file of the context is fine
        rm "$CTX/Dockerfile"
        printf 'FROM busybox\nLABEL from=context\n' > "$CTX/real"
        ln -s real "$CTX/Dockerfile"
        run box build -t dflink "$CTX"
        [ "$status" -eq 0 ]
        # -f names a file of the user's choosing, anywhere
        run box build -f "$T/hostdf" -t explicit "$CTX"
        [ "$status" -eq 0 ]
}

@test "FIFOs as Dockerfile, ignore files, --build-arg-file or --secret fail at once, never block" {
        mkfifo "$CTX/Dockerfile"
        run timeout 60 "$BOX" build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"'Dockerfile' is not a regular file"* ]]
        rm "$CTX/Dockerfile"
        printf 'FROM busybox\nRUN --mount=type=secret,id=s,env=S true\n' > "$CTX/Dockerfile"
        mkfifo "$T/fifo"
        run timeout 60 "$BOX" build -f "$T/fifo" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"is not a regular file"* ]]
        run timeout 60 "$BOX" build --build-arg-file "$T/fifo" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"--build-arg-file"*"is not a regular file"* ]]
        run timeout 60 "$BOX" build --secret "id=s,src=$T/fifo" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"--secret"*"is not a regular file"* ]]
        for ign in .dockerignore Dockerfile.dockerignore; do
                mkfifo "$CTX/$ign"
                run timeout 60 "$BOX" build "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"'$ign' is not a regular file"* ]]
                rm "$CTX/$ign"
        done
        # a FIFO the context holds as a file to copy is made again, never opened
        mkfifo "$CTX/pipe"
        printf 'FROM busybox\nADD pipe /p\nCOPY . /all/\n' > "$CTX/Dockerfile"
        run timeout 60 "$BOX" build -t fifo "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm fifo sh -c 'test -p /p && test -p /all/pipe && echo fifo')" = fifo ]
}

# ---- hostile sizes ----

@test "a doubling ARG or ENV chain fails with one line naming the Dockerfile line" {
        {
                echo 'FROM busybox'
                echo 'ARG A0=xx'
                for i in $(seq 1 24); do echo "ARG A$i=\$A$((i - 1))\$A$((i - 1))"; done
                echo 'LABEL big=$A24'
        } > "$CTX/Dockerfile"
        run timeout 120 "$BOX" build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:22:"*"expanded word longer than 1048576 bytes"* ]]
        [ "$(printf '%s\n' "$output" | grep -c 'error')" = 1 ]
        {
                echo 'FROM busybox'
                echo 'ENV E0=xx'
                for i in $(seq 1 24); do echo "ENV E$i=\"\${E$((i - 1))}\${E$((i - 1))}\""; done
        } > "$CTX/Dockerfile"
        run timeout 120 "$BOX" build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:22:"*"expanded word longer than"* ]]
}

@test "many copies of a large variable hit the build's expansion budget" {
        {
                echo 'FROM busybox'
                echo 'ARG A0=xxxxxxxx'
                for i in $(seq 1 17); do echo "ARG A$i=\$A$((i - 1))\$A$((i - 1))"; done
                for i in $(seq 1 12); do echo "LABEL l$i=\$A17"; done
        } > "$CTX/Dockerfile"
        run env BOX_BUILD_MAX_EXPANSION=8388608 timeout 120 "$BOX" build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:"*"exceed 8388608 bytes in total"* ]]
        # the default budget (64 MiB) lets these 12 MiB through; a bad value is refused
        run timeout 120 "$BOX" build "$CTX"
        [ "$status" -eq 0 ]
        run env BOX_BUILD_MAX_EXPANSION=bogus "$BOX" build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"BOX_BUILD_MAX_EXPANSION='bogus'"* ]]
}

@test "a .dockerignore of a million lines is read in linear time" {
        python3 -c 'import sys; sys.stdout.write("".join("pattern-%d\n" % i for i in range(1000000)))' \
                > "$CTX/.dockerignore"
        echo keep > "$CTX/keep"
        printf 'FROM busybox\nCOPY keep /keep\n' > "$CTX/Dockerfile"
        start=$(date +%s)
        run timeout 150 "$BOX" build -t bigignore "$CTX"
        [ "$status" -eq 0 ]
        [ $(($(date +%s) - start)) -lt 60 ]
}

# ---- ADD <url> ----

@test "ADD <url> stops at BOX_BUILD_ADD_MAX_BYTES and at BOX_BUILD_ADD_TIMEOUT" {
        mkdir -p "$T/www"
        head -c 200000 /dev/zero > "$T/www/big"
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$port" >/dev/null 2>&1 &
        SRV=$!
        for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/big" >/dev/null && break; sleep 0.1; done
        printf 'FROM busybox\nADD http://127.0.0.1:%s/big /big\n' "$port" > "$CTX/Dockerfile"
        run env BOX_BUILD_ADD_MAX_BYTES=100000 "$BOX" build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"BOX_BUILD_ADD_MAX_BYTES"* ]]
        kill "$SRV"
        # a server that drips one byte at a time never trips a stall timer
        python3 - "$T/port" <<'EOF' &
import os, socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(60)
c, _ = s.accept(); c.recv(4096)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
end = time.time() + 60
while time.time() < end:
    try:
        c.sendall(b"x")
    except OSError:
        break
    time.sleep(0.2)
EOF
        SRV=$!
        for _ in $(seq 300); do [ -e "$T/port" ] && break; sleep 0.1; done
        printf 'FROM busybox\nADD http://127.0.0.1:%s/drip /drip\n' "$(cat "$T/port")" > "$CTX/Dockerfile"
        run env BOX_BUILD_ADD_TIMEOUT=3 timeout 40 "$BOX" build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"not downloaded within 3 s"* ]]
}

# ---- the build cache ----

@test "a tampered build cache record cannot point a layer at a host directory" {
        mkdir -p "$T/hostdir" && echo host > "$T/hostdir/host-canary"
        printf 'FROM busybox\nRUN echo one > /one\n' > "$CTX/Dockerfile"
        box build "$CTX" >/dev/null 2>&1
        up=$(printf '../%.0s' $(seq 16))
        for rec in "$BOX_ROOT"/buildcache/steps/*; do
                grep -q diff_id "$rec" || continue
                sed -i "s|\"diff_id\":\"sha256:[0-9a-f]*\"|\"diff_id\":\"sha256:$up${T#/}/hostdir\"|" "$rec"
        done
        printf 'FROM busybox\nRUN echo one > /one\nRUN ls / > /listing\n' > "$CTX/Dockerfile"
        run box build -t tampered "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm tampered cat /one /listing
        [ "${lines[0]}" = one ]
        [[ "$output" != *host-canary* ]]
}
