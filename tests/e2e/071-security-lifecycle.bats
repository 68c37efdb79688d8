#!/usr/bin/env bats
# Security of volumes, container state and box run (issue 10, items 5, 6,
# 10 and part of 11): volume copy-up through fds only, volume and mount
# targets that are the kernel's, runtime state that a reboot clears and
# signals that never reach a stranger, the store lock while an image is
# resolved, and names that become paths.
load run-helpers

setup() {
        run_setup
        BG=()
}

teardown() {
        # SIGKILL: a box killed so takes its container along (PDEATHSIG)
        for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null || true; done
        for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
        [ ${#BG[@]} -eq 0 ] || sleep 0.3
        run_teardown
}

# Runs a command in the background (without bats' fd 3), killed at the end: $BGPID.
bg() {
        "$@" </dev/null 3>&- &
        BGPID=$!
        BG+=("$BGPID")
}

# image_with NAME FUNC [CHANGE...]: busybox's rootfs, plus what FUNC adds
# to the directory it is given, imported as NAME with Dockerfile-like changes.
image_with() {
        local name=$1 add=$2 r="$BOX_TEST_TMP/rootfs-$1"
        shift 2
        mkdir -p "$r"
        tar -C "$r" -xf "$BUSYBOX_TAR"
        "$add" "$r"
        local args=()
        for c in "$@"; do args+=(-c "$c"); done
        tar -C "$r" -cf "$r.tar" .
        box import "${args[@]}" "$r.tar" "$name" >/dev/null
        rm -rf "$r" "$r.tar"
}

# A process that is not box's, whose pid a stale state may name: $STRANGER.
stranger() {
        bg sleep 1000
        STRANGER=$BGPID
}

id_of() { readlink "$BOX_ROOT/containers/.names/$1"; }

wait_running() {
        for _ in $(seq 300); do
                local id
                id=$(id_of "$1") && grep -qs '"status": "running"' "$BOX_ROOT/containers/$id/state" &&
                        return 0
                sleep 0.1
        done
        return 1
}

# stat of host files a hostile container aims at: mode, owner, mtime
host_stat() { stat -c '%a %u %g %Y' "$@"; }

@test "copy-up: a container racing on a shared volume cannot chmod a host directory" {
        add_big() {
                mkdir -p "$1/data/d"
                chmod 0777 "$1/data/d"
                head -c 64M /dev/zero >"$1/data/d/big"
        }
        image_with hostile add_big 'VOLUME /data'
        target="$BOX_TEST_TMP/target"
        mkdir "$target"
        chmod 0700 "$target"
        before=$(host_stat "$target")
        box volume create shared >/dev/null
        # waits for the copy to be inside d, then swaps d for a symlink to
        # a host directory: the copy then sets d's mode (0777)
        bg "$BOX" run --rm --name attacker -v shared:/v busybox sh -c "
                n=0
                while [ ! -e /v/d/big ]; do n=\$((n + 1)); [ \$n -lt 3000000 ] || exit 3; done
                mv /v/d /v/moved && ln -s '$target' /v/d"
        wait_running attacker
        run box run --rm -v shared:/data hostile true
        wait "$BGPID"
        [ "$(host_stat "$target")" = "$before" ]
        # the attacker did win the race: the copy went on in the moved dir
        [ -L "$BOX_ROOT/volumes/shared/_data/d" ]
        [ "$(stat -c %a "$BOX_ROOT/volumes/shared/_data/moved")" = 777 ]
}

@test "copy-up: symlinks in an image's volume stay symlinks and touch no host file" {
        mkdir "$BOX_TEST_TMP/hostdir"
        echo secret >"$BOX_TEST_TMP/hostfile"
        chmod 0600 "$BOX_TEST_TMP/hostfile"
        chmod 0700 "$BOX_TEST_TMP/hostdir"
        before=$(host_stat "$BOX_TEST_TMP/hostfile" "$BOX_TEST_TMP/hostdir")
        add_links() {
                mkdir -p "$1/data" "$1/real"
                ln -s "$BOX_TEST_TMP/hostfile" "$1/data/f"
                ln -s "$BOX_TEST_TMP/hostdir" "$1/data/d"
                ln -s ../../../../../../../.. "$1/data/up"
                echo inside >"$1/real/x"
                ln -s /real "$1/vol"
                touch -h -d @1000 "$1/data/f"
                chown -h 1234:1234 "$1/data/f" "$1/data/d"
        }
        image_with links add_links 'VOLUME /data' 'VOLUME /vol'
        run box run --rm links sh -c 'cat /vol/x; readlink /data/f; ls /data/d/ 2>&1; true'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = inside ]
        [ "${lines[1]}" = "$BOX_TEST_TMP/hostfile" ]
        [ "$(host_stat "$BOX_TEST_TMP/hostfile" "$BOX_TEST_TMP/hostdir")" = "$before" ]
        [ "$(cat "$BOX_TEST_TMP/hostfile")" = secret ]
        # a named volume keeps the links as links, with their own owner and time
        run box run --rm -v keep:/data links true
        [ "$status" -eq 0 ]
        [ "$(stat -c '%F %u %Y' "$BOX_ROOT/volumes/keep/_data/f")" = "symbolic link 1234 1000" ]
        [ "$(host_stat "$BOX_TEST_TMP/hostfile" "$BOX_TEST_TMP/hostdir")" = "$before" ]
}

@test "copy-up: a tree too deep is refused with one line, box does not crash" {
        python3 - "$BOX_TEST_TMP/deep.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    p = "data"
    for i in range(2001):
        ti = tarfile.TarInfo(p); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
        p += "/a"
    ti = tarfile.TarInfo(p + "f"); ti.size = 2; t.addfile(ti, io.BytesIO(b"x\n"))
EOF
        box import -c 'VOLUME /data' "$BOX_TEST_TMP/deep.tar" deep >/dev/null
        run box run --rm deep /nothing
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"copy '/data' into its volume"*"nested more than 256 directories deep"* ]]
        # a tree of ordinary depth is copied whole
        add_tree() { mkdir -p "$1/data/$(printf 'd/%.0s' $(seq 100))" && echo end >"$1/data/$(printf 'd/%.0s' $(seq 100))f"; }
        image_with tree add_tree 'VOLUME /data'
        run box run --rm tree cat "/data/$(printf 'd/%.0s' $(seq 100))f"
        [ "$output" = end ]
}

