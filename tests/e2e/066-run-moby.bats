#!/usr/bin/env bats
# Docker's own container-side tests (moby/moby integration-cli
# docker_cli_run_test.go, docker_cli_run_unix_test.go, docker_cli_exec_test.go,
# docker_cli_ps_test.go, docker_cli_create_test.go) run against box: each test
# is named after the upstream case it translates, runs what that case runs
# against the local busybox image and checks what it asserts.  Cases that
# need the network, a daemon, links, AppArmor, Windows or an image box's
# fixture does not have are left out; where box's fixture differs (no CMD,
# no audio group) the case says how it is adapted.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

@test "TestRunEchoStdout, TestRunEchoNamedContainer, TestRunExitCodeZero, TestRunExitCodeOne, TestRunExitCode" {
        [ "$(box run busybox echo test123)" = test123 ]
        [ "$(box run --name testfoonamedcontainer busybox echo test)" = test ]
        box run busybox true
        run box run busybox false
        [ "$status" -eq 1 ]
        run box run busybox /bin/sh -c 'exit 72'
        [ "$status" -eq 72 ]
}

@test "TestRunLeakyFileDescriptors" {
        [ "$(box run busybox ls -C /proc/self/fd)" = "0  1  2  3" ]
}

@test "TestRunDetachedContainerIDPrinting, TestRunVerifyContainerID" {
        id=$(box run -d busybox true)
        [[ "$id" =~ ^[0-9a-f]{64}$ ]]
        box wait "$id"
        [ "$(box rm "$id")" = "$id" ]
}

@test "TestRunWorkingDirectory, TestRunRootWorkdir" {
        [ "$(box run -w /root busybox pwd)" = /root ]
        [ "$(box run --workdir /root busybox pwd)" = /root ]
        [ "$(box run --workdir / busybox pwd)" = / ]
}

@test "TestRunWorkdirExistsAndIsFile" {
        # busybox here has no CMD: the case's image runs sh
        run box run -w /bin/cat busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"not a directory"* || "$output" == *"Not a directory"* ]]
}

@test "TestRunWithoutNetworking, TestRunLoopbackOnlyExistsWhenNetworkingDisabled" {
        run box run --net=none busybox ping -c 1 8.8.8.8
        [ "$status" -eq 1 ]
        run box run --net=none busybox ip -o -4 a show up
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "1: lo"* ]]
}

@test "TestRunUserDefaults, TestRunUserByName, TestRunUserByID, TestRunUserByIDZero, TestRunUserNotFound" {
        [[ "$(box run busybox id)" == "uid=0(root) gid=0(root)"* ]]
        [[ "$(box run -u root busybox id)" == "uid=0(root) gid=0(root)"* ]]
        [[ "$(box run -u 1 busybox id)" == "uid=1(daemon) gid=1(daemon)"* ]]
        [ "$(box run -u 0 busybox id)" = "uid=0(root) gid=0(root) groups=0(root),10(wheel)" ]
        run box run -u notme busybox id
        [ "$status" -eq 125 ]
}

@test "TestRunTwoConcurrentContainers" {
        box run busybox sleep 1 &
        a=$!
        box run busybox sleep 1 &
        b=$!
        wait "$a"
        wait "$b"
}

@test "TestRunEnvironmentOverride" {
        run env HOSTNAME=bar "$BOX" run -e HOSTNAME -e HOME=/root2 busybox env
        [ "$status" -eq 0 ]
        [ "$(printf '%s\n' "$output" | sort)" = "$(printf 'HOME=/root2\nHOSTNAME=bar\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')" ]
}

@test "TestRunFullHostnameSet, TestRunHostnameFQDN" {
        [ "$(box run -h foo.bar.baz busybox hostname)" = foo.bar.baz ]
        run box run --hostname=foobar.example.com busybox sh -c 'cat /etc/hostname && hostname && hostname -s && hostname -d && hostname -f'
        [ "$output" = "$(printf 'foobar.example.com\nfoobar.example.com\nfoobar\nexample.com\nfoobar.example.com')" ]
        [[ "$(box run --hostname=foobar.example.com busybox cat /etc/hosts)" == *foobar.example.com* ]]
}

@test "TestRunHostnameInHostMode" {
        [ "$(box run --net=host --hostname=foobar busybox sh -c 'echo $HOSTNAME && hostname')" = "$(printf 'foobar\nfoobar')" ]
}

@test "TestRunPrivilegedCanMknod, TestRunCapDropALLAddMknodCanMknod" {
        [ "$(box run --privileged busybox sh -c 'mknod /tmp/sda b 8 0 && echo ok')" = ok ]
        [ "$(box run --cap-drop=ALL --cap-add=MKNOD --cap-add=SETGID busybox sh -c 'mknod /tmp/sda b 8 0 && echo ok')" = ok ]
}

@test "TestRunCapDropInvalid, TestRunCapAddInvalid" {
        for f in --cap-drop=CHPASS --cap-add=CHPASS; do
                run box run "$f" busybox ls
                [ "$status" -eq 125 ]
                [[ "$output" == *CHPASS* ]]
        done
}

@test "TestRunCapDropCannotMknod, TestRunCapDropCannotMknodLowerCase, TestRunCapDropALLCannotMknod" {
        for f in --cap-drop=MKNOD --cap-drop=mknod --cap-drop=ALL; do
                run box run "$f" --cap-add=SETGID busybox sh -c 'mknod /tmp/sda b 8 0 && echo ok'
                [ "$status" -ne 0 ]
                [[ "$output" != *ok* ]]
        done
}

@test "TestRunCapAddCanDownInterface, TestRunCapAddALLCanDownInterface, TestRunCapAddALLDropNetAdminCanDownInterface" {
        [ "$(box run --cap-add=NET_ADMIN busybox sh -c 'ip link set eth0 down && echo ok')" = ok ]
        [ "$(box run --cap-add=ALL busybox sh -c 'ip link set eth0 down && echo ok')" = ok ]
        run box run --cap-add=ALL --cap-drop=NET_ADMIN busybox sh -c 'ip link set eth0 down && echo ok'
        [ "$status" -ne 0 ]
        [[ "$output" != *ok* ]]
}

@test "TestRunGroupAdd" {
        # the fixture's /etc/group has no audio or staff: wheel and a number
        [ "$(box run --group-add=wheel --group-add=777 busybox id)" = "uid=0(root) gid=0(root) groups=0(root),10(wheel),777" ]
        run box run --group-add=audio busybox id
        [ "$status" -eq 125 ]
        [[ "$output" == *"'audio'"* ]]
}

@test "TestRunUnprivilegedCannotMount" {
        run box run busybox sh -c 'mount -t tmpfs none /tmp && echo ok'
        [ "$status" -ne 0 ]
        [[ "$output" != *ok* ]]
        # nor with --cap-add SYS_ADMIN: Landlock and the filter still hold
        run box run --cap-add SYS_ADMIN busybox sh -c 'mount -t tmpfs none /tmp && echo ok'
        [[ "$output" != *ok* ]]
}

@test "TestRunSysNotWritableInNonPrivilegedContainers, TestRunSysWritableInPrivilegedContainers" {
        run box run busybox touch /sys/kernel/profiling
        [ "$status" -ne 0 ]
        box run --privileged busybox touch /sys/kernel/profiling
}

