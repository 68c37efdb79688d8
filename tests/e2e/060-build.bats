#!/usr/bin/env bats
# box build: instructions, layers, cache, stages, contexts, as a user sees them.
load helpers

setup() { build_setup; }
teardown() { box_teardown_store; }

@test "build runs RUN, COPY, ENV, WORKDIR, EXPOSE, CMD and the image runs" {
        echo hello > "$CTX/hello.txt"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
ENV GREETING="hi there"
RUN echo "$GREETING" > /greeting
COPY hello.txt /app/
WORKDIR /app
EXPOSE 8080 53/udp
LABEL org.example.a=1 "b c"=d
USER tester
CMD ["cat", "hello.txt"]
EOF
        run box build -t hello "$CTX"
        [ "$status" -eq 0 ]
        [[ "${lines[-1]}" =~ ^sha256:[0-9a-f]{64}$ ]]
        [[ "$output" == *"[1/9] FROM busybox"* ]]
        [[ "$output" == *"[9/9] CMD"* ]]
        run box run --rm hello
        [ "$status" -eq 0 ]
        [ "$output" = hello ]
        run box run --rm hello sh -c 'cat /greeting; pwd; id -u'
        [ "$output" = $'hi there\n/app\n1000' ]
        run box image inspect --format '{{json .Config.ExposedPorts}} {{json .Config.Labels}} {{.Config.User}}' hello
        [ "$output" = '{"53/udp":{},"8080/tcp":{}} {"b c":"d","org.example.a":"1"} tester' ]
}

@test "-q prints only the image id; --iidfile writes it" {
        printf 'FROM busybox\nRUN echo quiet-output\n' > "$CTX/Dockerfile"
        run --separate-stderr box build -q --iidfile "$BOX_TEST_TMP/iid" "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        [ -z "$stderr" ]
        [ "$(cat "$BOX_TEST_TMP/iid")" = "$output" ]
}

