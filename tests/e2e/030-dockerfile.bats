#!/usr/bin/env bats
# box dockerfile parse|check and box context ls, driven as a user would.
load helpers

setup() {
        box_setup_store
        cd "$BOX_TEST_TMP"
}
teardown() { box_teardown_store; }

EXAMPLES="$BATS_TEST_DIRNAME/../../examples"

@test "dockerfile parse prints the instructions as a listing" {
        printf 'FROM busybox\nRUN echo a \\\n  # note\n  && echo b\nCOPY --chown=1:1 a b /dst/\n' >Dockerfile
        run box dockerfile parse
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = '(from "busybox")' ]
        [ "${lines[1]}" = '(run "echo a   && echo b")' ]
        [ "${lines[2]}" = '(copy ["--chown=1:1"] "a" "b" "/dst/")' ]
}

@test "dockerfile parse --format json has directives, lines, flags, pairs and heredocs" {
        cat >app.Dockerfile <<'DF'
# syntax=docker/dockerfile:1
FROM alpine AS base
ENV PATH /opt/bin:$PATH
LABEL a="x y" b=2
COPY --from=base <<EOT /etc/motd
hello $USER
EOT
ONBUILD RUN make
DF
        run box dockerfile parse -f app.Dockerfile --format json
        [ "$status" -eq 0 ]
        echo "$output" >out.json
        python3 - <<'PY'
import json
d = json.load(open("out.json"))
assert d["directives"] == {"syntax": "docker/dockerfile:1"}, d["directives"]
i = d["instructions"]
assert [x["name"] for x in i] == ["from", "env", "label", "copy", "onbuild"]
assert i[0]["args"] == ["alpine", "AS", "base"]
assert i[1]["pairs"] == [["PATH", "/opt/bin:$PATH"]] and i[1]["legacy"] is True
assert i[2]["pairs"] == [["a", '"x y"'], ["b", "2"]] and i[2]["legacy"] is False
assert i[3]["flags"] == ["--from=base"]
assert i[3]["heredocs"][0]["name"] == "EOT"
assert i[3]["heredocs"][0]["content"] == "hello $USER\n"
assert (i[3]["start_line"], i[3]["end_line"]) == (5, 7)
assert i[3]["original"] == "COPY --from=base <<EOT /etc/motd"
assert i[4]["trigger"]["name"] == "run" and i[4]["trigger"]["args"] == ["make"]
PY
}

@test "dockerfile parse reads stdin with -f -" {
        run sh -c "printf 'from a\ncmd [\"x\"]\n' | '$BOX' dockerfile parse -f -"
        [ "$status" -eq 0 ]
        [ "${lines[1]}" = '(cmd "x")' ]
}

@test "dockerfile parse names file and line of an unknown instruction" {
        printf 'FROM a\n\n# c\nRUN x\n\n\nFROB y\n' >Dockerfile
        run box dockerfile parse
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: Dockerfile:7: unknown instruction 'FROB'" ]
}

@test "check and build report a file's first error in line order, an unknown instruction after it too" {
        # line 2 is an instruction with too few arguments; line 4 is no instruction
        printf 'FROM busybox\nCOPY\t\n\t\tlonely \\\n   words\nRUN true\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 125 ]
        [[ "$output" == "box: error: Dockerfile:2: COPY requires at least two arguments"* ]]
        run box build -q .
        [ "$status" -eq 125 ]
        [[ "$output" == "box: error: Dockerfile:2: COPY requires at least two arguments"* ]]
        # alone, the unknown one is named with its line
        printf 'FROM busybox\nRUN true\nFROB y\n' >Dockerfile
        run box build -q .
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: Dockerfile:3: unknown instruction 'FROB'" ]
}

@test "dockerfile parse rejects empty and comment-only files" {
        : >Dockerfile
        run box dockerfile parse
        [ "$status" -eq 125 ]
        printf '# only\n# comments\n' >Dockerfile
        run box dockerfile parse
        [ "$status" -eq 125 ]
        [[ "$output" == *"no instructions"* ]]
}

@test "dockerfile parse reports ENV without value, nested JSON and unterminated heredoc" {
        printf 'FROM a\nENV PATH\n' >Dockerfile
        run box dockerfile parse
        [ "$status" -eq 125 ]
        [[ "$output" == "box: error: Dockerfile:2: "* ]]
        printf 'FROM a\nCMD ["a", ["b"]]\n' >Dockerfile
        run box dockerfile parse
        [ "$status" -eq 125 ]
        printf 'FROM a\nRUN <<EOF\necho\n' >Dockerfile
        run box dockerfile parse
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: unterminated heredoc"* ]]
}

@test "dockerfile parse honours the escape directive" {
        printf '# escape=`\nFROM windows\nRUN dir c:\\ `\n  /b\n' >Dockerfile
        run box dockerfile parse
        [ "$status" -eq 0 ]
        [ "${lines[1]}" = '(run "dir c:\\   /b")' ]
}

