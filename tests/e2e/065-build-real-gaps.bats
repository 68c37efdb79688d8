#!/usr/bin/env bats
# What real projects' builds needed that box lacked (found building them with
# box and podman side by side): device nodes made in RUN steps (debootstrap),
# no empty mount points left in a layer when a RUN --mount target goes through
# a link of the image, a cache mount seeded from another stage (from=,
# source=), ADD of a local tar over Debian's merged /usr links.  Offline, on
# the busybox image, but for two on the Debian base of `make fixtures-debian`
# (skipped without it): ADD onto its /bin, and debootstrap, which needs
# Debian's mirror (skipped, as 075's builds, when it cannot be reached).
load helpers

setup() { build_setup; }
teardown() { box_teardown_store; }

# The entries of the last layer of image $1, as `tar -tv` lists them.
last_layer_listing() {
        local d="$BOX_TEST_TMP/save-$1"
        mkdir -p "$d"
        box save -o "$d.tar" "$1"
        tar -xf "$d.tar" -C "$d"
        local layer
        layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' "$d/manifest.json")
        tar -tvf "$d/$layer"
}

@test "RUN makes char, block and fifo nodes (CAP_MKNOD, as BuildKit), opens none but the usual; the layer holds them" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox
RUN mkdir -p /nodes/dev && cd /nodes/dev && mknod null c 1 3 && mknod sda b 8 0 && mknod mem c 1 1 \
    && mknod fifo p && echo x > null \
    && { head -c1 sda 2>/dev/null && echo opened-sda || echo sda-refused; } > /nodes/opens \
    && { head -c1 mem 2>/dev/null && echo opened-mem || echo mem-refused; } >> /nodes/opens \
    && tar -cf /nodes/dev.tar -C /nodes dev && tar -tvf /nodes/dev.tar | sort -k6 > /nodes/listing
DF
        run box build -t devs "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        run box run --rm devs cat /nodes/opens
        [ "$output" = "$(printf 'sda-refused\nmem-refused')" ]
        # busybox tar packed the nodes the step made
        run box run --rm devs cut -c1 /nodes/listing
        [ "$(tr -d '\n' <<<"$output")" = dpccb ]
        # in the image (the layer's tar has them, typed and numbered) ...
        run last_layer_listing devs
        [ "$status" -eq 0 ]
        grep -E '^b.* 8,0 .*nodes/dev/sda$' <<<"$output"
        grep -E '^c.* 1,1 .*nodes/dev/mem$' <<<"$output"
        grep -E '^p.*nodes/dev/fifo$' <<<"$output"
        # ... and a container of it cannot open them either
        run box run --rm devs head -c1 /nodes/dev/sda
        [ "$status" -ne 0 ]
        [[ "$output" == *"not permitted"* ]]
        run box run --rm devs sh -c 'stat -c "%F %t,%T" /nodes/dev/sda /nodes/dev/mem'
        [ "$output" = "$(printf 'block special file 8,0\ncharacter special file 1,1')" ]
        # box run itself keeps Podman's set: no MKNOD
        run box run --rm busybox mknod /n c 1 3
        [ "$status" -ne 0 ]
}

@test "RUN --mount targets through a link of the image (tmpfs, secret, cache, bind) leave no empty mount point in the layer" {
        echo tok > "$BOX_TEST_TMP/secret.txt"
        echo data > "$CTX/data.txt"
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox
RUN mkdir -p /srv/real && ln -s /srv/real /var/x && ln -s real /srv/rel
RUN --mount=type=tmpfs,target=/var/x/sub/s --mount=type=secret,id=s,target=/srv/rel/sec/tok \
    --mount=type=cache,target=/var/x/cache/c --mount=type=bind,source=data.txt,target=/var/x/b/data \
    cat /srv/rel/sec/tok /var/x/b/data && touch /srv/real/made
DF
        run box build --secret "id=s,src=$BOX_TEST_TMP/secret.txt" -t mp "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [[ "$output" == *tok*data* ]]
        # the step's own file stays; the mount points the sandbox made go,
        # as BuildKit removes them (they were kept, empty, in srv/real/)
        run box run --rm mp find /srv /var/x/
        [ "$output" = "$(printf '/srv\n/srv/rel\n/srv/real\n/srv/real/made\n/var/x/\n/var/x/made')" ]
        run last_layer_listing mp
        [ "$(awk '{print $6}' <<<"$output" | sort | tr '\n' ' ')" = "srv/ srv/real/ srv/real/made " ]
}

@test "RUN --mount=type=cache,from=STAGE,source=DIR starts the cache as a copy of the stage's DIR (BuildKit's), kept per id and source content" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox AS seed
ARG V=v1
RUN mkdir -p /deps/pkgs && echo $V > /deps/pkgs/a && chown -R 1000:1000 /deps && chmod 0750 /deps
FROM busybox
RUN --mount=type=cache,from=seed,source=/deps,target=/cache \
    { stat -c '%u:%g %a' /cache /cache/pkgs/a; cat /cache/pkgs/a; ls /cache; } > /first && echo more > /cache/added
RUN --mount=type=cache,from=seed,source=deps,target=/cache ls /cache > /second
RUN --mount=type=cache,target=/cache ls -A /cache > /plain
DF
        run box build -t cf "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        run box run --rm cf cat /first
        [ "$output" = "$(printf '1000:1000 750\n1000:1000 644\nv1\npkgs')" ]
        # the same cache in the next step (what the first wrote stays), none
        # of it in a cache without from=
        run box run --rm cf cat /second /plain
        [ "$output" = "$(printf 'added\npkgs')" ]
        # another content of the stage's source: another cache, a new copy
        run box build --build-arg V=v2 -t cf2 "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        run box run --rm cf2 cat /first /second
        [ "$output" = "$(printf '1000:1000 750\n1000:1000 644\nv2\npkgs\nadded\npkgs')" ]
        # no half-made cache left behind under a temporary name
        run ls -A "$BOX_ROOT/buildcache/mounts"
        [[ "$output" != *.seed-* ]]
        # a source the stage lacks: the flag's line names it
        printf 'FROM busybox AS s\nFROM busybox\nRUN --mount=type=cache,from=s,source=/nope,target=/c true\n' > "$CTX/Dockerfile"
        run box build "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"Dockerfile:3: RUN: --mount=type=cache source '/nope' in 's'"*"No such file"* ]]
}

