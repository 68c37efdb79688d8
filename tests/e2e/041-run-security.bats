#!/usr/bin/env bats
# box run: capabilities, seccomp, masked and read-only paths, fds, and
# the container never reaching box's own binary.
load run-helpers

setup_file() { build_boxtest; }
setup() { run_setup; }
teardown() { run_teardown; }

caps_of() { # prints CapEff of a container run with the given flags
        box run --rm "$@" busybox sh -c 'grep CapEff /proc/self/status | cut -f2'
}

@test "security: Podman's default capability set, empty inheritable and ambient sets" {
        run box run --rm busybox grep ^Cap /proc/self/status
        [ "$status" -eq 0 ]
        # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
        # NET_BIND_SERVICE SYS_CHROOT SETFCAP; inheritable empty (CVE-2022-24769)
        [[ "$output" == *"CapInh:	0000000000000000"* ]]
        [[ "$output" == *"CapPrm:	00000000800405fb"* ]]
        [[ "$output" == *"CapEff:	00000000800405fb"* ]]
        [[ "$output" == *"CapBnd:	00000000800405fb"* ]]
        [[ "$output" == *"CapAmb:	0000000000000000"* ]]
}

@test "security: --cap-drop makes chown fail; names with or without CAP_" {
        run box run --rm busybox chown 1000 /tmp
        [ "$status" -eq 0 ]
        run box run --rm --cap-drop chown busybox chown 1000 /tmp
        [ "$status" -eq 1 ]
        [[ "$output" == *"Operation not permitted"* ]]
        run box run --rm --cap-drop CAP_CHOWN busybox chown 1000 /tmp
        [ "$status" -eq 1 ]
}

@test "security: --cap-drop ALL --cap-add, --cap-add ALL" {
        [ "$(caps_of --cap-drop ALL)" = "0000000000000000" ]
        [ "$(caps_of --cap-drop ALL --cap-add NET_RAW --cap-add cap_kill)" = "0000000000002020" ]
        [ "$(caps_of --cap-add SYS_ADMIN)" = "00000000802405fb" ]
        [ "$(caps_of --cap-add ALL --cap-drop MKNOD)" != "00000000800405fb" ]
        run box run --rm --cap-add NOPE busybox true
        [ "$status" -eq 125 ]
}

@test "security: a non-root user has no effective capabilities" {
        run box run --rm -u tester busybox sh -c 'grep CapEff /proc/self/status | cut -f2'
        [ "$output" = "0000000000000000" ]
}

@test "security: mknod fails (no CAP_MKNOD)" {
        run box run --rm busybox mknod /tmp/null c 1 3
        [ "$status" -ne 0 ]
        [[ "$output" == *"Operation not permitted"* ]]
}

@test "security: the default seccomp filter blocks keyctl and unshare -U" {
        run box run --rm -v "$BOXTEST:/boxtest:ro" busybox /boxtest keyctl
        [ "$status" -eq 1 ]
        [ "$output" = "keyctl: Operation not permitted" ]
        run box run --rm busybox unshare -U true
        [ "$status" -ne 0 ]
        [[ "$output" == *"Operation not permitted"* ]]
        run box run --rm --security-opt seccomp=unconfined -v "$BOXTEST:/boxtest:ro" busybox /boxtest keyctl
        [ "$status" -eq 0 ]
}

@test "security: a Docker-format seccomp profile" {
        cat >"$BOX_TEST_TMP/profile.json" <<'P'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
  ]
}
P
        run box run --rm --security-opt "seccomp=$BOX_TEST_TMP/profile.json" busybox mkdir /tmp/x
        [ "$status" -ne 0 ]
        [[ "$output" == *"Permission denied"* ]]
        echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$BOX_TEST_TMP/bad.json"
        run box run --rm --security-opt "seccomp=$BOX_TEST_TMP/bad.json" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"SCMP_ACT_NOPE"* ]]
}

@test "security: no-new-privileges" {
        run box run --rm busybox grep NoNewPrivs /proc/self/status
        [[ "$output" == *"0" ]]
        run box run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
        [[ "$output" == *"1" ]]
}

