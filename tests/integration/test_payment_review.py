"""test_payment_review.py - a payment that may have succeeded is never lost to a transient failure.

- A confirmation that meets a transient database failure (here: a lock-wait timeout, forced by
  holding the order's row lock from a MariaDB session of the test) is run again inside the
  request (khedmad waits up to 5 s per lock, DB_TX_ATTEMPTS = 3 times), then answered 503 with
  Retry-After, and never kept under the idempotency key: the client's retry with the same key runs
  and confirms. The same for order.create over tRPC (SERVICE_UNAVAILABLE).
- The transactionId a client names in POST /api/orders is kept on the payment even when the
  confirmation fails (the gateway unreachable, a payment not completed yet, the database failing
  it), and the jobs ask YouCan Pay about it: a paid order whose confirmation failed is confirmed
  by reconciliation or by the 24-hour expiry, never cancelled.
- The 24-hour expiry cancels only orders that provably were not paid (no payment page was ever
  handed out, a bank transfer nobody confirmed); a YouCan Pay checkout whose page was issued and
  whose payment the gateway cannot confirm stays pending, flagged for an operator
  (orders.review_reason), with a warning that names the order and nothing else.

Time-based jobs run through `khedmad jobs-once` with a test clock (harness.jobs_once). The YouCan
Pay tests return early, with a note, when the stack's card gateway is PayTabs.
"""

import os
import subprocess
import sys
import time

from harness import REPO, VAR, assert_envelope, http, jobs_once, signup, sql, trpc_post, unique

sys.path.insert(0, os.path.join(REPO, "tests", "emulators"))
import client as emu  # noqa: E402  (the emulators' control API, tests/emulators/client.py)

DAY = 24 * 3600
LOCK_WAIT_S = 5  # innodb_lock_wait_timeout of khedmad's sessions (db.c)
ATTEMPTS = 3  # DB_TX_ATTEMPTS (dberr.h)


# --------------------------------------------------------------------------------------------
# Fixtures


def trpc(path, body, token):
    return trpc_post(path, body, token, timeout=90)


def trpc_data(r, what):
    assert r.status == 200, f"{what}: {r!r}"
    data = r.json["result"]["data"]
    return data["json"] if isinstance(data, dict) and "json" in data else data


_world = {}


def world():
    """A seller with a published gig (180 MAD, 4 days) and a buyer."""
    if _world:
        return _world
    seller, st = signup()
    buyer, bt = signup()
    gid = trpc_data(trpc("gig.createDraft", {}, st), "createDraft")["id"]
    trpc_data(trpc("gig.updateOverview", {
        "id": gid, "title": f"{unique('rv')} payment review gig", "category": "design-creative",
        "subCategory": "logo-design", "tags": []}, st), "updateOverview")
    basic = trpc_data(trpc("gig.createPackages", {"gigId": gid, "basic": {
        "name": "Basic tier", "description": "A logo, paid for carefully", "price": 180,
        "delivery": 4, "revisions": 1}}, st), "createPackages")["basic"]
    trpc_data(trpc("gig.publish", {"id": gid}, st), "publish")
    _world.update(seller=seller, st=st, buyer=buyer, bt=bt, gid=gid, basic=basic)
    return _world


def checkout(method="card"):
    w = world()
    r = http("POST", "/api/orders/checkout",
             json_body={"payment_method": method, "package_id": w["basic"]["id"]}, token=w["bt"])
    return assert_envelope(r, 200)


def youcanpay(data):
    if data["provider"] == "youcanpay":
        return True
    print("note: YouCan Pay only; the stack's card gateway is " + data["provider"], file=sys.stderr)
    return False


def pay(data, status=1):
    """Pay the checkout in the emulator, telling khedmad nothing; returns the transactionId to
    send (None for PayTabs)."""
    if data["provider"] == "youcanpay":
        return emu.pay_token(data["token_id"], status=status, webhook=False)["transaction"]["id"]
    emu.complete_paytabs(data["tran_ref"], status="A" if status == 1 else "D", callback=False)
    return None


def submit(order_id, timeout=90, **fields):
    body = {"checkoutId": order_id}
    body.update({k: v for k, v in fields.items() if v is not None})
    return http("POST", "/api/orders", json_body=body, token=world()["bt"], timeout=timeout)


def order(oid):
    return assert_envelope(http("GET", f"/api/orders/{oid}", token=world()["bt"]), 200)


def events(oid):
    return assert_envelope(http("GET", f"/api/orders/{oid}/events", token=world()["bt"]), 200)


def one(query):
    rows = sql(query)
    return rows[0][0] if rows else None


def client_transaction(oid):
    return one(f"SELECT COALESCE(client_transaction_id, '') FROM payments WHERE order_id = '{oid}'")


def review(oid):
    return one(f"SELECT COALESCE(review_reason, '') FROM orders WHERE id = '{oid}'")


