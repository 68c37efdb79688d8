#!/bin/sh
# Checks the manual pages against the binary: every command `box --help`
# lists, and every subcommand of each group (`box image --help` ...), has a
# page; every long flag a command's `--help` prints appears in its page;
# every page has the sections of a man page, names only pages that exist in
# SEE ALSO, and renders with `man --warnings` silent.  Prints each problem as
# "PAGE: what" and fails when there is one.
#
# Usage: tests/man-pages.sh BOX SRC_DIR MAN_DIR
#   BOX      the binary (its --help is the truth)
#   SRC_DIR  the Markdown sources (docs/man: box-run.1.md ...)
#   MAN_DIR  the rendered pages ($(O)/man: box-run.1 ...), from `make man`
#
# Where a page lives: `box C` in box-C.1.md; `box G S` in box-G-S.1.md, or,
# for a subcommand that is another name of a top-level command (`box
# container ls` is `box ps`), in the page its group page's table names:
#     | **ls** | box-ps(1) | List containers |
# A page whose options are another's says so, and is checked against it:
#     <!-- options: box-run -->
# A command whose --help fails (not in this binary yet, or "not supported
# yet") needs its page but has no flags to check.
box=$1
src=$2
man=$3
[ -x "$box" ] && [ -d "$src" ] && [ -d "$man" ] || {
        echo "usage: $0 BOX SRC_DIR MAN_DIR (run 'make man' first)" >&2
        exit 2
}
problems=0
say() {
        echo "$*"
        problems=$((problems + 1))
}

# the command names of a "Commands:" listing
commands_of() {
        "$box" "$@" --help 2>/dev/null |
                awk '/^Commands:/ { f = 1; next } f && /^$/ { f = 0 } f && /^  [a-z]/ { print $1 }'
}

# the page (a name without .1.md) that documents `box WORDS...`
page_of() {
        if [ $# -eq 1 ] || [ -f "$src/box-$1-$2.1.md" ]; then
                echo "box-$(echo "$*" | tr ' ' -)"
                return
        fi
        grep -E "^\| \*\*$2\*\* \|" "$src/box-$1.1.md" 2>/dev/null |
                grep -oE 'box(-[a-z]+)*\(1\)' | head -1 | sed 's/(1)$//'
}

# the long flags a help text names (--help aside)
long_flags() {
        grep -oE -e '--[a-z][a-z0-9-]*' | sort -u | grep -vx -e '--help'
}

check_command() {
        page=$(page_of "$@")
        if [ -z "$page" ] || [ ! -f "$src/$page.1.md" ]; then
                say "box $*: no page (${page:-box-$(echo "$*" | tr ' ' -)}.1.md)"
                return
        fi
        help=$("$box" "$@" --help 2>/dev/null) || return 0
        opts=$(grep -oE '<!-- options: box(-[a-z]+)* -->' "$src/$page.1.md" |
                sed -E 's/<!-- options: (.*) -->/\1/')
        for f in $(printf '%s\n' "$help" | long_flags); do
                grep -qE -e "$f([^a-z0-9-]|\$)" "$src/$page.1.md" && continue
                [ -n "$opts" ] && grep -qE -e "$f([^a-z0-9-]|\$)" "$src/$opts.1.md" && continue
                say "$page.1.md: box $* --help names $f, the page does not"
        done
}

check_command_tree() {
        for c in $(commands_of); do
                check_command "$c"
                for s in $(commands_of "$c"); do
                        check_command "$c" "$s"
                done
        done
        for f in $("$box" --help | long_flags); do
                grep -qE -e "$f([^a-z0-9-]|\$)" "$src/box.1.md" ||
                        say "box.1.md: box --help names $f, the page does not"
        done
}

check_sources() {
        for md in "$src"/*.1.md; do
                name=$(basename "$md" .1.md)
                head -1 "$md" | grep -qE "^% $name 1( |\$)" ||
                        say "$name.1.md: the first line is not '% $name 1 ...'"
                sections="NAME SYNOPSIS DESCRIPTION"
                if grep -q '^## COMMANDS' "$md"; then
                        sections="$sections COMMANDS"
                else
                        sections="$sections EXIT_STATUS EXAMPLES"
                fi
                for s in $sections "SEE_ALSO"; do
                        grep -q "^## $(echo "$s" | tr _ ' ')\$" "$md" ||
                                say "$name.1.md: no '## $(echo "$s" | tr _ ' ')' section"
                done
                for ref in $(grep -oE 'box(-[a-z]+)*\(1\)' "$md" | sort -u | sed 's/(1)$//'); do
                        [ -f "$src/$ref.1.md" ] || say "$name.1.md: names $ref(1), which has no page"
                done
                [ -f "$man/$name.1" ] || say "$name.1.md: not rendered ($man/$name.1; make man)"
        done
}

check_rendering() {
        for p in "$man"/*.1; do
                [ -f "$p" ] || continue
                w=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
                [ -z "$w" ] || say "$(basename "$p"): man --warnings: $(echo "$w" | head -3)"
        done
}

check_command_tree
check_sources
check_rendering
[ "$problems" -eq 0 ]
