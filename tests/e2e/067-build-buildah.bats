#!/usr/bin/env bats
# buildah's own build tests (containers/buildah tests/bud.bats, with the
# contexts of tests/bud/* kept in tests/data/buildah-bud) run against box
# build: each test is named after the upstream case it translates, builds
# what that case builds and checks what it asserts.  The local busybox image
# stands in for alpine and ubuntu.  Where buildah and BuildKit disagree the
# test checks BuildKit's result and says so; cases that need the network or
# flags only buildah has (--layers=false, --format, --squash, --isolation,
# --compat-volumes...) are left out.
load helpers
load transfer-helpers

BUD="$BATS_TEST_DIRNAME/../data/buildah-bud"

setup() {
        build_setup
        box tag busybox alpine
        box tag busybox ubuntu
}
teardown() {
        http_stop
        box_teardown_store
}

# bud ARGS...: box build with plain progress (RUN output shown)
bud() { run box build --progress plain "$@"; }
ok() { [ "$status" -eq 0 ] || { echo "$output"; return 1; }; }
# fails NAME-OF-CASE SUBSTRING: the last command exited 125 saying SUBSTRING
fails() {
        [ "$status" -eq 125 ] || { echo "status $status: $output"; return 1; }
        [[ "$output" == *"$1"* ]] || { echo "$output"; return 1; }
}
# cx NAME: a copy of the upstream context NAME a test may change
cx() {
        rm -rf "${BOX_TEST_TMP:?}/$1"
        cp -a "$BUD/$1" "$BOX_TEST_TMP/$1"
        echo "$BOX_TEST_TMP/$1"
}
# rootfs ARGS...: builds into $R (type=local), the image's files
rootfs() {
        R="$BOX_TEST_TMP/rootfs"
        rm -rf "$R"
        run box build -q -o "type=local,dest=$R" "$@"
        ok
}
field() { box image inspect --format "{{json .$2}}" "$1"; }

# ---- .dockerignore / .containerignore ----

@test "bud with .dockerignore #1 (BuildKit: !*/sub1* brings subdir/sub1.txt back)" {
        # buildah drops subdir whole and fails 'COPY subdir ./'; BuildKit's
        # matcher walks into an excluded directory that an exception can
        # match, as Docker's TestBuildDockerignoringBadExclusion relies on
        rootfs -f "$BUD/dockerignore/Dockerfile" "$BUD/dockerignore"
        [ -f "$R/sub1.txt" ] && [ ! -e "$R/sub2.txt" ]
        rootfs -f "$BUD/dockerignore/Dockerfile.succeed" "$BUD/dockerignore"
        [ ! -e "$R/test1.txt" ] && [ -f "$R/test2.txt" ]
        [ ! -e "$R/sub1.txt" ] && [ ! -e "$R/sub2.txt" ]
        [ "$(ls "$R/subdir")" = sub1.txt ]
}

@test "bud with .dockerignore - unmatched" {
        c=$(cx dockerignore2)
        ln -sf subdir "$c/symlink"
        ln -sf circular-link "$c/subdir/circular-link"
        ln -sf no-such-file "$c/subdir/dangling-link"
        rootfs "$c"
        expect="()
.dockerignore()
Dockerfile()
subdir()
subdir/circular-link(circular-link)
subdir/dangling-link(no-such-file)
subdir/sub1.txt()
subdir/subsubdir()
subdir/subsubdir/subsub1.txt()
symlink(subdir)"
        [ "$(cd "$R" && find . -printf '%P(%l)\n' | LC_ALL=C sort)" = "$expect" ]
}

@test "bud with .dockerignore #2" {
        bud -t t "$BUD/dockerignore3"
        fails "Dockerfile:4: COPY: 'test1.txt': not found (excluded by .dockerignore)"
        # without that step, what the patterns let through
        c=$(cx dockerignore3)
        sed -i '/COPY test1.txt/d' "$c/Dockerfile"
        bud -t t "$c"
        ok
        # README.md, src and its copy src2 without *.in and src/etc, test2 and 3
        want=/upload$'\n'/upload/README.md
        for d in src src2; do
                for p in "" /Makefile /cmd /cmd/Makefile /lib /lib/Makefile; do
                        want+=$'\n'/upload/$d$p
                done
        done
        want+=$'\n'/upload/test2.txt$'\n'/upload/test3.txt
        [[ "$output" == *"CUT HERE"$'\n'"$want"$'\n'"CUT HERE"* ]]
}

@test "bud with .dockerignore #4: the error names the Dockerfile's own ignore file" {
        # box said "excluded by .dockerignore" when the patterns came from
        # Dockerfile.test.dockerignore
        bud -t t -f Dockerfile.test "$BUD/dockerignore4"
        fails "Dockerfile.test:4: COPY: 'test1.txt': not found (excluded by Dockerfile.test.dockerignore)"
}

@test "bud with .dockerignore #6 (BuildKit: !*/sub1* brings subdir/sub1.txt back)" {
        rootfs -f Dockerfile "$BUD/dockerignore6"
        [ -f "$R/sub1.txt" ] && [ ! -e "$R/sub2.txt" ] && [ ! -e "$R/test1.txt" ]
        rootfs -f Dockerfile.succeed "$BUD/dockerignore6"
        [ ! -e "$R/test1.txt" ] && [ -f "$R/test2.txt" ]
        [ "$(ls "$R/subdir")" = sub1.txt ]
}

@test "bud with .containerignore (it wins over .dockerignore)" {
        rootfs -f Dockerfile.succeed "$BUD/containerignore"
        # the Dockerfile it excludes reaches the builder, not the image
        [ ! -e "$R/test1.txt" ] && [ -f "$R/test2.txt" ] && [ ! -e "$R/Dockerfile" ]
        [ "$(ls "$R/subdir")" = sub1.txt ]
        : >"$BOX_TEST_TMP/none"
        rootfs --ignorefile "$BOX_TEST_TMP/none" -f Dockerfile.succeed "$BUD/containerignore"
        [ -f "$R/test1.txt" ] && [ -f "$R/subdir/sub2.txt" ]
}

@test "bud with .dockerignore #3 (copy-globs)" {
        # the Containerfile's 'COPY *.txt /testdir' copies two files onto a
        # destination with no trailing slash: buildah makes a directory; the
        # Dockerfile reference (and Docker) refuse it, as box does
        bud -t t -f Containerfile "$BUD/copy-globs"
        fails "Containerfile:3: COPY: when using COPY with more than one source file, the destination must be a directory and end with a /"
        bud -t t -f Containerfile.missing "$BUD/copy-globs"
        fails "destination must be a directory"
        bud -t t -f Containerfile.bad "$BUD/copy-globs"
        ok
        # box's default name is Dockerfile, as Docker's (buildah prefers
        # the Containerfile): its COPY --from=alpine has no such file
        bud -t t "$BUD/copy-globs"
        fails "Dockerfile:2: COPY: '/we/never/get/here'"
}