def jobs_until(offset_s, predicate, what, tries=6):
    """jobs-once at this clock offset until predicate() holds; returns the ticks' log lines."""
    logs = ""
    for _ in range(tries):
        logs += jobs_once(offset_s)
        if predicate():
            return logs
    raise AssertionError(f"{what}: not done after {tries} ticks")


class RowLock:
    """Hold the row lock of one order from a MariaDB session of our own (the stack's root, over
    its socket), as a long transaction elsewhere would, until release()."""

    def __init__(self, order_id):
        self.p = subprocess.Popen(
            ["mariadb", f"--defaults-file={os.path.join(VAR, 'mariadb.cnf')}", "--batch",
             "--skip-column-names", "--unbuffered", "khedma"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.p.stdin.write(f"BEGIN; SELECT 'locked', id FROM orders WHERE id = '{order_id}' "
                           "FOR UPDATE;\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        assert line.startswith("locked\t" + order_id), f"could not lock the order: {line!r}"

    def release(self):
        if self.p.poll() is None:
            self.p.stdin.write("ROLLBACK;\n")
            self.p.stdin.close()
            self.p.wait(30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False


# --------------------------------------------------------------------------------------------
# Transient failures: retried, then 503, never stored

def test_a_transient_failure_is_retried_then_503_and_never_replayed():
    data = checkout()
    oid = data["order_id"]
    txn = pay(data)
    key = unique("idem")
    body = {"transactionId": txn, "idempotencyKey": key, "paymentReference": "R-1"}
    with RowLock(oid):
        started = time.monotonic()
        r = submit(oid, **body)
        elapsed = time.monotonic() - started
        assert r.status == 503, f"a confirmation that keeps meeting a lock-wait timeout: {r!r}"
        assert_envelope(r, 503, "Temporarily unavailable; try again")
        assert r.headers.get("retry-after") == "1", r.headers
        assert "idempotent-replayed" not in r.headers
        # Every attempt waited out the lock: the transaction ran ATTEMPTS times.
        assert elapsed >= ATTEMPTS * LOCK_WAIT_S - 1, f"answered after {elapsed:.1f}s"
        # Nothing kept under the key, and the order still pending.
        kept = one(f"SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '{key}'")
        assert kept == "0", "a transient failure was kept under the idempotency key"
        if txn:
            assert client_transaction(oid) == txn, "the transaction id was not kept"
    assert order(oid)["status"] == "pending"
    # The client's retry with the same key runs (it is not a replay) and confirms.
    again = submit(oid, **body)
    assert assert_envelope(again, 200) == {"id": oid}
    assert "idempotent-replayed" not in again.headers, again.headers
    o = order(oid)
    assert o["status"] == "processing" and o["payment"]["status"] == "success", o
    assert [e["type"] for e in events(oid)] == ["paid"]
    # From now on the key replays the 200.
    replay = submit(oid, **body)
    assert replay.status == 200 and replay.body == again.body
    assert replay.headers.get("idempotent-replayed") == "true"


def test_order_create_transient_failure_is_service_unavailable():
    w = world()
    data = checkout()
    oid = data["order_id"]
    txn = pay(data)
    inp = {"amount": 180, "transactionId": txn or data["tran_ref"], "orderId": oid,
           "gigId": w["gid"], "packageId": w["basic"]["id"]}
    with RowLock(oid):
        r = trpc("order.create", inp, w["bt"])
        assert r.status == 503, f"order.create meeting a lock-wait timeout: {r!r}"
        err = r.json["error"]
        err = err.get("json", err)
        assert err["data"]["code"] == "SERVICE_UNAVAILABLE" and err["data"]["httpStatus"] == 503, err
        assert r.headers.get("retry-after") == "1"
    created = trpc_data(trpc("order.create", inp, w["bt"]), "order.create after the lock")
    assert created["id"] == oid and created["status"] == "processing", created


def test_business_conflicts_stay_409_and_are_kept():
    """A true conflict (a cancelled order) is still 409 and is replayed under its key."""
    data = checkout()
    oid = data["order_id"]
    txn = pay(data, status=-1 if data["provider"] == "youcanpay" else 1)
    assert_envelope(http("POST", f"/api/orders/{oid}/cancel", json_body={}, token=world()["bt"]),
                    200)
    key = unique("idem")
    first = submit(oid, transactionId=txn, idempotencyKey=key)
    assert_envelope(first, 409, "Order is cancelled")
    again = submit(oid, transactionId=txn, idempotencyKey=key)
    assert again.status == 409 and again.body == first.body
    assert again.headers.get("idempotent-replayed") == "true"


# --------------------------------------------------------------------------------------------
# The transaction id a client named is kept, and the jobs ask about it

def test_the_named_transaction_is_kept_when_confirmation_fails():
    data = checkout()
    if not youcanpay(data):
        return
    oid = data["order_id"]
    txn = pay(data)
    emu.fault("youcanpay.transactions", "500", count=1)
    try:
        r = submit(oid, transactionId=txn)
    finally:
        emu.clear_faults()
    assert_envelope(r, 502)
    assert order(oid)["status"] == "pending"
    assert client_transaction(oid) == txn
    # Not paid yet: 422, and the id is kept as well.
    later = checkout()
    pending_txn = pay(later, status=0)
    assert_envelope(submit(later["order_id"], transactionId=pending_txn), 422,
                    "Payment not completed")
    assert client_transaction(later["order_id"]) == pending_txn
    # A minute on, reconciliation asks YouCan Pay about the kept id and confirms the paid one.
    jobs_until(90, lambda: order(oid)["status"] == "processing", "reconciliation")
    o = order(oid)
    assert o["payment"]["status"] == "success" and o["payment"]["transactionId"] == txn, o
    assert o["dueAt"], o
    assert [(e["type"], e["actorId"]) for e in events(oid)] == [("paid", None)]
    assert order(later["order_id"])["status"] == "pending"


def test_a_client_cannot_replace_the_confirmed_transaction():
    data = checkout()
    if not youcanpay(data):
        return
    oid = data["order_id"]
    txn = pay(data)
    assert assert_envelope(submit(oid, transactionId=txn), 200) == {"id": oid}
    other = emu.create_transaction(order_id=oid, amount=18000, currency="MAD", status=1)["id"]
    assert assert_envelope(submit(oid, transactionId=other), 200) == {"id": oid}
    assert order(oid)["payment"]["transactionId"] == txn
    assert one(f"SELECT transaction_id FROM payments WHERE order_id = '{oid}'") == txn


# --------------------------------------------------------------------------------------------
# The 24-hour expiry

def test_expiry_confirms_a_paid_order_whose_confirmation_failed():
    data = checkout()
    if not youcanpay(data):
        return
    oid = data["order_id"]
    txn = pay(data)
    emu.fault("youcanpay.transactions", "500", count=1)
    try:
        assert_envelope(submit(oid, transactionId=txn), 502)
    finally:
        emu.clear_faults()
    jobs_until(DAY + 600, lambda: order(oid)["status"] != "pending", "checkout expiry")
    o = order(oid)
    assert o["status"] == "processing" and o["payment"]["status"] == "success", o
    assert o["payment"]["transactionId"] == txn
    assert [e["type"] for e in events(oid)] == ["paid"]


def test_expiry_keeps_and_flags_what_may_be_paid():
    unknown = checkout()
    if not youcanpay(unknown):
        return
    # The customer paid on the page; neither a webhook nor a transactionId ever reached us.
    pay(unknown)
    # The client named a declined transaction; the page may have been paid with another card.
    declined = checkout()
    bad_txn = pay(declined, status=-1)
    assert_envelope(submit(declined["order_id"], transactionId=bad_txn), 422)
    mine = [unknown["order_id"], declined["order_id"]]
    logs = jobs_until(DAY + 600, lambda: all(review(o) for o in mine), "flagging")
    for oid in mine:
        o = order(oid)
        assert o["status"] == "pending" and o["payment"]["status"] == "pending", o
        assert o["cancelledAt"] is None and events(oid) == []
        assert one(f"SELECT review_flagged_at IS NOT NULL FROM orders WHERE id = '{oid}'") == "1"
    # One warning per order, naming the order and nothing of the payment.
    for oid in mine:
        lines = [line for line in logs.splitlines() if oid in line and "operator" in line]
        assert len(lines) == 1, lines
        assert '"level":"warn"' in lines[0], lines[0]
    assert unknown["token_id"] not in logs and bad_txn not in logs
    # Looked at again later: still pending, not warned about twice.
    logs = jobs_once(DAY + 8 * 3600)
    assert all(order(o)["status"] == "pending" for o in mine)
    assert not [line for line in logs.splitlines() if "operator" in line and
                any(o in line for o in mine)]
    # A flagged order is still confirmed when its payment shows up.
    paid = [t["id"] for t in emu.transactions(order_id=unknown["order_id"]) if t["status"] == 1]
    assert len(paid) == 1, paid
    assert assert_envelope(submit(unknown["order_id"], transactionId=paid[0]), 200) == \
        {"id": unknown["order_id"]}
    assert order(unknown["order_id"])["status"] == "processing"


def test_expiry_cancels_what_provably_was_not_paid():
    lost = checkout()
    if not youcanpay(lost):
        return
    # The token was never kept (a crash between tokenize and the write): the customer never got
    # the payment page, so nothing can have been paid.
    sql(f"UPDATE payments SET token_id = NULL WHERE order_id = '{lost['order_id']}'")
    bank = checkout("bank_transfer")
    mine = [lost["order_id"], bank["order_id"]]
    jobs_until(DAY + 600, lambda: all(order(o)["status"] == "cancelled" for o in mine), "expiry")
    for oid in mine:
        o = order(oid)
        assert o["status"] == "cancelled" and o["payment"]["status"] == "failed", o
        assert o["cancelReason"].startswith("Checkout expired"), o
        assert review(oid) == ""