@test "TestRunDeviceNumbers, TestRunThatCharacterDevicesActLikeCharacterDevices, TestRunUnprivilegedWithChroot" {
        run box run busybox sh -c 'ls -l /dev/null'
        set -- $output
        [ "$1 $2 $3 $4 $5 $6" = "crw-rw-rw- 1 root root 1, 3" ]
        [ "$(box run busybox sh -c 'dd if=/dev/zero of=/zero bs=1k count=5 2> /dev/null ; du -h /zero' | cut -f1)" = 8.0K ]
        box run busybox chroot / true
}

@test "TestRunAllowBindMountingRoot, TestRunDisallowBindMountingRootToRoot" {
        [[ "$(box run -v /:/host busybox ls /host)" == *etc* ]]
        run box run -v /tmp:/ busybox ls /
        [ "$status" -eq 125 ]
}

@test "TestRunUserByIDBig, TestRunUserByIDNegative" {
        # runc's range error; box took 2147483648 as a uid and -1 as a name
        for u in 2147483648 -1 0:2147483648 0:-1; do
                run box run -u "$u" busybox id
                [ "$status" -eq 125 ]
                [[ "$output" == *"uids and gids must be in range 0-2147483647"* ]]
        done
        run box run --group-add -5 busybox id
        [ "$status" -eq 125 ]
        [[ "$output" == *"uids and gids must be in range"* ]]
        [[ "$(box run -u 2147483647 busybox id)" == "uid=2147483647 "* ]]
}

@test "TestRunEnvironment" {
        # -e=HOME= gets the user's home, as runc treats an empty HOME as unset
        run env TRUE=false TRICKY=$'tri\ncky\n' "$BOX" run -h testing -e=FALSE=true -e=TRUE \
                -e=TRICKY -e=HOME= busybox env
        [ "$status" -eq 0 ]
        got=$(printf '%s\n' "$output" | sort)
        want=$(printf '%s\n' PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                HOSTNAME=testing FALSE=true TRUE=false TRICKY=tri cky "" HOME=/root | sort)
        [ "$got" = "$want" ]
}

@test "TestRunEnvironmentErase" {
        # a bare -e K that box's environment lacks removes K, HOSTNAME too
        run env -u FOO -u HOSTNAME "$BOX" run -e FOO -e HOSTNAME busybox env
        [ "$status" -eq 0 ]
        [ "$(printf '%s\n' "$output" | sort)" = "$(printf 'HOME=/root\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')" ]
        # the image's own variable goes as well
        import_with envimg 'ENV FOO=image'
        run env -u FOO "$BOX" run -e FOO envimg sh -c 'echo "${FOO-unset}"'
        [ "$output" = unset ]
}

@test "TestRunEmptyEnv" {
        for e in "" "=" "=foo"; do
                run box run -e "$e" busybox true
                [ "$status" -eq 125 ]
                [[ "$output" == *"invalid environment variable:"* ]]
        done
}

@test "TestRunModeHostname" {
        [ "$(box run -h=testhostname busybox cat /etc/hostname)" = testhostname ]
        # --net=host without -h: the host's name (box gave its short id)
        [ "$(box run --net=host busybox cat /etc/hostname)" = "$(hostname)" ]
        [ "$(box run --net=host busybox sh -c 'hostname; echo $HOSTNAME' | sort -u)" = "$(hostname)" ]
        # in a UTS namespace of its own still
        [ "$(box run --net=host busybox readlink /proc/self/ns/uts)" != "$(readlink /proc/self/ns/uts)" ]
}

@test "TestRunPrivilegedCanMount" {
        # box's Landlock domain refused every mount, --privileged too
        [ "$(box run --privileged busybox sh -c 'mount -t tmpfs none /tmp && echo ok')" = ok ]
        box run -d --name pm --privileged busybox sleep 100
        wait_running pm
        [ "$(box exec pm sh -c 'mkdir -p /m && mount -t tmpfs none /m && echo ok')" = ok ]
}

@test "TestRunDNSOptions" {
        run --separate-stderr box run --dns=127.0.0.1 --dns-search=mydomain --dns-opt=ndots:9 busybox cat /etc/resolv.conf
        [ "$status" -eq 0 ]
        # Docker's warning, and its order: nameservers, search, options
        [[ "$stderr" == *"localhost DNS setting (--dns=127.0.0.1) may fail in containers"* ]]
        [ "$(printf '%s\n' "$output" | grep -v '^#' | paste -sd' ')" = "nameserver 127.0.0.1 search mydomain options ndots:9" ]
        run --separate-stderr box run --dns=1.1.1.1 --dns-search=. --dns-opt=ndots:3 busybox cat /etc/resolv.conf
        [ -z "$stderr" ]
        [ "$(printf '%s\n' "$output" | grep -v '^#' | paste -sd' ')" = "nameserver 1.1.1.1 options ndots:3" ]
}

@test "TestRunDNSRepeatOptions" {
        run box run --dns=1.1.1.1 --dns=2.2.2.2 --dns-search=mydomain --dns-search=mydomain2 --dns-opt=ndots:9 --dns-opt=timeout:3 busybox cat /etc/resolv.conf
        [ "$(printf '%s\n' "$output" | grep -v '^#' | paste -sd' ')" = "nameserver 1.1.1.1 nameserver 2.2.2.2 search mydomain mydomain2 options ndots:9 timeout:3" ]
}

@test "TestRunWrongCpusetCpusFlagValue, TestRunWrongCpusetMemsFlagValue" {
        # the kernel's write error named a cgroup file, not the flag, after
        # the container was made
        run box run --name cs --cpuset-cpus 1-10,11-- busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid value '1-10,11--' for cpuset cpus"* ]]
        run box run --name cs --cpuset-mems 1-42-- busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"--cpuset-mems '1-42--'"* ]]
        [ -z "$(box ps -aq)" ]
        for bad in 1-0 ,0 0, 0- a; do
                run box create --cpuset-cpus "$bad" busybox true
                [ "$status" -eq 125 ]
        done
        box run --rm --cpuset-cpus 0 busybox true
}

@test "TestRunInvalidReference" {
        # box looked the name up and said "no such image"
        run box run busybox@foo
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid reference format"* ]]
        run box run Busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid reference format"*"must be lowercase"* ]]
        # an id or its prefix still runs the image
        id=$(box image inspect -f '{{.Id}}' busybox)
        box run --rm "${id#sha256:}" true
        box run --rm "${id:0:19}" true
}

@test "TestExecTTYWithoutStdin" {
        box run -d --name ti busybox sleep 100
        wait_running ti
        # box ran it with a pty that nothing fed
        run box exec -ti ti true </dev/null
        [ "$status" -eq 125 ]
        [[ "$output" == *"the input device is not a TTY"* ]]
        # -t alone, or -i alone, is no error
        box exec -t ti true </dev/null
        box exec -i ti true </dev/null
}