@test "volume targets: an image VOLUME in /proc, /sys, /dev or / is refused, also through a symlink" {
        local n=0
        for v in /proc/sys/kernel/random /sys/kernel/mm /dev/shm/x / /proc /a/../proc/x; do
                n=$((n + 1))
                import_with "vol$n" "VOLUME $v"
                run box run --rm "vol$n" true
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"image VOLUME '"*"': invalid mount target"* ]]
        done
        add_link() { ln -s /proc/sys/kernel/random "$1/rnd"; }
        image_with linkvol add_link 'VOLUME /rnd'
        run box run --rm linkvol true
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"mount target '/rnd' resolves to '/proc/sys/kernel/random' in the image: invalid mount target '/proc/sys/kernel/random': it is inside /proc"* ]]
        # nothing of the kernel's was copied into a volume
        ! grep -rqs . "$BOX_ROOT/volumes/"*/_data || false
        [ -z "$(find "$BOX_ROOT/volumes" -name boot_id)" ]
}

@test "volume targets: -v, --mount and --tmpfs refuse / and /proc, volumes also /sys and /dev" {
        for spec in -v=vol:/ -v=/ -v=vol:/proc/sys -v=vol:/a/../proc/x "-v=$BOX_TEST_TMP:/proc/sys" \
                -v=vol:/dev/x -v=vol:/sys/kernel --mount=type=volume,target=/dev/shm \
                --mount=type=volume,target=//proc/ "--mount=type=bind,src=$BOX_TEST_TMP,dst=/proc" \
                --tmpfs=/proc/sys --tmpfs=/; do
                run box run --rm "${spec%%=*}" "${spec#*=}" busybox true
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"invalid mount target"* ]]
        done
        [ -z "$(box volume ls -q)" ]
        # binds and tmpfs may still go to /dev and /sys, and a bind over a
        # /proc file that lxcfs emulates, as runc allows
        echo "fake cpuinfo" >"$BOX_TEST_TMP/cpuinfo"
        run box run --rm -v "$BOX_TEST_TMP/cpuinfo:/proc/cpuinfo:ro" --tmpfs /dev/x \
                -v "$BOX_TEST_TMP:/sys/kernel/mm:ro" busybox sh -c 'cat /proc/cpuinfo; mount | grep -c " /dev/x "'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "fake cpuinfo" ]
        [ "${lines[1]}" = 1 ]
}

