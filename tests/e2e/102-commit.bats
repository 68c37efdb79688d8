#!/usr/bin/env bats
# box commit: a container's changes become a new image that runs.
load exec-helpers

setup() { run_setup; }
teardown() { exec_teardown; }

@test "commit: then run the new image; deletions, -c, -m, -a and the history" {
        box run --name k1 busybox sh -c 'echo hello > /new; rm /bin/vi; mkdir -p /d; echo x > /d/f'
        run box commit -m "my msg" -a "Me <me@example.com>" -c 'ENV FOO=bar' \
                -c 'CMD ["cat", "/new"]' k1 myimg:1
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        [ "$(box run --rm myimg:1)" = hello ]
        run box run --rm myimg:1 sh -c 'echo $FOO; cat /d/f; ls /bin/vi'
        [ "${lines[0]}" = bar ]
        [ "${lines[1]}" = x ]
        [[ "${lines[2]}" == *"No such file"* ]]
        run box image history myimg:1
        [[ "${lines[1]}" == *"sh -c echo hello"*"my msg"* ]]
        box image inspect myimg:1 | grep -q '"Author": "Me <me@example.com>"'
        # the container's upper dir is still its own
        [ -f "$BOX_ROOT/containers/$(container_id k1)/upper/new" ]
        # no HOSTNAME of the container in the image
        ! box run --rm myimg:1 env | grep -q "HOSTNAME=$(container_id k1 | cut -c1-12)"
}

@test "commit: keeps the container's env, user, workdir and the image's entrypoint" {
        import_with ep 'ENTRYPOINT ["echo", "ep"]' 'CMD ["default"]'
        box run --name k2 -e ADDED=1 -u nobody -w /tmp ep arg1
        box commit k2 ep2 >/dev/null
        [ "$(box run --rm ep2)" = "ep arg1" ]
        [ "$(box run --rm --entrypoint sh ep2 -c 'echo $ADDED; id -u; pwd')" = "$(printf '1\n65534\n/tmp')" ]
        # a committed image without a name is listed by its id
        run box commit k2
        [ "$status" -eq 0 ]
        box images -q | grep -q "${output:7:12}"
}

@test "commit: a running container, frozen while its upper dir is read" {
        start_bg c1 -- sh -c 'i=0; while :; do i=$((i+1)); echo $i > /c.tmp; mv /c.tmp /count; done'
        for _ in $(seq 50); do box exec c1 test -f /count && break; sleep 0.1; done
        box commit c1 live:1 >/dev/null
        n=$(box run --rm live:1 cat /count)
        [ "$n" -gt 0 ]
        # it was thawed afterwards: the counter goes on
        a=$(box exec c1 cat /count); sleep 0.3; b=$(box exec c1 cat /count)
        [ "$b" -gt "$a" ]
        box commit --pause=false c1 live:2 >/dev/null
        box run --rm live:2 cat /count
}

@test "commit: errors are 125 with one line" {
        run box commit nosuch
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such container"* ]]
        box run --name k3 busybox true
        run box commit -c 'BOGUS x' k3
        [ "$status" -eq 125 ]
        run box commit k3 'Bad:Name'
        [ "$status" -eq 125 ]
        run box commit --pause=maybe k3
        [ "$status" -eq 125 ]
}
