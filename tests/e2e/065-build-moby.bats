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
