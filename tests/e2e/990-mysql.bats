#!/usr/bin/env bats
# The user's story, end to end and for real (the last suite of make check):
# a Debian base pulled over HTTP, `box build -t mysql examples/mysql`, a
# detached MariaDB with its port published, Debian's mariadb client on the
# host talking to it through 127.0.0.1 and through the host's own address,
# a clean `box stop`, and the data surviving in a named volume.  Skipped only
# when Debian's mirror could not be reached to make the base.
bats_require_minimum_version 1.5.0
load helpers
load transfer-helpers

DEBIAN_BASE_TAR="$BOX_FIXTURES/debian-bookworm.tar"
PW="s3cret'pw"

setup_file() {
        [ -s "$DEBIAN_BASE_TAR" ] || return 0
        box_setup_store
        http_serve "$BOX_FIXTURES"
        local rc=0
        "$BOX" pull -q "http://127.0.0.1:$HTTP_PORT/debian-bookworm.tar" --name debian:bookworm >/dev/null || rc=$?
        http_stop
        return $rc
}

teardown_file() {
        if [ -n "${BOX_ROOT:-}" ]; then
                "$BOX" rm -f db db2 >/dev/null 2>&1 || true
                "$BOX" volume rm -f dbdata >/dev/null 2>&1 || true
        fi
        box_teardown_store
}

setup() {
        if [ ! -s "$DEBIAN_BASE_TAR" ]; then
                skip "no Debian base: $(head -c 300 "$BOX_FIXTURES/debian-bookworm.skip" 2>/dev/null)"
        fi
        command -v mariadb >/dev/null || skip "the mariadb client is missing (make deps installs mariadb-client)"
}

# mariadb through HOST:PORT as root
sql() {
        local host=$1 port=$2
        shift 2
        MYSQL_PWD=$PW mariadb --connect-timeout=2 -h "$host" -P "$port" -uroot -N -B "$@"
}

wait_ready() {
        local port=$1 i
        for i in $(seq 1 600); do
                sql 127.0.0.1 "$port" -e 'select 1' >/dev/null 2>&1 && return 0
                "$BOX" ps -q --filter name=db --filter status=running | grep -q . || break
                sleep 0.1
        done
        "$BOX" logs db | tail -20
        return 1
}

host_address() {
        local dev
        dev=$(ip -4 route show default | awk '{print $5; exit}')
        [ -n "$dev" ] || return 1
        ip -4 -o addr show dev "$dev" scope global | awk '{split($4, a, "/"); print a[1]; exit}'
}

@test "mysql: box build -t mysql, then a second build is fully cached and quick" {
        run "$BOX" build -q -t mysql examples/mysql
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        local t0 t1
        t0=$(date +%s%N)
        run "$BOX" build --progress plain -t mysql examples/mysql
        t1=$(date +%s%N)
        [ "$status" -eq 0 ]
        [[ "$output" != *"cache miss"* ]]
        echo "cached build: $(( (t1 - t0) / 1000000 )) ms"
        [ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
}

@test "mysql: refuses to start on an empty data dir without a root password, saying so" {
        run "$BOX" run --rm mysql
        [ "$status" -eq 1 ]
        [[ "$output" == *"MYSQL_ROOT_PASSWORD is not set"* ]]
}

@test "mysql: run -d -p 3306, a real client through 127.0.0.1 and the host's address, stop, data kept" {
        "$BOX" volume create dbdata >/dev/null
        run "$BOX" run -d --name db -e MYSQL_ROOT_PASSWORD="$PW" -e MYSQL_DATABASE=shop \
                -e MYSQL_USER=app -e MYSQL_PASSWORD=apppw -v dbdata:/var/lib/mysql -p 3306 mysql
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [[ "$output" =~ ^[0-9a-f]{64}$ ]]
        # as docker port: the host side of one port, all of them without one
        run "$BOX" port db 3306
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" =~ ^0\.0\.0\.0:([0-9]+)$ ]]
        local port=${BASH_REMATCH[1]}
        run "$BOX" port db
        [ "${lines[0]}" = "3306/tcp -> 0.0.0.0:$port" ]
        wait_ready "$port"

        run sql 127.0.0.1 "$port" shop -e "create table orders (id int primary key auto_increment, item varchar(40));
                insert into orders (item) values ('box'), ('overlayfs'); select item from orders order by id;"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [ "$output" = $'box\noverlayfs' ]
        # the account MYSQL_USER made, on MYSQL_DATABASE
        run env MYSQL_PWD=apppw mariadb -h 127.0.0.1 -P "$port" -uapp -N -B shop -e 'select count(*) from orders'
        [ "$output" = 2 ]
        # the host's own (non-loopback) address reaches it too
        local addr
        if addr=$(host_address) && [ -n "$addr" ]; then
                run sql "$addr" "$port" shop -e 'select count(*) from orders'
                [ "$status" -eq 0 ] || { echo "$output"; false; }
                [ "$output" = 2 ]
        fi

        # SIGTERM reaches mysqld (pid 1): a clean shutdown, well within the timeout
        local t0 t1
        t0=$(date +%s)
        run "$BOX" stop -t 30 db
        t1=$(date +%s)
        [ "$status" -eq 0 ]
        [ $((t1 - t0)) -lt 25 ]
        run "$BOX" inspect --format '{{.State.ExitCode}}' db
        [ "$output" = 0 ]
        run "$BOX" logs db
        [[ "$output" == *"Shutdown complete"* ]]
        run "$BOX" rm db
        [ "$status" -eq 0 ]
        run -125 "$BOX" port db 3306

        # a new container on the same volume has the rows; no password needed to start
        run "$BOX" run -d --name db2 -v dbdata:/var/lib/mysql -p 3306 mysql
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        port=$("$BOX" port db2 3306 | sed -n '1s/.*://p')
        [ -n "$port" ]
        wait_ready "$port"
        run sql 127.0.0.1 "$port" shop -e 'select item from orders order by id'
        [ "$output" = $'box\noverlayfs' ]
        "$BOX" stop db2 >/dev/null
        "$BOX" rm db2 >/dev/null
}