@test "TestPsShowMounts" {
        box volume create ps-volume-test
        box run -d --name volume-test-1 --volume ps-volume-test:/test busybox sleep 100
        box run -d --name volume-test-2 --volume /test busybox sleep 100
        box run -d --name bind-mount-test -v /tmp:/t busybox sleep 100
        # .Mounts: a volume's name (cut to 15) or a bind's source; box's was empty
        run box ps --format '{{.Names}} {{.Mounts}}'
        [ "${lines[0]}" = "bind-mount-test /tmp" ]
        anon=$(box inspect -f '{{(index .Mounts 0).Name}}' volume-test-2)
        [ "${lines[1]}" = "volume-test-2 ${anon:0:14}…" ]
        [ "${lines[2]}" = "volume-test-1 ps-volume-test" ]
        [ "$(box ps --no-trunc --format '{{.Mounts}}' --filter name=volume-test-2)" = "$anon" ]
        [ "$(box ps --format '{{.Names}}' --filter volume=ps-volume-test)" = volume-test-1 ]
        [ -z "$(box ps --format '{{.Names}}' --filter volume=this-volume-should-not-exist)" ]
        [ "$(box ps --format '{{.Names}}' --filter volume=/test | paste -sd' ')" = "volume-test-2 volume-test-1" ]
        # a bind by its source, as by its destination (box matched only the latter)
        [ "$(box ps --format '{{.Names}}' --filter volume=/tmp)" = bind-mount-test ]
        [ "$(box ps --format '{{.Names}}' --filter volume=/t)" = bind-mount-test ]
        [ -z "$(box ps --format '{{.Names}}' --filter volume=/this-path-was-never-mounted)" ]
        box rm -f -v volume-test-1 volume-test-2 bind-mount-test
        box volume rm ps-volume-test
}

@test "TestRunAddingOptionalDevices, TestRunAddingOptionalDevicesNoSrc" {
        # box had no --device ('unknown flag')
        [ "$(box run --device /dev/zero:/dev/nulo busybox sh -c 'ls /dev/nulo')" = /dev/nulo ]
        [ "$(box run --device /dev/zero:/dev/nulo busybox sh -c 'head -c 3 /dev/nulo | od -An -c' | tr -d ' ')" = '\0\0\0' ]
        [ "$(box run --device /dev/zero:rw busybox sh -c 'ls /dev/zero')" = /dev/zero ]
        # the host node's type, numbers and mode
        [ -b /dev/loop0 ] || skip "no /dev/loop0"
        run box run --device /dev/loop0:/dev/xl busybox stat -c '%F %t:%T %a' /dev/xl
        [ "$output" = "$(stat -c '%F %t:%T %a' /dev/loop0)" ]
}

@test "TestRunAddingOptionalDevicesInvalidMode, TestRunWithBadDevice" {
        run box run --device /dev/zero:ro busybox sh -c 'ls /dev/zero'
        [ "$status" -eq 125 ]
        [[ "$output" == *"'ro' is not an absolute path"* ]]
        run box run --device /dev/zero:/dev/z:rwx busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"bad mode specified: 'rwx'"* ]]
        run box run --name baddevice --device /etc busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"'/etc': not a device node"* ]]
        [ -z "$(box ps -aq)" ]
}

@test "TestDevicePermissions (--device PERMS in the devices cgroup, in inspect, again at a start)" {
        # r only: reads pass, writes are the cgroup's EPERM (a node the
        # defaults do not allow already: they have /dev/zero's rwm)
        [ -b /dev/loop0 ] || skip "no /dev/loop0"
        run box run --device /dev/loop0:/dev/z:r busybox sh -c 'head -c1 /dev/z >/dev/null && echo read; echo x > /dev/z || echo nowrite'
        [ "${lines[0]}" = read ]
        [[ "$output" == *"Operation not permitted"* ]]
        [[ "$output" == *nowrite* ]]
        box run -d --name dv --device /dev/zero:/dev/nulo:rw busybox sleep 100
        [ "$(box inspect -f '{{json .HostConfig.Devices}} {{json .HostConfig.DeviceCgroupRules}}' dv)" = \
                '[{"PathOnHost":"/dev/zero","PathInContainer":"/dev/nulo","CgroupPermissions":"rw"}] null' ]
        box stop -t 0 dv
        box start dv
        [ "$(box exec dv sh -c 'head -c1 /dev/nulo | od -An -c' | tr -d ' ')" = '\0' ]
}

@test "TestRunAddingOptionalDevices: a directory of devices, and a user namespace" {
        mkdir -p "$BOX_TEST_TMP/devs/sub"
        mknod "$BOX_TEST_TMP/devs/sub/mynull" c 1 3
        echo text >"$BOX_TEST_TMP/devs/file"
        run box run --device "$BOX_TEST_TMP/devs:/dev/mine" busybox sh -c 'find /dev/mine | sort; echo x > /dev/mine/sub/mynull && echo ok'
        [ "$output" = "$(printf '/dev/mine\n/dev/mine/sub\n/dev/mine/sub/mynull\nok')" ]
        # mknod is refused in a user namespace: the host's node is bound
        [ "$(box run --uidmap 0:100000:65536 --device /dev/zero:/dev/nulo busybox sh -c 'head -c2 /dev/nulo | od -An -c' | tr -d ' ')" = '\0\0' ]
}

@test "TestLogsTimestamps, TestLogsSeparateStderr, TestLogsStderrInStdout" {
        id=$(box run -d busybox sh -c 'for i in $(seq 1 100); do echo = >> a.a; done; cat a.a')
        box wait "$id"
        run box logs -t "$id"
        [ "${#lines[@]}" -eq 100 ]
        for l in "${lines[@]}"; do
                [[ "$l" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ =$ ]]
        done
        id=$(box run -d busybox sh -c 'echo stderr_log 1>&2')
        box wait "$id"
        [ -z "$(box logs "$id" 2>/dev/null)" ]
        [ "$(box logs "$id" 2>&1 >/dev/null)" = stderr_log ]
        id=$(box run -d -t busybox sh -c 'echo stderr_log 1>&2')
        box wait "$id"
        [ "$(box logs "$id" 2>/dev/null | tr -d '\r')" = stderr_log ]
        [ -z "$(box logs "$id" 2>&1 >/dev/null)" ]
}

@test "TestLogsTail" {
        id=$(box run -d busybox sh -c 'for i in $(seq 1 100); do echo =; done;')
        box wait "$id"
        [ "$(box logs --tail 0 "$id" | wc -l)" -eq 0 ]
        [ "$(box logs --tail 5 "$id" | wc -l)" -eq 5 ]
        [ "$(box logs --tail 99 "$id" | wc -l)" -eq 99 ]
        [ "$(box logs --tail all "$id" | wc -l)" -eq 100 ]
        [ "$(box logs --tail -1 "$id" | wc -l)" -eq 100 ]
        # a --tail that is no number is all of it, as Docker's daemon reads
        # it (box refused it)
        run box logs --tail random "$id"
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 100 ]
}

@test "TestLogsFollowStopped, TestLogsCLIContainerNotFound" {
        box run --name=test busybox echo hello
        run timeout 30 "$BOX" logs -f test
        [ "$status" -eq 0 ]
        [ "$output" = hello ]
        run box logs testlogsnocontainer
        [ "$status" -ne 0 ]
        [[ "$output" == *"no such container: 'testlogsnocontainer'"* ]]
}

