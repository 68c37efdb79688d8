#!/usr/bin/env bats
# box build where Docker (BuildKit) and podman agree on a behaviour: the
# command line, the Dockerfile's location, COPY/ADD and WORKDIR details, and
# the history BuildKit writes.
load helpers

setup() { build_setup; }
teardown() { box_teardown_store; }

@test "a Dockerfile on stdin builds with no context" {
        run box build -t fromstdin - <<'EOF'
FROM busybox
RUN echo piped-dockerfile > /p
WORKDIR /made/here
EOF
        [ "$status" -eq 0 ]
        [ "$(box run --rm fromstdin sh -c 'cat /p; pwd')" = $'piped-dockerfile\n/made/here' ]
        # COPY has nothing to copy from
        run box build - <<<$'FROM busybox\nCOPY x /x'
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: COPY"*"no build context"* ]]
}

@test "a context's Containerfile is used when it has no Dockerfile" {
        printf 'FROM busybox\nRUN echo containerfile > /c\n' > "$CTX/Containerfile"
        run box build -t cf "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm cf cat /c)" = containerfile ]
        rm "$CTX/Containerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"no Dockerfile or Containerfile found in context directory '$CTX'"* ]]
}

@test "-f is relative to the current directory, else to the context; no context: the file's directory" {
        mkdir -p "$BOX_TEST_TMP/elsewhere" "$CTX/sub"
        echo in-context > "$CTX/f"
        printf 'FROM busybox\nCOPY f /f\n' > "$CTX/sub/Build.df"
        cp "$CTX/sub/Build.df" "$BOX_TEST_TMP/elsewhere/Other.df"
        cd "$BOX_TEST_TMP"
        run box build -t rel1 -f elsewhere/Other.df "$CTX"
        [ "$status" -eq 0 ]
        # not found from the current directory: looked up in the context
        run box build -t rel2 -f sub/Build.df "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm rel2 cat /f)" = in-context ]
        run box build -f nosuch.df "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"nosuch.df"*"No such file or directory"* ]]
        # no context argument: the Dockerfile's directory is the context
        cp "$CTX/sub/Build.df" "$CTX/Alt.df"
        run box build -t noctx -f "$CTX/Alt.df"
        [ "$status" -eq 0 ]
        [ "$(box run --rm noctx cat /f)" = in-context ]
        # -f - with no context argument
        run box build -t noctx2 -f - <<<$'FROM busybox\nRUN touch /ok'
        [ "$status" -eq 0 ]
}

@test ".containerignore is read, --ignorefile replaces both" {
        echo a > "$CTX/a"; echo b > "$CTX/b"; echo c > "$CTX/c"
        echo a > "$CTX/.containerignore"
        echo b > "$CTX/.dockerignore"
        printf 'c\n.*ignore*\nDockerfile\nmine\n' > "$CTX/mine"
        printf 'FROM busybox\nCOPY . /ctx/\n' > "$CTX/Dockerfile"
        box build -t ign1 "$CTX" 2>/dev/null
        [ "$(box run --rm ign1 sh -c 'cd /ctx && ls a b c 2>/dev/null')" = $'b\nc' ]
        box build -t ign2 --ignorefile "$CTX/mine" "$CTX" 2>/dev/null
        [ "$(box run --rm ign2 ls -A /ctx)" = $'a\nb' ]
        run box build --ignorefile "$BOX_TEST_TMP/nosuch" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"--ignorefile"* ]]
}

@test "remote contexts and remote Dockerfiles are refused clearly" {
        run box build https://example.com/repo.git
        [ "$status" -eq 125 ]
        [[ "$output" == *"remote context 'https://example.com/repo.git' is not supported"* ]]
        run box build -f https://example.com/Dockerfile "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"remote Dockerfile"*"not supported"* ]]
}

@test "docker and podman build flags: --layers, --pull-never, --format, --platform, --build-arg-file, --logfile" {
        printf 'FROM busybox\nARG A\nARG B\nRUN echo "$A-$B" > /ab && echo build-ran\n' > "$CTX/Dockerfile"
        printf '# args\nA=one\n\nB=two\n' > "$BOX_TEST_TMP/args"
        run box build -t flags --pull-never --format docker --platform "linux/$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')" \
                --build-arg-file "$BOX_TEST_TMP/args" --logfile "$BOX_TEST_TMP/log" "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" != *build-ran* ]]
        grep -q build-ran "$BOX_TEST_TMP/log"
        [ "$(box run --rm flags cat /ab)" = one-two ]
        run box build --progress plain --build-arg-file "$BOX_TEST_TMP/args" --layers=false "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" != *CACHED* ]]
        run box build --platform linux/s390x "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"unsupported --platform 'linux/s390x'"* ]]
        run box build --help
        [[ "$output" == *'(default "missing")'* ]]
}

