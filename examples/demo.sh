#!/bin/sh
# make demo: the user's story, for real, in a throw-away store.
#   1. a Debian base made with debootstrap (cached), served over HTTP and pulled
#   2. box build -t mysql examples/mysql
#   3. box run -d on a user network with -p 3306, a real client through the
#      published port, and another container reaching it by its name; box
#      update of the running server's limits, box diff of what it wrote
#   4. box stop (mysqld shuts down cleanly), box rm
# When Debian's mirror cannot be reached it says so and runs the small offline
# demo instead (examples/demo-hello.sh).
set -eu
O=${1:-out}
BOX="$PWD/$O/box"
export BOX_ROOT="$(mktemp -d /tmp/box-demo.XXXXXX)"
export BOX_RUNROOT="$BOX_ROOT/run"
# the demo's bridge and nftables table are its own, and go at the end
export BOX_NETWORK_PREFIX=bdemo
for n in $(seq 200 250); do
        ip route | grep -q "^10\.$n\." && continue
        export BOX_BRIDGE_SUBNET="10.$n.0.0/24"
        break
done
http_pid=
cleanup() {
        "$BOX" rm -f db export >/dev/null 2>&1 || true
        "$BOX" volume rm -f scratch >/dev/null 2>&1 || true
        "$BOX" volume rm -f demo-data >/dev/null 2>&1 || true
        "$BOX" network rm shop >/dev/null 2>&1 || true
        "$BOX" network prune -f >/dev/null 2>&1 || true
        [ -z "$http_pid" ] || kill "$http_pid" 2>/dev/null || true
        rm -rf "$BOX_ROOT"
}
trap cleanup EXIT

now() { date +%s.%N; }
t0=$(now)
step_start=$t0
step() {
        printf '\n== %s\n' "$*"
        step_start=$(now)
}
took() { printf '   (%.1f s)\n' "$(echo "$(now) - $step_start" | bc)"; }
run() { echo "\$ box $*"; "$BOX" "$@"; }

step "the Debian base (debootstrap, cached in $O/fixtures)"
rc=0
sh examples/debian-base/mkbase.sh "$O/fixtures" || rc=$?
if [ "$rc" = 77 ]; then
        echo "Debian's mirror cannot be reached: running the offline demo (make demo-hello) instead"
        trap - EXIT
        rm -rf "$BOX_ROOT"
        exec sh examples/demo-hello.sh "$O"
fi
[ "$rc" = 0 ]
took

step "served over HTTP on 127.0.0.1 and pulled"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$O/fixtures" "$port" >/dev/null 2>&1 &
http_pid=$!
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "http.server did not start" >&2; exit 1; }
        sleep 0.05
done
run pull "http://127.0.0.1:$port/debian-bookworm.tar" --name debian:bookworm
kill "$http_pid"; http_pid=
took

step "build (cold)"
run build -t mysql examples/mysql
took
step "build again (fully cached)"
run build -t mysql examples/mysql
took

step "run detached on a network of its own, port 3306 published"
run volume create demo-data >/dev/null
run network create shop >/dev/null
run run -d --name db --network shop -e MYSQL_ROOT_PASSWORD=demo -e MYSQL_DATABASE=shop \
        -v demo-data:/var/lib/mysql -p 3306 mysql
hostport=$("$BOX" port db 3306 | sed -n '1s/.*://p')
echo "\$ box port db 3306"
"$BOX" port db 3306
run ps
echo "waiting for the server on 127.0.0.1:$hostport"
i=0
until MYSQL_PWD=demo mariadb -h 127.0.0.1 -P "$hostport" -uroot -e 'select 1' >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -gt 600 ]; then
                "$BOX" logs db | tail -20
                echo "the server did not come up" >&2
                exit 1
        fi
        sleep 0.1
done
took

step "a real client through the published port"
sql="create table if not exists orders (id int primary key auto_increment, item varchar(40));
insert into orders (item) values ('box'), ('overlayfs');
select id, item from orders;"
echo "\$ mariadb -h 127.0.0.1 -P $hostport -uroot shop -e \"$sql\""
MYSQL_PWD=demo mariadb -h 127.0.0.1 -P "$hostport" -uroot shop -e "$sql"
took

step "another container on the network reaches the server by its name"
echo "\$ box run --rm --network shop -e MYSQL_PWD=demo mysql mariadb -h db -uroot shop -e 'select count(*) from orders'"
"$BOX" run --rm --network shop -e MYSQL_PWD=demo mysql mariadb -h db -uroot shop -e 'select count(*) from orders'
took

step "a bigger memory limit for the running server, and what it changed on disk"
run update --memory 1g --restart unless-stopped db
run inspect -f '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}' db
echo "\$ box diff db | head -5"
"$BOX" diff db | head -5
took

step "a one-off job in the foreground into a tmpfs volume; its output kept for box logs"
run volume create -o type=tmpfs -o device=tmpfs -o o=size=64m scratch
job='mariadb -h db -uroot shop -e "select * from orders" > /scratch/orders.tsv && wc -l < /scratch/orders.tsv'
echo "\$ box run --name export --network shop -e MYSQL_PWD=demo -v scratch:/scratch mysql sh -c '$job'"
"$BOX" run --name export --network shop -e MYSQL_PWD=demo -v scratch:/scratch mysql sh -c "$job"
run logs export
run rm export
run volume rm scratch
took

step "stop: SIGTERM to mysqld, a clean shutdown"
run stop db
"$BOX" logs db 2>&1 | tail -2
run rm db
run network rm shop
took

step "what happened to the containers, from box's event log (no daemon: each command wrote its own)"
since=${t0%.*}
echo "\$ box events --since $since --until 0s --filter type=container --format '{{.Actor.Attributes.name}}: {{.Action}}' | uniq -c"
"$BOX" events --since "$since" --until 0s --filter type=container \
        --format '{{.Actor.Attributes.name}}: {{.Action}}' | uniq -c
took

printf '\nthe whole story took %.1f s\n' "$(echo "$(now) - $t0" | bc)"