@test "bud copy with .dockerignore #1" {
        c="$BOX_TEST_TMP/my-dir"
        mkdir -p "$c/stuff/huge/usr/bin"
        touch "$c"/stuff/huge/usr/bin/{file1,file2} "$c/stuff/huge/usr/file3"
        printf 'stuff/huge/*\n!stuff/huge/usr/bin/*\n' > "$c/.dockerignore"
        printf 'FROM alpine\nCOPY stuff /tmp/stuff\nRUN find /tmp/stuff -type f\n' > "$c/Containerfile"
        bud -t testbud "$c"
        ok
        [[ "$output" == *file1* && "$output" == *file2* && "$output" != *file3* ]]
}

@test "bud copy with .dockerignore #2" {
        c="$BOX_TEST_TMP/my-dir1"
        mkdir -p "$c/stuff/huge/usr/bin"
        touch "$c"/stuff/huge/usr/bin/{file1,file2}
        printf 'stuff/huge/*\n' > "$c/.dockerignore"
        printf 'FROM alpine\nCOPY stuff /tmp/stuff\nRUN find /tmp/stuff -type f\n' > "$c/Containerfile"
        bud -t testbud "$c"
        ok
        [[ "$output" != *file1* && "$output" != *file2* ]]
}

@test "bud-copy-dockerignore-hardlinks" {
        c="$BOX_TEST_TMP/hardlinks"
        mkdir -p "$c/subdir"
        cp "$BUD/recurse/Dockerfile" "$c"
        echo foo > "$c/.dockerignore"
        echo test1 > "$c/subdir/test1.txt"
        ln "$c/subdir/test1.txt" "$c/subdir/test2.txt"
        ln "$c/subdir/test2.txt" "$c/test3.txt"
        ln "$c/test3.txt" "$c/test4.txt"
        rootfs "$c"
        id1=$(stat -c %i "$R/subdir/test1.txt")
        for f in subdir/test1.txt subdir/test2.txt test3.txt test4.txt; do
                [ "$(stat -c '%i %h' "$R/$f")" = "$id1 4" ]
        done
        # and in the image's layer, as hard links
        bud -t image "$c"
        ok
        box create --name hl image true
        box export hl | tar -tvf - | grep -c '^h' | grep -qx 3
}

@test "bud with ignoresymlink on default file" {
        echo hello > "$BOX_TEST_TMP/private_file"
        c=$(cx container-ignoresymlink)
        ln -s "$BOX_TEST_TMP/private_file" "$c/.dockerignore"
        # a .dockerignore that links out of the context is not the host file
        bud -t test -f Dockerfile "$c"
        ok
        [[ "$output" == *$'\n'hello$'\n'* ]]
}

@test "bud-copy-replace-symlink, bud-copy-recurse" {
        c="$BOX_TEST_TMP/top"
        mkdir -p "$c"
        cp "$BUD/symlink/Dockerfile.replace-symlink" "$c/"
        ln -s Dockerfile.replace-symlink "$c/symlink"
        echo foo > "$c/.dockerignore"
        bud -f "$c/Dockerfile.replace-symlink" "$c"
        ok
        c="$BOX_TEST_TMP/recurse"
        mkdir -p "$c"
        cp "$BUD/recurse/Dockerfile" "$c"
        echo foo > "$c/.dockerignore"
        bud "$c"
        ok
}

# ---- symlinks ----

@test "bud with symlinks, with multiple symlinks in a path (BuildKit: VOLUME creates nothing)" {
        # buildah makes the VOLUME's directory through the links, so the
        # next RUN can write /data/log/blah.txt; BuildKit's VOLUME is config
        # only, and the write fails, as in box
        for f in Dockerfile Dockerfile.multiple-symlinks; do
                bud -t t -f $f "$BUD/symlink"
                [ "$status" -eq 1 ]
                [[ "$output" == *"can't create /data/log/blah.txt"* ]]
        done
}

@test "bud with symlinks to relative path" {
        bud -t t -f Dockerfile.relative-symlink "$BUD/symlink"
        ok
        [ "$(box run --rm t readlink /test-log)" = ../log ]
        [ "$(box run --rm t readlink /var/data)" = ../data ]
        box run --rm t test -e /var/data/empty
        [ "$(field t Config.Volumes)" = '{"/test-log/test":{},"/var/data":{}}' ]
}

@test "bud with symlinks to relative path: the VOLUME is made through '..' while the host mounts" {
        # box run resolves the image's VOLUME /test-log/test (/test-log ->
        # ../log) inside the root; openat2 fails that walk with EAGAIN when
        # any mount or rename on the host races its "..", and box gave up
        # ("open '/test-log/test' in the image: Resource temporarily
        # unavailable") instead of trying again
        bud -t t -f Dockerfile.relative-symlink "$BUD/symlink"
        ok
        mkdir -p "$BOX_TEST_TMP/churn"
        (while :; do mount -t tmpfs none "$BOX_TEST_TMP/churn" && umount "$BOX_TEST_TMP/churn"; done) &
        churn=$!
        fails=0
        for _ in $(seq 15); do
                out=$(box run --rm t readlink /test-log 2>&1) || { fails=$((fails + 1)); echo "$out"; }
        done
        kill "$churn"
        wait "$churn" 2>/dev/null || true
        umount "$BOX_TEST_TMP/churn" 2>/dev/null || true
        [ "$fails" -eq 0 ]
        [ "$(box run --rm t sh -c 'readlink /test-log; ls -d /log/test')" = $'../log\n/log/test' ]
}

@test "bud with multiple symlink pointing to itself (BuildKit: VOLUME is config only)" {
        # buildah fails making /test-log/test through the loop; BuildKit
        # records the volume and builds
        bud -t t -f Dockerfile.symlink-points-to-itself "$BUD/symlink"
        ok
        [ "$(field t Config.Volumes)" = '{"/test-log/test":{}}' ]
}

@test "bud multi-stage with symlink to absolute path" {
        bud -t t -f Dockerfile.absolute-symlink "$BUD/symlink"
        ok
        [ "$(box run --rm t cat /bin/myexe)" = symlink-test ]
        [ -z "$(box run --rm t sh -c 'test -L /bin/myexe && echo link')" ]
}

@test "bud multi-stage with dir symlink to absolute path" {
        bud -t t -f Dockerfile.absolute-dir-symlink "$BUD/symlink"
        ok
        [ "$(box run --rm t ls /data)" = myexe ]
}

@test "bud Add with linked tarball" {
        for f in Containerfile.add-tar-with-link Containerfile.add-tar-gz-with-link; do
                bud -t testctr -f $f "$BUD/symlink"
                ok
                box run --rm testctr ls /tmp/testdir/testfile.txt
        done
}

