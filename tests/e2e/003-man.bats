#!/usr/bin/env bats
# The manual pages (docs/man/*.md, rendered by `make man`): one for every
# command and subcommand the binary lists, naming every long flag its --help
# prints, rendering without a groff warning (tests/man-pages.sh); and
# `make install` / `make uninstall` put them, box and box-monitor in place.
repo="$BATS_TEST_DIRNAME/../.."
: "${BOX:=$repo/out/box}"
: "${BOX_FIXTURES:=$repo/out/fixtures}"
odir=$(cd "$(dirname "$BOX")" && pwd)
mandir="$odir/man"

setup() {
        tmp=$(mktemp -d /tmp/box-man.XXXXXX)
}

teardown() {
        rm -rf "$tmp"
}

@test "man: every command, subcommand and flag of --help has a page that renders cleanly" {
        [ -d "$mandir" ] || { echo "no $mandir: run 'make man'"; false; }
        run sh "$repo/tests/man-pages.sh" "$BOX" "$repo/docs/man" "$mandir"
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

# A copy of the sources and pages, to break on purpose.
copy_pages() {
        cp -r "$repo/docs/man" "$tmp/src"
        cp -r "$mandir" "$tmp/man"
}

@test "man: a flag missing from a page is found" {
        copy_pages
        sed -i '/--cpuset-cpus/d' "$tmp/src/box-run.1.md"
        run sh "$repo/tests/man-pages.sh" "$BOX" "$tmp/src" "$tmp/man"
        echo "$output"
        [ "$status" -eq 1 ]
        # box run, and box create and box container run/create, whose pages point to it
        [[ "$output" == *"box-run.1.md: box run --help names --cpuset-cpus, the page does not"* ]]
        [[ "$output" == *"box-create.1.md: box create --help names --cpuset-cpus"* ]]
        [[ "$output" == *"box-run.1.md: box container run --help names --cpuset-cpus"* ]]
}

@test "man: a command or subcommand without a page is found" {
        copy_pages
        rm "$tmp/src/box-ps.1.md" "$tmp/src/box-volume-prune.1.md"
        sed -i '/^| \*\*prune\*\* |/d' "$tmp/src/box-image.1.md"
        rm "$tmp/src/box-image-prune.1.md"
        run sh "$repo/tests/man-pages.sh" "$BOX" "$tmp/src" "$tmp/man"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"box ps: no page (box-ps.1.md)"* ]]
        [[ "$output" == *"box container ls: no page (box-ps.1.md)"* ]]
        [[ "$output" == *"box volume prune: no page (box-volume-prune.1.md)"* ]]
        [[ "$output" == *"box image prune: no page (box-image-prune.1.md)"* ]]
        # and the pages that name them in SEE ALSO
        [[ "$output" == *"names box-ps(1), which has no page"* ]]
}

@test "man: a page without its sections, or that groff warns about, is found" {
        copy_pages
        sed -i '/^## EXIT STATUS$/d' "$tmp/src/box-kill.1.md"
        sed -i '1s/.*/% box-killer 1/' "$tmp/src/box-stop.1.md"
        printf '.foo bar\n' >>"$tmp/man/box-wait.1"
        run sh "$repo/tests/man-pages.sh" "$BOX" "$tmp/src" "$tmp/man"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"box-kill.1.md: no '## EXIT STATUS' section"* ]]
        [[ "$output" == *"box-stop.1.md: the first line is not '% box-stop 1 ...'"* ]]
        [[ "$output" == *"box-wait.1: man --warnings: "*"macro 'foo' not defined"* ]]
}

@test "man: make install puts box, box-monitor and the pages under DESTDIR/PREFIX, uninstall removes them" {
        [ -d "$mandir" ] || { echo "no $mandir: run 'make man'"; false; }
        run make --no-print-directory -C "$repo" O="$odir" DESTDIR="$tmp/dest" PREFIX=/opt/box install
        echo "$output"
        [ "$status" -eq 0 ]
        [ -x "$tmp/dest/opt/box/bin/box" ]
        [ -x "$tmp/dest/opt/box/libexec/box/box-monitor" ]
        n_src=$(ls "$repo"/docs/man/*.1.md | wc -l)
        n_dst=$(ls "$tmp/dest/opt/box/share/man/man1/"*.1 | wc -l)
        [ "$n_src" -eq "$n_dst" ]
        # man finds them by name, as `man box-run` will once MANPATH has them
        run man -M "$tmp/dest/opt/box/share/man" -w box-image-inspect
        [ "$status" -eq 0 ]
        [ "$output" = "$tmp/dest/opt/box/share/man/man1/box-image-inspect.1" ]
        MANWIDTH=80 run man -M "$tmp/dest/opt/box/share/man" box-run
        [ "$status" -eq 0 ]
        [[ "$output" == *"--memory-swap"* ]]
        # the installed box finds the installed monitor (PREFIX/libexec/box)
        export BOX_ROOT="$tmp/store" BOX_RUNROOT="$tmp/run"
        ibox="$tmp/dest/opt/box/bin/box"
        "$ibox" import "$BOX_FIXTURES/busybox.tar" busybox >/dev/null
        # no network: this file has no prefix of its own, and the default
        # bridge (box0, table ip box) is the host's (it was left behind here)
        id=$("$ibox" run -d --network none busybox sh -c 'echo detached')
        [ "$("$ibox" wait "$id")" = 0 ]
        [ "$("$ibox" logs "$id")" = detached ]
        "$ibox" rm "$id"

        run make --no-print-directory -C "$repo" O="$odir" DESTDIR="$tmp/dest" PREFIX=/opt/box uninstall
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$(find "$tmp/dest" -type f)" ]
}
