#!/usr/bin/env bats
# Real applications run as their users run them, and what box got wrong
# doing so (found running PostgreSQL, nginx, gunicorn, redis, node and java
# images built from Debian's packages, side by side with podman).  Each test
# here reproduces one such finding on the busybox image, offline: the
# projects themselves need Debian's mirror and the npm registry.
load helpers

setup() { box_setup_store && import_busybox; }
teardown() {
        "$BOX" rm -f app >/dev/null 2>&1 || true
        box_teardown_store
}

# A service whose pid 1 runs as its own user (postgres, redis, node images:
# USER in the image) with --ulimit: `box exec` to run psql or a shell there
# read pid 1's limits with prlimit(2), which needs CAP_SYS_RESOURCE for
# another user's process; without it (box in a container, or a host that
# drops it) the exec'd process silently kept box's own limits, above the
# container's hard limits, and so did the health check's.  Docker's exec
# takes the container's.
@test "exec in a container whose pid 1 is not root gets the container's --ulimit, as pid 1 has" {
        box run -d --name app --user 1000:1000 --ulimit nofile=512:1024 --ulimit nproc=300:400 \
                --health-cmd 'test "$(ulimit -n) $(ulimit -Hn)" = "512 1024"' --health-interval 1s --health-retries 1 \
                busybox sleep 1000
        # soft and hard of processes and open files, pid 1's then exec's own
        run box exec app sh -c 'grep -hE "^Max (open files|processes) " /proc/1/limits /proc/self/limits | awk "{print \$(NF-2), \$(NF-1)}"'
        [ "$output" = $'300 400\n512 1024\n300 400\n512 1024' ]
        # root, a shell for the administrator, gets them too
        run box exec -u 0 app sh -c 'echo $(ulimit -n) $(ulimit -Hn)'
        [ "$output" = "512 1024" ]
        # and so does its health check, run the same way
        for _ in $(seq 50); do
                [ "$(box inspect --format '{{.State.Health.Status}}' app)" = starting ] || break
                sleep 0.1
        done
        [ "$(box inspect --format '{{.State.Health.Status}}' app)" = healthy ]
}

# An app over its memory limit (node growing its heap in `-m 64m`) is
# killed by the kernel's OOM killer: exit 137 and, as Docker says, inspect's
# State.OOMKilled true, which is how its users tell that from a kill -9.
# box said false always.  The first run of each container here grows a
# shell string until the OOM killer ends it; a start after that exits 0
# and is no longer OOMKilled.
@test "a container the OOM killer ends says State.OOMKilled true (foreground and -d), a later clean run false" {
        local grow='[ -e /grown ] && exit 0; touch /grown; x=a; while :; do x="$x$x"; done'
        run box run --name app -m 32m --memory-swap 32m busybox sh -c "$grow"
        [ "$status" -eq 137 ]
        [ "$(box inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' app)" = "true 137" ]
        box start -a app
        [ "$(box inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' app)" = "false 0" ]
        box rm app
        box run -d --name app -m 32m --memory-swap 32m busybox sh -c "$grow"
        [ "$(box wait app)" = 137 ]
        [ "$(box inspect --format '{{.State.OOMKilled}}' app)" = true ]
        box rm app
        box run --name app busybox true
        [ "$(box inspect --format '{{.State.OOMKilled}}' app)" = false ]
}

# PostgreSQL from Debian's packages, run as its image's USER the way its
# users run it: initdb into a named volume on first start, psql through the
# published port and through `box exec` (with the container's --ulimit, the
# finding above), a graceful stop on the image's STOPSIGNAL SIGINT, and the
# data there again after a start.  Needs Debian's mirror.
@test "PostgreSQL as USER postgres: named volume, -p, exec psql with the container's ulimits, SIGINT stop, data kept" {
        [ "${BOX_TEST_NETWORK:-0}" = 1 ] || skip "needs Debian's mirror: BOX_TEST_NETWORK=1"
        [ -s "$BOX_FIXTURES/debian-bookworm.tar" ] || skip "no Debian base: make fixtures-debian"
        command -v psql >/dev/null || skip "no psql on the host"
        box load -i "$BOX_FIXTURES/debian-bookworm.tar" >/dev/null
        local ctx="$BOX_TEST_TMP/pg"
        mkdir -p "$ctx"
        cat > "$ctx/entry.sh" <<'SH'
#!/bin/sh
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
        initdb -U postgres --auth=trust -D "$PGDATA" >/dev/null
        echo "listen_addresses='*'" >> "$PGDATA/postgresql.conf"
        echo "host all all 0.0.0.0/0 trust" >> "$PGDATA/pg_hba.conf"
fi
exec "$@"
SH
        chmod 0755 "$ctx/entry.sh"
        cat > "$ctx/Dockerfile" <<'DF'
FROM debian:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
RUN mkdir -p /var/run/postgresql "$PGDATA" && chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql
COPY entry.sh /usr/local/bin/
VOLUME /var/lib/postgresql/data
USER postgres
STOPSIGNAL SIGINT
ENTRYPOINT ["entry.sh"]
CMD ["postgres"]
DF
        run box build -t pg "$ctx"
        [ "$status" -eq 0 ] || { echo "$output" | tail -5; false; }
        box run -d --name app --ulimit nofile=900:1000 -p 127.0.0.1::5432 -v pgdata:/var/lib/postgresql/data pg
        local port
        port=$(box port app 5432/tcp | sed 's/.*://')
        pg() { psql -h 127.0.0.1 -p "$port" -U postgres -Atc "$1"; }
        for _ in $(seq 100); do pg 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
        pg 'create table t (x int); insert into t values (42)'
        run box exec app sh -c 'psql -Atc "select x from t"; ulimit -n; ulimit -Hn'
        [ "$output" = $'42\n900\n1000' ]
        run box stop app
        [ "$status" -eq 0 ]
        [ "$(box inspect --format '{{.State.ExitCode}}' app)" = 0 ]
        box logs app 2>&1 | grep -q 'received fast shutdown request'
        box start app
        # a port box picked is picked again at start, as Docker's
        port=$(box port app 5432/tcp | sed 's/.*://')
        for _ in $(seq 100); do pg 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
        [ "$(pg 'select x from t')" = 42 ]
        box rm -f app
        box volume rm pgdata
}