@test "bud copy to symlink, bud copy to dangling symlink" {
        bud -t t "$BUD/dest-symlink"
        ok
        [ "$(box run --rm t readlink /etc/hbase)" = /usr/local/hbase ]
        [ "$(box run --rm t ls /usr/local/hbase)" = Dockerfile ]
        bud -t t "$BUD/dest-symlink-dangling"
        ok
        [ "$(box run --rm t readlink /src)" = /symlink ]
        [ "$(box run --rm t ls /symlink)" = Dockerfile ]
}

@test "bud WORKDIR isa symlink, ... no target dir, ... no target dir and follow on dir" {
        bud -t t "$BUD/workdir-symlink"
        ok
        [ "$(box run --rm t readlink /tempest)" = /var/lib/tempest ]
        [ "$(box run --rm t stat -c %A /etc/notareal.conf)" = -rw-rw-r-- ]
        bud -t t -f Dockerfile-2 "$BUD/workdir-symlink"
        ok
        [ "$(box run --rm t readlink /tempest)" = /var/lib/tempest ]
        [ "$(box run --rm t ls /tempest)" = Dockerfile-2 ]
        bud -t t -f Dockerfile-3 "$BUD/workdir-symlink"
        ok
        [ "$(box run --rm t ls /tempest)" = $'Dockerfile-3\nlowerdir' ]
        [ "$(box run --rm t ls /tempest/lowerdir)" = Dockerfile-3 ]
}

# ---- RUN, ENTRYPOINT, CMD, ENV ----

@test "bud with ENTRYPOINT and RUN, with CMD and RUN, with ENTRYPOINT, CMD and RUN" {
        for f in entrypoint-run cmd-run entrypoint-cmd-run; do
                bud -t t -f Dockerfile.$f "$BUD/run-scenarios"
                ok
                [[ "$output" == *unique.test.string* ]]
        done
}

@test "bud with ENTRYPOINT and empty RUN, CMD and empty RUN, ENTRYPOINT, CMD and empty RUN (BuildKit: sh -c '')" {
        # buildah runs 'sh -c' with no command (exit 2); BuildKit joins no
        # words into one empty command, which the shell runs, as box does
        for f in entrypoint-empty-run cmd-empty-run entrypoint-cmd-empty-run; do
                bud -t t -f Dockerfile.$f "$BUD/run-scenarios"
                ok
        done
}

@test "bud access ENV variable defined in same source file, ENV preserves special characters after commit" {
        bud -t t -f "$BUD/env/Dockerfile.env-same-file" "$BUD/env"
        ok
        [[ "$output" == *":unique.test.string:"* ]]
        bud -t t -f "$BUD/env/Dockerfile.special-chars" "$BUD/env"
        ok
        [[ "$(box run --rm t env)" == *'LIB=$(PREFIX)/lib'* ]]
}

@test "bud access ENV variable defined in FROM image" {
        bud -t env-from-image -f "$BUD/env/Dockerfile.env-same-file" "$BUD/env"
        ok
        bud -t t -f "$BUD/env/Dockerfile.env-from-image" "$BUD/env"
        ok
        [[ "$output" == *"@unique.test.string@"* ]]
}

@test "bud with exec-form RUN instruction" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM scratch AS mkdir
RUN --mount=type=bind,from="busybox",destination=/usr ["busybox", "sh", "-x", "-c", "mkdir /brand-new-subdir"]
FROM "busybox"
RUN --mount=type=bind,from=mkdir,destination=/mounted find /mounted -print
EOF
        bud "$CTX"
        ok
        [[ "$output" == */mounted/brand-new-subdir* ]]
}

# ---- -f, the context, stdin ----

@test "bud with -f flag, alternate Dockerfile name" {
        bud -t fileflag-image -f Dockerfile.noop-flags "$BUD/run-scenarios"
        ok
}

@test "build with -f pointing to not a file should fail, bud --file with directory" {
        bud -t t -f "$BUD/from-scratch/" "$BUD/from-scratch"
        fails "cannot be path to a directory"
        mkdir -p "$BOX_TEST_TMP/my-dir1"
        echo 'FROM alpine' > "$BOX_TEST_TMP/my-dir1/Containerfile"
        bud -t testbud --file "$BOX_TEST_TMP/my-dir1" "$BOX_TEST_TMP"
        fails "cannot be path to a directory"
}

@test "bud with a path to a Dockerfile (-f) containing a non-directory entry" {
        bud -f "$BUD/non-directory-in-path/non-directory/Dockerfile" "$BUD"
        fails "non-directory/Dockerfile': Not a directory"
}

@test "bud-from-stdin, bud with Dockerfile from stdin, bud with Dockerfile from stdin tar" {
        run box build -q -t scratch-image -f - "$BUD/from-multiple-files" <"$BUD/from-multiple-files/Dockerfile1.scratch"
        ok
        rootfs -f - "$BUD/from-multiple-files" <"$BUD/from-multiple-files/Dockerfile1.scratch"
        cmp "$R/Dockerfile1" "$BUD/from-multiple-files/Dockerfile1.scratch"
        # the Dockerfile alone on stdin, then a context tar
        rootfs - <"$BUD/context-from-stdin/Dockerfile"
        [ "$(cat "$R/scratchfile")" = stdin-context ] && [ ! -e "$R/etc" ]
        tar -c -C "$BUD/context-from-stdin" . >"$BOX_TEST_TMP/ctx.tar"
        rootfs - <"$BOX_TEST_TMP/ctx.tar"
        [ "$(cat "$R/scratchfile")" = stdin-context ] && [ ! -e "$R/etc" ]
}

@test "bud without any arguments should succeed, ... should fail when no Dockerfile exists" {
        cd "$BUD/from-scratch"
        run box build -q
        ok
        cd "$BOX_TEST_TMP"
        run box build -q
        fails "no such file or directory"
}

@test "bud with specified context should fail if directory contains no Dockerfile, ... if context directory does not exist" {
        mkdir -p "$BOX_TEST_TMP/empty-dir"
        bud "$BOX_TEST_TMP/empty-dir"
        fails "no Dockerfile or Containerfile found in context directory '$BOX_TEST_TMP/empty-dir': no such file or directory"
        bud "$BOX_TEST_TMP/empty-dir/Dockerfile"
        fails "not found or not a directory"
}

@test "bud with specified context should fail if Dockerfile in context directory is actually a file" {
        # (a directory named Dockerfile) box said no Dockerfile was found
        mkdir -p "$BOX_TEST_TMP/c/Dockerfile"
        bud "$BOX_TEST_TMP/c"
        fails "'$BOX_TEST_TMP/c/Dockerfile' is a directory, not a Dockerfile"
}

@test "bud with specified context should fail if context contains empty Dockerfile" {
        touch "$BOX_TEST_TMP/Dockerfile"
        bud "$BOX_TEST_TMP"
        fails "Dockerfile: file with no instructions"
}