@test "the classic builder's flags that docker build (buildx) accepts and ignores: --squash, --isolation, -m, -c, --cpu-*, --cpuset-*" {
        printf 'FROM busybox\nRUN echo ok > /ok\n' > "$CTX/Dockerfile"
        run box build -q -t classic --squash --isolation default -m 1g --memory-swap -1 -c 512 \
                --cpu-period 100000 --cpu-quota 50000 --cpuset-cpus 0 --cpuset-mems 0 "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm classic cat /ok)" = ok ]
}

@test "--label without a value sets an empty label" {
        printf 'FROM busybox\n' > "$CTX/Dockerfile"
        box build -t lbl --label empty --label k=v "$CTX" 2>/dev/null
        [ "$(box image inspect --format '{{json .Config.Labels}}' lbl)" = '{"empty":"","k":"v"}' ]
}

@test "a stage built FROM another stage keeps that stage's ARGs" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox AS base
ARG VERSION=1.2
FROM base
RUN echo "v=$VERSION" > /v
EOF
        box build -t stagearg "$CTX" 2>/dev/null
        [ "$(box run --rm stagearg cat /v)" = v=1.2 ]
}

@test "history created_by strings are BuildKit's" {
        echo x > "$CTX/f"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
ARG A=1 B
ENV E=env
RUN true
WORKDIR /w
COPY --chown=1:2 --chmod=600 f ./
COPY --from=busybox /bin/true /t
CMD ["sh", "-c", "echo \"q\""]
ENTRYPOINT echo
SHELL ["/bin/sh", "-ec"]
EXPOSE 80 53/udp
VOLUME /a /b
HEALTHCHECK --interval=90s --timeout=1500ms --retries=3 CMD true
ONBUILD RUN true
STOPSIGNAL SIGTERM
USER 7
EOF
        box build -t hist "$CTX" 2>/dev/null
        run sh -c "\"$BOX\" image inspect --format '{{json .History}}' hist | jq -r '.[].created_by'"
        [ "$status" -eq 0 ]
        expected='ARG A=1 B
ENV E=env
RUN |2 A=1 B= /bin/sh -c true # buildkit
WORKDIR /w
COPY --chown=1:2 --chmod=600 f ./ # buildkit
COPY /bin/true /t # buildkit
CMD ["sh" "-c" "echo \"q\""]
ENTRYPOINT ["/bin/sh" "-c" "echo"]
SHELL [/bin/sh -ec]
EXPOSE [80/tcp 53/udp]
VOLUME [/a /b]
HEALTHCHECK {Test:[CMD-SHELL true] Interval:1m30s Timeout:1.5s StartPeriod:0s StartInterval:0s Retries:3}
STOPSIGNAL SIGTERM
USER 7'
        [ "$(printf '%s\n' "${lines[@]:1}")" = "$expected" ]
}

@test "history strings quote as Go's strconv.Quote: printable runes kept, others escaped" {
        # JSON escapes for U+00E9, U+263A, BEL, VT, U+0085 (a C1 control),
        # U+00A0 (a space other than ' '), U+200B (a format character) and a
        # surrogate pair (U+1F600); a raw tab and U+0085 in the shell form
        printf 'FROM busybox\nCMD ["echo", "h\\u00e9llo \\u263a", "a\\u0007b\\u000bc", "\\u0085\\u00a0\\u200b", "\\ud83d\\ude00"]\nENTRYPOINT echo \303\251\t\302\205x\n' > "$CTX/Dockerfile"
        box build -t quoted "$CTX" 2>/dev/null
        run sh -c "\"$BOX\" image inspect --format '{{json .History}}' quoted | jq -r '.[].created_by' | tail -n 2"
        [ "$status" -eq 0 ]
        expected='CMD ["echo" "héllo ☺" "a\ab\vc" "\u0085\u00a0\u200b" "😀"]
ENTRYPOINT ["/bin/sh" "-c" "echo é\t\u0085x"]'
        [ "$output" = "$expected" ]
}

@test "WORKDIR creates missing directories owned by USER" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
USER 1000:1000
WORKDIR /home/app/src
USER root
WORKDIR /home/app/src/deeper
RUN touch made
EOF
        box build -t wdown "$CTX" 2>/dev/null
        [ "$(box run --rm wdown stat -c '%u:%g' /home/app /home/app/src /home/app/src/deeper)" = $'1000:1000\n1000:1000\n0:0' ]
}

