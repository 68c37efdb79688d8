#!/usr/bin/env bats
# What a container's start costs box, checked on the system calls
# (docs/performance.md): a foreground --rm run syncs nothing to disk and
# writes its state once; its record lives in the runroot, so the store's
# file system sees only its writable layer and two links; its overlay is
# volatile (no sync at unmount); the container's process joins its cgroups
# itself (box moving it would wait for an RCU grace period); and it still
# ends up in its cgroup in every hierarchy, with the limits.  ps, inspect,
# names, commit and rm -f see the running --rm container as any other.

load helpers

setup() {
        command -v strace >/dev/null || skip "strace is not installed"
        box_setup_store
        import_busybox
}

teardown() {
        [ -n "${BOX_TEST_TMP:-}" ] || return 0
        box rm -f cost cost2 >/dev/null 2>&1 || true
        [ -z "${BG:-}" ] || { kill -9 "$BG" 2>/dev/null || true; wait "$BG" 2>/dev/null || true; }
        [ -z "${CG_ID:-}" ] || rmdir /sys/fs/cgroup/*/box/"$CG_ID" 2>/dev/null || true
        box_teardown_store
}

@test "a foreground --rm run: no fsync, the state written once, and nothing of it left" {
        # the first run compiles the seccomp filter and caches it (synced)
        box run --rm --network none busybox true
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/trace" -e trace=fsync,fdatasync,syncfs,sync,rename,renameat,renameat2 \
                "$BOX" run --rm --network none busybox echo hello
        [ "$status" -eq 0 ]
        [ "$output" = hello ]
        [ -z "$(grep -E '^[0-9]+ +(fsync|fdatasync|syncfs|sync)\(' "$BOX_TEST_TMP/trace")" ]
        [ "$(grep -c '\.state\.tmp' "$BOX_TEST_TMP/trace")" -eq 1 ]
        run box ps -a -q
        [ -z "$output" ]
        # a kept container still has its record synced (exited, with its code)
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/trace2" -e trace=fsync "$BOX" run --name cost --network none busybox sh -c 'exit 3'
        [ "$status" -eq 3 ]
        grep -qE '^[0-9]+ +fsync\(' "$BOX_TEST_TMP/trace2"
        run box ps -a --format '{{.Names}} {{.Status}}'
        [[ "$output" == "cost Exited (3)"* ]]
}

@test "while it runs a --rm container shows as running, created and started" {
        box run --rm --name cost --network none busybox sleep 300 &
        local pid=$!
        for _ in $(seq 300); do
                [ "$(box ps --format '{{.Status}}' 2>/dev/null)" != "" ] && break
                sleep 0.1
        done
        run box ps --format '{{.Names}} {{.Status}} {{.CreatedAt}}'
        [[ "$output" == "cost Up "* ]]
        [[ "$output" == *" +0000 UTC" ]]
        kill -TERM $pid
        wait $pid || true
}

@test "the container joins its cgroups itself: box writes no pid into cgroup.procs" {
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/trace" -e trace=openat,write "$BOX" run --rm --network none busybox true
        [ "$status" -eq 0 ]
        [ -z "$(grep 'cgroup.procs' "$BOX_TEST_TMP/trace")" ]
        # a detached container's pid 1, seen from the host: in PARENT/ID of
        # every hierarchy, v1 and v2, and its limits apply
        id=$(box run -d --name cost --pids-limit 7 --network none busybox sleep 30)
        pid=$(box inspect cost | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["State"]["Pid"])')
        [ "$pid" -gt 0 ]
        run cat "/proc/$pid/cgroup"
        echo "$output"
        while IFS=: read -r _ ctl path; do
                [ "$path" = "/box/$id" ] || { echo "not in its cgroup: $ctl:$path"; false; }
        done <<<"$output"
        run box exec cost sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait'
        [[ "$output" == *"can't fork"* ]]
}

# what the store's file system creates for one run: the successful calls
# that make a name under BOX_ROOT, one line each
# strace's lines with a call another thread's interrupted ("<unfinished
# ...>" then "<... NAME resumed>") joined again: box's threads make calls
# at once, and a half line has no result to filter on
strace_joined() {
        awk '/ <unfinished \.\.\.>$/ { p = $1; sub(/ <unfinished \.\.\.>$/, ""); u[p] = $0; next }
             /^[0-9]+ +<\.\.\. [a-z0-9_]+ resumed>/ {
                     p = $1; s = $0; sub(/^[0-9]+ +<\.\.\. [a-z0-9_]+ resumed>/, "", s)
                     if (p in u) { print u[p] s; delete u[p]; next } }
             { print }' "$1"
}

store_creations() {
        strace_joined "$1" >"$1.joined"
        set -- "$1.joined"
        grep -E '^[0-9]+ +(mkdir|mkdirat|symlink|symlinkat|link|linkat|rename|renameat2?|open|openat)\(' "$1" |
                grep -E "\"$BOX_ROOT/" | grep -vE '= -1 ' | grep -E '^[0-9]+ +(mkdir|symlink|link|rename)|O_CREAT' |
                grep -vE 'O_CREAT[^)]*\) = [0-9]+$' | cat
        # an O_CREAT open of a file that existed (a lock) makes nothing:
        # those of new files are the ones with O_EXCL
        grep -E "^[0-9]+ +openat\(AT_FDCWD, \"$BOX_ROOT/[^\"]*\", [^)]*O_EXCL" "$1" | grep -vE '= -1 ' | cat
}

# box run --rm --name cost CMD... in the background (box itself, BG, not a
# shell function's subshell), once it runs
start_cost() {
        "$BOX" run --rm --name cost --network none busybox "$@" &
        BG=$!
        for _ in $(seq 300); do
                [ "$(box inspect --format '{{.State.Status}}' cost 2>/dev/null)" = running ] && return 0
                sleep 0.1
        done
        echo "the container never ran" >&2
        return 1
}

@test "a foreground --rm run: its record in the runroot, its writable layer from the pool: no directory made on the store's disk, none left" {
        # the first run on an empty pool makes the layer's directories and
        # leaves them, emptied, in the pool
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/trace0" -e trace=%file "$BOX" run --rm --network none busybox true
        [ "$status" -eq 0 ]
        run store_creations "$BOX_TEST_TMP/trace0"
        echo "$output"
        [ "$(grep -c '/containers/\.rw/[0-9a-f]\{64\}/\(upper\|work\)"' <<<"$output")" -eq 2 ]
        [ -d "$BOX_ROOT/containers/.rw/pool/0/upper" ]
        [ -d "$BOX_ROOT/containers/.rw/pool/0/work" ]
        before=$(cd "$BOX_ROOT" && find . | sort)
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/trace" -e trace=%file "$BOX" run --rm --network none busybox true
        [ "$status" -eq 0 ]
        run store_creations "$BOX_TEST_TMP/trace"
        echo "$output"
        # the name's link, the container's link, the layer out of the pool
        # and back, and the two links moved into the layer when it ends
        # (main made 5 names: .rw/ID, upper/ and work/ among them; before
        # that 13: config.json, hosts, state...)
        [ "${#lines[@]}" -eq 6 ]
        [ "$(grep -c '^[0-9]* *symlink(' <<<"$output")" -eq 2 ]
        grep -q 'rename.*/containers/\.names/[^"]*", .*/containers/\.rw/[0-9a-f]\{64\}/name-link"' <<<"$output"
        grep -q 'rename.*/containers/[0-9a-f]\{64\}", .*/containers/\.rw/[0-9a-f]\{64\}/store-link"' <<<"$output"
        # and overlayfs' work/work (with its volatile mark) moved aside in
        # the layer: none of them is removed on the way out (each freed
        # block waits for a discard), the next run removes them while its
        # container runs
        grep -q 'renameat2([0-9]*, "work", [0-9]*, "trash", RENAME_NOREPLACE) = 0' "$BOX_TEST_TMP/trace.joined"
        [ -z "$(grep -E "^[0-9]+ +unlink\\(\"$BOX_ROOT/" "$BOX_TEST_TMP/trace.joined")" ]
        grep -qE 'unlinkat\([0-9]+, "name-link", 0' "$BOX_TEST_TMP/trace.joined"
        [ -z "$(grep -E '^[0-9]+ +mkdir' <<<"$output")" ]
        grep -q 'rename.*/containers/\.rw/pool/0", .*/containers/\.rw/[0-9a-f]\{64\}"' <<<"$output"
        grep -q 'rename.*/containers/\.rw/[0-9a-f]\{64\}", .*/containers/\.rw/pool/0"' <<<"$output"
        [ -z "$(grep -E 'config.json|/hosts"|resolv.conf|/state|/name"' <<<"$output")" ]
        # nothing of it is left, in the store or the runroot
        [ "$before" = "$(cd "$BOX_ROOT" && find . | sort)" ]
        [ -z "$(ls -A "$BOX_RUNROOT/containers")" ]
}

@test "a foreground --rm run waits on no second sweep of its cgroups after it ends" {
        box run --rm --network none busybox true
        # box and its threads, and the container's process (a file each:
        # calls of two threads at once would be split over two lines)
        run env ASAN_OPTIONS=detect_leaks=0 strace -ff -qq -o "$BOX_TEST_TMP/tr" -e trace=openat,rmdir "$BOX" run --rm --network none busybox true
        [ "$status" -eq 0 ]
        cat "$BOX_TEST_TMP"/tr.* >"$BOX_TEST_TMP/trace"
        # the hierarchies are read once, by box: the container's set-up
        # mounts its /sys/fs/cgroup from what box read (it read mountinfo
        # again, in a namespace with more mounts, on its way to exec)
        [ "$(grep -c '"/proc/self/mountinfo"' "$BOX_TEST_TMP/trace")" -eq 1 ]
        # and each of its cgroups is removed once
        [ -z "$(grep -E 'rmdir\("/sys/fs/cgroup/.*= -1 ENOENT' "$BOX_TEST_TMP/trace")" ]
        n=$(grep -cE 'rmdir\("/sys/fs/cgroup/[^"]*/box/[0-9a-f]{64}"\) += 0' "$BOX_TEST_TMP/trace")
        [ "$n" -eq "$(grep -cE '^[^ ]+ /sys/fs/cgroup/[^ ]+ cgroup2? ' /proc/self/mounts)" ]
}

@test "a --rm run's cgroups go on a thread while its record does, and are gone when box returns, even when they take a while" {
        # the container's mounts are its own, from the hierarchies box read
        run box run --rm --network none busybox sh -c 'ls /sys/fs/cgroup; cat /proc/self/cgroup'
        [ "$status" -eq 0 ]
        for h in /sys/fs/cgroup/*/; do
                [ "$(stat -f -c %T "$h")" = cgroupfs ] || [ "$(stat -f -c %T "$h")" = cgroup2fs ] || continue
                grep -qx "$(basename "$h")" <<<"$output" || { echo "no /sys/fs/cgroup/$(basename "$h")"; false; }
        done
        # its pid 1 ends, a process it started outside any PID namespace of
        # its own stays in its cgroup: box kills it while it removes the
        # record, and returns once the cgroups are gone
        rm -f "$BOX_TEST_TMP/cid"
        run timeout 20 "$BOX" run --rm --pid host --cidfile "$BOX_TEST_TMP/cid" --network none busybox sh -c 'sleep 1000 >/dev/null 2>&1 & exit 0'
        [ "$status" -eq 0 ]
        id=$(cat "$BOX_TEST_TMP/cid")
        CG_ID=$id
        [ -z "$(ls -d /sys/fs/cgroup/*/box/"$id" 2>/dev/null)" ]
        run box ps -a -q
        [ -z "$output" ]
        [ -z "$(ls -A "$BOX_RUNROOT/containers")" ]
        [ ! -e "$BOX_ROOT/containers/$id" ]
        [ ! -e "$BOX_ROOT/containers/.rw/$id" ]
        # its sleep was killed; a --rm run after it is as any other
        run box run --rm --network none busybox echo next
        [ "$status" -eq 0 ]
        [ "$output" = next ]
}

@test "a running --rm container: ps, inspect, its name, exec, commit and rm -f, with the record in the runroot" {
        start_cost sh -c 'echo kept >/data; exec sleep 30'
        id=$(box inspect --format '{{.Id}}' cost)
        [ "${#id}" -eq 64 ]
        # the store holds a link to the record, which is on the runroot
        [ -L "$BOX_ROOT/containers/$id" ]
        [ -f "$BOX_RUNROOT/containers/$id/record/config.json" ]
        [ -z "$(find "$BOX_ROOT/containers" -path '*/.mountpoints' -prune -o \( -name config.json -o -name hosts -o -name state \) -print)" ]
        run box ps --format '{{.Names}} {{.Status}}'
        [[ "$output" == "cost Up "* ]]
        run box ps -a -q --no-trunc
        [ "$output" = "$id" ]
        # by a prefix of its id, and its name is taken
        run box inspect --format '{{.Name}} {{.HostConfig.AutoRemove}}' "${id:0:8}"
        [ "$output" = "/cost true" ]
        run box run --rm --name cost --network none busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"'/cost' is already in use"* ]]
        # its changes are in its writable layer on the store
        [ "$(box exec cost cat /data)" = kept ]
        [ "$(cat "$BOX_ROOT/containers/.rw/$id/upper/data")" = kept ]
        img=$(box commit cost)
        [ "$(box run --rm --network none "$img" cat /data)" = kept ]
        box rmi "$img" >/dev/null
        # rm -f from elsewhere: everything goes, and the foreground box ends
        box rm -f cost
        for _ in $(seq 50); do kill -0 "$BG" 2>/dev/null || break; sleep 0.1; done
        ! kill -0 "$BG" 2>/dev/null || false
        BG=
        # (the emptied layer of the run of the image above waits in the pool)
        [ -z "$(ls -A "$BOX_ROOT/containers/.rw" | grep -vx pool)" ]
        [ ! -e "$BOX_ROOT/containers/$id" ]
        [ ! -L "$BOX_ROOT/containers/$id" ]
        [ -z "$(ls -A "$BOX_ROOT/containers/.names")" ]
        [ -z "$(box ps -a -q)" ]
}