@test "bud with Containerfile, with Dockerfile, with Containerfile and Dockerfile (BuildKit: Dockerfile first)" {
        bud -t t "$BUD/from-scratch"
        ok
        [[ "$output" == *"FROM scratch"* ]]
        # buildah reads the Containerfile (FROM alpine) of a context with
        # both; Docker reads the Dockerfile (FROM busybox), as box does
        bud -t t "$BUD/containeranddockerfile"
        ok
        [[ "$output" == *"FROM busybox"* && "$output" != *"FROM alpine"* ]]
        rm -f "$CTX/Dockerfile"
        echo 'FROM alpine' > "$CTX/Containerfile"
        bud -t t "$CTX"
        ok
        [[ "$output" == *"FROM alpine"* ]]
}

@test "bud file above context directory" {
        bud -t testctr "$BUD/context-escape-dir/testdir"
        fails "Containerfile:2: COPY: '../upperfile.txt': forbidden path outside the build context"
}

@test "bud quiet" {
        run box build -t quiet-test -q "$BUD/shell"
        ok
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
}

@test "bud-from-scratch-iid, bud with --iidfile" {
        bud --iidfile "$BOX_TEST_TMP/output.iid" -t scratch-image "$BUD/from-scratch"
        ok
        [[ "$(cat "$BOX_TEST_TMP/output.iid")" =~ ^sha256:[0-9a-f]{64}$ ]]
        box image inspect "$(cat "$BOX_TEST_TMP/output.iid")" >/dev/null
}

@test "bud with --tag, bud with bad --tag" {
        bud --tag test1 --tag test2 -t scratch-image "$BUD/from-scratch"
        ok
        [[ "$output" == *"Successfully tagged docker.io/library/test1:latest"* ]]
        [[ "$output" == *"Successfully tagged docker.io/library/test2:latest"* ]]
        bud --tag TEST1 -t scratch-image "$BUD/from-scratch"
        fails "invalid tag 'TEST1': invalid reference format"
        bud --tag test1 --tag TEST2 -t scratch-image "$BUD/from-scratch"
        fails "invalid tag 'TEST2': invalid reference format"
        [[ "$output" == *"must be lowercase"* ]]
}

@test "bud-from-scratch-label" {
        bud --label test=label -t scratch-image "$BUD/from-scratch"
        ok
        [ "$(field scratch-image Config.Labels)" = '{"test":"label"}' ]
        bud --label test -t scratch-image "$BUD/from-scratch"
        ok
        [ "$(field scratch-image Config.Labels)" = '{"test":""}' ]
}

# ---- ARG ----

@test "bud with ARGS, bud with unused ARGS, bud with multi-value ARGS" {
        bud --no-cache -t t -f Dockerfile.args "$BUD/run-scenarios"
        ok
        [[ "$output" == *arg_value* ]]
        bud --no-cache -t t -f Dockerfile.multi-args --build-arg USED_ARG=USED_VALUE "$BUD/run-scenarios"
        ok
        [[ "$output" == *USED_VALUE* && "$output" != *"not consumed"* ]]
        bud --no-cache -t t -f Dockerfile.multi-args --build-arg USED_ARG=USED_VALUE --build-arg UNUSED_ARG=whaaaat "$BUD/run-scenarios"
        ok
        [[ "$output" == *USED_VALUE* && "$output" == *"build arg 'UNUSED_ARG' was not consumed"* ]]
        bud -t t -f Dockerfile.multi-args --build-arg USED_ARG=plugin1,plugin2,plugin3 "$BUD/run-scenarios"
        ok
        [[ "$output" == *plugin1,plugin2,plugin3* && "$output" != *"not consumed"* ]]
}

@test "bud with ARG before FROM default value, bud with ARG before FROM" {
        bud -t leading-args-default -f "$BUD/leading-args/Dockerfile" "$BUD/leading-args"
        ok
        box tag busybox busybox:musl
        bud --no-cache -t leading-args --build-arg=VERSION=musl -f "$BUD/leading-args/Dockerfile" "$BUD/leading-args"
        ok
        # BuildKit: ARGs before FROM are in scope for FROM only, so the
        # stage's $FOO and $VERSION are empty (buildah's image has FOO=bar)
        [[ "$(field leading-args Config.Env)" == *'"FOO="'* ]]
        bud -t source -f "$BUD/multi-stage-builds/Dockerfile.arg_in_stage" "$BUD/multi-stage-builds"
        ok
        bud -t source -f "$BUD/multi-stage-builds/Dockerfile.arg_in_copy" "$BUD/multi-stage-builds"
        ok
        box run --rm source test -x /bin/true_copy
}

@test "bud COPY --from= with ARG in stage scope" {
        d="$BUD/copy-from-stage-scoped-arg"
        bud -t t -f "$d/Containerfile" "$d"
        ok
        [ "$(box run --rm t cat /variant)" = $'build\nbuild:staging' ]
        bud -t t -f "$d/Containerfile.multi-copy-arg-override" "$d"
        ok
        [ "$(box run --rm t cat /variant_first)" = $'build\nbuild:staging' ]
        [ "$(box run --rm t cat /variant_second)" = $'build\nbuild:dev' ]
}

@test "bud ARG scope: table of scope combinations" {
        local cases=(
                "from-arg::/base.txt:alpine"
                "from-arg:BASE=busybox:/base.txt:busybox"
                "stage-overrides-header::/foo.txt:stage"
                "copy-from-arg::/from.txt:a"
                "copy-from-arg:SRC=b:/from.txt:b"
                "stage-overrides-header-copy-from::/from.txt:b"
                "multiple-args-stage-overrides-one::/out.txt:9 1"
                "multiple-args-stage-only::/out.txt:1 2"
                "multiple-args-one-step::/out.txt:0 1"
                "multiple-args-one-step:bar=88:/out.txt:0 88"
                "multiple-args-one-step:foo=99 bar=88:/out.txt:99 88"
                "arg-mixed-defaults::/out.txt: set"
                "arg-mixed-defaults:a=given:/out.txt:given set"
        )
        for c in "${cases[@]}"; do
                IFS=: read -r cf ba path expected <<<"$c"
                args=()
                for a in $ba; do args+=(--build-arg "$a"); done
                rootfs "${args[@]}" -f "$BUD/arg-scope/Containerfile.$cf" "$BUD/arg-scope"
                [ "$(cat "$R$path")" = "$expected" ] || { echo "case $c: $(cat "$R$path")"; return 1; }
        done
}

@test "bud with unused build arg" {
        bud -t t --build-arg foo=bar --build-arg foo2=bar2 -f "$BUD/build-arg/Dockerfile" "$BUD/build-arg"
        ok
        [[ "$output" == *"build arg 'foo2' was not consumed"* && "$output" != *"'foo' was not"* ]]
        bud -t t --build-arg IMAGE=alpine -f "$BUD/build-arg/Dockerfile2" "$BUD/build-arg"
        ok
        [[ "$output" != *"not consumed"* ]]
}