@test "security: masked paths are empty, read-only paths are read-only" {
        run box run --rm busybox sh -c 'for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do [ -e $f ] && wc -c < $f; done; ls /sys/firmware | wc -l; ls /sys/dev/block | wc -l'
        [ "$status" -eq 0 ]
        for l in "${lines[@]}"; do [ "$l" = "0" ]; done
        # podman's 400-unprivileged-access list: a masked file is /dev/null's
        # clone, a masked directory is empty (the host has /sys/dev/block)
        [ -n "$(ls /sys/dev/block)" ]
        run box run --rm busybox stat -c '%n:%F:%t:%T' /dev/null /proc/keys /sys/dev/block
        [ "${lines[1]}" = "/proc/keys:character special file:1:3" ]
        [ "${lines[2]}" = "/sys/dev/block:directory:0:0" ]
        run box run --rm busybox sh -c 'echo 1 > /proc/sys/vm/drop_caches'
        [ "$status" -ne 0 ]
        [[ "$output" == *"Read-only file system"* ]]
        run box run --rm busybox sh -c 'echo h > /proc/sysrq-trigger'
        [ "$status" -ne 0 ]
        run box run --rm busybox touch /sys/x
        [ "$status" -ne 0 ]
}

@test "security: --read-only root; /dev, /dev/shm and volumes stay writable" {
        run box run --rm --read-only busybox touch /x
        [ "$status" -ne 0 ]
        [[ "$output" == *"Read-only file system"* ]]
        run box run --rm --read-only --tmpfs /tmp busybox sh -c 'touch /tmp/x /dev/shm/x && echo ok'
        [ "$output" = "ok" ]
}

@test "security: --privileged has all capabilities and no seccomp" {
        run box run --rm --privileged -v "$BOXTEST:/boxtest:ro" busybox sh -c '/boxtest keyctl; mknod /tmp/n c 1 3 && echo mknod ok'
        [ "$status" -eq 0 ]
        [[ "$output" == *"keyctl: allowed"* ]]
        [[ "$output" == *"mknod ok"* ]]
        # the host's device nodes are there too
        run box run --rm --privileged busybox ls /dev
        [ "${#lines[@]}" -gt "$(box run --rm busybox ls /dev | wc -l)" ]
}

@test "security: no fd of box leaks into the container" {
        run sh -c "exec 7</etc/hostname 8>'$BOX_TEST_TMP/x'; '$BOX' run --rm -v '$BOXTEST:/boxtest:ro' busybox /boxtest fds"
        [ "$status" -eq 0 ]
        [ "$output" = "0 extra fds" ]
        run box run --rm -t -v "$BOXTEST:/boxtest:ro" busybox /boxtest fds
        [ "$status" -eq 0 ]
}

@test "security: cwd and root are the container's; no path leads to box's binary" {
        run box run --rm busybox sh -c 'readlink /proc/self/cwd; readlink /proc/1/cwd; readlink /proc/1/root'
        [ "${lines[0]}" = "/" ]
        [ "${lines[1]}" = "/" ]
        [ "${lines[2]}" = "/" ]
        # pid 1 is the container's own binary, never box
        run box run --rm busybox readlink /proc/1/exe
        [ "$output" = "/bin/busybox" ]
        # with --init, pid 1 runs box's code: it is not dumpable
        run box run --rm --init -v "$BOXTEST:/boxtest:ro" busybox /boxtest open /proc/1/exe
        [ "$status" -eq 1 ]
        [[ "$output" == *"Permission denied"* ]]
        run box run --rm --init busybox sh -c 'ls /proc/1/fd | tr "\n" " "; readlink /proc/1/fd/0'
        [ "$status" -ne 0 ]
        [ "${lines[0]}" = "0 1 2 " ]
}

@test "security: --ulimit within the hard limit; never above it" {
        run box run --rm --ulimit nofile=100:200 busybox sh -c 'ulimit -n; ulimit -Hn'
        [ "${lines[0]}" = "100" ]
        [ "${lines[1]}" = "200" ]
        hard=$(ulimit -Hn)
        run box run --rm --ulimit nofile=$((hard + 1)) busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"hard limit"* ]]
}
