#!/usr/bin/env bats
# box images / tag / rmi / image inspect / import, checked against what
# docker (and podman) print for the same requests.
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

# imports the busybox rootfs as NAME, created at Unix time T
import_at() {
        SOURCE_DATE_EPOCH=$2 "$BOX" import "${@:3}" "$BUSYBOX_TAR" "$1" >/dev/null
}

@test "images: the default table has docker's header even when empty" {
        run box images
        [ "$status" -eq 0 ]
        [ "$output" = "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE" ]
        import_busybox
        run box images
        [[ "${lines[1]}" =~ ^busybox\ +latest\ +[0-9a-f]{12}\ +(Less\ than\ a\ second|[0-9]+\ seconds?)\ ago\ +2.14MB$ ]]
}

@test "images --format: placeholders, the table directive, json lines" {
        import_at busybox 1700000000
        id=$(box image inspect --format '{{.Id}}' busybox)
        run box images --format '{{.ID}}: {{.Repository}}:{{.Tag}} {{.Size}}'
        [ "$output" = "${id:7:12}: busybox:latest 2.14MB" ]
        run box images --format '{{.ID}}' --no-trunc
        [ "$output" = "$id" ]
        run box images --format "table {{.ID}}\t{{.Repository}}\t{{.Tag}}"
        [ "${lines[0]}" = "IMAGE ID       REPOSITORY   TAG" ]
        [ "${lines[1]}" = "${id:7:12}   busybox      latest" ]
        run box images --format 'table {{.CreatedAt}}|{{.CreatedSince}}|{{.Digest}}'
        [ "${lines[0]}" = "CREATED AT|CREATED|DIGEST" ]
        [[ "${lines[1]}" =~ ^2023-11-1[45]\ [0-9:]{8}\ [-+][0-9]{4}\ [A-Z]+\|[0-9]+\ (years|months)\ ago\|sha256:[0-9a-f]{64}$ ]]
        run box images --format json
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == '{"Containers":"N/A","CreatedAt":"2023-11-1'* ]]
        [[ "$output" == *'"ID":"'"${id:7:12}"'","Repository":"busybox","SharedSize":"N/A","Size":"2.14MB","Tag":"latest","UniqueSize":"N/A","VirtualSize":"2.14MB"}' ]]
        run box images --format '{{.Repository | upper}} {{if eq .Tag "latest"}}L{{else}}T{{end}}'
        [ "$output" = "BUSYBOX L" ]
        run box images --format '{{.Nope}}'
        [ "$status" -ne 0 ]
        [[ "$output" == *"can't evaluate field Nope"* ]]
        run box images --format '{{.ID'
        [ "$status" -ne 0 ]
        [[ "$output" == *"template: unclosed action"* ]]
}

