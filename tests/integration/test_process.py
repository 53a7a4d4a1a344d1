"""test_process.py - process-level behaviour of the running stack (issue 2, items 2, 6 and 7):
a killed worker is replaced while traffic goes on, /healthz follows the database down and up
without a khedmad restart, idle client keep-alive connections and slow uploads cannot starve
the worker pool, SIGHUP reloads without dropping requests, X-Request-Id is echoed or replaced,
and nginx's own errors answer in the REST envelope."""

import http.client as httpclient
import os
import re
import signal
import socket
import threading
import time

from harness import BASE_URL, assert_envelope, http, stack

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _host_port():
    from urllib.parse import urlsplit
    u = urlsplit(BASE_URL)
    return u.hostname or "127.0.0.1", u.port or 80


def _wait_for(predicate, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def _wait_healthy(seconds=30):
    def ok():
        try:
            return http("GET", "/healthz", timeout=3).status == 200
        except OSError:
            return False
    assert _wait_for(ok, seconds, 0.2), "/healthz did not come back to 200"


def _workers_ready(count, seconds=20):
    pids = _wait_for(lambda: (p := stack("khedmad-pids")) and len(p["workers"]) >= count and p, seconds)
    assert pids and len(pids["workers"]) >= count, f"expected {count} workers, have {pids}"
    return pids


class _Traffic:
    """A client thread sending GET /healthz in a loop; counts answers other than 200."""

    def __init__(self):
        self.ok = 0
        self.failures = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                r = http("GET", "/healthz", timeout=5)
                if r.status == 200:
                    self.ok += 1
                else:
                    self.failures.append(f"HTTP {r.status}")
            except OSError as e:
                self.failures.append(repr(e))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(15)


def test_killed_worker_is_replaced_under_traffic():
    _wait_healthy()
    before = _workers_ready(1)
    victim = before["workers"][0]
    with _Traffic() as traffic:
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
        after = _wait_for(lambda: (p := stack("khedmad-pids")) and victim not in p["workers"]
                          and len(p["workers"]) >= len(before["workers"]) and p, 5)
        assert after, f"worker {victim} was not replaced within 5 s: {stack('khedmad-pids')}"
        time.sleep(1.0)
    assert after["master"] == before["master"], "the master changed"
    assert traffic.ok > 10, f"only {traffic.ok} answers while the worker was replaced"
    # Only the request the killed worker was serving may fail.
    assert len(traffic.failures) <= 1, f"failures: {traffic.failures}"


def test_healthz_follows_the_database_down_and_up():
    _wait_healthy()
    master = stack("khedmad-pids")["master"]
    assert _healthy_answer(http("GET", "/healthz"))
    stack("db-stop")
    try:
        r = http("GET", "/healthz", timeout=10)
        assert r.status == 503, f"with the database down: {r}"
        assert isinstance(r.json, dict) and r.json.get("db") == "down", r
        # Every worker must answer 503, quickly, not hang.
        for _ in range(6):
            started = time.monotonic()
            r = http("GET", "/healthz", timeout=10)
            assert r.status == 503 and r.json.get("db") == "down", r
            assert time.monotonic() - started < 5, "healthz hung with the database down"
    finally:
        stack("db-start")  # returns once /healthz has stayed 200 for 3 s, or after 20 s

    # Every worker has reconnected, not only the first one asked.
    for _ in range(8):
        assert _healthy_answer(http("GET", "/healthz"))
    assert stack("khedmad-pids")["master"] == master, "khedmad was restarted"


def _healthy_answer(r, strict=True):
    ok = r.status == 200 and isinstance(r.json, dict) and r.json.get("status") == "ok" \
        and r.json.get("db") == "ok"
    if strict:
        assert ok, f"/healthz: {r}"
    return ok


def _open_keepalive(count):
    host, port = _host_port()
    conns = []
    for _ in range(count):
        c = httpclient.HTTPConnection(host, port, timeout=10)
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        assert r.status == 200, f"keep-alive warm-up got {r.status}"
        assert (r.getheader("Connection") or "").lower() != "close", "nginx closed a keep-alive connection"
        conns.append(c)
    return conns


def test_idle_keepalive_connections_do_not_starve_workers():
    _wait_healthy()
    workers = len(_workers_ready(1)["workers"])
    conns = _open_keepalive(workers * 4 + 4)
    try:
        time.sleep(1.0)
        for _ in range(5):
            started = time.monotonic()
            r = http("GET", "/healthz", timeout=5)
            elapsed = time.monotonic() - started
            assert r.status == 200, f"fresh client got {r}"
            assert elapsed < 1.0, f"fresh client waited {elapsed:.2f}s with {len(conns)} idle connections"
        # The idle connections still work afterwards.
        for c in conns[:4]:
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            assert r.status == 200
    finally:
        for c in conns:
            c.close()


def test_slow_uploads_do_not_hold_workers():
    _wait_healthy()
    workers = len(_workers_ready(1)["workers"])
    host, port = _host_port()
    socks = []
    try:
        # Each connection announces a 64 KiB body and sends only part of it: nginx buffers the
        # body and must not hand the request to a worker before it is complete.
        for _ in range(workers * 4 + 4):
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(b"POST /api/auth/me HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 65536\r\n\r\n" + b" " * 1000)
            socks.append(s)
        time.sleep(1.0)
        for _ in range(5):
            started = time.monotonic()
            r = http("GET", "/healthz", timeout=5)
            elapsed = time.monotonic() - started
            assert r.status == 200 and elapsed < 1.0, f"fresh client: {r} after {elapsed:.2f}s"
    finally:
        for s in socks:
            s.close()


def test_sighup_reload_replaces_workers_without_dropping_requests():
    _wait_healthy()
    before = _workers_ready(1)
    old = set(before["workers"])
    with _Traffic() as traffic:
        time.sleep(0.5)
        stack("khedmad-reload")

        def replaced():
            p = stack("khedmad-pids")
            return p if p["workers"] and not (set(p["workers"]) & old) and \
                len(p["workers"]) == len(old) else None
        after = _wait_for(replaced, 15)
        assert after, f"old workers still there after SIGHUP: before {before}, now {stack('khedmad-pids')}"
        time.sleep(1.0)
    assert after["master"] == before["master"], "the master changed on reload"
    assert after["jobs"] is not None, "no jobs process after reload"
    assert traffic.ok > 10, f"only {traffic.ok} answers during the reload"
    assert traffic.failures == [], f"requests failed during the reload: {traffic.failures}"


def test_request_id_is_echoed_or_replaced():
    _wait_healthy()
    for good in ("abc-123_x.y", "A" * 64, "7"):
        for path in ("/healthz", "/api/no-such-route"):
            r = http("GET", path, headers={"X-Request-Id": good})
            assert r.headers.get("x-request-id") == good, f"{path} with {good!r}: {r.headers}"
    for bad in ("bad id", "A" * 65, "é", "a/b", "x;y"):
        r = http("GET", "/healthz", headers={"X-Request-Id": bad})
        rid = r.headers.get("x-request-id")
        assert rid and rid != bad and REQUEST_ID.match(rid), f"{bad!r} -> {rid!r}"
    ids = {http("GET", "/healthz").headers.get("x-request-id") for _ in range(5)}
    assert None not in ids and len(ids) == 5 and all(REQUEST_ID.match(i) for i in ids), ids


def test_nginx_errors_use_the_envelope():
    _wait_healthy()
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    r = http("POST", "/api/auth/logout", data=big, headers={"Content-Type": "application/json"})
    assert_envelope(r, 413)
    assert REQUEST_ID.match(r.headers.get("x-request-id", "")), r.headers
    r = http("GET", "/no-such-static-file.txt")
    assert_envelope(r, 404)
    assert REQUEST_ID.match(r.headers.get("x-request-id", "")), r.headers
