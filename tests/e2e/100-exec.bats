#!/usr/bin/env bats
# box exec: a process joins a running container's namespaces, cgroup and
# confinement; exit codes as Docker's; nothing of box reaches inside.
load exec-helpers

setup() {
        run_setup
        start_bg c1 -- sleep 1000
}
teardown() { exec_teardown; }

@test "exec: sees the container's hostname, pid namespace and no host process" {
        run box exec c1 hostname
        [ "$status" -eq 0 ]
        [ "$output" = "$(container_id c1 | cut -c1-12)" ]
        [ "$(box exec c1 cat /proc/1/cmdline | tr '\0' ' ')" = "sleep 1000 " ]
        # only the container's processes: pid 1 and ps itself
        run box exec c1 ps -o pid,comm
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 3 ]
        [[ "$output" != *box* ]]
        ! box exec c1 ls /proc | grep -qx "$$" || false
        # pid 1 and the shell itself: nothing of the host's hundreds.  (The
        # shell expands the glob: a pipeline's count raced with its own forks)
        run box exec c1 sh -c 'echo /proc/[0-9]* $$'
        [ "$status" -eq 0 ]
        set -- $output
        [ $# -eq 3 ]
        [ "$1 $2" = "/proc/1 /proc/$3" ]
}

@test "exec: joins the container's cgroup and mount namespace" {
        # in the container's cgroup namespace both are its root
        [ "$(box exec c1 cat /proc/self/cgroup)" = "$(box exec c1 cat /proc/1/cgroup)" ]
        ! box exec c1 cat /proc/self/cgroup | grep -v ':/$' || false
        box exec c1 sh -c 'echo hello > /tmp/f'
        [ "$(box exec c1 cat /tmp/f)" = hello ]
        # the same mount namespace as pid 1
        pid=$(container_pid c1)
        for ns in mnt pid uts ipc net cgroup; do
                [ "$(box exec c1 readlink /proc/self/ns/$ns)" = "$(readlink /proc/"$pid"/ns/$ns)" ]
        done
}

@test "exec: exit codes pass through; 126 cannot execute, 127 not found" {
        run box exec c1 sh -c 'exit 7'
        [ "$status" -eq 7 ]
        run -127 box exec c1 nosuchcmd
        [[ "$output" == *"executable file not found"* ]]
        run box exec c1 /etc/passwd
        [ "$status" -eq 126 ]
        run box exec c1 /tmp
        [ "$status" -eq 126 ]
        run box exec c1 sh -c 'kill -9 $$'
        [ "$status" -eq 137 ]
        run box exec -u nosuchuser c1 true
        [ "$status" -eq 126 ]
        [[ "$output" == *"unable to find user"* ]]
        run box exec -w /nonexistent c1 true
        [ "$status" -eq 126 ]
}

@test "exec: a container that is not running is 125 with one line" {
        box run --name done busybox true
        run box exec done true
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "box: error: container $(container_id done) is not running" ]]
        run box exec nosuch true
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such container"* ]]
        run box exec c1
        [ "$status" -eq 125 ]
}