@test "images --digests adds a DIGEST column; -q lists each image once" {
        import_busybox
        box tag busybox localhost/other:1
        run box images --digests
        [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +DIGEST\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
        [[ "${lines[1]}" =~ \ sha256:[0-9a-f]{64}\  ]]
        run box images -q
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" =~ ^[0-9a-f]{12}$ ]]
        run box images --format '{{.Tag}}'
        [ "${#lines[@]}" -eq 2 ]
        run box images -q --no-trunc
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
}

@test "images REPOSITORY[:TAG] matches exactly, in any spelling" {
        import_busybox
        box tag busybox busybox:1.36
        box tag busybox localhost/busybox:1
        [ "$(box images --format '{{.Repository}}:{{.Tag}}' busybox | sort | tr '\n' ' ')" = "busybox:1.36 busybox:latest " ]
        [ "$(box images --format '{{.Tag}}' busybox:1.36)" = "1.36" ]
        [ "$(box images --format '{{.Tag}}' docker.io/library/busybox:1.36)" = "1.36" ]
        [ "$(box images --format '{{.Repository}}' localhost/busybox)" = "localhost/busybox" ]
        run box images --format '{{.Tag}}' busy
        [ "$output" = "" ]
        run box images busybox:0
        [ "$output" = "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE" ]
}

@test "images --filter reference= takes docker's patterns, several are OR'd" {
        import_busybox busybox:latest
        box tag busybox busybox:uclibc
        box tag busybox busybox:glibc
        box tag busybox busybox:musl
        box tag busybox localhost/app:1
        [ "$(box images --format '{{.Tag}}' --filter=reference='busy*:*libc' | sort | tr '\n' ' ')" = "glibc uclibc " ]
        [ "$(box images --format '{{.Tag}}' -f reference='busy*:uclibc' -f reference='busy*:glibc' | sort | tr '\n' ' ')" = "glibc uclibc " ]
        [ "$(box images --format '{{.Repository}}' -f reference='*/*')" = "localhost/app" ]
        [ "$(box images --format '{{.Repository}}' -f reference='*' | sort -u)" = "busybox" ]
        run box images -f 'reference=[-x]'
        [ "$status" -eq 1 ]
        [ "$output" = "box: error: syntax error in pattern '[-x]'" ]
}

@test "images --filter dangling, label, before, since" {
        import_at old 1600000000 --change 'LABEL com.example.version=1.0'
        import_at mid 1650000000 --change 'LABEL com.example.version=2.0 other=x'
        import_at new 1700000000
        # a re-import moves the name "new" and leaves the old image dangling
        import_at new 1700000001 --change 'CMD ["sh"]'
        [ "$(box images -f dangling=true --format '{{.Repository}}:{{.Tag}}')" = "<none>:<none>" ]
        [ "$(box images -f dangling=true -q | wc -l)" -eq 1 ]
        [ "$(box images -f dangling=false --format '{{.Repository}}' | tr '\n' ' ')" = "new mid old " ]
        [ "$(box images -f label=com.example.version --format '{{.Repository}}' | tr '\n' ' ')" = "mid old " ]
        [ "$(box images -f label=com.example.version=1.0 --format '{{.Repository}}')" = "old" ]
        [ -z "$(box images -f label=com.example.version=0.1 -q)" ]
        [ "$(box images -f label=com.example.version -f label=other=x --format '{{.Repository}}')" = "mid" ]
        # untagged images are listed too, as docker lists them
        [ "$(box images -f 'label!=com.example.version' --format '{{.Repository}}' | tr '\n' ' ')" = "new <none> " ]
        [ "$(box images -f before=new --format '{{.Repository}}' | tr '\n' ' ')" = "<none> mid old " ]
        [ "$(box images -f since=old --format '{{.Repository}}' | tr '\n' ' ')" = "new <none> mid " ]
        [ "$(box images -f since=old -f before=new --format '{{.Repository}}' | tr '\n' ' ')" = "<none> mid " ]
        [ "$(box images -f until=1625000000 --format '{{.Repository}}')" = "old" ]
        # the rmi pipeline from docker's documentation
        run box rmi $(box images -f dangling=true -q)
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^Deleted:\ sha256:[0-9a-f]{64}$ ]]
        [ -z "$(box images -a -f dangling=true -q)" ]
}

@test "images --filter errors: a bad form exits 125, an unknown filter 1" {
        import_busybox
        run box images -f dangling
        [ "$status" -eq 125 ]
        [[ "$output" == "box: error: bad format of filter 'dangling' (expected name=value)"* ]]
        run box images -f color=red
        [ "$status" -eq 1 ]
        [ "$output" = "box: error: invalid filter 'color'" ]
        run box images -f dangling=maybe
        [ "$status" -eq 1 ]
        [ "$output" = "box: error: invalid filter 'dangling=maybe'" ]
        run box images -f before=nosuch
        [ "$status" -eq 1 ]
        [ "$output" = "box: error: no such image: 'nosuch'" ]
}

@test "tag normalises references the way docker does" {
        import_busybox
        box tag busybox index.docker.io/library/x:1
        box tag busybox docker.io/y
        box tag busybox '[::1]:5000/v6/repo:t'
        box tag busybox localhost:5000/a/b
        run box image inspect --format '{{json .RepoTags}}' busybox
        [[ "$output" == *'"x:1"'* ]]
        [[ "$output" == *'"y:latest"'* ]]
        [[ "$output" == *'"[::1]:5000/v6/repo:t"'* ]]
        [[ "$output" == *'"localhost:5000/a/b:latest"'* ]]
        [ "$(box images --format '{{.Repository}}' x)" = "x" ]
}

