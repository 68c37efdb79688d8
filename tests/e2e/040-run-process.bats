#!/usr/bin/env bats
# box run: argv, environment, user, working directory, stdio and exit codes
# the way Docker has them.
load run-helpers

setup() { run_setup; }
teardown() { run_teardown; }

@test "run: the command's output and exit status 0" {
        run box run --rm busybox echo hello
        [ "$status" -eq 0 ]
        [ "$output" = "hello" ]
}

@test "run: exit codes 1 and 32 are the container's" {
        run box run --rm busybox false
        [ "$status" -eq 1 ]
        run box run --rm busybox sh -c 'exit 32'
        [ "$status" -eq 32 ]
}

@test "run: killed by SIGKILL gives 137" {
        run box run --rm --init busybox sh -c 'kill -9 $$'
        [ "$status" -eq 137 ]
}

@test "run: a bad flag or an unknown image is 125" {
        run box run --bogus busybox true
        [ "$status" -eq 125 ]
        run box run --rm nosuchimage true
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such image"* ]]
        run box run --rm -m lots busybox true
        [ "$status" -eq 125 ]
}

@test "run: command not found is 127 with one error line" {
        run -127 box run --rm busybox nosuchcmd
        [ "$status" -eq 127 ]
        [ "${#lines[@]}" -eq 1 ]
        [ "$output" = "box: error: exec: 'nosuchcmd': executable file not found in \$PATH" ]
        run -127 box run --rm busybox /nonexistent
        [ "$status" -eq 127 ]
}

@test "run: a directory or a file without exec bit is 126" {
        run box run --rm busybox /etc
        [ "$status" -eq 126 ]
        [[ "$output" == *"is a directory"* ]]
        run box run --rm busybox /etc/passwd
        [ "$status" -eq 126 ]
        [[ "$output" == *"permission denied"* ]]
}

@test "run: no ENTRYPOINT and no CMD is 127 'no command specified'" {
        run -127 box run --rm busybox
        [ "$output" = "box: error: no command specified" ]
}

@test "run: ENTRYPOINT + CMD, trailing args replace CMD" {
        import_with ep 'ENTRYPOINT ["echo", "ep"]' 'CMD ["cmd1", "cmd2"]'
        run box run --rm ep
        [ "$output" = "ep cmd1 cmd2" ]
        run box run --rm ep a b
        [ "$output" = "ep a b" ]
}

@test "run: --entrypoint overrides ENTRYPOINT and drops CMD; JSON form too" {
        import_with ep 'ENTRYPOINT ["echo", "ep"]' 'CMD ["cmd1"]'
        run box run --rm --entrypoint /bin/echo ep
        [ "$status" -eq 0 ]
        [ "$output" = "" ]
        run box run --rm --entrypoint /bin/echo ep x y
        [ "$output" = "x y" ]
        run box run --rm --entrypoint '["/bin/echo", "-n", "json"]' ep z
        [ "$output" = "json z" ]
        run box run --rm --entrypoint '' ep echo none
        [ "$output" = "none" ]
}

@test "run: shell-form CMD runs through /bin/sh -c" {
        import_with shell 'CMD echo from $0'
        run box run --rm shell
        [ "$output" = "from /bin/sh" ]
}

@test "run: default env has PATH, HOSTNAME, HOME; no TERM without -t" {
        run box run --rm --hostname hn busybox env
        [ "$status" -eq 0 ]
        [[ "$output" == *"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"* ]]
        [[ "$output" == *"HOSTNAME=hn"* ]]
        [[ "$output" == *"HOME=/root"* ]]
        [[ "$output" != *"TERM="* ]]
}

@test "run: env precedence image < --env-file < -e, and -e K takes box's value" {
        import_with envimg 'ENV A=image B=image C=image D=image'
        printf 'B=file\nC=file\n# a comment\n\n  E=file with spaces\nF\n' >"$BOX_TEST_TMP/env"
        F=from-box-env run box run --rm --env-file "$BOX_TEST_TMP/env" -e C=flag -e G \
                envimg sh -c 'echo "$A|$B|$C|$D|$E|$F|${G-unset}"'
        [ "$status" -eq 0 ]
        [ "$output" = "image|file|flag|image|file with spaces|from-box-env|unset" ]
}

