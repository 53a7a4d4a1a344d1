#!/usr/bin/env bash
# bench/gig_details.sh - prints the gig-page figures, on this machine; asserts nothing. In one run,
# each at BENCH_CONNECTIONS (default 32) connections, rotating over every seeded gig:
#   - the bare nginx -> libfcgi responder (bench/fcgi_fixed.c, built here) sending the bytes of a
#     real getGigDetails answer, behind a second nginx of its own (the FastCGI floor),
#   - GET /healthz,
#   - gig.getGigDetails uncached (the stack restarted by deploy/up with KHEDMA_PUBLIC_CACHE_S=0),
#   - gig.getGigDetails cached (restarted again with the caller's KHEDMA_PUBLIC_CACHE_S, default),
# each with requests/s, p50 and p99 (wrk --latency), the CPU time per request of khedmad (master,
# workers, jobs), of MariaDB and of nginx (from /proc, over the wrk run), and the peak RSS of the
# whole server (master + workers + jobs) sampled every 0.2 s during the run; plus the number of
# SQL round trips one getGigDetails makes, measured on the database server.
# Runs against a stack that deploy/up started (KHEDMA_PORT, KHEDMA_VAR and the rest of its
# environment as there): it restarts that stack twice with deploy/up (BENCH_RESTART=0 measures the
# running stack once, as it is, instead).
#
# Data: BENCH_GIGS (default 2000) published gigs of BENCH_SELLERS (default 200) sellers, each
# with three packages, three tags, two FAQs, three attachments, and a completed order with a
# review on every third gig (every seller gets some, so ratings are really computed). Every
# row's id starts with "cbench" and is replaced at each run; nothing else is touched. Seeding
# is a handful of INSERT ... SELECT statements over MariaDB's sequence engine (seq_1_to_N).
#
# Round trips are counted from the server's global status: Questions (statements clients sent)
# + Com_stmt_prepare + Com_admin_commands (pings) around one request, minus the same delta with
# no request in between (the SHOW itself), the smallest of several tries (the jobs process may
# run a statement at the same moment). A warm-up first makes sure the statement is prepared.
#
# Environment: BENCH_DURATION (seconds per wrk run, default 10), BENCH_THREADS (default 2),
# BENCH_CONNECTIONS (default 32), BENCH_RESTART (default 1).
set -euo pipefail
K_PROG=bench
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
k_init

GIGS=${BENCH_GIGS:-2000}
SELLERS=${BENCH_SELLERS:-200}
DURATION=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
RESTART=${BENCH_RESTART:-1}
for v in GIGS SELLERS DURATION THREADS CONNECTIONS; do
    case ${!v} in '' | *[!0-9]* | 0*) k_die "BENCH_$v must be a positive integer" ;; esac
done
[ "$SELLERS" -le "$GIGS" ] || k_die "BENCH_SELLERS must not exceed BENCH_GIGS"
command -v wrk >/dev/null || k_ensure_packages wrk
[ "$(k_http_status "$K_URL/healthz")" = 200 ] ||
    k_die "no healthy stack at $K_URL: start it with deploy/up (same KHEDMA_PORT / KHEDMA_VAR)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT # replaced once the responder can be running (stop_fixed)

# ---------------------------------------------------------------------------------------------
# The database client and the seed (bench/seed_gigs.sh: sql, bench_seed, $published)

# shellcheck source=bench/seed_gigs.sh
. "$K_REPO/bench/seed_gigs.sh"
bench_seed

# ---------------------------------------------------------------------------------------------
# The request

details_path() { # details_path N: getGigDetails of the Nth seeded gig
    local n=$1 owner=$((($1 - 1) % SELLERS + 1))
    printf '/api/trpc/gig.getGigDetails?input=%%7B%%22username%%22%%3A%%22bench_s%d%%22%%2C%%22slug%%22%%3A%%22bench-gig-%d%%22%%7D' "$owner" "$n"
}
code=$(k_http_status "$K_URL$(details_path 1)")
[ "$code" = 200 ] || k_die "getGigDetails of a seeded gig answered $code, not 200"

# Each wrk thread starts at a different gig and walks through all of them, so the database works
# on a spread of rows rather than one hot page.
cat >"$TMP/details.lua" <<'LUA'
local counter = 0
function setup(thread)
    thread:set("offset", counter)
    counter = counter + 1
end
function init(args)
    gigs = tonumber(args[1])
    sellers = tonumber(args[2])
    i = (offset * 7919) % gigs
end
function request()
    i = i % gigs + 1
    local owner = (i - 1) % sellers + 1
    return wrk.format("GET", string.format("/api/trpc/gig.getGigDetails?input=" ..
        "%%7B%%22username%%22%%3A%%22bench_s%d%%22%%2C%%22slug%%22%%3A%%22bench-gig-%d%%22%%7D",
        owner, i))
end
LUA