@test "tag refuses bad targets and missing sources" {
        import_busybox
        run box tag busybox 'Foo'
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: invalid reference format: repository name 'library/Foo' must be lowercase" ]
        run box tag busybox 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        [ "$status" -eq 125 ]
        [[ "$output" == *"cannot specify 64-byte hexadecimal strings"* ]]
        run box tag busybox "x@sha256:$(printf 'a%.0s' {1..64})"
        [ "$status" -eq 125 ]
        [[ "$output" == *"refusing to create a tag with a digest reference"* ]]
        run box tag busybox "x:$(printf 't%.0s' {1..129})"
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid reference format"* ]]
        run box tag nosuch x
        [ "$status" -eq 1 ]
        [ "$output" = "box: error: no such image: 'nosuch'" ]
        run box tag busybox
        [ "$status" -eq 125 ]
        # podman's tag takes several targets: Docker's "exactly 2" is "at least"
        [[ "$output" == *"requires at least 2 arguments"* ]]
        # a bad target among several: nothing is written
        run box tag busybox ok:1 'BAD:x'
        [ "$status" -eq 125 ]
        run box image exists ok:1
        [ "$status" -eq 1 ]
}

@test "tag moves a name; the image it left is dangling" {
        import_at busybox 1600000000
        old=$(box image inspect --format '{{.Id}}' busybox)
        import_at other 1700000000 --change 'CMD ["sh"]'
        box tag other busybox
        [ "$(box image inspect --format '{{.Id}}' busybox)" != "$old" ]
        [ "$(box images -f dangling=true -q --no-trunc)" = "$old" ]
        run box image inspect --format '{{json .RepoTags}}' "$old"
        [ "$output" = "[]" ]
}

@test "rmi prints Untagged then Deleted, and goes on after a missing image" {
        import_busybox
        box tag busybox localhost/two:2
        id=$(box image inspect --format '{{.Id}}' busybox)
        run box rmi nosuch localhost/two:2 busybox
        [ "$status" -eq 1 ]
        [ "${lines[0]}" = "box: error: no such image: 'nosuch'" ]
        [ "${lines[1]}" = "Untagged: localhost/two:2" ]
        [ "${lines[2]}" = "Untagged: busybox:latest" ]
        [ "${lines[3]}" = "Deleted: $id" ]
        [ -z "$(box images -a -q)" ]
}

@test "rmi -f by id untags every name" {
        import_busybox
        box tag busybox localhost/two:2
        id=$(box image inspect --format '{{.Id}}' busybox)
        run box rmi "${id:7:12}"
        [ "$status" -eq 1 ]
        [ "$output" = "box: error: conflict: unable to delete ${id:7:12} (must be forced) - image is referenced in multiple repositories" ]
        run box rmi -f "${id:7:12}"
        [ "$status" -eq 0 ]
        [ "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" = "Deleted: $id Untagged: busybox:latest Untagged: localhost/two:2 " ]
}

@test "image inspect: docker's fields and types" {
        import_busybox
        run box image inspect busybox
        [ "$status" -eq 0 ]
        for k in Id RepoTags RepoDigests Parent Comment Created Author Config Architecture Os Size GraphDriver RootFS Metadata; do
                [[ "$output" == *"\"$k\": "* ]]
        done
        [ "$(box image inspect -f '{{.Size}}' busybox)" -eq 2140160 ]
        [ "$(box image inspect -f '{{json .RepoTags}} {{json .RepoDigests}}' busybox)" = '["busybox:latest"] []' ]
        [ "$(box image inspect -f '{{.RootFS.Type}} {{len .RootFS.Layers}}' busybox)" = "layers 1" ]
        [ "$(box image inspect -f '{{.Os}}/{{.Architecture}}' busybox)" = "linux/$(box image inspect -f '{{.Architecture}}' busybox)" ]
        [ "$(box image inspect -f '{{.Config.Entrypoint}} {{json .Config.Entrypoint}} {{.Config.Labels}}' busybox)" = "[] null map[]" ]
        [ "$(box image inspect -f '{{.Metadata.LastTagTime}}' busybox)" = "0001-01-01T00:00:00Z" ]
        run box image inspect --format json busybox
        [ "${lines[0]}" = "[" ]
        [[ "${lines[2]}" == *'"Id": "sha256:'* ]]
}