@test "exec: the container's env, -e, --env-file, -u, -w" {
        run box exec c1 sh -c 'echo $PATH; echo $HOSTNAME'
        [ "${lines[0]}" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
        [ "${lines[1]}" = "$(container_id c1 | cut -c1-12)" ]
        printf 'A=from-file\nB=b\n' >"$BOX_TEST_TMP/env"
        FROMHOST=yes run box exec --env-file "$BOX_TEST_TMP/env" -e A=flag -e FROMHOST \
                c1 sh -c 'echo $A $B $FROMHOST'
        [ "$output" = "flag b yes" ]
        run box exec -u nobody -w /tmp c1 sh -c 'id -u; pwd; echo $HOME'
        [ "${lines[0]}" = 65534 ]
        [ "${lines[1]}" = /tmp ]
        run box exec -u 1234:5678 c1 id
        [[ "$output" == "uid=1234 gid=5678"* ]]
        run box exec -w relative c1 true
        [ "$status" -eq 125 ]
}

@test "exec: -i passes stdin, -t gives a pty of the container, -d returns at once" {
        run bash -c "echo piped | '$BOX' exec -i c1 cat"
        [ "$output" = piped ]
        # without -i stdin is the container's /dev/null
        run bash -c "echo piped | '$BOX' exec c1 cat"
        [ "$output" = "" ]
        run script -qec "'$BOX' exec -t c1 sh -c 'tty; echo \$TERM'" /dev/null
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == /dev/pts/* ]]
        [[ "${lines[1]}" == xterm* ]]
        # -d returns while its command still waits for a file made after:
        # no clock (SECONDS counted a second boundary crossed in 10 ms)
        run timeout 60 "$BOX" exec -d c1 sh -c 'while [ ! -f /tmp/go ]; do sleep 0.1; done; echo later > /tmp/bg'
        [ "$status" -eq 0 ]
        ! box exec c1 test -f /tmp/bg || false
        box exec c1 touch /tmp/go
        for _ in $(seq 100); do box exec c1 test -f /tmp/bg && break; sleep 0.1; done
        [ "$(box exec c1 cat /tmp/bg)" = later ]
}

@test "exec: --detach-keys is refused, not ignored (no daemon keeps an exec's terminal): one line, 125, nothing run" {
        for args in "--detach-keys ctrl-x,y -it" "--detach-keys= -t" "-i --detach-keys ctrl-p,ctrl-q"; do
                # shellcheck disable=SC2086
                run script -qec "'$BOX' exec $args c1 touch /tmp/ran" /dev/null
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == "box: error: exec --detach-keys is not supported: box has no daemon"* ]]
        done
        ! box exec c1 test -e /tmp/ran || false
}

@test "exec: the container's capabilities, seccomp filter and no_new_privs" {
        box exec c1 grep CapBnd /proc/1/status >"$BOX_TEST_TMP/pid1"
        [ "$(box exec c1 grep CapBnd /proc/self/status)" = "$(cat "$BOX_TEST_TMP/pid1")" ]
        [ "$(box exec c1 grep CapEff /proc/self/status)" = "CapEff:	00000000800405fb" ]
        [ "$(box exec c1 grep '^Seccomp:' /proc/self/status)" = "Seccomp:	2" ]
        [ "$(box exec c1 grep NoNewPrivs /proc/self/status)" = "NoNewPrivs:	0" ]
        # --privileged: more capabilities, the filter stays
        [ "$(box exec --privileged c1 grep CapEff /proc/self/status)" != "CapEff:	00000000800405fb" ]
        [ "$(box exec --privileged c1 grep '^Seccomp:' /proc/self/status)" = "Seccomp:	2" ]
        start_bg c2 --security-opt no-new-privileges --cap-drop ALL --cap-add CHOWN -- sleep 1000
        [ "$(box exec c2 grep NoNewPrivs /proc/self/status)" = "NoNewPrivs:	1" ]
        [ "$(box exec c2 grep CapEff /proc/self/status)" = "CapEff:	0000000000000001" ]
        start_bg c3 --security-opt seccomp=unconfined -- sleep 1000
        [ "$(box exec c3 grep '^Seccomp:' /proc/self/status)" = "Seccomp:	0" ]
        # and the container's rlimits
        start_bg c4 --ulimit nofile=100:200 -- sleep 1000
        [ "$(box exec c4 sh -c 'ulimit -n')" = 100 ]
}

@test "exec: a user-namespaced container is joined in its user namespace" {
        start_bg u1 --uidmap 0:200000:65536 -- sleep 1000
        run box exec u1 sh -c 'id -u; cat /proc/self/uid_map'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0 ]
        [[ "${lines[1]}" =~ ^\ +0\ +200000\ +65536$ ]]
        # container root is 200000 on the host
        box exec u1 sh -c 'echo x > /tmp/owned'
        [ "$(stat -c %u "$BOX_ROOT/containers/$(container_id u1)/upper/tmp/owned")" = 200000 ]
}

@test "exec, attacker: box's binary, fds and cwd stay out (CVE-2019-5736, CVE-2024-21626)" {
        # the process is the command, not box
        [ "$(box exec c1 readlink /proc/self/exe)" = /bin/busybox ]
        # box's own binary through /proc/self/exe cannot be executed inside
        run box exec c1 /proc/self/exe
        [ "$status" -eq 126 ]
        # only stdio is open in the new process
        run box exec c1 sh -c 'ls /proc/$$/fd; true'
        [ "$output" = "$(printf '0\n1\n2')" ]
        # a working directory through a magic link is refused
        run box exec -w /proc/self/fd/0 c1 true
        [ "$status" -eq 126 ]
        run box exec -w /proc/1/root/.. c1 pwd
        [ "$status" -eq 126 ]
        # a host file on box's stdin is passed through a pipe, not as the file
        echo secret >"$BOX_TEST_TMP/hostfile"
        run box exec -i c1 sh -c 'readlink /proc/self/fd/0' <"$BOX_TEST_TMP/hostfile"
        [[ "$output" == pipe:* ]]
        # each process that enters has its own Landlock domain: pid 1 and
        # the exec'd process cannot ptrace (or open /proc/PID/root of) each other
        run box exec c1 cat /proc/1/root/etc/hostname
        [ "$status" -ne 0 ]
}

@test "exec, attacker: a /dev/ptmx the container replaced is refused with -t" {
        box exec c1 sh -c 'rm /dev/ptmx && ln -s /dev/null /dev/ptmx'
        run script -qec "'$BOX' exec -t c1 true" /dev/null
        [ "$status" -ne 0 ]
        [[ "$output" == *"not the device 5:2"* ]]
        box exec c1 sh -c 'rm /dev/null && touch /dev/null'
        run box exec c1 true
        [ "$status" -eq 126 ]
        [[ "$output" == *"/dev/null"* ]]
}

@test "exec: a paused container is refused" {
        id=$(container_id c1)
        f=/sys/fs/cgroup/freezer/box/$id/freezer.state
        [ -e "$f" ] || skip "no v1 freezer"
        echo FROZEN >"$f"
        run box exec c1 true
        echo THAWED >"$f"
        [ "$status" -eq 125 ]
        [[ "$output" == *"is paused"* ]]
}
