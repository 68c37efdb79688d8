#!/usr/bin/env bats
# Attacks on the container sandbox (issue 10): box's fds and binary must
# never be reachable from inside, read-only must stay read-only, masks must
# mask, and every security default must be as strict as Docker's/Podman's.
load run-helpers

setup_file() { build_boxtest; }
setup() {
        run_setup
        # a file of the host next to the store: a walk up from any directory
        # of the store passes it
        echo HOST-SECRET >"$BOX_TEST_TMP/HOST-MARKER"
}
teardown() { run_teardown; }

# Lists every directory from the working directory up, ten levels.
WALK_UP='for i in 1 2 3 4 5 6 7 8 9 10; do ls; cd ..; done'

@test "escape: -w /proc/self/fd/N never reaches the host (CVE-2024-21626)" {
        for n in $(seq 3 20); do
                run box run --rm -w "/proc/self/fd/$n" busybox sh -c "$WALK_UP"
                echo "fd $n: status $status"
                [[ "$output" != *HOST-MARKER* ]]
                [ "$status" -ne 0 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"working directory '/proc/self/fd/$n'"* ]]
        done
}

@test "escape: fds inherited from box's caller are closed before the working directory" {
        mkdir "$BOX_TEST_TMP/callerdir"
        run sh -c "exec 7<'$BOX_TEST_TMP/callerdir'; '$BOX' run --rm -w /proc/self/fd/7 busybox sh -c '$WALK_UP'"
        [[ "$output" != *HOST-MARKER* ]]
        [ "$status" -ne 0 ]
}

@test "escape: an image's WorkingDir /proc/self/fd/N never reaches the host" {
        for n in 3 4 5 6 7 8; do
                import_with "wd$n" "WORKDIR /proc/self/fd/$n"
                run box run --rm "wd$n" sh -c "$WALK_UP"
                echo "fd $n: status $status"
                [[ "$output" != *HOST-MARKER* ]]
                [ "$status" -ne 0 ]
        done
}

@test "escape: box build's WORKDIR /proc/self/fd/N and RUN never reach the host" {
        mkdir "$BOX_TEST_TMP/ctx"
        for n in 3 4 5 6 7 8; do
                printf 'FROM busybox\nWORKDIR /proc/self/fd/%s\nRUN %s\n' "$n" "$WALK_UP" \
                        >"$BOX_TEST_TMP/ctx/Dockerfile"
                run box build --no-cache --progress plain "$BOX_TEST_TMP/ctx"
                echo "fd $n: status $status"
                [[ "$output" != *HOST-MARKER* ]]
                [ "$status" -ne 0 ]
                [[ "$output" == *"working directory '/proc/self/fd/$n'"* ]]
        done
}

# A --rootfs whose /usr and /lib* are the host's (read-only), so that box's
# own binary could start in it.
host_lib_rootfs() {
        ROOTFS="$BOX_TEST_TMP/hostlibs"
        mkdir -p "$ROOTFS/usr" "$ROOTFS/tmp"
        LIB_MOUNTS=(-v /usr:/usr:ro)
        for d in lib lib32 lib64 libx32; do
                if [ -L "/$d" ]; then
                        ln -s "$(readlink "/$d")" "$ROOTFS/$d"
                elif [ -d "/$d" ]; then
                        mkdir "$ROOTFS/$d"
                        LIB_MOUNTS+=(-v "/$d:/$d:ro")
                fi
        done
}

@test "escape: the exec restriction leaves renames and hard links between directories alone" {
        # a Landlock domain refuses them (EXDEV) unless it allows LANDLOCK_ACCESS_FS_REFER:
        # apt-get update and dpkg failed in every RUN step
        run box run --rm busybox sh -c 'mkdir /a /b && touch /a/f && ln /a/f /b/f && mv /a/f /b/g && echo ok'
        [ "$status" -eq 0 ]
        [ "$output" = ok ]
        printf 'FROM busybox\nRUN mkdir /a /b && touch /a/f && ln /a/f /b/f && mv /a/f /b/g\n' >"$BOX_TEST_TMP/Dockerfile"
        run box build -q -t refer "$BOX_TEST_TMP"
        [ "$status" -eq 0 ]
}

