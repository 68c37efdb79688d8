#!/usr/bin/env bats
# Registries that ask for credentials: htpasswd Basic auth over TLS with a
# CA the test makes (--tls-verify on by default), and the WWW-Authenticate
# Bearer flow with a token service written for the test.  box login and
# logout; credentials never printed or logged.

load helpers
load registry-helpers

teardown() {
        [ -n "${AUX_PID:-}" ] && { kill "$AUX_PID" 2>/dev/null; wait "$AUX_PID" 2>/dev/null; } || true
        registry_stop
        box_teardown_store
}

trust_ca() {
        box_registries_yaml <<YAML
registries:
  $REG:
    ca: $BOX_TEST_TMP/tls/ca.crt
YAML
}

@test "TLS: an unknown CA fails, the configured CA passes, --tls-verify=false skips the check" {
        box_setup_store
        registry_start none tls
        skopeo copy -q --dest-tls-verify=false "docker-archive:$(busybox_archive)" "docker://$REG/tls/busybox:1" >/dev/null
        run box pull "$REG/tls/busybox:1"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == "box: error: registry '$REG': GET 'https://$REG/v2/': "*certificate* ]]
        [ -z "$(box images -q)" ]
        run box pull --tls-verify=false "$REG/tls/busybox:1"
        [ "$status" -eq 0 ]
        box rmi "$REG/tls/busybox:1" >/dev/null
        trust_ca
        run box pull "$REG/tls/busybox:1"
        [ "$status" -eq 0 ]
        box run --rm "$REG/tls/busybox:1" true
}

@test "htpasswd: no credentials is one 401 line; box login stores them 0600 and never shows them; pull and push work; logout" {
        box_setup_store
        registry_start basic tls
        trust_ca
        import_busybox
        box tag busybox "$REG/priv/busybox:1"
        run box push "$REG/priv/busybox:1"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: registry '$REG', repository 'priv/busybox': "*"HTTP 401 Unauthorized"* ]]
        run box login -u tester --password-stdin "$REG" <<<"wrong-pw"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == *"HTTP 401 Unauthorized"* ]]
        [ ! -e "$XDG_CONFIG_HOME/box/auth.json" ]
        run box --log-level debug login -u tester --password-stdin "$REG" <<<"s3cret-pw"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Login Succeeded"* ]]
        [[ "$output" != *s3cret* ]]
        [ "$(stat -c %a "$XDG_CONFIG_HOME/box/auth.json")" = 600 ]
        python3 -c 'import json,sys,base64; a=json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["auth"]; assert base64.b64decode(a)==b"tester:s3cret-pw"' \
                "$XDG_CONFIG_HOME/box/auth.json" "$REG"
        run box --log-level debug push "$REG/priv/busybox:1"
        [ "$status" -eq 0 ]
        [[ "$output" != *s3cret* && "$output" != *"$(printf tester:s3cret-pw | base64)"* ]]
        box rmi "$REG/priv/busybox:1" >/dev/null
        run box --log-level debug pull "$REG/priv/busybox:1"
        [ "$status" -eq 0 ]
        [[ "$output" != *s3cret* ]]
        run box logout "$REG"
        [ "$status" -eq 0 ]
        run box pull "$REG/priv/busybox:1"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == *"HTTP 401 Unauthorized"* ]]
        run box logout "$REG"
        [ "$status" -eq 125 ]
        [ "${lines[-1]}" = "box: error: not logged in to '$REG'" ]
}

@test "credentials from Docker's config.json are used" {
        box_setup_store
        registry_start basic tls
        trust_ca
        import_busybox
        printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf tester:s3cret-pw | base64)" > "$DOCKER_CONFIG/config.json"
        box tag busybox "$REG/dc/busybox:1"
        run box push -q "$REG/dc/busybox:1"
        [ "$status" -eq 0 ]
        [[ "$output" == sha256:* ]]
}

@test "Bearer: the token flow for pull (anonymous) and push (with credentials), scopes asked for" {
        box_setup_store
        registry_start token
        box_registries_yaml <<YAML
registries:
  $REG:
    insecure: true
YAML
        import_busybox
        box tag busybox "$REG/tok/busybox:1"
        run box push "$REG/tok/busybox:1"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: registry '$REG', repository 'tok/busybox': "*"HTTP 401 Unauthorized"* ]]
        box login -u tester --password-stdin "$REG" <<<"s3cret-pw" >/dev/null
        run box push "$REG/tok/busybox:1"
        [ "$status" -eq 0 ]
        grep -q '^token user .*scope=repository%3Atok%2Fbusybox%3Apull%2Cpush' "$BOX_TEST_TMP/token/log"
        box logout "$REG" >/dev/null
        box rmi "$REG/tok/busybox:1" >/dev/null
        run box pull "$REG/tok/busybox:1"
        [ "$status" -eq 0 ]
        grep -q '^token anonymous .*scope=repository%3Atok%2Fbusybox%3Apull' "$BOX_TEST_TMP/token/log"
        box run --rm "$REG/tok/busybox:1" true
}

@test "a blob redirect to storage elsewhere is followed without the credentials" {
        box_setup_store
        registry_start
        skopeo_push_busybox redir/busybox:1
        AUX_PORT=$(free_port)
        python3 "$BATS_TEST_DIRNAME/registry-tools.py" authproxy "$AUX_PORT" "$REG" > "$BOX_TEST_TMP/aux.log" 2>&1 &
        AUX_PID=$!
        wait_port "$AUX_PORT"
        box_registries_yaml <<YAML
registries:
  127.0.0.1:$AUX_PORT:
    insecure: true
YAML
        run box pull "127.0.0.1:$AUX_PORT/redir/busybox:1"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == *"HTTP 401 Unauthorized"* ]]
        box login -u someone --password-stdin "127.0.0.1:$AUX_PORT" <<<"pw" >/dev/null
        run box pull "127.0.0.1:$AUX_PORT/redir/busybox:1"
        [ "$status" -eq 0 ]
        grep -q '^storage noauth' "$BOX_TEST_TMP/aux.log"
        ! grep -q '^storage auth' "$BOX_TEST_TMP/aux.log" || false
        box run --rm "127.0.0.1:$AUX_PORT/redir/busybox:1" true
}
