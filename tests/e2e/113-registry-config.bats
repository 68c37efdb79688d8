#!/usr/bin/env bats
# registries.yaml (the registry for names without one, mirrors, locations,
# insecure registries; a malformed file is one line with file:line:column)
# and --pull for build's FROM and for run.

load helpers
load registry-helpers

setup() {
        box_setup_store
        registry_start
}

teardown() {
        registry_stop
        box_teardown_store
}

unqualified_is_local() {
        box_registries_yaml <<YAML
# names without a registry come from the local one
unqualified-registry: $REG
registries:
  $REG:
    insecure: true
YAML
}

@test "names without a registry come from unqualified-registry; the image keeps Docker's name" {
        skopeo_push_busybox library/busybox:latest
        unqualified_is_local
        run box pull busybox
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "docker.io/library/busybox:latest" ]
        run box images --format '{{.Repository}}:{{.Tag}}'
        [ "$output" = "busybox:latest" ]
}

@test "a mirror serves a registry that is never contacted; location remaps one" {
        skopeo_push_busybox app/busybox:1
        box_registries_yaml <<YAML
registries:
  registry.invalid:
    mirrors: [ "$REG" ]
  $REG:
    insecure: true
  elsewhere.invalid:
    location: $REG
    insecure: true
YAML
        run box pull registry.invalid/app/busybox:1
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "registry.invalid/app/busybox:1" ]
        run box pull elsewhere.invalid/app/busybox:1
        [ "$status" -eq 0 ]
        box run --rm elsewhere.invalid/app/busybox:1 true
}

@test "a malformed registries.yaml is one line naming file, line and column" {
        box_registries_yaml <<'YAML'
registries:
  localhost:5000:
    insecure: [true
YAML
        run box pull localhost:5000/x:1
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == "box: error: '$XDG_CONFIG_HOME/box/registries.yaml':4:1: "* ]]
        box_registries_yaml <<'YAML'
registries:
  localhost:5000:
    insecure: maybe
YAML
        run box pull localhost:5000/x:1
        [ "$status" -eq 125 ]
        [ "${lines[-1]}" = "box: error: '$XDG_CONFIG_HOME/box/registries.yaml':3:15: want true or false" ]
        box_registries_yaml <<'YAML'
registries:
  "bad host/x":
    insecure: true
YAML
        run box pull localhost:5000/x:1
        [ "$status" -eq 125 ]
        [ "${lines[-1]}" = "box: error: '$XDG_CONFIG_HOME/box/registries.yaml':2:3: registries: not a registry host[:port]" ]
        printf 'unqualified-registry: 127.0.0.1:1\nmirrors: []\n' > "$BOX_REGISTRIES_CONF"
        run box pull localhost:5000/x:1
        [ "$status" -eq 125 ]
        [ "${lines[-1]}" = "box: error: '$BOX_REGISTRIES_CONF':2:1: unknown key (want unqualified-registry or registries)" ]
}

@test "build: FROM pulls what the store lacks; --pull=never refuses; --pull=always pulls again" {
        skopeo_push_busybox library/busybox:latest
        unqualified_is_local
        mkdir -p "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nRUN echo from the registry > /x\n' > "$BOX_TEST_TMP/ctx/Dockerfile"
        run box build --pull=never -t app "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == *"base image 'busybox' is not in the store (--pull=never)"* ]]
        run box build -t app "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Pulling busybox"* ]]
        run box run --rm app cat /x
        [ "$output" = "from the registry" ]
        run box build -t app "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 0 ]
        [[ "$output" != *"Pulling"* ]]
        run box build --pull=always -t app "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Pulling busybox"* ]]
        # newer: the registry gone, the local image does
        registry_stop
        run box build --pull=newer -t app "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 0 ]
        run box build --pull=always -t app "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == *"base image 'busybox': registry 'docker.io'"* ]]
}

@test "run pulls a missing image; --pull=never does not; a failed pull says both" {
        skopeo_push_busybox library/busybox:latest
        unqualified_is_local
        run box run --rm --pull=never busybox true
        [ "$status" -eq 125 ]
        [ "${lines[-1]}" = "box: error: no such image: 'busybox'" ]
        run box run --rm busybox echo pulled and ran
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "pulled and ran" ]
        run box run --rm nosuchimage true
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: no such image: 'nosuchimage', and pulling it failed: registry 'docker.io', repository 'library/nosuchimage': manifest 'latest': HTTP 404"* ]]
        run box run --rm --pull=sometimes busybox true
        [ "$status" -eq 125 ]
}
