#!/bin/sh
# Runs the unit tests (cmocka, TAP output) then the end-to-end tests (bats),
# and prints the totals as the very last line: "N passed, N failed".
O=${O:-out}
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count_tap() {
        p=$(grep -cE '^ok ' "$log" || true)
        f=$(grep -cE '^not ok ' "$log" || true)
        pass=$((pass + p))
        fail=$((fail + f))
}

echo "== unit tests"
for t in "$O"/tests/test-*; do
        [ -x "$t" ] || continue
        CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
        rc=$?
        count_tap
        if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$log"; then
                echo "not ok - $(basename "$t") exited $rc"
                fail=$((fail + 1))
        fi
        grep -E '^(not ok|#)' "$log" | sed "s|^|$(basename "$t"): |"
        echo "$(basename "$t"): $(grep -cE '^ok ' "$log") ok, $(grep -cE '^not ok ' "$log") not ok"
done

echo "== end-to-end tests"
# no test may use the default network prefix (box0, table ip box: the host's);
# box refuses it under this (tests/e2e/helpers.bash exports it too)
export BOX_TEST_NO_DEFAULT_NET=1
if [ -n "${BOX_E2E_FILTER:-}" ]; then
        files=$(ls tests/e2e/*.bats | grep -E "$BOX_E2E_FILTER")
else
        files=$(ls tests/e2e/*.bats)
fi
if [ -n "$files" ]; then
        BOX="$PWD/$O/box" BOX_FIXTURES="$PWD/$O/fixtures" bats --tap $files >"$log" 2>&1
        rc=$?
        cat "$log"
        count_tap
        if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$log"; then
                echo "not ok - bats exited $rc"
                fail=$((fail + 1))
        fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