@test "TestLogsSince" {
        box run --name=testlogssince busybox /bin/sh -c 'for i in $(seq 1 3); do sleep 1; echo log$i; done'
        run box logs -t testlogssince
        t=$(echo "${lines[1]}" | cut -d' ' -f1)
        since=$(( $(date -d "$t" +%s) + 1 ))
        run box logs -t --since=$since testlogssince
        [[ "$output" != *log1* && "$output" != *log2* ]]
        [[ "$output" == *log3* ]]
        # Go's layout wants two digits of seconds: box's strptime took one
        run box logs -t --since=2006-01-02T15:04:0Z testlogssince
        [ "$status" -eq 125 ]
        [[ "$output" == *"'2006-01-02T15:04:0Z'"* ]]
        for s in "" --since=0; do
                run box logs -t $s testlogssince
                [ "$status" -eq 0 ]
                [[ "$output" == *log1*log2*log3* ]]
        done
}

@test "TestRunAttachStdErrOnlyTTYMode, TestRunAttachStdOutOnlyTTYMode, TestRunAttachStdOutAndErrTTYMode, TestRunAttachWithDetach" {
        box run -t -a stderr busybox true
        box run -t -a stdout busybox true
        box run -t -a stdout -a stderr busybox true
        run box run -d --attach stdout busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"onflicting options"* ]]
}

@test "run -a (docker_cli_run_test.go's attach cases): a stream not named is in the log only, without --rm too" {
        # box's foreground run without --rm (attached through the monitor)
        # showed every stream whatever -a named
        run --separate-stderr box run --name a1 -a stderr busybox sh -c 'echo out; echo err >&2'
        [ -z "$output" ]
        [ "$stderr" = err ]
        run --separate-stderr box run --name a2 -a stdout busybox sh -c 'echo out; echo err >&2'
        [ "$output" = out ]
        [ -z "$stderr" ]
        [ "$(box inspect -f '{{.Config.AttachStdout}} {{.Config.AttachStderr}}' a1 a2)" = "$(printf 'false true\ntrue false')" ]
        [ "$(box logs a1 2>&1 | sort | paste -sd' ')" = "err out" ]
}

@test "TestInspectContainerFilterInt (run -i -a stdin prints the id)" {
        # nothing of its output is shown: docker run prints its id instead
        id=$(echo blahblah | box run -i -a stdin busybox cat)
        [[ "$id" =~ ^[0-9a-f]{64}$ ]]
        [ "$(box inspect -f '{{eq .State.ExitCode 0}}' "$id")" = true ]
        [ "$(box logs "$id")" = blahblah ]
        id=$(echo blahblah | box run --rm -i -a stdin busybox cat)
        [[ "$id" =~ ^[0-9a-f]{64}$ ]]
}

