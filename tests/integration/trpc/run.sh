#!/usr/bin/env bash
# tests/integration/trpc/run.sh - runs the real-@trpc/client integration suite (suite.mjs) against a
# running Khedma stack, with @trpc/client v10 and v11, each through httpBatchLink and httpLink.
#
#   tests/integration/trpc/run.sh none|superjson
#
# The mode must match the server's KHEDMA_TRPC_TRANSFORMER (deploy/test starts one stack per mode).
# Base URL: KHEDMA_TEST_URL (default http://127.0.0.1:18080). Installs each version's pinned
# packages with `npm ci` when node_modules is missing or older than package-lock.json.
# Prints `ok - <name>` / `not ok - <name>: <reason>` per test, then one line
# `trpc-<mode>: N passed, N failed`; exits non-zero on any failure. Needs node >= 18 and npm.
set -uo pipefail

mode=${1:-}
case $mode in
none | superjson) ;;
*)
    echo "usage: $0 none|superjson" >&2
    exit 2
    ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export KHEDMA_TEST_URL=${KHEDMA_TEST_URL:-http://127.0.0.1:18080}
# the longest a whole version run may take (two passes of the suite)
limit=${KHEDMA_TEST_TRPC_TIMEOUT:-300}

passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for v in v10 v11; do
    dir=$here/$v
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        echo "# npm ci in ${dir#"$here"/}" >&2
        if ! (cd "$dir" && npm ci --no-audit --no-fund) >&2; then
            echo "not ok - trpc-$mode $v: npm ci failed in $dir"
            failed=$((failed + 1))
            continue
        fi
    fi
    : >"$out"
    timeout --kill-after=10 "$limit" node "$here/suite.mjs" "$v" "$mode" | tee "$out"
    rc=${PIPESTATUS[0]}
    p=$(grep -c '^ok - ' "$out")
    f=$(grep -c '^not ok - ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            echo "not ok - trpc-$mode $v: the suite did not finish within $limit s"
        else
            echo "not ok - trpc-$mode $v: the suite exited with status $rc"
        fi
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "trpc-$mode: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
