#!/usr/bin/env bats
# box build on a real Debian base (examples/debian-base, made by `make
# fixtures-debian`), as users build real apps: non-ASCII file names
# (ca-certificates makes some) round-trip byte for byte whatever box's
# locale, and Node.js, Python and C apps build and run.  apt reaches Debian's
# mirror and npm its registry through the host's network (RUN steps use the
# host's network, as Docker's default builder does); the host's proxy
# variables are passed as Docker's predefined build args, and its CA bundle
# (which holds the CA of a TLS-intercepting proxy, if any) as a build secret.
load helpers
load transfer-helpers

DEBIAN_BASE_TAR="$BOX_FIXTURES/debian-bookworm.tar"

setup_file() {
        if [ ! -s "$DEBIAN_BASE_TAR" ]; then
                # the mirror could not be reached when the base was made
                [ -s "$BOX_FIXTURES/debian-bookworm.skip" ] && return 0
                echo "$DEBIAN_BASE_TAR missing: run make fixtures-debian" >&2
                return 1
        fi
        box_setup_store
        # the documented way in (examples/debian-base/README.md)
        http_serve "$BOX_FIXTURES"
        local rc=0
        "$BOX" pull "http://127.0.0.1:$HTTP_PORT/debian-bookworm.tar" --name debian:bookworm >/dev/null || rc=$?
        http_stop
        return $rc
}

teardown_file() { box_teardown_store; }

setup() {
        if [ ! -s "$DEBIAN_BASE_TAR" ]; then
                skip "no Debian base: $(head -c 300 "$BOX_FIXTURES/debian-bookworm.skip")"
        fi
        CTX="$BOX_TEST_TMP/ctx-$BATS_TEST_NUMBER"
        mkdir -p "$CTX"
        # Docker's predefined proxy args, from the host's environment
        PROXY_ARGS=()
        local v
        for v in http_proxy https_proxy no_proxy all_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY ALL_PROXY; do
                [ -z "${!v:-}" ] || PROXY_ARGS+=(--build-arg "$v")
        done
}

# What a failed build said: its exit status, box's error line, the last lines.
show_failure() {
        echo "exit $status"
        grep -E '^box: |Segmentation|npm ERR!' <<<"$output" | head -5
        tail -12 <<<"$output"
}

teardown() {
        [ -z "${PODMAN_TMP:-}" ] || pm system reset -f >/dev/null 2>&1 || true
}

# box with LANG and LC_ALL set to $1, or both unset ("unset")
box_in_locale() {
        local loc=$1
        shift
        if [ "$loc" = unset ]; then
                env -u LANG -u LC_ALL -u LC_CTYPE "$BOX" "$@"
        else
                env -u LC_CTYPE LANG="$loc" LC_ALL="$loc" "$BOX" "$@"
        fi
}

# The non-ASCII names in / and the target of /x, as od prints their bytes.
NAMES_CMD='ls -A / | LC_ALL=C grep -v "^[[:alnum:]._-]*$"; readlink /x'