@test "a file deleted in RUN is gone in the image and in box run" {
        printf 'FROM busybox\nRUN rm /bin/vi && mkdir -p /d && touch /d/x\nRUN rm -rf /d && mkdir /d\n' > "$CTX/Dockerfile"
        box build -t wh "$CTX" 2>/dev/null
        run box run --rm wh sh -c 'ls /bin/vi; ls -A /d | wc -l'
        [[ "$output" == *"No such file"* ]]
        [[ "${lines[-1]}" == *0 ]]
        # the layer blob carries an OCI whiteout for the deleted file
        blobs=$(box image inspect --format '{{json .RootFS.Layers}}' wh)
        found=0
        for b in "$BOX_ROOT"/blobs/sha256/*; do
                if tar -tf "$b" 2>/dev/null | grep -qx 'bin/.wh.vi'; then found=1; fi
        done
        [ "$found" -eq 1 ]
}

@test "a step that changes nothing adds no layer" {
        printf 'FROM busybox\nRUN true\nENV A=b\n' > "$CTX/Dockerfile"
        box build -t nolayer "$CTX" 2>/dev/null
        [ "$(box image inspect --format '{{json .RootFS.Layers}}' nolayer)" = "$(box image inspect --format '{{json .RootFS.Layers}}' busybox)" ]
        run box image inspect --format '{{json .History}}' nolayer
        [[ "$output" == *'"created_by":"RUN /bin/sh -c true # buildkit","empty_layer":true'* ]]
}

@test "a rebuild is fully cached and gives the same image id" {
        echo v1 > "$CTX/f"
        printf 'FROM busybox\nRUN echo build-ran > /marker\nCOPY f /f\nCMD ["cat","/f"]\n' > "$CTX/Dockerfile"
        a=$(box build -q "$CTX")
        run box build --progress plain "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"CACHED"* ]]
        [[ "$output" != *"cache miss"* ]]
        [ "${lines[-1]}" = "$a" ]
}

@test "changing a COPY source invalidates that step and later ones, and says why" {
        echo v1 > "$CTX/f"
        printf 'FROM busybox\nRUN echo one > /one\nCOPY f /f\nRUN cat /f > /g\n' > "$CTX/Dockerfile"
        box build -t c1 "$CTX" 2>/dev/null
        echo v2 > "$CTX/f"
        run box build --progress plain -t c1 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"[2/4] RUN echo one > /one"$'\n'"  CACHED"* ]]
        [[ "$output" == *"cache miss: files changed"* ]]
        [ "$(box run --rm c1 cat /g)" = v2 ]
        # mtime-only changes keep the cache
        touch -d '2001-01-01' "$CTX/f"
        run box build --progress plain "$CTX"
        [[ "$output" != *"cache miss"* ]]
}

@test "build args reach RUN and invalidate the cache; unused ones warn" {
        printf 'FROM busybox\nARG V=default\nRUN echo "v=$V" > /v\n' > "$CTX/Dockerfile"
        box build -t a1 "$CTX" 2>/dev/null
        [ "$(box run --rm a1 cat /v)" = v=default ]
        run box build --progress plain --build-arg V=other --build-arg UNUSED=1 -t a2 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"cache miss"* ]]
        [[ "$output" == *"build arg 'UNUSED' was not consumed"* ]]
        [ "$(box run --rm a2 cat /v)" = v=other ]
        # ARG values are not kept in the image's environment
        [[ "$(box image inspect --format '{{json .Config.Env}}' a2)" != *V=* ]]
}

@test "ARG before FROM is visible in FROM and, redeclared, in the stage" {
        printf 'ARG BASE=busybox\nARG X=global\nFROM $BASE\nRUN echo "[$X]" > /x1\nARG X\nRUN echo "[$X]" > /x2\n' > "$CTX/Dockerfile"
        box build -t g "$CTX" 2>/dev/null
        [ "$(box run --rm g cat /x1)" = "[]" ]
        [ "$(box run --rm g cat /x2)" = "[global]" ]
}

@test "the platform ARGs are the host's, redeclared before FROM too; check resolves them alike" {
        case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
        # "ARG TARGETARCH" before FROM keeps the platform's value (BuildKit's idiom)
        printf 'ARG TARGETARCH
FROM busybox
ARG TARGETARCH
ARG TARGETPLATFORM
RUN echo "$TARGETARCH $TARGETPLATFORM" > /p
' > "$CTX/Dockerfile"
        box build -t plat "$CTX" 2>/dev/null
        [ "$(box run --rm plat cat /p)" = "$arch linux/$arch" ]
        # the check and the build resolve FROM with the same ARGs
        printf 'FROM busybox AS b-amd64
FROM busybox AS b-arm64
FROM b-${TARGETARCH}
RUN echo ok > /ok
' > "$CTX/Dockerfile"
        run box dockerfile check "$CTX/Dockerfile"
        [ "$status" -eq 0 ]
        box build -t plat2 "$CTX" 2>/dev/null
        [ "$(box run --rm plat2 cat /ok)" = ok ]
}

@test ".dockerignore: an ignored file is absent and COPY of it fails" {
        echo keep > "$CTX/keep"
        echo secret > "$CTX/secret.txt"
        mkdir -p "$CTX/logs" && echo l > "$CTX/logs/a.log" && echo k > "$CTX/logs/keep.log"
        printf 'secret.txt\nlogs/*.log\n!logs/keep.log\n' > "$CTX/.dockerignore"
        printf 'FROM busybox\nCOPY . /ctx/\n' > "$CTX/Dockerfile"
        box build -t ign "$CTX" 2>/dev/null
        run box run --rm ign sh -c 'cd /ctx && find . -type f | sort'
        [ "$output" = $'./.dockerignore\n./Dockerfile\n./keep\n./logs/keep.log' ]
        printf 'FROM busybox\nCOPY secret.txt /\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Dockerfile:2: COPY"*"secret.txt"* ]]
}

@test "multi-stage: COPY --from a named stage, --target, unused stages skipped" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox AS builder
RUN echo built > /artifact
FROM busybox AS unused
RUN exit 3
FROM busybox
COPY --from=builder /artifact /artifact
COPY --from=0 /artifact /artifact0
CMD ["cat", "/artifact"]
EOF
        run box build -t ms "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" != *"exit 3"* ]]
        [ "$(box run --rm ms)" = built ]
        [ "$(box run --rm ms cat /artifact0)" = built ]
        run box build --target builder -t ms-builder "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm ms-builder cat /artifact)" = built ]
        run box build --target nosuch "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"target stage 'nosuch' could not be found"* ]]
}

@test "a failing RUN exits 1, names the step, and moves no tag" {
        printf 'FROM busybox\nRUN echo ok > /ok\n' > "$CTX/Dockerfile"
        box build -t keep "$CTX" 2>/dev/null
        before=$(box image inspect --format '{{.Id}}' keep)
        printf 'FROM busybox\nRUN echo ok > /ok\nRUN echo failing; exit 7\n' > "$CTX/Dockerfile"
        run box build -t keep "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *"Dockerfile:3: RUN: process '/bin/sh -c echo failing; exit 7' did not complete successfully: exit code: 7"* ]]
        [ "$(box image inspect --format '{{.Id}}' keep)" = "$before" ]
        [ "$(box images -q | wc -l)" -eq 2 ]
}

@test "secrets are available to RUN and absent from every layer" {
        echo s3cr3t-value > "$BOX_TEST_TMP/token"
        printf 'FROM busybox\nRUN --mount=type=secret,id=tok cp /run/secrets/tok /copied && rm /copied\nRUN --mount=type=secret,id=tok,required test -s /run/secrets/tok\n' > "$CTX/Dockerfile"
        run box build -t sec --secret id=tok,src="$BOX_TEST_TMP/token" "$CTX"
        [ "$status" -eq 0 ]
        ! grep -rq s3cr3t-value "$BOX_ROOT/layers" "$BOX_ROOT/blobs" || false
        run box run --rm sec ls /run/secrets
        [ "$status" -ne 0 ] || [ -z "$output" ]
}

@test "secret and cache mounts: uid=, gid=, mode= as BuildKit's (secret 0:0 0400 by default); the host file's own never shows" {
        echo s3cr3t-value > "$BOX_TEST_TMP/token"
        chmod 0644 "$BOX_TEST_TMP/token"
        chown 1234:1234 "$BOX_TEST_TMP/token"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN --mount=type=secret,id=tok stat -c "default %u %g %a" /run/secrets/tok
RUN --mount=type=secret,id=tok,required=false,mode=741,uid=100,gid=102,target=/mysecret stat -c "given %u %g %f" /mysecret && cat /mysecret
RUN --mount=type=secret,id=tok sh -c 'echo x > /run/secrets/tok' 2>&1 || echo read-only
RUN --mount=type=cache,target=/mycache,uid=1001,gid=1002,mode=0700 stat -c "cache %u %g %a" /mycache
RUN --mount=type=cache,target=/c2 stat -c "cache2 %u %g %a" /c2
EOF
        run box build --no-cache --progress plain --secret id=tok,src="$BOX_TEST_TMP/token" "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"default 0 0 400"* ]]
        [[ "$output" == *"given 100 102 81e1"*s3cr3t-value* ]]
        [[ "$output" == *read-only* ]]
        [[ "$output" == *"cache 1001 1002 700"* ]]
        [[ "$output" == *"cache2 0 0 755"* ]]
        # the host's file is untouched, its copy gone with the build
        [ "$(stat -c '%u %a' "$BOX_TEST_TMP/token")" = "1234 644" ]
        [ -z "$(find "$BOX_ROOT/tmp" -name 'secret-*' 2>/dev/null)" ]
        for bad in mode=999 mode=0x1 uid=-1 uid=abc gid=4294967295; do
                printf 'FROM busybox\nRUN --mount=type=secret,id=tok,%s true\n' "$bad" > "$CTX/Dockerfile"
                run box build --no-cache --secret id=tok,src="$BOX_TEST_TMP/token" "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"--mount: invalid"* ]]
        done
        # BuildKit's size limit: a secret is not a data set
        head -c 600000 /dev/zero > "$BOX_TEST_TMP/big"
        printf 'FROM busybox\nRUN --mount=type=secret,id=big true\n' > "$CTX/Dockerfile"
        run box build --no-cache --secret id=big,src="$BOX_TEST_TMP/big" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"larger than 500 KiB"* ]]
}

@test "RUN --mount=type=cache persists across builds" {
        printf 'FROM busybox\nRUN --mount=type=cache,target=/cache echo x >> /cache/count && wc -l < /cache/count > /seen\n' > "$CTX/Dockerfile"
        box build --no-cache -t m1 "$CTX" 2>/dev/null
        box build --no-cache -t m2 "$CTX" 2>/dev/null
        [ "$(box run --rm m1 cat /seen)" = 1 ]
        [ "$(box run --rm m2 cat /seen)" = 2 ]
        # the mount point is not part of the image (as BuildKit removes mount stubs)
        run box run --rm m2 ls /cache
        [ "$status" -ne 0 ]
}

@test "builds are reproducible with SOURCE_DATE_EPOCH" {
        echo data > "$CTX/f"
        printf 'FROM busybox\nCOPY f /f\nRUN echo deterministic > /d\nENV X=1\n' > "$CTX/Dockerfile"
        a=$(SOURCE_DATE_EPOCH=1700000000 box build -q --no-cache "$CTX")
        sleep 1
        touch "$CTX/f"
        b=$(SOURCE_DATE_EPOCH=1700000000 box build -q --no-cache "$CTX")
        [ "$a" = "$b" ]
}

@test "ENTRYPOINT resets an inherited CMD but keeps one set in the stage" {
        printf 'FROM busybox\nCMD ["echo","base"]\n' > "$CTX/Dockerfile"
        box build -t base-cmd "$CTX" 2>/dev/null
        printf 'FROM base-cmd\nENTRYPOINT ["echo","ep"]\n' > "$CTX/Dockerfile"
        box build -t ep1 "$CTX" 2>/dev/null
        [ "$(box image inspect --format '{{json .Config.Cmd}}' ep1)" = null ]
        printf 'FROM base-cmd\nCMD ["x"]\nENTRYPOINT ["echo","ep"]\n' > "$CTX/Dockerfile"
        box build -t ep2 "$CTX" 2>/dev/null
        [ "$(box run --rm ep2)" = "ep x" ]
}

@test "SHELL, STOPSIGNAL, HEALTHCHECK, VOLUME, MAINTAINER and ONBUILD land in the config" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
MAINTAINER someone <a@b.c>
SHELL ["/bin/sh", "-ec"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost
VOLUME /data
ONBUILD RUN echo triggered > /onbuild
EOF
        box build -t meta "$CTX" 2>/dev/null
        run box image inspect --format '{{.Author}} {{json .Config.Shell}} {{.Config.StopSignal}} {{json .Config.Healthcheck}} {{json .Config.Volumes}} {{json .Config.OnBuild}}' meta
        [ "$output" = 'someone <a@b.c> ["/bin/sh","-ec"] SIGINT {"Interval":5000000000,"Retries":2,"Test":["CMD-SHELL","wget -q localhost"]} {"/data":{}} ["RUN echo triggered > /onbuild"]' ]
        printf 'FROM meta\nRUN test -f /onbuild\n' > "$CTX/Dockerfile"
        run box build -t child "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm child cat /onbuild)" = triggered ]
        [ "$(box image inspect --format '{{json .Config.OnBuild}}' child)" = null ]
}

@test "COPY rules: wildcards, directory contents, slashes, --chown, --chmod, heredocs" {
        mkdir -p "$CTX/dir/sub"
        echo a > "$CTX/a.txt"; echo b > "$CTX/b.txt"; echo c > "$CTX/c.md"
        echo d > "$CTX/dir/sub/d"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
COPY *.txt /wild/
COPY dir /contents
COPY a.txt /renamed
COPY --chown=tester:users --chmod=640 b.txt /owned/
COPY <<EOT /heredoc.txt
hello
EOT
WORKDIR /w
COPY c.md rel/
EOF
        run box build -t cp "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm cp sh -c 'ls /wild; ls /contents; cat /renamed; stat -c "%U:%G %a" /owned/b.txt; cat /w/rel/c.md; cat /heredoc.txt'
        [ "$output" = $'a.txt\nb.txt\nsub\na\ntester:users 640\nc\nhello' ]
        printf 'FROM busybox\nCOPY a.txt b.txt /notadir\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"must be a directory and end with a /"* ]]
}

@test "RUN heredocs run as scripts" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN <<EOT
echo line1 > /h
echo line2 >> /h
EOT
RUN cat <<EOT > /h2
piped
EOT
EOF
        run box build -t hd "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm hd cat /h /h2)" = $'line1\nline2\npiped' ]
}

@test "ADD extracts local archives" {
        mkdir -p "$BOX_TEST_TMP/t/x" && echo inside > "$BOX_TEST_TMP/t/x/file"
        tar -C "$BOX_TEST_TMP/t" -czf "$CTX/arch.tar.gz" x
        printf 'FROM busybox\nADD arch.tar.gz /opt/\nCOPY arch.tar.gz /copied/\n' > "$CTX/Dockerfile"
        box build -t add "$CTX" 2>/dev/null
        [ "$(box run --rm add cat /opt/x/file)" = inside ]
        run box run --rm add ls /copied
        [ "$output" = arch.tar.gz ]
}

@test "hostile contexts: symlinks are copied, not followed; ../ is rejected" {
        ln -s /etc/shadow "$CTX/shadow-link"
        printf 'FROM busybox\nCOPY . /ctx/\nCOPY shadow-link /direct\n' > "$CTX/Dockerfile"
        box build -t hostile "$CTX" 2>/dev/null
        [ "$(box run --rm hostile readlink /ctx/shadow-link)" = /etc/shadow ]
        [ "$(box run --rm hostile readlink /direct)" = /etc/shadow ]
        printf 'FROM busybox\nCOPY ../x /x\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"outside the build context"* ]]
}

@test "context from stdin and Dockerfile from stdin" {
        echo stdin-file > "$CTX/f"
        printf 'FROM busybox\nCOPY f /f\n' > "$CTX/Dockerfile"
        tar -C "$CTX" -c . | box build -t fromtar - 2>/dev/null
        [ "$(box run --rm fromtar cat /f)" = stdin-file ]
        printf 'FROM busybox\nRUN echo piped > /p\n' | box build -t piped -f - "$CTX" 2>/dev/null
        [ "$(box run --rm piped cat /p)" = piped ]
}

@test "FROM scratch and a missing base image" {
        printf 'hello' > "$CTX/f"
        printf 'FROM scratch\nCOPY f /f\n' > "$CTX/Dockerfile"
        run box build -t scr "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box image inspect --format '{{json .RootFS.Layers}}' scr | tr ',' '\n' | wc -l)" = 1 ]
        printf 'FROM nosuchimage:1\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"base image 'nosuchimage:1' is not in the store"* ]]
}

@test "Dockerfile errors name the file and line" {
        printf 'FROM busybox\nFROB x\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2"*"FROB"* ]]
        run box build "$BOX_TEST_TMP/nonexistent"
        [ "$status" -eq 125 ]
}

@test "concurrent builds into one store succeed" {
        for i in 1 2 3; do
                mkdir -p "$BOX_TEST_TMP/c$i"
                printf 'FROM busybox\nRUN echo %s > /n && sleep 0.3\n' "$i" > "$BOX_TEST_TMP/c$i/Dockerfile"
        done
        box build -t cc1 "$BOX_TEST_TMP/c1" 2>/dev/null &
        box build -t cc2 "$BOX_TEST_TMP/c2" 2>/dev/null &
        box build -t cc3 "$BOX_TEST_TMP/c3" 2>/dev/null &
        wait
        for i in 1 2 3; do
                [ "$(box run --rm cc$i cat /n)" = "$i" ]
        done
}

@test "a build leaves no mounts or temp dirs behind" {
        printf 'FROM busybox\nRUN echo x > /x\nCOPY Dockerfile /\n' > "$CTX/Dockerfile"
        box build "$CTX" 2>/dev/null
        ! grep -q "$BOX_TEST_TMP" /proc/self/mounts || false
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
}

@test "RUN --mount=type=bind from the context and from a stage" {
        echo ctx-data > "$CTX/data"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox AS s1
RUN echo stage-data > /sd
FROM busybox
RUN --mount=type=bind,source=data,target=/mnt/data cat /mnt/data > /from-ctx
RUN --mount=type=bind,from=s1,source=/sd,target=/mnt/sd cat /mnt/sd > /from-stage
RUN --mount=type=bind,target=/ctx ls /ctx > /ls-ctx
EOF
        run box build -t bind "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm bind cat /from-ctx /from-stage)" = $'ctx-data\nstage-data' ]
        [[ "$(box run --rm bind cat /ls-ctx)" == *data* ]]
        run box run --rm bind ls /mnt
        [ "$status" -ne 0 ]
}

@test "what a RUN --mount=type=bind shows is in its cache key: a changed package.json runs npm ci again (BuildKit)" {
        # Docker's Node and Go templates bind package.json/go.mod into the
        # install step instead of copying them: box reused the step's old
        # layer, with the old dependencies, after the file changed
        echo dep1 > "$CTX/package.json"
        echo ctx1 > "$CTX/app.txt"
        echo ign1 > "$CTX/ignored.txt"
        echo ignored.txt > "$CTX/.dockerignore"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox AS s1
ARG V=1
RUN echo "stage $V" > /sd
FROM busybox
WORKDIR /app
RUN --mount=type=bind,source=package.json,target=package.json cat package.json > /installed
RUN --mount=type=bind,target=/ctx cat /ctx/app.txt > /whole
RUN --mount=type=bind,from=s1,source=/sd,target=/mnt/sd cat /mnt/sd > /from-stage
EOF
        built() { box build -t bindkey "$@" "$CTX" >/dev/null 2>&1; box run --rm bindkey cat /installed /whole /from-stage; }
        [ "$(built)" = $'dep1\nctx1\nstage 1' ]
        run box build -t bindkey "$CTX"
        [ "$(grep -c 'cache miss' <<<"$output")" -eq 0 ]
        echo dep2 > "$CTX/package.json"
        [ "$(built)" = $'dep2\nctx1\nstage 1' ]
        echo ctx2 > "$CTX/app.txt"
        [ "$(built)" = $'dep2\nctx2\nstage 1' ]
        [ "$(built --build-arg V=2)" = $'dep2\nctx2\nstage 2' ]
        # a file .dockerignore leaves out is not what the step sees: no rerun
        echo ign2 > "$CTX/ignored.txt"
        run box build -t bindkey --build-arg V=2 "$CTX"
        [ "$status" -eq 0 ]
        [ "$(grep -c 'cache miss' <<<"$output")" -eq 0 ]
        # and back: the first layers come from the cache again
        echo dep1 > "$CTX/package.json"
        run box build -t bindkey --build-arg V=2 "$CTX"
        [[ "$output" != *"RUN --mount=type=bind,source=package.json"*"cache miss"*"RUN --mount=type=bind,target=/ctx"* ]]
        [ "$(box run --rm bindkey cat /installed)" = dep1 ]
}

@test "ADD fetches URLs over HTTP, verifies --checksum, and never extracts them" {
        mkdir -p "$BOX_TEST_TMP/www"
        echo remote-content > "$BOX_TEST_TMP/www/file.txt"
        mkdir -p "$BOX_TEST_TMP/t/x" && echo in > "$BOX_TEST_TMP/t/x/f"
        tar -C "$BOX_TEST_TMP/t" -czf "$BOX_TEST_TMP/www/a.tar.gz" x
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        python3 -m http.server --bind 127.0.0.1 --directory "$BOX_TEST_TMP/www" "$port" >/dev/null 2>&1 &
        srv=$!
        for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/file.txt" >/dev/null && break; sleep 0.1; done
        sum=$(sha256sum "$BOX_TEST_TMP/www/file.txt" | cut -d' ' -f1)
        printf 'FROM busybox\nADD http://127.0.0.1:%s/file.txt /dl/\nADD --checksum=sha256:%s http://127.0.0.1:%s/file.txt /named\nADD http://127.0.0.1:%s/a.tar.gz /arch/\n' \
                "$port" "$sum" "$port" "$port" > "$CTX/Dockerfile"
        run box build -t url "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm url cat /dl/file.txt /named)" = $'remote-content\nremote-content' ]
        [ "$(box run --rm url stat -c %a /named)" = 600 ]
        [ "$(box run --rm url ls /arch)" = a.tar.gz ]
        printf 'FROM busybox\nADD --checksum=sha256:%064d http://127.0.0.1:%s/file.txt /x\n' 0 "$port" > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"checksum mismatch"* ]]
        printf 'FROM busybox\nADD http://127.0.0.1:%s/missing /x\n' "$port" > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *404* ]]
        kill $srv
}

@test "a built image, saved, loads into podman and runs there" {
        load transfer-helpers
        podman_setup
        command -v runc >/dev/null || skip "runc not installed (crun refuses v1-hybrid cgroups)"
        # runc cannot set a hard RLIMIT_NPROC equal to ours without CAP_SYS_RESOURCE: no defaults
        printf '[containers]\ndefault_ulimits = []\n[engine]\nevents_logger = "none"\ncgroup_manager = "cgroupfs"\n' \
                > "$PODMAN_TMP/containers.conf"
        printf 'FROM busybox\nRUN echo from-box-build > /msg && rm /bin/vi\nCMD ["cat", "/msg"]\n' > "$CTX/Dockerfile"
        box build -t interop "$CTX" 2>/dev/null
        box save -o "$BOX_TEST_TMP/interop.tar" interop
        run pm load -i "$BOX_TEST_TMP/interop.tar"
        [ "$status" -eq 0 ]
        run pm run --rm --runtime runc --network none docker.io/library/interop:latest
        [ "$status" -eq 0 ]
        [ "$output" = from-box-build ]
        run pm run --rm --runtime runc --network none docker.io/library/interop:latest ls /bin/vi
        [ "$status" -ne 0 ]
        pm system reset -f >/dev/null 2>&1 || true
}

@test "RUN sees BuildKit's sandbox hostname and hosts, and the cache survives a deleted record" {
        printf 'FROM busybox\nRUN cat /etc/hostname /etc/hosts > /net && stat -c %%a /etc/hosts /etc/resolv.conf >> /net\n' \
                > "$CTX/Dockerfile"
        box build -q --network none -t net "$CTX" >/dev/null
        run box run --rm --network none net cat /net
        [ "${lines[0]}" = buildkitsandbox ]
        [ "${lines[1]}" = "$(printf '127.0.0.1\tlocalhost buildkitsandbox')" ]
        [ "${lines[-2]}" = 644 ]
        [ "${lines[-1]}" = 644 ]
        # a record a crash emptied (records are not fsynced) is a miss, not an error
        for f in "$BOX_ROOT"/buildcache/steps/*; do : > "$f"; done
        run box build --network none "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"cache miss"* ]]
}

@test "a signal to box build kills the RUN step (pid 1 ignores it), leaves nothing, exits 128+N" {
        # a user's ctrl-c or a CI runner's SIGTERM: the step's sleep is pid 1
        # of its namespace, which the forwarded signal would never end
        printf 'FROM busybox\nRUN echo ready-$((6*7)) >&2; sleep 300\n' > "$CTX/Dockerfile"
        "$BOX" build --no-cache --network none -t cancelled "$CTX" 2>"$BOX_TEST_TMP/err" &
        local pid=$!
        # the step's own output, not its header: the command runs
        for _ in $(seq 300); do grep -q ready-42 "$BOX_TEST_TMP/err" && break; sleep 0.1; done
        grep -q ready-42 "$BOX_TEST_TMP/err"
        # the step's sleep: box's descendant (not any other sleep on the host)
        local step=
        for _ in $(seq 50); do
                step=$(ps -eo pid=,ppid=,args= | awk -v root="$pid" '
                        { parent[$1] = $2; args[$1] = substr($0, index($0, $3)) }
                        END { for (p in args) if (args[p] == "sleep 300") {
                                for (q = parent[p]; q > 1; q = parent[q]) if (q == root) { print p; break } } }')
                [ -n "$step" ] && break
                sleep 0.1
        done
        [ -n "$step" ]
        kill -TERM "$pid"
        local rc=0 start=$SECONDS
        wait "$pid" || rc=$?
        [ "$rc" -eq 143 ]
        [ $((SECONDS - start)) -lt 10 ]
        grep -q "RUN: cancelled by SIGTERM" "$BOX_TEST_TMP/err"
        run kill -0 "$step"
        [ "$status" -ne 0 ]
        run box image inspect cancelled
        [ "$status" -ne 0 ]
        [ -z "$(find "$BOX_ROOT/containers" "$BOX_ROOT/tmp" -mindepth 1)" ]
}

@test "RUN's fsync and sync return at once on a volatile overlay, the layer is intact; --fsync and box run keep them" {
        # fsync of a pipe is EINVAL in the kernel: it succeeds only when the
        # seccomp filter answers it without syncing
        printf 'FROM busybox\nRUN echo | sync /proc/self/fd/0 && grep " / / " /proc/self/mountinfo > /root-mount\n' \
                > "$CTX/Dockerfile"
        box build -q --no-cache --network none -t nosync "$CTX" >/dev/null
        run box run --rm --network none nosync cat /root-mount
        [[ "$output" == *"fsync=volatile"* ]]
        run box build -q --no-cache --fsync --network none "$CTX"
        [ "$status" -ne 0 ]
        [[ "$output" == *"sync: /proc/self/fd/0: Invalid argument"* ]]
        # box run's syncs always sync; only a container box throws away at
        # its end (run --rm in the foreground) has a volatile overlay
        run box run --rm --network none busybox sh -c 'echo | sync /proc/self/fd/0'
        [ "$status" -ne 0 ]
        run box run --name kept --network none busybox grep -c volatile /proc/self/mountinfo
        [ "$output" = 0 ]
        box rm kept >/dev/null

        # a step that syncs every way there is: the same layer with and
        # without --fsync (its files' times fixed, so a second boundary
        # between the builds changes nothing), whole when read back, and
        # fsck finds it sound
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox
RUN seq 1 300000 > /data && sync /data && sync -d /data && sync -f /data && sync \
    && mkdir -p /d && seq 1 50 | while read i; do echo "$i" > /d/"$i"; sync /d/"$i"; done \
    && sha256sum /data /d/* > /sums && touch -t 200001010000 /data /sums /d/* /d
EOF2
        local a b
        a=$(box build -q --no-cache --network none --source-date-epoch 0 -t synced "$CTX")
        b=$(box build -q --no-cache --fsync --network none --source-date-epoch 0 "$CTX")
        [ "$a" = "$b" ]
        run box run --rm --network none synced sha256sum -c -s /sums
        [ "$status" -eq 0 ]
        [ "$(box run --rm --network none synced wc -l /data | cut -d' ' -f1)" = 300000 ]
        run box system fsck
        [ "$status" -eq 0 ]
}
