#!/usr/bin/env bats
# An attacker's review of box pull: a hostile registry on 127.0.0.1
# (tests/e2e/attack-registry.py) bends one image's manifest, config or
# layer, or leads box's credentials elsewhere.  Each pull fails with one
# line and exit 125 and leaves nothing named or half-written in the store.
load helpers
bats_require_minimum_version 1.5.0

setup() { box_setup_store; }
teardown() {
        [ -z "${REG_PID:-}" ] || { kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null || true; }
        "$BOX" rm -f $("$BOX" ps -aq --no-trunc 2>/dev/null) >/dev/null 2>&1 || true
        box_teardown_store
}

# start_registry MODE: serves x/img:tag bent by MODE; sets REG.
start_registry() {
        local pf=$BOX_TEST_TMP/port-$1
        rm -f "$pf" "$pf.stolen"
        python3 "$BATS_TEST_DIRNAME/attack-registry.py" "$pf" "$1" 2>/dev/null &
        REG_PID=$!
        for _ in $(seq 400); do [ -s "$pf" ] && break; sleep 0.05; done
        REG=127.0.0.1:$(cat "$pf")
        PORTFILE=$pf
}

stop_registry() {
        kill "$REG_PID" 2>/dev/null
        wait "$REG_PID" 2>/dev/null || true
        REG_PID=
}

@test "attack: a hostile registry's manifest, config or layer fails the pull and leaves the store as it was" {
        declare -A want=(
                [notjson]="config: image config: invalid JSON"
                [bigsize]="size mismatch"
                [negsize]="negative size -1"
                [badlayer]="not a tar archive"
                [baddiffid]="diff_id mismatch"
                [dotdigest]="invalid digest 'sha256:../../../../etc/passwd'"
                [hugeconfig]="config of 1099511627776 bytes (limit"
                [bigmanifest]="is larger than 4194304 bytes"
                [truncated]="transfer closed"
                [emptymanifest]="manifest 'tag' is not JSON (HTTP 200)"
        )
        for mode in "${!want[@]}"; do
                start_registry "$mode"
                run --separate-stderr timeout 120 "$BOX" pull -q --tls-verify=false "$REG/x/img:tag"
                echo "$mode: $status $stderr"
                [ "$status" -eq 125 ]
                [ "$(echo "$stderr" | wc -l)" -eq 1 ]
                [[ "$stderr" == "box: error: registry '$REG', repository 'x/img': "*"${want[$mode]}"* ]]
                stop_registry
                [ -z "$(box images -q)" ]
                [ -z "$(ls "$BOX_ROOT/tmp")" ]
        done
        # the same registry, unbent, works
        start_registry good
        run box pull -q --tls-verify=false "$REG/x/img:tag"
        [ "$status" -eq 0 ]
        [ "$(box images -q | wc -l)" -eq 1 ]
}

@test "attack: a 401 from where a redirect led does not get the registry's credentials" {
        # the registry redirects its manifest to storage (another host name),
        # whose 401 names a token realm of its own: box used to send the
        # registry's Basic credentials there
        start_registry realmsteal
        mkdir -p "$XDG_CONFIG_HOME/box"
        printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf user:secret | base64)" \
                >"$XDG_CONFIG_HOME/box/auth.json"
        run --separate-stderr timeout 60 "$BOX" pull -q --tls-verify=false "$REG/x/img:tag"
        echo "$stderr"
        [ "$status" -eq 125 ]
        [[ "$stderr" == *"manifest 'tag': HTTP 401 Unauthorized"* ]]
        [ ! -e "$PORTFILE.stolen" ]
}

@test "attack: a token realm holding a terminal escape sequence is refused, not printed" {
        start_registry escrealm
        run --separate-stderr timeout 60 "$BOX" pull -q --tls-verify=false "$REG/x/img:tag"
        [ "$status" -eq 125 ]
        [ "$stderr" = "box: error: registry '$REG', repository 'x/img': registry '$REG': its Bearer challenge names no http(s) realm" ]
}

@test "attack: an image's health check interval under a millisecond still runs the check" {
        # 500000 ns became 0 ms, which the monitor takes for "no checks":
        # the container stayed "starting" for ever
        ATTACK_LAYER=$BUSYBOX_TAR start_registry fasthealth
        box pull -q --tls-verify=false "$REG/x/img:tag" >/dev/null
        stop_registry
        box run -d --name fh --network none "$REG/x/img:tag" >/dev/null
        for _ in $(seq 100); do
                [ "$(box inspect -f '{{.State.Health.Status}}' fh)" = healthy ] && break
                sleep 0.1
        done
        [ "$(box inspect -f '{{.State.Health.Status}}' fh)" = healthy ]
        box rm -f fh >/dev/null
}