@test "run: exotic env values: newlines, '=', '#', quotes" {
        run box run --rm -e 'EQ=a=b=c' -e 'HASH=#not a comment' -e "NL=line1
line2" -e "Q=\"'" busybox sh -c 'printf "%s|%s|%s|%s" "$EQ" "$HASH" "$NL" "$Q"'
        [ "$status" -eq 0 ]
        [ "$output" = "a=b=c|#not a comment|line1
line2|\"'" ]
}

@test "run: -u resolves names in the container's passwd and group" {
        # the primary gid is among the supplementary groups, as Docker's
        # daemon and podman set them (the kernel keeps the list sorted)
        run box run --rm -u tester busybox sh -c 'id; echo $HOME'
        [ "${lines[0]}" = "uid=1000(tester) gid=1000(tester) groups=10(wheel),100(users),1000(tester)" ]
        [ "${lines[1]}" = "/home/tester" ]
        run box run --rm -u tester:wheel busybox id -g
        [ "$output" = "10" ]
        run box run --rm -u 1000:100 --group-add wheel busybox id
        [ "$output" = "uid=1000(tester) gid=100(users) groups=10(wheel),100(users)" ]
}

@test "run and exec: the primary gid is a supplementary group too (Docker: 'run -u 1000:1000 busybox id' says groups=1000); a build's RUN has BuildKit's" {
        run box run --rm -u 4242:4243 busybox id
        [ "$output" = "uid=4242 gid=4243 groups=4243" ]
        run box run --rm busybox id
        [ "$output" = "uid=0(root) gid=0(root) groups=0(root),10(wheel)" ]
        box run -d --name grp -u 4242:4243 busybox sleep 60 >/dev/null
        run box exec grp sh -c 'grep ^Groups: /proc/self/status'
        [ "$(echo $output)" = "Groups: 4243" ]
        run box exec -u 0 grp sh -c 'grep ^Groups: /proc/self/status'
        [ "$(echo $output)" = "Groups: 0 10" ]
        box rm -f grp >/dev/null
        # BuildKit's RUN step: the ids, and only the user's groups
        mkdir -p "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nUSER 4242:4243\nRUN grep ^Groups: /proc/self/status > /tmp/g\nUSER root\nRUN cat /tmp/g; grep ^Groups: /proc/self/status >> /tmp/g\n' > "$BOX_TEST_TMP/ctx/Dockerfile"
        box build -t grpbuild "$BOX_TEST_TMP/ctx" >/dev/null 2>&1
        [ "$(box run --rm grpbuild cat /tmp/g | tr -s ' \t' ' ')" = $'Groups: \nGroups: 10 ' ]
}

@test "run: -u 100 (no passwd entry) gets gid 0 and HOME=/" {
        run box run --rm -u 100 busybox sh -c 'echo $(id -u):$(id -g) $HOME'
        [ "$output" = "100:0 /" ]
}

@test "run: an unknown user is one error line and 125" {
        run box run --rm -u nosuchuser busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: unable to find user 'nosuchuser': no matching entries in passwd file" ]
        run box run --rm --group-add nosuchgroup busybox true
        [ "$status" -eq 125 ]
}

@test "run: -w sets the working directory and creates it; WORKDIR too" {
        run box run --rm -w /new/dir busybox pwd
        [ "$output" = "/new/dir" ]
        import_with wd 'WORKDIR /made/by/image'
        run box run --rm wd pwd
        [ "$output" = "/made/by/image" ]
        run box run --rm -w relative busybox pwd
        [ "$status" -eq 125 ]
        run box run --rm --read-only -w /made/on/ro busybox pwd
        [ "$output" = "/made/on/ro" ]
}

@test "run: -w on a file fails with one line" {
        run box run --rm -w /etc/passwd busybox pwd
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"working directory '/etc/passwd'"* ]]
}

@test "run: USER from the image" {
        import_with usr 'USER tester'
        run box run --rm usr id -un
        [ "$output" = "tester" ]
        run box run --rm -u root usr id -un
        [ "$output" = "root" ]
}