# app.tar in $CTX: ./BIN/ (mode 0775) holding an executable hello, and
# ./LIB/ holding libx.
make_app_tar() {
        local t="$BOX_TEST_TMP/tree"
        mkdir -p "$t/$1" "$t/$2"
        printf '#!/bin/sh\necho hello from the tar\n' > "$t/$1/hello"
        chmod 0755 "$t/$1/hello" && chmod 0775 "$t/$1"
        echo x > "$t/$2/libx"
        tar -cf "$CTX/app.tar" -C "$t" "./$1" "./$2"
}

@test "ADD of a local tar with ./DIR/ entries onto links to directories (merged /usr) fills them and keeps the links, as BuildKit" {
        make_app_tar xbin xlib
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox
RUN mkdir -p /usr/xbin /usr/xlib && echo kept > /usr/xbin/old && ln -s usr/xbin /xbin && ln -s /usr/xlib /xlib
ADD app.tar /
DF
        run box build -t addlinks "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        run box run --rm addlinks sh -c 'readlink /xbin; readlink /xlib; ls /usr/xbin; ls /usr/xlib; stat -c %a /usr/xbin; /xbin/hello'
        [ "$output" = "$(printf 'usr/xbin\n/usr/xlib\nhello\nold\nlibx\n775\nhello from the tar')" ]
}

@test "ADD of a local tar with ./bin/ onto Debian 12 (/bin -> usr/bin): /bin/sh still runs" {
        [ -s "$BOX_FIXTURES/debian-bookworm.tar" ] || skip "no Debian base: make fixtures-debian"
        box load -i "$BOX_FIXTURES/debian-bookworm.tar" >/dev/null
        make_app_tar bin lib
        printf 'FROM debian:bookworm\nADD app.tar /\nRUN hello > /said\n' > "$CTX/Dockerfile"
        run box build -t debadd "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        run box run --rm debadd sh -c 'readlink /bin; readlink /lib; cat /said; test -x /usr/bin/dpkg && echo dpkg'
        [ "$output" = "$(printf 'usr/bin\nusr/lib\nhello from the tar\ndpkg')" ]
}

@test "debootstrap inside box build: a Debian root with its /dev nodes, made into an image that runs (needs Debian's mirror)" {
        [ -s "$BOX_FIXTURES/debian-bookworm.tar" ] || skip "no Debian base: make fixtures-debian"
        box load -i "$BOX_FIXTURES/debian-bookworm.tar" >/dev/null
        local proxy=() v
        for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
                [ -z "${!v:-}" ] || proxy+=(--build-arg "$v")
        done
        # the mirror is the base's own (its apt sources), as 075 reaches it
        cat > "$CTX/Dockerfile" <<'DF'
FROM debian:bookworm AS strap
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends debootstrap \
    && rm -rf /var/lib/apt/lists/*
RUN mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources | head -1) \
    && debootstrap --variant=minbase bookworm /target "$mirror" \
    && stat -c '%F %t,%T' /target/dev/null /target/dev/zero > /target/nodes \
    && mknod /target/sda b 8 0 \
    && { head -c1 /target/sda 2>/dev/null && echo sda-opened || echo sda-refused; } >> /target/nodes \
    && rm /target/sda && chroot /target dpkg-query -W -f '${Package}\n' | grep -c . > /target/npkgs
FROM scratch
COPY --from=strap /target/ /
CMD ["sh", "-c", "cat /etc/debian_version /nodes; test $(cat /npkgs) -gt 50 && readlink /bin"]
DF
        run box build "${proxy[@]}" -t strapped "$CTX"
        if [ "$status" -ne 0 ] && grep -qE "(Temporary failure resolving|Could not connect|Failed to fetch|Couldn't download)" <<<"$output"; then
                skip "Debian's mirror unreachable: $(grep -m1 -E 'resolving|connect|fetch|download' <<<"$output")"
        fi
        [ "$status" -eq 0 ] || { tail -15 <<<"$output"; false; }
        run box run --rm --network none strapped
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == 12.* ]]
        [ "${lines[1]}" = "character special file 1,3" ]
        [ "${lines[2]}" = "character special file 1,5" ]
        [ "${lines[3]}" = sda-refused ]
        [ "${lines[4]}" = usr/bin ]
}

@test "RUN steps have BuildKit's capability set: NET_RAW (busybox's ping) and AUDIT_WRITE too; box run keeps Podman's" {
        cat > "$CTX/Dockerfile" <<'DF'
FROM busybox
RUN ping -c1 -W5 127.0.0.1 > /ping.out && grep CapEff /proc/self/status > /caps
DF
        run box build -t pinger "$CTX"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        run box run --rm pinger sh -c 'cat /caps; grep -c "1 packets received" /ping.out'
        echo "$output"
        # containerd's default set (podman's + MKNOD, NET_RAW, AUDIT_WRITE)
        [ "${lines[0]}" = "$(printf 'CapEff:\t00000000a80425fb')" ]
        [ "${lines[1]}" = 1 ]
        run box run --rm busybox grep CapEff /proc/self/status
        [ "$output" = "$(printf 'CapEff:\t00000000800405fb')" ]
}