@test "a foreground --rm container's overlay is volatile, a kept one's is not" {
        # volatile: its unmount does not sync the store's file system
        run box run --rm --network none busybox sh -c 'grep " / / " /proc/self/mountinfo'
        [ "$status" -eq 0 ]
        # (shown as fsync=volatile since Linux 6.x)
        [[ "$output" =~ overlay.*(,volatile|fsync=volatile) ]]
        run box run --name cost --network none busybox sh -c 'grep " / / " /proc/self/mountinfo'
        [ "$status" -eq 0 ]
        [[ "$output" == *"overlay"* ]]
        [[ "$output" != *volatile* ]]
        # a kept container's overlay mounts again (no volatile mark in work/)
        box start -a cost >/dev/null
        id=$(box run -d --rm --name cost2 --network none busybox sleep 30)
        run cat "/proc/$(box inspect --format '{{.State.Pid}}' cost2)/mountinfo"
        [[ "$(grep ' / / ' <<<"$output")" != *volatile* ]]
        box rm -f cost2 >/dev/null
}

@test "a --rm container whose box was killed and whose runroot went (a reboot): not listed, pruned, its name free" {
        start_cost sleep 30
        id=$(box inspect --format '{{.Id}}' cost)
        pid=$(box inspect --format '{{.State.Pid}}' cost)
        kill -9 "$BG"
        wait "$BG" || true
        BG=
        # its pid 1 dies with box (PDEATHSIG); a v1 cgroup stays busy until
        # the host's init has reaped it; then the runroot is emptied
        CG_ID=$id
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -rf "$BOX_RUNROOT/containers/$id"
        [ -L "$BOX_ROOT/containers/$id" ]
        run box ps -a -q
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run box container prune -f
        [ "$status" -eq 0 ]
        [ ! -L "$BOX_ROOT/containers/$id" ]
        [ ! -e "$BOX_ROOT/containers/.rw/$id" ]
        [ -z "$(ls -A "$BOX_ROOT/containers/.names")" ]
        # and the cgroups it left; the name is free again
        [ -z "$(ls -d /sys/fs/cgroup/*/box/"$id" 2>/dev/null)" ]
        run box run --rm --name cost --network none busybox echo again
        [ "$status" -eq 0 ]
        [ "$output" = again ]
}

