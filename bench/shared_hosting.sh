#!/usr/bin/env bash
# bench/shared_hosting.sh - prints what shared hosting costs, on this machine; asserts nothing.
# Requests/s of GET /healthz (one database ping) and GET /api/gigs?limit=1 (one gig search) at
# BENCH_CONNECTIONS (default 8) connections for BENCH_DURATION seconds (default 10), through:
#   - the stack's nginx and khedmad serve (the reference),
#   - Apache with mod_fcgid spawning khedmad as FastCGI workers,
#   - Apache with mod_cgid running khedmad as CGI: one process and one database connection per
#     request.
# Apache is started exactly as the tests start it (tests/integration/apache/run.sh: as nobody, from
# the shipped .htaccess), on KHEDMA_PORT+3 and +4. Needs root, wrk and the apache2 and
# libapache2-mod-fcgid packages, and the stack deploy/up started (KHEDMA_PORT, KHEDMA_VAR).
set -euo pipefail
K_PROG=bench
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
k_init

DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-8}

# measure LABEL URL: one line per path.
measure() {
    local label=$1 url=$2 path rps
    for path in /healthz "/api/gigs?limit=1"; do
        # A warm-up, so mod_fcgid has spawned its processes before the measured run.
        wrk -t2 -c"$CONNECTIONS" -d2s "$url$path" >/dev/null 2>&1 || true
        rps=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$url$path" | awk '/^Requests\/sec/ {print $2}')
        printf '%-22s %-20s %10s requests/s\n' "$label" "$path" "$rps"
    done
}

if [ "${1:-}" = --measure ]; then
    measure "$2" "$KHEDMA_TEST_URL"
    exit 0
fi

command -v wrk >/dev/null || k_ensure_packages wrk
k_ensure_packages apache2 libapache2-mod-fcgid
[ "$(k_http_status "$K_URL/healthz")" = 200 ] ||
    k_die "no healthy stack at $K_URL: start it with deploy/up (same KHEDMA_PORT / KHEDMA_VAR)"

echo "# $CONNECTIONS connections, ${DURATION}s per run, $(nproc) cores"
measure "nginx + khedmad serve" "$K_URL"
run=$K_REPO/tests/integration/apache/run.sh
KHEDMA_TEST_VAR=$K_VAR KHEDMA_APACHE_RUN="$0 --measure apache+mod_fcgid" "$run" fcgid $((K_PORT + 3))
KHEDMA_TEST_VAR=$K_VAR KHEDMA_APACHE_RUN="$0 --measure apache+mod_cgid(CGI)" "$run" cgid $((K_PORT + 4))
