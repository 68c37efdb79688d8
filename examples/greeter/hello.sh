#!/bin/sh
# A tiny HTTP responder: answers every request with a greeting.
set -eu
port="${PORT:-8080}"
echo "hello: listening on port $port" >&2
while true; do
        printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nHello from %s!\n' "${GREETING:-box}" |
                nc -l -p "$port" >/dev/null || true
done