@test "dockerfile check is clean on the examples" {
        for df in "$EXAMPLES"/*/Dockerfile; do
                run box dockerfile check --strict -f "$df"
                echo "$df: $output"
                [ "$status" -eq 0 ]
                [ -z "$output" ]
        done
}

@test "dockerfile check warns, and fails only with --strict" {
        printf 'FROM busybox\nMAINTAINER me\nCMD echo $NOPE\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 0 ]
        [[ "$output" == *"Dockerfile:2:"*"MaintainerDeprecated"* ]]
        [[ "$output" == *"Dockerfile:3:"*"JSONArgsRecommended"* ]]
        run box dockerfile check --strict
        [ "$status" -eq 1 ]
}

@test "dockerfile check reports unused build args and uses given ones" {
        printf 'ARG BASE=busybox\nFROM $BASE\nARG VERSION\nRUN echo $VERSION\n' >Dockerfile
        run box dockerfile check --strict --build-arg VERSION=1 --build-arg BASE=alpine
        [ "$status" -eq 0 ]
        run box dockerfile check --strict --build-arg EXTRA=1 --build-arg HTTP_PROXY=http://p
        [ "$status" -eq 1 ]
        [[ "$output" == *"[EXTRA] were not consumed"* ]]
        [[ "$output" != *"HTTP_PROXY"* ]]
}

@test "dockerfile check reports a cycle among stages as the build does, a later stage read by --from is no cycle" {
        printf 'FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nRUN --mount=from=a,target=/m true\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: Dockerfile:2: circular dependency detected on stage: a" ]
        printf 'FROM busybox AS Build\nRUN touch /x\nCOPY --from=BUILD /x /y\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:3: circular dependency detected on stage: build"* ]]
        # a stage a later one reads, and FROM a number (an image), are fine
        printf 'FROM busybox AS a\nCOPY --from=c /x /x\nFROM a AS b\nFROM busybox AS c\nFROM 0\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 0 ]
}

@test "dockerfile check errors exit 125 with file and line" {
        printf 'FROM a\nCOPY --bogus=1 a b\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 125 ]
        [[ "$output" == "box: error: Dockerfile:2: unknown flag '--bogus'"* ]]
        printf 'FROM a\nEXPOSE 80/tcp http\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 125 ]
        printf 'FROM a\nSTOPSIGNAL SIGBOGUS\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 125 ]
        printf 'RUN true\nFROM a\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:1: no build stage"* ]]
        printf 'FROM a\nSHELL /bin/sh -c\n' >Dockerfile
        run box dockerfile check
        [ "$status" -eq 125 ]
}

@test "context ls applies .dockerignore with exceptions and parent directories" {
        mkdir -p ctx/docs ctx/src/gen ctx/node_modules/x
        touch ctx/Dockerfile ctx/docs/README.md ctx/docs/other.md ctx/src/main.c ctx/src/gen/out.o \
                ctx/node_modules/x/i.js ctx/a.log ctx/keep.log
        printf '# comment\n/node_modules\ndocs\n!docs/README.md\n**/*.o\n*.log\n!keep.log\nDockerfile\n.dockerignore\n' \
                >ctx/.dockerignore
        run box context ls ctx
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '.dockerignore\nDockerfile\ndocs/README.md\nkeep.log\nsrc/main.c')" ]
}

@test "context ls uses <Dockerfile>.dockerignore beside a custom -f file" {
        mkdir -p ctx/build
        touch ctx/a ctx/b ctx/build/app.Dockerfile
        printf 'a\n' >ctx/.dockerignore
        printf 'b\n' >ctx/build/app.Dockerfile.dockerignore
        run box context ls -f ctx/build/app.Dockerfile ctx
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '.dockerignore\na\nbuild/app.Dockerfile\nbuild/app.Dockerfile.dockerignore')" ]
}

@test "context ls fails on a bad pattern and a missing directory" {
        mkdir ctx
        printf '[\n' >ctx/.dockerignore
        run box context ls ctx
        [ "$status" -eq 125 ]
        run box context ls nope
        [ "$status" -eq 125 ]
}

@test "dockerfile parse output stays clean; check reports empty continuation lines" {
        printf 'FROM a\nRUN one \\\n\n  two\n' >Dockerfile
        run box dockerfile parse --format json
        [ "$status" -eq 0 ]
        echo "$output" | python3 -c 'import json,sys; json.load(sys.stdin)'
        run box dockerfile check --strict
        [ "$status" -eq 1 ]
        [[ "$output" == *"Dockerfile:4: empty continuation line"* ]]
}

@test "dockerfile parse and check take a PATH: a file or a directory" {
        mkdir app
        printf 'FROM busybox\nCMD ["true"]\n' >app/Dockerfile
        run box dockerfile parse app
        [ "$status" -eq 0 ]
        [ "${lines[1]}" = '(cmd "true")' ]
        run box dockerfile check --strict app/Dockerfile
        [ "$status" -eq 0 ]
        run box dockerfile parse -f app/Dockerfile app
        [ "$status" -eq 125 ]
}