@test "run: stdin only with -i" {
        run sh -c "echo piped | '$BOX' run --rm -i busybox cat"
        [ "$output" = "piped" ]
        run sh -c "echo piped | '$BOX' run --rm busybox cat"
        [ "$output" = "" ]
}

@test "run: -t gives a pty, TERM=xterm and /dev/console" {
        run box run --rm -t busybox sh -c 'tty; echo $TERM; ls -l /dev/console | cut -c1'
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "/dev/pts/0"* ]]
        [[ "${lines[1]}" == "xterm"* ]]
        [[ "${lines[2]}" == "c"* ]]
}

@test "run: -t exit status passes through" {
        run box run --rm -t busybox sh -c 'exit 3'
        [ "$status" -eq 3 ]
}

@test "run: signals sent to box reach the container's pid 1" {
        "$BOX" run --rm busybox sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
                >"$BOX_TEST_TMP/out" &
        local pid=$!
        for i in $(seq 300); do grep -q ready "$BOX_TEST_TMP/out" && break; sleep 0.1; done
        kill -TERM $pid
        wait $pid || status=$?
        [ "${status:-0}" -eq 7 ]
        grep -q "got TERM" "$BOX_TEST_TMP/out"
}

@test "run: a container starts with every signal's default action, whatever box was started ignoring" {
        # a script's `box run ... &` starts box with SIGINT and SIGQUIT
        # ignored, nohup with SIGHUP: Docker's containers never inherit that
        run sh -c "trap '' INT QUIT HUP PIPE; '$BOX' run --rm --network none busybox grep SigIgn /proc/self/status"
        echo "$output"
        [ "$output" = "$(printf 'SigIgn:\t0000000000000000')" ]
        # --init: its own process (pid 1) and the command's
        run sh -c "trap '' INT QUIT HUP PIPE; '$BOX' run --rm --network none --init busybox sh -c 'grep SigIgn /proc/self/status; grep SigIgn /proc/1/status'"
        echo "$output"
        [ "${lines[0]}" = "$(printf 'SigIgn:\t0000000000000000')" ]
        [ "${lines[1]}" = "$(printf 'SigIgn:\t0000000000000000')" ]
        box run -d --network none --name sigx busybox sleep 100 >/dev/null
        run sh -c "trap '' INT QUIT HUP; '$BOX' exec sigx grep SigIgn /proc/self/status"
        echo "$output"
        [ "$output" = "$(printf 'SigIgn:\t0000000000000000')" ]
        box rm -f sigx >/dev/null
        # podman's sig-proxy test: a background `box run -i` (SIGINT ignored
        # by the shell) proxies SIGINT to a shell that traps it
        "$BOX" run -i --network none --name sigp busybox sh -c 'trap "echo BYE; exit 0" INT; echo READY; while :; do sleep 0.1; done' \
                </dev/null >"$BOX_TEST_TMP/sigp" 2>&1 &
        local pid=$!
        for i in $(seq 300); do grep -q READY "$BOX_TEST_TMP/sigp" && break; sleep 0.1; done
        kill -INT $pid
        wait $pid || status=$?
        [ "${status:-0}" -eq 0 ]
        grep -q BYE "$BOX_TEST_TMP/sigp"
        box rm -f sigp >/dev/null
}

@test "run: --init is pid 1, reaps zombies and forwards signals" {
        run box run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
        [ "${lines[1]}" = "2" ]
        # an orphan that exits becomes init's child and is reaped
        run box run --rm --init busybox sh -c '(sleep 0.2 &) ; sleep 0.6; ps -o stat,comm | grep -c "^Z" || true'
        [ "${lines[-1]}" = "0" ]
}

@test "run: --init forwards box's signals to the command" {
        "$BOX" run --rm --init busybox sh -c 'echo ready; sleep 30' >"$BOX_TEST_TMP/out" &
        local pid=$!
        for i in $(seq 300); do grep -q ready "$BOX_TEST_TMP/out" && break; sleep 0.1; done
        kill -TERM $pid
        wait $pid || status=$?
        # sh is not pid 1 under --init, so TERM's default action kills it
        [ "${status:-0}" -eq 143 ]
}