@test "escape: box's binary cannot be run in the container through /proc/self/exe (CVE-2019-5736)" {
        grep -qw landlock /sys/kernel/security/lsm 2>/dev/null || skip "the kernel has no Landlock"
        host_lib_rootfs
        run box run --rm --rootfs "$ROOTFS" "${LIB_MOUNTS[@]}" /proc/self/exe version
        [ "$status" -eq 126 ]
        [[ "$output" != *"box version"* ]]
        # as a script's interpreter
        printf '#!/proc/self/exe\n' >"$ROOTFS/tmp/x"
        chmod +x "$ROOTFS/tmp/x"
        run box run --rm --rootfs "$ROOTFS" "${LIB_MOUNTS[@]}" /tmp/x version
        [ "$status" -eq 126 ]
        [[ "$output" != *"box version"* ]]
        # as an ELF interpreter
        cc -o "$ROOTFS/tmp/interp" -Wl,--dynamic-linker=/proc/self/exe -x c - <<<'int main(void) { return 0; }'
        run box run --rm --rootfs "$ROOTFS" "${LIB_MOUNTS[@]}" /tmp/interp
        [ "$status" -eq 126 ]
        # the command --init starts
        run box run --rm --init --rootfs "$ROOTFS" "${LIB_MOUNTS[@]}" /proc/self/exe version
        [ "$status" -eq 126 ]
        [[ "$output" != *"box version"* ]]
}

@test "caps: the inheritable set is empty, a file's inheritable caps give a user nothing (CVE-2022-24769)" {
        command -v setcap >/dev/null || skip "no setcap on the host"
        run box run --rm busybox grep -E '^Cap(Inh|Amb)' /proc/self/status
        [ "${lines[0]}" = "CapInh:	0000000000000000" ]
        [ "${lines[1]}" = "CapAmb:	0000000000000000" ]
        local r="$BOX_TEST_TMP/inh"
        mkdir "$r"
        tar -xf "$BUSYBOX_TAR" -C "$r"
        chmod 755 "$r"
        cp "$r/bin/busybox" "$r/bin/busybox-inh"
        setcap cap_chown+ei "$r/bin/busybox-inh"
        run box run --rm --rootfs "$r" -u 1000:1000 /bin/busybox-inh grep CapEff /proc/self/status
        [ "$status" -eq 0 ]
        [ "$output" = "CapEff:	0000000000000000" ]
        run box run --rm --rootfs "$r" -u 1000:1000 /bin/busybox-inh chown 1000 /etc/group
        [ "$status" -ne 0 ]
        [[ "$output" == *"Operation not permitted"* ]]
        [ "$(stat -c %u "$r/etc/group")" = 0 ]
}

@test "mounts: a read-only bind is read-only in its submounts too" {
        local d="$BOX_TEST_TMP/robind"
        mkdir -p "$d/sub"
        mount -t tmpfs tmpfs "$d/sub"
        run box run --rm -v "$d:/d:ro" busybox sh -c 'touch /d/sub/x'
        local s1=$status
        run box run --rm --mount "type=bind,source=$d,target=/d,readonly" busybox touch /d/sub/y
        local s2=$status
        run box run --rm -v "$d:/d:ro" busybox touch /d/z
        local s3=$status
        umount "$d/sub"
        [ "$s1" -ne 0 ]
        [ "$s2" -ne 0 ]
        [ "$s3" -ne 0 ]
        [ ! -e "$d/z" ]
}

@test "mounts: masks use the null device, whatever was mounted on /dev/null" {
        echo MASK-SOURCE-LEAK >"$BOX_TEST_TMP/notnull"
        run box run --rm -v "$BOX_TEST_TMP/notnull:/dev/null" busybox sh -c \
                'for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do [ -e $f ] && cat $f; done; true'
        [ "$status" -eq 0 ]
        [[ "$output" != *MASK-SOURCE-LEAK* ]]
        # an image whose /etc/hosts is a symlink to /dev/null
        local r="$BOX_TEST_TMP/hostsnull"
        mkdir "$r"
        tar -xf "$BUSYBOX_TAR" -C "$r"
        ln -sf /dev/null "$r/etc/hosts"
        run box run --rm --rootfs "$r" /bin/busybox sh -c 'cat /proc/keys /proc/timer_list 2>/dev/null; true'
        [ "$status" -eq 0 ]
        [[ "$output" != *localhost* ]]
}

@test "mounts: nothing of the image or the user is mounted inside /proc" {
        local r="$BOX_TEST_TMP/hostsproc"
        mkdir "$r"
        tar -xf "$BUSYBOX_TAR" -C "$r"
        ln -sf /proc/sys/kernel/hostname "$r/etc/hosts"
        run box run --rm --rootfs "$r" /bin/busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"inside /proc"* ]]
        run box run --rm -v "$BOX_TEST_TMP/HOST-MARKER:/proc/sys/kernel/core_pattern" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"inside /proc"* ]]
        run box run --rm --tmpfs /proc/sys busybox true
        [ "$status" -eq 125 ]
}