@test "rm: a container whose files nest deeper than box's fds reach is still removed" {
        # 4000 levels: mkdir -p of 1000 at a time, each moved under the next
        box run --name deep busybox sh -c '
                d=$(i=0; while [ $i -lt 1000 ]; do printf a/; i=$((i + 1)); done)
                mkdir -p top/$d
                for i in 1 2 3; do mv top t2 && mkdir -p top/$d && mv t2 top/$d/ || exit 1; done'
        run sh -c 'ulimit -n 1024 && exec "$0" rm deep' "$BOX"
        [ "$status" -eq 0 ]
        [ -z "$(ls "$BOX_ROOT/containers")" ]
}

# Writes what a container's state would hold if PID were its process, as
# both today's runtime state (runroot) and the old store state give it.
forge_state() {
        local id=$1 pid=$2 start=$3
        mkdir -p "$BOX_RUNROOT/containers/$id"
        printf '{"pid": %s, "pid_start": %s}\n' "$pid" "$start" >"$BOX_RUNROOT/containers/$id/state"
        printf '{"status": "running", "pid": %s, "monitor_pid": %s}\n' "$pid" "$pid" \
                >"$BOX_ROOT/containers/$id/state"
}

start_time() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }

@test "rm -f: a stale state naming a stranger's pid kills no one" {
        box run --name stale busybox true
        id=$(id_of stale)
        stranger
        s=$STRANGER
        forge_state "$id" "$s" $(($(start_time "$s") + 12345))
        run box rm -f stale
        [ "$status" -eq 0 ]
        kill -0 "$s"
        [ -z "$(ls "$BOX_ROOT/containers")" ]
        [ ! -e "$BOX_RUNROOT/containers/$id" ]
}

@test "rm -f: a live monitor's pid 1 is killed only if it is in the container's cgroup" {
        box run --name fake busybox true
        id=$(id_of fake)
        stranger
        s=$STRANGER
        # right pid and start time, but not the container's process
        forge_state "$id" "$s" "$(start_time "$s")"
        # a monitor that holds the lock for 2 seconds (a POSIX lock, as box's)
        bg python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "w"); fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(2)' "$BOX_RUNROOT/containers/$id/lock" "$BOX_TEST_TMP/locked"
        for _ in $(seq 50); do [ -e "$BOX_TEST_TMP/locked" ] && break; sleep 0.1; done
        run box rm -f fake
        [ "$status" -eq 0 ]
        kill -0 "$s"
        [ -z "$(ls "$BOX_ROOT/containers")" ]
        # without -f: its pid 1 is gone and its monitor still holds it (as
        # while a monitor cleans up after the exit): rm waits for the
        # monitor, as Docker's for the container's lock, then removes it;
        # still no one killed
        box run --name fake2 busybox true
        id=$(id_of fake2)
        forge_state "$id" "$s" "$(start_time "$s")"
        rm -f "$BOX_TEST_TMP/locked"
        bg python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "w"); fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(2)' "$BOX_RUNROOT/containers/$id/lock" "$BOX_TEST_TMP/locked"
        for _ in $(seq 50); do [ -e "$BOX_TEST_TMP/locked" ] && break; sleep 0.1; done
        run box rm fake2
        [ "$status" -eq 0 ]
        kill -0 "$s"
        [ -z "$(ls "$BOX_ROOT/containers")" ]
}

@test "runroot: after a reboot (a fresh tmpfs) the container is exited and removable" {
        bg "$BOX" run --name r1 busybox sleep 1000
        monitor=$BGPID
        wait_running r1
        id=$(id_of r1)
        run box system df
        [[ "$output" == *"Containers"*" 1 "*" 1 "* ]]
        # the host goes down: box and the container die, the store stays
        # "running", and after the reboot its pid names someone else
        kill -9 "$monitor"
        wait "$monitor" || true
        stranger
        s=$STRANGER
        forge_state "$id" "$s" "$(start_time "$s")"
        mkdir "$BOX_TEST_TMP/run2"
        mount -t tmpfs tmpfs "$BOX_TEST_TMP/run2"
        export BOX_RUNROOT="$BOX_TEST_TMP/run2"
        run box system df
        [[ "$output" == *"Containers"*" 1 "*" 0 "* ]]
        run box rm r1
        [ "$status" -eq 0 ]
        kill -0 "$s"
        [ -z "$(ls "$BOX_ROOT/containers")" ]
        [ -z "$(leftover_cgroups)" ]
}

