#!/usr/bin/env python3
"""bench/pool.py - requests/s of the load-balanced pool against one host, on this machine (run by
bench/pool.sh, as root). The same namespaces as the pool test (tests/pool/netpool.py): nginx on
its host, khedmad on two hosts, MariaDB over TCP; wrk runs on the svc host and reads one
published gig through nginx (GET /api/gigs/{username}/{slug}, public cache off). Three shapes,
each measured BENCH_RUNS times in turn (default 3) for BENCH_DURATION seconds (default 5) at
BENCH_CONNECTIONS (default 32), median printed:
  two hosts x 2 workers | one host x 2 workers | one host x 4 workers
All hosts share this machine's cores: the figures show what the pool costs, not what it adds.
Asserts nothing."""

import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "pool"))
import netpool  # noqa: E402
from netpool import Pool, Skip  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
DURATION = int(os.environ.get("BENCH_DURATION", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))


def wrk(pool, url):
    p = netpool.run("wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", url,
                    ns=pool.ns["svc"], timeout=DURATION + 60)
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", p.stdout).group(1))
    p99 = re.search(r"99%\s+(\S+)", p.stdout).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    return rps, p99, int(bad.group(1)) if bad else 0


def main():
    pool = Pool(label="bench-pool")
    try:
        pool.up()
        pool.enter("svc")
        os.environ["KHEDMA_TEST_URL"] = pool.public_url()
        os.environ["KHEDMA_TEST_VAR"] = pool.tmp
        sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
        import harness as h
        from test_pool import World
        url = pool.public_url() + World(h).read_path
        shapes = [("two hosts x 2 workers", ("a1", "a2"), 2),
                  ("one host x 2 workers", ("a1",), 2),
                  ("one host x 4 workers", ("a1",), 4)]
        results = {name: [] for name, _, _ in shapes}
        for _ in range(RUNS):
            for name, hosts, workers in shapes:
                if pool.workers != workers:
                    pool.workers = workers
                    pool.stop_app("a1")
                    pool.start_app("a1")
                pool.reload_nginx(upstreams=hosts)
                wrk(pool, url)  # warm-up, not counted
                results[name].append(wrk(pool, url))
        print(f"GET one gig through nginx, wrk -t2 -c{CONNECTIONS} -d{DURATION}s, median of {RUNS}:")
        for name, runs in results.items():
            rps = statistics.median(r[0] for r in runs)
            print(f"  {name}: {rps:,.0f} requests/s (runs {', '.join(f'{r[0]:,.0f}' for r in runs)};"
                  f" p99 {', '.join(r[1] for r in runs)}; non-2xx {sum(r[2] for r in runs)})")
    except Skip as e:
        print(f"skipped: {e}")
    finally:
        pool.down()


if __name__ == "__main__":
    main()