@test "TestCreateArgs, TestCreateHostConfig, TestCreateWithPortRange, TestCreateEchoStdout" {
        id=$(box create --entrypoint= busybox command arg1 arg2 "arg with space" -c flags)
        [ "$(box inspect -f '{{json .Path}} {{json .Args}}' "$id")" = '"command" ["arg1","arg2","arg with space","-c","flags"]' ]
        id=$(box create -P busybox echo)
        [ "$(box inspect -f '{{.HostConfig.PublishAllPorts}}' "$id")" = true ]
        id=$(box create -p 3300-3303:3300-3303/tcp busybox echo)
        for p in 3300 3301 3302 3303; do
                [ "$(box inspect -f "{{(index (index .HostConfig.PortBindings \"$p/tcp\") 0).HostPort}}" "$id")" = $p ]
        done
        id=$(box create busybox echo test123)
        [ "$(box start -ai "$id")" = test123 ]
}

@test "TestCreateVolumesCreated, TestCreateLabels, TestCreateHostnameWithNumber, TestCreateRM, TestCreateStopSignal, TestCreateStopTimeout, TestCreateWithInvalidLogOpts" {
        box create --name test_create_volume -v /foo busybox true
        [ -d "$(box inspect -f '{{(index .Mounts 0).Source}}' test_create_volume)" ]
        box create --name test_create_labels -l k1=v1 --label k2=v2 busybox true
        [ "$(box inspect -f '{{json .Config.Labels}}' test_create_labels)" = '{"k1":"v1","k2":"v2"}' ]
        [ "$(box run -h web.0 busybox hostname)" = web.0 ]
        id=$(box create busybox true)
        box rm "$id"
        id=$(box create busybox true)
        box rm -f "$id"
        box create --name test_create_stop_signal --stop-signal 9 busybox true
        [[ "$(box inspect -f '{{json .Config.StopSignal}}' test_create_stop_signal)" == *9* ]]
        box create --name test_create_stop_timeout_1 --stop-timeout 15 busybox true
        box create --name test_create_stop_timeout_2 busybox true
        [ "$(box inspect -f '{{json .Config.StopTimeout}}' test_create_stop_timeout_1 test_create_stop_timeout_2)" = "$(printf '15\nnull')" ]
        run box create --name test-invalidate-log-opts --log-opt invalid=true busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"unknown --log-opt 'invalid'"* ]]
        [[ "$(box ps -a)" != *test-invalidate-log-opts* ]]
}

@test "TestStartAttachCorrectExitCode, TestStartAttachSilent, TestStartPausedContainer, TestStartReturnCorrectExitCode" {
        id=$(box run -d busybox sh -c 'exit 1')
        box wait "$id"
        run box start -a "$id"
        [ "$status" -eq 1 ]
        box run --name teststartattachcorrectexitcode busybox echo test
        [ "$(box start -a teststartattachcorrectexitcode)" = test ]
        box run -d --name testing busybox sleep 100
        wait_running testing
        box pause testing
        run box start testing
        [ "$status" -ne 0 ]
        [[ "$output" == *"cannot start a paused container"*"try unpause instead"* ]]
        box unpause testing
        box create --restart=on-failure:2 --name withRestart busybox sh -c 'exit 11'
        box create --rm --name withRm busybox sh -c 'exit 12'
        run box start -a withRestart
        [ "$status" -eq 11 ]
        run box start -a withRm
        [ "$status" -eq 12 ]
}

@test "TestStartRecordError" {
        box run -d -p 9999:9999 --name test busybox sleep 100
        [ -z "$(box inspect -f '{{.State.Error}}' test)" ]
        run box run -d --name test2 -p 9999:9999 busybox sleep 100
        [ "$status" -eq 125 ]
        # box's wording is the kernel's, Docker's "port is already allocated"
        [[ "$(box inspect -f '{{.State.Error}}' test2)" == *"address already in use"* ]]
        box stop -t 0 test
        box start test2
        [ -z "$(box inspect -f '{{.State.Error}}' test2)" ]
}

@test "TestInspectTypeFlagContainer, TestInspectTypeFlagWithNoContainer, TestInspectTypeFlagWithInvalidValue, TestInspectJSONFields, TestInspectStopWhenNotFound, TestInspectUnknownObject" {
        box run -d --name=busybox busybox sleep 100
        [ "$(box inspect --type=container --format='{{.State.Running}}' busybox)" = true ]
        run box inspect --type=container busybox:latest
        [ "$status" -ne 0 ]
        run box inspect --type=foobar busybox
        [ "$status" -ne 0 ]
        [[ "$output" == *"not a valid value for --type"* ]]
        [ "$(box inspect --type=container --format='{{.HostConfig.Dns}}' busybox)" = "[]" ]
        box run -d --name=busybox2 busybox sleep 100
        for order in "busybox busybox2 missing" "missing busybox busybox2"; do
                run --separate-stderr box inspect --type=container --format='{{.Name}}' $order
                [ "$status" -ne 0 ]
                [ "$output" = "$(printf '/busybox\n/busybox2')" ]
                [[ "$stderr" == *"no such container: 'missing'"* ]]
        done
        run box inspect foobar
        [ "$status" -ne 0 ]
        [[ "$output" == *"no such object: 'foobar'"* ]]
}

@test "TestInspectBindMountPoint, TestInspectNamedMountPoint, TestInspectTimesAsRFC3339Nano, TestInspectInt64, TestInspectAmpersand, TestInspectByPrefix, TestInspectStatus" {
        mkdir -p "$BOX_TEST_TMP/data"
        box run -d --name test -v "$BOX_TEST_TMP/data:/data:z" busybox sleep 100
        # Docker's MountPoint fields: box had no Driver, Mode or Propagation
        [ "$(box inspect -f '{{len .Mounts}} {{(index .Mounts 0).Source}} {{(index .Mounts 0).Destination}} {{(index .Mounts 0).RW}}' test)" = "1 $BOX_TEST_TMP/data /data true" ]
        [ "$(box inspect -f '{{json (index .Mounts 0).Name}} {{json (index .Mounts 0).Driver}} {{json (index .Mounts 0).Mode}}' test)" = 'null null "z"' ]
        box run -d --name test2 -v data:/data busybox sleep 100
        [ "$(box inspect -f '{{(index .Mounts 0).Name}} {{(index .Mounts 0).Driver}} {{(index .Mounts 0).Destination}} {{(index .Mounts 0).RW}}' test2)" = "data local /data true" ]
        id=$(box run -d busybox true)
        box wait "$id"
        rfc='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$'
        for f in State.StartedAt State.FinishedAt Created; do
                [[ "$(box inspect -f "{{.$f}}" "$id")" =~ $rfc ]]
        done
        [[ "$(box image inspect -f '{{.Created}}' busybox)" =~ $rfc ]]
        box run -d -m=300M --name inspectTest busybox true
        [ "$(box inspect -f '{{.HostConfig.Memory}}' inspectTest)" = 314572800 ]
        [[ "$(box run --name amp --env 'TEST_ENV="soanni&rtr"' busybox env)" == *'soanni&rtr'* ]]
        [[ "$(box inspect amp)" == *'soanni\u0026rtr'* || "$(box inspect amp)" == *'soanni&rtr'* ]]
        iid=$(box image inspect -f '{{.Id}}' busybox)
        [ "$(box inspect -f '{{.Id}}' "${iid:0:12}")" = "$iid" ]
        [ "$(box inspect -f '{{.Id}}' "${iid:7:12}")" = "$iid" ]
        id=$(box run -d busybox sleep 100)
        [ "$(box inspect -f '{{.State.Status}}' "$id")" = running ]
        box pause "$id"
        [ "$(box inspect -f '{{.State.Status}}' "$id")" = paused ]
        box unpause "$id"
        box stop -t 1 "$id"
        [ "$(box inspect -f '{{.State.Status}}' "$id")" = exited ]
        box rm -f -v test test2
        box volume rm data
}

@test "TestVolumesFromGetsProperMode" {
        mkdir -p "$BOX_TEST_TMP/hp"
        box run --name parent -v "$BOX_TEST_TMP/hp:/test:ro" busybox true
        # :rw made the parent's read-only bind writable
        run box run --rm --volumes-from parent:rw busybox touch /test/file
        [ "$status" -ne 0 ]
        run box run --rm --volumes-from parent2:ro busybox touch /test/file
        [ "$status" -ne 0 ]
        box run --name parent2 -v "$BOX_TEST_TMP/hp:/test:ro" busybox true
        run box run --rm --volumes-from parent2:ro busybox touch /test/file
        [ "$status" -ne 0 ]
        [ ! -e "$BOX_TEST_TMP/hp/file" ]
}

@test "TestRunWithVolumesFromExited, TestRunVolumesFromInReadonlyModeFails, TestRunVolumesFromInReadWriteMode, TestRunMultipleVolumesFrom" {
        box run --name test-data --volume /some/dir busybox touch /some/dir/file
        box run --rm --volumes-from test-data busybox cat /some/dir/file
        box run --name parent -v /test busybox true
        run box run --rm --volumes-from parent:ro busybox touch /test/file
        [ "$status" -ne 0 ]
        box run --rm --volumes-from parent:rw busybox touch /test/file
        run box run --rm --volumes-from parent:bar busybox touch /test/file
        [ "$status" -eq 125 ]
        [[ "$output" == *"'parent:bar'"* ]]
        box run --rm --volumes-from parent busybox touch /test/file
        box run --name parent1 -v /test1 busybox touch /test1/foo
        box run --name parent2 -v /other busybox touch /other/bar
        box run --rm --volumes-from parent1 --volumes-from parent2 busybox sh -c 'cat /test1/foo && cat /other/bar'
}

@test "TestRunVolumesMountedAsReadonly, TestRunBindMounts, TestRunVolumeWithOneCharacter, TestRunMountReadOnlyDevShm" {
        run box run -v /test:/test:ro busybox touch /test/somefile
        [ "$status" -ne 0 ]
        rmdir /test 2>/dev/null || true
        d="$BOX_TEST_TMP/bind"
        mkdir -p "$d"
        touch "$d/touch-me"
        [[ "$(box run -v "$d:/tmpx:ro" busybox ls /tmpx)" == *touch-me* ]]
        box run -v "$d:/tmp:rw" busybox touch /tmp/holla
        [ -e "$d/holla" ]
        run box run -v "$d:." busybox ls .
        [ "$status" -eq 125 ]
        box run -v "$d/holla:/tmp/holla:rw" busybox sh -c "echo -n 'yotta' > /tmp/holla"
        [ "$(cat "$d/holla")" = yotta ]
        mkdir -p "$BOX_TEST_TMP/q"
        [ "$(box run -v "$BOX_TEST_TMP/q:/foo" busybox sh -c 'find /foo')" = /foo ]
        run box run --rm --read-only -v "$BOX_TEST_TMP/q:/dev/shm:ro" busybox touch /dev/shm/foo
        [ "$status" -ne 0 ]
        [[ "$output" == *"Read-only file system"* ]]
}

@test "TestRunCreateVolumeEtc, TestRunNetworkFilesBindMount, TestRunNetworkFilesBindMountRO, TestMountIntoProc" {
        [[ "$(box run --dns=127.0.0.1 -v /etc busybox cat /etc/resolv.conf 2>/dev/null)" == *"nameserver 127.0.0.1"* ]]
        [[ "$(box run -h=test123 -v /etc busybox cat /etc/hostname)" == *test123* ]]
        run box run --add-host=test:192.168.0.1 -v /etc busybox cat /etc/hosts
        [[ "$output" == *"$(printf '192.168.0.1\ttest')"* && "$output" == *"$(printf '127.0.0.1\tlocalhost')"* ]]
        f="$BOX_TEST_TMP/testfile"
        printf test123 >"$f"
        chmod 646 "$f"
        for nw in /etc/resolv.conf /etc/hosts /etc/hostname; do
                [ "$(box run -v "$f:$nw" busybox cat "$nw")" = test123 ]
                run box run -v "$f:$nw:ro" busybox touch "$nw"
                [ "$status" -ne 0 ]
        done
        run box run -v /proc//sys busybox true
        [ "$status" -eq 125 ]
}

@test "TestRunNoDupVolumes, TestRunDuplicateMount" {
        mkdir -p "$BOX_TEST_TMP/p1" "$BOX_TEST_TMP/p2"
        # box let the later -v win
        run box run -v "$BOX_TEST_TMP/p1:/test" -v "$BOX_TEST_TMP/p2:/test" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"duplicate mount point: '/test'"* ]]
        run box run -v test1:/foo -v test2:/foo busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"duplicate mount point: '/foo'"* ]]
        [[ "$(box volume ls -q)" != *test1* ]]
        run box run -v /tmp:/x --mount type=bind,src=/tmp,dst=/x busybox true
        [ "$status" -eq 125 ]
        # the same -v twice is one mount
        echo touch-me-foo-bar >"$BOX_TEST_TMP/p1/f"
        run box run --name test -v "$BOX_TEST_TMP/p1:/p1" -v "$BOX_TEST_TMP/p1:/p1" busybox sh -c 'cat /p1/f && ls /'
        [ "$status" -eq 0 ]
        [[ "$output" == *touch-me-foo-bar* ]]
        [[ "$output" != *"p1:"* ]]
        [ "$(box inspect -f '{{json .Config.Volumes}}' test)" = null ]
        # an image VOLUME and --volumes-from stay below -v (TestRunApplyVolumesFromBeforeVolumes)
        box run --name parent -v /test busybox touch /test/foo
        box run --rm --volumes-from parent -v /test busybox true
}