@test "run: a container without -t has its own session" {
        run box run --rm busybox sh -c 'cut -d" " -f6,7 /proc/self/stat'
        [ "$output" = "1 0" ]
}

@test "run: hostname defaults to the short id; --hostname sets it" {
        run box run --rm busybox sh -c 'hostname; cat /etc/hostname'
        [[ "${lines[0]}" =~ ^[0-9a-f]{12}$ ]]
        [ "${lines[0]}" = "${lines[1]}" ]
        run box run --rm --hostname web1 busybox hostname
        [ "$output" = "web1" ]
}

@test "run: --rootfs DIR runs a plain directory" {
        mkdir "$BOX_TEST_TMP/root"
        tar -C "$BOX_TEST_TMP/root" -xf "$BUSYBOX_TAR"
        run box run --rm --rootfs "$BOX_TEST_TMP/root" sh -c 'echo hi from rootfs'
        [ "$status" -eq 0 ]
        [ "$output" = "hi from rootfs" ]
}

@test "run: -it through a real terminal: window size, tty, exit status" {
        command -v script >/dev/null || skip "no script(1)"
        run sh -c "printf 'stty size; tty\nexit 5\n' | script -qec 'stty rows 33 cols 77; $BOX run --rm -it busybox sh' /dev/null"
        [ "$status" -eq 5 ]
        [[ "$output" == *"33 77"* ]]
        [[ "$output" == *"/dev/pts/0"* ]]
}

@test "run: -it without a terminal on stdin is 125" {
        run sh -c "echo | '$BOX' run --rm -it busybox true"
        [ "$status" -eq 125 ]
        [[ "$output" == *"the input device is not a TTY"* ]]
}

@test "run: a Docker-format profile with archMap, args and includes" {
        cat >"$BOX_TEST_TMP/p.json" <<'P'
{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
 "syscalls": [
  {"names": ["read", "write", "exit", "exit_group", "execve", "brk", "mmap", "munmap", "arch_prctl",
             "set_tid_address", "rt_sigaction", "rt_sigprocmask", "getpid", "getppid", "ioctl",
             "fcntl", "close", "openat", "newfstatat", "fstat", "getuid", "geteuid", "prlimit64",
             "setgroups", "setresgid", "setresuid", "capget", "capset", "prctl", "uname",
             "getcwd", "wait4", "clone", "fork", "vfork", "dup2", "dup3", "lseek", "stat", "lstat",
             "access", "faccessat", "faccessat2", "getdents64", "rt_sigreturn", "sigaltstack",
             "set_robust_list", "rseq", "mprotect", "getgid", "getegid", "readlink", "umask",
             "chdir", "pipe", "pipe2", "statx", "sysinfo", "futex", "exit"],
   "action": "SCMP_ACT_ALLOW"},
  {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
   "args": [{"index": 0, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
  {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}}
 ]}
P
        run box run --rm --security-opt "seccomp=$BOX_TEST_TMP/p.json" busybox echo allowed
        [ "$status" -eq 0 ]
        [ "$output" = "allowed" ]
        run box run --rm --security-opt "seccomp=$BOX_TEST_TMP/p.json" busybox mkdir /x
        [ "$status" -ne 0 ]
}

@test "run: Docker's boolean flags take =true and =false (--rm=true, --privileged=false)" {
        run box run --rm=true --network none --privileged=false --read-only=true busybox \
                sh -c 'grep CapEff /proc/self/status; touch /x 2>&1 || echo ro'
        [ "$status" -eq 0 ]
        [[ "$output" == *"CapEff:	00000000"* ]] # not every capability
        [[ "$output" == *ro ]]
        [ -z "$(box ps -aq)" ] # --rm=true removed it
        box run --rm=false --name kept --network none busybox true
        [ "$(box ps -aq | wc -l)" -eq 1 ]
        run box run --rm=maybe --network none busybox true
        [ "$status" -eq 125 ]
        [ "${lines[0]}" = "box: error: invalid argument 'maybe' for '--rm': true or false" ]
}