# the pool of emptied writable layers (run/rw-pool.c)
pool() { ls -A "$BOX_ROOT/containers/.rw/pool" 2>/dev/null | cat; }

@test "the pool never shows a container what the one before it left" {
        box run --rm --network none busybox true
        [ "$(pool)" = 0 ]
        # a file written: that layer is not kept, and the next sees nothing
        box run --rm --network none busybox sh -c 'echo secret >/leak; mkdir -p /tmp/d; echo s >/tmp/d/f'
        run box run --rm --network none busybox sh -c 'ls -A /; ls -A /tmp'
        [ "$status" -eq 0 ]
        [[ "$output" != *leak* ]]
        [ -z "$(grep -x d <<<"$output")" ]
        # an image file deleted (a whiteout in the layer): there again
        box run --rm --network none busybox sh -c 'rm /bin/cat; rm -rf /tmp'
        run box run --rm --network none busybox sh -c 'ls -d /tmp && ls /bin/cat'
        [ "$status" -eq 0 ]
        # made and removed again: an empty layer, kept
        box run --rm --network none busybox sh -c 'mkdir /x && rmdir /x; touch /y && rm /y'
        [ -n "$(pool)" ]
        # the root itself (the layer's upper dir): mode, owner, times
        box run --rm --network none busybox sh -c 'chmod 700 /; chown 1:1 /'
        run box run --rm --network none busybox stat -c '%a %u %g' /
        [ "$output" = "755 0 0" ]
        box run --rm --network none busybox touch -d '2001-02-03 04:05' /
        run box run --rm --network none busybox stat -c %Y /
        [ "$output" -gt "$(date -d 2020-01-01 +%s)" ]
        # whatever it left, the pool holds only empty layers
        for s in $(pool); do
                [ -z "$(find "$BOX_ROOT/containers/.rw/pool/$s/upper" "$BOX_ROOT/containers/.rw/pool/$s/work" -mindepth 1)" ]
                [ "$(stat -c %a "$BOX_ROOT/containers/.rw/pool/$s/upper")" = 755 ]
        done
}