@test "COPY --exclude, --parents, and hard links kept within a COPY" {
        mkdir -p "$CTX/src/a/b" "$CTX/other"
        echo 1 > "$CTX/src/a/b/keep.c"; echo 2 > "$CTX/src/a/b/drop.o"; echo 3 > "$CTX/src/top.o"
        echo 4 > "$CTX/other/file"
        ln "$CTX/src/a/b/keep.c" "$CTX/src/link.c"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
COPY --exclude=*.o --exclude=**/*.o src /ex/
COPY --parents src/a/b/keep.c other/file /par/
COPY --parents ./src/./a/b/keep.c /pivot/
COPY --parents src/*/./b/keep.c ./s*/a/./b/*.o /wild/
COPY --parents /src/./a/./b/keep.c /double/
COPY src /hl/
EOF
        run box build -t cpx "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm cpx find /ex -type f | sort)" = $'/ex/a/b/keep.c\n/ex/link.c' ]
        [ "$(box run --rm cpx find /par /pivot -type f | sort)" = $'/par/other/file\n/par/src/a/b/keep.c\n/pivot/a/b/keep.c' ]
        # a wildcard before "./" (BuildKit's): as many leading components of
        # each match go as the pattern has there; only the first "./" counts
        [ "$(box run --rm cpx find /wild /double -type f | sort)" = $'/double/a/b/keep.c\n/wild/b/drop.o\n/wild/b/keep.c' ]
        run box run --rm cpx stat -c '%i %h' /hl/a/b/keep.c /hl/link.c
        [ "${lines[0]}" = "${lines[1]}" ]
        [[ "${lines[0]}" == *" 2" ]]
}

@test "COPY of a URL fails naming COPY" {
        printf 'FROM busybox\nCOPY http://127.0.0.1:1/x /x\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: COPY: source can't be a URL for COPY"* ]]
}

@test "a wildcard that matches nothing is no error (BuildKit)" {
        echo foo > "$CTX/foo"
        printf 'FROM busybox\nCOPY foo nomatch* /d/\nCOPY nothing* /e/\n' > "$CTX/Dockerfile"
        run box build -t emptywild "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm emptywild ls /d)" = foo ]
        # a plain missing path still fails
        printf 'FROM busybox\nCOPY missing /d/\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: COPY"*"'missing'"* ]]
}

@test "COPY wildcards are Go's filepath.Match, a malformed one is an error" {
        for f in '!x' ax bx .x 'a-b' 'a*b'; do echo "$f" > "$CTX/$f"; done
        # in Go '!' is a member of a class, '^' negates (glibc's fnmatch
        # reads "[!a]" as "not a"); a leading dot is not special
        printf 'FROM busybox\nCOPY [!a]x /c/\nCOPY [^a]x /n/\nCOPY a[*]b /r/\n' > "$CTX/Dockerfile"
        box build -t gomatch "$CTX" 2>/dev/null
        [ "$(box run --rm gomatch ls -A /c /n /r | tr '\n' ' ')" = '/c: !x ax  /n: !x .x bx  /r: a*b ' ]
        # BuildKit reports filepath.ErrBadPattern, even when nothing matches
        printf 'FROM busybox\nCOPY [a- /d/\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: COPY"*"syntax error in pattern '[a-'"* ]]
}

@test "ADD extracts an archive into a destination without a trailing slash" {
        mkdir -p "$BOX_TEST_TMP/t/x" && echo in > "$BOX_TEST_TMP/t/x/f"
        tar -C "$BOX_TEST_TMP/t" -czf "$CTX/a.tgz" x
        echo 'plain text' > "$CTX/plain.tgz"
        printf 'FROM busybox\nADD a.tgz /ex\nWORKDIR /w\nADD a.tgz sub\nADD plain.tgz /p\n' > "$CTX/Dockerfile"
        box build -t addx "$CTX" 2>/dev/null
        [ "$(box run --rm addx cat /ex/x/f /w/sub/x/f /p)" = $'in\nin\nplain text' ]
}

@test "ADD copies a compressed file that is not a tar as it is (a .gz, .bz2, .xz of one file), to a file or into a directory" {
        # the magic says gzip, but the first tar header does not read: BuildKit
        # copies it; box made DEST a directory first and then failed
        # "cannot replace directory 'data.gz' with a file"
        echo 'plain data' | gzip > "$CTX/data.gz"
        echo 'plain data' | bzip2 > "$CTX/data.bz2"
        echo 'plain data' | xz > "$CTX/data.xz"
        printf 'FROM busybox\nADD data.gz /data.gz\nADD data.bz2 data.xz /d/\nADD data.gz /new/x.gz\n' > "$CTX/Dockerfile"
        run box build -t addgz "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm addgz sh -c 'zcat /data.gz; zcat /new/x.gz; ls /d')" = $'plain data\nplain data\ndata.bz2\ndata.xz' ]
        cmp <(box run --rm addgz cat /data.gz) "$CTX/data.gz"
        cmp <(box run --rm addgz cat /d/data.xz) "$CTX/data.xz"
}

@test "COPY of a directory over a symlink or a file is BuildKit's error, not a replaced /lib; a named destination follows the link" {
        # a merged-/usr base has /lib -> usr/lib and /bin -> usr/bin: copying
        # a tree with lib/ and bin/ into / replaced the links with directories
        # (an image without /bin/sh); BuildKit refuses ("cannot copy to
        # non-directory")
        mkdir -p "$CTX/t1/link" "$CTX/t2/file"
        echo f > "$CTX/t1/link/f"
        echo g > "$CTX/t2/file/g"
        printf 'FROM busybox\nRUN mkdir -p /usr/real && ln -s usr/real /link && echo plain > /file\n' > "$CTX/Dockerfile"
        cp "$CTX/Dockerfile" "$CTX/Dockerfile.2"
        printf 'COPY t1/ /\n' >> "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:3: COPY: cannot copy to non-directory: '/link'"* ]]
        printf 'COPY t2 /\n' >> "$CTX/Dockerfile.2"
        run box build -f "$CTX/Dockerfile.2" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile.2:3: COPY: cannot copy to non-directory: '/file'"* ]]
        # the destination named: the link is followed, into its directory
        printf 'FROM busybox AS base\nRUN mkdir -p /usr/real && ln -s usr/real /link\nFROM base\nCOPY t1/link/ /link/\nCOPY --from=base /usr/real/ /link/again/\n' > "$CTX/Dockerfile"
        box build -t copylink "$CTX" 2>/dev/null
        [ "$(box run --rm copylink sh -c 'readlink /link; cat /usr/real/f; ls -d /usr/real/again')" = $'usr/real\nf\n/usr/real/again' ]
}

@test "COPY onto a symlink writes where the link leads, inside the root, and keeps the link (BuildKit)" {
        # nginx's sites-enabled/default and /etc/localtime are links: BuildKit
        # resolves the destination (fs.RootPath) and replaces the file the
        # link names; box replaced the link itself with a file
        echo new > "$CTX/f"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN mkdir -p /etc/a /etc/e /real && echo old > /etc/a/default && ln -s ../a/default /etc/e/default \
 && ln -s /real/sub/x /dangling && ln -s ../../../real/up /escape
COPY f /etc/e/default
COPY f /dangling
COPY f /escape
RUN echo old > /etc/a/h && ln -s ../a/h /etc/e/h
COPY <<HD /etc/e/h
from a here-document
HD
EOF
        box build -t copyonlink "$CTX" >/dev/null 2>&1
        run box run --rm copyonlink sh -c 'for l in /etc/e/default /dangling /escape /etc/e/h; do readlink $l; done; cat /etc/a/default /real/sub/x /real/up /etc/a/h'
        [ "$status" -eq 0 ]
        [ "$output" = $'../a/default\n/real/sub/x\n../../../real/up\n../a/h\nnew\nnew\nnew\nfrom a here-document' ]
}

@test "WORKDIR under an unknown USER is root's (BuildKit); COPY --chown names the user it cannot find" {
        echo x > "$CTX/f"
        printf 'FROM busybox\nUSER nosuch\nWORKDIR /x\nUSER root\nRUN stat -c %%u:%%g /x > /o\n' > "$CTX/Dockerfile"
        box build -t wdnosuch "$CTX" 2>/dev/null
        [ "$(box run --rm wdnosuch cat /o)" = 0:0 ]
        printf 'FROM busybox\nCOPY --chown=nosuch f /f\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: COPY: --chown='nosuch': unable to find user 'nosuch'"* ]]
}

@test "a secret from the environment never reaches a disk: not in the store while a step that reads it runs" {
        mkfifo "$CTX/ready" "$CTX/go"
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox
RUN --mount=type=secret,id=tok --mount=type=bind,target=/ctx sh -c 'cat /run/secrets/tok > /dev/null; echo x > /ctx/ready; cat /ctx/go > /dev/null'
EOF2
        MYTOK=disk-canary-$$ "$BOX" build --no-cache --secret id=tok,env=MYTOK "$CTX" >/dev/null 2>&1 &
        local pid=$!
        timeout 60 cat "$CTX/ready" >/dev/null
        found=$(grep -rl "disk-canary-$$" "$BOX_ROOT" 2>/dev/null || true)
        echo go > "$CTX/go"
        wait "$pid"
        [ -z "$found" ]
}

@test "secrets from the environment: --secret id=X,env=VAR, --secret id=VAR, RUN --mount=...,env=" {
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox
RUN --mount=type=secret,id=tok,env=TOKEN echo "env:$TOKEN" > /o
RUN --mount=type=secret,id=tok cat /run/secrets/tok >> /o
RUN --mount=type=secret,id=MYVAR cat /run/secrets/MYVAR >> /o
EOF2
        MYTOK=s3cr3t-a MYVAR=s3cr3t-b run box build -t envsec --secret id=tok,env=MYTOK --secret id=MYVAR "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm envsec cat /o)" = $'env:s3cr3t-a\ns3cr3t-as3cr3t-b' ]
        # nothing of the values in the history or the store's temp dir
        [[ "$(box image inspect --format '{{json .History}}' envsec)" != *s3cr3t-a* ]]
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
        run box build --secret id=tok,env=NOT_SET_ANYWHERE "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"environment variable 'NOT_SET_ANYWHERE' is not set"* ]]
}

@test "COPY --from its own stage, and -f naming a directory, are clear errors" {
        printf 'FROM busybox AS build\nRUN touch /x\nCOPY --from=build /x /y\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:3: circular dependency detected on stage: build"* ]]
        run box build -f "$CTX" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"cannot be path to a directory"* ]]
}

@test "the build log ends with COMMIT and the tags, as podman's does; -q prints only the id" {
        printf 'FROM busybox\n' > "$CTX/Dockerfile"
        run --separate-stderr box build -t one -t two:v2 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        [[ "$stderr" == *"COMMIT docker.io/library/one:latest"*"Successfully tagged docker.io/library/one:latest"*"Successfully tagged docker.io/library/two:v2"* ]]
        run --separate-stderr box build -q -t one "$CTX"
        [ -z "$stderr" ]
}

@test "ENTRYPOINT [] clears it; ENV wins over an ARG of the same name" {
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox
ENTRYPOINT ["echo"]
CMD ["x"]
ENV A=env
ARG A=arg
RUN echo "A=$A" > /a
ENTRYPOINT []
EOF2
        box build -t clear "$CTX" 2>/dev/null
        [ "$(box image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' clear)" = 'null ["x"]' ]
        [ "$(box run --rm clear cat /a)" = A=env ]
}

@test "ONBUILD triggers of an earlier stage do not run in a stage built FROM it" {
        printf 'FROM busybox AS s1\nONBUILD RUN touch /trig\nFROM s1\nRUN test ! -e /trig\n' > "$CTX/Dockerfile"
        run box build -t nobuildtrig "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box image inspect --format '{{json .Config.OnBuild}}' nobuildtrig)" = null ]
}

@test "COPY --chmod takes symbolic modes; a bad one is BuildKit's error" {
        mkdir -p "$CTX/d"
        echo x > "$CTX/f" && chmod 644 "$CTX/f"
        echo y > "$CTX/d/e" && chmod 755 "$CTX/d/e"
        printf 'FROM busybox\nCOPY --chmod=u+x,go-r f /f1\nCOPY --chmod=a=rX d /d1\n' > "$CTX/Dockerfile"
        box build -t symchmod "$CTX" 2>/dev/null
        [ "$(box run --rm symchmod stat -c '%a' /f1 /d1/e)" = $'700\n555' ]
        printf 'FROM busybox\nCOPY --chmod=999 f /f\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid chmod parameter: '999'"* ]]
}

@test "--add-host, --dns, --dns-search and --dns-option reach RUN steps" {
        printf 'FROM busybox\nRUN cat /etc/resolv.conf /etc/hosts\n' > "$CTX/Dockerfile"
        run box build --progress plain --add-host foo.example:10.1.2.3 --add-host bar=10.9.9.9 \
                --dns 192.0.2.53 --dns-search nx.example.net --dns-option ndots:2 --load "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"search nx.example.net"* ]]
        [[ "$output" == *"nameserver 192.0.2.53"* ]]
        [[ "$output" == *"options ndots:2"* ]]
        [[ "$output" == *$'10.1.2.3\tfoo.example'* ]]
        [[ "$output" == *$'10.9.9.9\tbar'* ]]
        run box build --add-host nocolon "$CTX"
        [ "$status" -eq 125 ]
}

@test "several -f files are read as one (podman); SOURCE_DATE_EPOCH as a build arg or --source-date-epoch" {
        printf 'FROM busybox\nRUN echo first > /1\n' > "$CTX/One"
        printf 'RUN echo second > /2\n' > "$CTX/Two"
        run box build -t multi -f "$CTX/One" -f Two "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm multi cat /1 /2)" = $'first\nsecond' ]
        printf 'FROM busybox\nRUN echo x > /x\n' > "$CTX/Dockerfile"
        a=$(box build -q --no-cache --build-arg SOURCE_DATE_EPOCH=1700000000 "$CTX")
        b=$(box build -q --no-cache --source-date-epoch 1700000000 "$CTX")
        [ "$a" = "$b" ]
        [ "$(box image inspect --format '{{.Created}}' "$a")" = 2023-11-14T22:13:20Z ]
        run box build --build-arg SOURCE_DATE_EPOCH=1700000000 "$CTX"
        [[ "$output" != *"not consumed"* ]]
}

@test "--build-context: a directory for COPY --from and RUN --mount, docker-image:// for FROM" {
        mkdir -p "$BOX_TEST_TMP/extra/sub"
        echo extra-data > "$BOX_TEST_TMP/extra/sub/x"
        box tag busybox other-base:1
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM alias
COPY --from=extra sub/x /copied
RUN --mount=type=bind,from=extra,source=sub,target=/m cat /m/x > /mounted
EOF2
        run box build -t namedctx --build-context extra="$BOX_TEST_TMP/extra" \
                --build-context alias=docker-image://other-base:1 "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm namedctx cat /copied /mounted)" = $'extra-data\nextra-data' ]
        run box build --build-context bad "$CTX"
        [ "$status" -eq 125 ]
}

@test "a symlink named as a COPY source is followed inside the context, as BuildKit does" {
        mkdir -p "$CTX/d"
        echo real > "$CTX/real"; echo in-d > "$CTX/d/x"
        ln -s real "$CTX/l1"; ln -s d "$CTX/l2"; ln -s /etc/shadow "$CTX/l3"
        printf 'FROM busybox\nCOPY l1 /a\nCOPY l2 /b\nCOPY l1 /f/\nCOPY l3 /c\nCOPY . /all/\n' > "$CTX/Dockerfile"
        box build -t symsrc "$CTX" 2>/dev/null
        run box run --rm symsrc sh -c 'test -f /a && ! test -L /a && cat /a /b/x /f/l1; readlink /c; readlink /all/l1'
        [ "$output" = $'real\nin-d\nreal\n/etc/shadow\nreal' ]
}

@test "--ulimit reaches RUN steps; --authfile must exist" {
        printf 'FROM busybox\nRUN grep "Max open files" /proc/self/limits\n' > "$CTX/Dockerfile"
        run box build --progress plain --ulimit nofile=101:102 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Max open files            101                  102"* ]]
        run box build --authfile "$BOX_TEST_TMP/bogus" "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"bogus': no such file or directory"* ]]
}

@test "proxy build args reach RUN undeclared, stay out of history and the cache key" {
        mkdir -p "$BOX_TEST_TMP/px"
        printf 'FROM busybox\nRUN echo "proxy=$http_proxy/$HTTPS_PROXY" > /p\n' >"$BOX_TEST_TMP/px/Dockerfile"
        run box build --progress plain --build-arg http_proxy=http://p:3128 \
                --build-arg HTTPS_PROXY=http://q:3128 -t px "$BOX_TEST_TMP/px"
        [ "$status" -eq 0 ]
        [[ "$output" != *"not consumed"* ]]
        [ "$(box run --rm px cat /p)" = "proxy=http://p:3128/http://q:3128" ]
        ! box image history --no-trunc px | grep -q 'p:3128' || false
        ! box image inspect px | grep -q 'p:3128' || false
        run box build --progress plain --build-arg http_proxy=http://other:1 "$BOX_TEST_TMP/px"
        [ "$status" -eq 0 ]
        [[ "$output" == *CACHED* ]]
}

@test "RUN <<EOF whose script starts with #! runs it as a file by its interpreter, not through the shell" {
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox
RUN <<SCRIPT
#!/bin/sh
echo "ran as $0" > /by-file
SCRIPT
RUN <<-AWKPROG
	#!/usr/bin/awk -f
	BEGIN { printf "%s\n", "awk ran" > "/by-awk" }
AWKPROG
RUN <<PLAIN
echo "ran as $0" > /by-shell
PLAIN
EOF2
        run box build -t shebang "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm shebang cat /by-file /by-awk /by-shell)" = $'ran as /dev/pipes/SCRIPT\nawk ran\nran as /bin/sh' ]
        # the script's mount is not part of the image
        run box run --rm shebang ls /dev/pipes
        [ "$status" -ne 0 ]
}

@test "<<- strips leading tabs from COPY and RUN here-documents; <<EOF keeps them" {
        printf 'FROM busybox\nARG who=tabs\nCOPY <<-E1 /stripped\n\t\tgone ${who}\n\tE1\nCOPY <<E2 /kept\n\tkept\nE2\nRUN <<-E3\n\techo "\n\t\tx" > /run-stripped\nE3\n' > "$CTX/Dockerfile"
        run box build -t chomp "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm chomp cat /stripped)" = "gone tabs" ]
        [ "$(box run --rm chomp cat /kept)" = $'\tkept' ]
        [ "$(box run --rm chomp cat /run-stripped)" = $'\nx' ]
}

@test "ONBUILD RUN with a here-document runs in an image built FROM it" {
        printf 'FROM busybox\nONBUILD RUN <<TRIG\necho triggered-once >> /onb\nTRIG\n' > "$CTX/Dockerfile"
        run box build -t onbase "$CTX"
        [ "$status" -eq 0 ]
        [[ "$(box image inspect --format '{{json .Config.OnBuild}}' onbase)" == *'RUN <<TRIG\necho triggered-once >> /onb\nTRIG'* ]]
        printf 'FROM onbase\nRUN cat /onb\n' > "$CTX/Dockerfile"
        run box build -t onchild "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm onchild cat /onb)" = triggered-once ]
}

@test "COPY --from and RUN --mount from= name a later stage (BuildKit); a cycle anywhere is refused before anything runs" {
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox AS final
COPY --from=producer /made/late /late
RUN --mount=from=producer,target=/src cat /src/made/early > /early
FROM busybox AS base
RUN mkdir /made && echo early-bytes > /made/early
FROM base AS producer
RUN echo late-bytes > /made/late
EOF2
        run box build --target final -t forward "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm forward cat /late /early)" = $'late-bytes\nearly-bytes' ]
        # three stages reading each other in a ring; the target needs none of them
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox AS ring1
RUN touch /started-ring1
COPY --from=ring3 /x /x
FROM busybox AS ring2
COPY --from=ring1 /x /x
FROM busybox AS ring3
COPY --from=1 /x /x
FROM busybox AS other
RUN echo must-not-run
EOF2
        run box build --target other "$CTX"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [ "$output" = "box: error: Dockerfile:3: circular dependency detected on stage: ring1" ]
}

@test "a stage FROM scratch with no files is a source for COPY --from and RUN --mount" {
        printf 'FROM scratch AS nothing\nENV UNUSED=1\nFROM busybox\nCOPY --from=nothing / /copied/\nRUN --mount=from=nothing,target=/m ls -A /m > /listing\n' > "$CTX/Dockerfile"
        run box build -t fromempty "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm fromempty sh -c 'ls -A /copied; wc -c < /listing')" = 0 ]
}

@test "COPY --from a stage keeps its files' owners; the directory COPY makes and files from the context are root's" {
        echo ctx > "$CTX/fromctx"
        cat > "$CTX/Dockerfile" <<'EOF2'
FROM busybox AS src
RUN mkdir -p /tree/inner && echo a > /tree/inner/file && echo s > /single \
 && chown 71:72 /tree && chown 73:74 /tree/inner && chown 75:76 /tree/inner/file /single \
 && ln -s file /tree/inner/link && chown -h 77:78 /tree/inner/link
FROM busybox
RUN mkdir /kept && chown 90:91 /kept
COPY --from=src /single /tree /copied/
COPY --from=src /tree/. /kept/
COPY --from=src --chown=5:6 /tree /chowned
COPY fromctx /
EOF2
        run box build -t owners "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm owners stat -c '%n %u:%g' /copied /copied/single /copied/inner /copied/inner/file /copied/inner/link \
                /kept /kept/inner /kept/inner/file /chowned /chowned/inner/file /fromctx
        [ "$output" = "/copied 0:0
/copied/single 75:76
/copied/inner 73:74
/copied/inner/file 75:76
/copied/inner/link 77:78
/kept 90:91
/kept/inner 73:74
/kept/inner/file 75:76
/chowned 5:6
/chowned/inner/file 5:6
/fromctx 0:0" ]
}

@test "EXPOSE splits an expanded variable into ports, as BuildKit does; a port with junk is refused" {
        printf 'FROM busybox\nARG PORTS="7001 7002/udp"\nEXPOSE $PORTS 7003\n' > "$CTX/Dockerfile"
        run box build -t exposewords "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box image inspect --format '{{json .Config.ExposedPorts}}' exposewords)" = '{"7001/tcp":{},"7002/udp":{},"7003/tcp":{}}' ]
        printf 'FROM busybox\nARG P="7001x"\nEXPOSE $P\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:3: invalid port '7001x'"* ]]
}

@test "an excluded directory is not made at all: .dockerignore and COPY --exclude leave no empty directory" {
        mkdir -p "$CTX/node_modules/dep" "$CTX/src/gen" "$CTX/docs"
        echo m > "$CTX/node_modules/dep/index.js"
        echo s > "$CTX/src/main.js"
        echo g > "$CTX/src/gen/out.js"
        echo d > "$CTX/docs/keep.md"
        echo x > "$CTX/docs/drop.md"
        printf 'node_modules\ndocs\n!docs/keep.md\n' > "$CTX/.dockerignore"
        printf 'FROM busybox\nCOPY . /app/\nCOPY --exclude=gen src /src2/\n' > "$CTX/Dockerfile"
        run box build -t nodirs "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm nodirs sh -c 'cd /app && find . | sort; cd /src2 && find . | sort'
        [ "$(echo $output)" = ". ./.dockerignore ./Dockerfile ./docs ./docs/keep.md ./src ./src/gen ./src/gen/out.js ./src/main.js . ./main.js" ]
        # an exception with a wildcard: only the directories on its way are made
        mkdir -p "$CTX/assets/img/icons" "$CTX/assets/css"
        echo i > "$CTX/assets/img/icons/logo.svg"
        echo c > "$CTX/assets/css/site.css"
        printf 'assets
!**/*.svg
' > "$CTX/.dockerignore"
        printf 'FROM busybox
COPY assets /assets/
' > "$CTX/Dockerfile"
        run box build -t nodirs2 "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm nodirs2 find /assets
        [ "$(echo $output)" = "/assets /assets/img /assets/img/icons /assets/img/icons/logo.svg" ]
}