@test "TestRunInvalidCpusetCpusFlagValue, TestRunInvalidCpusetMemsFlagValue" {
        # box made the container and failed at its start, in the cgroup
        cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus 2>/dev/null || cat /sys/devices/system/cpu/online)
        mems=$(cat /sys/fs/cgroup/cpuset/cpuset.mems 2>/dev/null || cat /sys/devices/system/node/online)
        run box create --cpuset-cpus 1000 busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"requested CPUs are not available - requested 1000, available: $cpus"* ]]
        run box create --cpuset-mems 1000 busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"requested memory nodes are not available - requested 1000, available: $mems"* ]]
        [ -z "$(box ps -aq)" ]
        box create --cpuset-cpus 0 --cpuset-mems 0 busybox true
}

@test "TestRunTmpfsMounts, TestRunTmpfsMountsEnsureOrdered, TestRunTmpfsMountsWithOptions" {
        box run --rm --tmpfs /run busybox touch /run/somefile
        box run --rm --tmpfs /run:noexec busybox touch /run/somefile
        box run --rm --tmpfs /run:noexec,nosuid,rw,size=5k,mode=700 busybox touch /run/somefile
        run box run --rm --tmpfs /run:foobar busybox touch /run/somefile
        [ "$status" -eq 125 ]
        # a bind on a --tmpfs's target is Docker's duplicate (box ran it)
        run box run --rm --tmpfs /run -v /run:/run busybox touch /run/somefile
        [ "$status" -eq 125 ]
        [[ "$output" == *"duplicate mount point: '/run'"* ]]
        # two --tmpfs on one target: the later, as Docker's client map keeps it
        [[ "$(box run --rm --tmpfs /run --tmpfs /run:size=1m busybox sh -c 'mount | grep " /run "')" == *size=1024k* ]]
        touch "$BOX_TEST_TMP/f"
        [ "$(box run --rm --tmpfs /run -v "$BOX_TEST_TMP/f:/run/test" busybox ls /run)" = test ]
        run box run --rm --tmpfs /tmp busybox sh -c "mount | grep 'tmpfs on /tmp'"
        [[ "$output" == *rw,* && "$output" == *nosuid* && "$output" == *nodev* && "$output" == *noexec* ]]
        run box run --rm --tmpfs /tmp:rw,exec,size=8192k busybox sh -c "mount | grep 'tmpfs on /tmp'"
        [[ "$output" != *noexec* && "$output" == *size=8192k* ]]
        run box run --rm --tmpfs /tmp:rw,size=8192k,exec,size=4096k,noexec busybox sh -c "mount | grep 'tmpfs on /tmp'"
        [[ "$output" == *noexec* && "$output" == *size=4096k* ]]
}

@test "TestRunWithInvalidCpuPeriod, TestRunWithInvalidBlkioWeight, TestRunWithSwappinessInvalid, TestRunWithMemoryReservationInvalid, TestRunSwapLessThanMemoryLimit" {
        for p in 900 2000000 -3; do
                run box run --rm --cpu-period "$p" busybox true
                [ "$status" -eq 125 ]
                [[ "$output" == *"CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"* ]]
        done
        run box run --rm --blkio-weight 5 busybox true
        [[ "$output" == *"range of blkio weight is from 10 to 1000"* ]]
        for p in 101 -10; do
                run box run --rm --memory-swappiness "$p" busybox true
                [ "$status" -eq 125 ]
                [[ "$output" == *"valid memory swappiness range is 0-100"* ]]
        done
        run box run --rm -m 500M --memory-reservation 800M busybox true
        [[ "$output" == *"minimum memory limit can not be less than memory reservation limit"* ]]
        run box run --rm --memory-reservation 1k busybox true
        [[ "$output" == *"minimum memory reservation allowed is 6MB"* ]]
        run box run --rm -m 16m --memory-swap 15m busybox echo test
        [[ "$output" == *"minimum memoryswap limit should be larger than memory limit"* ]]
        run box run --rm --cpus 0.5 --cpu-quota 50000 --cpu-period 100000 busybox true
        [[ "$output" == *"conflicting options: Nano CPUs and CPU Period cannot both be set"* ]]
}

