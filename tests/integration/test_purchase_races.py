"""test_purchase_races.py - many clients buying the same package at the same moment.

100 clients, each with their own account, buy one package at once, in the two ways the API
offers: half check out, pay in the gateway emulator (tests/emulators: a YouCan Pay token paid
without a webhook, or a PayTabs page completed without a callback) and confirm with POST
/api/orders; the other half pay first and call order.create, which writes a new order already
paid (with PayTabs, whose payments all start at a checkout, order.create confirms the checkout).
Every purchase must succeed (no 409 "conflicted with another one", no 503) and khedmad's log must
show no InnoDB deadlock (1213) or lock-wait timeout (1205) for the whole run: a confirmation locks
its order and payment only, never the package that every concurrent purchase reads.

The card gateway is whichever the stack uses (KHEDMA_TEST_CARD_GATEWAY, as test_payments.py).
khedmad's log is read from KHEDMA_TEST_VAR/log/khedmad.log, from where it ended when the test
started.
"""

import json
import os
import re
import secrets
import sys
import threading
import time

from harness import REPO, VAR, assert_envelope, http, signup, trpc_post, unique

sys.path.insert(0, os.path.join(REPO, "tests", "emulators"))
import client as emu  # noqa: E402  (the emulators' control API, tests/emulators/client.py)

BUYERS = 100
GATEWAY = (os.environ.get("KHEDMA_TEST_CARD_GATEWAY") or "youcanpay").strip().lower()
LOG = os.path.join(VAR, "log", "khedmad.log")
# What db.c logs for a deadlock or a lock-wait timeout: "db: 1213 (40001): Deadlock found ...".
LOCK_FAILURE = re.compile(r"^db: (1213|1205) |Deadlock found|Lock wait timeout")



def trpc_call(path, body, token):
    return trpc_post(path, body, token, timeout=60)


def trpc_mutation(path, body, token):
    r = trpc_call(path, body, token)
    assert r.status == 200, f"{path}: {r!r}"
    data = r.json["result"]["data"]
    return data["json"] if isinstance(data, dict) and "json" in data else data


def new_user():
    """harness.signup, waiting out nginx's signup rate limit (429)."""
    for _ in range(60):
        try:
            return signup()
        except AssertionError as exc:
            if "got 429" not in str(exc):
                raise
            time.sleep(0.5)
    return signup()


def parallel(fn, n, threads=None):
    """fn(i) for i in range(n) on `threads` threads (n when None) started together; returns the
    results in order (an exception is returned in its place)."""
    results = [None] * n
    count = threads or n
    barrier = threading.Barrier(count)

    def worker(k):
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        for i in range(k, n, count):
            try:
                results[i] = fn(i)
            except Exception as exc:  # noqa: BLE001 - reported by the caller
                results[i] = exc

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(count)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(300)
    return results


def log_offset():
    try:
        return os.path.getsize(LOG)
    except OSError:
        return 0


def lock_failures_since(offset):
    """Lines of khedmad's log after `offset` that report a deadlock or a lock-wait timeout."""
    try:
        with open(LOG, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    bad = []
    for line in text.splitlines():
        try:
            msg = json.loads(line).get("msg", "")
        except ValueError:
            msg = line
        if isinstance(msg, str) and LOCK_FAILURE.search(msg):
            bad.append(line)
    return bad


def pay(data):
    """Pay the checkout in the emulator without telling khedmad; returns the transactionId to
    send (None for PayTabs, confirmed by the tran_ref kept from checkout)."""
    if data["provider"] == "youcanpay":
        return emu.pay_token(data["token_id"], status=1, webhook=False)["transaction"]["id"]
    emu.complete_paytabs(data["tran_ref"], status="A", callback=False)
    return None


def checkout(token, package_id):
    return http("POST", "/api/orders/checkout", json_body={"payment_method": "card",
                                                           "package_id": package_id},
                token=token, timeout=60)


def purchase_by_checkout(token, package_id):
    """Checkout, pay, POST /api/orders. Returns (response, order id): the first failed response,
    or the confirmation."""
    r = checkout(token, package_id)
    if r.status != 200:
        return r, None
    data = r.json["data"]
    body = {"checkoutId": data["order_id"], "idempotencyKey": unique("race")}
    txn = pay(data)
    if txn:
        body["transactionId"] = txn
    return http("POST", "/api/orders", json_body=body, token=token, timeout=60), data["order_id"]


def purchase_by_create(token, gig_id, package_id, price):
    """Pay, then order.create ("create an order after a successful payment", docs/api.md, "tRPC"). With
    YouCan Pay the payment names an order id of the client's own making and the order is new;
    with PayTabs it is the checkout's. Returns (response, order id)."""
    if GATEWAY == "paytabs":
        r = checkout(token, package_id)
        if r.status != 200:
            return r, None
        data = r.json["data"]
        pay(data)
        order_id, txn = data["order_id"], data["tran_ref"]
    else:
        order_id = "c" + secrets.token_hex(12)
        txn = emu.create_transaction(order_id=order_id, amount=price * 100, currency="MAD",
                                     status=1)["id"]
    body = {"amount": price, "transactionId": txn, "orderId": order_id, "gigId": gig_id,
            "packageId": package_id}
    r = trpc_call("order.create", body, token)
    if r.status == 200:
        data = r.json["result"]["data"]
        order_id = (data.get("json") or data)["id"]
    return r, order_id


def test_a_hundred_concurrent_purchases_of_one_package():
    seller, st = new_user()
    gid = trpc_mutation("gig.createDraft", {}, st)["id"]
    trpc_mutation("gig.updateOverview", {
        "id": gid, "title": f"{unique('race')} one package for everyone", "category": "design-creative",
        "subCategory": "logo-design", "tags": []}, st)
    basic = trpc_mutation("gig.createPackages", {"gigId": gid, "basic": {
        "name": "Basic tier", "description": "Bought by a hundred clients at once", "price": 120,
        "delivery": 2, "revisions": 1}}, st)["basic"]
    trpc_mutation("gig.publish", {"id": gid}, st)
    buyers = parallel(lambda i: new_user(), BUYERS, threads=8)
    failed = [b for b in buyers if isinstance(b, Exception)]
    assert not failed, f"signups failed: {failed[:3]}"

    def purchase(i):
        token = buyers[i][1]
        if i % 2 == 0:
            return purchase_by_checkout(token, basic["id"])
        return purchase_by_create(token, gid, basic["id"], 120)

    offset = log_offset()
    results = parallel(purchase, BUYERS)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, f"{len(errors)} purchases raised: {errors[:3]}"
    statuses = [r[0].status for r in results]
    conflicts = statuses.count(409)
    failures = lock_failures_since(offset)
    print(f"note: {BUYERS} concurrent purchases of one package: {conflicts} conflicts (409), "
          f"{len(failures)} deadlock / lock-wait lines in the log", file=sys.stderr)
    assert conflicts == 0, f"{conflicts} purchases conflicted; statuses {sorted(set(statuses))}"
    assert not failures, f"{len(failures)} deadlock / lock-wait lines, e.g. {failures[:2]}"
    assert statuses == [200] * BUYERS, f"statuses: {sorted(set(statuses))}"
    for (_, oid), (_, token) in zip(results, buyers):
        o = assert_envelope(http("GET", f"/api/orders/{oid}", token=token), 200)
        assert o["status"] == "processing" and o["payment"]["status"] == "success", o
        assert o["package"]["delivery"] == 2 and o["dueAt"], o