@test "debian: non-ASCII names (UTF-8 and a Latin-1 byte) round-trip byte for byte in any locale, into podman too" {
        command -v runc >/dev/null || skip "runc not installed (crun refuses v1-hybrid cgroups)"
        podman_setup
        # runc cannot set a hard RLIMIT_NPROC equal to ours without CAP_SYS_RESOURCE: no defaults
        printf '[containers]\ndefault_ulimits = []\n[engine]\nevents_logger = "none"\ncgroup_manager = "cgroupfs"\n' \
                >"$PODMAN_TMP/containers.conf"
        # é is C3 A9 in UTF-8, \351 the same letter as one Latin-1 byte (E9);
        # times fixed so that the layers' digests can be compared
        cat >"$CTX/Dockerfile" <<'EOF'
FROM debian:bookworm
RUN ln -s é /x && touch -h -d @0 /x /
RUN touch /é /$(printf '\351') && touch -d @0 /é /$(printf '\351') /
EOF
        want=$(printf '\303\251\n\351\n\303\251\n' | od -c)
        local loc other img layers first_layers=
        for loc in C C.UTF-8 unset; do
                img=names-$(tr 'A-Z.' 'a-z-' <<<"$loc")
                run box_in_locale "$loc" build --no-cache -t "$img" "$CTX"
                [ "$status" -eq 0 ] || { echo "build under locale $loc:"; show_failure; false; }
                # the same bytes in whatever locale: the same layers
                layers=$(box image inspect --format '{{json .RootFS.Layers}}' "$img")
                [ -n "$first_layers" ] || first_layers=$layers
                [ "$layers" = "$first_layers" ] ||
                        { echo "layers under $loc: $layers, under C: $first_layers"; false; }
                run box_in_locale "$loc" run --rm "$img" sh -c "$NAMES_CMD"
                [ "$status" -eq 0 ]
                [ "$(printf '%s\n' "$output" | od -c)" = "$want" ] ||
                        { echo "box run under $loc:"; printf '%s\n' "$output" | od -c; false; }

                # saved under one locale, loaded into another store under another
                case $loc in C) other=C.UTF-8 ;; *) other=C ;; esac
                box_in_locale "$loc" save -o "$BOX_TEST_TMP/names.tar" "$img"
                run box_in_locale "$other" --root "$BOX_TEST_TMP/store2" load -i "$BOX_TEST_TMP/names.tar"
                [ "$status" -eq 0 ]
                run box_in_locale "$other" --root "$BOX_TEST_TMP/store2" run --rm "$img" sh -c "$NAMES_CMD"
                [ "$(printf '%s\n' "$output" | od -c)" = "$want" ] ||
                        { echo "box load ($loc) / run ($other):"; printf '%s\n' "$output" | od -c; false; }
        done

        # podman reads the layers box packed (one archive: the base is copied once)
        box save -o "$BOX_TEST_TMP/names.tar" names-c names-c-utf-8 names-unset
        run pm load -q -i "$BOX_TEST_TMP/names.tar"
        [ "$status" -eq 0 ]
        for img in names-c names-c-utf-8 names-unset; do
                run pm run --rm --runtime runc --network none "$img" sh -c "$NAMES_CMD"
                [ "$status" -eq 0 ]
                [ "$(printf '%s\n' "$output" | od -c)" = "$want" ] ||
                        { echo "podman run of $img:"; printf '%s\n' "$output" | od -c; false; }
        done
        rm -rf "$BOX_TEST_TMP/store2" "$BOX_TEST_TMP/names.tar"
}

@test "debian: apt-get install ca-certificates builds; its non-ASCII links resolve" {
        cat >"$CTX/Dockerfile" <<'EOF'
FROM debian:bookworm
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
EOF
        run box build "${PROXY_ARGS[@]}" -t certs "$CTX"
        [ "$status" -eq 0 ] || { show_failure; false; }
        run box run --rm certs sh -c 'ls /etc/ssl/certs | head'
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 10 ]
        [[ "$output" == *.0* ]]
        # some certificate names are not ASCII (the case that crashed), and
        # every hash link still finds its certificate
        run box run --rm certs sh -c 'ls /etc/ssl/certs | LC_ALL=C grep -c "[^ -~]"'
        [ "$output" -ge 1 ]
        run box run --rm certs sh -c 'find -L /etc/ssl/certs -type l | head -3; echo end'
        [ "$output" = end ]
}

# Builds the context in $CTX as image $1; skips when the build failed because
# npm could not reach its registry (the host's network, not box).
build_or_skip_offline() {
        local ca=/etc/ssl/certs/ca-certificates.crt
        [ -r "$ca" ] || skip "no host CA bundle at $ca"
        run box build "${PROXY_ARGS[@]}" --secret "id=ca,src=$ca" -t "$1" "$CTX"
        if [ "$status" -ne 0 ] &&
                grep -qE 'npm ERR! code E(NOTFOUND|CONNREFUSED|CONNRESET|AI_AGAIN|TIMEDOUT|NETUNREACH)' <<<"$output"; then
                skip "npm registry unreachable: $(grep -m1 'npm ERR! code' <<<"$output")"
        fi
        [ "$status" -eq 0 ] || { show_failure; false; }
}

