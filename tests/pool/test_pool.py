#!/usr/bin/env python3
"""test_pool.py - the load-balanced pool, end to end (docs/deploy.md, "Load-balanced pool"): one
nginx host and two khedmad hosts on one MariaDB, in network namespaces built by netpool.py.
Run as root by tests/pool/run (deploy/test runs it); closes with `pool: N passed, N failed`.

  spread      requests go to both hosts (khedmad's access lines per host)
  peers       a host outside KHEDMA_TRUSTED_PEERS gets no FastCGI answer while nginx's host does,
              and khedmad refuses to listen on a reachable address without the list
  kill        SIGKILL of one host under load (16 clients, reads and POST /api/orders with
              idempotency keys): no read lost, the failed writes are exactly the ones retried,
              each succeeds once, one paid order per key in the database
  webhooks    the jobs processes of both hosts deliver every order.paid exactly once
  rolling     host by host SIGTERM and start under load: no request dropped
"""

import json
import os
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import netpool  # noqa: E402
from netpool import ADDR, FCGI_PORT, Pool, Skip  # noqa: E402

CLIENTS = 16
RESULTS = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    RESULTS["passed" if ok else "failed"] += 1
    print(f"{'ok' if ok else 'not ok'} - pool::{name}{(' # ' + detail) if detail else ''}",
          flush=True)
    return ok