@test "a pool entry a crash or anyone left with something in it is never used" {
        box run --rm --network none busybox true
        p=$BOX_ROOT/containers/.rw/pool
        # a file in one; the overlay's volatile mark in another; a changed
        # root in a third: each run takes, checks and drops one
        echo planted >"$p/0/upper/planted"
        cp -a "$p/0" "$p/1" && rm "$p/1/upper/planted" && mkdir -p "$p/1/work/work/incompat/volatile"
        cp -a "$p/1" "$p/2" && rm -r "$p/2/work/work" && chmod 777 "$p/2/upper"
        for _ in 1 2 3; do
                run box run --rm --network none busybox sh -c 'ls -A /; stat -c %a /'
                [ "$status" -eq 0 ]
                [[ "$output" != *planted* ]]
                [ "${lines[-1]}" = 755 ]
        done
        [ -z "$(ls -A "$BOX_ROOT/containers/.rw" | grep -vx pool)" ]
        # prune empties it; a run afterwards makes its layer anew
        run box container prune -f
        [ "$status" -eq 0 ]
        [ ! -e "$p" ]
        box run --rm --network none busybox true
        [ "$(pool)" = 0 ]
        run box system prune -f
        [ ! -e "$p" ]
}

@test "runs at once take the pool's layers one each, and it never holds more than four" {
        for _ in 1 2 3 4 5 6; do
                "$BOX" run --rm --network none busybox sh -c 'test ! -e /mine && sleep 0.3' &
        done
        local rc=0
        for _ in 1 2 3 4 5 6; do wait -n || rc=1; done
        [ "$rc" -eq 0 ]
        [ "$(pool | wc -l)" -le 4 ]
        [ "$(pool | wc -l)" -ge 1 ]
        for _ in 1 2 3 4 5 6; do
                "$BOX" run --rm --network none busybox sh -c 'test ! -e /mine && touch /mine && sleep 0.2' &
        done
        rc=0
        for _ in 1 2 3 4 5 6; do wait -n || rc=1; done
        [ "$rc" -eq 0 ]
        [ "$(pool | wc -l)" -le 4 ]
        [ -z "$(ls -A "$BOX_ROOT/containers/.rw" | grep -vx pool)" ]
        [ -z "$(ls -A "$BOX_RUNROOT/containers")" ]
}