@test "TestRunWithInvalidPathforBlkioWeightDevice, TestRunWithInvalidPathforBlkioDeviceReadBps, TestRunDeviceSymlink, TestRunSysctls" {
        for f in --blkio-weight-device --device-read-bps --device-write-bps --device-read-iops --device-write-iops; do
                run box run --rm "$f" /dev/sdX:500 busybox true
                [ "$status" -eq 125 ]
                [[ "$output" == *"/dev/sdX"* ]]
        done
        ln -s /dev/zero "$BOX_TEST_TMP/symzero"
        [ "$(box run --rm --device "$BOX_TEST_TMP/symzero:/dev/symzero" busybox sh -c 'dd if=/dev/symzero bs=4K count=8 2>/dev/null | md5sum' | cut -d' ' -f1)" = bb7df04e1b0a2570657527a7e108ae23 ]
        touch "$BOX_TEST_TMP/file"
        ln -s "$BOX_TEST_TMP/file" "$BOX_TEST_TMP/symfile"
        run box run --rm --device "$BOX_TEST_TMP/symfile:/dev/symzero" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"not a device node"* ]]
        [ "$(box run --rm --sysctl net.ipv4.ip_forward=1 busybox cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
        [ "$(box run --rm --sysctl net.ipv4.ip_forward=0 busybox cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
        run box run --rm --sysctl kernel.foobar=1 busybox true
        [ "$status" -eq 125 ]
}

@test "TestRunOOMExitCode, TestRunWithUlimits, TestRunPIDsLimit, TestUserNoEffectiveCapabilitiesChown, TestUserNoEffectiveCapabilitiesMknod" {
        run box run --rm -m 8MB busybox sh -c 'x=a; while true; do x=$x$x$x$x; done'
        [ "$status" -eq 137 ]
        [ "$(box run --rm --ulimit nofile=50 busybox /bin/sh -c 'ulimit -n')" = 50 ]
        [ "$(box run --rm --pids-limit 4 busybox cat /sys/fs/cgroup/pids/pids.max)" = 4 ]
        box run --rm busybox chown 100 /tmp
        for a in "--user 1000:1000" "--cap-drop chown"; do
                run box run --rm $a busybox chown 100 /tmp
                [ "$status" -eq 1 ]
                [[ "$output" == *"Operation not permitted"* ]]
        done
        run box run --rm --user 1000:1000 busybox mknod /tmp/node b 1 2
        [ "$status" -eq 1 ]
        [[ "$output" == *"Operation not permitted"* ]]
}

@test "TestValidateDevice, TestParseDevice (docker/cli cli/command/container/opts_test.go)" {
        # each refused with docker/cli's reason, before anything is made
        while IFS='|' read -r d why; do
                run box create --device="$d" busybox true
                [ "$status" -eq 125 ]
                [[ "$output" == *"$why"* ]]
        done <<'CASES'
|bad format for path
./|'./' is not an absolute path
../|'../' is not an absolute path
/:../|'../' is not an absolute path
/:path|'path' is not an absolute path
:|bad format for path
/tmp:|'' is not an absolute path
:test|bad format for path
:/test|bad format for path
tmp:|'' is not an absolute path
::|bad format for path
:::|bad format for path
/tmp:::|bad format for path
path:ro|'ro' is not an absolute path
path:rr|'rr' is not an absolute path
a:/b:ro|bad mode specified: 'ro'
a:/b:rr|bad mode specified: 'rr'
CASES
        [ -z "$(box ps -aq)" ]
        # the mappings docker/cli makes of the valid forms
        for d in "/dev/null|/dev/null|rwm" "/dev/null:rw|/dev/null|rw" "/dev/null:/something|/something|rwm" "/dev/null:/something:rw|/something|rw" "/dev/null:/with space:mrw|/with space|mrw"; do
                IFS='|' read -r arg path perms <<<"$d"
                id=$(box create --device="$arg" busybox true)
                [ "$(box inspect -f '{{(index .HostConfig.Devices 0).PathOnHost}}|{{(index .HostConfig.Devices 0).PathInContainer}}|{{(index .HostConfig.Devices 0).CgroupPermissions}}' "$id")" = "/dev/null|$path|$perms" ]
        done
}

@test "TestParseRunWithInvalidArgs (docker/cli opts_test.go)" {
        for args in "-a ubuntu busybox true" "-a invalid busybox true" "-a invalid -a stdout busybox true"; do
                run box run $args
                [ "$status" -eq 125 ]
                [[ "$output" == *"valid streams are STDIN, STDOUT and STDERR"* ]]
        done
        for args in "-a stdout -a stderr -z busybox true" "-a stdin -z busybox true" "-z --rm busybox true"; do
                run box run $args
                [ "$status" -eq 125 ]
                [[ "$output" == *"'-z'"* ]]
        done
}

@test "TestInspectNoSizeFlagContainer, TestInspectSizeFlagContainer, TestPsListContainersSize" {
        box run -d --name=busybox busybox sleep 100
        # without -s the sizes are not there (Docker's typed struct prints <nil>)
        [[ "$(box inspect --type=container --format='{{.SizeRw}},{{.SizeRootFs}}' busybox)" != *[0-9]* ]]
        # -s: box accepted it and printed nothing more
        run box inspect -s --type=container --format='{{.SizeRw}},{{.SizeRootFs}}' busybox
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^[0-9]+,[0-9]+$ ]]
        [ "${output#*,}" -gt 2000000 ]
        box run --name test_size busybox sh -c 'echo 1 > test'
        run box ps -s -n=1
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == "$(box inspect -f '{{.Id}}' test_size | cut -c1-12)"* ]]
        # Docker's SIZE column: the writable layer's, then the whole root's
        [[ "${lines[1]}" == *" 2B (virtual $(box images --format '{{.Size}}' busybox))" ]]
        [ "$(box inspect -s -f '{{.SizeRw}}' test_size)" = 2 ]
}

@test "TestExecEnv, TestExecSetEnv, TestExecExitStatus, TestExecWithUser, TestExecStartFails, TestExecUlimits, TestExecOnReadonlyContainer" {
        box run -d --name testing -e LALA=value1 -e LALA=value2 -e HOME=/root --read-only --ulimit nofile=511:511 busybox sleep 100
        wait_running testing
        run box exec testing env
        [[ "$output" != *LALA=value1* && "$output" == *LALA=value2* && "$output" == *HOME=/root* ]]
        run box exec -e HOME=/another -e ABC=xyz testing env
        [[ "$output" != *HOME=/root* && "$output" == *HOME=/another* && "$output" == *ABC=xyz* ]]
        # a bare -e K that box's environment lacks removes the container's K
        # (box left LALA), as Docker's daemon merges an exec's environment
        run env -u LALA "$BOX" exec -e LALA testing env
        [[ "$output" != *LALA* ]]
        run box exec testing sh -c 'exit 23'
        [ "$status" -eq 23 ]
        [[ "$(box exec -u 1 testing id)" == "uid=1(daemon) gid=1(daemon)"* ]]
        [[ "$(box exec -u root testing id)" == "uid=0(root) gid=0(root)"* ]]
        run -127 box exec testing no-such-cmd
        [ "$status" -eq 127 ]
        [[ "$output" == *"executable file not found"* ]]
        [ "$(box exec testing sh -c 'ulimit -n')" = 511 ]
        box exec testing true
}

@test "TestExecWithPrivileged" {
        box run -d --name parent --cap-drop=ALL busybox sleep 100
        wait_running parent
        run box exec parent sh -c 'mknod /tmp/sdb b 8 16'
        [ "$status" -eq 1 ]
        [[ "$output" == *"Operation not permitted"* ]]
        [ "$(box exec --privileged parent sh -c 'mknod /tmp/sdb b 8 16 && echo ok')" = ok ]
        run box exec parent sh -c 'mknod /tmp/sdc b 8 32'
        [ "$status" -eq 1 ]
}

@test "TestPsListContainersFilterStatus, TestPsListContainersFilterID, TestPsListContainersFilterName, TestPsListContainersFilterExited, TestPsListContainersFilterCreated" {
        first=$(box run -d busybox true)
        box wait "$first"
        second=$(box run -d busybox sleep 100)
        [ "$(box ps --no-trunc -q --filter=status=exited)" = "$first" ]
        [ "$(box ps -a --no-trunc -q --filter=status=running)" = "$second" ]
        run box ps -a -q --filter=status=rubbish
        [ "$status" -ne 0 ]
        [[ "$output" == *"invalid filter 'status=rubbish'"* ]]
        box pause "$second"
        [ "$(box ps --no-trunc -q --filter=status=paused)" = "$second" ]
        box unpause "$second"
        [ "$(box ps -a -q --filter=id=$first)" = "${first:0:12}" ]
        box run --name=a_name_to_match busybox true
        [ "$(box ps -a -q --filter=name=a_name_to_match)" = "$(box inspect -f '{{.Id}}' a_name_to_match | cut -c1-12)" ]
        run box run --name nonzero1 busybox false
        nz=$(box inspect -f '{{.Id}}' nonzero1)
        [[ "$(box ps -a -q --no-trunc --filter=exited=1)" == *"$nz"* ]]
        [[ "$(box ps -a -q --no-trunc --filter=exited=0)" != *"$nz"* ]]
        [[ "$(box ps -a -q --no-trunc --filter=exited=0)" == *"$first"* ]]
        c=$(box create busybox true)
        [[ "$(box ps -q)" != *"${c:0:12}"* ]]
        [ "$(box ps -a | grep "${c:0:12}" | grep -c Created)" -eq 1 ]
        [[ "$(box ps -q -f status=created)" == *"${c:0:12}"* ]]
}

