#!/usr/bin/env python3
"""prometheus_run.py - Debian's prometheus scraping the test stack, with the shipped
deploy/prometheus.yml (its target and interval rewritten for the stack: 1 s), and the assertions
made through Prometheus's HTTP API (/api/v1/query), as an operator's dashboard would read them:

  - khedma_http_requests_total for a route moves by at least the requests made through nginx;
  - SIGKILL to every worker loses no count: the sum after >= before, and no counter reset seen;
  - every PromQL expression of deploy/grafana-khedma.json is accepted by this Prometheus;
  - /metrics from an address outside KHEDMA_METRICS_ALLOW is refused, a forged X-Forwarded-For
    included (khedmad runs with the list narrowed to 127.0.0.1 for this suite; Prometheus scrapes
    from 127.0.0.1, the refused request comes from 127.0.0.2).

Prometheus listens on KHEDMA_TEST_PROMETHEUS_PORT (default: the stack's port + 3), keeps its data
in a temporary directory, and is stopped and the directory removed whatever happens; khedmad is
restarted with its usual list at the end. Ends with `prometheus: N passed, N failed`."""

import http.client as httpclient
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from harness import BASE_URL, http, khedmad_pids, khedmad_restart  # noqa: E402

STACK = urllib.parse.urlsplit(BASE_URL)
PORT = int(os.environ.get("KHEDMA_TEST_PROMETHEUS_PORT", STACK.port + 3))
PROM = f"http://127.0.0.1:{PORT}"
HEALTHZ = 'sum(khedma_http_requests_total{job="khedma",route="/healthz",method="GET",status="200"})'


def render_config(path):
    """deploy/prometheus.yml with the stack's nginx as target and a 1 s interval."""
    text = open(os.path.join(REPO, "deploy", "prometheus.yml")).read()
    text, n = re.subn(r'targets: \["[^"]*"\]', f'targets: ["{STACK.hostname}:{STACK.port}"]', text)
    assert n == 1, "deploy/prometheus.yml has no single targets line"
    text = re.sub(r"scrape_interval: \S+", "scrape_interval: 1s", text)
    text = re.sub(r"evaluation_interval: \S+", "evaluation_interval: 1s", text)
    text = re.sub(r"scrape_timeout: \S+", "scrape_timeout: 1s", text)
    with open(path, "w") as f:
        f.write(text)


def query(expr, at=None):
    params = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    url = f"{PROM}/api/v1/query?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


def scalar(expr):
    """The single value of an instant vector query, None when empty."""
    result = query(expr)
    return float(result[0]["value"][1]) if result else None


def wait_for(pred, limit, what):
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except (OSError, ValueError, AssertionError) as e:
            last = e
        time.sleep(0.2)
    raise AssertionError(f"{what} (within {limit} s; last: {last!r})")


def last_scrape_after(t):
    """True once Prometheus has a sample of the target's `up` scraped after wall time t."""
    r = query('timestamp(up{job="khedma"})')
    return bool(r) and float(r[0]["value"][1]) > t and float(query('up{job="khedma"}')[0]["value"][1]) == 1


