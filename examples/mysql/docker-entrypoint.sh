#!/bin/sh
# Entrypoint of examples/mysql.  With "mysqld" (the image's CMD) as its
# command it initialises an empty data directory once -- root's password from
# MYSQL_ROOT_PASSWORD (required), MYSQL_DATABASE / MYSQL_USER /
# MYSQL_PASSWORD when given -- and then replaces itself with the server, so
# mysqld is pid 1 and `box stop` (SIGTERM) shuts it down cleanly.  Any other
# command runs as given.
set -eu

log() { echo "entrypoint: $*" >&2; }

if [ "${1:-}" = mysqld ]; then
        shift
        set -- mysqld --user=mysql --datadir="$MYSQL_DATADIR" \
                --bind-address=0.0.0.0 --port=3306 \
                --skip-name-resolve --console "$@"
else
        exec "$@"
fi

# SQL string literal: double every single quote and backslash.
sql_quote() {
        printf "'%s'" "$(printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/''/g")"
}
# Identifiers in backquotes: double every backquote.
sql_ident() {
        printf '`%s`' "$(printf '%s' "$1" | sed -e 's/`/``/g')"
}

mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$MYSQL_DATADIR"

if [ ! -d "$MYSQL_DATADIR/mysql" ]; then
        if [ -z "${MYSQL_ROOT_PASSWORD:-}" ]; then
                log "the data directory $MYSQL_DATADIR is empty and MYSQL_ROOT_PASSWORD is not set;"
                log "refusing to start: run with -e MYSQL_ROOT_PASSWORD=..."
                exit 1
        fi
        log "initialising $MYSQL_DATADIR"
        mariadb-install-db --user=mysql --datadir="$MYSQL_DATADIR" \
                --auth-root-authentication-method=normal \
                --skip-test-db --skip-name-resolve >/dev/null
        # A private server: no network, only the socket, for the setup SQL.
        mysqld --user=mysql --datadir="$MYSQL_DATADIR" --skip-networking \
                --socket=/run/mysqld/init.sock --console 2>/dev/null &
        pid=$!
        i=0
        until mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1; do
                i=$((i + 1))
                if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
                        log "the setup server did not start"
                        exit 1
                fi
                sleep 0.1
        done
        {
                pw=$(sql_quote "$MYSQL_ROOT_PASSWORD")
                # install-db also makes root@127.0.0.1, root@::1 and
                # root@<hostname>: with skip-name-resolve they would shadow
                # root@'%' for TCP clients.
                echo "DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host<>'localhost');"
                echo "FLUSH PRIVILEGES;"
                echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;"
                echo "CREATE USER 'root'@'%' IDENTIFIED BY $pw;"
                echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
                if [ -n "${MYSQL_DATABASE:-}" ]; then
                        echo "CREATE DATABASE IF NOT EXISTS $(sql_ident "$MYSQL_DATABASE");"
                fi
                if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
                        echo "CREATE USER $(sql_quote "$MYSQL_USER")@'%' IDENTIFIED BY $(sql_quote "$MYSQL_PASSWORD");"
                        if [ -n "${MYSQL_DATABASE:-}" ]; then
                                echo "GRANT ALL ON $(sql_ident "$MYSQL_DATABASE").* TO $(sql_quote "$MYSQL_USER")@'%';"
                        fi
                fi
                echo "FLUSH PRIVILEGES;"
        } | mariadb --socket=/run/mysqld/init.sock -uroot
        MYSQL_PWD=$MYSQL_ROOT_PASSWORD mariadb-admin --socket=/run/mysqld/init.sock -uroot shutdown
        wait "$pid" || true
        log "initialised; starting the server"
fi

exec "$@"