@test "bud with --build-arg (set, from the environment)" {
        bud -t t --build-arg foo=bar "$BUD/build-arg"
        ok
        [[ "$output" == *$'\nbar\n'* ]]
        foo=from-the-environment-$RANDOM
        export foo
        bud -t t --build-arg foo "$BUD/build-arg"
        ok
        [[ "$output" == *$'\n'"$foo"$'\n'* ]]
        bud -t t --build-arg TEST=v -f "$BUD/build-arg/Dockerfile4" "$BUD/build-arg"
        ok
        [[ "$(field t Config.Env)" == *'"NAME=v"'* ]]
}

@test "bud arg and env var with same name" {
        bud -t testctr "$BUD/dupe-arg-env-name"
        ok
        [[ "$output" == *"https://example.org/bar"* ]]
}

@test "bud run check --from with arg" {
        bud --build-arg base=alpine --build-arg toolchainname=busybox --build-arg destinationpath=/tmp \
                --pull=never -f "$BUD/from-with-arg/Containerfile" "$BUD/from-with-arg"
        ok
        # box shows each step as written (buildah expands FROM's)
        [[ "$output" == *'COPY --from=${toolchainname} / ${destinationpath}'* ]]
}

@test "build with basename resolving user arg, ... - should fail" {
        for t in first second; do
                bud --build-arg CUSTOM_TARGET=$t -t test -f "$BUD/base-with-arg/Containerfile2" "$BUD/base-with-arg"
                ok
                [[ "$output" == *"This is built for $t"* ]]
        done
        bud --no-cache --build-arg-file "$BUD/base-with-arg/second.args" -t test -f "$BUD/base-with-arg/Containerfile2" "$BUD/base-with-arg"
        ok
        [[ "$output" == *"This is built for second"* ]]
        bud --build-arg CUSTOM_TARGET=first -t test -f "$BUD/base-with-arg/Containerfilebad" "$BUD/base-with-arg"
        fails "invalid reference format"
}

@test "build with basename resolving default arg (BuildKit: stage names have no '/')" {
        # buildah accepts 'AS platform-arm/v7'; BuildKit refuses the name
        bud -t test -f "$BUD/base-with-arg/Containerfile" "$BUD/base-with-arg"
        fails "Containerfile:13: invalid name for build stage: 'platform-arm/v7'"
        c=$(cx base-with-arg)
        sed -i '/platform-arm\//,+1d' "$c/Containerfile"
        bud -t test -f "$c/Containerfile" "$c"
        ok
        [[ "$output" == *"This is built for $(box run --rm busybox uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')"* ]]
}

# ---- COPY and ADD ----

@test "bud with chown copy, chown add, combined chown and chmod copy/add, chmod copy/add" {
        for d in copy-chown add-chown; do
                bud -t t "$BUD/$d"
                ok
                [[ "$output" == *"user:2367 group:3267"* ]]
        done
        for d in copy-chmod add-chmod; do
                bud -t t "$BUD/$d"
                ok
                [[ "$output" == *rwxrwxrwx* ]]
                bud -t t -f Dockerfile.combined "$BUD/$d"
                ok
                [[ "$output" == *"chmod:777 user:2367 group:3267"* ]]
        done
}

@test "bud with chown/chmod copy/add with bad flag, copy-from with bad from flag, multi-stage COPY with invalid from statement" {
        for d in copy-chown add-chown copy-chmod add-chmod; do
                bud --layers -t t -f Dockerfile.bad "$BUD/$d"
                fails "Dockerfile.bad:3: missing a value on flag '--ch"
        done
        bud -t t -f Dockerfile.bad "$BUD/copy-from"
        fails "Dockerfile.bad:2: missing a value on flag '--from'"
        bud -t t -f Dockerfile.invalid_from "$BUD/copy-multistage-paths"
        fails "Dockerfile.invalid_from:3: missing a value on flag '--from'"
        bud -t t -f Containerfile.bad "$BUD/add-checksum"
        fails "Containerfile.bad:2: missing a value on flag '--checksum'"
}

@test "bud with chown copy with unknown substitutions in Dockerfile (BuildKit: ':' is root)" {
        # '--chown=${BOGUS}:${BOGUS}' is '--chown=:'; buildah cannot look
        # up "" and fails, BuildKit finds no such user or group and owns the
        # file by 0:0
        bud -t t -f Dockerfile.bad2 "$BUD/copy-chown"
        ok
        [ "$(box run --rm t stat -c %u:%g /tmp/copychown.txt)" = 0:0 ]
}

@test "bud copy chown with newuser" {
        bud -t testctr --build-arg SAFEIMAGE=busybox -f "$BUD/copy-chown/Containerfile.chown_user" "$BUD/copy-chown"
        ok
        [[ "$output" == *"myuser:myuser"* ]]
}

@test "bud with ADD file construct" {
        bud -t test1 "$BUD/add-file"
        ok
        box run --rm test1 ls /var/file2
        [ "$(field test1 Config.Volumes)" = '{"/var":{},"/var/www":{}}' ]
}

@test "bud with COPY/ADD of single file creates absolute/relative path with correct permissions" {
        for d in copy-create-absolute-path copy-create-relative-path add-create-absolute-path; do
                bud -t t "$BUD/$d"
                ok
                [[ "$output" == *permissions=755* ]]
        done
        [ "$(box run --rm t stat -c %a /usr/lib/python3.7/distutils)" = 755 ]
}

@test "bud multi-stage COPY creates absolute/relative path with correct permissions" {
        bud -t t -f Dockerfile.absolute "$BUD/copy-multistage-paths"
        ok
        [[ "$output" == *permissions=755* ]]
        [ "$(box run --rm t stat -c %a /my/bin)" = 755 ]
        bud -t t -f Dockerfile.relative "$BUD/copy-multistage-paths"
        ok
        [[ "$output" == *permissions=755* ]]
}

@test "bud COPY to root succeeds" {
        bud "$BUD/copy-root"
        ok
}

@test "bud COPY one file to ..../. creates the destination directory" {
        # box made /app a file: BuildKit keeps the "/." of the destination
        # when it cleans the path, so it names a directory as "/app/" does
        echo hello, this is a file > "$CTX/file.txt"
        printf 'FROM busybox\nCOPY /file.txt /app/.\nWORKDIR /app\nRUN pwd\n' >"$CTX/Dockerfile"
        bud -t t "$CTX"
        ok
        [ "$(box run --rm t cat /app/file.txt)" = "hello, this is a file" ]
        printf 'FROM busybox\nWORKDIR /w\nCOPY file.txt sub/.\nADD file.txt ./.\n' >"$CTX/Dockerfile"
        bud --no-cache -t t "$CTX"
        ok
        box run --rm t test -f /w/sub/file.txt
        box run --rm t test -f /w/file.txt
}

@test "bud-copy-workdir" {
        rootfs "$BUD/copy-workdir"
        [ -s "$R/file1.txt" ] && [ -d "$R/subdir" ] && [ -s "$R/subdir/file2.txt" ]
        bud -t t -f Dockerfile.2 "$BUD/copy-workdir"
        ok
        [[ "$output" == *file1.txt* ]]
}