# ---------------------------------------------------------------------------------------------
# SQL round trips of one getGigDetails

status_sum() {
    sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS
            WHERE VARIABLE_NAME IN ('QUESTIONS', 'COM_STMT_PREPARE', 'COM_ADMIN_COMMANDS')"
}
round_trips() {
    local i a b best_idle=999999 best_req=999999
    for ((i = 1; i <= 2 * 8; i++)); do # both workers see the request first (prepares)
        curl -s -o /dev/null "$K_URL$(details_path "$i")"
    done
    for ((i = 0; i < 7; i++)); do
        a=$(status_sum)
        b=$(status_sum)
        [ $((b - a)) -lt "$best_idle" ] && best_idle=$((b - a))
        a=$(status_sum)
        curl -s -o /dev/null "$K_URL$(details_path $((i + 20)))"
        b=$(status_sum)
        [ $((b - a)) -lt "$best_req" ] && best_req=$((b - a))
    done
    echo $((best_req - best_idle))
}
trips=$(round_trips)

# ---------------------------------------------------------------------------------------------
# Processes and their CPU time

HZ=$(getconf CLK_TCK)
tree_pids() { # tree_pids PID: the process and its children
    [ -n "$1" ] || return 0
    echo "$1"
    ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '
}
khedmad_pids() { tree_pids "$(k_khedmad_pid || true)"; }
nginx_pids() { tree_pids "$(k_pidfile_pid "$K_RUN/nginx.pid" || true)"; }
mariadb_pids() { k_db_pid || true; }
cpu_ticks() { # cpu_ticks PID...: user + system clock ticks, summed
    local pid sum=0 stat
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        stat=${stat##*) } # the fields after the process name
        set -- $stat
        sum=$((sum + ${12} + ${13}))
    done
    echo "$sum"
}
rss_kib() { # rss_kib PID...: resident set, summed
    local pid sum=0 kb
    for pid in "$@"; do
        kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
        sum=$((sum + ${kb:-0}))
    done
    echo "$sum"
}

# ---------------------------------------------------------------------------------------------
# The bare libfcgi responder behind an nginx of its own

FIXED_PORT=$((K_PORT + 30))
start_fixed() {
    cc -O2 -o "$TMP/fcgi_fixed" "$K_REPO/bench/fcgi_fixed.c" -lfcgi || k_die "cannot build bench/fcgi_fixed.c"
    curl -s -o "$TMP/body.json" "$K_URL$(details_path 1)"
    chmod 711 "$TMP" # nginx's workers (another user) reach the socket; the files stay private
    "$TMP/fcgi_fixed" "$TMP/fixed.sock" "$TMP/body.json" "${KHEDMA_WORKERS:-2}" &
    FIXED_PID=$!
    mkdir -p "$TMP/nginx/tmp" "$TMP/nginx/logs"
    cat >"$TMP/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    sendfile on;
    keepalive_timeout 65s;
    keepalive_requests 1000;
    client_body_temp_path $TMP/nginx/tmp/client_body;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    access_log $TMP/nginx/logs/access.log;
    server {
        listen 127.0.0.1:$FIXED_PORT;
        location / {
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param REQUEST_URI \$request_uri;
            fastcgi_pass unix:$TMP/fixed.sock;
        }
    }
}
NGINX
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -S "$TMP/fixed.sock" ] && break; sleep 0.1; done
    nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" || k_die "the responder's nginx did not start"
}
stop_fixed() {
    local pid
    pid=$(cat "$TMP/nginx/nginx.pid" 2>/dev/null || true)
    [ -z "$pid" ] || kill -QUIT "$pid" 2>/dev/null || true
    [ -z "${FIXED_PID:-}" ] || kill -TERM "$FIXED_PID" 2>/dev/null || true
    [ -z "$pid" ] || k_wait_gone "$pid" 10 || true
}
trap 'stop_fixed; rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------------------------------------
# Load

