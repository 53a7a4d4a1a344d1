#!/usr/bin/env bash
# bench/pool.sh - requests/s of the two-host pool against one host, in network namespaces on this
# machine (bench/pool.py says how); needs root, iproute2, nginx, MariaDB's server and wrk, and
# khedmad built in build/ (KHEDMA_BIN overrides). Prints figures, asserts nothing; cleans up.
# Environment: BENCH_RUNS (default 3), BENCH_DURATION (seconds per run, default 5),
# BENCH_CONNECTIONS (default 32).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v wrk >/dev/null 2>&1 || {
    echo "bench/pool.sh: wrk is missing (apt-get install wrk)" >&2
    exit 1
}
exec python3 -u "$here/pool.py"
