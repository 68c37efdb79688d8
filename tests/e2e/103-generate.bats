#!/usr/bin/env bats
# box generate systemd: units systemd-analyze verify accepts.
load exec-helpers

setup() {
        command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
        run_setup
        mkdir -p "$BOX_TEST_TMP/units"
}
teardown() { exec_teardown; }

verify() {
        run systemd-analyze verify "$1"
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

@test "generate systemd: a unit that starts and stops the container" {
        box run --name web busybox true
        unit=$BOX_TEST_TMP/units/container-web.service
        box generate systemd --name web >"$unit"
        verify "$unit"
        grep -qx "ExecStart=$BOX start web" "$unit"
        grep -qx "ExecStop=$BOX stop -t 10 web" "$unit"
        grep -qx "Type=forking" "$unit"
        grep -qx "Restart=on-failure" "$unit"
        grep -qx "Environment=BOX_ROOT=$BOX_ROOT BOX_RUNROOT=$BOX_RUNROOT" "$unit"
        # by id without --name
        id=$(container_id web)
        box generate systemd -t 3 --restart-policy always web >"$BOX_TEST_TMP/units/container-$id.service"
        verify "$BOX_TEST_TMP/units/container-$id.service"
        grep -qx "ExecStop=$BOX stop -t 3 $id" "$BOX_TEST_TMP/units/container-$id.service"
        grep -qx "Restart=always" "$BOX_TEST_TMP/units/container-$id.service"
}

@test "generate systemd --new: the creating command, quoted for systemd" {
        box run --name app2 -e 'A=b c' -e 'P=50%' -w /tmp busybox sh -c 'echo "$A" $HOME'
        unit=$BOX_TEST_TMP/units/container-app2.service
        box generate systemd --new app2 >"$unit"
        verify "$unit"
        grep -qx "ExecStartPre=-$BOX rm -f app2" "$unit"
        grep -qx "ExecStopPost=-$BOX rm -f app2" "$unit"
        grep -qx 'ExecStart='"$BOX"' run -d --rm --name app2 -e "A=b c" -e P=50%% -w /tmp busybox sh -c "echo \\"$$A\\" $$HOME"' "$unit"
        # a container made by box create is recreated by run -d, as podman does
        box create --name app3 --network none busybox sleep 100 >/dev/null
        box generate systemd --new app3 >"$BOX_TEST_TMP/units/container-app3.service"
        grep -qx "ExecStart=$BOX run -d --rm --name app3 --network none busybox sleep 100" \
                "$BOX_TEST_TMP/units/container-app3.service"
        box rm app3 >/dev/null
}

@test "generate systemd: errors" {
        run box generate systemd nosuch
        [ "$status" -eq 125 ]
        run box generate systemd --restart-policy sometimes x
        [ "$status" -eq 125 ]
        run box generate systemd
        [ "$status" -eq 125 ]
        run box generate
        [ "$status" -eq 125 ]
}
