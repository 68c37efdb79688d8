#!/usr/bin/env bats
# Docker's own build tests (moby/moby integration-cli/docker_cli_build_test.go,
# integration/build/build_test.go) and BuildKit's (moby/buildkit
# frontend/dockerfile/dockerfile_*_test.go) run against box build: each test
# is named after the upstream case it translates, builds what that case
# builds and checks what it asserts (where the classic builder and BuildKit
# differ, BuildKit's result).  Cases that need the network, git, a daemon or
# Windows are left out.
load helpers

setup() { build_setup; }
teardown() { box_teardown_store; }

# df TEXT: the context's Dockerfile
df() { printf '%s\n' "$1" > "$CTX/Dockerfile"; }
# put PATH CONTENT: a file in the context, with its directories
put() {
        mkdir -p "$(dirname "$CTX/$1")"
        printf '%s' "$2" > "$CTX/$1"
}
# bi NAME: builds the context as NAME, quietly; fails the test on error
bi() {
        run box build -q -t "$1" "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}
field() { box image inspect --format "{{json .$2}}" "$1"; }

# a user dockerio (1001) and an /exists it owns, as the ADD/COPY cases set up
DOCKERIO='RUN echo "dockerio:x:1001:1001::/bin:/bin/false" >> /etc/passwd
RUN echo "dockerio:x:1001:" >> /etc/group'

@test "TestBuildJSONEmptyRun" {
        # the classic builder ran nothing; BuildKit's exec refuses an empty
        # argument list ("arguments are required"), and so does box, by line
        df $'FROM busybox\nRUN []'
        run box build -q -t t "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: RUN"*"requires at least one argument"* ]]
}

@test "TestBuildShCmdJSONEntrypoint" {
        df $'FROM busybox\nENTRYPOINT ["echo"]\nCMD echo test'
        bi t
        [ "$(box run --rm t)" = "/bin/sh -c echo test" ]
}

@test "TestBuildEnvironmentReplacementUser" {
        df $'FROM scratch\nENV user foo\nUSER ${user}'
        bi t
        [ "$(field t Config.User)" = '"foo"' ]
}

@test "TestBuildEnvironmentReplacementVolume" {
        df $'FROM busybox\nENV volume /quux\nVOLUME ${volume}'
        bi t
        [ "$(field t Config.Volumes)" = '{"/quux":{}}' ]
}

@test "TestBuildEnvironmentReplacementExpose" {
        df $'FROM scratch\nENV port 80\nEXPOSE ${port}\nENV ports "  99   100 "\nEXPOSE ${ports}'
        bi t
        [ "$(field t Config.ExposedPorts)" = '{"100/tcp":{},"80/tcp":{},"99/tcp":{}}' ]
}

@test "TestBuildEnvironmentReplacementWorkdir" {
        df $'FROM busybox\nENV MYWORKDIR /work\nRUN mkdir ${MYWORKDIR}\nWORKDIR ${MYWORKDIR}'
        bi t
        [ "$(field t Config.WorkingDir)" = '"/work"' ]
}

@test "TestBuildEnvironmentReplacementAddCopy" {
        df 'FROM busybox
ENV baz foo
ENV quux bar
ENV dot .
ENV fee fff
ENV gee ggg
ADD ${baz} ${dot}
COPY ${quux} ${dot}
ADD ${zzz:-${fee}} ${dot}
COPY ${zzz:-${gee}} ${dot}'
        put foo test1; put bar test2; put fff test3; put ggg test4
        bi t
        [ "$(box run --rm t cat /foo /bar /fff /ggg)" = test1test2test3test4 ]
}

@test "TestBuildEnvironmentReplacementEnv" {
        df 'FROM busybox
ENV foo zzz
ENV bar ${foo}
ENV abc1='"'"'$foo'"'"'
ENV env1=$foo env2=${foo} env3="$foo" env4="${foo}"
RUN [ "$abc1" = '"'"'$foo'"'"' ] && (echo "$abc1" | grep -q foo)
ENV abc2="\$foo"
RUN [ "$abc2" = '"'"'$foo'"'"' ] && (echo "$abc2" | grep -q foo)
ENV abc3 '"'"'$foo'"'"'
RUN [ "$abc3" = '"'"'$foo'"'"' ] && (echo "$abc3" | grep -q foo)
ENV abc4 "\$foo"
RUN [ "$abc4" = '"'"'$foo'"'"' ] && (echo "$abc4" | grep -q foo)
ENV foo2="abc\def"
RUN [ "$foo2" = '"'"'abc\def'"'"' ]
ENV foo3="abc\\def"
RUN [ "$foo3" = '"'"'abc\def'"'"' ]
ENV foo4='"'"'abc\\def'"'"'
RUN [ "$foo4" = '"'"'abc\\def'"'"' ]
ENV foo5='"'"'abc\def'"'"'
RUN [ "$foo5" = '"'"'abc\def'"'"' ]'
        bi t
        env=$(field t Config.Env)
        [[ "$env" == *'"bar=zzz"'* ]]
        for k in env1 env2 env3 env4; do [[ "$env" == *"\"$k=zzz\""* ]]; done
}

@test "TestBuildHandleEscapesInVolume" {
        df $'FROM scratch\nENV FOO bar\nVOLUME ${FOO}'
        bi t
        [ "$(field t Config.Volumes)" = '{"bar":{}}' ]
        df $'FROM scratch\nENV FOO bar\nVOLUME \\${FOO}'
        bi t
        [ "$(field t Config.Volumes)" = '{"${FOO}":{}}' ]
        # seven backslashes: the first escapes, six are kept
        df $'FROM scratch\nENV FOO bar\nVOLUME \\\\\\\\\\\\\\${FOO}'
        bi t
        [ "$(field t Config.Volumes)" = '{"\\\\\\${FOO}":{}}' ]
}

@test "TestBuildOnBuildLowercase" {
        df $'FROM busybox\nonbuild run echo quux'
        bi onbuild
        df 'FROM onbuild'
        run box build -t t2 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *quux* ]]
        [[ "$output" != *"ONBUILD ONBUILD"* ]]
}

@test "TestBuildEnvEscapes and TestBuildEnvOverwrite" {
        df $'FROM busybox\nENV TEST foo\nCMD echo \\$'
        bi t
        [ "$(box run --rm t)" = '$' ]
        df $'FROM busybox\nENV TEST foo\nCMD echo ${TEST}'
        bi t
        [ "$(box run --rm -e TEST=bar t)" = bar ]
}

@test "TestBuildOnBuildCmdEntrypointJSON and TestBuildOnBuildEntrypointJSON" {
        df $'FROM busybox\nONBUILD CMD ["hello world"]\nONBUILD ENTRYPOINT ["echo"]\nONBUILD RUN ["true"]'
        bi onbuildcmd
        df 'FROM onbuildcmd'
        bi gen
        [ "$(box run --rm gen)" = "hello world" ]
        df $'FROM busybox\nONBUILD ENTRYPOINT ["echo"]'
        bi onbuildcmd
        df $'FROM onbuildcmd\nCMD ["hello world"]'
        bi gen
        [ "$(box run --rm gen)" = "hello world" ]
}

@test "TestBuildModifyFileInFolder" {
        df $'FROM busybox\nRUN ["mkdir", "/test"]\nADD folder/file /test/changetarget'
        put folder/file first
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        put folder/file second
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" != "$id1" ]
        [ "$(box run --rm t cat /test/changetarget)" = second ]
}

@test "TestBuildAddSingleFileToRoot and TestBuildCopySingleFileToRoot" {
        for cmd in ADD COPY; do
                df "FROM busybox
$DOCKERIO
RUN touch /exists
RUN chown dockerio.dockerio /exists
$cmd test_file /
RUN [ \$(ls -l /test_file | awk '{print \$3\":\"\$4}') = 'root:root' ]
RUN [ \$(ls -l /test_file | awk '{print \$1}') = '-rw-r--r--' ]
RUN [ \$(ls -l /exists | awk '{print \$3\":\"\$4}') = 'dockerio:dockerio' ]"
                put test_file test1
                chmod 644 "$CTX/test_file"
                bi t
        done
}

@test "TestBuildAddSingleFileToWorkdir and TestBuildCopySingleFileToWorkdir" {
        put test_file test1
        for cmd in ADD COPY; do
                df "FROM busybox
        $cmd test_file ."
                run timeout 15 "$BOX" build -q -t t "$CTX"
                [ "$status" -eq 0 ]
                [ "$(box run --rm t cat /test_file)" = test1 ]
        done
}

@test "TestBuildAddSingleFileToExistDir, TestBuildCopySingleFileToExistDir, TestBuildCopyAddMultipleFiles (local files)" {
        for cmd in ADD COPY; do
                df "FROM busybox
$DOCKERIO
RUN mkdir /exists
RUN touch /exists/exists_file
RUN chown -R dockerio.dockerio /exists
$cmd test_file /exists/
COPY test_file1 test_file2 /exists/
ADD test_file3 test_file4 /exists/
RUN [ \$(ls -l / | grep exists | awk '{print \$3\":\"\$4}') = 'dockerio:dockerio' ]
RUN [ \$(ls -l /exists/test_file | awk '{print \$3\":\"\$4}') = 'root:root' ]
RUN for f in 1 2 3 4; do [ \$(ls -l /exists/test_file\$f | awk '{print \$3\":\"\$4}') = 'root:root' ] || exit 1; done
RUN [ \$(ls -l /exists/exists_file | awk '{print \$3\":\"\$4}') = 'dockerio:dockerio' ]"
                for f in test_file test_file1 test_file2 test_file3 test_file4; do put $f $f; done
                bi t
        done
}

@test "TestBuildUsernamespaceValidateRemappedRoot" {
        put test_dir/test_file "test file"
        for tc in "ADD . /new_dir" "COPY test_dir /new_dir" "WORKDIR /new_dir"; do
                df "FROM busybox
$tc
RUN [ \$(ls -l / | grep new_dir | awk '{print \$3\":\"\$4}') = 'root:root' ]"
                bi t
        done
}