@test "ADD --chown owns what a local archive extracts" {
        mkdir -p "$BOX_TEST_TMP/arc/pkg/bin"
        echo tool > "$BOX_TEST_TMP/arc/pkg/bin/tool"
        tar -C "$BOX_TEST_TMP/arc" --owner=0 --group=0 -czf "$CTX/pkg.tar.gz" pkg
        printf 'FROM busybox\nADD --chown=321:654 pkg.tar.gz /opt/\nADD pkg.tar.gz /plain/\n' > "$CTX/Dockerfile"
        run box build -t addchown "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm addchown stat -c '%n %u:%g' /opt/pkg /opt/pkg/bin/tool /plain/pkg/bin/tool
        [ "$output" = $'/opt/pkg 321:654\n/opt/pkg/bin/tool 321:654\n/plain/pkg/bin/tool 0:0' ]
}

@test "RUN --mount with a relative target mounts under WORKDIR, and leaves no mount point behind" {
        echo '{"name":"x"}' > "$CTX/manifest.json"
        printf 'FROM busybox\nWORKDIR /srv/app\nRUN --mount=type=bind,source=manifest.json,target=manifest.json --mount=type=cache,target=.cache --mount=type=tmpfs,target=../scratch cat manifest.json > /seen && touch .cache/hit ../scratch/t && test -d /srv/scratch\n' > "$CTX/Dockerfile"
        run box build -t relmount "$CTX"
        [ "$status" -eq 0 ]
        run box run --rm relmount sh -c 'cat /seen; find /srv | sort'
        [ "$output" = $'{"name":"x"}\n/srv\n/srv/app' ]
}

@test "300,000 stages chained by COPY --from (16 MiB of Dockerfile), either way round, end in an error line, not a crash" {
        # each stage reads the one before: marking what the target needs
        # once recursed as deep as the chain
        awk 'BEGIN { print "FROM busybox AS s0"; for (i = 1; i < 300000; i++) printf "FROM busybox AS s%d\nCOPY --from=s%d /none /x\n", i, i - 1 }' \
                > "$CTX/Dockerfile"
        run box build -q "$CTX"
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: Dockerfile:3: COPY: '/none': no such file or directory" ]
        # each stage reads the one after: built deepest first, never from
        # inside the stage that reads it
        awk 'BEGIN { for (i = 0; i < 40; i++) printf "FROM busybox AS s%d\nCOPY --from=s%d /made /made\n", i, i + 1; print "FROM busybox AS s40"; print "RUN echo deepest > /made" }' \
                > "$CTX/Dockerfile"
        run box build -q --target s0 -t chained "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box run --rm chained cat /made)" = deepest ]
}