@test "security-opt: apparmor= and label= that ask for confinement are refused" {
        for o in apparmor=docker-default apparmor:myprofile label=type:svirt_t label=level:s0 label:user:u; do
                run box run --rm --security-opt "$o" busybox true
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"'$o'"* ]]
        done
        # the two that ask for no confinement are what box does anyway
        run box run --rm --security-opt apparmor=unconfined --security-opt label=disable busybox true
        [ "$status" -eq 0 ]
        mkdir "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nRUN true\n' >"$BOX_TEST_TMP/ctx/Dockerfile"
        run box build --security-opt label=level:s0 "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 125 ]
        [[ "$output" == *"'label=level:s0'"* ]]
}

pids_max='cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'

@test "pids: 2048 by default as Podman; -1 and 0 lift it; RUN steps too" {
        run box run --rm busybox sh -c "$pids_max"
        [ "$output" = "2048" ]
        run box run --rm --pids-limit -1 busybox sh -c "$pids_max"
        [ "$output" = "max" ]
        run box run --rm --pids-limit 0 busybox sh -c "$pids_max"
        [ "$output" = "max" ]
        run box run --rm --pids-limit 100 busybox sh -c "$pids_max"
        [ "$output" = "100" ]
        mkdir "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nRUN { %s; } > /pids\n' "$pids_max" >"$BOX_TEST_TMP/ctx/Dockerfile"
        run box build -q -t pids "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 0 ]
        run box run --rm pids cat /pids
        [ "$output" = "2048" ]
}

@test "build: --security-opt no-new-privileges reaches RUN steps" {
        mkdir "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nRUN grep NoNewPrivs /proc/self/status > /nnp\n' >"$BOX_TEST_TMP/ctx/Dockerfile"
        run box build -q -t nnp --no-cache --security-opt no-new-privileges "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 0 ]
        run box run --rm nnp cat /nnp
        [ "$output" = "NoNewPrivs:	1" ]
}

@test "seccomp: a filter cached under a key without the table's content is never loaded" {
        run box run --rm busybox true
        [ "$status" -eq 0 ]
        local dir="$BOX_ROOT/cache/seccomp" f tail
        [ -n "$(ls "$dir")" ]
        # an allow-all program (BPF_RET|BPF_K SECCOMP_RET_ALLOW) under the
        # key of box's first cache format, which named the table by a
        # version number only
        for f in "$dir"/*.bpf; do
                tail=${f##*/}
                tail=$(echo "$tail" | sed -E 's/^box-seccomp-[0-9]+-([0-9a-f]{16}-)?//')
                printf '\006\000\000\000\000\000\377\177' >"$dir/box-seccomp-1-$tail"
        done
        run box run --rm -v "$BOXTEST:/boxtest:ro" busybox /boxtest keyctl
        [ "$status" -eq 1 ]
        [ "$output" = "keyctl: Operation not permitted" ]
}

# A --rootfs copy of busybox, for images with a hostile layout.
busybox_rootfs() {
        ROOTFS="$BOX_TEST_TMP/$1"
        mkdir "$ROOTFS"
        tar -xf "$BUSYBOX_TAR" -C "$ROOTFS"
        chmod 755 "$ROOTFS"
}

@test "mounts: an /etc file that is a dangling symlink gets its target made inside the root" {
        busybox_rootfs resolved
        rm -f "$ROOTFS/etc/resolv.conf" "$ROOTFS/etc/hosts"
        # systemd-resolved images ship this one dangling
        ln -s ../run/systemd/resolve/stub-resolv.conf "$ROOTFS/etc/resolv.conf"
        # and one that climbs out of the root
        ln -s "../../../../../../../..$BOX_TEST_TMP/escaped-hosts" "$ROOTFS/etc/hosts"
        run box run --rm --rootfs "$ROOTFS" /bin/busybox sh -c 'grep -c nameserver /etc/resolv.conf; grep -c localhost /etc/hosts'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" -ge 0 ]
        [ "${lines[1]}" -ge 1 ]
        [ -f "$ROOTFS/run/systemd/resolve/stub-resolv.conf" ]
        [ -f "$ROOTFS$BOX_TEST_TMP/escaped-hosts" ]
        [ ! -e "$BOX_TEST_TMP/escaped-hosts" ]
}

@test "mounts: /proc, /sys and /dev are never mounted through an image's symlink" {
        for d in proc sys dev; do
                busybox_rootfs "sym-$d"
                rm -rf "${ROOTFS:?}/$d"
                ln -s / "$ROOTFS/$d"
                run box run --rm --rootfs "$ROOTFS" /bin/busybox true
                echo "$d: $status $output"
                [ "$status" -eq 125 ]
                [[ "$output" == *"'/$d' is not a directory"* ]]
        done
}