@test "image inspect --format: index, len, join, upper, lower, range, if" {
        box import --change 'ENV A=1 B=2' --change 'LABEL Tier=Web' --change 'CMD ["sh", "-c", "echo hi"]' "$BUSYBOX_TAR" localhost/t:1 >/dev/null
        box tag localhost/t:1 localhost/t:2
        [ "$(box image inspect -f '{{index .RepoTags 1}}' localhost/t:1)" = "localhost/t:2" ]
        [ "$(box image inspect -f '{{index .Config.Labels "Tier"}}' localhost/t:1)" = "Web" ]
        [ "$(box image inspect -f '{{len .RepoTags}} {{len .Config.Env}}' localhost/t:1)" = "2 2" ]
        [ "$(box image inspect -f '{{join .Config.Cmd " "}}' localhost/t:1)" = "sh -c echo hi" ]
        [ "$(box image inspect -f '{{upper (index .Config.Labels "Tier")}} {{lower .Os}}' localhost/t:1)" = "WEB linux" ]
        [ "$(box image inspect -f '{{range .Config.Env}}[{{.}}]{{end}}' localhost/t:1)" = "[A=1][B=2]" ]
        [ "$(box image inspect -f '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{end}}' localhost/t:1)" = "Tier=Web" ]
        [ "$(box image inspect -f '{{if .Config.Entrypoint}}ep{{else}}no ep{{end}}' localhost/t:1)" = "no ep" ]
        [ "$(box image inspect -f '{{json .Config.Labels}}' localhost/t:1)" = '{"Tier":"Web"}' ]
        run box image inspect -f '{{index .RepoTags 9}}' localhost/t:1
        [ "$status" -ne 0 ]
        [[ "$output" == *"index out of range: 9"* ]]
        # one line per image, and a missing one fails after the others
        run box image inspect -f '{{.Id}}' localhost/t:1 nosuch localhost/t:2
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 3 ]
        [[ "$output" == *"no such image: 'nosuch'"* ]]
}

@test "import: -m sets the comment, --change applies, URLs are refused" {
        run box import -m 'my message' --change 'LABEL a=b' --change 'USER nobody' "$BUSYBOX_TAR" localhost/m:1
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        [ "$(box image inspect -f '{{.Comment}}|{{.Config.User}}|{{.Config.Labels.a}}' localhost/m:1)" = "my message|nobody|b" ]
        [ "$(box image history --format '{{.Comment}}' localhost/m:1)" = "my message" ]
        run box import https://example.com/rootfs.tar x
        [ "$status" -eq 125 ]
        [[ "$output" == "box: error: importing from a URL ('https://example.com/rootfs.tar') is not supported"* ]]
        run box import --change 'FROM scratch' "$BUSYBOX_TAR" x
        [ "$status" -eq 125 ]
        [[ "$output" == *"unsupported instruction 'FROM'"* ]]
        run box import "$BUSYBOX_TAR" 'x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
        [ "$status" -eq 125 ]
        [[ "$output" == *"refusing to create a tag with a digest reference"* ]]
        [ -z "$(box images -q)" ] || [ "$(box images --format '{{.Repository}}')" = "localhost/m" ]
}

@test "inspect and tag take REPO@DIGEST (the manifest digest), of that repository only" {
        import_busybox
        box tag busybox localhost/lab:1
        d=$(box images --digests --format '{{.Digest}}' busybox)
        id=$(box image inspect -f '{{.Id}}' busybox)
        [ "$(box image inspect -f '{{.Id}}' "busybox@$d")" = "$id" ]
        [ "$(box image inspect -f '{{.Id}}' "docker.io/library/busybox:latest@$d")" = "$id" ]
        run box tag "localhost/lab@$d" localhost/lab:copy
        [ "$status" -eq 0 ]
        [ "$(box image inspect -f '{{.Id}}' localhost/lab:copy)" = "$id" ]
        run box image inspect "other@$d"
        [ "$status" -eq 1 ]
        [[ "$output" == *"box: error: no such image: 'other@$d'"* ]]
        run box image inspect "busybox@sha512:$(printf 'f%.0s' {1..128})"
        [ "$status" -eq 1 ]
}
