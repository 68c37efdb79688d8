#!/usr/bin/env bats
# box build of projects shaped as teams write them, checked the way their
# users would: the image's config, who owns which file with which mode, and
# the program running.  The expectations are BuildKit's; where podman
# (buildah) differs it is named.  The busybox project needs no network, nor
# does the dpkg-deb one (on the Debian base of `make fixtures-debian`); the
# Node.js and dpkg-buildpackage ones need Debian's mirror (and the npm
# registry): BOX_TEST_NETWORK=1 and the Debian base.
load helpers

# each project's context is a directory of its own in the test's store dir
setup() {
        box_setup_store && import_busybox
        CTX="$BOX_TEST_TMP/project" && mkdir -p "$CTX"
}
teardown() { box_teardown_store; }

@test "a service image: heredoc build script, named and numeric --chown, --chmod, .dockerignore with ** and !, config" {
        mkdir -p "$CTX/src/lib" "$CTX/src/tmp" "$CTX/node_modules/pkg" "$CTX/notes"
        printf '#!/bin/sh\necho "svc $(id -un) $*"\n' > "$CTX/src/svc.sh"
        echo 'helper' > "$CTX/src/lib/helper.sh"
        echo 'scratch' > "$CTX/src/tmp/scratch.log"
        echo 'wanted' > "$CTX/src/tmp/wanted.log"
        echo 'trace' > "$CTX/src/lib/trace.log"
        echo 'dep' > "$CTX/node_modules/pkg/index.js"
        echo 'n' > "$CTX/notes/todo.md"
        echo 'TOKEN=x' > "$CTX/.env"
        printf '**/*.log\n!src/tmp/wanted.log\nnode_modules\n.env\nnotes\n' > "$CTX/.dockerignore"
        cat > "$CTX/Dockerfile" <<'DF'
ARG BASE=busybox
FROM ${BASE} AS assemble
WORKDIR /work
COPY src/ ./src/
RUN <<SCRIPT
set -e
mkdir -p out
cat src/lib/*.sh > out/helpers.txt
ls -A src/tmp > out/tmp-listing
[ ! -e src/lib/trace.log ]
echo assembled > out/stamp
chmod 0640 out/stamp
SCRIPT

FROM ${BASE}
ARG RELEASE=4.5.6
LABEL org.opencontainers.image.version=$RELEASE team="platform ops"
ENV SVC_HOME=/opt/svc \
    PATH=/opt/svc/bin:$PATH
RUN echo 'svc:x:2100:' >> /etc/group && echo 'svc:x:2100:2100:svc:/opt/svc:/bin/sh' >> /etc/passwd
WORKDIR $SVC_HOME
COPY --from=assemble --chown=svc:svc /work/out/ ./share/
COPY --chown=2100:2100 --chmod=0750 src/svc.sh bin/svc
COPY src/tmp/ /var/lib/svc-tmp/
COPY <<-CONF /etc/svc.conf
	port=7070
	home=${SVC_HOME}
CONF
USER svc
RUN id -u > share/built-by
EXPOSE 7070/tcp 7071/udp
VOLUME ["/opt/svc/state"]
HEALTHCHECK --interval=20s --timeout=4s --start-period=6s --retries=2 CMD svc --check || exit 1
STOPSIGNAL SIGINT
ENTRYPOINT ["/opt/svc/bin/svc"]
CMD ["--serve"]
DF
        run box build -t svcimg "$CTX"
        [ "$status" -eq 0 ]
        run box image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.User}} {{.Config.WorkingDir}} {{.Config.StopSignal}}' svcimg
        [ "$output" = '["/opt/svc/bin/svc"] ["--serve"] svc /opt/svc SIGINT' ]
        run box image inspect --format '{{json .Config.Env}}' svcimg
        [ "$output" = '["PATH=/opt/svc/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","SVC_HOME=/opt/svc"]' ]
        run box image inspect --format '{{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{json .Config.Labels}}' svcimg
        [ "$output" = '{"7070/tcp":{},"7071/udp":{}} {"/opt/svc/state":{}} {"org.opencontainers.image.version":"4.5.6","team":"platform ops"}' ]
        run box image inspect --format '{{json .Config.Healthcheck}}' svcimg
        [ "$output" = '{"Interval":20000000000,"Retries":2,"StartPeriod":6000000000,"Test":["CMD-SHELL","svc --check || exit 1"],"Timeout":4000000000}' ]
        # owners and modes as BuildKit leaves them (buildah would also give
        # /opt and /opt/svc to svc: it makes WORKDIR's directory at the COPY)
        run box run --rm --entrypoint sh svcimg -c 'cd / && find opt/svc etc/svc.conf var/lib/svc-tmp ! -path "opt/svc/state*" | sort | while read -r f; do stat -c "%n %u:%g %a" "$f"; done; stat -c "%n %u:%g" /opt'
        [ "$status" -eq 0 ]
        [ "$output" = "etc/svc.conf 0:0 644
opt/svc 0:0 755
opt/svc/bin 2100:2100 755
opt/svc/bin/svc 2100:2100 750
opt/svc/share 2100:2100 755
opt/svc/share/built-by 2100:2100 644
opt/svc/share/helpers.txt 2100:2100 644
opt/svc/share/stamp 2100:2100 640
opt/svc/share/tmp-listing 2100:2100 644
var/lib/svc-tmp 0:0 755
var/lib/svc-tmp/wanted.log 0:0 644
/opt 0:0" ]
        run box run --rm --entrypoint sh svcimg -c 'cat /etc/svc.conf share/helpers.txt share/tmp-listing share/built-by'
        [ "$output" = $'port=7070\nhome=/opt/svc\nhelper\nwanted.log\n2100' ]
        # the program runs as its user, with the CMD as arguments
        run box run --rm svcimg
        [ "$status" -eq 0 ]
        [ "$output" = "svc svc --serve" ]
}

@test "a Node.js app in three stages: npm ci against a lock file, node_modules ignored in the context, non-root, serves" {
        [ "${BOX_TEST_NETWORK:-0}" = 1 ] || skip "needs Debian's mirror and the npm registry: BOX_TEST_NETWORK=1"
        [ -s "$BOX_FIXTURES/debian-bookworm.tar" ] || skip "no Debian base: make fixtures-debian"
        box load -i "$BOX_FIXTURES/debian-bookworm.tar" >/dev/null
        cp "$BATS_TEST_DIRNAME/../../examples/webapp/package.json" "$BATS_TEST_DIRNAME/../../examples/webapp/package-lock.json" "$CTX/"
        mkdir -p "$CTX/node_modules/express" "$CTX/public" "$CTX/spec"
        echo 'stale copy' > "$CTX/node_modules/express/index.js"
        echo '<p>index</p>' > "$CTX/public/index.html"
        echo 'draft' > "$CTX/public/draft.tmp"
        echo 'keep' > "$CTX/public/keep.tmp"
        echo 'spec' > "$CTX/spec/a.spec.js"
        printf '**/node_modules\n**/*.tmp\n!public/keep.tmp\nspec\n' > "$CTX/.dockerignore"
        cat > "$CTX/server.js" <<'JS'
const express = require('express');
const fs = require('fs');
const app = express();
const stamp = fs.readFileSync(__dirname + '/stamp.txt', 'utf8').trim();
app.use(express.static(__dirname + '/public'));
app.get('/healthz', (req, res) => res.send(`ok ${stamp} uid=${process.getuid()}`));
const srv = app.listen(8080, '127.0.0.1', () => {
        require('http').get('http://127.0.0.1:8080/healthz', r => {
                let d = '';
                r.on('data', c => d += c);
                r.on('end', () => { console.log(r.statusCode, d); srv.close(); });
        });
});
JS
        cat > "$CTX/Dockerfile" <<'DF'
FROM debian:bookworm AS node
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

FROM node AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node
ENV NODE_ENV=production
RUN useradd -r -U -u 1201 -d /app -s /usr/sbin/nologin web
WORKDIR /app
COPY --from=deps --chown=web:web /app/node_modules ./node_modules
COPY --chown=web:web . .
RUN node -e "require('fs').writeFileSync('stamp.txt', 'v' + require('./package.json').version)"
USER web
CMD ["node", "server.js"]
DF
        run box build -t nodeapp3 "$CTX"
        [ "$status" -eq 0 ] || { echo "$output" | tail -5; false; }
        run box run --rm --network none nodeapp3
        [ "$status" -eq 0 ]
        [ "$output" = "200 ok v1.0.0 uid=1201" ]
        # the context's stale node_modules stayed out: express is npm's, owned by web
        run box run --rm --network none nodeapp3 sh -c 'stat -c "%U" node_modules/express/package.json; ls public; test -e spec && echo spec-leaked || echo no-spec'
        [ "$output" = $'web\nindex.html\nkeep.tmp\nno-spec' ]
}

# A Debian package's source tree in $CTX/hello-box: a script, a conffile and
# a postinst that makes the package's system user.
debian_package_tree() {
        local d="$CTX/hello-box"
        mkdir -p "$d/DEBIAN" "$d/usr/bin" "$d/etc"
        printf '#!/bin/sh\necho "hello-box 1.0 as $(id -un), $(cat /etc/hello-box.conf)"\n' > "$d/usr/bin/hello-box"
        chmod 0755 "$d/usr/bin/hello-box"
        echo 'greeting=hi' > "$d/etc/hello-box.conf"
        printf 'Package: hello-box\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Box Tests <box@example.invalid>\nDescription: greeting for box tests\n' > "$d/DEBIAN/control"
        echo /etc/hello-box.conf > "$d/DEBIAN/conffiles"
        printf '#!/bin/sh\nset -e\ngetent passwd hellod >/dev/null || useradd --system --no-create-home --home-dir /nonexistent hellod\n' > "$d/DEBIAN/postinst"
        chmod 0755 "$d/DEBIAN/postinst"
}

@test "a Debian package: dpkg-deb --build in one stage, dpkg -i in the next (its postinst's user, conffile, owners), runs offline" {
        [ -s "$BOX_FIXTURES/debian-bookworm.tar" ] || skip "no Debian base: make fixtures-debian"
        box load -i "$BOX_FIXTURES/debian-bookworm.tar" >/dev/null
        debian_package_tree
        cat > "$CTX/Dockerfile" <<'DF'
FROM debian:bookworm AS pkg
COPY hello-box/ /build/hello-box/
RUN dpkg-deb --build --root-owner-group /build/hello-box /build/hello-box_1.0-1_all.deb

FROM debian:bookworm
COPY --from=pkg /build/hello-box_1.0-1_all.deb /tmp/
RUN dpkg -i /tmp/hello-box_1.0-1_all.deb && rm /tmp/hello-box_1.0-1_all.deb
USER hellod
CMD ["hello-box"]
DF
        run box build -t hellodeb "$CTX"
        [ "$status" -eq 0 ] || { echo "$output" | tail -5; false; }
        run box run --rm --network none hellodeb
        [ "$output" = "hello-box 1.0 as hellod, greeting=hi" ]
        run box run --rm --network none --user 0 hellodeb sh -c 'dpkg-query -W -f "\${Status}\n" hello-box; cat /var/lib/dpkg/info/hello-box.conffiles; stat -c "%n %U:%G %a" /usr/bin/hello-box /etc/hello-box.conf; ls /tmp'
        [ "$output" = "install ok installed
/etc/hello-box.conf
/usr/bin/hello-box root:root 755
/etc/hello-box.conf root:root 644" ]
}

@test "a Debian package built with dpkg-buildpackage, apt's caches mounted sharing=locked as Docker's docs show" {
        [ "${BOX_TEST_NETWORK:-0}" = 1 ] || skip "needs Debian's mirror: BOX_TEST_NETWORK=1"
        [ -s "$BOX_FIXTURES/debian-bookworm.tar" ] || skip "no Debian base: make fixtures-debian"
        box load -i "$BOX_FIXTURES/debian-bookworm.tar" >/dev/null
        local d="$CTX/hello-box"
        mkdir -p "$d/debian/source"
        printf '#!/bin/sh\necho "hello-box 1.0 from a Debian package"\n' > "$d/hello-box.sh"
        printf 'Source: hello-box\nSection: misc\nPriority: optional\nMaintainer: Box Tests <box@example.invalid>\nBuild-Depends: debhelper-compat (= 13)\nStandards-Version: 4.6.2\n\nPackage: hello-box\nArchitecture: all\nDepends: ${misc:Depends}\nDescription: greeting for box tests\n A shell script in /usr/bin.\n' > "$d/debian/control"
        printf 'hello-box (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n -- Box Tests <box@example.invalid>  Sun, 06 Dec 2026 12:00:00 +0000\n' > "$d/debian/changelog"
        printf '#!/usr/bin/make -f\n%%:\n\tdh $@\n\noverride_dh_auto_install:\n\tinstall -D -m 0755 hello-box.sh debian/hello-box/usr/bin/hello-box\n' > "$d/debian/rules"
        chmod 0755 "$d/debian/rules"
        echo '3.0 (native)' > "$d/debian/source/format"
        cat > "$CTX/Dockerfile" <<'DF'
FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends build-essential debhelper
WORKDIR /src/hello-box
COPY hello-box/ ./
RUN dpkg-buildpackage -us -uc -b

FROM debian:bookworm
COPY --from=build /src/hello-box_1.0-1_all.deb /tmp/
RUN dpkg -i /tmp/hello-box_1.0-1_all.deb && rm /tmp/hello-box_1.0-1_all.deb
CMD ["hello-box"]
DF
        run box build -t hellobuilt "$CTX"
        [ "$status" -eq 0 ] || { echo "$output" | tail -8; false; }
        run box run --rm --network none hellobuilt
        [ "$output" = "hello-box 1.0 from a Debian package" ]
        # apt's downloads and lists stayed in the caches, out of the layers
        ls "$BOX_ROOT"/buildcache/mounts/*/archives/debhelper_*.deb
        ls "$BOX_ROOT"/buildcache/mounts/*/lists/ | grep -q _Packages
        run box run --rm --network none --entrypoint sh hellobuilt -c 'ls /var/cache/apt/archives /var/lib/apt/lists | grep -c deb'
        [ "$output" = 0 ]
}
