#!/usr/bin/env bash
# tests/integration/valgrind_check.sh - the leak test: khedmad serve runs under
# valgrind (memcheck, every forked process logged to its own file) with one worker, serves 1,000
# mixed requests through nginx, gets SIGTERM, and every process's log must show no definitely
# lost memory and no memcheck error. Prints `ok - ...` / `not ok - ...` lines and
# `valgrind: N passed, N failed`; exits 1 on any failure.
#
# Needs a running test stack (deploy/test starts it): KHEDMA_VAR, KHEDMA_PORT and KHEDMA_BIN
# name it. khedmad is restarted under valgrind and left stopped afterwards.
set -euo pipefail
K_PROG=valgrind_check
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy/lib.sh
. "$here/../../deploy/lib.sh"
k_init

export KHEDMA_WORKERS=1 KHEDMA_STOP_TIMEOUT_MS=120000
requests=${KHEDMA_VALGRIND_REQUESTS:-1000}
vlog=$K_LOG/valgrind
rm -rf "$vlog"
mkdir -p "$vlog"
chmod 1777 "$vlog" # the workers' logs are opened after khedmad drops root (KHEDMA_USER)

k_khedmad_stop
trap 'K_STOP_WAIT=150 k_khedmad_stop' EXIT
K_WRAPPER=(valgrind --trace-children=yes --child-silent-after-fork=no --leak-check=full
    --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99
    --num-callers=30 --log-file="$vlog/valgrind.%p.log")
k_say "khedmad under valgrind (logs in $vlog)"
k_khedmad_start
k_wait_healthz 120 || k_die "khedmad under valgrind did not become healthy"

# The load; prints the worker pids (one line) when done.
workers=$(cd "$here" && KHEDMA_TEST_URL=$K_URL KHEDMA_TEST_VAR=$K_VAR python3 -B - "$requests" <<'PY'
"""1,000 mixed requests: health, 404/405, malformed and invalid-UTF-8 bodies, signup/login/
logout, authenticated reads and updates by bearer and by cookie, query strings and cookies."""
import sys
from harness import http, signup, unique, stack

total = int(sys.argv[1])
user, token = signup()
r = http("POST", "/api/auth/login", json_body={"email": user["email"], "password": "correct-horse-42"}, timeout=120)
assert r.status == 200, r
r = http("POST", "/api/auth/login", json_body={"email": user["email"], "password": "wrong-password"}, timeout=120)
assert r.status == 401, r
_, other = signup()
sent = 5
kinds = [
    lambda: http("GET", "/healthz"),
    lambda: http("GET", "/api/auth/me", token=token),
    lambda: http("GET", "/api/auth/me", cookie=token),
    lambda: http("GET", "/api/auth/me"),
    lambda: http("GET", "/api/no/such/route?a=%41&a=2&b=+c"),
    lambda: http("GET", "/api/auth/me?bad=%zz", token=token),
    lambda: http("DELETE", "/api/auth/login"),
    lambda: http("PATCH", "/api/users/me", data=b'{"name": ', headers={"Content-Type": "application/json"}, token=token),
    lambda: http("PATCH", "/api/users/me", data=b'{"name": "\xff\xfe"}', headers={"Content-Type": "application/json"}, token=token),
    lambda: http("PATCH", "/api/users/me", json_body={"name": 5, "phone": ["x"], "inboxNotifications": "yes"}, token=token),
    lambda: http("POST", "/api/auth/logout", data=b"x", headers={"Content-Type": "text/plain"}, token="not-a-token"),
    lambda: http("PATCH", "/api/users/me", json_body={"name": "Valgrind " + unique("n")}, token=token),
    lambda: http("GET", "/api/auth/me?x=1&y=%E2%82%AC", headers={"Cookie": "a=1; khedma_session=nope; b=\"q\""}),
    lambda: http("GET", "/healthz", headers={"X-Request-Id": "valgrind-" + unique("r")}),
]
i = 0
while sent < total - 1:
    if i % 100 == 99:  # the signup validation path, kept under nginx's signup rate limit
        r = http("POST", "/api/auth/signup", json_body={"name": "x", "email": "not-an-email", "username": "A!", "password": "short"})
    else:
        r = kinds[i % len(kinds)]()
    if r.status >= 500:
        raise SystemExit(f"request {i} got {r.status}: {r.body[:200]!r}")
    i += 1
    sent += 1
r = http("POST", "/api/auth/logout", token=other)
assert r.status == 200, r
print(" ".join(str(p) for p in stack("khedmad-pids")["workers"]))
PY
) || k_die "the load against khedmad under valgrind failed"

K_STOP_WAIT=150 k_khedmad_stop
trap - EXIT

passed=0 failed=0
check() { # check NAME LOGFILE
    local name=$1 log=$2 lost errors
    lost=$(grep -E 'definitely lost: [0-9,]+ bytes' "$log" | tail -n 1 | sed -E 's/.*definitely lost: ([0-9,]+) bytes.*/\1/' | tr -d ,)
    errors=$(grep -E 'ERROR SUMMARY: [0-9,]+ errors' "$log" | tail -n 1 | sed -E 's/.*ERROR SUMMARY: ([0-9,]+) errors.*/\1/' | tr -d ,)
    if [ -z "$errors" ]; then
        echo "not ok - valgrind::$name: no leak summary in ${log#"$K_VAR"/} (process did not exit normally)"
        failed=$((failed + 1))
    elif [ "${lost:-0}" != 0 ] || [ "$errors" != 0 ]; then
        echo "not ok - valgrind::$name: definitely lost ${lost:-0} bytes, $errors errors (${log#"$K_VAR"/})"
        grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|[0-9,]+ bytes in)' "$log" | head -n 10 >&2 || true
        failed=$((failed + 1))
    else
        echo "ok - valgrind::$name"
        passed=$((passed + 1))
    fi
}

[ -n "$workers" ] || k_die "no worker pid from the load script"
served=0
for pid in $workers; do
    served=$((served + $(grep -c "\"kind\":\"access\".*\"pid\":$pid," "$K_LOG/khedmad.log" || true)))
done
if [ "$served" -ge "$requests" ]; then
    echo "ok - valgrind::worker_served_$requests"
    passed=$((passed + 1))
else
    echo "not ok - valgrind::worker_served_$requests: the worker logged $served requests"
    failed=$((failed + 1))
fi
for pid in $workers; do
    if [ -f "$vlog/valgrind.$pid.log" ]; then
        check "worker_$pid" "$vlog/valgrind.$pid.log"
    else
        echo "not ok - valgrind::worker_$pid: no log"
        failed=$((failed + 1))
    fi
done
for log in "$vlog"/valgrind.*.log; do
    pid=${log##*/valgrind.}
    pid=${pid%.log}
    case " $workers " in *" $pid "*) continue ;; esac
    check "process_$pid" "$log"
done
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
