#!/usr/bin/env bats
# The prune commands as Docker's: a prompt without -f (no answer or "n"
# removes nothing), --filter until=/label=/label!= (volume prune: label and
# all=), system prune's networks and --volumes, and one-line errors.
load net-helpers

setup_file() { net_setup_file; }
teardown_file() { net_teardown_file; }
setup() { net_setup; }
teardown() { net_teardown; }

@test "prune: without -f each asks first; no answer or 'n' removes nothing, 'y' does" {
        box run --name pc1 busybox true
        box volume create pv1 >/dev/null
        box network create --subnet "$(subnet 1)" pn1 >/dev/null
        for c in "container prune" "volume prune -a" "network prune" "image prune" "system prune"; do
                run sh -c "'$BOX' $c </dev/null"
                [ "$status" -eq 0 ]
                [[ "$output" == "WARNING! This will remove"* ]]
                [[ "$output" == *"Are you sure you want to continue? [y/N] "* ]]
                [[ "$output" != *Deleted* ]]
                run sh -c "echo n | '$BOX' $c"
                [[ "$output" != *Deleted* ]]
        done
        box inspect pc1 >/dev/null
        box volume inspect pv1 >/dev/null
        box network inspect pn1 >/dev/null
        # docker's list for system prune, --volumes and -a change it
        run sh -c "'$BOX' system prune -a --volumes </dev/null"
        [[ "$output" == *"  - all networks not used by at least one container"* ]]
        [[ "$output" == *"  - all anonymous volumes not used by at least one container"* ]]
        [[ "$output" == *"  - all images without at least one container associated to them"* ]]
        run sh -c "echo y | '$BOX' volume prune -a"
        [[ "$output" == *"Deleted Volumes:"*pv1* ]]
        run box volume inspect pv1
        [ "$status" -ne 0 ]
        run sh -c "echo y | '$BOX' network prune"
        [[ "$output" == *"Deleted Networks:"*pn1* ]]
        run sh -c "echo y | '$BOX' container prune"
        [[ "$output" == *"Deleted Containers:"* ]]
        run box inspect pc1
        [ "$status" -ne 0 ]
}

@test "prune --filter: label= and label!= on containers, volumes, networks and images; until= by creation time" {
        box run --name keep1 --label keep=yes busybox true
        box run --name gone1 --label tier=tmp busybox true
        gid=$(box inspect -f '{{.Id}}' gone1)
        run box container prune -f --filter label=tier=tmp
        [[ "$output" == *"$gid"* ]]
        run box inspect gone1
        [ "$status" -ne 0 ]
        box inspect keep1 >/dev/null
        run box container prune -f --filter label!=keep
        box inspect keep1 >/dev/null
        # until: only what was made before it (keep1 is seconds old)
        run box container prune -f --filter until=1h
        box inspect keep1 >/dev/null
        run box container prune -f --filter until=2000-01-01T00:00:00Z
        box inspect keep1 >/dev/null
        sleep 1.1
        box container prune -f --filter "until=$(date +%s)" >/dev/null
        run box inspect keep1
        [ "$status" -ne 0 ]

        box volume create --label role=cache vc >/dev/null
        box volume create --label role=data vd >/dev/null
        box volume prune -f --filter all=true --filter label=role=cache >/dev/null
        run box volume inspect vc
        [ "$status" -ne 0 ]
        box volume inspect vd >/dev/null
        box volume prune -f --filter all=1 --filter label!=role >/dev/null
        box volume inspect vd >/dev/null
        box volume prune -f --filter all=true >/dev/null
        run box volume inspect vd
        [ "$status" -ne 0 ]

        box network create --subnet "$(subnet 2)" --label team=a na >/dev/null
        box network create --subnet "$(subnet 3)" --label team=b nb >/dev/null
        [ "$(box network inspect -f '{{index .Labels "team"}}' na)" = a ]
        run box network prune -f --filter label=team=a
        [[ "$output" == *na* ]]
        [[ "$output" != *nb* ]]
        box network inspect nb >/dev/null
        run box network prune -f --filter until=2000-01-01
        [[ "$output" != *nb* ]]
        box network prune -f --filter label!=team=a >/dev/null
        run box network inspect nb
        [ "$status" -ne 0 ]

        # images: by their config's labels; a tagged image needs -a
        mkdir -p "$BATS_TEST_TMPDIR/ctx"
        printf 'FROM busybox\nLABEL stage=old\nRUN echo a > /a\n' >"$BATS_TEST_TMPDIR/ctx/Dockerfile"
        box build -q -t oldimg "$BATS_TEST_TMPDIR/ctx" >/dev/null
        box image prune -a -f --filter label=stage=new >/dev/null
        box image inspect oldimg >/dev/null
        box image inspect busybox >/dev/null
        box image prune -a -f --filter label=stage=old >/dev/null
        run box image inspect oldimg
        [ "$status" -ne 0 ]
        box image inspect busybox >/dev/null
}

@test "system prune: stopped containers, unused networks, --volumes' anonymous volumes, images; filters apply" {
        box network create --subnet "$(subnet 4)" sn1 >/dev/null
        box run --name sc1 -v /anon busybox true
        vol=$(box inspect -f '{{range .Mounts}}{{.Name}}{{end}}' sc1)
        [ -n "$vol" ]
        box volume create named1 >/dev/null
        run box system prune -f --filter label=nothing-has-this
        box inspect sc1 >/dev/null
        box network inspect sn1 >/dev/null
        run box system prune -f --volumes
        [ "$status" -eq 0 ]
        [[ "$output" == *"Deleted Containers:"* ]]
        [[ "$output" == *"Deleted Networks:"*sn1* ]]
        [[ "$output" == *"Deleted Volumes:"*"$vol"* ]]
        [[ "$output" == *"Total reclaimed space:"* ]]
        box volume inspect named1 >/dev/null
        run box network inspect sn1
        [ "$status" -ne 0 ]
        box image inspect busybox >/dev/null
}

@test "prune: bad filters and arguments are one-line errors, exit 125, nothing removed" {
        box run --name bf1 busybox true
        for c in "container prune" "image prune" "network prune" "system prune"; do
                run box $c -f --filter bogus=1
                [ "$status" -eq 125 ]
                [[ "${lines[0]}" == *"invalid filter 'bogus'"* ]]
                # the help named is the command's own ('box prune' is none)
                [ "${lines[1]}" = "See 'box $c --help'." ]
                run box $c -f --filter until=yesterday
                [ "$status" -eq 125 ]
                [[ "${lines[0]}" == *"invalid filter 'until=yesterday'"* ]]
                run box $c -f --filter until=nanh
                [ "$status" -eq 125 ]
                run box $c -f --filter label
                [ "$status" -eq 125 ]
                run box $c -f extra
                [ "$status" -eq 125 ]
        done
        run box volume prune -f --filter until=1h
        [ "$status" -eq 125 ]
        [[ "${lines[0]}" == *"invalid filter 'until'"* ]]
        run box volume prune -f --filter all=maybe
        [ "$status" -eq 125 ]
        run box system prune -f --volumes --filter until=1h
        [ "$status" -eq 125 ]
        [[ "${lines[0]}" == *"'until' filter is not supported with '--volumes'"* ]]
        box inspect bf1 >/dev/null
}