@test "bud test empty newdir" {
        cat > "$CTX/Containerfile" <<'EOF'
FROM alpine as galaxy
RUN mkdir -p /usr/share/ansible/roles /usr/share/ansible/collections
RUN echo "bar"
RUN echo "foo" > /usr/share/ansible/collections/file.txt
FROM galaxy
RUN mkdir -p /usr/share/ansible/roles /usr/share/ansible/collections
COPY --from=galaxy /usr/share/ansible/roles /usr/share/ansible/roles
COPY --from=galaxy /usr/share/ansible/collections /usr/share/ansible/collections
EOF
        bud --layers -t testbud "$CTX"
        ok
        [[ "$output" == *"COPY --from=galaxy /usr/share/ansible/collections /usr/share/ansible/collections"* ]]
        [ "$(box run --rm testbud cat /usr/share/ansible/collections/file.txt)" = foo ]
}

@test "bud with copy --exclude" {
        bud -t test "$BUD/copy-exclude"
        ok
        [[ "$output" != *test1.txt* && "$output" == *Containerfile* ]]
        bud -t test2 -f Containerfile.missing "$BUD/copy-exclude"
        ok
        [[ "$output" != *test2.txt* && "$output" == *Containerfile* ]]
}

@test "bud with copy --parents" {
        bud -t test "$BUD/copy-parents"
        ok
        for p in /no_parents/a.txt /parents/x/a.txt /parents/y/a.txt /parents_file_point/y/b.txt \
                /parents_file_point/y/a.txt /parents_dir_point/y/b.txt /parents_dir_point/y/a.txt; do
                [[ "$output" == *$'\n'"$p"$'\n'* ]] || { echo "no $p"; return 1; }
        done
}

@test "bud-copy--parents-links" {
        rootfs -f Containerfile-hardlinks "$BUD/copy-parents"
        for dir in parents/x parents_dir_point; do
                [ "$(readlink "$R/$dir/z/symlink-b.txt")" = /x/z/b.txt ]
                [ "$(stat -c %h "$R/$dir/y/b.txt")" = 2 ]
                [ "$(stat -c %i "$R/$dir/z/hardlink-y-b.txt")" = "$(stat -c %i "$R/$dir/y/b.txt")" ]
                [ "$(stat -c %h "$R/$dir/z/a.txt")" = 2 ]
                [ "$(stat -c %i "$R/$dir/z/hardlink-a.txt")" = "$(stat -c %i "$R/$dir/z/a.txt")" ]
        done
}

@test "bud-multistage-copy-final-slash" {
        bud -t foo "$BUD/dest-final-slash"
        ok
        box run --rm foo /test/ls -lR /test/ls
}

# ---- multi-stage, FROM, --target ----

@test "bud with FROM AS construct" {
        bud -t test1 "$BUD/from-as"
        ok
        [[ "$(field test1 Config.Env)" == *'"LOCAL=/1"'* ]]
}

@test "bud with FROM AS skip FROM construct" {
        bud -t test1 -f Dockerfile.skip "$BUD/from-as"
        ok
        [[ "$output" == *$'\n/1\n'* && "$output" == *$'\n/2\n'* ]]
        box run --rm test1 test -e /1
        ! box run --rm test1 test -e /2
        [ "$(field test1 Config.Env)" = '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LOCAL=/1"]' ]
}

@test "bud-multi-stage-builds" {
        d="$BUD/multi-stage-builds"
        rootfs -f "$d/Dockerfile.index" "$d"
        cmp "$R/Dockerfile.index" "$d/Dockerfile.index"
        [ -s "$R/etc/passwd" ]
        rootfs -f Dockerfile.name "$d"
        cmp "$R/Dockerfile.name" "$d/Dockerfile.name"
        [ ! -e "$R/etc/passwd" ]
        rootfs -f "$d/Dockerfile.mixed" "$d"
        for f in name index mixed; do cmp "$R/Dockerfile.$f" "$d/Dockerfile.$f"; done
}

@test "bud-multi-stage-builds rebase, extended, reused" {
        for f in rebase extended reused reused2; do
                bud -t t -f Dockerfile.$f "$BUD/multi-stage-builds"
                ok
        done
        bud -t t -f Dockerfile.extended "$BUD/multi-stage-builds"
        [[ "$(field t Config.Labels)" == *'"io.openshift.build.name":"mydockertest-1"'* ]]
        [[ "$(field t Config.Entrypoint)" == '["/bin/sh","-c","/bin/sleep 600"]' ]]
        box run --rm --entrypoint test t -e /tmp/preCommit
        ! box run --rm --entrypoint test t -e /tmp/postCommit
}

@test "bud-target, bud-no-target-name" {
        bud -t target --target mytarget "$BUD/target"
        ok
        [[ "$output" == *"FROM alpine:latest AS mytarget"* && "$output" != *"touch /3"* ]]
        box run --rm target test -e /2
        ! box run --rm target test -e /3
        bud "$BUD/maintainer"
        ok
}

@test "bud with copy-from referencing the current stage" {
        bud -t busybox-derived -f "$BUD/copy-from/Dockerfile2.bad" "$BUD/copy-from"
        fails "circular dependency detected on stage: build"
}

@test "bud with copy-from referencing the base image" {
        bud -t busybox-derived -f "$BUD/copy-from/Dockerfile3" "$BUD/copy-from"
        ok
        box run --rm busybox-derived test -x /test/paste
        ! box run --rm busybox-derived test -e /usr/bin/paste
        bud -t busybox-derived -f "$BUD/copy-from/Dockerfile4" "$BUD/copy-from"
        ok
        box run --rm busybox-derived test -x /test/nl
}

@test "bud with copy-from in Dockerfile no prior FROM" {
        # the upstream case's image, made locally with the file it copies
        printf 'FROM busybox\nRUN mkdir -p /home/podman && echo 20221018 > /home/podman/testimage-id\n' >"$CTX/Dockerfile"
        bud -t quay.io/libpod/testimage:20221018 "$CTX"
        ok
        bud -t no-prior-from -f "$BUD/copy-from/Dockerfile" "$BUD/copy-from"
        ok
        [ "$(box run --rm no-prior-from cat /home/busyboxpodman/copied-testimage-id)" = 20221018 ]
}

@test "build-with-additional-build-context and COPY, additionalContext and numeric value of stage" {
        # stage 0 is some-stage, which the context replaces (BuildKit, and
        # buildah's expected output): --from=0 reads the context; box built
        # the stage and copied its 'world'
        printf 'FROM alpine\nRUN echo override-numeric > hello\n' >"$CTX/Dockerfile1"
        bud -t source -f "$CTX/Dockerfile1" "$CTX"
        ok
        printf 'FROM alpine as some-stage\nRUN echo world > hello\nFROM alpine\nCOPY --from=0 hello .\nRUN cat hello\n' >"$CTX/Dockerfile2"
        bud --build-context some-stage=docker-image://source -t test -f "$CTX/Dockerfile2" "$CTX"
        ok
        [[ "$output" == *$'\noverride-numeric\n'* && "$output" != *"echo world"* ]]
}

