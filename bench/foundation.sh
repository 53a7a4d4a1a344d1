#!/usr/bin/env bash
# bench/foundation.sh - prints the foundation figures on this machine; asserts nothing:
#   - `deploy/up` wall time (packages already present: a rebuild-if-needed and a restart),
#   - GET /healthz requests/s through nginx with wrk (2 threads, 32 connections, 10 s),
#   - each worker's RSS (VmRSS) after it has served at least 10,000 requests.
# Targets from the issue: >= 5,000 requests/s, RSS <= 10 MB. Runs against the deploy/up stack
# (KHEDMA_PORT, default 8080) and stops it afterwards unless it was already running.
set -euo pipefail
K_PROG=bench
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
k_need_root
k_init
command -v wrk >/dev/null || k_ensure_packages wrk

was_running=0
k_khedmad_pid >/dev/null && was_running=1
n_missing=0
for p in "${K_BASE_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || n_missing=$((n_missing + 1)); done

t0=$(date +%s.%N)
"$K_REPO/deploy/up" >"$K_LOG/bench-up.out" 2>&1 || {
    tail -n 20 "$K_LOG/bench-up.out" >&2
    k_die "deploy/up failed"
}
t1=$(date +%s.%N)
up_time=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
[ "$was_running" = 1 ] || trap '"$K_REPO/deploy/down" >/dev/null 2>&1 || true' EXIT

# Worker pids, from the harness (children of the master holding the FastCGI socket).
worker_pids() {
    (cd "$K_REPO/tests/integration" && KHEDMA_TEST_VAR=$K_VAR KHEDMA_TEST_LISTEN=$K_LISTEN python3 -B -c \
        'from harness import stack; print(" ".join(map(str, stack("khedmad-pids")["workers"])))')
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

workers=$(worker_pids)
n_workers=$(wc -w <<<"$workers")
[ "$n_workers" -gt 0 ] || k_die "no khedmad workers found"
declare -A rss_before=()
for pid in $workers; do rss_before[$pid]=$(rss_kb "$pid"); done

# Warm up, then the measured run.
wrk -t2 -c32 -d2s "$K_URL/healthz" >/dev/null
out=$(wrk -t2 -c32 -d10s --latency "$K_URL/healthz")
echo "$out" >"$K_LOG/bench-wrk.out"
rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
total=$(awk '/requests in/ { print $1 }' <<<"$out")
non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' <<<"$out")
errors=$(grep -E '^ +Socket errors:' <<<"$out" || true)
p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")

# Make sure every worker has served at least 10,000 requests (the run above normally does).
served=$((total / n_workers))
while [ "$served" -lt 10000 ]; do
    more=$(wrk -t2 -c32 -d5s "$K_URL/healthz" | awk '/requests in/ { print $1 }')
    served=$((served + more / n_workers))
done

echo "deploy/up wall time: ${up_time}s ($([ "$n_missing" -eq 0 ] && echo "packages present" || echo "$n_missing packages were installed"))"
echo "healthz through nginx: ${rps} requests/s (wrk -t2 -c32 -d10s; $total requests, p50 $p50, p99 $p99, non-2xx ${non2xx:-0})${errors:+; $errors}"
echo "workers: $n_workers, about $served requests each"
for pid in $workers; do
    if [ -r "/proc/$pid/status" ]; then
        echo "worker $pid RSS: $(awk -v k="$(rss_kb "$pid")" 'BEGIN { printf "%.1f", k / 1024 }') MB (before the load: $(awk -v k="${rss_before[$pid]}" 'BEGIN { printf "%.1f", k / 1024 }') MB)"
    else
        echo "worker $pid exited during the run (KHEDMA_MAX_REQUESTS recycling?)"
    fi
done
echo "targets: >= 5000 requests/s, worker RSS <= 10 MB"
