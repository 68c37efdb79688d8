#!/bin/sh
# Lists the functions of box's sources (outside tests) longer than MAX lines
# (default 150), longest first, and fails when more than ALLOWED (default 0)
# are.  A function runs from its signature to the "}" that closes it at
# column 0, as clang-format lays them out.  Run by `make func-length`.
max=${1:-150}
allowed=${2:-0}
cd "$(dirname "$0")/.." || exit 2
over=$(awk -v max="$max" '
FNR == 1 { sig = ""; sigline = 0; inb = 0 }
!inb && /^[a-zA-Z_].*\(/ { sig = $0; sigline = FNR }
!inb && /^\{$/ { inb = 1; start = sigline ? sigline : FNR; name = sig; next }
inb && /^\}/ {
        inb = 0
        n = FNR - start + 1
        sub(/\(.*/, "", name)
        k = split(name, w, /[ *]+/)
        if (n > max)
                printf "%5d %s:%d %s\n", n, FILENAME, start, w[k]
        sig = ""; sigline = 0
}' box.c lib/*.c spec/*.c store/*.c image/*.c run/*.c build/*.c cli/*.c | sort -rn)
n=$(printf '%s' "$over" | grep -c .)
[ -n "$over" ] && printf '%s\n' "$over"
echo "$n functions over $max lines (at most $allowed allowed)"
[ "$n" -le "$allowed" ]