@test "TestBuildAddAndCopyFileWithWhitespace" {
        put "test file1" test1; put test_file2 test2; put "test file3" test3
        put "test dir/test_file4" test4; put test_dir/test_file5 test5; put "test dir/test_file6" test6
        for c in ADD COPY; do
                df "FROM busybox
RUN mkdir \"/test dir\"
RUN mkdir \"/test_dir\"
$c [ \"test file1\", \"/test_file1\" ]
$c [ \"test_file2\", \"/test file2\" ]
$c [ \"test file3\", \"/test file3\" ]
$c [ \"test dir/test_file4\", \"/test_dir/test_file4\" ]
$c [ \"test_dir/test_file5\", \"/test dir/test_file5\" ]
$c [ \"test dir/test_file6\", \"/test dir/test_file6\" ]
RUN [ \$(cat \"/test_file1\") = 'test1' ]
RUN [ \$(cat \"/test file2\") = 'test2' ]
RUN [ \$(cat \"/test file3\") = 'test3' ]
RUN [ \$(cat \"/test_dir/test_file4\") = 'test4' ]
RUN [ \$(cat \"/test dir/test_file5\") = 'test5' ]
RUN [ \$(cat \"/test dir/test_file6\") = 'test6' ]"
                bi t
        done
}

@test "TestBuildCopyWildcard (local sources) and TestBuildCopyWildcardCache" {
        df 'FROM busybox
	COPY file*.txt /tmp/
	RUN ls /tmp/file1.txt /tmp/file2.txt
	RUN [ "mkdir",  "/tmp1" ]
	COPY dir* /tmp1/
	RUN ls /tmp1/dirt /tmp1/nested_file /tmp1/nested_dir/nest_nest_file
	RUN [ "mkdir",  "/tmp2" ]
        ADD dir/*dir /tmp2/
	RUN ls /tmp2/nest_nest_file'
        put file1.txt test1; put file2.txt test2; put dir/nested_file "nested file"
        put dir/nested_dir/nest_nest_file "2 times nested"; put dirt dirty
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" = "$id1" ]
        # TestBuildCopyWildcardCache's "file1*.txt hits the cache of
        # file1.txt" is the classic builder's: BuildKit keys a copy by its
        # source pattern and records it in the history, so the ids differ
        df $'FROM busybox\n\tCOPY file1.txt /tmp/'
        bi c1
        df $'FROM busybox\n\tCOPY file1*.txt /tmp/'
        bi c2
        [ "$(box run --rm c2 cat /tmp/file1.txt)" = test1 ]
}

@test "TestBuildCopyWildcardInName" {
        df $'FROM busybox\n\tCOPY *.txt /tmp/\n\tRUN [ "$(cat /tmp/\\*.txt)" = \'hi there\' ]'
        put '*.txt' 'hi there'
        bi t
}

@test "TestBuildAddSingleFileToNonExistingDir and TestBuildCopySingleFileToNonExistDir" {
        put test_file test1
        for cmd in ADD COPY; do
                df "FROM busybox
$DOCKERIO
RUN touch /exists
RUN chown dockerio.dockerio /exists
$cmd test_file /test_dir/
RUN [ \$(ls -l / | grep test_dir | awk '{print \$3\":\"\$4}') = 'root:root' ]
RUN [ \$(ls -l /test_dir/test_file | awk '{print \$3\":\"\$4}') = 'root:root' ]
RUN [ \$(ls -l /exists | awk '{print \$3\":\"\$4}') = 'dockerio:dockerio' ]"
                bi t
        done
}

@test "TestBuildAddDirContentToRoot, TestBuildCopyDirContentToRoot, ...ToExistingDir, ...WholeDirToRoot" {
        put test_dir/test_file test1
        chmod 644 "$CTX/test_dir/test_file"
        chmod 755 "$CTX/test_dir"
        for cmd in ADD COPY; do
                df "FROM busybox
$DOCKERIO
RUN touch /exists
RUN chown dockerio.dockerio exists
$cmd test_dir /
RUN [ \$(ls -l /test_file | awk '{print \$3\":\"\$4}') = 'root:root' ]
RUN [ \$(ls -l /exists | awk '{print \$3\":\"\$4}') = 'dockerio:dockerio' ]
RUN mkdir /exists2
RUN touch /exists2/exists_file
RUN chown -R dockerio.dockerio /exists2
$cmd test_dir/ /exists2/
RUN [ \$(ls -l / | grep exists2 | awk '{print \$3\":\"\$4}') = 'dockerio:dockerio' ]
RUN [ \$(ls -l /exists2/exists_file | awk '{print \$3\":\"\$4}') = 'dockerio:dockerio' ]
RUN [ \$(ls -l /exists2/test_file | awk '{print \$3\":\"\$4}') = 'root:root' ]
$cmd test_dir /test_dir
RUN [ \$(ls -l / | grep test_dir | awk '{print \$3\":\"\$4}') = 'root:root' ]
RUN [ \$(ls -l / | grep test_dir | awk '{print \$1}') = 'drwxr-xr-x' ]
RUN [ \$(ls -l /test_dir/test_file | awk '{print \$3\":\"\$4}') = 'root:root' ]
RUN [ \$(ls -l /test_dir/test_file | awk '{print \$1}') = '-rw-r--r--' ]"
                bi t
        done
}

@test "TestBuildAddOrCopyEtcToRootShouldNotConflict" {
        put etc/test_file test1
        df $'FROM scratch\nADD . /'
        bi t
        df $'FROM scratch\nCOPY . /'
        bi t
}

@test "TestBuildAddPreservesFilesSpecialBits" {
        put suidbin suidbin
        put data/usr/test_file test1
        df "FROM busybox
ADD suidbin /usr/bin/suidbin
RUN chmod 4755 /usr/bin/suidbin
RUN [ \$(ls -l /usr/bin/suidbin | awk '{print \$1}') = '-rwsr-xr-x' ]
ADD ./data/ /
RUN [ \$(ls -l /usr/bin/suidbin | awk '{print \$1}') = '-rwsr-xr-x' ]"
        bi t
}

@test "TestBuildAddBadLinks and TestBuildAddBadLinksVolume" {
        target="$BOX_TEST_TMP/outside"
        mkdir -p "$target"
        ln -s "/../../../../../../../../../../../..$target" "$BOX_TEST_TMP/symlink"
        tar -C "$BOX_TEST_TMP" -cf "$CTX/links.tar" symlink
        put foo.txt test
        df $'FROM scratch\nADD links.tar /\nADD foo.txt /symlink/'
        bi t
        [ ! -e "$target/foo.txt" ]
        df "FROM busybox
RUN ln -s /../../../../../../../../$target /x
VOLUME /x
ADD foo.txt /x/"
        bi t
        [ ! -e "$target/foo.txt" ]
}

@test "TestBuildWithInaccessibleFilesInContext (links OK, ignored unreadable files)" {
        df $'FROM scratch\nADD . /foo/'
        ln -s "$CTX/g" "$CTX/azA"
        bi t
        mkdir "$CTX/directoryWeCantStat"
        put directoryWeCantStat/bar foo
        put .dockerignore directoryWeCantStat
        chmod 700 "$CTX/directoryWeCantStat/bar"
        chmod 444 "$CTX/directoryWeCantStat"
        run setpriv --reuid=65534 --regid=65534 --clear-groups "$BOX" build -q "$CTX" 2>&1
        chmod 755 "$CTX/directoryWeCantStat"
        # box as a user runs as root inside its own user namespace or fails
        # for its store, never on the ignored directory
        [[ "$output" != *directoryWeCantStat* ]]
}

@test "TestBuildForceRm and TestBuildRm: no build container is left behind" {
        df $'FROM busybox\n\tRUN true\n\tRUN thiswillfail'
        run box build -t t --force-rm "$CTX"
        [ "$status" -ne 0 ]
        [ -z "$(box ps -aq)" ]
        df $'FROM busybox\n\tRUN echo hello world'
        for f in "" --rm; do
                run box build -q -t t $f "$CTX"
                [ "$status" -eq 0 ]
                [ -z "$(box ps -aq)" ]
        done
}

@test "TestBuildWithVolumes" {
        df 'FROM scratch
		VOLUME /test1
		VOLUME /test2
    VOLUME /test3 /test4
    VOLUME ["/test5", "/test6"]
    VOLUME [/test7 /test8]'
        bi t
        [ "$(field t Config.Volumes)" = '{"/test1":{},"/test2":{},"/test3":{},"/test4":{},"/test5":{},"/test6":{},"/test8]":{},"[/test7":{}}' ]
}

@test "TestBuildMaintainer" {
        df $'FROM busybox\n        MAINTAINER dockerio'
        bi t
        [ "$(field t Author)" = '"dockerio"' ]
}

@test "TestBuildUser" {
        df "FROM busybox
		RUN echo 'dockerio:x:1001:1001::/bin:/bin/false' >> /etc/passwd
		USER dockerio
		RUN [ \$(whoami) = 'dockerio' ]"
        bi t
        [ "$(field t Config.User)" = '"dockerio"' ]
}

@test "TestBuildRelativeWorkdir and TestBuildWorkdirWithEnvVariables" {
        df 'FROM busybox
		RUN sh -c "[ "$PWD" = "/" ]"
		WORKDIR test1
		RUN sh -c "[ "$PWD" = "/test1" ]"
		WORKDIR /test2
		RUN sh -c "[ "$PWD" = "/test2" ]"
		WORKDIR test3
		RUN sh -c "[ "$PWD" = "/test2/test3" ]"'
        bi t
        [ "$(field t Config.WorkingDir)" = '"/test2/test3"' ]
        df 'FROM busybox
		ENV DIRPATH /test1
		ENV SUBDIRNAME test2
		WORKDIR $DIRPATH
		WORKDIR $SUBDIRNAME/$MISSING_VAR'
        bi t
        [ "$(field t Config.WorkingDir)" = '"/test1/test2"' ]
}

@test "TestBuildRelativeCopy" {
        put foo hello
        df "FROM busybox
			WORKDIR /test1
			WORKDIR test2
			RUN sh -c \"[ \"\$PWD\" = '/test1/test2' ]\"
			COPY foo ./
			RUN sh -c \"[ \$(cat /test1/test2/foo) = 'hello' ]\"
			ADD foo ./bar/baz
			RUN sh -c \"[ \$(cat /test1/test2/bar/baz) = 'hello' ]\"
			COPY foo ./bar/baz2
			RUN sh -c \"[ \$(cat /test1/test2/bar/baz2) = 'hello' ]\"
			WORKDIR ..
			COPY foo ./
			RUN sh -c \"[ \$(cat /test1/foo) = 'hello' ]\"
			COPY foo /test3/
			RUN sh -c \"[ \$(cat /test3/foo) = 'hello' ]\"
			WORKDIR /test4
			COPY . .
			RUN sh -c \"[ \$(cat /test4/foo) = 'hello' ]\"
			WORKDIR /test5/test6
			COPY foo ../
			RUN sh -c \"[ \$(cat /test5/foo) = 'hello' ]\""
        bi t
}

@test "TestBuildBlankName" {
        for tc in "ENV =:ENV names can not be blank" "LABEL =:LABEL names can not be blank" \
                "ARG =foo:ARG names can not be blank"; do
                df "FROM busybox
${tc%%:*}"
                run box build -q -t t "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"Dockerfile:2"*"${tc#*:}"* ]]
        done
}

@test "TestBuildEnv and TestBuildPATH" {
        df $'FROM busybox\n\t\tENV PATH /test:$PATH\n\t\tENV PORT 2375\n\t\tRUN [ $(env | grep PORT) = \'PORT=2375\' ]'
        bi t
        [ "$(field t Config.Env)" = '["PATH=/test:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","PORT=2375"]' ]
        def=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        for base in scratch busybox; do
                for tc in "MAINTAINER me|[\"PATH=$def\"]" "ENV FOO=bar|[\"PATH=$def\",\"FOO=bar\"]" \
                        "ENV PATH=/test|[\"PATH=/test\"]" "ENV PATH=''|[\"PATH=\"]"; do
                        df "FROM $base
${tc%%|*}"
                        bi t
                        [ "$(field t Config.Env)" = "${tc#*|}" ]
                done
        done
}

@test "TestBuildContextCleanup and TestBuildContextCleanupFailedBuild" {
        before=$(find "$BOX_ROOT" "$BOX_RUNROOT" -mindepth 1 -maxdepth 3 2>/dev/null | grep -v '/blobs\|/layers\|/images\|/cache' | sort)
        df $'FROM busybox\nRUN /non/existing/command'
        run box build -t t "$CTX"
        [ "$status" -eq 1 ]
        df $'FROM busybox\nENTRYPOINT ["/bin/echo"]'
        bi t
        [ -z "$(find "$BOX_ROOT" "$BOX_RUNROOT" -name '*.tmp*' 2>/dev/null)" ]
        [ -z "$(box ps -aq)" ]
}

@test "TestBuildCmd, TestBuildEntrypoint, TestBuildEmptyEntrypoint, TestBuildEmptyEntrypointInheritance" {
        df $'FROM busybox\n        CMD ["/bin/echo", "Hello World"]'
        bi t
        [ "$(field t Config.Cmd)" = '["/bin/echo","Hello World"]' ]
        df $'FROM busybox\n        ENTRYPOINT ["/bin/echo"]'
        bi ep
        [ "$(field ep Config.Entrypoint)" = '["/bin/echo"]' ]
        # BuildKit's image config omits an empty Entrypoint (omitempty);
        # inspect's Go template prints the missing list as []
        df $'FROM ep\n        ENTRYPOINT []'
        bi t
        [ "$(box image inspect --format '{{.Config.Entrypoint}}' t)" = '[]' ]
        df $'FROM busybox\n        ENTRYPOINT []'
        bi t
        [ "$(box image inspect --format '{{.Config.Entrypoint}}' t)" = '[]' ]
}

@test "TestBuildExpose, TestBuildExposeMorePorts, TestBuildExposeOrder, TestBuildExposeUpperCaseProto" {
        df $'FROM scratch\n        EXPOSE 2375'
        bi t
        [ "$(field t Config.ExposedPorts)" = '{"2375/tcp":{}}' ]
        {
                printf 'FROM scratch\n\tEXPOSE '
                for i in $(seq 0 49); do
                        for j in $(seq 1 100); do printf ' %d' $((i * 100 + j)); done
                        [ $i -lt 49 ] && printf ' \\\n' || printf '\n'
                done
        } > "$CTX/Dockerfile"
        bi t
        [ "$(box image inspect --format '{{len .Config.ExposedPorts}}' t)" = 5000 ]
        [ "$(field t Config.ExposedPorts | tr ',' '\n' | sort -t'"' -k2 -n | sed -n '1p;$p' | tr -d '{}')" = '"1/tcp":
"5000/tcp":' ]
        df $'FROM scratch\nEXPOSE 80 2375'
        bi e1
        df $'FROM scratch\nEXPOSE 2375 80'
        bi e2
        [ "$(field e1 Config.ExposedPorts)" = "$(field e2 Config.ExposedPorts)" ]
        df $'FROM scratch\n        EXPOSE 5678/UDP'
        bi t
        [ "$(field t Config.ExposedPorts)" = '{"5678/udp":{}}' ]
}

@test "TestBuildOnBuildLimitedInheritance" {
        df $'\n\t\tFROM busybox\n\t\tRUN echo "GRANDPARENT"\n\t\tONBUILD RUN echo "ONBUILD PARENT"'
        bi t1
        df 'FROM t1'
        run box build -t t2 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"ONBUILD PARENT"* ]]
        df 'FROM t2'
        run box build -t t3 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" != *"ONBUILD PARENT"* ]]
}

@test "TestBuildSameDockerfileWithAndWithoutCache: an image of config alone FROM scratch has no creation time (BuildKit), one id" {
        df $'FROM scratch\n\t\tMAINTAINER dockerio\n\t\tEXPOSE 5432\n        ENTRYPOINT ["/bin/echo"]'
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        sleep 1
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" = "$id1" ]
        # the classic builder made a new id without the cache; BuildKit's
        # history and config times come from layers, of which there are none
        run box build -q --no-cache -t t "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box image inspect --format '{{.Id}}' t)" = "$id1" ]
        [ "$(box image inspect --format '{{.Created}}' t)" = "" ]
}

@test "TestBuildAddMultipleLocalFileWithAndWithoutCache, TestBuildAddCurrentDirWithoutCache" {
        put foo hello
        for d in $'FROM busybox\n        MAINTAINER dockerio\n        ADD foo Dockerfile /usr/lib/bla/\n\t\tRUN sh -c "[ $(cat /usr/lib/bla/foo) = "hello" ]"' \
                $'FROM scratch\n        MAINTAINER dockerio\n        ADD . /usr/lib/bla'; do
                df "$d"
                bi t
                id1=$(box image inspect --format '{{.Id}}' t)
                bi t
                [ "$(box image inspect --format '{{.Id}}' t)" = "$id1" ]
                sleep 1
                run box build -q --no-cache -t t "$CTX"
                [ "$status" -eq 0 ]
                [ "$(box image inspect --format '{{.Id}}' t)" != "$id1" ]
        done
}

@test "TestBuildConditionalCache, TestBuildCopyDirButNotFile, TestBuildAddCurrentDirWithCache" {
        df $'\n\t\tFROM busybox\n        ADD foo /tmp/'
        put foo hello
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        put foo bye
        bi t
        id2=$(box image inspect --format '{{.Id}}' t)
        [ "$id2" != "$id1" ]
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" = "$id2" ]

        rm -f "$CTX/foo"
        df $'FROM busybox\n        COPY dir /tmp/'
        put dir/foo hello
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        put dir_file hello2
        bi t2
        [ "$(box image inspect --format '{{.Id}}' t2)" = "$id1" ]

        rm -rf "$CTX"/*
        df $'FROM busybox\n        MAINTAINER dockerio\n        ADD . /usr/lib/bla'
        put foo hello
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        put bar hello2
        bi t
        id2=$(box image inspect --format '{{.Id}}' t)
        [ "$id2" != "$id1" ]
        put foo hello1
        bi t
        id3=$(box image inspect --format '{{.Id}}' t)
        [ "$id3" != "$id2" ]
        sleep 1
        put foo hello1
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" = "$id3" ]
}

@test "TestBuildContextTarGzip, TestBuildContextTarNoCompression, TestBuildNoContext" {
        df $'FROM busybox\nADD foo /foo\nCMD ["cat", "/foo"]'
        put foo bar
        tar -C "$CTX" -cf "$BOX_TEST_TMP/ctx.tar" Dockerfile foo
        gzip -c "$BOX_TEST_TMP/ctx.tar" > "$BOX_TEST_TMP/ctx.tar.gz"
        for t in ctx.tar ctx.tar.gz; do
                run box build -q -t contexttar - < "$BOX_TEST_TMP/$t"
                [ "$status" -eq 0 ]
                [ "$(box run --rm contexttar)" = bar ]
        done
        printf 'FROM busybox\n\t\t\tCMD ["echo", "ok"]' | box build -q -t nocontext - >/dev/null
        [ "$(box run --rm nocontext)" = ok ]
}

@test "TestBuildDockerfileStdin, ...StdinConflict, ...StdinNoExtraFiles, ...StdinDockerignore, ...StdinDockerignoreIgnored" {
        put foo bar
        printf 'FROM busybox\nADD foo /foo\nCMD ["cat", "/foo"]' | box build -q -t s -f - "$CTX" >/dev/null
        [ "$(box image inspect --format '{{.Config.Cmd}}' s)" = "[cat /foo]" ]
        run box build -t s -f - - </dev/null
        [ "$status" -eq 125 ]
        [[ "$output" == *"stdin"* ]]
        printf 'FROM busybox\nCOPY . /baz' | box build -q -t s -f - "$CTX" >/dev/null
        [ "$(box run --rm s ls -A /baz)" = foo ]
        : > "$CTX/Dockerfile"
        put .dockerignore $'Dockerfile\n'
        printf 'FROM busybox\nCOPY . /baz' | box build -q -t s -f - "$CTX" >/dev/null
        [ "$(box run --rm s ls -A /baz)" = $'.dockerignore\nfoo' ]
        put .dockerignore $'Dockerfile\n.dockerignore\n'
        printf 'FROM busybox\nCOPY . /baz' | box build -q -t s -f - "$CTX" >/dev/null
        [ "$(box run --rm s ls -A /baz)" = foo ]
}

@test "TestBuildWithVolumeOwnership" {
        df $'FROM busybox:latest\n        RUN mkdir /test && chown daemon:wheel /test && chmod 0600 /test\n        VOLUME /test'
        bi t
        out=$(box run --rm t ls -la /test)
        [[ "$out" == *drw-------* ]]
        [[ "$out" == *"daemon   wheel"* ]]
}

@test "TestBuildEntrypointRunCleanup, TestBuildCleanupCmdOnEntrypoint, TestBuildClearCmd, TestBuildEmptyCmd, TestBuildCmdShDashC" {
        put foo hello
        df $'FROM busybox\n        RUN echo "hello"\n        ADD foo /foo\n        ENTRYPOINT ["/bin/echo"]'
        bi t
        [ "$(field t Config.Cmd)" = null ]
        df $'FROM busybox\n\t\tCMD ["test"]\n\t\tENTRYPOINT ["echo"]'
        bi t
        df $'FROM t\n\t\tENTRYPOINT ["cat"]'
        bi t2
        [ "$(field t2 Config.Cmd)" = null ]
        [ "$(field t2 Config.Entrypoint)" = '["cat"]' ]
        df $'FROM busybox\n   ENTRYPOINT ["/bin/bash"]\n   CMD []'
        bi t
        [ "$(field t Config.Cmd)" = null ]
        df $'FROM scratch\nMAINTAINER quux'
        bi t
        [ "$(field t Config.Cmd)" = null ]
        df $'FROM busybox\nCMD echo cmd'
        bi t
        [ "$(field t Config.Cmd)" = '["/bin/sh","-c","echo cmd"]' ]
}

@test "TestBuildAddFileNotFound" {
        df $'FROM busybox\n        ADD foo /usr/local/bar'
        put bar hello
        # docker build exits 1 on any failure; box keeps 125 for a build it
        # refuses before running anything (box's own failure), 1 for a step
        run box build -t t "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:2: ADD: 'foo': no such file or directory"* ]]
}

@test "TestBuildInheritance" {
        df $'FROM scratch\n\t\tEXPOSE 2375'
        bi t
        ports1=$(field t Config.ExposedPorts)
        df $'FROM t\n\t\tENTRYPOINT ["/bin/echo"]'
        bi t
        [ "$(field t Config.Entrypoint)" = '["/bin/echo"]' ]
        [ "$(field t Config.ExposedPorts)" = "$ports1" ]
}

@test "TestBuildFails: a failing RUN is exit 1 naming the step's exit code (BuildKit)" {
        # the classic builder exited with the step's code (23)
        df $'FROM busybox\n\t\tRUN sh -c "exit 23"'
        run box build -t t "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *"did not complete successfully: exit code: 23"* ]]
}

@test "TestBuildOnBuild, TestBuildOnBuildOutput" {
        df $'FROM busybox\n\t\tONBUILD RUN touch foobar'
        bi t
        df $'FROM t\n\t\tRUN [ -f foobar ]'
        bi t2
        df $'FROM busybox\nONBUILD RUN echo foo'
        bi p
        df $'FROM p\nMAINTAINER quux'
        run box build -t t3 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *foo* ]]
}

@test "TestBuildAddToSymlinkDest" {
        put foo hello
        df $'\n\t\tFROM busybox\n\t\tRUN sh -c "mkdir /foo"\n\t\tRUN ln -s /foo /bar\n\t\tADD foo /bar/\n\t\tRUN sh -c "[ -f /bar/foo ]"\n\t\tRUN sh -c "[ -f /foo/foo ]"'
        bi t
}

@test "TestBuildEscapeWhitespace, TestBuildVerifyIntString" {
        df $'\n  # ESCAPE=\\\n  FROM busybox\n  MAINTAINER "Docker \\\nIO <io@\\\ndocker.com>"\n  '
        bi t
        [ "$(box image inspect --format '{{.Author}}' t)" = '"Docker IO <io@docker.com>"' ]
        df $'\n\tFROM busybox\n\tMAINTAINER 123'
        bi t
        [[ "$(box image inspect t)" == *'"123"'* ]]
}

@test "TestBuildDockerignore" {
        df '
		FROM busybox
		 ADD . /bla
		RUN sh -c "[[ -f /bla/src/x.go ]]"
		RUN sh -c "[[ -f /bla/Makefile ]]"
		RUN sh -c "[[ ! -e /bla/src/_vendor ]]"
		RUN sh -c "[[ ! -e /bla/.gitignore ]]"
		RUN sh -c "[[ ! -e /bla/README.md ]]"
		RUN sh -c "[[ ! -e /bla/dir/foo ]]"
		RUN sh -c "[[ ! -e /bla/foo ]]"
		RUN sh -c "[[ ! -e /bla/.git ]]"
		RUN sh -c "[[ ! -e v.cc ]]"
		RUN sh -c "[[ ! -e src/v.cc ]]"
		RUN sh -c "[[ ! -e src/_vendor/v.cc ]]"'
        put Makefile all:; put .git/HEAD "ref: foo"; put src/x.go "package main"
        put src/_vendor/v.go "package main"; put src/_vendor/v.cc "package main"
        put src/v.cc "package main"; put v.cc "package main"; put dir/foo ""
        put .gitignore ""; put README.md readme
        put .dockerignore $'\n.git\npkg\n.gitignore\nsrc/_vendor\n*.md\n**/*.cc\ndir'
        bi t
        [ "$(box run --rm t sh -c 'cd /bla && find . | sort')" = $'.\n./.dockerignore\n./Dockerfile\n./Makefile\n./src\n./src/x.go' ]
}

@test "TestBuildDockerignoreCleanPaths" {
        df $'\n        FROM busybox\n        ADD . /tmp/\n        RUN sh -c "(! ls /tmp/foo) && (! ls /tmp/foo2) && (! ls /tmp/dir1/foo)"'
        put foo foo; put foo2 foo2; put dir1/foo "foo in dir1"
        put .dockerignore $'./foo\ndir1//foo\n./dir1/../foo2'
        bi t
}

@test "TestBuildDockerignoreExceptions" {
        df '
		FROM busybox
		ADD . /bla
		RUN sh -c "[[ -f /bla/src/x.go ]]"
		RUN sh -c "[[ -f /bla/Makefile ]]"
		RUN sh -c "[[ ! -e /bla/src/_vendor ]]"
		RUN sh -c "[[ ! -e /bla/.gitignore ]]"
		RUN sh -c "[[ ! -e /bla/README.md ]]"
		RUN sh -c "[[  -e /bla/dir/dir/foo ]]"
		RUN sh -c "[[ ! -e /bla/dir/foo1 ]]"
		RUN sh -c "[[ -f /bla/dir/e ]]"
		RUN sh -c "[[ -f /bla/dir/e-dir/foo ]]"
		RUN sh -c "[[ ! -e /bla/foo ]]"
		RUN sh -c "[[ ! -e /bla/.git ]]"
		RUN sh -c "[[ -e /bla/dir/a.cc ]]"'
        put Makefile all:; put .git/HEAD "ref: foo"; put src/x.go "package main"
        put src/_vendor/v.go "package main"; put dir/foo ""; put dir/foo1 ""
        put dir/dir/f1 ""; put dir/dir/foo ""; put dir/e ""; put dir/e-dir/foo ""
        put .gitignore ""; put README.md readme; put dir/a.cc hello
        put .dockerignore $'\n.git\npkg\n.gitignore\nsrc/_vendor\n*.md\ndir\n!dir/e*\n!dir/dir/foo\n**/*.cc\n!**/*.cc'
        bi t
}

@test "TestBuildDockerignoringDockerfile, ...RenamedDockerfile, ...Dockerignore, ...TouchDockerfile" {
        for ig in Dockerfile ./Dockerfile; do
                df $'\n\t\tFROM busybox\n\t\tADD . /tmp/\n\t\tRUN sh -c "! ls /tmp/Dockerfile"\n\t\tRUN ls /tmp/.dockerignore'
                put .dockerignore "$ig"
                bi t
        done
        for ig in MyDockerfile ./MyDockerfile; do
                df "Should not use me"
                printf '\n\t\tFROM busybox\n\t\tADD . /tmp/\n\t\tRUN ls /tmp/Dockerfile\n\t\tRUN sh -c "! ls /tmp/MyDockerfile"\n\t\tRUN ls /tmp/.dockerignore' > "$CTX/MyDockerfile"
                put .dockerignore "$ig"
                run box build -q -t t -f "$CTX/MyDockerfile" "$CTX"
                [ "$status" -eq 0 ]
        done
        rm "$CTX/MyDockerfile"
        df $'\n\t\tFROM busybox\n\t\tADD . /tmp/\n\t\tRUN sh -c "! ls /tmp/.dockerignore"\n\t\tRUN ls /tmp/Dockerfile'
        put .dockerignore .dockerignore
        bi t
        d=$'\n        FROM busybox\n\t\tADD . /tmp/'
        df "$d"
        put .dockerignore Dockerfile
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" = "$id1" ]
        # an ignored Dockerfile's edits do not reach ADD .: its cache holds
        df "$d"$'\n# hi'
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" = "$id1" ]
}

@test "TestBuildDockerignoringWholeDir, ...OnlyDotfiles, ...BadExclusion, ...WildTopDir" {
        put Makefile all:; put .gitignore ""
        df $'\n\t\tFROM busybox\n\t\tCOPY . /\n\t\tRUN sh -c "[[ ! -e /.gitignore ]]"\n\t\tRUN sh -c "[[ ! -e /Makefile ]]"'
        put .dockerignore '*'
        bi t
        df $'\n\t\tFROM busybox\n\t\tCOPY . /\n\t\tRUN sh -c "[[ ! -e /.gitignore ]]"\n\t\tRUN sh -c "[[ -f /Makefile ]]"'
        put .dockerignore '.*'
        bi t
        put .dockerignore $'!\n'
        run box build -t t "$CTX"
        [ "$status" -ne 0 ]
        [[ "$output" == *".dockerignore: illegal exclusion pattern: '!'"* ]]
        rm -f "$CTX"/.gitignore "$CTX"/Makefile
        put file1 ""; put dir/file1 ""
        df $'\n\t\tFROM busybox\n\t\tCOPY . /\n\t\tRUN sh -c "[[ ! -e /.dockerignore ]]"\n\t\tRUN sh -c "[[ ! -e /Dockerfile ]]"\n\t\tRUN sh -c "[[ ! -e /file1 ]]"\n\t\tRUN sh -c "[[ ! -e /dir ]]"'
        for v in '**' '**/' '**/**' '*'; do
                put .dockerignore "$v"
                bi t
        done
}

@test "TestBuildDockerignoringWildDirs" {
        df '
        FROM busybox
		COPY . /
		#RUN sh -c "[[ -e /.dockerignore ]]"
		RUN sh -c "[[ -e /Dockerfile ]]           && \
		           [[ ! -e /file0 ]]              && \
		           [[ ! -e /dir1/file0 ]]         && \
		           [[ ! -e /dir2/file0 ]]         && \
		           [[ ! -e /file1 ]]              && \
		           [[ ! -e /dir1/file1 ]]         && \
		           [[ ! -e /dir1/dir2/file1 ]]    && \
		           [[ ! -e /dir1/file2 ]]         && \
		           [[   -e /dir1/dir2/file2 ]]    && \
		           [[ ! -e /dir1/dir2/file4 ]]    && \
		           [[ ! -e /dir1/dir2/file5 ]]    && \
		           [[ ! -e /dir1/dir2/file6 ]]    && \
		           [[ ! -e /dir1/dir3/file7 ]]    && \
		           [[ ! -e /dir1/dir3/file8 ]]    && \
		           [[   -e /dir1/dir3 ]]          && \
		           [[   -e /dir1/dir4 ]]          && \
		           [[ ! -e '"'"'dir1/dir5/fileAA'"'"' ]]  && \
		           [[   -e '"'"'dir1/dir5/fileAB'"'"' ]]  && \
		           [[   -e '"'"'dir1/dir5/fileB'"'"' ]]"   # "." in pattern means nothing
		RUN echo all done!'
        put .dockerignore '
**/file0
**/*file1
**/dir1/file2
dir1/**/file4
**/dir2/file5
**/dir1/dir2/file6
dir1/dir3/**
**/dir4/**
**/file?A
**/file\?B
**/dir5/file.
'
        for f in dir1/file0 dir1/dir2/file0 file1 dir1/file1 dir1/dir2/file1 dir1/file2 dir1/dir2/file2 \
                dir1/dir2/file4 dir1/dir2/file5 dir1/dir2/file6 dir1/dir3/file7 dir1/dir3/file8 \
                dir1/dir4/file9 dir1/dir5/fileAA dir1/dir5/fileAB dir1/dir5/fileB; do
                put $f ""
        done
        bi t
}

@test "TestBuildLineBreak, TestBuildEOLInLine, TestBuildCommentsShebangs" {
        df "FROM  busybox
RUN    sh -c 'echo root:testpass \\
	> /tmp/passwd'
RUN    mkdir -p /var/run/sshd
RUN    sh -c \"[ \"\$(cat /tmp/passwd)\" = \"root:testpass\" ]\"
RUN    sh -c \"[ \"\$(ls -d /var/run/sshd)\" = \"/var/run/sshd\" ]\""
        bi t
        df "FROM   busybox
RUN    sh -c 'echo root:testpass > /tmp/passwd'
RUN    echo \"foo \\n bar\"; echo \"baz\"
RUN    mkdir -p /var/run/sshd
RUN    sh -c \"[ \"\$(cat /tmp/passwd)\" = \"root:testpass\" ]\"
RUN    sh -c \"[ \"\$(ls -d /var/run/sshd)\" = \"/var/run/sshd\" ]\""
        bi t
        df "FROM busybox
# This is an ordinary comment.
RUN { echo '#!/bin/sh'; echo 'echo hello world'; } > /hello.sh
RUN [ ! -x /hello.sh ]
# comment with line break \\
RUN chmod +x /hello.sh
RUN [ -x /hello.sh ]
RUN [ \"\$(cat /hello.sh)\" = \$'#!/bin/sh\\necho hello world' ]
RUN [ \"\$(/hello.sh)\" = \"hello world\" ]"
        bi t
}

@test "TestBuildCmdSpaces, TestBuildCmdJSONNoShDashC" {
        df $'FROM busybox\nCMD ["echo hi"]'
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        df $'FROM busybox\nCMD ["echo", "hi"]'
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" != "$id1" ]
        df $'FROM busybox\nENTRYPOINT ["echo hi"]'
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        df $'FROM busybox\nENTRYPOINT ["echo", "hi"]'
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" != "$id1" ]
        df $'FROM busybox\nCMD ["echo", "cmd"]'
        bi t
        [ "$(field t Config.Cmd)" = '["echo","cmd"]' ]
}

@test "TestBuildEntrypointCanBeOverriddenByChild, ...ChildInspect, TestBuildRunShEntrypoint" {
        df $'\n    FROM busybox\n    ENTRYPOINT exit 130\n    '
        bi parent
        run box run --rm parent
        [ "$status" -eq 130 ]
        df $'\n    FROM parent\n    ENTRYPOINT exit 5\n    '
        bi child
        run box run --rm child
        [ "$status" -eq 5 ]
        df $'FROM busybox\nENTRYPOINT /foo/bar'
        bi t
        df $'FROM t\nENTRYPOINT echo quux'
        bi t2
        [ "$(field t2 Config.Entrypoint)" = '["/bin/sh","-c","echo quux"]' ]
        [ "$(box run --rm t2)" = quux ]
        df $'FROM busybox\n                                ENTRYPOINT echo'
        bi t
        box run --rm t
}

@test "TestBuildExoticShellInterpolation" {
        df '
		FROM busybox
		ENV SOME_VAR a.b.c
		RUN [ "$SOME_VAR"       = '"'a.b.c'"' ]
		RUN [ "${SOME_VAR}"     = '"'a.b.c'"' ]
		RUN [ "${SOME_VAR%.*}"  = '"'a.b'"'   ]
		RUN [ "${SOME_VAR%%.*}" = '"'a'"'     ]
		RUN [ "${SOME_VAR#*.}"  = '"'b.c'"'   ]
		RUN [ "${SOME_VAR##*.}" = '"'c'"'     ]
		RUN [ "${SOME_VAR/c/d}" = '"'a.b.d'"' ]
		RUN [ "${#SOME_VAR}"    = '"'5'"'     ]
		RUN [ "${SOME_UNSET_VAR:-$SOME_VAR}" = '"'a.b.c'"' ]
		RUN [ "${SOME_VAR:+Version: ${SOME_VAR}}" = '"'Version: a.b.c'"' ]
		RUN [ "${SOME_UNSET_VAR:+${SOME_VAR}}" = '"''"' ]
		RUN [ "${SOME_UNSET_VAR:-${SOME_VAR:-d.e.f}}" = '"'a.b.c'"' ]
	'
        bi t
}

@test "TestBuildVerifySingleQuoteFails" {
        # not JSON: the shell form, whose [ fails with status 2
        df $'FROM busybox\n\t\tCMD [ \'/bin/sh\', \'-c\', \'echo hi\' ]'
        bi t
        run box run --rm t
        [ "$status" -eq 2 ]
}

@test "TestBuildVerboseOut, TestBuildWithTabs (history)" {
        df $'FROM busybox\nRUN echo 123'
        run box build -t t "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *$'\n123\n'* ]]
        df $'FROM busybox\nRUN echo\tone\t\ttwo'
        bi t
        [ "$(box history --no-trunc --format '{{.CreatedBy}}' t | head -1)" = $'RUN /bin/sh -c echo\tone\t\ttwo # buildkit' ]
}

@test "TestBuildLabels, TestBuildLabelsCache" {
        df $'FROM busybox\n\t\tLABEL Vendor=Acme\n                LABEL License GPL'
        bi t
        [ "$(field t Config.Labels)" = '{"License":"GPL","Vendor":"Acme"}' ]
        df $'FROM busybox\n\t\tLABEL Vendor=Acme'
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" = "$id1" ]
        df $'FROM busybox\n\t\tLABEL Vendor=Acme1'
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" != "$id1" ]
        # the classic builder's cache took "LABEL Vendor Acme" for
        # "LABEL Vendor=Acme"; BuildKit's history keeps the form written
        df $'FROM busybox\n\t\tLABEL Vendor Acme'
        bi t
        [ "$(field t Config.Labels)" = '{"Vendor":"Acme"}' ]
        df $'FROM busybox\n       LABEL f1=b1 f2=b2'
        run box build -q --no-cache -t t "$CTX"
        [ "$status" -eq 0 ]
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" != "$id1" ]
}

@test "TestBuildChownSingleFile" {
        df $'\nFROM busybox\nCOPY test /\nRUN ls -l /test\nRUN [ $(ls -l /test | awk \'{print $3":"$4}\') = \'root:root\' ]\n'
        put test test
        chown 4242:4242 "$CTX/test"
        bi t
}

@test "TestBuildSymlinkBreakout" {
        mkdir -p "$BOX_TEST_TMP/lk"
        ln -s /../../../../../../../../../../../../../../ "$BOX_TEST_TMP/lk/symlink2"
        ln -s "symlink2$BOX_TEST_TMP" "$BOX_TEST_TMP/lk/symlink"
        tar -C "$BOX_TEST_TMP/lk" -cf "$CTX/symlink.tar" symlink2 symlink
        : > "$CTX/inject"
        df $'\n\tFROM scratch\n\tADD symlink.tar /\n\tADD inject /symlink/\n\t'
        run box build -q --no-cache -t t "$CTX"
        [ "$status" -eq 0 ]
        [ ! -e "$BOX_TEST_TMP/inject" ]
}

@test "TestBuildXZHost" {
        df $'\nFROM busybox\nADD xz /usr/local/sbin/\nRUN chmod 755 /usr/local/sbin/xz\nADD test.xz /\nRUN [ ! -e /injected ]'
        printf '\xfd\x37\x7a\x58\x5a\x00\x00\x04\xe6\xd6\xb4\x46\x02\x00\x21\x01\x16\x00\x00\x00\x74\x2f\xe5\xa3\x01\x00\x3f\xfd\x37\x7a\x58\x5a\x00\x00\x04\xe6\xd6\xb4\x46\x02\x00\x21' > "$CTX/test.xz"
        put xz $'#!/bin/sh\ntouch /injected'
        bi t
}

@test "TestBuildVolumesRetainContents" {
        df $'\nFROM busybox\nCOPY content /foo/file\nVOLUME /foo\nCMD cat /foo/file'
        put content "some text"
        bi t
        [ "$(box run --rm t)" = "some text" ]
}

@test "TestBuildFromMixedcaseDockerfile" {
        printf 'FROM busybox\n\tRUN echo from dockerfile' > "$CTX/dockerfile"
        run box build -t t "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"from dockerfile"* ]]
        df $'FROM busybox\n\tRUN echo from Dockerfile'
        run box build -t t "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"from Dockerfile"* ]]
}

@test "TestBuildFromOfficialNames" {
        for n in busybox docker.io/busybox index.docker.io/busybox library/busybox \
                docker.io/library/busybox index.docker.io/library/busybox; do
                df "FROM $n"
                bi t
        done
}

@test "TestBuildSpaces: COPY with no arguments, with or without trailing spaces, is the same error" {
        df $'FROM busybox\nCOPY'
        run box build -t t "$CTX"
        [ "$status" -eq 125 ]
        e1=$output
        printf 'FROM busybox\nCOPY    ' > "$CTX/Dockerfile"
        run box build -t t "$CTX"
        [ "$status" -eq 125 ]
        [ "$output" = "$e1" ]
        [[ "$e1" == *"Dockerfile:2"*COPY* ]]
}

@test "TestBuildSpacesWithQuotes, TestBuildVolumeFileExistsinContainer (BuildKit: VOLUME is config only)" {
        df $'FROM busybox\nRUN echo "  \\\n  foo  "'
        run box build -t t "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *$'\n    foo  \n'* ]]
        # the classic builder failed on "file exists"; BuildKit records the
        # volume and builds
        df $'\n\tFROM busybox\n\tRUN touch /foo\n\tVOLUME /foo\n\t'
        bi t
        [ "$(field t Config.Volumes)" = '{"/foo":{}}' ]
}

@test "TestBuildMissingArgs" {
        for c in ADD ARG COPY ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD SHELL STOPSIGNAL USER VOLUME WORKDIR; do
                if [ $c = FROM ]; then df FROM; else df "FROM busybox
$c"; fi
                run box build -t t "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"Dockerfile:"*"$c requires"* ]] || { echo "$c: $output"; false; }
        done
}

@test "TestBuildEmptyScratch: FROM scratch alone is an empty image (BuildKit)" {
        # the classic builder said "No image was generated"
        df 'FROM scratch'
        bi sc
        [ "$(box image inspect --format '{{len .RootFS.Layers}}' sc)" = 0 ]
}

@test "TestBuildDotDotFile, TestBuildDeleteCommittedFile, TestBuildWithUTF8BOM" {
        df 'FROM busybox'
        put ..gitme ""
        bi sc
        df $'FROM busybox\n\t\tRUN echo test > file\n\t\tRUN test -e file\n\t\tRUN rm file\n\t\tRUN sh -c "! test -e file"'
        bi t
        printf '\xef\xbb\xbfFROM busybox' > "$CTX/Dockerfile"
        bi t
}

@test "TestBuildEmptyStringVolume" {
        df $'\n  FROM busybox\n  ENV foo=""\n  VOLUME $foo\n  '
        run box build -t t "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:4: VOLUME"*"can not be an empty string"* ]]
}

@test "TestBuildRUNErrMsg (BuildKit's message), TestBuildNoNamedVolume" {
        df $'\n  FROM busybox\n  RUN badEXE a1 \\& a2\ta3'
        run box build -t t "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *$'/bin/sh -c badEXE a1 \\& a2\ta3'*"did not complete successfully: exit code: 127"* ]]
        df $'FROM busybox\n\tVOLUME testname:/foo\n\tRUN ls /foo/oops\n\t'
        run box build -t t "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *"ls: /foo/oops: No such file or directory"* ]]
}

@test "TestBuildNullStringInAddCopyVolume, TestBuildStopSignal" {
        put null test1; put nullfile test2
        df $'\n\t\tFROM busybox\n\t\tADD null /\n\t\tCOPY nullfile /\n\t\tVOLUME nullvolume\n\t\t'
        bi t
        df $'FROM busybox\n\t\t STOPSIGNAL SIGKILL'
        bi t
        [ "$(field t Config.StopSignal)" = '"SIGKILL"' ]
        box run -d --name sigc t top >/dev/null
        [ "$(box container inspect --format '{{json .Config.StopSignal}}' sigc)" = '"SIGKILL"' ]
        box rm -f sigc >/dev/null
}

@test "TestBuildBuildTimeArg, TestBuildBuildTimeArgHistory" {
        df $'FROM busybox\n\t\t\tARG foo\n\t\t\tRUN echo $foo\n\t\t\tCMD echo $foo'
        run box build -t t --build-arg foo=bar "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *bar* ]]
        [ "$(box run --rm t)" = "" ]
        df $'FROM busybox\n\t\tARG foo=bar1'
        run box build -t t --build-arg foo=bar "$CTX"
        [ "$status" -eq 0 ]
        # the classic builder's history kept the default (bar1); BuildKit's
        # records the value the ARG took
        [ "$(box history --no-trunc --format '{{.CreatedBy}}' t | head -1)" = "ARG foo=bar" ]
}

@test "TestBuildTimeArgHistoryExclusions" {
        df $'FROM busybox\n\t\tARG foo\n\t\tARG http_proxy\n\t\tRUN echo "Testing Build Args!"'
        args=(--build-arg https_proxy=https://proxy.example.com --build-arg foo=bar
                --build-arg http_proxy=http://user:password@someproxy.example.com
                --build-arg HTTP_PROXY=http://user:password@proxy.example.com)
        run box build -q -t t "${args[@]}" "$CTX"
        [ "$status" -eq 0 ]
        id1=$(box image inspect --format '{{.Id}}' t)
        h=$(box history --no-trunc t)
        [[ "$h" != *"HTTP_PROXY=http://user:password@proxy.example.com"* ]]
        [[ "$h" != *https_proxy* ]]
        [[ "$h" == *"foo=bar"* ]]
        [[ "$h" == *"http_proxy=http://user:password@someproxy.example.com"* ]]
        run box build -q -t t2 "${args[@]}" "$CTX"
        [ "$(box image inspect --format '{{.Id}}' t2)" = "$id1" ]
}

@test "TestBuildBuildTimeArgCacheHit, ...CacheMissExtraArg, ...CacheMissSameArgDiffVal" {
        df $'FROM busybox\n\t\tARG foo\n\t\tARG foo1\n\t\tRUN echo $foo'
        box build -q -t a --build-arg foo=bar "$CTX" >/dev/null
        box build -q -t b --build-arg foo=bar "$CTX" >/dev/null
        id=$(box image inspect --format '{{.Id}}' a)
        [ "$(box image inspect --format '{{.Id}}' b)" = "$id" ]
        box build -q -t c --build-arg foo=bar --build-arg foo1=bar1 "$CTX" >/dev/null
        [ "$(box image inspect --format '{{.Id}}' c)" != "$id" ]
        box build -q -t d --build-arg foo=bar1 "$CTX" >/dev/null
        [ "$(box image inspect --format '{{.Id}}' d)" != "$id" ]
}

@test "TestBuildBuildTimeArgOverrideArgDefinedBeforeEnv, ...OverrideEnvDefinedBeforeArg, ...ExpansionOverride, ...DefaultOverride" {
        for d in $'FROM busybox\n\t\tARG foo\n\t\tENV foo barOverride\n\t\tRUN echo $foo\n\t\tCMD echo $foo' \
                $'FROM busybox\n\t\tENV foo barOverride\n\t\tARG foo\n\t\tRUN echo $foo\n\t\tCMD echo $foo' \
                $'FROM busybox\n\t\tARG foo\n\t\tENV foo barOverride\n\t\tENV foo1 ${foo}\n\t\tRUN echo $foo1\n\t\tCMD echo $foo1'; do
                df "$d"
                run box build -t t --build-arg foo=bar "$CTX"
                [ "$status" -eq 0 ]
                [[ "$output" == *$'\nbarOverride\n'* ]]
                [ "$(box run --rm t)" = barOverride ]
        done
        df $'FROM busybox\n\t\tARG foo=bar\n\t\tENV foo $foo\n\t\tRUN echo $foo\n\t\tCMD echo $foo'
        run box build -t t --build-arg foo=barOverride "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *$'\nbarOverride\n'* ]]
        [ "$(box run --rm t)" = barOverride ]
}

@test "TestBuildBuildTimeArgExpansion" {
        put addFile "some stuff"; put copyFile "some stuff"
        df 'FROM busybox
		ARG WDIR
		WORKDIR ${WDIR}
		ARG AFILE
		ADD ${AFILE} testDir/
		ARG CFILE
		COPY $CFILE testDir/
		ARG foo
		ENV foo=${foo}
		ARG EPORT
		EXPOSE $EPORT
		ARG USER
		USER $USER
		ARG VOL
		VOLUME ${VOL}'
        run box build -q -t t --build-arg WDIR=/tmp --build-arg AFILE=addFile --build-arg CFILE=copyFile \
                --build-arg foo=bar --build-arg EPORT=9999 --build-arg USER=testUser --build-arg VOL=/testVol/ "$CTX"
        [ "$status" -eq 0 ]
        [ "$(field t Config.WorkingDir)" = '"/tmp"' ]
        [[ "$(field t Config.Env)" == *'"foo=bar"'* ]]
        [ "$(field t Config.ExposedPorts)" = '{"9999/tcp":{}}' ]
        [ "$(field t Config.User)" = '"testUser"' ]
        [ "$(field t Config.Volumes)" = '{"/testVol/":{}}' ]
}

@test "TestBuildBuildTimeArgUntrustedDefinedAfterUse, TestBuildBuildTimeArgBuiltinArg, TestBuildBuildTimeArgUnconsumedArg" {
        df $'FROM busybox\n\t\tRUN echo $foo\n\t\tARG foo\n\t\tCMD echo $foo'
        run box build -t t --build-arg foo=bar "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" != *$'\nbar\n'* ]]
        [ "$(box run --rm t)" = "" ]
        df $'FROM busybox\n\t\tRUN echo $HTTP_PROXY\n\t\tCMD echo $HTTP_PROXY'
        run box build -t t --build-arg HTTP_PROXY=bar "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *$'\nbar\n'* ]]
        [ "$(box run --rm t)" = "" ]
        df $'FROM busybox\n\t\tRUN echo $foo\n\t\tCMD echo $foo'
        run box build -t t --build-arg foo=bar "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"warning"*"'foo'"*"not consumed"* ]]
}

@test "TestBuildBuildTimeArgEnv" {
        df 'FROM busybox
		ARG FOO1=fromfile
		ARG FOO2=fromfile
		ARG FOO3=fromfile
		ARG FOO4=fromfile
		ARG FOO5
		ARG FOO6
		ARG FO10
		RUN env
		RUN [ "$FOO1" = "fromcmd" ]
		RUN [ "$FOO2" = "" ]
		RUN [ "$FOO3" = "fromenv" ]
		RUN [ "$FOO4" = "fromfile" ]
		RUN [ "$FOO5" = "fromcmd" ]
		# The following should not exist at all in the env
		RUN [ "$(env | grep FOO6)" = "" ]
		RUN [ "$(env | grep FOO7)" = "" ]
		RUN [ "$(env | grep FOO8)" = "" ]
		RUN [ "$(env | grep FOO9)" = "" ]
		RUN [ "$FO10" = "" ]
	    '
        run env -u FOO4 -u FO10 FOO1=fromenv FOO2=fromenv FOO3=fromenv "$BOX" build -t t \
                --build-arg FOO1=fromcmd --build-arg FOO2= --build-arg FOO3 --build-arg FOO4 \
                --build-arg FOO5=fromcmd --build-arg FOO7=fromcmd --build-arg FOO8= --build-arg FOO9 \
                --build-arg FO10 "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"'FOO7'"* ]]
        [[ "$output" == *"'FOO8'"* ]]
}

@test "TestBuildBuildTimeArgQuotedValVariants, ...EmptyValVariants, ...DefinitionWithNoEnvInjection" {
        df 'FROM busybox
		ARG foo=""
		ARG foo1='"''"'
		ARG foo2="'"''"'"
		ARG foo3='"'\"\"'"'
		RUN [ "$foo" != "$foo2" ]
		RUN [ "$foo" != "$foo3" ]
		RUN [ "$foo1" != "$foo2" ]
		RUN [ "$foo1" != "$foo3" ]
		RUN [ "$foo2" != "$foo3" ]'
        bi t
        df 'FROM busybox
		ARG foo=
		ARG foo1=""
		ARG foo2='"''"'
		RUN [ "$foo" = "$foo1" ]
		RUN [ "$foo1" = "$foo2" ]
		RUN [ "$foo" = "$foo2" ]'
        bi t
        df $'FROM busybox\n\t\tARG foo\n\t\tRUN env'
        run box build -t t "$CTX"
        [ "$status" -eq 0 ]
        [ "$(grep -c foo <<<"$output")" = 1 ]
}

@test "TestBuildMultiStageArg, TestBuildMultiStageGlobalArg, TestBuildMultiStageUnusedArg" {
        df $'FROM busybox\nARG stage_1_arg=AAAA\nLABEL multifromtest=1\nRUN env > /out\nFROM busybox\nARG stage_2_arg=BBBB\nRUN env > /out'
        bi t
        out=$(box run --rm t cat /out)
        [[ "$out" != *stage_1_arg* ]]
        [[ "$out" == *stage_2_arg=BBBB* ]]
        df $'ARG tag=nosuchtag\nFROM busybox:${tag}\nLABEL multifromtest2=1\nRUN env > /out\nFROM busybox:${tag}\nARG tag\nRUN env > /out'
        run box build -q -t t --build-arg tag=latest "$CTX"
        [ "$status" -eq 0 ]
        [[ "$(box run --rm t cat /out)" == *tag=latest* ]]
        df $'FROM busybox\n    ARG foo\n    FROM busybox\n    ARG bar\n    RUN env > /out'
        run box build -t t --build-arg baz=abc "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"warning"*"'baz'"*"not consumed"* ]]
        out=$(box run --rm t cat /out)
        [[ "$out" != *bar* ]]
        [[ "$out" != *baz* ]]
}

@test "TestBuildMultipleTags" {
        df $'\n\tFROM busybox\n\tMAINTAINER test-15780\n\t'
        run box build -q -t tag1 -t tag2:v2 -t tag1:latest -t tag1 "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box image inspect --format '{{.Id}}' tag1)" = "$(box image inspect --format '{{.Id}}' tag2:v2)" ]
}

@test "TestBuildCacheBrokenSymlink, TestBuildFollowSymlinkToFile, ...ToDir, TestBuildSymlinkBasename, TestBuildCacheRootSource" {
        df $'\n\tFROM busybox\n\tCOPY . ./'
        put foo bar
        ln -s "$CTX/nosuchfile" "$CTX/asymlink"
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        put newfile foo
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" != "$id1" ]
        rm -rf "$CTX"/* "$CTX/.dockerignore"
        df $'\n\tFROM busybox\n\tCOPY asymlink target'
        put foo bar
        ln -s foo "$CTX/asymlink"
        bi t
        [ "$(box run --rm t cat target)" = bar ]
        put foo baz
        bi t
        [ "$(box run --rm t cat target)" = baz ]
        rm -rf "$CTX"/*
        df $'\n\tFROM busybox\n\tCOPY asymlink /'
        put foo/abc bar; put foo/def baz
        ln -s foo "$CTX/asymlink"
        bi t
        [ "$(box run --rm t cat abc def)" = barbaz ]
        put foo/def bax
        bi t
        [ "$(box run --rm t cat abc def)" = barbax ]
        rm -rf "$CTX"/*
        df $'\n\tFROM busybox\n\tCOPY asymlink /'
        put foo bar
        ln -s foo "$CTX/asymlink"
        bi t
        [ "$(box run --rm t cat asymlink)" = bar ]
        df $'\n\tFROM busybox\n\tCOPY / /data'
        bi t
        id1=$(box image inspect --format '{{.Id}}' t)
        put foo baz
        bi t
        [ "$(box image inspect --format '{{.Id}}' t)" != "$id1" ]
        [ "$(box run --rm t cat /data/foo)" = baz ]
}

@test "TestBuildLabel, TestBuildLabelOneNode, TestBuildLabelCacheCommit, TestBuildLabelMultiple, TestBuildLabelsOverride" {
        df $'\n  FROM busybox\n  LABEL default foo\n'
        run box build -q -t t --label foo "$CTX"
        [ "$(field t Config.Labels)" = '{"default":"foo","foo":""}' ]
        df 'FROM busybox'
        run box build -q -t t --label foo=bar "$CTX"
        [ "$(field t Config.Labels)" = '{"foo":"bar"}' ]
        df $'\n  FROM busybox\n  LABEL default foo\n  '
        bi t
        run box build -q -t t --label foo "$CTX"
        [ "$(field t Config.Labels)" = '{"default":"foo","foo":""}' ]
        run box build -q -t t --label foo=bar --label 123=456 "$CTX"
        [ "$(field t Config.Labels)" = '{"123":"456","default":"foo","foo":"bar"}' ]

        df $'FROM scratch\n                LABEL foo=from-dockerfile'
        box build -q -t scratchy --label foo=from-flag --label bar=from-flag "$CTX" >/dev/null
        [ "$(field scratchy Config.Labels)" = '{"bar":"from-flag","foo":"from-flag"}' ]
        df $'FROM scratch\n                LABEL foo from-dockerfile'
        box build -q -t from "$CTX" >/dev/null
        [ "$(field from Config.Labels)" = '{"foo":"from-dockerfile"}' ]
        df $'FROM from\n                LABEL bar from-dockerfile2'
        box build -q -t new --label foo=new "$CTX" >/dev/null
        [ "$(field new Config.Labels)" = '{"bar":"from-dockerfile2","foo":"new"}' ]
        df $'FROM scratch\n                LABEL foo=from-dockerfile'
        box build -q -t scratchy2 --label foo --label bar= "$CTX" >/dev/null
        [ "$(field scratchy2 Config.Labels)" = '{"bar":"","foo":""}' ]
        df $'FROM from\n                LABEL bar from-dockerfile2'
        box build -q -t new2 --label foo= --label bar "$CTX" >/dev/null
        [ "$(field new2 Config.Labels)" = '{"bar":"","foo":""}' ]
        df 'FROM scratch'
        box build -q -t scratchz --label 'bar=$PATH' "$CTX" >/dev/null
        [ "$(field scratchz Config.Labels)" = '{"bar":"$PATH"}' ]
}

@test "TestBuildDockerignoreComment, TestBuildWithUTF8BOMDockerignore" {
        df '
        FROM busybox
        ADD . /tmp/
        RUN sh -c "(ls -la /tmp/#1)"
        RUN sh -c "(! ls -la /tmp/#2)"
        RUN sh -c "(! ls /tmp/foo) && (! ls /tmp/foo2) && (ls /tmp/dir1/foo)"'
        put foo foo; put foo2 foo2; put dir1/foo "foo in dir1"; put '#1' "# file 1"; put '#2' "# file 2"
        put .dockerignore '# Visual C++ cache files
# because we have git ;-)
# The above comment is from #20083
foo
#dir1/foo
foo2
# The following is considered as comment as # is at the beginning
#1
# The following is not considered as comment as # is not at the beginning
  #2
'
        bi t
        rm -rf "$CTX"/* "$CTX"/.dockerignore
        df $'\n        FROM busybox\n\t\tADD . /tmp/\n\t\tRUN ls -la /tmp\n\t\tRUN sh -c "! ls /tmp/Dockerfile"\n\t\tRUN ls /tmp/.dockerignore'
        printf '\xef\xbb\xbf./Dockerfile\n' > "$CTX/.dockerignore"
        bi t
}

@test "TestBuildShellMultiple, TestBuildShellEntrypoint, TestBuildShellInherited, TestBuildShellNotJSON" {
        df $'FROM busybox\n\t\tRUN echo defaultshell\n\t\tSHELL ["echo"]\n\t\tRUN echoshell\n\t\tSHELL ["ls"]\n\t\tRUN -l\n\t\tCMD -l'
        run box build -t t "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *defaultshell*defaultshell* ]]
        [[ "$output" == *echoshell*echoshell* ]]
        [[ "$output" == *"total "* ]]
        [[ "$(box run --rm t)" == *"total "* ]]
        df $'FROM busybox\n\t\tSHELL ["ls"]\n\t\tENTRYPOINT -l'
        bi t
        [[ "$(box run --rm t)" == *"total "* ]]
        df $'FROM busybox\n        SHELL ["ls"]'
        bi sh1
        df $'FROM sh1\n        RUN -l'
        run box build -t t "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *"total "* ]]
        df $'FROM busybox\n        sHeLl exec -form'
        run box build -t t "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"SHELL requires the arguments to be in JSON form"* ]]
}

@test "TestBuildWithFailure: a Dockerfile that does not parse runs no step" {
        df $'FFOM nobody\nRUN nobody'
        run box build -t t "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:1: unknown instruction 'FFOM'"* ]]
        [[ "$output" != *"RUN nobody"*"RUN nobody"* ]]
}

@test "TestBuildCacheFromEqualDiffIDsLength, TestBuildCacheFrom, TestBuildMultiStageCache" {
        df $'\n\t\tFROM busybox\n\t\tENV FOO=bar\n\t\tADD baz /\n\t\tRUN touch bax'
        put baz baz
        bi build1
        id1=$(box image inspect --format '{{.Id}}' build1)
        run box build -q -t build2 --cache-from=build1 "$CTX"
        [ "$status" -eq 0 ]
        [ "$(box image inspect --format '{{.Id}}' build2)" = "$id1" ]
        # a RUN that differs reuses the layers before it
        df $'\n\t\tFROM busybox\n\t\tENV FOO=bar\n\t\tADD baz /\n\t\tRUN touch newfile'
        run box build -q -t build3 --cache-from=build1 "$CTX"
        [ "$status" -eq 0 ]
        l1=$(box image inspect --format '{{json .RootFS.Layers}}' build1)
        l3=$(box image inspect --format '{{json .RootFS.Layers}}' build3)
        [ "${l1%,*}" = "${l3%,*}" ]
        [ "$l1" != "$l3" ]
        # the classic builder built both stages (the second from the first's
        # cache); BuildKit builds only the stages the target needs
        df $'\n\t\tFROM busybox\n\t\tADD baz /\n\t\tFROM busybox\n    ADD baz /'
        run box build -t mc "$CTX"
        [ "$status" -eq 0 ]
        [ "$(grep -c 'ADD baz' <<<"$output")" = 1 ]
        run box build -t mc2 --cache-from=mc "$CTX"
        [ "$status" -eq 0 ]
        [ "$(grep -c CACHED <<<"$output")" = 1 ]
}

@test "TestBuildNetNone, TestBuildWithExtraHost, TestBuildWithExtraHostInvalidFormat" {
        # upstream's pings: RUN steps have CAP_NET_RAW, as BuildKit's (busybox's
        # ping opens only raw sockets)
        df $'\n  FROM busybox\n  RUN ping -c 1 8.8.8.8\n  '
        run box build -t t --network=none "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *"Network is unreachable"* ]]
        df $'\n  FROM busybox\n  RUN ping -c 1 foo\n  RUN ping -c 1 bar\n  '
        run box build -q -t t --network=none --add-host foo:127.0.0.1 --add-host bar:127.0.0.1 "$CTX"
        [ "$status" -eq 0 ]
        for f in --add-host=foo --add-host=foo: --add-host=:127.0.0.1 --add-host=foo:101.10.2 --add-host=foo:2001::1::3F; do
                run box build -t t "$f" "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"invalid --add-host"* ]]
        done
}

@test "TestBuildMultiStageCopyFromSyntax" {
        d=$'\n\t\tFROM busybox AS first\n\t\tCOPY foo bar\n\t\tFROM busybox\n\t\t%s\n\t\tCOPY baz baz\n\t\tRUN echo mno > baz/cc\n\t\tFROM busybox\n\t\tCOPY bar /\n\t\tCOPY --from=1 baz sub/\n\t\tCOPY --from=0 bar baz\n\t\tCOPY --from=first bar bay'
        printf "$d" "" > "$CTX/Dockerfile"
        put foo abc; put bar def; put baz/aa ghi; put baz/bb jkl
        bi build1
        [ "$(box run --rm build1 cat bar)" = def ]
        [ "$(box run --rm build1 cat sub/aa)" = ghi ]
        [ "$(box run --rm build1 cat sub/cc)" = mno ]
        [ "$(box run --rm build1 cat baz)" = abc ]
        [ "$(box run --rm build1 cat bay)" = abc ]
        bi build2
        [ "$(box image inspect --format '{{.Id}}' build2)" = "$(box image inspect --format '{{.Id}}' build1)" ]
        printf "$d" "COPY baz/aa foo" > "$CTX/Dockerfile"
        bi build3
        put foo pqr
        bi build4
        [ "$(box run --rm build4 cat bay)" = pqr ]
        [ "$(box run --rm build4 cat baz)" = pqr ]
}

@test "TestBuildMultiStageCopyFromErrors" {
        put foo abc
        for tc in $'FROM busybox\nCOPY --from=foo foo bar|no such image: \'foo\'' \
                $'FROM busybox\nCOPY --from=0 foo bar|circular dependency detected on stage: 0' \
                $'FROM busybox AS foo\nCOPY --from=bar foo bar|no such image: \'bar\'' \
                $'FROM busybox AS 1\nCOPY --from=1 foo bar|invalid name for build stage'; do
                df "${tc%|*}"
                run box build -t t "$CTX"
                [ "$status" -ne 0 ]
                [[ "$output" == *"${tc#*|}"* ]] || { echo "$output"; false; }
        done
}

@test "TestBuildMultiStageMultipleBuilds, TestBuildMultiStageImplicitFrom, TestBuildMultiStageNameVariants" {
        df $'\n\t\tFROM busybox\n\t\tCOPY foo bar'
        put foo abc
        bi build1
        df $'\n\t\tFROM build1:latest AS foo\n    FROM busybox\n\t\tCOPY --from=foo bar /\n\t\tCOPY foo /'
        put foo def
        bi build2
        [ "$(box run --rm build2 cat bar)" = abc ]
        [ "$(box run --rm build2 cat foo)" = def ]
        df $'\n\t\tFROM busybox\n\t\tCOPY --from=busybox /etc/passwd /mypasswd\n\t\tRUN cmp /etc/passwd /mypasswd'
        bi t
        df $'\n\t\tFROM busybox as foo\n\t\tCOPY foo /\n\t\tFROM foo as foo1\n\t\tRUN echo 1 >> foo\n\t\tFROM foo as foO2\n\t\tRUN echo 2 >> foo\n\t\tFROM foo\n\t\tCOPY --from=foo1 foo f1\n\t\tCOPY --from=FOo2 foo f2\n\t\t'
        put foo bar
        bi t
        [ "$(box run --rm t cat foo)" = bar ]
        [ "$(box run --rm t cat f1)" = $'bar1' ]
        [ "$(box run --rm t cat f2)" = $'bar2' ]
}

@test "TestBuildMultiStageResetScratch, TestBuildIntermediateTarget" {
        df $'\n\t\tFROM busybox\n\t\tWORKDIR /foo/bar\n\t\tFROM scratch\n\t\tENV FOO=bar\n\t\t'
        bi t
        [ "$(box image inspect --format '{{.Config.WorkingDir}}' t)" = "" ]
        df $'\n\t\tFROM busybox AS build-env\n\t\tCMD ["/dev"]\n\t\tFROM busybox\n\t\tCMD ["/dist"]\n\t\t'
        for tg in build-env BUIld-EnV; do
                run box build -q -t t --target "$tg" "$CTX"
                [ "$status" -eq 0 ]
                [ "$(field t Config.Cmd)" = '["/dev"]' ]
        done
        run box build -q -t t --target nosuchtarget "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"target stage 'nosuchtarget' could not be found"* ]]
}

@test "TestBuildOpaqueDirectory, TestBuildCopyFileDotWithWorkdir" {
        df $'\n\t\tFROM busybox\n\t\tRUN mkdir /dir1 && touch /dir1/f1\n\t\tRUN rm -rf /dir1 && mkdir /dir1 && touch /dir1/f2\n\t\tRUN touch /dir1/f3\n\t\tRUN [ -f /dir1/f2 ]\n\t\t'
        bi t
        [ "$(box run --rm t ls /dir1)" = $'f2\nf3' ]
        df $'FROM busybox\nWORKDIR /foo\nCOPY file .\nRUN ["cat", "/foo/file"]'
        put file content
        bi t
}

@test "TestBuildWorkdirImageCmd, TestBuildWorkdirCmd, TestBuildSetCommandWithDefinedShell" {
        # Docker Hub's busybox has CMD ["sh"]; the local one has none
        df $'FROM busybox\nCMD ["sh"]'
        bi bbsh
        df $'\nFROM bbsh\nWORKDIR /foo/bar\n'
        bi t
        [ "$(field t Config.Cmd)" = '["sh"]' ]
        df $'\nFROM bbsh\nWORKDIR /foo/bar\nLABEL a=b\n'
        bi t
        [ "$(field t Config.Cmd)" = '["sh"]' ]
        df $'\n                FROM busybox\n                WORKDIR /\n                '
        bi t
        run box build -t t "$CTX"
        [ "$status" -eq 0 ]
        [ "$(grep -c CACHED <<<"$output")" = 1 ]
        df $'\nFROM busybox\nSHELL ["/bin/sh", "-c"]\n'
        bi build1
        df $'\nFROM build1\nCMD echo foo\n'
        bi build2
        [ "$(field build2 Config.Cmd)" = '["/bin/sh","-c","echo foo"]' ]
}

@test "TestBuildLineErrorOnBuild, ...UnknownInstruction, ...WithEmptyLines, ...WithComments" {
        for tc in $'FROM busybox\n  ONBUILD\n  |Dockerfile:2: ONBUILD requires at least one argument' \
                $'FROM busybox\n  RUN echo hello world\n  NOINSTRUCTION echo ba\n  RUN echo hello\n  ERROR\n  |Dockerfile:3: unknown instruction \'NOINSTRUCTION\'' \
                $'\n  FROM busybox\n  RUN echo hello world\n  NOINSTRUCTION echo ba\n  CMD ["/bin/init"]\n  |Dockerfile:4: unknown instruction \'NOINSTRUCTION\'' \
                $'FROM busybox\n  # This will print hello world\n  # and then ba\n  RUN echo hello world\n  NOINSTRUCTION echo ba\n  |Dockerfile:5: unknown instruction \'NOINSTRUCTION\''; do
                df "${tc%|*}"
                run box build -t t "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"${tc#*|}"* ]] || { echo "$output"; false; }
        done
}

@test "TestBuildIidFile, TestBuildIidFileCleanupOnFail" {
        df $'FROM busybox AS stage1\nENV FOO FOO1\nFROM busybox\nENV BAR BAZ'
        run box build -q -t t --iidfile "$BOX_TEST_TMP/iid" "$CTX"
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/iid")" = "$(box image inspect --format '{{.Id}}' t)" ]
        echo Dummy > "$BOX_TEST_TMP/iid"
        df $'FROM busybox\n\tRUN /non/existing/command'
        run box build -t t --iidfile "$BOX_TEST_TMP/iid" "$CTX"
        [ "$status" -eq 1 ]
        [ ! -e "$BOX_TEST_TMP/iid" ]
        # only a regular file is removed: a link (as /dev/stdout is) stays
        echo Dummy > "$BOX_TEST_TMP/real"
        ln -s "$BOX_TEST_TMP/real" "$BOX_TEST_TMP/link"
        run box build -t t --iidfile "$BOX_TEST_TMP/link" "$CTX"
        [ "$status" -eq 1 ]
        [ -L "$BOX_TEST_TMP/link" ]
        [ "$(cat "$BOX_TEST_TMP/real")" = Dummy ]
}

# ---- moby/buildkit frontend/dockerfile/dockerfile_args_test.go ----

# out NAME [FLAGS...]: builds the context with -o type=local into $BOX_TEST_TMP/NAME
out() {
        local n=$1
        shift
        rm -rf "$BOX_TEST_TMP/$n"
        run box build -q "$@" -o "type=local,dest=$BOX_TEST_TMP/$n" "$CTX"
}

@test "buildkit testGlobalArg, testGlobalArgErrors, testArgDefaultExpansion" {
        df $'\nARG tag=nosuchtag\nFROM busybox:$tag\n'
        run box build -q -t t --build-arg tag=latest "$CTX"
        [ "$status" -eq 0 ]
        df $'\nARG FOO=${FOO:?"custom error"}\nFROM busybox\n'
        run box build -q -t t "$CTX"
        [ "$status" -ne 0 ]
        [[ "$output" == *"FOO: custom error"* ]]
        run box build -q -t t --build-arg FOO=bar "$CTX"
        [ "$status" -eq 0 ]
        df $'\nFROM scratch\nARG FOO\nARG BAR=${FOO:?"foo missing"}\n'
        run box build -q -t t "$CTX"
        [ "$status" -ne 0 ]
        [[ "$output" == *"FOO: foo missing"* ]]
        run box build -q -t t --build-arg FOO=123 "$CTX"
        [ "$status" -eq 0 ]
        run box build -q -t t --build-arg BAR=123 "$CTX"
        [ "$status" -eq 0 ]
}

@test "buildkit testMultiArgs, testQuotedMetaArgs" {
        df $'\nARG a1="foo bar" a2=box\nARG a3="$a2-foo"\nFROM busy$a2 AS build\nARG a3 a4="123 456" a1\nRUN echo -n "$a1:$a3:$a4" > /out\nFROM scratch\nCOPY --from=build /out .\n'
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/out")" = "foo bar:box-foo:123 456" ]
        df $'\nARG a1="box"\nARG a2="$a1-foo"\nFROM busy$a1 AS build\nARG a2\nARG a3="bar-$a2"\nRUN echo -n $a3 > /out\nFROM scratch\nCOPY --from=build /out .\n'
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/out")" = "bar-box-foo" ]
}

@test "buildkit testTargetStageNameArg" {
        d=$'\nFROM busybox AS base\nWORKDIR /out\nRUN echo -n "value:$TARGETSTAGE" > /out/first\nARG TARGETSTAGE\nRUN echo -n "value:$TARGETSTAGE" > /out/second\nFROM scratch AS foo\nCOPY --from=base /out/ /\nFROM scratch\nCOPY --from=base /out/ /\n'
        df "$d"
        out o --target foo
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/first")" = "value:" ]
        [ "$(cat "$BOX_TEST_TMP/o/second")" = "value:foo" ]
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/second")" = "value:default" ]
        df "$d"$'\n\tFROM scratch AS final\n\tCOPY --from=base /out/ /\n\t'
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/first")" = "value:" ]
        [ "$(cat "$BOX_TEST_TMP/o/second")" = "value:final" ]
}

@test "buildkit testBuiltinArgs" {
        df $'\nFROM busybox AS build\nARG FOO\nARG BAR\nARG BAZ=bazcontent\nRUN echo -n $HTTP_PROXY::$NO_PROXY::$FOO::$BAR::$BAZ > /out\nFROM scratch\nCOPY --from=build /out /\n'
        out o --build-arg FOO=foocontents --build-arg http_proxy=hpvalue --build-arg NO_PROXY=npvalue
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/out")" = "hpvalue::npvalue::foocontents::::bazcontent" ]
        # a changed proxy value alone hits the old cache
        out o --build-arg FOO=foocontents --build-arg http_proxy=hpvalue2
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/out")" = "hpvalue::npvalue::foocontents::::bazcontent" ]
        out o --build-arg FOO=foocontents2 --build-arg http_proxy=hpvalue2
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/out")" = "hpvalue2::::foocontents2::::bazcontent" ]
}

@test "buildkit testDefaultEnvWithArgs" {
        df $'\nARG image=idlebox\nFROM busy${image#idle} AS build\nARG my_arg\nENV my_arg "my_arg=${my_arg:-def_val}"\nENV my_trimmed_arg "${my_arg%%e*}"\nCOPY myscript.sh myscript.sh\nRUN ./myscript.sh $my_arg $my_trimmed_arg\nFROM scratch\nCOPY --from=build /out /out\n'
        put myscript.sh $'\n#!/usr/bin/env sh\necho -n $my_arg $* > /out\n'
        chmod 700 "$CTX/myscript.sh"
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/out")" = "my_arg=def_val my_arg=def_val my_arg=d" ]
        out o --build-arg my_arg=
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/out")" = "my_arg=def_val my_arg=def_val my_arg=d" ]
        out o --build-arg my_arg=override
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/out")" = "my_arg=override my_arg=override my_arg=ov" ]
}

@test "buildkit testEmptyStringArgInEnv, testEnvEmptyFormatting" {
        df $'\nFROM busybox AS build\nARG FOO\nARG BAR=\nRUN env > env.txt\nFROM scratch\nCOPY --from=build env.txt .\n'
        out o
        [ "$status" -eq 0 ]
        grep -q '^BAR=$' "$BOX_TEST_TMP/o/env.txt"
        ! grep -q '^FOO=' "$BOX_TEST_TMP/o/env.txt"
        df $'\nFROM busybox AS build\nENV myenv foo%sbar\nRUN [ "$myenv" = \'foo%sbar\' ]\n'
        bi t
}

# ---- moby/buildkit frontend/dockerfile/dockerfile_heredoc_test.go ----

# The local busybox has awk in /usr/bin (Docker Hub's: /bin) and no adduser:
# those lines differ from upstream's.

# is_file PATH CONTENT: PATH holds exactly CONTENT (trailing newlines count)
is_file() {
        printf '%s' "$2" | cmp - "$1" || { echo "$1: $(od -c "$1" | head -3)"; return 1; }
}

@test "buildkit testCopyHeredoc" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox AS build

RUN echo user:x:4321:4321::/home/user:/bin/sh >> /etc/passwd && echo user:x:4321: >> /etc/group
WORKDIR /dest

COPY <<EOF single
single file
EOF

COPY <<EOF <<EOF2 double/
first file
EOF
second file
EOF2

RUN mkdir -p /permfiles
COPY --chmod=777 <<EOF /permfiles/all
dummy content
EOF
COPY --chmod=0644 <<EOF /permfiles/rw
dummy content
EOF
COPY --chown=user:user <<EOF /permfiles/owned
dummy content
EOF
RUN stat -c "%04a" /permfiles/all >> perms && \
	stat -c "%04a" /permfiles/rw >> perms && \
	stat -c "%U:%G" /permfiles/owned >> perms

FROM scratch
COPY --from=build /dest /
DF
        out o
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        is_file "$BOX_TEST_TMP/o/single" $'single file\n'
        is_file "$BOX_TEST_TMP/o/double/EOF" $'first file\n'
        is_file "$BOX_TEST_TMP/o/double/EOF2" $'second file\n'
        is_file "$BOX_TEST_TMP/o/perms" $'0777\n0644\nuser:user\n'
}

@test "buildkit testCopyHeredocSpecialSymbols" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM scratch

COPY <<EOF quotefile
"quotes in file"
EOF

COPY <<EOF slashfile1
\
EOF
COPY <<EOF slashfile2
\\
EOF
COPY <<EOF slashfile3
\$
EOF

COPY <<"EOF" rawslashfile1
\
EOF
COPY <<"EOF" rawslashfile2
\\
EOF
COPY <<"EOF" rawslashfile3
\$
EOF
DF
        out o
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        is_file "$BOX_TEST_TMP/o/quotefile" $'"quotes in file"\n'
        is_file "$BOX_TEST_TMP/o/slashfile1" $'\n'
        is_file "$BOX_TEST_TMP/o/slashfile2" $'\\\n'
        is_file "$BOX_TEST_TMP/o/slashfile3" $'$\n'
        is_file "$BOX_TEST_TMP/o/rawslashfile1" $'\\\n'
        is_file "$BOX_TEST_TMP/o/rawslashfile2" $'\\\\\n'
        is_file "$BOX_TEST_TMP/o/rawslashfile3" $'\\$\n'
}

@test "buildkit testRunBasicHeredoc, testRunFakeHeredoc" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox AS build

RUN <<EOF
echo "i am" >> /dest
whoami >> /dest
EOF

FROM scratch
COPY --from=build /dest /dest
DF
        out o
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        is_file "$BOX_TEST_TMP/o/dest" $'i am\nroot\n'
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox AS build

SHELL ["/usr/bin/awk"]
RUN <<EOF
BEGIN {
	print "foo" > "/dest"
}
EOF

FROM scratch
COPY --from=build /dest /dest
DF
        out o
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        is_file "$BOX_TEST_TMP/o/dest" $'foo\n'
}

@test "buildkit testRunShebangHeredoc, testRunComplexHeredoc" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox AS build

WORKDIR /dest

RUN <<EOF
#!/usr/bin/awk -f
BEGIN {
	print "hello" >> "./out1"
	print "world" >> "./out1"
}
EOF

RUN <<-EOF
	#!/usr/bin/awk -f
	BEGIN {
		print "hello" >> "./out2"
		print "world" >> "./out2"
	}
EOF

RUN cat <<EOF1 | tr '[:upper:]' '[:lower:]' > ./out3; \
	cat <<EOF2 | tr '[:lower:]' '[:upper:]' > ./out4
hello WORLD
EOF1
HELLO world
EOF2

RUN <<EOF 3<<IN1 4<<IN2 awk -f -
BEGIN {
	while ((getline line < "/proc/self/fd/3") > 0)
		print tolower(line) > "./fd3"
	while ((getline line < "/proc/self/fd/4") > 0)
		print toupper(line) > "./fd4"
}
EOF
hello WORLD
IN1
HELLO world
IN2

FROM scratch
COPY --from=build /dest /
DF
        out o
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        is_file "$BOX_TEST_TMP/o/out1" $'hello\nworld\n'
        is_file "$BOX_TEST_TMP/o/out2" $'hello\nworld\n'
        is_file "$BOX_TEST_TMP/o/out3" $'hello world\n'
        is_file "$BOX_TEST_TMP/o/out4" $'HELLO WORLD\n'
        is_file "$BOX_TEST_TMP/o/fd3" $'hello world\n'
        is_file "$BOX_TEST_TMP/o/fd4" $'HELLO WORLD\n'
}

@test "buildkit testHeredocIndent" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox AS build

COPY <<EOF /dest/foo-copy
	foo
EOF

COPY <<-EOF /dest/bar-copy
	bar
EOF

RUN <<EOF
echo "
	foo" > /dest/foo-run
EOF

RUN <<-EOF
echo "
	bar" > /dest/bar-run
EOF

RUN <<EOF
#!/bin/sh
echo "
	foo" > /dest/foo2-run
EOF

RUN <<-EOF
#!/bin/sh
echo "
	bar" > /dest/bar2-run
EOF

RUN <<EOF sh > /dest/foo3-run
echo "
	foo"
EOF

RUN <<-EOF sh > /dest/bar3-run
echo "
	bar"
EOF

FROM scratch
COPY --from=build /dest /
DF
        out o
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        for f in foo-copy:$'\tfoo\n' foo-run:$'\n\tfoo\n' foo2-run:$'\n\tfoo\n' foo3-run:$'\n\tfoo\n' \
                bar-copy:$'bar\n' bar-run:$'\nbar\n' bar2-run:$'\nbar\n' bar3-run:$'\nbar\n'; do
                is_file "$BOX_TEST_TMP/o/${f%%:*}" "${f#*:}"
        done
}

@test "buildkit testHeredocVarSubstitution" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox as build

ARG name=world

COPY <<EOF /dest/c1
Hello ${name}!
EOF
COPY <<'EOF' /dest/c2
Hello ${name}!
EOF
COPY <<"EOF" /dest/c3
Hello ${name}!
EOF

COPY <<EOF /dest/q1
Hello '${name}'!
EOF
COPY <<EOF /dest/q2
Hello "${name}"!
EOF
COPY <<'EOF' /dest/qsingle1
Hello '${name}'!
EOF
COPY <<'EOF' /dest/qsingle2
Hello "${name}"!
EOF
COPY <<"EOF" /dest/qdouble1
Hello '${name}'!
EOF
COPY <<"EOF" /dest/qdouble2
Hello "${name}"!
EOF

RUN <<EOF
greeting="Hello"
echo "${greeting} ${name}!" > /dest/r1
EOF
RUN <<EOF
name="new world"
echo "Hello ${name}!" > /dest/r2
EOF

FROM scratch
COPY --from=build /dest /
DF
        out o
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        o=$BOX_TEST_TMP/o
        is_file $o/c1 $'Hello world!\n'
        is_file $o/c2 $'Hello ${name}!\n'
        is_file $o/c3 $'Hello ${name}!\n'
        is_file $o/q1 $'Hello \'world\'!\n'
        is_file $o/q2 $'Hello "world"!\n'
        is_file $o/qsingle1 $'Hello \'${name}\'!\n'
        is_file $o/qsingle2 $'Hello "${name}"!\n'
        is_file $o/qdouble1 $'Hello \'${name}\'!\n'
        is_file $o/qdouble2 $'Hello "${name}"!\n'
        is_file $o/r1 $'Hello world!\n'
        is_file $o/r2 $'Hello new world!\n'
}

# ---- moby/buildkit frontend/dockerfile/dockerfile_copy_test.go, _parents_, _workdir_ ----

@test "buildkit testEmptyDestDir, testPreserveDestDirSlash, testCopyLinkDotDestDir, testCopyLinkEmptyDestDir" {
        put testfile contents0
        chmod 600 "$CTX/testfile"
        for d in $'FROM busybox\nENV empty=""\nCOPY testfile $empty\nRUN [ "$(cat testfile)" == "contents0" ]' \
                $'FROM busybox\nCOPY testfile /sample/\nRUN [ "$(cat /sample/testfile)" == "contents0" ]' \
                $'FROM busybox\nWORKDIR /var/www\nCOPY --link testfile .\nRUN [ "$(cat testfile)" == "contents0" ]' \
                $'FROM busybox\nWORKDIR /var/www\nENV empty=""\nCOPY --link testfile $empty\nRUN [ "$(cat testfile)" == "contents0" ]'; do
                df "$d"
                bi t
        done
}

@test "buildkit testCopyWildcardCache, testEmptyWildcard" {
        df $'FROM busybox AS base\nCOPY foo* files/\nRUN cat /dev/urandom | head -c 100 | sha256sum > unique\nCOPY bar files/\nFROM scratch\nCOPY --from=base unique /'
        put foo1 foo1-data; put foo2 foo2-data; put bar bar-data
        out o
        [ "$status" -eq 0 ]
        u1=$(cat "$BOX_TEST_TMP/o/unique")
        # a file the wildcard does not match changes nothing before its COPY
        put bar bar-data-mod
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/unique")" = "$u1" ]
        df $'FROM scratch\nCOPY foo nomatch* /'
        put foo contents0
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/foo")" = contents0 ]
}

@test "buildkit testCopyThroughSymlinkContext, testCopyThroughSymlinkMultiStage, testCopyFollowAllSymlinks" {
        mkdir -p "$CTX/sub"
        put sub/foo contents
        ln -s sub "$CTX/link"
        df $'FROM scratch\nCOPY link/foo .'
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/foo")" = contents ]
        df $'FROM busybox AS build\nRUN mkdir -p /out/sub && ln -s /out/sub /sub && ln -s out/sub /sub2 && echo -n "data" > /sub/foo\nFROM scratch\nCOPY --from=build /sub/foo .\nCOPY --from=build /sub2/foo bar'
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/foo")" = data ]
        [ "$(cat "$BOX_TEST_TMP/o/bar")" = data ]
        rm -rf "$CTX"/*
        put bar bar-contents
        mkdir "$CTX/foo"
        ln -s ../bar "$CTX/foo/sub"
        df $'FROM scratch\nCOPY foo /\nCOPY foo/sub bar'
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/bar")" = bar-contents ]
}

@test "buildkit testCopySymlinks" {
        put bar bar-contents
        ln -s bar "$CTX/foo"
        mkdir "$CTX/sub"
        put sub/lfile lfile-contents
        ln -s subfile "$CTX/sub/l0"
        put sub/subfile subfile-contents
        ln -s second "$CTX/sub/l1"
        ln -s baz "$CTX/sub/second"
        put sub/baz baz-contents
        df $'FROM scratch\nCOPY foo /\nCOPY sub/l* alllinks/'
        out o
        [ "$status" -eq 0 ]
        o=$BOX_TEST_TMP/o
        [ "$(cat $o/foo)" = bar-contents ]
        [ "$(cat $o/alllinks/l0)" = subfile-contents ]
        [ "$(cat $o/alllinks/lfile)" = lfile-contents ]
        [ "$(cat $o/alllinks/l1)" = baz-contents ]
}

@test "buildkit testCopyChown, testCopyChownCreateDest" {
        put foo foo-contents
        mkdir "$CTX/bar"
        : > "$CTX/bar/sub"
        # the local busybox has no group nobody (Docker Hub's has)
        df $'FROM busybox AS base\nENV owner 1000\nRUN echo nobody:x:4444: >> /etc/group\nRUN mkdir -m 0777 /out\nCOPY --chown=daemon foo /\nCOPY --chown=1000:nobody bar /baz\nARG group\nCOPY --chown=${owner}:${group} foo /foobis\nRUN stat -c "%U %G" /foo  > /out/fooowner\nRUN stat -c "%u %G" /baz/sub  > /out/subowner\nRUN stat -c "%u %G" /foobis  > /out/foobisowner\nFROM scratch\nCOPY --from=base /out /'
        out o --build-arg group=nobody
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        is_file "$BOX_TEST_TMP/o/fooowner" $'daemon daemon\n'
        is_file "$BOX_TEST_TMP/o/subowner" $'1000 nobody\n'
        is_file "$BOX_TEST_TMP/o/foobisowner" $'1000 nobody\n'
        df $'FROM busybox\nARG group\nENV owner user01\nRUN echo user:x:4321:4321::/:/bin/sh >> /etc/passwd && echo user:x:4321: >> /etc/group\nRUN echo user01:x:4322:4322::/:/bin/sh >> /etc/passwd && echo user01:x:4322: >> /etc/group\nCOPY --chown=user:user . /dest\nCOPY --chown=${owner}:${group} . /dest01\nRUN [ "$(stat -c "%U %G" /dest)" == "user user" ]\nRUN [ "$(stat -c "%U %G" /dest01)" == "user01 user" ]'
        run box build -q -t t --build-arg group=user "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "buildkit testCopyChmod, testCopyInvalidChmod" {
        put foo foo-contents
        chmod 600 "$CTX/foo"
        put bar bar-contents
        chmod 700 "$CTX/bar"
        df $'FROM busybox AS base\n\nRUN mkdir -m 0777 /out\nCOPY --chmod=0644 foo /\nCOPY --chmod=777 bar /baz\nCOPY --chmod=0 foo /foobis\nCOPY --chmod=777 foo /parent/foo\nCOPY --chmod=770 foo /parent/sub/foo\n\nARG mode\nCOPY --chmod=${mode} foo /footer\n\nRUN stat -c "%04a" /foo  > /out/fooperm\nRUN stat -c "%04a" /baz  > /out/barperm\nRUN stat -c "%04a" /foobis  > /out/foobisperm\nRUN stat -c "%04a" /parent  > /out/parentperm\nRUN stat -c "%04a" /parent/sub  > /out/subparentperm\nRUN stat -c "%04a" /footer  > /out/footerperm\nFROM scratch\nCOPY --from=base /out /'
        out o --build-arg mode=755
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        o=$BOX_TEST_TMP/o
        is_file $o/fooperm $'0644\n'
        is_file $o/barperm $'0777\n'
        is_file $o/foobisperm $'0000\n'
        is_file $o/parentperm $'0755\n'
        is_file $o/subparentperm $'0755\n'
        is_file $o/footerperm $'0755\n'
        for m in 64a 10000; do
                df "FROM scratch
COPY --chmod=$m foo /"
                run box build -q "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"invalid chmod parameter: '$m'. it should be octal string and between 0 and 07777"* ]]
        done
}

@test "buildkit testCopyOverrideFiles, testCopyVarSubstitution, testCopyWildcards" {
        mkdir -p "$CTX/sub/dir1/dir2" "$CTX/files"
        put sub/dir1/dir2/foo foo-contents
        put files/foo.go foo.go-contents
        df $'FROM scratch AS base\nCOPY sub sub\nCOPY sub sub\nCOPY files/foo.go dest/foo.go\nCOPY files/foo.go dest/foo.go\nCOPY files dest'
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/sub/dir1/dir2/foo")" = foo-contents ]
        [ "$(cat "$BOX_TEST_TMP/o/dest/foo.go")" = foo.go-contents ]
        # the same layer twice in one image: box's overlay listed its
        # directory twice (ELOOP), so no step after it could run, nor the image
        df $'FROM busybox\nCOPY sub sub\nCOPY sub sub\nRUN ls /sub/dir1/dir2/foo'
        bi dup
        [ "$(box run --rm dup cat /sub/dir1/dir2/foo)" = foo-contents ]
        rm -rf "$CTX/files"
        put bar bar-contents
        df $'FROM scratch AS base\nENV FOO bar\nCOPY $FOO baz'
        out o
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/o/baz")" = bar-contents ]
        rm "$CTX/bar"
        put foo.go foo-contents; put bar.go bar-contents
        df $'FROM scratch AS base\nCOPY *.go /gofiles/\nCOPY f*.go foo2.go\nCOPY sub/* /subdest/\nCOPY sub/*/dir2/foo /subdest2/\nCOPY sub/*/dir2/foo /subdest3/bar\nCOPY . all/\nCOPY sub/dir1/ subdest4\nCOPY sub/dir1/. subdest5\nCOPY sub/dir1 subdest6'
        out o
        [ "$status" -eq 0 ]
        o=$BOX_TEST_TMP/o
        [ "$(cat $o/gofiles/foo.go)" = foo-contents ]
        [ "$(cat $o/gofiles/bar.go)" = bar-contents ]
        [ "$(cat $o/foo2.go)" = foo-contents ]
        [ "$(cat $o/subdest/dir2/foo)" = foo-contents ]
        [ "$(cat $o/subdest2/foo)" = foo-contents ]
        [ "$(cat $o/subdest3/bar)" = foo-contents ]
        [ "$(cat $o/all/foo.go)" = foo-contents ]
        [ "$(cat $o/subdest4/dir2/foo)" = foo-contents ]
        [ "$(cat $o/subdest5/dir2/foo)" = foo-contents ]
        [ "$(cat $o/subdest6/dir2/foo)" = foo-contents ]
}

@test "buildkit testCopyUnicodePath" {
        put 'test-äöü.txt' foo; put 'test-%C3%A4%C3%B6%C3%BC.txt' bar; put 'test+aou.txt' baz
        df $'FROM busybox\nCOPY test-äöü.txt /\nCOPY test-%C3%A4%C3%B6%C3%BC.txt /\nCOPY test+aou.txt /'
        bi t
        [ "$(box run --rm t cat /test-äöü.txt /test-%C3%A4%C3%B6%C3%BC.txt /test+aou.txt)" = foobarbaz ]
}

@test "buildkit testCopyParents" {
        mkdir -p "$CTX/foo1/foo2"
        put foo1/foo2/bar testing; put foo1/foo2/baz testing2
        df $'FROM scratch\nCOPY --parents foo1/foo2/bar /\n\nWORKDIR /test\nCOPY --parents foo1/foo2/ba* .'
        out o
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [ "$(cat "$BOX_TEST_TMP/o/foo1/foo2/bar")" = testing ]
        [ "$(cat "$BOX_TEST_TMP/o/test/foo1/foo2/bar")" = testing ]
        [ "$(cat "$BOX_TEST_TMP/o/test/foo1/foo2/baz")" = testing2 ]
}

@test "buildkit testWorkdirCreatesDir, testWorkdirUser, testWorkdirExists, testWorkdirCopyIgnoreRelative" {
        df $'FROM scratch\nWORKDIR /foo\nWORKDIR /'
        out o
        [ "$status" -eq 0 ]
        [ -d "$BOX_TEST_TMP/o/foo" ]
        df $'FROM busybox\nRUN echo user:x:4321:4321::/:/bin/sh >> /etc/passwd && echo user:x:4321: >> /etc/group\nUSER user\nWORKDIR /mydir\nRUN [ "$(stat -c "%U %G" /mydir)" == "user user" ]'
        bi t
        df $'FROM busybox\nRUN echo user:x:4321:4321::/:/bin/sh >> /etc/passwd && echo user:x:4321: >> /etc/group\nRUN mkdir /mydir && chown user:user /mydir\nWORKDIR /mydir\nRUN [ "$(stat -c "%U %G" /mydir)" == "user user" ]'
        bi t
        df $'FROM busybox AS base\nWORKDIR /foo\nCOPY Dockerfile /\nFROM busybox\n# relative path still loaded as absolute\nCOPY --from=base Dockerfile .'
        bi t
        box run --rm t cat /Dockerfile >/dev/null
}