@test "build-with-additional-build-context and COPY, stagename and additional-context conflict (BuildKit: the context replaces the stage)" {
        # box ran the stage and found 'COPY --from=some-stage' inside
        # some-stage a cycle; buildah runs the stage and copies from the
        # context; BuildKit replaces the stage by the context, whose image
        # is the result
        printf 'FROM alpine\nRUN touch hello\nRUN echo world > hello\n' >"$CTX/Dockerfile1"
        bud -t source -f "$CTX/Dockerfile1" "$CTX"
        ok
        printf 'FROM alpine as some-stage\nRUN echo world\nCOPY --from=some-stage hello .\nRUN cat hello\n' >"$CTX/Dockerfile2"
        bud --build-context some-stage=docker-image://source -t test -f "$CTX/Dockerfile2" "$CTX"
        ok
        [[ "$output" == *"[1/1] FROM source (--build-context 'some-stage')"* && "$output" != *"RUN echo"* ]]
        [ "$(box run --rm test cat hello)" = world ]
        [ "$(field test Id)" = "$(field source Id)" ]
}

@test "build-with-additional-build-context and FROM, stagename and additional-context conflict" {
        # a stage the context replaces runs none of its steps, and a stage
        # FROM it starts from the context
        printf 'FROM alpine\nRUN echo from-context > /x\n' >"$CTX/Dockerfile1"
        bud -t source -f "$CTX/Dockerfile1" "$CTX"
        ok
        printf 'FROM busybox AS base\nRUN echo from-stage > /x\nFROM base\nRUN cat /x\nFROM busybox\nCOPY --from=base /x /y\nCOPY --from=1 /x /z\n' >"$CTX/Dockerfile2"
        bud --build-context base=docker-image://source -t test -f "$CTX/Dockerfile2" "$CTX"
        ok
        [[ "$output" != *"echo from-stage"* ]]
        [ "$(box run --rm test cat /y /z)" = $'from-context\nfrom-context' ]
        # a directory context is read where it is, and cannot be the image
        mkdir -p "$BOX_TEST_TMP/dir"
        echo from-dir > "$BOX_TEST_TMP/dir/x"
        printf 'FROM busybox AS base\nRUN echo from-stage > /x\nFROM busybox\nCOPY --from=base /x /y\n' >"$CTX/Dockerfile3"
        bud --build-context base="$BOX_TEST_TMP/dir" -t test -f "$CTX/Dockerfile3" "$CTX"
        ok
        [[ "$output" != *"echo from-stage"* ]]
        [ "$(box run --rm test cat /y)" = from-dir ]
        bud --build-context base="$BOX_TEST_TMP/dir" --target base -t test -f "$CTX/Dockerfile3" "$CTX"
        fails "--build-context 'base': a directory cannot be the image built"
}

@test "build-with-additional-build-context and COPY, additional context from host" {
        mkdir -p "$BOX_TEST_TMP/platform" "$BOX_TEST_TMP/platform2"
        echo something > "$BOX_TEST_TMP/platform/somefile"
        echo hello_world > "$BOX_TEST_TMP/platform2/hello"
        printf 'FROM alpine\nCOPY somefile .\nRUN cat somefile\nCOPY --from=context2 hello .\nRUN cat hello\n' \
                >"$BOX_TEST_TMP/platform/Dockerfile"
        bud -t source --build-context context2="$BOX_TEST_TMP/platform2" "$BOX_TEST_TMP/platform"
        ok
        [[ "$output" == *something* && "$output" == *hello_world* ]]
}

@test "build-with-additional-build-context and COPY, ensure .containerignore is being respected" {
        d="$BOX_TEST_TMP/platform"
        mkdir -p "$d"
        touch "$d/hello"
        echo hello > "$d/.containerignore"
        printf 'FROM alpine\nRUN echo world\nCOPY --from=project hello .\nRUN cat hello\n' >"$d/Containerfile"
        # box applied no ignore file of a named context; BuildKit applies
        # its .dockerignore, and box (as for the main context) its
        # .containerignore first
        bud --build-context project="$d" -t test -f "$d/Containerfile" "$CTX"
        fails "Containerfile:3: COPY: 'hello': not found (excluded by .containerignore of --build-context 'project')"
        mv "$d/.containerignore" "$d/.dockerignore"
        bud --build-context project="$d" -t test -f "$d/Containerfile" "$CTX"
        fails "(excluded by .dockerignore of --build-context 'project')"
        rm "$d/.dockerignore"
        bud --build-context project="$d" -t test -f "$d/Containerfile" "$CTX"
        ok
}

# ---- config: ONBUILD, HEALTHCHECK, MAINTAINER, SHELL, VOLUME, WORKDIR ----

@test "bud-onbuild" {
        bud -t onbuild "$BUD/onbuild"
        ok
        [ "$(field onbuild Config.OnBuild)" = '["RUN touch /onbuild1","RUN touch /onbuild2"]' ]
        bud -t onbuild-image2 -f Dockerfile1 "$BUD/onbuild"
        ok
        [ "$(field onbuild-image2 Config.OnBuild)" = '["RUN touch /onbuild3"]' ]
        box run --rm onbuild-image2 test -e /onbuild1
        box run --rm onbuild-image2 test -e /onbuild2
        ! box run --rm onbuild-image2 test -e /onbuild3
}

@test "bud-with-healthcheck" {
        bud -t t "$BUD/healthcheck"
        ok
        [ "$(field t Config.Healthcheck)" = '{"Interval":300000000000,"Retries":4,"StartInterval":30000000000,"StartPeriod":600000000000,"Test":["CMD-SHELL","curl -f http://localhost/ || exit 1"],"Timeout":3000000000}' ]
}

@test "bud-maintainer, bud-unrecognized-instruction, bud-shell" {
        bud -t t "$BUD/maintainer"
        ok
        [ "$(field t Author)" = '"kilroy"' ]
        bud -t t "$BUD/unrecognized"
        fails "Dockerfile:2: unknown instruction 'BOGUS'"
        bud -t t "$BUD/shell"
        ok
        [ "$(field t Config.Shell)" = '["/bin/sh","-c"]' ]
}

@test "bud-volume-perms (BuildKit: VOLUME creates nothing)" {
        # buildah makes /vol/subvol at VOLUME; BuildKit does not, so the
        # next RUN's chmod finds nothing
        bud -t t "$BUD/volume-perms"
        [ "$status" -eq 1 ]
        [[ "$output" == *"chmod: /vol/subvol: No such file or directory"* ]]
        c=$(cx volume-perms)
        sed -i 's#^VOLUME /vol/subvol#RUN mkdir -p /vol/subvol\n&#' "$c/Dockerfile"
        bud -t t "$c"
        ok
        [ "$(box run --rm t stat -c %a /vol/subvol)" = 711 ]
        [ "$(box run --rm t stat -c %s /vol/subvol/subvolfile)" = 512 ]
}