declare -A RPS P50 P99 NON2XX CPU_K CPU_DB CPU_NG RSS
run_target() { # run_target NAME URL WHICH-SERVER-PIDS [rotate]: rotate = over every seeded gig
    local name=$1 url=$2 server=$3 out k0 k1 d0 d1 n0 n1 reqs sampler
    local -a args=("$url")
    [ "${4:-}" != rotate ] || args=(-s "$TMP/details.lua" "$url" -- "$GIGS" "$SELLERS")
    local kp np dp
    kp=$($server | tr '\n' ' ')
    dp=$(mariadb_pids | tr '\n' ' ')
    if [ "$server" = fixed_pids ]; then np=$(tree_pids "$(cat "$TMP/nginx/nginx.pid")" | tr '\n' ' '); else np=$(nginx_pids | tr '\n' ' '); fi
    # shellcheck disable=SC2086
    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${args[@]}" >/dev/null # warm-up
    echo 0 >"$TMP/rss"
    # shellcheck disable=SC2086
    (while :; do r=$(rss_kib $kp); [ "$r" -gt "$(cat "$TMP/rss")" ] && echo "$r" >"$TMP/rss"; sleep 0.2; done) &
    sampler=$!
    # shellcheck disable=SC2086
    k0=$(cpu_ticks $kp) d0=$(cpu_ticks $dp) n0=$(cpu_ticks $np)
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${args[@]}")
    # shellcheck disable=SC2086
    k1=$(cpu_ticks $kp) d1=$(cpu_ticks $dp) n1=$(cpu_ticks $np)
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    echo "== $name" >>"$K_LOG/bench-gig-details-wrk.out"
    echo "$out" >>"$K_LOG/bench-gig-details-wrk.out"
    reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
    RPS[$name]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    P50[$name]=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    P99[$name]=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    NON2XX[$name]=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' <<<"$out")
    per_req() { awk -v t="$1" -v n="$reqs" -v hz="$HZ" 'BEGIN { if (n > 0) printf "%.1f", t / hz / n * 1e6; else print "?" }'; }
    CPU_K[$name]=$(per_req $((k1 - k0)))
    CPU_DB[$name]=$(per_req $((d1 - d0)))
    CPU_NG[$name]=$(per_req $((n1 - n0)))
    RSS[$name]=$(awk -v k="$(cat "$TMP/rss")" 'BEGIN { printf "%.1f", k / 1024 }')
}
fixed_pids() { tree_pids "$FIXED_PID"; }

# Restart the stack with deploy/up: KHEDMA_PUBLIC_CACHE_S as given ("-": the caller's own).
restart_stack() {
    local cache=$1
    if [ "$cache" = - ]; then
        if [ -n "${CALLER_CACHE+x}" ]; then export KHEDMA_PUBLIC_CACHE_S=$CALLER_CACHE; else unset KHEDMA_PUBLIC_CACHE_S; fi
    else
        export KHEDMA_PUBLIC_CACHE_S=$cache
    fi
    "$K_REPO/deploy/up" >"$TMP/up.out" 2>&1 || k_die "deploy/up failed: $(tail -n 5 "$TMP/up.out")"
    k_init
}
[ -n "${KHEDMA_PUBLIC_CACHE_S+x}" ] && CALLER_CACHE=$KHEDMA_PUBLIC_CACHE_S

: >"$K_LOG/bench-gig-details-wrk.out"
start_fixed
k_say "wrk -c$CONNECTIONS, ${DURATION}s each: bare libfcgi responder, /healthz, getGigDetails uncached, cached"
run_target fixed "http://127.0.0.1:$FIXED_PORT" fixed_pids rotate
stop_fixed
run_target healthz "$K_URL/healthz" khedmad_pids
if [ "$RESTART" = 1 ]; then
    k_say "restarting the stack with KHEDMA_PUBLIC_CACHE_S=0 (deploy/up)"
    restart_stack 0
fi
run_target uncached "$K_URL" khedmad_pids rotate
if [ "$RESTART" = 1 ]; then
    k_say "restarting the stack with KHEDMA_PUBLIC_CACHE_S=${CALLER_CACHE:-(default)} (deploy/up)"
    restart_stack -
fi
run_target cached "$K_URL" khedmad_pids rotate

echo "data set: $published published gigs (bench rows), $SELLERS sellers; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "SQL round trips per getGigDetails: $trips (measured: server status delta around one request)"
printf '%-30s %10s %9s %9s %12s %12s %12s %9s %8s\n' target requests/s p50 p99 "khedmad us" "mariadb us" "nginx us" "RSS MiB" non-2xx
for name in fixed healthz uncached cached; do
    case $name in
    fixed) label="bare nginx->libfcgi responder" ;;
    healthz) label="/healthz" ;;
    uncached) label="getGigDetails uncached" ;;
    cached) label="getGigDetails cached" ;;
    esac
    printf '%-30s %10s %9s %9s %12s %12s %12s %9s %8s\n' "$label" "${RPS[$name]:-?}" "${P50[$name]:-?}" \
        "${P99[$name]:-?}" "${CPU_K[$name]:-?}" "${CPU_DB[$name]:-?}" "${CPU_NG[$name]:-?}" \
        "${RSS[$name]:-?}" "${NON2XX[$name]:-0}"
done
echo "(wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency; CPU in microseconds per request; \"khedmad us\""
echo " and RSS are the responder's own processes on the first line; RSS = peak of master + workers + jobs;"
echo " full output in $K_LOG/bench-gig-details-wrk.out)"
echo "cached/bare = $(awk -v a="${RPS[cached]:-0}" -v b="${RPS[fixed]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')"
echo "goals: uncached >= 10x the Node peer (bench/README.md), MariaDB <= 100 us per page, p99 <= 10 ms;"
echo "       cached >= 0.5x the bare responder, p99 <= 2 ms; whole server RSS <= 31 MiB"
