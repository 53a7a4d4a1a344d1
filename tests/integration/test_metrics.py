"""test_metrics.py - GET /metrics through nginx: the exposition format parses (every sample has its
family's TYPE, histograms are cumulative and end in +Inf = _count), request counters move by route
label (never by raw path), counts made by a worker survive its SIGKILL (the master's shared block),
and the allow list is judged on the peer address nginx saw, never on a forwarded header."""

import http.client as httpclient
import os
import re
import signal
import time
import urllib.parse

from harness import BASE_URL, http, khedmad_pids, khedmad_restart, unique

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def _get(path, source=None, headers=None):
    """(status, headers, body) of a GET through nginx, optionally from another local source
    address (the peer nginx sees)."""
    u = urllib.parse.urlsplit(BASE_URL)
    conn = httpclient.HTTPConnection(u.hostname, u.port, timeout=10,
                                     source_address=(source, 0) if source else None)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


def _parse(text):
    """{(name, frozenset(labels)): value} and {family: type}; asserts the text is well formed."""
    samples, types = {}, {}
    assert text.endswith("\n"), "the text must end with a newline"
    for line in text.split("\n")[:-1]:
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram"), line
            assert name not in types, f"TYPE twice for {name}"
            types[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = {}
        if m.group(3):
            rest = m.group(3)
            while rest:
                lm = LABEL.match(rest)
                assert lm, f"bad labels in {line!r}"
                labels[lm.group(1)] = lm.group(2)
                rest = rest[lm.end():]
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"{name} has no TYPE line before it"
        key = (name, frozenset(labels.items()))
        assert key not in samples, f"duplicate series {line!r}"
        samples[key] = float(m.group(4))
    return samples, types


def _scrape():
    status, headers, body = _get("/metrics")
    assert status == 200, f"/metrics answered {status}"
    assert headers["content-type"].startswith("text/plain; version=0.0.4"), headers
    assert "x-accel-expires" not in headers
    return _parse(body)


def _requests(samples, route, method="GET", status="200"):
    want = frozenset({"route": route, "method": method, "status": status}.items())
    return samples[0].get(("khedma_http_requests_total", want), 0.0)


def _sum(samples, name, **labels):
    return sum(v for (n, ls), v in samples[0].items()
               if n == name and all((k, v2) in ls for k, v2 in labels.items()))


def test_format_parses_and_histograms_are_cumulative():
    http("GET", "/healthz")
    samples, types = _scrape()
    for family in ("khedma_http_requests_total", "khedma_http_request_duration_seconds",
                   "khedma_worker_restarts_total", "khedma_db_errors_total",
                   "khedma_db_reconnects_total", "khedma_gateway_calls_total",
                   "khedma_gateway_call_duration_seconds", "khedma_jobs_tick_duration_seconds",
                   "khedma_webhook_deliveries", "khedma_payments_pending_reconciliation",
                   "khedma_build_info", "khedma_process_start_time_seconds"):
        assert family in types, f"{family} missing"
    series = [(dict(ls), v) for (n, ls), v in samples.items()
              if n == "khedma_http_request_duration_seconds_bucket" and ("route", "/healthz") in ls]
    les = sorted((float(d["le"].replace("+Inf", "inf")), v) for d, v in series)
    assert les and les[-1][0] == float("inf"), f"no +Inf bucket: {les}"
    assert all(a[1] <= b[1] for a, b in zip(les, les[1:])), f"not cumulative: {les}"
    count = samples[("khedma_http_request_duration_seconds_count",
                     frozenset({("route", "/healthz")}))]
    assert les[-1][1] == count >= 1, (les, count)
    build = [v for (n, _), v in samples.items() if n == "khedma_build_info"]
    assert build == [1.0], build


def test_counters_move_by_route_label_not_raw_path():
    before = _scrape()
    for _ in range(7):
        assert http("GET", "/healthz").status == 200
    name = unique("nobody")
    # Two different raw paths of one route: one label, "/{username}".
    http("GET", f"/{name}a")
    http("GET", f"/{name}b")
    r = http("GET", f"/api/orders/{unique('x')}")  # signed out: 401, under its pattern
    after = _scrape()
    assert _requests(after, "/healthz") - _requests(before, "/healthz") >= 7
    assert _requests(after, "/{username}", status="404") - \
        _requests(before, "/{username}", status="404") >= 2
    assert _requests(after, "/api/orders/{id}", status=str(r.status)) - \
        _requests(before, "/api/orders/{id}", status=str(r.status)) >= 1
    for (n, ls), _ in after[0].items():
        if n == "khedma_http_requests_total":
            assert name not in dict(ls)["route"], "a raw path became a label"


def test_trpc_requests_are_counted_by_procedure():
    before = _scrape()
    http("GET", "/api/trpc/vip.mySubscription")  # CACHE_NEVER: reaches khedmad every time
    http("GET", "/api/trpc/no.suchProcedure")
    after = _scrape()
    assert _sum(after, "khedma_http_requests_total", route="trpc:vip.mySubscription") - \
        _sum(before, "khedma_http_requests_total", route="trpc:vip.mySubscription") >= 1
    assert _sum(after, "khedma_http_requests_total", route="trpc:unknown") - \
        _sum(before, "khedma_http_requests_total", route="trpc:unknown") >= 1


def test_counts_survive_a_killed_worker():
    for _ in range(20):
        http("GET", "/healthz")
    before = _scrape()
    pids = khedmad_pids()
    assert pids["workers"], pids
    for victim in pids["workers"]:
        os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = khedmad_pids()
        if len(now["workers"]) >= len(pids["workers"]) and \
                not set(now["workers"]) & set(pids["workers"]):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the killed workers were not replaced")
    assert http("GET", "/healthz").status == 200  # counted by a new worker
    after = _scrape()
    # Every worker that had counted is gone, yet their counts are all still there (before holds
    # at least the 20 above; a per-process count would now be 1 or 2).
    assert _requests(after, "/healthz") >= _requests(before, "/healthz") + 1
    killed = lambda s: _sum(s, "khedma_worker_restarts_total", kind="worker", reason="killed")
    assert killed(after) - killed(before) >= len(pids["workers"])


def test_allow_list_judges_the_peer_not_forwarded_headers():
    khedmad_restart({"KHEDMA_METRICS_ALLOW": "127.0.0.1, ::1"})
    try:
        forged = {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1",
                  "Forwarded": "for=127.0.0.1"}
        status, headers, body = _get("/metrics", source="127.0.0.2", headers=forged)
        assert status == 404, f"a peer outside the list got {status}"
        assert "khedma_" not in body
        status, _, _ = _get("/metrics", source="127.0.0.1")
        assert status == 200
        # The refusal is the ordinary 404 page: the same as for a path that does not exist.
        other, _, _ = _get(f"/{unique('nobody')}", source="127.0.0.2")
        assert other == 404
    finally:
        khedmad_restart({"KHEDMA_METRICS_ALLOW": None})
    status, _, _ = _get("/metrics", source="127.0.0.2")
    assert status == 200, "the default list is all of loopback (127.0.0.0/8 and ::1)"


def test_scrape_is_quick():
    """Not a timing assertion on the machine: the scrape must not do work proportional to
    traffic. It reads fixed counters and two COUNT queries; the body stays small."""
    status, _, body = _get("/metrics")
    assert status == 200
    assert len(body) < 200_000, f"{len(body)} bytes"