@test "debian: a Node.js app (apt nodejs npm, npm install of real packages) builds and runs" {
        cat >"$CTX/package.json" <<'EOF'
{
  "name": "box-node-example",
  "version": "1.0.0",
  "private": true,
  "main": "index.js",
  "dependencies": {
    "is-number": "7.0.0",
    "is-odd": "3.0.1"
  }
}
EOF
        cat >"$CTX/index.js" <<'EOF'
const isNumber = require('is-number');
const isOdd = require('is-odd');
const xs = [7, '7', 'seven', 10];
console.log(xs.map(x => `${JSON.stringify(x)}:${isNumber(x) ? (isOdd(x) ? 'odd' : 'even') : 'nan'}`).join(' '));
EOF
        # The host's CA bundle reaches npm as a build secret (never a layer):
        # a TLS-intercepting proxy's CA is in it when there is one.
        cat >"$CTX/Dockerfile" <<'EOF'
FROM debian:bookworm
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json ./
RUN --mount=type=secret,id=ca NODE_EXTRA_CA_CERTS=/run/secrets/ca \
    npm install --cafile=/run/secrets/ca --no-audit --no-fund
COPY index.js ./
CMD ["node", "index.js"]
EOF
        build_or_skip_offline nodeapp
        run box run --rm nodeapp
        [ "$status" -eq 0 ]
        [ "$output" = '7:odd "7":odd "seven":nan 10:even' ]
        # is-odd needs is-number 6: npm nested it; the CA stayed out of the image
        run box run --rm nodeapp sh -c 'node -p "require(\"is-odd/node_modules/is-number/package.json\").version"
                test -e /run/secrets/ca && echo leaked || echo no-ca'
        [ "$output" = $'6.0.0\nno-ca' ]
}

@test "debian: a Python Flask app (apt python3-flask) builds and serves" {
        cat >"$CTX/app.py" <<'EOF'
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello from flask\n"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
EOF
        cat >"$CTX/Dockerfile" <<'EOF'
FROM debian:bookworm
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends python3-flask \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv
COPY app.py ./
EXPOSE 5000
CMD ["python3", "app.py"]
EOF
        run box build "${PROXY_ARGS[@]}" -t flaskapp "$CTX"
        [ "$status" -eq 0 ] || { show_failure; false; }
        # the app as CMD runs it, asked over HTTP from inside its network namespace
        run box run --rm --network none flaskapp sh -c '
                python3 app.py >/tmp/log 2>&1 &
                for i in $(seq 100); do
                        python3 -c "import urllib.request as u; print(u.urlopen(\"http://127.0.0.1:5000/\").read().decode(), end=\"\")" 2>/dev/null && break
                        sleep 0.1
                done
                kill $!'
        [ "$status" -eq 0 ]
        [ "$output" = "hello from flask" ]
}

@test "debian: a C program built with gcc in one stage runs from a slim stage" {
        cat >"$CTX/hello.c" <<'EOF'
#include <stdio.h>
#include <zlib.h>

int main(void)
{
        const char msg[] = "hello from a multi-stage build";
        printf("%s, crc32 %08lx\n", msg, crc32(0L, (const unsigned char *)msg, sizeof(msg) - 1));
        return 0;
}
EOF
        cat >"$CTX/Dockerfile" <<'EOF'
FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev zlib1g-dev
WORKDIR /src
COPY hello.c ./
RUN gcc -O2 -Wall -Werror -o /hello hello.c -lz

FROM debian:bookworm
COPY --from=build /hello /usr/local/bin/hello
CMD ["hello"]
EOF
        run box build "${PROXY_ARGS[@]}" -t capp "$CTX"
        [ "$status" -eq 0 ] || { show_failure; false; }
        want=$(python3 -c 'import zlib; m=b"hello from a multi-stage build"; print("%s, crc32 %08x" % (m.decode(), zlib.crc32(m)))')
        run box run --rm capp
        [ "$status" -eq 0 ]
        [ "$output" = "$want" ]
        # the slim stage is the base and one layer: no compiler in it
        run box run --rm capp sh -c 'command -v gcc || echo no-gcc'
        [ "$output" = no-gcc ]
        [ "$(box image inspect --format '{{len .RootFS.Layers}}' capp)" = 2 ]
}
