#!/bin/sh
# run-unit.sh — run each unit-test binary given as an argument, show its
# output, add up the `N passed, N failed` lines they print, and finish with
# one such line for the whole run.  Exits 1 when any check failed, or any
# binary crashed / exited non-zero / printed no summary line.
set -u
total_pass=0
total_fail=0
status=0
for bin in "$@"; do
    echo "== $bin"
    out=$("$bin" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$line" ]; then
        echo "run-unit: $bin printed no summary line (exit status $rc): counted as 1 failure" >&2
        total_fail=$((total_fail + 1))
        status=1
        continue
    fi
    p=${line%% passed*}
    f=${line#*, }
    f=${f%% failed}
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$rc" -ne 0 ]; then
        status=1
        [ "$f" -eq 0 ] && { echo "run-unit: $bin exited with status $rc" >&2; total_fail=$((total_fail + 1)); }
    fi
    [ "$f" -ne 0 ] && status=1
done
echo "$total_pass passed, $total_fail failed"
exit $status