@test "the last container's leftovers go on a thread while the next one starts: box's own thread removes nothing on its way" {
        box run --rm --network none busybox true
        box run --rm --network none busybox true
        p=$BOX_ROOT/containers/.rw/pool/0
        [ -L "$p/name-link" ] && [ -L "$p/store-link" ] && [ -d "$p/trash" ]
        # box's main thread only (no -f): none of the five removals, on
        # the way in or out; the thread that makes them is joined before
        # the layer goes back (one of box's three: this sweep; the
        # cgroups' removal and the root watch's close, once the container
        # has ended)
        run env ASAN_OPTIONS=detect_leaks=0 strace -qq -o "$BOX_TEST_TMP/main" -e trace=unlinkat,unlink,rmdir,clone,clone3 "$BOX" run --rm --network none busybox true
        [ "$status" -eq 0 ]
        cat "$BOX_TEST_TMP/main"
        [ -z "$(grep -E '(name-link|store-link|trash|incompat|volatile|dirty)"' "$BOX_TEST_TMP/main")" ]
        [ "$(grep -c 'CLONE_THREAD' "$BOX_TEST_TMP/main")" -eq 3 ]
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/all" -e trace=unlinkat "$BOX" run --rm --network none busybox true
        [ "$status" -eq 0 ]
        [ "$(grep -cE 'unlinkat\([0-9]+, "(name-link|store-link|trash[^"]*)", ' "$BOX_TEST_TMP/all")" -eq 6 ]
        [ -z "$(grep -E '(name-link|store-link|trash).*= -1 ' "$BOX_TEST_TMP/all")" ]
        # the layer is back with the last run's leftovers only, and a
        # planted file among them keeps nothing from going: the in-line
        # removal takes what the thread could not
        mkdir "$p/trash/incompat/planted"
        touch "$p/trash/incompat/planted/f"
        box run --rm --network none busybox true
        [ ! -e "$p/trash/incompat/planted" ]
        [ "$(ls -A "$p" | sort | tr '\n' ' ')" = "name-link store-link trash upper work " ]
        [ -z "$(ls -A "$BOX_ROOT/containers/.rw" | grep -vx pool)" ]
}

@test "box makes the container's overlay on its own thread before the clone, and keeps its working directory" {
        # a thread of its own began 0.7-2.8 ms after it was started on a
        # 2-CPU host, and the clone waited for it (docs/performance.md)
        mkdir "$BOX_TEST_TMP/cwd"
        cd "$BOX_TEST_TMP/cwd"
        run env ASAN_OPTIONS=detect_leaks=0 strace -qq -o "$BOX_TEST_TMP/main" -e trace=fsconfig,fsmount,clone3,chdir,fchdir "$BOX" run --rm --network none busybox true
        [ "$status" -eq 0 ]
        cat "$BOX_TEST_TMP/main"
        create=$(grep -n 'FSCONFIG_CMD_CREATE' "$BOX_TEST_TMP/main" | cut -d: -f1)
        clone=$(grep -n 'clone3(.*CLONE_NEWNS' "$BOX_TEST_TMP/main" | cut -d: -f1)
        [ -n "$create" ] && [ -n "$clone" ] && [ "$create" -lt "$clone" ]
        [ -z "$(head -n "$clone" "$BOX_TEST_TMP/main" | grep CLONE_THREAD)" ]
        # the overlay's relative paths are taken from the store's dir; box
        # is back in its own before the clone (the container's process
        # starts from there too)
        [ "$(sed -n "$((clone - 1))p" "$BOX_TEST_TMP/main")" = "$(grep fchdir "$BOX_TEST_TMP/main")" ]
        [ "$(grep -c '^chdir(' "$BOX_TEST_TMP/main")" -eq 1 ]
        grep -q "^chdir(\"$BOX_ROOT\")" "$BOX_TEST_TMP/main"
        cd /
}

@test "a stdout or stderr that is the host's /dev/null: the container gets a /dev/null of its own, not a pipe nor the host's node" {
        mode=$(stat -c %a /dev/null)
        # what a process of the container has on its fds 1 and 2 (a sleep
        # started first: the shell's own fd 1 is moved while a redirected
        # command of its runs), said on the container's stderr, which is
        # the test's pipe and so passed as it is
        look='sleep 30 & p=$!; for f in 1 2; do readlink /proc/$p/fd/$f >&2; done; stat -L -c %d:%i /proc/$p/fd/1 >&2; chmod 600 /proc/$p/fd/1; kill $p'
        run sh -c '"$BOX" run --rm --network none busybox sh -c "$1" >/dev/null' sh "$look"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = /dev/null ]
        [[ "${lines[1]}" == pipe:* ]]
        # not the host's node: another inode, and the chmod stayed inside
        [ "${lines[2]}" != "$(stat -c %d:%i /dev/null)" ]
        [ "$(stat -c %a /dev/null)" = "$mode" ]
        # stderr too
        run sh -c '"$BOX" run --rm --network none busybox sh -c "sleep 30 & p=\$!; readlink /proc/\$p/fd/2; kill \$p" 2>/dev/null'
        [ "$output" = /dev/null ]
        # a pipe or a file still gets what the container says
        run sh -c '"$BOX" run --rm --network none busybox echo said | cat'
        [ "$output" = said ]
        "$BOX" run --rm --network none busybox echo kept >"$BOX_TEST_TMP/out"
        [ "$(cat "$BOX_TEST_TMP/out")" = kept ]
        # detached (or started) from a box whose stdio is /dev/null: the
        # monitor still gets and logs what the container says
        "$BOX" run -d --name cost --network none busybox sh -c 'echo logged; echo also >&2' >/dev/null 2>&1
        box wait cost >/dev/null
        run box logs cost
        [[ "$output" == *logged* ]]
        [[ "$output" == *also* ]]
        "$BOX" start cost >/dev/null 2>&1
        box wait cost >/dev/null
        run box logs cost
        [ "$(grep -c logged <<<"$output")" -eq 2 ]
}

@test "a new store spreads its containers', layers' and build steps' trees over the disk's block groups (ext4's Orlov hint), an existing one is left as it is" {
        case "$(stat -f -c %T "$BOX_TEST_TMP")" in
        ext2/ext3) ;;
        *) skip "the store is not on ext2/3/4: no such placement hint" ;;
        esac
        command -v lsattr >/dev/null || skip "lsattr is not installed"
        box run --rm --network none busybox true
        for d in "" containers layers tmp containers/.rw; do
                lsattr -d "$BOX_ROOT/$d" | grep -q '^[^ ]*T[^ ]* '
        done
        # not inherited: the trees under them are placed as usual
        for d in blobs volumes containers/.rw/pool/0 containers/.rw/pool/0/upper; do
                ! lsattr -d "$BOX_ROOT/$d" | grep -q '^[^ ]*T[^ ]* '
        done
        # a store box did not make is not changed
        mkdir -p "$BOX_TEST_TMP/old/containers"
        cp "$BOX_ROOT/oci-layout" "$BOX_TEST_TMP/old/"
        BOX_ROOT="$BOX_TEST_TMP/old" box images >/dev/null
        ! lsattr -d "$BOX_TEST_TMP/old" | grep -q '^[^ ]*T[^ ]* '
        ! lsattr -d "$BOX_TEST_TMP/old/containers" | grep -q '^[^ ]*T[^ ]* '
}