@test "runroot: --runroot and BOX_RUNROOT choose it; the runtime state goes when the container ends" {
        unset BOX_RUNROOT
        mkdir "$BOX_TEST_TMP/rr"
        bg "$BOX" --runroot "$BOX_TEST_TMP/rr" run --name rr busybox sleep 1000
        wait_running rr
        id=$(id_of rr)
        [ -e "$BOX_TEST_TMP/rr/containers/$id/lock" ]
        [ ! -e "/run/box/containers/$id" ]
        # the runtime state is in the runroot; the store keeps no pid
        grep -q '"pid_start"' "$BOX_TEST_TMP/rr/containers/$id/state"
        ! grep -q '"pid"' "$BOX_ROOT/containers/$id/state" || false
        run box --runroot "$BOX_TEST_TMP/rr" rm rr
        [[ "$output" == *"container is running"* ]]
        BOX_RUNROOT="$BOX_TEST_TMP/rr" box rm -f rr
        wait "$BGPID" || true
        [ ! -e "$BOX_TEST_TMP/rr/containers/$id" ]
        [ -z "$(ls "$BOX_ROOT/containers")" ]
        BOX_RUNROOT="$BOX_TEST_TMP/rr" box run --name done busybox true
        [ -z "$(ls "$BOX_TEST_TMP/rr/containers")" ]
}

@test "store lock: box run waits while garbage collection holds the store" {
        bg flock -x "$BOX_ROOT/lock" sleep 3
        # until the lock is held (flock starts late on a loaded machine)
        for _ in $(seq 500); do flock -n -s "$BOX_ROOT/lock" true || break; sleep 0.02; done
        ! flock -n -s "$BOX_ROOT/lock" true || false
        start=$(date +%s%N)
        box run --rm busybox true
        elapsed=$((($(date +%s%N) - start) / 1000000))
        [ "$elapsed" -ge 1000 ]
}

@test "store lock: box run and a concurrent prune never leave a container without its layers" {
        for i in $(seq 15); do
                box import "$BUSYBOX_TAR" victim >/dev/null
                bg sh -c '"$1" run --name "v$2" victim true >"$3" 2>&1' - "$BOX" "$i" "$BOX_TEST_TMP/run.$i"
                box image prune -a -f >/dev/null
                wait "$BGPID" || true
                # it ran, or found no image: never a half-removed one
                cat "$BOX_TEST_TMP/run.$i"
                [ ! -s "$BOX_TEST_TMP/run.$i" ] || grep -q "no such image" "$BOX_TEST_TMP/run.$i"
                # a container that exists has its image's layers
                if id=$(id_of "v$i"); then
                        run box export "v$i" -o /dev/null
                        [ "$status" -eq 0 ]
                fi
        done
}

@test "names as paths: a tampered name link or a bad name reaches nothing outside the store" {
        mkdir -p "$BOX_TEST_TMP/victim"
        touch "$BOX_TEST_TMP/victim/precious"
        mkdir -p "$BOX_ROOT/containers/.names"
        # 64 characters that lead from containers/ to the victim directory
        link=../../victim
        while [ ${#link} -lt 64 ]; do link="./$link"; done
        link=${link:$((${#link} - 64))}
        [ ${#link} -eq 64 ]
        ln -s "$link" "$BOX_ROOT/containers/.names/evil"
        run box rm -f evil
        [ "$status" -ne 0 ]
        [ -e "$BOX_TEST_TMP/victim/precious" ]
        run box export evil -o /dev/null
        [ "$status" -ne 0 ]
        for bad in "volume create ../../etc" "volume create a/b" "volume rm ../../victim" \
                "run --name ../../x busybox true" "run -v a/b:/x busybox true" \
                "run --mount type=volume,source=../v,target=/x busybox true"; do
                run box $bad
                [ "$status" -eq 125 ]
        done
        [ -e "$BOX_TEST_TMP/victim/precious" ]
        [ -z "$(ls "$BOX_ROOT/volumes")" ]
}

@test "volume rm: a volume in use is never removed, not even with -f" {
        bg "$BOX" run --name user -v busy:/b busybox sh -c 'echo data > /b/f; sleep 1000'
        wait_running user
        run box volume rm -f busy
        [ "$status" -ne 0 ]
        [[ "$output" == *"volume is in use"* ]]
        run box volume prune -f -a
        [ -f "$BOX_ROOT/volumes/busy/_data/f" ]
        box rm -f user
        wait "$BGPID" || true
        box volume rm busy
        # an anonymous volume another container uses by name outlives rm -v
        box run --name anon -v /a busybox true
        vol=$(box volume ls -q)
        box run --name other -v "$vol:/x" busybox true
        box rm -v anon
        [ "$(box volume ls -q)" = "$vol" ]
        box rm -v other
        [ "$(box volume ls -q)" = "$vol" ]
}