@test "TestPsListContainersFilterLabel, TestPsByOrder, TestPsNotShowPortsOfStoppedContainer" {
        box run --name=first -l match=me -l second=tag busybox true
        box run --name=second -l "match=me too" busybox true
        box run --name=third -l nomatch=me busybox true
        f=$(box inspect -f '{{.Id}}' first) s=$(box inspect -f '{{.Id}}' second) t=$(box inspect -f '{{.Id}}' third)
        [ "$(box ps -a -q --no-trunc --filter=label=match=me)" = "$f" ]
        [ "$(box ps -a -q --no-trunc --filter=label=match=me --filter=label=second=tag)" = "$f" ]
        [ -z "$(box ps -a -q --no-trunc --filter=label=match=me --filter=label=second=tag-no)" ]
        out=$(box ps -a -q --no-trunc --filter=label=match)
        [[ "$out" == *"$f"* && "$out" == *"$s"* && "$out" != *"$t"* ]]
        c1=$(box run -d --name xyz-abc busybox sleep 100)
        c2=$(box run -d --name xyz-123 busybox sleep 100)
        box run -d --name 789-abc busybox sleep 100
        [ "$(box ps --no-trunc -q -f name=xyz)" = "$(printf '%s\n%s' "$c2" "$c1")" ]
        box run --name=foo -d -p 6000:5000 busybox sleep 100
        wait_running foo
        [[ "$(box ps --format '{{ .Ports }}' --filter name=foo)" == *":6000->5000/tcp"* ]]
        box kill foo
        box wait foo || true
        [ -z "$(box ps --format '{{ .Ports }}' --filter name=foo)" ]
}

@test "TestRunRmAndWait, TestRunRm" {
        box run --name=test --rm -d busybox sh -c 'sleep 2;exit 2'
        # box printed 0: the record it read had gone with --rm
        run box wait test
        [ "$status" -eq 0 ]
        [ "$output" = 2 ]
        box run --name=miss-me-when-im-gone --rm busybox true
        run box inspect -f '{{.Name}}' miss-me-when-im-gone
        [ "$status" -eq 1 ]
        [[ "$output" == *"no such object: 'miss-me-when-im-gone'"* ]]
}

@test "TestRunInteractiveWithRestartPolicy, TestRunExitOnStdinClose, TestRunStdinPipe, TestRunCidFileCheckIDLength" {
        run timeout 60 "$BOX" run -i --name test-inter-restart --restart=always busybox sh <<<'exit 11'
        [ "$status" -eq 11 ]
        box stop -t 1 test-inter-restart
        run timeout 60 "$BOX" run --name testrunexitonstdinclose -i busybox /bin/cat <<<hello
        [ "$status" -eq 0 ]
        [ "$output" = hello ]
        [ "$(box inspect -f '{{.State.Running}}' testrunexitonstdinclose)" = false ]
        id=$(echo blahblah | box run -i -a stdin busybox cat)
        box wait "$id"
        [ "$(box logs "$id")" = blahblah ]
        box rm "$id"
        id=$(box run -d --cidfile "$BOX_TEST_TMP/cid" busybox true)
        [ "$(cat "$BOX_TEST_TMP/cid")" = "$id" ]
        [ "${#id}" -eq 64 ]
}

@test "TestRunModePIDContainerNotRunning, TestRunModeIpcContainerNotRunning, TestRunModeIpcContainerNotExists, TestRunModePIDContainerNotExists, TestRunWithDaemonFlags" {
        id=$(box create busybox true)
        run box run --pid=container:$id busybox true
        [ "$status" -eq 125 ]
        run box run --ipc=container:$id busybox true
        [ "$status" -eq 125 ]
        for m in --ipc --pid; do
                run box run -d $m container:abcd1234 busybox top
                [ "$status" -eq 125 ]
                [[ "$output" == *abcd1234* ]]
        done
        run box --exec-opt foo=bar run -i busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"unknown flag '--exec-opt'"* ]]
}

@test "TestCpSpecialFiles" {
        id=$(box run -d busybox sh -c 'touch /foo')
        [ "$(box wait "$id")" = 0 ]
        # a stopped container's /etc files are its own, as in it (box gave
        # the image's empty ones)
        for f in resolv.conf:ResolvConfPath hosts:HostsPath hostname:HostnamePath; do
                box cp "$id:/etc/${f%%:*}" "$BOX_TEST_TMP/${f%%:*}"
                [ -s "$BOX_TEST_TMP/${f%%:*}" ]
                cmp "$BOX_TEST_TMP/${f%%:*}" "$(box inspect -f "{{.${f#*:}}}" "$id")"
        done
        [ "$(cat "$BOX_TEST_TMP/hostname")" = "$(box inspect -f '{{.Config.Hostname}}' "$id")" ]
        # and the container's own layer holds none of them
        [ "$(box diff "$id")" = "A /foo" ]
}

@test "TestCpLocalOnly, TestCpToDot, TestCpToStdout, TestCpNameHasColon, TestCopyCreatedContainer, TestCpVolumePath" {
        run box cp foo bar
        [ "$status" -ne 0 ]
        [[ "$output" == *"must specify at least one container source"* ]]
        id=$(box run -d busybox sh -c 'echo lololol > /te:s:t; echo lololol > /test')
        box wait "$id"
        mkdir "$BOX_TEST_TMP/out"
        (cd "$BOX_TEST_TMP/out" && box cp "$id:/test" .)
        [ "$(cat "$BOX_TEST_TMP/out/test")" = lololol ]
        [[ "$(box cp "$id:/test" - | tar tv)" == *-rw*test* ]]
        box cp "$id:/te:s:t" "$BOX_TEST_TMP/out"
        [ "$(cat "$BOX_TEST_TMP/out/te:s:t")" = lololol ]
        box create --name test_cp -v /test busybox true
        box cp test_cp:/bin/sh "$BOX_TEST_TMP/out"
        [ -L "$BOX_TEST_TMP/out/sh" ]
        mkdir -p "$BOX_TEST_TMP/v/test"
        echo bm >"$BOX_TEST_TMP/v/test/f"
        id=$(box run -d -v /foo -v "$BOX_TEST_TMP/v/test:/test" -v "$BOX_TEST_TMP/v:/baz" busybox sh -c 'touch /foo/bar')
        box wait "$id"
        box cp "$id:/foo" "$BOX_TEST_TMP/out/foo"
        [ -d "$BOX_TEST_TMP/out/foo" ] && [ -f "$BOX_TEST_TMP/out/foo/bar" ]
        box cp "$id:/baz/test" "$BOX_TEST_TMP/out/t2"
        [ "$(cat "$BOX_TEST_TMP/out/t2/f")" = bm ]
        box cp "$id:/test" "$BOX_TEST_TMP/out/t3"
        [ "$(cat "$BOX_TEST_TMP/out/t3/f")" = bm ]
}