def get_from(source, path, headers):
    conn = httpclient.HTTPConnection(STACK.hostname, STACK.port, timeout=10,
                                     source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def test_scrapes_the_stack():
    wait_for(lambda: last_scrape_after(0), 30, "prometheus never scraped the stack successfully")
    assert scalar('khedma_build_info{job="khedma"}') == 1


def test_request_counter_moves():
    http("GET", "/healthz")
    t = time.time()
    wait_for(lambda: last_scrape_after(t), 15, "no scrape after the first request")
    before = scalar(HEALTHZ) or 0.0
    n = 25
    for _ in range(n):
        assert http("GET", "/healthz").status == 200
    after = wait_for(lambda: (v := scalar(HEALTHZ)) is not None and v >= before + n and v, 15,
                     f"khedma_http_requests_total for /healthz did not move by {n} from {before}")
    assert after >= before + n


def test_killed_workers_lose_no_count():
    for _ in range(10):
        http("GET", "/healthz")
    t = time.time()
    wait_for(lambda: last_scrape_after(t), 15, "no scrape before the kill")
    before = scalar(HEALTHZ)
    pids = khedmad_pids()
    assert pids["workers"], pids
    for victim in pids["workers"]:
        os.kill(victim, signal.SIGKILL)
    wait_for(lambda: (p := khedmad_pids()) and len(p["workers"]) >= len(pids["workers"])
             and not set(p["workers"]) & set(pids["workers"]), 15, "workers not replaced")
    assert http("GET", "/healthz").status == 200
    killed = f'sum(khedma_worker_restarts_total{{job="khedma",kind="worker",reason="killed"}})'
    wait_for(lambda: (scalar(killed) or 0) >= len(pids["workers"]), 15,
             "the restarts were not counted")
    t = time.time()
    wait_for(lambda: last_scrape_after(t), 15, "no scrape after the kill")
    after = scalar(HEALTHZ)
    assert after >= before, f"counts went back from {before} to {after}"
    resets = scalar(f'sum(resets(khedma_http_requests_total{{job="khedma",route="/healthz"}}[5m]))')
    assert resets == 0, f"Prometheus saw {resets} counter resets"


def test_dashboard_expressions_run():
    dash = json.load(open(os.path.join(REPO, "deploy", "grafana-khedma.json")))
    bad = []
    for p in dash["panels"]:
        for t in p["targets"]:
            expr = (t["expr"].replace("$__rate_interval", "1m").replace("$job", ".*")
                    .replace("$instance", ".*"))
            try:
                query(expr)
            except Exception as e:  # noqa: BLE001 - each failure is reported with its panel
                bad.append(f"{p['title']}: {expr}: {e}")
    assert not bad, "; ".join(bad)
    # Series the dashboard needs are really there (not only well formed).
    for name in ("khedma_http_request_duration_seconds_bucket", "khedma_db_errors_total",
                 "khedma_gateway_calls_total", "khedma_webhook_deliveries",
                 "khedma_payments_pending_reconciliation", "khedma_jobs_tick_duration_seconds_bucket"):
        assert query(f'{name}{{job="khedma"}}'), f"{name} not scraped"


def test_forged_forwarded_header_does_not_bypass():
    forged = {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1", "Forwarded": "for=127.0.0.1"}
    status, body = get_from("127.0.0.2", "/metrics", forged)
    assert status == 404 and "khedma_" not in body, f"127.0.0.2 got {status}"
    status, body = get_from("127.0.0.1", "/metrics", {})
    assert status == 200 and "khedma_http_requests_total" in body


TESTS = [test_scrapes_the_stack, test_request_counter_moves, test_killed_workers_lose_no_count,
         test_dashboard_expressions_run, test_forged_forwarded_header_does_not_bypass]


def _stop_on_signal(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")  # runs the clean-up in main's finally


def main():
    # deploy/test's own clean-up (or a CI timeout) may end this runner with SIGTERM or SIGHUP:
    # Prometheus and its directory must go with it.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    binary = shutil.which("prometheus")
    if not binary:
        print("not ok - prometheus::setup: the prometheus binary is not installed")
        print("prometheus: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="khedma-prometheus-")
    proc = None
    passed = failed = 0
    try:
        khedmad_restart({"KHEDMA_METRICS_ALLOW": "127.0.0.1"})
        config = os.path.join(tmp, "prometheus.yml")
        render_config(config)
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        proc = subprocess.Popen([binary, f"--config.file={config}",
                                 f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                                 f"--web.listen-address=127.0.0.1:{PORT}",
                                 "--storage.tsdb.retention.time=1h"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
        wait_for(lambda: urllib.request.urlopen(f"{PROM}/-/ready", timeout=2).status == 200, 30,
                 "prometheus did not become ready")
        for test in TESTS:
            name = f"prometheus::{test.__name__}"
            try:
                test()
                print(f"ok - {name}")
                passed += 1
            except Exception as e:  # noqa: BLE001 - a failure is reported, the next test runs
                print(f"not ok - {name}: {e}")
                traceback.print_exc()
                failed += 1
    except Exception as e:  # noqa: BLE001 - setup failed: one failure, then clean up
        print(f"not ok - prometheus::setup: {e}")
        traceback.print_exc()
        failed += 1
    finally:
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc is not None and failed:
            sys.stderr.write(open(os.path.join(tmp, "prometheus.log")).read()[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            khedmad_restart({"KHEDMA_METRICS_ALLOW": None})
        except Exception as e:  # noqa: BLE001
            print(f"not ok - prometheus::restore: khedmad did not restart: {e}")
            failed += 1
    print(f"prometheus: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