class Receiver:
    """Webhook endpoint on svc: counts deliveries per event id and who sent them."""

    def __init__(self, host, port):
        self.lock = threading.Lock()
        self.by_event = {}
        self.by_sender = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # answers curl's Expect: 100-continue at once

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    event = json.loads(body)["id"]
                except (ValueError, KeyError, TypeError):
                    event = "?"
                with outer.lock:
                    outer.by_event[event] = outer.by_event.get(event, 0) + 1
                    ip = self.client_address[0]
                    outer.by_sender[ip] = outer.by_sender.get(ip, 0) + 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

            def log_message(self, *a):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # both jobs processes may send a batch at once

        self.server = Server((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://{host}:{port}/hooks"


class World:
    """A seller's published gig and one buyer, through the pool."""

    def __init__(self, h):
        self.h = h
        seller, st = h.signup()
        self.buyer, self.bt = h.signup()
        gid = self.trpc("gig.createDraft", {}, st)["id"]
        self.trpc("gig.updateOverview", {
            "id": gid, "title": f"{h.unique('pool')} pooled gig", "category": "design-creative",
            "subCategory": "logo-design", "tags": [{"id": "t1", "text": "logo"}]}, st)
        self.basic = self.trpc("gig.createPackages", {"gigId": gid, "basic": {
            "name": "Basic tier", "description": "One logo, two concepts", "price": 150,
            "delivery": 3, "revisions": 2}}, st)["basic"]
        self.trpc("gig.publish", {"id": gid}, st)
        gig = self.h.sql(f"SELECT slug FROM gigs WHERE id = '{gid}'")[0][0]
        self.read_path = f"/api/gigs/{seller['username']}/{gig}"

    def trpc(self, path, body, token):
        r = self.h.http("POST", "/api/trpc/" + path, json_body=body, token=token)
        assert r.status == 200, f"{path}: {r!r}"
        return r.json["result"]["data"]

    def paid_checkout(self, emu):
        """A checkout paid in the emulator, not yet confirmed: (order id, transaction id)."""
        r = self.h.http("POST", "/api/orders/checkout", token=self.bt,
                        json_body={"payment_method": "card", "package_id": self.basic["id"]})
        data = self.h.assert_envelope(r, 200)
        assert data["provider"] == "youcanpay", data
        txn = emu.pay_token(data["token_id"], status=1)["transaction"]["id"]
        return data["order_id"], txn


class Load:
    """CLIENTS threads until stop: even ones read the gig, odd ones confirm prepared checkouts
    with POST /api/orders and an idempotency key, retrying a failed attempt with the same key."""

    def __init__(self, pool, h, world, receiver, checkouts, tag):
        self.pool, self.h, self.world, self.receiver = pool, h, world, receiver
        self.checkouts = checkouts  # per writer: list of (order id, txn)
        self.tag = tag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.reads = self.read_failures = 0
        self.writes = []  # (key, order id, first status, attempts, final status, final id)
        self.errors = []
        self.threads = [threading.Thread(target=self.client, args=(i,)) for i in range(CLIENTS)]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(120)

    def attempt(self, body):
        try:
            r = self.h.http("POST", "/api/orders", json_body=body, token=self.world.bt, timeout=30)
            return r.status, r
        except OSError as e:
            return f"error {type(e).__name__}", None

    def write(self, n, oid, txn):
        key = f"{self.tag}-{n}-{oid}"
        body = {"checkoutId": oid, "transactionId": txn, "idempotencyKey": key,
                "webhookUrls": [self.receiver.url]}
        first, r = self.attempt(body)
        status, attempts = first, 1
        while status != 200 and attempts < 40:
            if status == 409 and r is not None and "still running" in r.body.decode("utf-8", "replace"):
                # The failed attempt's worker was SIGKILLed holding the claim; rather than wait
                # IDEM_STALE_SECONDS (60) the fixture moves that claim's clock past it. Only this
                # client sends this key, and its last attempt failed, so no request is running.
                self.h.sql("UPDATE idempotency_keys SET updated_at = updated_at - INTERVAL 61 "
                           f"SECOND WHERE idem_key = '{key}' AND state = 'running'")
            else:
                time.sleep(0.2)
            status, r = self.attempt(body)
            attempts += 1
        final_id = r.json.get("data", {}).get("id") if r is not None and r.json else None
        with self.lock:
            self.writes.append((key, oid, first, attempts, status, final_id))

    def client(self, i):
        try:
            if i % 2 == 1:
                for oid, txn in self.checkouts[i // 2]:
                    if self.stop.is_set():
                        break
                    self.write(i, oid, txn)
                    time.sleep(0.4)  # writes spread over the whole phase
                return
            while not self.stop.is_set():
                try:
                    r = self.h.http("GET", self.world.read_path, timeout=30,
                                    headers={"X-Request-Id": f"{self.tag}-r{i}"})
                    ok = r.status == 200
                except OSError:
                    ok = False
                with self.lock:
                    self.reads += 1
                    self.read_failures += 0 if ok else 1
        except Exception:  # noqa: BLE001 - reported as a failure of the phase
            with self.lock:
                self.errors.append(traceback.format_exc())


def access_lines(pool, host, marker):
    try:
        with open(pool.log[host], errors="replace") as f:
            return sum(1 for line in f if marker in line and '"status"' in line)
    except FileNotFoundError:
        return 0


def test_spread(pool, h, world):
    for n in range(40):
        r = h.http("GET", world.read_path, headers={"X-Request-Id": f"spread-{n}"})
        assert r.status == 200, r
    a1, a2 = access_lines(pool, "a1", '"spread-'), access_lines(pool, "a2", '"spread-')
    check("spread: both hosts served reads", a1 > 0 and a2 > 0 and a1 + a2 == 40,
          f"a1 {a1}, a2 {a2} of 40")


def probe(pool, host):
    """fastcgi_probe run inside a host's namespace: the number of bytes answered, or -1."""
    code = ("import sys; sys.path.insert(0, %r); import netpool; "
            "print(len(netpool.fastcgi_probe(%r, %d)))" % (HERE, ADDR["a1"], FCGI_PORT))
    p = netpool.run("python3", "-c", code, ns=pool.ns[host], check=False)
    try:
        return int(p.stdout.strip())
    except ValueError:
        return -1


def test_peers(pool, h, world):
    outside = probe(pool, "out")
    trusted = probe(pool, "ngx")
    check("peers: an untrusted host gets no FastCGI answer", outside == 0, f"{outside} bytes")
    check("peers: the trusted nginx host gets an answer", trusted > 0, f"{trusted} bytes")
    # A burst of refused connections neither blocks nor busies the workers.
    code = ("import sys; sys.path.insert(0, %r); import netpool\n"
            "print(sum(len(netpool.fastcgi_probe(%r, %d)) for _ in range(200)))"
            % (HERE, ADDR["a1"], FCGI_PORT))
    burst = netpool.run("python3", "-c", code, ns=pool.ns["out"], check=False).stdout.strip()
    served = all(h.http("GET", world.read_path).status == 200 for _ in range(10))
    check("peers: 200 refused connections answered nothing and the pool still serves",
          burst == "0" and served, f"bytes {burst!r}")
    p = netpool.run(pool.bin, "serve", ns=pool.ns["a1"], check=False, timeout=20,
                    env=pool.app_env("a1", trusted=False, listen=f"{ADDR['a1']}:{FCGI_PORT + 1}"))
    check("peers: khedmad refuses a reachable TCP address without KHEDMA_TRUSTED_PEERS",
          p.returncode != 0 and "KHEDMA_TRUSTED_PEERS" in p.stdout + p.stderr,
          f"exit {p.returncode}")


def prepare(world, emu, per_writer):
    return [[world.paid_checkout(emu) for _ in range(per_writer)] for _ in range(CLIENTS // 2)]


def judge_writes(h, load, phase):
    writes = load.writes
    failed_first = [w for w in writes if w[2] != 200]
    check(f"{phase}: every write ends 200 with its order", writes and all(
        w[4] == 200 and w[5] == w[1] for w in writes),
        f"{len(writes)} writes, {len(failed_first)} failed first and were retried")
    check(f"{phase}: the retried writes are exactly the failed ones",
          all((w[3] > 1) == (w[2] != 200) for w in writes))
    keys = [w[0] for w in writes]
    if not keys:
        return
    quoted = ",".join(f"'{k}'" for k in keys)
    rows = h.sql(f"SELECT o.idempotency_key, COUNT(*), SUM(o.status = 'processing'), "
                 f"(SELECT COUNT(*) FROM payments p WHERE p.order_id = MIN(o.id) "
                 f"AND p.status = 'success') FROM orders o WHERE o.idempotency_key IN ({quoted}) "
                 f"GROUP BY o.idempotency_key")
    one = {r[0] for r in rows if r[1:] == ["1", "1", "1"]}
    check(f"{phase}: one paid order and one successful payment per key in the database",
          one == set(keys), f"{len(one)} of {len(keys)}")


def test_kill(pool, h, world, receiver, emu):
    load = Load(pool, h, world, receiver, prepare(world, emu, 8), "kill")
    load.start()
    time.sleep(1.0)
    # The next confirmations hang 1.5 s in the gateway, so a1 is killed with writes in flight.
    emu.fault("youcanpay.transactions", "hang", count=CLIENTS // 2, seconds=1.5)
    time.sleep(0.7)
    load.kill_ts = h.sql("SELECT UTC_TIMESTAMP(3)")[0][0]
    pool.kill_app("a1")
    time.sleep(2.5)
    load.finish()
    check("kill: no errors in the clients", not load.errors, "".join(load.errors)[-800:])
    check("kill: no read lost while a host was SIGKILLed", load.reads > 0 and load.read_failures == 0,
          f"{load.read_failures} of {load.reads} reads failed")
    judge_writes(h, load, "kill")
    failed = sum(1 for w in load.writes if w[2] != 200)
    check("kill: writes in flight on the killed host failed and were retried", failed > 0,
          f"{failed} failed first")
    emu.clear_faults()
    pool.start_app("a1")
    return load


def test_webhooks(pool, h, receiver, expected_orders, kill_ts):
    ids = ",".join(f"'{o}'" for o in expected_orders)
    events = {r[0] for r in h.sql(f"SELECT event_id FROM webhook_deliveries WHERE "
                                  f"event_type = 'order.paid' AND order_id IN ({ids})")}
    wait_received(receiver, events, 15)
    missing = events - set(receiver.by_event)
    aged = 0
    if missing:
        # A delivery claimed by the jobs process SIGKILLed in the kill phase stays leased for
        # WEBHOOK_SENDER_LEASE_S (60 s) and is then retried; the fixture moves the lease's end
        # to now instead of waiting. Only rows queued before the kill and still pending long
        # after it qualify: a live sender finishes an attempt within its 10 s timeout.
        quoted = ",".join(f"'{e}'" for e in missing)
        aged = len(h.sql(f"SELECT id FROM webhook_deliveries WHERE state = 'pending' AND "
                         f"last_error IS NULL AND created_at < '{kill_ts}' AND "
                         f"event_id IN ({quoted})"))
        h.sql("UPDATE webhook_deliveries SET next_attempt_at = UTC_TIMESTAMP(3) WHERE "
              f"state = 'pending' AND last_error IS NULL AND created_at < '{kill_ts}' AND "
              f"event_id IN ({quoted})")
        wait_received(receiver, events, 15)
    still = events - set(receiver.by_event)
    if still:
        quoted = ",".join(f"'{e}'" for e in still)
        print("# undelivered:", h.sql("SELECT event_id, state, attempts, created_at, "
                                      "next_attempt_at, UTC_TIMESTAMP(3), COALESCE(last_error, '') "
                                      f"FROM webhook_deliveries WHERE event_id IN ({quoted})"),
              flush=True)
    time.sleep(1)  # a second delivery, were there one, would come within the same tick
    with receiver.lock:
        counts = dict(receiver.by_event)
        senders = dict(receiver.by_sender)
    check("webhooks: every order.paid delivered exactly once",
          len(events) == len(expected_orders) and all(counts.get(e) == 1 for e in events)
          and set(counts) == events,
          f"{len(events)} events, {sum(counts.values())} deliveries, by sender {senders}, "
          f"{aged} leases of the killed host's jobs process ended early")
    check("webhooks: the jobs processes of both hosts delivered",
          senders.get(ADDR["a1"], 0) > 0 and senders.get(ADDR["a2"], 0) > 0, f"{senders}")


def wait_received(receiver, events, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with receiver.lock:
            if events <= set(receiver.by_event):
                return
        time.sleep(0.2)


def test_rolling(pool, h, world, receiver, emu):
    load = Load(pool, h, world, receiver, prepare(world, emu, 16), "roll")
    load.start()
    codes = []
    for host in ("a1", "a2"):
        # Drain first: nginx (graceful reload) stops sending to the host, so no connection
        # waits in its listen backlog when it stops (those would be reset, and nginx never
        # resends a POST it has written). Then SIGTERM, start, and back into the upstream.
        time.sleep(1)
        pool.reload_nginx(down=(host,))
        codes.append(pool.stop_app(host))
        pool.start_app(host)
        pool.reload_nginx()
    time.sleep(1)
    load.finish()
    check("rolling: each host stopped cleanly on SIGTERM", codes == [0, 0], f"exit codes {codes}")
    check("rolling: no errors in the clients", not load.errors, "".join(load.errors)[-800:])
    check("rolling: no read dropped", load.reads > 0 and load.read_failures == 0,
          f"{load.read_failures} of {load.reads} reads failed")
    dropped = [w for w in load.writes if w[2] != 200]
    check("rolling: no write dropped", load.writes and not dropped,
          f"{len(load.writes)} writes, {len(dropped)} needed a retry: "
          f"{[w[2] for w in dropped][:5]}")
    judge_writes(h, load, "rolling")
    return load


def main():
    pool = Pool()
    try:
        try:
            pool.build_network()
        except Skip as e:
            print(f"SKIP: the kernel refuses network namespaces here ({e}); "
                  "the pool test needs `ip netns`", flush=True)
            print("pool: 0 passed, 0 failed", flush=True)
            return 0
        pool.start_db()
        pool.start_emulators()
        pool.migrate()
        for host in ("a1", "a2"):
            pool.start_app(host)
        pool.start_nginx()
        pool.enter("svc")
        os.environ["KHEDMA_TEST_URL"] = pool.public_url()
        os.environ["KHEDMA_TEST_VAR"] = pool.tmp  # harness.sql reads its mariadb.cnf
        os.environ["KHEDMA_EMULATOR_URL"] = pool.emu_env["KHEDMA_EMULATOR_URL"]
        sys.path.insert(0, os.path.join(netpool.REPO, "tests", "integration"))
        sys.path.insert(0, os.path.join(netpool.REPO, "tests", "emulators"))
        import client as emu
        import harness as h
        receiver = Receiver(ADDR["svc"], netpool.RECEIVER_PORT)
        world = World(h)
        for name, fn in (("spread", lambda: test_spread(pool, h, world)),
                         ("peers", lambda: test_peers(pool, h, world))):
            run_phase(name, fn)
        loads = []
        run_phase("kill", lambda: loads.append(test_kill(pool, h, world, receiver, emu)))
        run_phase("rolling", lambda: loads.append(test_rolling(pool, h, world, receiver, emu)))
        paid = [w[1] for ld in loads for w in ld.writes if w[4] == 200]
        kill_ts = getattr(loads[0], "kill_ts", "1970-01-01") if loads else "1970-01-01"
        run_phase("webhooks", lambda: test_webhooks(pool, h, receiver, paid, kill_ts))
    except Exception:  # noqa: BLE001 - the set-up failed: one failure, then cleanup
        traceback.print_exc()
        check("setup", False, "see the traceback above")
    finally:
        pool.down()
    print(f"pool: {RESULTS['passed']} passed, {RESULTS['failed']} failed", flush=True)
    return 1 if RESULTS["failed"] else 0


def run_phase(name, fn):
    try:
        fn()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        check(name, False, "raised, see the traceback above")


if __name__ == "__main__":
    import signal

    def _stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _stop)
    sys.exit(main())