@test "bud-volume-ownership" {
        bud -t t "$BUD/volume-ownership"
        ok
        [ "$(box run --rm t stat -c '%U %G' /vol/subvol)" = "testuser testgroup" ]
}

@test "bud-builtin-volume-symlink" {
        bud -t volume-symlink "$BUD/volume-symlink"
        ok
        [ "$(box run --rm volume-symlink echo hello)" = hello ]
        bud -t volume-no-symlink -f Dockerfile.no-symlink "$BUD/volume-symlink"
        ok
        [ "$(box run --rm volume-no-symlink echo hello)" = hello ]
}

@test "bud WORKDIR owned by USER" {
        bud -t t "$BUD/workdir-user"
        ok
        [[ "$output" == *"1000:1000 /home/http/public"* ]]
}

# ---- heredocs ----

@test "bud build with heredoc content" {
        bud -t heredoc -f "$BUD/heredoc/Containerfile" "$BUD/heredoc"
        ok
        for s in "print first line from heredoc" "print second line from heredoc" \
                "Heredoc writing first file" "some text of first file" "file passed to program" \
                "and it contains multiple" "(your index page goes here)" "(robots content)" \
                "(humans content)" "this is the output of test6 part1" "this is the output of test6 part2" \
                "this is the output of test7 part1" "this is the output of test7 part2" \
                "this is the output of test7 part3" "this is the output of test8 part1" \
                "this is the output of test8 part2"; do
                [[ "$output" == *"$s"* ]] || { echo "no '$s'"; return 1; }
        done
}

@test "bud build with heredoc content which is a bash file, with inline interpreter" {
        bud -t heredoc -f "$BUD/heredoc/Containerfile.bash_file" "$BUD/heredoc"
        ok
        [[ "$output" == *"this is the output of test9"* && "$output" == *"this is the output of test10"* ]]
        bud -t heredoc -f "$BUD/heredoc/Containerfile.she_bang" "$BUD/heredoc"
        ok
        [[ "$output" == *$'#\nthis is the output of test11\nthis is the output of test12'* ]]
}

@test "bud build with heredoc with COPY instructionw with .containerignore set" {
        bud -t heredoc -f "$BUD/heredoc-ignore/Containerfile" --ignorefile "$BUD/heredoc-ignore/.containerignore" "$BUD/heredoc-ignore"
        ok
        [[ "$output" == *"This is a file"* && "$output" == *"This is a line from file"* ]]
}

@test "bud-preserve-subvolumes (without --compat-volumes: what RUN writes below a VOLUME stays)" {
        bud -t volume-image "$BUD/preserve-volumes"
        ok
        for f in /vol/subvol/subsubvol/subsubvolfile /vol/volfile /vol/subvol/subvolfile \
                /vol/anothervolfile /vol/Dockerfile /vol/Dockerfile2; do
                box run --rm volume-image test -s $f
        done
        [ "$(field volume-image Config.Volumes)" = '{"/vol":{},"/vol/subvol":{}}' ]
}

@test "bud-no-change: FROM alone is the base image" {
        # the base needs a PATH of its own: box, as BuildKit, adds the
        # default one to an image without
        printf 'FROM busybox\nRUN echo x > /x\n' >"$CTX/Dockerfile"
        bud -t alpine "$CTX"
        ok
        bud -t no-change-image "$BUD/no-change"
        ok
        [ "$(field no-change-image Id)" = "$(field alpine Id)" ]
}

@test "bud COPY with URL should fail" {
        printf 'FROM alpine:latest\nCOPY https://getfedora.org/index.html .\n' >"$CTX/Dockerfile.url"
        bud -t foo -f "$CTX/Dockerfile.url" "$CTX"
        fails "Dockerfile.url:2: COPY: source can't be a URL for COPY: 'https://getfedora.org/index.html' (use ADD)"
}

@test "bud-from-multiple-files-one-from, bud-from-multiple-files-two-froms (podman's -f, repeated)" {
        d="$BUD/from-multiple-files"
        rootfs -f "$d/Dockerfile1.scratch" -f "$d/Dockerfile2.nofrom" "$d"
        cmp "$R/Dockerfile1" "$d/Dockerfile1.scratch"
        cmp "$R/Dockerfile2.nofrom" "$d/Dockerfile2.nofrom"
        [ ! -e "$R/etc/passwd" ]
        rootfs -f Dockerfile1.alpine -f Dockerfile2.nofrom "$d"
        cmp "$R/Dockerfile1" "$d/Dockerfile1.alpine"
        [ -s "$R/etc/passwd" ]
        for first in Dockerfile1.scratch Dockerfile1.alpine; do
                rootfs -f $first -f Dockerfile2.withfrom "$d"
                [ ! -e "$R/Dockerfile1" ] && [ -s "$R/etc/passwd" ]
                cmp "$R/Dockerfile2.withfrom" "$d/Dockerfile2.withfrom"
        done
}

@test "bud-from-glob" {
        rootfs -f Dockerfile2.glob "$BUD/from-multiple-files"
        cmp "$R/Dockerfile1.alpine" "$BUD/from-multiple-files/Dockerfile1.alpine"
        cmp "$R/Dockerfile2.withfrom" "$BUD/from-multiple-files/Dockerfile2.withfrom"
}

# ---- contexts over HTTP (a local server) ----

@test "bud-http-Dockerfile, bud-http-context-with-Dockerfile, bud-http-context-dir-with-Dockerfile" {
        # box refused every http(s) context ("remote context ... is not
        # supported"); Docker reads a Dockerfile or a tar from the URL
        http_serve "$BUD"
        url="http://127.0.0.1:$HTTP_PORT"
        bud -t scratch-image "$url/from-scratch/Containerfile"
        ok
        [[ "$output" == *"[1/1] FROM scratch"* ]]
        bud -t scratch-image "$url/http-context/context.tar"
        ok
        bud -t scratch-image -f context/Dockerfile "$url/http-context-subdir/context.tar"
        ok
        # a tar whose files a COPY reads
        tar -c -C "$BUD/copy-workdir" . >"$BOX_TEST_TMP/ctx.tar"
        http_stop
        http_serve "$BOX_TEST_TMP"
        rootfs "http://127.0.0.1:$HTTP_PORT/ctx.tar"
        [ "$(cat "$R/file1.txt")" = file1 ] && [ "$(cat "$R/subdir/file2.txt")" = file2 ]
        bud -t t "http://127.0.0.1:$HTTP_PORT/no-such.tar"
        fails "unable to prepare context: GET 'http://127.0.0.1:$HTTP_PORT/no-such.tar': HTTP 404"
        bud -t t "http://127.0.0.1:$HTTP_PORT/repo.git"
        fails "remote context 'http://127.0.0.1:$HTTP_PORT/repo.git' is not supported"
        http_stop
        # nothing of the download is left in the store
        [ -z "$(ls "$BOX_ROOT/tmp")" ]
}
